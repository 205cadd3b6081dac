package nodecluster_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	// Sends a socket it destroyed first, then a live one.
	workerScenarios["send-destroyed"] = func() {
		p := process.Get()
		var cbs []string
		var client interface{ End() }
		server := net.CreateServer(func(socket *net.Socket) {
			socket.Destroy(nil)
			p.Send("destroyed", socket, func(err error) { cbs = append(cbs, fmt.Sprint(err)) })
			cluster.SetTimeout(100*time.Millisecond, func() {
				p.Send(fmt.Sprint("callbacks ", cbs), nil, nil)
				client.End()
				cluster.CurrentWorker().Disconnect()
			})
		})
		server.Listen(0, "127.0.0.1", func() {
			client = ipcConnect("127.0.0.1:"+strconv.Itoa(server.Address().Port), func() {})
		})
	}
}

// TestSendDestroyedSocket: a socket destroyed before it is sent has no
// handle left, so the message goes alone, as in Node: the receiver gets
// it with no handle, and the callback runs once. (It went as a NODE_HANDLE
// with no descriptor, which the receiver refused over and over: the
// message was lost and the callback ran twice.)
func TestSendDestroyedSocket(t *testing.T) {
	var got []string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "send-destroyed", nil)
		w.On("message", func(m any, h any) { got = append(got, fmt.Sprintf("%v %T", m, h)) })
	})
	require.Equal(t, []string{"destroyed <nil>", "callbacks [<nil>] <nil>"}, got)
}
