package net_test

// Node's own tests of net.connect and net.Socket, ported: each checks
// what its JS original asserts.

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// connectForms are the six ways test-net-connect-options-port connects:
// createConnection, connect and new Socket().connect, each with the
// callback as the last argument and with a "connect" listener instead.
func connectForms(args []any, cb func()) []func() (*net.Socket, error) {
	withCb := append(append([]any{}, args...), cb)
	listen := func(s *net.Socket, err error) (*net.Socket, error) {
		if err == nil {
			s.On("connect", cb)
		}
		return s, err
	}
	socketConnect := func(a []any) (*net.Socket, error) {
		s := net.NewSocket(net.SocketOptions{})
		if err := s.Connect(a...); err != nil {
			return nil, err
		}
		return s, nil
	}
	return []func() (*net.Socket, error){
		func() (*net.Socket, error) { return net.CreateConnection(withCb...) },
		func() (*net.Socket, error) { return listen(net.CreateConnection(args...)) },
		func() (*net.Socket, error) { return net.Connect(withCb...) },
		func() (*net.Socket, error) { return listen(net.Connect(args...)) },
		func() (*net.Socket, error) { return socketConnect(withCb) },
		func() (*net.Socket, error) { return listen(socketConnect(args)) },
	}
}

// TestNetConnectOptionsPort: ports of the wrong type or out of range
// throw (are returned) in every form of connect, with Node's codes and
// messages (as node v20.20.2 printed them); a port as a number, a decimal
// string or a hex string connects in all 72 combinations; connecting to
// port 0 fails with "connect E...".
//
// In Go a nil port is JS undefined (ERR_MISSING_ARGS): Go has one nil
// for JS's two, and a ConnectOptions field left out must mean "not
// given". Node's null port (ERR_INVALID_ARG_TYPE, "Received null") has
// no Go spelling; the rest of the original's table is here.
//
// Mirrors test/parallel/test-net-connect-options-port.js
func TestNetConnectOptionsPort(t *testing.T) {
	const (
		typeErr  = `ERR_INVALID_ARG_TYPE The "options.port" property must be one of type number or string. Received `
		rangeErr = `ERR_SOCKET_BAD_PORT Port should be >= 0 and < 65536. Received `
		missing  = `ERR_MISSING_ARGS The "options" or "port" or "path" argument must be specified`
	)
	bad := []struct {
		port            any
		positional, opt string // the error for connect(port[, host]) and for connect({port[, host]})
	}{
		{true, typeErr + "type boolean (true)", typeErr + "type boolean (true)"},
		{false, typeErr + "type boolean (false)", typeErr + "type boolean (false)"},
		{[]any{}, missing, typeErr + "an instance of Array"},
		{map[string]any{}, missing, typeErr + "an instance of Object"},
		{cluster.Undefined, missing, missing},
		{nil, missing, missing},
		{"", rangeErr + "type string ('').", rangeErr + "type string ('')."},
		{" ", rangeErr + "type string (' ').", rangeErr + "type string (' ')."},
		{"0x", "", rangeErr + "type string ('0x')."},     // positional: a pipe name
		{"-0x1", "", rangeErr + "type string ('-0x1')."}, // likewise
		{math.NaN(), rangeErr + "type number (NaN).", rangeErr + "type number (NaN)."},
		{math.Inf(1), rangeErr + "type number (Infinity).", rangeErr + "type number (Infinity)."},
		{-1, rangeErr + "type number (-1).", rangeErr + "type number (-1)."},
		{65536, rangeErr + "type number (65536).", rangeErr + "type number (65536)."},
	}
	var got, want []string
	connected, served := 0, 0
	var asyncErrs []string
	run(t, func() {
		never := func() { t.Error("connected with a bad port") }
		for _, b := range bad {
			tries := []struct {
				args []any
				want string
			}{
				{[]any{b.port}, b.positional},
				{[]any{b.port, "localhost"}, b.positional},
				{[]any{net.ConnectOptions{Port: b.port}}, b.opt},
				{[]any{net.ConnectOptions{Port: b.port, Host: "localhost"}}, b.opt},
			}
			for _, try := range tries {
				if try.want == "" {
					continue
				}
				for i, connect := range connectForms(try.args, never) {
					s, err := connect()
					if err == nil {
						s.Destroy(nil)
						got = append(got, fmt.Sprintf("%v form %d: no error", try.args, i))
					} else {
						e := err.(*net.Error)
						got = append(got, e.Code+" "+e.Message)
					}
					want = append(want, try.want)
				}
			}
		}

		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			s.End([]byte("ok"))
			if served++; served == 72 {
				srv.Close(nil)
			}
		})
		srv.On("close", func() {
			fail := func() { t.Error("connected to port 0") }
			onError := func(err error) { asyncErrs = append(asyncErrs, err.Error()) }
			for _, args := range [][]any{{0}, {net.ConnectOptions{Port: 0}}, {net.ConnectOptions{Port: 0, Host: "localhost"}}} {
				for _, connect := range connectForms(args, fail) {
					s, err := connect()
					require.NoError(t, err)
					s.On("error", onError)
				}
			}
		})
		require.NoError(t, srv.Listen(0, "localhost", func() {
			port := srv.AddressPort()
			for _, p := range []any{port, strconv.Itoa(port), "0x" + strconv.FormatInt(int64(port), 16)} {
				for _, args := range [][]any{{p}, {p, "localhost"}, {net.ConnectOptions{Port: p}}, {net.ConnectOptions{Port: p, Host: "localhost"}}} {
					for _, connect := range connectForms(args, func() { connected++ }) {
						s, err := connect()
						require.NoError(t, err, "%v", args)
						s.Resume()
					}
				}
			}
		}))
	})
	require.Empty(t, cmp.Diff(want, got))
	require.Equal(t, 72, connected)
	require.Equal(t, 72, served)
	require.Len(t, asyncErrs, 18)
	for _, e := range asyncErrs {
		require.Regexp(t, regexp.MustCompile(`^connect E\w+ .+$`), e)
	}
}

// TestNetAfterClose: once a socket has closed (its handle gone), its
// setters, getters, Pause and Resume are harmless.
//
// Mirrors test/parallel/test-net-after-close.js
func TestNetAfterClose(t *testing.T) {
	closed := false
	run(t, func() {
		srv := net.CreateServer(func(s *net.Socket) { s.End(nil) })
		require.NoError(t, srv.Listen(0, func() {
			c, err := net.CreateConnection(srv.AddressPort())
			require.NoError(t, err)
			c.On("close", func() {
				closed = true
				require.Nil(t, c.Handle())
				require.NotPanics(t, func() {
					c.SetNoDelay(true)
					c.SetKeepAlive(false, 0)
					_ = c.BufferSize()
					c.Pause()
					c.Resume()
					_ = c.Address()
					_ = c.RemoteAddress()
					_ = c.RemotePort()
				})
				srv.Close(nil)
			})
		}))
	})
	require.True(t, closed)
}

// TestNetBytesStats: BytesRead and BytesWritten over two connections of
// one socket (connected again from its "close"): "foo" then End("bar")
// each time, 12 bytes each way in all.
//
// Mirrors test/parallel/test-net-bytes-stats.js
func TestNetBytesStats(t *testing.T) {
	bytesRead, bytesWritten, count := 0, 0, 0
	run(t, func() {
		tcp := net.CreateServer(func(s *net.Socket) {
			s.Resume()
			s.On("end", func() { bytesRead += s.BytesRead })
		})
		require.NoError(t, tcp.Listen(0, func() {
			c, err := net.CreateConnection(tcp.AddressPort())
			require.NoError(t, err)
			c.On("connect", func() {
				count++
				c.Write([]byte("foo"), func(error) { c.End([]byte("bar")) })
			})
			c.On("finish", func() { bytesWritten += c.BytesWritten })
			c.On("close", func() {
				if count < 2 {
					require.NoError(t, c.Connect(tcp.AddressPort()))
					return
				}
				tcp.Close(nil)
			})
		}))
	})
	require.Equal(t, 2, count)
	require.Equal(t, 12, bytesRead)
	require.Equal(t, 12, bytesWritten)
}

// TestNetErrorTwice: a server socket writing 10 MB to a client that
// destroyed itself gets one "error", not the same one twice.
//
// Mirrors test/parallel/test-net-error-twice.js
func TestNetErrorTwice(t *testing.T) {
	var errs []error
	run(t, func() {
		buf := make([]byte, 10<<20)
		for i := range buf {
			buf[i] = 'b'
		}
		var client, server *net.Socket
		ready := func() {
			if client != nil && server != nil {
				client.Destroy(nil)
				server.Write(buf, nil)
			}
		}
		var srv *net.Server
		srv = net.CreateServer(func(c *net.Socket) {
			c.On("error", func(err error) { errs = append(errs, err) })
			c.On("close", func() { srv.Unref() })
			server = c
			ready()
		})
		require.NoError(t, srv.Listen(0, func() {
			c, err := net.Connect(net.ConnectOptions{Port: srv.AddressPort()})
			require.NoError(t, err)
			c.On("connect", func() { client = c; ready() })
		}))
	})
	require.Len(t, errs, 1, "errors: %v", errs)
	require.Contains(t, []string{"EPIPE", "ECONNRESET"}, errs[0].(*net.Error).Code)
}

// TestNetDuringClose: a client still connecting when the server closes
// answers RemoteAddress, RemoteFamily and RemotePort without trouble.
//
// Mirrors test/parallel/test-net-during-close.js
func TestNetDuringClose(t *testing.T) {
	accessed := false
	run(t, func() {
		srv := net.CreateServer(func(s *net.Socket) { s.End(nil) })
		require.NoError(t, srv.Listen(0, func() {
			c, err := net.CreateConnection(srv.AddressPort())
			require.NoError(t, err)
			c.On("error", func(error) {})
			srv.Close(nil)
			require.NotPanics(t, func() {
				_, _, _ = c.RemoteAddress(), c.RemoteFamily(), c.RemotePort()
			})
			accessed = true
			c.Destroy(nil)
		}))
	})
	require.True(t, accessed)
}

// TestNetBetterErrorMessagesPortHostname: a host that does not resolve is
// a lookup error naming the host (hostname, "getaddrinfo ENOTFOUND
// blah.blah"); node v20 sets no port on it, and neither does the port.
//
// Mirrors test/parallel/test-net-better-error-messages-port-hostname.js
func TestNetBetterErrorMessagesPortHostname(t *testing.T) {
	var got *net.Error
	run(t, func() {
		c, err := net.CreateConnection(12346, "blah.blah")
		require.NoError(t, err)
		c.On("connect", func() { t.Error("connected to blah.blah") })
		c.On("error", func(err error) { got = err.(*net.Error) })
	})
	require.NotNil(t, got, "no error")
	// ENOTFOUND here and in node; a machine whose resolver cannot be
	// reached answers EAI_AGAIN (node too).
	require.Contains(t, []string{"ENOTFOUND", "EAI_AGAIN"}, got.Code)
	require.Equal(t, "blah.blah", got.Hostname)
	require.Nil(t, got.Port)
	require.Equal(t, "getaddrinfo "+got.Code+" blah.blah", got.Message)
}

// TestNetConnectImmediateFinish: End right after connecting to a host
// that does not resolve still ends in the lookup's "error".
//
// Mirrors test/parallel/test-net-connect-immediate-finish.js
func TestNetConnectImmediateFinish(t *testing.T) {
	var got error
	run(t, func() {
		c, err := net.Connect(net.ConnectOptions{Host: "no.way.you.will.resolve.this", Port: 12346})
		require.NoError(t, err)
		c.Once("error", func(err error) { got = err })
		c.End(nil)
	})
	require.Error(t, got)
	require.Regexp(t, `^getaddrinfo (ENOTFOUND|EAI_AGAIN) no\.way\.you\.will\.resolve\.this$`, got.Error())
}

// TestNetPipeConnectErrors: connecting to a file that is not a socket is
// ECONNREFUSED (Linux; ENOTSOCK elsewhere), to a missing one ENOENT with
// the path as the error's address. (The original's EACCES case does not
// run as root, and neither does this one: these machines run as root.)
//
// Mirrors test/parallel/test-net-pipe-connect-errors.js
func TestNetPipeConnectErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "0.txt")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	var notSocket, noEnt *net.Error
	run(t, func() {
		a, err := net.CreateConnection(file, func() { t.Error("connected to a file") })
		require.NoError(t, err)
		a.On("error", func(err error) { notSocket = err.(*net.Error) })
		b, err := net.CreateConnection("no-ent-file", func() { t.Error("connected to nothing") })
		require.NoError(t, err)
		b.On("error", func(err error) { noEnt = err.(*net.Error) })
	})
	require.NotNil(t, notSocket)
	require.Contains(t, []string{"ENOTSOCK", "ECONNREFUSED"}, notSocket.Code)
	require.Equal(t, "connect "+notSocket.Code+" "+file, notSocket.Message)
	require.NotNil(t, noEnt)
	require.Equal(t, "ENOENT", noEnt.Code)
	require.Equal(t, "connect ENOENT no-ent-file", noEnt.Message)
	require.Equal(t, "no-ent-file", noEnt.Address)
}

// TestNetLocalAddressPort: a server socket's LocalAddress and LocalPort
// are the address and port the server listens on.
//
// Mirrors test/parallel/test-net-local-address-port.js
func TestNetLocalAddressPort(t *testing.T) {
	conns := 0
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			conns++
			require.Equal(t, "127.0.0.1", s.LocalAddress())
			require.Equal(t, srv.AddressPort(), s.LocalPort())
			s.On("end", func() { srv.Close(nil) })
			s.Resume()
		})
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			c, err := net.CreateConnection(srv.AddressPort(), "127.0.0.1")
			require.NoError(t, err)
			c.On("connect", func() { c.End(nil) })
		}))
	})
	require.Equal(t, 1, conns)
}

// TestNetSocketConnecting: Connecting is true from Connect until
// "connect", false in the connect callback.
//
// Mirrors test/parallel/test-net-socket-connecting.js
func TestNetSocketConnecting(t *testing.T) {
	var during, after []bool
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(c *net.Socket) { c.End(nil); srv.Close(nil) })
		require.NoError(t, srv.Listen(0, func() {
			var c *net.Socket
			c, err := net.Connect(srv.AddressPort(), func() {
				after = append(after, c.Connecting())
				c.End(nil)
			})
			require.NoError(t, err)
			during = append(during, c.Connecting())
		}))
	})
	require.Equal(t, []bool{true}, during)
	require.Equal(t, []bool{false}, after)
}

// TestNetEndWithoutConnect: End on a socket that never connected does not
// fail, and the loop still ends.
//
// Mirrors test/parallel/test-net-end-without-connect.js
func TestNetEndWithoutConnect(t *testing.T) {
	run(t, func() {
		require.NotPanics(t, func() { net.NewSocket(net.SocketOptions{}).End(nil) })
	})
}

// TestNetSocketWriteAfterClose: a write on a socket whose handle was
// closed under it fails with "write EBADF" as its "error". (The
// original's second half sets socket._handle to null by hand, which the
// port's Socket does not let a caller do.)
//
// Mirrors test/parallel/test-net-socket-write-after-close.js
func TestNetSocketWriteAfterClose(t *testing.T) {
	var got error
	run(t, func() {
		srv := net.CreateServer(nil)
		require.NoError(t, srv.Listen(func() {
			var c *net.Socket
			c, err := net.Connect(net.ConnectOptions{Port: srv.AddressPort()}, func() {
				c.On("error", func(err error) {
					got = err
					srv.Close(nil)
				})
				c.Handle().Close(nil)
				c.Write([]byte("foo"), nil)
			})
			require.NoError(t, err)
		}))
	})
	require.EqualError(t, got, "write EBADF")
}

// TestNetTimeoutNoHandle: a socket that never connects still times out,
// with no handle, and never connects.
//
// Mirrors test/parallel/test-net-timeout-no-handle.js
func TestNetTimeoutNoHandle(t *testing.T) {
	timeouts := 0
	run(t, func() {
		s := net.NewSocket(net.SocketOptions{})
		s.SetTimeout(50*time.Millisecond, nil)
		s.On("timeout", func() {
			timeouts++
			require.Nil(t, s.Handle())
		})
		s.On("connect", func() { t.Error("connected") })
		// The socket's timer does not keep the loop alive; this one does.
		uv.Default().SetTimeout(200*time.Millisecond, func() {})
	})
	require.Equal(t, 1, timeouts)
}

// TestNetRemoteAddressPort: both ends of a connection to a server on
// localhost know the other end's address, family and port, before and
// after "close".
//
// Mirrors test/parallel/test-net-remote-address-port.js
func TestNetRemoteAddressPort(t *testing.T) {
	addrs := []string{"127.0.0.1", "::ffff:127.0.0.1", "::1"}
	families := []string{"IPv4", "IPv6"}
	conns, ended, clientChecks := 0, 0, 0
	check := func(s *net.Socket) {
		require.Contains(t, addrs, s.RemoteAddress())
		require.Contains(t, families, s.RemoteFamily())
	}
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			conns++
			check(s)
			require.NotZero(t, s.RemotePort())
			require.NotEqual(t, srv.AddressPort(), s.RemotePort())
			s.On("end", func() {
				if ended++; ended == 2 {
					srv.Close(nil)
				}
			})
			s.On("close", func() { check(s) })
			s.Resume()
		})
		require.NoError(t, srv.Listen(0, "localhost", func() {
			for _, args := range [][]any{{srv.AddressPort(), "localhost"}, {srv.AddressPort()}} {
				c, err := net.CreateConnection(args...)
				require.NoError(t, err)
				c.On("connect", func() {
					check(c)
					require.Equal(t, srv.AddressPort(), c.RemotePort())
					clientChecks++
					c.End(nil)
				})
				c.On("close", func() { check(c); clientChecks++ })
			}
		}))
	})
	require.Equal(t, 2, conns)
	require.Equal(t, 4, clientChecks)
}

// TestNetWriteAfterEndNt: a write after the peer's end, on a socket that
// ended its own side too, returns false and fails with EPIPE; the
// "error" comes on a later tick, not inside Write.
//
// Mirrors test/parallel/test-net-write-after-end-nt.js
func TestNetWriteAfterEndNt(t *testing.T) {
	var log []string
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) { s.End(nil) })
		require.NoError(t, srv.Listen(func() {
			var c *net.Socket
			c, err := net.Connect(srv.AddressPort(), func() {
				hasError := false
				c.On("error", func(err error) {
					log = append(log, fmt.Sprintf("error %s hasError=%v", err.(*net.Error).Code, hasError))
					hasError = true
					srv.Close(nil)
				})
				c.On("end", func() {
					ret := c.Write([]byte("hello"), func(err error) { log = append(log, "cb "+err.(*net.Error).Code) })
					log = append(log, fmt.Sprintf("ret %v hasError=%v", ret, hasError))
				})
				c.On("close", func() { log = append(log, "close") })
				c.End(nil)
			})
			require.NoError(t, err)
		}))
	})
	// As node v20.20.2 printed them for the same program.
	require.Empty(t, cmp.Diff([]string{"ret false hasError=false", "cb EPIPE", "error EPIPE hasError=false", "close"}, log))
}

// TestNetWriteCbOnDestroyBeforeConnect: a write made while connecting,
// then Destroy: the write's callback gets
// ERR_SOCKET_CLOSED_BEFORE_CONNECTION and "connect" never comes.
//
// Mirrors test/parallel/test-net-write-cb-on-destroy-before-connect.js
func TestNetWriteCbOnDestroyBeforeConnect(t *testing.T) {
	var got error
	run(t, func() {
		srv := net.CreateServer(nil)
		require.NoError(t, srv.Listen(0, func() {
			s := net.NewSocket(net.SocketOptions{})
			s.On("connect", func() { t.Error("connected") })
			require.NoError(t, s.Connect(net.ConnectOptions{Port: srv.AddressPort()}))
			require.True(t, s.Connecting())
			s.Write([]byte("foo"), func(err error) { got = err })
			s.Destroy(nil)
			srv.Close(nil)
		}))
	})
	require.ErrorIs(t, got, &net.Error{Code: "ERR_SOCKET_CLOSED_BEFORE_CONNECTION"})
	require.EqualError(t, got, "Socket closed before the connection was established")
}

// TestNetConnectPausedConnection: an unref'd server and a paused client
// connection do not keep the loop alive.
//
// Mirrors test/parallel/test-net-connect-paused-connection.js
func TestNetConnectPausedConnection(t *testing.T) {
	var srv *net.Server
	var client, served *net.Socket
	var timer *uv.Timer
	run(t, func() {
		srv = net.CreateServer(func(c *net.Socket) { served = c; c.Unref() })
		require.NoError(t, srv.Listen(0, func() {
			var err error
			client, err = net.Connect(srv.AddressPort(), "localhost")
			require.NoError(t, err)
			client.Pause()
			timer = uv.Default().SetTimeout(time.Second, func() { t.Error("the loop did not end") })
			timer.Unref()
		}))
		srv.Unref()
	})
	// The loop ended with all of them open; close them for the next test,
	// which runs on the same loop.
	run(t, func() {
		timer.Stop()
		client.Destroy(nil)
		if served != nil {
			served.Destroy(nil)
		}
		srv.Close(nil)
	})
}

// TestNetPauseResumeConnecting: Pause and Resume called while the socket
// connects take effect in order once it is connected: the three clients
// left flowing get the server's data, the two left paused do not.
//
// Mirrors test/parallel/test-net-pause-resume-connecting.js
func TestNetPauseResumeConnecting(t *testing.T) {
	connections, dataEvents := 0, 0
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(c *net.Socket) {
			connections++
			c.End([]byte("This was the year he fell to pieces."))
			if connections == 5 {
				srv.Close(nil)
			}
		})
		require.NoError(t, srv.Listen(0, func() {
			ok := func([]byte) { dataEvents++ }
			fail := func([]byte) { t.Error("data on a paused socket") }
			tearDown := func(c *net.Socket) {
				uv.Default().SetTimeout(100*time.Millisecond, func() {
					c.RemoveAllListeners("data")
					c.Resume()
				})
			}
			for _, calls := range []string{"r", "pr", "p", "rpr", "rrp"} {
				c, err := net.CreateConnection(srv.AddressPort(), "localhost")
				require.NoError(t, err)
				for _, call := range calls {
					if call == 'p' {
						c.Pause()
					} else {
						c.Resume()
					}
				}
				if calls[len(calls)-1] == 'r' {
					c.On("data", ok)
				} else {
					c.On("data", fail)
					tearDown(c)
				}
			}
		}))
	})
	require.Equal(t, 5, connections)
	require.Equal(t, 3, dataEvents)
}

// TestNetSocketTimeout: a negative delay is ERR_OUT_OF_RANGE (Go's
// Duration cannot carry the original's other bad values: strings,
// Infinity, NaN); 0 and positive delays are taken; SetTimeout returns the
// socket, and after Destroy it is ignored (its callback never runs).
//
// Mirrors test/parallel/test-net-socket-timeout.js
func TestNetSocketTimeout(t *testing.T) {
	s := net.NewSocket(net.SocketOptions{})
	func() {
		defer func() {
			e, _ := recover().(*net.Error)
			require.NotNil(t, e, "SetTimeout(-1µs) should panic with a *net.Error")
			require.Equal(t, "ERR_OUT_OF_RANGE", e.Code)
			require.Equal(t, `The value of "msecs" is out of range. It must be a non-negative finite number. Received -0.001`, e.Message)
		}()
		s.SetTimeout(-time.Microsecond, func() {})
	}()
	timeouts := 0
	run(t, func() {
		for _, d := range []time.Duration{0, time.Microsecond, time.Millisecond, 1e6 * time.Millisecond} {
			require.Same(t, s, s.SetTimeout(d, func() {}))
		}
		s.SetTimeout(0, nil)
		srv := net.CreateServer(nil)
		require.NoError(t, srv.Listen(0, func() {
			c, err := net.CreateConnection(srv.AddressPort())
			require.NoError(t, err)
			require.Same(t, c, c.SetTimeout(time.Millisecond, func() {
				timeouts++
				c.Destroy(nil)
				require.Same(t, c, c.SetTimeout(time.Millisecond, func() { t.Error("timeout after destroy") }))
				srv.Close(nil)
			}))
		}))
	})
	require.Equal(t, 1, timeouts)
}

// TestNetCanResetTimeout: a write from the "timeout" listener is allowed
// and the connection then ends normally on both sides.
//
// Mirrors test/parallel/test-net-can-reset-timeout.js
func TestNetCanResetTimeout(t *testing.T) {
	timeouts, clientEnds := 0, 0
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			s.SetTimeout(100*time.Millisecond, nil)
			s.Resume()
			s.On("timeout", func() {
				timeouts++
				s.Write([]byte("WHAT."), nil)
			})
			s.On("end", func() { s.End(nil) })
		})
		require.NoError(t, srv.Listen(0, func() {
			c, err := net.CreateConnection(srv.AddressPort())
			require.NoError(t, err)
			c.On("data", func([]byte) { c.End(nil) })
			c.On("end", func() { clientEnds++; srv.Close(nil) })
		}))
	})
	require.Equal(t, 1, timeouts)
	require.Equal(t, 1, clientEnds)
}

// TestNetAllowHalfOpen: a client without allowHalfOpen whose server ends
// is not destroyed at "end" (nor on the next tick) nor at "finish": it
// ends its own side and closes properly.
//
// Mirrors test/parallel/test-net-allow-half-open.js
func TestNetAllowHalfOpen(t *testing.T) {
	var log []string
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) { s.End(make([]byte, 1024)) })
		require.NoError(t, srv.Listen(0, func() {
			c, err := net.Connect(srv.AddressPort())
			require.NoError(t, err)
			c.Resume()
			c.On("end", func() {
				uv.Default().NextTick(func() {
					log = append(log, fmt.Sprintf("end+tick destroyed=%v", c.Destroyed()))
					srv.Close(nil)
				})
			})
			c.On("finish", func() { log = append(log, fmt.Sprintf("finish destroyed=%v", c.Destroyed())) })
			c.On("close", func() { log = append(log, "close") })
		}))
	})
	require.Equal(t, []string{"end+tick destroyed=false", "finish destroyed=false", "close"}, log)
}

// TestNetPersistentKeepalive: SetKeepAlive on a socket before it
// connects is kept, and the connection stays open.
//
// Mirrors test/parallel/test-net-persistent-keepalive.js
func TestNetPersistentKeepalive(t *testing.T) {
	var states []string
	var keepAlive int
	run(t, func() {
		var client *net.Socket
		var srv *net.Server
		srv = net.CreateServer(func(conn *net.Socket) {
			uv.Default().SetTimeout(600*time.Millisecond, func() {
				states = append(states, conn.ReadyState(), client.ReadyState())
				v, err := unix.GetsockoptInt(client.Handle().Fd(), unix.SOL_SOCKET, unix.SO_KEEPALIVE)
				require.NoError(t, err)
				keepAlive = v
				conn.End(nil)
				client.End(nil)
				srv.Close(nil)
			})
			conn.SetTimeout(0, nil)
			conn.On("end", func() { conn.End(nil) })
		})
		require.NoError(t, srv.Listen(0))
		srv.On("listening", func() {
			client = net.NewSocket(net.SocketOptions{})
			require.Same(t, client, client.SetKeepAlive(true, 400*time.Millisecond))
			require.NoError(t, client.Connect(srv.AddressPort()))
			client.SetTimeout(0, nil)
		})
	})
	require.Equal(t, []string{"open", "open"}, states)
	require.Equal(t, 1, keepAlive)
}

// TestNetReconnect: a client that connects again from its "close", 51
// times: each time it reads the server's "hello\r\n" as a string
// (SetEncoding("UTF8"), kept across the connects), ends, sees "end" and
// closes without an error, as does the server's socket.
//
// Mirrors test/parallel/test-net-reconnect.js
func TestNetReconnect(t *testing.T) {
	const n = 50
	recv, ends, disconnects := 0, 0, 0
	var serverHadError []bool
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			s.Resume()
			s.Write([]byte("hello\r\n"), nil)
			s.On("end", func() { s.End(nil) })
			s.On("close", func(hadError bool) { serverHadError = append(serverHadError, hadError) })
		})
		require.NoError(t, srv.Listen(0, func() {
			c, err := net.CreateConnection(srv.AddressPort())
			require.NoError(t, err)
			c.SetEncoding("UTF8")
			c.On("data", func(chunk string) {
				recv++
				require.Equal(t, "hello\r\n", chunk)
				c.End(nil)
			})
			c.On("end", func() { ends++ })
			c.On("close", func(hadError bool) {
				require.False(t, hadError)
				if disconnects++; disconnects <= n {
					require.NoError(t, c.Connect(srv.AddressPort()))
				} else {
					srv.Close(nil)
				}
			})
		}))
	})
	require.Equal(t, n+1, disconnects)
	require.Equal(t, n+1, recv)
	require.Equal(t, n+1, ends)
	require.Equal(t, make([]bool, n+1), serverHadError)
}

// TestNetWriteConnectWrite: a write made before "connect" and one made
// at "connect" arrive in that order; the echo (the server's
// socket.pipe(socket)) comes back as a string.
//
// Mirrors test/parallel/test-net-write-connect-write.js
func TestNetWriteConnectWrite(t *testing.T) {
	var received string
	ended := false
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			s.Pipe(s)
		})
		require.NoError(t, srv.Listen(0, func() {
			c, err := net.Connect(srv.AddressPort())
			require.NoError(t, err)
			c.SetEncoding("utf8")
			c.Write([]byte("before"), nil)
			c.On("connect", func() { c.Write([]byte("after"), nil) })
			c.On("data", func(s string) {
				received += s
				c.End(nil)
			})
			c.On("end", func() { ended = true; srv.Close(nil) })
		}))
	})
	require.True(t, ended)
	require.Equal(t, "beforeafter", received)
}

// TestNetSocketCloseAfterEnd: a server's socket that ends its side at
// once and, from its one "readable", reads the client's "foo" only 100 ms
// later sees "end" before "close" ("end" waits for that read, as the
// client ended at once). As node ran it: "readable", the read's "foo",
// "end", then "close".
//
// Mirrors test/parallel/test-net-socket-close-after-end.js
func TestNetSocketCloseAfterEnd(t *testing.T) {
	var events []string
	run(t, func() {
		srv := net.CreateServer(nil)
		srv.On("connection", func(s *net.Socket) {
			endEmitted := false
			s.Once("readable", func() {
				events = append(events, "readable")
				uv.Default().SetTimeout(100*time.Millisecond, func() {
					events = append(events, fmt.Sprintf("read %s", s.Read()))
				})
			})
			s.On("end", func() { events = append(events, "end"); endEmitted = true })
			s.On("close", func() {
				require.True(t, endEmitted)
				events = append(events, "close")
				srv.Close(nil)
			})
			s.End([]byte("foo"))
		})
		require.NoError(t, srv.Listen(0, func() {
			var c *net.Socket
			var err error
			c, err = net.CreateConnection(srv.AddressPort(), func() { c.End([]byte("foo")) })
			require.NoError(t, err)
		}))
	})
	require.Equal(t, []string{"readable", "read foo", "end", "close"}, events)
}
