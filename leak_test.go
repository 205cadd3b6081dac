package nodecluster_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// listeningFds lists this process's listening sockets.
func listeningFds() map[int]bool {
	out := map[int]bool{}
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if uv.IsListening(fd) {
			out[fd] = true
		}
	}
	return out
}

// childPids lists this process's live child processes.
func childPids() []string {
	var out []string
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		out = append(out, strings.Fields(string(b))...)
	}
	return out
}

// checkNoLeaks fails when a child process or a listening socket that was
// not there before (before) is left.
func checkNoLeaks(t *testing.T, before map[int]bool) {
	t.Helper()
	require.Empty(t, childPids(), "child processes left behind")
	for fd := range listeningFds() {
		require.True(t, before[fd], "listening socket fd %d left behind", fd)
	}
}

// primaryCommand is this test binary run as primary scenario name, with
// env added, in a process group of its own that ctx's end kills whole
// (the primary and its workers), its stderr on the test's.
func primaryCommand(ctx context.Context, exe, name string, env map[string]string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), envPrimary+"="+name)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Stderr = os.Stderr
	return cmd
}

// runPrimaryProcess runs a primary scenario in a process of its own (a
// re-exec of this test binary, in its own process group) and returns its
// stdout lines and how it ended. It fails the test at the deadline, and
// when any process of the group outlives the primary by more than 10s.
func runPrimaryProcess(t *testing.T, name string, env map[string]string, deadline time.Duration) (lines []string, code int, signal string) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	cmd := primaryCommand(ctx, exe, name, env)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	pgid := cmd.Process.Pid
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		t.Logf("primary: %s", sc.Text())
	}
	werr := cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("primary scenario %s did not finish within %v", name, deadline)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
		if ws.Signaled() {
			signal = unix.SignalName(ws.Signal())
			code = -1
		} else {
			code = ws.ExitStatus()
		}
	} else if werr != nil {
		t.Fatalf("primary scenario %s: %v", name, werr)
	}
	// Every worker of that primary must go too.
	gone := time.Now().Add(10 * time.Second)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(gone) {
			syscall.Kill(-pgid, syscall.SIGKILL)
			t.Fatalf("processes of primary scenario %s outlived it by 10s", name)
		}
		time.Sleep(20 * time.Millisecond) // polling for processes to vanish; nothing to wait on
	}
	return lines, code, signal
}
