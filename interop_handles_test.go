package nodecluster_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	workerScenarios["interop-handles"] = interopHandlesWorker
	workerScenarios["interop-send-server"] = interopSendServerWorker
}

// interopSendServerWorker is send-server.js's worker, in Go.
func interopSendServerWorker() {
	p := process.Get()
	server := net.CreateServer(nil)
	server.Listen(0, "127.0.0.1", func() {
		p.Send(cluster.NewObject("t", "server", "port", server.AddressPort()), server, func(err error) {
			if err != nil {
				p.Send(cluster.NewObject("err", err.(*childprocess.ErrnoError).Code), nil, nil)
			}
			server.Close(nil)
		})
	})
}

// interopHandlesWorker is handles.js's worker, in Go.
func interopHandlesWorker() {
	var kept []*net.Socket
	p := process.Get()
	p.On("message", func(m any, h any) {
		report, n := "payload", 0
		switch x := m.(type) {
		case string:
			report, n = x, len(x)
		case *cluster.Object:
			s, _ := x.String("payload")
			n = len(s)
		}
		sock, isSock := h.(*net.Socket)
		p.Send(cluster.NewObject("report", report, "len", n, "handle", isSock), nil, nil)
		if isSock {
			kept = append(kept, sock)
		}
		if m == "three" {
			p.Send(cluster.NewObject("payload", strings.Repeat("y", 800004)), kept[0], nil)
		}
	})
}

// TestInteropHandles: a Node primary passes sockets with large and
// back-to-back messages to a Go worker, which answers exactly as a Node
// worker does (Node's own output for a Node worker is the reference).
//
// Mirrors test/sequential/test-cluster-send-handle-large-payload.js and
// test/parallel/test-child-process-recv-handle.js, across runtimes.
func TestInteropHandles(t *testing.T) {
	node, self, script := interopScript(t, "handles.js")
	want := runNodeScript(t, node, script, "", 60*time.Second)
	require.Contains(t, want, "worker got two len 3 handle true", "the reference run itself")
	got := runNodeScript(t, node, script, self, 60*time.Second)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Go worker differs from a Node worker (-node +go):\n%s", d)
	}
}

// TestInteropSendServer: a worker sends its cluster server with a message
// to a Node primary. Under SCHED_NONE the primary gets a server listening
// on the same socket, from a Go worker as from a Node worker. Under
// round-robin a v20 worker dies of SIGSEGV (its server's handle is the
// faux one); a Go worker's send fails with EBADF and nothing goes out
// (DEVIATION(fix)), and NODECLUSTER_REPRODUCE_V20=faux-handle dies as
// node's does.
func TestInteropSendServer(t *testing.T) {
	node, self, script := interopScript(t, "send-server.js")
	t.Setenv("NODE_CLUSTER_SCHED_POLICY", "none")
	want := runNodeScript(t, node, script, "", 30*time.Second)
	require.Equal(t, []string{"primary got server handle Server listening true same port true", "exit 0 null"}, want, "the reference run itself")
	got := runNodeScript(t, node, script, self, 30*time.Second)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("SCHED_NONE: Go worker differs from a Node worker (-node +go):\n%s", d)
	}

	t.Setenv("NODE_CLUSTER_SCHED_POLICY", "rr")
	crash := runNodeScript(t, node, script, "", 30*time.Second)
	require.Equal(t, []string{"exit null SIGSEGV"}, crash, "v20's worker, the reference for the reproduction")
	got = runNodeScript(t, node, script, self, 30*time.Second)
	require.Equal(t, []string{"worker send error EBADF", "exit 0 null"}, got)
	t.Setenv("NODECLUSTER_REPRODUCE_V20", "faux-handle")
	got = runNodeScript(t, node, script, self, 30*time.Second)
	if d := cmp.Diff(crash, got); d != "" {
		t.Errorf("round-robin, reproduced: Go worker differs from v20's (-node +go):\n%s", d)
	}
}

// runNodeScript runs a testdata/interop script under node as the primary,
// with goExec (when not "") as its workers' program, and returns the
// lines it printed; it fails the test when node fails or has not finished
// by the deadline.
func runNodeScript(t *testing.T, node, script, goExec string, deadline time.Duration) []string {
	t.Helper()
	cmd := exec.Command(node, script)
	cmd.Env = os.Environ()
	if goExec != "" {
		cmd.Env = append(cmd.Env, "INTEROP_GO_EXEC="+goExec)
	}
	cmd.Stderr = os.Stderr
	var late atomic.Bool
	timer := time.AfterFunc(deadline, func() { late.Store(true); cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.Output()
	require.False(t, late.Load(), "the Node primary running %s did not finish in %v (workers: %q)", filepath.Base(script), deadline, goExec)
	require.NoError(t, err)
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}
