package nodecluster_test

// How a worker ends, as a Node worker ends (each case was run against
// node v20.20.2 first): the exit code an "exit" listener sets, and the
// signals Node leaves at their default action.

import (
	"fmt"
	"os"
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
		}
	}
	workerScenarios["pe-wait"] = func() {
		// No core file from the signals that dump one.
		unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
		// "listening" (the primary's cue to signal) once the signals are
		// taken over: they are, beside start-up.
		cluster.Ref()
		go listenOnceSignalsTaken()
	}
}

// TestExitListenerSetsTheExitCode: process.exit(3), an uncaught panic and
// a worker's own kill() all end with the code an "exit" listener set, 9.
func TestExitListenerSetsTheExitCode(t *testing.T) {
	got := map[string]string{}
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		for _, mode := range []string{"exit", "panic", "kill"} {
			w := forkScenario(t, "pe-exit-listener", map[string]string{"PE_MODE": mode})
			w.On("exit", func(code, sig any) { got[mode] = fmt.Sprintf("%v/%v", code, sig) })
		}
	})
	want := map[string]string{"exit": "9/<nil>", "panic": "9/<nil>", "kill": "9/<nil>"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("exit (code/signal) (-node +port):\n%s", d)
	}
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
