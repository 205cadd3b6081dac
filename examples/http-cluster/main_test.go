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

// service is the example running as a real primary with two workers,
// and what the tests ask of it.
type service struct {
	t      *testing.T
	cmd    *exec.Cmd
	port   int
	base   string
	lines  chan string
	client *http.Client
}

// startService builds the example, starts it with two workers on a free
// port and waits until both listen.
func startService(t *testing.T) *service {
	bin := filepath.Join(t.TempDir(), "http-cluster")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	port := freeport.Get(t)
	s := &service{t: t, port: port, base: "http://127.0.0.1:" + strconv.Itoa(port), lines: make(chan string, 256),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
	s.cmd = exec.Command(bin, "-workers", "2", "-port", strconv.Itoa(port), "-grace", "20s")
	s.cmd.Env = append(os.Environ(), "WORKERS=", "PORT=", "HOST=")
	stdout, err := s.cmd.StdoutPipe()
	require.NoError(t, err)
	s.cmd.Stderr = os.Stderr
	require.NoError(t, s.cmd.Start())
	t.Cleanup(func() { s.cmd.Process.Kill() })
	go readLines(stdout, s.lines)
	s.expect(s.listening())
	s.expect(s.listening())
	return s
}

// listening matches a worker's "listening" line: id, pid.
func (s *service) listening() string {
	return `^worker (\d+) \(pid (\d+)\) listening on port ` + strconv.Itoa(s.port) + `$`
}

// expect waits for the next line of the primary's output matching re.
func (s *service) expect(re string) []string {
	s.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case line, ok := <-s.lines:
			require.True(s.t, ok, "output ended while waiting for %q", re)
			if m := rx.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-deadline:
			s.t.Fatalf("no line matching %q within 20s", re)
		}
	}
}

func (s *service) get(path string) string {
	s.t.Helper()
	resp, err := s.client.Get(s.base + path)
	require.NoError(s.t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(s.t, err)
	require.Equal(s.t, 200, resp.StatusCode, "%s: %s", path, body)
	return string(body)
}

// slow starts a request to /slow?ms=ms and waits until a worker has it.
func (s *service) slow(ms int) <-chan string {
	out := make(chan string, 1)
	sr := &slowRequest{client: s.client, url: s.base + "/slow?ms=" + strconv.Itoa(ms), out: out}
	go sr.run()
	s.expect(`^worker \d+: slow request started \(` + strconv.Itoa(ms) + ` ms\)$`)
	return out
}

// stop sends SIGTERM and waits for the graceful stop and an exit 0.
func (s *service) stop() {
	s.t.Helper()
	require.NoError(s.t, s.cmd.Process.Signal(syscall.SIGTERM))
	s.expect(`^primary: terminated, stopping gracefully$`)
	s.expect(`^primary: all workers gone$`)
	done := make(chan error, 1)
	go waitCmd(s.cmd, done)
	select {
	case err := <-done:
		require.NoError(s.t, err, "the primary exits 0 after SIGTERM")
	case <-time.After(20 * time.Second):
		s.t.Fatal("the primary did not exit within 20s of SIGTERM")
	}
}

func requireSlowDone(t *testing.T, slow <-chan string, ms int) {
	t.Helper()
	select {
	case body := <-slow:
		require.Regexp(t, `^slow done by worker \d+ after `+strconv.Itoa(ms)+` ms\n$`, body)
	case <-time.After(20 * time.Second):
		t.Fatal("the request in flight did not complete")
	}
}

var helloRE = regexp.MustCompile(`^hello from worker (\d+) pid (\d+)\n$`)

// TestHTTPCluster builds the example and runs it as a real primary with
// two workers: it asks two routes, kills a worker with SIGKILL and sees
// the primary replace it, then sends SIGTERM with a slow request in
// flight: the request completes, every worker exits, and the primary
// exits 0.
func TestHTTPCluster(t *testing.T) {
	s := startService(t)
	hello := s.get("/")
	m := helloRE.FindStringSubmatch(hello)
	require.NotNil(t, m, "%q", hello)
	require.Regexp(t, `^\{"status":"ok","worker":\d+,"pid":\d+\}\n$`, s.get("/health"))

	// A crash: the primary forks a replacement, which serves.
	victim, _ := strconv.Atoi(m[2])
	require.NoError(t, syscall.Kill(victim, syscall.SIGKILL))
	s.expect(`^worker ` + m[1] + ` \(pid ` + m[2] + `\) died \(code <nil>, signal SIGKILL\): starting a new one$`)
	re := s.expect(s.listening())
	require.NotEqual(t, m[2], re[2], "the replacement is a new process")
	seen := map[string]bool{}
	for i := 0; i < 4; i++ {
		f := strings.Fields(s.get("/"))
		seen[f[5]] = true
		require.NotEqual(t, m[2], f[5], "the killed worker does not answer")
	}
	require.Len(t, seen, 2, "two live workers answer in turn")

	// A graceful stop with a request in flight.
	slow := s.slow(1500)
	s.stop()
	requireSlowDone(t, slow, 1500)
	// Nothing listens any more.
	_, err := s.client.Get(s.base + "/")
	require.Error(t, err)
}

// TestHTTPClusterRollingRestart: SIGHUP replaces both workers one at a
// time while two clients keep asking and a slow request is in flight:
// every request is answered, the slow one by its old worker, and then
// only new worker processes answer.
func TestHTTPClusterRollingRestart(t *testing.T) {
	s := startService(t)
	oldPids := map[string]bool{}
	for i := 0; i < 4; i++ {
		oldPids[helloRE.FindStringSubmatch(s.get("/"))[2]] = true
	}
	require.Len(t, oldPids, 2, "both workers answer")

	stop := make(chan struct{})
	results := make(chan loadResult, 2)
	for i := 0; i < 2; i++ {
		lc := &loadClient{client: s.client, url: s.base + "/", stop: stop, out: results}
		go lc.run()
	}
	slow := s.slow(1000)
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGHUP))
	s.expect(`^primary: SIGHUP, replacing 2 workers one at a time$`)
	s.expect(`^primary: worker 3 serves, disconnecting worker 1$`)
	s.expect(`^worker 1 \(pid \d+\) exited \(code 0, signal <nil>\)$`)
	s.expect(`^primary: worker 4 serves, disconnecting worker 2$`)
	// The worker's own "exit" listeners run before the cluster's.
	s.expect(`^primary: restart done$`)
	s.expect(`^worker 2 \(pid \d+\) exited \(code 0, signal <nil>\)$`)
	requireSlowDone(t, slow, 1000)
	close(stop)
	var total loadResult
	for i := 0; i < 2; i++ {
		r := <-results
		total.ok += r.ok
		total.errs = append(total.errs, r.errs...)
	}
	require.Empty(t, total.errs, "requests failed during the restart (%d answered)", total.ok)
	require.NotZero(t, total.ok)
	t.Logf("%d requests answered during the restart", total.ok)

	newPids := map[string]bool{}
	for i := 0; i < 4; i++ {
		m := helloRE.FindStringSubmatch(s.get("/"))
		require.False(t, oldPids[m[2]], "an old worker (pid %s) still answers", m[2])
		newPids[m[2]] = true
	}
	require.Len(t, newPids, 2, "both new workers answer")
	s.stop()
}

type loadResult struct {
	ok   int
	errs []string
}

// loadClient asks url one request after another until stop is closed.
type loadClient struct {
	client *http.Client
	url    string
	stop   <-chan struct{}
	out    chan<- loadResult
}

func (c *loadClient) run() {
	var r loadResult
	for {
		select {
		case <-c.stop:
			c.out <- r
			return
		default:
		}
		resp, err := c.client.Get(c.url)
		if err != nil {
			r.errs = append(r.errs, err.Error())
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case err != nil:
			r.errs = append(r.errs, err.Error())
		case resp.StatusCode != 200 || !helloRE.Match(b):
			r.errs = append(r.errs, strconv.Itoa(resp.StatusCode)+" "+string(b))
		default:
			r.ok++
		}
	}
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
