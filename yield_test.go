package nodecluster_test

import (
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/child"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	// A worker that serves "served\n" and answers {count: true} with how
	// many times it yielded its CPU to the primary after answering a
	// handed-off connection.
	workerScenarios["yield-count"] = func() {
		srv := net.CreateServer(func(c *net.Socket) { c.End([]byte("served\n")) })
		srv.Listen(0, "127.0.0.1")
		w := cluster.CurrentWorker()
		w.On("message", func(m any) {
			w.Send(cluster.NewObject("yields", child.Yields()), nil, nil)
		})
	}
}

// TestWorkerYieldsToPrimaryUnderABacklog: a real worker handed 40
// connections at once (the primary holds all but one at every moment)
// yields after some of its answers, and with
// NODECLUSTER_REPRODUCE_V20=no-yield after none; every connection is
// served either way.
func TestWorkerYieldsToPrimaryUnderABacklog(t *testing.T) {
	for _, reproduce := range []string{"", "no-yield"} {
		t.Run("reproduce="+reproduce, func(t *testing.T) {
			const n = 40
			yields := -1
			var got []string
			primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
				w := forkScenario(t, "yield-count", map[string]string{"NODECLUSTER_REPRODUCE_V20": reproduce})
				w.On("message", func(m any) {
					yields = m.(*cluster.Object).Int("yields", -2)
					w.Disconnect()
				})
				w.On("listening", func(a cluster.Address) {
					dialAll(a.Port, n, fail, func(all []string) {
						got = all
						w.Send(cluster.NewObject("count", true), nil, nil)
					})
				})
			})
			require.Len(t, got, n)
			for _, s := range got {
				require.Equal(t, "served\n", s)
			}
			if reproduce == "" {
				require.Positive(t, yields, "the worker never yielded while 40 connections waited for it")
			} else {
				require.Zero(t, yields, "no-yield asks for Node's behaviour")
			}
		})
	}
}
