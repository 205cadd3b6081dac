package nodecluster_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/stretchr/testify/require"
)

func init() {
	primaryScenarios["query-values"] = queryValuesPrimary
}

// queryValuesPrimary is the Go primary of testdata/interop/queries.js: the
// same Node worker, its report printed as node's primary prints it.
func queryValuesPrimary() {
	if err := cluster.SetupPrimary(&cluster.Settings{ExecPath: os.Getenv("Q_NODE"), Exec: os.Getenv("Q_SCRIPT"), Args: []string{}}); err != nil {
		fmt.Println("setup error", err)
		os.Exit(1)
	}
	w, err := cluster.Fork(nil)
	if err != nil {
		fmt.Println("fork error", err)
		os.Exit(1)
	}
	w.On("message", func(m any) {
		replies, _ := m.(*cluster.Object).Value("replies").([]any)
		for _, r := range replies {
			b, _ := childprocess.AppendJSON(nil, r)
			fmt.Println(string(b))
		}
		w.Disconnect()
	})
	w.On("error", func(err error) { fmt.Println("error", err) })
}

// TestQueryServerValues: queryServer messages written by hand, with values
// no net.Server sends (a port as a string, numeric or not, -1 with an IP
// family, a string addressType; under SCHED_NONE also ports above 65535,
// fractional or true), answered by the Go primary as by node's, under both
// policies: the same errno, key, handle and port for each
// (testdata/interop/queries.js). The primary reads them as JS does: a
// round-robin handle listens on a port when port >= 0 holds for it, then
// listen checks the value; a shared handle's bind takes the port through
// ToInt32 and keeps 16 bits.
func TestQueryServerValues(t *testing.T) {
	node, _, script := interopScript(t, "queries.js")
	for _, policy := range []string{"rr", "none"} {
		t.Run(policy, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("Q_DIR", dir)
			t.Setenv("NODE_CLUSTER_SCHED_POLICY", policy)
			nodeLines := runNodeScript(t, node, script, "", 30*time.Second)
			dir2 := t.TempDir() // the Go primary's sockets: the node primary's are gone, but not their keys
			t.Setenv("Q_DIR", dir2)
			goLines, code, signal := runPrimaryProcess(t, "query-values", map[string]string{"Q_NODE": node, "Q_SCRIPT": script}, 30*time.Second)
			require.Equal(t, 0, code, "the Go primary's exit code (signal %q)", signal)
			want := 6
			if policy == "none" {
				want = 10
			}
			require.Len(t, nodeLines, want, "node's replies: %q", nodeLines)
			require.True(t, strings.HasPrefix(nodeLines[0], `[0,`), "node's first reply: %q", nodeLines[0])
			if d := cmp.Diff(nodeLines, goLines); d != "" {
				t.Errorf("the Go primary's replies differ from node's (-node +go):\n%s", d)
			}
		})
	}
}
