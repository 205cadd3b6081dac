package nodecluster_test

// Node's child_process tests for the IPC channel between a parent and a
// plain child (child_process.fork, no cluster) and for the handles sent
// over it: a listening net.Server, a connected net.Socket (moved, or
// kept open), the counting of a server's connections that went to a
// child, and what send returns and calls back with. Child scenarios are
// named "cp-...". Where Node asserts inside the child, the child reports
// to the parent (a message, or its exit code) and the test asserts there.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Exit codes a cp- child uses to report a failed assertion of Node's.
const (
	cpExitWrongHandle  = 20 // a message came with another handle than the test expects
	cpExitWrongMessage = 21 // a message the test does not expect, or one too many
	cpExitNoCallback   = 22 // a callback Node marks mustCall never ran, or got an error
	cpExitWrongArgs    = 23 // process.argv.slice(2) is not what the parent passed
	cpExitWrongCount   = 24 // a mustCall count inside the child was not met
)

// cpWhat is msg.what of an object message, or "".
func cpWhat(m any) string {
	o, ok := m.(*childprocess.Object)
	if !ok || o == nil {
		return ""
	}
	s, _ := o.String("what")
	return s
}

func init() {
	for name, fn := range cpScenarios {
		workerScenarios[name] = fn
	}
}

var cpScenarios = map[string]func(){
	// An empty child (Node's fixtures/empty.js).
	"cp-empty": func() {},
	// test-child-process-fork-net-server.js, the child: take the server
	// the parent sends, report each connection it accepts (and destroy
	// it), close the server when told, and report its close.
	"cp-net-server": func() {
		p := process.Get()
		var serverScope *net.Server
		var onServer, onClose *events.Listener
		onServer = p.On("message", func(m any, h any) {
			if cpWhat(m) != "server" {
				return
			}
			p.RemoveListener(onServer)
			s, ok := h.(*net.Server)
			if !ok {
				p.Exit(cpExitWrongHandle)
			}
			serverScope = s
			s.On("connection", func(socket *net.Socket) {
				p.Send(cluster.NewObject("what", "connection"), nil, nil)
				socket.Destroy(nil)
			})
			p.Send(cluster.NewObject("what", "listening"), nil, nil)
		})
		onClose = p.On("message", func(m any) {
			if cpWhat(m) != "close" {
				return
			}
			p.RemoveListener(onClose)
			serverScope.On("close", func() { p.Send(cluster.NewObject("what", "close"), nil, nil) })
			serverScope.Close(nil)
		})
		p.Send(cluster.NewObject("what", "ready"), nil, nil)
	},
	// test-child-process-fork-net-socket.js, the child: end the socket
	// the parent sends with "echo".
	"cp-net-socket": func() {
		p := process.Get()
		var onSocket *events.Listener
		onSocket = p.On("message", func(m any, h any) {
			if cpWhat(m) != "socket" {
				return
			}
			p.RemoveListener(onSocket)
			s, ok := h.(*net.Socket)
			if !ok {
				p.Exit(cpExitWrongHandle)
			}
			s.End([]byte("echo"))
		})
		p.Send(cluster.NewObject("what", "ready"), nil, nil)
	},
	// test-child-process-send-keep-open.js, the child: write "child" on
	// the socket the parent sent (and kept open), then tell the parent.
	"cp-keep-open": func() {
		p := process.Get()
		calls := 0
		p.On("message", func(m any, h any) {
			if calls++; calls > 1 || m != "socket" {
				p.Exit(cpExitWrongMessage)
			}
			s, ok := h.(*net.Socket)
			if !ok {
				p.Exit(cpExitWrongHandle)
			}
			s.Write([]byte("child"), func(error) { p.Send("child_done", nil, nil) })
		})
	},
	// test-child-process-fork-getconnections.js, the child: keep each
	// socket sent with {cmd: 'new'}; on {cmd: 'close', id} (no handle)
	// destroy that socket and report {id, status: 'closed'} once closed.
	"cp-getconnections": func() {
		p := process.Get()
		var sockets []*net.Socket
		p.On("message", func(m any, h any) {
			o, _ := m.(*childprocess.Object)
			if o == nil {
				p.Exit(cpExitWrongMessage)
			}
			cmd, _ := o.String("cmd")
			switch cmd {
			case "new":
				s, ok := h.(*net.Socket)
				if !ok {
					p.Exit(cpExitWrongHandle)
				}
				sockets = append(sockets, s)
			case "close":
				if h != nil {
					p.Exit(cpExitWrongHandle)
				}
				id := o.Int("id", -1)
				if id < 0 || id >= len(sockets) {
					p.Exit(cpExitWrongMessage)
				}
				sendClosed := func() { p.Send(cluster.NewObject("id", id, "status", "closed"), nil, nil) }
				if sockets[id].Destroyed() {
					sendClosed()
				} else {
					sockets[id].Once("close", sendClosed)
					sockets[id].Destroy(nil)
				}
			}
		})
	},
	// test-child-process-send-cb.js, the child: send "ok" and exit 0 only
	// if the send's callback ran, with no error.
	"cp-send-cb": func() {
		p := process.Get()
		called := false
		p.Send("ok", nil, func(err error) { called = err == nil })
		p.On("exit", func(any) {
			if !called {
				p.ExitCode = cpExitNoCallback
			}
		})
	},
	// test-child-process-send-returns-boolean.js (fixtures/
	// child-process-persistent.js): stay alive without listening for
	// messages.
	"cp-persistent": func() {
		uv.Default().SetInterval(9999*time.Millisecond, func() {})
	},
}

// TestChildProcessForkNetServer: a listening server sent to a child
// keeps accepting in the parent too: four clients' connections are
// accepted between the two (each destroys what it gets), all four
// clients close, then the parent's server closes, the child closes its
// copy when told and says so, and the child exits with 0.
//
// Mirrors test/parallel/test-child-process-fork-net-server.js
func TestChildProcessForkNetServer(t *testing.T) {
	var connected, parentConns, childConns, clientCloses int
	var clientErrs []string
	var exits []any
	serverTested := 0
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := ipcForkChild(t, "cp-net-server")
		watch(child)
		child.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
		testServer := func(callback func()) {
			var server *net.Server
			progress := 2
			progressDone := func() {
				if progress--; progress == 0 {
					server.On("close", func() { child.Send(cluster.NewObject("what", "close"), nil, nil) })
					server.Close(nil)
				}
			}
			connections, closed := 4, 4
			connectionDone := func() {
				if connections--; connections == 0 {
					progressDone()
				}
			}
			server = net.CreateServer(nil)
			server.On("connection", func(socket *net.Socket) {
				parentConns++
				socket.Destroy(nil)
				connectionDone()
			})
			server.On("listening", func() { child.Send(cluster.NewObject("what", "server"), server, nil) })
			server.Listen(0)
			var messageHandlers *events.Listener
			messageHandlers = child.On("message", func(m any) {
				switch cpWhat(m) {
				case "listening":
					for i := 0; i < 4; i++ {
						c, err := net.Connect(server.Address().Port, func() { connected++ })
						require.NoError(t, err)
						c.On("error", func(err error) { clientErrs = append(clientErrs, err.Error()) })
						c.On("close", func() {
							clientCloses++
							if closed--; closed == 0 {
								progressDone()
							}
						})
					}
				case "connection":
					childConns++
					connectionDone()
				case "close":
					child.RemoveListener(messageHandlers)
					callback()
				}
			})
		}
		var onReady *events.Listener
		onReady = child.On("message", func(m any) {
			if cpWhat(m) != "ready" {
				return
			}
			child.RemoveListener(onReady)
			testServer(func() { serverTested++ })
		})
	})
	require.Equal(t, 1, serverTested, "testServer's callback (the child's server closed)")
	require.Equal(t, 4, connected, "clients connected")
	require.Equal(t, 4, parentConns+childConns, "connections accepted (parent %d, child %d)", parentConns, childConns)
	require.Equal(t, 4, clientCloses, "clients closed")
	require.Empty(t, clientErrs)
	require.Equal(t, []any{0, nil}, exits, "CHILD: died with")
}

// TestChildProcessForkNetSocket: an accepted socket sent to a child is
// the child's: it ends it with "echo", the client reads exactly that and
// closes, the parent's server closes, and the child exits with 0.
//
// Mirrors test/parallel/test-child-process-fork-net-socket.js
func TestChildProcessForkNetSocket(t *testing.T) {
	var store string
	var connections, serverCloses, clientCloses int
	var exits []any
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := ipcForkChild(t, "cp-net-socket")
		watch(child)
		child.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
		var onReady *events.Listener
		onReady = child.On("message", func(m any) {
			if cpWhat(m) != "ready" {
				return
			}
			child.RemoveListener(onReady)
			server := net.CreateServer(nil)
			server.On("connection", func(socket *net.Socket) {
				connections++
				child.Send(cluster.NewObject("what", "socket"), socket, nil)
			})
			server.On("close", func() { serverCloses++ })
			server.Listen(0, func() {
				c, err := net.Connect(server.Address().Port)
				require.NoError(t, err)
				c.On("data", func(b []byte) { store += string(b) })
				c.On("close", func() {
					clientCloses++
					server.Close(nil)
				})
			})
		})
	})
	require.Equal(t, 1, connections, "server 'connection'")
	require.Equal(t, 1, clientCloses, "client 'close'")
	require.Equal(t, "echo", store)
	require.Equal(t, 1, serverCloses, "server 'close'")
	require.Equal(t, []any{0, nil}, exits, "CHILD: died with")
}

// TestChildProcessSendKeepOpen: a socket sent with keepOpen stays usable
// in the parent: the child writes "child" on it, then the parent writes
// "parent" and ends it, so the client reads "childparent"; the send's
// callback gets no error, and the child, once the parent disconnected,
// exits (0, null).
//
// Mirrors test/parallel/test-child-process-send-keep-open.js
func TestChildProcessSendKeepOpen(t *testing.T) {
	var result string
	var msgs []any
	var sendErrs []error
	var exits []any
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := ipcForkChild(t, "cp-keep-open")
		watch(child)
		child.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
		var server *net.Server
		server = net.CreateServer(func(socket *net.Socket) {
			child.On("message", func(m any) {
				msgs = append(msgs, m)
				socket.End([]byte("parent"), func(error) {
					server.Close(nil)
					child.Disconnect()
				})
			})
			child.SendWithOptions("socket", socket, childprocess.SendOptions{KeepOpen: true}, func(err error) {
				sendErrs = append(sendErrs, err)
			})
		})
		server.Listen(0, func() {
			c, err := net.Connect(server.Address().Port, "127.0.0.1")
			require.NoError(t, err)
			c.On("data", func(b []byte) { result += string(b) })
		})
	})
	require.Equal(t, []error{nil}, sendErrs, "the send's callback")
	require.Equal(t, []any{"child_done"}, msgs)
	require.Equal(t, "childparent", result)
	require.Equal(t, []any{0, nil}, exits)
}

// TestChildProcessForkGetconnections: twelve accepted sockets sent to a
// child still count for the parent's server: each time the child
// destroys one (told by a message without a handle) and says it closed,
// getConnections answers one fewer, 11 down to 0; every client closes,
// the server closes, and the child dies only of the parent's kill.
//
// Mirrors test/parallel/test-child-process-fork-getconnections.js
func TestChildProcessForkGetconnections(t *testing.T) {
	const count = 12
	var connections, clientCloses, serverCloses, listening int
	var statuses []string
	var counts []int
	var connErrs []error
	var exits []any
	killedAtExit := false
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := ipcForkChild(t, "cp-getconnections")
		watch(child)
		subprocessKilled := false
		child.On("exit", func(code, signal any) {
			killedAtExit = subprocessKilled
			exits = append(exits, code, signal)
		})
		server := net.CreateServer(nil)
		var sockets []*net.Socket
		var closeSockets func(i int)
		closeSockets = func(i int) {
			if i == count {
				subprocessKilled = true
				server.Close(nil)
				child.Kill("")
				return
			}
			child.Once("message", func(m any) {
				s, _ := m.(*childprocess.Object).String("status")
				statuses = append(statuses, s)
				server.GetConnections(func(err error, n int) {
					connErrs = append(connErrs, err)
					counts = append(counts, n)
					closeSockets(i + 1)
				})
			})
			child.Send(cluster.NewObject("id", i, "cmd", "close"), nil, nil)
		}
		server.On("connection", func(socket *net.Socket) {
			connections++
			child.Send(cluster.NewObject("cmd", "new"), socket, nil)
			sockets = append(sockets, socket)
			if len(sockets) == count {
				closeSockets(0)
			}
		})
		server.On("listening", func() {
			listening++
			for j := 0; j < count; j++ {
				c, err := net.Connect(server.Address().Port, "127.0.0.1")
				require.NoError(t, err)
				c.On("close", func() { clientCloses++ })
			}
		})
		server.On("close", func() { serverCloses++ })
		server.Listen(0, "127.0.0.1")
	})
	require.Equal(t, 1, listening)
	require.Equal(t, count, connections, "server 'connection'")
	require.Equal(t, strings.Fields(strings.Repeat("closed ", count)), statuses)
	want := make([]int, count)
	for i := range want {
		want[i] = count - (i + 1)
	}
	if d := cmp.Diff(want, counts); d != "" {
		t.Errorf("getConnections after each close (-node +port):\n%s", d)
	}
	require.Equal(t, make([]error, count), connErrs)
	require.Equal(t, count, clientCloses, "client 'close'")
	require.Equal(t, 1, serverCloses, "server 'close'")
	require.True(t, killedAtExit, "subprocess died unexpectedly! %v", exits)
	require.Equal(t, []any{nil, "SIGTERM"}, exits)
}

// TestChildProcessSendCb: the child's send calls its callback with no
// error (the child exits 0 only then), and the parent gets "ok"; the
// child exits (0, null).
//
// Mirrors test/parallel/test-child-process-send-cb.js
func TestChildProcessSendCb(t *testing.T) {
	var msgs []any
	var exits []any
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := ipcForkChild(t, "cp-send-cb")
		watch(child)
		child.On("message", func(m any) { msgs = append(msgs, m) })
		child.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
	})
	require.Equal(t, []any{"ok"}, msgs)
	require.Equal(t, []any{0, nil}, exits, "exit code %d: the child's send callback did not run with no error", cpExitNoCallback)
}

// TestChildProcessSendAfterClose: once the child closed (0, null), send
// returns false and reports ERR_IPC_CHANNEL_CLOSED: as an "error" event
// without a callback, to the callback with one.
//
// Mirrors test/parallel/test-child-process-send-after-close.js
func TestChildProcessSendAfterClose(t *testing.T) {
	var closes, results []any
	var errs []error
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := ipcForkChild(t, "cp-empty")
		watch(child)
		child.On("close", func(code, signal any) {
			closes = append(closes, code, signal)
			testError := func(err error) { errs = append(errs, err) }
			child.On("error", testError)
			results = append(results, child.Send("ping", nil, nil))
			results = append(results, child.Send("pong", nil, testError))
		})
	})
	require.Equal(t, []any{0, nil}, closes)
	require.Equal(t, []any{false, false}, results)
	var got []string
	for _, err := range errs {
		e, ok := err.(*childprocess.ErrnoError)
		require.True(t, ok, "%T %v", err, err)
		got = append(got, e.Code+": "+e.Message)
	}
	want := []string{"ERR_IPC_CHANNEL_CLOSED: Channel closed", "ERR_IPC_CHANNEL_CLOSED: Channel closed"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("errors (-node +port):\n%s", d)
	}
}

// TestChildProcessSendReturnsBoolean: send's return value. The first
// send on a fresh channel returns true (its callback gets no error).
// With a handle sent and not yet acknowledged, one more message may be
// queued (true); the queue then says back off (false, false); once the
// fourth message's callback ran the queue has drained and a handle goes
// again (true). Every callback gets no error.
//
// Node's test uses spawn with an 'ipc' stdio entry for the second part;
// fork gives the child the same channel. Node sends a listening server's
// _handle; here a listening TCP handle made directly (the port's Server
// does not expose its handle).
//
// Mirrors test/parallel/test-child-process-send-returns-boolean.js
func TestChildProcessSendReturnsBoolean(t *testing.T) {
	var rvs []bool
	var cbs []string
	var exits []any
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		cb := func(name string) func(error) {
			return func(err error) { cbs = append(cbs, fmt.Sprintf("%s %v", name, err)) }
		}
		n := ipcForkChild(t, "cp-persistent")
		watch(n)
		rvs = append(rvs, n.Send(cluster.NewObject("h", "w"), nil, cb("first")))
		n.Kill("SIGKILL")

		s := ipcForkChild(t, "cp-persistent")
		watch(s)
		s.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
		// server._handle: a listening TCP handle (net.Native on the wire).
		handle, err := uv.NewTCP(uv.Default(), unix.AF_INET)
		require.NoError(t, err)
		require.NoError(t, handle.Bind("127.0.0.1", 0))
		require.NoError(t, handle.Listen(511))
		rvs = append(rvs, s.Send("one", handle, cb("one")))
		rvs = append(rvs, s.Send("two", nil, cb("two")))
		rvs = append(rvs, s.Send("three", nil, cb("three")))
		rvs = append(rvs, s.Send("four", nil, func(err error) {
			cb("four")(err)
			rvs = append(rvs, s.Send("5", handle, cb("5")))
			s.Kill("")
			handle.Close(nil)
		}))
	})
	if d := cmp.Diff([]bool{true, true, true, false, false, true}, rvs); d != "" {
		t.Errorf("send's return values (-node +port):\n%s", d)
	}
	if d := cmp.Diff([]string{"first <nil>", "one <nil>", "two <nil>", "three <nil>", "four <nil>", "5 <nil>"}, cbs); d != "" {
		t.Errorf("send callbacks (-node +port):\n%s", d)
	}
	require.Equal(t, []any{nil, "SIGTERM"}, exits)
}

// TestChildProcessFork3: forking a child that does nothing does not
// hang: the parent's loop empties once the child exited.
//
// Mirrors test/parallel/test-child-process-fork3.js
func TestChildProcessFork3(t *testing.T) {
	var exits []any
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := ipcForkChild(t, "cp-empty")
		watch(child)
		child.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
	})
	require.Equal(t, []any{0, nil}, exits)
}
