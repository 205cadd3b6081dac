package nodecluster_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	// accept-round logs its "connection" and "message" events in order and
	// sends the log to the primary when asked ({report: true}).
	workerScenarios["accept-round"] = func() {
		var log []string
		s := net.CreateServer(func(c *net.Socket) {
			log = append(log, "connection")
			c.End([]byte("hi"))
		})
		cluster.CurrentProcess().On("message", func(m any, _ any) {
			o := m.(*cluster.Object)
			if _, ok := o.Get("report"); ok {
				cluster.CurrentProcess().Send(cluster.NewObject("log", strings.Join(log, " ")), nil, nil)
				return
			}
			log = append(log, fmt.Sprintf("message%d", o.Int("i", -1)))
		})
		s.Listen(0, "127.0.0.1")
	}
}

// TestRoundRobinAcceptsOneConnectionPerRound: the primary's round-robin
// handle takes one connection per round of the loop, as libuv 1.46's
// uv__server_io does (one accept, then level-triggered polling reports
// the listening socket again), so the other callbacks of the round run
// between two connections.
//
// The primary connects six clients in one tick, and sends each worker a
// message when each client's "connect" comes. In Node v20.20.2 the first
// round accepts one connection (handed to the first free worker), then
// runs the six "connect" callbacks; the other worker therefore hears all
// six messages before its first connection (and the first worker hears
// them after its connection: a channel with a handle waiting for its ACK
// queues what follows). A loop that accepts every waiting connection at
// once hands one to each worker before any message.
func TestRoundRobinAcceptsOneConnectionPerRound(t *testing.T) {
	const clients = 6
	logs := map[int]string{}
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		var workers []*cluster.Worker
		listening, done := 0, 0
		report := func() {
			for _, w := range workers {
				w.Send(cluster.NewObject("report", true), nil, nil)
			}
		}
		connect := func(port int) {
			for i := 0; i < clients; i++ {
				c, err := net.Connect(port, "127.0.0.1")
				if err != nil {
					fail("connect: %v", err)
					return
				}
				c.On("connect", func() {
					for _, w := range workers {
						w.Send(cluster.NewObject("i", i), nil, nil)
					}
				})
				c.On("data", func([]byte) {})
				c.On("error", func(err error) { fail("client %d: %v", i, err) })
				c.On("close", func(bool) {
					if done++; done == clients {
						report()
					}
				})
			}
		}
		for i := 0; i < 2; i++ {
			w := forkScenario(t, "accept-round", nil)
			workers = append(workers, w)
			w.On("listening", func(a cluster.Address) {
				if listening++; listening == 2 {
					connect(a.Port)
				}
			})
			w.On("message", func(m any) {
				logs[w.ID], _ = m.(*cluster.Object).String("log")
				if len(logs) == 2 {
					for _, w := range workers {
						w.Disconnect()
					}
				}
			})
		}
	})
	requireOneConnectionFirst(t, logs, clients)

	// Node, running testdata/accept-round.js, shows the same.
	t.Run("node", func(t *testing.T) {
		node := nodeOrSkip(t)
		out, err := exec.Command(node, "testdata/accept-round.js").Output()
		require.NoError(t, err)
		nodeLogs := map[int]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var id int
			_, err := fmt.Sscanf(l, "worker %d:", &id)
			require.NoError(t, err, "node printed %q", l)
			_, nodeLogs[id], _ = strings.Cut(l, ": ")
		}
		requireOneConnectionFirst(t, nodeLogs, clients)
	})
}

// requireOneConnectionFirst checks the two workers' logs: one begins with
// a connection, the other with every message.
func requireOneConnectionFirst(t *testing.T, logs map[int]string, clients int) {
	t.Helper()
	require.Len(t, logs, 2)
	first := map[string]int{}
	for id, l := range logs {
		t.Logf("worker %d: %s", id, l)
		first[strings.Fields(l)[0]]++
		require.Equal(t, clients, strings.Count(l, "message"), "worker %d", id)
	}
	require.Equal(t, map[string]int{"connection": 1, "message0": 1}, first,
		"one worker gets the first connection before the messages, the other every message before its first connection")
}
