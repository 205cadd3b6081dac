package uv

import (
	"errors"
	"io"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// fdPair runs a loop (in both wait modes) on a goroutine of its own and
// gives fn an FD over one end of a non-blocking socketpair, and the other
// end. The loop stops once fn returned and the FD is closed.
func fdPair(t *testing.T, fn func(t *testing.T, p *FD, peer int)) {
	waitModes(t, func(t *testing.T, l *Loop) {
		fds := socketpair(t)
		defer unix.Close(fds[1])
		stop := runInBackground(t, l, 20*time.Second)
		p := <-fdOnLoop(l, fds[0])
		fn(t, p, fds[1])
		p.Close()
		stop()
		require.NoError(t, l.Close(), "the loop still watches the closed FD")
	})
}

// fdOnLoop makes an FD over fd on the loop (which must run, or be about
// to), and hands it over.
func fdOnLoop(l *Loop, fd int) <-chan *FD {
	made := make(chan *FD, 1)
	l.Post(func() {
		p, err := l.NewFD(fd)
		if err != nil {
			panic(err)
		}
		made <- p
	})
	return made
}

// idleFD gives an FD over one end of a socketpair on a loop that does
// not run, and the other end (closed when the test ends).
func idleFD(t *testing.T) (*Loop, *FD, int) {
	l, err := NewLoop()
	require.NoError(t, err)
	fds := socketpair(t)
	t.Cleanup(func() { unix.Close(fds[1]) })
	p, err := l.NewFD(fds[0])
	require.NoError(t, err)
	return l, p, fds[1]
}

func socketpair(t testing.TB) [2]int {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	return [2]int(fds)
}

// runInBackground runs l on a goroutine of its own, kept alive by a Ref
// until stop, which waits for Run to return; a loop still running after d
// stops the test binary (runWithin).
func runInBackground(tb testing.TB, l *Loop, d time.Duration) (stop func()) {
	l.Ref()
	done := make(chan struct{})
	go runLoopUntil(tb, l, d, done)
	return func() {
		l.Post(l.Unref)
		<-done
	}
}

func runLoopUntil(tb testing.TB, l *Loop, d time.Duration, done chan struct{}) {
	defer close(done)
	runWithin(tb, l, d)
}

// result is what a Read or Write on another goroutine came back with.
type result struct {
	n   int
	err error
	at  time.Time
}

func readOn(p *FD, b []byte, out chan<- result) {
	n, err := p.Read(b)
	out <- result{n, err, time.Now()}
}

func writeOn(p *FD, b []byte, out chan<- result) {
	n, err := p.Write(b)
	out <- result{n, err, time.Now()}
}

// waitFor takes what ch delivers, failing the test after 10 s.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		var zero T
		t.Fatalf("%s did not come within 10 s", what)
		return zero
	}
}

// notYet fails if ch delivers within d: the call is still waiting.
func notYet(t *testing.T, ch <-chan result, d time.Duration, what string) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s returned (%d, %v) while it should wait", what, r.n, r.err)
	case <-time.After(d):
	}
}

// A read waits until the loop sees data, and gets EOF when the peer shuts
// down its side.
func TestFDReadWaitsForTheLoop(t *testing.T) {
	fdPair(t, func(t *testing.T, p *FD, peer int) {
		got := make(chan result, 1)
		b := make([]byte, 64)
		go readOn(p, b, got)
		notYet(t, got, 50*time.Millisecond, "a read with nothing to read")
		_, err := unix.Write(peer, []byte("hello"))
		require.NoError(t, err)
		r := waitFor(t, got, "the read")
		require.NoError(t, r.err)
		require.Equal(t, "hello", string(b[:r.n]))

		go readOn(p, b, got)
		require.NoError(t, unix.Shutdown(peer, unix.SHUT_WR))
		r = waitFor(t, got, "the read at EOF")
		require.Equal(t, io.EOF, r.err)
	})
}

// A write that fills the socket's buffer waits for the peer to read, and
// then writes everything.
func TestFDWriteWaitsForRoom(t *testing.T) {
	fdPair(t, func(t *testing.T, p *FD, peer int) {
		data := make([]byte, 4<<20)
		for i := range data {
			data[i] = byte(i)
		}
		done := make(chan result, 1)
		go writeOn(p, data, done)
		notYet(t, done, 50*time.Millisecond, "a write of 4 MiB nobody reads")
		got := make([]byte, 0, len(data))
		buf := make([]byte, 64<<10)
		deadline := time.Now().Add(10 * time.Second)
		for len(got) < len(data) && time.Now().Before(deadline) {
			n, err := unix.Read(peer, buf)
			if err == unix.EAGAIN {
				time.Sleep(time.Millisecond)
				continue
			}
			require.NoError(t, err)
			got = append(got, buf[:n]...)
		}
		r := waitFor(t, done, "the write")
		require.NoError(t, r.err)
		require.Equal(t, len(data), r.n)
		require.Equal(t, data, got)
	})
}

// Deadlines: one that passes fails the waiting read with
// os.ErrDeadlineExceeded; one set in the past from another goroutine wakes
// it at once (net/http's abortPendingRead does that); a zero one lets the
// next read wait again.
func TestFDDeadlines(t *testing.T) {
	fdPair(t, func(t *testing.T, p *FD, peer int) {
		b := make([]byte, 8)
		got := make(chan result, 1)

		start := time.Now()
		require.NoError(t, p.SetReadDeadline(start.Add(80*time.Millisecond)))
		go readOn(p, b, got)
		r := waitFor(t, got, "a read past its deadline")
		require.ErrorIs(t, r.err, os.ErrDeadlineExceeded)
		require.GreaterOrEqual(t, r.at.Sub(start), 80*time.Millisecond, "the read gave up before its deadline")

		require.NoError(t, p.SetReadDeadline(time.Time{}))
		go readOn(p, b, got)
		notYet(t, got, 50*time.Millisecond, "a read without a deadline")
		require.NoError(t, p.SetReadDeadline(time.Unix(1, 0)))
		r = waitFor(t, got, "a read whose deadline moved into the past")
		require.ErrorIs(t, r.err, os.ErrDeadlineExceeded)

		require.NoError(t, p.SetReadDeadline(time.Time{}))
		go readOn(p, b, got)
		notYet(t, got, 50*time.Millisecond, "a read after the deadline was cleared")
		_, err := unix.Write(peer, []byte("x"))
		require.NoError(t, err)
		r = waitFor(t, got, "the read")
		require.NoError(t, r.err)
		require.Equal(t, 1, r.n)

		// A write deadline fails a write that waits for room.
		require.NoError(t, p.SetWriteDeadline(time.Now().Add(50*time.Millisecond)))
		go writeOn(p, make([]byte, 8<<20), got)
		r = waitFor(t, got, "a write past its deadline")
		require.ErrorIs(t, r.err, os.ErrDeadlineExceeded)
		require.Positive(t, r.n, "nothing written before the deadline")
	})
}

// Close wakes a waiting read and a waiting write with ErrFDClosed, closes
// the descriptor (the peer reads EOF), and fails what comes after it.
func TestFDCloseWakesWaiters(t *testing.T) {
	fdPair(t, func(t *testing.T, p *FD, peer int) {
		rd, wr := make(chan result, 1), make(chan result, 1)
		go readOn(p, make([]byte, 8), rd)
		go writeOn(p, make([]byte, 8<<20), wr)
		notYet(t, rd, 50*time.Millisecond, "a read with nothing to read")
		notYet(t, wr, 0, "a write of 8 MiB nobody reads")
		require.NoError(t, p.Close())
		require.ErrorIs(t, waitFor(t, rd, "the read").err, ErrFDClosed)
		require.ErrorIs(t, waitFor(t, wr, "the write").err, ErrFDClosed)
		require.ErrorIs(t, p.Close(), ErrFDClosed)
		_, err := p.Read(make([]byte, 1))
		require.ErrorIs(t, err, ErrFDClosed)
		require.ErrorIs(t, p.SetReadDeadline(time.Now()), ErrFDClosed)
		require.ErrorIs(t, p.Control(func(uintptr) {}), ErrFDClosed)

		// The peer sees the socket closed: what it reads ends (after the
		// bytes the write got in), and it cannot write any more.
		buf := make([]byte, 1<<20)
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			n, err := unix.Read(peer, buf)
			if err == unix.EAGAIN {
				time.Sleep(time.Millisecond)
				continue
			}
			require.NoError(t, err)
			if n == 0 {
				break
			}
		}
		_, err = unix.Write(peer, []byte("x"))
		require.True(t, errors.Is(err, unix.EPIPE) || errors.Is(err, unix.ECONNRESET), "write to a closed socket: %v", err)
	})
}

// RawRead calls its function again each time the loop sees the socket
// readable, until it is done (syscall.RawConn's contract).
func TestFDRawRead(t *testing.T) {
	fdPair(t, func(t *testing.T, p *FD, peer int) {
		r := &rawReader{p: p, read: make(chan int, 4), done: make(chan error, 1)}
		go r.run()
		require.Equal(t, 0, waitFor(t, r.read, "the first call"))
		unix.Write(peer, []byte("a"))
		require.Equal(t, 1, waitFor(t, r.read, "the call after the first byte"))
		unix.Write(peer, []byte("b"))
		require.Equal(t, 2, waitFor(t, r.read, "the call after the second byte"))
		select {
		case err := <-r.done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("RawRead did not return")
		}
		require.Equal(t, "ab", string(r.got))
	})
}

// rawReader reads two bytes through RawRead, reporting how many it has
// after each call that read something (and after the first call).
type rawReader struct {
	p     *FD
	got   []byte
	calls int
	read  chan int
	done  chan error
}

func (r *rawReader) run() { r.done <- r.p.RawRead(r.try) }

func (r *rawReader) try(fd uintptr) bool {
	r.calls++
	b := make([]byte, 8)
	n, err := unix.Read(int(fd), b)
	if err == nil {
		r.got = append(r.got, b[:n]...)
	}
	if err == nil || r.calls == 1 {
		r.read <- len(r.got)
	}
	return len(r.got) >= 2
}

// net/http moves a connection's read deadline into the past and back for
// every request: neither move allocates, nor does a future deadline after
// the first (its timer is reused).
func TestFDDeadlineChangesAllocateNothing(t *testing.T) {
	fdPair(t, func(t *testing.T, p *FD, peer int) {
		past := time.Unix(1, 0)
		require.NoError(t, p.SetReadDeadline(time.Now().Add(time.Hour)))
		allocs := testing.AllocsPerRun(100, func() {
			p.SetReadDeadline(past)
			p.SetReadDeadline(time.Time{})
			p.SetWriteDeadline(past)
			p.SetWriteDeadline(time.Time{})
			p.SetReadDeadline(time.Now().Add(time.Hour))
		})
		require.Zero(t, allocs)
	})
}

// A new FD wakes the loop for nothing: its socket, writable from the
// start, is not reported until a read or a write would block, and then
// only for that direction.
func TestFDArmsOnlyWhenItWouldBlock(t *testing.T) {
	l, p, peer := idleFD(t)
	events := make([]unix.EpollEvent, 8)
	pending := func() []unix.EpollEvent {
		n, err := epollWaitNow(l.epfd, events)
		require.NoError(t, err)
		return events[:n]
	}
	require.Empty(t, pending(), "a new, writable socket woke the loop")

	_, e, ok := p.sys(readFd, make([]byte, 8), armRead)
	require.True(t, ok)
	require.Equal(t, unix.EAGAIN, e)
	require.Equal(t, uint32(armRead), p.armed.Load())
	require.Empty(t, pending(), "arming for reading reported the socket writable")

	_, err := unix.Write(peer, []byte("x"))
	require.NoError(t, err)
	ev := pending()
	require.Len(t, ev, 1)
	require.NotZero(t, ev[0].Events&unix.EPOLLIN)
	require.Equal(t, p.io.gen, ev[0].Pad)

	require.NoError(t, p.Close())
	l.mu.Lock()
	l.dropDetached()
	l.mu.Unlock()
	require.NoError(t, l.Close())
}

// With SO_LINGER and a timeout, close(2) may wait: the FD then closes
// through the scheduler, and again raw once the linger is off.
func TestFDLingerClosesThroughTheScheduler(t *testing.T) {
	_, p, peer := idleFD(t)
	require.False(t, p.lingers.Load())
	require.NoError(t, p.SetsockoptLinger(&unix.Linger{Onoff: 1, Linger: 5}))
	require.True(t, p.lingers.Load())
	require.NoError(t, p.SetsockoptLinger(&unix.Linger{Onoff: 1}))
	require.False(t, p.lingers.Load(), "a zero linger resets at once")
	require.NoError(t, p.SetsockoptLinger(&unix.Linger{Onoff: 1, Linger: 5}))
	require.NoError(t, p.Close())
	_, err := unix.Write(peer, []byte("x"))
	require.Error(t, err, "the FD's socket is still open")
}

// A stress test of Close against reads in progress, with descriptor
// numbers reused at once (churnSockets takes every number given back and
// fills its sockets with 255s): every byte a reader gets must be its own
// peer's, and every reader must return. It finds a race only when the
// timing opens it (a mutated Close that closed the descriptor before
// waiting for the readers passed 1500 rounds of it); run it under -race.
func TestFDCloseRacesNeverReadAnotherSocket(t *testing.T) {
	l, err := NewLoop()
	require.NoError(t, err)
	l.WaitInNetpoller()
	defer runInBackground(t, l, 20*time.Second)()
	const n = 300
	wrong := make(chan string, n)
	finished := make(chan struct{}, n)
	stop := make(chan struct{})
	churned := make(chan struct{})
	go churnSockets(stop, churned)
	defer func() {
		close(stop)
		<-churned
	}()
	for i := 0; i < n; i++ {
		fds := socketpair(t)
		p := <-fdOnLoop(l, fds[0])
		id := byte(i % 250)
		reading := make(chan struct{})
		go raceReader(p, id, reading, wrong, finished)
		go raceWriter(fds[1], id)
		go raceCloser(p, reading)
	}
	for i := 0; i < n; i++ {
		select {
		case <-finished:
		case <-time.After(20 * time.Second):
			t.Fatalf("%d of %d readers never returned", n-i, n)
		}
	}
	close(wrong)
	for w := range wrong {
		t.Error(w)
	}
}

func raceReader(p *FD, id byte, reading chan<- struct{}, wrong chan<- string, finished chan<- struct{}) {
	defer func() { finished <- struct{}{} }()
	b := make([]byte, 3)
	for first := true; ; first = false {
		n, err := p.Read(b)
		if first {
			close(reading)
		}
		for _, c := range b[:n] {
			if c != id {
				wrong <- "a reader got another socket's byte"
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func raceWriter(fd int, id byte) {
	defer unix.Close(fd)
	for i := 0; i < 200; i++ {
		unix.Write(fd, []byte{id, id, id})
		runtime.Gosched()
	}
}

// churnSockets opens socketpairs with bytes waiting in them (255, no
// reader's id) and closes them again, until stop: they take the numbers
// the FDs give back.
func churnSockets(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-stop:
			return
		default:
		}
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			continue
		}
		unix.Write(fds[1], []byte{255, 255, 255})
		unix.Write(fds[0], []byte{255, 255, 255})
		runtime.Gosched()
		unix.Close(fds[0])
		unix.Close(fds[1])
	}
}

// raceCloser closes p once its reader is reading, in the middle of the
// stream.
func raceCloser(p *FD, reading <-chan struct{}) {
	<-reading
	p.Close()
}

// A descriptor epoll cannot watch (a regular file) is refused with
// epoll_ctl's error, and the loop keeps nothing of it.
func TestFDRefusesWhatEpollCannotWatch(t *testing.T) {
	l, err := NewLoop()
	require.NoError(t, err)
	f, err := os.CreateTemp(t.TempDir(), "plain")
	require.NoError(t, err)
	defer f.Close()
	_, err = l.NewFD(int(f.Fd()))
	require.ErrorIs(t, err, unix.EPERM)
	require.Empty(t, l.watchers)
	require.NoError(t, l.Close())
}

// Deadlines are kept on the monotonic clock, as net's: one long past (a
// time before 1970) has passed, one far off (past 2262, beyond int64
// nanoseconds) has not, and zero is none.
func TestFDDeadlineExtremes(t *testing.T) {
	_, p, _ := idleFD(t)
	defer p.Close()
	require.NoError(t, p.SetReadDeadline(time.Unix(-1<<40, 0)))
	require.ErrorIs(t, p.check(&p.rdl), os.ErrDeadlineExceeded)
	require.NoError(t, p.SetReadDeadline(time.Unix(1<<40, 0)))
	require.NoError(t, p.check(&p.rdl))
	require.NoError(t, p.SetReadDeadline(time.Now().Add(-time.Nanosecond)))
	require.ErrorIs(t, p.check(&p.rdl), os.ErrDeadlineExceeded)
	require.NoError(t, p.SetReadDeadline(time.Time{}))
	require.NoError(t, p.check(&p.rdl))
}
