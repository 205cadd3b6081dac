package nodecluster_test

// Conformance items 17-29 (conformance.md §3.2, the second half):
// disconnect, kill and exit semantics, ported from Node's own cluster
// tests. Tests that need SCHED_NONE, or a primary that exits or throws,
// run the primary in a process of its own (runPrimaryProcess), which
// prints what the test asserts as JSON lines.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	stdnet "net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/master"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func init() {
	for name, fn := range map[string]func(){
		// test-cluster-worker-no-exit.js, worker: connect to the port
		// the primary sends, and keep the connection.
		"dc-no-exit": func() {
			process.Get().On("message", func(m any, _ any) {
				port := m.(*cluster.Object).Int("port", 0)
				if _, err := connectOnLoop(port); err != nil {
					fmt.Fprintln(os.Stderr, "worker: connect:", err)
					process.Get().Exit(3)
				}
			})
		},
		// test-cluster-worker-wait-server-close.js, worker.
		"dc-wait-server-close": func() {
			serverClosed := false
			server := net.CreateServer(func(s *net.Socket) {
				// Wait for any data, then close the connection.
				s.Write([]byte("."), nil)
				s.On("data", func([]byte) {})
			})
			server.Listen(0, "127.0.0.1")
			server.Once("close", func() { serverClosed = true })
			// The worker could exit before "disconnect" fires; keep it
			// open until then.
			keepOpen := uv.Default().SetInterval(9999*time.Millisecond, func() {})
			process.Get().Once("disconnect", func() {
				// "disconnect" must come after the server's "close".
				if !serverClosed {
					fmt.Fprintln(os.Stderr, "worker: process 'disconnect' before the server's 'close'")
					process.Get().Exit(1)
				}
				keepOpen.Stop()
			})
		},
		// test-cluster-process-disconnect.js, worker.
		"dc-process-disconnect": func() {
			server := net.CreateServer(nil)
			server.Listen(0, func() { process.Get().Disconnect() })
		},
		// test-cluster-kill-infinite-loop.js, worker: never give the
		// loop back.
		"dc-infinite-loop": func() {
			//lint:ignore SA5002 the worker spins on purpose, as the original's does
			for {
			}
		},
		// test-cluster-primary-kill.js / -primary-error.js, worker: an
		// http server (a net server here) on 127.0.0.1:0 keeps it alive.
		"dc-listen-host": func() {
			net.CreateServer(func(s *net.Socket) {}).Listen(0, "127.0.0.1")
		},
		// test-cluster-disconnect.js, worker: two echo servers.
		"dc-two-servers": func() {
			for i := 0; i < 2; i++ {
				net.CreateServer(func(s *net.Socket) { s.End([]byte("echo")) }).Listen(0, "127.0.0.1")
			}
		},
		// test-cluster-disconnect-idle-worker.js, worker: nothing.
		"dc-idle": func() {},
		// test-cluster-concurrent-disconnect.js, worker: call the verb
		// the primary names on cluster.worker while connected.
		"dc-verb": func() {
			process.Get().On("message", func(m any, _ any) {
				w := cluster.CurrentWorker()
				if !w.IsConnected() {
					return
				}
				switch m {
				case "disconnect":
					w.Disconnect()
				case "destroy":
					w.Destroy("")
				}
			})
		},
		// test-cluster-disconnect-race.js, worker.
		"dc-listen-send": func() {
			net.CreateServer(nil).Listen(0, func() { process.Get().Send("listening", nil, nil) })
		},
		// test-cluster-disconnect-leak.js, worker.
		"dc-listen0": func() {
			net.CreateServer(nil).Listen(0)
		},
		// test-cluster-shared-leak.js, worker.
		"dc-bye": func() {
			net.CreateServer(func(c *net.Socket) {
				c.On("error", func(err error) {
					// ECONNRESET is fine; anything else fails the worker.
					if ne, ok := err.(*net.Error); !ok || ne.Code != "ECONNRESET" {
						panic(err)
					}
				})
				c.End([]byte("bye"))
			}).Listen(0)
		},
	} {
		workerScenarios[name] = fn
	}
	primaryScenarios["dc-primary-kill"] = primaryKillScenario
	primaryScenarios["dc-primary-error"] = primaryErrorScenario
	primaryScenarios["dc-disconnect-race"] = disconnectRaceScenario
	primaryScenarios["dc-disconnect-leak"] = disconnectLeakScenario
	primaryScenarios["dc-shared-leak"] = sharedLeakScenario
}

// connectOnLoop opens a TCP connection to 127.0.0.1:port on this
// process's loop and keeps reading it, as net.connect(port) does. The
// port has no net.connect; the socket is the uv stream net.connect would
// build, and it keeps the loop alive while it is open.
func connectOnLoop(port int) (*net.Socket, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	err = unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
	if err != nil && !errors.Is(err, unix.EINPROGRESS) {
		unix.Close(fd)
		return nil, err
	}
	h, err := uv.NewStream(uv.Default(), uv.KindTCP, fd, false)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	s := net.NewSocketFromHandle(h)
	s.Resume()
	return s, nil
}

// printJSON writes one JSON line on stdout for the test that runs this
// primary scenario.
func printJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
}

// pidAlive is common.isAlive(pid): kill(pid, 0) succeeds. An orphaned
// worker is reaped by whatever init this machine has; a zombie counts as
// dead.
func pidAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// waitPidsGone polls (nothing to wait on: the pids are not our children)
// until every pid is dead, failing at the deadline.
func waitPidsGone(t *testing.T, pids []int, within time.Duration) {
	t.Helper()
	end := time.Now().Add(within)
	for _, pid := range pids {
		for pidAlive(pid) {
			if time.Now().After(end) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("worker pid %d still alive %v after its primary died", pid, within)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestClusterWorkerNoExit: a worker asked to disconnect does not exit
// while a connection of its own is open; it exits once the primary
// destroys that connection, a second after "disconnect".
//
// Mirrors test/parallel/test-cluster-worker-no-exit.js
func TestClusterWorkerNoExit(t *testing.T) {
	var destroyed, success bool
	var disconnectedAt, exitedAt time.Time
	var exitCode any
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		var w *cluster.Worker
		var server *net.Server
		server = net.CreateServer(func(conn *net.Socket) {
			server.Close(nil)
			w.Disconnect()
			w.Once("disconnect", func() {
				disconnectedAt = time.Now()
				uv.Default().SetTimeout(time.Second, func() {
					conn.Destroy(nil)
					destroyed = true
				})
			})
			w.Once("exit", func(code, sig any) {
				exitedAt = time.Now()
				exitCode = code
				// The worker must not exit while it has a connection.
				if !destroyed {
					fail("worker exited before the connection was destroyed")
					return
				}
				success = true
			})
		})
		server.Listen(0, func() {
			port := server.Address().Port
			w = forkScenario(t, "dc-no-exit", nil)
			w.On("online", func() { w.Send(cluster.NewObject("port", port), nil, nil) })
		})
	})
	require.True(t, success)
	require.Equal(t, 0, exitCode)
	require.GreaterOrEqual(t, exitedAt.Sub(disconnectedAt), time.Second, "exit came only after the connection was destroyed")
}

// TestClusterWorkerWaitServerClose: a primary-initiated disconnect closes
// the worker's server first: the worker's process "disconnect" comes only
// after its server emitted "close", which waits for the open connection
// (the client ends it). The worker exits 1 when the order is wrong.
//
// Mirrors test/parallel/test-cluster-worker-wait-server-close.js
func TestClusterWorkerWaitServerClose(t *testing.T) {
	var code, signal any
	var got string
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "dc-wait-server-close", nil)
		w.Once("listening", func(a cluster.Address) {
			l := uv.Default()
			c := &waitCloseClient{port: a.Port, loop: l, onData: func() { w.Disconnect() }, done: func(reply string, err error) {
				if err != nil {
					fail("client: %v", err)
				}
				got = reply
			}}
			l.Ref()
			go c.run()
		})
		w.On("exit", func(c, s any) { code, signal = c, s })
	})
	require.Equal(t, ".", got, "the client got the worker's data")
	require.Equal(t, 0, code)
	require.Nil(t, signal)
}

// waitCloseClient connects, waits for the server's first byte, then has
// the loop call onData (worker.disconnect()) and ends its side
// (socket.end()), reading to EOF.
type waitCloseClient struct {
	port   int
	loop   *uv.Loop
	onData func()
	done   func(string, error)
}

func (c *waitCloseClient) run() {
	reply, err := c.talk()
	c.loop.Post(func() {
		c.loop.Unref()
		c.done(reply, err)
	})
}

func (c *waitCloseClient) talk() (string, error) {
	conn, err := stdnet.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(c.port), 10*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	first := make([]byte, 1)
	if _, err := io.ReadFull(conn, first); err != nil {
		return "", err
	}
	c.loop.Post(c.onData)
	if err := conn.(*stdnet.TCPConn).CloseWrite(); err != nil {
		return "", err
	}
	rest, err := io.ReadAll(conn)
	return string(first) + string(rest), err
}

// TestClusterProcessDisconnect: a worker that closes its raw channel
// (process.disconnect()) after listening exits (0, null).
//
// Mirrors test/parallel/test-cluster-process-disconnect.js
func TestClusterProcessDisconnect(t *testing.T) {
	exits := 0
	var code, signal any
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "dc-process-disconnect", nil)
		w.On("exit", func(c, s any) { exits++; code, signal = c, s })
	})
	require.Equal(t, 1, exits)
	require.Equal(t, 0, code, "worker did not exit normally")
	require.Nil(t, signal, "worker did not exit normally")
}

// TestClusterKillInfiniteLoop: a worker that never yields its loop dies
// of worker.process.kill()'s SIGTERM: exit (null, 'SIGTERM'). The second
// case checks the v20 fact that the primary's worker.kill() is the same
// plain signal (node-v20-truth.md §1).
//
// Mirrors test/parallel/test-cluster-kill-infinite-loop.js
func TestClusterKillInfiniteLoop(t *testing.T) {
	for _, tc := range []struct {
		name string
		kill func(w *cluster.Worker)
	}{
		{"worker.process.kill", func(w *cluster.Worker) { w.Process.Kill("") }},
		{"worker.kill", func(w *cluster.Worker) { require.NoError(t, w.Kill("")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			onlines, exits := 0, 0
			var code, signal any
			primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
				w := forkScenario(t, "dc-infinite-loop", nil)
				w.On("online", func() { onlines++; tc.kill(w) })
				w.On("exit", func(c, s any) { exits++; code, signal = c, s })
			})
			require.Equal(t, 1, onlines)
			require.Equal(t, 1, exits)
			require.Nil(t, code)
			require.Equal(t, "SIGTERM", signal)
		})
	}
}

// primaryKillScenario: fork one worker, report its pid, exit 0 one second
// after it listens.
func primaryKillScenario() {
	w, err := cluster.Fork(map[string]string{envWorker: "dc-listen-host"})
	if err != nil {
		panic(err)
	}
	printJSON(map[string]any{"pid": w.Process.GetPid()})
	listenings := 0
	w.Once("listening", func(cluster.Address) {
		listenings++
		uv.Default().SetTimeout(time.Second, func() {
			printJSON(map[string]any{"listenings": listenings})
			process.Get().Exit(0)
		})
	})
}

// TestClusterPrimaryKill: a primary that exits leaves no worker behind:
// the worker's channel closes while exitedAfterDisconnect is unset, and
// it exits.
//
// Mirrors test/parallel/test-cluster-primary-kill.js
func TestClusterPrimaryKill(t *testing.T) {
	lines, code, signal := runPrimaryProcess(t, "dc-primary-kill", nil, 30*time.Second)
	require.Equal(t, 0, code, "the primary died on purpose")
	require.Empty(t, signal)
	require.Len(t, lines, 2)
	var first struct{ Pid int }
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.Positive(t, first.Pid, "got %q instead of a worker pid", lines[0])
	require.JSONEq(t, `{"listenings":1}`, lines[1])
	waitPidsGone(t, []int{first.Pid}, 10*time.Second)
}

// primaryErrorScenario: fork two workers, report their pids on "fork",
// and throw on the next tick once both listen.
func primaryErrorScenario() {
	const totalWorkers = 2
	forks := 0
	var forkL *events.Listener
	forkL = cluster.On("fork", func(w *cluster.Worker) {
		printJSON(map[string]any{"cmd": "worker", "workerPID": w.Process.GetPid()})
		if forks++; forks == totalWorkers {
			cluster.RemoveListener(forkL)
		}
	})
	listenings := 0
	var listenL *events.Listener
	listenL = cluster.On("listening", func(*cluster.Worker, cluster.Address) {
		if listenings++; listenings == totalWorkers {
			cluster.RemoveListener(listenL)
			uv.Default().NextTick(func() { panic(errors.New("accidental error")) })
		}
	})
	for i := 0; i < totalWorkers; i++ {
		if _, err := cluster.Fork(map[string]string{envWorker: "dc-listen-host"}); err != nil {
			panic(err)
		}
	}
}

// TestClusterPrimaryError: a primary that throws exits with code 1, and
// its workers die with it.
//
// Mirrors test/parallel/test-cluster-primary-error.js
func TestClusterPrimaryError(t *testing.T) {
	lines, code, signal := runPrimaryProcess(t, "dc-primary-error", nil, 30*time.Second)
	require.Equal(t, 1, code, "the cluster died accidentally")
	require.Empty(t, signal)
	var pids []int
	for _, l := range lines {
		var m struct {
			Cmd       string
			WorkerPID int
		}
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		require.Equal(t, "worker", m.Cmd)
		pids = append(pids, m.WorkerPID)
	}
	require.Len(t, pids, 2)
	waitPidsGone(t, pids, 10*time.Second)
}

// TestClusterDisconnect: 8 workers × 2 servers on 127.0.0.1:0: every
// worker reports exactly 2 "listening"; all workers share each server, so
// the cycle sees exactly 2 distinct ports; both answer "echo";
// cluster.disconnect(cb) calls cb once; a second full cycle works too.
//
// Mirrors test/parallel/test-cluster-disconnect.js
func TestClusterDisconnect(t *testing.T) {
	const workers, servers = 8, 2
	var starts, tests, disconnects int
	var portsPerCycle []int
	primaryRun(t, 60*time.Second, func(fail func(string, ...any)) {
		l := uv.Default()
		serverPorts := map[int]bool{}

		// Test both servers created in the cluster.
		testCluster := func(cb func()) {
			done := 0
			for port := range serverPorts {
				c := &client{port: port, loop: l, done: func(reply string, err error) {
					if err != nil || reply != "echo" {
						fail("port %d: reply %q, error %v", port, reply, err)
						return
					}
					delete(serverPorts, port)
					if done++; done == servers {
						cb()
					}
				}}
				l.Ref()
				go c.run()
			}
		}
		// Start the workers; cb once every worker listens on both.
		startCluster := func(cb func()) {
			online := 0
			for i := 0; i < workers; i++ {
				w := forkScenario(t, "dc-two-servers", nil)
				listenings := 0
				w.On("listening", func(a cluster.Address) {
					serverPorts[a.Port] = true
					if listenings++; listenings > servers {
						fail("worker %d: %d listening events, want %d", w.ID, listenings, servers)
					}
					if online++; online == workers*servers {
						cb()
					}
				})
			}
		}
		var test func(again bool)
		test = func(again bool) {
			startCluster(func() {
				starts++
				portsPerCycle = append(portsPerCycle, len(serverPorts))
				if len(serverPorts) != servers {
					fail("%d distinct ports, want %d", len(serverPorts), servers)
					return
				}
				testCluster(func() {
					tests++
					called := 0
					cluster.Disconnect(func() {
						if called++; called > 1 {
							fail("disconnect callback called twice")
						}
						disconnects++
						if again {
							test(false)
						}
					})
				})
			})
		}
		test(true)
	})
	require.Equal(t, 2, starts)
	require.Equal(t, 2, tests)
	require.Equal(t, 2, disconnects)
	require.Equal(t, []int{servers, servers}, portsPerCycle)
}

// TestClusterDisconnectIdleWorker: cluster.disconnect(cb) right after two
// forks calls cb, and by then cluster.workers is empty.
//
// Mirrors test/parallel/test-cluster-disconnect-idle-worker.js
func TestClusterDisconnectIdleWorker(t *testing.T) {
	calls := 0
	var left []int
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		fork := cluster.Fork // called as a plain function, as Node's test does
		for i := 0; i < 2; i++ {
			if _, err := fork(map[string]string{envWorker: "dc-idle"}); err != nil {
				fail("fork: %v", err)
			}
		}
		cluster.Disconnect(func() {
			calls++
			left = []int{}
			for id := range cluster.Workers() {
				left = append(left, id)
			}
		})
	})
	require.Equal(t, 1, calls)
	require.Equal(t, []int{}, left)
}

// TestClusterDisconnectWithNoWorkers: with no workers, cluster.disconnect(cb)
// calls cb later, never synchronously, and before the process ends.
//
// Mirrors test/parallel/test-cluster-disconnect-with-no-workers.js
func TestClusterDisconnectWithNoWorkers(t *testing.T) {
	disconnected := false
	var sync bool
	primaryRun(t, 10*time.Second, func(fail func(string, ...any)) {
		cluster.Disconnect(func() { disconnected = true })
		// The callback is not sometimes synchronous.
		sync = disconnected
	})
	require.False(t, sync, "the callback ran synchronously")
	require.True(t, disconnected, "the callback never ran")
}

// TestClusterConcurrentDisconnect: availableParallelism() workers; when
// the last one is online every worker is told to disconnect() or
// destroy() itself (Node picks the verb from that last worker's index;
// the subtests also force each verb), and every worker "disconnect" tells
// the still-connected workers to disconnect, so the calls overlap. Every
// worker exits (0, null), with one "disconnect" and one "exit"; the only
// worker "error" allowed is a write failing with EPIPE or ECONNRESET.
//
// Mirrors test/parallel/test-cluster-concurrent-disconnect.js
func TestClusterConcurrentDisconnect(t *testing.T) {
	for _, force := range []string{"", "disconnect", "destroy"} {
		name := "as-node"
		if force != "" {
			name = force
		}
		t.Run(name, func(t *testing.T) {
			numCPUs := runtime.NumCPU()
			disconnects := make([]int, numCPUs)
			exits := make([]int, numCPUs)
			onlines := make([]int, numCPUs)
			var bad []string
			var verb string
			primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
				ws := make([]*cluster.Worker, numCPUs)
				waitOnline := numCPUs
				for i := 0; i < numCPUs; i++ {
					w := forkScenario(t, "dc-verb", nil)
					ws[i] = w
					w.Once("online", func() {
						onlines[i]++
						if waitOnline--; waitOnline == 0 {
							verb = "destroy"
							if i%2 == 1 {
								verb = "disconnect"
							}
							if force != "" {
								verb = force
							}
							for _, x := range ws {
								if x.IsConnected() {
									x.Send(verb, nil, nil)
								}
							}
						}
					})
					// The worker may be disconnecting while the primary
					// writes to it.
					w.On("error", func(err error) {
						var ee *childprocess.ErrnoError
						if !errors.As(err, &ee) || ee.Syscall != "write" || (ee.Code != "EPIPE" && ee.Code != "ECONNRESET") {
							bad = append(bad, fmt.Sprintf("worker %d: %#v", w.ID, err))
						}
					})
					w.Once("disconnect", func() {
						disconnects[i]++
						for _, x := range ws {
							if x.IsConnected() {
								x.Send("disconnect", nil, nil)
							}
						}
					})
					w.Once("exit", func(code, sig any) {
						exits[i]++
						if code != 0 || sig != nil {
							bad = append(bad, fmt.Sprintf("worker %d exit (%v, %v)", w.ID, code, sig))
						}
					})
				}
			})
			t.Logf("%d workers, verb %s", numCPUs, verb)
			require.Empty(t, bad)
			ones := make([]int, numCPUs)
			for i := range ones {
				ones[i] = 1
			}
			require.Equal(t, ones, onlines)
			require.Equal(t, ones, disconnects)
			require.Equal(t, ones, exits)
		})
	}
}

// leakResult is what the disconnect-race, disconnect-leak and
// shared-leak primaries print when their loop ends.
type leakResult struct {
	// Messages counts worker 1's message (disconnect-race) or its
	// "listening" (shared-leak): mustCall, once.
	Messages          int   `json:"messages"`
	ExitCodes         []any `json:"exitCodes"`
	ExitSignals       []any `json:"exitSignals"`
	WorkerDisconnects int   `json:"workerDisconnects"`
	WorkerExits       int   `json:"workerExits"`
	// Known: every cluster "exit" was for worker 1 or 2 (shared-leak).
	Known bool `json:"known"`
	// Leak is the Node assertion in removeWorker: the last worker was
	// removed while the primary still held handles.
	Leak    bool `json:"leak"`
	Handles int  `json:"handles"`
	Policy  int  `json:"policy"`
}

// checkLeak is removeWorker's "Resource leak detected" assertion (the
// port prints a warning where Node throws), checked after every call and
// event that can remove the last worker.
func (r *leakResult) checkLeak() {
	if len(cluster.Workers()) == 0 && master.HandleCount() != 0 {
		r.Leak = true
	}
}

func (r *leakResult) printAtExit() {
	process.Get().On("exit", func(any) {
		r.Handles = master.HandleCount()
		r.Policy = cluster.SchedulingPolicy()
		printJSON(r)
	})
}

// disconnectRaceScenario: once worker 1 listens, fork worker 2 and
// disconnect worker 1; disconnect worker 2 as soon as it is online.
func disconnectRaceScenario() {
	r := &leakResult{ExitCodes: []any{}, ExitSignals: []any{}}
	r.printAtExit()
	w1, err := cluster.Fork(map[string]string{envWorker: "dc-listen-send"})
	if err != nil {
		panic(err)
	}
	w1.On("message", func(any) {
		r.Messages++
		w2, err := cluster.Fork(map[string]string{envWorker: "dc-listen-send"})
		if err != nil {
			panic(err)
		}
		w1.Disconnect()
		r.checkLeak()
		w2.On("online", func() { w2.Disconnect(); r.checkLeak() })
		w2.On("disconnect", r.checkLeak)
	})
	w1.On("disconnect", r.checkLeak)
	cluster.On("exit", func(w *cluster.Worker, code, sig any) {
		r.ExitCodes = append(r.ExitCodes, code)
		r.ExitSignals = append(r.ExitSignals, sig)
		r.checkLeak()
	})
}

// TestClusterDisconnectRace: SCHED_NONE; worker 2 is disconnected as soon
// as it is online while worker 1 disconnects: both exit 0, and the
// primary is left with no handle (it ignores the queryServer of a worker
// already flagged exitedAfterDisconnect).
//
// Mirrors test/parallel/test-cluster-disconnect-race.js
func TestClusterDisconnectRace(t *testing.T) {
	r := runDisconnectScenario(t, "dc-disconnect-race")
	require.Equal(t, 1, r.Messages)
	require.Equal(t, []any{0.0, 0.0}, r.ExitCodes, "worker exited with an error code")
	require.False(t, r.Leak, "Resource leak detected")
	require.Zero(t, r.Handles)
}

// runDisconnectScenario runs a SCHED_NONE primary scenario that prints one
// leakResult, and returns it.
func runDisconnectScenario(t *testing.T, name string) leakResult {
	t.Helper()
	lines, code, signal := runPrimaryProcess(t, name, map[string]string{"NODE_CLUSTER_SCHED_POLICY": "none"}, 30*time.Second)
	require.Equal(t, 0, code, "the primary failed")
	require.Empty(t, signal)
	require.Len(t, lines, 1)
	var r leakResult
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &r))
	require.Equal(t, cluster.SCHED_NONE, r.Policy)
	return r
}

// disconnectLeakScenario: cluster.disconnect() right after the fork; the
// worker listens later.
func disconnectLeakScenario() {
	r := &leakResult{ExitCodes: []any{}, ExitSignals: []any{}}
	r.printAtExit()
	w, err := cluster.Fork(map[string]string{envWorker: "dc-listen0"})
	if err != nil {
		panic(err)
	}
	// The important part: "disconnect" fires.
	w.On("disconnect", func() { r.WorkerDisconnects++; r.checkLeak() })
	w.On("exit", func(any, any) { r.WorkerExits++ })
	cluster.On("exit", func(w *cluster.Worker, code, sig any) {
		r.ExitCodes = append(r.ExitCodes, code)
		r.ExitSignals = append(r.ExitSignals, sig)
		r.checkLeak()
	})
	cluster.Disconnect(nil)
	r.checkLeak()
}

// TestClusterDisconnectLeak: SCHED_NONE; a worker disconnected before it
// listens still gets its "disconnect" and "exit", and cluster "exit".
//
// Mirrors test/parallel/test-cluster-disconnect-leak.js
func TestClusterDisconnectLeak(t *testing.T) {
	r := runDisconnectScenario(t, "dc-disconnect-leak")
	require.Equal(t, 1, r.WorkerDisconnects)
	require.Equal(t, 1, r.WorkerExits)
	require.Len(t, r.ExitCodes, 1, "cluster 'exit' once")
	require.False(t, r.Leak, "Resource leak detected")
	require.Zero(t, r.Handles)
}

// sharedLeakScenario: worker 1 listens, worker 2 comes online, a client
// connects, both workers disconnect; the client is destroyed when the
// last worker exits.
func sharedLeakScenario() {
	r := &leakResult{ExitCodes: []any{}, ExitSignals: []any{}, Known: true}
	r.printAtExit()
	l := uv.Default()
	var conn stdnet.Conn
	w1, err := cluster.Fork(map[string]string{envWorker: "dc-bye"})
	if err != nil {
		panic(err)
	}
	var w2 *cluster.Worker
	w1.On("listening", func(a cluster.Address) {
		r.Messages++
		w2, err = cluster.Fork(map[string]string{envWorker: "dc-bye"})
		if err != nil {
			panic(err)
		}
		w2.On("online", func() {
			l.Ref() // the connection keeps the primary alive until destroyed
			d := &sharedLeakDialer{port: a.Port, loop: l, connected: func(c stdnet.Conn) {
				conn = c
				w1.Disconnect()
				w2.Disconnect()
				r.checkLeak()
			}}
			go d.run()
		})
	})
	cluster.On("exit", func(w *cluster.Worker, code, sig any) {
		r.Known = r.Known && (w == w1 || w == w2)
		r.ExitCodes = append(r.ExitCodes, code)
		r.ExitSignals = append(r.ExitSignals, sig)
		r.checkLeak()
		if len(cluster.Workers()) == 0 && conn != nil {
			conn.Close()
			conn = nil
			l.Unref()
		}
	})
}

// sharedLeakDialer connects to the workers' port off the loop and hands
// the connection to the loop (net.connect's connect callback).
type sharedLeakDialer struct {
	port      int
	loop      *uv.Loop
	connected func(stdnet.Conn)
}

func (d *sharedLeakDialer) run() {
	c, err := stdnet.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(d.port), 10*time.Second)
	d.loop.Post(func() {
		if err != nil {
			panic(err)
		}
		d.connected(c)
	})
}

// TestClusterSharedLeak: SCHED_NONE; with a connection open, both workers
// disconnect: every cluster "exit" is (0, null) for worker 1 or 2, and
// the primary does not assert (no handle left when the last one goes).
//
// Mirrors test/parallel/test-cluster-shared-leak.js
func TestClusterSharedLeak(t *testing.T) {
	r := runDisconnectScenario(t, "dc-shared-leak")
	require.Equal(t, 1, r.Messages)
	if d := cmp.Diff([]any{0.0, 0.0}, r.ExitCodes); d != "" {
		t.Errorf("exit codes (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]any{nil, nil}, r.ExitSignals); d != "" {
		t.Errorf("exit signals (-want +got):\n%s", d)
	}
	require.True(t, r.Known, "cluster 'exit' for a worker that is neither worker 1 nor 2")
	require.False(t, r.Leak, "Resource leak detected")
	require.Zero(t, r.Handles)
}
