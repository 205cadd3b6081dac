package net

import (
	"fmt"
	"io"
	stdnet "net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodecluster/nodecluster/internal/uv"
)

// listenerRig runs a Listener on a server of this process's loop and lets
// a goroutine dial, accept and close connections, then hand control back
// to the loop.
type listenerRig struct {
	t    *testing.T
	loop *uv.Loop
	srv  *Server
	ln   *Listener
	port int
}

// dialAccept opens n connections and accepts them through the Listener
// (off the loop).
func (r *listenerRig) dialAccept(n int) (clients, served []stdnet.Conn) {
	for i := 0; i < n; i++ {
		c, err := stdnet.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(r.port), 10*time.Second)
		require.NoError(r.t, err)
		s, err := r.ln.Accept()
		require.NoError(r.t, err)
		clients, served = append(clients, c), append(served, s)
	}
	return clients, served
}

// onLoop runs fn on the loop and waits for it.
func (r *listenerRig) onLoop(fn func()) {
	done := make(chan struct{})
	r.loop.Post(func() { fn(); close(done) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		r.t.Fatal("the loop did not run a posted function within 10s")
	}
}

// run is the test's goroutine beside the loop.
func (r *listenerRig) run(body func(r *listenerRig)) {
	defer r.loop.Post(r.loop.Unref)
	body(r)
}

func runListener(t *testing.T, body func(r *listenerRig)) {
	t.Helper()
	timedOut := RunWithin(20*time.Second, func() {
		l := uv.Default()
		r := &listenerRig{t: t, loop: l, srv: CreateServer(nil)}
		r.ln = NewListener(r.srv)
		require.NoError(t, r.srv.Listen(0, "127.0.0.1", func() {
			r.port = r.srv.Address().Port
			l.Ref()
			go r.run(body)
		}))
	})
	require.False(t, timedOut, "the loop did not empty in 20s")
}

// While the server listens, a Listener connection's close wakes nothing on
// the loop: the close is counted, and the server reads the count when it
// needs it (Connections, GetConnections, the next connection, maxConnections,
// Close). Once the server stops listening every close is posted, so that
// "close" follows the last one.
func TestListenerCountsClosesWithoutWakingTheLoop(t *testing.T) {
	var closed []string
	runListener(t, func(r *listenerRig) {
		r.onLoop(func() { r.srv.On("close", func() { closed = append(closed, "server close") }) })
		clients, served := r.dialAccept(3)
		defer func() {
			for _, c := range clients {
				c.Close()
			}
		}()
		r.onLoop(func() { require.Equal(t, 3, r.srv.connections) })
		require.NoError(t, served[0].Close())
		require.NoError(t, served[1].Close())
		// Show that nothing was posted: the count waits off the loop.
		time.Sleep(100 * time.Millisecond)
		r.onLoop(func() {
			require.EqualValues(t, 2, r.ln.closed.Load(), "closes were drained on the loop while the server listened")
			require.Equal(t, 1, r.srv.Connections())
			require.Zero(t, r.ln.closed.Load())
		})
		// A close after the server stopped listening is posted, and the
		// server's "close" follows it.
		r.onLoop(func() { r.srv.Close(nil) })
		require.NoError(t, served[2].Close())
		deadline := time.Now().Add(10 * time.Second)
		for {
			var n int
			var got []string
			r.onLoop(func() { n, got = r.srv.connections, append([]string(nil), closed...) })
			if n == 0 && len(got) == 1 {
				break
			}
			require.True(t, time.Now().Before(deadline), "after Close the last connection's close was not counted (connections %d, events %v)", n, got)
			time.Sleep(10 * time.Millisecond)
		}
	})
	require.Equal(t, []string{"server close"}, closed)
}

// An unref'd server does not keep the process alive: when its last
// Listener connection closes, the loop ends, as it would after a Socket's
// close in Node.
func TestListenerUnrefServerEndsWithLastClose(t *testing.T) {
	runListener(t, func(r *listenerRig) {
		clients, served := r.dialAccept(1)
		defer clients[0].Close()
		r.onLoop(func() { r.srv.Unref() })
		require.NoError(t, served[0].Close())
		deadline := time.Now().Add(10 * time.Second)
		for {
			var refs int
			r.onLoop(func() { refs = r.srv.connections })
			if refs == 0 {
				break
			}
			require.True(t, time.Now().Before(deadline), "an unref'd server's last close was not counted")
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// A TLS server whose certificate does not load stops listening and
// reports the error, instead of leaving connections queued for an Accept
// that never comes.
func TestServeHTTPTLSBadCertificate(t *testing.T) {
	var got error
	var events []string
	timedOut := RunWithin(20*time.Second, func() {
		srv := CreateServer(nil)
		srv.On("close", func() { events = append(events, "close") })
		ServeHTTPTLS(srv, &http.Server{}, "/nonexistent/cert.pem", "/nonexistent/key.pem", func(err error) {
			got = err
			events = append(events, "done")
		})
		require.NoError(t, srv.Listen(0, "127.0.0.1"))
	})
	require.False(t, timedOut, "the loop did not empty in 20s: the server kept listening")
	require.Error(t, got)
	require.ErrorIs(t, got, os.ErrNotExist)
	require.ElementsMatch(t, []string{"done", "close"}, events)
}

// httpLateRequest is the client of TestServeHTTPAnswersRequestAfterStop:
// it connects, waits until net/http has the connection, has the server
// stop listening, and only then sends its request.
type httpLateRequest struct {
	t        *testing.T
	loop     *uv.Loop
	srv      *Server
	port     int
	accepted <-chan struct{}
	shutdown <-chan struct{}
	answer   chan<- string
}

func (c *httpLateRequest) run() {
	answer := "no answer"
	defer func() { c.answer <- answer }() // runs last: after early is added
	conn, err := stdnet.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(c.port), 10*time.Second)
	if err != nil {
		answer = err.Error()
		return
	}
	defer conn.Close()
	select {
	case <-c.accepted:
	case <-time.After(10 * time.Second):
		answer = "net/http never had the connection"
		return
	}
	c.loop.Post(func() { c.srv.Close(nil) })
	// Show that the shutdown waits for the request.
	early := ""
	select {
	case <-c.shutdown:
		early = " (Shutdown began before the connection's first request)"
	case <-time.After(100 * time.Millisecond):
	}
	defer func() { answer += early }()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")); err != nil {
		answer = err.Error()
		return
	}
	b, err := io.ReadAll(conn)
	answer = string(b)
	if err != nil {
		answer += " (" + err.Error() + ")"
	}
}

// TestServeHTTPAnswersRequestAfterStop: a connection net/http took before
// the server stopped listening (a round-robin handoff that came before the
// disconnect) sends its request only afterwards: it is answered, and
// closed after the answer (keep-alives are off by then), as a Node
// worker's server answers it; then Shutdown runs (its RegisterOnShutdown
// functions) and Serve's result comes. http.Server.Shutdown called at once
// would close that connection unanswered.
func TestServeHTTPAnswersRequestAfterStop(t *testing.T) {
	accepted, shutdown := make(chan struct{}), make(chan struct{})
	answer := make(chan string, 1)
	var served []string
	timedOut := RunWithin(20*time.Second, func() {
		l := uv.Default()
		srv := CreateServer(nil)
		var once sync.Once
		hs := &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "answered") }),
			ConnState: func(_ stdnet.Conn, st http.ConnState) {
				if st == http.StateNew {
					once.Do(func() { close(accepted) })
				}
			},
		}
		hs.RegisterOnShutdown(func() { close(shutdown) })
		ServeHTTP(srv, hs, func(err error) { served = append(served, fmt.Sprint("done ", err)) })
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			c := &httpLateRequest{t: t, loop: l, srv: srv, port: srv.Address().Port, accepted: accepted, shutdown: shutdown, answer: answer}
			go c.run()
		}))
	})
	require.False(t, timedOut, "the loop did not empty in 20s")
	got := <-answer
	require.True(t, strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n"), "answer %q", got)
	require.Contains(t, got, "\r\nConnection: close\r\n")
	require.True(t, strings.HasSuffix(got, "\r\n\r\nanswered"), "answer %q", got)
	require.NotContains(t, got, "Shutdown began")
	select {
	case <-shutdown: // Shutdown starts these functions on goroutines of their own
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown never ran (RegisterOnShutdown)")
	}
	require.Equal(t, []string{"done <nil>"}, served)
}
