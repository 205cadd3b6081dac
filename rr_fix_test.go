package nodecluster_test

import (
	"fmt"
	stdnet "net"
	"strconv"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/handle"
	"github.com/nodecluster/nodecluster/internal/trace"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

// killOnFirstNewconn SIGKILLs the worker a newconn is about to be sent to,
// once: the worker then dies between newconn and its {accepted} reply.
func killOnFirstNewconn(t *testing.T) (victim *int) {
	victim = new(int)
	trace.SetHook(func(e trace.Event) {
		if e.Go != "handle.RoundRobinHandle.handoff" || *victim != 0 {
			return
		}
		var fd, id int
		if _, err := fmt.Sscanf(e.Detail[len(e.Detail)-len("with fd 00 to worker 00"):], "with fd %d to worker %d", &fd, &id); err != nil {
			// Fall back to scanning the whole line.
			var key string
			fmt.Sscanf(e.Detail, "key %s send newconn with fd %d to worker %d", &key, &fd, &id)
		}
		if id == 0 {
			return
		}
		*victim = id
		if w := cluster.Workers()[id]; w != nil {
			w.Process.Kill("SIGKILL")
		}
	})
	t.Cleanup(func() { trace.SetHook(nil) })
	return victim
}

// TestRoundRobinReroutesConnectionOfDeadWorker: DEVIATION(fix): a
// connection handed to a worker killed before it answered goes to the
// other worker (Node v20 leaves it hanging, node-v20-truth.md §5.1).
func TestRoundRobinReroutesConnectionOfDeadWorker(t *testing.T) {
	var reply string
	var victim *int
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		listening := 0
		var ws []*cluster.Worker
		for i := 0; i < 2; i++ {
			w := forkScenario(t, "listen-port", map[string]string{"PORT": "0"})
			ws = append(ws, w)
			w.On("listening", func(a cluster.Address) {
				listening++
				if listening < 2 {
					return
				}
				victim = killOnFirstNewconn(t)
				c := &client{port: a.Port, loop: uv.Default(), done: func(r string, err error) {
					if err != nil {
						fail("client: %v", err)
					}
					reply = r
					for _, x := range ws {
						if x.IsConnected() {
							x.Disconnect()
						}
					}
				}}
				uv.Default().Ref()
				go c.run()
			})
		}
	})
	require.NotZero(t, *victim, "no newconn was sent")
	require.Equal(t, "ok", reply, "the connection reached the surviving worker")
}

// TestRoundRobinClosesConnectionWhenNoWorkerLeft: the same with one
// worker: the connection is closed, not left hanging.
func TestRoundRobinClosesConnectionWhenNoWorkerLeft(t *testing.T) {
	var reply string
	var cerr error
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "listen-port", map[string]string{"PORT": "0"})
		w.On("listening", func(a cluster.Address) {
			killOnFirstNewconn(t)
			c := &client{port: a.Port, loop: uv.Default(), done: func(r string, err error) { reply, cerr = r, err }}
			uv.Default().Ref()
			go c.run()
		})
	})
	require.NoError(t, cerr, "the client saw its connection closed (EOF), not a timeout")
	require.Equal(t, "", reply)
}

// TestRoundRobinReproduceNodeLostConnection: with the v20 behaviour
// switched back on, the connection stays open and unanswered.
func TestRoundRobinReproduceNodeLostConnection(t *testing.T) {
	handle.ReproduceNodeLostConnection = true
	defer func() { handle.ReproduceNodeLostConnection = false }()
	var conn stdnet.Conn
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "listen-port", map[string]string{"PORT": "0"})
		w.On("listening", func(a cluster.Address) {
			killOnFirstNewconn(t)
			var err error
			conn, err = stdnet.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(a.Port), 5*time.Second)
			if err != nil {
				fail("dial: %v", err)
			}
		})
	})
	require.NotNil(t, conn)
	defer conn.Close()
	// Showing that something does not happen needs a wait: one second
	// without an answer or a close.
	conn.SetReadDeadline(time.Now().Add(time.Second))
	_, err := conn.Read(make([]byte, 1))
	var ne stdnet.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout(), "the connection hangs as in Node v20, got %v", err)
}

func init() {
	workerScenarios["listen-then-block"] = func() {
		net.CreateServer(nil).Listen(0, "127.0.0.1", func() {
			// "listening" has left for the primary: block the loop.
			uv.Default().SetImmediate(func() { time.Sleep(10 * time.Second) })
		})
	}
}

// TestDeadWorkerWithUnackedHandleDisconnects: DEVIATION(fix): a worker
// killed while the newconn handed to it waits for its NODE_HANDLE_ACK
// still brings "disconnect" before "exit"; in Node v20 the disconnect
// waits for an ACK that never comes, and there is none
// (NODECLUSTER_REPRODUCE_V20=unacked-disconnect).
func TestDeadWorkerWithUnackedHandleDisconnects(t *testing.T) {
	for _, reproduce := range []bool{false, true} {
		t.Run(fmt.Sprintf("reproduce=%v", reproduce), func(t *testing.T) {
			childprocess.ReproduceUnackedDisconnect = reproduce
			defer func() { childprocess.ReproduceUnackedDisconnect = false }()
			var events []string
			var conn stdnet.Conn
			primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
				// The worker's loop stops once it listens, so the newconn
				// it is handed stays unread and unacknowledged; the kill
				// comes after the handoff has been written (killed first,
				// the worker would leave no handle waiting for an ACK).
				w := forkScenario(t, "listen-then-block", nil)
				w.On("disconnect", func() { events = append(events, "disconnect") })
				w.On("exit", func(code, signal any) { events = append(events, fmt.Sprintf("exit %v %v", code, signal)) })
				w.On("listening", func(a cluster.Address) {
					trace.SetHook(func(e trace.Event) {
						if e.Go == "handle.RoundRobinHandle.handoff" {
							trace.SetHook(nil)
							uv.Default().SetImmediate(func() { w.Process.Kill("SIGKILL") })
						}
					})
					t.Cleanup(func() { trace.SetHook(nil) })
					var err error
					if conn, err = stdnet.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(a.Port), 5*time.Second); err != nil {
						fail("dial: %v", err)
					}
				})
			})
			if conn != nil {
				conn.Close()
			}
			want := []string{"disconnect", "exit <nil> SIGKILL"}
			if reproduce {
				want = []string{"exit <nil> SIGKILL"}
			}
			require.Equal(t, want, events)
		})
	}
}
