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
// a worker, the process itself ([CurrentWorker]).
type Worker = worker.Worker

// Address is the "listening" event's address object.
type Address = worker.Address

// Settings are cluster.settings.
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

// SchedulingPolicy is cluster.schedulingPolicy.
func SchedulingPolicy() int { return master.C.SchedulingPolicy }

// SetSchedulingPolicy sets cluster.schedulingPolicy; it takes effect only
// before the first SetupPrimary or Fork, which freezes it, as in Node.
func SetSchedulingPolicy(p int) { master.C.SchedulingPolicy = p }

// Disconnect disconnects every worker and calls cb once all are gone
// (primary only).
//
// Mirrors lib/internal/cluster/primary.js cluster.disconnect().
func Disconnect(cb func()) { master.Disconnect(cb) }

// Object is a message as it arrives: a JS object with its keys in order.
// Read it with String, Number, Int, Bool, Object or Value; build one with
// NewObject to control the order of keys on the wire (any other value
// that encoding/json can encode may be sent too).
type Object = childprocess.Object

// NewObject builds an Object from key, value pairs.
func NewObject(kv ...any) *Object { return childprocess.NewObject(kv...) }

// Undefined is JS undefined in an Object: the key is left out on the wire.
var Undefined = childprocess.Undefined

// SendOptions are send's options (Worker.SendWithOptions): KeepOpen
// leaves a sent socket open in the sender too.
type SendOptions = childprocess.SendOptions
