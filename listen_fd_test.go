package nodecluster_test

import (
	"context"
	"fmt"
	"io"
	stdnet "net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	// listen-fd-zero is testdata/interop/listen-fd-zero.js on the port.
	primaryScenarios["listen-fd-zero"] = func() {
		var server *net.Server
		server = net.CreateServer(func(c *net.Socket) {
			c.End([]byte("hi"))
			server.Close(func(error) { fmt.Println("closed") })
		})
		server.On("error", func(err error) { fmt.Println("error", err) })
		server.Listen(net.ListenOptions{Fd: net.FdZero}, func() {
			a := server.Address()
			fmt.Printf("listening %s %s %v\n", a.Family, a.Address, a.Port > 0)
		})
	}
}

// TestListenOnDescriptorZero: listen({fd: 0}) serves the listening socket
// a supervisor passed as stdin (ListenOptions{Fd: net.FdZero}), under node
// and on the port alike.
func TestListenOnDescriptorZero(t *testing.T) {
	node := nodeOrSkip(t)
	exe, err := os.Executable()
	require.NoError(t, err)
	run := func(name string, cmdOf func(ctx context.Context) *exec.Cmd) []string {
		t.Helper()
		ln, err := stdnet.Listen("tcp4", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		f, err := ln.(*stdnet.TCPListener).File()
		require.NoError(t, err)
		defer f.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := cmdOf(ctx)
		cmd.Stdin = f
		cmd.Stderr = os.Stderr
		var out strings.Builder
		cmd.Stdout = &out
		require.NoError(t, cmd.Start())
		waited := false
		defer func() {
			if !waited { // a failed check: the server may never end by itself
				cmd.Process.Kill()
				cmd.Wait()
			}
		}()
		c, err := stdnet.DialTimeout("tcp4", ln.Addr().String(), 10*time.Second)
		require.NoError(t, err, "%s: connect", name)
		c.SetDeadline(time.Now().Add(20 * time.Second))
		got, err := io.ReadAll(c)
		c.Close()
		require.NoError(t, err, "%s: read", name)
		require.Equal(t, "hi", string(got), "%s: the server on fd 0 answered", name)
		waited = true
		require.NoError(t, cmd.Wait(), "%s: exit (output %q)", name, out.String())
		return strings.Split(strings.TrimSpace(out.String()), "\n")
	}
	want := run("node", func(ctx context.Context) *exec.Cmd {
		return exec.CommandContext(ctx, node, filepath.Join("testdata", "interop", "listen-fd-zero.js"))
	})
	require.Equal(t, []string{"listening IPv4 127.0.0.1 true", "closed"}, want, "node's run")
	got := run("port", func(ctx context.Context) *exec.Cmd { return primaryCommand(ctx, exe, "listen-fd-zero", nil) })
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}
