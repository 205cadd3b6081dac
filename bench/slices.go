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
