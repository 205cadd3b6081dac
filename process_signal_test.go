package nodecluster_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/stretchr/testify/require"
)

func init() {
	// process-signal: what testdata/interop/process-signal.js's worker
	// does, in Go.
	workerScenarios["process-signal"] = func() {
		p := process.Get()
		var kill *cluster.Object
		func() {
			defer func() {
				if e, ok := recover().(*childprocess.ErrnoError); ok {
					kill = cluster.NewObject("message", e.Message, "code", e.Code, "errno", e.Errno, "syscall", e.Syscall, "listeners", p.ListenerCount("SIGKILL"))
				}
			}()
			p.On("SIGKILL", func() {})
		}()
		n := 0
		var l *events.Listener
		l = p.On("SIGUSR2", func(name string) {
			n++
			if n == 2 {
				p.RemoveListener(l)
			}
			p.Send(cluster.NewObject("got", name, "n", n, "listeners", p.ListenerCount("SIGUSR2")), nil, nil)
		})
		p.Send(cluster.NewObject("ready", true, "kill", kill), nil, nil)
	}
}

// TestProcessSignalListener: a listener for a signal's name on process
// takes the signal from its default action (the worker lives, the
// listener gets the name), gives it back once removed (the next one kills
// the worker), and one for SIGKILL panics with Node's "uv_signal_start
// EINVAL" before it is added; the same lines as node's primary and worker
// print (testdata/interop/process-signal.js).
func TestProcessSignalListener(t *testing.T) {
	node, _, script := interopScript(t, "process-signal.js")
	nodeLines := runNodeScript(t, node, script, "", 30*time.Second)
	var goLines []string
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "process-signal", nil)
		w.On("message", func(m any) {
			goLines = append(goLines, "message "+m.(*cluster.Object).JSONString())
			w.Process.Kill("SIGUSR2")
		})
		w.On("exit", func(code, signal any) {
			goLines = append(goLines, fmt.Sprintf("exit %s %s", jsNull(code), jsNull(signal)))
		})
	})
	require.Len(t, nodeLines, 4, "node's lines: %q", nodeLines)
	require.Equal(t, "exit null SIGUSR2", nodeLines[3])
	if d := cmp.Diff(nodeLines, goLines); d != "" {
		t.Errorf("the Go worker's lines differ from node's (-node +go):\n%s", d)
	}
}
