package net_test

// Writes a socket cannot make: a socket destroyed while it connects, with
// writes and an End waiting; a write that fails at once because the peer
// is gone (EPIPE on a Unix socket). What each callback gets, in which
// order, and the socket's state then, as node v20.20.2 printed them
// (net/testdata/socket_write_errors.js).

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

// writeErrCode is what the JS twin prints for an error: its code, or its
// message when it has none.
func writeErrCode(err error) string {
	var e *net.Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return "null"
	}
	return err.Error()
}

func writeState(c *net.Socket) string {
	return fmt.Sprintf("destroyed %v writable %v errored %s wl %d", c.Destroyed(), c.Writable(), writeErrCode(c.Errored()), c.WritableLength())
}

// TestSocketDestroyedWhileConnectingFailsWrites: the first write waiting
// for the connection gets ERR_SOCKET_CLOSED_BEFORE_CONNECTION, which
// becomes the socket's error unless Destroy gave one; the writes behind
// it and End's callback get the socket's error, and none of them counts
// in WritableLength any more. Before, the others got ERR_STREAM_DESTROYED,
// End's callback was never called, and WritableLength stayed at 1.
func TestSocketDestroyedWhileConnectingFailsWrites(t *testing.T) {
	for _, tc := range []struct {
		destroyErr error
		want       []string
	}{
		{nil, []string{"cb a ERR_SOCKET_CLOSED_BEFORE_CONNECTION", "cb b ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
			"end cb ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
			"close false destroyed true writable false errored ERR_SOCKET_CLOSED_BEFORE_CONNECTION wl 0"}},
		{errors.New("mine"), []string{"error mine", "cb a ERR_SOCKET_CLOSED_BEFORE_CONNECTION", "cb b mine", "end cb mine",
			"close true destroyed true writable false errored mine wl 0"}},
	} {
		t.Run(fmt.Sprint(tc.destroyErr), func(t *testing.T) {
			var lines []string
			log := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
			run(t, func() {
				srv := net.CreateServer(func(*net.Socket) {})
				require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
					c, err := net.Connect(srv.AddressPort(), "127.0.0.1")
					require.NoError(t, err)
					c.On("error", func(e error) { log("error %s", writeErrCode(e)) })
					c.Write([]byte("a"), func(e error) { log("cb a %s", writeErrCode(e)) })
					c.Write([]byte("b"), func(e error) { log("cb b %s", writeErrCode(e)) })
					c.End([]byte("c"), func(e error) { log("end cb %s", writeErrCode(e)) })
					c.Destroy(tc.destroyErr)
					c.On("close", func(hadError bool) {
						log("close %v %s", hadError, writeState(c))
						srv.Close(nil)
					})
				}))
			})
			if d := cmp.Diff(tc.want, lines); d != "" {
				t.Errorf("(-node +port):\n%s", d)
			}
		})
	}
}

// TestSocketWriteFailsAtOnce: a write to a Unix socket whose peer has
// closed fails at once (EPIPE). As in a Writable, the error becomes the
// socket's at once (Writable false, Write answers false, a write made
// meanwhile waits and is failed with it), and the socket is destroyed
// only on the next tick, after the callbacks; an End whose data fails so
// gets the write's error, once the socket is destroyed. Before, the
// socket was destroyed inside Write, and End's callback got
// ERR_STREAM_DESTROYED after "error".
func TestSocketWriteFailsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		then func(c *net.Socket, log func(string, ...any))
		want []string
	}{
		{"write", func(c *net.Socket, log func(string, ...any)) {
			log("w1 %v %s", c.Write([]byte("x"), func(e error) { log("cb x %s %s", writeErrCode(e), writeState(c)) }), writeState(c))
			log("w2 %v %s", c.Write([]byte("y"), func(e error) { log("cb y %s %s", writeErrCode(e), writeState(c)) }), writeState(c))
		}, []string{
			"w1 false destroyed false writable false errored EPIPE wl 0",
			"w2 false destroyed false writable false errored EPIPE wl 1",
			"cb x EPIPE destroyed false writable false errored EPIPE wl 1",
			"cb y EPIPE destroyed false writable false errored EPIPE wl 0",
			"tick destroyed true writable false errored EPIPE wl 0",
			"error EPIPE destroyed true writable false errored EPIPE wl 0",
			"close true destroyed true writable false errored EPIPE wl 0",
		}},
		{"end", func(c *net.Socket, log func(string, ...any)) {
			c.End([]byte("last"), func(e error) { log("end cb %s %s", writeErrCode(e), writeState(c)) })
			log("ended %s", writeState(c))
		}, []string{
			"ended destroyed false writable false errored EPIPE wl 0",
			"end cb EPIPE destroyed true writable false errored EPIPE wl 0",
			"tick destroyed true writable false errored EPIPE wl 0",
			"error EPIPE destroyed true writable false errored EPIPE wl 0",
			"close true destroyed true writable false errored EPIPE wl 0",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lines []string
			log := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
			p := filepath.Join(t.TempDir(), "s")
			run(t, func() {
				srv := net.CreateServer(func(s *net.Socket) { s.Destroy(nil) })
				require.NoError(t, srv.Listen(p, func() {
					c, err := net.Connect(net.ConnectOptions{Path: p, AllowHalfOpen: true})
					require.NoError(t, err)
					c.On("error", func(e error) { log("error %s %s", writeErrCode(e), writeState(c)) })
					c.On("close", func(hadError bool) {
						log("close %v %s", hadError, writeState(c))
						srv.Close(nil)
					})
					c.On("end", func() {
						tc.then(c, log)
						uv.Default().NextTick(func() { log("tick %s", writeState(c)) })
					})
					c.Resume()
				}))
			})
			if d := cmp.Diff(tc.want, lines); d != "" {
				t.Errorf("(-node +port):\n%s", d)
			}
		})
	}
}

// TestSocketConnectedAgainWritesNothingStale: a socket destroyed while
// it connected, with a write waiting, then connected again: only what is
// written to the new connection reaches it. node v20.20.2 (its first
// "connect" listener left on the socket) writes the stale "a" to the new
// connection and fails with ERR_MULTIPLE_CALLBACK, which
// NODECLUSTER_REPRODUCE_V20=stale-connect-write reproduces: the lines and
// the server's reads below are node's for the same script.
func TestSocketConnectedAgainWritesNothingStale(t *testing.T) {
	defer func(v bool) { net.ReproduceStaleConnectWrite = v }(net.ReproduceStaleConnectWrite)
	for _, tc := range []struct {
		reproduce   bool
		want, reads []string
	}{
		{false, []string{"cb a ERR_SOCKET_CLOSED_BEFORE_CONNECTION", "write b true", "closed again"}, []string{"b"}},
		{true, []string{"cb a ERR_SOCKET_CLOSED_BEFORE_CONNECTION", "write b false", "error ERR_MULTIPLE_CALLBACK", "closed again"}, []string{"a"}},
	} {
		t.Run(fmt.Sprintf("reproduce=%v", tc.reproduce), func(t *testing.T) {
			net.ReproduceStaleConnectWrite = tc.reproduce
			var lines, reads []string
			log := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
			run(t, func() {
				var srv *net.Server
				srv = net.CreateServer(func(s *net.Socket) {
					var data []byte
					s.On("data", func(d []byte) { data = append(data, d...) })
					s.On("error", func(error) {})
					s.On("end", func() {
						s.End(nil)
						if len(data) > 0 {
							reads = append(reads, string(data))
							srv.Close(nil)
						}
					})
				})
				require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
					port := srv.AddressPort()
					c := net.NewSocket(net.SocketOptions{})
					require.NoError(t, c.Connect(port, "127.0.0.1"))
					c.Write([]byte("a"), func(e error) { log("cb a %s", writeErrCode(e)) })
					c.Destroy(nil)
					c.Once("close", func(bool) {
						c.On("error", func(e error) { log("error %s", writeErrCode(e)) })
						c.On("close", func(bool) { log("closed again") })
						require.NoError(t, c.Connect(port, "127.0.0.1", func() {
							log("write b %v", c.Write([]byte("b"), nil))
							c.End(nil)
						}))
					})
				}))
			})
			if d := cmp.Diff(tc.want, lines); d != "" {
				t.Errorf("client (-node +port):\n%s", d)
			}
			if d := cmp.Diff(tc.reads, reads); d != "" {
				t.Errorf("server reads (-node +port):\n%s", d)
			}
		})
	}
}

// TestSocketDestroyCallbacksSeeBytesWritten: the callbacks Destroy runs
// for writes queued behind one the peer does not read (and End's) see
// BytesWritten with those writes' bytes still in it, as Node's do (its
// buffer is emptied after them); "close" sees them gone
// (net/testdata/socket_destroy_bytes_written.js).
func TestSocketDestroyCallbacksSeeBytesWritten(t *testing.T) {
	var lines []string
	log := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
	code := func(e error) string {
		if e == nil {
			return "null"
		}
		return writeErrCode(e)
	}
	run(t, func() {
		srv := net.CreateServer(func(s *net.Socket) { s.Pause(); s.On("error", func(error) {}) })
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			var c *net.Socket
			c, _ = net.Connect(srv.AddressPort(), "127.0.0.1", func() {
				c.Write(make([]byte, 16<<20), func(e error) { log("cb1 %s %d", code(e), c.BytesWritten) })
				c.Write([]byte("xx"), func(e error) { log("cb2 %s %d", code(e), c.BytesWritten) })
				c.End([]byte("yy"), func(e error) { log("endcb %s %d", code(e), c.BytesWritten) })
				log("before destroy %d", c.BytesWritten)
				uv.Default().SetTimeout(50*time.Millisecond, func() { c.Destroy(nil) })
			})
			c.On("close", func(bool) { log("close %d", c.BytesWritten); srv.Close(nil) })
		}))
	})
	want := []string{"before destroy 16777220", "cb1 null 16777220", "cb2 ERR_STREAM_DESTROYED 16777220",
		"endcb ERR_STREAM_DESTROYED 16777220", "close 16777216"}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}
