package main

import (
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
