package child

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/trace"
	"github.com/nodecluster/nodecluster/internal/utils"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/internal/worker"
)

// Cluster is the worker side's cluster object (child.js's module
// exports): an event emitter with this process's Worker.
type Cluster struct {
	events.EventEmitter
	// Worker is cluster.worker: this process's Worker once set up.
	Worker *worker.Worker
}

// C is the worker's cluster object.
var C = &Cluster{}

type indexSet struct {
	nextIndex int
	set       map[int]struct{}
}

var (
	// handles maps a key to the handle listening on it in this worker.
	handles utils.SafeMap[uv.ServerHandle]
	// indexes keeps, per address:port:addressType:fd, which indexes are in
	// use, so a second listen on the same address gets the next one.
	indexes = make(map[string]*indexSet)
)

// Server is what GetServer needs of the object asking (a net.Server).
type Server interface {
	Once(event string, fn any) *events.Listener
	// AddressPort is the port server.address() reports, or 0.
	AddressPort() int
}

// Hooks lets net give child what it needs of net.Server without an
// import cycle (net imports child).
var Hooks struct {
	// Full reports self.maxConnections && self._connections >= self.maxConnections.
	Full func(owner any) bool
	// Close closes the server that owns a handle (handle[owner_symbol].close(cb)).
	Close func(owner any, cb func())
	// OnConnection calls net's onconnection for the server owning h.
	OnConnection func(h uv.ServerHandle, client *uv.Stream)
}

// ListenCallback gets the result of a listen through the cluster: an
// errno (0 on success) and the handle to install.
type ListenCallback func(errno int, handle uv.ServerHandle)

func init() {
	process.OnStartup(initializeClusterIPC)
	if process.IsClusterWorker {
		worker.Side = worker.Methods{Disconnect: disconnectMethod, Destroy: destroyMethod}
	}
}

// initializeClusterIPC is Node's start-up step: a process started with NODE_UNIQUE_ID
// becomes a worker before the program's main code runs; the variable is
// then removed from the environment.
//
// DEVIATION(fix): with NODE_UNIQUE_ID set and no IPC channel
// (NODE_CHANNEL_FD unset), Node v20 runs the program as a worker that
// cannot reach any primary: cluster.worker.send throws a TypeError, and
// a server's listen never completes, silently, so the process just ends.
// The port says what is wrong on stderr and exits with code 1 before the
// program's code runs. NODECLUSTER_REPRODUCE_V20=no-channel runs it as
// Node does (a worker whose sends return false).
//
// Mirrors lib/internal/process/pre_execution.js initializeClusterIPC().
func initializeClusterIPC(p *process.Process) {
	if !process.IsClusterWorker || os.Getenv("NODE_UNIQUE_ID") == "" {
		// Set but empty: Node's check is for a truthy value, so the
		// process is a worker (cluster.isWorker) that never sets up, and
		// the variable stays.
		return
	}
	if !p.HasChannel && !ReproduceNoChannel {
		fmt.Fprintln(os.Stderr, "nodecluster: NODE_UNIQUE_ID is set but there is no IPC channel (NODE_CHANNEL_FD): a worker must be started by a cluster primary")
		p.Exit(1)
		return
	}
	setupWorker(p)
}

// ReproduceNoChannel, set by NODECLUSTER_REPRODUCE_V20=no-channel, runs a
// process with NODE_UNIQUE_ID and no channel as a worker, as Node v20 does.
var ReproduceNoChannel = childprocess.Reproduce("no-channel")

// setupWorker builds this process's Worker, exits when the channel closes
// without a disconnect having been asked, listens for the primary's
// messages and sends "online".
//
// Mirrors lib/internal/cluster/child.js cluster._setupWorker().
func setupWorker(p *process.Process) {
	id := int(childprocess.ToInt32(childprocess.StringToNumber(getenvAndUnset("NODE_UNIQUE_ID")))) // +v | 0
	w := worker.New(worker.Options{ID: id, Process: p, State: worker.StateOnline})
	C.Worker = w
	trace.SetProcess("worker:" + strconv.Itoa(id))
	trace.Step("child.setupWorker", "child.js cluster._setupWorker", "worker %d pid %d: send online", id, p.GetPid())

	p.Once("disconnect", func() {
		w.Emit("disconnect")
		if w.ExitedAfterDisconnect == nil || !*w.ExitedAfterDisconnect {
			// The channel closed without a disconnect: the primary is gone.
			p.Exit(0)
		}
	})
	p.On("internalMessage", utils.Internal(onmessage))
	// "online" waits until the process has taken the named signals from
	// the Go runtime (a goroutine does it beside start-up, in about half a
	// millisecond): a primary that signals a worker once it is online, or
	// once it has its first message, finds the signal's default action, as
	// with a Node worker. Before, the runtime ignored some (SIGXCPU,
	// SIGVTALRM, SIGALRM: the worker lived on) and crashed with exit 2 on
	// others (SIGQUIT, SIGABRT, SIGSEGV).
	process.AwaitNamedSignals()
	send(childprocess.NewObject("act", "online"), nil)
}

// onmessage dispatches the primary's messages to this worker.
//
// Mirrors lib/internal/cluster/child.js cluster._setupWorker() inner onmessage().
func onmessage(message *childprocess.Object, handle any) {
	act, _ := message.String("act")
	switch act {
	case "newconn":
		onconnection(message, handle)
	case "disconnect":
		disconnect(C.Worker, true)
	}
}

// GetServer asks the primary for a server handle for obj: it picks the
// next index for the address, sends {act:"queryServer", index, data, ...
// options}, and passes the reply to shared (a handle came back) or rr
// (round-robin). Once obj is listening it tells the primary "listening".
//
// options is listenInCluster's serverQuery, keys in Node's order.
//
// Mirrors lib/internal/cluster/child.js cluster._getServer().
func GetServer(obj Server, options *childprocess.Object, cb ListenCallback) {
	address := options.Value("address")
	port, _ := options.Number("port")
	if s, ok := address.(string); ok && port < 0 {
		if abs, err := filepath.Abs(s); err == nil {
			address = abs
		}
	}
	indexesKey := childprocess.ToJSString(address) + ":" +
		childprocess.ToJSString(options.Value("port")) + ":" +
		childprocess.ToJSString(options.Value("addressType")) + ":" +
		childprocess.ToJSString(options.Value("fd"))
	set := indexes[indexesKey]
	if set == nil {
		set = &indexSet{set: make(map[int]struct{})}
		indexes[indexesKey] = set
	}
	index := set.nextIndex
	set.nextIndex++
	set.set[index] = struct{}{}

	message := childprocess.NewObject("act", "queryServer", "index", index, "data", nil)
	message.Assign(options)
	message.Set("address", address)
	trace.Step("child.GetServer", "child.js cluster._getServer", "indexesKey %s index %d: send queryServer", indexesKey, index)

	q := &serverQuery{obj: obj, options: options, message: message, indexesKey: indexesKey, index: index, cb: cb}
	send(message, q.onReply)
	obj.Once("listening", q.onListening)
}

// serverQuery is one cluster._getServer call: what its two callbacks need.
type serverQuery struct {
	obj        Server
	options    *childprocess.Object
	message    *childprocess.Object
	indexesKey string
	index      int
	cb         ListenCallback
}

// onReply takes the primary's answer to queryServer: a handle came with
// it (shared) or not (round-robin).
//
// Mirrors lib/internal/cluster/child.js:/send\(message, \(reply, handle\) => \{/.
func (q *serverQuery) onReply(reply *childprocess.Object, handle any) {
	if h, ok := handle.(*uv.Stream); ok && h != nil {
		shared(reply, h, q.indexesKey, q.index, q.cb)
	} else {
		rr(reply, q.indexesKey, q.index, q.cb)
	}
}

// onListening reports to the primary that the server listens, reusing
// the query message with act "listening" and the port it got.
//
// Mirrors lib/internal/cluster/child.js:/obj\.once\('listening', \(\) => \{/.
func (q *serverQuery) onListening() {
	if _, ok := indexes[q.indexesKey]; !ok {
		return // closed before it got here
	}
	C.Worker.State = worker.StateListening
	q.message.Set("act", "listening")
	if p := q.obj.AddressPort(); p != 0 {
		q.message.Set("port", p)
	} else {
		q.message.Set("port", q.options.Value("port"))
	}
	trace.Step("child.GetServer", "child.js cluster._getServer inner obj.once('listening')", "send listening port %v", q.message.Value("port"))
	send(q.message, nil)
}

// removeIndexesKey frees an index once its server closed.
//
// Mirrors lib/internal/cluster/child.js removeIndexesKey().
func removeIndexesKey(indexesKey string, index int) {
	set := indexes[indexesKey]
	if set == nil {
		return
	}
	delete(set.set, index)
	if len(set.set) == 0 {
		delete(indexes, indexesKey)
	}
}

// sharedHandle is a listening socket the primary sent (SCHED_NONE) whose
// close also tells the primary.
type sharedHandle struct {
	*uv.Stream
	key        string
	indexesKey string
	index      int
}

// ListeningStream is the listening socket itself, what a send of the
// server passes on (Node's server._handle is that socket's TCP handle).
func (h *sharedHandle) ListeningStream() *uv.Stream { return h.Stream }

// Close tells the primary, forgets the handle, and closes the socket.
//
// Mirrors lib/internal/cluster/child.js shared() inner handle.close().
func (h *sharedHandle) Close(cb func()) {
	send(childprocess.NewObject("act", "close", "key", h.key), nil)
	deleteHandle(h.key)
	removeIndexesKey(h.indexesKey, h.index)
	h.Stream.Close(cb)
}

// shared takes the primary's own listening socket: its close is wrapped
// so the primary hears of it, and the worker accepts on it directly.
//
// Mirrors lib/internal/cluster/child.js shared().
func shared(message *childprocess.Object, handle *uv.Stream, indexesKey string, index int, cb ListenCallback) {
	key, _ := message.String("key")
	h := &sharedHandle{Stream: handle, key: key, indexesKey: indexesKey, index: index}
	setHandle(key, h)
	trace.Step("child.shared", "child.js shared", "key %s fd %d", key, handle.Fd())
	cb(message.Int("errno", 0), h)
}

// fauxHandle is what rr builds: it looks like a listening handle to net,
// but listens on nothing; connections come from the primary instead.
type fauxHandle struct {
	key          string
	hasKey       bool
	indexesKey   string
	index        int
	sockname     *childprocess.Object
	interval     *uv.Timer
	onconnection func(err error, client *uv.Stream)
	owner        any
}

// rr takes the primary's round-robin reply: on success it builds the faux
// handle, refs it, stores it under the key and passes it to the callback.
//
// Mirrors lib/internal/cluster/child.js rr().
func rr(message *childprocess.Object, indexesKey string, index int, cb ListenCallback) {
	if errno := message.Int("errno", 0); errno != 0 {
		trace.Step("child.rr", "child.js rr", "errno %d", errno)
		cb(errno, nil)
		return
	}
	key, _ := message.String("key")
	h := &fauxHandle{key: key, hasKey: true, indexesKey: indexesKey, index: index, sockname: message.Object("sockname")}
	h.Ref()
	setHandle(key, h)
	trace.Step("child.rr", "child.js rr", "key %s: faux handle, sockname %s", key, socknameString(h.sockname))
	cb(0, h)
}

func socknameString(o *childprocess.Object) string {
	if o == nil {
		return "none"
	}
	return o.JSONString()
}

// Ref keeps the worker alive while the server is open, with an interval
// that never fires in practice, as Node does.
//
// Mirrors lib/internal/cluster/child.js rr() inner ref().
func (h *fauxHandle) Ref() {
	if h.interval == nil {
		h.interval = uv.Default().SetInterval((1<<31-1)*time.Millisecond, func() {}) // TIMEOUT_MAX
	}
}

// Unref lets the worker exit with the server open.
//
// Mirrors lib/internal/cluster/child.js rr() inner unref().
func (h *fauxHandle) Unref() {
	if h.interval != nil {
		h.interval.Stop()
		h.interval = nil
	}
}

// Listen does nothing and succeeds: the primary listens.
//
// Mirrors lib/internal/cluster/child.js rr() inner listen().
func (h *fauxHandle) Listen(backlog int) error {
	trace.Step("child.fauxHandle.Listen", "child.js rr inner listen", "backlog %d: nothing to do, the primary listens", backlog)
	return nil
}

// Close tells the primary to stop sending connections for the key. net
// treats it as synchronous; connections still in flight are sent back by
// onconnection.
//
// Mirrors lib/internal/cluster/child.js rr() inner close().
func (h *fauxHandle) Close(cb func()) {
	if !h.hasKey {
		return
	}
	h.Unref()
	send(childprocess.NewObject("act", "close", "key", h.key), nil)
	deleteHandle(h.key)
	removeIndexesKey(h.indexesKey, h.index)
	h.hasKey = false
	trace.Step("child.fauxHandle.Close", "child.js rr inner close", "key %s: send close", h.key)
	if cb != nil {
		uv.Default().NextTick(cb)
	}
}

// Getsockname reports the primary's address for the key.
//
// Mirrors lib/internal/cluster/child.js rr() inner getsockname().
func (h *fauxHandle) Getsockname() (uv.Sockname, error) {
	if h.sockname == nil {
		return uv.Sockname{}, uv.ErrNoGetsockname
	}
	if !h.hasKey {
		return uv.Sockname{}, nil
	}
	addr, _ := h.sockname.String("address")
	fam, _ := h.sockname.String("family")
	return uv.Sockname{Address: addr, Family: fam, Port: h.sockname.Int("port", 0)}, nil
}

// SetOnConnection installs net's onconnection.
func (h *fauxHandle) SetOnConnection(fn func(err error, client *uv.Stream)) {
	h.onconnection = fn
}

// SetOwner records the server.
func (h *fauxHandle) SetOwner(owner any) { h.owner = owner }

// Owner is the server using the handle.
func (h *fauxHandle) Owner() any { return h.owner }

func setHandle(key string, h uv.ServerHandle) { handles.Set(key, h) }

func deleteHandle(key string) { handles.Delete(key) }

// onconnection takes a connection the primary passed: it accepts unless
// no server has the key or the server is at maxConnections, answers
// {ack, accepted}, and gives the socket to the server or closes it.
//
// DEVIATION(fix): a newconn that came without a descriptor (a raw line; a
// Node primary sends each in a NODE_HANDLE) ends a v20 worker, which
// closes or serves a handle that is not there ("TypeError: Cannot read
// properties of undefined (reading 'close')"; node printed it). Here it
// is refused ({accepted: false}: there is nothing to serve) and the worker
// goes on. NODECLUSTER_REPRODUCE_V20=bad-handle throws as v20 does.
//
// Mirrors lib/internal/cluster/child.js onconnection().
func onconnection(message *childprocess.Object, handle any) {
	key, _ := message.String("key")
	server, accepted := handles.Get(key)
	if accepted && server.Owner() != nil && Hooks.Full != nil && Hooks.Full(server.Owner()) {
		accepted = false
	}
	client, _ := handle.(*uv.Stream)
	if client == nil {
		if childprocess.ReproduceBadHandle {
			panic(errors.New("TypeError: Cannot read properties of undefined (reading 'close')"))
		}
		accepted = false
	}
	if trace.On { // the arguments would be boxed on every connection
		trace.Step("child.onconnection", "child.js onconnection", "key %s fd %d accepted %v: send ack %v", key, fdOf(client), accepted, message.Value("seq"))
	}
	send(childprocess.NewObject("ack", message.Value("seq"), "accepted", accepted), nil)
	if client == nil {
		return
	}
	// The ACK and this answer leave together now, before the server's
	// onconnection runs user code (the channel held them: Stream.Hold);
	// then, if the primary looks busy, it gets this CPU for a moment.
	process.Get().FlushHeld()
	yieldToPrimary(uv.Default().Now())
	if accepted {
		if fh, ok := server.(*fauxHandle); ok && fh.onconnection != nil {
			fh.onconnection(nil, client)
			return
		}
		if Hooks.OnConnection != nil {
			Hooks.OnConnection(server, client)
			return
		}
	}
	client.Close(nil)
}

func fdOf(s *uv.Stream) int {
	if s == nil {
		return -1
	}
	return s.Fd()
}

// send sends a cluster message to the primary.
//
// Mirrors lib/internal/cluster/child.js send().
func send(message *childprocess.Object, cb utils.Callback) bool {
	return utils.SendHelper(process.Get(), message, nil, cb)
}

// disconnect closes every server of this worker and, once all have
// closed, the channel: at once when the primary asked, after the primary
// acknowledged "exitedAfterDisconnect" when the worker did.
//
// Mirrors lib/internal/cluster/child.js _disconnect().
func disconnect(w *worker.Worker, primaryInitiated bool) {
	t := true
	w.ExitedAfterDisconnect = &t
	waitingCount := 1
	checkWaitingCount := func() {
		waitingCount--
		if waitingCount == 0 {
			p := process.Get()
			if primaryInitiated {
				p.Disconnect()
			} else {
				send(childprocess.NewObject("act", "exitedAfterDisconnect"), func(*childprocess.Object, any) { p.Disconnect() })
			}
		}
	}
	for _, k := range handles.Keys() {
		h, _ := handles.Get(k)
		waitingCount++
		if owner := h.Owner(); owner != nil && Hooks.Close != nil {
			Hooks.Close(owner, checkWaitingCount)
		} else {
			h.Close(checkWaitingCount)
		}
	}
	handles.Clear()
	checkWaitingCount()
}

// disconnectMethod is the worker's own worker.disconnect().
//
// Mirrors lib/internal/cluster/child.js Worker.prototype.disconnect().
func disconnectMethod(w *worker.Worker) {
	if w.State != worker.StateDisconnecting && w.State != worker.StateDestroying {
		w.State = worker.StateDisconnecting
		disconnect(w, false)
	}
}

// destroyMethod is the worker's own worker.destroy(): tell the primary,
// disconnect, then exit.
//
// Mirrors lib/internal/cluster/child.js Worker.prototype.destroy().
func destroyMethod(w *worker.Worker, _ string) error {
	if w.State == worker.StateDestroying {
		return nil
	}
	t := true
	w.ExitedAfterDisconnect = &t
	p := process.Get()
	if !w.IsConnected() {
		p.Exit(0)
		return nil
	}
	w.State = worker.StateDestroying
	send(childprocess.NewObject("act", "exitedAfterDisconnect"), func(*childprocess.Object, any) { p.Disconnect() })
	p.Once("disconnect", func() { p.Exit(0) })
	return nil
}
