package nodecluster_test

// Interop with real Node v20.20.2: a Go primary drives Node workers and a
// Node primary drives Go workers, and neither side can tell. Each scenario
// (testdata/interop/scenario.js holds Node's side of it, the Go side is
// below) is run three ways: Node with Node (the reference, live), Go
// primary with Node workers, Node primary with Go workers. The primary's
// events must be identical, and the IPC lines must match, per channel and
// direction, Node's recordings in testdata/wire-traces (made by
// scripts/record-node-wire), normalising only ports, temp paths and, where
// several channels interleave, the primary's seq/ack numbers.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

var interopScenarios = []string{
	"listen-port0-host", "listen-port0-host-cb", "listen-port0", "listen-port0-cb",
	"listen-options", "listen-pipe", "two-workers", "worker-disconnect", "messages",
}

func init() {
	workerScenarios["interop"] = interopWorker
	primaryScenarios["interop"] = interopPrimary
	// A Go worker records its wire from the start, "online" included,
	// which start-up sends before the scenario runs.
	if os.Getenv(envWorker) == "interop" && os.Getenv("INTEROP_WIRE") != "" {
		recordWorkerWire(os.Getenv("INTEROP_WIRE"))
	}
}

func recordWorkerWire(path string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return
	}
	childprocess.WireHook = func(_ *childprocess.Target, dir byte, line []byte, fd bool) {
		d := "W->P"
		if dir == 'r' {
			d = "P->W"
		}
		suffix := ""
		if fd {
			suffix = " + SCM_RIGHTS fd"
		}
		fmt.Fprintf(f, "%s %s%s\n", d, line, suffix)
	}
}

func interopSock() string {
	return filepath.Join(os.Getenv("INTEROP_TMP"), "interop.sock")
}

// interopWorker is the Go worker of a scenario: the same server and
// listen call as scenario.js's worker. With INTEROP_WIRE set it records
// its channel's lines there.
func interopWorker() {
	sc := os.Getenv("INTEROP_SCENARIO")
	s := net.CreateServer(func(c *net.Socket) { c.End([]byte("hi")) })
	process.Get().On("message", func(any, any) {})
	w := cluster.CurrentWorker()
	switch sc {
	case "listen-port0-host", "two-workers", "mixed":
		s.Listen(0, "127.0.0.1")
	case "listen-port0-host-cb":
		s.Listen(0, "127.0.0.1", func() {})
	case "listen-port0":
		s.Listen(0)
	case "listen-port0-cb":
		s.Listen(0, func() {})
	case "listen-options":
		s.Listen(net.ListenOptions{Port: 0, Host: "127.0.0.1", Backlog: 100})
	case "listen-pipe":
		s.Listen(interopSock())
	case "worker-disconnect":
		s.Listen(0, "127.0.0.1", func() {
			uv.Default().SetTimeout(300*time.Millisecond, func() { w.Disconnect() })
		})
	case "messages":
		s.Listen(0, "127.0.0.1", func() {
			w.Send(cluster.NewObject("hello", "from worker", "n", 1), nil, nil)
		})
	default:
		fmt.Fprintln(os.Stderr, "unknown scenario", sc)
		process.Get().Exit(2)
	}
}

func portText(p int) string {
	if p > 0 {
		return "<port>"
	}
	return strconv.Itoa(p)
}

func jsText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// interopPrimary is the Go primary of a scenario, printing the same event
// lines as scenario.js's primary, then its wire as "wire W<id> <line>".
func interopPrimary() {
	sc := os.Getenv("INTEROP_SCENARIO")
	node, script := os.Getenv("INTEROP_NODE"), os.Getenv("INTEROP_NODE_SCRIPT")
	say := func(a ...any) { fmt.Println(a...) }
	ids := map[*childprocess.Target]int{}
	var wire []string
	childprocess.WireHook = func(t *childprocess.Target, dir byte, line []byte, fd bool) {
		d := "P->W"
		if dir == 'r' {
			d = "W->P"
		}
		suffix := ""
		if fd {
			suffix = " + SCM_RIGHTS fd"
		}
		wire = append(wire, fmt.Sprintf("wire W%d %s %s%s", ids[t], d, line, suffix))
	}
	n := 1
	if sc == "two-workers" || sc == "mixed" {
		n = 2
	}
	listening := 0
	cluster.On("fork", func(w *cluster.Worker) { say("fork", w.ID) })
	cluster.On("online", func(w *cluster.Worker) { say("online", w.ID) })
	cluster.On("message", func(w *cluster.Worker, m any) {
		say("message", w.ID, m.(*cluster.Object).JSONString())
		w.Send(cluster.NewObject("echo", m), nil, nil)
	})
	cluster.On("disconnect", func(w *cluster.Worker) { say("disconnect", w.ID) })
	cluster.On("exit", func(w *cluster.Worker, code, sig any) {
		say("exit", w.ID, jsText(code), jsText(sig), *w.ExitedAfterDisconnect)
	})
	done := func() {
		listening++
		if listening < n || sc == "worker-disconnect" {
			return
		}
		for _, id := range sortedWorkerIDs() {
			cluster.Workers()[id].Disconnect()
		}
	}
	cluster.On("listening", func(w *cluster.Worker, a cluster.Address) {
		addr := "null"
		if s, ok := a.Address.(string); ok {
			addr = strings.Replace(s, os.Getenv("INTEROP_TMP"), "<tmp>", 1)
		}
		say("listening", w.ID, a.AddressType, addr, portText(a.Port))
		if a.Port > 0 {
			c := &client{port: a.Port, loop: uv.Default(), done: func(reply string, err error) {
				if err != nil {
					say("client error", err)
				} else {
					b, _ := json.Marshal(reply)
					say("client got", string(b))
				}
				done()
			}}
			uv.Default().Ref()
			go c.run()
		} else {
			done()
		}
	})
	process.Get().On("exit", func() {
		for _, l := range wire {
			fmt.Println(l)
		}
	})
	self, _ := os.Executable()
	for i := 0; i < n; i++ {
		s := &cluster.Settings{ExecPath: self, Exec: "", Args: []string{}}
		if node != "" && (sc != "mixed" || i == 0) {
			s = &cluster.Settings{ExecPath: node, Exec: script, Args: []string{}}
		}
		if err := cluster.SetupPrimary(s); err != nil {
			say("setup error", err)
			process.Get().Exit(1)
		}
		w, err := cluster.Fork(map[string]string{"INTEROP_SCENARIO": sc, envWorker: "interop"})
		if err != nil {
			say("fork error", err)
			process.Get().Exit(1)
		}
		ids[w.Process.(*childprocess.ChildProcess).Target] = w.ID
	}
}

func sortedWorkerIDs() []int { return slices.Sorted(maps.Keys(cluster.Workers())) }

func nodeOrSkip(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the interop tests need Node v20.20.2")
	}
	out, err := exec.Command(node, "--version").Output()
	require.NoError(t, err)
	if v := strings.TrimSpace(string(out)); v != "v20.20.2" {
		t.Skipf("the interop tests are pinned to Node v20.20.2; found %s", v)
	}
	return node
}

// interopScript is what a test that runs a Node script against this test
// binary needs: node (the test skips without it), this binary, and the
// absolute path of testdata/interop/<name>.
func interopScript(t *testing.T, name string) (node, self, script string) {
	t.Helper()
	node = nodeOrSkip(t)
	self, err := os.Executable()
	require.NoError(t, err)
	script, err = filepath.Abs(filepath.Join("testdata", "interop", name))
	require.NoError(t, err)
	return node, self, script
}

// runNodePrimary runs scenario.js as the primary; with goExec its workers
// are this test binary.
func runNodePrimary(t *testing.T, node, sc, policy, tmp, goExec string) []string {
	t.Helper()
	script, err := filepath.Abs("testdata/interop/scenario.js")
	require.NoError(t, err)
	cmd := exec.Command(node, script, sc)
	cmd.Env = append(os.Environ(), "NODE_CLUSTER_SCHED_POLICY="+policy, "INTEROP_TMP="+tmp, "INTEROP_SCENARIO="+sc)
	if goExec != "" {
		cmd.Env = append(cmd.Env, "INTEROP_GO_EXEC="+goExec, "INTEROP_WIRE="+filepath.Join(tmp, "wire"))
	}
	cmd.Stderr = os.Stderr
	done := make(chan struct{})
	timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.Output()
	close(done)
	require.NoError(t, err, "node primary for %s", sc)
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func splitEvents(lines []string) (events []string, wire map[int][]string) {
	wire = map[int][]string{}
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "wire W"); ok {
			id, line, _ := strings.Cut(rest, " ")
			n, _ := strconv.Atoi(id)
			wire[n] = append(wire[n], line)
			continue
		}
		events = append(events, l)
	}
	return events, wire
}

var (
	seqRE = regexp.MustCompile(`"seq":\d+`)
	ackRE = regexp.MustCompile(`"ack":\d+`)
)

// normWire puts a channel's lines in comparable form: ports, the temp
// directory, and (multi) the primary's own seq and the acks of it.
func normWire(lines []string, tmp string, multi bool) (wp, pw []string) {
	for _, l := range lines {
		dir, rest, _ := strings.Cut(l, " ")
		rest = portRE.ReplaceAllString(rest, `"port":<port>`)
		if tmp != "" {
			rest = strings.ReplaceAll(rest, tmp, "<tmp>")
		}
		rest = strings.ReplaceAll(rest, "/node-wire-scenario.sock", "/interop.sock")
		if multi {
			// Which worker gets which connection varies from run to run,
			// and with it every seq after a handoff, on both sides.
			rest = seqRE.ReplaceAllString(rest, `"seq":<seq>`)
			if dir == "W->P" {
				rest = ackRE.ReplaceAllString(rest, `"ack":<ack>`)
			}
		}
		if dir == "W->P" {
			wp = append(wp, rest)
		} else {
			pw = append(pw, rest)
		}
	}
	return wp, pw
}

// recordedChannels reads a Node recording as one line list per worker
// channel ("W->P ..." / "P->W ..."), workers in fork order.
func recordedChannels(t *testing.T, name string) map[int][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "wire-traces", name))
	require.NoError(t, err)
	defer f.Close()
	out := map[int][]string{}
	fdWorker := map[string]int{}
	var fds []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var raw []string
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			raw = append(raw, l)
			if rest, ok := strings.CutPrefix(l, "P->W(fd "); ok {
				fd, _, _ := strings.Cut(rest, ")")
				if _, ok := fdWorker[fd]; !ok {
					fds = append(fds, fd)
					fdWorker[fd] = 0
				}
			}
		}
	}
	// Lower descriptor numbers belong to earlier forks.
	sort.Slice(fds, func(i, j int) bool { a, _ := strconv.Atoi(fds[i]); b, _ := strconv.Atoi(fds[j]); return a < b })
	for i, fd := range fds {
		fdWorker[fd] = i + 1
	}
	for _, l := range raw {
		if r, ok := strings.CutPrefix(l, "P->W(fd "); ok {
			fd, rest, _ := strings.Cut(r, ") ")
			out[fdWorker[fd]] = append(out[fdWorker[fd]], "P->W "+rest)
			continue
		}
		tag, rest, _ := strings.Cut(l, " ")
		switch {
		case tag == "W->P" || tag == "P->W":
			out[1] = append(out[1], tag+" "+rest)
		case strings.HasPrefix(tag, "W") && strings.HasSuffix(tag, "->P"):
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(tag, "W"), "->P"))
			out[n] = append(out[n], "W->P "+rest)
		}
	}
	return out
}

// withoutHandoffs drops the newconn / ACK / accepted lines, whose count
// per worker depends on timing when two workers share a port.
func withoutHandoffs(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, `"act":"newconn"`) || l == `{"cmd":"NODE_HANDLE_ACK"}` || strings.Contains(l, `"accepted":`) {
			continue
		}
		out = append(out, l)
	}
	return out
}

func compareChannel(t *testing.T, what string, want, got []string, tmp string, multi bool) {
	t.Helper()
	wwp, wpw := normWire(want, "", multi)
	gwp, gpw := normWire(got, tmp, multi)
	if multi {
		wwp, wpw, gwp, gpw = withoutHandoffs(wwp), withoutHandoffs(wpw), withoutHandoffs(gwp), withoutHandoffs(gpw)
	}
	if d := cmp.Diff(wwp, gwp); d != "" {
		t.Errorf("%s W->P differs from Node's recording (-node +port):\n%s", what, d)
	}
	if d := cmp.Diff(wpw, gpw); d != "" {
		t.Errorf("%s P->W differs from Node's recording (-node +port):\n%s", what, d)
	}
}

// TestInteropGoPrimaryNodeWorkers: a Go primary forks `node scenario.js`
// workers (ExecPath node, Exec the script): its events are those of a
// Node primary, and the wire is Node's, per channel.
func TestInteropGoPrimaryNodeWorkers(t *testing.T) {
	node := nodeOrSkip(t)
	script, err := filepath.Abs("testdata/interop/scenario.js")
	require.NoError(t, err)
	for _, policy := range []string{"rr", "none"} {
		for _, sc := range interopScenarios {
			t.Run(policy+"/"+sc, func(t *testing.T) {
				tmp := t.TempDir()
				want := runNodePrimary(t, node, sc, policy, tmp, "")
				lines, code, _ := runPrimaryProcess(t, "interop", map[string]string{
					"INTEROP_SCENARIO": sc, "INTEROP_NODE": node, "INTEROP_NODE_SCRIPT": script,
					"INTEROP_TMP": tmp, "NODE_CLUSTER_SCHED_POLICY": policy,
				}, 60*time.Second)
				require.Zero(t, code)
				events, wire := splitEvents(lines)
				compareEvents(t, want, events)
				rec := recordedChannels(t, policy+"-"+sc+".txt")
				for id, ch := range rec {
					compareChannel(t, fmt.Sprintf("worker %d", id), ch, wire[id], tmp, len(rec) > 1)
				}
			})
		}
	}
}

// TestInteropNodePrimaryGoWorkers: a Node primary forks this binary as
// its workers; the Node primary sees the same events as with Node
// workers, and each Go worker's wire is Node's.
func TestInteropNodePrimaryGoWorkers(t *testing.T) {
	node := nodeOrSkip(t)
	self, err := os.Executable()
	require.NoError(t, err)
	for _, policy := range []string{"rr", "none"} {
		for _, sc := range interopScenarios {
			if sc == "two-workers" {
				continue // both workers would append to one wire file; covered by the Go primary test and "mixed"
			}
			t.Run(policy+"/"+sc, func(t *testing.T) {
				tmp := t.TempDir()
				want := runNodePrimary(t, node, sc, policy, tmp, "")
				got := runNodePrimary(t, node, sc, policy, tmp, self)
				compareEvents(t, want, got)
				b, err := os.ReadFile(filepath.Join(tmp, "wire"))
				require.NoError(t, err, "the Go worker recorded no wire")
				rec := recordedChannels(t, policy+"-"+sc+".txt")
				compareChannel(t, "Go worker", rec[1], strings.Split(strings.TrimSpace(string(b)), "\n"), tmp, false)
			})
		}
	}
}

// TestInteropMixed: one Node and one Go worker under each kind of
// primary serve the same port in turn.
func TestInteropMixed(t *testing.T) {
	node := nodeOrSkip(t)
	script, err := filepath.Abs("testdata/interop/scenario.js")
	require.NoError(t, err)
	self, err := os.Executable()
	require.NoError(t, err)
	for _, policy := range []string{"rr", "none"} {
		t.Run(policy+"/go-primary", func(t *testing.T) {
			tmp := t.TempDir()
			want := runNodePrimary(t, node, "mixed", policy, tmp, "")
			lines, code, _ := runPrimaryProcess(t, "interop", map[string]string{
				"INTEROP_SCENARIO": "mixed", "INTEROP_NODE": node, "INTEROP_NODE_SCRIPT": script,
				"INTEROP_TMP": tmp, "NODE_CLUSTER_SCHED_POLICY": policy,
			}, 60*time.Second)
			require.Zero(t, code)
			events, _ := splitEvents(lines)
			compareEvents(t, want, events)
		})
		t.Run(policy+"/node-primary", func(t *testing.T) {
			tmp := t.TempDir()
			want := runNodePrimary(t, node, "mixed", policy, tmp, "")
			got := runNodePrimary(t, node, "mixed", policy, tmp, self)
			compareEvents(t, want, got)
		})
	}
}

// compareEvents compares primary event lines; with several workers the
// interleaving across workers varies run to run, so each worker's own
// sequence is compared.
func compareEvents(t *testing.T, want, got []string) {
	t.Helper()
	per := func(lines []string) map[string][]string {
		m := map[string][]string{}
		for _, l := range lines {
			f := strings.Fields(l)
			key := "-"
			if len(f) > 1 && f[0] != "client" {
				key = f[1]
			}
			m[key] = append(m[key], l)
		}
		return m
	}
	if d := cmp.Diff(per(want), per(got)); d != "" {
		t.Errorf("primary events differ from Node's (-node +port):\n%s", d)
	}
}
