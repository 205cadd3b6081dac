package process

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"sync"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/uv"
	"golang.org/x/sys/unix"
)

// Process is this process, as Node's global `process` object: an event
// emitter that, in a child started with an IPC channel, also sends and
// receives messages.
type Process struct {
	*childprocess.Target

	// ExitCode is process.exitCode: what the process exits with when its
	// loop runs empty.
	ExitCode int
	// HasChannel is true when the process was started with an IPC channel
	// (process.send exists).
	HasChannel bool

	mode   runMode
	exited bool
}

type runMode int

const (
	modeNone runMode = iota
	modeRun          // Run: the loop's end ends the process
	modeMain         // RunMain: the loop's end returns to the caller
)

var (
	p    *Process
	once sync.Once
)

// Get returns this process's object.
func Get() *Process {
	once.Do(func() {
		p = &Process{Target: &childprocess.Target{}}
		p.SetClassName("process")
		p.On("warning", events.PrintWarning)
		// A listener for a signal's name takes the signal, as Node's
		// bootstrap (is_main_thread.js) has process do.
		p.On("newListener", startListeningIfSignal)
		p.On("removeListener", stopListeningIfSignal)
		events.SetWarningHandler(p.emitWarning)
	})
	return p
}

// emitWarning emits w as the process's "warning" event on the next tick;
// the process's own first listener prints it on stderr, user listeners
// run after.
//
// Like lib/internal/process/warning.js emitWarning(), which defers
// doEmitWarning() to the next tick, and onWarning(), the listener that
// prints.
func (p *Process) emitWarning(w *events.Warning) {
	uv.Default().NextTick(func() { p.Emit("warning", w) })
}

// Loop returns the process's event loop.
func Loop() *uv.Loop { return uv.Default() }

// Send sends a message to the parent over the channel.
//
// Mirrors lib/internal/child_process.js setupChannel() inner target.send().
func (p *Process) Send(message any, handle any, cb func(error)) bool {
	return p.SendWithOptions(message, handle, childprocess.SendOptions{}, cb)
}

// SendWithOptions is Send with Node's options (keepOpen).
func (p *Process) SendWithOptions(message any, handle any, opts childprocess.SendOptions, cb func(error)) bool {
	if !p.HasChannel {
		if cb != nil {
			uv.Default().NextTick(func() { cb(childprocess.ErrIPCChannelClosed) })
		}
		return false
	}
	return p.Target.Send(message, handle, opts, cb)
}

// Exit ends the process with code after emitting "exit", as
// process.exit(code) does: an "exit" listener that sets ExitCode changes
// the code the process ends with. Under RunMain (tests driving a primary
// in their own process) it stops the loop instead.
func (p *Process) Exit(code int) {
	p.ExitCode = code
	if p.mode == modeMain {
		p.exited = true
		uv.Default().Stop()
		return
	}
	p.emitExit(code)
	reallyExit(p.ExitCode)
}

// reallyExit ends the process at once, after writing what the channel
// held back (uv.Stream.Hold) so that no answer Node would have written is
// lost (process.reallyExit).
func reallyExit(code int) {
	uv.Default().FlushCorked()
	os.Exit(code)
}

var startupHooks []func(p *Process)

// OnStartup registers fn to run during start-up, after the IPC channel is
// set up and before the program's main code. internal/child registers the
// cluster worker's setup here, so that every program that links net or
// cluster becomes a worker when NODE_UNIQUE_ID is set, as Node does
// whether or not the script loads cluster.
func OnStartup(fn func(p *Process)) { startupHooks = append(startupHooks, fn) }

// setupChildProcessIpcChannel opens the channel named by NODE_CHANNEL_FD,
// speaking the serialization NODE_CHANNEL_SERIALIZATION_MODE names ("json"
// when unset or empty, or "advanced"), and removes the channel variables
// from the environment so that this process's own children do not
// inherit them.
//
// DEVIATION(fix): a NODE_CHANNEL_SERIALIZATION_MODE other than json or
// advanced is an error (the worker exits 1 saying so); in Node the
// channel's set-up throws a TypeError about destructuring undefined.
//
// Mirrors lib/internal/process/pre_execution.js setupChildProcessIpcChannel().
func (p *Process) setupChildProcessIpcChannel() error {
	v := os.Getenv("NODE_CHANNEL_FD")
	if v == "" {
		return nil // unset or empty: no channel, as Node's truthiness check says
	}
	fd, err := childprocess.ChannelFdFromEnv(v)
	os.Unsetenv("NODE_CHANNEL_FD")
	mode := os.Getenv("NODE_CHANNEL_SERIALIZATION_MODE")
	os.Unsetenv("NODE_CHANNEL_SERIALIZATION_MODE")
	if err != nil {
		return err
	}
	if mode == "" {
		mode = "json"
	}
	if _, err := childprocess.ForkChildWith(uv.Default(), p.Target, fd, mode); err != nil {
		return err
	}
	p.HasChannel = true
	return nil
}

// Run is the entry point of a program built on this port: it runs the
// start-up Node runs before a script (the IPC channel, the cluster worker),
// then main on the event loop, then the loop until nothing keeps it alive,
// and exits with ExitCode, as a Node process does when its loop is empty.
// Run does not return.
func Run(main func()) {
	p := Get()
	p.mode = modeRun
	uv.DisableStdioInheritance()
	resetSignalHandlers()
	defaultSignals()
	l := uv.Default()
	l.OnPanic = p.uncaught
	l.Call(func() { p.start(main) })
	p.runUntilEmpty(l)
	p.emitExit(p.ExitCode)
	reallyExit(p.ExitCode)
}

// RunMain is Run for a caller that wants control back: it returns
// ExitCode when the loop runs empty or Exit is called. Tests use it to run
// a primary in the test process. Panics propagate.
func RunMain(main func()) int {
	p := Get()
	p.mode = modeMain
	p.exited = false
	l := uv.Default()
	l.OnPanic = nil
	l.Call(func() { p.start(main) })
	p.runUntilEmpty(l)
	return p.ExitCode
}

// Role is "primary" or "worker:<id>", the node.process pprof label of
// this process's goroutines.
func Role() string {
	if id, ok := os.LookupEnv("NODE_UNIQUE_ID"); ok && IsClusterWorker {
		return "worker:" + id
	}
	if IsClusterWorker {
		return "worker"
	}
	return "primary"
}

func (p *Process) start(main func()) {
	// The loop goroutine carries its process's label, so that delve's
	// "goroutines -with label node.process=worker:1" finds it.
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("node.process", Role(), "node.fn", "uv_run")))
	if err := p.setupChildProcessIpcChannel(); err != nil {
		fmt.Fprintf(os.Stderr, "nodecluster: cannot open the IPC channel: %v\n", err)
		p.Exit(1)
		return
	}
	for _, h := range startupHooks {
		h(p)
	}
	if main != nil {
		main()
	}
}

func (p *Process) runUntilEmpty(l *uv.Loop) {
	for {
		l.Run()
		if p.exited {
			return
		}
		// As a callback of the loop: what its listeners queue with
		// NextTick runs before the loop is asked whether it is alive
		// (ticks keep nothing alive), and a panic there is an uncaught
		// exception.
		l.Call(func() { p.Emit("beforeExit", p.ExitCode) })
		if p.exited {
			return
		}
		if !l.Alive() {
			return
		}
	}
}

// uncaught handles a panic on the loop as Node handles an uncaught
// exception: "uncaughtException" listeners get it, or the process prints
// it and exits with 1 (a Go panic would exit 2).
func (p *Process) uncaught(v any) {
	if p.ListenerCount("uncaughtException") > 0 {
		// A handler that throws ends the process with Node's code 7
		// (an internal exception handler's run-time failure).
		defer p.failed(7)
		p.Emit("uncaughtException", v, "uncaughtException")
		// Handled: the loop goes round at least once more, so that the
		// ticks the failed callback left wait no longer than that (Node
		// queues setImmediate(noop) here).
		uv.Default().SetImmediate(func() {})
		return
	}
	printUncaught(v)
	p.ExitCode = 1
	p.emitExit(1)
	reallyExit(p.ExitCode) // an "exit" listener may have set another
}

// emitExit emits "exit" once; a listener that panics ends the process
// with code 1, the listeners after it not run, as a throw in Node's.
func (p *Process) emitExit(code int) {
	if p.exited {
		return
	}
	p.exited = true
	defer p.failed(1)
	p.Emit("exit", code)
}

// printUncaught writes an error nobody caught, and where it was thrown,
// to stderr.
func printUncaught(v any) { fmt.Fprintf(os.Stderr, "Uncaught %v\n%s", v, debug.Stack()) }

// failed, deferred, ends the process with code when the function it was
// deferred in panicked, saying why on stderr as an uncaught error.
func (p *Process) failed(code int) {
	if v := recover(); v != nil {
		printUncaught(v)
		reallyExit(code)
	}
}

// IsClusterWorker is true when this process started with NODE_UNIQUE_ID in
// its environment: lib/cluster.js picks child.js or primary.js on that, at
// load time, before start-up deletes the variable.
var IsClusterWorker = func() bool { _, ok := os.LookupEnv("NODE_UNIQUE_ID"); return ok }()

// SendRaw sends a message as sendHelper does (process.send(message,
// handle) with no callback).
func (p *Process) SendRaw(message *childprocess.Object, handle any) bool {
	return p.Send(message, handle, nil)
}

// IsConnected is process.connected.
func (p *Process) IsConnected() bool { return p.HasChannel && p.Connected }

// Exited is what a worker's isDead() reads of its own process: the exit
// code once one is set (Node's process.exitCode, no longer undefined),
// never a signal.
//
// DEVIATION(shape): Node's process.exitCode is undefined until set, and
// a worker that sets it to 0 is dead to isDead(); here an ExitCode of 0
// reads as never set.
func (p *Process) Exited() (*int, string) {
	if p.ExitCode != 0 {
		code := p.ExitCode
		return &code, ""
	}
	return nil, ""
}

// GetPid is process.pid.
func (p *Process) GetPid() int { return os.Getpid() }

// Kill signals this process (process.kill(process.pid, signal)).
func (p *Process) Kill(signal string) bool {
	s, ok := childprocess.SignalByName(signal)
	if !ok {
		return false
	}
	return unix.Kill(os.Getpid(), s) == nil
}
