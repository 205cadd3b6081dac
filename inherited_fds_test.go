package nodecluster_test

// Descriptors a primary inherited stay out of its workers, as in Node,
// which marks them close-on-exec at start-up (libuv's
// uv_disable_stdio_inheritance).

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/stretchr/testify/require"
)

func init() {
	primaryScenarios["inherited-fds"] = func() {
		fmt.Println("primary holds it", holdsMarker())
		w, err := cluster.Fork(map[string]string{envWorker: "inherited-fds"})
		if err != nil {
			panic(err)
		}
		w.On("message", func(m any) { fmt.Println("worker holds it", m); w.Disconnect() })
	}
	workerScenarios["inherited-fds"] = func() { process.Get().Send(holdsMarker(), nil, nil) }
}

// holdsMarker reports whether this process has the file $MARKER open.
func holdsMarker() bool {
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && target == os.Getenv("MARKER") {
			return true
		}
	}
	return false
}

// TestInheritedDescriptorsStayInPrimary: a primary started with a file
// open on descriptors 3 and 4 (not close-on-exec) holds it, and its
// worker does not, under node (testdata/interop/inherited-fds.js) as
// under the port. The port's worker got both before: Go's fork passes on
// every descriptor not marked close-on-exec.
func TestInheritedDescriptorsStayInPrimary(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "marker")
	require.NoError(t, os.WriteFile(marker, nil, 0o600))
	run := func(cmd *exec.Cmd) []string {
		t.Helper()
		f, err := os.Open(marker)
		require.NoError(t, err)
		defer f.Close()
		cmd.ExtraFiles = []*os.File{f, f}
		cmd.Env = append(cmd.Env, "MARKER="+marker)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		require.NoError(t, err)
		return strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := []string{"primary holds it true", "worker holds it false"}
	if node, err := exec.LookPath("node"); err == nil {
		cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "interop", "inherited-fds.js"))
		cmd.Env = os.Environ()
		require.Equal(t, want, run(cmd), "node, the reference")
	} else {
		t.Log("no node: comparing with node v20.20.2's recorded output")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	if d := cmp.Diff(want, run(primaryCommand(ctx, exe, "inherited-fds", nil))); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}
