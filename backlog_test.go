package nodecluster_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

const envBacklog = "NODECLUSTER_TEST_BACKLOG"

func init() {
	// The worker listens with the backlog the test gives it (none when
	// unset).
	workerScenarios["bl-worker"] = func() {
		backlog, _ := strconv.Atoi(os.Getenv(envBacklog))
		net.CreateServer(func(*net.Socket) {}).Listen(net.ListenOptions{Port: 0, Host: "127.0.0.1", Backlog: backlog})
	}
	// The primary of testdata/interop/backlog.js, in Go.
	primaryScenarios["bl-primary"] = func() {
		cluster.SetupPrimary(&cluster.Settings{Args: []string{}})
		cluster.Fork(map[string]string{envWorker: "bl-worker"})
		cluster.On("listening", func(w *cluster.Worker, a cluster.Address) {
			n, err := listenBacklog(a.Port)
			if err != nil {
				fmt.Fprintln(os.Stderr, "bl-primary:", err)
				process.Get().Exit(5)
				return
			}
			fmt.Printf("backlog %d\n", n)
			w.Kill("")
		})
	}
}

// listenBacklog reads the backlog of the socket listening on 127.0.0.1:port
// from ss: for a listening socket, Send-Q is the backlog listen(2) got
// (capped by net.core.somaxconn).
func listenBacklog(port int) (int, error) {
	f, err := ssListening(port)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(f[2])
}

// ssListening returns the fields of ss's line for the TCP socket
// listening on port: State, Recv-Q, Send-Q, the addresses.
func ssListening(port int) ([]string, error) {
	out, err := exec.Command("ss", "-Hltn", fmt.Sprintf("sport = :%d", port)).Output()
	if err != nil {
		return nil, fmt.Errorf("ss: %v", err)
	}
	f := strings.Fields(string(out))
	if len(f) < 3 {
		return nil, fmt.Errorf("ss: no listening socket on port %d: %q", port, out)
	}
	return f, nil
}

// TestListenBacklogReachesListen: the backlog a worker passes to listen()
// is the one the listening socket gets, in the primary's socket under
// SCHED_RR (queryServer carries it to RoundRobinHandle) and in the
// worker's listen on the shared handle under SCHED_NONE; without one,
// 511, as Node's setupListenHandle passes. Each case runs with Node v20 as
// well (testdata/interop/backlog.js), which must give the same.
func TestListenBacklogReachesListen(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss (iproute2) is not installed: the backlog of a listening socket is read from its Send-Q")
	}
	node, nodeErr := exec.LookPath("node")
	for _, policy := range []string{"rr", "none"} {
		for _, backlog := range []int{7, 0} {
			want := backlog
			if want == 0 {
				want = 511
			}
			env := map[string]string{"NODE_CLUSTER_SCHED_POLICY": policy, envBacklog: strconv.Itoa(backlog)}
			t.Run(fmt.Sprintf("%s/backlog-%d", policy, backlog), func(t *testing.T) {
				lines, code, signal := runPrimaryProcess(t, "bl-primary", env, 30*time.Second)
				require.Equal(t, 0, code, "the Go primary's exit code (signal %s)", signal)
				require.Equal(t, []string{fmt.Sprintf("backlog %d", want)}, lines, "Go")
				if nodeErr != nil {
					t.Logf("node is not installed: not compared with Node")
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "interop", "backlog.js"))
				cmd.Env = lsEnv(env)
				cmd.Stderr = os.Stderr
				out, err := cmd.Output()
				require.NoError(t, err, "Node's primary")
				require.Equal(t, lines, strings.Split(strings.TrimSpace(string(out)), "\n"), "Node v20 gives another backlog")
			})
		}
	}
}

// TestClusterNetListenBacklog: under SCHED_RR the backlog a worker gives
// listen ({host: 127.0.0.1, port: 0, backlog: 127}) is the one the
// primary's own listen gets: its listening socket's backlog is 127
// (Node's test checks the argument of the primary's Server.listen; the
// port reads the socket, which that argument decides).
//
// Mirrors test/parallel/test-cluster-net-listen-backlog.js
func TestClusterNetListenBacklog(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss (iproute2) is not installed: the backlog of a listening socket is read from its Send-Q")
	}
	lines, code, signal := runPrimaryProcess(t, "bl-primary", map[string]string{"NODE_CLUSTER_SCHED_POLICY": "rr", envBacklog: "127"}, 30*time.Second)
	require.Equal(t, 0, code, "the primary's exit code (signal %s)", signal)
	require.Equal(t, []string{"backlog 127"}, lines)
}
