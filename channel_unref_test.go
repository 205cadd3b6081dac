package nodecluster_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	// unref-linger: a worker that listens for messages and stays 3 s.
	workerScenarios["unref-linger"] = func() {
		process.Get().On("message", func(any) {})
		cluster.SetTimeout(3*time.Second, func() { process.Get().Exit(0) })
	}
	primaryScenarios["unref-after-send"] = unrefAfterSendScenario
}

// unrefAfterSendScenario forks a lingering worker, unrefs its process
// once it is online, and sends it a message (a server's handle with
// UNREF_HANDLE=1); it prints, as it exits, whether it did so before the
// worker's 3 s were up.
func unrefAfterSendScenario() {
	w, err := cluster.Fork(map[string]string{envWorker: "unref-linger"})
	if err != nil {
		panic(err)
	}
	var online time.Time
	process.Get().On("exit", func() {
		// The worker stays 3 s from its start: a primary that waited for
		// its channel has been up that long since "online", less the
		// worker's start; one that did not, a few milliseconds. (Whether
		// the worker's pid is alive does not tell: its channel closes as
		// it exits, before its exit is done.)
		if time.Since(online) < 1500*time.Millisecond {
			fmt.Println("primary exits before the worker")
		} else {
			fmt.Println("primary exits after the worker")
		}
	})
	w.On("online", func() {
		online = time.Now()
		w.Process.(*cluster.ChildProcess).Unref()
		if os.Getenv("UNREF_HANDLE") != "1" {
			w.Send("hello", nil, nil)
			return
		}
		srv := net.CreateServer(nil)
		srv.Listen(0, "127.0.0.1", func() {
			w.Send("server", srv, func(error) { srv.Close(nil) })
		})
	})
}

// TestChannelUnrefdOnceAHandleWasSent: a primary whose worker's process
// is unref'd stays alive for the channel, as long as it has only sent
// messages that left at once; once it has sent a handle, the channel is
// unref'd too (Node counts a write carrying a handle as asynchronous:
// a reference while it is under way, dropped when it completes, and the
// channel is then unref'd), and the primary exits while the worker still
// runs. As node v20.20.2 printed for the same primary
// (testdata/unref-after-send.js).
func TestChannelUnrefdOnceAHandleWasSent(t *testing.T) {
	var got []string
	for _, handle := range []string{"0", "1"} {
		lines, code, _ := runPrimaryProcess(t, "unref-after-send", map[string]string{"UNREF_HANDLE": handle}, 20*time.Second)
		require.Equal(t, 0, code, "the primary's exit code")
		got = append(got, lines...)
	}
	want := []string{"primary exits after the worker", "primary exits before the worker"}
	require.Empty(t, cmp.Diff(want, got), "(-node +port)")
}
