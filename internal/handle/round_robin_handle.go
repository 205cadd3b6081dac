package handle

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/netbridge"
	"github.com/nodecluster/nodecluster/internal/trace"
	"github.com/nodecluster/nodecluster/internal/utils"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/internal/worker"
	"github.com/nodecluster/nodecluster/net"
)

// RoundRobinHandle is the primary's listening socket for one key under
// SCHED_RR: it accepts connections and hands each to one free worker at a
// time, waiting for that worker's {accepted} before giving it another.
//
// Mirrors lib/internal/cluster/round_robin_handle.js RoundRobinHandle().
type RoundRobinHandle struct {
	key      string
	all      map[int]*worker.Worker
	free     []*worker.Worker // insertion order, as the JS Map iterates
	handles  []*uv.Stream     // connections waiting for a worker, oldest first
	keyValue any              // key as the newconn's field, boxed once
	handle   uv.ServerHandle
	server   *net.Server
	data     any
	// inflight is what was handed to each worker and not yet answered,
	// oldest first, with the seq of each newconn (see Remove): one
	// connection at most, as in Node, unless HandoffsInFlight says more.
	inflight map[int][]inflightConn
	// nacks counts, for a connection whose descriptor a worker NACKed,
	// how often that happened (nil until it first does).
	nacks map[*uv.Stream]int
	// closed: the last worker left and the listening socket is closed
	// (Remove reported true); a connection refused after that is closed.
	closed bool
	// pauser is the listening handle, when distribute may pause it
	// (uv.Stream.PauseAccept): nil until it listens, and for a socket that
	// came by descriptor (a queryServer's fd), which another process may
	// hold: closing a paused socket takes what waits in its queue.
	pauser acceptPauser
}

// awaiting lists, by worker id, the handles that still wait for that
// worker's answers to newconn: it was removed while its channel was open
// (the primary's worker.disconnect()), so it will answer, unless its
// channel closes first (WorkerGone).
var awaiting = map[int][]*RoundRobinHandle{}

// HandoffsInFlight is how many connections the primary may hand to one
// worker before the first is answered: 1, as in Node, unless
// NODECLUSTER_HANDOFFS_IN_FLIGHT says more (an opt-in beyond Node, see
// childprocess.Target.canPipeline, which lets the worker's channel carry
// them).
var HandoffsInFlight = handoffsInFlight()

func handoffsInFlight() int {
	if n, err := strconv.Atoi(os.Getenv("NODECLUSTER_HANDOFFS_IN_FLIGHT")); err == nil && n > 1 {
		return n
	}
	return 1
}

type inflightConn struct {
	conn *uv.Stream
	seq  int
}

// ReproduceNodeLostConnection, when true, leaves a connection handed to a
// worker that died before answering where Node v20 leaves it: open in the
// primary, never served, never closed (node-v20-truth.md §5.1). The
// default re-routes it.
var ReproduceNodeLostConnection = childprocess.Reproduce("lost-connection")

// ReproduceNodeBadQueryServer, when true, makes a queryServer whose
// fields Node's listen refuses throw in the primary as v20 does
// (NODECLUSTER_REPRODUCE_V20=bad-query-server).
var ReproduceNodeBadQueryServer = childprocess.Reproduce("bad-query-server")

// ReproduceNodeDuplicateQuery, when true, makes a queryServer for a key
// the worker holds already end the primary as v20's assertion does
// (NODECLUSTER_REPRODUCE_V20=duplicate-query).
var ReproduceNodeDuplicateQuery = childprocess.Reproduce("duplicate-query")

// ReproduceNodeRemoveWhileBinding, when true, makes Remove of the last
// worker while the primary's server is still binding throw as v20 does
// (NODECLUSTER_REPRODUCE_V20=remove-while-binding).
var ReproduceNodeRemoveWhileBinding = childprocess.Reproduce("remove-while-binding")

// NewRoundRobinHandle binds and listens for key through a net.Server
// (port and host, or a path, or an fd), then takes the server's handle
// and points its onconnection at distribute.
//
// DEVIATION(fix): a queryServer whose fields Node's listen refuses (no
// port and no path, a port of 65536 or 1.5, an address that is not a
// string; no Node worker sends one) throws in a v20 primary, which dies
// of it (ERR_INVALID_ARG_VALUE, ERR_SOCKET_BAD_PORT; node printed them).
// Here the error goes to that worker as the listen's errno (EINVAL), as a
// bind error does, and the primary goes on.
// NODECLUSTER_REPRODUCE_V20=bad-query-server
// (ReproduceNodeBadQueryServer) throws as v20 does.
//
// Mirrors lib/internal/cluster/round_robin_handle.js RoundRobinHandle().
func NewRoundRobinHandle(key string, address any, message *childprocess.Object) *RoundRobinHandle {
	h := &RoundRobinHandle{key: key, all: make(map[int]*worker.Worker), inflight: make(map[int][]inflightConn)}
	h.server = net.CreateServer(func(*net.Socket) { panic("RoundRobinHandle: connection on the primary's own server") })
	port := message.Value("port")
	fd := message.Int("fd", -1)
	byFd := fd >= 0
	backlog := message.Int("backlog", 0)
	flags := message.Int("flags", 0)
	trace.Step("handle.NewRoundRobinHandle", "round_robin_handle.js RoundRobinHandle", "key %s: the primary binds %s port %s", key, childprocess.ToJSString(address), childprocess.ToJSString(message.Value("port")))
	var err error
	switch {
	case fd >= 0:
		if fd == 0 {
			fd = net.FdZero
		}
		err = h.server.Listen(net.ListenOptions{Fd: fd, Backlog: backlog})
	case childprocess.ToNumber(port) >= 0:
		// JS's port >= 0: a numeric string or true passes too, and the
		// listen below checks the value itself (validatePort).
		host, _ := address.(string)
		err = h.server.Listen(net.ListenOptions{Port: port, Host: host, IPv6Only: flags&uv.TCPIPv6Only != 0, Backlog: backlog})
	default:
		path, _ := address.(string)
		ra := childprocess.ToBoolean(message.Value("readableAll"))
		wa := childprocess.ToBoolean(message.Value("writableAll"))
		err = h.server.Listen(net.ListenOptions{Path: path, Backlog: backlog, ReadableAll: ra, WritableAll: wa})
	}
	if err != nil {
		// A queryServer no Node worker sends (see the DEVIATION above).
		if ReproduceNodeBadQueryServer {
			panic(err)
		}
		srv := h.server
		uv.Default().NextTick(func() { srv.Emit("error", err) })
	}
	h.server.Once("listening", func() {
		h.handle = netbridge.TakeHandle(h.server)
		if p, ok := h.handle.(acceptPauser); ok && !byFd {
			h.pauser = p
		}
		h.handle.SetOnConnection(h.distribute)
		h.server = nil
		sn, _ := h.handle.Getsockname()
		trace.Step("handle.NewRoundRobinHandle", "round_robin_handle.js RoundRobinHandle inner once('listening')", "key %s: listening on %s port %d; onconnection = distribute", key, sn.Address, sn.Port)
	})
	return h
}

// Add takes a worker into the handle and, once the primary is listening,
// replies with the address (sockname), then hands it any waiting
// connection.
//
// Mirrors lib/internal/cluster/round_robin_handle.js RoundRobinHandle.prototype.add().
func (h *RoundRobinHandle) Add(w *worker.Worker, send SendFunc) {
	if _, ok := h.all[w.ID]; ok {
		panic(fmt.Sprintf("RoundRobinHandle.add: worker %d added twice", w.ID))
	}
	h.all[w.ID] = w
	done := func() {
		if sn, err := h.handle.Getsockname(); err == nil {
			out := childprocess.NewObject("address", sn.Address, "family", sn.Family, "port", sn.Port)
			send(nil, childprocess.NewObject("sockname", out), nil)
		} else {
			send(nil, nil, nil) // a Unix socket: no sockname
		}
		h.handoff(w)
	}
	if h.server == nil {
		done()
		return
	}
	h.server.Once("listening", done)
	h.server.Once("error", func(err error) {
		errno := -22
		if ne, ok := err.(*net.Error); ok && ne.Errno != 0 {
			errno = ne.Errno // a bind's or listen's; a thrown error has none
		}
		send(errno, nil, nil)
	})
}

// Remove drops a worker; when it was the last, it closes the waiting
// connections and the listening socket and reports true.
//
// DEVIATION(fix): in Node v20 a connection handed to a worker that goes
// away before answering {accepted} stays open in the primary forever. Here
// it goes back to the front of the queue, to the next free worker, or is
// closed with the rest when no worker is left, when the kernel shows that
// the worker neither read from it nor wrote to it (uv.Stream.Untouched: a
// TCP connection); otherwise it is closed, so that its peer sees the end
// at once and no other worker gets a stream whose start is gone (a worker
// may read the newconn, and the connection, while its answer waits behind
// its other writes: dead, it answers nothing). The kernel does not count
// what was read from a Unix socket: a Unix socket's connection is closed.
// One refused after the last worker left is closed, where Node queues it
// for no one. A worker
// removed while its channel is still open (the primary's
// worker.disconnect(), which removes it at once) still answers what it was
// handed, since it reads the newconn before the disconnect: its answers
// are awaited as in Node (accepted: the primary closes its copy; refused:
// another worker), and only what it leaves unanswered when its channel
// closes goes back to the queue (WorkerGone). A channel the primary closes
// itself (worker.process.disconnect()) is different: the worker still
// reads what was written before, takes those connections and serves them,
// so the primary closes its copies instead of handing them to another
// worker as well (see unanswered).
// NODECLUSTER_REPRODUCE_V20=lost-connection (ReproduceNodeLostConnection)
// brings v20's behaviour back.
//
// DEVIATION(fix): the last worker removed before the primary's server has
// emitted "listening" (its queryServer and, say, a message on which the
// primary disconnects it, read in one go: the listening comes a tick
// later) crashes a v20 primary, which closes a handle it does not hold
// yet ("TypeError: Cannot read properties of null (reading 'close')";
// node printed it). Here the server being bound is closed instead.
// NODECLUSTER_REPRODUCE_V20=remove-while-binding
// (ReproduceNodeRemoveWhileBinding) throws as v20 does.
//
// Mirrors lib/internal/cluster/round_robin_handle.js RoundRobinHandle.prototype.remove().
func (h *RoundRobinHandle) Remove(w *worker.Worker) bool {
	if _, ok := h.all[w.ID]; !ok {
		return false
	}
	delete(h.all, w.ID)
	h.deleteFree(w.ID)
	switch {
	case len(h.inflight[w.ID]) == 0:
		delete(h.inflight, w.ID)
	case ReproduceNodeLostConnection:
		// v20: what the worker had not answered stays where it is.
	case w.IsConnected():
		// Its answers will come (onReply); if its channel closes first,
		// WorkerGone re-queues what is left.
		awaiting[w.ID] = append(awaiting[w.ID], h)
	default:
		h.unanswered(w)
	}
	if len(h.all) != 0 {
		return false
	}
	h.closeWaiting()
	if h.handle != nil {
		h.handle.Close(nil)
		h.handle = nil
		h.pauser = nil
	}
	if h.server != nil {
		if ReproduceNodeRemoveWhileBinding {
			panic(errors.New("TypeError: Cannot read properties of null (reading 'close')"))
		}
		h.server.Close(nil) // still binding
	}
	h.closed = true
	trace.Step("handle.RoundRobinHandle.Remove", "round_robin_handle.js RoundRobinHandle.prototype.remove", "key %s: last worker gone, closed", h.key)
	return true
}

// requeue puts back what worker w was handed and did not answer (its
// channel is closed: no answer will come), at the front of the queue, and
// hands it to the free workers; with no worker left it is closed. A
// connection the worker may have read from or written to is closed
// instead (see Remove).
func (h *RoundRobinHandle) requeue(w *worker.Worker) {
	ins := h.takeUnanswered(w)
	if len(ins) == 0 {
		return
	}
	requeued := make([]*uv.Stream, 0, len(ins)+len(h.handles))
	for _, in := range ins {
		if !in.conn.Untouched() {
			trace.Step("handle.RoundRobinHandle.Remove", "round_robin_handle.js RoundRobinHandle.prototype.remove", "key %s: worker %d left with fd %d unanswered, perhaps read: closed", h.key, w.ID, in.conn.Fd())
			h.forgetNacks(in.conn)
			in.conn.Close(nil)
			continue
		}
		requeued = append(requeued, in.conn)
		trace.Step("handle.RoundRobinHandle.Remove", "round_robin_handle.js RoundRobinHandle.prototype.remove", "key %s: worker %d left with fd %d unanswered: re-queued", h.key, w.ID, in.conn.Fd())
	}
	h.handles = append(requeued, h.handles...)
	for len(h.all) != 0 && len(h.free) > 0 && len(h.handles) > 0 {
		next := h.free[0]
		h.deleteFree(next.ID)
		h.handoff(next)
	}
	if h.closed {
		h.closeWaiting()
	}
}

// closeWaiting closes the connections no worker was handed.
func (h *RoundRobinHandle) closeWaiting() {
	for _, c := range h.handles {
		c.Close(nil)
	}
	h.handles = nil
}

// WorkerGone tells the handles that awaited w's answers (see Remove) that
// its channel has closed: what it left unanswered goes back to the queue,
// or is closed when no worker is left. The primary calls it when a
// worker's channel closes.
func WorkerGone(w *worker.Worker) {
	hs := awaiting[w.ID]
	delete(awaiting, w.ID)
	for _, h := range hs {
		h.unanswered(w)
	}
}

// unanswered deals with what worker w, whose channel has closed, was
// handed and did not answer. When the worker closed it (or died), what it
// had not read went with its end of the channel: back to the queue
// (requeue). When the primary closed it (worker.process.disconnect()),
// the worker still reads what was written before the close, and takes
// those connections (the answer, written or not, cannot come): the
// primary closes its copies, as an accepted answer would have it do, and
// hands them to no other worker.
func (h *RoundRobinHandle) unanswered(w *worker.Worker) {
	if p, ok := w.Process.(interface{ ChannelEndedByPeer() bool }); ok && !p.ChannelEndedByPeer() {
		for _, in := range h.takeUnanswered(w) {
			in.conn.Close(nil)
		}
		return
	}
	h.requeue(w)
}

// takeUnanswered takes what worker w was handed and has not answered out
// of the in-flight lists, its answers no longer awaited.
func (h *RoundRobinHandle) takeUnanswered(w *worker.Worker) []inflightConn {
	ins := h.inflight[w.ID]
	delete(h.inflight, w.ID)
	for _, in := range ins {
		utils.ForgetCallback(in.seq)
	}
	return ins
}

// answered forgets that h awaits w once w has answered everything.
func (h *RoundRobinHandle) answered(w *worker.Worker) {
	if len(h.inflight[w.ID]) != 0 {
		return
	}
	delete(h.inflight, w.ID)
	hs := awaiting[w.ID]
	for i, x := range hs {
		if x == h {
			hs = append(hs[:i], hs[i+1:]...)
			break
		}
	}
	if len(hs) == 0 {
		delete(awaiting, w.ID)
	} else {
		awaiting[w.ID] = hs
	}
}

// distribute queues an accepted connection and, when a worker is free,
// hands it over. When that leaves no worker free, the listening socket is
// paused until one is (uv.Stream.PauseAccept, where the DEVIATION(fix) is
// described; handoff resumes it): what arrives meanwhile waits in the
// kernel's accept queue instead of this handle's.
//
// Mirrors lib/internal/cluster/round_robin_handle.js RoundRobinHandle.prototype.distribute().
func (h *RoundRobinHandle) distribute(err error, handle *uv.Stream) {
	if err != nil {
		return // accept failed: skip it
	}
	h.handles = append(h.handles, handle)
	if trace.On { // the arguments would be boxed on every connection
		trace.Step("handle.RoundRobinHandle.distribute", "round_robin_handle.js RoundRobinHandle.prototype.distribute", "key %s: accepted fd %d, %d free worker(s)", h.key, handle.Fd(), len(h.free))
	}
	if len(h.free) > 0 {
		w := h.free[0]
		h.deleteFree(w.ID)
		h.handoff(w)
	}
	if len(h.free) == 0 && h.pauser != nil {
		// Every worker has a connection in hand: leave the next ones in
		// the listening socket's queue until one answers (handoff).
		// Not traced: the walkthrough shows Node's steps.
		h.pauser.PauseAccept()
	}
}

// acceptPauser is a listening handle that can stop being polled for a
// while (uv.Stream.PauseAccept: the DEVIATION(fix) there).
type acceptPauser interface {
	PauseAccept() bool
	ResumeAccept()
}

// handoff sends the oldest waiting connection to worker with
// {act:"newconn", key}; on the reply it closes its copy (accepted) or
// distributes it again (refused), and then tries the worker again. With
// nothing waiting the worker goes back on the free list, and the listening
// socket is polled again if distribute paused it.
//
// Mirrors lib/internal/cluster/round_robin_handle.js RoundRobinHandle.prototype.handoff().
func (h *RoundRobinHandle) handoff(w *worker.Worker) {
	if _, ok := h.all[w.ID]; !ok {
		return // the worker is closing the server
	}
	if len(h.handles) == 0 {
		h.setFree(w)
		if h.pauser != nil {
			h.pauser.ResumeAccept() // the next connection is the socket's to give
		}
		return
	}
	// Take the oldest, shifting the rest down in place (at most the
	// listen backlog's worth): the queue keeps its array, so that queuing
	// the next connection allocates nothing.
	handle := h.handles[0]
	n := copy(h.handles, h.handles[1:])
	h.handles[n] = nil
	h.handles = h.handles[:n]
	if h.keyValue == nil {
		h.keyValue = h.key // boxed once, not on every connection
	}
	message := childprocess.NewObject("act", "newconn", "key", h.keyValue)
	if trace.On { // the arguments would be boxed on every connection
		trace.Step("handle.RoundRobinHandle.handoff", "round_robin_handle.js RoundRobinHandle.prototype.handoff", "key %s: send newconn with fd %d to worker %d", h.key, handle.Fd(), w.ID)
	}
	h.inflight[w.ID] = append(h.inflight[w.ID], inflightConn{conn: handle, seq: utils.NextSeq()})
	// One allocation for the reply's callback: a closure, not a record
	// and its bound method.
	sent := utils.SendHelper(w.Process, message, handle, func(reply *childprocess.Object, _ any) {
		h.onReply(w, handle, reply)
	})

	if !sent && !w.IsConnected() && !ReproduceNodeLostConnection {
		// The channel is already closed: nothing went out, keep the
		// connection for another worker (DEVIATION(fix), see Remove).
		// A send that answers false on a connected channel went out all
		// the same: the answer only says that much waits to be written
		// (Node's backpressure), and the worker's reply will come.
		h.dropInflight(w.ID, handle)
		h.handles = append([]*uv.Stream{handle}, h.handles...)
		return
	}
	if HandoffsInFlight > 1 {
		// Room for more: back to the end of the free list, so that the
		// next connection goes to the next worker.
		h.deleteFree(w.ID)
		if len(h.inflight[w.ID]) < HandoffsInFlight {
			h.free = append(h.free, w)
		}
	}
}

// dropInflight forgets conn among what worker id has not answered. The
// list keeps its array (emptied in place), so that handing a worker one
// connection after another allocates nothing; Remove deletes it.
func (h *RoundRobinHandle) dropInflight(id int, conn *uv.Stream) {
	ins := h.inflight[id]
	for i, in := range ins {
		if in.conn == conn {
			copy(ins[i:], ins[i+1:])
			ins[len(ins)-1] = inflightConn{}
			h.inflight[id] = ins[:len(ins)-1]
			return
		}
	}
}

// onReply is worker w's answer to the newconn that carried conn: it
// closes the primary's copy of an accepted connection, or distributes a
// refused one again, then tries the worker again.
//
// Mirrors lib/internal/cluster/round_robin_handle.js:/sendHelper\(worker\.process, message, handle, \(reply\) => \{/.
func (h *RoundRobinHandle) onReply(w *worker.Worker, conn *uv.Stream, reply *childprocess.Object) {
	h.dropInflight(w.ID, conn)
	if _, member := h.all[w.ID]; !member {
		h.answered(w)
	}
	accepted := childprocess.ToBoolean(reply.Value("accepted")) // Node's if (reply.accepted)
	switch {
	case accepted:
		h.forgetNacks(conn)
		conn.Close(nil)
	case h.closed && !ReproduceNodeLostConnection:
		h.forgetNacks(conn)
		conn.Close(nil) // no worker left to take it (DEVIATION(fix), see Remove)
	case reply.Value("nack") == true && h.nacked(conn) > childprocess.MaxHandleRetransmissions:
		// Its descriptor reached no worker, time after time (every
		// worker out of descriptors): close it rather than pass it
		// round for ever (DEVIATION(fix), childprocess's OnNativeNack).
		h.forgetNacks(conn)
		conn.Close(nil)
		events.EmitWarning(&events.Warning{Name: "SentHandleNotReceivedWarning", Message: "Handle did not reach the receiving process correctly"})
	default:
		h.distribute(nil, conn) // the worker is shutting down, or did not get it: another one
	}
	h.handoff(w)
}

// nacked counts one more NACK of conn's descriptor and returns the count.
func (h *RoundRobinHandle) nacked(conn *uv.Stream) int {
	if h.nacks == nil {
		h.nacks = make(map[*uv.Stream]int)
	}
	h.nacks[conn]++
	return h.nacks[conn]
}

// forgetNacks drops conn's NACK count (nothing when none was NACKed).
func (h *RoundRobinHandle) forgetNacks(conn *uv.Stream) {
	if h.nacks != nil {
		delete(h.nacks, conn)
	}
}

func (h *RoundRobinHandle) setFree(w *worker.Worker) {
	for _, x := range h.free {
		if x.ID == w.ID {
			return
		}
	}
	h.free = append(h.free, w)
}

func (h *RoundRobinHandle) deleteFree(id int) {
	for i, x := range h.free {
		if x.ID == id {
			// In place: the list keeps its array, and a connection's
			// handoff allocates nothing here.
			copy(h.free[i:], h.free[i+1:])
			h.free[len(h.free)-1] = nil
			h.free = h.free[:len(h.free)-1]
			return
		}
	}
}

// Has reports whether worker w is one of the handle's.
func (h *RoundRobinHandle) Has(w *worker.Worker) bool {
	_, ok := h.all[w.ID]
	return ok
}

// Data is handle.data (custom server data, such as TLS ticket keys).
func (h *RoundRobinHandle) Data() any { return h.data }

// SetData sets handle.data.
func (h *RoundRobinHandle) SetData(v any) { h.data = v }
