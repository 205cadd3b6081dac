package nodecluster_test

// Node's globals on the port's loop, each scenario run in a process of
// its own (a re-exec of this test binary, cluster.Run) and compared with
// what node v20.20.2 printed for the same script: timer durations,
// refresh, "beforeExit", and the exit codes of throws in listeners.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/stretchr/testify/require"
)

func init() {
	p := cluster.CurrentProcess
	// setTimeout(A, 1), (B, 0), (C, 1), (D, -50): every duration below
	// 1 ms is 1 ms, so they fire in the order they were set.
	primaryScenarios["ev-short-timeouts"] = func() {
		for _, t := range []struct {
			name string
			d    time.Duration
		}{{"A", time.Millisecond}, {"B", 0}, {"C", time.Millisecond}, {"D", -50 * time.Millisecond}} {
			cluster.SetTimeout(t.d, func() { lcOut("%s", t.name) })
		}
	}
	// A 2^31 ms timeout is 1 ms (with a TimeoutOverflowWarning).
	primaryScenarios["ev-overflow"] = func() {
		cluster.SetTimeout(time.Duration(1<<31)*time.Millisecond, func() { lcOut("huge fired") })
		cluster.SetTimeout(50*time.Millisecond, func() { lcOut("t50") })
	}
	// A 50 ms timer refreshed after 40 ms of work fires 50 ms after the
	// refresh.
	primaryScenarios["ev-refresh"] = func() {
		start := time.Now()
		x := cluster.SetTimeout(50*time.Millisecond, func() {
			if time.Since(start) >= 85*time.Millisecond {
				lcOut("fired after the refreshed 50 ms")
			} else {
				lcOut("fired at %v, before", time.Since(start))
			}
		})
		for time.Since(start) < 40*time.Millisecond {
		}
		x.Refresh()
	}
	// A "beforeExit" listener that queues only a tick: the tick runs,
	// and the process exits (no second "beforeExit").
	primaryScenarios["ev-beforeexit-tick"] = func() {
		n := 0
		p().On("beforeExit", func(code any) {
			n++
			lcOut("beforeExit %d", n)
			if n > 3 {
				p().Exit(9)
			}
			cluster.NextTick(func() { lcOut("tick %d", n) })
		})
		p().On("exit", func(code any) { lcOut("exit %v", code) })
	}
	// Throws in listeners: "beforeExit" (an uncaught exception: exit 1,
	// "exit" listeners run), "exit" (exit 1, the listeners after it not
	// run), the uncaughtException handler (exit 7).
	primaryScenarios["ev-throw"] = func() {
		switch os.Getenv("EV_WHERE") {
		case "beforeExit":
			p().On("beforeExit", func(any) { lcOut("beforeExit"); panic("boom") })
			p().On("exit", func(code any) { lcOut("exit %v", code) })
		case "exit":
			p().On("exit", func(code any) { lcOut("exit1 %v", code); panic("boom") })
			p().On("exit", func(code any) { lcOut("exit2 %v", code) })
		case "handler":
			p().On("uncaughtException", func(any) { lcOut("handler"); panic("again") })
			p().On("exit", func(code any) { lcOut("exit %v", code) })
			cluster.SetTimeout(time.Millisecond, func() { panic("first") })
		}
	}
	// testdata/interop/timers-order.js, case by case (TIMERS_CASE).
	primaryScenarios["ev-timers-order"] = func() {
		busy := func(d time.Duration) {
			for s := time.Now(); time.Since(s) < d; {
			}
		}
		switch os.Getenv("TIMERS_CASE") {
		case "interval-timeout", "interval-refresh":
			n := 0
			var iv *cluster.Timer
			iv = cluster.SetInterval(10*time.Millisecond, func() {
				n++
				lcOut("interval %d", n)
				if n == 1 {
					cluster.SetTimeout(10*time.Millisecond, func() { lcOut("timeout") })
					if os.Getenv("TIMERS_CASE") == "interval-refresh" {
						iv.Refresh()
					}
				}
				if n == 3 {
					iv.Stop()
				}
			})
		case "slow-callback":
			cluster.SetTimeout(10*time.Millisecond, func() {
				lcOut("a")
				busy(15 * time.Millisecond)
				cluster.SetTimeout(10*time.Millisecond, func() { lcOut("d") })
			})
			cluster.SetTimeout(10*time.Millisecond, func() { lcOut("b") })
			cluster.SetTimeout(12*time.Millisecond, func() { lcOut("c") })
		case "refresh-order":
			a := cluster.SetTimeout(20*time.Millisecond, func() { lcOut("a") })
			cluster.SetTimeout(20*time.Millisecond, func() { lcOut("b") })
			cluster.SetTimeout(5*time.Millisecond, func() { lcOut("refresh a"); a.Refresh() })
			cluster.SetTimeout(20*time.Millisecond, func() { lcOut("c") })
		case "throw-timer":
			p().On("uncaughtException", func(e any) { lcOut("caught %v", e) })
			cluster.SetTimeout(time.Millisecond, func() { cluster.NextTick(func() { lcOut("tick") }); panic("x") })
			cluster.SetTimeout(time.Millisecond, func() { lcOut("t2") })
			cluster.SetTimeout(50*time.Millisecond, func() { lcOut("t3") })
			busy(10 * time.Millisecond)
		case "throw-tick":
			p().On("uncaughtException", func(e any) { lcOut("caught %v", e) })
			cluster.SetTimeout(time.Millisecond, func() {
				cluster.NextTick(func() { lcOut("tick1"); panic("in tick") })
				cluster.NextTick(func() { lcOut("tick2") })
			})
			cluster.SetTimeout(time.Millisecond, func() { lcOut("t2") })
			cluster.SetTimeout(50*time.Millisecond, func() { lcOut("t3") })
			busy(10 * time.Millisecond)
		case "throw-alone":
			p().On("uncaughtException", func(e any) { lcOut("caught %v", e) })
			cluster.SetTimeout(time.Millisecond, func() { cluster.NextTick(func() { lcOut("tick") }); panic("x") })
			cluster.SetTimeout(20*time.Millisecond, func() { lcOut("t20") })
		}
	}
	// testdata/interop/immediates.js, case by case (IMM_CASE).
	primaryScenarios["ev-immediates"] = func() {
		p().On("exit", func(code any) { lcOut("exit %v", code) })
		switch os.Getenv("IMM_CASE") {
		case "unref-alone":
			cluster.SetImmediate(func() { lcOut("immediate") }).Unref()
		case "unref-timer":
			var i *cluster.Immediate
			i = cluster.SetImmediate(func() { lcOut("immediate %v", i.HasRef()) }).Unref()
			cluster.SetTimeout(20*time.Millisecond, func() { lcOut("timeout") })
		case "states":
			var i *cluster.Immediate
			i = cluster.SetImmediate(func() {
				lcOut("ran %v", i.HasRef())
				i.Ref()
				lcOut("ref after run %v", i.HasRef())
			})
			lcOut("set %v", i.HasRef())
			lcOut("unref %v", i.Unref().HasRef())
			lcOut("ref %v", i.Ref().HasRef())
		case "clear-unrefed":
			i := cluster.SetImmediate(func() { lcOut("immediate") }).Unref()
			i.Clear()
			lcOut("cleared %v", i.Ref().HasRef())
			cluster.SetTimeout(5*time.Millisecond, func() { lcOut("timeout") })
		case "unref-in-immediate":
			var b *cluster.Immediate
			cluster.SetImmediate(func() { lcOut("a"); b.Unref() })
			b = cluster.SetImmediate(func() { lcOut("b") })
		}
	}
}

func TestEventLoopAsNode(t *testing.T) {
	for _, tc := range []struct {
		name, scenario string
		env            map[string]string
		want           []string
		code           int
	}{
		{"short timeouts", "ev-short-timeouts", nil, []string{"A", "B", "C", "D"}, 0},
		{"overflow", "ev-overflow", nil, []string{"huge fired", "t50"}, 0},
		{"refresh", "ev-refresh", nil, []string{"fired after the refreshed 50 ms"}, 0},
		{"beforeExit tick", "ev-beforeexit-tick", nil, []string{"beforeExit 1", "tick 1", "exit 0"}, 0},
		{"throw in beforeExit", "ev-throw", map[string]string{"EV_WHERE": "beforeExit"}, []string{"beforeExit", "exit 1"}, 1},
		{"throw in exit", "ev-throw", map[string]string{"EV_WHERE": "exit"}, []string{"exit1 0"}, 1},
		{"throw in the handler", "ev-throw", map[string]string{"EV_WHERE": "handler"}, []string{"handler"}, 7},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			lines, code, sig := runPrimaryProcess(t, tc.scenario, tc.env, 30*time.Second)
			require.Empty(t, sig)
			if d := cmp.Diff(tc.want, lcLines(lines)); d != "" {
				t.Errorf("(-node +port):\n%s", d)
			}
			require.Equal(t, tc.code, code, fmt.Sprint(lcLines(lines)))
		})
	}
}

// TestImmediateRefAsNode runs testdata/interop/immediates.js under node and
// the same steps on the port's loop: an unref'd immediate does not keep the
// process alive but runs when something else brings the loop round; ref,
// unref and hasRef before and after it ran or was cleared.
func TestImmediateRefAsNode(t *testing.T) {
	node := nodeOrSkip(t)
	for _, c := range []string{"unref-alone", "unref-timer", "states", "clear-unrefed", "unref-in-immediate"} {
		t.Run(c, func(t *testing.T) {
			t.Setenv("IMM_CASE", c)
			want := runNodeScript(t, node, filepath.Join("testdata", "interop", "immediates.js"), "", 30*time.Second)
			require.Contains(t, want, "exit 0", "node's run of the case")
			lines, code, sig := runPrimaryProcess(t, "ev-immediates", map[string]string{"IMM_CASE": c}, 30*time.Second)
			require.Empty(t, sig)
			require.Equal(t, 0, code)
			if d := cmp.Diff(want, lcLines(lines)); d != "" {
				t.Errorf("(-node +port):\n%s", d)
			}
		})
	}
}

// TestTimersOrderAsNode runs testdata/interop/timers-order.js under node and
// the same steps on the port's loop: timers due together run in the order
// of Node's per-duration lists at its millisecond clock (an interval goes
// back behind a timeout of its period that its callback set; a refreshed
// timer goes to the end of its list), and after an exception the process
// survives the timers due run before the ticks queued.
func TestTimersOrderAsNode(t *testing.T) {
	node := nodeOrSkip(t)
	for _, c := range []string{"interval-timeout", "interval-refresh", "slow-callback", "refresh-order", "throw-timer", "throw-tick", "throw-alone"} {
		t.Run(c, func(t *testing.T) {
			t.Setenv("TIMERS_CASE", c)
			want := runNodeScript(t, node, filepath.Join("testdata", "interop", "timers-order.js"), "", 30*time.Second)
			lines, code, sig := runPrimaryProcess(t, "ev-timers-order", map[string]string{"TIMERS_CASE": c}, 30*time.Second)
			require.Empty(t, sig)
			require.Equal(t, 0, code)
			if d := cmp.Diff(want, lcLines(lines)); d != "" {
				t.Errorf("(-node +port):\n%s", d)
			}
		})
	}
}
