package nodecluster_test

// The opt-in beyond Node: more than one handed-off connection in flight
// per worker (NODECLUSTER_HANDOFFS_IN_FLIGHT, handle.HandoffsInFlight).

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/handle"
	"github.com/nodecluster/nodecluster/internal/master"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	// A worker whose loop is busy for 300 ms with its first connection:
	// what the primary hands over meanwhile waits in the channel.
	workerScenarios["slow-first"] = func() {
		first := true
		srv := net.CreateServer(func(c *net.Socket) {
			if first {
				first = false
				time.Sleep(300 * time.Millisecond)
			}
			c.End([]byte("served\n"))
		})
		srv.Listen(0, "127.0.0.1")
	}
}

// inFlightRun serves n simultaneous connections with one slow-first worker
// and returns the most NODE_HANDLE messages the primary had written to it
// before reading an ACK, and what each client read.
func inFlightRun(t *testing.T, n int, fork func() *cluster.Worker) (maxOut int, got []string) {
	out := 0
	childprocess.WireHook = func(_ *childprocess.Target, dir byte, line []byte, _ bool) {
		switch {
		case dir == 'w' && bytes.HasPrefix(line, []byte(`{"cmd":"NODE_HANDLE",`)):
			out++
			maxOut = max(maxOut, out)
		case dir == 'r' && string(line) == `{"cmd":"NODE_HANDLE_ACK"}`:
			out--
		}
	}
	defer func() { childprocess.WireHook = nil }()
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		w := fork()
		w.On("listening", func(a cluster.Address) {
			dialAll(a.Port, n, fail, func(all []string) {
				got = all
				w.Disconnect()
			})
		})
	})
	return maxOut, got
}

// dialAll starts n clients of 127.0.0.1:port at once, each reading until
// the server closes; on the loop, once the last is done, it calls done
// with what each read. A client's error fails the run.
func dialAll(port, n int, fail func(string, ...any), done func(got []string)) {
	l := uv.Default()
	var got []string
	for i := 0; i < n; i++ {
		l.Ref()
		c := &lineClient{addr: "127.0.0.1:" + strconv.Itoa(port), done: func(s string, err error) {
			l.Post(func() {
				l.Unref()
				if err != nil {
					fail("client: %v", err)
				}
				if got = append(got, s); len(got) == n {
					done(got)
				}
			})
		}}
		go c.run()
	}
}

type lineClient struct {
	addr string
	done func(string, error)
}

func (c *lineClient) run() {
	conn, err := dialClient(c.addr)
	if err != nil {
		c.done("", err)
		return
	}
	defer conn.Close()
	b, err := io.ReadAll(conn)
	c.done(string(b), err)
}

// TestHandoffsInFlight: with the opt-in at 4, the primary hands a busy
// worker up to 4 connections without waiting for the first ACK, and every
// connection is served; with Node's default of 1, never more than one.
func TestHandoffsInFlight(t *testing.T) {
	for _, k := range []int{1, 4} {
		t.Run(fmt.Sprintf("in-flight=%d", k), func(t *testing.T) {
			saved := handle.HandoffsInFlight
			handle.HandoffsInFlight = k
			defer func() { handle.HandoffsInFlight = saved }()
			maxOut, got := inFlightRun(t, 6, func() *cluster.Worker { return forkScenario(t, "slow-first", nil) })
			require.Len(t, got, 6)
			for _, s := range got {
				require.Equal(t, "served\n", s)
			}
			if k == 1 {
				require.Equal(t, 1, maxOut, "Node's protocol: one handle in flight per channel")
			} else {
				require.Greater(t, maxOut, 1, "no second connection went out while the worker was busy")
				require.LessOrEqual(t, maxOut, k)
			}
		})
	}
}

// TestHandoffsInFlightNodeWorker: the opt-in with a real Node v20 worker.
// Node's channel reads each descriptor in its own SCM_RIGHTS segment and
// pairs it with its NODE_HANDLE line, so several in flight are served too.
func TestHandoffsInFlightNodeWorker(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the Node worker cannot run")
	}
	script, err := filepath.Abs("testdata/interop/slow-first.js")
	require.NoError(t, err)
	saved := handle.HandoffsInFlight
	handle.HandoffsInFlight = 4
	defer func() { handle.HandoffsInFlight = saved }()
	// Settings persist in this process, and a zero field means "not
	// given": put back what the other tests fork with.
	settings := master.C.Settings
	defer func() { master.C.Settings = settings }()
	maxOut, got := inFlightRun(t, 6, func() *cluster.Worker {
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{ExecPath: node, Exec: script, Args: []string{}}))
		w, err := cluster.Fork(nil)
		require.NoError(t, err)
		return w
	})
	require.Len(t, got, 6)
	for _, s := range got {
		require.Equal(t, "served\n", s)
	}
	require.Greater(t, maxOut, 1, "no second connection went out while the Node worker was busy")
}
