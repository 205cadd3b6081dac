package nodecluster_test

// Node's net tests that fork cluster workers (their net side is in package
// net; these need a primary): ports shared with the primary beside a port
// a worker binds itself, and a worker listening on a handle, received from
// the primary or made by the worker. Worker scenarios are named "nc-...".

import (
	"fmt"
	stdnet "net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func init() {
	// test-net-listen-shared-ports.js: server1 on localhost:PORT, through
	// the primary (exclusive false), then server2 on PORT+1 bound by the
	// worker itself (exclusive true); "success" once both listen, else
	// "server1:<code>" or "server2:<code>".
	workerScenarios["nc-shared-ports"] = func() {
		port, _ := strconv.Atoi(os.Getenv("PORT"))
		noop := func(*net.Socket) {}
		server1, server2 := net.CreateServer(noop), net.CreateServer(noop)
		p := process.Get()
		server1.On("error", func(err error) { p.Send("server1:"+lsCode(err), nil, nil) })
		server2.On("error", func(err error) { p.Send("server2:"+lsCode(err), nil, nil) })
		server1.Listen(net.ListenOptions{Host: "localhost", Port: port, Exclusive: false}, func() {
			server2.Listen(net.ListenOptions{Port: port + 1, Exclusive: true}, func() {
				p.Send("success", nil, nil)
			})
		})
	}
	// test-net-listen-handle-in-cluster-1.js: the primary sends a
	// listening server; the worker gets a net.Server (exit 0), or says
	// what it got (exit 1).
	workerScenarios["nc-server-handle"] = func() {
		p := process.Get()
		p.On("message", func(_ any, handle any) {
			if _, ok := handle.(*net.Server); ok {
				p.Exit(0)
				return
			}
			p.Send(fmt.Sprintf("got %T", handle), nil, func(error) { p.Exit(1) })
		})
	}
	// test-net-listen-handle-in-cluster-2.js: the worker makes a TCP
	// handle, binds it to 0.0.0.0:0 and listens on it; exit 0 from the
	// listen callback (2: bind failed, 3: Listen returned an error).
	workerScenarios["nc-own-handle"] = func() {
		handle, err := uv.NewTCP(uv.Default(), unix.AF_INET)
		if err == nil {
			err = handle.Bind("0.0.0.0", 0)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bind:", err)
			os.Exit(2)
		}
		if err := net.CreateServer(nil).Listen(handle, func() { process.Get().Exit(0) }); err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			os.Exit(3)
		}
	}
}

// freePortPair finds a port p with p+1 free too (as common.PORT and
// common.PORT + 1 are in Node's test suite).
func freePortPair(t *testing.T) int {
	t.Helper()
	for i := 0; i < 50; i++ {
		l1, err := stdnet.Listen("tcp", ":0")
		require.NoError(t, err)
		p := l1.Addr().(*stdnet.TCPAddr).Port
		l2, err := stdnet.Listen("tcp", ":"+strconv.Itoa(p+1))
		l1.Close()
		if err == nil {
			l2.Close()
			return p
		}
	}
	t.Fatal("no two free ports in a row in 50 tries")
	return 0
}

// countQueryServer counts the queryServer messages w sends the primary.
func countQueryServer(w *cluster.Worker, n *int) {
	w.Process.(*childprocess.ChildProcess).On("internalMessage", func(m any) {
		if a, _ := m.(*childprocess.Object).String("act"); a == "queryServer" {
			*n++
		}
	})
}

// TestNetListenSharedPorts: the first worker listens on a port through the
// primary and binds the next port itself; the second worker shares the
// first port and gets EADDRINUSE for the second.
//
// Mirrors test/parallel/test-net-listen-shared-ports.js
func TestNetListenSharedPorts(t *testing.T) {
	port := freePortPair(t)
	env := map[string]string{"PORT": strconv.Itoa(port)}
	var msgs []any
	var queries int
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		worker1 := forkScenario(t, "nc-shared-ports", env)
		countQueryServer(worker1, &queries)
		worker1.On("message", func(msg any) {
			msgs = append(msgs, msg)
			if msg != "success" {
				fail("first worker: %v", msg)
				return
			}
			worker2 := forkScenario(t, "nc-shared-ports", env)
			countQueryServer(worker2, &queries)
			worker2.On("message", func(msg any) {
				msgs = append(msgs, msg)
				worker1.Kill("")
				worker2.Kill("")
			})
		})
	})
	if d := cmp.Diff([]any{"success", "server2:EADDRINUSE"}, msgs); d != "" {
		t.Errorf("messages (-node +port):\n%s", d)
	}
	require.Equal(t, 2, queries, "one queryServer per worker, for server1 only: server2 is exclusive")
}

// TestNetListenHandleInCluster1: the primary sends its listening server to
// a worker, which receives a net.Server (listening on the handle) and
// exits 0; the primary then closes its server.
//
// Mirrors test/parallel/test-net-listen-handle-in-cluster-1.js
func TestNetListenHandleInCluster1(t *testing.T) {
	var exits []string
	var msgs []any
	var closed bool
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "nc-server-handle", nil)
		server := net.CreateServer(nil)
		w.On("online", func() {
			server.Listen(func() { w.Send(nil, server, nil) })
		})
		w.On("message", func(m any) { msgs = append(msgs, m) })
		w.On("exit", func(code, signal any) {
			exits = append(exits, fmt.Sprintf("%v %v", code, signal))
			server.Close(func(error) { closed = true })
		})
	})
	require.Empty(t, msgs, "the worker's message event did not receive a net.Server")
	if d := cmp.Diff([]string{"0 <nil>"}, exits); d != "" {
		t.Errorf("exit (-node +port):\n%s", d)
	}
	require.True(t, closed, "the primary's server did not close")
}

// TestNetListenHandleInCluster2: a worker listens on a TCP handle it bound
// itself: the listen calls back without asking the primary (listenInCluster
// with exclusive true, as for every handle), and the worker exits 0.
//
// Mirrors test/parallel/test-net-listen-handle-in-cluster-2.js
func TestNetListenHandleInCluster2(t *testing.T) {
	var exits []string
	var queries int
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "nc-own-handle", nil)
		countQueryServer(w, &queries)
		w.On("exit", func(code, signal any) { exits = append(exits, fmt.Sprintf("%v %v", code, signal)) })
	})
	if d := cmp.Diff([]string{"0 <nil>"}, exits); d != "" {
		t.Errorf("exit (-node +port):\n%s", d)
	}
	require.Zero(t, queries, "a listen on a handle must not ask the primary")
}
