package net

// A standard net.Listener over a cluster server, so that net/http (or
// anything else that takes a net.Listener) serves a worker's connections.
// It has no JS counterpart.

import (
	"context"
	"errors"
	stdnet "net"
	"net/http"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nodecluster/nodecluster/internal/uv"
)

// Listener hands a Server's connections to Go code as ordinary net.Conns:
// round-robin connections passed by the primary and connections accepted
// from a shared handle alike. Each connection leaves the loop's callbacks
// for Go code (a uv.FD: goroutines read and write it, the loop tells them
// when it is ready), so local and remote addresses, deadlines and
// half-close (CloseWrite) work as for any net.Conn, and Close ends a
// handed-off connection at once, though the primary may still hold its
// copy of the socket (a shutdown for writing first, as a Node worker's
// socket.end makes); it still
// counts as one of the server's connections until it is closed, so a
// worker's Disconnect waits for it, as Node waits for open sockets.
//
// Two defaults are Node's, not those of net.Listen: an accepted
// connection has no TCP keep-alive (net's listener turns it on, probing
// after 15 s idle; ServerOptions.KeepAlive, or the conn's SetKeepAlive,
// turns it on here), and the listen backlog is 511 (net's is the
// system's somaxconn, often 4096): for bursts of thousands of new
// connections pass a larger one, srv.Listen(port, host, 4096).
//
// Create it with [NewListener] on the loop, before or after Listen. To
// serve net/http, prefer [ServeHTTP], which stops hs without losing a
// request when the server stops listening; with hs.Serve on a Listener of
// your own, hs.Shutdown closes unanswered the connections whose first
// request comes after it began (net/http's own behaviour, see ServeHTTP).
type Listener struct {
	srv  *Server
	loop *uv.Loop

	mu      sync.Mutex
	queue   []stdnet.Conn
	ready   chan struct{} // signalled when queue gets a connection
	stopped chan struct{} // closed when the server stops listening, or at Close
	// settled is closed on the loop once the server has stopped
	// listening: every connection the worker accepted is queued by then,
	// and no other will come (see Accept). stopping is the loop's: the
	// stop was seen, and the grace armed.
	settled  chan struct{}
	stopping bool
	reset    bool // the loop's: the grace ended, what was queued is reset
	addr     stdnet.Addr
	stop     sync.Once
	// refusing: Close was called and the server is not closed yet
	// (Close's work waits for the loop); handed-off connections are
	// refused meanwhile.
	refusing atomic.Bool
	closing  atomic.Bool  // Close was called
	closed   atomic.Int64 // connections closed, not yet counted on the loop
	lazy     atomic.Bool  // closes are counted without waking the loop (release)
}

// ErrListenerClosed is what Accept's error wraps once the server stopped
// listening (errors.Is(err, ErrListenerClosed)): a *net.OpError "accept"
// around it, as net's listeners give.
var ErrListenerClosed = stdnet.ErrClosed

// NewListener adapts srv. It must be called on the loop (in main or a
// callback).
func NewListener(srv *Server) *Listener {
	l := &Listener{srv: srv, loop: uv.Default(), ready: make(chan struct{}, 1), stopped: make(chan struct{}), settled: make(chan struct{})}
	// Go code (net/http) runs beside the loop from now on.
	l.loop.WaitInNetpoller()
	srv.On("connection", l.onConnection)
	srv.On("listening", func() {
		if a := srv.Address(); a != nil {
			l.mu.Lock()
			l.addr = toAddr(a)
			l.mu.Unlock()
		}
		l.chooseCounting()
	})
	srv.onStopListening = append(srv.onStopListening, l.onStop)
	srv.refusing = append(srv.refusing, l.refusing.Load)
	srv.onRefChange = append(srv.onRefChange, l.chooseCounting)
	srv.settlers = append(srv.settlers, func() { l.syncClosed() })
	return l
}

// chooseCounting decides, on the loop, how the connections' closes reach
// it. While the server listens and keeps the process alive, nothing on the
// loop waits for a close: each only counts (release), and the server reads
// the count when it next needs it (settle), so a connection's close costs
// no wake-up of the loop. Otherwise (not listening yet, closed, or
// unref'd) the loop may be waiting for the last connection, to emit the
// server's "close" or to end, so every close is posted to it. Closes
// counted before the switch are taken in here.
func (l *Listener) chooseCounting() {
	l.lazy.Store(l.srv.handle != nil && !l.srv.unref)
	l.syncClosed()
}

func toAddr(a *AddressInfo) stdnet.Addr {
	if a.Port == -1 {
		return &stdnet.UnixAddr{Name: a.Address, Net: "unix"}
	}
	ip := stdnet.ParseIP(a.Address)
	if ip4 := ip.To4(); ip4 != nil && a.Family == "IPv4" {
		ip = ip4 // four bytes, as net's own listener gives an IPv4 address
	}
	return &stdnet.TCPAddr{IP: ip, Port: a.Port}
}

func (l *Listener) markStopped() { l.stop.Do(func() { close(l.stopped) }) }

// closeGrace is how long the connections still queued once the server has
// stopped listening wait for Accept before they are reset.
const closeGrace = time.Second

// settleWait is how long Accept, after Close, waits at most for the loop
// to see the stop (see Accept).
const settleWait = 100 * time.Millisecond

// onStop runs on the loop when the server stops listening (Close, a
// worker's Disconnect, Server.Close), once: what the worker accepted is
// all queued by now, and Accept may say the listener is closed once it
// has taken it. After Close, what no Accept takes within closeGrace (an
// accept loop that stopped calling Accept) is reset then, as net resets
// the backlog of a listener it closes, and no longer keeps the process
// alive. A stop without Close leaves it to Accept for as long as it takes
// (an accept loop held up by a limit on its connections, say), as a
// disconnecting Node worker waits for its connections.
func (l *Listener) onStop() {
	if l.stopping {
		return
	}
	l.stopping = true
	l.markStopped()
	close(l.settled)
	if l.closing.Load() {
		t := l.loop.SetTimeout(closeGrace, l.resetQueued)
		t.Unref() // the queued connections keep the loop alive, the grace does not
	}
}

// resetQueued resets the connections no Accept took (see onStop).
func (l *Listener) resetQueued() {
	l.reset = true
	l.mu.Lock()
	queued := l.queue
	l.queue = nil
	l.mu.Unlock()
	for _, nc := range queued {
		c := ownConn(nc)
		c.linger(0) // a reset, once the last copy is closed
		c.Close()
	}
}

// onConnection is the "connection" listener; as a func(any) it is called
// without reflect (events.call), once per connection.
//
// With other "connection" listeners on the server, the socket is taken on
// the next tick, once they all ran: as in Node, where a listener after the
// HTTP server's may still destroy the socket (and the HTTP server then
// sees it closed), a socket destroyed by then is left alone. Taking it at
// once would move it off the loop first, and that destroy would do
// nothing: the connection stayed open in net/http.
func (l *Listener) onConnection(v any) {
	sock, ok := v.(*Socket)
	if !ok {
		return
	}
	if l.srv.ListenerCount("connection") > 1 {
		l.loop.NextTick(func() { l.take(sock) })
		return
	}
	l.take(sock)
}

// take moves a new connection off the loop and queues it for Accept. One
// that comes once Accept has said the listener is closed (the worker
// accepted it as Close was called, on a loop that Close's caller held up)
// waits for the grace with what else is queued, and is reset then, as a
// connection still in a closed listener's backlog is; after the grace it
// is closed at once.
func (l *Listener) take(sock *Socket) {
	h := sock.handle
	if h == nil || sock.destroyed {
		return
	}
	if l.reset {
		sock.Destroy(nil)
		return
	}
	// A socket the server accepted counts among its connections; one
	// given to it with Emit("connection", socket) (received from another
	// process, say) does not, as in Node.
	counted := sock.server == l.srv
	sock.handle = nil
	sock.destroyed = true
	sock.server = nil // the conn's Close does the bookkeeping
	if sock.timer != nil {
		sock.timer.Stop()
		sock.timer = nil
	}
	tcp := h.Kind == uv.KindTCP
	if tcp {
		h.SetNoDelay(true) // as Go's and Node's HTTP servers do
	}
	lsa := h.LocalName() // a handed-off connection's, known since it arrived
	shared := h.Received()
	c, err := newConn(l.loop, h.Detach(), tcp, l, lsa)
	if err != nil {
		if counted {
			l.srv.connections--
			l.srv.emitCloseIfDrained()
		}
		return
	}
	c.uncounted = !counted
	c.shared = shared
	// What the socket read and nobody consumed yet comes first: a socket
	// received over IPC reads (as Node's does) until it is handed over.
	for _, b := range sock.buffered {
		switch b := b.(type) {
		case []byte:
			c.pre = append(c.pre, b...)
		case string: // never: nobody set an encoding on this socket
			c.pre = append(c.pre, b...)
		}
	}
	sock.buffered, sock.bufferedLen = nil, 0
	l.loop.Ref() // an open conn keeps the process alive, as a socket does
	l.mu.Lock()
	l.queue = append(l.queue, c.netConn())
	l.mu.Unlock()
	select {
	case l.ready <- struct{}{}:
	default:
	}
}

// Accept waits for the next connection. Once the server stopped listening
// (Close, a worker's Disconnect, Server.Close) it still returns the
// connections queued for it, which the worker accepted before the stop (a
// Node worker's server serves those too; with net's listener they would be
// a backlog that its Close resets), and then an error around
// ErrListenerClosed. So an accept loop (http.Server.Serve) serves what the
// primary handed this worker; after Close, what it leaves is reset a
// second after the stop (see onStop).
func (l *Listener) Accept() (stdnet.Conn, error) {
	settledWait := false
	for {
		l.mu.Lock()
		if len(l.queue) > 0 {
			c := l.queue[0]
			l.queue[0] = nil
			l.queue = l.queue[1:]
			more := len(l.queue) > 0
			l.mu.Unlock()
			if more {
				select {
				case l.ready <- struct{}{}:
				default:
				}
			}
			return c, nil
		}
		l.mu.Unlock()
		select {
		case <-l.ready:
		case <-l.stopped:
			if !settledWait {
				// Close came off the loop: a connection the worker
				// accepted just before may still be on its way to the
				// queue. Wait for the loop to see the stop, though not
				// for a loop that waits for this Accept (it would never
				// come): such a connection then waits for the grace.
				settledWait = true
				t := time.NewTimer(settleWait)
				select {
				case <-l.ready:
				case <-l.settled:
				case <-t.C:
				}
				t.Stop()
				continue
			}
			l.mu.Lock()
			empty := len(l.queue) == 0
			l.mu.Unlock()
			if empty {
				return nil, l.opError("accept", ErrListenerClosed)
			}
		}
	}
}

// opError is an error of the listener's op, shaped as net's listeners
// shape theirs.
func (l *Listener) opError(op string, err error) error {
	addr := l.Addr()
	network := "tcp"
	if _, ok := addr.(*stdnet.UnixAddr); ok {
		network = "unix"
	}
	return &stdnet.OpError{Op: op, Net: network, Addr: addr, Err: err}
}

// Close closes the cluster server (on the loop) and makes Accept return
// once it has taken what is queued (see Accept): from the call on, a
// connection the primary hands over is refused (it goes to another
// worker); a listen still waiting for the primary's answer (or for its
// host's lookup) will not listen when the answer comes, as after
// Server.Close. Closing it again is an error around net.ErrClosed, as with
// net's listeners.
func (l *Listener) Close() error {
	if l.closing.Swap(true) {
		return l.opError("close", stdnet.ErrClosed)
	}
	l.refusing.Store(true)
	l.loop.Post(func() {
		if l.srv.handle != nil {
			l.srv.Close(nil) // onStop, through the server's stop
		} else {
			l.srv.listeningID++ // what a close does to a listen under way
		}
		l.onStop()              // a server that was not listening stops nothing
		l.refusing.Store(false) // no handle now: nothing to refuse for
	})
	l.markStopped()
	return nil
}

// Addr is the server's address (the primary's, for round-robin).
func (l *Listener) Addr() stdnet.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.addr == nil {
		return &stdnet.TCPAddr{}
	}
	return l.addr
}

// Stopped is closed when the cluster server stops listening: Close, or a
// worker's disconnect.
func (l *Listener) Stopped() <-chan struct{} { return l.stopped }

// release tells the loop a connection closed: it counts the close, and
// unless the count is read lazily (chooseCounting) posts drainClosed, once
// for the closes that come together.
//
// If chooseCounting turns lazy counting off between this Add and the
// Load, either this close is posted or chooseCounting's syncClosed, which
// follows the switch, counts it; a close counted twice cannot happen, since
// the count is swapped to zero.
func (c *conn) release() {
	l := c.l
	if c.uncounted {
		l.loop.Post(l.loop.Unref) // only the reference that kept the loop alive
		return
	}
	if l.closed.Add(1) == 1 && !l.lazy.Load() {
		l.loop.Post(l.drainClosed)
	}
}

// syncClosed does the bookkeeping of the connections closed since it last
// ran, on the loop: each gives back the reference that kept the loop
// alive and leaves the server's count.
func (l *Listener) syncClosed() int {
	n := int(l.closed.Swap(0))
	for i := 0; i < n; i++ {
		l.loop.Unref()
	}
	l.srv.connections -= n
	return n
}

// drainClosed is syncClosed posted by release; the server may now be
// drained.
func (l *Listener) drainClosed() {
	if l.syncClosed() > 0 {
		l.srv.emitCloseIfDrained()
	}
}

// ServeHTTP serves hs on the cluster server srv the way both Go and Node
// users expect a clustered HTTP server to stop: when srv stops listening
// (srv.Close, or the worker's Disconnect, which closes its servers), hs is
// shut down gracefully (idle keep-alive connections close, requests in
// flight finish), and the worker's disconnect completes once the last
// connection is closed. A connection net/http took before the stop
// whose request comes only afterwards is answered too, as a Node worker's
// server answers it (http.Server.Shutdown alone closes it unanswered; see
// watch): at the stop ServeHTTP turns hs's keep-alives off
// (SetKeepAlivesEnabled), and it follows hs's connections through
// hs.ConnState, which it wraps (the ConnState hs had is still called).
// Call it on the loop; hs runs on its own
// goroutines. done, when not nil, runs on the loop with Serve's result,
// nil where Serve returns http.ErrServerClosed or the Listener's closed
// error (a stop, not a failure: unlike after Serve, done need not tell
// them apart).
// The process is kept alive for hs from srv's "listening" until done has
// run, not before (a server whose listen failed holds nothing) and not
// while srv is unref'd, as in Node.
//
// To stop it from the worker (on SIGTERM, say), close srv (srv.Close) or
// disconnect the worker, not hs.Shutdown: Shutdown called directly closes
// unanswered every connection whose first request net/http reads after it
// began, net/http's own behaviour (under a rolling restart with new
// connections, a few per thousand requests; a plain net/http server
// restarted that way drops as many), where the stop through srv answers
// them.
func ServeHTTP(srv *Server, hs *http.Server, done func(error)) *Listener {
	return serveHTTP(&httpRunner{srv: srv, hs: hs, done: done, run: (*http.Server).Serve})
}

// ServeHTTPTLS is ServeHTTP over TLS, as http.Server.ServeTLS: the
// certificate and key come from certFile and keyFile, or, when those are
// empty, from hs.TLSConfig (Certificates or GetCertificate). HTTP/2 is
// offered as ServeTLS offers it.
func ServeHTTPTLS(srv *Server, hs *http.Server, certFile, keyFile string, done func(error)) *Listener {
	// Through a function value, so that a program that never calls
	// ServeHTTPTLS does not link net/http's TLS and HTTP/2 serving (half a
	// megabyte, and a third of a megabyte of RSS in every worker).
	run := func(hs *http.Server, l stdnet.Listener) error { return hs.ServeTLS(l, certFile, keyFile) }
	return serveHTTP(&httpRunner{srv: srv, hs: hs, done: done, run: run})
}

func serveHTTP(r *httpRunner) *Listener {
	r.loop = uv.Default()
	r.l = NewListener(r.srv)
	r.served = make(chan struct{})
	r.fresh = &freshConns{user: r.hs.ConnState}
	r.hs.ConnState = r.fresh.connState
	r.srv.On("listening", r.onListening)
	r.srv.onRefChange = append(r.srv.onRefChange, r.hold)
	r.srv.onStopListening = append(r.srv.onStopListening, func() { r.stopping = true; r.hold() })
	if r.srv.handle != nil {
		r.onListening()
	}
	go r.serve()
	go r.watch()
	return r.l
}

func (r *httpRunner) onListening() {
	r.listening = true
	r.hold()
}

// hold keeps the loop alive from the server's "listening" until Serve
// has returned and done has run, so that done is not lost to a process
// that ends first, unless the server is unref'd. Before the server
// listens nothing is held: as in Node, where an HTTP server that never
// listened (its listen failed, say) keeps no process alive, and a worker
// whose listen failed exits once it disconnects; nor while it is unref'd,
// as Node's unref'd http.Server lets the process end.
func (r *httpRunner) hold() {
	want := r.listening && (!r.finished || r.stopping && !r.shutDown) && !r.srv.unref
	switch {
	case want && !r.held:
		r.held = true
		r.loop.Ref()
	case !want && r.held:
		r.held = false
		r.loop.Unref()
	}
}

type httpRunner struct {
	srv  *Server
	l    *Listener
	hs   *http.Server
	done func(error)
	loop *uv.Loop
	run  func(hs *http.Server, l stdnet.Listener) error // Serve or ServeTLS
	// listening, held and finished are the loop's: whether the server
	// has listened, whether hold holds the loop, and whether Serve has
	// returned.
	listening, held, finished bool
	// stopping and shutDown are the loop's too: the server has stopped
	// listening, and watch's Shutdown has returned (until then the loop
	// is held as well, so that Shutdown and what was registered with
	// RegisterOnShutdown run before the process ends).
	stopping, shutDown bool
	// served is closed when Serve has returned; fresh follows the
	// connections that have not sent a request yet (see watch).
	served chan struct{}
	fresh  *freshConns
}

// DEVIATION(goroutine): net/http runs on its own goroutines; results come
// back to the loop with Post.
func (r *httpRunner) serve() {
	pprof.Do(context.Background(), pprof.Labels("node.fn", "net/http.Serve"), func(context.Context) {
		err := r.run(r.hs, r.l)
		close(r.served)
		if errors.Is(err, http.ErrServerClosed) || errors.Is(err, ErrListenerClosed) {
			err = nil
		}
		if err != nil {
			// Nothing accepts any more (a certificate that would not
			// load, say): stop listening, so that no connection waits for
			// this server, and a worker's primary sends them elsewhere.
			r.l.Close()
		}
		r.loop.Post(func() {
			r.finished = true
			r.hold()
			if r.done != nil {
				r.done(err)
			}
		})
	})
}

// watch stops hs gracefully once the cluster server stops listening.
//
// http.Server.Shutdown alone would lose requests: a connection the worker
// took just before (a round-robin handoff that came before the
// disconnect, one accepted from the shared socket) whose request net/http
// reads once Shutdown has begun is closed unanswered (Shutdown checks
// after each request it reads, even the first on a new connection). A
// Node worker's server answers it. So keep-alives go off first (idle
// connections close, and every later answer closes its connection), Serve
// takes what the Listener still holds, and Shutdown comes only once every
// connection has sent its first request (or waited 5 s for it, after which
// Shutdown would count it idle too): then it finds answers under way,
// which it waits for, and runs what was registered with
// RegisterOnShutdown.
func (r *httpRunner) watch() {
	pprof.Do(context.Background(), pprof.Labels("node.fn", "net/http.Shutdown"), func(context.Context) {
		<-r.l.Stopped()
		r.hs.SetKeepAlivesEnabled(false)
		<-r.served
		r.fresh.wait()
		r.hs.Shutdown(context.Background())
		r.loop.Post(func() { r.shutDown = true; r.hold() })
	})
}

// freshConns counts, through http.Server.ConnState, the connections in
// StateNew (accepted, no request read yet), and passes every change on to
// the ConnState the server had. Each connection marks itself (conn.fresh):
// no map, no lock, and nothing allocated per connection.
type freshConns struct {
	n        atomic.Int64 // connections in StateNew
	lastLeft atomic.Int64 // when one last left StateNew (UnixNano)
	user     func(stdnet.Conn, http.ConnState)
}

func (f *freshConns) connState(nc stdnet.Conn, st http.ConnState) {
	if c := ownConn(nc); c != nil {
		if st == http.StateNew {
			if c.fresh.CompareAndSwap(0, 1) {
				f.n.Add(1)
			}
		} else if c.fresh.CompareAndSwap(1, 2) {
			f.n.Add(-1)
			f.lastLeft.Store(time.Now().UnixNano())
		}
	}
	if f.user != nil {
		f.user(nc, st)
	}
}

// ownConn is the Listener's conn under nc (itself, or under TLS).
func ownConn(nc stdnet.Conn) *conn {
	switch x := nc.(type) {
	case *conn:
		return x
	case *tcpConn:
		return x.conn
	case interface{ NetConn() stdnet.Conn }:
		return ownConn(x.NetConn())
	}
	return nil
}

// freshGrace is how long the stop waits for connections without a request:
// Shutdown's own limit for a StateNew connection, after which it closes
// it.
const freshGrace = 5 * time.Second

// wait returns once no connection is in StateNew and none left it in the
// last millisecond (a connection's state turns active just before
// net/http checks for Shutdown, so one that has just turned is given the
// time to pass that check), or after freshGrace: every connection still
// without a request has then waited that long (all came before Serve
// returned), and Shutdown closes it. It polls, as Shutdown does.
func (f *freshConns) wait() {
	deadline := time.Now().Add(freshGrace)
	pause := time.Millisecond
	for {
		now := time.Now()
		if f.n.Load() == 0 && now.UnixNano()-f.lastLeft.Load() >= int64(time.Millisecond) || now.After(deadline) {
			return
		}
		time.Sleep(pause) // polling, as http.Server.Shutdown does
		if pause < 100*time.Millisecond {
			pause *= 2
		}
	}
}
