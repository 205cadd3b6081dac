package nodecluster_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	// listen-signal: the Go form of testdata/interop/listen-signal.js's
	// worker.
	workerScenarios["listen-signal"] = func() {
		s := net.CreateServer(nil)
		for _, e := range []string{"listening", "close", "error"} {
			e := e
			s.On(e, func() { fmt.Println(e) })
		}
		s.On("close", func() {
			cluster.SetTimeout(300*time.Millisecond, func() {
				fmt.Printf("300 ms later: listening %t\n", s.Listening())
				process.Get().Exit(0)
			})
		})
		ctx, cancel := context.WithCancel(context.Background())
		if os.Getenv("MODE") == "pre" {
			cancel()
			s.Listen(net.ListenOptions{Port: 0, Signal: ctx})
		} else {
			s.Listen(net.ListenOptions{Port: 0, Signal: ctx}, func() {
				fmt.Println("listening callback: abort")
				cancel()
			})
		}
	}
	primaryScenarios["listen-signal-primary"] = func() {
		w, err := cluster.Fork(map[string]string{envWorker: "listen-signal"})
		if err != nil {
			panic(err)
		}
		w.On("exit", func(code, signal any) { fmt.Printf("worker exit %s %s\n", docsJS(code), docsJS(signal)) })
	}
}

// TestListenSignalInWorker: listen({signal}) in a worker, the signal
// aborted before the listen and in its callback, under both policies:
// the server closes (before "listening" when aborted before), is not
// listening afterwards, and the worker exits as node's does (node v20.20.2
// on testdata/interop/listen-signal.js, side by side).
func TestListenSignalInWorker(t *testing.T) {
	node, _, script := interopScript(t, "listen-signal.js")
	for _, policy := range []string{"rr", "none"} {
		for _, mode := range []string{"pre", "post"} {
			t.Run(policy+"/"+mode, func(t *testing.T) {
				cmd := exec.Command(node, script)
				cmd.Env = append(os.Environ(), "MODE="+mode, "NODE_CLUSTER_SCHED_POLICY="+policy)
				out, err := cmd.Output()
				require.NoError(t, err, "node listen-signal.js")
				nodeLines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
				goLines, code, signal := runPrimaryProcess(t, "listen-signal-primary", map[string]string{"MODE": mode, "NODE_CLUSTER_SCHED_POLICY": policy}, 20*time.Second)
				require.Equal(t, 0, code, "the Go primary's exit code (signal %q)", signal)
				if d := cmp.Diff(nodeLines, goLines); d != "" {
					t.Errorf("output differs from node's (-node +port):\n%s", d)
				}
			})
		}
	}
}
