package nodecluster_test

// Bad calls from the program: each gets Node's behaviour or a clear error,
// never a crashed primary, and no worker process is left behind
// (primaryRun checks for leftover children and listening sockets).

import (
	"os"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/stretchr/testify/require"
)

// TestBadCallsOnWorkers: a second Disconnect (Node v20: the worker dies
// of ERR_IPC_DISCONNECTED, exit 1; here it leaves normally), Send on an
// exited worker (Node v20: the primary dies of ERR_IPC_CHANNEL_CLOSED;
// here Send returns false), Kill with an unknown signal (ERR_UNKNOWN_SIGNAL,
// returned), and Disconnect and Kill on a dead worker (no effect).
func TestBadCallsOnWorkers(t *testing.T) {
	var code any
	var sendAfterExit = true
	var killErr, killDeadErr error
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "listen-port", map[string]string{"PORT": "0"})
		w.On("listening", func() {
			killErr = w.Kill("SIGNOPE")
			w.Disconnect()
			w.Disconnect()
		})
		w.On("exit", func(c, s any) {
			code = c
			sendAfterExit = w.Send(cluster.NewObject("late", true), nil, nil)
			w.Disconnect()
			killDeadErr = w.Kill("")
			uv.Default().NextTick(func() {}) // the primary keeps running
		})
	})
	require.Equal(t, 0, code, "a second disconnect does not kill the worker")
	require.False(t, sendAfterExit)
	require.Error(t, killErr)
	require.Contains(t, killErr.Error(), "Unknown signal: SIGNOPE")
	require.NoError(t, killDeadErr)
}

// TestForkBadExecPath: a program that does not exist is an error from
// Fork, and no worker is registered.
func TestForkBadExecPath(t *testing.T) {
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		self, err := os.Executable()
		require.NoError(t, err)
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{ExecPath: "/nonexistent/program"}))
		_, err = cluster.Fork(nil)
		require.Error(t, err)
		require.Empty(t, cluster.Workers())
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{ExecPath: self}))
	})
}
