package cluster_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/nodecluster/nodecluster/cluster"
)

// TestModuleObjectIsAnEventEmitter: the cluster module object offers the
// EventEmitter methods, as node's cluster object (an EventEmitter) does.
func TestModuleObjectIsAnEventEmitter(t *testing.T) {
	var got []string
	require.Equal(t, 10, cluster.GetMaxListeners())
	cluster.On("test-a", func(v string) { got = append(got, "on "+v) })
	cluster.Prepend("test-a", func(v string) { got = append(got, "prepended "+v) })
	cluster.PrependOnce("test-a", func(v string) { got = append(got, "once "+v) })
	rl := cluster.On("removeListener", func(ev string, l *cluster.Listener) { got = append(got, "removed "+ev) })
	require.True(t, cluster.Emit("test-a", "1"))
	require.True(t, cluster.Emit("test-a", "2"))
	require.Equal(t, 2, cluster.ListenerCount("test-a"))
	require.Len(t, cluster.Listeners("test-a"), 2)
	require.Len(t, cluster.RawListeners("test-a"), 2)
	require.Contains(t, cluster.EventNames(), "test-a")
	cluster.RemoveAllListeners("test-a")
	cluster.Off(rl)
	require.NotContains(t, cluster.EventNames(), "test-a")
	require.NotContains(t, cluster.EventNames(), "removeListener")
	if d := cmp.Diff([]string{"removed test-a", "once 1", "prepended 1", "on 1", "prepended 2", "on 2", "removed test-a", "removed test-a"}, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	cluster.SetMaxListeners(0)
	require.Equal(t, 0, cluster.GetMaxListeners())
	cluster.SetMaxListeners(10)
}
