package net

import (
	stdnet "net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodecluster/nodecluster/internal/process"
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
	timedOut := false
	var timer *uv.Timer
	process.RunMain(func() {
		l := uv.Default()
		// Exit, not Stop: a loop kept alive would only run again.
		timer = l.SetTimeout(20*time.Second, func() { timedOut = true; process.Get().Exit(process.Get().ExitCode) })
		timer.Unref()
		r := &listenerRig{t: t, loop: l, srv: CreateServer(nil)}
		r.ln = NewListener(r.srv)
		require.NoError(t, r.srv.Listen(0, "127.0.0.1", func() {
			r.port = r.srv.Address().Port
			l.Ref()
			go r.run(body)
		}))
	})
	timer.Stop() // the next test runs on the same loop
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
	timedOut := false
	var timer *uv.Timer
	process.RunMain(func() {
		l := uv.Default()
		timer = l.SetTimeout(20*time.Second, func() { timedOut = true; process.Get().Exit(process.Get().ExitCode) })
		timer.Unref()
		srv := CreateServer(nil)
		srv.On("close", func() { events = append(events, "close") })
		ServeHTTPTLS(srv, &http.Server{}, "/nonexistent/cert.pem", "/nonexistent/key.pem", func(err error) {
			got = err
			events = append(events, "done")
		})
		require.NoError(t, srv.Listen(0, "127.0.0.1"))
	})
	timer.Stop() // the next test runs on the same loop
	require.False(t, timedOut, "the loop did not empty in 20s: the server kept listening")
	require.Error(t, got)
	require.ErrorIs(t, got, os.ErrNotExist)
	require.ElementsMatch(t, []string{"done", "close"}, events)
}
