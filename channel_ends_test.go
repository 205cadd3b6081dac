package nodecluster_test

// How a worker's channel ends, as its ChildProcess tells the primary,
// beside node (testdata/interop/channel-ends.js).

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
)

func init() {
	// ce-primary is channel-ends.js's primary on the port, its workers
	// this test binary (ce-exit-soon, or pe-hold).
	primaryScenarios["ce-primary"] = func() {
		c := os.Getenv("CHANNEL_CASE")
		scenario := "pe-hold"
		if c == "held-channel" {
			self, err := os.Executable()
			if err != nil {
				panic(err)
			}
			dir, _ := os.Getwd()
			if err := cluster.SetupPrimary(&cluster.Settings{ExecPath: "/bin/sh",
				Exec: filepath.Join(dir, "testdata", "interop", "channel-held.sh"), Args: []string{self}}); err != nil {
				panic(err)
			}
			scenario = "ce-exit-soon"
		}
		w, err := cluster.Fork(map[string]string{envWorker: scenario})
		if err != nil {
			panic(err)
		}
		p := w.Process.(*cluster.ChildProcess)
		if c == "own-disconnect" {
			w.On("online", func() { p.Disconnect() })
		}
		p.On("disconnect", func() { lcOut("cp:disconnect") })
		p.On("exit", func(code, sig any) {
			lcOut("cp:exit %s %s", childprocess.ToJSString(code), childprocess.ToJSString(sig))
		})
		p.On("close", func(code, sig any) {
			lcOut("cp:close %s %s", childprocess.ToJSString(code), childprocess.ToJSString(sig))
		})
		cluster.CurrentProcess().On("exit", func(any) { lcOut("primary exit") })
	}
	workerScenarios["ce-exit-soon"] = func() {
		cluster.SetTimeout(200*time.Millisecond, func() { cluster.CurrentProcess().Exit(0) })
	}
}

// TestChannelEndsAsNode: a primary that disconnects a worker's channel
// itself sees "disconnect" and "exit" and never "close" (only a channel
// end read from the child counts towards it); a worker that exits while a
// process it left behind holds its channel is reported at once ("exit"),
// and "close" and "disconnect" follow when that process lets go. Before,
// the port emitted "close" in the first case and held "exit" back until
// the channel's end in the second.
func TestChannelEndsAsNode(t *testing.T) {
	casesAsNode(t, "channel-ends.js", "ce-primary", "CHANNEL_CASE", []string{"own-disconnect", "held-channel"})
}
