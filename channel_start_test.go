package nodecluster_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// runBrokenWorker starts this test binary as a worker with a broken
// environment and returns its exit code and stderr.
func runBrokenWorker(t *testing.T, env ...string) (int, string) {
	t.Helper()
	code, _, stderr := runWorkerScenarioAlone(t, "echo", env...)
	return code, stderr
}

// runWorkerScenarioAlone starts this test binary as the worker scenario
// name, with no primary, and returns its exit code, stdout and stderr.
func runWorkerScenarioAlone(t *testing.T, name string, env ...string) (int, string, string) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), append([]string{envWorker + "=" + name}, env...)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	require.NoError(t, cmd.Start())
	go waitProcess(cmd, done)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the worker neither ran nor exited within 20s")
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

func waitProcess(cmd *exec.Cmd, done chan<- error) { done <- cmd.Wait() }

// TestWorkerWithoutChannel: NODE_UNIQUE_ID without NODE_CHANNEL_FD is a
// clear message and exit code 1, not a panic.
func TestWorkerWithoutChannel(t *testing.T) {
	code, stderr := runBrokenWorker(t, "NODE_UNIQUE_ID=1", "NODE_CHANNEL_FD=")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "there is no IPC channel")
	require.NotContains(t, stderr, "panic")
}

// TestWorkerWithoutChannelReproducesNode: with
// NODECLUSTER_REPRODUCE_V20=no-channel the program runs as Node v20 runs
// it, a worker (cluster.isWorker, cluster.worker set, NODE_UNIQUE_ID
// removed) with no primary to talk to, and ends with code 0; node
// v20.20.2 prints the same for the same script.
func TestWorkerWithoutChannelReproducesNode(t *testing.T) {
	code, stdout, stderr := runWorkerScenarioAlone(t, "cs-empty-unique-id",
		"NODE_UNIQUE_ID=5", "NODE_CHANNEL_FD=", "NODECLUSTER_REPRODUCE_V20=no-channel")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	require.Equal(t, "lc: isWorker true worker true kept false\n", stdout)
}

// TestWorkerWithBrokenChannel: a channel descriptor that is not open, or
// not a socket, or a serialization that is neither json nor advanced.
func TestWorkerWithBrokenChannel(t *testing.T) {
	for _, tc := range []struct{ env, want string }{
		{"NODE_CHANNEL_FD=97", "not an open descriptor"},
		{"NODE_CHANNEL_FD=banana", "not a descriptor number"},
		{"NODE_CHANNEL_FD=0", "not a socket"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			code, stderr := runBrokenWorker(t, "NODE_UNIQUE_ID=1", tc.env)
			require.Equal(t, 1, code)
			require.Contains(t, stderr, "cannot open the IPC channel")
			require.Contains(t, stderr, tc.want)
			require.NotContains(t, stderr, "panic")
		})
	}
	t.Run("unknown serialization", func(t *testing.T) {
		code, stderr := runBrokenWorker(t, "NODE_UNIQUE_ID=1", "NODE_CHANNEL_FD=97", "NODE_CHANNEL_SERIALIZATION_MODE=bogus")
		require.Equal(t, 1, code)
		require.Contains(t, stderr, `NODE_CHANNEL_SERIALIZATION_MODE="bogus" is neither json nor advanced`)
		require.NotContains(t, stderr, "panic")
	})
}
