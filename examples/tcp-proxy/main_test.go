package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"io"
	stdnet "net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/internal/freeport"
	"github.com/stretchr/testify/require"
)

// TestTCPProxy builds the example and runs it as a real primary with two
// workers in front of an echo server that ends its side once the client
// has ended its own; four clients at once each send 1 MB, half-close, and
// must get all of it back, then the end. SIGINT stops the primary, which
// disconnects its workers and exits 0.
func TestTCPProxy(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tcp-proxy")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	upstream := startEcho(t)
	port := freeport.Get(t)
	runProxy(t, exec.Command(bin, "-workers", "2", "-port", strconv.Itoa(port), "-upstream", upstream), port)
}

// TestTCPProxyNode runs proxy.js, the same program for Node, through the
// same checks: the Go program behaves as its Node twin.
func TestTCPProxyNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: this test runs proxy.js with Node v20")
	}
	upstream := startEcho(t)
	port := freeport.Get(t)
	runProxy(t, exec.Command(node, "proxy.js", "-workers", "2", "-port", strconv.Itoa(port), "-upstream", upstream), port)
}

// startEcho serves an echo on 127.0.0.1 for the test's life: each
// connection gets back what it sends, and the end once it has ended.
func startEcho(t *testing.T) string {
	l, err := stdnet.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go acceptEcho(l)
	return l.Addr().String()
}

func acceptEcho(l stdnet.Listener) {
	pprof.Do(context.Background(), pprof.Labels("test", "echo"), func(context.Context) {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go echo(c.(*stdnet.TCPConn))
		}
	})
}

func echo(c *stdnet.TCPConn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.Copy(c, c); err == nil {
		c.CloseWrite()
		io.Copy(io.Discard, c)
	}
}

type result struct {
	sent, got []byte
	err       error
}

// roundTrip sends 1 MB through the proxy, half-closes, and reads to the
// end.
func roundTrip(port int, done chan<- result) {
	pprof.Do(context.Background(), pprof.Labels("test", "client"), func(context.Context) {
		var r result
		defer func() { done <- r }()
		c, err := stdnet.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if r.err = err; err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		r.sent = make([]byte, 1<<20)
		rand.Read(r.sent)
		werr := make(chan error, 1)
		go send(c.(*stdnet.TCPConn), r.sent, werr)
		r.got, r.err = io.ReadAll(c)
		if err := <-werr; r.err == nil {
			r.err = err
		}
	})
}

func send(c *stdnet.TCPConn, b []byte, werr chan<- error) {
	_, err := c.Write(b)
	if err == nil {
		err = c.CloseWrite()
	}
	werr <- err
}

func runProxy(t *testing.T, cmd *exec.Cmd, port int) {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	lines := make(chan string, 16)
	go readLines(stdout, lines)
	expect := func(prefix string) {
		t.Helper()
		select {
		case l, ok := <-lines:
			require.True(t, ok, "the proxy's output ended before %q", prefix)
			require.True(t, strings.HasPrefix(l, prefix), "got %q, want %q...", l, prefix)
		case <-time.After(20 * time.Second):
			t.Fatalf("no %q line from the proxy in 20s", prefix)
		}
	}
	expect("worker ")
	expect("worker ")

	done := make(chan result, 4)
	for i := 0; i < 4; i++ {
		go roundTrip(port, done)
	}
	for i := 0; i < 4; i++ {
		select {
		case r := <-done:
			require.NoError(t, r.err)
			require.Equal(t, len(r.sent), len(r.got), "bytes back")
			require.True(t, bytes.Equal(r.sent, r.got), "the echo differs from what was sent")
		case <-time.After(40 * time.Second):
			t.Fatal("a client got no answer in 40s")
		}
	}

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	expect("primary: all workers gone")
	waitErr := make(chan error, 1)
	go wait(cmd, waitErr)
	select {
	case err := <-waitErr:
		require.NoError(t, err, "the primary's exit")
	case <-time.After(20 * time.Second):
		t.Fatal("the primary did not exit in 20s after SIGINT")
	}
}

func wait(cmd *exec.Cmd, waitErr chan<- error) { waitErr <- cmd.Wait() }

func readLines(r io.Reader, lines chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lines <- sc.Text()
	}
	close(lines)
}
