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
	"github.com/nodecluster/nodecluster/net"
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
		case "refresh-cleared-fired":
			t := cluster.SetTimeout(30*time.Millisecond, func() { lcOut("t") })
			cluster.SetTimeout(40*time.Millisecond, func() {
				t.Stop()
				t.Refresh()
				lcOut("refreshed")
				cluster.SetTimeout(10*time.Millisecond, func() { lcOut("u unref") }).Unref()
			})
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
	// testdata/interop/loop-throws.js, case by case (LOOP_CASE).
	primaryScenarios["ev-loop-throws"] = func() {
		busy := func(d time.Duration) {
			for s := time.Now(); time.Since(s) < d; {
			}
		}
		p().On("exit", func(code any) { lcOut("exit %v", code) })
		caught := func() { p().On("uncaughtException", func(e any) { lcOut("caught %v", e) }) }
		ms := time.Millisecond
		switch os.Getenv("LOOP_CASE") {
		case "timers-one-list":
			caught()
			cluster.SetTimeout(ms, func() { lcOut("t1"); cluster.NextTick(func() { lcOut("tick") }); panic("x") })
			cluster.SetTimeout(ms, func() { lcOut("t2") })
			cluster.SetTimeout(ms, func() { lcOut("t3") })
			busy(5 * ms)
		case "timers-two-lists":
			caught()
			cluster.SetTimeout(ms, func() { lcOut("t1"); cluster.NextTick(func() { lcOut("tick") }); panic("x") })
			cluster.SetTimeout(2*ms, func() { lcOut("t2") })
			busy(5 * ms)
		case "immediates":
			caught()
			cluster.SetImmediate(func() { lcOut("i1"); cluster.NextTick(func() { lcOut("tick") }); panic("x") })
			cluster.SetImmediate(func() { lcOut("i2") })
			cluster.SetImmediate(func() { lcOut("i3") })
		case "tick-in-immediate":
			caught()
			cluster.SetImmediate(func() {
				lcOut("i1")
				cluster.NextTick(func() { lcOut("A"); panic("x") })
				cluster.NextTick(func() { lcOut("B") })
			})
			cluster.SetImmediate(func() { lcOut("i2") })
		case "tick-in-main":
			caught()
			cluster.NextTick(func() { lcOut("A"); panic("x") })
			cluster.NextTick(func() { lcOut("B") })
			cluster.SetTimeout(ms, func() { lcOut("T") })
			busy(5 * ms)
		case "io":
			caught()
			var srv *net.Server
			srv = net.CreateServer(func(s *net.Socket) {
				lcOut("S.conn")
				cluster.NextTick(func() { lcOut("S.tick") })
				s.Resume()
				s.On("end", func() { s.End(nil); srv.Close(nil) })
				panic("x")
			})
			srv.Listen(0, "127.0.0.1", func() {
				var c *net.Socket
				c, _ = net.Connect(srv.AddressPort(), "127.0.0.1", func() { lcOut("C.connect"); c.End(nil) })
			})
		case "io-then-immediate":
			caught()
			var srv *net.Server
			srv = net.CreateServer(func(s *net.Socket) {
				lcOut("S.conn")
				cluster.NextTick(func() { lcOut("S.tick") })
				cluster.SetImmediate(func() { lcOut("S.imm") })
				s.End(nil)
				srv.Close(nil)
				panic("x")
			})
			srv.Listen(0, "127.0.0.1", func() {
				c, _ := net.Connect(srv.AddressPort(), "127.0.0.1")
				c.Resume()
			})
		case "main-then-immediate":
			caught()
			cluster.NextTick(func() { lcOut("tick") })
			cluster.SetImmediate(func() { lcOut("I") })
			panic("main")
		case "unref-immediate-after-throw":
			caught()
			cluster.SetImmediate(func() {
				lcOut("i1")
				cluster.SetImmediate(func() { lcOut("i2 unref") }).Unref()
				panic("x")
			})
		case "unref-timer-after-throw":
			caught()
			cluster.SetTimeout(ms, func() { lcOut("t1"); busy(5 * ms); panic("x") })
			cluster.SetTimeout(3*ms, func() { lcOut("unref t3") }).Unref()
		case "beforeexit-throws":
			caught()
			n := 0
			p().On("beforeExit", func(any) {
				n++
				lcOut("beforeExit %d", n)
				if n < 3 {
					panic(fmt.Sprintf("be%d", n))
				}
			})
		case "unref-immediate-from-timer":
			cluster.SetTimeout(2*ms, func() {
				lcOut("t1")
				cluster.SetImmediate(func() { lcOut("unref imm") }).Unref()
			})
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
	casesAsNode(t, "immediates.js", "ev-immediates", "IMM_CASE", []string{"unref-alone", "unref-timer", "states", "clear-unrefed", "unref-in-immediate"}, "exit 0")
}

// TestTimersOrderAsNode runs testdata/interop/timers-order.js under node and
// the same steps on the port's loop: timers due together run in the order
// of Node's per-duration lists at its millisecond clock (an interval goes
// back behind a timeout of its period that its callback set; a refreshed
// timer goes to the end of its list), and after an exception the process
// survives the timers due run before the ticks queued.
func TestTimersOrderAsNode(t *testing.T) {
	casesAsNode(t, "timers-order.js", "ev-timers-order", "TIMERS_CASE", []string{"interval-timeout", "interval-refresh", "slow-callback", "refresh-order", "refresh-cleared-fired", "throw-timer", "throw-tick", "throw-alone"})
}

// TestLoopAfterUncaughtExceptionAsNode runs testdata/interop/loop-throws.js
// under node and the same steps on the port's loop. A callback or a tick
// that panics fails its callback scope: the ticks left wait for the next
// callback that completes, or for the next drain between two timers, two
// lists or two immediates (the timers' pass and the immediates' run start
// again after the exception, their first callback before the ticks); a
// handled exception keeps the loop one more round (Node's
// setImmediate(noop)); and a round ends with its timers, so that what they
// leave is weighed before the next.
func TestLoopAfterUncaughtExceptionAsNode(t *testing.T) {
	casesAsNode(t, "loop-throws.js", "ev-loop-throws", "LOOP_CASE", []string{"timers-one-list", "timers-two-lists", "immediates", "tick-in-immediate", "tick-in-main", "io",
		"io-then-immediate", "main-then-immediate", "unref-immediate-after-throw", "unref-timer-after-throw", "beforeexit-throws", "unref-immediate-from-timer"})
}

// casesAsNode runs testdata/interop/<script> under node once per case
// (envName=case in its environment) and the primary scenario with the same
// variable in a process of its own, and compares what the two printed (the
// port's "lc: " lines); the node run must have printed each of nodeMust.
func casesAsNode(t *testing.T, script, scenario, envName string, cases []string, nodeMust ...string) {
	t.Helper()
	node := nodeOrSkip(t)
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			t.Setenv(envName, c)
			want := runNodeScript(t, node, filepath.Join("testdata", "interop", script), "", 30*time.Second)
			for _, m := range nodeMust {
				require.Contains(t, want, m, "node's run of the case")
			}
			lines, code, sig := runPrimaryProcess(t, scenario, map[string]string{envName: c}, 30*time.Second)
			require.Empty(t, sig)
			require.Equal(t, 0, code)
			if d := cmp.Diff(want, lcLines(lines)); d != "" {
				t.Errorf("(-node +port):\n%s", d)
			}
		})
	}
}
