package nodecluster_test

// The primary under pressure: a channel with much waiting to be written,
// a process out of descriptors.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func init() {
	// busy-channel: serves "served" on every connection; on "block" it
	// answers "blocked" and keeps its loop busy for 300 ms, so that what
	// the primary sends meanwhile waits in the primary.
	workerScenarios["busy-channel"] = func() {
		p := process.Get()
		srv := net.CreateServer(func(s *net.Socket) { s.End([]byte("served")) })
		srv.Listen(0, "127.0.0.1")
		p.On("message", func(m any) {
			if m == "block" {
				p.Send("blocked", nil, nil)
				time.Sleep(300 * time.Millisecond) // a worker busy with something else
			}
		})
	}
	// fd-exhaust: the process uses up its descriptors, then sleeps (a Go
	// timer), then says it is alive.
	primaryScenarios["fd-exhaust"] = func() {
		unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: 64, Max: 64})
		var fds []int
		for {
			fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				break
			}
			fds = append(fds, fd)
		}
		time.Sleep(time.Millisecond)
		for _, fd := range fds {
			unix.Close(fd)
		}
		lcOut("alive after %d descriptors", len(fds))
	}
}

// TestHandoffBehindAFullChannel: a connection handed to a worker while
// much waits to be written on its channel (a 1 MB message the busy worker
// has not read) is served: a send that answers false on a connected
// channel went out (Node's backpressure). Before, the round-robin handle
// took that false for a closed channel, queued the connection again and
// forgot the handoff: the client hung.
func TestHandoffBehindAFullChannel(t *testing.T) {
	var got string
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "busy-channel", nil)
		var port int
		w.On("listening", func(a cluster.Address) { port = a.Port; w.Send("block", nil, nil) })
		w.On("message", func(m any) {
			if m != "blocked" {
				return
			}
			w.Send(strings.Repeat("x", 1<<20), nil, nil)
			cluster.Ref()
			go func() {
				s := readWithin("127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
				cluster.Post(func() { cluster.Unref(); got = s; w.Disconnect() })
			}()
		})
	})
	require.Equal(t, `read "served"`, got)
}

// TestOutOfDescriptorsTimerDoesNotKill: a process that has used up its
// descriptors can still arm a Go timer. The Go runtime sets its poller
// up at the first timer; set up that late it needs two descriptors, and
// without them the runtime dies ("fatal error: runtime: eventfd
// failed"). The loop has it set up at start.
func TestOutOfDescriptorsTimerDoesNotKill(t *testing.T) {
	lines, code, _ := runPrimaryProcess(t, "fd-exhaust", nil, 30*time.Second)
	require.Equal(t, 0, code)
	got := lcLines(lines)
	require.Len(t, got, 1)
	require.Contains(t, got[0], "alive after")
}

func init() {
	// nack-worker: serves its id on every connection; with FULL=1 it uses
	// up its descriptors once it listens (a descriptor handed over then
	// cannot arrive: its recvmsg truncates, and it NACKs) and says "full".
	workerScenarios["nack-worker"] = func() {
		p := process.Get()
		w := cluster.CurrentWorker()
		srv := net.CreateServer(func(s *net.Socket) { s.End([]byte("worker " + strconv.Itoa(w.ID))) })
		srv.Listen(0, "127.0.0.1", func() {
			if os.Getenv("FULL") == "1" {
				for {
					if _, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
						break
					}
				}
				p.Send("full", nil, nil)
			}
		})
	}
}

// TestNackedHandoffGoesToAnotherWorker: a worker out of descriptors NACKs
// the newconns handed to it (their descriptors cannot arrive); each of
// those connections goes to the other worker, and every client is
// served. In Node v20 the NACK is lost: the connection waits in the
// primary for good, and that worker gets no other.
func TestNackedHandoffGoesToAnotherWorker(t *testing.T) {
	var got []string
	var okID int
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		full := forkScenario(t, "nack-worker", map[string]string{"FULL": "1"})
		ok := forkScenario(t, "nack-worker", nil)
		okID = ok.ID
		var port, listening int
		ready := func() {
			if listening < 3 {
				return
			}
			cluster.Ref()
			go func() {
				var seen []string
				for range 4 {
					seen = append(seen, readWithin("127.0.0.1:"+strconv.Itoa(port), 5*time.Second))
				}
				cluster.Post(func() {
					cluster.Unref()
					got = seen
					full.Kill("SIGKILL")
					ok.Disconnect()
				})
			}()
		}
		for _, w := range []*cluster.Worker{full, ok} {
			w.On("listening", func(a cluster.Address) { port = a.Port; listening++; ready() })
		}
		full.On("message", func(m any) {
			if m == "full" {
				listening++
				ready()
			}
		})
	})
	want := []string{}
	for range 4 {
		want = append(want, fmt.Sprintf("read %q", "worker "+strconv.Itoa(okID)))
	}
	require.Equal(t, want, got)
}
