package uv

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// busyUntil spins until the loop's millisecond clock reads ms.
func busyUntil(l *Loop, ms int64) {
	for l.msNow() < ms {
	}
}

// TestTimerStopKeepsAnUnrefdTimersList: clearing a timer takes its
// duration's list out when the list is left empty, but only for a ref'd
// timer (Node's unenroll; an unref'd one's list, an idle socket's, is
// likely to be used again). Which of two timers due in the same
// millisecond runs first shows it: a list kept keeps its old id and goes
// behind the newer one when it is rescheduled (node printed W Y unref'd,
// Y W ref'd).
func TestTimerStopKeepsAnUnrefdTimersList(t *testing.T) {
	for _, tc := range []struct {
		unref bool
		want  []string
	}{{true, []string{"W", "Y"}}, {false, []string{"Y", "W"}}} {
		l, err := NewLoop()
		require.NoError(t, err)
		var out []string
		t0 := l.msNow()
		a := l.SetTimeout(100*time.Millisecond, func() { out = append(out, "A") })
		if tc.unref {
			a.Unref()
		}
		a.Stop()
		busyUntil(l, t0+30)
		y := l.SetTimeout(100*time.Millisecond, func() { out = append(out, "Y") })
		busyUntil(l, t0+50)
		w := l.SetTimeout(time.Duration(y.start+100-l.msNow())*time.Millisecond, func() { out = append(out, "W") })
		require.Equal(t, y.start+100, w.start+w.msecs, "the two are due in the same millisecond")
		runWithin(t, l, 10*time.Second)
		require.Equal(t, tc.want, out, "unref'd: %v", tc.unref)
	}
}

// TestTimerStoppedInItsOwnCallbackTakesItsList: a timer that clears itself
// in its own callback takes its (empty) list out, so the next timer of
// that duration makes a new list (node printed X Q with the clear, Q X
// without).
func TestTimerStoppedInItsOwnCallbackTakesItsList(t *testing.T) {
	for _, tc := range []struct {
		clear bool
		want  []string
	}{{true, []string{"X", "Q"}}, {false, []string{"Q", "X"}}} {
		l, err := NewLoop()
		require.NoError(t, err)
		var out []string
		tie := false
		var tm *Timer
		tm = l.SetTimeout(10*time.Millisecond, func() {
			if tc.clear {
				tm.Stop()
			}
			x := l.SetTimeout(10*time.Millisecond, func() { out = append(out, "X") })
			busyUntil(l, l.msNow()+1)
			q := l.SetTimeout(time.Duration(x.start+10-l.msNow())*time.Millisecond, func() { out = append(out, "Q") })
			tie = x.start+10 == q.start+q.msecs
		})
		runWithin(t, l, 10*time.Second)
		require.True(t, tie, "the two are due in the same millisecond")
		require.Equal(t, tc.want, out, "cleared: %v", tc.clear)
	}
}

// runRecovering runs the loop (no OnPanic) and returns what panicked out
// of it.
func runRecovering(t *testing.T, l *Loop) (v any) {
	t.Helper()
	defer func() { v = recover() }()
	runWithin(t, l, 10*time.Second)
	return nil
}

// TestLoopStateAfterAPanicNobodyTook: with no OnPanic, a callback's panic
// leaves Run (tests run a primary so, with RunMain); the loop is left as
// it would be had the callback returned, and a later Run goes on with
// what is left: a timeout that panicked keeps nothing alive, an interval
// is put back, the immediates and ticks behind the one that panicked stay
// queued.
func TestLoopStateAfterAPanicNobodyTook(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		l, err := NewLoop()
		require.NoError(t, err)
		l.SetTimeout(time.Millisecond, func() { panic("boom") })
		require.Equal(t, "boom", runRecovering(t, l))
		require.False(t, l.alive(), "refs %d", l.refs)
	})
	t.Run("interval", func(t *testing.T) {
		l, err := NewLoop()
		require.NoError(t, err)
		n := 0
		var iv *Timer
		iv = l.SetInterval(time.Millisecond, func() {
			n++
			if n == 1 {
				panic("boom")
			}
			if n == 3 {
				iv.Stop()
			}
		})
		require.Equal(t, "boom", runRecovering(t, l))
		runWithin(t, l, 10*time.Second)
		require.Equal(t, 3, n)
	})
	t.Run("immediates", func(t *testing.T) {
		l, err := NewLoop()
		require.NoError(t, err)
		var ran []string
		l.SetImmediate(func() { ran = append(ran, "a"); panic("boom") })
		l.SetImmediate(func() { ran = append(ran, "b") })
		require.Equal(t, "boom", runRecovering(t, l))
		runWithin(t, l, 10*time.Second)
		require.Equal(t, []string{"a", "b"}, ran)
		require.False(t, l.alive())
	})
	t.Run("ticks", func(t *testing.T) {
		l, err := NewLoop()
		require.NoError(t, err)
		var ran []string
		l.SetTimeout(time.Millisecond, func() {
			l.NextTick(func() { ran = append(ran, "t1"); panic("boom") })
			l.NextTick(func() { ran = append(ran, "t2") })
		})
		require.Equal(t, "boom", runRecovering(t, l))
		l.SetTimeout(time.Millisecond, func() { ran = append(ran, "later") })
		runWithin(t, l, 10*time.Second)
		// t2 stayed queued (and was not run twice, nor a nil called);
		// the check phase drained it before the timer came due.
		require.Equal(t, []string{"t1", "t2", "later"}, ran)
	})
}

// TestTicksLeftByAFailedScopeKeepNothingAlive: ticks a panicking callback
// left (its scope failed) wait for the next callback that completes, or
// for the check phase, which drains them; they do not keep the loop going
// (as in Node, where the nextTick queue keeps no loop alive). With an
// OnPanic that queues nothing, the loop once spun on them for good.
func TestTicksLeftByAFailedScopeKeepNothingAlive(t *testing.T) {
	l, err := NewLoop()
	require.NoError(t, err)
	l.OnPanic = func(any) {}
	var ran []string
	l.Post(func() {
		l.NextTick(func() { ran = append(ran, "tick") })
		panic("x")
	})
	l.Post(func() { ran = append(ran, "next posted") })
	runWithin(t, l, 10*time.Second)
	require.Equal(t, []string{"next posted", "tick"}, ran, "the next callback that completes runs it")
	require.False(t, l.alive())
}

// TestClearNilImmediate: clearImmediate(undefined) does nothing.
func TestClearNilImmediate(t *testing.T) {
	var im *Immediate
	require.NotPanics(t, im.Clear)
}

// TestTimersAreArmedAMillisecondAheadAtLeast: after a pass, Node arms its
// one libuv timer for the next list's expiry counted from the loop's time,
// and at least a millisecond ahead; a list already due by then (its timer
// set before a callback that ran long) waits for the clock to tick while
// check phases go on. The port ran it at the next timers phase, after one.
func TestTimersAreArmedAMillisecondAheadAtLeast(t *testing.T) {
	l, err := NewLoop()
	require.NoError(t, err)
	var at, fire, ranAt int64
	l.SetTimeout(time.Millisecond, func() {
		l.SetTimeout(time.Millisecond, func() { ranAt = l.ms(l.now) })
		busyUntil(l, l.msNow()+3) // B is overdue by the end of the pass
		at = l.ms(l.now)
		l.SetImmediate(func() { fire = l.timerFire })
	})
	runWithin(t, l, 10*time.Second)
	require.Equal(t, at+1, fire, "armed a millisecond past the loop's time")
	require.GreaterOrEqual(t, ranAt, at+1, "the overdue timer waited for the clock")
}
