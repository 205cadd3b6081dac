package main

// Waiting for the host to give the machine its CPUs back before a run is
// measured again. It has no JS counterpart.

import (
	"context"
	"math"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

// calmProbe is how long one probe of waitForCalm keeps the CPUs busy.
const calmProbe = time.Second

// waitForCalm is what the bench does before it measures a run again
// because too much of its CPU time was stolen: it probes, one calmProbe
// at a time, until a probe sees at most maxSteal% of the CPU time stolen
// or until limit has passed. It returns how long it waited and the last
// probe's steal (NaN when none ran or /proc/stat could not be read).
//
// Measuring again at once, as the bench did before, could meet the same
// busy minute of the host: in run V of docs/PERFORMANCE.md the re-measured
// runs still had up to 44% steal. The wait catches the busy minutes; it
// cannot promise a calm run, since a workload that wakes a process on the
// other CPU for every connection meets steal that a spinning probe does
// not (docs/PERFORMANCE.md, "How slow a wake-up across CPUs gets").
func waitForCalm(maxSteal float64, limit time.Duration, probe func() float64) (time.Duration, float64) {
	return waitForCalmEvery(maxSteal, limit, calmProbe, probe)
}

// waitForCalmEvery is waitForCalm with probes that take probeLen each.
func waitForCalmEvery(maxSteal float64, limit, probeLen time.Duration, probe func() float64) (time.Duration, float64) {
	start := time.Now()
	steal := math.NaN()
	for time.Since(start)+probeLen <= limit {
		steal = probe()
		if !(steal > maxSteal) { // NaN too: nothing to wait for
			break
		}
	}
	return time.Since(start), steal
}

// busyStealProbe keeps every CPU busy for calmProbe and returns the share
// of the CPU time stolen meanwhile. A CPU that halts is not waiting for
// the host, so an idle machine shows little steal however busy the host
// is: the probe has to want the CPUs, as a measured run does.
func busyStealProbe() float64 {
	n := runtime.NumCPU()
	deadline := time.Now().Add(calmProbe)
	st0 := readCPUStat()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go calmSpinner(deadline, &wg)
	}
	wg.Wait()
	return stealPercent(st0, readCPUStat())
}

// calmSpinner is one of busyStealProbe's goroutines: it keeps a CPU busy
// until deadline.
func calmSpinner(deadline time.Time, wg *sync.WaitGroup) {
	defer wg.Done()
	pprof.Do(context.Background(), pprof.Labels("bench", "calm-probe"), func(context.Context) {
		for time.Now().Before(deadline) {
		}
	})
}

// lessStolen reports whether sample a was measured with less of the CPU
// time stolen than b; a run whose steal is unknown is never preferred.
func lessStolen(a, b sample) bool {
	if math.IsNaN(a.steal) {
		return false
	}
	return math.IsNaN(b.steal) || a.steal < b.steal
}
