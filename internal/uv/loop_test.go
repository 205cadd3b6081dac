package uv

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// waitModes runs a test with the loop blocking in epoll_wait (libuv's way,
// the default) and with it parked in Go's netpoller (WaitInNetpoller).
func waitModes(t *testing.T, fn func(t *testing.T, l *Loop)) {
	for _, mode := range []string{"epoll_wait", "netpoller"} {
		t.Run(mode, func(t *testing.T) {
			l, err := NewLoop()
			require.NoError(t, err)
			if mode == "netpoller" {
				l.WaitInNetpoller()
			}
			fn(t, l)
			if mode == "netpoller" {
				require.NotNil(t, l.parkRaw, "the loop never parked in the netpoller")
				require.False(t, l.parkOff, "the runtime refused to poll the loop's epoll descriptor")
			}
		})
	}
}

// runWithin runs the loop on this goroutine and fails if it has not
// returned within d (checked by a watchdog that stops the test).
func runWithin(t testing.TB, l *Loop, d time.Duration) time.Duration {
	t.Helper()
	done := make(chan struct{})
	defer close(done)
	go watchdog(done, d)
	start := time.Now()
	l.Run()
	return time.Since(start)
}

// watchdog stops the test binary when done is not closed within d: a
// loop that never returns would otherwise hang until go test's timeout.
func watchdog(done <-chan struct{}, d time.Duration) {
	select {
	case <-done:
	case <-time.After(d):
		panic("uv test: the loop did not return within " + d.String())
	}
}

func TestLoopTimerWhileWaiting(t *testing.T) {
	waitModes(t, func(t *testing.T, l *Loop) {
		fired := 0
		var firedAt int64
		l.SetTimeout(30*time.Millisecond, func() { fired++; firedAt = l.ms(l.now) })
		// Times are counted on the loop's millisecond clock, from the
		// whole millisecond the timer was set in (a wall clock read after
		// it may be up to 1 ms ahead).
		setAt := l.ms(l.now)
		runWithin(t, l, 5*time.Second)
		require.Equal(t, 1, fired)
		require.GreaterOrEqual(t, firedAt-setAt, int64(30), "the timer fired early")
	})
}

func TestLoopPostWakesWaitingLoop(t *testing.T) {
	waitModes(t, func(t *testing.T, l *Loop) {
		// A long timer keeps the loop waiting; a post from another
		// goroutine must wake it long before the timer is due.
		var timer *Timer
		timer = l.SetTimeout(time.Hour, func() { t.Error("the hour timer fired") })
		l.Ref()
		ran := false
		go postLater(l, 20*time.Millisecond, func() { // after the loop went to sleep
			ran = true
			l.Unref()
			timer.Stop()
		})
		elapsed := runWithin(t, l, 5*time.Second)
		require.True(t, ran)
		require.Less(t, elapsed, 2*time.Second)
	})
}

func TestLoopIOWakesWaitingLoop(t *testing.T) {
	waitModes(t, func(t *testing.T, l *Loop) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		require.NoError(t, err)
		defer unix.Close(fds[1])
		s, err := NewStream(l, KindPipe, fds[0], false)
		require.NoError(t, err)
		var got []byte
		s.OnRead = func(data []byte, fd int, err error) {
			got = append(got, data...)
			if len(got) >= 6 {
				s.Close(nil)
			}
		}
		require.NoError(t, s.ReadStart())
		// Two writes apart: the second arrives while the loop waits again
		// after handling the first (a level-triggered descriptor inside an
		// epoll set the runtime watches edge-triggered).
		go writeLater(fds[1:], 20*time.Millisecond, "abc", "def")
		runWithin(t, l, 5*time.Second)
		require.Equal(t, "abcdef", string(got))
	})
}

func TestLoopManyEventsInOneTurn(t *testing.T) {
	waitModes(t, func(t *testing.T, l *Loop) {
		// More ready descriptors than one epoll_wait returns (128): the
		// rest must come on the next turns without a new event.
		const n = 300
		open := n
		peers := make([]int, 0, n)
		defer func() {
			for _, fd := range peers {
				unix.Close(fd)
			}
		}()
		for i := 0; i < n; i++ {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			require.NoError(t, err)
			peers = append(peers, fds[1])
			s, err := NewStream(l, KindPipe, fds[0], false)
			require.NoError(t, err)
			s.OnRead = func([]byte, int, error) {
				open--
				s.Close(nil)
			}
			require.NoError(t, s.ReadStart())
		}
		go writeLater(peers, 20*time.Millisecond, "x")
		runWithin(t, l, 10*time.Second)
		require.Equal(t, 0, open)
	})
}

// postLater posts fn to l after d.
func postLater(l *Loop, d time.Duration, fn func()) {
	time.Sleep(d)
	l.Post(fn)
}

// writeLater writes each chunk to every descriptor of fds, d apart.
func writeLater(fds []int, d time.Duration, chunks ...string) {
	for _, c := range chunks {
		time.Sleep(d)
		for _, fd := range fds {
			unix.Write(fd, []byte(c))
		}
	}
}

// The loop lets the scheduler switch its goroutine out every few
// milliseconds (yieldNow), not on every iteration: often enough that the
// runtime never finds it running for 10 ms, rarely enough to cost nothing.
func TestLoopYieldsEveryFewMilliseconds(t *testing.T) {
	waitModes(t, func(t *testing.T, l *Loop) {
		iterations := 0
		var lastAt int64
		var timer *Timer
		timer = l.SetInterval(time.Millisecond, func() {
			iterations++
			if iterations == 60 {
				timer.Stop()
				lastAt = l.ms(l.now)
			}
		})
		setAt := l.ms(l.now) // the loop's millisecond clock, as in TestLoopTimerWhileWaiting
		elapsed := runWithin(t, l, 10*time.Second)
		require.Equal(t, 60, iterations)
		require.GreaterOrEqual(t, lastAt-setAt, int64(60))
		require.GreaterOrEqual(t, l.yields, int(elapsed/(4*yieldEvery)), "the loop ran %v and yielded %d times", elapsed, l.yields)
		require.Less(t, l.yields, iterations/2, "the loop yielded on most iterations")
	})
}

// Close gives back the loop's descriptors once nothing is left on it, and
// refuses (EBUSY) while a descriptor is still watched, as uv_loop_close.
func TestLoopClose(t *testing.T) {
	waitModes(t, func(t *testing.T, l *Loop) {
		l.SetTimeout(time.Millisecond, func() {})
		runWithin(t, l, 10*time.Second) // parks once in netpoller mode
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		require.NoError(t, err)
		defer unix.Close(fds[1])
		w, err := NewStream(l, KindPipe, fds[0], true)
		require.NoError(t, err)
		require.NoError(t, w.ReadStart())
		require.ErrorIs(t, l.Close(), unix.EBUSY)
		w.Close(nil)
		l.Run() // the close callback
		epfd, evfd := l.epfd, l.evfd
		require.NoError(t, l.Close())
		for _, fd := range []int{epfd, evfd} {
			_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
			require.ErrorIs(t, err, unix.EBADF, "descriptor %d is still open", fd)
		}
		require.NoError(t, l.Close(), "a second Close")
	})
}

// Watcher generations stay positive when the counter wraps: -1 marks the
// eventfd's events, and a watcher with it would be taken for the eventfd.
func TestWatcherGenerationSkipsTheEventfdMark(t *testing.T) {
	l, err := NewLoop()
	require.NoError(t, err)
	defer l.Close()
	l.gen = 1<<31 - 2
	var w IO
	for i := 0; i < 4; i++ {
		l.initIO(&w, 5, nil)
		require.Positive(t, w.gen, "watcher %d after the wrap", i)
	}
}

// Refresh starts a pending timer's time again, arms one that has fired
// again, and leaves a stopped one stopped (Timeout.prototype.refresh).
func TestTimerRefresh(t *testing.T) {
	l, err := NewLoop()
	require.NoError(t, err)
	var order []string
	// When a fires, on the loop's millisecond clock, which times are
	// counted on (a refresh starts from the clock's whole millisecond, so
	// a wall clock read in the callback may be up to 1 ms ahead of it).
	var fired []int64
	var a *Timer
	a = l.SetTimeout(100*time.Millisecond, func() {
		fired = append(fired, l.ms(l.now))
		order = append(order, "a")
		if len(fired) == 1 {
			a.Refresh() // fired: armed again, once more
		}
	})
	stopped := l.SetTimeout(50*time.Millisecond, func() { order = append(order, "stopped") })
	stopped.Stop()
	l.SetTimeout(60*time.Millisecond, func() {
		order = append(order, "b")
		a.Refresh() // pending: pushed to 100 ms from now
		stopped.Refresh()
	})
	runWithin(t, l, 10*time.Second)
	require.Equal(t, []string{"b", "a", "a"}, order)
	require.GreaterOrEqual(t, fired[0], int64(160), "a refreshed at 60 ms should fire 100 ms later")
	require.GreaterOrEqual(t, fired[1]-fired[0], int64(100), "a refreshed after firing should fire again 100 ms later")
}
