package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// cpuDMALatency is the kernel's PM QoS interface for the CPU wake-up
// latency the machine may cost (the kernel's
// Documentation/admin-guide/pm/cpuidle.rst). A process that writes a
// target in microseconds to it holds that request for as long as it keeps
// the file open; closing it, or exiting, drops the request.
const cpuDMALatency = "/dev/cpu_dma_latency"

// holdPollIdle asks for a wake-up latency of 0 µs (the bench's -poll-idle).
// The cpuidle governor then leaves idle CPUs in their polling state instead
// of halting them. On a virtual machine a halted vCPU goes back to the
// hypervisor, and waking it (every time a server, a worker or wrk on the
// other CPU is woken by a socket) takes a trip through the host's
// scheduler, which the guest sees as stolen time. On this project's
// machines that trip moved a run's figures by tens of percent from one
// run to the next (docs/PERFORMANCE.md, "Idle CPUs"). Every contestant
// runs under the same request, and nothing outlives the bench: the
// request stays in force until the returned file is closed.
func holdPollIdle() (*os.File, error) {
	f, err := os.OpenFile(cpuDMALatency, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	var target [4]byte // an s32 in the machine's byte order: 0 µs
	binary.NativeEndian.PutUint32(target[:], 0)
	if _, err := f.Write(target[:]); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// cpuLatencyTarget reads the wake-up latency target in force now, in µs
// (the smallest of all requests held; 2000000000 when there is none).
func cpuLatencyTarget() (int32, error) {
	b, err := os.ReadFile(cpuDMALatency)
	if err != nil {
		return 0, err
	}
	if len(b) < 4 {
		return 0, fmt.Errorf("%s: read %d bytes, want 4", cpuDMALatency, len(b))
	}
	return int32(binary.NativeEndian.Uint32(b)), nil
}

// idleStates describes CPU 0's cpuidle driver and states, as in
// "haltpoll: POLL, haltpoll idle" ("" when the machine has no cpuidle).
func idleStates() string {
	const dir = "/sys/devices/system/cpu/cpuidle"
	drv, err := os.ReadFile(filepath.Join(dir, "current_driver"))
	if err != nil {
		return ""
	}
	states, _ := filepath.Glob("/sys/devices/system/cpu/cpu0/cpuidle/state*/name")
	var names []string
	for _, s := range states {
		if b, err := os.ReadFile(s); err == nil {
			names = append(names, strings.TrimSpace(string(b)))
		}
	}
	return strings.TrimSpace(string(drv)) + ": " + strings.Join(names, ", ")
}
