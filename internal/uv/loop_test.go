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
func runWithin(t *testing.T, l *Loop, d time.Duration) time.Duration {
	t.Helper()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
		case <-time.After(d):
			panic("uv test: the loop did not return within " + d.String())
		}
	}()
	start := time.Now()
	l.Run()
	return time.Since(start)
}

func TestLoopTimerWhileWaiting(t *testing.T) {
	waitModes(t, func(t *testing.T, l *Loop) {
		fired := 0
		l.SetTimeout(30*time.Millisecond, func() { fired++ })
		elapsed := runWithin(t, l, 5*time.Second)
		require.Equal(t, 1, fired)
		require.GreaterOrEqual(t, elapsed, 30*time.Millisecond, "the timer fired early")
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
		go func() {
			time.Sleep(20 * time.Millisecond) // let the loop go to sleep
			l.Post(func() {
				ran = true
				l.Unref()
				timer.Stop()
			})
		}()
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
		go func() {
			// Two writes apart: the second arrives while the loop waits
			// again after handling the first (a level-triggered descriptor
			// inside an epoll set the runtime watches edge-triggered).
			time.Sleep(20 * time.Millisecond)
			unix.Write(fds[1], []byte("abc"))
			time.Sleep(20 * time.Millisecond)
			unix.Write(fds[1], []byte("def"))
		}()
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
		go func() {
			time.Sleep(20 * time.Millisecond)
			for _, fd := range peers {
				unix.Write(fd, []byte("x"))
			}
		}()
		runWithin(t, l, 10*time.Second)
		require.Equal(t, 0, open)
	})
}
