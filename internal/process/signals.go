package process

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fatalByDefault are the signals whose default action ends a process
// (some with a core dump) and which a Node process leaves at that
// default, but which the Go runtime catches: SIGUSR2, SIGALRM, SIGVTALRM
// and the rest of the asynchronous ones it would ignore, and SIGQUIT and
// SIGABRT, on which it prints every goroutine and exits with code 2. Sent
// to a port process (worker.kill('SIGUSR2'), kill -QUIT), each ends it as
// it ends a Node process: killed by that signal, which the primary's
// "exit" reports as (null, 'SIGUSR2'). SIGSEGV, SIGBUS, SIGFPE and SIGILL
// are here for when another process sends them; a fault of the program's
// own still panics. SIGTRAP (debuggers), SIGPROF (the CPU profiler) and
// the signals whose default is to go on (SIGUSR1, where Node starts its
// inspector; SIGPIPE, SIGWINCH, SIGCHLD, SIGURG) are left to the runtime.
// SIGHUP, SIGINT and SIGTERM need nothing: the runtime dies of them as
// the default action would.
var fatalByDefault = []os.Signal{
	unix.SIGUSR2, unix.SIGALRM, unix.SIGVTALRM, unix.SIGIO, unix.SIGPWR, unix.SIGSTKFLT,
	unix.SIGXCPU, unix.SIGXFSZ, unix.SIGSYS,
	unix.SIGQUIT, unix.SIGABRT,
	unix.SIGSEGV, unix.SIGBUS, unix.SIGFPE, unix.SIGILL,
}

// defaultSignals makes the signals of fatalByDefault end the process as
// their default action does (Run calls it once). Asking the runtime for
// them (signal.Notify) hands each to its signal-mask thread, about 0.7 ms
// in all on this VM's wake-ups: the goroutine does it beside start-up,
// not in front of the worker's "online".
func defaultSignals() { go signalWaiter() }

var signalsTaken = make(chan struct{})

// SignalsTaken is closed once the signals of fatalByDefault end the
// process as their default action does; before that (the first
// millisecond or so after Run starts) the Go runtime's handling applies.
func SignalsTaken() <-chan struct{} { return signalsTaken }

// signalWaiter takes the signals of fatalByDefault over and dies of the
// first that comes.
//
// DEVIATION(goroutine): the kernel carries out a default action with no
// thread of Node's involved; the runtime has taken these signals over, so
// a goroutine gets them and hands them back to the kernel. Nothing of the
// event loop runs: a Node process killed by a signal runs nothing either.
func signalWaiter() {
	pprof.Do(context.Background(), pprof.Labels("node.process", Role(), "node.fn", "signal default action"), func(context.Context) {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, fatalByDefault...)
		close(signalsTaken)
		sig := (<-ch).(unix.Signal)
		dieOf(sig)
	})
}

// dieOf restores sig's default action (SIG_DFL, which the Go runtime
// offers no way to ask for) and sends it to this process again.
func dieOf(sig unix.Signal) {
	var act [4]uintptr // struct sigaction with a zero handler: SIG_DFL
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	unix.Kill(os.Getpid(), sig)
	select {} // the signal ends the process
}
