package main

import "math"

// sliceOrder is the order in which slice s of a workload measures the
// round's n servers, as indexes into the round's order (roundOrder): that
// order rotated by s. Every server takes every place in turn, and each A/A
// copy stays next to its original (but for the wrap-around).
func sliceOrder(n, s int) []int {
	out := make([]int, n)
	for j := range out {
		out[j] = (j + s) % n
	}
	return out
}

// medianOfSlices is a round's sample from the slices it was measured in:
// the median of each figure (a slice the host slowed moves a median less
// than a mean), wrk's errors summed, the mean steal, and every slice's
// requests/s kept for the record. One slice is returned as it is.
func medianOfSlices(ss []sample) sample {
	if len(ss) == 1 {
		return ss[0]
	}
	m := sample{
		rps:        median(field(ss, rpsOf)),
		p50:        median(field(ss, p50Of)),
		p99:        median(field(ss, p99Of)),
		cpuPrimary: median(field(ss, cpuPrimaryOf)),
		cpuWorkers: median(field(ss, cpuWorkersOf)),
		steal:      math.NaN(),
		slices:     field(ss, rpsOf),
	}
	var steal float64
	var known int
	for _, s := range ss {
		m.errors += s.errors
		if !math.IsNaN(s.steal) {
			steal += s.steal
			known++
		}
	}
	if known > 0 {
		m.steal = steal / float64(known)
	}
	return m
}

// pairedRate is how many times x's requests/s are y's, from the slices of
// the rounds they shared: the Hodges–Lehmann estimate of the shift between
// the two, in logarithms (the median, over every pair of one slice of x
// and one of y taken in the same round, of the log of their ratio), turned
// back into a ratio. A round measured in one run (no slices) counts as one
// slice of its median. Pairs are only ever made within a round, whose
// slices were taken in turns over the same minute, so the host's slower
// drifts cancel as in a per-round ratio; and it uses every slice, where a
// median of per-round ratios of medians keeps one number of each five.
// Over the seven sliced runs of 2026-11-26 it put the 42 A/A controls
// (where the truth is 1) 2.7% from 1 on average, against 3.3% for the
// median of per-round ratios (docs/PERFORMANCE.md, eighth session). NaN
// when no round has a positive rate for both.
func pairedRate(x, y []sample) float64 {
	var logs []float64
	for i := 0; i < len(x) && i < len(y); i++ {
		for _, p := range ratesOf(x[i]) {
			for _, q := range ratesOf(y[i]) {
				if p > 0 && q > 0 {
					logs = append(logs, math.Log(p)-math.Log(q))
				}
			}
		}
	}
	if len(logs) == 0 {
		return math.NaN()
	}
	return math.Exp(median(logs))
}

// ratesOf is a round's requests/s per slice, or its one run's.
func ratesOf(s sample) []float64 {
	if len(s.slices) > 0 {
		return s.slices
	}
	return []float64{s.rps}
}
