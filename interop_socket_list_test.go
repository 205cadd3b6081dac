package nodecluster_test

import (
	"fmt"
	"io"
	stdnet "net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	primaryScenarios["socket-list-primary"] = socketListPrimary
	// The receiving worker of testdata/interop/socket-list.js, in Go.
	workerScenarios["socket-list"] = func() {
		p := process.Get()
		var sock *net.Socket
		p.On("message", func(m any, h any) {
			switch m {
			case "take":
				sock = h.(*net.Socket)
				sock.Write([]byte("hi"), nil)
				p.Send("have", nil, nil)
			case "end":
				sock.End(nil)
			}
		})
	}
}

// TestInteropSocketListNodePrimary: a Node primary sends a connection of
// its server to a Go worker; its getConnections counts it (the Go worker
// answers NODE_SOCKET_GET_COUNT), and its server's close waits for the
// worker's NODE_SOCKET_ALL_CLOSED, as with a Node worker. (Without the
// answers the Node primary's callbacks never ran.)
func TestInteropSocketListNodePrimary(t *testing.T) {
	node := nodeOrSkip(t)
	self, err := os.Executable()
	require.NoError(t, err)
	script, err := filepath.Abs("testdata/interop/socket-list.js")
	require.NoError(t, err)
	want := []string{"client got hi", "getConnections null 1", "client end", "server closed", "exit 0 null"}
	require.Equal(t, want, runNodeScript(t, node, script, "", 20*time.Second), "Node worker")
	if d := cmp.Diff(want, runNodeScript(t, node, script, self, 20*time.Second)); d != "" {
		t.Errorf("Go worker (-node +port):\n%s", d)
	}
}

// TestInteropSocketListGoPrimary: a Node worker sends the Go primary a
// connection of its server; when the primary disconnects it, the
// worker's server close asks the primary whether the connections it
// sent have closed (NODE_SOCKET_NOTIFY_CLOSE), the Go primary answers
// NODE_SOCKET_ALL_CLOSED, and the worker exits. (Without the answer it
// waited forever.)
func TestInteropSocketListGoPrimary(t *testing.T) {
	node := nodeOrSkip(t)
	script, err := filepath.Abs("testdata/interop/socket-list.js")
	require.NoError(t, err)
	lines, code, _ := runPrimaryProcess(t, "socket-list-primary", map[string]string{"INTEROP_NODE": node, "INTEROP_NODE_SCRIPT": script}, 20*time.Second)
	require.Equal(t, 0, code)
	want := []string{"client got hi", "exit 0 <nil>"}
	if d := cmp.Diff(want, lcLines(lines)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func socketListPrimary() {
	cluster.SetupPrimary(&cluster.Settings{ExecPath: os.Getenv("INTEROP_NODE"), Exec: os.Getenv("INTEROP_NODE_SCRIPT"), Args: []string{}})
	w, err := cluster.Fork(map[string]string{"SOCKET_LIST_ROLE": "sender"})
	if err != nil {
		lcOut("fork: %v", err)
		return
	}
	w.On("listening", func(addr cluster.Address) {
		cluster.Ref()
		go func() {
			got := ""
			if c, err := stdnet.DialTimeout("tcp", fmt.Sprintf("%v:%d", addr.Address, addr.Port), 10*time.Second); err == nil {
				c.SetDeadline(time.Now().Add(10 * time.Second))
				b, _ := io.ReadAll(c)
				got = string(b)
				c.Close()
			}
			cluster.Post(func() {
				lcOut("client got %s", got)
				cluster.Unref()
			})
		}()
	})
	w.On("message", func(m any, h any) {
		s, ok := h.(*net.Socket)
		if m != "take" || !ok {
			lcOut("message %v with %T", m, h)
			return
		}
		s.On("close", func() { w.Disconnect() })
		s.End([]byte("hi"))
	})
	w.On("exit", func(code, signal any) { lcOut("exit %v %v", code, signal) })
}
