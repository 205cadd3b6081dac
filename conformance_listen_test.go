package nodecluster_test

// Node's own cluster tests for listen forms, port 0, exclusive, pipes
// (conformance.md §3.3), listen errors (§3.4) and round-robin specifics
// (§3.5), ported as Go scenarios with the same assertions. Worker and
// primary scenarios are named "ls-...". Where Node asserts inside a worker
// (assert.strictEqual, mustCall, mustNotCall), the Go worker reports what
// it saw to the primary, or exits with a code of its own, and the test
// asserts there.

import (
	"bytes"
	"fmt"
	"io"
	stdnet "net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/freeport"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Exit codes the ls- worker scenarios use for Node's failed assertions.
const (
	lsExitListenCalled = 9  // a listen callback Node marks mustNotCall ran
	lsExitWrongError   = 10 // an 'error' with another code than the test expects
	lsExitNotThrown    = 11 // the uncaughtException handler never ran
	lsExitNotClosed    = 12 // a client connection the test expects closed stayed open
)

func init() {
	for name, fn := range lsWorkerScenarios {
		workerScenarios[name] = fn
	}
	for name, fn := range lsPrimaryScenarios {
		primaryScenarios[name] = fn
	}
}

var lsWorkerScenarios = map[string]func(){
	// test-cluster-listening-port.js: listen(0), connections fail.
	"ls-listen0": func() {
		net.CreateServer(lsMustNotConnect).Listen(0)
	},
	// test-cluster-net-listen.js: listen(process.exit), no port at all.
	"ls-listen-cb": func() {
		net.CreateServer(lsMustNotConnect).Listen(func() { process.Get().Exit(0) })
	},
	// test-cluster-child-index-net.js: two chains of listen(0) -> close ->
	// new server listen(0) -> close; exit(0) once all four listened.
	"ls-child-index": func() {
		const kTime = 2
		countdown := kTime * 2
		dec := func() {
			countdown--
			if countdown == 0 {
				process.Get().Exit(0)
			}
		}
		for i := 0; i < kTime; i++ {
			server := net.CreateServer(nil)
			server.Listen(0, func() {
				// JS: server.close(countdown.dec()) evaluates dec() first.
				dec()
				server.Close(nil)
				server2 := net.CreateServer(nil)
				server2.Listen(0, func() {
					dec()
					server2.Close(nil)
				})
			})
		}
	},
	// test-cluster-server-restart-{rr,none}.js: worker 2 listens, closes,
	// listens again on the same server object, closes, disconnects. The
	// test process's primary numbers workers across tests, so the second
	// worker is told by RESTARTER=1 rather than by cluster.worker.id === 2.
	"ls-server-restart": func() {
		server := net.CreateServer(nil)
		server.Listen(0, func() {
			if os.Getenv("RESTARTER") == "1" {
				server.Close(func(error) {
					server.Listen(0, func() {
						server.Close(func(error) { process.Get().Disconnect() })
					})
				})
			}
		})
	},
	// test-net-listen-exclusive-random-ports.js: listen({port:0,
	// exclusive:true}) and send the port (or the error code).
	"ls-exclusive": func() {
		server := net.CreateServer(func(*net.Socket) {})
		server.On("error", func(err error) { process.Get().Send(lsCode(err), nil, nil) })
		server.Listen(net.ListenOptions{Port: 0, Exclusive: true}, func() {
			process.Get().Send(server.Address().Port, nil, nil)
		})
	},
	// test-cluster-http-pipe.js: an HTTP server on $PIPE (through the
	// primary's round-robin), requested by this worker itself over the
	// socket path: a raw HTTP/1.0 exchange stands in for http.get.
	"ls-http-pipe": func() {
		pipe := os.Getenv("PIPE")
		var remote, local any = cluster.Undefined, cluster.Undefined
		server := net.CreateServer(func(c *net.Socket) {
			// req.connection.remoteAddress / localAddress.
			if a := c.RemoteAddress(); a != "" {
				remote = a
			}
			if a := c.Address(); a != nil {
				local = a.Address
			}
			var req []byte
			c.On("data", func(b []byte) {
				req = append(req, b...)
				if bytes.Contains(req, []byte("\r\n\r\n")) {
					c.End([]byte("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nOK"))
				}
			})
		})
		server.Listen(pipe, func() {
			l := uv.Default()
			l.Ref()
			r := &lsHTTPPipeGet{path: pipe, done: func(resp string, err error) {
				l.Unref()
				errText := any(cluster.Undefined)
				if err != nil {
					errText = err.Error()
				}
				process.Get().Send(cluster.NewObject("msg", "DONE", "response", resp, "error", errText,
					"remoteAddress", remote, "localAddress", local), nil, func(error) { process.Get().Exit(0) })
			}}
			go r.run()
		})
	},
	// test-cluster-listen-twice-same-port.js: a second listen({host,
	// port}) on the port the first server holds fails with EADDRINUSE
	// as a normal 'error'; then the first closes and the worker
	// disconnects.
	"ls-listen-twice": func() {
		port, _ := strconv.Atoi(os.Getenv("PORT"))
		listen := func(then func(*net.Server, error)) {
			server := net.CreateServer(nil)
			server.Once("error", func(err error) { then(nil, err) })
			server.Once("listening", func() { then(server, nil) })
			server.Listen(net.ListenOptions{Host: "127.0.0.1", Port: port})
		}
		listen(func(server1 *net.Server, err error) {
			if err != nil {
				lsReportAndExit(cluster.NewObject("first", lsCode(err)), lsExitWrongError)
				return
			}
			listen(func(server2 *net.Server, err error) {
				if err == nil {
					lsReportAndExit(cluster.NewObject("second", "listening"), lsExitListenCalled)
					return
				}
				process.Get().Send(cluster.NewObject("second", lsCode(err)), nil, nil)
				server1.Close(func(error) { cluster.CurrentWorker().Disconnect() })
			})
		})
	},
	// test-cluster-bind-twice.js, worker of cluster "one": listen on
	// $PORT, say READY, exit on QUIT.
	"ls-bind-twice-one": func() {
		server := net.CreateServer(lsMustNotConnect)
		server.Listen(os.Getenv("PORT"), func() { process.Get().Send("READY", nil, nil) })
		process.Get().On("message", func(m any) {
			if m == "QUIT" {
				process.Get().Exit(0)
			}
		})
	},
	// test-cluster-bind-twice.js, worker of cluster "two": on START
	// listen on $PORT, which cluster one holds; send the error code.
	"ls-bind-twice-two": func() {
		server := net.CreateServer(lsMustNotConnect)
		process.Get().On("message", func(m any) {
			if m == "QUIT" {
				process.Get().Exit(0)
			}
			if m != "START" {
				process.Get().Exit(lsExitWrongError)
			}
			server.Listen(os.Getenv("PORT"), func() { process.Get().Exit(lsExitListenCalled) })
			server.On("error", func(err error) { process.Get().Send(lsCode(err), nil, nil) })
		})
	},
	// test-cluster-shared-handle-bind-error.js and
	// test-cluster-bind-privileged-port.js (and its shared-handle twin):
	// listen($PORT) must fail; report the code, then process.disconnect().
	"ls-listen-must-fail": func() {
		server := net.CreateServer(lsMustNotConnect)
		server.Listen(os.Getenv("PORT"), func() {
			lsReportAndExit(cluster.NewObject("listening", true), lsExitListenCalled)
		})
		server.On("error", func(err error) {
			process.Get().Send(cluster.NewObject("code", lsCode(err)), nil, nil)
			process.Get().Disconnect()
		})
	},
	// test-cluster-ipc-throw.js: the 'error' handler disconnects and
	// throws; the uncaughtException handler must get the throw. The exit
	// code tells whether it did (Node's mustCall in the worker).
	"ls-ipc-throw": func() {
		p := process.Get()
		p.ExitCode = lsExitNotThrown
		p.On("uncaughtException", func(e any) {
			if err, ok := e.(error); ok && lsCode(err) == "EADDRINUSE" {
				p.ExitCode = 0
			}
		})
		server := net.CreateServer(nil)
		server.Listen(os.Getenv("PORT"))
		server.On("error", func(err error) {
			cluster.CurrentWorker().Disconnect()
			panic(err)
		})
	},
	// test-cluster-eaccess.js, the worker: fork a plain child that holds
	// $PIPE; once it listens, listen on $PIPE here; the error goes to the
	// primary as the message itself.
	"ls-eaccess": func() {
		pipe := os.Getenv("PIPE")
		cp, err := childprocess.Fork(uv.Default(), "", nil, childprocess.ForkOptions{
			ExecPath: lsExecutable(), Env: lsEnv(map[string]string{envWorker: "ls-eaccess-holder"}), Label: "holder",
		})
		if err != nil {
			lsReportAndExit(cluster.NewObject("fork", err.Error()), 1)
			return
		}
		cp.Once("message", func(any) {
			server := net.CreateServer(nil)
			server.Listen(pipe, func() {
				cp.Send("end", nil, nil)
				process.Get().Send("PIPE should have been in use.", nil, nil)
			})
			server.On("error", func(err error) {
				cp.Send("end", nil, nil)
				process.Get().Send(err, nil, nil)
			})
		})
	},
	// test-cluster-eaccess.js, the worker's own child (not a cluster
	// worker): listen on $PIPE, say so, close on the first message.
	"ls-eaccess-holder": func() {
		server := net.CreateServer(nil)
		server.Listen(os.Getenv("PIPE"), func() { process.Get().Send("listening", nil, nil) })
		process.Get().Once("message", func(any) { server.Close(nil) })
	},
	// test-cluster-net-server-drop-connection.js: a server on $pipePath
	// with maxConnections from the environment; every connection and the
	// listen are reported; {action:'disconnect'} disconnects.
	"ls-drop-connection": func() {
		p := process.Get()
		server := net.CreateServer(func(*net.Socket) {
			p.Send(cluster.NewObject("action", "connection"), nil, nil)
		})
		server.Listen(os.Getenv("pipePath"), func() {
			p.Send(cluster.NewObject("action", "listen"), nil, nil)
		})
		server.MaxConnections, _ = strconv.Atoi(os.Getenv("maxConnections"))
		p.On("message", func(m any) {
			if a, _ := m.(*cluster.Object).String("action"); a == "disconnect" {
				p.Disconnect()
			}
		})
	},
	// test-cluster-worker-handle-close.js: close the server as a newconn
	// arrives, so child.js onconnection refuses it and closes the handle
	// it got; report whether it did and exit.
	"ls-handle-close": func() {
		p := process.Get()
		server := net.CreateServer(lsMustNotConnect)
		server.Listen(0, func() {
			c := &lsHoldConn{network: "tcp", addr: "127.0.0.1:" + strconv.Itoa(server.Address().Port)}
			go c.run() // net.connect(port); never answered, never posts back
		})
		closing := false
		p.On("internalMessage", func(m any, handle any) {
			o, _ := m.(*childprocess.Object)
			if cmd, _ := o.String("cmd"); cmd == "NODE_HANDLE" {
				// DEVIATION(shape): Node's test prepends a listener for the
				// inner newconn and closes the server there, just before
				// child.js onconnection runs; events has no prependListener,
				// so the server closes here, one tick earlier, when the
				// NODE_HANDLE envelope carrying that newconn is converted.
				if act, _ := o.Object("msg").String("act"); act == "newconn" && !closing {
					closing = true
					server.Close(nil)
				}
				return
			}
			if act, _ := o.String("act"); act != "newconn" {
				return
			}
			// Listeners run in order: child.js onconnection has run.
			h, _ := handle.(*uv.Stream)
			p.Send(cluster.NewObject("handleClosed", h != nil && h.IsClosing()), nil, func(error) { p.Exit(0) })
		})
	},
	// test-cluster-accept-fail.js, the worker: once the primary can no
	// longer accept ("go"), connect to the server; when that socket
	// closes, close the server and disconnect.
	"ls-accept-fail": func() {
		p := process.Get()
		server := net.CreateServer(lsMustNotConnect)
		server.Listen(0, func() {
			p.On("message", func(m any) {
				if m != "go" {
					return
				}
				l := uv.Default()
				l.Ref()
				c := &lsClosedConn{addr: "127.0.0.1:" + strconv.Itoa(server.Address().Port), done: func(err error) {
					l.Unref()
					if err != nil {
						// Not closed by the primary: Node's mustCall on 'close' fails.
						lsReportAndExit(cluster.NewObject("client", err.Error()), lsExitNotClosed)
						return
					}
					server.Close(func(error) { p.Disconnect() })
				}}
				go c.run()
			})
		})
	},
	// test-cluster-rr-handle-keep-loop-alive.js: listen, then unref the
	// channel; the round-robin handle alone keeps the worker alive.
	"ls-rr-keep-alive": func() {
		net.CreateServer(lsMustNotConnect).Listen(0, func() { process.Get().Channel.Unref() })
	},
	// test-cluster-rr-handle-close.js: the same, then close the server:
	// nothing is left to keep the worker alive.
	"ls-rr-close": func() {
		server := net.CreateServer(lsMustNotConnect)
		server.Listen(0, func() {
			process.Get().Channel.Unref()
			server.Close(nil)
		})
	},
}

var lsPrimaryScenarios = map[string]func(){
	// test-cluster-server-restart-none.js's primary (SCHED_NONE needs a
	// primary process of its own).
	"ls-server-restart": func() {
		lsSetupPrimary()
		worker1 := lsFork("ls-server-restart", nil)
		worker1.Once("listening", func() {
			worker2 := lsFork("ls-server-restart", map[string]string{"RESTARTER": "1"})
			worker2.On("exit", func(code, signal any) {
				lsPrint("worker", 2, "code", code, "signal", signal)
				worker1.Disconnect()
			})
		})
		worker1.On("exit", func(code, signal any) { lsPrint("worker", 1, "code", code, "signal", signal) })
	},
	// test-cluster-accept-fail.js's primary: when its worker listens,
	// this process runs out of descriptors (RLIMIT_NOFILE at the lowest
	// free one), so the next accept in the round-robin handle fails with
	// EMFILE; then it tells the worker to connect.
	"ls-accept-fail": func() {
		lsSetupPrimary()
		worker := lsFork("ls-accept-fail", nil)
		var old unix.Rlimit
		worker.On("listening", func() {
			if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
				panic(err)
			}
			// The Go runtime opens its own poller lazily, with the first
			// timer: open it now, while descriptors remain.
			time.AfterFunc(time.Hour, func() {}).Stop()
			free, err := unix.Dup(0)
			if err != nil {
				panic(err)
			}
			unix.Close(free)
			if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: uint64(free), Max: old.Max}); err != nil {
				panic(err)
			}
			lsPrint("limit", free)
			worker.Send("go", nil, nil)
		})
		worker.On("exit", func(code, signal any) {
			unix.Setrlimit(unix.RLIMIT_NOFILE, &old)
			lsPrint("code", code, "signal", signal)
		})
	},
	// test-cluster-bind-twice.js: each of the two primaries starts one
	// worker and relays messages between it and the supervisor.
	"ls-bind-twice-one": func() { lsStartWorker("ls-bind-twice-one") },
	"ls-bind-twice-two": func() { lsStartWorker("ls-bind-twice-two") },
	// test-cluster-shared-handle-bind-error.js's primary: it holds a port
	// itself, and its worker listens on that port (SCHED_NONE).
	"ls-shared-bind-error": func() {
		lsSetupPrimary()
		server := net.CreateServer(lsMustNotConnect)
		server.Listen(0, func() {
			worker := lsFork("ls-listen-must-fail", map[string]string{"PORT": strconv.Itoa(server.Address().Port)})
			worker.On("message", func(m any) { lsPrint("message", m) })
			worker.On("exit", func(code, signal any) {
				lsPrint("code", code, "signal", signal)
				server.Close(nil)
			})
		})
	},
	// test-cluster-bind-privileged-port.js and
	// test-cluster-shared-handle-bind-privileged-port.js: one worker
	// listens on port 42; the policy comes from the environment.
	"ls-privileged": func() {
		lsSetupPrimary()
		worker := lsFork("ls-listen-must-fail", map[string]string{"PORT": "42"})
		worker.On("message", func(m any) { lsPrint("message", m) })
		worker.On("exit", func(code, signal any) { lsPrint("code", code, "signal", signal, "uid", os.Getuid()) })
	},
}

// lsMustNotConnect is common.mustNotCall() as a connection listener: the
// panic is an uncaught exception, so the worker exits with 1.
func lsMustNotConnect(*net.Socket) { panic("connection listener must not be called") }

// lsCode is err.code.
func lsCode(err error) string {
	if ne, ok := err.(*net.Error); ok {
		return ne.Code
	}
	return err.Error()
}

// lsReportAndExit sends m to the primary and exits with code once it left.
func lsReportAndExit(m any, code int) {
	p := process.Get()
	p.Send(m, nil, func(error) { p.Exit(code) })
}

// lsPrint writes one JSON line on stdout: what a primary scenario in its
// own process reports to the test.
func lsPrint(kv ...any) { fmt.Println(cluster.NewObject(kv...).JSONString()) }

func lsSetupPrimary() {
	if err := cluster.SetupPrimary(&cluster.Settings{Args: []string{}}); err != nil {
		panic(err)
	}
}

func lsFork(name string, env map[string]string) *cluster.Worker {
	e := map[string]string{envWorker: name}
	for k, v := range env {
		e[k] = v
	}
	w, err := cluster.Fork(e)
	if err != nil {
		panic(err)
	}
	return w
}

// lsStartWorker is test-cluster-bind-twice.js startWorker(): fork one
// worker, exit with its code, relay its messages to the supervisor and the
// supervisor's to it.
func lsStartWorker(name string) {
	lsSetupPrimary()
	worker := lsFork(name, nil)
	worker.On("exit", func(code any) {
		c, _ := code.(int)
		process.Get().Exit(c)
	})
	worker.On("message", func(m any) { process.Get().Send(m, nil, nil) })
	process.Get().On("message", func(m any) { worker.Send(m, nil, nil) })
}

func lsExecutable() string {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return exe
}

// lsEnv is this process's environment with overrides replacing (not
// duplicating: the first of two equal keys wins in a Go child) any
// variable of the same name.
func lsEnv(overrides map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := overrides[k]; !ok {
			out = append(out, kv)
		}
	}
	for k, v := range overrides {
		out = append(out, k+"="+v)
	}
	return out
}

// lsFreePort finds a TCP port nobody listens on (common.PORT).
func lsFreePort(t *testing.T) int { return freeport.Get(t) }

// lsPipePath is common.PIPE: a socket path in a fresh directory, short
// enough for sun_path.
func lsPipePath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ncls")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "pipe.sock")
}

// lsInt is a JS number that is an integer (n === n | 0).
func lsInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case float64:
		if n == float64(int32(n)) {
			return int(n), true
		}
	}
	return 0, false
}

// lsHTTPPipeGet is http.get({socketPath}) reduced to a raw HTTP/1.0
// exchange, on its own goroutine.
type lsHTTPPipeGet struct {
	path string
	done func(resp string, err error)
}

func (g *lsHTTPPipeGet) run() {
	resp, err := g.get()
	uv.Default().Post(func() { g.done(resp, err) })
}

func (g *lsHTTPPipeGet) get() (string, error) {
	c, err := stdnet.DialTimeout("unix", g.path, 10*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write([]byte("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

// lsHoldConn connects and keeps the connection until the peer closes it;
// it reports nothing (a client nobody waits for).
type lsHoldConn struct {
	network, addr string
}

func (c *lsHoldConn) run() {
	conn, err := stdnet.DialTimeout(c.network, c.addr, 10*time.Second)
	if err != nil {
		return
	}
	defer conn.Close()
	io.Copy(io.Discard, conn)
}

// lsClosedConn connects and waits until the peer closes the connection,
// then posts done: with nil for a close (EOF or a reset), with the error
// when the connection could not be made or stayed open for 10 s.
type lsClosedConn struct {
	addr string
	done func(err error)
}

func (c *lsClosedConn) run() {
	err := c.wait()
	uv.Default().Post(func() { c.done(err) })
}

func (c *lsClosedConn) wait() error {
	conn, err := stdnet.DialTimeout("tcp", c.addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.Copy(io.Discard, conn)
	if ne, ok := err.(stdnet.Error); ok && ne.Timeout() {
		return err
	}
	return nil
}

// lsDialer opens n connections to a Unix path on its own goroutine and
// posts them back, kept open (test-cluster-net-server-drop-connection.js
// request(): net.connect(path) n times, never closed by the test).
type lsDialer struct {
	path string
	n    int
	done func(conns []stdnet.Conn, err error)
}

func (d *lsDialer) run() {
	var conns []stdnet.Conn
	var err error
	for i := 0; i < d.n; i++ {
		var c stdnet.Conn
		c, err = stdnet.DialTimeout("unix", d.path, 10*time.Second)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	l := uv.Default()
	l.Post(func() {
		l.Unref()
		d.done(conns, err)
	})
}

// TestClusterListeningPort: a worker's listen(0) is reported to the
// primary with a real port number.
//
// Mirrors test/parallel/test-cluster-listening-port.js
func TestClusterListeningPort(t *testing.T) {
	var ports []int
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		l := cluster.On("listening", func(w *cluster.Worker, a cluster.Address) {
			ports = append(ports, a.Port)
			w.Kill("")
		})
		w := forkScenario(t, "ls-listen0", nil)
		w.On("exit", func() { uv.Default().NextTick(func() { cluster.RemoveListener(l) }) })
	})
	require.Len(t, ports, 1, "cluster 'listening' once")
	require.NotZero(t, ports[0], "the port is not 0 or null")
}

// TestClusterNetListen: listen(cb) with no port at all listens (on a
// random port) and calls back; the worker exits 0.
//
// Mirrors test/parallel/test-cluster-net-listen.js
func TestClusterNetListen(t *testing.T) {
	var exits []any
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "ls-listen-cb", nil)
		w.On("exit", func(code any) { exits = append(exits, code) })
	})
	require.Equal(t, []any{0}, exits)
}

// TestClusterChildIndexNet: two chains of listen(0) -> close -> new
// server listen(0) in one worker all complete; the worker exits 0.
//
// Mirrors test/parallel/test-cluster-child-index-net.js
func TestClusterChildIndexNet(t *testing.T) {
	var exits []any
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "ls-child-index", nil)
		w.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
	})
	require.Equal(t, []any{0, nil}, exits)
}

// TestClusterServerRestartRR: worker 2 listens, closes and listens again on
// the same server object under SCHED_RR; both workers exit (0, null),
// worker 2 first.
//
// Mirrors test/parallel/test-cluster-server-restart-rr.js
func TestClusterServerRestartRR(t *testing.T) {
	var exits []string
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		worker1 := forkScenario(t, "ls-server-restart", nil)
		worker1.Once("listening", func() {
			worker2 := forkScenario(t, "ls-server-restart", map[string]string{"RESTARTER": "1"})
			worker2.On("exit", func(code, signal any) {
				exits = append(exits, fmt.Sprintf("worker 2 exit %v %v", code, signal))
				worker1.Disconnect()
			})
		})
		worker1.On("exit", func(code, signal any) {
			exits = append(exits, fmt.Sprintf("worker 1 exit %v %v", code, signal))
		})
	})
	want := []string{"worker 2 exit 0 <nil>", "worker 1 exit 0 <nil>"}
	if d := cmp.Diff(want, exits); d != "" {
		t.Errorf("exits (-node +port):\n%s", d)
	}
}

// TestClusterServerRestartNone: the same under SCHED_NONE (the primary in
// a process of its own, to have that policy).
//
// Mirrors test/parallel/test-cluster-server-restart-none.js
func TestClusterServerRestartNone(t *testing.T) {
	lines, code, signal := runPrimaryProcess(t, "ls-server-restart", map[string]string{"NODE_CLUSTER_SCHED_POLICY": "none"}, 30*time.Second)
	require.Equal(t, 0, code, "primary signal %q", signal)
	want := []string{`{"worker":2,"code":0,"signal":null}`, `{"worker":1,"code":0,"signal":null}`}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("exits (-node +port):\n%s", d)
	}
}

// TestNetListenExclusiveRandomPorts: two workers listening with
// {port:0, exclusive:true} each bind a port of their own.
//
// Mirrors test/parallel/test-net-listen-exclusive-random-ports.js
func TestNetListenExclusiveRandomPorts(t *testing.T) {
	var port1, port2 any
	var queries int
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		worker1 := forkScenario(t, "ls-exclusive", nil)
		countQueryServer(worker1, &queries)
		worker1.On("message", func(m any) {
			port1 = m
			if _, ok := lsInt(m); !ok {
				fail("first worker could not listen on port %v", m)
				return
			}
			worker2 := forkScenario(t, "ls-exclusive", nil)
			countQueryServer(worker2, &queries)
			worker2.On("message", func(m any) {
				port2 = m
				worker1.Kill("")
				worker2.Kill("")
			})
		})
	})
	p1, ok1 := lsInt(port1)
	p2, ok2 := lsInt(port2)
	require.True(t, ok1, "first worker could not listen on port %v", port1)
	require.True(t, ok2, "second worker could not listen on port %v", port2)
	require.NotEqual(t, p1, p2, "ports should not be equal")
	require.Zero(t, queries, "an exclusive listen binds in the worker, without asking the primary")
}

// TestClusterHttpPipe: an HTTP server on a Unix socket path in a worker
// (round-robin through the primary) answers a request to that path; the
// connection has neither remoteAddress nor localAddress.
//
// Mirrors test/parallel/test-cluster-http-pipe.js
func TestClusterHttpPipe(t *testing.T) {
	var msgs []*cluster.Object
	var exits int
	pipe := lsPipePath(t)
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "ls-http-pipe", map[string]string{"PIPE": pipe})
		w.On("message", func(m any) { msgs = append(msgs, m.(*cluster.Object)) })
		w.On("exit", func() { exits++ })
	})
	require.Equal(t, 1, exits)
	require.Len(t, msgs, 1)
	m := msgs[0]
	msg, _ := m.String("msg")
	require.Equal(t, "DONE", msg)
	require.Equal(t, cluster.Undefined, m.Value("error"))
	resp, _ := m.String("response")
	require.True(t, strings.HasPrefix(resp, "HTTP/1.0 200 OK\r\n"), "response %q", resp)
	require.True(t, strings.HasSuffix(resp, "\r\n\r\nOK"), "response %q", resp)
	require.Equal(t, cluster.Undefined, m.Value("remoteAddress"), "req.connection.remoteAddress")
	require.Equal(t, cluster.Undefined, m.Value("localAddress"), "req.connection.localAddress")
	// Beyond Node's test: the primary bound the path, and closing its
	// round-robin handle removed it, as libuv's pipe close does.
	require.NoFileExists(t, pipe, "the socket path is unlinked when the primary's server closes")
}

// TestClusterListenTwiceSamePort: a second listen on the host and port
// the worker's first server holds fails with EADDRINUSE as the server's
// 'error'; the worker then closes the first and disconnects: exit 0.
//
// Mirrors test/sequential/test-cluster-listen-twice-same-port.js
func TestClusterListenTwiceSamePort(t *testing.T) {
	var msgs []string
	var exits []any
	port := lsFreePort(t)
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "ls-listen-twice", map[string]string{"PORT": strconv.Itoa(port)})
		w.On("message", func(m any) { msgs = append(msgs, m.(*cluster.Object).JSONString()) })
		w.On("exit", func(code any) { exits = append(exits, code) })
	})
	require.Equal(t, []string{`{"second":"EADDRINUSE"}`}, msgs)
	require.Equal(t, []any{0}, exits)
}

// TestClusterBindTwice: two independent clusters (two primaries, one
// worker each, under a supervisor: this test): the second worker's listen
// on the port the first worker's cluster holds emits EADDRINUSE and never
// calls its listen callback; both clusters then exit 0.
//
// Mirrors test/parallel/test-cluster-bind-twice.js
func TestClusterBindTwice(t *testing.T) {
	port := strconv.Itoa(lsFreePort(t))
	var seen []string
	exits := map[string]any{}
	var failure string
	process.RunMain(func() {
		l := uv.Default()
		fork := func(name string) *childprocess.ChildProcess {
			cp, err := childprocess.Fork(l, "", nil, childprocess.ForkOptions{
				ExecPath: lsExecutable(), Env: lsEnv(map[string]string{envPrimary: name, "PORT": port}), Label: name,
			})
			require.NoError(t, err)
			return cp
		}
		a := fork("ls-bind-twice-one")
		b := fork("ls-bind-twice-two")
		deadline := l.SetTimeout(30*time.Second, func() {
			failure = "deadline: the clusters did not finish in 30s"
			a.Kill("SIGKILL")
			b.Kill("SIGKILL")
		})
		deadline.Unref()
		pending := 2
		onExit := func(name string, other *childprocess.ChildProcess) func(code, signal any) {
			return func(code, signal any) {
				exits[name] = code
				if code != 0 && other.IsConnected() {
					other.Send("QUIT", nil, nil)
				}
				if pending--; pending == 0 {
					deadline.Stop()
				}
			}
		}
		a.On("exit", onExit("A", b))
		b.On("exit", onExit("B", a))
		a.On("message", func(m any) {
			if _, ok := m.(*childprocess.Object); ok {
				return
			}
			seen = append(seen, fmt.Sprintf("A: %v", m))
			if m == "READY" {
				b.Send("START", nil, nil)
			}
		})
		b.On("message", func(m any) {
			seen = append(seen, fmt.Sprintf("B: %v", m))
			a.Send("QUIT", nil, nil)
			b.Send("QUIT", nil, nil)
		})
	})
	require.Empty(t, failure)
	require.Equal(t, []string{"A: READY", "B: EADDRINUSE"}, seen)
	require.Equal(t, map[string]any{"A": 0, "B": 0}, exits)
	require.Empty(t, childPids(), "child processes left behind")
}

// TestClusterSharedHandleBindError: under SCHED_NONE the primary itself
// holds the port a worker listens on: no listen callback, 'error' with
// EADDRINUSE, and the worker (process.disconnect()) exits 0.
//
// Mirrors test/parallel/test-cluster-shared-handle-bind-error.js
func TestClusterSharedHandleBindError(t *testing.T) {
	lines, code, signal := runPrimaryProcess(t, "ls-shared-bind-error", map[string]string{"NODE_CLUSTER_SCHED_POLICY": "none"}, 30*time.Second)
	require.Equal(t, 0, code, "primary signal %q", signal)
	want := []string{`{"message":{"code":"EADDRINUSE"}}`, `{"code":0,"signal":null}`}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

// TestClusterIpcThrow: under SCHED_RR the primary holds the port itself, so
// its own bind for the worker fails and the errno comes back in the reply;
// the worker's 'error' handler disconnects and throws, and the throw
// reaches its uncaughtException handler (exit code 0 says it did).
//
// Mirrors test/parallel/test-cluster-ipc-throw.js
func TestClusterIpcThrow(t *testing.T) {
	var exits []any
	var replies []string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		server := net.CreateServer(nil)
		server.Listen(net.ListenOptions{Port: 0}, func() {
			w := forkScenario(t, "ls-ipc-throw", map[string]string{"PORT": strconv.Itoa(server.Address().Port)})
			w.Process.(*childprocess.ChildProcess).On("internalMessage", func(m any) {
				if a, _ := m.(*childprocess.Object).String("act"); a == "queryServer" {
					replies = append(replies, "queryServer")
				}
			})
			w.On("exit", func(code, signal any) {
				exits = append(exits, code, signal)
				server.Close(nil)
			})
		})
	})
	require.Equal(t, []string{"queryServer"}, replies, "the worker asked the primary (RR)")
	require.Equal(t, []any{0, nil}, exits, "exit code %d: the uncaughtException handler did not get the throw", lsExitNotThrown)
}

// lsPrivilegedPort runs the ls-privileged primary as an unprivileged user
// and returns what it printed. As root (these machines) the whole cluster
// must drop privileges, primary included, since the primary binds in
// both policies: it re-runs a copy of this test binary, placed in a
// world-readable directory, as nobody.
func lsPrivilegedPort(t *testing.T, policy string) []string {
	t.Helper()
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n <= 42 {
			t.Skip("Port 42 is unprivileged (ip_unprivileged_port_start <= 42)")
		}
	}
	exe := lsExecutable()
	var cred *syscall.Credential
	dir := ""
	if os.Getuid() == 0 {
		var err error
		dir, err = os.MkdirTemp("", "nodecluster-nobody-")
		require.NoError(t, err)
		defer os.RemoveAll(dir)
		require.NoError(t, os.Chmod(dir, 0o755))
		copyExe := filepath.Join(dir, "cluster.test")
		src, err := os.ReadFile(exe)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(copyExe, src, 0o755))
		exe = copyExe
		cred = &syscall.Credential{Uid: 65534, Gid: 65534, NoSetGroups: true} // nobody
	}
	cmd := exec.Command(exe)
	cmd.Dir = dir
	cmd.Env = lsEnv(map[string]string{envPrimary: "ls-privileged", "NODE_CLUSTER_SCHED_POLICY": policy})
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	cmd.Stderr = os.Stderr
	timer := time.AfterFunc(30*time.Second, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	out, err := cmd.Output()
	timer.Stop()
	if cred != nil && err != nil {
		if _, isExit := err.(*exec.ExitError); !isExit {
			t.Skipf("cannot run the cluster as nobody (uid 65534) to leave root's privileges: %v", err)
		}
	}
	require.NoError(t, err, "primary output %q", out)
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// TestClusterBindPrivilegedPort: an unprivileged cluster's worker
// listening on port 42 gets 'error' EACCES (the primary's bind failed)
// and exits 0, under SCHED_RR.
//
// Mirrors test/parallel/test-cluster-bind-privileged-port.js
func TestClusterBindPrivilegedPort(t *testing.T) {
	lines := lsPrivilegedPort(t, "rr")
	want := []string{`{"message":{"code":"EACCES"}}`, `{"code":0,"signal":null,"uid":65534}`}
	if os.Getuid() != 0 {
		want[1] = fmt.Sprintf(`{"code":0,"signal":null,"uid":%d}`, os.Getuid())
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

// TestClusterSharedHandleBindPrivilegedPort: the same under SCHED_NONE.
//
// Mirrors test/parallel/test-cluster-shared-handle-bind-privileged-port.js
func TestClusterSharedHandleBindPrivilegedPort(t *testing.T) {
	lines := lsPrivilegedPort(t, "none")
	want := []string{`{"message":{"code":"EACCES"}}`, `{"code":0,"signal":null,"uid":65534}`}
	if os.Getuid() != 0 {
		want[1] = fmt.Sprintf(`{"code":0,"signal":null,"uid":%d}`, os.Getuid())
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

// TestClusterEaccess: a worker listening on a Unix socket path that a
// plain (non-cluster) child of its own holds gets EADDRINUSE, and sends
// the error object to the primary, which receives it as JSON.stringify
// made it.
//
// Mirrors test/parallel/test-cluster-eaccess.js
func TestClusterEaccess(t *testing.T) {
	pipe := lsPipePath(t)
	var got []string
	var forks, onlines int
	var exits []any
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		lf := cluster.On("fork", func(*cluster.Worker) { forks++ })
		w := forkScenario(t, "ls-eaccess", map[string]string{"PIPE": pipe})
		w.On("online", func() { onlines++ })
		w.On("message", func(m any) {
			// Disconnect first, so that we will not leave zombies.
			w.Disconnect()
			if o, ok := m.(*cluster.Object); ok {
				got = append(got, o.JSONString())
			} else {
				got = append(got, fmt.Sprint(m))
			}
		})
		w.On("exit", func(code any) {
			exits = append(exits, code)
			uv.Default().NextTick(func() { cluster.RemoveListener(lf) })
		})
	})
	require.Equal(t, 1, forks, "cluster 'fork'")
	require.Equal(t, 1, onlines, "worker 'online'")
	// What Node v20 sends: the enumerable own properties of the
	// ExceptionWithHostPort from the primary's failed bind.
	want := fmt.Sprintf(`{"errno":%d,"code":"EADDRINUSE","syscall":"bind","address":%q,"port":-1}`, -int(unix.EADDRINUSE), pipe)
	require.Equal(t, []string{want}, got)
	require.Equal(t, []any{0}, exits)
}

// TestClusterNetServerDropConnection: three workers on one pipe with
// maxConnections 0, 1 and 9 share 10 connections. A worker at its limit
// answers accepted:false and the primary hands the connection to another
// worker: none is dropped.
//
// Expected difference: the current Node test expects exactly 0/1/9
// (maxConnections 0 refusing everything, and dropMaxConnection). On v20,
// maxConnections 0 means unlimited (net.js and child.js onconnection check
// `maxConnections &&`), and v20 gave 7/1/2. The port does what v20 does, and
// this test asserts v20's invariants: all 10 served, none beyond a
// worker's limit, only a worker at its limit refusing.
//
// Mirrors test/parallel/test-cluster-net-server-drop-connection.js
func TestClusterNetServerDropConnection(t *testing.T) {
	const totalConns, totalWorkers = 10, 3
	pipe := lsPipePath(t)
	limits := []int{0, 1, 9}
	conns := make([]int, totalWorkers)
	refused := make([]int, totalWorkers)
	var clients []stdnet.Conn
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		l := uv.Default()
		var workers []*cluster.Worker
		listenCount, connectionCount := 0, 0
		for i, max := range limits {
			i := i
			w := forkScenario(t, "ls-drop-connection", map[string]string{"maxConnections": strconv.Itoa(max), "pipePath": pipe})
			workers = append(workers, w)
			w.Process.(*childprocess.ChildProcess).On("internalMessage", func(m any) {
				if a, ok := m.(*childprocess.Object).Bool("accepted"); ok && !a {
					refused[i]++
				}
			})
			w.On("message", func(m any) {
				switch a, _ := m.(*cluster.Object).String("action"); a {
				case "listen":
					if listenCount++; listenCount == totalWorkers {
						l.Ref()
						d := &lsDialer{path: pipe, n: totalConns, done: func(c []stdnet.Conn, err error) {
							clients = c
							if err != nil {
								fail("connect: %v", err)
							}
						}}
						go d.run()
					}
				case "connection":
					conns[i]++
					if connectionCount++; connectionCount == totalConns {
						for _, w := range workers {
							w.Send(cluster.NewObject("action", "disconnect"), nil, nil)
						}
					}
				default:
					fail("unexpected message %v", m)
				}
			})
		}
	})
	t.Logf("connections per worker (maxConnections 0/1/9): %v; refused with accepted:false: %v (v20 gave 7/1/2; the current test expects 0/1/9)", conns, refused)
	require.Equal(t, totalConns, conns[0]+conns[1]+conns[2], "every connection was served, none dropped")
	require.LessOrEqual(t, conns[1], 1, "maxConnections 1")
	require.LessOrEqual(t, conns[2], 9, "maxConnections 9")
	require.Zero(t, refused[0], "maxConnections 0 is unlimited on v20: worker 0 never refuses")
}

// TestClusterWorkerHandleClose: a worker that closes its server as a
// newconn arrives refuses it (accepted:false) and closes the handle it
// got; it then exits cleanly.
//
// Mirrors test/parallel/test-cluster-worker-handle-close.js
func TestClusterWorkerHandleClose(t *testing.T) {
	var replies, msgs []string
	var exits []any
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "ls-handle-close", nil)
		w.Process.(*childprocess.ChildProcess).On("internalMessage", func(m any) {
			o := m.(*childprocess.Object)
			if _, ok := o.Bool("accepted"); ok {
				replies = append(replies, fmt.Sprintf("accepted:%v", o.Value("accepted")))
			}
		})
		w.On("message", func(m any) { msgs = append(msgs, m.(*cluster.Object).JSONString()) })
		w.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
	})
	require.Equal(t, []string{"accepted:false"}, replies)
	require.Equal(t, []string{`{"handleClosed":true}`}, msgs)
	require.Equal(t, []any{0, nil}, exits)
}

// TestClusterAcceptFail: an accept that fails in the primary's
// round-robin distributor sends nothing to the worker, and the client's
// connection is closed; the worker then closes its server and disconnects.
//
// Node's test is white-box (--expose-internals: it wraps
// RoundRobinHandle.prototype.distribute to close the handle and pass an
// error on). This one makes accept fail for real: the primary, in a
// process of its own, lowers RLIMIT_NOFILE to its lowest free descriptor
// once the worker listens, so accept4 returns EMFILE; libuv then sheds the
// connection (uv__emfile_trick: close a reserved descriptor, accept and
// close what is pending, reopen it). The worker's connection listener is
// mustNotCall (it would exit 1).
//
// Mirrors test/parallel/test-cluster-accept-fail.js
func TestClusterAcceptFail(t *testing.T) {
	lines, code, signal := runPrimaryProcess(t, "ls-accept-fail", nil, 30*time.Second)
	require.Equal(t, 0, code, "primary signal %q", signal)
	require.Len(t, lines, 2)
	require.Contains(t, lines[0], `{"limit":`)
	require.Equal(t, `{"code":0,"signal":null}`, lines[1])
}

// TestClusterRrHandleKeepLoopAlive: a worker whose channel is unref'd
// stays alive while its round-robin server is open (still alive at 3 s,
// then killed).
//
// Mirrors test/parallel/test-cluster-rr-handle-keep-loop-alive.js
func TestClusterRrHandleKeepLoopAlive(t *testing.T) {
	var aliveAt3s bool
	var exits []any
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		exited := false
		w := forkScenario(t, "ls-rr-keep-alive", nil)
		w.On("exit", func(code, signal any) {
			exited = true
			exits = append(exits, code, signal)
		})
		uv.Default().SetTimeout(3*time.Second, func() {
			aliveAt3s = !exited
			w.Kill("")
		})
	})
	require.True(t, aliveAt3s, "the worker exited before 3 s")
	require.Equal(t, []any{nil, "SIGTERM"}, exits)
}

// TestClusterRrHandleClose: once the round-robin server is closed, nothing
// keeps a worker with an unref'd channel alive: it exits on its own.
//
// Mirrors test/parallel/test-cluster-rr-handle-close.js
func TestClusterRrHandleClose(t *testing.T) {
	var exits []any
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "ls-rr-close", nil)
		w.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
	})
	require.Equal(t, []any{0, nil}, exits)
}
