package nodecluster_test

import (
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	// rr-ref: unref then ref the round-robin server, then close it; the
	// close callback must run (a mistake in the faux handle's ref/unref
	// would lose it or hang).
	workerScenarios["xr-rr-ref"] = func() {
		s := net.CreateServer(func(*net.Socket) { process.Get().Exit(9) })
		s.Listen(0, func() {
			s.Unref()
			s.Ref()
			s.Close(func(error) { cluster.CurrentWorker().Send("done", nil, nil) })
		})
	}
}

// TestClusterRrRef: the worker's close callback runs after unref/ref, and
// the primary kills the worker on "done".
//
// Mirrors test/parallel/test-cluster-rr-ref.js
func TestClusterRrRef(t *testing.T) {
	var got any
	var sig any
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "xr-rr-ref", nil)
		w.On("message", func(m any) {
			got = m
			if m == "done" {
				w.Kill("")
			}
		})
		w.On("exit", func(code, s any) { sig = s })
	})
	require.Equal(t, "done", got)
	require.Equal(t, "SIGTERM", sig)
}
