package nodecluster_test

// Conformance, lifecycle and events (conformance.md §3.1 items 1–9) and
// disconnect/kill/exit semantics (§3.2 items 10–16): Node's own cluster
// tests, re-expressed as Go scenarios with the same assertions. The test
// process (or, where a fresh primary is needed, a re-exec of it) is the
// primary; re-execs of this binary running an "lc-" scenario are the
// workers. A worker that finds one of its own assertions false exits with
// a code the primary does not expect, as a Node worker's throw would.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	stdnet "net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func init() {
	for name, fn := range lcWorkerScenarios {
		workerScenarios[name] = fn
	}
	for name, fn := range lcPrimaryScenarios {
		primaryScenarios[name] = fn
	}
}

// lcFail is what a worker does when one of its own assertions is false:
// it exits with code, which the primary's test then reports.
func lcFail(code int, format string, a ...any) {
	fmt.Fprintf(os.Stderr, "worker assertion failed: "+format+"\n", a...)
	process.Get().Exit(code)
}

// lcListen listens on 127.0.0.1:0 with a server that does nothing with
// its connections (Node's tests use an http.Server there).
func lcListen() *net.Server {
	s := net.CreateServer(func(*net.Socket) {})
	if err := s.Listen(0, "127.0.0.1"); err != nil {
		lcFail(9, "listen: %v", err)
	}
	return s
}

var lcWorkerScenarios = map[string]func(){
	// test-cluster-basic.js, worker side: NODE_UNIQUE_ID is gone from the
	// environment; then listen on 127.0.0.1:0.
	"lc-basic": func() {
		if _, ok := os.LookupEnv("NODE_UNIQUE_ID"); ok {
			lcFail(1, "NODE_UNIQUE_ID is still in the worker's environment")
		}
		lcListen()
	},
	// A worker that listens and waits (worker-kill, worker-kill-signal).
	"lc-listen": func() { lcListen() },
	// test-cluster-worker-exit.js: process.exit(42) in the server's
	// "listening" handler.
	"lc-exit-on-listening": func() {
		s := net.CreateServer(func(*net.Socket) {})
		s.Once("listening", func() { process.Get().Exit(42) })
		if err := s.Listen(0, "127.0.0.1"); err != nil {
			lcFail(9, "listen: %v", err)
		}
	},
	// test-cluster-worker-death.js: process.exit(42) at start.
	"lc-exit42": func() { process.Get().Exit(42) },
	// test-cluster-worker-isconnected.js: connected at start; not
	// connected inside every "disconnect" handler.
	"lc-isconnected": func() {
		w := cluster.CurrentWorker()
		if !w.IsConnected() {
			lcFail(3, "cluster.worker.isConnected() is false at start")
		}
		w.Process.On("disconnect", func() {
			if w.IsConnected() {
				lcFail(4, "cluster.worker.isConnected() is true in process 'disconnect'")
			}
		})
		w.On("disconnect", func() {
			if w.IsConnected() {
				lcFail(5, "cluster.worker.isConnected() is true in cluster.worker 'disconnect'")
			}
		})
		process.Get().Send("readyToDisconnect", nil, nil)
	},
	// test-cluster-worker-isdead.js: not dead from within.
	"lc-isdead": func() {
		if cluster.CurrentWorker().IsDead() {
			lcFail(3, "cluster.worker.isDead() is true from within the worker")
		}
		process.Get().Send("readyToDie", nil, nil)
	},
	// test-cluster-fork-env.js: report the two variables;
	// cluster.worker.send() returns true.
	"lc-fork-env": func() {
		ok := cluster.CurrentWorker().Send(cluster.NewObject(
			"prop", os.Getenv("cluster_test_prop"),
			"overwrite", os.Getenv("cluster_test_overwrite")), nil, nil)
		if !ok {
			lcFail(3, "cluster.worker.send() returned false")
		}
	},
	// test-cluster-message.js: a TCP server that is both the cluster's
	// shared server and a second channel back to the primary: on a
	// connection, send "message from worker" over IPC; once both the
	// connection and the primary's message are there, write
	// {code:'received message', echo: message} on the socket.
	"lc-message": func() {
		var socket *net.Socket
		var message any
		var haveMessage bool
		maybeReply := func() {
			if socket == nil || !haveMessage {
				return
			}
			b, _ := json.Marshal(map[string]any{"code": "received message", "echo": message})
			socket.Write(b, nil)
		}
		s := net.CreateServer(func(c *net.Socket) {
			socket = c
			maybeReply()
			process.Get().Send("message from worker", nil, nil)
		})
		process.Get().On("message", func(m any) {
			message, haveMessage = m, true
			maybeReply()
		})
		if err := s.Listen(0, "127.0.0.1"); err != nil {
			lcFail(9, "listen: %v", err)
		}
	},
	// test-cluster-worker-events.js: a message from the primary arrives
	// on process and on cluster.worker, deep-equal; process 'error' is
	// re-emitted on cluster.worker; exit 2 (OK).
	"lc-worker-events": func() {
		var messages []any
		sawProcess, sawWorker := false, false
		check := func(m any) {
			messages = append(messages, m)
			if len(messages) < 2 {
				return
			}
			if d := cmp.Diff(messages[0], messages[1]); d != "" {
				lcFail(3, "process and cluster.worker got different messages: %s", d)
			}
			cluster.CurrentWorker().Once("error", func(e any) {
				if e != "HI" {
					lcFail(4, "cluster.worker 'error' got %#v, want \"HI\"", e)
				}
				process.Get().Exit(2)
			})
			process.Get().Emit("error", "HI")
		}
		process.Get().On("message", func(m any) {
			if sawProcess {
				lcFail(5, "process 'message' twice")
			}
			sawProcess = true
			check(m)
		})
		cluster.CurrentWorker().On("message", func(m any) {
			if sawWorker {
				lcFail(6, "cluster.worker 'message' twice")
			}
			sawWorker = true
			check(m)
		})
	},
	// test-cluster-worker-init.js: cluster.worker gets the message the
	// primary sends on "online"; answer whether it was "foo".
	"lc-worker-init": func() {
		cluster.CurrentWorker().On("message", func(m any) {
			process.Get().Send(m == "foo", nil, nil)
		})
	},
	// test-cluster-invalid-message.js: the worker does nothing; the
	// primary sends an ack nobody waits for.
	"lc-idle": func() {},
	// test-cluster-worker-disconnect.js: listen; exit 42 when
	// cluster.worker emits "disconnect".
	"lc-disconnect-exit42": func() {
		lcListen()
		cluster.CurrentWorker().On("disconnect", func() { process.Get().Exit(42) })
	},
	// test-cluster-kill-disconnect.js: cluster.worker[action]().
	"lc-self": func() {
		switch a := os.Getenv("action"); a {
		case "disconnect":
			cluster.CurrentWorker().Disconnect()
		case "kill":
			if err := cluster.CurrentWorker().Kill(""); err != nil {
				lcFail(3, "kill: %v", err)
			}
		default:
			lcFail(4, "unknown action %q", a)
		}
	},
	// test-cluster-disconnect-exitedAfterDisconnect-race.js: the worker's
	// own disconnect() must not emit "disconnect" within the same tick
	// (it waits for the primary's ack), but must emit it.
	"lc-disconnect-race": func() {
		eventFired := false
		cluster.CurrentWorker().Disconnect()
		uv.Default().NextTick(func() {
			if eventFired {
				lcFail(3, "'disconnect' fired before the primary's ack")
			}
		})
		cluster.CurrentWorker().On("disconnect", func() { eventFired = true })
		process.Get().On("exit", func() {
			if !eventFired {
				fmt.Fprintln(os.Stderr, "worker assertion failed: cluster.worker 'disconnect' never fired")
				process.Get().ExitCode = 4
			}
		})
	},
	// test-cluster-worker-destroy.js: the first worker disconnects and
	// destroys itself once disconnected; the second destroys itself while
	// connected.
	"lc-destroy": func() {
		w := cluster.CurrentWorker()
		if os.Getenv("role") == "first" {
			w.Process.On("disconnect", func() { w.Destroy("") })
			if got := w.Disconnect(); got != w {
				lcFail(3, "cluster.worker.disconnect() did not return cluster.worker")
			}
			return
		}
		w.Destroy("")
	},
	// test-cluster-worker-forced-exit.js: exit 42 10 ms after the channel
	// closed (reached only when the worker is not forced to exit at once).
	"lc-forced-exit": func() {
		process.Get().On("disconnect", func() {
			uv.Default().SetTimeout(10*time.Millisecond, func() { process.Get().Exit(42) })
		})
	},
}

var lcPrimaryScenarios = map[string]func(){
	"lc-basic":                    lcBasicPrimary,
	"lc-setup-primary-cumulative": lcSetupPrimaryCumulative,
	"lc-setup-primary-emit":       lcSetupPrimaryEmit,
	"lc-setup-primary-multiple":   lcSetupPrimaryMultiple,
}

// lcOut prints one observation of a primary scenario on stdout, where
// runPrimaryProcess collects it.
func lcOut(format string, a ...any) { fmt.Printf("lc: "+format+"\n", a...) }

// lcLines keeps the "lc: " lines of a primary scenario's stdout.
func lcLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if s, ok := strings.CutPrefix(l, "lc: "); ok {
			out = append(out, s)
		}
	}
	return out
}

// lcFlag prints worker.exitedAfterDisconnect as JS would.
func lcFlag(w *cluster.Worker) string {
	if w.ExitedAfterDisconnect == nil {
		return "undefined"
	}
	return strconv.FormatBool(*w.ExitedAfterDisconnect)
}

// lcExitOf is worker.process.exitCode and worker.process.signalCode, as
// the "exit" event would give them (nil for JS null).
func lcExitOf(w *cluster.Worker) (code any, signal any) {
	c, s := w.Process.Exited()
	if c != nil {
		code = *c
	}
	if s != "" {
		signal = s
	}
	return code, signal
}

// lcPidGone reports whether no process has pid any more (common.isAlive
// negated: process.kill(pid, 0) fails with ESRCH).
func lcPidGone(pid int) bool { return errors.Is(unix.Kill(pid, 0), unix.ESRCH) }

// lcClusterOn adds a cluster-level listener for the length of the test:
// it is removed once the test ended (its primary's loop has returned by
// then, so no event can be in flight), and later tests do not see it.
func lcClusterOn(t *testing.T, event string, fn any) {
	l := cluster.On(event, fn)
	t.Cleanup(func() { cluster.RemoveListener(l) })
}

// lcBasicPrimary is test-cluster-basic.js's primary, in a process of its
// own so that its first fork gets id 1: it prints every event with the
// state of the worker at that moment, and kills the worker once it
// listens.
func lcBasicPrimary() {
	_, has := os.LookupEnv("NODE_UNIQUE_ID")
	lcOut("primary NODE_UNIQUE_ID in env: %v", has)
	var worker *cluster.Worker
	for _, name := range []string{"fork", "online", "listening", "exit"} {
		cluster.On(name, func(args ...any) {
			same := len(args) > 0 && args[0] == worker
			lcOut("cluster %s sameWorker=%v state=%s", name, same, worker.State)
		})
	}
	cluster.On("listening", func() { worker.Kill("") })
	var err error
	worker, err = cluster.Fork(map[string]string{envWorker: "lc-basic"})
	if err != nil {
		lcOut("fork: %v", err)
		return
	}
	lcOut("fork returned id=%d", worker.ID)
	worker.On("online", func(args ...any) { lcOut("worker online args=%d", len(args)) })
	worker.On("listening", func(args ...any) {
		if len(args) != 1 {
			lcOut("worker listening args=%d", len(args))
			return
		}
		a, ok := args[0].(cluster.Address)
		if !ok {
			lcOut("worker listening arg is %T", args[0])
			return
		}
		lcOut("worker listening args=1 address=%#v addressType=%#v fd=%#v portInRange=%v",
			a.Address, a.AddressType, a.Fd, a.Port >= 1 && a.Port <= 65535)
	})
	worker.On("exit", func(args ...any) {
		if len(args) != 2 {
			lcOut("worker exit args=%d", len(args))
			return
		}
		code, signal := lcExitOf(worker)
		lcOut("worker exit args=2 code=%#v signal=%#v matchProcess=%v",
			args[0], args[1], args[0] == code && args[1] == signal)
	})
}

// TestClusterBasic: fork, online, listening and exit on cluster with the
// worker as first argument and the worker in state none, online,
// listening, dead; the worker's own online (no arguments), listening (one
// address object) and exit (exitCode, signalCode); the first fork is id 1;
// NODE_UNIQUE_ID is in neither process's environment.
//
// Mirrors test/parallel/test-cluster-basic.js
func TestClusterBasic(t *testing.T) {
	lines, code, sig := runPrimaryProcess(t, "lc-basic", nil, 30*time.Second)
	require.Equal(t, 0, code, "primary exit code")
	require.Empty(t, sig)
	want := []string{
		"primary NODE_UNIQUE_ID in env: false",
		"fork returned id=1",
		"cluster fork sameWorker=true state=none",
		"worker online args=0",
		"cluster online sameWorker=true state=online",
		`worker listening args=1 address="127.0.0.1" addressType=4 fd=<nil> portInRange=true`,
		"cluster listening sameWorker=true state=listening",
		`worker exit args=2 code=<nil> signal="SIGTERM" matchProcess=true`,
		"cluster exit sameWorker=true state=dead",
	}
	if d := cmp.Diff(want, lcLines(lines)); d != "" {
		t.Errorf("primary's observations (-node +port):\n%s", d)
	}
}

// lcLifecycle records a worker's and cluster's disconnect and exit events
// (and listening, if any) in order, with what Node's tests look at.
type lcLifecycle struct {
	seen []string
	pid  int
}

func (r *lcLifecycle) watch(t *testing.T, w *cluster.Worker) {
	r.pid = w.Process.GetPid()
	rec := func(s string) { r.seen = append(r.seen, s) }
	lcClusterOn(t, "listening", func(x *cluster.Worker) { rec("cluster listening") })
	lcClusterOn(t, "disconnect", func(x *cluster.Worker) {
		rec(fmt.Sprintf("cluster disconnect sameWorker=%v", x == w))
	})
	lcClusterOn(t, "exit", func(x *cluster.Worker, code, sig any) {
		pc, ps := lcExitOf(x)
		rec(fmt.Sprintf("cluster exit sameWorker=%v code=%v signal=%v process=%v/%v workersLeft=%d",
			x == w, code, sig, pc, ps, len(cluster.Workers())))
	})
	w.On("listening", func() { rec("worker listening") })
	w.On("disconnect", func() {
		rec(fmt.Sprintf("worker disconnect state=%s exitedAfterDisconnect=%s", w.State, lcFlag(w)))
	})
	w.On("exit", func(code, sig any) {
		pc, ps := lcExitOf(w)
		rec(fmt.Sprintf("worker exit code=%v signal=%v process=%v/%v pidGone=%v", code, sig, pc, ps, lcPidGone(r.pid)))
	})
}

// TestClusterWorkerExit: a worker's process.exit(42) in its listening
// handler: one disconnect and one exit on the worker and on cluster; exit
// (42, null); state disconnected and exitedAfterDisconnect false at
// disconnect; the pid gone at exit. (No "listening": the worker died
// before reporting it, as on v20, node-v20-truth.md §1; v20 always gave
// disconnect first.)
//
// Mirrors test/parallel/test-cluster-worker-exit.js
func TestClusterWorkerExit(t *testing.T) {
	var r lcLifecycle
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		r.watch(t, forkScenario(t, "lc-exit-on-listening", nil))
	})
	want := []string{
		"worker disconnect state=disconnected exitedAfterDisconnect=false",
		"cluster disconnect sameWorker=true",
		"worker exit code=42 signal=<nil> process=42/<nil> pidGone=true",
		"cluster exit sameWorker=true code=42 signal=<nil> process=42/<nil> workersLeft=0",
	}
	if d := cmp.Diff(want, r.seen); d != "" {
		t.Errorf("events (-node +port):\n%s", d)
	}
}

// TestClusterWorkerDeath: a worker that calls process.exit(42) at once:
// worker exit (42, null), and cluster exit with that worker.
//
// Mirrors test/parallel/test-cluster-worker-death.js
func TestClusterWorkerDeath(t *testing.T) {
	var got []string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lc-exit42", nil)
		w.On("exit", func(code, sig any) { got = append(got, fmt.Sprintf("worker exit %v %v", code, sig)) })
		lcClusterOn(t, "exit", func(x *cluster.Worker) { got = append(got, fmt.Sprintf("cluster exit sameWorker=%v", x == w)) })
	})
	want := []string{"worker exit 42 <nil>", "cluster exit sameWorker=true"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

// TestClusterWorkerIsconnected: connected right after fork, and inside the
// worker; not connected inside the primary's worker 'disconnect' nor the
// worker's process and cluster.worker 'disconnect' (the worker exits
// non-zero if not).
//
// Mirrors test/parallel/test-cluster-worker-isconnected.js
func TestClusterWorkerIsconnected(t *testing.T) {
	var afterFork bool
	var inDisconnect []bool
	var exitCode, exitSignal any
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lc-isconnected", nil)
		afterFork = w.IsConnected()
		w.On("disconnect", func() { inDisconnect = append(inDisconnect, w.IsConnected()) })
		w.On("message", func(m any) {
			if m == "readyToDisconnect" {
				w.Disconnect()
			}
		})
		w.On("exit", func(c, s any) { exitCode, exitSignal = c, s })
	})
	require.True(t, afterFork, "isConnected() right after fork()")
	require.Equal(t, []bool{false}, inDisconnect, "isConnected() inside 'disconnect'")
	require.Equal(t, 0, exitCode, "the worker's own checks (non-zero: one failed)")
	require.Nil(t, exitSignal)
}

// TestClusterWorkerIsdead: not dead right after fork nor from within the
// worker; dead inside the primary's 'exit'.
//
// Mirrors test/parallel/test-cluster-worker-isdead.js
func TestClusterWorkerIsdead(t *testing.T) {
	var afterFork, inExit, ready bool
	var exitSignal any
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lc-isdead", nil)
		afterFork = w.IsDead()
		w.On("exit", func(c, s any) { inExit, exitSignal = w.IsDead(), s })
		w.On("message", func(m any) {
			if m == "readyToDie" {
				ready = true
				w.Kill("")
			}
		})
	})
	require.False(t, afterFork, "isDead() right after fork()")
	require.True(t, ready, "the worker found itself dead, or never said so")
	require.True(t, inExit, "isDead() inside 'exit'")
	require.Equal(t, "SIGTERM", exitSignal)
}

// TestClusterForkEnv: fork(env) adds to and overrides the primary's
// environment; cluster.worker.send() returns true in the worker.
//
// Mirrors test/parallel/test-cluster-fork-env.js
func TestClusterForkEnv(t *testing.T) {
	t.Setenv("cluster_test_overwrite", "old")
	var got *cluster.Object
	var exitCode any
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lc-fork-env", map[string]string{
			"cluster_test_prop":      "custom",
			"cluster_test_overwrite": "new",
		})
		w.On("message", func(m any) {
			got, _ = m.(*cluster.Object)
			w.Disconnect()
		})
		w.On("exit", func(c any) { exitCode = c })
	})
	require.NotNil(t, got, "no message from the worker")
	prop, _ := got.String("prop")
	overwrite, _ := got.String("overwrite")
	require.Equal(t, "custom", prop, "the worker did not receive the correct env")
	require.Equal(t, "new", overwrite, "the custom environment did not overwrite the existing one")
	require.Equal(t, 0, exitCode, "the worker's send() returned false")
}

// lcMessageClient is test-cluster-message.js's client: it connects, tells
// the loop (which then sends the worker its message), reads one JSON
// object, hands it to the loop, and once told to, ends its side and reads
// to the end.
type lcMessageClient struct {
	port      int
	loop      *uv.Loop
	connected func()
	data      func(map[string]any, error)
	end       func(error)
	endNow    chan struct{}
}

func (c *lcMessageClient) run() {
	defer c.loop.Post(c.loop.Unref)
	conn, err := stdnet.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(c.port), 10*time.Second)
	if err != nil {
		c.loop.Post(func() { c.data(nil, err) })
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	c.loop.Post(c.connected)
	var buf []byte
	var obj map[string]any
	for {
		b := make([]byte, 4096)
		n, err := conn.Read(b)
		buf = append(buf, b[:n]...)
		if json.Valid(buf) {
			err = json.Unmarshal(buf, &obj)
			c.loop.Post(func() { c.data(obj, err) })
			break
		}
		if err != nil {
			c.loop.Post(func() { c.data(nil, fmt.Errorf("read %q: %w", buf, err)) })
			return
		}
	}
	select {
	case <-c.endNow:
	case <-time.After(20 * time.Second):
		c.loop.Post(func() { c.end(errors.New("the loop never ended the client")) })
		return
	}
	conn.(*stdnet.TCPConn).CloseWrite()
	_, err = io.Copy(io.Discard, conn)
	c.loop.Post(func() { c.end(err) })
}

// TestClusterMessage: the worker's process.send(x) arrives as worker
// 'message'(x) and cluster 'message'(worker, x); the primary's
// worker.send(y) arrives as the worker's process 'message'(y) (echoed back
// over a TCP connection to the worker's server).
//
// Mirrors test/parallel/test-cluster-message.js
func TestClusterMessage(t *testing.T) {
	checks := map[string]string{}
	var clientErr error
	var exited bool
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lc-message", nil)
		var c *lcMessageClient
		check := func(typ, got string) {
			checks[typ] = got
			if len(checks) == 3 {
				select { // never block the loop
				case c.endNow <- struct{}{}:
				default:
				}
			}
		}
		w.On("message", func(m any) { check("primary", fmt.Sprint(m)) })
		lcClusterOn(t, "message", func(x *cluster.Worker, m any) {
			check("global", fmt.Sprintf("sameWorker=%v %v", x == w, m))
		})
		w.On("listening", func(a cluster.Address) {
			c = &lcMessageClient{
				port: a.Port, loop: uv.Default(), endNow: make(chan struct{}, 1),
				connected: func() { w.Send("message from master", nil, nil) },
				data: func(d map[string]any, err error) {
					if err != nil {
						clientErr = err
						w.Kill("")
						return
					}
					if d["code"] != "received message" {
						fail("wrong TCP message received: %v", d)
						return
					}
					check("worker", fmt.Sprint(d["echo"]))
				},
				end: func(err error) {
					clientErr = err
					w.Kill("")
				},
			}
			uv.Default().Ref()
			go c.run()
		})
		w.On("exit", func() { exited = true })
	})
	require.NoError(t, clientErr)
	require.True(t, exited)
	want := map[string]string{
		"primary": "message from worker",
		"global":  "sameWorker=true message from worker",
		"worker":  "message from master",
	}
	if d := cmp.Diff(want, checks); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

// TestClusterWorkerEvents: worker.send() returns true; the message is
// emitted on the worker's process and cluster.worker alike; process
// 'error' is re-emitted on cluster.worker; the worker exits 2 (OK).
//
// Mirrors test/parallel/test-cluster-worker-events.js
func TestClusterWorkerEvents(t *testing.T) {
	var result bool
	var code, sig any = -1, -1
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lc-worker-events", nil)
		w.On("exit", func(c, s any) { code, sig = c, s })
		result = w.Send("SOME MESSAGE", nil, nil)
	})
	require.True(t, result, "worker.send() right after fork()")
	require.Equal(t, 2, code, "exit code (2 = OK; others: a check failed in the worker)")
	require.Nil(t, sig)
}

// TestClusterWorkerInit: a message sent on 'online' reaches cluster.worker;
// the primary's worker.disconnect() returns the worker.
//
// Mirrors test/parallel/test-cluster-worker-init.js
func TestClusterWorkerInit(t *testing.T) {
	var messages []any
	var returned bool
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lc-worker-init", nil)
		w.On("message", func(m any) {
			messages = append(messages, m)
			returned = w.Disconnect() == w
		})
		w.On("online", func() { w.Send("foo", nil, nil) })
	})
	require.Equal(t, []any{true}, messages)
	require.True(t, returned, "worker.disconnect() returns the worker")
}

// lcSettingsLine prints cluster.settings as one JSON line.
func lcSettingsLine(label string, s cluster.Settings) {
	b, _ := json.Marshal(s)
	lcOut("%s %s", label, b)
}

// lcSetupPrimaryCumulative is test-cluster-setup-primary-cumulative.js's
// script, printing cluster.settings at each step, and every "setup".
func lcSetupPrimaryCumulative() {
	// Two script arguments, so that Args = argv[1:] is not trivially empty
	// (Node: argv.slice(2)).
	os.Args = append(os.Args, "arg1", "arg2")
	exe, _ := os.Executable()
	b, _ := json.Marshal(map[string]any{"args": os.Args[1:], "execPath": exe})
	lcOut("argv %s", b)
	cluster.On("setup", func(s cluster.Settings) { lcSettingsLine("setup", s) })
	lcSettingsLine("before", cluster.GetSettings())
	cluster.SetupPrimary(nil)
	lcSettingsLine("defaults", cluster.GetSettings())
	cluster.SetupPrimary(&cluster.Settings{Exec: "overridden"})
	lcSettingsLine("exec", cluster.GetSettings())
	cluster.SetupPrimary(&cluster.Settings{Args: []string{"foo", "bar"}})
	lcSettingsLine("args", cluster.GetSettings())
	cluster.SetupPrimary(&cluster.Settings{ExecArgv: []string{"baz", "bang"}})
	lcSettingsLine("execArgv", cluster.GetSettings())
	cluster.SetupPrimary(nil)
	lcSettingsLine("bare", cluster.GetSettings())
	lcOut("sync end")
}

// TestClusterSetupPrimaryCumulative: cluster.settings is empty before the
// first setupPrimary(); then it holds the defaults; later calls override
// only the fields they give; a bare call keeps everything; "setup" comes
// on a later tick, once per call, with the settings of that call.
//
// DEVIATION(shape): settings are a Go struct, cluster.Settings, not a JS
// object: "{}" is the zero Settings; the defaults are Args = os.Args[1:]
// (Node: argv.slice(2)), Exec "" (a Go binary is its own program; Node:
// argv[1], the script), ExecPath = os.Executable() (Go only; Node always
// runs process.execPath), ExecArgv nil (a Go binary has no execArgv;
// Node: process.execArgv) and Silent false. This runs in a primary
// process of its own: the test process already called SetupPrimary.
//
// Mirrors test/parallel/test-cluster-setup-primary-cumulative.js
func TestClusterSetupPrimaryCumulative(t *testing.T) {
	lines, code, _ := runPrimaryProcess(t, "lc-setup-primary-cumulative", nil, 20*time.Second)
	require.Equal(t, 0, code)
	out := lcLines(lines)
	require.NotEmpty(t, out)
	argvLine, ok := strings.CutPrefix(out[0], "argv ")
	require.True(t, ok, out[0])
	var argv struct {
		Args     []string `json:"args"`
		ExecPath string   `json:"execPath"`
	}
	require.NoError(t, json.Unmarshal([]byte(argvLine), &argv))
	require.Equal(t, []string{"arg1", "arg2"}, argv.Args)

	settings := func(s cluster.Settings) string {
		b, _ := json.Marshal(s)
		return string(b)
	}
	defaults := cluster.Settings{Args: argv.Args, ExecPath: argv.ExecPath}
	exec := defaults
	exec.Exec = "overridden"
	args := exec
	args.Args = []string{"foo", "bar"}
	execArgv := args
	execArgv.ExecArgv = []string{"baz", "bang"}
	want := []string{
		"before " + settings(cluster.Settings{}),
		"defaults " + settings(defaults),
		"exec " + settings(exec),
		"args " + settings(args),
		"execArgv " + settings(execArgv),
		"bare " + settings(execArgv),
		"sync end",
		// "setup" on a later tick, once per call, each with the settings
		// that call made.
		"setup " + settings(defaults),
		"setup " + settings(exec),
		"setup " + settings(args),
		"setup " + settings(execArgv),
		"setup " + settings(execArgv),
	}
	if d := cmp.Diff(want, out[1:]); d != "" {
		t.Errorf("settings (-node +port):\n%s", d)
	}
}

// lcSetupPrimaryEmit is test-cluster-setup-primary-emit.js's script.
func lcSetupPrimaryEmit() {
	cluster.Once("setup", func(s cluster.Settings) {
		lcOut("setup 1 exec=%q", s.Exec)
		uv.Default().SetImmediate(func() {
			cluster.Once("setup", func(s cluster.Settings) {
				lcOut("setup 2 exec=%q", s.Exec)
			})
			cluster.SetupPrimary(nil)
		})
	})
	cluster.SetupPrimary(&cluster.Settings{Exec: "new-exec"})
	lcOut("sync end")
}

// TestClusterSetupPrimaryEmit: setupPrimary() emits "setup" (after the
// call returns) with the settings; a bare call emits it too. (Node checks
// 'exec' in settings for the bare call; a Go struct always has Exec.)
//
// Mirrors test/parallel/test-cluster-setup-primary-emit.js
func TestClusterSetupPrimaryEmit(t *testing.T) {
	lines, code, _ := runPrimaryProcess(t, "lc-setup-primary-emit", nil, 20*time.Second)
	require.Equal(t, 0, code)
	want := []string{"sync end", `setup 1 exec="new-exec"`, `setup 2 exec="new-exec"`}
	if d := cmp.Diff(want, lcLines(lines)); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

// lcSetupPrimaryMultiple is test-cluster-setup-primary-multiple.js's
// script: three setupPrimary calls 100 ms apart; every "setup" records
// cluster.settings.exec.
func lcSetupPrimaryMultiple() {
	cluster.On("setup", func() { lcOut("setup exec=%s", cluster.GetSettings().Exec) })
	for i, v := range []string{"node-next", "node-next-2", "node-next-3"} {
		uv.Default().SetTimeout(time.Duration(i)*100*time.Millisecond, func() {
			cluster.SetupPrimary(&cluster.Settings{Exec: v})
		})
	}
	uv.Default().SetTimeout(400*time.Millisecond, func() { lcOut("done") })
}

// TestClusterSetupPrimaryMultiple: "setup" is emitted for every
// setupPrimary call, each seeing that call's settings.
//
// Mirrors test/parallel/test-cluster-setup-primary-multiple.js
func TestClusterSetupPrimaryMultiple(t *testing.T) {
	lines, code, _ := runPrimaryProcess(t, "lc-setup-primary-multiple", nil, 20*time.Second)
	require.Equal(t, 0, code)
	want := []string{"setup exec=node-next", "setup exec=node-next-2", "setup exec=node-next-3", "done"}
	if d := cmp.Diff(want, lcLines(lines)); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

// TestClusterInvalidMessage: a cluster message with an ack nobody waits
// for ({cmd:'NODE_CLUSTER', ack:-1}) is ignored by the worker, which then
// exits (0, null) after the primary disconnects it.
//
// Mirrors test/parallel/test-cluster-invalid-message.js
func TestClusterInvalidMessage(t *testing.T) {
	var code, sig any = -1, -1
	var sent bool
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lc-idle", nil)
		w.On("exit", func(c, s any) { code, sig = c, s })
		w.On("online", func() {
			w.Send(cluster.NewObject("cmd", "NODE_CLUSTER", "ack", -1), nil, func(err error) {
				if err != nil {
					fail("send: %v", err)
				}
				sent = true
				w.Disconnect()
			})
		})
	})
	require.True(t, sent)
	require.Equal(t, 0, code)
	require.Nil(t, sig)
}

// TestClusterWorkerDisconnect: the primary's worker.disconnect() after
// listening returns the worker; the worker's cluster.worker 'disconnect'
// fires (it exits 42 there); the primary's worker 'disconnect' sees state
// disconnected and exitedAfterDisconnect true; one cluster disconnect and
// exit; the pid is gone at exit.
//
// Mirrors test/parallel/test-cluster-worker-disconnect.js
func TestClusterWorkerDisconnect(t *testing.T) {
	var r lcLifecycle
	var returned bool
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lc-disconnect-exit42", nil)
		w.Once("listening", func() { returned = w.Disconnect() == w })
		r.watch(t, w)
	})
	require.True(t, returned, "worker.disconnect() returns the worker")
	want := []string{
		"worker listening",
		"cluster listening",
		"worker disconnect state=disconnected exitedAfterDisconnect=true",
		"cluster disconnect sameWorker=true",
		"worker exit code=42 signal=<nil> process=42/<nil> pidGone=true",
		"cluster exit sameWorker=true code=42 signal=<nil> process=42/<nil> workersLeft=0",
	}
	if d := cmp.Diff(want, r.seen); d != "" {
		t.Errorf("events (-node +port):\n%s", d)
	}
}

// TestClusterWorkerKill: worker.process.kill('SIGKILL') after listening:
// one disconnect and one exit on the worker and on cluster; exit
// (null, 'SIGKILL'); state disconnected and exitedAfterDisconnect false at
// disconnect; disconnect before exit; the pid gone at exit.
//
// Mirrors test/parallel/test-cluster-worker-kill.js
func TestClusterWorkerKill(t *testing.T) {
	var r lcLifecycle
	var killed bool
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lc-listen", nil)
		w.Once("listening", func() { killed = w.Process.Kill("SIGKILL") })
		r.watch(t, w)
	})
	require.True(t, killed)
	want := []string{
		"worker listening",
		"cluster listening",
		"worker disconnect state=disconnected exitedAfterDisconnect=false",
		"cluster disconnect sameWorker=true",
		"worker exit code=<nil> signal=SIGKILL process=<nil>/SIGKILL pidGone=true",
		"cluster exit sameWorker=true code=<nil> signal=SIGKILL process=<nil>/SIGKILL workersLeft=0",
	}
	if d := cmp.Diff(want, r.seen); d != "" {
		t.Errorf("events (-node +port):\n%s", d)
	}
}

// TestClusterWorkerKillSignal: the primary's worker.kill('SIGKILL'): one
// disconnect (state disconnected, exitedAfterDisconnect false), one exit
// (null, 'SIGKILL') with the pid gone; cluster.workers empty inside
// cluster 'exit'.
//
// Mirrors test/parallel/test-cluster-worker-kill-signal.js
func TestClusterWorkerKillSignal(t *testing.T) {
	var r lcLifecycle
	var killErr error = errors.New("not called")
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lc-listen", nil)
		w.Once("listening", func() { killErr = w.Kill("SIGKILL") })
		r.watch(t, w)
	})
	require.NoError(t, killErr)
	want := []string{
		"worker listening",
		"cluster listening",
		"worker disconnect state=disconnected exitedAfterDisconnect=false",
		"cluster disconnect sameWorker=true",
		"worker exit code=<nil> signal=SIGKILL process=<nil>/SIGKILL pidGone=true",
		"cluster exit sameWorker=true code=<nil> signal=SIGKILL process=<nil>/SIGKILL workersLeft=0",
	}
	if d := cmp.Diff(want, r.seen); d != "" {
		t.Errorf("events (-node +port):\n%s", d)
	}
}

// TestClusterKillDisconnect: a worker that calls its own disconnect() or
// kill(): exitedAfterDisconnect is already true in the primary at
// 'disconnect' and at 'exit' (the worker waits for the primary's ack of
// its exitedAfterDisconnect message before closing the channel).
//
// Mirrors test/parallel/test-cluster-kill-disconnect.js
func TestClusterKillDisconnect(t *testing.T) {
	got := map[string][]string{}
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		for _, action := range []string{"disconnect", "kill"} {
			w := forkScenario(t, "lc-self", map[string]string{"action": action})
			w.On("disconnect", func() {
				got[action] = append(got[action], "disconnect exitedAfterDisconnect="+lcFlag(w))
			})
			w.On("exit", func(code, sig any) {
				got[action] = append(got[action], fmt.Sprintf("exit exitedAfterDisconnect=%s code=%v signal=%v", lcFlag(w), code, sig))
			})
		}
	})
	want := map[string][]string{
		"disconnect": {"disconnect exitedAfterDisconnect=true", "exit exitedAfterDisconnect=true code=0 signal=<nil>"},
		"kill":       {"disconnect exitedAfterDisconnect=true", "exit exitedAfterDisconnect=true code=0 signal=<nil>"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

// TestClusterDisconnectExitedAfterDisconnectRace: the worker's own
// disconnect() does not emit 'disconnect' within the same tick (it waits
// for the primary's ack) but does emit it; cluster 'exit' code 0.
//
// Mirrors test/parallel/test-cluster-disconnect-exitedAfterDisconnect-race.js
func TestClusterDisconnectExitedAfterDisconnectRace(t *testing.T) {
	var codes []any
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		lcClusterOn(t, "exit", func(_ *cluster.Worker, code any) { codes = append(codes, code) })
		forkScenario(t, "lc-disconnect-race", nil)
	})
	require.Equal(t, []any{0}, codes, "worker exit code (3: 'disconnect' before the ack; 4: never)")
}

// TestClusterWorkerDestroy: destroy() from within a worker, once after the
// worker disconnected itself (from process 'disconnect') and once while
// still connected: the primary sees exactly one 'disconnect' and one
// 'exit' per worker; the worker's disconnect() returns cluster.worker.
//
// Mirrors test/parallel/test-cluster-worker-destroy.js
func TestClusterWorkerDestroy(t *testing.T) {
	got := map[string][]string{}
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		for _, role := range []string{"first", "second"} {
			w := forkScenario(t, "lc-destroy", map[string]string{"role": role})
			w.On("disconnect", func() { got[role] = append(got[role], "disconnect") })
			w.On("exit", func(code, sig any) { got[role] = append(got[role], fmt.Sprintf("exit %v %v", code, sig)) })
		}
	})
	// Node's test asserts the counts; the codes are 0 from destroy's
	// process.exit(0) (3 would mean disconnect() returned something else).
	want := map[string][]string{
		"first":  {"disconnect", "exit 0 <nil>"},
		"second": {"disconnect", "exit 0 <nil>"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

// TestClusterWorkerForcedExit: a worker exits at once when its channel
// closes while exitedAfterDisconnect is unset (worker.process.disconnect():
// code 0), and is left to exit on its own after the cluster's
// worker.disconnect() (code 42, from its 10 ms timer).
//
// Mirrors test/parallel/test-cluster-worker-forced-exit.js
func TestClusterWorkerForcedExit(t *testing.T) {
	got := map[string]any{}
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		unforced := forkScenario(t, "lc-forced-exit", nil)
		unforced.On("online", func() { unforced.Disconnect() })
		unforced.On("exit", func(code any) { got["unforced"] = code })
		forced := forkScenario(t, "lc-forced-exit", nil)
		forced.On("online", func() { forced.Process.Disconnect() })
		forced.On("exit", func(code any) { got["forced"] = code })
	})
	want := map[string]any{"unforced": 42, "forced": 0}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("exit codes (-node +port):\n%s", d)
	}
}
