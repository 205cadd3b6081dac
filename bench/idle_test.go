package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// While the bench holds its request the kernel's target is 0 µs and idle
// CPUs poll; once it lets go the target is what it was before.
func TestHoldPollIdle(t *testing.T) {
	before, err := cpuLatencyTarget()
	if err != nil {
		t.Skipf("cannot read %s (%v): this machine has no PM QoS interface to test", cpuDMALatency, err)
	}
	polls0, hasPoll := pollStateUsage()
	f, err := holdPollIdle()
	if errors.Is(err, os.ErrPermission) {
		t.Skipf("%s is not writable here (%v): the bench notes that and runs with the machine's idle states", cpuDMALatency, err)
	}
	require.NoError(t, err)
	held, err := cpuLatencyTarget()
	require.NoError(t, err)
	require.Equal(t, int32(0), held, "the wake-up latency target while the bench holds its request")
	if hasPoll {
		// This goroutine sleeps, so at least one CPU goes idle, in POLL now.
		deadline := time.Now().Add(5 * time.Second)
		for {
			time.Sleep(50 * time.Millisecond)
			if n, _ := pollStateUsage(); n > polls0 {
				break
			}
			require.False(t, time.Now().After(deadline), "no CPU entered the POLL idle state in 5 s while the request was held (usage stays %d)", polls0)
		}
	}
	require.NoError(t, f.Close())
	after, err := cpuLatencyTarget()
	require.NoError(t, err)
	require.Equal(t, before, after, "the target once the request is dropped")
}

// pollStateUsage sums the usage counters of the POLL idle state of every
// CPU; false when the machine has no such state.
func pollStateUsage() (uint64, bool) {
	names, _ := filepath.Glob("/sys/devices/system/cpu/cpu*/cpuidle/state*/name")
	var sum uint64
	found := false
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil || strings.TrimSpace(string(b)) != "POLL" {
			continue
		}
		u, err := os.ReadFile(filepath.Join(filepath.Dir(n), "usage"))
		if err != nil {
			continue
		}
		v, err := strconv.ParseUint(strings.TrimSpace(string(u)), 10, 64)
		if err != nil {
			continue
		}
		sum += v
		found = true
	}
	return sum, found
}
