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

func init() {
	// Sends a connection to the primary with keepOpen and goes on using
	// it: it writes through it, then ends it.
	workerScenarios["send-keep-open"] = func() {
		server := net.CreateServer(func(socket *net.Socket) {
			cluster.CurrentWorker().SendWithOptions("take", socket, cluster.SendOptions{KeepOpen: true}, func(err error) {
				socket.End([]byte(fmt.Sprint("kept: destroyed ", socket.Destroyed(), ", err ", err)))
			})
		})
		server.Listen(0, "127.0.0.1", func() {
			cluster.Ref()
			addr := "127.0.0.1:" + strconv.Itoa(server.Address().Port)
			go clientReadAll(addr, func(got string) {
				cluster.Unref()
				process.Get().Send("client got "+got, nil, func(error) { cluster.CurrentWorker().Disconnect() })
			})
		})
	}
}

// TestSendKeepOpen: with KeepOpen a socket sent to another process stays
// the sender's too: it can still write and end it (Node's keepOpen).
func TestSendKeepOpen(t *testing.T) {
	var got []string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "send-keep-open", nil)
		w.On("message", func(m any, h any) {
			s, ok := h.(*net.Socket)
			got = append(got, fmt.Sprintf("%v %v", m, ok))
			if ok {
				s.Destroy(nil) // the primary's copy only
			}
		})
	})
	require.Equal(t, []string{"take true", "client got kept: destroyed false, err <nil> false"}, got)
}

func init() {
	// Sends a connection to the primary without keepOpen, then uses the
	// socket it kept: its state, a write, an end.
	workerScenarios["send-then-use"] = func() {
		var client interface{ End() }
		server := net.CreateServer(func(socket *net.Socket) {
			var log []string
			socket.On("error", func(err error) { log = append(log, "error "+err.(*net.Error).Code) })
			socket.On("close", func(args ...any) {
				log = append(log, fmt.Sprintf("close %d args", len(args)))
				process.Get().Send(fmt.Sprint(log), nil, nil)
				client.End()
				cluster.CurrentWorker().Disconnect()
			})
			cluster.CurrentWorker().Send("take", socket, func(error) {
				log = append(log, fmt.Sprintf("send cb %v %s %v", socket.Destroyed(), socket.ReadyState(), socket.Pending()))
				ret := socket.Write([]byte("x"), func(err error) {
					log = append(log, fmt.Sprintf("write cb %s %v", err.(*net.Error).Code, socket.Destroyed()))
				})
				log = append(log, fmt.Sprintf("write ret %v %v", ret, socket.Destroyed()))
				socket.End(nil)
				log = append(log, fmt.Sprintf("after end %v", socket.Destroyed()))
			})
		})
		server.Listen(0, "127.0.0.1", func() {
			client = ipcConnect("127.0.0.1:"+strconv.Itoa(server.Address().Port), func() {})
		})
	}
}

// TestSendThenUseSocket: a socket sent without keepOpen lets its handle
// go and is left without one, not destroyed, as Node's: a write is then
// ERR_SOCKET_CLOSED, which destroys it, with "error" and a "close" with no
// argument (node: "send cb false open", "write ret false false", "after
// end false", "write cb ERR_SOCKET_CLOSED false", "error
// ERR_SOCKET_CLOSED", "close []"). It was destroyed at once, and a write
// was ERR_STREAM_DESTROYED with no "error" and no "close".
func TestSendThenUseSocket(t *testing.T) {
	var got []string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "send-then-use", nil)
		w.On("message", func(m any, h any) {
			if s, ok := h.(*net.Socket); ok {
				s.Destroy(nil)
				return
			}
			got = append(got, fmt.Sprint(m))
		})
	})
	require.Equal(t, []string{"[send cb false open true write ret false false after end false write cb ERR_SOCKET_CLOSED false error ERR_SOCKET_CLOSED close 0 args]"}, got)
}
