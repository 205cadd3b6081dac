package net_test

import (
	"io"
	stdnet "net"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

// run runs main on this process's loop as a primary would and fails the
// test when the loop has not emptied in 20 s.
func run(t *testing.T, main func()) {
	t.Helper()
	require.False(t, runWithin(20*time.Second, main), "the loop did not empty in 20s")
}

// runWithin is net.RunWithin (export_test.go), which the tests of
// package net use too.
func runWithin(d time.Duration, main func()) (timedOut bool) { return net.RunWithin(d, main) }

// offLoop, started as a goroutine, runs client off the loop (a client
// that blocks: a dial, a read to the end) and hands its error to then on
// the loop, letting go of the Ref the caller took for it.
func offLoop(l *uv.Loop, client func() error, then func(error)) {
	err := client()
	l.Post(func() { l.Unref(); then(err) })
}

type peer struct {
	port int
	send string
	loop *uv.Loop
	done func(string, error)
}

func (p *peer) run() {
	got, err := talk(p.port, p.send)
	p.loop.Post(func() { p.loop.Unref(); p.done(got, err) })
}

func talk(port int, send string) (string, error) {
	c, err := stdnet.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(send)); err != nil {
		return "", err
	}
	c.(*stdnet.TCPConn).CloseWrite()
	b, err := io.ReadAll(c)
	return string(b), err
}

// TestServerSocketEcho: a server in the primary binds itself
// (listenInCluster's primary branch), and its Socket reads, writes, sees
// the peer's end, ends and closes, in Node's event order.
func TestServerSocketEcho(t *testing.T) {
	var events []string
	var reply string
	run(t, func() {
		l := uv.Default()
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			var got []byte
			s.On("data", func(b []byte) { got = append(got, b...) })
			s.On("end", func() {
				events = append(events, "end "+string(got))
				s.End([]byte("echo:" + string(got)))
			})
			s.On("finish", func() { events = append(events, "finish") })
			s.On("close", func(hadError bool) {
				events = append(events, "close hadError="+strconv.FormatBool(hadError))
				srv.Close(nil)
			})
		})
		srv.On("listening", func() { events = append(events, "listening") })
		srv.On("close", func() { events = append(events, "server close") })
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			a := srv.Address()
			require.Equal(t, "127.0.0.1", a.Address)
			require.Equal(t, "IPv4", a.Family)
			l.Ref()
			p := &peer{port: a.Port, send: "ping", loop: l, done: func(s string, err error) {
				require.NoError(t, err)
				reply = s
			}}
			go p.run()
		}))
	})
	require.Equal(t, "echo:ping", reply)
	want := []string{"listening", "end ping", "finish", "close hadError=false", "server close"}
	if d := cmp.Diff(want, events); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestListenWithoutHostBindsIPv6Any: like Node, a listen with no host
// binds "::" first.
func TestListenWithoutHostBindsIPv6Any(t *testing.T) {
	var addr *net.AddressInfo
	run(t, func() {
		srv := net.CreateServer(nil)
		require.NoError(t, srv.Listen(0, func() {
			addr = srv.Address()
			srv.Close(nil)
		}))
	})
	require.NotNil(t, addr)
	require.Equal(t, "::", addr.Address)
	require.Equal(t, "IPv6", addr.Family)
}

// TestListenEADDRINUSE: in the primary a taken port is the server's
// "error" event with Node's fields, and nothing else breaks.
func TestListenEADDRINUSE(t *testing.T) {
	hold, err := stdnet.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer hold.Close()
	port := hold.Addr().(*stdnet.TCPAddr).Port
	var got *net.Error
	run(t, func() {
		srv := net.CreateServer(nil)
		srv.On("error", func(err error) { got = err.(*net.Error) })
		require.NoError(t, srv.Listen(port, "127.0.0.1"))
	})
	requireAddrInUse(t, got, port)
}

// requireAddrInUse checks a listen's EADDRINUSE on 127.0.0.1:port as
// node gives it: code, syscall, address, port and message.
func requireAddrInUse(t *testing.T, got *net.Error, port int) {
	t.Helper()
	require.NotNil(t, got)
	require.Equal(t, "EADDRINUSE", got.Code)
	require.Equal(t, "listen", got.Syscall)
	require.Equal(t, "127.0.0.1", got.Address)
	require.Equal(t, port, got.Port)
	require.Equal(t, "listen EADDRINUSE: address already in use 127.0.0.1:"+strconv.Itoa(port), got.Message)
}

// TestListenTwice: as in Node, a second listen while the first is still
// resolving its host is no error (the first is dropped); once listening,
// it is ERR_SERVER_ALREADY_LISTEN, returned.
func TestListenTwice(t *testing.T) {
	var second error
	listenings := 0
	run(t, func() {
		srv := net.CreateServer(nil)
		srv.On("listening", func() {
			listenings++
			second = srv.Listen(0, "127.0.0.1")
			srv.Close(nil)
		})
		require.NoError(t, srv.Listen(0, "127.0.0.1"))
		require.NoError(t, srv.Listen(0, "127.0.0.1"))
	})
	require.Equal(t, 1, listenings)
	require.ErrorIs(t, second, &net.Error{Code: "ERR_SERVER_ALREADY_LISTEN"})
	require.Equal(t, "Listen method has been called more than once without closing.", second.Error())
}
