package nodecluster_test

// The scenario runner behind the walkthrough and wire tests: this test
// binary is the primary (in the test process, on its event loop), and a
// re-exec of it is the worker, dispatched in TestMain before m.Run.

import (
	"bufio"
	"fmt"
	"io"
	stdnet "net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/trace"
	"github.com/nodecluster/nodecluster/internal/utils"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

const (
	envWorker  = "NODECLUSTER_TEST_WORKER"
	envPrimary = "NODECLUSTER_TEST_PRIMARY"
)

// workerScenarios are worker programs chosen by NODECLUSTER_TEST_WORKER;
// primaryScenarios are primary programs chosen by NODECLUSTER_TEST_PRIMARY,
// for tests that need a primary in a process of its own (SCHED_NONE, a
// primary that dies). Test files add theirs in init.
var (
	workerScenarios  = map[string]func(){}
	primaryScenarios = map[string]func(){}
)

func TestMain(m *testing.M) {
	if name := os.Getenv(envWorker); name != "" {
		if sc, ok := workerScenarios[name]; ok {
			cluster.Run(sc) // does not return
		}
		if _, ok := listenForms[name]; ok {
			runWorker(name) // does not return
		}
		fmt.Fprintf(os.Stderr, "no worker scenario %q\n", name)
		os.Exit(2)
	}
	if name := os.Getenv(envPrimary); name != "" {
		sc, ok := primaryScenarios[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "no primary scenario %q\n", name)
			os.Exit(2)
		}
		os.Unsetenv(envPrimary)
		cluster.Run(sc) // does not return
	}
	os.Exit(m.Run())
}

// listenForms are the worker's listen calls, named as in Node's recorded
// wire traces (tools/node-wire-scenario.js).
var listenForms = map[string]func(s *net.Server) error{
	"listen-port0-host":    func(s *net.Server) error { return s.Listen(0, "127.0.0.1") },
	"listen-port0-host-cb": func(s *net.Server) error { return s.Listen(0, "127.0.0.1", func() {}) },
	"listen-port0":         func(s *net.Server) error { return s.Listen(0) },
	"listen-port0-cb":      func(s *net.Server) error { return s.Listen(0, func() {}) },
	"listen-options": func(s *net.Server) error {
		return s.Listen(net.ListenOptions{Port: 0, Host: "127.0.0.1", Backlog: 100})
	},
	"listen-port-only": func(s *net.Server) error { return s.Listen(0) },
}

// runWorker is the worker side of every scenario: a server that answers
// "hi" and closes, listening in the scenario's form.
func runWorker(form string) {
	cluster.Run(func() {
		s := net.CreateServer(func(c *net.Socket) { c.End([]byte("hi")) })
		process.Get().On("message", func(any, any) {})
		s.On("error", func(err error) {
			fmt.Fprintln(os.Stderr, "worker:", err)
			process.Get().Exit(3)
		})
		if err := listenForms[form](s); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			process.Get().Exit(4)
		}
	})
}

type wireLine struct {
	Dir  string // "W->P" or "P->W"
	Line string
	Fd   bool
	At   int64 `cmp:"-"` // when the primary wrote or read it (narration only)
}

type result struct {
	primary, worker []trace.Event
	wire            []wireLine
	address         cluster.Address
	reply           string
	exitCode        any
}

// runScenario forks one worker that listens in form, connects to it once
// it listens, and disconnects it once the connection was accepted and
// answered; it returns what each process traced and the wire.
func runScenario(t *testing.T, form string) result {
	t.Helper()
	var res result
	var mu sync.Mutex
	utils.ResetForTest()
	trace.SetHook(func(e trace.Event) {
		mu.Lock()
		res.primary = append(res.primary, e)
		mu.Unlock()
	})
	defer trace.SetHook(nil)
	childprocess.WireHook = func(_ *childprocess.Target, dir byte, line []byte, fd bool) {
		d := "P->W"
		if dir == 'r' {
			d = "W->P"
		}
		res.wire = append(res.wire, wireLine{Dir: d, Line: string(line), Fd: fd, At: time.Now().UnixNano()})
	}
	defer func() { childprocess.WireHook = nil }()

	tracePath := filepath.Join(t.TempDir(), "worker.trace")
	var failure string
	process.RunMain(func() {
		l := uv.Default()
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{Args: []string{}}))
		w, err := cluster.Fork(map[string]string{envWorker: form, trace.EnvPath: tracePath})
		require.NoError(t, err)
		proc := w.Process.(*childprocess.ChildProcess)
		deadline := l.SetTimeout(30*time.Second, func() {
			failure = "deadline: the scenario did not finish in 30s"
			proc.Kill("SIGKILL")
		})
		deadline.Unref()
		accepted, answered := false, false
		maybeDisconnect := func() {
			if accepted && answered && w.IsConnected() {
				w.Disconnect()
			}
		}
		proc.On("internalMessage", func(m any, _ any) {
			if o, ok := m.(*childprocess.Object); ok {
				if a, _ := o.Bool("accepted"); a {
					accepted = true
					maybeDisconnect()
				}
			}
		})
		w.On("listening", func(addr cluster.Address) {
			res.address = addr
			c := &client{port: addr.Port, loop: l, done: func(reply string, err error) {
				if err != nil {
					failure = "client: " + err.Error()
				}
				res.reply = reply
				answered = true
				maybeDisconnect()
			}}
			l.Ref()
			go c.run()
		})
		w.On("exit", func(code any, sig any) {
			res.exitCode = code
			deadline.Stop()
		})
	})
	if failure != "" {
		t.Fatal(failure)
	}
	res.worker = readTrace(t, tracePath)
	return res
}

// client connects to the worker's port like the recorded Node scenario
// (127.0.0.1) and reads the answer to its end.
type client struct {
	port int
	loop *uv.Loop
	done func(string, error)
}

func (c *client) run() {
	reply, err := dialAndRead(c.port)
	c.loop.Post(func() {
		c.loop.Unref()
		c.done(reply, err)
	})
}

func dialAndRead(port int) (string, error) {
	conn, err := stdnet.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 10*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(conn)
	return string(b), err
}

func readTrace(t *testing.T, path string) []trace.Event {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err, "the worker wrote no trace")
	defer f.Close()
	var out []trace.Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		e, err := trace.Parse(sc.Text())
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

// merged interleaves both processes' events by time, for narration.
func merged(r result) []trace.Event {
	all := append(append([]trace.Event(nil), r.primary...), r.worker...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].At < all[j].At })
	return all
}

// steps lists "Go function" names of events, keeping only those in keep
// (all when keep is nil).
func steps(evs []trace.Event, keep map[string]bool) []string {
	var out []string
	for _, e := range evs {
		if keep == nil || keep[e.Go] {
			out = append(out, e.Go)
		}
	}
	return out
}

// narrate logs events (those in focus only, when focus is not nil) as
// "process  Go function  ⇐ JS function  what it did", and, with wire,
// the messages on the channel where they crossed it.
func narrate(t *testing.T, evs []trace.Event, focus map[string]bool, wire []wireLine) {
	t.Helper()
	wi := 0
	for _, e := range evs {
		for wire != nil && wi < len(wire) && wire[wi].At <= e.At {
			logWire(t, wire[wi])
			wi++
		}
		if focus == nil || focus[e.Go] {
			t.Logf("%-9s %-34s ⇐ %-58s %s", e.Process, e.Go, e.JS, e.Detail)
		}
	}
	for ; wire != nil && wi < len(wire); wi++ {
		logWire(t, wire[wi])
	}
}

func logWire(t *testing.T, w wireLine) {
	t.Helper()
	fd := ""
	if w.Fd {
		fd = "  + fd (SCM_RIGHTS)"
	}
	t.Logf("          %s %s%s", w.Dir, w.Line, fd)
}

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

var _ = strings.TrimSpace

// clientReadAll, started as a goroutine, dials addr, reads until the
// server closes (at most 10 s), and hands what it read to then on the
// loop ("" when the dial failed). The caller holds a Ref for it.
func clientReadAll(addr string, then func(got string)) {
	got := ""
	if c, err := stdnet.DialTimeout("tcp", addr, 10*time.Second); err == nil {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(c)
		got = string(b)
		c.Close()
	}
	cluster.Post(func() { then(got) })
}
