package nodecluster_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func init() {
	primaryScenarios["interop-nack"] = interopNackPrimary
}

// interopNackPrimary forks a Node worker and writes it a NODE_HANDLE
// envelope without a descriptor: real Node answers NODE_HANDLE_NACK, and
// the channel goes on (a user message after it is answered).
func interopNackPrimary() {
	node, script := os.Getenv("INTEROP_NODE"), os.Getenv("INTEROP_NODE_SCRIPT")
	childprocess.WireHook = func(_ *childprocess.Target, dir byte, line []byte, fd bool) {
		if dir == 'r' {
			fmt.Printf("W->P %s\n", line)
		}
	}
	cluster.SetupPrimary(&cluster.Settings{ExecPath: node, Exec: script, Args: []string{}})
	w, err := cluster.Fork(nil)
	if err != nil {
		fmt.Println("fork error", err)
		process.Get().Exit(1)
		return
	}
	w.On("online", func() {
		proc := w.Process.(*childprocess.ChildProcess)
		unix.Write(proc.Channel.Fd(), []byte(`{"cmd":"NODE_HANDLE","type":"net.Native","msg":{"cmd":"NODE_CLUSTER","act":"newconn","key":"nowhere","seq":99}}`+"\n"))
		w.Send(cluster.NewObject("after", "nack"), nil, nil)
	})
	w.On("message", func(m any) {
		fmt.Println("message", m.(*cluster.Object).JSONString())
		w.Disconnect()
	})
}

// TestInteropNack: a NODE_HANDLE whose descriptor did not arrive is
// answered NODE_HANDLE_NACK by real Node, and our side carries on.
func TestInteropNack(t *testing.T) {
	node := nodeOrSkip(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "echo.js")
	require.NoError(t, os.WriteFile(script, []byte("process.on('message', (m) => process.send({ echo: m }));\n"), 0o644))
	lines, code, _ := runPrimaryProcess(t, "interop-nack", map[string]string{"INTEROP_NODE": node, "INTEROP_NODE_SCRIPT": script}, 30*time.Second)
	require.Zero(t, code)
	out := strings.Join(lines, "\n")
	require.Contains(t, out, `W->P {"cmd":"NODE_HANDLE_NACK"}`)
	require.Contains(t, out, `message {"echo":{"after":"nack"}}`)
}
