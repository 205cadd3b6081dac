package worker

import (
	"fmt"
	"os"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/events"
)

// State names used by Node, in the order a worker goes through them.
const (
	StateNone          = "none"
	StateOnline        = "online"
	StateListening     = "listening"
	StateDisconnecting = "disconnecting"
	StateDisconnected  = "disconnected"
	StateDestroying    = "destroying"
	StateDead          = "dead"
)

// Process is what a Worker's process is: in the primary the
// ChildProcess, in a worker the process object.
type Process interface {
	On(event string, fn any) *events.Listener
	Once(event string, fn any) *events.Listener
	Send(message any, handle any, cb func(error)) bool
	// SendWithOptions is Send with Node's options argument (keepOpen).
	SendWithOptions(message any, handle any, opts childprocess.SendOptions, cb func(error)) bool
	// SendRaw sends without Send's argument handling (utils.sendHelper).
	SendRaw(message *childprocess.Object, handle any) bool
	IsConnected() bool
	// ExitCode and SignalCode are nil/"" until the process ended.
	Exited() (code *int, signal string)
	GetPid() int
	Kill(signal string) bool
	Disconnect()
}

// Address is what the "listening" event carries: Node's
// {addressType, address, port, fd}. Address is nil (JS null) for a listen
// without a host; AddressType is 4, 6, -1 (a pipe) or "udp4"/"udp6". It
// encodes to JSON as JSON.stringify writes Node's object (fd, undefined
// unless the server listened on a descriptor, is then left out).
type Address struct {
	AddressType any `json:"addressType"`
	Address     any `json:"address"`
	Port        int `json:"port"`
	Fd          any `json:"fd,omitempty"`
}

// Methods is what a side installs on every Worker (primary.js and child.js
// extend Worker.prototype with disconnect and destroy).
type Methods struct {
	Disconnect func(w *Worker)
	Destroy    func(w *Worker, signal string) error
}

// Side is set by the side this process runs as.
var Side Methods

// Worker is one cluster worker.
//
// Mirrors lib/internal/cluster/worker.js Worker().
type Worker struct {
	events.EventEmitter

	// ID is worker.id (NODE_UNIQUE_ID in the worker).
	ID int
	// State is worker.state.
	State string
	// ExitedAfterDisconnect is nil (undefined) until it is known.
	ExitedAfterDisconnect *bool
	// Process is worker.process.
	Process Process
}

// Options are new Worker's options.
type Options struct {
	ID      int
	Process Process
	State   string
}

// New builds a worker and forwards its process's "error" and "message"
// events to it.
//
// Mirrors lib/internal/cluster/worker.js Worker().
func New(opts Options) *Worker {
	w := &Worker{ID: opts.ID, State: opts.State}
	w.SetClassName("Worker")
	if w.State == "" {
		w.State = StateNone
	}
	if opts.Process != nil {
		w.Process = opts.Process
		w.Process.On("error", w.onProcessError)
		w.Process.On("message", func(message any, handle any) {
			w.Emit("message", message, handle)
		})
	}
	return w
}

// onProcessError forwards the process's "error" to the worker, with
// whatever was emitted (process.emit('error', v) may emit any value, and
// its second argument too).
//
// DEVIATION(fix): with no "error" listener on the worker, Node v20 throws
// (ending the process) for channel errors that are not the program's
// fault: a malformed line from the other side (JSON.parse's SyntaxError);
// a write that fails with EPIPE or ECONNRESET because the worker just
// died; a send on a closed channel (ERR_IPC_CHANNEL_CLOSED: worker.send
// on a worker that has exited, in the primary, or process.send after the
// worker disconnected, in the worker); and a second disconnect message
// reaching a worker (ERR_IPC_DISCONNECTED, in the worker). The port drops the write errors
// (the worker's "exit" follows) and prints the others as a one-line
// warning. NODECLUSTER_REPRODUCE_V20=channel-error brings the throws back.
func (w *Worker) onProcessError(code any, signal any) {
	if err, ok := code.(error); ok && w.ListenerCount("error") == 0 && !ReproduceChannelErrorThrow {
		if _, ok := err.(*childprocess.ChannelError); ok {
			fmt.Fprintf(os.Stderr, "(nodecluster:%d) worker %d: %v\n", os.Getpid(), w.ID, err)
			return
		}
		if ee, ok := err.(*childprocess.ErrnoError); ok {
			switch {
			case ee.Syscall == "write" && (ee.Code == "EPIPE" || ee.Code == "ECONNRESET"):
				return
			case ee.Code == "ERR_IPC_CHANNEL_CLOSED" || ee.Code == "ERR_IPC_DISCONNECTED":
				fmt.Fprintf(os.Stderr, "(nodecluster:%d) worker %d: %s: %v\n", os.Getpid(), w.ID, ee.Code, err)
				return
			}
		}
	}
	w.Emit("error", code, signal)
}

// ReproduceChannelErrorThrow, when true, lets channel errors with no
// listener throw, in the primary and in a worker, as in Node v20.
var ReproduceChannelErrorThrow = childprocess.Reproduce("channel-error")

// Kill is destroy under its older name.
//
// Mirrors lib/internal/cluster/worker.js Worker.prototype.kill().
func (w *Worker) Kill(signal string) error { return w.Destroy(signal) }

// Destroy ends the worker (the side decides how: a signal in the primary,
// a disconnect and exit in the worker, which ignores the signal as Node's
// worker-side destroy does).
//
// DEVIATION(errno): in the primary, Node throws ERR_UNKNOWN_SIGNAL for a
// bad signal name; Destroy returns it and signals nothing.
func (w *Worker) Destroy(signal string) error {
	if Side.Destroy != nil {
		return Side.Destroy(w, signal)
	}
	return nil
}

// Disconnect closes the worker's servers and then its channel.
func (w *Worker) Disconnect() *Worker {
	if Side.Disconnect != nil {
		Side.Disconnect(w)
	}
	return w
}

// Send sends a message (and optionally a handle) to the other side.
//
// Mirrors lib/internal/cluster/worker.js Worker.prototype.send().
func (w *Worker) Send(message any, handle any, cb func(error)) bool {
	return w.Process.Send(message, handle, cb)
}

// SendWithOptions is Send with Node's options argument: KeepOpen leaves a
// sent socket open in this process too.
//
// DEVIATION(shape): Node's send takes its options as an optional third
// argument; Go has no optional arguments.
func (w *Worker) SendWithOptions(message any, handle any, opts childprocess.SendOptions, cb func(error)) bool {
	return w.Process.SendWithOptions(message, handle, opts, cb)
}

// IsDead reports whether the process has exited.
//
// Mirrors lib/internal/cluster/worker.js Worker.prototype.isDead().
func (w *Worker) IsDead() bool {
	code, sig := w.Process.Exited()
	return code != nil || sig != ""
}

// IsConnected reports whether the channel is connected.
//
// Mirrors lib/internal/cluster/worker.js Worker.prototype.isConnected().
func (w *Worker) IsConnected() bool { return w.Process.IsConnected() }
