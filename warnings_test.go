package nodecluster_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/child"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
)

func init() {
	workerScenarios["max-listeners"] = func() {
		p := process.Get()
		p.On("warning", func(w *events.Warning) {
			who := "?"
			switch w.Emitter {
			case &p.EventEmitter:
				who = "process"
			case &cluster.CurrentWorker().EventEmitter:
				who = "worker"
			case &child.C.EventEmitter:
				who = "cluster"
			}
			fmt.Printf("warning %s %s %d %s %d\n", w.Name, w.Type, w.Count, who, p.ListenerCount("warning"))
		})
		for i := 0; i < 11; i++ {
			process.Get().On("message", func() {})
		}
		w := cluster.CurrentWorker()
		for i := 0; i < 11; i++ {
			w.On("message", func() {})
		}
		for i := 0; i < 11; i++ {
			cluster.On("foo", func() {})
		}
		w.SetMaxListeners(0)
		for i := 0; i < 11; i++ {
			w.On("disconnect", func() {})
		}
		fmt.Println("sync end")
		uv.Default().SetImmediate(func() { w.Disconnect() })
	}
}

// TestMaxListenersWarningInWorker: the MaxListenersExceededWarning lines a
// worker prints on stderr, as node v20.20.2's worker printed them for
// internal/events/testdata/max_listeners_worker.js: [process],
// [Worker] and [EventEmitter] (the cluster module object), the
// --trace-warnings hint after the first only, none past SetMaxListeners(0);
// each is the process's "warning" event on a later tick, printed by the
// process's own listener before the worker's runs.
func TestMaxListenersWarningInWorker(t *testing.T) {
	pid, out, errOut := runSilentWorker(t, "max-listeners")
	if d := cmp.Diff([]string{
		"sync end",
		"warning MaxListenersExceededWarning message 11 process 2",
		"warning MaxListenersExceededWarning message 11 worker 2",
		"warning MaxListenersExceededWarning foo 11 cluster 2",
		"",
	}, strings.Split(out, "\n")); d != "" {
		t.Errorf("worker's stdout (-want +got):\n%s", d)
	}
	const warning = "(node:PID) MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 11 %s listeners added to [%s]. MaxListeners is 10. Use emitter.setMaxListeners() to increase limit"
	want := []string{
		fmt.Sprintf(warning, "message", "process"),
		"(Use `node --trace-warnings ...` to show where the warning was created)",
		fmt.Sprintf(warning, "message", "Worker"),
		fmt.Sprintf(warning, "foo", "EventEmitter"),
		"",
	}
	got := strings.Split(strings.ReplaceAll(errOut, fmt.Sprintf("(node:%d)", pid), "(node:PID)"), "\n")
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("worker's stderr (-want +got):\n%s", d)
	}
}
