package master

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/handle"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/trace"
	"github.com/nodecluster/nodecluster/internal/utils"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/internal/worker"
)

// Scheduling policies.
const (
	SchedNone = 1 // leave it to the operating system
	SchedRR   = 2 // the primary distributes connections
)

// Settings are cluster.settings.
//
// OMITTED(node): inspectPort and windowsHide are not ported; the stdio
// array's entries are the strings "pipe", "inherit", "ignore" and "ipc"
// (Node also takes a descriptor's number, a stream, null or "overlapped"
// there).
type Settings struct {
	// Exec is the script ExecPath runs (Node's exec); empty for a Go
	// binary, which is its own program.
	Exec string
	// ExecPath is the program to start. DEVIATION(shape): Node always runs
	// process.execPath; this Go-only setting defaults to os.Executable().
	ExecPath string
	Args     []string
	ExecArgv []string
	Silent   bool
	// Stdio is Node's stdio setting: entry i chooses the worker's fd i,
	// "pipe", "inherit", "ignore" or "ipc" (the channel's fd, once); it
	// overrides Silent. The parent's ends of pipes are the worker
	// process's Stdio (childprocess.ForkOptions.Stdio says more).
	Stdio []string
	Cwd   string
	UID   *int
	GID   *int
	// Serialization is "json" (the default) or "advanced": how messages
	// go between the primary and its workers, both ways (fork's
	// serialization option; the worker learns it from
	// NODE_CHANNEL_SERIALIZATION_MODE). Any other value is fork's
	// ERR_INVALID_ARG_VALUE.
	Serialization string
}

// Cluster is the primary's cluster object (primary.js's exports).
type Cluster struct {
	events.EventEmitter
	// Workers is cluster.workers, by id.
	Workers map[int]*worker.Worker
	// Settings is cluster.settings once setupPrimary ran.
	Settings Settings
	// SchedulingPolicy is cluster.schedulingPolicy; it is frozen at the
	// first setupPrimary.
	SchedulingPolicy int
}

// C is the primary's cluster object.
var C = &Cluster{Workers: make(map[int]*worker.Worker)}

var (
	handles     utils.SafeMap[handle.Handle]
	intercom    = &events.EventEmitter{}
	ids         = 0
	initialized = false
	// schedulingPolicy is the policy in force, frozen from
	// C.SchedulingPolicy at the first setupPrimary.
	schedulingPolicy = 0
)

func init() {
	switch os.Getenv("NODE_CLUSTER_SCHED_POLICY") {
	case "none":
		C.SchedulingPolicy = SchedNone
	default:
		C.SchedulingPolicy = SchedRR
	}
	if !process.IsClusterWorker {
		worker.Side = primarySide
	}
}

// primarySide is installed as the Worker methods when this process is the
// primary (cluster decides which side loads).
var primarySide = worker.Methods{Disconnect: disconnectMethod, Destroy: destroyMethod}

// Install makes the primary's Worker methods the ones in use.
func Install() { worker.Side = primarySide }

// SetupPrimary merges options into cluster.settings (non-zero fields
// override), freezes the scheduling policy the first time, and emits
// "setup" on the next tick.
//
// DEVIATION(shape): Node merges the keys an options object has; a Go
// struct has every field, so a zero field counts as absent (Args: a nil
// slice). A bool set to true cannot be set back to false this way: after
// Silent: true, Stdio: []string{"inherit", "inherit", "inherit", "ipc"}
// gives the next workers the primary's output again, since stdio wins over
// silent, as in Node.
//
// Mirrors lib/internal/cluster/primary.js cluster.setupPrimary().
func SetupPrimary(options *Settings) error {
	if process.IsClusterWorker {
		return errNotInWorker("setupPrimary")
	}
	s := C.Settings
	if !initialized {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("cluster: cannot find the running executable: %w", err)
		}
		s = Settings{ExecPath: exe, Args: append([]string{}, os.Args[1:]...)}
	}
	if options != nil {
		mergeSettings(&s, options)
	}
	// V8 writes one profile per process only when told where.
	if slices.ContainsFunc(s.ExecArgv, func(a string) bool { return strings.HasPrefix(a, "--prof") }) &&
		!slices.ContainsFunc(s.ExecArgv, func(a string) bool { return strings.HasPrefix(a, "--logfile=") }) {
		s.ExecArgv = append(slices.Clone(s.ExecArgv), "--logfile=v8-%p.log")
	}
	C.Settings = s
	l := uv.Default()
	if initialized {
		l.NextTick(func() { setupSettingsNT(s) })
		return nil
	}
	initialized = true
	schedulingPolicy = C.SchedulingPolicy
	if C.SchedulingPolicy != SchedNone && C.SchedulingPolicy != SchedRR {
		return childprocess.InternalAssertion(fmt.Sprintf("Bad cluster.schedulingPolicy: %d", C.SchedulingPolicy))
	}
	l.NextTick(func() { setupSettingsNT(s) })
	return nil
}

func mergeSettings(s *Settings, o *Settings) {
	if o.Exec != "" {
		s.Exec = o.Exec
	}
	if o.ExecPath != "" {
		s.ExecPath = o.ExecPath
	}
	if o.Args != nil {
		s.Args = o.Args
	}
	if o.ExecArgv != nil {
		s.ExecArgv = o.ExecArgv
	}
	if o.Silent {
		s.Silent = true
	}
	if o.Stdio != nil {
		s.Stdio = o.Stdio
	}
	if o.Cwd != "" {
		s.Cwd = o.Cwd
	}
	if o.UID != nil {
		s.UID = o.UID
	}
	if o.GID != nil {
		s.GID = o.GID
	}
	if o.Serialization != "" {
		s.Serialization = o.Serialization
	}
}

// setupSettingsNT emits "setup" with the settings.
//
// Mirrors lib/internal/cluster/primary.js setupSettingsNT().
func setupSettingsNT(s Settings) { C.Emit("setup", s) }

// createWorkerProcess forks the worker: the primary's environment plus
// env plus NODE_UNIQUE_ID, under the settings.
//
// Mirrors lib/internal/cluster/primary.js createWorkerProcess().
func createWorkerProcess(id int, env map[string]string) (*childprocess.ChildProcess, error) {
	merged := map[string]string{}
	var order []string
	add := func(k, v string) {
		if _, ok := merged[k]; !ok {
			order = append(order, k)
		}
		merged[k] = v
	}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		add(k, v)
	}
	// Node adds fork's variables in its object's order; a Go map has none,
	// so the new ones come sorted, the same in every fork.
	for _, k := range slices.Sorted(maps.Keys(env)) {
		add(k, env[k])
	}
	add("NODE_UNIQUE_ID", strconv.Itoa(id))
	envList := make([]string, 0, len(order))
	for _, k := range order {
		envList = append(envList, k+"="+merged[k])
	}
	s := C.Settings
	execArgv := slices.Clone(s.ExecArgv)
	if isUsingInspector(s.ExecArgv) {
		execArgv = append(execArgv, "--inspect-port="+strconv.Itoa(getInspectPort()))
	}
	cp, err := childprocess.Fork(uv.Default(), s.Exec, s.Args, childprocess.ForkOptions{
		ExecPath: s.ExecPath, ExecArgv: execArgv, Cwd: s.Cwd, Env: envList,
		Silent: s.Silent, Stdio: s.Stdio, UID: s.UID, GID: s.GID, Serialization: s.Serialization,
		Label: "worker:" + strconv.Itoa(id),
	})
	if err == nil && cp != nil && cp.Target != nil {
		// 1 (Node's one handle at a time) unless the opt-in says more.
		cp.Target.NativeInFlight = handle.HandoffsInFlight
	}
	return cp, err
}

// removeWorker forgets a worker; with none left, cluster's pending
// disconnect callbacks run.
//
// DEVIATION(fix): Node v20 asserts that no handle is left once the last
// worker is gone and throws (the primary dies) when one is; the port
// prints the leak on stderr and goes on.
//
// Mirrors lib/internal/cluster/primary.js removeWorker().
func removeWorker(w *worker.Worker) {
	delete(C.Workers, w.ID)
	if len(C.Workers) == 0 {
		if handles.Len() != 0 {
			fmt.Fprintf(os.Stderr, "cluster: Resource leak detected: %d handle(s) left after the last worker\n", handles.Len())
		}
		intercom.Emit("disconnect")
	}
}

// removeHandlesForWorker takes the worker out of every handle, dropping
// the handles left with no worker.
//
// Mirrors lib/internal/cluster/primary.js removeHandlesForWorker().
func removeHandlesForWorker(w *worker.Worker) {
	for _, key := range handles.Keys() {
		if h, _ := handles.Get(key); h != nil && h.Remove(w) {
			deleteHandle(key)
		}
	}
}

// Fork starts a worker process and returns its Worker at once (state
// "none"); "fork" is emitted on the next tick, "online" when the worker
// says so.
//
// DEVIATION(errno): a program that cannot be started (no such file, not
// executable, a missing cwd) is Fork's error, Node's "spawn <file> ENOENT"
// with its code and errno, and no Worker is made (the id is used up, as
// in Node). Node returns a Worker whose process emits that error on the
// next tick, followed by "disconnect" and no "exit". In a worker Fork is
// an error, as cluster.fork is undefined there.
//
// Mirrors lib/internal/cluster/primary.js cluster.fork().
func Fork(env map[string]string) (*worker.Worker, error) {
	if process.IsClusterWorker {
		return nil, errNotInWorker("fork")
	}
	if err := SetupPrimary(nil); err != nil {
		return nil, err
	}
	ids++
	id := ids
	proc, err := createWorkerProcess(id, env)
	if err != nil {
		return nil, err
	}
	w := worker.New(worker.Options{ID: id, Process: proc})
	trace.Step("master.Fork", "primary.js cluster.fork", "worker %d pid %d", id, proc.Pid)

	w.On("message", func(message any, h any) {
		C.Emit("message", w, message, h)
	})
	proc.Once("exit", func(exitCode any, signalCode any) {
		if !w.IsConnected() {
			removeHandlesForWorker(w)
			handle.WorkerGone(w)
			removeWorker(w)
		}
		setExitedAfterDisconnect(w)
		w.State = worker.StateDead
		w.Emit("exit", exitCode, signalCode)
		C.Emit("exit", w, exitCode, signalCode)
	})
	proc.Once("disconnect", func() {
		removeHandlesForWorker(w)
		handle.WorkerGone(w)
		if w.IsDead() {
			removeWorker(w)
		}
		setExitedAfterDisconnect(w)
		w.State = worker.StateDisconnected
		w.Emit("disconnect")
		C.Emit("disconnect", w)
	})
	proc.On("internalMessage", utils.Internal(func(m *childprocess.Object, h any) { onmessage(w, m, h) }))
	proc.OnNativeNack = nackedHandoff
	uv.Default().NextTick(func() { emitForkNT(w) })
	C.Workers[w.ID] = w
	return w, nil
}

func setExitedAfterDisconnect(w *worker.Worker) {
	v := w.ExitedAfterDisconnect != nil && *w.ExitedAfterDisconnect
	w.ExitedAfterDisconnect = &v
}

// emitForkNT emits "fork".
//
// Mirrors lib/internal/cluster/primary.js emitForkNT().
func emitForkNT(w *worker.Worker) { C.Emit("fork", w) }

// Disconnect disconnects every connected worker and calls cb once all are
// gone. In a worker it is an error and does nothing, as
// cluster.disconnect is undefined there.
//
// Mirrors lib/internal/cluster/primary.js cluster.disconnect().
func Disconnect(cb func()) error {
	if process.IsClusterWorker {
		return errNotInWorker("disconnect")
	}
	if len(C.Workers) == 0 {
		uv.Default().NextTick(func() { intercom.Emit("disconnect") })
	} else {
		for _, id := range sortedIDs() {
			if w := C.Workers[id]; w != nil && w.IsConnected() {
				w.Disconnect()
			}
		}
	}
	if cb != nil {
		intercom.Once("disconnect", cb)
	}
	return nil
}

// onmessage dispatches a worker's cluster message by its act.
//
// Mirrors lib/internal/cluster/primary.js onmessage().
func onmessage(w *worker.Worker, message *childprocess.Object, _ any) {
	act, _ := message.String("act")
	switch act {
	case "close":
		closeHandle(w, message)
	case "exitedAfterDisconnect":
		exitedAfterDisconnect(w, message)
	case "listening":
		listening(w, message)
	case "online":
		online(w)
	case "queryServer":
		queryServer(w, message)
	}
	// Any other act is ignored, as Node ignores it.
}

// online marks the worker online and emits "online" on it and on cluster.
//
// Mirrors lib/internal/cluster/primary.js online().
func online(w *worker.Worker) {
	w.State = worker.StateOnline
	trace.Step("master.online", "primary.js online", "worker %d online", w.ID)
	w.Emit("online")
	C.Emit("online", w)
}

// exitedAfterDisconnect records that the worker is leaving on purpose and
// acknowledges it.
//
// Mirrors lib/internal/cluster/primary.js exitedAfterDisconnect().
func exitedAfterDisconnect(w *worker.Worker, message *childprocess.Object) {
	t := true
	w.ExitedAfterDisconnect = &t
	send(w, childprocess.NewObject("ack", message.Value("seq")), nil, nil)
}

// queryServer finds or creates the handle for the worker's listen key
// (address:port:addressType:fd:index) and adds the worker to it; the
// handle's reply goes back with ack set to the query's seq.
//
// Mirrors lib/internal/cluster/primary.js queryServer().
func queryServer(w *worker.Worker, message *childprocess.Object) {
	if w.ExitedAfterDisconnect != nil && *w.ExitedAfterDisconnect {
		return
	}
	key := childprocess.ToJSString(message.Value("address")) + ":" +
		childprocess.ToJSString(message.Value("port")) + ":" +
		childprocess.ToJSString(message.Value("addressType")) + ":" +
		childprocess.ToJSString(message.Value("fd")) + ":" +
		childprocess.ToJSString(message.Value("index"))
	h, _ := handles.Get(key)
	if h != nil && h.Has(w) {
		duplicateQuery(w, key, h, message)
		return
	}
	created := h == nil
	trace.Step("master.queryServer", "primary.js queryServer", "worker %d key %s (new handle: %v)", w.ID, key, created)
	if h == nil {
		address := message.Value("address")
		if a, ok := address.(string); ok && childprocess.ToNumber(message.Value("port")) < 0 {
			if cwd, err := os.Getwd(); err == nil {
				if rel, err := filepath.Rel(cwd, a); err == nil && len(rel) <= len(a) {
					address = rel
				}
			}
		}
		at := message.Value("addressType")
		if schedulingPolicy != SchedRR || at == "udp4" || at == "udp6" {
			h = handle.NewSharedHandle(key, address, message)
		} else {
			h = handle.NewRoundRobinHandle(key, address, message)
		}
		setHandle(key, h)
	}
	if h.Data() == nil {
		h.SetData(message.Value("data"))
	}
	q := &queryReply{w: w, key: key, message: message}
	h.Add(w, q.send)

}

// queryReply is the callback queryServer gives the handle: it sends the
// worker {errno, key, ack, data, ...reply} with the handle, if any.
type queryReply struct {
	w       *worker.Worker
	key     string
	message *childprocess.Object
}

// send replies to the worker's queryServer; on an error the key is
// dropped so that another worker may try again.
//
// Mirrors lib/internal/cluster/primary.js:/handle\.add\(worker, \(errno, reply, handle\) => \{/.
func (q *queryReply) send(errno any, reply *childprocess.Object, sendHandle any) {
	var data any
	if cur, _ := handles.Get(q.key); cur != nil {
		data = cur.Data()
	}
	if errno != nil && errno != 0 {
		deleteHandle(q.key)
	}
	out := childprocess.NewObject("errno", errno, "key", q.key, "ack", q.message.Value("seq"), "data", data)
	out.Assign(reply)
	trace.Step("master.queryServer", "primary.js queryServer inner handle.add callback", "reply to worker %d: errno %s key %s", q.w.ID, childprocess.ToJSString(errno), q.key)
	send(q.w, out, sendHandle, nil)
}

// listening marks the worker listening and emits "listening" with the
// address object on it and on cluster.
//
// Mirrors lib/internal/cluster/primary.js listening().
func listening(w *worker.Worker, message *childprocess.Object) {
	info := worker.Address{
		AddressType: jsValue(message.Value("addressType")),
		Address:     jsValue(message.Value("address")),
		Port:        message.Int("port", 0),
		Fd:          jsValue(message.Value("fd")),
	}
	w.State = worker.StateListening
	trace.Step("master.listening", "primary.js listening", "worker %d listening on port %d", w.ID, info.Port)
	w.Emit("listening", info)
	C.Emit("listening", w, info)
}

// jsValue turns undefined into nil and whole numbers into int, for Go
// readers of an address object.
func jsValue(v any) any {
	if v == childprocess.Undefined {
		return nil
	}
	if f, ok := v.(float64); ok && f == float64(int(f)) {
		return int(f)
	}
	return v
}

// closeHandle takes the worker out of the handle for a key its server
// closed.
//
// Mirrors lib/internal/cluster/primary.js close().
func closeHandle(w *worker.Worker, message *childprocess.Object) {
	key, _ := message.String("key")
	if h, _ := handles.Get(key); h != nil && h.Remove(w) {
		deleteHandle(key)
	}
}

// send sends a cluster message to a worker.
//
// Mirrors lib/internal/cluster/primary.js send().
func send(w *worker.Worker, message *childprocess.Object, h any, cb utils.Callback) bool {
	return utils.SendHelper(w.Process, message, h, cb)
}

// disconnectMethod is the primary's worker.disconnect(): tell the worker,
// and forget it and its handles at once.
//
// Mirrors lib/internal/cluster/primary.js Worker.prototype.disconnect().
func disconnectMethod(w *worker.Worker) {
	t := true
	w.ExitedAfterDisconnect = &t
	send(w, childprocess.NewObject("act", "disconnect"), nil, nil)
	removeHandlesForWorker(w)
	removeWorker(w)
}

// destroyMethod is the primary's worker.destroy(signal): a plain signal,
// SIGTERM by default; a name Node does not know is ERR_UNKNOWN_SIGNAL,
// and nothing is sent.
//
// Mirrors lib/internal/cluster/primary.js Worker.prototype.destroy().
func destroyMethod(w *worker.Worker, signal string) error {
	if signal == "" {
		signal = "SIGTERM"
	}
	if !childprocess.ValidSignal(signal) {
		return childprocess.UnknownSignal(signal)
	}
	w.Process.Kill(signal)
	return nil
}

func setHandle(key string, h handle.Handle) { handles.Set(key, h) }

func deleteHandle(key string) { handles.Delete(key) }

func sortedIDs() []int { return slices.Sorted(maps.Keys(C.Workers)) }

// HandleCount is how many listen keys the primary holds (for tests).
func HandleCount() int { return handles.Len() }
