package cluster_test

import (
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/stretchr/testify/require"
)

// The globals run their callbacks on the event loop in Node's order: the
// tick after the current callback, the immediate after the turn's I/O, the
// timer once due; Post brings a goroutine's result onto the loop, and Ref
// keeps the process alive until it has.
func TestGlobalsRunOnTheLoop(t *testing.T) {
	var order []string
	process.RunMain(func() {
		cluster.SetTimeout(20*time.Millisecond, func() {
			order = append(order, "timeout")
			go postAfterAMillisecond(&order) // a goroutine's result, handed to the loop
		})
		cluster.SetImmediate(func() { order = append(order, "immediate") })
		cluster.NextTick(func() { order = append(order, "tick") })
		n := 0
		var iv *cluster.Timer
		iv = cluster.SetInterval(time.Millisecond, func() {
			n++
			if n == 3 {
				iv.Stop()
				order = append(order, "interval x3")
			}
		})
		unrefd := cluster.SetTimeout(time.Hour, func() { order = append(order, "never") })
		unrefd.Unref() // does not keep the process alive
		cluster.Ref()  // until the goroutine's Post has run
		require.Same(t, cluster.CurrentProcess(), process.Get())
		order = append(order, "main")
	})
	// The interval and the timeout may come in either order on a busy
	// machine; the rest is fixed.
	require.ElementsMatch(t, []string{"main", "tick", "immediate", "interval x3", "timeout", "posted"}, order)
	require.Equal(t, []string{"main", "tick", "immediate"}, order[:3])
	require.Equal(t, "posted", order[len(order)-1])
}

// postAfterAMillisecond, started as a goroutine, hands "posted" to the
// loop a millisecond later and lets go of the Ref the caller took.
func postAfterAMillisecond(order *[]string) {
	time.Sleep(time.Millisecond)
	cluster.Post(func() {
		*order = append(*order, "posted")
		cluster.Unref()
	})
}

// Clear cancels an immediate (clearImmediate): one cleared from main code,
// and one cleared by an immediate that runs before it in the same turn,
// never run; node v20.20.2 printed only "a" for the same script.
func TestImmediateClear(t *testing.T) {
	var ran []string
	process.RunMain(func() {
		cluster.SetImmediate(func() { ran = append(ran, "never") }).Clear()
		var c *cluster.Immediate
		cluster.SetImmediate(func() { ran = append(ran, "a"); c.Clear() })
		c = cluster.SetImmediate(func() { ran = append(ran, "c") })
	})
	require.Equal(t, []string{"a"}, ran)
}
