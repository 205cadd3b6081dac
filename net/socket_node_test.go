package net_test

// The server-side Socket's ends as Node v20.20.2 gives them (a probe
// compared each with node, in the primary and in workers of both
// policies): errors, writes after end or destroy, pause in the
// "connection" listener, the server's close around its last socket.

import (
	"fmt"
	"io"
	stdnet "net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

// sockScenario runs a server whose "connection" listener is onConn, and
// client (on its own goroutine) against it; it returns what the log
// function recorded, in order.
func sockScenario(t *testing.T, opts net.ServerOptions, onConn func(s *net.Socket, log func(string, ...any), srv *net.Server), client func(addr string) error) []string {
	t.Helper()
	var events []string
	log := func(format string, a ...any) { events = append(events, fmt.Sprintf(format, a...)) }
	var clientErr error
	run(t, func() {
		l := uv.Default()
		var srv *net.Server
		srv = net.NewServer(opts, func(s *net.Socket) {
			s.On("close", func(hadError bool) {
				log("close %v", hadError)
				srv.Close(nil)
			})
			onConn(s, log, srv)
		})
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			l.Ref()
			addr := "127.0.0.1:" + strconv.Itoa(srv.Address().Port)
			go offLoop(l, func() error { return client(addr) }, func(err error) { clientErr = err })
		}))
	})
	require.NoError(t, clientErr)
	return events
}

func dialTCP(addr string) (*stdnet.TCPConn, error) {
	c, err := stdnet.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c.(*stdnet.TCPConn), nil
}

// readToEnd is a client that reads what the server sends until it ends.
func readToEnd(addr string) error {
	c, err := dialTCP(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	io.Copy(io.Discard, c)
	return nil
}

func errCode(err error) string {
	if e, ok := err.(*net.Error); ok {
		return e.Code + " " + e.Syscall
	}
	return fmt.Sprint(err)
}

// errCodeOnly is errCode without the system call.
func errCodeOnly(err error) string {
	if e, ok := err.(*net.Error); ok {
		return e.Code
	}
	return fmt.Sprint(err)
}

// A write the peer refuses (it half-closed, then reset) ends the socket:
// the write's callback and "error" get Node's error, then "close" true;
// the server does not wait forever.
func TestSocketWriteErrorDestroys(t *testing.T) {
	events := sockScenario(t, net.ServerOptions{AllowHalfOpen: true}, func(s *net.Socket, log func(string, ...any), _ *net.Server) {
		s.On("error", func(err error) { log("error %s", errCode(err)) })
		s.On("data", func([]byte) {}) // "end" comes to a socket that is read
		s.On("end", func() {
			chunk := make([]byte, 1<<20)
			var write func()
			failed := false
			write = func() {
				s.Write(chunk, func(err error) {
					if err != nil && !failed {
						failed = true
						log("write cb %s", errCode(err))
						return
					}
					if !failed && !s.Destroyed() {
						write()
					}
				})
			}
			write()
		})
	}, func(addr string) error {
		c, err := dialTCP(addr)
		if err != nil {
			return err
		}
		c.CloseWrite()
		time.Sleep(50 * time.Millisecond) // the server is writing
		c.SetLinger(0)
		return c.Close() // RST
	})
	require.Len(t, events, 3, "%q", events)
	require.Regexp(t, `^write cb (EPIPE|ECONNRESET) write$`, events[0])
	require.Equal(t, "error "+strings.TrimPrefix(events[0], "write cb "), events[1])
	require.Equal(t, "close true", events[2])
}

// A reset while writes wait is the read's ECONNRESET (libuv reads before
// it writes), not a clean end.
func TestSocketResetWithWritesQueued(t *testing.T) {
	events := sockScenario(t, net.ServerOptions{}, func(s *net.Socket, log func(string, ...any), _ *net.Server) {
		s.On("error", func(err error) { log("error %s", errCode(err)) })
		s.On("end", func() { log("end") })
		s.On("finish", func() { log("finish") })
		chunk := make([]byte, 4<<20)
		s.Write(chunk, nil) // more than the socket takes: the rest waits
	}, func(addr string) error {
		c, err := dialTCP(addr)
		if err != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond)
		c.SetLinger(0)
		return c.Close()
	})
	require.Equal(t, []string{"error ECONNRESET read", "close true"}, events)
}

// end(a) then end(b), and write after end: ERR_STREAM_WRITE_AFTER_END,
// the socket destroyed with it (no "finish"); write after destroy: the
// callback's ERR_STREAM_DESTROYED, no "error".
func TestSocketWritesAfterEndOrDestroy(t *testing.T) {
	client := readToEnd
	for _, c := range []struct {
		name string
		do   func(s *net.Socket, log func(string, ...any))
		want []string
	}{
		{"end twice with data", func(s *net.Socket, log func(string, ...any)) {
			s.End([]byte("a"))
			s.End([]byte("b"))
		}, []string{"error ERR_STREAM_WRITE_AFTER_END ", "close true"}},
		{"write after end", func(s *net.Socket, log func(string, ...any)) {
			s.End(nil)
			log("write %v", s.Write([]byte("x"), func(err error) { log("write cb %s", errCode(err)) }))
		}, []string{"write false", "write cb ERR_STREAM_WRITE_AFTER_END ", "error ERR_STREAM_WRITE_AFTER_END ", "close true"}},
		{"write after destroy", func(s *net.Socket, log func(string, ...any)) {
			s.Destroy(nil)
			log("write %v", s.Write([]byte("x"), func(err error) { log("write cb %s", errCode(err)) }))
		}, []string{"write false", "write cb ERR_STREAM_DESTROYED ", "close false"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			events := sockScenario(t, net.ServerOptions{}, func(s *net.Socket, log func(string, ...any), _ *net.Server) {
				s.On("error", func(err error) { log("error %s", errCode(err)) })
				s.On("finish", func() { log("finish") })
				c.do(s, log)
			}, client)
			if d := cmp.Diff(c.want, events); d != "" {
				t.Errorf("(-node +port):\n%s", d)
			}
		})
	}
}

// Pause in the "connection" listener holds the data back until Resume.
func TestSocketPauseInConnectionListener(t *testing.T) {
	events := sockScenario(t, net.ServerOptions{}, func(s *net.Socket, log func(string, ...any), _ *net.Server) {
		s.Pause()
		s.On("data", func(b []byte) {
			log("data %s", b)
			s.End(nil)
		})
		uv.Default().SetTimeout(100*time.Millisecond, func() {
			log("resume")
			s.Resume()
		})
	}, func(addr string) error {
		c, err := dialTCP(addr)
		if err != nil {
			return err
		}
		defer c.Close()
		c.Write([]byte("abc"))
		io.Copy(io.Discard, c)
		return nil
	})
	require.Equal(t, []string{"resume", "data abc", "close false"}, events)
}

// server.close() with connections open: the last socket's destroy counts
// it gone at once, so getConnections in its "close" says 0, and the
// server's "close" and close callback come before that socket's "close".
func TestServerCloseAroundItsLastSocket(t *testing.T) {
	var events []string
	log := func(format string, a ...any) { events = append(events, fmt.Sprintf(format, a...)) }
	run(t, func() {
		l := uv.Default()
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			s.On("close", func(bool) {
				srv.GetConnections(func(err error, n int) { log("socket close, connections %d", n) })
			})
			srv.Close(func(err error) { log("close cb %v", err) })
		})
		srv.On("close", func() { log("server close") })
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			l.Ref()
			addr := "127.0.0.1:" + strconv.Itoa(srv.Address().Port)
			go offLoop(l, func() error {
				c, err := dialTCP(addr)
				if err == nil {
					c.Close()
				}
				return err
			}, func(error) {})
		}))
	})
	require.Equal(t, []string{"server close", "close cb <nil>", "socket close, connections 0"}, events)
}

// A big write's "finish" comes once the data is out and the write side
// shut, not when some later event happens to run the loop's ticks.
func TestSocketFinishWhenTheWriteDrains(t *testing.T) {
	var finishAt, clientClosedAt time.Duration
	start := time.Now()
	sockScenario(t, net.ServerOptions{AllowHalfOpen: true}, func(s *net.Socket, log func(string, ...any), _ *net.Server) {
		s.On("finish", func() { finishAt = time.Since(start) })
		s.On("data", func([]byte) {})
		s.On("end", func() { s.Destroy(nil) })
		s.End(make([]byte, 8<<20))
	}, func(addr string) error {
		c, err := dialTCP(addr)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, c) // to the server's end of writing
		time.Sleep(500 * time.Millisecond)
		clientClosedAt = time.Since(start)
		return c.Close()
	})
	require.NotZero(t, finishAt)
	require.Less(t, finishAt, clientClosedAt, "finish waited for the client's close")
}

// A Write that returns false is followed by "drain" once the data has
// left; the socket's own address is there as LocalAddress/Port/Family.
func TestSocketDrainAndLocalAddress(t *testing.T) {
	events := sockScenario(t, net.ServerOptions{}, func(s *net.Socket, log func(string, ...any), srv *net.Server) {
		log("local %s %s %v", s.LocalAddress(), s.LocalFamily(), s.LocalPort() == srv.Address().Port)
		ok := s.Write(make([]byte, 8<<20), nil)
		log("write %v", ok)
		s.On("drain", func() {
			log("drain")
			s.End(nil)
		})
	}, readToEnd)
	require.Equal(t, []string{"local 127.0.0.1 IPv4 true", "write false", "drain", "close false"}, events)
}

// What arrives before anyone reads waits in the socket: a "data"
// listener added later gets it, then "end" (a Node socket starts paused).
func TestSocketKeepsDataUntilRead(t *testing.T) {
	events := sockScenario(t, net.ServerOptions{}, func(s *net.Socket, log func(string, ...any), _ *net.Server) {
		s.On("end", func() { log("end") })
		uv.Default().SetTimeout(200*time.Millisecond, func() {
			log("listening for data")
			s.On("data", func(b []byte) { log("data %s", b) })
		})
	}, func(addr string) error {
		c, err := dialTCP(addr)
		if err != nil {
			return err
		}
		defer c.Close()
		c.Write([]byte("hello"))
		c.CloseWrite()
		io.Copy(io.Discard, c)
		return nil
	})
	require.Equal(t, []string{"listening for data", "data hello", "end", "close false"}, events)
}

// End's "finish" comes in the same turn of the loop as the shutdown it
// waits for, before the check phase's immediates, as node printed it:
// libuv runs what the poll fed to the pending queue right after the
// poll (node net/testdata/socket_end_finish.js).
func TestSocketEndFinishBeforeImmediate(t *testing.T) {
	got := clientScenarios(t, func(port int, log func(string, ...any), done func()) {
		c, err := net.Connect(port, "127.0.0.1")
		require.NoError(t, err)
		c.On("data", func([]byte) {})
		c.On("close", func(bool) { done() })
		c.On("connect", func() {
			c.On("finish", func() { log("finish") })
			c.Write([]byte("a"), func(error) { log("cba") })
			c.End([]byte("c"))
			uv.Default().NextTick(func() { log("tick") })
			uv.Default().SetImmediate(func() { log("immediate") })
		})
	})
	require.Equal(t, [][]string{{"cba", "tick", "finish", "immediate"}}, got)
}
