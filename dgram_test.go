package nodecluster_test

import (
	"encoding/json"
	"fmt"
	stdnet "net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func init() {
	primaryScenarios["dgram"] = dgramPrimary
}

// dgramForms are the forms testdata/interop/dgram.js's workers bind, in
// the order its primary forks them.
var dgramForms = []string{"v4", "any", "v6", "share", "other", "inuse", "reuse", "v6only", "v4only", "fd", "bindfd", "send", "reopen", "queries", "unshared"}

// dgramPrimary is the Go primary of testdata/interop/dgram.js: the same
// Node workers forked in the same order, and the same lines printed.
func dgramPrimary() {
	if err := cluster.SetupPrimary(&cluster.Settings{ExecPath: os.Getenv("DG_NODE"), Exec: os.Getenv("DG_SCRIPT"), Args: []string{}}); err != nil {
		fmt.Println("setup error", err)
		os.Exit(1)
	}
	port := regexp.MustCompile(`"port":\d+`)
	inMessage := regexp.MustCompile(`(bind [A-Z]+ [^"]*):\d+"`)
	fd := regexp.MustCompile(`"fd":\d+`)
	hide := func(s string) string {
		s = inMessage.ReplaceAllString(port.ReplaceAllString(s, `"port":P`), `$1:P"`)
		return fd.ReplaceAllString(s, `"fd":F`)
	}
	forms := dgramForms
	var next func()
	next = func() {
		if len(forms) == 0 {
			return
		}
		form := forms[0]
		forms = forms[1:]
		bound, workers := 0, 0
		fd := ""
		if form == "bindfd" {
			// A UDP socket of the primary's own, bound and not read, whose
			// descriptor the workers bind: the primary opens it for them.
			s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
			if err == nil {
				err = unix.Bind(s, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
			}
			if err != nil {
				fmt.Println(form, "socket error", err)
				os.Exit(1)
			}
			fd = strconv.Itoa(s)
		}
		var live []*cluster.Worker
		var disconnect func()
		disconnect = func() {
			if len(live) == 0 {
				return
			}
			w := live[0]
			live = live[1:]
			w.Once("exit", func(any, any) { disconnect() })
			w.Disconnect()
		}
		called := false // cluster.Disconnect's callback ran ("unshared")
		type exit struct {
			id   int
			line string
		}
		var exited []exit
		var fork func(env map[string]string) *cluster.Worker
		fork = func(env map[string]string) *cluster.Worker {
			workers++
			env["DG_FORM"] = form
			w, err := cluster.Fork(env)
			if err != nil {
				fmt.Println(form, "fork error", err)
				os.Exit(1)
			}
			if form == "unshared" {
				// The two workers' exits race: printed once both are in,
				// by id.
				w.On("exit", func(code, signal any) {
					c, _ := json.Marshal(code)
					s, _ := json.Marshal(signal)
					exited = append(exited, exit{w.ID, fmt.Sprintf("%s %d exit %s %s", form, w.ID, c, s)})
					if workers--; workers > 0 {
						return
					}
					cluster.SetImmediate(func() {
						slices.SortFunc(exited, func(a, b exit) int { return a.id - b.id })
						for _, e := range exited {
							fmt.Println(e.line)
						}
						fmt.Println(form, "disconnect callback", called)
						next()
					})
				})
				w.On("listening", func(a cluster.Address) {
					b, _ := json.Marshal(a)
					fmt.Println(form, w.ID, "listening", hide(string(b)))
				})
				return w
			}
			live = append(live, w)
			w.On("error", func(err error) { fmt.Println(form, w.ID, "error", err) })
			w.On("listening", func(a cluster.Address) {
				bound = a.Port
				b, _ := json.Marshal(a)
				fmt.Println(form, w.ID, "listening", hide(string(b)))
			})
			w.On("message", func(m any, handle any) {
				msg := m.(*cluster.Object)
				fmt.Println(form, w.ID, "message", hide(msg.JSONString()))
				if h, ok := handle.(*uv.Stream); ok && h != nil {
					// A dgram.Socket the worker sent: the raw UDP handle here.
					sn, err := h.Getsockname()
					fmt.Println(form, w.ID, "handle", err == nil && h.Kind == uv.KindUDP && sn.Port == msg.Int("port", -1))
					h.Close(nil)
				}
				if (form == "share" || form == "other" || form == "bindfd") && workers == 1 {
					fork(map[string]string{"DG_PORT": strconv.Itoa(bound), "DG_FD": fd})
					return
				}
				disconnect()
			})
			w.On("exit", func(code, signal any) {
				c, _ := json.Marshal(code)
				s, _ := json.Marshal(signal)
				fmt.Println(form, w.ID, "exit", string(c), string(s))
				if workers--; workers > 0 {
					return
				}
				if bound != 0 {
					fmt.Println(form, "port free", udpPortFree(strings.HasPrefix(form, "v6"), bound))
				}
				next()
			})
			return w
		}
		if form == "unshared" {
			// A worker that binds nothing, disconnected once another has
			// bound a UDP socket, and then cluster.Disconnect.
			idle := fork(map[string]string{"DG_ROLE": "idle"})
			idle.On("online", func() {
				fork(map[string]string{}).On("listening", func(cluster.Address) {
					idle.On("disconnect", func() { cluster.Disconnect(func() { called = true }) })
					idle.Disconnect()
				})
			})
			return
		}
		fork(map[string]string{"DG_FD": fd})
	}
	next()
}

// udpPortFree binds the port on every address of the family, as the
// Node primary's check does, and reports true or the bind's error code.
func udpPortFree(v6 bool, port int) string {
	network, addr := "udp4", fmt.Sprintf("0.0.0.0:%d", port)
	if v6 {
		network, addr = "udp6", fmt.Sprintf("[::]:%d", port)
	}
	c, err := stdnet.ListenPacket(network, addr)
	if err != nil {
		if name, _, ok := uv.ErrMap(-int(errnoOf(err))); ok {
			return name
		}
		return err.Error()
	}
	c.Close()
	return "true"
}

// errnoOf digs the errno out of a net error, 0 when there is none.
func errnoOf(err error) unix.Errno {
	var en unix.Errno
	for err != nil {
		if e, ok := err.(unix.Errno); ok {
			return e
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			break
		}
		err = u.Unwrap()
	}
	return en
}

// TestClusterDgram: Node workers that bind dgram sockets under a Go
// primary. The primary binds each UDP socket for them (shared_handle.js's
// "udp4"/"udp6" branch, dgram's _createSocketHandle) and sends it as a
// "dgram.Native" handle; the workers serve datagrams on it. Every form of
// testdata/interop/dgram.js prints the same lines under both primaries
// (the "listening" address objects, each worker's datagram answered or
// its error with code, errno, syscall, address, port and message, the
// exits, and the port free once every worker is gone): IPv4, any address,
// IPv6, two workers on one key (one socket), a second key on the same port
// (EADDRINUSE), a port taken outside the cluster, reuseAddr,
// ipv6Only with an IPv4 socket on the same port, ipv6Only on IPv4
// (EINVAL), a descriptor that is no UDP socket in the primary, two
// workers binding a UDP socket of the primary's by its descriptor, and a
// dgram.Socket a worker sends with a message (the Go primary's listener
// gets the raw UDP handle: the same socket), and sockets closed once
// listening and replaced; and queryServer messages written by hand, whose
// values (a port above 65535, negative, fractional or a string, an
// address that is no IP, an fd that is no int32, neither address nor
// port) the primary reads as node's does; and cluster.Disconnect once a
// worker that binds nothing has gone and another holds a UDP socket.
//
// Mirrors test/parallel/test-cluster-dgram-bind-fd.js
// (also -dgram-1.js, -dgram-2.js, -dgram-ipv6only.js,
// -dgram-reuse.js, -child-index-dgram.js and -disconnect-unshared-udp.js,
// the workers being Node's).
func TestClusterDgram(t *testing.T) {
	node, _, script := interopScript(t, "dgram.js")
	nodeLines := runNodeScript(t, node, script, "", 60*time.Second)
	goLines, code, signal := runPrimaryProcess(t, "dgram", map[string]string{"DG_NODE": node, "DG_SCRIPT": script}, 60*time.Second)
	require.Equal(t, 0, code, "the Go primary's exit code (signal %q)", signal)
	// What this test was written against: each form's outcome under node.
	outcome := map[string]string{}
	for _, l := range nodeLines {
		f := strings.SplitN(l, " ", 4)
		if len(f) == 4 && f[2] == "message" {
			outcome[f[0]] += f[3]
		}
	}
	require.Len(t, outcome, len(dgramForms)-1, "node's lines: %q", nodeLines) // "unshared" sends none
	for _, form := range []string{"v4", "any", "v6", "share", "reuse", "v6only"} {
		require.Contains(t, outcome[form], `"got":"pong ping"`, "node served a datagram in form %s", form)
	}
	require.Contains(t, outcome["share"], `"samePort":true`)
	require.Contains(t, outcome["bindfd"], `"samePort":true`)
	require.Contains(t, outcome["v6only"], `"v4":"0.0.0.0"`)
	require.Contains(t, outcome["other"], `"code":"EADDRINUSE"`)
	require.Contains(t, outcome["inuse"], `"code":"EADDRINUSE"`)
	require.Contains(t, outcome["v4only"], `"code":"EINVAL"`)
	require.Contains(t, outcome["fd"], `"syscall":"open"`)
	require.Contains(t, nodeLines, "send 15 handle true")
	require.Contains(t, nodeLines, "queries 17 error write EBADF")
	require.Contains(t, nodeLines, "unshared disconnect callback true")
	require.Contains(t, outcome["queries"], `"127.0.0.1:70000:udp4:-1:1"`)
	if d := cmp.Diff(nodeLines, goLines); d != "" {
		t.Errorf("the Go primary's lines differ from node's (-node +go):\n%s", d)
	}
}
