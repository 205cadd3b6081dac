package nodecluster_test

// Advanced serialization through the whole cluster path, Go and Node on
// either side: testdata/interop/advanced.js is the scenario (Node's side
// of it, primary and worker); advancedPrimary and advancedWorker are the
// same programs in Go. Every pairing must print the same lines.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
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

func init() {
	workerScenarios["interop-advanced"] = advancedWorker
	primaryScenarios["advanced"] = advancedPrimary
}

// advancedPayload is advanced.js's payload(): what the primary sends
// each worker, which echoes it.
func advancedPayload() any {
	cycle := cluster.NewObject("name", "cycle")
	cycle.Set("self", cycle)
	shared := cluster.NewObject("shared", true)
	return cluster.NewObject(
		"map", cluster.NewMap("k", cluster.NewSet(1, "two"), 3, shared),
		"date", &cluster.Date{Ms: 1700000000000},
		"buf", []byte{0, 1, 2, 255},
		"big", cluster.BigInt{Abs: []uint64{0, 1}}, // 2n ** 64n
		"neg", cluster.NewBigInt(-42),
		"undef", cluster.Undefined,
		"arr", []any{cluster.Undefined, cluster.Hole, math.Copysign(0, -1), math.NaN(), 1.5, "é😀", "\xed\xa0\x80"},
		"cycle", cycle,
		"both", []any{shared, shared},
		"re", &cluster.RegExp{Source: "a+b", Flags: "gi"},
		"err", &cluster.Error{Name: "TypeError", Message: "bad", Cause: "why", HasCause: true},
		"u16", &cluster.TypedArray{Kind: cluster.Uint16Array, Bytes: []byte{1, 0, 2, 0}},
	)
}

// advancedSample is advanced.js's sample(id): what each worker sends
// first.
func advancedSample(id int) any {
	big := int64(1)
	for range 20 {
		big *= int64(id)
	}
	return cluster.NewObject(
		"id", id,
		"when", &cluster.Date{Ms: float64(id * 1000)},
		"ids", cluster.NewSet(id, strconv.Itoa(id)),
		"raw", []byte("w"+strconv.Itoa(id)),
		"big", cluster.NewBigInt(big),
		"nothing", cluster.Undefined,
		"list", []any{id, cluster.Hole, "x"},
	)
}

// advancedWorker is advanced.js's worker, in Go.
func advancedWorker() {
	w := cluster.CurrentWorker()
	id := w.ID
	s := net.CreateServer(func(c *net.Socket) { c.End([]byte("worker " + strconv.Itoa(id))) })
	w.On("message", func(m any) {
		if o, ok := m.(*cluster.Object); ok {
			if bye, _ := o.Bool("bye"); bye {
				w.Disconnect()
				return
			}
		}
		w.Send(cluster.NewObject("echo", m), nil, nil)
	})
	s.Listen(0, "127.0.0.1", func() {
		w.Send(cluster.NewObject("ready", true, "sample", advancedSample(id)), nil, nil)
	})
}

// advancedSame is "same" when got is written as want is, else got's
// bytes.
func advancedSame(got, want any) string {
	g, err := childprocess.SerializeAdvanced(got)
	if err != nil {
		return "unserializable: " + err.Error()
	}
	w, err := childprocess.SerializeAdvanced(want)
	if err != nil {
		return "unserializable expectation: " + err.Error()
	}
	if string(g) == string(w) {
		return "same"
	}
	return hex.EncodeToString(g)
}

// jsJoin joins values as a JS array's join(' ') does (null and undefined
// are empty).
func jsJoin(a ...any) string {
	parts := make([]string, len(a))
	for i, v := range a {
		switch x := v.(type) {
		case nil:
		case *bool:
			if x != nil {
				parts[i] = strconv.FormatBool(*x)
			}
		default:
			if v != cluster.Undefined {
				parts[i] = childprocess.ToJSString(v)
			}
		}
	}
	return strings.Join(parts, " ")
}

// advancedPrimary is advanced.js's primary, in Go: Go workers, or Node
// workers running INTEROP_NODE_SCRIPT under INTEROP_NODE when set. It
// prints its lines, sorted, when it exits.
func advancedPrimary() {
	var lines []string
	say := func(a ...any) { lines = append(lines, jsJoin(a...)) }
	process.Get().On("exit", func() {
		slices.Sort(lines)
		for _, l := range lines {
			fmt.Println(l)
		}
	})
	s := &cluster.Settings{Serialization: "advanced", Args: []string{}}
	if node := os.Getenv("INTEROP_NODE"); node != "" {
		s.ExecPath, s.Exec = node, os.Getenv("INTEROP_NODE_SCRIPT")
	}
	if err := cluster.SetupPrimary(s); err != nil {
		say("setup error", err.Error())
		process.Get().Exit(1)
		return
	}
	const n = 2
	listening, echoed := 0, 0
	clientsDone := false
	served := map[string]bool{}
	var workers []*cluster.Worker
	finish := func() {
		if echoed == n && clientsDone {
			for _, w := range workers {
				w.Send(cluster.NewObject("bye", true), nil, nil)
			}
		}
	}
	var connect func(port, i int)
	connect = func(port, i int) {
		if i == 4 {
			// Round-robin hands the connections out in turn; with
			// SCHED_NONE the kernel chooses.
			if cluster.SchedulingPolicy() == cluster.SCHED_RR {
				say("clients served by", strings.Join(slices.Sorted(maps.Keys(served)), ","))
			} else {
				say("clients served", i)
			}
			clientsDone = true
			finish()
			return
		}
		c := &client{port: port, loop: uv.Default(), done: func(reply string, err error) {
			if err != nil {
				say("client", i, "error", err.Error())
				return
			}
			served[reply] = true
			connect(port, i+1)
		}}
		uv.Default().Ref()
		go c.run()
	}
	for range n {
		w, err := cluster.Fork(map[string]string{envWorker: "interop-advanced"})
		if err != nil {
			say("fork error", err.Error())
			process.Get().Exit(1)
			return
		}
		workers = append(workers, w)
		w.On("online", func() { say("worker", w.ID, "online") })
		w.On("listening", func(addr cluster.Address) {
			say("worker", w.ID, "listening", addr.Address)
			listening++
			if listening == n {
				connect(addr.Port, 0)
			}
		})
		w.On("message", func(m any) {
			o, _ := m.(*cluster.Object)
			if ready, _ := o.Bool("ready"); ready {
				say("worker", w.ID, "sample", advancedSame(o.Value("sample"), advancedSample(w.ID)))
				w.Send(advancedPayload(), nil, nil)
				return
			}
			if echo, ok := o.Get("echo"); ok {
				say("worker", w.ID, "echo", advancedSame(echo, advancedPayload()))
				echoed++
				finish()
				return
			}
			say("worker", w.ID, "unexpected message", advancedSame(m, nil))
		})
		w.On("disconnect", func() { say("worker", w.ID, "disconnect") })
		w.On("exit", func(code any, signal any) { say("worker", w.ID, "exit", code, signal, w.ExitedAfterDisconnect) })
	}
}

// advancedWant is what every pairing prints, under either policy.
func advancedWant(policy string) []string {
	clients := "clients served by worker 1,worker 2"
	if policy == "none" {
		clients = "clients served 4"
	}
	return append([]string{clients}, advancedWorkerLines...)
}

var advancedWorkerLines = []string{
	"worker 1 disconnect",
	"worker 1 echo same",
	"worker 1 exit 0  true",
	"worker 1 listening 127.0.0.1",
	"worker 1 online",
	"worker 1 sample same",
	"worker 2 disconnect",
	"worker 2 echo same",
	"worker 2 exit 0  true",
	"worker 2 listening 127.0.0.1",
	"worker 2 online",
	"worker 2 sample same",
}

// TestClusterAdvancedSerialization: a Go primary with serialization
// "advanced" and two Go workers: listen on one port (round-robin, then
// SCHED_NONE, where the primary sends each worker the listening socket),
// four clients served (by both workers, round-robin), values JSON cannot
// carry (Map, Set, Date, Buffer, BigInt, undefined, holes, a cycle,
// shared objects, RegExp, Error, Uint16Array) both ways, then each worker
// disconnects and exits 0.
//
// Mirrors test/parallel/test-cluster-advanced-serialization.js.
func TestClusterAdvancedSerialization(t *testing.T) {
	for _, policy := range []string{"rr", "none"} {
		t.Run(policy, func(t *testing.T) {
			lines, code, signal := runPrimaryProcess(t, "advanced", map[string]string{"NODE_CLUSTER_SCHED_POLICY": policy}, 60*time.Second)
			require.Zero(t, code, "the Go primary's exit code (signal %q)", signal)
			if d := cmp.Diff(advancedWant(policy), lines); d != "" {
				t.Errorf("Go primary with Go workers (-want +got):\n%s", d)
			}
		})
	}
}

// TestInteropAdvancedSerialization: the same scenario with real Node v20
// on one side or both: Node primary and Node workers (the reference), Node
// primary and Go workers, Go primary and Node workers. All print what the
// Go pairing prints.
//
// Mirrors test/parallel/test-cluster-advanced-serialization.js and
// test/parallel/test-child-process-advanced-serialization.js, across
// runtimes.
func TestInteropAdvancedSerialization(t *testing.T) {
	node := nodeOrSkip(t)
	self, err := os.Executable()
	require.NoError(t, err)
	script, err := filepath.Abs("testdata/interop/advanced.js")
	require.NoError(t, err)
	for _, policy := range []string{"rr", "none"} {
		t.Run(policy, func(t *testing.T) {
			// Node's primary reads the policy from its environment,
			// which runNodeScript passes on.
			t.Setenv("NODE_CLUSTER_SCHED_POLICY", policy)
			want := advancedWant(policy)
			t.Run("node primary, node workers", func(t *testing.T) {
				got := runNodeScript(t, node, script, "", 60*time.Second)
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("the reference run, Node with Node (-want +got):\n%s", d)
				}
			})
			t.Run("node primary, go workers", func(t *testing.T) {
				got := runNodeScript(t, node, script, self, 60*time.Second)
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("Node primary with Go workers (-want +got):\n%s", d)
				}
			})
			t.Run("go primary, node workers", func(t *testing.T) {
				lines, code, signal := runPrimaryProcess(t, "advanced", map[string]string{"INTEROP_NODE": node, "INTEROP_NODE_SCRIPT": script}, 60*time.Second)
				require.Zero(t, code, "the Go primary's exit code (signal %q)", signal)
				if d := cmp.Diff(want, lines); d != "" {
					t.Errorf("Go primary with Node workers (-want +got):\n%s", d)
				}
			})
		})
	}
}

func init() {
	// adv-echo: send every message back (Node's
	// test-child-process-advanced-serialization.js child).
	workerScenarios["adv-echo"] = func() {
		p := process.Get()
		p.On("message", func(m any) { p.Send(m, nil, nil) })
	}
	// adv-large: send four 8 MiB Uint8Arrays filled with 0, 1, 2, 3.
	workerScenarios["adv-large"] = func() {
		p := process.Get()
		for i := range 4 {
			p.Send(&cluster.TypedArray{Kind: cluster.Uint8Array, Bytes: bytes.Repeat([]byte{byte(i)}, advEightMB)}, nil, nil)
		}
	}
	// adv-split: send ten 65521-byte Buffers, each once the last is
	// written, then exit.
	workerScenarios["adv-split"] = func() {
		p := process.Get()
		msg := make([]byte, advSplitLen)
		cnt := 10
		var send func(error)
		send = func(error) {
			if cnt--; cnt >= 0 {
				p.Send(msg, nil, send)
				return
			}
			uv.Default().NextTick(func() { p.Exit(0) })
		}
		send(nil)
	}
}

const (
	advEightMB  = 8 * 1024 * 1024
	advSplitLen = 65521
)

// advChildJS are the Node children of the child_process tests, as in
// Node's own tests.
var advChildJS = map[string]string{
	"adv-echo":  "process.on('message', (msg) => process.send(msg));\n",
	"adv-large": "for (let i = 0; i < 4; i++) process.send(new Uint8Array(8 * 1024 * 1024).fill(i));\n",
	"adv-split": `const msg = Buffer.allocUnsafe(65521);
let cnt = 10;
(function send() {
  if (cnt--) process.send(msg, send);
  else process.nextTick(() => process.exit(0));
})();
`,
}

// advForkChild forks, with serialization "advanced", the child running
// scenario name: this test binary, or, when node is set, node running
// the scenario's script.
func advForkChild(t *testing.T, node, name string) *childprocess.ChildProcess {
	t.Helper()
	opts := childprocess.ForkOptions{ExecPath: lsExecutable(), Env: lsEnv(map[string]string{envWorker: name}), Label: name, Serialization: "advanced"}
	module := ""
	if node != "" {
		module = filepath.Join(t.TempDir(), name+".js")
		require.NoError(t, os.WriteFile(module, []byte(advChildJS[name]), 0o644))
		opts.ExecPath, opts.Env = node, os.Environ()
	}
	cp, err := childprocess.Fork(uv.Default(), module, nil, opts)
	require.NoError(t, err)
	return cp
}

// advRuntimes runs body for a Go child and, when Node v20.20.2 is
// installed, a Node child.
func advRuntimes(t *testing.T, body func(t *testing.T, node string)) {
	t.Run("go child", func(t *testing.T) { body(t, "") })
	t.Run("node child", func(t *testing.T) { body(t, nodeOrSkip(t)) })
}

// TestChildProcessAdvancedSerialization: serialization other than json
// and advanced is ERR_INVALID_ARG_VALUE; with advanced, typed arrays, a
// Buffer, a Map, a BigInt, a circular object and errors go to the child
// and come back as they were.
//
// Mirrors test/parallel/test-child-process-advanced-serialization.js.
func TestChildProcessAdvancedSerialization(t *testing.T) {
	for _, v := range []string{"bogus", "JSON", "Advanced"} {
		_, err := childprocess.Fork(uv.Default(), "", nil, childprocess.ForkOptions{ExecPath: lsExecutable(), Serialization: v})
		var e *childprocess.ErrnoError
		require.ErrorAs(t, err, &e, "serialization %q", v)
		require.Equal(t, "ERR_INVALID_ARG_VALUE", e.Code)
		require.Equal(t, "The property 'options.serialization' must be one of: undefined, 'json', 'advanced'. Received '"+v+"'", e.Message)
	}
	t.Run("environment", func(t *testing.T) {
		// What the child finds in its environment, as Node's spawn sets it.
		var out []byte
		ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
			cp, err := childprocess.Fork(uv.Default(), "", nil, childprocess.ForkOptions{
				ExecPath: "/bin/sh", ExecArgv: []string{"-c", `echo "$NODE_CHANNEL_FD $NODE_CHANNEL_SERIALIZATION_MODE"`},
				Stdio: []string{"inherit", "pipe", "inherit"}, Serialization: "advanced",
			})
			require.NoError(t, err)
			watch(cp)
			out, err = io.ReadAll(cp.Stdout) // sh exits at once
			require.NoError(t, err)
		})
		require.Equal(t, "3 advanced\n", string(out))
	})
	advRuntimes(t, func(t *testing.T, node string) {
		circular := cluster.NewObject()
		circular.Set("circular", circular)
		pi := binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.Pi))
		messages := []any{
			cluster.NewObject("uint8", &cluster.TypedArray{Kind: cluster.Uint8Array, Bytes: make([]byte, 4)}),
			cluster.NewObject("float64", &cluster.TypedArray{Kind: cluster.Float64Array, Bytes: pi}),
			cluster.NewObject("buffer", []byte("Hello!")),
			cluster.NewObject("map", cluster.NewMap(cluster.Undefined, cluster.Undefined)), // new Map([{a: 1}, {b: 2}])
			cluster.NewObject("bigInt", cluster.NewBigInt(1337)),
			circular,
			&cluster.Error{Name: "Error", Message: "Something went wrong"},
			&cluster.Error{Name: "RangeError", Message: "Something range-y went wrong"},
		}
		var got []string
		var exits []any
		ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
			cp := advForkChild(t, node, "adv-echo")
			watch(cp)
			cp.On("message", func(m any) {
				got = append(got, advancedSame(m, messages[len(got)]))
				if len(got) < len(messages) {
					cp.Send(messages[len(got)], nil, nil)
					return
				}
				cp.Disconnect()
			})
			cp.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
			cp.Send(messages[0], nil, nil)
		})
		if d := cmp.Diff(slices.Repeat([]string{"same"}, len(messages)), got); d != "" {
			t.Errorf("the messages that came back (-want +got):\n%s", d)
		}
		require.Equal(t, []any{0, nil}, exits)
	})
}

// TestChildProcessAdvancedSerializationLargeBuffer: four 8 MiB
// Uint8Arrays from the child arrive whole and in order.
//
// Mirrors test/parallel/test-child-process-advanced-serialization-largebuffer.js.
func TestChildProcessAdvancedSerializationLargeBuffer(t *testing.T) {
	advRuntimes(t, func(t *testing.T, node string) {
		var got []string
		ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
			cp := advForkChild(t, node, "adv-large")
			watch(cp)
			cp.On("message", func(m any) {
				ta, ok := m.(*cluster.TypedArray)
				if !ok {
					got = append(got, fmt.Sprintf("%T", m))
					return
				}
				filled := len(ta.Bytes) > 0 && bytes.Count(ta.Bytes, ta.Bytes[:1]) == len(ta.Bytes)
				got = append(got, fmt.Sprintf("%v of %d bytes, all %d: %v", ta.Kind, len(ta.Bytes), ta.Bytes[0], filled))
			})
		})
		want := []string{
			"Uint8Array of 8388608 bytes, all 0: true",
			"Uint8Array of 8388608 bytes, all 1: true",
			"Uint8Array of 8388608 bytes, all 2: true",
			"Uint8Array of 8388608 bytes, all 3: true",
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
}

// TestChildProcessAdvancedSerializationSplitLengthField: ten messages of
// 65521 bytes, whose length fields fall across reads, all arrive.
//
// Mirrors test/parallel/test-child-process-advanced-serialization-splitted-length-field.js.
func TestChildProcessAdvancedSerializationSplitLengthField(t *testing.T) {
	advRuntimes(t, func(t *testing.T, node string) {
		var got []string
		ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
			cp := advForkChild(t, node, "adv-split")
			watch(cp)
			cp.On("message", func(m any) { got = append(got, fmt.Sprintf("%T %d", m, len(m.([]byte)))) })
		})
		if d := cmp.Diff(slices.Repeat([]string{"[]uint8 65521"}, 10), got); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
}

func init() {
	// With ADVANCED_WIRE set, a Go process of the scenario appends what
	// it writes and reads on its channels there, one message a line:
	// pid, 'w' or 'r', the V8 bytes in hex.
	if path := os.Getenv("ADVANCED_WIRE"); path != "" && (os.Getenv(envWorker) == "interop-advanced" || os.Getenv(envPrimary) == "advanced") {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err == nil {
			childprocess.WireHook = func(_ *childprocess.Target, dir byte, msg []byte, _ bool) {
				fmt.Fprintf(f, "%d %c %x\n", os.Getpid(), dir, msg)
			}
		}
	}
}

// advancedWire reads what ADVANCED_WIRE recorded: Node's internal
// messages (NODE_*) in direction dir, written again with every port, seq
// and ack as 0 (they vary from run to run), in hex, sorted.
func advancedWire(t *testing.T, path string, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err, "the Go processes recorded no wire")
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		require.Len(t, f, 3, "wire line %q", line)
		if f[1] != dir {
			continue
		}
		raw, err := hex.DecodeString(f[2])
		require.NoError(t, err)
		v, err := childprocess.DeserializeAdvanced(raw)
		require.NoError(t, err, "wire line %q", line)
		if !childprocess.IsInternal(v) {
			continue
		}
		var zero func(v any)
		zero = func(v any) {
			o, ok := v.(*cluster.Object)
			if !ok {
				return
			}
			for _, k := range o.Keys() {
				switch k {
				case "port", "seq", "ack":
					o.Set(k, 0)
				default:
					zero(o.Value(k))
				}
			}
		}
		zero(v)
		again, err := childprocess.SerializeAdvanced(v)
		require.NoError(t, err)
		out = append(out, hex.EncodeToString(again))
	}
	slices.Sort(out)
	return out
}

// TestInteropAdvancedWire: on an advanced channel the port's internal
// messages are Node's byte for byte: what a Go primary writes to Node
// workers is what a Node primary writes to Go workers, and what Go workers
// write to a Node primary is what Node workers write to a Go primary (up
// to ports, seq and ack), under both policies.
func TestInteropAdvancedWire(t *testing.T) {
	node := nodeOrSkip(t)
	self, err := os.Executable()
	require.NoError(t, err)
	script, err := filepath.Abs("testdata/interop/advanced.js")
	require.NoError(t, err)
	for _, policy := range []string{"rr", "none"} {
		t.Run(policy, func(t *testing.T) {
			t.Setenv("NODE_CLUSTER_SCHED_POLICY", policy)
			nodePrimary := filepath.Join(t.TempDir(), "node-primary-go-workers")
			t.Setenv("ADVANCED_WIRE", nodePrimary)
			runNodeScript(t, node, script, self, 60*time.Second)
			goPrimary := filepath.Join(t.TempDir(), "go-primary-node-workers")
			t.Setenv("ADVANCED_WIRE", goPrimary)
			_, code, signal := runPrimaryProcess(t, "advanced", map[string]string{"INTEROP_NODE": node, "INTEROP_NODE_SCRIPT": script}, 60*time.Second)
			require.Zero(t, code, "the Go primary's exit code (signal %q)", signal)

			nodeToWorkers := advancedWire(t, nodePrimary, "r") // the Go workers read them
			goToWorkers := advancedWire(t, goPrimary, "w")
			require.NotEmpty(t, nodeToWorkers)
			if d := cmp.Diff(nodeToWorkers, goToWorkers); d != "" {
				t.Errorf("primary to workers (-Node primary +Go primary):\n%s", d)
			}
			nodeToPrimary := advancedWire(t, goPrimary, "r") // the Go primary reads them
			goToPrimary := advancedWire(t, nodePrimary, "w")
			require.NotEmpty(t, nodeToPrimary)
			if d := cmp.Diff(nodeToPrimary, goToPrimary); d != "" {
				t.Errorf("workers to primary (-Node workers +Go workers):\n%s", d)
			}
		})
	}
}
