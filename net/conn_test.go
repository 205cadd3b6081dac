package net

import (
	"bytes"
	"crypto/rand"
	"io"
	stdnet "net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/nodecluster/nodecluster/internal/uv"
)

// connPair makes a TCP connection on 127.0.0.1 and returns its server
// end as a Listener conn (over a dup of the accepted socket) and its
// client end.
func connPair(t *testing.T) (*tcpConn, stdnet.Conn) { return connPairKnowing(t, nil) }

// connPairKnowing is connPair with lsa given to newConn as the local
// address the handle knew.
func connPairKnowing(t *testing.T, lsa unix.Sockaddr) (*tcpConn, stdnet.Conn) {
	ln, err := stdnet.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client, err := stdnet.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	server, err := ln.Accept()
	require.NoError(t, err)
	f, err := server.(*stdnet.TCPConn).File()
	require.NoError(t, err)
	server.Close()
	fd, err := syscall.Dup(int(f.Fd()))
	require.NoError(t, err)
	f.Close()
	require.NoError(t, syscall.SetNonblock(fd, true))
	loop := runningLoop(t)
	made := make(chan error, 1)
	var c *conn
	loop.Post(func() {
		l := &Listener{loop: loop}
		l.lazy.Store(true) // no server to tell of the close
		var err error
		c, err = newConn(loop, fd, true, l, lsa)
		made <- err
	})
	require.NoError(t, <-made)
	t.Cleanup(func() { c.Close() })
	return &tcpConn{c}, client
}

// runningLoop runs a new loop on a goroutine of its own until the test
// ends: a conn waits for its socket through it.
func runningLoop(t *testing.T) *uv.Loop {
	loop, err := uv.NewLoop()
	require.NoError(t, err)
	loop.WaitInNetpoller()
	loop.Ref()
	done := make(chan struct{})
	go runLoop(loop, done)
	t.Cleanup(func() {
		loop.Post(loop.Unref)
		<-done
	})
	return loop
}

func runLoop(loop *uv.Loop, done chan struct{}) {
	loop.Run()
	close(done)
}

// readAll reads n bytes from c on a goroutine of its own, into a buffer
// allocated here, before it starts.
func readAll(c stdnet.Conn, n int) chan []byte {
	out := make(chan []byte, 1)
	go readN(c, make([]byte, n), out)
	return out
}

func readN(c stdnet.Conn, b []byte, out chan []byte) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	k, _ := io.ReadFull(c, b)
	out <- b[:k]
}

// ReadFrom sends a file with sendfile(2): up to a LimitedReader's N,
// from the file's position, which it advances; no copy passes through the
// process (far fewer bytes allocated than the 32 KiB buffer a copy
// takes, for a megabyte sent).
func TestConnReadFromFile(t *testing.T) {
	data := make([]byte, 1<<20)
	rand.Read(data)
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Seek(1000, io.SeekStart)
	require.NoError(t, err)

	c, client := connPair(t)
	const n = 700000
	got := readAll(client, n)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	lr := &io.LimitedReader{R: f, N: n}
	sent, err := c.ReadFrom(lr)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.EqualValues(t, n, sent)
	require.Zero(t, lr.N)
	require.True(t, bytes.Equal(data[1000:1000+n], <-got), "the bytes sent are not the file's")
	pos, err := f.Seek(0, io.SeekCurrent)
	require.NoError(t, err)
	require.EqualValues(t, 1000+n, pos)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<10), "ReadFrom copied through a buffer")
}

// What sendfile does not take (a pipe) and what is not a file (a reader)
// are copied.
func TestConnReadFromOther(t *testing.T) {
	c, client := connPair(t)
	msg := strings.Repeat("hello ", 10000)
	got := readAll(client, len(msg))
	n, err := c.ReadFrom(strings.NewReader(msg))
	require.NoError(t, err)
	require.EqualValues(t, len(msg), n)
	require.Equal(t, msg, string(<-got))

	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	go writeAndClose(pw, msg)
	got = readAll(client, len(msg))
	n, err = c.ReadFrom(pr)
	require.NoError(t, err)
	require.EqualValues(t, len(msg), n)
	require.Equal(t, msg, string(<-got))
}

func writeAndClose(w *os.File, s string) {
	w.WriteString(s)
	w.Close()
}

// The socket options of *net.TCPConn reach the socket, with Go's
// conventions (seconds rounded up, 0 for Go's defaults, negative left as
// it is).
func TestConnSocketOptions(t *testing.T) {
	c, _ := connPair(t)
	get := func(level, opt int) int {
		var v int
		var err error
		require.NoError(t, c.rc.Control(func(fd uintptr) { v, err = unix.GetsockoptInt(int(fd), level, opt) }))
		require.NoError(t, err)
		return v
	}
	require.NoError(t, c.SetKeepAlivePeriod(1500*time.Millisecond))
	require.Equal(t, 2, get(unix.IPPROTO_TCP, unix.TCP_KEEPIDLE), "1.5 s rounds up to 2")
	require.NoError(t, c.SetKeepAlivePeriod(-1))
	require.Equal(t, 2, get(unix.IPPROTO_TCP, unix.TCP_KEEPIDLE), "negative: left as it was")

	require.NoError(t, c.SetKeepAliveConfig(stdnet.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Count: 4}))
	require.Equal(t, 1, get(unix.SOL_SOCKET, unix.SO_KEEPALIVE))
	require.Equal(t, 30, get(unix.IPPROTO_TCP, unix.TCP_KEEPIDLE))
	require.Equal(t, 15, get(unix.IPPROTO_TCP, unix.TCP_KEEPINTVL), "zero interval: Go's default")
	require.Equal(t, 4, get(unix.IPPROTO_TCP, unix.TCP_KEEPCNT))
	require.NoError(t, c.SetKeepAlive(false))
	require.Equal(t, 0, get(unix.SOL_SOCKET, unix.SO_KEEPALIVE))

	require.NoError(t, c.SetReadBuffer(64<<10))
	require.GreaterOrEqual(t, get(unix.SOL_SOCKET, unix.SO_RCVBUF), 64<<10)
	require.NoError(t, c.SetWriteBuffer(32<<10))
	require.GreaterOrEqual(t, get(unix.SOL_SOCKET, unix.SO_SNDBUF), 32<<10)

	var l *unix.Linger
	getLinger := func() {
		var err error
		require.NoError(t, c.rc.Control(func(fd uintptr) { l, err = unix.GetsockoptLinger(int(fd), unix.SOL_SOCKET, unix.SO_LINGER) }))
		require.NoError(t, err)
	}
	require.NoError(t, c.SetLinger(3))
	getLinger()
	require.Equal(t, unix.Linger{Onoff: 1, Linger: 3}, *l)
	require.NoError(t, c.SetLinger(-1))
	getLinger()
	require.Zero(t, l.Onoff)

	require.NoError(t, c.Close())
	var oe *stdnet.OpError
	require.ErrorAs(t, c.SetReadBuffer(1<<10), &oe)
	require.ErrorIs(t, oe.Err, stdnet.ErrClosed)
}

// SetLinger(0) makes Close discard what was not sent and reset the
// connection: the peer reads ECONNRESET, not EOF.
func TestConnLingerZeroResets(t *testing.T) {
	c, client := connPair(t)
	require.NoError(t, c.SetLinger(0))
	require.NoError(t, c.Close())
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := client.Read(make([]byte, 1))
	require.ErrorIs(t, err, syscall.ECONNRESET)
}

// A descriptor the loop cannot watch is refused, and closed: the
// connection's socket does not leak.
func TestNewConnRefusesAndCloses(t *testing.T) {
	loop, err := uv.NewLoop()
	require.NoError(t, err)
	f, err := os.CreateTemp(t.TempDir(), "plain")
	require.NoError(t, err)
	defer f.Close()
	fd, err := unix.Dup(int(f.Fd()))
	require.NoError(t, err)
	_, err = newConn(loop, fd, true, &Listener{loop: loop}, nil)
	require.ErrorIs(t, err, unix.EPERM)
	_, err = unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.ErrorIs(t, err, unix.EBADF, "the refused descriptor is still open")
}

// A conn whose handle knew its local address (a handed-off connection:
// uv.Stream.LocalName) reports that one and asks the kernel only for the
// peer's; without one it asks for both.
func TestConnUsesTheLocalAddressItWasGiven(t *testing.T) {
	known := &unix.SockaddrInet4{Port: 1, Addr: [4]byte{127, 0, 0, 9}}
	c, client := connPairKnowing(t, known)
	require.Equal(t, "127.0.0.9:1", c.LocalAddr().String(), "the address given, not getsockname's")
	require.Equal(t, client.LocalAddr().String(), c.RemoteAddr().String())

	c, client = connPair(t)
	require.Equal(t, client.RemoteAddr().String(), c.LocalAddr().String())
	require.Equal(t, client.LocalAddr().String(), c.RemoteAddr().String())
}

// An IPv4 connection's addresses are four-byte IPs, as net's own
// connections give them: netip sees IPv4 addresses (Is4, 127.0.0.0/8),
// not IPv4-mapped IPv6 ones.
func TestConnIPv4AddressesAreFourBytes(t *testing.T) {
	c, client := connPair(t)
	for _, pair := range [][2]stdnet.Addr{{c.LocalAddr(), client.RemoteAddr()}, {c.RemoteAddr(), client.LocalAddr()}} {
		got, want := pair[0].(*stdnet.TCPAddr), pair[1].(*stdnet.TCPAddr)
		require.Len(t, got.IP, len(want.IP), "net's own conn has %d bytes", len(want.IP))
		require.Equal(t, want.AddrPort(), got.AddrPort())
		require.True(t, got.AddrPort().Addr().Is4())
	}
}

// Addresses first asked for once the conn is closed are still there, as
// on net's own conns (the socket can no longer tell them: Close asks for
// them first).
func TestConnAddressesAfterClose(t *testing.T) {
	c, client := connPair(t)
	require.NoError(t, c.Close())
	require.Equal(t, client.RemoteAddr().String(), c.LocalAddr().String())
	require.Equal(t, client.LocalAddr().String(), c.RemoteAddr().String())
}

// SyscallConn's errors are shaped as net's RawConn shapes them: an
// *OpError (raw-control, raw-read) around net.ErrClosed once closed, or
// around the deadline's error, side by side with net's own conn.
func TestConnSyscallConnErrors(t *testing.T) {
	c, client := connPair(t)
	ours, err := c.SyscallConn()
	require.NoError(t, err)
	theirs, err := client.(*stdnet.TCPConn).SyscallConn()
	require.NoError(t, err)

	// A read that waits past the deadline.
	c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	client.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	waitRead := func(fd uintptr) bool { return false }
	for name, rc := range map[string]syscall.RawConn{"port": ours, "net": theirs} {
		err := rc.Read(waitRead)
		var oe *stdnet.OpError
		require.ErrorAs(t, err, &oe, name)
		require.Equal(t, "raw-read", oe.Op, name)
		require.ErrorIs(t, err, os.ErrDeadlineExceeded, name)
	}

	require.NoError(t, c.Close())
	require.NoError(t, client.Close())
	for name, rc := range map[string]syscall.RawConn{"port": ours, "net": theirs} {
		for op, err := range map[string]error{"raw-control": rc.Control(func(uintptr) {}), "raw-read": rc.Read(waitRead)} {
			var oe *stdnet.OpError
			require.ErrorAs(t, err, &oe, "%s %s", name, op)
			require.Equal(t, op, oe.Op, name)
			require.ErrorIs(t, err, stdnet.ErrClosed, "%s %s", name, op)
		}
	}
}
