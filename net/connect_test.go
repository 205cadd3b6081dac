package net_test

// The client side, net.connect, against what Node v20.20.2 does: each
// expected sequence below is what node printed for the same scenario
// (its /etc/hosts maps localhost to 127.0.0.1 alone, as this machine's
// does), with the port and paths filled in.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	stdnet "net"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

// showConnect records a client socket's events the way the node script
// printed them, and calls done after "close".
func showConnect(s *net.Socket, log func(string, ...any), done func()) {
	und := func(v any) string {
		if v == nil {
			return "undefined"
		}
		return fmt.Sprint(v)
	}
	s.On("lookup", func(err error, ip any, family any, host string) {
		code := "null"
		if e, ok := err.(*net.Error); ok {
			code = e.Code
		}
		log("lookup %s %s %s %s", code, und(ip), und(family), host)
	})
	s.On("connect", func() {
		log("connect %s:%d %s %s pending %v", s.RemoteAddress(), s.RemotePort(), s.RemoteFamily(), s.ReadyState(), s.Pending())
	})
	s.On("ready", func() { log("ready") })
	s.On("connectionAttempt", func(ip string, port, family any) { log("attempt %s %s %s", ip, und(port), und(family)) })
	s.On("connectionAttemptFailed", func(ip string, port, family any, err *net.Error) {
		log("attemptFailed %s %s %s %s %s", ip, und(port), und(family), err.Code, err.Message)
	})
	s.On("error", func(err error) {
		var ae *net.AggregateError
		if errors.As(err, &ae) && err == error(ae) {
			var msgs []string
			for _, e := range ae.Errors {
				msgs = append(msgs, e.Error())
			}
			j, _ := json.Marshal(ae)
			log("error AggregateError %s %s errors %s", ae.Code, j, strings.Join(msgs, "|"))
			return
		}
		e := err.(*net.Error)
		j, jerr := json.Marshal(e)
		if jerr != nil {
			j = []byte(jerr.Error())
		}
		log("error %s %q %s", e.Code, e.Message, j)
	})
	s.On("data", func(b []byte) { log("data %s", b) })
	s.On("end", func() { log("end") })
	s.On("close", func(hadError bool) {
		log("close %v attempted %q", hadError, s.AutoSelectFamilyAttemptedAddresses)
		done()
	})
}

// connectScenarios runs each scenario in turn against a server on
// 127.0.0.1 that answers "hi" and ends; each returns its socket (or the
// error Connect returned, logged as "throw"), whose events showConnect
// records.
func connectScenarios(t *testing.T, scenarios []func(port int) (*net.Socket, error)) (all [][]string, port int) {
	t.Helper()
	steps := make([]func(int, func(string, ...any), func()), len(scenarios))
	for i, sc := range scenarios {
		steps[i] = func(p int, log func(string, ...any), done func()) {
			port = p
			s, err := sc(p)
			if err != nil {
				e := err.(*net.Error)
				log("throw %s %s", e.Code, e.Message)
				done()
				return
			}
			log("pending %v connecting %v state %s", s.Pending(), s.Connecting(), s.ReadyState())
			showConnect(s, log, done)
		}
	}
	all = runScenarios(t, func(c *net.Socket) { c.End([]byte("hi")) }, steps)
	return all, port
}

// runScenarios runs client scenarios one after the other against a
// server on 127.0.0.1 whose connections onConn handles; each scenario
// logs and calls done once it is over (what it logs until the loop's
// next check phase counts). It returns each one's log.
func runScenarios(t *testing.T, onConn func(c *net.Socket), scenarios []func(port int, log func(string, ...any), done func())) [][]string {
	t.Helper()
	var all [][]string
	run(t, func() {
		srv := net.CreateServer(onConn)
		var next func(i int)
		next = func(i int) {
			if i == len(scenarios) {
				srv.Close(nil)
				return
			}
			var events []string
			log := func(f string, a ...any) { events = append(events, fmt.Sprintf(f, a...)) }
			scenarios[i](srv.Address().Port, log, func() {
				// What the ticks after done log still counts.
				uv.Default().SetImmediate(func() {
					all = append(all, events)
					next(i + 1)
				})
			})
		}
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() { next(0) }))
	})
	require.Len(t, all, len(scenarios), "every scenario should have ended")
	return all
}

// Mirrors the node script's scenarios: a port alone (host localhost),
// an IP, a refused connect by IP and by name, a missing Unix socket, a
// name that does not resolve, and writes before the connect.
func TestConnect(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nonexist.sock")
	var closedPort int
	{
		// a port nobody listens on: one just closed
		run(t, func() {
			srv := net.CreateServer(nil)
			require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
				closedPort = srv.Address().Port
				srv.Close(nil)
			}))
		})
	}
	got, port := connectScenarios(t, []func(int) (*net.Socket, error){
		func(p int) (*net.Socket, error) { return net.Connect(p) },
		func(p int) (*net.Socket, error) { return net.Connect(p, "127.0.0.1") },
		func(int) (*net.Socket, error) { return net.Connect(closedPort, "127.0.0.1") },
		func(int) (*net.Socket, error) { return net.Connect(closedPort) },
		func(int) (*net.Socket, error) { return net.Connect(missing) },
		func(p int) (*net.Socket, error) { return net.Connect(p, "nonexistent.invalid") },
		func(p int) (*net.Socket, error) {
			s, err := net.Connect(net.ConnectOptions{Port: p, Host: "127.0.0.1"})
			if err == nil {
				s.Write([]byte("early"), nil)
				s.End(nil)
			}
			return s, err
		},
		func(int) (*net.Socket, error) { return net.Connect(net.ConnectOptions{Port: 70000}) },
		func(int) (*net.Socket, error) { return net.Connect(net.ConnectOptions{}) },
		func(int) (*net.Socket, error) { return net.Connect(net.ConnectOptions{Port: true}) },
	})
	srvPort, cp := strconv.Itoa(port), strconv.Itoa(closedPort)
	refused := `error ECONNREFUSED "connect ECONNREFUSED 127.0.0.1:` + cp + `" {"errno":-111,"code":"ECONNREFUSED","syscall":"connect","address":"127.0.0.1","port":` + cp + `}`
	opening := "pending true connecting true state opening"
	want := [][]string{
		{opening, "lookup null 127.0.0.1 4 localhost", "attempt 127.0.0.1 " + srvPort + " 4", "connect 127.0.0.1:" + srvPort + " IPv4 open pending false", "ready", "data hi", "end", `close false attempted []`},
		{opening, "attempt 127.0.0.1 " + srvPort + " 4", "connect 127.0.0.1:" + srvPort + " IPv4 open pending false", "ready", "data hi", "end", `close false attempted []`},
		{opening, "attempt 127.0.0.1 " + cp + " 4", "attemptFailed 127.0.0.1 " + cp + " 4 ECONNREFUSED connect ECONNREFUSED 127.0.0.1:" + cp, refused, `close true attempted []`},
		{opening, "lookup null 127.0.0.1 4 localhost", "attempt 127.0.0.1 " + cp + " 4", "attemptFailed 127.0.0.1 " + cp + " 4 ECONNREFUSED connect ECONNREFUSED 127.0.0.1:" + cp, refused, `close true attempted []`},
		{opening, "attemptFailed " + missing + " undefined undefined ENOENT connect ENOENT " + missing,
			`error ENOENT "connect ENOENT ` + missing + `" {"errno":-2,"code":"ENOENT","syscall":"connect","address":"` + missing + `"}`, `close true attempted []`},
		{opening, "lookup ENOTFOUND undefined undefined nonexistent.invalid",
			`error ENOTFOUND "getaddrinfo ENOTFOUND nonexistent.invalid" {"errno":-3008,"code":"ENOTFOUND","syscall":"getaddrinfo","hostname":"nonexistent.invalid"}`, `close true attempted []`},
		{opening, "attempt 127.0.0.1 " + srvPort + " 4", "connect 127.0.0.1:" + srvPort + " IPv4 readOnly pending false", "ready", "data hi", "end", `close false attempted []`},
		{"throw ERR_SOCKET_BAD_PORT Port should be >= 0 and < 65536. Received type number (70000)."},
		{`throw ERR_MISSING_ARGS The "options" or "port" or "path" argument must be specified`},
		{`throw ERR_INVALID_ARG_TYPE The "options.port" property must be one of type number or string. Received type boolean (true)`},
	}
	require.Empty(t, cmp.Diff(want, got), "events (-node +port)")
}

// With autoSelectFamily (Node v20's default), every address a name has
// is tried, alternating families from the first one's, each once; one
// that succeeds ends the search, and when all fail the error is an
// AggregateError of each attempt's. Without it, or with a family, only
// the first address is tried. A local port in use is EADDRINUSE from
// bind. The lookup option is given the addresses node's script gave.
func TestConnectMultipleAddresses(t *testing.T) {
	if fd, err := stdnetListenTCP6(); err != nil {
		t.Skipf("IPv6 loopback (::1) is not available here: %v", err)
	} else {
		fd.Close()
	}
	lookup := func(addrs ...net.LookupAddress) func(string, net.LookupOptions, func(error, []net.LookupAddress)) {
		return func(_ string, opts net.LookupOptions, cb func(error, []net.LookupAddress)) {
			require.Equal(t, 0, opts.Family)
			list := addrs
			if !opts.All {
				list = addrs[:1]
			}
			uv.Default().NextTick(func() { cb(nil, list) })
		}
	}
	v6 := net.LookupAddress{Address: "::1", Family: 6}
	v4 := func(a string) net.LookupAddress { return net.LookupAddress{Address: a, Family: 4} }
	used, err := stdnet.Listen("tcp", "127.0.0.1:0") // a local port in use
	require.NoError(t, err)
	defer used.Close()
	usedPort := used.Addr().(*stdnet.TCPAddr).Port
	got, port := connectScenarios(t, []func(int) (*net.Socket, error){
		func(p int) (*net.Socket, error) {
			return net.Connect(net.ConnectOptions{Port: p, Host: "multi.test", Lookup: lookup(v6, v4("127.0.0.1"))})
		},
		func(int) (*net.Socket, error) {
			return net.Connect(net.ConnectOptions{Port: 1, Host: "multi.test", Lookup: lookup(v6, v4("127.0.0.1"), v4("127.0.0.1"))})
		},
		func(p int) (*net.Socket, error) {
			return net.Connect(net.ConnectOptions{Port: p, Host: "multi.test", Lookup: lookup(v4("127.0.0.2"), v4("127.0.0.3"), v6)})
		},
		func(p int) (*net.Socket, error) {
			return net.Connect(net.ConnectOptions{Port: p, Host: "multi.test", AutoSelectFamily: false, Lookup: lookup(v6, v4("127.0.0.1"))})
		},
		func(p int) (*net.Socket, error) {
			return net.Connect(net.ConnectOptions{Port: p, Host: "localhost", Family: 4})
		},
		func(p int) (*net.Socket, error) {
			return net.Connect(net.ConnectOptions{Port: p, Host: "127.0.0.1", LocalAddress: "127.0.0.1", LocalPort: usedPort})
		},
	})
	p := strconv.Itoa(port)
	opening := "pending true connecting true state opening"
	refused := func(a, port string) string { return "connect ECONNREFUSED " + a + ":" + port }
	want := [][]string{
		{opening, "lookup null ::1 6 multi.test", "lookup null 127.0.0.1 4 multi.test", "attempt ::1 " + p + " 6",
			"attemptFailed ::1 " + p + " 6 ECONNREFUSED " + refused("::1", p), "attempt 127.0.0.1 " + p + " 4",
			"connect 127.0.0.1:" + p + " IPv4 open pending false", "ready", "data hi", "end",
			`close false attempted ["::1:` + p + `" "127.0.0.1:` + p + `"]`},
		{opening, "lookup null ::1 6 multi.test", "lookup null 127.0.0.1 4 multi.test", "lookup null 127.0.0.1 4 multi.test",
			"attempt ::1 1 6", "attemptFailed ::1 1 6 ECONNREFUSED " + refused("::1", "1"),
			"attempt 127.0.0.1 1 4", "attemptFailed 127.0.0.1 1 4 ECONNREFUSED " + refused("127.0.0.1", "1"),
			"error AggregateError ECONNREFUSED {\"code\":\"ECONNREFUSED\"} errors " + refused("::1", "1") + "|" + refused("127.0.0.1", "1"),
			`close true attempted ["::1:1" "127.0.0.1:1"]`},
		{opening, "lookup null 127.0.0.2 4 multi.test", "lookup null 127.0.0.3 4 multi.test", "lookup null ::1 6 multi.test",
			"attempt 127.0.0.2 " + p + " 4", "attemptFailed 127.0.0.2 " + p + " 4 ECONNREFUSED " + refused("127.0.0.2", p),
			"attempt ::1 " + p + " 6", "attemptFailed ::1 " + p + " 6 ECONNREFUSED " + refused("::1", p),
			"attempt 127.0.0.3 " + p + " 4", "attemptFailed 127.0.0.3 " + p + " 4 ECONNREFUSED " + refused("127.0.0.3", p),
			"error AggregateError ECONNREFUSED {\"code\":\"ECONNREFUSED\"} errors " + refused("127.0.0.2", p) + "|" + refused("::1", p) + "|" + refused("127.0.0.3", p),
			`close true attempted ["127.0.0.2:` + p + `" "::1:` + p + `" "127.0.0.3:` + p + `"]`},
		{opening, "lookup null ::1 6 multi.test", "attempt ::1 " + p + " 6", "attemptFailed ::1 " + p + " 6 ECONNREFUSED " + refused("::1", p),
			`error ECONNREFUSED "connect ECONNREFUSED ::1:` + p + `" {"errno":-111,"code":"ECONNREFUSED","syscall":"connect","address":"::1","port":` + p + `}`,
			`close true attempted []`},
		{opening, "lookup null 127.0.0.1 4 localhost", "attempt 127.0.0.1 " + p + " 4", "connect 127.0.0.1:" + p + " IPv4 open pending false",
			"ready", "data hi", "end", `close false attempted []`},
		{opening, fmt.Sprintf(`error EADDRINUSE "bind EADDRINUSE 127.0.0.1:%d" {"errno":-98,"code":"EADDRINUSE","syscall":"bind","address":"127.0.0.1","port":%d}`, usedPort, usedPort),
			`close true attempted []`},
	}
	require.Empty(t, cmp.Diff(want, got), "events (-node +port)")
}

// stdnetListenTCP6 checks that this machine can listen on ::1.
func stdnetListenTCP6() (interface{ Close() error }, error) {
	return stdnet.Listen("tcp6", "[::1]:0")
}

// IsIP answers as net.isIP does (each answer printed by node).
func TestIsIP(t *testing.T) {
	cases := map[string]int{
		"127.0.0.1": 4, "1.2.3": 0, "01.2.3.4": 0, "255.255.255.255": 4, "256.1.1.1": 0,
		"::1": 6, "::ffff:1.2.3.4": 6, "fe80::1%eth0": 6, "fe80::1%": 0, "1::2::3": 0, "": 0,
		"localhost": 0, "::": 6, "1:2:3:4:5:6:7:8": 6, "1:2:3:4:5:6:7:8:9": 0, "0x7f.0.0.1": 0,
		" 1.2.3.4": 0, "::1.2.3.4": 6, "FE80::1": 6, "1.2.3.4 ": 0,
		"fe80::2008%eth0@1": 0, "fe80::1%a_b": 0, "fe80::1%a b": 0, "fe80::1%ü": 0, "fe80::1%a/b": 0, "fe80::1%a-b.c:d": 6,
	}
	for in, want := range cases {
		require.Equal(t, want, net.IsIP(in), "IsIP(%q)", in)
		require.Equal(t, want == 4, net.IsIPv4(in), "IsIPv4(%q)", in)
		require.Equal(t, want == 6, net.IsIPv6(in), "IsIPv6(%q)", in)
	}
}

// clientScenarios runs client scenarios against a server that reads
// and ends when its client ends.
func clientScenarios(t *testing.T, scenarios ...func(port int, log func(string, ...any), done func())) [][]string {
	t.Helper()
	return runScenarios(t, func(c *net.Socket) {
		c.On("data", func([]byte) {})
		c.On("end", func() { c.End(nil) })
	}, scenarios)
}

// Writes made while connecting, as node gives them (each expected line
// printed by node for the same steps): Write's answer and BufferSize
// count what waits, "drain" follows once it has gone, the first write's
// callback before "ready"; when the connect fails, the first write's
// callback gets ERR_SOCKET_CLOSED_BEFORE_CONNECTION at "close", the
// others the connect's error, and BytesWritten counts them all.
func TestConnectWritesWhileConnecting(t *testing.T) {
	var closedPort int
	run(t, func() {
		srv := net.CreateServer(nil)
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			closedPort = srv.Address().Port
			srv.Close(nil)
		}))
	})
	got := clientScenarios(t,
		func(p int, log func(string, ...any), done func()) {
			s, err := net.Connect(p, "127.0.0.1")
			require.NoError(t, err)
			s.On("connect", func() { log("connect") })
			s.On("ready", func() { log("ready") })
			log("w1 %v bs %d", s.Write(make([]byte, 10240), func(error) { log("wcb1") }), s.BufferSize())
			log("w2 %v bs %d", s.Write(make([]byte, 10240), func(error) { log("wcb2") }), s.BufferSize())
			log("w3 %v bs %d bw %d", s.Write(make([]byte, 10), func(error) { log("wcb3") }), s.BufferSize(), s.BytesWritten)
			s.On("drain", func() {
				log("drain bs %d bw %d", s.BufferSize(), s.BytesWritten)
				s.End(nil)
			})
			s.On("finish", func() { log("finish") })
			s.On("end", func() { log("end") })
			s.On("data", func([]byte) {})
			s.On("close", func(hadError bool) { log("close %v", hadError); done() })
		},
		func(_ int, log func(string, ...any), done func()) {
			s, err := net.Connect(closedPort, "127.0.0.1")
			require.NoError(t, err)
			s.On("error", func(err error) { log("error %s", err.(*net.Error).Code) })
			s.On("close", func(hadError bool) { log("close %v bw %d", hadError, s.BytesWritten); done() })
			s.Write([]byte("abc"), func(err error) { e := err.(*net.Error); log("wcb %s %s", e.Code, e.Message) })
			s.Write([]byte("de"), func(err error) { log("wcb2 %s", err.(*net.Error).Code) })
			s.End([]byte("x"))
		},
	)
	want := [][]string{
		{"w1 true bs 10240", "w2 false bs 20480", "w3 false bs 20490 bw 20490", "connect", "drain bs 0 bw 20490", "wcb1", "ready", "wcb2", "wcb3", "finish", "end", "close false"},
		{"error ECONNREFUSED", "close true bw 6", "wcb ERR_SOCKET_CLOSED_BEFORE_CONNECTION Socket closed before the connection was established", "wcb2 ECONNREFUSED"},
	}
	require.Empty(t, cmp.Diff(want, got), "events (-node +port)")
}

// ResetAndDestroy on a socket that is connecting resets it once it
// connects; on one that never connected it is ERR_SOCKET_CLOSED. A
// Connect on a socket that is connected or connecting goes to the same
// socket, and the system's answer is the error (the second connect on a
// connected socket succeeds on Linux, the third is EISCONN). A name with
// no address of the family asked for is ENOTFOUND. (Each as node printed.)
func TestConnectAgainAndReset(t *testing.T) {
	got := clientScenarios(t,
		func(p int, log func(string, ...any), done func()) {
			s, err := net.Connect(p, "127.0.0.1")
			require.NoError(t, err)
			s.On("connect", func() { log("connect") })
			s.On("ready", func() { log("ready %s", s.ReadyState()) })
			s.On("error", func(err error) { log("error %v", err) })
			s.On("close", func(hadError bool) { log("close %v", hadError); done() })
			s.ResetAndDestroy()
		},
		func(_ int, log func(string, ...any), done func()) {
			s := net.NewSocket(net.SocketOptions{})
			s.On("error", func(err error) { e := err.(*net.Error); log("error %s %s", e.Code, e.Message) })
			s.On("close", func(bool) { log("close"); done() })
			s.ResetAndDestroy()
		},
		func(p int, log func(string, ...any), done func()) {
			n := 0
			s, err := net.Connect(p, "127.0.0.1")
			require.NoError(t, err)
			s.On("connect", func() {
				n++
				log("connect %d", n)
				require.NoError(t, s.Connect(p, "127.0.0.1"))
			})
			s.On("error", func(err error) { e := err.(*net.Error); log("error %s %s", e.Code, maskPorts(e.Message)) })
			s.On("close", func(hadError bool) { log("close %v", hadError); done() })
		},
		func(p int, log func(string, ...any), done func()) {
			s, err := net.Connect(p, "127.0.0.1")
			require.NoError(t, err)
			require.NoError(t, s.Connect(p, "127.0.0.1"))
			s.On("connectionAttempt", func() { log("attempt") })
			s.On("connect", func() { log("connect") })
			s.On("error", func(err error) { e := err.(*net.Error); log("error %s %s", e.Code, maskPorts(e.Message)) })
			s.On("close", func(hadError bool) { log("close %v", hadError); done() })
		},
		func(p int, log func(string, ...any), done func()) {
			s, err := net.Connect(net.ConnectOptions{Port: p, Host: "localhost", Family: 6})
			require.NoError(t, err)
			s.On("error", func(err error) {
				e := err.(*net.Error)
				j, _ := json.Marshal(e)
				log("error %s %s %s", e.Code, e.Message, j)
			})
			s.On("close", func(hadError bool) { log("close %v", hadError); done() })
		},
	)
	want := [][]string{
		{"connect", "ready closed", "close false"},
		{"error ERR_SOCKET_CLOSED Socket is closed", "close"},
		{"connect 1", "connect 2", "error EISCONN connect EISCONN 127.0.0.1:N - Local (127.0.0.1:N)", "close true"},
		{"attempt", "attempt", "error EALREADY connect EALREADY 127.0.0.1:N - Local (127.0.0.1:N)", "close true"},
		{`error ENOTFOUND getaddrinfo ENOTFOUND localhost {"errno":-3008,"code":"ENOTFOUND","syscall":"getaddrinfo","hostname":"localhost"}`, "close true"},
	}
	require.Empty(t, cmp.Diff(want, got), "events (-node +port)")
}

// maskPorts replaces port numbers (4 or 5 digits) with N.
func maskPorts(s string) string {
	var b strings.Builder
	digits := 0
	flush := func(run string) {
		if len(run) >= 4 {
			b.WriteString("N")
		} else {
			b.WriteString(run)
		}
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if digits == 0 {
				start = i
			}
			digits++
			continue
		}
		if digits > 0 {
			flush(s[start:i])
			digits = 0
		}
		if i < len(s) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// A "data" listener added while connecting starts the reading at connect
// even when the socket is paused right after: what arrives waits in the
// socket until Resume (node: "resume 5", "data hello", "end", "close").
func TestConnectDataListenerThenPause(t *testing.T) {
	var events []string
	run(t, func() {
		srv := net.CreateServer(func(c *net.Socket) { c.End([]byte("hello")) })
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			s, err := net.Connect(srv.Address().Port, "127.0.0.1")
			require.NoError(t, err)
			s.On("data", func(b []byte) { events = append(events, "data "+string(b)) })
			s.Pause()
			s.On("end", func() { events = append(events, "end") })
			s.On("close", func(bool) {
				events = append(events, "close")
				srv.Close(nil)
			})
			uv.Default().SetTimeout(200*time.Millisecond, func() {
				events = append(events, fmt.Sprintf("resume %d", s.BytesRead))
				s.Resume()
			})
		}))
	})
	require.Equal(t, []string{"resume 5", "data hello", "end", "close"}, events)
}

// More of node's answers: ±Infinity in the port's error, a write left for
// "connect" on a socket a "connect" listener destroyed, "close" with no
// argument for a socket that never connected, and a localPort outside
// 0..65535, which Node does not check (libuv keeps its low 16 bits).
func TestConnectEdges(t *testing.T) {
	_, err := net.Connect(math.Inf(1))
	require.EqualError(t, err, "Port should be >= 0 and < 65536. Received type number (Infinity).")
	require.EqualError(t, net.CreateServer(nil).Listen(net.ListenOptions{Port: math.Inf(-1)}),
		"options.port should be >= 0 and < 65536. Received type number (-Infinity).")
	got := clientScenarios(t,
		func(_ int, log func(string, ...any), done func()) {
			s := net.NewSocket(net.SocketOptions{})
			s.On("close", func(args ...any) { log("close args %d", len(args)); done() })
			s.Destroy(nil)
		},
		func(p int, log func(string, ...any), done func()) {
			c, err := net.Connect(p, "127.0.0.1")
			require.NoError(t, err)
			c.On("connect", func() { c.Destroy(nil) })
			c.Write([]byte("queued"), func(err error) { e := err.(*net.Error); log("cb %s %s", e.Code, e.Message) })
			c.On("close", func(bool) { done() })
		},
		func(_ int, log func(string, ...any), done func()) {
			d, err := net.Connect(net.ConnectOptions{Host: "127.0.0.1", Port: 1, LocalAddress: "127.0.0.1", LocalPort: -5})
			require.NoError(t, err)
			d.On("error", func(err error) {
				e := err.(*net.Error)
				j, _ := json.Marshal(e)
				log("lp-5 %s %s %s", e.Code, e.Message, j)
			})
			d.On("close", func(bool) { done() })
		},
		func(_ int, log func(string, ...any), done func()) {
			f, err := net.Connect(net.ConnectOptions{Host: "127.0.0.1", Port: 1, LocalAddress: "127.0.0.1", LocalPort: 70000})
			require.NoError(t, err)
			f.On("error", func(err error) { e := err.(*net.Error); log("lp70000 %s %s", e.Code, e.Message) })
			f.On("close", func(bool) { done() })
		},
	)
	want := [][]string{
		{"close args 0"},
		{"cb ERR_SOCKET_CLOSED Socket is closed"},
		{`lp-5 ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1 - Local (127.0.0.1:-5) {"errno":-111,"code":"ECONNREFUSED","syscall":"connect","address":"127.0.0.1","port":1,"localAddress":"127.0.0.1","localPort":-5}`},
		{"lp70000 EADDRINUSE bind EADDRINUSE 127.0.0.1:70000"},
	}
	require.Empty(t, cmp.Diff(want, got), "events (-node +port)")
}

// Lookups started together answer in the order they were asked, as from
// libuv's thread pool (node: A, B, C every time); a goroutine started
// last tends to run first, which made it C, A, B.
func TestConnectLookupsAnswerInOrder(t *testing.T) {
	for i := 0; i < 5; i++ {
		var order []string
		run(t, func() {
			srv := net.CreateServer(func(c *net.Socket) { c.End(nil) })
			require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
				left := 3
				for _, name := range []string{"A", "B", "C"} {
					s, err := net.Connect(srv.Address().Port, "localhost")
					require.NoError(t, err)
					s.On("lookup", func() { order = append(order, name) })
					s.On("data", func([]byte) {})
					s.On("close", func(bool) {
						if left--; left == 0 {
							srv.Close(nil)
						}
					})
				}
			}))
		})
		require.Equal(t, []string{"A", "B", "C"}, order, "run %d", i)
	}
}

// A write done at once answers true however large, as Node v20's does
// (its answer is taken after the write: nothing is left waiting), and
// brings no "drain"; a write on a socket that never connected answers
// false, leaves it readOnly and counts no byte, then its callback,
// "error" and "close" (each as node printed). Connect(cb) with no port
// names an anonymous function as Node does ("function ").
func TestWriteAnswers(t *testing.T) {
	got := clientScenarios(t,
		func(p int, log func(string, ...any), done func()) {
			s, err := net.Connect(p, "127.0.0.1")
			require.NoError(t, err)
			s.On("connect", func() {
				log("w20000 %v %d", s.Write(make([]byte, 20000), nil), s.BufferSize())
				s.On("drain", func() { log("drain") })
				uv.Default().SetTimeout(100*time.Millisecond, func() { s.End(nil) }) // no "drain" meanwhile
			})
			s.On("data", func([]byte) {})
			s.On("close", func(bool) { done() })
		},
		func(_ int, log func(string, ...any), done func()) {
			s := net.NewSocket(net.SocketOptions{})
			s.On("error", func(err error) { log("error %s", err.(*net.Error).Code) })
			s.On("close", func() { log("close %d", s.BytesWritten); done() })
			ret := s.Write([]byte("x"), func(err error) { log("cb %s", err.(*net.Error).Code) })
			log("write %v %s %d", ret, s.ReadyState(), s.BytesWritten)
		},
	)
	want := [][]string{
		{"w20000 true 0"},
		{"write false readOnly 0", "cb ERR_SOCKET_CLOSED", "error ERR_SOCKET_CLOSED", "close 0"},
	}
	require.Empty(t, cmp.Diff(want, got), "events (-node +port)")
	_, err := net.Connect(func() {})
	require.EqualError(t, err, `The "options.port" property must be one of type number or string. Received function `)
}

// Node's names for a port of the wrong type (as node printed them).
func TestConnectPortTypeNames(t *testing.T) {
	for _, c := range []struct {
		port any
		want string
	}{
		{[]any{}, "an instance of Array"},
		{[]any{1}, "an instance of Array"},
		{childprocess.NewObject(), "an instance of Object"},
		{childprocess.NewMap(), "an instance of Map"},
	} {
		_, err := net.Connect(net.ConnectOptions{Port: c.port})
		require.EqualError(t, err, `The "options.port" property must be one of type number or string. Received `+c.want)
	}
}

// TestConnectToServerAddress: Connect takes what Server.Address gives, as
// net.connect(server.address()) does in Node: its port and family, to
// localhost (for a server on 127.0.0.1, localhost's IPv4 address; for one
// on "::", localhost's IPv6 one, which these machines' /etc/hosts lacks:
// node and the port both fail with "getaddrinfo ENOTFOUND localhost").
func TestConnectToServerAddress(t *testing.T) {
	var remote []string
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) { s.End(nil) })
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			for _, addr := range []any{srv.Address(), *srv.Address()} {
				c, err := net.Connect(addr)
				require.NoError(t, err)
				c.Resume()
				c.On("connect", func() { remote = append(remote, c.RemoteAddress()+" "+c.RemoteFamily()) })
				c.On("close", func() {
					if len(remote) == 2 {
						srv.Close(nil)
					}
				})
			}
		}))
	})
	require.Equal(t, []string{"127.0.0.1 IPv4", "127.0.0.1 IPv4"}, remote)
}

// TestConnectHostTooLong: a host whose ASCII form (Punycode for the
// labels beyond ASCII) needs 256 bytes or more is refused before any
// lookup, "getaddrinfo EINVAL", as libuv's uv_getaddrinfo refuses it;
// a shorter one is looked up (and not found). The lengths are those
// node v20.20.2 drew the line at: 255 and 256 ASCII characters, and a
// name of 252 bytes whose ASCII form is 258 ("a"×250 + "ü") against one
// of 300 bytes whose ASCII form is 106 ("例"×100).
func TestConnectHostTooLong(t *testing.T) {
	hosts := []string{
		strings.Repeat("a", 255),
		strings.Repeat("a", 256),
		strings.Repeat("a", 250) + "ü",
		strings.Repeat("例", 100),
	}
	got := map[string]string{}
	run(t, func() {
		for _, h := range hosts {
			c, err := net.Connect(80, h)
			require.NoError(t, err)
			c.On("error", func(err error) { got[h] = err.(*net.Error).Code })
		}
	})
	require.Equal(t, map[string]string{
		hosts[0]: "ENOTFOUND",
		hosts[1]: "EINVAL",
		hosts[2]: "EINVAL",
		hosts[3]: "ENOTFOUND",
	}, got)
}

// TestConnectSignal: net.connect({signal}), each case as node v20.20.2
// printed it (net/testdata/connect_signal.js): a signal done already
// destroys the new socket (error ABORT_ERR, close), which the connect
// then undoes, so that the socket connects after its "close" (v20's
// behaviour, kept); one done right after the connect call destroys it
// before any connection; one done in the "connect" listener destroys it
// before "ready".
func TestConnectSignal(t *testing.T) {
	want := map[string][]string{
		"pre": {
			"error ABORT_ERR destroyed=false pending=true",
			"close destroyed=false pending=true",
			"connect destroyed=false pending=false",
			"ready destroyed=false pending=false",
			"200 ms: destroyed=false server connections=1",
			"close destroyed=true pending=true",
		},
		"during": {
			"error ABORT_ERR destroyed=true pending=true",
			"close destroyed=true pending=true",
			"200 ms: destroyed=true server connections=0",
		},
		"after": {
			"connect destroyed=false pending=false",
			"ready destroyed=true pending=true",
			"error ABORT_ERR destroyed=true pending=true",
			"close destroyed=true pending=true",
			"200 ms: destroyed=true server connections=1",
		},
	}
	for _, mode := range []string{"pre", "during", "after"} {
		t.Run(mode, func(t *testing.T) {
			var got []string
			run(t, func() {
				conns := 0
				server := net.CreateServer(func(c *net.Socket) {
					conns++
					c.On("error", func(error) {})
				})
				require.NoError(t, server.Listen(0, "127.0.0.1", func() {
					ctx, cancel := context.WithCancel(context.Background())
					if mode == "pre" {
						cancel()
					}
					s, err := net.Connect(net.ConnectOptions{Port: server.Address().Port, Host: "127.0.0.1", Signal: ctx})
					require.NoError(t, err)
					state := func() string { return fmt.Sprintf("destroyed=%t pending=%t", s.Destroyed(), s.Pending()) }
					s.On("connect", func() { got = append(got, "connect "+state()) })
					s.On("ready", func() { got = append(got, "ready "+state()) })
					s.On("error", func(err error) {
						code := "?"
						if ae, ok := err.(*net.AbortError); ok {
							code = ae.Code()
						}
						got = append(got, "error "+code+" "+state())
					})
					s.On("close", func() { got = append(got, "close "+state()) })
					switch mode {
					case "during":
						cancel()
					case "after":
						s.On("connect", func() { cancel() })
					}
					cluster.SetTimeout(200*time.Millisecond, func() {
						got = append(got, fmt.Sprintf("200 ms: destroyed=%t server connections=%d", s.Destroyed(), conns))
						s.Destroy(nil)
						server.Close(nil)
						cancel()
					})
				}))
			})
			if d := cmp.Diff(want[mode], got); d != "" {
				t.Errorf("events (-node +port):\n%s", d)
			}
		})
	}
}

// TestNetConnectAbortController: a socket whose signal is aborted, before
// net.connect, right after it, on the next turn of the loop, and for a
// socket made with NewSocket (aborted before, after, a turn later), emits
// "error" with an AbortError before "close" (Node's once(socket, 'close')
// rejects with it). Node's listenerCount(signal, 'abort') checks have no
// counterpart: a context has no listener count.
//
// Mirrors test/parallel/test-net-connect-abort-controller.js
func TestNetConnectAbortController(t *testing.T) {
	var got []string
	run(t, func() {
		var live []*net.Socket
		server := net.CreateServer(func(c *net.Socket) { live = append(live, c) })
		require.NoError(t, server.Listen(0, func() {
			opts := func(ctx context.Context) net.ConnectOptions {
				return net.ConnectOptions{Port: server.Address().Port, Host: "localhost", Signal: ctx}
			}
			cases := []struct {
				name  string
				start func() *net.Socket
			}{
				{"postAbort", func() *net.Socket {
					ctx, cancel := context.WithCancel(context.Background())
					s, err := net.Connect(opts(ctx))
					require.NoError(t, err)
					cancel()
					return s
				}},
				{"preAbort", func() *net.Socket {
					ctx, cancel := context.WithCancel(context.Background())
					cancel()
					s, err := net.Connect(opts(ctx))
					require.NoError(t, err)
					return s
				}},
				{"tickAbort", func() *net.Socket {
					ctx, cancel := context.WithCancel(context.Background())
					cluster.SetImmediate(cancel)
					s, err := net.Connect(opts(ctx))
					require.NoError(t, err)
					return s
				}},
				{"testConstructor", func() *net.Socket {
					ctx, cancel := context.WithCancel(context.Background())
					cancel()
					return net.NewSocket(net.SocketOptions{Signal: ctx})
				}},
				{"testConstructorPost", func() *net.Socket {
					ctx, cancel := context.WithCancel(context.Background())
					s := net.NewSocket(net.SocketOptions{Signal: ctx})
					cancel()
					return s
				}},
				{"testConstructorPostTick", func() *net.Socket {
					ctx, cancel := context.WithCancel(context.Background())
					s := net.NewSocket(net.SocketOptions{Signal: ctx})
					cluster.SetImmediate(cancel)
					return s
				}},
			}
			var next func(i int)
			next = func(i int) {
				if i == len(cases) {
					for _, c := range live {
						c.Destroy(nil)
					}
					server.Close(nil)
					return
				}
				s := cases[i].start()
				var first string
				s.Once("error", func(err error) {
					if first == "" {
						first = "error"
						if ae, ok := err.(*net.AbortError); ok {
							first += " " + ae.Name()
						}
					}
				})
				s.Once("close", func() {
					if first == "" {
						first = "close"
					}
					got = append(got, cases[i].name+": "+first)
					next(i + 1)
				})
			}
			next(0)
		}))
	})
	want := []string{"postAbort: error AbortError", "preAbort: error AbortError", "tickAbort: error AbortError",
		"testConstructor: error AbortError", "testConstructorPost: error AbortError", "testConstructorPostTick: error AbortError"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +port):\n%s", d)
	}
}
