package main

import (
	"bufio"
	"io"
	stdnet "net"
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

	"github.com/stretchr/testify/require"
)

// TestHTTPCluster builds the example and runs it as a real primary with
// two workers: it asks two routes, kills a worker with SIGKILL and sees
// the primary replace it, then sends SIGTERM with a slow request in
// flight: the request completes, every worker exits, and the primary
// exits 0.
func TestHTTPCluster(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "http-cluster")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	l, err := stdnet.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*stdnet.TCPAddr).Port
	l.Close()
	base := "http://127.0.0.1:" + strconv.Itoa(port)

	cmd := exec.Command(bin, "-workers", "2", "-port", strconv.Itoa(port), "-grace", "20s")
	cmd.Env = append(os.Environ(), "WORKERS=", "PORT=", "HOST=")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	lines := make(chan string, 256)
	go readLines(stdout, lines)
	expect := func(re string) []string {
		t.Helper()
		rx := regexp.MustCompile(re)
		deadline := time.After(20 * time.Second)
		for {
			select {
			case line, ok := <-lines:
				require.True(t, ok, "output ended while waiting for %q", re)
				if m := rx.FindStringSubmatch(line); m != nil {
					return m
				}
			case <-deadline:
				t.Fatalf("no line matching %q within 20s", re)
			}
		}
	}
	listening := `^worker (\d+) \(pid (\d+)\) listening on port ` + strconv.Itoa(port) + `$`
	expect(listening)
	expect(listening)

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) string {
		t.Helper()
		resp, err := client.Get(base + path)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode, "%s: %s", path, body)
		return string(body)
	}
	hello := get("/")
	m := regexp.MustCompile(`^hello from worker (\d+) pid (\d+)\n$`).FindStringSubmatch(hello)
	require.NotNil(t, m, "%q", hello)
	require.Regexp(t, `^\{"pid":\d+,"status":"ok","worker":\d+\}\n$`, get("/health"))

	// A crash: the primary forks a replacement, which serves.
	victim, _ := strconv.Atoi(m[2])
	require.NoError(t, syscall.Kill(victim, syscall.SIGKILL))
	expect(`^worker ` + m[1] + ` \(pid ` + m[2] + `\) died \(code <nil>, signal SIGKILL\): starting a new one$`)
	re := expect(listening)
	require.NotEqual(t, m[2], re[2], "the replacement is a new process")
	seen := map[string]bool{}
	for i := 0; i < 4; i++ {
		f := strings.Fields(get("/"))
		seen[f[5]] = true
		require.NotEqual(t, m[2], f[5], "the killed worker does not answer")
	}
	require.Len(t, seen, 2, "two live workers answer in turn")

	// A graceful stop with a request in flight.
	slow := make(chan string, 1)
	sr := &slowRequest{client: client, url: base + "/slow?ms=1500", out: slow}
	go sr.run()
	expect(`^worker \d+: slow request started \(1500 ms\)$`)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	expect(`^primary: terminated, stopping gracefully$`)
	select {
	case body := <-slow:
		require.Regexp(t, `^slow done by worker \d+ after 1500 ms\n$`, body)
	case <-time.After(20 * time.Second):
		t.Fatal("the request in flight did not complete")
	}
	expect(`^primary: all workers gone$`)
	done := make(chan error, 1)
	go waitCmd(cmd, done)
	select {
	case err := <-done:
		require.NoError(t, err, "the primary exits 0 after SIGTERM")
	case <-time.After(20 * time.Second):
		t.Fatal("the primary did not exit within 20s of SIGTERM")
	}
	// Nothing listens any more.
	_, err = client.Get(base + "/")
	require.Error(t, err)
}

type slowRequest struct {
	client *http.Client
	url    string
	out    chan<- string
}

func (s *slowRequest) run() {
	resp, err := s.client.Get(s.url)
	if err != nil {
		s.out <- "error: " + err.Error()
		return
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.out <- "error: " + err.Error()
		return
	}
	if resp.StatusCode != 200 {
		s.out <- "status " + strconv.Itoa(resp.StatusCode) + ": " + string(b)
		return
	}
	s.out <- string(b)
}

func readLines(r io.Reader, out chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		out <- sc.Text()
	}
	close(out)
}

func waitCmd(cmd *exec.Cmd, done chan<- error) { done <- cmd.Wait() }

// TestUsesOnlyPublicPackages: the example is what a program outside this
// module can write, so it imports none of the port's internal packages
// (timers, Post and the process object come from package cluster).
func TestUsesOnlyPublicPackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	require.NoError(t, err)
	for _, imp := range strings.Fields(string(out)) {
		require.False(t, strings.Contains(imp, "nodecluster/internal/"), "imports %s", imp)
	}
	require.Contains(t, strings.Fields(string(out)), "github.com/nodecluster/nodecluster/cluster")
}
