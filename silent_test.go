package nodecluster_test

import (
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/master"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/stretchr/testify/require"
)

func init() {
	workerScenarios["silent"] = func() {
		fmt.Println("to stdout from worker")
		fmt.Fprintln(os.Stderr, "to stderr from worker")
		cluster.CurrentWorker().Disconnect()
	}
}

type pipeReader struct {
	r    io.Reader
	loop *uv.Loop
	done func(string)
}

func (p *pipeReader) run() {
	b, _ := io.ReadAll(p.r)
	p.loop.Post(func() { p.loop.Unref(); p.done(string(b)) })
}

// TestForkSilent: with Silent, the worker's stdio are pipes whose other
// ends the primary reads (Node's silent: true), not the primary's own.
func TestForkSilent(t *testing.T) {
	_, out, errOut := runSilentWorker(t, "silent")
	require.Equal(t, "to stdout from worker\n", out)
	require.Equal(t, "to stderr from worker\n", errOut)
}

// runSilentWorker forks the worker scenario with silent set, and returns
// its pid and all it wrote on stdout and on stderr.
func runSilentWorker(t *testing.T, scenario string) (pid int, out, errOut string) {
	t.Helper()
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{Silent: true}))
		w := forkScenario(t, scenario, nil)
		proc := w.Process.(*childprocess.ChildProcess)
		require.NotNil(t, proc.Stdout)
		pid = proc.Pid
		proc.Stdin.Close()
		l := uv.Default()
		for _, p := range []*pipeReader{
			{r: proc.Stdout, loop: l, done: func(s string) { out = s }},
			{r: proc.Stderr, loop: l, done: func(s string) { errOut = s }},
		} {
			l.Ref()
			go p.run()
		}
	})
	// Later tests fork with the primary's own stdio again (a zero field
	// in SetupPrimary's options means "not given", so reset it directly).
	master.C.Settings.Silent = false
	return pid, out, errOut
}

// TestForkStdio: the stdio setting picks each of the worker's fds 0-2:
// here stdout piped to the primary, stdin and stderr to /dev/null.
func TestForkStdio(t *testing.T) {
	var out string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{Stdio: []string{"ignore", "pipe", "ignore"}}))
		w := forkScenario(t, "silent", nil)
		proc := w.Process.(*childprocess.ChildProcess)
		require.Nil(t, proc.Stdin)
		require.Nil(t, proc.Stderr)
		require.NotNil(t, proc.Stdout)
		l := uv.Default()
		l.Ref()
		p := &pipeReader{r: proc.Stdout, loop: l, done: func(s string) { out = s }}
		go p.run()
	})
	master.C.Settings.Stdio = nil
	require.Equal(t, "to stdout from worker\n", out)
}

// TestForkStdioOverridesSilent: after Silent, a stdio setting of "inherit"
// gives the next worker the primary's output again (stdio wins over
// silent, as in Node's fork), the way back from Silent that SetupPrimary's
// zero-means-absent fields leave.
func TestForkStdioOverridesSilent(t *testing.T) {
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{Silent: true}))
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{Stdio: []string{"inherit", "inherit", "inherit", "ipc"}}))
		w := forkScenario(t, "silent", nil)
		proc := w.Process.(*childprocess.ChildProcess)
		require.True(t, master.C.Settings.Silent, "Silent stays set")
		require.Nil(t, proc.Stdin, "stdin inherited, not piped")
		require.Nil(t, proc.Stdout, "stdout inherited, not piped")
		require.Nil(t, proc.Stderr, "stderr inherited, not piped")
	})
	master.C.Settings.Silent = false
	master.C.Settings.Stdio = nil
}
