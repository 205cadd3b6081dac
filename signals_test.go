package nodecluster_test

// Signal dispositions a process starts with, as node treats them: node
// resets an inherited SIG_IGN at start-up (but SIGPIPE's and SIGXFSZ's,
// which it ignores), so a primary started in the background of a
// non-interactive shell or under nohup, and its workers, still die of
// SIGINT and SIGHUP; the Go runtime would have kept both ignored.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// sigIgnores reports whether this process ignores signal signo, from
// /proc/self/status's SigIgn mask.
func sigIgnores(signo int) bool {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "SigIgn:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(rest), 16, 64)
			if err != nil {
				panic(err)
			}
			return mask>>(signo-1)&1 == 1
		}
	}
	panic("no SigIgn in /proc/self/status")
}

func init() {
	workerScenarios["sig-report"] = func() {
		// Reported once the signals that end a Node process are taken
		// over (beside start-up), so that the primary's signal finds them.
		cluster.Ref()
		go func() {
			<-process.SignalsTaken()
			cluster.Post(func() {
				cluster.Unref()
				process.Get().Send(cluster.NewObject("hup", sigIgnores(1), "int", sigIgnores(2)), nil, nil)
			})
		}()
	}
	primaryScenarios["sig-dispositions"] = func() {
		fmt.Printf("primary ignores SIGHUP %t SIGINT %t\n", sigIgnores(1), sigIgnores(2))
		cases := []string{"SIGINT", "SIGHUP", "SIGXFSZ", "SIGTRAP", "40"}
		var next func()
		next = func() {
			if len(cases) == 0 {
				return
			}
			c := cases[0]
			cases = cases[1:]
			w, err := cluster.Fork(map[string]string{envWorker: "sig-report"})
			if err != nil {
				panic(err)
			}
			var timer *uv.Timer
			w.On("message", func(m any) {
				o := m.(*cluster.Object)
				hup, _ := o.Get("hup")
				in, _ := o.Get("int")
				fmt.Printf("%s: worker ignores SIGHUP %v SIGINT %v\n", c, hup, in)
				if n, err := strconv.Atoi(c); err == nil {
					unix.Kill(w.Process.GetPid(), unix.Signal(n))
				} else {
					w.Process.Kill(c)
				}
				timer = uv.Default().SetTimeout(300*time.Millisecond, func() {
					fmt.Printf("%s: alive 300 ms later\n", c)
					w.Disconnect()
				})
			})
			w.On("exit", func(code, signal any) {
				if timer != nil {
					timer.Stop()
				}
				fmt.Printf("%s: exit %s %s\n", c, docsJS(code), docsJS(signal))
				next()
			})
		}
		next()
	}
}

// ignoringCommand runs argv under sh with SIGHUP and SIGINT ignored (trap
// "" before exec: an ignored signal stays ignored across exec), env added,
// and returns its stdout lines once it ended (exit 0 required).
func ignoringCommand(t *testing.T, env []string, argv ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// No core files from the signals that dump one.
	cmd := exec.CommandContext(ctx, "sh", append([]string{"-c", `trap '' HUP INT; ulimit -c 0; exec "$@"`, "sh"}, argv...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s (within 20 s)", argv[0])
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// TestSignalsResetLikeNode: a node primary and a Go primary, each started
// with SIGHUP and SIGINT ignored, ignore neither (nor do their workers);
// a worker dies of SIGINT and of SIGHUP, survives SIGXFSZ, dies of
// SIGTRAP, and dies of a real-time signal (40), whose exit both read as
// (0, null).
func TestSignalsResetLikeNode(t *testing.T) {
	node, _, script := interopScript(t, "signals.js")
	exe, err := os.Executable()
	require.NoError(t, err)
	nodeLines := ignoringCommand(t, nil, node, script)
	goLines := ignoringCommand(t, []string{envPrimary + "=sig-dispositions"}, exe)
	want := []string{
		"primary ignores SIGHUP false SIGINT false",
		"SIGINT: worker ignores SIGHUP false SIGINT false", "SIGINT: exit null SIGINT",
		"SIGHUP: worker ignores SIGHUP false SIGINT false", "SIGHUP: exit null SIGHUP",
		"SIGXFSZ: worker ignores SIGHUP false SIGINT false", "SIGXFSZ: alive 300 ms later", "SIGXFSZ: exit 0 null",
		"SIGTRAP: worker ignores SIGHUP false SIGINT false", "SIGTRAP: exit null SIGTRAP",
		"40: worker ignores SIGHUP false SIGINT false", "40: exit 0 null",
	}
	require.Empty(t, cmp.Diff(want, nodeLines), "node's output is not what this test was written against (-want +node)")
	if d := cmp.Diff(nodeLines, goLines); d != "" {
		t.Errorf("output differs from node's (-node +port):\n%s", d)
	}
}
