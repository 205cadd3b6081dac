package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	stdnet "net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// contestant is one HTTP server setup.
type contestant struct {
	key   string // short name, used in progress lines
	name  string // as in the tables
	node  bool   // needs node
	aa    bool   // the A/A control's second copy
	optIn bool   // beyond Node: only with -inflight >= 2
	start func(port int) *exec.Cmd
}

// workload is one wrk run shape.
type workload struct {
	key, name string
	conns     int
	close     bool // send "Connection: close": a new connection per request
}

var workloads = []workload{
	{"newconn", "new connection per request (Connection: close, 32 connections)", 32, true},
	{"keepalive", "keep-alive (32 connections)", 32, false},
	{"latency", "one connection at a time (Connection: close, 1 connection)", 1, true},
}

// server is a running contestant.
type server struct {
	cmd    *exec.Cmd
	pid    int
	lines  chan string
	stderr *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// running is the servers up now, for the interrupt handler.
var (
	runningMu sync.Mutex
	running   = map[*server]bool{}
)

func setRunning(s *server, up bool) {
	runningMu.Lock()
	defer runningMu.Unlock()
	if up {
		running[s] = true
	} else {
		delete(running, s)
	}
}

// killRunning kills every running server's process group (on interrupt).
func killRunning() {
	runningMu.Lock()
	defer runningMu.Unlock()
	for s := range running {
		syscall.Kill(-s.pid, syscall.SIGKILL)
	}
}

// startServer starts cmd in its own process group and waits for its
// "ready" line.
func startServer(cmd *exec.Cmd, timeout time.Duration) (*server, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, lines: make(chan string, 64), stderr: &lockedBuffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.pid = cmd.Process.Pid
	setRunning(s, true)
	r := &lineReader{r: out, out: s.lines}
	go r.run()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				s.stop()
				return nil, fmt.Errorf("%s exited before it was ready: %s", cmd.Path, strings.TrimSpace(s.stderr.String()))
			}
			if line == "ready" {
				return s, nil
			}
		case <-deadline:
			s.stop()
			return nil, fmt.Errorf("%s not ready within %v: %s", cmd.Path, timeout, strings.TrimSpace(s.stderr.String()))
		}
	}
}

type lineReader struct {
	r   io.Reader
	out chan<- string
}

func (l *lineReader) run() {
	sc := bufio.NewScanner(l.r)
	for sc.Scan() {
		l.out <- sc.Text()
	}
	close(l.out)
}

// stop asks the primary to stop (SIGTERM: its workers are disconnected)
// and kills the whole group if it has not exited within 5s.
func (s *server) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	w := &waiter{cmd: s.cmd, done: done}
	go w.run()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-s.pid, syscall.SIGKILL)
		<-done
		err = errors.New("did not stop within 5s of SIGTERM: killed")
	}
	// Leftover workers, if any, go with the group.
	syscall.Kill(-s.pid, syscall.SIGKILL)
	setRunning(s, false)
	return err
}

type waiter struct {
	cmd  *exec.Cmd
	done chan<- error
}

func (w *waiter) run() { w.done <- w.cmd.Wait() }

// pids is the primary and its workers.
func (s *server) pids() (primary int, workers []int) {
	return s.pid, children(s.pid)
}

// freePort finds a port on 127.0.0.1 that nothing listens on.
func freePort() (int, error) {
	l, err := stdnet.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*stdnet.TCPAddr).Port, nil
}

// rawResponse sends one GET and returns the response as it came, with
// the Date value replaced by "<date>".
func rawResponse(port int, close bool) (string, error) {
	c, err := stdnet.DialTimeout("tcp4", "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + strconv.Itoa(port) + "\r\n"
	if close {
		req += "Connection: close\r\n"
	}
	req += "\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return "", err
	}
	// Read the head, then Content-Length bytes of body (a keep-alive
	// response does not end with the connection).
	br := bufio.NewReader(c)
	var head strings.Builder
	length := -1
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return head.String(), fmt.Errorf("reading the response head: %w", err)
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if length < 0 {
		return head.String(), errors.New("no Content-Length")
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(br, body); err != nil {
		return head.String(), err
	}
	if close {
		// The server must close after a Connection: close request.
		if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			return head.String() + string(body), errors.New("the connection stayed open after Connection: close")
		}
	}
	return dateRe.ReplaceAllString(head.String(), "Date: <date>\r\n") + string(body), nil
}

var dateRe = regexp.MustCompile(`(?m)^Date: [^\r\n]*\r\n`)

// wrkResult is what one wrk run reports.
type wrkResult struct {
	requests float64 // completed requests
	rps      float64
	p50, p99 float64 // milliseconds
	errors   float64 // socket errors and non-2xx responses
}

// runWrk runs wrk against port, pinned with pin (a taskset prefix, may be
// empty).
func runWrk(pin []string, port int, w workload, d time.Duration) (wrkResult, string, error) {
	args := append([]string(nil), pin...)
	args = append(args, "wrk", "-t1", "-c"+strconv.Itoa(w.conns), "-d"+wrkDuration(d), "--latency", "--timeout", "5s")
	if w.close {
		args = append(args, "-H", "Connection: close")
	}
	args = append(args, "http://127.0.0.1:"+strconv.Itoa(port)+"/")
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return wrkResult{}, string(out), fmt.Errorf("%s: %v", strings.Join(args, " "), err)
	}
	r, perr := parseWrk(string(out))
	return r, string(out), perr
}

// wrkDuration prints d for wrk, which takes whole seconds (s, m, h).
func wrkDuration(d time.Duration) string {
	return strconv.Itoa(int(d/time.Second)) + "s"
}

var (
	reRPS      = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reRequests = regexp.MustCompile(`(\d+) requests in`)
	reLat      = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	reSock     = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	reNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	m := reRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk's output:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	if m := reRequests.FindStringSubmatch(out); m != nil {
		r.requests, _ = strconv.ParseFloat(m[1], 64)
	}
	for _, m := range reLat.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		switch m[3] {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		}
		if m[1] == "50" {
			r.p50 = v
		} else {
			r.p99 = v
		}
	}
	if m := reSock.FindStringSubmatch(out); m != nil {
		for _, x := range m[1:] {
			n, _ := strconv.ParseFloat(x, 64)
			r.errors += n
		}
	}
	if m := reNon2xx.FindStringSubmatch(out); m != nil {
		n, _ := strconv.ParseFloat(m[1], 64)
		r.errors += n
	}
	return r, nil
}

// ensureWrk finds wrk, or installs it from Debian's packages when this
// process may (root, apt-get present). It returns why not when it can't.
func ensureWrk() (string, error) {
	if p, err := exec.LookPath("wrk"); err == nil {
		return p, nil
	}
	const how = "install it with: apt-get install wrk (Debian/Ubuntu; as root)"
	if os.Geteuid() != 0 {
		return "", errors.New("wrk is not installed and this is not root: " + how)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "", errors.New("wrk is not installed and there is no apt-get: build it from https://github.com/wg/wrk")
	}
	fmt.Fprintln(os.Stderr, "bench: wrk is missing: apt-get install -y wrk ...")
	install := func() error {
		cmd := exec.Command("apt-get", "install", "-y", "-q", "wrk")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, lastLines(string(out), 3))
		}
		return nil
	}
	if err := install(); err != nil {
		fmt.Fprintln(os.Stderr, "bench: apt-get update first ...")
		upd := exec.Command("apt-get", "update", "-q")
		upd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		upd.Run()
		if err := install(); err != nil {
			return "", fmt.Errorf("apt-get install wrk failed (%v): %s", err, how)
		}
	}
	return exec.LookPath("wrk")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " / ")
}
