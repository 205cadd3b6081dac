package cluster

import (
	"github.com/nodecluster/nodecluster/internal/child"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/master"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/worker"
)

// Worker is a cluster worker: in the primary, one per forked process; in
// a worker, the process itself ([CurrentWorker]). It is defined in
// internal/worker (go doc ./internal/worker Worker has each method's
// doc); what it has, by Node's names:
//
//   - fields: ID (worker.id), State (worker.state), ExitedAfterDisconnect
//     (nil until it is known, Node's undefined) and Process
//     (worker.process: the forked [ChildProcess] in the primary, the
//     [Process] itself in a worker);
//   - methods: Send and SendWithOptions (worker.send), Disconnect, Kill
//     and Destroy (worker.kill and worker.destroy; "" is SIGTERM, a bad
//     signal name is returned as an error), IsConnected, IsDead, and the
//     event emitter's On, Once, Off, Emit and the rest;
//   - events, with the listeners they call: "online" func(), "listening"
//     func(Address), "message" func(message, handle any), "disconnect"
//     func(), "exit" func(code, signal any) (the exit code as an int or
//     nil, the signal's name as a string or nil: JS null), "error"
//     func(error).
//
// The package's own events pass the Worker first: [On]("exit",
// func(w *Worker, code, signal any)), [On]("listening", func(w *Worker,
// a Address)), and so on; "fork", "online" and "disconnect" pass the
// Worker alone, "setup" the [Settings].
type Worker = worker.Worker

// WorkerOptions are the options of [NewWorker]: ID, State ("none" when
// empty) and Process.
type WorkerOptions = worker.Options

// NewWorker is new cluster.Worker(options): a Worker with no process
// unless options give one, whose "error" and "message" events it then
// forwards. [Fork] is how a primary gets a Worker for a new process; this
// constructor is what Node exports as cluster.Worker.
//
// Mirrors lib/internal/cluster/worker.js Worker().
func NewWorker(options WorkerOptions) *Worker { return worker.New(options) }

// Address is the "listening" event's address object: AddressType (4, 6,
// or -1 for a pipe, as Node gives it), Address (the host, the pipe's path,
// or nil: JS null, for a listen without a host), Port (-1 for a pipe)
// and Fd (nil, Node's undefined, unless the server listened on a
// descriptor). encoding/json writes it as JSON.stringify writes Node's.
type Address = worker.Address

// ChildProcess is what a Worker's Process is in the primary: the forked
// process (Node's ChildProcess), with Ref, Unref, Kill, Pid and its stdio.
// worker.process.unref() is
//
//	w.Process.(*cluster.ChildProcess).Unref()
//
// In a worker, CurrentWorker().Process is the process itself ([Process]).
type ChildProcess = childprocess.ChildProcess

// Settings are cluster.settings: Exec, ExecPath (the program to start,
// this binary by default: a Go-only setting), Args, ExecArgv, Silent,
// Stdio, Cwd, UID, GID and Serialization ("json" or "advanced"). Give
// [SetupPrimary] the fields to change; a zero field leaves the setting as
// it is (go doc ./internal/master Settings has each field's doc). They
// encode to JSON as JSON.stringify writes Node's cluster.settings
// ({args, exec, execArgv, silent, ...}).
type Settings = master.Settings

// Scheduling policies: SCHED_NONE leaves connections to the operating
// system, SCHED_RR has the primary hand them out in turn.
const (
	SCHED_NONE = master.SchedNone //nolint:revive // Node's name
	SCHED_RR   = master.SchedRR   //nolint:revive // Node's name
)

var (
	// IsWorker is true in a process started by cluster.fork.
	IsWorker = process.IsClusterWorker
	// IsPrimary is true in every other process.
	IsPrimary = !process.IsClusterWorker
	// IsMaster is IsPrimary under its old name.
	//
	// Deprecated: use IsPrimary, as Node v16+ does.
	IsMaster = IsPrimary
)

// Run runs main as a Node process runs a script, then the event loop
// until it is empty, and exits with the process's exit code. It does not
// return.
func Run(main func()) { process.Run(main) }

func emitter() *events.EventEmitter {
	if IsWorker {
		return &child.C.EventEmitter
	}
	return &master.C.EventEmitter
}

// On adds a listener for a cluster event: "fork", "online", "listening",
// "message", "disconnect", "exit", "setup" (primary), with Node's
// arguments, e.g. func(w *cluster.Worker, addr cluster.Address) for
// "listening".
func On(event string, fn any) *events.Listener { return emitter().On(event, fn) }

// Once adds a listener that runs once.
func Once(event string, fn any) *events.Listener { return emitter().Once(event, fn) }

// RemoveListener removes a listener added with On or Once.
func RemoveListener(l *events.Listener) { emitter().RemoveListener(l) }

// Listener is a registered listener, as On returns it; RemoveListener
// takes it, and "newListener" and "removeListener" listeners receive it
// after the event name.
type Listener = events.Listener

// The rest of the cluster module object's EventEmitter methods. Node's
// cluster module is a plain EventEmitter: a MaxListenersExceededWarning
// calls it [EventEmitter].

// Off is RemoveListener under its other name.
func Off(l *Listener) { emitter().Off(l) }

// Prepend adds a listener that runs before those already added
// (cluster.prependListener).
func Prepend(event string, fn any) *Listener { return emitter().Prepend(event, fn) }

// PrependOnce adds a listener that runs once, before those already added
// (cluster.prependOnceListener).
func PrependOnce(event string, fn any) *Listener { return emitter().PrependOnce(event, fn) }

// RemoveAllListeners removes every listener of event, or of every event
// when event is "" (cluster.removeAllListeners).
func RemoveAllListeners(event string) { emitter().RemoveAllListeners(event) }

// Emit calls event's listeners with args (cluster.emit).
func Emit(event string, args ...any) bool { return emitter().Emit(event, args...) }

// ListenerCount is the number of listeners of event (cluster.listenerCount).
func ListenerCount(event string) int { return emitter().ListenerCount(event) }

// Listeners is a copy of event's listener functions (cluster.listeners).
func Listeners(event string) []any { return emitter().Listeners(event) }

// RawListeners is a copy of event's registrations (cluster.rawListeners).
func RawListeners(event string) []*Listener { return emitter().RawListeners(event) }

// EventNames lists the events that have listeners (cluster.eventNames).
func EventNames() []string { return emitter().EventNames() }

// SetMaxListeners sets how many listeners an event may have before adding
// one more prints a MaxListenersExceededWarning; 0 is no limit
// (cluster.setMaxListeners).
func SetMaxListeners(n int) { emitter().SetMaxListeners(n) }

// GetMaxListeners is the limit SetMaxListeners set, 10 by default
// (cluster.getMaxListeners).
func GetMaxListeners() int { return emitter().GetMaxListeners() }

// Fork starts a worker with the primary's environment plus env.
//
// Mirrors lib/internal/cluster/primary.js cluster.fork().
func Fork(env map[string]string) (*Worker, error) { return master.Fork(env) }

// SetupPrimary changes the settings later forks use; non-zero fields of
// options override.
//
// Mirrors lib/internal/cluster/primary.js cluster.setupPrimary().
func SetupPrimary(options *Settings) error { return master.SetupPrimary(options) }

// SetupMaster is SetupPrimary under its old name.
//
// Deprecated: use SetupPrimary.
//
// Mirrors lib/internal/cluster/primary.js cluster.setupMaster().
func SetupMaster(options *Settings) error { return master.SetupPrimary(options) }

// Workers is cluster.workers: the live workers by id (primary only; do
// not modify the map).
func Workers() map[int]*Worker { return master.C.Workers }

// CurrentWorker is cluster.worker: this process's Worker in a worker, nil
// in the primary.
func CurrentWorker() *Worker { return child.C.Worker }

// GetSettings is cluster.settings.
func GetSettings() Settings { return master.C.Settings }

// SchedulingPolicy is cluster.schedulingPolicy: SCHED_RR or SCHED_NONE in
// the primary, 0 in a worker, where Node's is undefined (a worker does not
// choose: it does what the primary's answer to its listen says).
func SchedulingPolicy() int {
	if IsWorker {
		return 0
	}
	return master.C.SchedulingPolicy
}

// SetSchedulingPolicy sets cluster.schedulingPolicy; it takes effect only
// before the first SetupPrimary or Fork, which freezes it, as in Node.
func SetSchedulingPolicy(p int) { master.C.SchedulingPolicy = p }

// Disconnect disconnects every worker and calls cb once all are gone. In
// a worker, where Node's cluster.disconnect is undefined, it returns the
// TypeError calling it would throw ("cluster.disconnect is not a
// function") and does nothing.
//
// Mirrors lib/internal/cluster/primary.js cluster.disconnect().
func Disconnect(cb func()) error { return master.Disconnect(cb) }

// Object is a message as it arrives: a JS object with its keys in order.
// Read it with String, Number, Int, Bool, Object or Value; build one with
// NewObject to control the order of keys on the wire (any other value
// that encoding/json can encode may be sent too).
type Object = childprocess.Object

// NewObject builds an Object from key, value pairs.
func NewObject(kv ...any) *Object { return childprocess.NewObject(kv...) }

// Undefined is JS undefined in an Object: the key is left out on a JSON
// channel; an advanced one carries it.
var Undefined = childprocess.Undefined

// Values that only a channel with serialization "advanced" carries (see
// Settings.Serialization); on a JSON channel they go as JSON.stringify
// writes them. A Node Buffer is a []byte.
type (
	// Map is a JS Map, its entries in order.
	Map = childprocess.Map
	// MapEntry is one entry of a Map.
	MapEntry = childprocess.MapEntry
	// Set is a JS Set, its values in order.
	Set = childprocess.Set
	// Date is a JS Date (milliseconds since the epoch).
	Date = childprocess.Date
	// RegExp is a JS RegExp's source and flags.
	RegExp = childprocess.RegExp
	// BigInt is a JS BigInt.
	BigInt = childprocess.BigInt
	// PrimitiveObject is a wrapper object such as new Number(1).
	PrimitiveObject = childprocess.PrimitiveObject
	// ArrayBuffer is a JS ArrayBuffer.
	ArrayBuffer = childprocess.ArrayBuffer
	// TypedArray is a typed array or DataView other than a Buffer.
	TypedArray = childprocess.TypedArray
	// TypedArrayKind names a TypedArray's constructor.
	TypedArrayKind = childprocess.TypedArrayKind
	// Error is a JS Error object (its name, message, stack and cause).
	Error = childprocess.Error
	// Array is a JS array with properties besides its elements.
	Array = childprocess.Array
	// DataCloneError is what Send panics with for a value V8 cannot
	// clone (a Go function or channel) on an advanced channel.
	DataCloneError = childprocess.DataCloneError
)

// The kinds of TypedArray.
const (
	Int8Array         = childprocess.Int8Array
	Uint8Array        = childprocess.Uint8Array
	Uint8ClampedArray = childprocess.Uint8ClampedArray
	Int16Array        = childprocess.Int16Array
	Uint16Array       = childprocess.Uint16Array
	Int32Array        = childprocess.Int32Array
	Uint32Array       = childprocess.Uint32Array
	Float32Array      = childprocess.Float32Array
	Float64Array      = childprocess.Float64Array
	DataView          = childprocess.DataView
	BigInt64Array     = childprocess.BigInt64Array
	BigUint64Array    = childprocess.BigUint64Array
)

// Hole is an array's missing element ([1, , 3]) on an advanced channel.
var Hole = childprocess.Hole

// NewMap builds a Map from key, value pairs.
func NewMap(kv ...any) *Map { return childprocess.NewMap(kv...) }

// NewSet builds a Set of the values.
func NewSet(values ...any) *Set { return childprocess.NewSet(values...) }

// NewBigInt is the BigInt of n.
func NewBigInt(n int64) BigInt { return childprocess.NewBigInt(n) }

// SendOptions are send's options (Worker.SendWithOptions): KeepOpen
// leaves a sent socket open in the sender too.
type SendOptions = childprocess.SendOptions
