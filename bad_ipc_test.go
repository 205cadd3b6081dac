package nodecluster_test

// Hostile lines on the channel: what a worker (or anything else holding
// the other end of the channel) may write that no Node worker writes. A
// Go primary survives each, answers where Node answers, and goes on
// serving the worker; where a v20 primary dies of the line, the port's
// DEVIATION(fix) is checked, and its NODECLUSTER_REPRODUCE_V20 setting
// makes the Go primary die of it too.

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func init() {
	// hostile: write the lines of HOSTILE_LINES (separated by "\x1e") and
	// then the message {"after":"hostile"} on the channel in one write, so
	// that the primary reads them in one go; stay until disconnected.
	workerScenarios["hostile"] = func() {
		var b strings.Builder
		for _, line := range strings.Split(os.Getenv("HOSTILE_LINES"), "\x1e") {
			b.WriteString(line + "\n")
		}
		b.WriteString(`{"after":"hostile"}` + "\n")
		if os.Getenv("HOSTILE_FD") == "" {
			unix.Write(process.Get().Channel.Fd(), []byte(b.String()))
			return
		}
		// One descriptor with the lines (a socket of a pair of its own),
		// as a NODE_HANDLE line carries one.
		pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			panic(err)
		}
		unix.Sendmsg(process.Get().Channel.Fd(), []byte(b.String()), unix.UnixRights(pair[0]), nil, 0)
		unix.Close(pair[0])
	}
	// hostile-primary: fork the hostile worker (HOSTILE_LINES is
	// inherited) and print what the primary sees, as
	// testdata/interop/hostile.js does in node.
	primaryScenarios["hostile-primary"] = func() {
		process.Get().On("exit", func(code any) { fmt.Printf("primary exit %v\n", code) })
		w, err := cluster.Fork(map[string]string{envWorker: "hostile"})
		if err != nil {
			panic(err)
		}
		w.On("message", func(m any) {
			fmt.Printf("message %s\n", docsJSON(m))
			if o, ok := m.(*cluster.Object); ok && o.Value("after") == "hostile" {
				w.Disconnect()
			}
		})
		w.On("error", func(err error) { fmt.Printf("worker error %s\n", docsCode(err)) })
		w.On("listening", func(a cluster.Address) {
			fmt.Printf("listening {\"addressType\":%s,\"address\":%s,\"port\":%d,\"fd\":%s}\n", docsJSON(a.AddressType), docsJSON(a.Address), a.Port, docsJSON(a.Fd))
		})
		w.On("exit", func(code, signal any) { fmt.Printf("exit %s %s\n", docsJS(code), docsJS(signal)) })
	}
}

// hostileNode runs testdata/interop/hostile.js with the lines and returns
// what it printed (its exit code is among the lines).
func hostileNode(t *testing.T, lines, policy string, fd bool) []string {
	t.Helper()
	node, self, script := interopScript(t, "hostile.js")
	cmd := exec.Command(node, script, self)
	cmd.Env = append(os.Environ(), "HOSTILE_LINES="+lines, "NODE_CLUSTER_SCHED_POLICY="+policy)
	if fd {
		cmd.Env = append(cmd.Env, "HOSTILE_FD=1")
	}
	timer := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	out, _ := cmd.Output() // exit 1 when the line crashed it
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

// TestHostileLines: each line, read with {"after":"hostile"} in one
// go by a node primary and by a Go primary, both disconnecting the worker
// on that message. Where node survives, the port prints what node printed.
// Where node dies (exit 1), the port survives and serves the worker (the
// message comes, the worker exits 0 on its disconnect), and with the
// case's NODECLUSTER_REPRODUCE_V20 setting dies with exit 1 too.
func TestHostileLines(t *testing.T) {
	t.Parallel()
	served := []string{`message {"after":"hostile"}`, "exit 0 null", "primary exit 0"}
	query := `{"cmd":"NODE_CLUSTER","act":"queryServer","seq":%d,"address":"127.0.0.1","port":0,"addressType":4,"fd":-1}`
	dup := fmt.Sprintf(query, 1) + "\x1e" + fmt.Sprintf(query, 2)
	cases := []struct {
		name, line string
		policy     string   // NODE_CLUSTER_SCHED_POLICY, rr when empty
		fd         bool     // a descriptor goes with the lines (HOSTILE_FD)
		goWant     []string // the Go primary's lines, when not extra's and served's
		reproduce  string   // node dies of it; the setting that makes the port die too
		extra      []string // lines printed before served's, node's and the port's
	}{
		{name: "queryServer without fields", line: `{"cmd":"NODE_CLUSTER","act":"queryServer","seq":0}`, reproduce: "bad-query-server"},
		{name: "queryServer with an object address and a string port", line: `{"cmd":"NODE_CLUSTER","act":"queryServer","seq":0,"address":{},"port":"x","addressType":99,"fd":-1,"data":null}`, reproduce: "bad-query-server"},
		{name: "queryServer with port 70000", line: `{"cmd":"NODE_CLUSTER","act":"queryServer","seq":0,"address":"127.0.0.1","port":70000,"addressType":4,"fd":-1}`, reproduce: "bad-query-server"},
		{name: "queryServer with the disconnect before listening", line: `{"cmd":"NODE_CLUSTER","act":"queryServer","seq":0,"address":"127.0.0.1","port":0,"addressType":4,"fd":-1}`, reproduce: "remove-while-binding"},
		{name: "the same queryServer twice", line: dup, reproduce: "duplicate-query"},
		{name: "the same queryServer twice, shared handle", line: dup, policy: "none", reproduce: "duplicate-query"},
		{name: "NODE_HANDLE_ACK for no handle", line: `{"cmd":"NODE_HANDLE_ACK"}`, reproduce: "stray-ack"},
		{name: "NODE_HANDLE_NACK for no handle", line: `{"cmd":"NODE_HANDLE_NACK"}`, reproduce: "stray-ack"},
		{name: "NODE_HANDLE of an unknown type", line: `{"cmd":"NODE_HANDLE","type":"bogus","msg":{"a":1}}`, fd: true, reproduce: "bad-handle",
			goWant: []string{`worker error malformed message on the IPC channel: NODE_HANDLE of unknown type "bogus"`, served[0], served[1], served[2]}},
		{name: "NODE_HANDLE net.Server that cannot listen", line: `{"cmd":"NODE_HANDLE","type":"net.Server","msg":{"a":1}}`, fd: true, reproduce: "bad-handle",
			goWant: []string{served[0], "worker error malformed message on the IPC channel: NODE_HANDLE net.Server: listen EINVAL: invalid argument", served[1], served[2]}},
		{name: "NODE_HANDLE net.Socket", line: `{"cmd":"NODE_HANDLE","type":"net.Socket","msg":{"a":1},"key":"k"}`, fd: true,
			extra: []string{}, goWant: []string{served[0], `message {"a":1}`, served[1], served[2]}},
		{name: "listening", line: `{"cmd":"NODE_CLUSTER","act":"listening","seq":0,"address":"1.2.3.4","port":80,"addressType":4,"fd":-1}`,
			extra: []string{`listening {"addressType":4,"address":"1.2.3.4","port":80,"fd":-1}`}},
		{name: "close of an unknown key", line: `{"cmd":"NODE_CLUSTER","act":"close","key":"nope","seq":0}`},
		{name: "close without a key", line: `{"cmd":"NODE_CLUSTER","act":"close","seq":0}`},
		{name: "online again", line: `{"cmd":"NODE_CLUSTER","act":"online","seq":0}`},
		{name: "exitedAfterDisconnect", line: `{"cmd":"NODE_CLUSTER","act":"exitedAfterDisconnect","seq":0}`},
		{name: "an unknown act", line: `{"cmd":"NODE_CLUSTER","act":"bogus","seq":0}`},
		{name: "an answer to no query", line: `{"cmd":"NODE_CLUSTER","ack":12345,"accepted":true,"seq":0}`},
		{name: "NODE_HANDLE without a descriptor", line: `{"cmd":"NODE_HANDLE","type":"net.Native","msg":{"cmd":"NODE_CLUSTER"}}`},
		{name: "a numeric cmd", line: `{"cmd":5}`, extra: []string{`message {"cmd":5}`}},
		{name: "a string", line: `"NODE_HANDLE"`, extra: []string{`message "NODE_HANDLE"`}},
		{name: "null", line: `null`, extra: []string{`message null`}},
		{name: "an array", line: `[1]`, extra: []string{`message [1]`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.policy == "" {
				tc.policy = "rr"
			}
			env := map[string]string{"HOSTILE_LINES": tc.line, "NODE_CLUSTER_SCHED_POLICY": tc.policy}
			if tc.fd {
				env["HOSTILE_FD"] = "1"
			}
			goLines, code, signal := runPrimaryProcess(t, "hostile-primary", env, 20*time.Second)
			require.Equal(t, 0, code, "the Go primary's exit code (signal %q)", signal)
			want := append(append([]string{}, tc.extra...), served...)
			if tc.goWant != nil {
				want = tc.goWant
			}
			if d := cmp.Diff(want, goLines); d != "" {
				t.Errorf("the Go primary (-want +port):\n%s", d)
			}
			nodeLines := hostileNode(t, tc.line, tc.policy, tc.fd)
			if tc.reproduce == "" {
				if d := cmp.Diff(nodeLines, goLines); d != "" {
					t.Errorf("output differs from node's (-node +port):\n%s", d)
				}
				return
			}
			require.Contains(t, nodeLines, "primary exit 1", "node v20 dies of this line")
			env["NODECLUSTER_REPRODUCE_V20"] = tc.reproduce
			_, code, signal = runPrimaryProcess(t, "hostile-primary", env, 20*time.Second)
			require.Equal(t, 1, code, "the Go primary reproducing v20 (%s) dies as node does (signal %q)", tc.reproduce, signal)
		})
	}
}

func init() {
	// own-fd: listen on the descriptor the primary sends, the primary's
	// own end of this worker's channel, and report how the listen ended.
	workerScenarios["own-fd"] = func() {
		process.Get().On("message", func(m any) {
			fd, _ := m.(*cluster.Object).Number("fd")
			srv := net.CreateServer(nil)
			srv.On("error", func(err error) {
				process.Get().Send(cluster.NewObject("error", docsCode(err)), nil, nil)
			})
			srv.Listen(net.ListenOptions{Fd: int(fd)}, func() { process.Get().Send(cluster.NewObject("listening", true), nil, nil) })
		})
	}
}

// TestWorkerListensOnPrimarysChannel: a worker's listen({fd}) names the
// primary's own end of its channel: the primary does not take its channel
// over (nor close it when the worker goes); the worker's listen fails with
// EEXIST, as libuv's open refuses a descriptor its loop has, and node's
// primary answers the same (testdata/interop/own-fd.js).
func TestWorkerListensOnPrimarysChannel(t *testing.T) {
	var got []string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "own-fd", nil)
		w.On("online", func() {
			fd := w.Process.(*childprocess.ChildProcess).Channel.Fd()
			w.Send(cluster.NewObject("fd", fd), nil, nil)
		})
		w.On("message", func(m any) {
			got = append(got, docsJSON(m))
			w.Disconnect()
		})
		w.On("exit", func(code, signal any) { got = append(got, fmt.Sprintf("exit %s %s", docsJS(code), docsJS(signal))) })
	})
	want := []string{`{"error":"EEXIST"}`, "exit 0 null"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +port):\n%s", d)
	}
	node, self, script := interopScript(t, "own-fd.js")
	out, err := exec.Command(node, script, self).Output()
	require.NoError(t, err, "node own-fd.js")
	if d := cmp.Diff(strings.Join(want, "\n")+"\n", string(out)); d != "" {
		t.Errorf("node's primary with this worker (-want +node):\n%s", d)
	}
}

func init() {
	// hostile-to-worker: fork an echo worker (node with WH_NODE and
	// WH_SCRIPT, else this binary), write HOSTILE_LINES raw on its channel
	// once it is ready, then send {ping: 1}; print what comes back and how
	// the worker ends.
	primaryScenarios["hostile-to-worker"] = func() {
		if node := os.Getenv("WH_NODE"); node != "" {
			docsMust(cluster.SetupPrimary(&cluster.Settings{ExecPath: node, Exec: os.Getenv("WH_SCRIPT"), Args: []string{}}))
		}
		w, err := cluster.Fork(map[string]string{envWorker: "echo"})
		docsMust(err)
		w.On("message", func(m any) {
			fmt.Printf("message %s\n", docsJSON(m))
			o, _ := m.(*cluster.Object)
			if o == nil {
				return
			}
			if r, _ := o.Bool("ready"); r {
				var b strings.Builder
				for _, line := range strings.Split(os.Getenv("HOSTILE_LINES"), "\x1e") {
					b.WriteString(line + "\n")
				}
				unix.Write(w.Process.(*childprocess.ChildProcess).Channel.Fd(), []byte(b.String()))
				w.Send(cluster.NewObject("ping", 1), nil, nil)
				return
			}
			w.Send(cluster.NewObject("bye", true), nil, nil)
		})
		w.On("error", func(err error) { fmt.Printf("worker error %s\n", docsCode(err)) })
		w.On("exit", func(code, signal any) { fmt.Printf("exit %s %s\n", docsJS(code), docsJS(signal)) })
	}
}

// TestHostileLinesToWorker: lines no Node primary writes, written raw on
// a worker's channel once it is ready, then {ping: 1}: the Go worker and
// a Node worker (testdata/interop/echo-worker.js) under the same Go
// primary. Where the Node worker survives, the Go worker's output is the
// same; where it dies (exit 1), the Go worker echoes the ping and exits 0
// on its disconnect, and with the case's NODECLUSTER_REPRODUCE_V20
// setting dies as the Node worker does.
func TestHostileLinesToWorker(t *testing.T) {
	t.Parallel()
	node, _, script := interopScript(t, "echo-worker.js")
	served := []string{`message {"ready":true}`, `message {"echo":{"ping":1}}`, "exit 0 null"}
	for _, tc := range []struct{ name, line, reproduce string }{
		{name: "newconn without a descriptor", line: `{"cmd":"NODE_CLUSTER","act":"newconn","key":"nope","seq":5}`, reproduce: "bad-handle"},
		{name: "NODE_HANDLE_ACK for no handle", line: `{"cmd":"NODE_HANDLE_ACK"}`, reproduce: "stray-ack"},
		{name: "an unknown act", line: `{"cmd":"NODE_CLUSTER","act":"bogus","seq":5}`},
		{name: "an answer to no query", line: `{"cmd":"NODE_CLUSTER","ack":99,"seq":6}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"HOSTILE_LINES": tc.line}
			goLines, code, signal := runPrimaryProcess(t, "hostile-to-worker", env, 20*time.Second)
			require.Equal(t, 0, code, "the Go primary's exit code (signal %q)", signal)
			if d := cmp.Diff(served, goLines); d != "" {
				t.Errorf("the Go worker (-want +port):\n%s", d)
			}
			nodeEnv := map[string]string{"HOSTILE_LINES": tc.line, "WH_NODE": node, "WH_SCRIPT": script}
			nodeLines, _, _ := runPrimaryProcess(t, "hostile-to-worker", nodeEnv, 20*time.Second)
			if tc.reproduce == "" {
				if d := cmp.Diff(nodeLines, goLines); d != "" {
					t.Errorf("output differs from the Node worker's (-node +port):\n%s", d)
				}
				return
			}
			require.Contains(t, nodeLines, "exit 1 null", "the Node worker dies of this line")
			env["NODECLUSTER_REPRODUCE_V20"] = tc.reproduce
			goLines, _, _ = runPrimaryProcess(t, "hostile-to-worker", env, 20*time.Second)
			require.Contains(t, goLines, "exit 1 null", "the Go worker reproducing v20 (%s) dies as node's does", tc.reproduce)
		})
	}
}
