package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/internal/freeport"
	"github.com/stretchr/testify/require"
)

// TestHello builds the example, runs it as a real primary with two
// workers, asks it twice over HTTP (round-robin: two different workers),
// and stops it with SIGINT: the primary disconnects its workers and exits 0.
func TestHello(t *testing.T) {
	bin, port := buildHello(t)
	runHello(t, exec.Command(bin, "-workers", "2", "-port", strconv.Itoa(port)), port)
}

// TestHelloNodeWorkers: the Go primary forks Node workers
// (-exec node worker.js), which serve through it.
func TestHelloNodeWorkers(t *testing.T) {
	node := nodeOrSkip(t)
	bin, port := buildHello(t)
	runHello(t, exec.Command(bin, "-workers", "2", "-port", strconv.Itoa(port), "-exec", node, "worker.js"), port)
}

// TestHelloNodePrimary: a Node primary (primary.js) forks the Go binary
// as its workers.
func TestHelloNodePrimary(t *testing.T) {
	node := nodeOrSkip(t)
	bin, port := buildHello(t)
	runHello(t, exec.Command(node, "primary.js", bin, strconv.Itoa(port), "2"), port)
}

func nodeOrSkip(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: this test runs the example with Node v20")
	}
	return node
}

func buildHello(t *testing.T) (string, int) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hello")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin, freeport.Get(t)
}

func runHello(t *testing.T, cmd *exec.Cmd, port int) {
	t.Helper()
	cmd.Env = append(os.Environ(), "WORKERS=", "PORT=")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()

	lines := make(chan string, 64)
	go readLines(stdout, lines)
	expect := func(re string) {
		t.Helper()
		rx := regexp.MustCompile(re)
		deadline := time.After(20 * time.Second)
		for {
			select {
			case line, ok := <-lines:
				require.True(t, ok, "output ended while waiting for %q", re)
				if rx.MatchString(line) {
					return
				}
			case <-deadline:
				t.Fatalf("no line matching %q within 20s", re)
			}
		}
	}
	expect(`^worker \d+ \(pid \d+\) listening on port ` + strconv.Itoa(port))
	expect(`^worker \d+ \(pid \d+\) listening on port ` + strconv.Itoa(port))

	seen := map[string]bool{}
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; i < 2; i++ {
		resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		require.Regexp(t, `^hello from worker \d+ pid \d+\n$`, string(body))
		seen[strings.Fields(string(body))[3]] = true
	}
	require.Len(t, seen, 2, "two requests in a row go to the two workers in turn")

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	expect(`^primary: all workers gone$`)
	done := make(chan error, 1)
	go waitCmd(cmd, done)
	select {
	case err := <-done:
		require.NoError(t, err, "the primary exits 0 after SIGINT")
	case <-time.After(20 * time.Second):
		t.Fatal("the primary did not exit within 20s of SIGINT")
	}
}

func readLines(r io.Reader, out chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		out <- sc.Text()
	}
	close(out)
}

func waitCmd(cmd *exec.Cmd, done chan<- error) { done <- cmd.Wait() }
