package nodecluster_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/stretchr/testify/require"
)

func init() {
	// Reports, in their order in its environment, the variables whose
	// names start with "forkorder_".
	workerScenarios["fork-env-order"] = func() {
		var names []any
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "forkorder_") {
				names = append(names, k)
			}
		}
		cluster.CurrentWorker().Send(names, nil, func(error) { cluster.CurrentWorker().Disconnect() })
	}
}

// TestForkEnvOrder: the variables fork adds come after the inherited ones,
// in the same order in every worker: Node keeps its env object's order, a
// Go map has none, so the port sorts them.
func TestForkEnvOrder(t *testing.T) {
	t.Setenv("forkorder_inherited", "x")
	var got []any
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "fork-env-order", map[string]string{
			"forkorder_zz": "1", "forkorder_aa": "2", "forkorder_mm": "3", "forkorder_inherited": "y",
		})
		w.On("message", func(m any) {
			got, _ = m.([]any)
		})
	})
	require.Equal(t, []any{"forkorder_inherited", "forkorder_aa", "forkorder_mm", "forkorder_zz"}, got)
}
