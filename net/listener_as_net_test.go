package net

// The Listener and its conns against Go's own net (the oracle): the same
// operations on a net.Listen listener and on this package's Listener, in
// one process, give the same results and errors of the same shape.

import (
	"errors"
	"fmt"
	"io"
	stdnet "net"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/nodecluster/nodecluster/internal/uv"
)

// opShape describes err as far as a caller can tell it apart: its text,
// with the ports put aside, and the fields of its *net.OpError.
func opShape(err error) string {
	if err == nil {
		return "nil"
	}
	var oe *stdnet.OpError
	if !errors.As(err, &oe) {
		return fmt.Sprintf("%T", err)
	}
	inner := "other"
	var ioe *stdnet.OpError
	switch {
	case errors.As(oe.Err, &ioe):
		inner = "OpError " + ioe.Op
	case errors.Is(oe.Err, stdnet.ErrClosed):
		inner = "ErrClosed"
	case errors.Is(oe.Err, os.ErrDeadlineExceeded):
		inner = "deadline"
	case errors.Is(oe.Err, syscall.EPIPE), errors.Is(oe.Err, syscall.ECONNRESET):
		inner = "peer gone"
	}
	return fmt.Sprintf("op=%s net=%s source=%v addr=%v err=%s", oe.Op, oe.Net, oe.Source != nil, oe.Addr != nil, inner)
}

// asNetConns runs body on a connection Go's net accepted and on one the
// Listener accepted, each with its client, and compares what body saw.
func asNetConns(t *testing.T, body func(served, client stdnet.Conn) []string) {
	t.Helper()
	ln, err := stdnet.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	client, err := stdnet.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	served, err := ln.Accept()
	require.NoError(t, err)
	want := body(served, client)
	served.Close()
	client.Close()
	ln.Close()

	var got []string
	runListener(t, func(r *listenerRig) {
		clients, served := r.dialAccept(1)
		got = body(served[0], clients[0])
		served[0].Close()
		clients[0].Close()
		r.ln.Close()
	})
	require.Empty(t, cmp.Diff(want, got), "Go's net (-) and the Listener (+) differ")
}

// A conn keeps its peer's address once the peer has reset the connection
// (getpeername fails from then on): net's conns know it from accept, and
// errors name it. The Listener's asked for it only when first wanted, and
// after a reset got an empty address (":0").
func TestListenerConnAddressesAfterPeerReset(t *testing.T) {
	asNetConns(t, func(served, client stdnet.Conn) []string {
		require.NoError(t, client.(*stdnet.TCPConn).SetLinger(0))
		clientAddr := client.LocalAddr().String()
		require.NoError(t, client.Close()) // a reset
		_, err := served.Read(make([]byte, 1))
		require.Error(t, err)
		return []string{
			fmt.Sprint("remote is the client: ", served.RemoteAddr().String() == clientAddr),
			"read: " + opShape(err),
			fmt.Sprint("error names the client: ", strings.Contains(err.Error(), "->"+clientAddr)),
		}
	})
}

// The errors of a closed conn's setters, of a closed listener, and of
// ReadFrom, shaped as net's: a deadline's or a buffer's setter names the
// local address alone; ReadFrom's error is a "readfrom" around the write's.
func TestListenerErrorsShapedAsNet(t *testing.T) {
	asNetConns(t, func(served, client stdnet.Conn) []string {
		var out []string
		require.NoError(t, client.(*stdnet.TCPConn).SetLinger(0))
		require.NoError(t, client.Close())
		served.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := served.Read(make([]byte, 1)) // the reset is in
		require.ErrorIs(t, err, syscall.ECONNRESET)
		require.NoError(t, served.SetReadDeadline(time.Time{}))
		src := io.MultiReader(strings.NewReader(strings.Repeat("x", 1<<20)), strings.NewReader(strings.Repeat("y", 1<<20)))
		_, err = served.(io.ReaderFrom).ReadFrom(src)
		out = append(out, "readfrom: "+opShape(err))
		require.NoError(t, served.Close())
		out = append(out,
			"SetDeadline: "+opShape(served.SetDeadline(time.Now())),
			"SetReadDeadline: "+opShape(served.SetReadDeadline(time.Now())),
			"SetWriteDeadline: "+opShape(served.SetWriteDeadline(time.Now())),
			"SetReadBuffer: "+opShape(served.(interface{ SetReadBuffer(int) error }).SetReadBuffer(4096)),
			"SetWriteBuffer: "+opShape(served.(interface{ SetWriteBuffer(int) error }).SetWriteBuffer(4096)),
			"SetNoDelay: "+opShape(served.(interface{ SetNoDelay(bool) error }).SetNoDelay(true)),
		)
		n, err := served.Read(nil)
		out = append(out, fmt.Sprintf("empty read of a closed conn: %d %s", n, opShape(err)))
		return out
	})
}

// An empty Read returns at once, even past its deadline, as net's does
// (an empty Write still reports the deadline, as net's does).
func TestListenerConnEmptyReadPastDeadline(t *testing.T) {
	asNetConns(t, func(served, client stdnet.Conn) []string {
		require.NoError(t, served.SetDeadline(time.Now().Add(-time.Second)))
		n, rerr := served.Read(nil)
		m, werr := served.Write(nil)
		return []string{fmt.Sprintf("read %d %s", n, opShape(rerr)), fmt.Sprintf("write %d %s", m, opShape(werr))}
	})
}

// Close, with an accept loop that stopped calling Accept: the connections
// still queued are reset (after the grace Accept has to take them, see
// TestListenerAcceptAfterCloseTakesWhatWasQueued), as closing net's
// listener resets those in its backlog; Accept then fails, and so does a
// second Close, each with net's error. The queued connections held the
// loop: the process did not end, and their clients waited for ever.
func TestListenerCloseResetsQueuedConnections(t *testing.T) {
	shapes := func(accept func() (stdnet.Conn, error), closeLn func() error, clients []stdnet.Conn) []string {
		var out []string
		for i, c := range clients {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err := c.Read(make([]byte, 1))
			out = append(out, fmt.Sprintf("client %d: reset %v", i, errors.Is(err, syscall.ECONNRESET)))
		}
		_, err := accept()
		out = append(out, "accept: "+opShape(err))
		out = append(out, "close again: "+opShape(closeLn()))
		return out
	}
	ln, err := stdnet.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var clients []stdnet.Conn
	for i := 0; i < 2; i++ {
		c, err := stdnet.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		clients = append(clients, c)
	}
	require.NoError(t, ln.Close())
	want := shapes(ln.Accept, ln.Close, clients)

	var got []string
	runListener(t, func(r *listenerRig) {
		clients := r.dialQueued(2)
		require.NoError(t, r.ln.Close())
		got = shapes(r.ln.Accept, r.ln.Close, clients)
	})
	require.Empty(t, cmp.Diff(want, got), "Go's net (-) and the Listener (+) differ")
}

// fileWithoutWriteTo is what io.Copy hands a conn's ReadFrom for an
// *os.File (Go 1.22 and later: os.File.WriteTo wraps the file so that the
// copy does not come back to it).
type fileWithoutWriteTo struct {
	noWriteTo
	*os.File
}

type noWriteTo struct{}

func (noWriteTo) WriteTo(io.Writer) (int64, error) { panic("not called") }

// io.Copy from a file to a conn goes through sendfile(2), as with net's
// conns: the file arrives wrapped (fileWithoutWriteTo), which sendFile
// took for a plain reader and copied through the process.
func TestListenerConnSendfileFromWrappedFile(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "sendfile")
	require.NoError(t, err)
	defer f.Close()
	body := strings.Repeat("sendfile ", 10000)
	_, err = f.WriteString(body)
	require.NoError(t, err)
	runListener(t, func(r *listenerRig) {
		client, c := r.acceptOne()
		_, err := f.Seek(0, io.SeekStart)
		require.NoError(t, err)
		n, handled, err := c.sendFile(fileWithoutWriteTo{File: f})
		require.NoError(t, err)
		require.True(t, handled, "a wrapped *os.File is sent with sendfile")
		require.EqualValues(t, len(body), n)
		require.NoError(t, c.Close())
		got, err := io.ReadAll(client)
		require.NoError(t, err)
		require.Equal(t, body, string(got))
		r.ln.Close()
	})
}

// A conn from another process (c.shared: a round-robin handoff) is shut
// down before its close, so that its peer sees the end while the primary
// still holds its copy; but not while it holds bytes nobody read: net's
// Close then resets the connection, and a shutdown first turned that into
// an orderly end (the peer read EOF, not ECONNRESET).
func TestListenerSharedConnCloseWithUnreadData(t *testing.T) {
	runListener(t, func(r *listenerRig) {
		client, c := r.acceptOne()
		c.shared = true
		_, err := client.Write([]byte("0123456789"))
		require.NoError(t, err)
		b := make([]byte, 1)
		_, err = io.ReadFull(c, b)
		require.NoError(t, err)
		// The other nine bytes are in; Close with them unread.
		r.waitUnread(c, 9)
		require.NoError(t, c.Close())
		client.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = client.Read(b)
		require.ErrorIs(t, err, syscall.ECONNRESET, "the peer reads a reset, as from net's conn closed with unread bytes")
		r.ln.Close()
	})
}

// File gives a copy of the descriptor, as net's conns do: the connection
// lives on through it once the conn is closed, and ends when it closes.
func TestListenerConnFile(t *testing.T) {
	asNetConns(t, func(served, client stdnet.Conn) []string {
		f, err := served.(interface{ File() (*os.File, error) }).File()
		require.NoError(t, err)
		name := f.Name() == "tcp:"+served.LocalAddr().String()+"->"+served.RemoteAddr().String()
		require.NoError(t, served.Close())
		_, err = f.WriteString("through the copy\n")
		require.NoError(t, err)
		_, err = client.Write([]byte("to the copy\n"))
		require.NoError(t, err)
		b := make([]byte, len("to the copy\n"))
		_, err = io.ReadFull(f, b)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		client.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(client)
		_, ferr := served.(interface{ File() (*os.File, error) }).File()
		return []string{
			fmt.Sprint("name: ", name), "copy read: " + string(b),
			"client read: " + string(got), "client end: " + opShape(err),
			"File of a closed conn: " + opShape(ferr),
		}
	})
}

// methodSet tells which of the methods Go code looks for (type
// assertions on a net.Conn) c has.
func methodSet(c stdnet.Conn) []string {
	var has []string
	for name, ok := range map[string]bool{
		"CloseWrite":         implements[interface{ CloseWrite() error }](c),
		"CloseRead":          implements[interface{ CloseRead() error }](c),
		"SetNoDelay":         implements[interface{ SetNoDelay(bool) error }](c),
		"SetKeepAlive":       implements[interface{ SetKeepAlive(bool) error }](c),
		"SetKeepAlivePeriod": implements[interface{ SetKeepAlivePeriod(time.Duration) error }](c),
		"SetKeepAliveConfig": implements[interface {
			SetKeepAliveConfig(stdnet.KeepAliveConfig) error
		}](c),
		"SetLinger":      implements[interface{ SetLinger(int) error }](c),
		"SetReadBuffer":  implements[interface{ SetReadBuffer(int) error }](c),
		"SetWriteBuffer": implements[interface{ SetWriteBuffer(int) error }](c),
		"ReaderFrom":     implements[io.ReaderFrom](c),
		"File":           implements[interface{ File() (*os.File, error) }](c),
		"SyscallConn":    implements[syscall.Conn](c),
	} {
		if ok {
			has = append(has, name)
		}
	}
	sort.Strings(has)
	return has
}

func implements[I any](c stdnet.Conn) bool { _, ok := c.(I); return ok }

// A TCP conn has what net.TCPConn has of those methods, a Unix-socket conn
// what net.UnixConn has: the TCP options, SetLinger and io.ReaderFrom
// only on TCP (code that looks for SetNoDelay on a Unix socket's conn
// found it, and got EOPNOTSUPP from it).
func TestListenerConnMethodsAsNet(t *testing.T) {
	dir := t.TempDir()
	for _, network := range []string{"tcp", "unix"} {
		addr := "127.0.0.1:0"
		if network == "unix" {
			addr = dir + "/net.sock"
		}
		ln, err := stdnet.Listen(network, addr)
		require.NoError(t, err)
		client, err := stdnet.Dial(network, ln.Addr().String())
		require.NoError(t, err)
		served, err := ln.Accept()
		require.NoError(t, err)
		want := methodSet(served)
		served.Close()
		client.Close()
		ln.Close()

		var got []string
		timedOut := RunWithin(20*time.Second, func() {
			srv := CreateServer(nil)
			l := NewListener(srv)
			onListening := func() {
				uv.Default().Ref()
				go func() {
					defer uv.Default().Post(uv.Default().Unref)
					client, err := stdnet.Dial(network, l.Addr().String())
					require.NoError(t, err)
					defer client.Close()
					served, err := l.Accept()
					require.NoError(t, err)
					got = methodSet(served)
					served.Close()
					l.Close()
				}()
			}
			if network == "unix" {
				require.NoError(t, srv.Listen(dir+"/port.sock", onListening))
			} else {
				require.NoError(t, srv.Listen(0, "127.0.0.1", onListening))
			}
		})
		require.False(t, timedOut, "%s: the loop did not empty in 20s", network)
		require.Empty(t, cmp.Diff(want, got), "%s: net's conn (-) and the Listener's (+) differ", network)
	}
}

// After Close, Accept still hands out the connections queued before it
// (the worker accepted them: the primary gave them to no other worker, and
// a Node worker's server serves what it accepted), then fails with net's
// error: an accept loop such as http.Server.Serve under Shutdown serves
// them, where net's Close would reset its backlog.
func TestListenerAcceptAfterCloseTakesWhatWasQueued(t *testing.T) {
	runListener(t, func(r *listenerRig) {
		clients := r.dialQueued(2)
		require.NoError(t, r.ln.Close())
		for i := 0; i < 2; i++ {
			c, err := r.ln.Accept()
			require.NoError(t, err, "queued connection %d", i)
			_, err = c.Write([]byte("served\n"))
			require.NoError(t, err)
			require.NoError(t, c.Close())
		}
		_, err := r.ln.Accept()
		require.Equal(t, "op=accept net=tcp source=false addr=true err=ErrClosed", opShape(err))
		for i, c := range clients {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			got, err := io.ReadAll(c)
			require.NoError(t, err, "client %d", i)
			require.Equal(t, "served\n", string(got), "client %d", i)
		}
	})
}

// A conn whose descriptor was copied with File is closed alone, even one
// that came from another process (where Close shuts the socket down for
// writing first, see TestListenerSharedConnCloseWithUnreadData): the
// copy's connection lives on, as net promises.
func TestListenerSharedConnFileOutlivesClose(t *testing.T) {
	runListener(t, func(r *listenerRig) {
		client, c := r.acceptOne()
		c.shared = true
		f, err := c.File()
		require.NoError(t, err)
		require.NoError(t, c.Close())
		_, err = f.WriteString("through the copy\n")
		require.NoError(t, err, "the copy can still write")
		require.NoError(t, f.Close())
		client.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(client)
		require.NoError(t, err)
		require.Equal(t, "through the copy\n", string(got))
		r.ln.Close()
	})
}

// A socket sent with a message (given to the server with
// Emit("connection", socket): its sender may keep its copy as long as it
// likes, keepOpen) is shut down at Close even with bytes unread, so that
// its peer sees the end; a round-robin connection with bytes unread is
// not (its peer reads a reset once the primary closes, which it does at
// once: TestListenerSharedConnCloseWithUnreadData).
func TestListenerSentSocketCloseWithUnreadData(t *testing.T) {
	runListener(t, func(r *listenerRig) {
		client, c := r.acceptOne()
		c.shared, c.uncounted = true, true
		// The sender's copy, kept open.
		var kept int
		require.NoError(t, c.rc.Control(func(fd uintptr) {
			var err error
			kept, err = syscall.Dup(int(fd))
			require.NoError(t, err)
		}))
		defer syscall.Close(kept)
		_, err := client.Write([]byte("unread"))
		require.NoError(t, err)
		r.waitUnread(c, 6)
		require.NoError(t, c.Close())
		client.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = client.Read(make([]byte, 1))
		require.ErrorIs(t, err, io.EOF, "the peer sees the end while the sender keeps its copy")
		r.ln.Close()
	})
}

// A connection the server accepted just as Close was called off the loop
// (the loop had it, and queues it once the callback that holds it ends)
// still comes out of Accept and is served: Accept waits for the loop to
// see the stop before it says the listener is closed. It said so at once,
// and the connection, queued after, was closed unserved.
func TestListenerCloseWhileALoopCallbackHoldsAConnection(t *testing.T) {
	runListener(t, func(r *listenerRig) {
		closed := make(chan struct{})
		r.onLoop(func() {
			// A second "connection" listener: the Listener takes the
			// socket on the next tick, once this one has run.
			r.srv.On("connection", func(*Socket) {
				go func() {
					require.NoError(t, r.ln.Close())
					close(closed)
				}()
				<-closed // Close is called while the socket is still the loop's
			})
		})
		client, err := stdnet.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.port))
		require.NoError(t, err)
		defer client.Close()
		<-closed
		c, err := r.ln.Accept()
		require.NoError(t, err, "the connection accepted before Close comes out of Accept")
		_, err = c.Write([]byte("served"))
		require.NoError(t, err)
		require.NoError(t, c.Close())
		_, err = r.ln.Accept()
		require.ErrorIs(t, err, ErrListenerClosed)
		client.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(client)
		require.NoError(t, err)
		require.Equal(t, "served", string(got))
	})
}

// dialQueued opens n connections and waits until the Listener has them
// queued for Accept; they are closed when the test ends.
func (r *listenerRig) dialQueued(n int) []stdnet.Conn {
	var clients []stdnet.Conn
	for i := 0; i < n; i++ {
		c, err := stdnet.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.port))
		require.NoError(r.t, err)
		r.t.Cleanup(func() { c.Close() })
		clients = append(clients, c)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.ln.mu.Lock()
		queued := len(r.ln.queue)
		r.ln.mu.Unlock()
		if queued == n {
			return clients
		}
		require.True(r.t, time.Now().Before(deadline), "the %d connections were not queued for Accept within 10s (%d were)", n, queued)
		time.Sleep(5 * time.Millisecond)
	}
}

// A server that stops listening without the Listener's Close (its Close,
// a worker's Disconnect) leaves what is queued to Accept for as long as it
// takes (an accept loop held up by a limit on its connections, say), as a
// disconnecting Node worker waits for its connections; only Close resets
// what is left after a grace.
func TestListenerStopWithoutCloseLeavesQueuedToAccept(t *testing.T) {
	runListener(t, func(r *listenerRig) {
		clients := r.dialQueued(1)
		r.onLoop(func() { r.srv.Close(nil) })
		<-r.ln.Stopped()
		// Showing that nothing resets it needs a wait past the grace.
		time.Sleep(closeGrace + 500*time.Millisecond)
		c, err := r.ln.Accept()
		require.NoError(t, err, "the queued connection is still there")
		_, err = c.Write([]byte("served"))
		require.NoError(t, err)
		require.NoError(t, c.Close())
		_, err = r.ln.Accept()
		require.ErrorIs(t, err, ErrListenerClosed)
		clients[0].SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(clients[0])
		require.NoError(t, err)
		require.Equal(t, "served", string(got))
	})
}

// acceptOne opens a connection and accepts it through the Listener: the
// client (closed when the test ends) and the Listener's conn.
func (r *listenerRig) acceptOne() (stdnet.Conn, *conn) {
	clients, served := r.dialAccept(1)
	r.t.Cleanup(func() { clients[0].Close() })
	return clients[0], ownConn(served[0])
}

// waitUnread waits until c's socket holds n bytes nobody read (the
// client's, arrived).
func (r *listenerRig) waitUnread(c *conn, n int) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := c.fd.Unread()
		require.NoError(r.t, err)
		if got == n {
			return
		}
		require.True(r.t, time.Now().Before(deadline), "the client's bytes did not arrive (%d unread, want %d)", got, n)
		time.Sleep(time.Millisecond)
	}
}
