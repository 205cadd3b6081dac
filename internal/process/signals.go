package process

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// namedFatalByDefault and the real-time signals (realTimeSignals) are
// the signals whose default action ends a process
// (some with a core dump) and which a Node process leaves at that
// default, but which the Go runtime catches: SIGUSR2, SIGALRM, SIGVTALRM
// and the rest of the asynchronous ones it would ignore, and SIGQUIT and
// SIGABRT, on which it prints every goroutine and exits with code 2. Sent
// to a port process (worker.kill('SIGUSR2'), kill -QUIT), each ends it as
// it ends a Node process: killed by that signal, which the primary's
// "exit" reports as (null, 'SIGUSR2'). SIGSEGV, SIGBUS, SIGFPE and SIGILL
// are here for when another process sends them; a fault of the program's
// own still panics. The real-time signals too, and SIGTRAP sent by
// another process (on which the runtime would print every goroutine and
// exit 2; a debugger's breakpoints stop the process before any handler
// runs, so delve is not affected). Left to the runtime: SIGPROF (the CPU
// profiler's), of which a Node process dies; the signals whose default is
// to go on (SIGUSR1, where Node starts its inspector; SIGWINCH, SIGCHLD,
// SIGURG); and SIGPIPE and SIGXFSZ, which node ignores and so does the
// runtime when nobody asks for them. SIGHUP, SIGINT and SIGTERM need
// nothing: the runtime dies of them as the default action would (SIGHUP
// and SIGINT once resetSignalHandlers has run).
//
// DEVIATION(shape): a port process does not die of SIGPROF (a Node process
// does: worker.kill('SIGPROF') gives exit (null, 'SIGPROF')). The Go
// runtime keeps SIGPROF for its CPU profiler and consumes it before
// os/signal could pass it on, so the process goes on; a worker that must
// end is better sent another signal.
var namedFatalByDefault = []os.Signal{
	unix.SIGUSR2, unix.SIGALRM, unix.SIGVTALRM, unix.SIGIO, unix.SIGPWR, unix.SIGSTKFLT,
	unix.SIGXCPU, unix.SIGSYS,
	unix.SIGQUIT, unix.SIGABRT, unix.SIGTRAP,
	unix.SIGSEGV, unix.SIGBUS, unix.SIGFPE, unix.SIGILL,
}

// realTimeSignals are signals 34 to 64 (SIGRTMIN to SIGRTMAX as glibc
// counts them; 32 and 33 are the C library's own), whose default action
// ends a process and which the Go runtime ignores unless asked for them.
// They have no names in Node's table: a child killed by one exits (0,
// null) for node (libuv's exit status stays 0 and the signal's name is
// empty).
func realTimeSignals() []os.Signal {
	var sigs []os.Signal
	for n := 34; n <= 64; n++ {
		sigs = append(sigs, unix.Signal(n))
	}
	return sigs
}

// inheritedIgnore records which of SIGHUP and SIGINT the process started
// with ignored, before any code of the program's could ignore them.
var inheritedIgnore = map[unix.Signal]bool{
	unix.SIGHUP: sigIgnored(unix.SIGHUP),
	unix.SIGINT: sigIgnored(unix.SIGINT),
}

// sigIgnored reports whether sig's disposition is SIG_IGN (a handler
// installed with SA_SIGINFO is no disposition).
func sigIgnored(sig unix.Signal) bool {
	const saSiginfo = 4 // SA_SIGINFO
	var old [4]uintptr  // struct sigaction: handler, flags, restorer, mask
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	return old[0] == 1 && old[1]&saSiginfo == 0 // 1 is SIG_IGN
}

// resetSignalHandlers gives SIGHUP and SIGINT back their default action
// when the process started with them ignored (a background job of a
// non-interactive shell starts with SIGINT ignored, one under nohup with
// SIGHUP): the Go runtime leaves exactly those two ignored when it finds
// them so, where node resets every inherited SIG_IGN but those of SIGPIPE
// and SIGXFSZ, which it ignores. A Node worker (and primary) dies of
// SIGINT and SIGHUP however it was started; so does a port process (node
// printed both). Every other signal's inherited SIG_IGN the Go runtime
// replaces with its own handler already. What the program itself ignores
// before Run (signal.Ignore), having not started with it ignored, stays
// ignored. Run calls it first.
//
// Like src/node.cc ResetSignalHandlers().
func resetSignalHandlers() {
	for sig, inherited := range inheritedIgnore {
		if !inherited || !sigIgnored(sig) {
			continue
		}
		var act [4]uintptr // a zero handler: SIG_DFL
		unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	}
}

// defaultSignals makes the signals of namedFatalByDefault and the
// real-time ones end the process as their default action does (Run calls
// it once). Asking the runtime for them (signal.Notify) hands each to its
// signal-mask thread, about 30 us on this VM's wake-ups: the goroutine
// does it beside start-up, and a worker's "online" waits only for the
// named ones (AwaitNamedSignals).
func defaultSignals() {
	signalsStarted.Store(true)
	go signalWaiter()
}

// signalsStarted is set once defaultSignals has run (Run calls it; RunMain
// does not, and then nothing takes the signals over).
var signalsStarted atomic.Bool

var signalsTaken, namedSignalsTaken = make(chan struct{}), make(chan struct{})

// SignalsTaken is closed once all those signals end the
// process as their default action does; before that (the first
// millisecond or so after Run starts) the Go runtime's handling applies.
func SignalsTaken() <-chan struct{} { return signalsTaken }

// AwaitNamedSignals waits until the signals of namedFatalByDefault are
// taken (the real-time ones follow), when the process takes them over at
// all (it does under Run, not under RunMain). The 15 named ones take about
// half a millisecond, all 46 three times that: a worker's "online" waits
// for these (child.setupWorker).
func AwaitNamedSignals() {
	if signalsStarted.Load() {
		<-namedSignalsTaken
	}
}

// AwaitSignals is AwaitNamedSignals for the real-time signals too.
func AwaitSignals() {
	if signalsStarted.Load() {
		<-signalsTaken
	}
}

// signalWaiter takes those signals over and dies of the
// first that comes while no listener on process holds it
// (startListeningIfSignal).
//
// DEVIATION(goroutine): the kernel carries out a default action with no
// thread of Node's involved; the runtime has taken these signals over, so
// a goroutine gets them and hands them back to the kernel. Nothing of the
// event loop runs: a Node process killed by a signal runs nothing either.
func signalWaiter() {
	pprof.Do(context.Background(), pprof.Labels("node.process", Role(), "node.fn", "signal default action"), func(context.Context) {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, namedFatalByDefault...)
		close(namedSignalsTaken)
		signal.Notify(ch, realTimeSignals()...)
		close(signalsTaken)
		for s := range ch {
			if sig := s.(unix.Signal); !isCaught(sig) {
				dieOf(sig)
			}
		}
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
