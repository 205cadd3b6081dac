package main

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"
)

// Each slice rotates the round's order by one more place: over n slices
// every server is measured in every place once, and servers next to each
// other in the round's order (an A/A copy and its original) stay next to
// each other.
func TestSliceOrder(t *testing.T) {
	want := [][]int{{0, 1, 2, 3}, {1, 2, 3, 0}, {2, 3, 0, 1}, {3, 0, 1, 2}, {0, 1, 2, 3}}
	for s, w := range want {
		if d := cmp.Diff(w, sliceOrder(4, s)); d != "" {
			t.Errorf("slice %d (-want +got):\n%s", s, d)
		}
	}
}

// A round's figures are the medians of its slices, so that one slice the
// host slowed does not move them; errors are never hidden in a median.
func TestMedianOfSlices(t *testing.T) {
	nan := math.NaN()
	ss := []sample{
		{rps: 12000, p50: 1.0, p99: 4, cpuPrimary: 30, cpuWorkers: 60, errors: 0, steal: 1},
		{rps: 4000, p50: 3.0, p99: 40, cpuPrimary: 90, cpuWorkers: 150, errors: 2, steal: 30},
		{rps: 11000, p50: 1.2, p99: 5, cpuPrimary: 32, cpuWorkers: 62, errors: 0, steal: nan},
		{rps: 13000, p50: 0.9, p99: 3, cpuPrimary: 29, cpuWorkers: 58, errors: 1, steal: 2},
		{rps: 12500, p50: 1.1, p99: 6, cpuPrimary: 31, cpuWorkers: 61, errors: 0, steal: 0},
	}
	got := medianOfSlices(ss)
	want := sample{rps: 12000, p50: 1.1, p99: 5, cpuPrimary: 31, cpuWorkers: 61, errors: 3, steal: 33.0 / 4,
		slices: []float64{12000, 4000, 11000, 13000, 12500}}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(sample{}), cmpopts.EquateApprox(0, 1e-9)); d != "" {
		t.Errorf("medianOfSlices (-want +got):\n%s", d)
	}

	// The ceiling has no primary: its NaN stays NaN.
	ceiling := medianOfSlices([]sample{{rps: 1, cpuPrimary: nan, steal: nan}, {rps: 3, cpuPrimary: nan, steal: nan}})
	require.True(t, math.IsNaN(ceiling.cpuPrimary), "cpuPrimary of a server without a primary: %v", ceiling.cpuPrimary)
	require.True(t, math.IsNaN(ceiling.steal), "steal when no slice knew it: %v", ceiling.steal)
	require.Equal(t, 2.0, ceiling.rps)

	// One slice is the sample as it was measured.
	one := sample{rps: 7, steal: 3}
	if d := cmp.Diff(one, medianOfSlices([]sample{one}), cmp.AllowUnexported(sample{})); d != "" {
		t.Errorf("one slice (-want +got):\n%s", d)
	}
}

// How a run was cut into slices, and each slice's rate, survive -json and
// -replay; a file written before slices has one run of -d.
func TestSlicesSavedAndReplayed(t *testing.T) {
	c := &config{rounds: 1, duration: 5 * time.Second, slice: time.Second, warmup: 3 * time.Second, workers: 2}
	require.Equal(t, 5, c.slices())
	r := &results{cfg: c, http: map[string]map[string][]sample{"ceiling": {"newconn": {
		{rps: 100, cpuPrimary: math.NaN(), cpuWorkers: 50, steal: 1, slices: []float64{90, 100, 110, 100, 120}},
	}}}}
	path := filepath.Join(t.TempDir(), "r.json")
	require.NoError(t, saveResults(path, r))
	back, err := loadResults(path)
	require.NoError(t, err)
	require.Equal(t, time.Second, back.cfg.slice)
	require.Equal(t, 5, back.cfg.slices())
	if d := cmp.Diff([]float64{90, 100, 110, 100, 120}, back.http["ceiling"]["newconn"][0].slices); d != "" {
		t.Errorf("slice rates after replay (-want +got):\n%s", d)
	}

	old := &config{duration: 5 * time.Second} // no -slice: before slices existed
	require.Equal(t, 1, old.slices())
}

// The paired rate is the shift between two contestants' slices: a
// constant factor comes out exactly whatever each round's level, in either
// direction, one slow slice barely moves it, and rounds measured in one
// run are still compared.
func TestPairedRate(t *testing.T) {
	round := func(rates ...float64) sample { return sample{rps: median(rates), slices: rates} }
	scaled := func(s sample, k float64) sample {
		out := sample{rps: s.rps * k}
		for _, v := range s.slices {
			out.slices = append(out.slices, v*k)
		}
		return out
	}
	y := []sample{round(100, 120, 90, 110, 105), round(50, 60, 55, 45, 52), round(200, 180, 210, 190, 205)}
	var x []sample
	for _, s := range y {
		x = append(x, scaled(s, 1.1))
	}
	require.InDelta(t, 1.1, pairedRate(x, y), 1e-9, "x is y × 1.1 in every slice")
	require.InDelta(t, 1/1.1, pairedRate(y, x), 1e-9)
	require.InDelta(t, 1.0, pairedRate(y, y), 1e-9, "a contestant against itself")

	// One slice of x slowed to a tenth moves the estimate by less than 2%.
	slow := append([]sample(nil), x...)
	slow[0] = round(append([]float64{x[0].slices[0] / 10}, x[0].slices[1:]...)...)
	require.InDelta(t, 1.1, pairedRate(slow, y), 1.1*0.02)

	// Rounds measured in one run each (no slices): their ratios' median.
	one := func(v float64) sample { return sample{rps: v} }
	require.InDelta(t, 1.5, pairedRate([]sample{one(150), one(300), one(90)}, []sample{one(100), one(200), one(100)}), 1e-9)

	// Nothing to compare: NaN, which the report prints as "–".
	require.True(t, math.IsNaN(pairedRate(nil, y)))
	require.True(t, math.IsNaN(pairedRate([]sample{one(0)}, []sample{one(100)})))
}
