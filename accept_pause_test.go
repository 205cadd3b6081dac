package nodecluster_test

import (
	"fmt"
	"io"
	stdnet "net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

const (
	envStall    = "NODECLUSTER_TEST_STALL_MS"
	envListenFd = "NODECLUSTER_TEST_LISTEN_FD"
)

func init() {
	// stall-worker blocks its loop on its first connection for the time
	// the test gives (as synchronous JavaScript blocks a Node worker),
	// then answers every connection with "hi" and ends it. It listens on
	// 127.0.0.1, port 0, or on the primary's descriptor the test gives.
	workerScenarios["stall-worker"] = func() {
		stall, _ := strconv.Atoi(os.Getenv(envStall))
		first := true
		server := net.CreateServer(func(c *net.Socket) {
			if first {
				first = false
				time.Sleep(time.Duration(stall) * time.Millisecond)
			}
			c.End([]byte("hi"))
		})
		if fd, err := strconv.Atoi(os.Getenv(envListenFd)); err == nil {
			server.Listen(net.ListenOptions{Fd: fd}) // the primary's descriptor
			return
		}
		server.Listen(0, "127.0.0.1")
	}
}

// burst dials n clients, one every gap, each reading its answer to the
// end, and posts what they met to the loop.
type burst struct {
	port int
	n    int
	gap  time.Duration
	done func(replies map[string]int, slowest time.Duration, slow int)
}

func (b *burst) run() {
	var mu sync.Mutex
	replies := map[string]int{}
	var connects []time.Duration
	var wg sync.WaitGroup
	next := time.Now()
	for i := 0; i < b.n; i++ {
		time.Sleep(time.Until(next))
		next = next.Add(b.gap)
		wg.Add(1)
		go b.client(&wg, &mu, replies, &connects)
	}
	wg.Wait()
	slices.Sort(connects)
	slow := 0
	for _, d := range connects {
		if d >= 900*time.Millisecond {
			slow++
		}
	}
	l := uv.Default()
	l.Post(func() {
		l.Unref()
		b.done(replies, connects[len(connects)-1], slow)
	})
}

// client is one of the burst's clients: its connect's duration, and its
// answer (or its error) counted.
func (b *burst) client(wg *sync.WaitGroup, mu *sync.Mutex, replies map[string]int, connects *[]time.Duration) {
	defer wg.Done()
	start := time.Now()
	conn, err := stdnet.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(b.port), 20*time.Second)
	took := time.Since(start)
	reply := ""
	if err != nil {
		reply = "dial: " + err.Error()
	} else {
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		got, err := io.ReadAll(conn)
		reply = string(got)
		if err != nil {
			reply = fmt.Sprintf("%q then %v", got, err)
		}
		conn.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	replies[reply]++
	*connects = append(*connects, took)
}

// TestRoundRobinBurstWhileWorkersStall: both workers block their loops on
// their first connection (a second), and 700 clients connect meanwhile
// (one every 0.5 ms), more than the listening socket's queue holds (Node's
// backlog, 511). Node's primary accepts them all as they come, into its
// round-robin queue; the
// port's pauses its listening socket while no worker is free, and must
// poll it again as the queue fills (uv.Stream.PauseAccept), or the kernel
// drops the SYNs past the queue's end and those clients connect only when
// they send their SYN again, a second later. Every client gets its answer,
// and none waits for a second SYN; the same with the pause turned off
// (eager-accept, Node's way).
func TestRoundRobinBurstWhileWorkersStall(t *testing.T) {
	for _, eager := range []bool{false, true} {
		t.Run(fmt.Sprintf("eager-accept=%v", eager), func(t *testing.T) {
			defer func(v bool) { uv.ReproduceEagerAccept = v }(uv.ReproduceEagerAccept)
			uv.ReproduceEagerAccept = eager
			const clients = 700
			var replies map[string]int
			var slowest time.Duration
			slow := -1
			primaryRun(t, 60*time.Second, func(fail func(string, ...any)) {
				var ws []*cluster.Worker
				listening := 0
				for i := 0; i < 2; i++ {
					w := forkScenario(t, "stall-worker", map[string]string{envStall: "1000"})
					ws = append(ws, w)
					w.On("listening", func(a cluster.Address) {
						if listening++; listening < 2 {
							return
						}
						b := &burst{port: a.Port, n: clients, gap: 500 * time.Microsecond, done: func(r map[string]int, s time.Duration, n int) {
							replies, slowest, slow = r, s, n
							for _, w := range ws {
								w.Disconnect()
							}
						}}
						uv.Default().Ref()
						go b.run()
					})
				}
			})
			require.Equal(t, map[string]int{"hi": clients}, replies, "every client gets its answer")
			require.Zero(t, slow, "clients whose connect took 900 ms or more (a SYN dropped and sent again); the slowest took %v", slowest)
		})
	}
}

// acceptQueue reads how many connections wait in the accept queue of the
// socket listening on 127.0.0.1:port, from ss (Recv-Q of a listening
// socket).
func acceptQueue(port int) (int, error) {
	f, err := ssListening(port)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(f[1])
}

// TestRoundRobinLeavesConnectionsInTheQueueWhileNoWorkerIsFree: with its
// one worker stalled on its first connection, the primary hands it the
// second (the worker answered the first before its "connection" listener
// ran, as a Node worker does) and leaves the next four in its listening
// socket's accept queue (uv.Stream.PauseAccept), to hand them over once
// the worker answers; with eager-accept it takes them at once into the
// round-robin handle's queue, as Node's primary does, and so it does with
// a socket the worker listens on by the primary's descriptor (another
// process may hold it, and closing a paused socket would take its queue).
// Either way every client gets its answer.
func TestRoundRobinLeavesConnectionsInTheQueueWhileNoWorkerIsFree(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss (iproute2) is not installed: the accept queue is read from its Recv-Q")
	}
	const clients = 6
	for _, tc := range []struct {
		name         string
		eager, byFd  bool
		wantInKernel int
	}{
		{"paused", false, false, clients - 2},
		{"eager-accept", true, false, 0},
		{"by-descriptor", false, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(v bool) { uv.ReproduceEagerAccept = v }(uv.ReproduceEagerAccept)
			uv.ReproduceEagerAccept = tc.eager
			env := map[string]string{envStall: "1500"}
			port := 0
			if tc.byFd {
				fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
				require.NoError(t, err)
				defer unix.Close(fd)
				require.NoError(t, unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
				require.NoError(t, unix.Listen(fd, 511))
				sa, err := unix.Getsockname(fd)
				require.NoError(t, err)
				port = sa.(*unix.SockaddrInet4).Port
				env[envListenFd] = strconv.Itoa(fd)
			}
			var replies map[string]int
			waiting, qerr := -1, error(nil)
			primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
				w := forkScenario(t, "stall-worker", env)
				w.On("listening", func(a cluster.Address) {
					if port == 0 {
						port = a.Port
					}
					b := &burst{port: port, n: clients, gap: time.Millisecond, done: func(r map[string]int, _ time.Duration, _ int) {
						replies = r
						w.Disconnect()
					}}
					uv.Default().Ref()
					go b.run()
					uv.Default().SetTimeout(700*time.Millisecond, func() { waiting, qerr = acceptQueue(port) })
				})
			})
			require.NoError(t, qerr)
			require.Equal(t, tc.wantInKernel, waiting, "connections in the accept queue while the worker stalls")
			require.Equal(t, map[string]int{"hi": clients}, replies, "every client gets its answer")
		})
	}
}
