package child

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestYieldOnlyUnderABacklog: a worker yields after an answer only when it
// answered the previous connection less than backlogGap before, and never
// with NODECLUSTER_REPRODUCE_V20=no-yield.
func TestYieldOnlyUnderABacklog(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var y answerYield
	require.False(t, y.answered(t0), "the first answer has no backlog before it")
	require.True(t, y.answered(t0.Add(100*time.Microsecond)), "an answer 100 µs after the previous one")
	require.True(t, y.answered(t0.Add(100*time.Microsecond+backlogGap-time.Nanosecond)), "just under backlogGap")
	require.False(t, y.answered(t0.Add(2*backlogGap+100*time.Microsecond)), "backlogGap or more after the previous one")
	require.False(t, y.answered(t0.Add(time.Second)), "one connection at a time")
	require.True(t, y.answered(t0.Add(time.Second+time.Microsecond)))

	ReproduceNoYield = true
	t.Cleanup(func() { ReproduceNoYield = false })
	require.False(t, y.answered(t0.Add(time.Second+2*time.Microsecond)), "no-yield asks for Node's behaviour")
}
