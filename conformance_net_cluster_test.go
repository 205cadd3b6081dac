package nodecluster_test

// Node's net tests that fork cluster workers (their net side is in package
// net; these need a primary): ports shared with the primary beside a port
// a worker binds itself, a worker listening on a handle, received from
// the primary or made by the worker, and on a descriptor of the primary's
// ({fd: 3}). Scenarios are named "nc-...".

import (
	"bufio"
	"context"
	"fmt"
	"io"
	stdnet "net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/internal/freeport"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func init() {
	// test-listen-fd-cluster.js's worker: an HTTP server on {fd: 3}, a
	// descriptor of the primary's (the worker only names it); "worker
	// ready" once it listens.
	workerScenarios["nc-listen-fd"] = func() {
		mux := http.NewServeMux()
		mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) { io.WriteString(rw, "hello from worker\n") })
		srv := net.CreateServer(nil)
		net.ServeHTTP(srv, &http.Server{Handler: mux}, nil)
		srv.Listen(net.ListenOptions{Fd: 3}, func() { process.Get().Send("worker ready", nil, nil) })
	}
	// test-listen-fd-cluster.js's master: started with a listening socket
	// as its fd 3, it forks the worker and prints "started worker" once
	// the worker is ready; it exits when its parent kills it.
	primaryScenarios["nc-listen-fd"] = func() {
		lsSetupPrimary()
		w := lsFork("nc-listen-fd", nil)
		w.On("message", func(msg any) {
			if msg == "worker ready" {
				fmt.Println("started worker")
			}
		})
	}
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

// TestNetListenSharedPorts: the first worker listens on a port through the
// primary and binds the next port itself; the second worker shares the
// first port and gets EADDRINUSE for the second.
//
// Mirrors test/parallel/test-net-listen-shared-ports.js
func TestNetListenSharedPorts(t *testing.T) {
	port := freeport.Pair(t)
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

// TestListenFdCluster: a listening socket bound by this process is the
// primary's fd 3, and this process closes its own copy; the primary's
// worker listens on {fd: 3}, so the primary serves through it (under both
// policies) and the worker answers an HTTP request on that port. Killing
// the primary ends the worker too (its channel closes).
//
// Mirrors test/parallel/test-listen-fd-cluster.js
func TestListenFdCluster(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	for _, policy := range []string{"rr", "none"} {
		t.Run(policy, func(t *testing.T) {
			ln, err := stdnet.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			port := ln.Addr().(*stdnet.TCPAddr).Port
			f, err := ln.(*stdnet.TCPListener).File()
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := primaryCommand(ctx, exe, "nc-listen-fd", map[string]string{"NODE_CLUSTER_SCHED_POLICY": policy})
			cmd.ExtraFiles = []*os.File{f} // the primary's fd 3
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			// Only the primary holds the socket now.
			f.Close()
			ln.Close()
			sc := bufio.NewScanner(stdout)
			require.True(t, sc.Scan(), "the primary ended before its worker was ready")
			require.Equal(t, "started worker", sc.Text())

			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			res, err := client.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
			require.NoError(t, err)
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err)
			require.Equal(t, 200, res.StatusCode)
			require.Equal(t, "hello from worker\n", string(body))

			pgid := cmd.Process.Pid
			require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			cmd.Wait()
			require.NoError(t, ctx.Err(), "the primary did not end after SIGTERM")
			ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
			require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGTERM, "primary: %v", cmd.ProcessState)
			// The worker follows: its channel closed.
			deadline := time.Now().Add(10 * time.Second)
			for syscall.Kill(-pgid, 0) == nil {
				require.True(t, time.Now().Before(deadline), "the worker outlived its killed primary by 10s")
				time.Sleep(20 * time.Millisecond) // polling for a process to vanish; nothing to wait on
			}
		})
	}
}
