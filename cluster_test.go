package nodecluster_test

// Cluster behaviour on the article's path, checked against what Node
// v20.20.2 does (its event order, its errors), with real processes: this
// test binary is the primary, re-execs of it are the workers.

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
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/master"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/utils"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func init() {
	for name, fn := range basicWorkerScenarios {
		workerScenarios[name] = fn
	}
}

// basicWorkerScenarios are worker programs chosen by NODECLUSTER_TEST_WORKER.
var basicWorkerScenarios = map[string]func(){
	// bad-port: every bad argument to Listen must come back as Node's
	// error, with nothing sent to the primary; then it reports them.
	"bad-port": func() {
		s := net.CreateServer(nil)
		var codes []any
		for _, arg := range []any{-1, 65536, 3.5, " ", "65536", true, net.ListenOptions{Port: true}, net.ListenOptions{}} {
			err := s.Listen(arg)
			code := "none"
			if ne, ok := err.(*net.Error); ok {
				code = ne.Code + ": " + ne.Message
			}
			codes = append(codes, code)
		}
		cluster.CurrentWorker().Send(cluster.NewObject("codes", codes, "listening", s.Listening()), nil, nil)
	},
	// listen-port: listen on $PORT and report the error, if any.
	"listen-port": func() {
		port, _ := strconv.Atoi(os.Getenv("PORT"))
		s := net.CreateServer(func(c *net.Socket) { c.End([]byte("ok")) })
		s.On("error", func(err error) {
			ne := err.(*net.Error)
			cluster.CurrentWorker().Send(cluster.NewObject("code", ne.Code, "errno", ne.Errno, "syscall", ne.Syscall,
				"address", ne.Address, "port", ne.Port, "message", ne.Message), nil, nil)
		})
		s.Listen(port)
	},
	// env: report the cluster variables left in the environment.
	"env": func() {
		left := []any{}
		for _, k := range []string{"NODE_UNIQUE_ID", "NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE"} {
			if _, ok := os.LookupEnv(k); ok {
				left = append(left, k)
			}
		}
		cluster.CurrentWorker().Send(cluster.NewObject("left", left, "id", cluster.CurrentWorker().ID), nil, nil)
	},
	// echo: answer every message with {echo: message}; "bye" disconnects.
	"echo": func() {
		w := cluster.CurrentWorker()
		w.On("message", func(m any) {
			if o, ok := m.(*cluster.Object); ok {
				if b, _ := o.Bool("bye"); b {
					w.Disconnect()
					return
				}
			}
			w.Send(cluster.NewObject("echo", m), nil, nil)
		})
		w.Send(cluster.NewObject("ready", true), nil, nil)
	},
	// garbage: write a malformed line on the channel, then a good message.
	"garbage": func() {
		p := process.Get()
		unix.Write(p.Channel.Fd(), []byte("this is not json\n"))
		cluster.CurrentWorker().Send(cluster.NewObject("after", "garbage"), nil, nil)
	},
	// exit-code: let go of the channel and end with exit code 7 when the
	// loop runs empty, as a Node script does with process.exitCode = 7.
	"exit-code": func() {
		p := process.Get()
		p.ExitCode = 7
		p.Channel.Unref()
	},
}

// primaryRun runs main as the primary on this process's loop and fails the
// test if the loop has not emptied by the deadline (killing the workers).
func primaryRun(t *testing.T, deadline time.Duration, main func(fail func(string, ...any))) {
	t.Helper()
	utils.ResetForTest()
	before := listeningFds()
	var failure string
	// Every worker forked, including those a disconnect already removed
	// from cluster.Workers() but whose process still runs.
	var forked []*cluster.Worker
	fail := func(format string, a ...any) {
		if failure == "" {
			failure = fmt.Sprintf(format, a...)
		}
		for _, w := range forked {
			if code, sig := w.Process.Exited(); code == nil && sig == "" {
				w.Process.Kill("SIGKILL")
			}
		}
	}
	var timer *uv.Timer
	var onFork *cluster.Listener
	// The next test's primaryRun adds its own: without this, the eleventh
	// would print a MaxListenersExceededWarning, as node would.
	defer func() { cluster.RemoveListener(onFork) }()
	process.RunMain(func() {
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{Args: []string{}}))
		onFork = cluster.On("fork", func(w *cluster.Worker) { forked = append(forked, w) })
		timer = uv.Default().SetTimeout(deadline, func() { fail("deadline: the primary's loop did not empty in %v", deadline) })
		timer.Unref()
		main(fail)
	})
	timer.Stop()
	if failure != "" {
		t.Fatal(failure)
	}
	require.Empty(t, cluster.Workers(), "workers left behind")
	require.Zero(t, master.HandleCount(), "handles left behind in the primary")
	checkNoLeaks(t, before)
}

func forkScenario(t *testing.T, name string, env map[string]string) *cluster.Worker {
	t.Helper()
	e := map[string]string{envWorker: name}
	for k, v := range env {
		e[k] = v
	}
	w, err := cluster.Fork(e)
	require.NoError(t, err)
	return w
}

// countQueryServer counts the queryServer messages w sends the primary.
func countQueryServer(w *cluster.Worker, n *int) {
	w.Process.(*childprocess.ChildProcess).On("internalMessage", func(m any) {
		if a, _ := m.(*childprocess.Object).String("act"); a == "queryServer" {
			*n++
		}
	})
}

// TestListenBadPort: a bad port is Node's thrown error, returned, and
// nothing is bound or asked of the primary.
func TestListenBadPort(t *testing.T) {
	var got *cluster.Object
	var queries int
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "bad-port", nil)
		countQueryServer(w, &queries)
		w.On("message", func(m any) {
			got = m.(*cluster.Object)
			w.Disconnect()
		})
	})
	require.NotNil(t, got)
	want := []any{
		"ERR_SOCKET_BAD_PORT: options.port should be >= 0 and < 65536. Received type number (-1).",
		"ERR_SOCKET_BAD_PORT: options.port should be >= 0 and < 65536. Received type number (65536).",
		"ERR_SOCKET_BAD_PORT: options.port should be >= 0 and < 65536. Received type number (3.5).",
		"ERR_SOCKET_BAD_PORT: options.port should be >= 0 and < 65536. Received type string (' ').",
		"ERR_SOCKET_BAD_PORT: options.port should be >= 0 and < 65536. Received type string ('65536').",
	}
	codes := got.Value("codes").([]any)
	if d := cmp.Diff(want, codes[:5]); d != "" {
		t.Errorf("codes (-node +port):\n%s", d)
	}
	require.Contains(t, codes[5], "ERR_INVALID_ARG_VALUE")
	require.Contains(t, codes[6], "ERR_INVALID_ARG_VALUE")
	require.Equal(t, `ERR_INVALID_ARG_VALUE: The argument 'options' must have the property "port" or "path". Received {}`, codes[7])
	require.Equal(t, "ERR_INVALID_ARG_VALUE: The argument 'options' is invalid. Received { port: true }", codes[5])
	listening, _ := got.Bool("listening")
	require.False(t, listening, "a bad port binds nothing")
	require.Zero(t, queries, "a bad port must not reach the primary")
}

// TestClusterPortInUse: the primary cannot bind for the worker; the worker's
// server gets Node's bind error, and the primary goes on serving.
func TestClusterPortInUse(t *testing.T) {
	hold, err := stdnet.Listen("tcp", ":0")
	require.NoError(t, err)
	defer hold.Close()
	port := hold.Addr().(*stdnet.TCPAddr).Port

	var errMsg *cluster.Object
	var second string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "listen-port", map[string]string{"PORT": strconv.Itoa(port)})
		w.On("message", func(m any) {
			errMsg = m.(*cluster.Object)
			w.Disconnect()
			// The primary is unharmed: a second worker listens and serves.
			w2 := forkScenario(t, "listen-port", map[string]string{"PORT": "0"})
			w2.On("listening", func(a cluster.Address) {
				c := &client{port: a.Port, loop: uv.Default(), done: func(reply string, err error) {
					if err != nil {
						fail("second worker: %v", err)
					}
					second = reply
					w2.Disconnect()
				}}
				uv.Default().Ref()
				go c.run()
			})
		})
	})
	require.NotNil(t, errMsg)
	code, _ := errMsg.String("code")
	require.Equal(t, "EADDRINUSE", code)
	require.Equal(t, -int(unix.EADDRINUSE), errMsg.Int("errno", 0))
	syscall, _ := errMsg.String("syscall")
	require.Equal(t, "bind", syscall)
	require.Nil(t, errMsg.Value("address"))
	require.Equal(t, port, errMsg.Int("port", 0))
	msg, _ := errMsg.String("message")
	require.Equal(t, fmt.Sprintf("bind EADDRINUSE null:%d", port), msg)
	require.Equal(t, "ok", second)
}

// TestClusterEventOrder: node-v20-truth §1, first rows: fork() returns with
// state none; next tick "setup", the worker's process's "spawn" (no
// arguments) and "fork"; then "online", "listening";
// a primary disconnect gives "disconnect" (worker already removed) then
// "exit" (0, null) with exitedAfterDisconnect true. Worker events fire
// before cluster events.
func TestClusterEventOrder(t *testing.T) {
	var seen []string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		rec := func(s string) { seen = append(seen, s) }
		var w *cluster.Worker
		ls := []*events.Listener{
			cluster.On("setup", func() { rec("cluster setup") }),
			cluster.On("fork", func(x *cluster.Worker) { rec("cluster fork state=" + x.State) }),
			cluster.On("online", func(x *cluster.Worker) { rec("cluster online state=" + x.State) }),
			cluster.On("listening", func(x *cluster.Worker, a cluster.Address) {
				rec(fmt.Sprintf("cluster listening state=%s addressType=%v address=%v", x.State, a.AddressType, a.Address))
				x.Disconnect()
			}),
			cluster.On("disconnect", func(x *cluster.Worker) {
				_, still := cluster.Workers()[x.ID]
				rec(fmt.Sprintf("cluster disconnect state=%s inWorkers=%v", x.State, still))
			}),
			cluster.On("exit", func(x *cluster.Worker, code, sig any) {
				rec(fmt.Sprintf("cluster exit state=%s code=%v signal=%v exitedAfterDisconnect=%v", x.State, code, sig, *x.ExitedAfterDisconnect))
			}),
		}
		w = forkScenario(t, "listen-port", map[string]string{"PORT": "0"})
		rec("fork returned state=" + w.State + fmt.Sprintf(" exitedAfterDisconnect=%v", w.ExitedAfterDisconnect))
		w.Process.On("spawn", func(args ...any) {
			rec(fmt.Sprintf("process spawn args=%d state=%s", len(args), w.State))
		})
		w.On("online", func() { rec("worker online") })
		w.On("listening", func(a cluster.Address) { rec("worker listening") })
		w.On("disconnect", func() { rec("worker disconnect") })
		w.On("exit", func(code, sig any) {
			rec("worker exit")
			uv.Default().NextTick(func() {
				for _, l := range ls {
					cluster.RemoveListener(l)
				}
			})
		})
	})
	want := []string{
		"fork returned state=none exitedAfterDisconnect=<nil>",
		"process spawn args=0 state=none",
		"cluster fork state=none",
		"worker online",
		"cluster online state=online",
		"worker listening",
		"cluster listening state=listening addressType=4 address=<nil>",
		"worker disconnect",
		"cluster disconnect state=disconnected inWorkers=false",
		"worker exit",
		"cluster exit state=dead code=0 signal=<nil> exitedAfterDisconnect=true",
	}
	// "setup" is emitted once, by the first SetupPrimary of the test
	// process: it is only in this sequence when this test ran first.
	got := seen[:0:0]
	for _, s := range seen {
		if s != "cluster setup" {
			got = append(got, s)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("event order (-node +port):\n%s", d)
	}
}

// TestWorkerEnvironmentCleared: a worker removes NODE_UNIQUE_ID and the
// channel variables at start-up, so its own children do not inherit them.
func TestWorkerEnvironmentCleared(t *testing.T) {
	var got *cluster.Object
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "env", nil)
		w.On("message", func(m any) { got = m.(*cluster.Object); w.Disconnect() })
	})
	require.NotNil(t, got)
	require.Equal(t, []any{}, got.Value("left"))
	require.Positive(t, got.Int("id", 0))
}

// TestClusterMessages: user messages both ways, with "message" on the
// worker object and on cluster in the primary, and on the worker in the
// worker process.
func TestClusterMessages(t *testing.T) {
	var seen []string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "echo", nil)
		l := cluster.On("message", func(x *cluster.Worker, m any) {
			seen = append(seen, "cluster message "+m.(*cluster.Object).JSONString())
		})
		w.On("message", func(m any) {
			o := m.(*cluster.Object)
			seen = append(seen, "worker message "+o.JSONString())
			if r, _ := o.Bool("ready"); r {
				w.Send(cluster.NewObject("n", 1, "s", "<é>\u2028"), nil, nil)
				return
			}
			w.Send(map[string]bool{"bye": true}, nil, nil)
		})
		w.On("exit", func() { uv.Default().NextTick(func() { cluster.RemoveListener(l) }) })
	})
	// cluster's "message" comes first: fork() registers its forwarder on
	// the worker before user code can add a listener (primary.js).
	want := []string{
		`cluster message {"ready":true}`,
		`worker message {"ready":true}`,
		"cluster message {\"echo\":{\"n\":1,\"s\":\"<é>\u2028\"}}",
		"worker message {\"echo\":{\"n\":1,\"s\":\"<é>\u2028\"}}",
	}
	if d := cmp.Diff(want, seen); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestMalformedLineIsReported: DEVIATION(fix): a malformed line kills a
// Node v20 process; the port reports it on the worker's "error" and goes
// on with the next message.
func TestMalformedLineIsReported(t *testing.T) {
	var errs []error
	var after string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "garbage", nil)
		w.On("error", func(err error) { errs = append(errs, err) })
		w.On("message", func(m any) {
			after, _ = m.(*cluster.Object).String("after")
			w.Disconnect()
		})
	})
	require.Len(t, errs, 1)
	var ce *childprocess.ChannelError
	require.ErrorAs(t, errs[0], &ce)
	require.ErrorIs(t, errs[0], childprocess.ErrSyntax)
	require.Equal(t, "garbage", after, "the message after the bad line still arrives")
}

// TestMalformedLineReproducesNode: with NODECLUSTER_REPRODUCE_V20 set to
// malformed-line, a worker that reads a malformed line dies with exit
// code 1, as Node v20 does; without it, the worker survives and answers.
func TestMalformedLineReproducesNode(t *testing.T) {
	for _, tc := range []struct {
		env      string
		wantCode any
	}{{"malformed-line", 1}, {"", 0}} {
		t.Run("reproduce="+tc.env, func(t *testing.T) {
			var code any
			var echoed bool
			primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
				w := forkScenario(t, "echo", map[string]string{"NODECLUSTER_REPRODUCE_V20": tc.env})
				w.On("message", func(m any) {
					o := m.(*cluster.Object)
					if r, _ := o.Bool("ready"); r {
						proc := w.Process.(*childprocess.ChildProcess)
						unix.Write(proc.Channel.Fd(), []byte("{not json\n"))
						w.Send(cluster.NewObject("ping", 1), nil, nil)
						return
					}
					echoed = true
					w.Send(map[string]bool{"bye": true}, nil, nil)
				})
				w.On("exit", func(c, s any) { code = c })
			})
			require.Equal(t, tc.wantCode, code)
			require.Equal(t, tc.env == "", echoed)
		})
	}
}

// TestUnknownActAndAckIgnored: a cluster message with an act nobody
// handles, or an ack nobody waits for, is ignored on both sides, as Node
// ignores it.
func TestUnknownActAndAckIgnored(t *testing.T) {
	var echoed bool
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "echo", nil)
		w.On("message", func(m any) {
			o := m.(*cluster.Object)
			if r, _ := o.Bool("ready"); r {
				proc := w.Process.(*childprocess.ChildProcess)
				unix.Write(proc.Channel.Fd(), []byte(`{"cmd":"NODE_CLUSTER","act":"bogus","seq":900}`+"\n"+
					`{"cmd":"NODE_CLUSTER","ack":12345,"seq":901}`+"\n"+`{"cmd":"NODE_SOMETHING_ELSE"}`+"\n"))
				w.Send(cluster.NewObject("ping", 1), nil, nil)
				return
			}
			echoed = true
			w.Send(map[string]bool{"bye": true}, nil, nil)
		})
	})
	require.True(t, echoed, "the worker kept working after unknown messages")
}

// TestLoopEmptyEndsWithExitCode: a program whose loop runs empty exits
// with process.exitCode, as a Node process does.
func TestLoopEmptyEndsWithExitCode(t *testing.T) {
	var code any
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "exit-code", nil)
		w.On("exit", func(c, s any) { code = c })
	})
	require.Equal(t, 7, code)
}
