package nodecluster_test

// A worker's Listener closed by Go code (http.Server.Shutdown or Close
// calls Listener.Close) at an awkward moment: no connection is left
// stranded in it, and no listen completes after it.

import (
	"context"
	"fmt"
	"io"
	stdnet "net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/freeport"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	// lc-close-taking: the Listener is closed while a connection the
	// loop took is on its way to it (a second "connection" listener
	// closes it and waits until Accept has returned): the connection
	// comes to a Listener nobody accepts from any more.
	workerScenarios["lc-close-taking"] = func() {
		p := process.Get()
		srv := net.CreateServer(nil)
		l := net.NewListener(srv)
		acceptDone := make(chan struct{})
		go acceptUntilClosed(l, acceptDone)
		srv.On("connection", func(*net.Socket) {
			l.Close()
			<-acceptDone // blocks the loop: the Listener takes the socket on the next tick
		})
		srv.Listen(0, "127.0.0.1", func() {
			p.Send(cluster.NewObject("port", srv.AddressPort()), nil, nil)
		})
	}
	// lc-shutdown-listening: http.Server.Shutdown while the listen waits
	// for the primary's answer (or just after it came); then, 300 ms on,
	// whether the server listens.
	workerScenarios["lc-shutdown-listening"] = func() {
		p := process.Get()
		srv := net.CreateServer(nil)
		hs := &http.Server{Handler: http.NotFoundHandler()}
		net.ServeHTTP(srv, hs, nil)
		port, _ := strconv.Atoi(os.Getenv("PORT"))
		srv.Listen(port, "127.0.0.1")
		go shutdownThenReport(hs, func() {
			cluster.SetTimeout(300*time.Millisecond, func() { // to show that no listen completes
				p.Send(cluster.NewObject("listening", srv.Listening()), nil, nil)
			})
		})
	}
}

func acceptUntilClosed(l *net.Listener, done chan<- struct{}) {
	for {
		c, err := l.Accept()
		if err != nil {
			close(done)
			return
		}
		go func() {
			io.WriteString(c, "served")
			c.Close()
		}()
	}
}

func shutdownThenReport(hs *http.Server, report func()) {
	hs.Shutdown(context.Background())
	cluster.Post(report)
}

// readWithin dials addr and reads to the end: what it read, "refused",
// or "hung" when the connection is still open after d (a connection
// nobody serves or closes).
func readWithin(addr string, d time.Duration) string {
	c, err := stdnet.DialTimeout("tcp", addr, d)
	if err != nil {
		return "refused"
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(d))
	b, err := io.ReadAll(c)
	if ne, ok := err.(stdnet.Error); ok && ne.Timeout() {
		return "hung"
	}
	return fmt.Sprintf("read %q", b)
}

// readThenDisconnect reads from addr off the loop, prints what it got,
// then disconnects w.
func readThenDisconnect(w *cluster.Worker, addr string) {
	got := readWithin(addr, 5*time.Second)
	cluster.Post(func() {
		lcOut("client %s", got)
		w.Disconnect()
		// A worker that does not leave is killed, and says so.
		t := cluster.SetTimeout(5*time.Second, func() { lcOut("worker still there"); w.Kill("SIGKILL") })
		t.Unref()
	})
}

func init() {
	primaryScenarios["lc-close-taking"] = func() {
		w, err := cluster.Fork(map[string]string{envWorker: "lc-close-taking"})
		if err != nil {
			panic(err)
		}
		w.On("message", func(m *cluster.Object) {
			cluster.Ref()
			go func() {
				readThenDisconnect(w, "127.0.0.1:"+strconv.Itoa(m.Int("port", 0)))
				cluster.Post(cluster.Unref)
			}()
		})
		w.On("exit", func(code, sig any) { lcOut("exit %v %v", code, sig) })
	}
	primaryScenarios["lc-shutdown-listening"] = func() {
		port := os.Getenv("PORT")
		w, err := cluster.Fork(map[string]string{envWorker: "lc-shutdown-listening", "PORT": port})
		if err != nil {
			panic(err)
		}
		w.On("message", func(m *cluster.Object) {
			lcOut("worker %s", m.JSONString())
			cluster.Ref()
			go func() {
				readThenDisconnect(w, "127.0.0.1:"+port)
				cluster.Post(cluster.Unref)
			}()
		})
		w.On("exit", func(code, sig any) { lcOut("exit %v %v", code, sig) })
	}
}

// TestListenerClosedWhileTakingAConnection: a connection that reaches the
// Listener after Accept returned ErrListenerClosed is closed (the client
// reads the end, as for a connection left in a closed listener's
// backlog), and the worker leaves when disconnected, under both policies.
// Before, it waited in the Listener for good: the client hung, and the
// worker stayed.
func TestListenerClosedWhileTakingAConnection(t *testing.T) {
	for _, policy := range []string{"rr", "none"} {
		t.Run(policy, func(t *testing.T) {
			lines, code, _ := runPrimaryProcess(t, "lc-close-taking", map[string]string{"NODE_CLUSTER_SCHED_POLICY": policy}, 30*time.Second)
			require.Equal(t, 0, code)
			require.Equal(t, []string{`client read ""`, "exit 0 <nil>"}, lcLines(lines))
		})
	}
}

// TestShutdownBeforeListenCompletes: http.Server.Shutdown in a worker
// whose listen still waits for the primary's answer: the server does not
// listen when the answer comes (as after Server.Close), a client finds
// nobody, and the worker leaves when disconnected, under both policies.
// Before, under round-robin, the server listened anyway, and the
// connections the primary handed it were never served.
func TestShutdownBeforeListenCompletes(t *testing.T) {
	for _, policy := range []string{"rr", "none"} {
		t.Run(policy, func(t *testing.T) {
			port := freeport.Get(t)
			lines, code, _ := runPrimaryProcess(t, "lc-shutdown-listening", map[string]string{"NODE_CLUSTER_SCHED_POLICY": policy, "PORT": strconv.Itoa(port)}, 30*time.Second)
			require.Equal(t, 0, code)
			got := lcLines(lines)
			require.Len(t, got, 3, "%q", got)
			require.Equal(t, `worker {"listening":false}`, got[0])
			require.Contains(t, []string{"client refused", `client read ""`}, got[1], "nobody serves")
			require.Equal(t, "exit 0 <nil>", got[2])
		})
	}
}
