package uv

import (
	"bytes"
	"fmt"
	stdnet "net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Writes held during an IPC pipe's read callbacks keep their bytes and
// their order when the socket is full and they must wait for it: a later
// read callback's held writes do not overwrite the ones still queued.
func TestHeldWritesSurviveAFullSocket(t *testing.T) {
	l, err := NewLoop()
	require.NoError(t, err)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	peer := fds[1]
	defer unix.Close(peer)
	require.NoError(t, unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF, 4096))
	s, err := NewStream(l, KindPipe, fds[0], true)
	require.NoError(t, err)

	// Fill the socket until a write has to wait.
	var want bytes.Buffer
	filler := bytes.Repeat([]byte("f"), 1024)
	for i := 0; ; i++ {
		require.Less(t, i, 10000, "the socket never filled")
		sync, err := s.Write(filler, -1, nil)
		require.NoError(t, err)
		want.Write(filler)
		if !sync {
			break
		}
	}

	reads := 0
	completed := 0
	var got []byte
	s.OnRead = func(data []byte, fd int, err error) {
		reads++
		for i := 0; i < 3; i++ {
			msg := []byte(fmt.Sprintf("read %d message %d\n", reads, i))
			require.True(t, s.Hold(msg, func(err error) {
				require.NoError(t, err)
				completed++
			}), "a read callback of an IPC pipe holds")
			want.Write(msg)
		}
		if reads == 2 {
			// Both callbacks' answers wait behind the filler; now let the
			// peer read everything.
			l.Ref()
			d := &drainer{fd: peer, n: want.Len(), l: l, done: func(b []byte) {
				l.Unref()
				got = b
				s.Close(nil)
			}}
			go d.run()
		}
	}
	require.NoError(t, s.ReadStart())
	unix.Write(peer, []byte("x"))
	// A second read callback while the first one's answers still wait.
	l.SetTimeout(20*time.Millisecond, func() { unix.Write(peer, []byte("y")) })
	runWithin(t, l, 10*time.Second)
	require.Equal(t, 6, completed)
	require.Equal(t, want.String(), string(got))
}

type drainer struct {
	fd   int
	n    int
	l    *Loop
	done func([]byte)
}

func (d *drainer) run() {
	var got []byte
	buf := make([]byte, 64*1024)
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < d.n && time.Now().Before(deadline) {
		k, err := unix.Read(d.fd, buf)
		if k > 0 {
			got = append(got, buf[:k]...)
		}
		if err == unix.EAGAIN {
			time.Sleep(time.Millisecond)
		}
	}
	d.l.Post(func() { d.done(got) })
}

// The buffer held writes share is reused once they have left, however they
// left: at the end of the read callback (uncork) or before user code
// (FlushHeld, which a worker calls for every handed-off connection). It
// must not grow with the number of read callbacks.
func TestHoldBufferDoesNotGrow(t *testing.T) {
	_, s, peer := ipcPair(t)
	msg := []byte(`{"cmd":"NODE_HANDLE_ACK"}` + "\n")
	buf := make([]byte, 4096)
	for i := 0; i < 2000; i++ {
		s.cork()
		require.True(t, s.Hold(msg, func(error) {}))
		if i < 1000 { // the worker's way first, then the end of the callback only
			s.FlushHeld()
		}
		s.uncork()
		require.LessOrEqual(t, cap(s.holdBuf), 4*len(msg), "the hold buffer grew with the read callbacks (%d)", i)
		n, err := unix.Read(peer, buf)
		require.NoError(t, err)
		require.Equal(t, string(msg), string(buf[:n]))
	}
	require.Empty(t, s.writeQ)
}

// Held answers, flushed and written once per read callback, as a worker
// answers every handoff, allocate nothing once the stream is warm: the
// hold buffer, the write queue's array and the pending callbacks' array
// are reused.
func TestHeldWritesAllocateNothing(t *testing.T) {
	l, s, peer := ipcPair(t)
	ack := []byte(`{"cmd":"NODE_HANDLE_ACK"}` + "\n")
	reply := []byte(`{"cmd":"NODE_CLUSTER","ack":4,"accepted":true,"seq":2}` + "\n")
	buf := make([]byte, 4096)
	done := func(error) {}
	cycle := func() {
		s.cork()
		s.Hold(ack, done)
		s.Hold(reply, done)
		s.uncork()
		l.runPending()
		unix.Read(peer, buf)
	}
	cycle()
	require.Zero(t, testing.AllocsPerRun(100, cycle))
	require.Empty(t, s.writeQ)
}

// ipcPair is an IPC pipe stream on a loop of its own, over one end of a
// socketpair, and the other end; both close when the test ends.
func ipcPair(t *testing.T) (*Loop, *Stream, int) {
	l, err := NewLoop()
	require.NoError(t, err)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { unix.Close(fds[1]) })
	s, err := NewStream(l, KindPipe, fds[0], true)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close(nil) })
	return l, s, fds[1]
}

// A listening socket takes one waiting connection per round of the loop,
// in the order they came, as libuv 1.46's uv__server_io does (one accept,
// then level-triggered polling reports the socket again), and never calls
// accept4 on an empty queue when no other process shares it.
func TestAcceptTakesOneWaitingConnectionPerRound(t *testing.T) {
	l, err := NewLoop()
	require.NoError(t, err)
	srv, err := NewTCP(l, unix.AF_INET)
	require.NoError(t, err)
	require.NoError(t, srv.Bind("127.0.0.1", 0))
	require.NoError(t, srv.Listen(16))
	sa, err := unix.Getsockname(srv.Fd())
	require.NoError(t, err)

	// dial connects a client and sends its number, so that each accepted
	// connection can be told apart.
	var clients []int
	defer func() {
		for _, c := range clients {
			unix.Close(c)
		}
	}()
	dial := func(n byte) {
		c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		require.NoError(t, err)
		clients = append(clients, c)
		require.NoError(t, unix.Connect(c, sa))
		_, err = unix.Write(c, []byte{n})
		require.NoError(t, err)
	}

	var got []byte
	rounds := 0      // counted by an immediate that runs once per round
	var seenIn []int // rounds when each connection was taken
	want := 0
	var tick func()
	tick = func() {
		rounds++
		if len(got) < want {
			l.SetImmediate(tick)
		}
	}
	srv.OnConnection = func(err error, c *Stream) {
		require.NoError(t, err)
		var b [1]byte
		deadline := time.Now().Add(5 * time.Second)
		for {
			n, err := unix.Read(c.Fd(), b[:])
			if n == 1 {
				break
			}
			require.Equal(t, unix.EAGAIN, err)
			require.False(t, time.Now().After(deadline), "connection %d sent nothing in 5 s", len(got))
			time.Sleep(time.Millisecond)
		}
		got = append(got, b[0])
		seenIn = append(seenIn, rounds)
		c.Close(nil)
		if len(got) == want {
			l.Stop()
		}
	}
	l.Ref() // keep the loop running until Stop

	// Three connections wait before the loop looks: one round takes each.
	for i := byte(1); i <= 3; i++ {
		dial(i)
	}
	want = 3
	l.SetImmediate(tick)
	runWithin(t, l, 10*time.Second)
	require.Equal(t, []byte{1, 2, 3}, got)
	require.Equal(t, []int{0, 1, 2}, seenIn, "the three waiting connections were not taken one per round")
	require.Equal(t, 0, l.emptyAccepts, "accept4 was called on an empty queue")

	// One more, alone.
	dial(4)
	want = 4
	runWithin(t, l, 10*time.Second)
	require.Equal(t, []byte{1, 2, 3, 4}, got)
	require.Equal(t, 0, l.emptyAccepts, "accept4 was called on an empty queue")
	srv.Close(nil)
}

// A received TCP connection keeps the address its first getsockname gave
// (LocalName): what getsockname says, in IPv4 and IPv6. A Unix socket, or
// a stream not received, keeps none.
func TestReceivedStreamKeepsItsLocalName(t *testing.T) {
	l, err := NewLoop()
	require.NoError(t, err)
	for _, network := range []string{"tcp4", "tcp6"} {
		addr := map[string]string{"tcp4": "127.0.0.1:0", "tcp6": "[::1]:0"}[network]
		ln, err := stdnet.Listen(network, addr)
		if network == "tcp6" && err != nil {
			t.Logf("tcp6: no IPv6 loopback here (%v); IPv4 only", err)
			continue
		}
		require.NoError(t, err)
		client, err := stdnet.Dial(network, ln.Addr().String())
		require.NoError(t, err)
		server, err := ln.Accept()
		require.NoError(t, err)
		f, err := server.(*stdnet.TCPConn).File()
		require.NoError(t, err)
		fd, err := unix.Dup(int(f.Fd()))
		require.NoError(t, err)
		s, err := ReceivedStream(l, fd)
		require.NoError(t, err)
		want, err := Getsockname(fd)
		require.NoError(t, err)
		require.Equal(t, KindTCP, s.Kind)
		exported := cmpopts.IgnoreUnexported(unix.SockaddrInet4{}, unix.SockaddrInet6{})
		if d := cmp.Diff(want, s.LocalName(), exported); d != "" {
			t.Errorf("%s: LocalName (-getsockname +kept):\n%s", network, d)
		}
		s.Close(nil)
		f.Close()
		server.Close()
		client.Close()
		ln.Close()
	}

	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	defer unix.Close(fds[1])
	s, err := ReceivedStream(l, fds[0])
	require.NoError(t, err)
	require.Equal(t, KindPipe, s.Kind)
	require.Nil(t, s.LocalName(), "a Unix socket keeps no name")
	s.Close(nil)

	tcp, err := NewTCP(l, unix.AF_INET)
	require.NoError(t, err)
	require.Nil(t, tcp.LocalName(), "a stream not received keeps no name")
	tcp.Close(nil)
}

// TestStreamUntouched: a connection is untouched while the kernel shows
// that nobody read from it or wrote to it (what the client sent all still
// queued, even with the client's end, or only peeked at; nothing sent);
// one byte read, one written, a shutdown either way or a linger set, and
// it is not; nor is a Unix socket, whose reads the kernel does not count.
func TestStreamUntouched(t *testing.T) {
	l, err := NewLoop()
	require.NoError(t, err)
	ln, err := stdnet.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	pair := func() (*Stream, *stdnet.TCPConn) {
		client, err := stdnet.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { client.Close() })
		server, err := ln.Accept()
		require.NoError(t, err)
		f, err := server.(*stdnet.TCPConn).File()
		require.NoError(t, err)
		server.Close()
		fd, err := unix.Dup(int(f.Fd()))
		require.NoError(t, err)
		f.Close()
		s, err := ReceivedStream(l, fd)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close(nil) })
		return s, client.(*stdnet.TCPConn)
	}
	// waitInq waits until n bytes (the client's) are queued on s.
	waitInq := func(s *Stream, n int) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, err := unreadFd(s.fd)
			require.NoError(t, err)
			if got == n {
				return
			}
			require.True(t, time.Now().Before(deadline), "%d bytes queued, want %d", got, n)
			time.Sleep(time.Millisecond)
		}
	}
	// waitState waits until s's TCP state is st (the client's FIN is in).
	waitState := func(s *Stream, st uint8) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			info, err := unix.GetsockoptTCPInfo(s.fd, unix.IPPROTO_TCP, unix.TCP_INFO)
			require.NoError(t, err)
			if info.State == st {
				return
			}
			require.True(t, time.Now().Before(deadline), "TCP state %d, want %d", info.State, st)
			time.Sleep(time.Millisecond)
		}
	}

	s, _ := pair()
	require.True(t, s.Untouched(), "nothing sent yet")

	s, client := pair()
	_, err = client.Write([]byte("hello"))
	require.NoError(t, err)
	waitInq(s, 5)
	require.True(t, s.Untouched(), "5 bytes in, none read")
	_, err = unix.Read(s.fd, make([]byte, 2))
	require.NoError(t, err)
	require.False(t, s.Untouched(), "2 bytes of 5 read")

	s, client = pair()
	_, err = client.Write([]byte("hello"))
	require.NoError(t, err)
	require.NoError(t, client.CloseWrite())
	waitState(s, unix.BPF_TCP_CLOSE_WAIT)
	require.True(t, s.Untouched(), "5 bytes and the client's end in, none read")
	_, err = unix.Read(s.fd, make([]byte, 5))
	require.NoError(t, err)
	require.False(t, s.Untouched(), "the 5 bytes read, the end not")

	s, _ = pair()
	_, err = unix.Write(s.fd, []byte("x"))
	require.NoError(t, err)
	require.False(t, s.Untouched(), "a byte written")

	s, _ = pair()
	require.NoError(t, unix.Shutdown(s.fd, unix.SHUT_WR))
	require.False(t, s.Untouched(), "shut down for writing")

	s, _ = pair()
	require.NoError(t, unix.Shutdown(s.fd, unix.SHUT_RD))
	require.False(t, s.Untouched(), "shut down for reading")

	s, _ = pair()
	require.NoError(t, unix.SetsockoptLinger(s.fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1}))
	require.False(t, s.Untouched(), "a linger set")

	s, client = pair()
	_, err = client.Write([]byte("hello"))
	require.NoError(t, err)
	waitInq(s, 5)
	_, _, err = unix.Recvfrom(s.fd, make([]byte, 5), unix.MSG_PEEK)
	require.NoError(t, err)
	require.True(t, s.Untouched(), "5 bytes peeked at, none read")

	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	defer unix.Close(fds[1])
	us, err := ReceivedStream(l, fds[0])
	require.NoError(t, err)
	defer us.Close(nil)
	require.False(t, us.Untouched(), "a Unix socket: the kernel cannot tell")
}
