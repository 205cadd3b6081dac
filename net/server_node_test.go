package net_test

// Node's own tests of net.Server, ported: each checks what its JS
// original asserts, with the port's client (net.CreateConnection) where
// the original uses Node's.

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

// TestNetServerMaxConnections: with MaxConnections 10, twenty clients
// connect one after the other; the first ten are served ("hello"), the
// other ten are closed by the server without a byte and without a
// "connection" event, and they are the first to close.
//
// Mirrors test/parallel/test-net-server-max-connections.js
func TestNetServerMaxConnections(t *testing.T) {
	const n = 20
	var served int
	var closedOrder []int
	gotData := make([]bool, n)
	var waits []func()
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(c *net.Socket) {
			served++
			c.Write([]byte("hello"), nil)
			waits = append(waits, func() { c.End(nil) })
		})
		srv.MaxConnections = n / 2
		var connect func(i int)
		connect = func(i int) {
			c, err := net.CreateConnection(srv.AddressPort())
			require.NoError(t, err)
			c.On("connect", func() {
				if i+1 < n {
					connect(i + 1)
				}
				c.On("close", func() {
					closedOrder = append(closedOrder, i)
					if len(closedOrder) == n/2 {
						for _, w := range waits {
							w()
						}
						waits = nil
						srv.Close(nil)
					}
				})
			})
			c.On("end", func() { c.End(nil) })
			c.On("data", func(b []byte) { gotData[i] = len(b) > 0 })
			c.On("error", func(error) {})
		}
		require.NoError(t, srv.Listen(0, func() { connect(0) }))
	})
	require.Equal(t, n/2, served, "connection events")
	require.Len(t, closedOrder, n)
	for k, i := range closedOrder[:n/2-1] {
		require.GreaterOrEqual(t, i, n/2, "close #%d was client %d, one of those served", k, i)
	}
	for i, got := range gotData {
		require.Equal(t, i < n/2, got, "client %d got data", i)
	}
}

// TestNetServerClose: a server closed while two connections are open,
// both then destroyed: each socket's "close" and the server's "close"
// come once, and the server counts no connection at the end.
//
// Mirrors test/parallel/test-net-server-close.js
func TestNetServerClose(t *testing.T) {
	var events []string
	var srv *net.Server
	run(t, func() {
		var sockets []*net.Socket
		srv = net.CreateServer(func(c *net.Socket) {
			c.On("close", func() { events = append(events, "client") })
			sockets = append(sockets, c)
			if len(sockets) == 2 {
				srv.Close(nil)
				for _, s := range sockets {
					s.Destroy(nil)
				}
			}
		})
		srv.On("close", func() { events = append(events, "server") })
		require.NoError(t, srv.Listen(0, func() {
			for range 2 {
				c, err := net.CreateConnection(srv.AddressPort())
				require.NoError(t, err)
				c.On("error", func(error) {})
			}
		}))
	})
	require.Equal(t, 0, srv.Connections())
	count := map[string]int{}
	for _, e := range events {
		count[e]++
	}
	require.Empty(t, cmp.Diff(map[string]int{"server": 1, "client": 2}, count), "events %v", events)
}

// TestNetServerListenRemoveCallback: the listen callback is a once
// listener: at "close" no "listening" listener is left, after a first
// listen and after a second one made from the first "close".
//
// Mirrors test/parallel/test-net-server-listen-remove-callback.js
func TestNetServerListenRemoveCallback(t *testing.T) {
	var left []int
	run(t, func() {
		srv := net.CreateServer(nil)
		srv.On("close", func() { left = append(left, srv.ListenerCount("listening")) })
		require.NoError(t, srv.Listen(0, func() { srv.Close(nil) }))
		srv.Once("close", func() {
			require.NoError(t, srv.Listen(0, func() { srv.Close(nil) }))
		})
	})
	require.Equal(t, []int{0, 0}, left)
}

// TestNetServerCallListenMultipleTimes: after an EADDRINUSE "error" the
// server listens again at once; a second listen while listening is
// ERR_SERVER_ALREADY_LISTEN; after Close, listen works again at once.
//
// Mirrors test/parallel/test-net-server-call-listen-multiple-times.js
func TestNetServerCallListenMultipleTimes(t *testing.T) {
	var steps []string
	var again error
	run(t, func() {
		// After the error event.
		dummy := net.CreateServer(nil)
		srv := net.CreateServer(nil)
		require.NoError(t, dummy.Listen(func() {
			require.NoError(t, srv.Listen(dummy.AddressPort()))
		}))
		srv.On("error", func(err error) {
			steps = append(steps, "error "+errCode(err))
			require.NoError(t, srv.Listen(func() {
				steps = append(steps, "relistened")
				dummy.Close(nil)
				srv.Close(nil)
			}))
		})

		// A second listen while listening.
		second := net.CreateServer(nil)
		require.NoError(t, second.Listen(func() { second.Close(nil) }))
		again = second.Listen()

		// Listen again right after Close.
		third := net.CreateServer(nil)
		require.NoError(t, third.Listen(func() {
			third.Close(nil)
			require.NoError(t, third.Listen(func() {
				steps = append(steps, "third relistened")
				third.Close(nil)
			}))
		}))
	})
	require.ErrorIs(t, again, &net.Error{Code: "ERR_SERVER_ALREADY_LISTEN"})
	require.ElementsMatch(t, []string{"error EADDRINUSE listen", "relistened", "third relistened"}, steps)
}

// TestNetServerPauseOnConnect: a server with PauseOnConnect gives its
// sockets paused: nothing is read (BytesRead 0) and no "data" comes until
// Resume, while a server without it reads at once.
//
// Mirrors test/parallel/test-net-server-pause-on-connect.js
func TestNetServerPauseOnConnect(t *testing.T) {
	const msg = "test"
	stopped := true
	var log []string
	run(t, func() {
		var sock1 *net.Socket
		var srv1, srv2 *net.Server
		srv1 = net.NewServer(net.ServerOptions{PauseOnConnect: true}, func(s *net.Socket) {
			sock1 = s
			s.On("data", func(b []byte) {
				log = append(log, fmt.Sprintf("server1 data %q stopped=%v", b, stopped))
				s.End(nil)
				srv1.Close(nil)
			})
		})
		srv2 = net.NewServer(net.ServerOptions{}, func(s *net.Socket) {
			s.On("data", func(b []byte) {
				log = append(log, fmt.Sprintf("server2 data %q bytesRead1=%d", b, sock1.BytesRead))
				s.End(nil)
				srv2.Close(nil)
				sock1.Resume()
				stopped = false
			})
		})
		require.NoError(t, srv1.Listen(0, func() {
			c, err := net.CreateConnection(net.ConnectOptions{Port: srv1.AddressPort()})
			require.NoError(t, err)
			c.Write([]byte(msg), func(error) {
				require.NoError(t, srv2.Listen(0, func() {
					c2, err := net.CreateConnection(net.ConnectOptions{Port: srv2.AddressPort()})
					require.NoError(t, err)
					c2.Write([]byte(msg), nil)
				}))
			})
		}))
	})
	require.Equal(t, []string{`server2 data "test" bytesRead1=0`, `server1 data "test" stopped=false`}, log)
}

// TestNetServerMaxConnectionsCloseMakesMoreAvailable: with
// MaxConnections 1, a second connection is refused while the first is
// open; once the first has ended, the next one is served and the one
// after it refused again.
//
// Mirrors test/parallel/test-net-server-max-connections-close-makes-more-available.js
func TestNetServerMaxConnectionsCloseMakesMoreAvailable(t *testing.T) {
	var sent, received []string
	run(t, func() {
		srv := net.CreateServer(func(s *net.Socket) {
			s.On("data", func(b []byte) {
				received = append(received, string(b))
				s.Write([]byte("acknowledged"), nil)
			})
		})
		srv.MaxConnections = 1
		conns := map[int]*net.Socket{}
		// create connects client i, which sends its number, and calls next
		// once it got an answer, an end or an error.
		create := func(i int, next func()) {
			once := false
			settle := func() {
				if !once {
					once = true
					next()
				}
			}
			c, err := net.CreateConnection(srv.AddressPort(), func() {
				sent = append(sent, fmt.Sprint(i))
				conns[i].Write([]byte(fmt.Sprint(i)), nil)
			})
			require.NoError(t, err)
			conns[i] = c
			c.On("error", func(err error) {
				require.Equal(t, "ECONNRESET", err.(*net.Error).Code)
				settle()
			})
			c.On("data", func([]byte) { settle() })
			c.On("end", func() { settle() })
		}
		closeConn := func(i int, next func()) {
			conns[i].On("end", next)
			conns[i].End(nil)
		}
		require.NoError(t, srv.Listen(0, func() {
			create(0, func() {
				create(1, func() {
					closeConn(0, func() {
						create(2, func() {
							create(3, func() {
								srv.Close(nil)
								closeConn(2, func() {})
							})
						})
					})
				})
			})
		}))
	})
	require.Equal(t, []string{"0", "1", "2", "3"}, sent)
	require.Equal(t, []string{"0", "2"}, received)
}

// TestNetListenCloseServer: a server closed in the same tick as its
// listen never emits "listening" nor "error", and the loop ends.
//
// Mirrors test/parallel/test-net-listen-close-server.js
func TestNetListenCloseServer(t *testing.T) {
	var events []string
	run(t, func() {
		srv := net.CreateServer(nil)
		require.NoError(t, srv.Listen(0, func() { events = append(events, "listening") }))
		srv.On("error", func(err error) { events = append(events, "error "+err.Error()) })
		srv.On("close", func() { events = append(events, "close") })
		srv.Close(nil)
	})
	require.Equal(t, []string{"close"}, events)
}

// TestNetServerTryPorts: a server whose port is taken emits one "error"
// and can then listen on another port.
//
// Mirrors test/parallel/test-net-server-try-ports.js
func TestNetServerTryPorts(t *testing.T) {
	errors := 0
	listening := false
	run(t, func() {
		srv1 := net.CreateServer(nil)
		srv2 := net.CreateServer(nil)
		srv2.On("error", func(error) {
			errors++
			require.NoError(t, srv2.Listen(0, func() {
				listening = true
				srv1.Close(nil)
				srv2.Close(nil)
			}))
		})
		require.NoError(t, srv1.Listen(0, func() {
			require.NoError(t, srv2.Listen(srv1.AddressPort()))
		}))
	})
	require.Equal(t, 1, errors)
	require.True(t, listening)
}

// TestNetServerListenOptions: every form of listen with a free port
// listens (listen(), a callback, 0, "0", undefined, null, {port: ...});
// bad ports are ERR_SOCKET_BAD_PORT, with the port checked before the
// path; options that are neither are ERR_INVALID_ARG_VALUE, with Node's
// two messages and its rendering of the options. The expected lines are
// what node v20.20.2 printed for the same calls.
//
// Mirrors test/parallel/test-net-server-listen-options.js
func TestNetServerListenOptions(t *testing.T) {
	nop := func() {}
	good := [][]any{
		{}, {nop}, {0}, {net.ListenOptions{Port: 0}},
		{"0", nop}, {0, nop}, {nil, nop}, {cluster.Undefined, nop},
		{net.ListenOptions{Port: "0"}, nop}, {net.ListenOptions{Port: cluster.Undefined}, nop},
	}
	bad := []struct {
		args []any
		want string
	}{
		{[]any{-1, nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type number (-1)."},
		{[]any{math.NaN(), nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type number (NaN)."},
		{[]any{123.456, nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type number (123.456)."},
		{[]any{65536, nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type number (65536)."},
		{[]any{math.Inf(1), nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type number (Infinity)."},
		{[]any{math.Inf(-1), nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type number (-Infinity)."},
		{[]any{net.ListenOptions{Port: -1}, nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type number (-1)."},
		{[]any{net.ListenOptions{Port: math.NaN()}, nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type number (NaN)."},
		{[]any{net.ListenOptions{Port: -1, Path: "/tmp/x.sock"}, nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type number (-1)."},
		{[]any{net.ListenOptions{Port: ""}, nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type string ('')."},
		{[]any{net.ListenOptions{Port: "abc"}, nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type string ('abc')."},
		{[]any{net.ListenOptions{Port: "it's"}, nop}, `ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type string ("it's").`},
		{[]any{net.ListenOptions{Port: strings.Repeat("a", 28)}, nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type string ('aaaaaaaaaaaaaaaaaaaaaaaaaaaa')."},
		{[]any{net.ListenOptions{Port: strings.Repeat("a", 29)}, nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type string ('aaaaaaaaaaaaaaaaaaaaaaaaa...')."},
		{[]any{net.ListenOptions{Port: strings.Repeat("ab'c", 10)}, nop}, `ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type string ("ab'cab'cab'cab'cab'cab'ca...").`},
		{[]any{net.ListenOptions{Port: strings.Repeat("x", 24) + "\U0001F600zzzz"}, nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type string ('xxxxxxxxxxxxxxxxxxxxxxxx\xed\xa0\xbd...')."}, // slice(0, 25) ends in the high surrogate
		// Not util.inspect: as it is in single quotes, or JSON.stringify'd when it has one.
		{[]any{net.ListenOptions{Port: "x\ny"}, nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type string ('x\ny')."},
		{[]any{net.ListenOptions{Port: "a\x01b\\c"}, nop}, "ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type string ('a\x01b\\c')."},
		{[]any{net.ListenOptions{Port: "it's\"q\n"}, nop}, `ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type string ("it's\"q\n").`},
		{[]any{false, nop}, "ERR_INVALID_ARG_VALUE The argument 'options' is invalid. Received { port: false }"},
		{[]any{net.ListenOptions{Port: false}, nop}, "ERR_INVALID_ARG_VALUE The argument 'options' is invalid. Received { port: false }"},
		{[]any{true, nop}, "ERR_INVALID_ARG_VALUE The argument 'options' is invalid. Received { port: true }"},
		{[]any{net.ListenOptions{Port: true}, nop}, "ERR_INVALID_ARG_VALUE The argument 'options' is invalid. Received { port: true }"},
		{[]any{net.ListenOptions{Port: map[string]any{}}, nop}, "ERR_INVALID_ARG_VALUE The argument 'options' is invalid. Received { port: {} }"},
		{[]any{net.ListenOptions{Port: map[string]any{"a": 1, "b": "x'y"}}, nop}, `ERR_INVALID_ARG_VALUE The argument 'options' is invalid. Received { port: { a: 1, b: "x'y" } }`},
		{[]any{net.ListenOptions{Port: []any{1, "a"}}, nop}, "ERR_INVALID_ARG_VALUE The argument 'options' is invalid. Received { port: [ 1, 'a' ] }"},
		{[]any{net.ListenOptions{Fd: -1}, nop}, `ERR_INVALID_ARG_VALUE The argument 'options' must have the property "port" or "path". Received { fd: -1 }`},
		{[]any{net.ListenOptions{}, nop}, `ERR_INVALID_ARG_VALUE The argument 'options' must have the property "port" or "path". Received {}`},
		{[]any{net.ListenOptions{Host: "localhost"}, nop}, `ERR_INVALID_ARG_VALUE The argument 'options' must have the property "port" or "path". Received { host: 'localhost' }`},
		{[]any{net.ListenOptions{Exclusive: true}, nop}, `ERR_INVALID_ARG_VALUE The argument 'options' must have the property "port" or "path". Received { exclusive: true }`},
	}
	listened := 0
	var got, want []string
	run(t, func() {
		for i, args := range good {
			s := net.CreateServer(nil)
			s.On("listening", func() { listened++; s.Close(nil) })
			require.NoError(t, s.Listen(args...), "form %d: %v", i, args)
		}
		for _, c := range bad {
			s := net.CreateServer(nil)
			s.On("listening", func() { t.Errorf("listening after %v", c.args) })
			err := s.Listen(c.args...)
			require.Error(t, err, "%v", c.args)
			e := err.(*net.Error)
			got = append(got, e.Code+" "+e.Message)
			want = append(want, c.want)
		}
	})
	require.Equal(t, len(good), listened)
	require.Empty(t, cmp.Diff(want, got))
}

// TestNetListenInvalidPort: 2^32-1 is a bad port in each form of listen
// (options, port alone, port and host), and a server on port 0 keys its
// connections as family:address:0.
//
// Mirrors test/parallel/test-net-listen-invalid-port.js
func TestNetListenInvalidPort(t *testing.T) {
	const invalid = 4294967295
	var errs []error
	run(t, func() {
		for _, args := range [][]any{{net.ListenOptions{Port: invalid}}, {invalid}, {invalid, "0.0.0.0"}} {
			errs = append(errs, net.CreateServer(nil).Listen(append(args, func() { t.Error("listened") })...))
		}
	})
	for _, err := range errs {
		require.ErrorIs(t, err, &net.Error{Code: "ERR_SOCKET_BAD_PORT"})
		require.Equal(t, "options.port should be >= 0 and < 65536. Received type number (4294967295).", err.Error())
	}
}
