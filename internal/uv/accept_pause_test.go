package uv

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// pausedListener is a listening TCP socket on its own loop whose accepted
// connections are recorded by the byte each client sent first (0 when it
// sent none), and the clients that connected to it.
type pausedListener struct {
	t       *testing.T
	l       *Loop
	srv     *Stream
	sa      unix.Sockaddr
	got     []byte
	want    int // Stop the loop once this many were accepted
	clients []int
}

func newPausedListener(t *testing.T, backlog int) *pausedListener {
	l, err := NewLoop()
	require.NoError(t, err)
	srv, err := NewTCP(l, unix.AF_INET)
	require.NoError(t, err)
	require.NoError(t, srv.Bind("127.0.0.1", 0))
	require.NoError(t, srv.Listen(backlog))
	sa, err := unix.Getsockname(srv.Fd())
	require.NoError(t, err)
	p := &pausedListener{t: t, l: l, srv: srv, sa: sa}
	srv.OnConnection = p.onConnection
	t.Cleanup(func() {
		for _, c := range p.clients {
			unix.Close(c)
		}
	})
	return p
}

func (p *pausedListener) onConnection(err error, c *Stream) {
	require.NoError(p.t, err)
	var b [1]byte
	unix.Read(c.Fd(), b[:]) // what the client sent before it was accepted
	p.got = append(p.got, b[0])
	c.Close(nil)
	if len(p.got) == p.want {
		p.l.Stop()
	}
}

// dial connects a client (the kernel completes the handshake: it waits in
// the accept queue) and, unless n is 0, sends n.
func (p *pausedListener) dial(n byte) int {
	c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(p.t, err)
	p.clients = append(p.clients, c)
	require.NoError(p.t, unix.Connect(c, p.sa))
	if n != 0 {
		_, err = unix.Write(c, []byte{n})
		require.NoError(p.t, err)
	}
	return c
}

// runFor runs the loop for d (to show that nothing is accepted meanwhile).
func (p *pausedListener) runFor(d time.Duration) {
	p.l.Ref()
	p.l.SetTimeout(d, func() { p.l.Unref(); p.l.Stop() })
	runWithin(p.t, p.l, 10*time.Second)
}

// runUntil runs the loop until n connections in all were accepted.
func (p *pausedListener) runUntil(n int) {
	p.want = n
	p.l.Ref()
	runWithin(p.t, p.l, 10*time.Second)
	p.l.Unref()
	require.Len(p.t, p.got, n)
}

func (p *pausedListener) queued() int {
	q, size, err := listenQueue(p.srv.Fd())
	require.NoError(p.t, err)
	require.Positive(p.t, size)
	return q
}

// A paused listening socket is not polled: connections wait in its accept
// queue, across the guard timer's looks while the queue is under a
// quarter full, and ResumeAccept takes them, in the order they came.
func TestPauseAcceptLeavesConnectionsInTheQueue(t *testing.T) {
	p := newPausedListener(t, 512)
	require.True(t, p.srv.PauseAccept(), "an empty queue's socket pauses")
	require.True(t, p.srv.acceptPaused)
	for i := byte(1); i <= 3; i++ {
		p.dial(i)
	}
	p.runFor(4 * acceptGuardEvery) // the guard looks, and leaves them
	require.Empty(t, p.got, "a paused socket's connections were accepted")
	require.Equal(t, 3, p.queued(), "the connections wait in the accept queue")
	require.True(t, p.srv.acceptPaused)

	p.srv.ResumeAccept()
	require.False(t, p.srv.acceptPaused)
	p.runUntil(3)
	require.Equal(t, []byte{1, 2, 3}, p.got)
	require.Zero(t, p.queued())

	// Nothing paused for a period: the guard timer stops.
	p.runFor(3 * acceptGuardEvery)
	require.False(t, p.l.guardArmed, "the guard timer still runs with no socket paused")
	p.srv.Close(nil)
	runWithin(t, p.l, 10*time.Second) // ends: the guard keeps no loop alive
	require.NoError(t, p.l.Close())
}

// A socket whose accept queue is a quarter full does not pause; one that
// fills to a quarter while paused is polled again by the loop's guard
// (workers that stall must not leave a queue to fill up and drop SYNs), and
// does not pause again until ResumeAccept.
func TestPausedAcceptTakesAQueueFillingUp(t *testing.T) {
	p := newPausedListener(t, minPausedQueue) // a quarter: 64
	quarter := minPausedQueue / 4
	var want []byte
	dial := func(n int) {
		for i := 0; i < n; i++ {
			b := byte(len(want)%255 + 1)
			p.dial(b)
			want = append(want, b)
		}
	}
	dial(quarter)
	require.False(t, p.srv.PauseAccept(), "a socket whose queue is a quarter full paused")
	p.runUntil(quarter)

	require.True(t, p.srv.PauseAccept())
	dial(quarter - 1)
	p.runFor(3 * acceptGuardEvery)
	require.Len(t, p.got, quarter, "a queue under a quarter full ended the pause")
	dial(1) // a quarter: the guard's next look polls the socket again
	p.runUntil(2 * quarter)
	require.Equal(t, want, p.got)
	require.False(t, p.srv.acceptPaused)
	require.False(t, p.srv.PauseAccept(), "a socket the guard woke paused again before ResumeAccept")
	p.srv.ResumeAccept()
	require.True(t, p.srv.PauseAccept(), "ResumeAccept ends the stall")

	// Listening again polls the socket again, and it may pause anew.
	require.NoError(t, p.srv.Listen(minPausedQueue))
	require.False(t, p.srv.acceptPaused)
	dial(1)
	p.runUntil(2*quarter + 1)
	require.True(t, p.srv.PauseAccept())
	p.srv.Close(nil)
	runWithin(t, p.l, 10*time.Second)
	require.NoError(t, p.l.Close())
}

// Closing a paused socket accepts and closes what waits in its queue, as
// Node's primary closes the connections queued in its round-robin handle:
// a client that sent nothing reads an orderly end, not a reset (which is
// what closing a listening socket gives the connections left in its
// queue, as the eager case shows).
func TestClosingAPausedSocketEndsWhatWaits(t *testing.T) {
	for _, paused := range []bool{true, false} {
		p := newPausedListener(t, 512)
		if paused {
			require.True(t, p.srv.PauseAccept())
		}
		c := p.dial(0)
		p.srv.Close(nil)
		runWithin(t, p.l, 10*time.Second)
		require.NoError(t, p.l.Close())
		require.NoError(t, unix.SetsockoptTimeval(c, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 5}))
		var b [1]byte
		n, err := unix.Read(c, b[:])
		if paused {
			require.NoError(t, err, "the client of a paused socket's queued connection")
			require.Zero(t, n, "the client reads the end")
		} else {
			require.Equal(t, unix.ECONNRESET, err, "a connection left in a closed listening socket's queue is reset")
		}
	}
}

// Only a listening TCP socket whose queue holds minPausedQueue or more
// pauses (the kernel tells the accept queue's length for TCP alone; a
// smaller queue could fill up between two looks of the guard), only with
// its guard timer set, and none with eager-accept, Node's way.
func TestPauseAcceptOnlyWhereItCan(t *testing.T) {
	small := newPausedListener(t, minPausedQueue-1)
	require.False(t, small.srv.PauseAccept(), "a socket with a small queue paused")
	small.srv.Close(nil)
	runWithin(t, small.l, 10*time.Second)
	require.NoError(t, small.l.Close())

	p := newPausedListener(t, 512)
	defer func(v bool) { ReproduceEagerAccept = v }(ReproduceEagerAccept)
	ReproduceEagerAccept = true
	require.False(t, p.srv.PauseAccept(), "eager-accept paused")
	ReproduceEagerAccept = false

	// Out of descriptors, the guard's timer cannot be made: no pause.
	var lim unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_NOFILE, &lim))
	low := lim
	low.Cur = 512
	require.NoError(t, unix.Setrlimit(unix.RLIMIT_NOFILE, &low))
	var fds []int
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		fds = append(fds, fd)
	}
	paused := p.srv.PauseAccept()
	for _, fd := range fds {
		unix.Close(fd)
	}
	require.NoError(t, unix.Setrlimit(unix.RLIMIT_NOFILE, &lim))
	require.False(t, paused, "a socket paused with no guard to look at its queue")
	require.False(t, p.srv.acceptPaused)

	require.True(t, p.srv.PauseAccept())
	p.srv.Close(nil)
	require.False(t, p.srv.acceptPaused, "a closed socket stays paused")
	require.False(t, p.srv.PauseAccept(), "a closed socket paused")
	runWithin(t, p.l, 10*time.Second)
	require.NoError(t, p.l.Close())

	l, err := NewLoop()
	require.NoError(t, err)
	path := t.TempDir() + "/s"
	pipe, err := NewPipe(l)
	require.NoError(t, err)
	require.NoError(t, pipe.BindPipe(path))
	require.NoError(t, pipe.Listen(512))
	require.False(t, pipe.PauseAccept(), "a Unix socket paused")
	pipe.Close(nil)
	runWithin(t, l, 10*time.Second)
	require.NoError(t, l.Close())
}
