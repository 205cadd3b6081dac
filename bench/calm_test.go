package main

import (
	"math"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// waitForCalm stops at the first probe that sees at most -max-steal, and
// never waits past its limit when every probe sees more.
func TestWaitForCalm(t *testing.T) {
	seen := []float64{30, 12, 4, 50}
	probes := 0
	probe := func() float64 {
		time.Sleep(5 * time.Millisecond)
		probes++
		return seen[probes-1]
	}
	_, steal := waitForCalmEvery(5, time.Minute, 5*time.Millisecond, probe)
	require.Equal(t, 3, probes, "it should stop at the first probe at or under 5%")
	require.Equal(t, 4.0, steal)

	probes = 0
	busy := func() float64 { time.Sleep(10 * time.Millisecond); probes++; return 40 }
	waited, steal := waitForCalmEvery(5, 100*time.Millisecond, 10*time.Millisecond, busy)
	require.Equal(t, 40.0, steal)
	require.LessOrEqual(t, waited, 100*time.Millisecond+20*time.Millisecond, "it waited past its limit")
	require.GreaterOrEqual(t, probes, 3, "it gave up before its limit")

	probes = 0
	_, steal = waitForCalmEvery(5, 5*time.Millisecond, 10*time.Millisecond, busy)
	require.Zero(t, probes, "a limit shorter than one probe must not probe")
	require.True(t, math.IsNaN(steal))

	probes = 0
	unknown := func() float64 { probes++; return math.NaN() }
	waitForCalmEvery(5, time.Minute, 10*time.Millisecond, unknown)
	require.Equal(t, 1, probes, "an unknown steal (no /proc/stat) is nothing to wait for")
}

// Of a run's attempts the one with the least steal is kept; an attempt
// whose steal is unknown never replaces one whose steal is known.
func TestLessStolen(t *testing.T) {
	nan := math.NaN()
	require.True(t, lessStolen(sample{steal: 3}, sample{steal: 40}))
	require.False(t, lessStolen(sample{steal: 40}, sample{steal: 3}))
	require.False(t, lessStolen(sample{steal: 3}, sample{steal: 3}))
	require.False(t, lessStolen(sample{steal: nan}, sample{steal: 40}))
	require.True(t, lessStolen(sample{steal: 40}, sample{steal: nan}))
}

// The busy probe keeps the CPUs busy for a whole calmProbe and reads a
// steal share between 0 and 100% (or NaN without /proc/stat).
func TestBusyStealProbe(t *testing.T) {
	start, cpu0 := time.Now(), selfCPU(t)
	steal := busyStealProbe()
	require.GreaterOrEqual(t, time.Since(start), calmProbe)
	// Some of it may be stolen, and other processes (a test run beside it)
	// take their share of the two CPUs; a probe that slept would use none.
	require.GreaterOrEqual(t, selfCPU(t)-cpu0, calmProbe/4, "the probe did not keep the CPUs busy")
	if !math.IsNaN(steal) {
		require.GreaterOrEqual(t, steal, 0.0)
		require.LessOrEqual(t, steal, 100.0)
	}
}

// selfCPU is the CPU time this process has used.
func selfCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
