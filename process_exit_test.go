package nodecluster_test

// How a worker ends, as a Node worker ends (each case was run against
// node v20.20.2 first): the exit code an "exit" listener sets, and the
// signals Node leaves at their default action.

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func init() {
	workerScenarios["pe-exit-listener"] = func() {
		p := process.Get()
		p.On("exit", func(code any) { p.ExitCode = 9 })
		switch os.Getenv("PE_MODE") {
		case "exit":
			p.Exit(3)
		case "panic":
			panic("boom")
		case "kill":
			cluster.CurrentWorker().Kill("SIGTERM") // in a worker: disconnect, then process.exit(0)
		case "kill-unknown":
			// The worker's destroy ignores the signal: no ERR_UNKNOWN_SIGNAL
			// (that is the primary's), and the worker leaves as with any.
			if err := cluster.CurrentWorker().Kill("SIGBOGUS"); err != nil {
				fmt.Fprintln(os.Stderr, "worker: kill:", err)
			}
		}
	}
	workerScenarios["pe-isdead"] = func() {
		p, w := process.Get(), cluster.CurrentWorker()
		before := w.IsDead()
		p.ExitCode = 3
		after := w.IsDead()
		p.ExitCode = 0
		p.Send(cluster.NewObject("before", before, "after", after), nil, nil)
		w.Disconnect()
	}
	workerScenarios["pe-wait"] = func() {
		// No core file from the signals that dump one.
		unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
		// "listening" (the primary's cue to signal) once the signals are
		// taken over: they are, beside start-up.
		cluster.Ref()
		go listenOnceSignalsTaken()
	}
	// pe-hold stays alive and does nothing (no core files either).
	workerScenarios["pe-hold"] = func() {
		unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
		cluster.Ref()
	}
}

// TestExitListenerSetsTheExitCode: process.exit(3), an uncaught panic and
// a worker's own kill() all end with the code an "exit" listener set, 9;
// so does its kill('SIGBOGUS'), whose signal a worker's destroy ignores.
func TestExitListenerSetsTheExitCode(t *testing.T) {
	got := map[string]string{}
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		for _, mode := range []string{"exit", "panic", "kill", "kill-unknown"} {
			w := forkScenario(t, "pe-exit-listener", map[string]string{"PE_MODE": mode})
			w.On("exit", func(code, sig any) {
				got[mode] = fmt.Sprintf("%v/%v after disconnect %v", code, sig, *w.ExitedAfterDisconnect)
			})
		}
	})
	want := map[string]string{"exit": "9/<nil> after disconnect false", "panic": "9/<nil> after disconnect false",
		"kill": "9/<nil> after disconnect true", "kill-unknown": "9/<nil> after disconnect true"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("exit (code/signal) (-node +port):\n%s", d)
	}
}

// TestWorkerIsDeadOnceExitCodeSet: in a worker, cluster.worker.isDead()
// asks its own process.exitCode: false at first, true once the worker set
// one (node v20.20.2 prints the same two).
func TestWorkerIsDeadOnceExitCodeSet(t *testing.T) {
	var got string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "pe-isdead", nil)
		w.On("message", func(m *cluster.Object) { got = m.JSONString() })
	})
	require.Equal(t, `{"before":false,"after":true}`, got)
}

// TestWorkerDiesOfSignalsNodeLeavesAtDefault: worker.kill(sig) with a
// signal whose default action ends a process ends a Go worker by that
// signal, as it ends a Node worker: the Go runtime would have ignored
// SIGUSR2 and SIGALRM (the primary would wait forever) and exited with
// code 2 and a goroutine dump on SIGQUIT and SIGABRT.
func TestWorkerDiesOfSignalsNodeLeavesAtDefault(t *testing.T) {
	sigs := []string{"SIGUSR2", "SIGALRM", "SIGVTALRM", "SIGQUIT", "SIGABRT", "SIGTRAP"}
	got := map[string]string{}
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		for _, sig := range sigs {
			w := forkScenario(t, "pe-wait", nil)
			w.On("listening", func() {
				// Straight to the process: worker.kill would disconnect first.
				require.True(t, w.Process.Kill(sig), "kill %s", sig)
			})
			w.On("exit", func(code, signal any) { got[sig] = fmt.Sprintf("%v/%v", code, signal) })
		}
	})
	want := map[string]string{}
	for _, sig := range sigs {
		want[sig] = "<nil>/" + sig
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("exit (code/signal) (-node +port):\n%s", d)
	}
}

// TestWorkerSignalledOnceOnline: a worker signalled as soon as it is
// online dies of the signal, as a Node worker does: "online" waits until
// the process has taken the named signals from the Go runtime, which
// before then ignored SIGXCPU, SIGVTALRM and SIGALRM (the worker lived on,
// the primary waited for good) and crashed with exit 2 on SIGQUIT, SIGABRT
// and SIGSEGV. Three workers a signal: the window was a millisecond.
func TestWorkerSignalledOnceOnline(t *testing.T) {
	sigs := []string{"SIGXCPU", "SIGVTALRM", "SIGALRM", "SIGUSR2", "SIGQUIT", "SIGABRT", "SIGSEGV"}
	got := map[string][]string{}
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		for _, sig := range sigs {
			for range 3 {
				w := forkScenario(t, "pe-hold", nil)
				w.On("online", func() {
					require.True(t, w.Process.Kill(sig), "kill %s", sig)
				})
				w.On("exit", func(code, signal any) { got[sig] = append(got[sig], fmt.Sprintf("%v/%v", code, signal)) })
			}
		}
	})
	want := map[string][]string{}
	for _, sig := range sigs {
		want[sig] = slices.Repeat([]string{"<nil>/" + sig}, 3)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("exit (code/signal) (-node +port):\n%s", d)
	}
}

// TestKillTakesSignalNamesInAnyCase: ChildProcess.kill and the primary's
// worker.kill take a signal's name in any case, as Node's
// convertToValidSignal does ("sigusr2" is SIGUSR2); an unknown name's
// error keeps the name as given, and the child is not signalled
// (killed stays false).
func TestKillTakesSignalNamesInAnyCase(t *testing.T) {
	got := map[string]string{}
	var bogus string
	var killedAfterBogus bool
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		w1 := forkScenario(t, "pe-hold", nil)
		w1.On("online", func() {
			cp := w1.Process.(*cluster.ChildProcess)
			ok, err := cp.KillErr("sigbogus")
			require.False(t, ok)
			bogus = fmt.Sprint(err)
			killedAfterBogus = cp.Killed
			require.True(t, w1.Process.Kill("sigusr2"))
		})
		w1.On("exit", func(code, signal any) { got["process.kill sigusr2"] = fmt.Sprintf("%v/%v", code, signal) })
		w2 := forkScenario(t, "pe-hold", nil)
		w2.On("online", func() { require.NoError(t, w2.Kill("SigHup")) })
		w2.On("exit", func(code, signal any) { got["worker.kill SigHup"] = fmt.Sprintf("%v/%v", code, signal) })
	})
	require.Equal(t, "Unknown signal: sigbogus", bogus)
	require.False(t, killedAfterBogus)
	if d := cmp.Diff(map[string]string{"process.kill sigusr2": "<nil>/SIGUSR2", "worker.kill SigHup": "<nil>/SIGHUP"}, got); d != "" {
		t.Errorf("exit (code/signal) (-node +port):\n%s", d)
	}
}

// listenOnceSignalsTaken, started as a goroutine, waits until the
// process has taken the signals over, then listens on the loop (the
// primary's cue to signal); the caller holds a Ref for it.
func listenOnceSignalsTaken() {
	<-process.SignalsTaken()
	cluster.Post(func() {
		cluster.Unref()
		net.CreateServer(nil).Listen(0, "127.0.0.1")
	})
}
