package nodecluster_test

import (
	"encoding/json"
	"fmt"
	"io"
	stdnet "net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	// lf-listen listens in the form LF_FORM names and reports its address.
	workerScenarios["lf-listen"] = func() {
		s := net.CreateServer(func(c *net.Socket) { c.End([]byte("ok")) })
		var err error
		switch os.Getenv("LF_FORM") {
		case "ipv6":
			err = s.Listen(0, "::1")
		case "ipv6only":
			err = s.Listen(net.ListenOptions{Port: 0, Host: "::", IPv6Only: true})
		case "relative-pipe":
			err = s.Listen(os.Getenv("LF_PATH"))
		case "port":
			err = s.Listen(0)
		case "host":
			err = s.Listen(0, "127.0.0.1")
		case "pipe":
			err = s.Listen(filepath.Join(os.Getenv("LF_DIR"), "la.sock"))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
	}
}

func ipv6OrSkip(t *testing.T) {
	l, err := stdnet.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	}
	l.Close()
}

// TestListenIPv6: listen(0, '::1') through the cluster: the primary binds
// ::1, the address object says addressType 6, and a client reaches it.
func TestListenIPv6(t *testing.T) {
	ipv6OrSkip(t)
	var addr cluster.Address
	var reply string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lf-listen", map[string]string{"LF_FORM": "ipv6"})
		w.On("listening", func(a cluster.Address) {
			addr = a
			l := uv.Default()
			l.Ref()
			c := &v6client{addr: "[::1]:" + strconv.Itoa(a.Port), done: func(r string, err error) {
				l.Unref()
				if err != nil {
					fail("client: %v", err)
				}
				reply = r
				w.Disconnect()
			}}
			go c.run()
		})
	})
	require.Equal(t, 6, addr.AddressType)
	require.Equal(t, "::1", addr.Address)
	require.Equal(t, "ok", reply)
}

// TestListenIPv6Only: ipv6Only reaches the primary as the flags bit; the
// port is then not open on IPv4.
func TestListenIPv6Only(t *testing.T) {
	ipv6OrSkip(t)
	var v4err error
	var port int
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lf-listen", map[string]string{"LF_FORM": "ipv6only"})
		w.On("listening", func(a cluster.Address) {
			port = a.Port
			c, err := stdnet.DialTimeout("tcp4", "127.0.0.1:"+strconv.Itoa(a.Port), 2*time.Second)
			if err == nil {
				c.Close()
			}
			v4err = err
			w.Disconnect()
		})
	})
	require.Positive(t, port)
	require.Error(t, v4err, "an IPv6-only listen must not accept IPv4")
}

// TestListenRelativePipe: a relative Unix socket path is resolved to an
// absolute one in the worker (cluster._getServer), as the address object
// shows, and the socket is where the path says.
func TestListenRelativePipe(t *testing.T) {
	dir := t.TempDir()
	rel, err := filepath.Rel(mustGetwd(t), filepath.Join(dir, "rel.sock"))
	require.NoError(t, err)
	require.False(t, filepath.IsAbs(rel))
	var addr cluster.Address
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lf-listen", map[string]string{"LF_FORM": "relative-pipe", "LF_PATH": rel})
		w.On("listening", func(a cluster.Address) {
			addr = a
			w.Disconnect()
		})
	})
	require.Equal(t, -1, addr.AddressType)
	require.Equal(t, filepath.Join(dir, "rel.sock"), addr.Address)
	require.True(t, strings.HasPrefix(addr.Address.(string), "/"))
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	require.NoError(t, err)
	return wd
}

// v6client reads what a server answers (IPv6 by default), on its own
// goroutine.
type v6client struct {
	network string // "tcp6" when empty
	addr    string
	done    func(string, error)
}

func (c *v6client) run() {
	var reply string
	network := c.network
	if network == "" {
		network = "tcp6"
	}
	conn, err := stdnet.DialTimeout(network, c.addr, 5*time.Second)
	if err == nil {
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		var b []byte
		b, err = io.ReadAll(conn)
		reply = string(b)
		conn.Close()
	}
	uv.Default().Post(func() { c.done(reply, err) })
}

// TestListenLongPipePath: a socket path longer than sun_path (108 bytes)
// still works when it is short relative to the primary's working
// directory: the primary binds the shorter relative form, as primary.js
// queryServer does.
func TestListenLongPipePath(t *testing.T) {
	wd := mustGetwd(t)
	name := strings.Repeat("p", 100-len("testdata/")-len("/s.sock"))
	dir := filepath.Join(wd, "testdata", name)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	t.Cleanup(func() { os.RemoveAll(dir) })
	abs := filepath.Join(dir, "s.sock")
	require.Greater(t, len(abs), 108, "the absolute path must not fit in sun_path")
	var addr cluster.Address
	var reply string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "lf-listen", map[string]string{"LF_FORM": "relative-pipe", "LF_PATH": abs})
		w.On("listening", func(a cluster.Address) {
			addr = a
			l := uv.Default()
			l.Ref()
			rel, _ := filepath.Rel(wd, abs)
			c := &v6client{network: "unix", addr: rel, done: func(r string, err error) {
				l.Unref()
				if err != nil {
					fail("client: %v", err)
				}
				reply = r
				w.Disconnect()
			}}
			go c.run()
		})
	})
	require.Equal(t, abs, addr.Address)
	require.Equal(t, "ok", reply)
}

// TestListeningAddressJSON: the "listening" event's address object encodes
// to JSON as Node's JSON.stringify writes it ({addressType, address,
// port}, fd left out while undefined), for a listen with only a port,
// with a host, and on a pipe: the Go primary beside node running
// testdata/interop/listening-address.js.
func TestListeningAddressJSON(t *testing.T) {
	node, _, script := interopScript(t, "listening-address.js")
	dir := t.TempDir()
	t.Setenv("LF_DIR", dir)
	nodeLines := runNodeScript(t, node, script, "", 30*time.Second)

	portNumber := regexp.MustCompile(`"port":\d+`)
	var goLines []string
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		forms := []string{"port", "host", "pipe"}
		var next func()
		next = func() {
			if len(forms) == 0 {
				return
			}
			form := forms[0]
			forms = forms[1:]
			w := forkScenario(t, "lf-listen", map[string]string{"LF_FORM": form, "LF_DIR": dir})
			w.On("listening", func(a cluster.Address) {
				b, err := json.Marshal(a)
				if err != nil {
					fail("json.Marshal(%#v): %v", a, err)
				}
				goLines = append(goLines, form+" "+portNumber.ReplaceAllString(string(b), `"port":P`))
				w.Disconnect()
			})
			w.On("exit", func(any, any) { next() })
		}
		next()
	})
	want := []string{
		`port {"addressType":4,"address":null,"port":P}`,
		`host {"addressType":4,"address":"127.0.0.1","port":P}`,
		`pipe {"addressType":-1,"address":"` + filepath.Join(dir, "la.sock") + `","port":-1}`,
	}
	require.Empty(t, cmp.Diff(want, nodeLines), "node's output is not what this test was written against (-want +node)")
	if d := cmp.Diff(nodeLines, goLines); d != "" {
		t.Errorf("address objects differ from node's (-node +port):\n%s", d)
	}
}
