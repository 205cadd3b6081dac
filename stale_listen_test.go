package nodecluster_test

// A listen's reply that reaches a worker after its server was closed, or
// listened again, is stale (lib/net.js listenOnPrimaryHandle compares the
// server's listening id). When the stale reply is an error, Node v20's
// worker dies of it; the port drops it (DEVIATION(fix), stale-listen).

import (
	"fmt"
	stdnet "net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	// stale-listen: listen on PORT (taken outside the cluster), then at
	// once close the server (MODE=close, and listen with a second server,
	// whose reply comes after the stale one) or listen on any port
	// (MODE=relisten). Each step is sent to the primary.
	workerScenarios["stale-listen"] = func() {
		p := process.Get()
		say := func(format string, a ...any) { p.Send(fmt.Sprintf(format, a...), nil, nil) }
		port, _ := strconv.Atoi(os.Getenv("PORT"))
		s := net.CreateServer(nil)
		s.On("error", func(err error) { say("error %v", err) })
		s.Listen(port)
		switch os.Getenv("MODE") {
		case "close":
			s.Close(func(err error) { say("close cb %v", err) })
			s2 := net.CreateServer(nil)
			s2.Listen(0, func() {
				say("second server listening")
				s2.Close(nil)
				cluster.CurrentWorker().Disconnect()
			})
		case "relisten":
			s.Listen(0, func() {
				say("listening again %v", s.AddressPort() != port)
				s.Close(nil)
				cluster.CurrentWorker().Disconnect()
			})
		}
	}
}

// TestStaleFailedListenIsDropped: a worker's listen on a taken port,
// closed or replaced by another listen before the primary's answer (an
// error) arrives. Node v20.20.2's worker dies of that answer, exit code 1
// ("TypeError: Cannot read properties of null (reading 'close')", at
// listenOnPrimaryHandle); the port's drops it and goes on, and with
// NODECLUSTER_REPRODUCE_V20=stale-listen dies as node's does.
func TestStaleFailedListenIsDropped(t *testing.T) {
	taken, err := stdnet.Listen("tcp", ":0")
	require.NoError(t, err)
	defer taken.Close()
	port := strconv.Itoa(taken.Addr().(*stdnet.TCPAddr).Port)

	run := func(t *testing.T, mode, reproduce string) []string {
		var seen []string
		primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
			w := forkScenario(t, "stale-listen", map[string]string{"PORT": port, "MODE": mode, "NODECLUSTER_REPRODUCE_V20": reproduce})
			w.On("message", func(m any) { seen = append(seen, fmt.Sprint(m)) })
			cluster.On("listening", func(x *cluster.Worker, a cluster.Address) {
				if x == w {
					seen = append(seen, "cluster listening")
				}
			})
			w.On("exit", func(code, sig any) {
				seen = append(seen, fmt.Sprintf("exit %v %v", code, sig))
				cluster.RemoveAllListeners("listening")
			})
		})
		return seen
	}
	for _, tc := range []struct {
		mode, reproduce string
		want            []string
	}{
		// The second server is closed in its "listening" callback, before
		// cluster._getServer's own listener, which then reports nothing
		// (the server's index is gone).
		{"close", "", []string{"close cb Server is not running.", "second server listening", "exit 0 <nil>"}},
		// The failed listen's index stays (child.js rr returns on the
		// error before it takes the index): its "listening" listener,
		// added first, reports to the primary when the server listens
		// again, before the caller's callback runs; the second listen's
		// own report finds its index gone.
		{"relisten", "", []string{"cluster listening", "listening again true", "exit 0 <nil>"}},
		{"close", "stale-listen", []string{"close cb Server is not running.", "exit 1 <nil>"}},
		{"relisten", "stale-listen", []string{"exit 1 <nil>"}},
	} {
		t.Run(tc.mode+"/"+tc.reproduce, func(t *testing.T) {
			if d := cmp.Diff(tc.want, run(t, tc.mode, tc.reproduce)); d != "" {
				t.Errorf("(-want +port):\n%s", d)
			}
		})
	}
}
