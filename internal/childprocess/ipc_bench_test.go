package childprocess_test

// IPC round trips between two processes, measured on three paths:
//
//   - bare-socketpair: the limit. Two Go processes over a blocking
//     socketpair, each side a plain read/write loop over JSON lines
//     ({"cmd":"ping","n":123}), no event loop, no JSON library.
//   - bare-epoll: the same, except that each side waits in epoll_wait on
//     its non-blocking end before every read, as any reactor does. The gap
//     between the two bare paths is the price of the design (waiting in
//     epoll_wait rather than in read), the gap between bare-epoll and
//     uv-loop the price of our loop and channel code.
//   - uv-loop: our path. A Go primary and a Go child, both on a uv.Loop,
//     over the channel childprocess.Fork and childprocess.ForkChild set up;
//     each side sends from its "message" listener.
//
// The children are this test binary, re-executed without arguments and
// told what to be by NODECLUSTER_BENCH_CHILD, which TestMain reads before
// anything else. scripts/ipc-bench runs TestIPCBenchReport with
// NODECLUSTER_IPC_BENCH=1 and compares with Node (scripts/ipc-bench-node.js).

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/uv"
)

const (
	// benchChildEnv tells a re-executed test binary to be a benchmark child
	// ("bare", "bare-epoll" or "loop") instead of running tests.
	benchChildEnv = "NODECLUSTER_BENCH_CHILD"
	// benchChildProfileEnv, when set, makes a benchmark child write a CPU
	// profile of itself to that path.
	benchChildProfileEnv = "NODECLUSTER_BENCH_CHILD_CPUPROFILE"
	// benchReportEnv enables TestIPCBenchReport.
	benchReportEnv = "NODECLUSTER_IPC_BENCH"
	// The report's sizes (defaults: 20000 round trips after 1000).
	benchCountEnv  = "NODECLUSTER_IPC_BENCH_COUNT"
	benchWarmupEnv = "NODECLUSTER_IPC_BENCH_WARMUP"
)

// TestMain turns a re-executed test binary into a benchmark child when
// NODECLUSTER_BENCH_CHILD says so, and otherwise runs the tests as usual.
func TestMain(m *testing.M) {
	if kind, ok := os.LookupEnv(benchChildEnv); ok {
		os.Exit(runBenchChild(kind))
	}
	os.Exit(m.Run())
}

func runBenchChild(kind string) int {
	if path := os.Getenv(benchChildProfileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench child: %v\n", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "bench child: %v\n", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	switch kind {
	case "bare":
		return bareChild(false)
	case "bare-epoll":
		return bareChild(true)
	case "loop":
		return loopChild()
	}
	fmt.Fprintf(os.Stderr, "bench child: %s=%q: want bare, bare-epoll or loop\n", benchChildEnv, kind)
	return 2
}

// pingConfig is one ping-pong run: warmup round trips, then count timed
// ones.
type pingConfig struct {
	warmup, count int
	// timeout bounds the whole run, child start and exit included.
	timeout time.Duration
	// message builds round trip i's message on the uv-loop path; nil sends
	// {"n":i}. When set, the reply must stringify exactly as the message.
	message func(i int) *childprocess.Object
	// onStart and onStop run when the timed part starts and ends (the
	// benchmark's ResetTimer and StopTimer); nil does nothing.
	onStart, onStop func()
}

func (c *pingConfig) start() {
	if c.onStart != nil {
		c.onStart()
	}
}

func (c *pingConfig) stop() {
	if c.onStop != nil {
		c.onStop()
	}
}

func defaultTimeout(count int) time.Duration {
	return 30*time.Second + time.Duration(count)*time.Millisecond
}

// childEnv is this process's environment for a benchmark child of the
// given kind, without any channel variables it may have inherited.
func childEnv(kind string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case benchChildEnv, "NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE":
			continue
		}
		env = append(env, kv)
	}
	return append(env, benchChildEnv+"="+kind)
}

// --- bare-socketpair ----------------------------------------------------

// lineReader reads newline-terminated lines from a descriptor: with
// blocking reads, or, for bare-epoll, waiting in epoll_wait on the
// non-blocking descriptor before each read.
type lineReader struct {
	fd         int
	buf        []byte
	start, end int

	ep      int // epoll instance, or -1 for blocking reads
	events  [1]unix.EpollEvent
	timeout int // epoll_wait's timeout in ms, -1 for none
}

func newLineReader(fd int) *lineReader {
	return &lineReader{fd: fd, buf: make([]byte, 4096), ep: -1, timeout: -1}
}

// useEpoll makes the reader wait in epoll_wait before each read, with
// timeout (0: none); the descriptor becomes non-blocking.
func (r *lineReader) useEpoll(timeout time.Duration) error {
	if err := unix.SetNonblock(r.fd, true); err != nil {
		return err
	}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(r.fd)}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, r.fd, &ev); err != nil {
		unix.Close(ep)
		return err
	}
	r.ep = ep
	if timeout > 0 {
		r.timeout = int(timeout / time.Millisecond)
	}
	return nil
}

func (r *lineReader) close() {
	if r.ep >= 0 {
		unix.Close(r.ep)
		r.ep = -1
	}
}

// wait blocks in epoll_wait until the descriptor is readable.
func (r *lineReader) wait() error {
	for {
		n, err := unix.EpollWait(r.ep, r.events[:], r.timeout)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return unix.ETIMEDOUT
		}
		return nil
	}
}

// readLine returns the next line without its newline; it is valid until
// the next call. At the end of the stream it returns io.EOF.
func (r *lineReader) readLine() ([]byte, error) {
	for {
		if i := bytes.IndexByte(r.buf[r.start:r.end], '\n'); i >= 0 {
			line := r.buf[r.start : r.start+i]
			r.start += i + 1
			return line, nil
		}
		if r.start > 0 {
			r.end = copy(r.buf, r.buf[r.start:r.end])
			r.start = 0
		}
		if r.end == len(r.buf) {
			r.buf = append(r.buf, make([]byte, len(r.buf))...)
		}
		if r.ep >= 0 {
			if err := r.wait(); err != nil {
				return nil, err
			}
		}
		n, err := unix.Read(r.fd, r.buf[r.end:])
		if err == unix.EINTR || (err == unix.EAGAIN && r.ep >= 0) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			if r.end > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, io.EOF
		}
		r.end += n
	}
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// appendBareLine appends {"cmd":"<cmd>","n":<n>} and a newline.
func appendBareLine(b []byte, cmd string, n int) []byte {
	b = append(b, `{"cmd":"`...)
	b = append(b, cmd...)
	b = append(b, `","n":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, "}\n"...)
}

// parseBareLine reads back what appendBareLine wrote.
func parseBareLine(line []byte) (cmd string, n int, err error) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"cmd":"`))
	if !ok {
		return "", 0, fmt.Errorf("bad line %q", line)
	}
	c, rest, ok := bytes.Cut(rest, []byte(`","n":`))
	if !ok {
		return "", 0, fmt.Errorf("bad line %q", line)
	}
	num, ok := bytes.CutSuffix(rest, []byte("}"))
	if !ok {
		return "", 0, fmt.Errorf("bad line %q", line)
	}
	v, perr := strconv.Atoi(string(num))
	if perr != nil {
		return "", 0, fmt.Errorf("bad line %q: %v", line, perr)
	}
	return string(c), v, nil
}

// bareChild answers every ping on fd 3 with a pong until the stream ends,
// reading in epoll_wait's way when epoll is set.
func bareChild(epoll bool) int {
	const fd = 3
	r := newLineReader(fd)
	if epoll {
		if err := r.useEpoll(0); err != nil {
			fmt.Fprintf(os.Stderr, "bare child: %v\n", err)
			return 2
		}
	}
	out := make([]byte, 0, 64)
	for {
		line, err := r.readLine()
		if err == io.EOF {
			return 0
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bare child: read: %v\n", err)
			return 1
		}
		cmd, n, err := parseBareLine(line)
		if err != nil || cmd != "ping" {
			fmt.Fprintf(os.Stderr, "bare child: %q: %v\n", line, err)
			return 1
		}
		out = appendBareLine(out[:0], "pong", n)
		if err := writeAll(fd, out); err != nil {
			fmt.Fprintf(os.Stderr, "bare child: write: %v\n", err)
			return 1
		}
	}
}

// runBare runs a ping-pong with a bare child over a blocking socketpair
// and returns the time the timed round trips took.
func runBare(cfg pingConfig) (time.Duration, error) { return runBareKind(false, cfg) }

// runBareEpoll is runBare with both sides waiting in epoll_wait before
// each read.
func runBareEpoll(cfg pingConfig) (time.Duration, error) { return runBareKind(true, cfg) }

func runBareKind(epoll bool, cfg pingConfig) (elapsed time.Duration, err error) {
	kind := "bare"
	if epoll {
		kind = "bare-epoll"
	}
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	fd := fds[0]
	childEnd := os.NewFile(uintptr(fds[1]), "bench-socketpair")
	cmd := exec.Command(exe) // no arguments: the child must not see -test.* flags
	cmd.Env = childEnv(kind)
	cmd.ExtraFiles = []*os.File{childEnd} // fd 3
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	err = cmd.Start()
	childEnd.Close()
	if err != nil {
		unix.Close(fd)
		return 0, err
	}
	defer func() {
		// Closing our end is the child's signal to exit.
		unix.Close(fd)
		if werr := cmd.Wait(); werr != nil && err == nil {
			err = fmt.Errorf("%s child: %w", kind, werr)
		}
	}()

	// A hung child ends a read (EAGAIN) or an epoll_wait (ETIMEDOUT)
	// rather than never.
	deadline := time.Now().Add(cfg.timeout)
	r := newLineReader(fd)
	defer r.close()
	if epoll {
		err = r.useEpoll(cfg.timeout)
	} else {
		tv := unix.NsecToTimeval(cfg.timeout.Nanoseconds())
		err = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	}
	if err != nil {
		cmd.Process.Kill()
		return 0, err
	}
	out := make([]byte, 0, 64)
	total := cfg.warmup + cfg.count
	var start time.Time
	for i := 0; i < total; i++ {
		if i == cfg.warmup {
			cfg.start()
			start = time.Now()
		}
		out = appendBareLine(out[:0], "ping", i)
		if err := writeAll(fd, out); err != nil {
			cmd.Process.Kill()
			return 0, fmt.Errorf("round trip %d: write: %w", i, err)
		}
		line, err := r.readLine()
		if err != nil {
			cmd.Process.Kill()
			return 0, fmt.Errorf("round trip %d: read: %w", i, err)
		}
		c, n, err := parseBareLine(line)
		if err != nil || c != "pong" || n != i {
			cmd.Process.Kill()
			return 0, fmt.Errorf("round trip %d: got %q (%v)", i, line, err)
		}
		if i&1023 == 1023 && time.Now().After(deadline) {
			cmd.Process.Kill()
			return 0, fmt.Errorf("timed out after %d round trips", i+1)
		}
	}
	elapsed = time.Since(start)
	cfg.stop()
	return elapsed, nil
}

// --- uv-loop ------------------------------------------------------------

// loopChild is a Go process on its loop, as a forked worker is: it sends
// every message back from its "message" listener until the primary
// disconnects.
func loopChild() int {
	fd, err := childprocess.ChannelFdFromEnv(os.Getenv("NODE_CHANNEL_FD"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "loop child: %v\n", err)
		return 2
	}
	l := uv.Default()
	target := &childprocess.Target{}
	if _, err := childprocess.ForkChild(l, target, fd); err != nil {
		fmt.Fprintf(os.Stderr, "loop child: %v\n", err)
		return 2
	}
	code := 0
	target.On("error", func(err error) {
		fmt.Fprintf(os.Stderr, "loop child: %v\n", err)
		code = 1
	})
	target.On("message", func(msg any, _ any) {
		target.Send(msg, nil, childprocess.SendOptions{}, nil)
	})
	l.Run()
	return code
}

// runLoop runs a ping-pong between a primary on a fresh uv.Loop and a loop
// child forked with childprocess.Fork, and returns the time the timed
// round trips took. The loop runs on the calling goroutine.
func runLoop(cfg pingConfig) (time.Duration, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	l, err := uv.NewLoop()
	if err != nil {
		return 0, err
	}
	// No arguments: the child must not see -test.* flags.
	c, err := childprocess.Fork(l, "", nil, childprocess.ForkOptions{ExecPath: exe, Env: childEnv("loop"), Label: "ipc-bench"})
	if err != nil {
		return 0, err
	}

	total := cfg.warmup + cfg.count
	message := cfg.message
	if message == nil {
		message = func(i int) *childprocess.Object { return childprocess.NewObject("n", i) }
	}
	var (
		failure error
		start   time.Time
		elapsed time.Duration
		next    int // the round trip whose reply is awaited
		sent    *childprocess.Object
		exited  bool
		exitMsg string
	)
	fail := func(err error) {
		if failure == nil {
			failure = err
		}
		if c.Connected {
			c.Disconnect()
		}
	}
	send := func() {
		if next == cfg.warmup {
			cfg.start()
			start = time.Now()
		}
		sent = message(next)
		if !c.Target.Send(sent, nil, childprocess.SendOptions{}, nil) {
			fail(fmt.Errorf("round trip %d: send reported a full or closed channel", next))
		}
	}
	deadline := l.SetTimeout(cfg.timeout, func() {
		if failure == nil {
			failure = fmt.Errorf("timed out after %d round trips", next)
		}
		c.Kill("SIGKILL")
	})
	c.On("error", func(err error) { fail(err) })
	c.On("message", func(msg any, _ any) {
		if failure != nil {
			return
		}
		m, ok := msg.(*childprocess.Object)
		if !ok || m.Int("n", -1) != next {
			fail(fmt.Errorf("round trip %d: got %#v", next, msg))
			return
		}
		if cfg.message != nil {
			if got, want := m.JSONString(), sent.JSONString(); got != want {
				fail(fmt.Errorf("round trip %d: got %s, want %s", next, got, want))
				return
			}
		}
		next++
		if next < total {
			send()
			return
		}
		elapsed = time.Since(start)
		cfg.stop()
		c.Disconnect()
	})
	c.On("exit", func(code any, signal any) {
		exited = true
		deadline.Stop()
		if code != 0 {
			exitMsg = fmt.Sprintf("loop child exited with code %v, signal %v", code, signal)
		}
	})
	send()
	l.Run()

	switch {
	case failure != nil:
		return 0, failure
	case !exited:
		return 0, errors.New("loop ended before the child's exit")
	case exitMsg != "":
		return 0, errors.New(exitMsg)
	case next != total:
		return 0, fmt.Errorf("only %d of %d round trips", next, total)
	}
	return elapsed, nil
}

// --- tests and benchmarks -----------------------------------------------

func TestIPCPingPongLoop(t *testing.T) {
	_, err := runLoop(pingConfig{
		warmup:  0,
		count:   200,
		timeout: 30 * time.Second,
		message: func(i int) *childprocess.Object {
			return childprocess.NewObject(
				"n", i,
				"cmd", "ping",
				"text", fmt.Sprintf("ping %d \"quoted\" \u00e9\u2028", i),
				"list", []any{i, true, nil, 1.5},
				"inner", childprocess.NewObject("even", i%2 == 0),
			)
		},
	})
	require.NoError(t, err)
}

func TestIPCPingPongBare(t *testing.T) {
	_, err := runBare(pingConfig{warmup: 0, count: 200, timeout: 30 * time.Second})
	require.NoError(t, err)
	_, err = runBareEpoll(pingConfig{warmup: 0, count: 200, timeout: 30 * time.Second})
	require.NoError(t, err)
}

// ipcPaths are the Go paths, by their sub-benchmark names.
var ipcPaths = []struct {
	name string
	run  func(pingConfig) (time.Duration, error)
}{
	{"bare-socketpair", runBare},
	{"bare-epoll", runBareEpoll},
	{"uv-loop", runLoop},
}

// BenchmarkIPCRoundTrip times b.N round trips after 1000 of warm-up; the
// child's start and exit are left out. allocs/op counts the primary only.
func BenchmarkIPCRoundTrip(b *testing.B) {
	for _, p := range ipcPaths {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			d, err := p.run(pingConfig{
				warmup:  1000,
				count:   b.N,
				timeout: defaultTimeout(b.N),
				onStart: b.ResetTimer,
				onStop:  b.StopTimer,
			})
			require.NoError(b, err)
			b.ReportMetric(float64(b.N)/d.Seconds(), "roundtrips/s")
		})
	}
}

// BenchmarkIPCLoopInProcess is the uv-loop path without the wake-ups: both
// ends of a socketpair are channels (ForkChild) on one loop, so epoll_wait
// never sleeps and an op is one round trip's CPU (two messages each
// parsed, emitted and sent, plus the loop's turns), free of the
// scheduler's noise. Profile it to see what the path itself costs.
func BenchmarkIPCLoopInProcess(b *testing.B) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(b, err)
	l, err := uv.NewLoop()
	require.NoError(b, err)
	primary, echo := &childprocess.Target{}, &childprocess.Target{}
	_, err = childprocess.ForkChild(l, primary, fds[0])
	require.NoError(b, err)
	_, err = childprocess.ForkChild(l, echo, fds[1])
	require.NoError(b, err)

	echo.On("message", func(msg any, _ any) {
		echo.Send(msg, nil, childprocess.SendOptions{}, nil)
	})
	var failure error
	next := 0
	send := func() {
		if next == 1000 {
			b.ResetTimer()
		}
		primary.Send(childprocess.NewObject("n", next), nil, childprocess.SendOptions{}, nil)
	}
	primary.On("message", func(msg any, _ any) {
		m, ok := msg.(*childprocess.Object)
		if !ok || m.Int("n", -1) != next {
			failure = fmt.Errorf("round trip %d: got %#v", next, msg)
			primary.Disconnect()
			return
		}
		next++
		if next < 1000+b.N {
			send()
			return
		}
		b.StopTimer()
		primary.Disconnect()
	})
	b.ReportAllocs()
	send()
	l.Run()
	require.NoError(b, failure)
	require.Equal(b, 1000+b.N, next)
}

// TestIPCBenchReport prints "roundtrips/s: N" for each path (select one
// with -test.run 'TestIPCBenchReport/^uv-loop$'); scripts/ipc-bench runs it.
// It skips unless NODECLUSTER_IPC_BENCH=1.
func TestIPCBenchReport(t *testing.T) {
	if os.Getenv(benchReportEnv) != "1" {
		t.Skipf("%s=1 is not set: this test only prints round trips/s for scripts/ipc-bench", benchReportEnv)
	}
	warmup := envInt(t, benchWarmupEnv, 1000)
	count := envInt(t, benchCountEnv, 20000)
	require.Positive(t, count)
	for _, p := range ipcPaths {
		t.Run(p.name, func(t *testing.T) {
			d, err := p.run(pingConfig{warmup: warmup, count: count, timeout: defaultTimeout(count)})
			require.NoError(t, err)
			fmt.Printf("roundtrips/s: %.0f\n", float64(count)/d.Seconds())
		})
	}
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "%s", name)
	require.GreaterOrEqual(t, n, 0, "%s", name)
	return n
}
