package main

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every round runs each contestant once, rotated, with each A/A copy next
// to its original: after it in even rounds, before it in odd ones.
func TestRoundOrder(t *testing.T) {
	all := []contestant{{key: "node-rr"}, {key: "port-rr"}, {key: "ceiling"}, {key: "node-rr-aa", aa: true}, {key: "port-rr-aa", aa: true}}
	want := [][]string{
		{"node-rr", "node-rr-aa", "port-rr", "port-rr-aa", "ceiling"},
		{"port-rr-aa", "port-rr", "ceiling", "node-rr-aa", "node-rr"},
		{"ceiling", "node-rr", "node-rr-aa", "port-rr", "port-rr-aa"},
		{"node-rr-aa", "node-rr", "port-rr-aa", "port-rr", "ceiling"},
	}
	for round, w := range want {
		var got []string
		for _, ct := range roundOrder(all, round) {
			got = append(got, ct.key)
		}
		if d := cmp.Diff(w, got); d != "" {
			t.Errorf("round %d (-want +got):\n%s", round, d)
		}
	}
}

// A run is measured again while the hypervisor stole more than -max-steal
// of the CPU time during it, at most remeasureTries times more.
func TestMeasureAgain(t *testing.T) {
	cases := []struct {
		steal, max float64
		attempt    int
		want       bool
	}{
		{steal: 12, max: 5, attempt: 0, want: true},
		{steal: 12, max: 5, attempt: remeasureTries - 1, want: true},
		{steal: 12, max: 5, attempt: remeasureTries, want: false},
		{steal: 5, max: 5, attempt: 0, want: false},
		{steal: 0, max: 5, attempt: 0, want: false},
		{steal: 40, max: 0, attempt: 0, want: false},
		{steal: math.NaN(), max: 5, attempt: 0, want: false},
	}
	for _, c := range cases {
		if got := measureAgain(c.steal, c.max, c.attempt); got != c.want {
			t.Errorf("measureAgain(steal %v, max %v, attempt %d) = %v, want %v", c.steal, c.max, c.attempt, got, c.want)
		}
	}
}
