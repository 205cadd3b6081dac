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
	"io"
	"os"
	"path/filepath"
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

// cpBothRuntimes runs test with Go children and with Node children
// (testdata/interop/child-process.js), the Go parent the same.
func cpBothRuntimes(t *testing.T, test func(t *testing.T, runtime string)) {
	for _, runtime := range []string{"go", "node"} {
		t.Run(runtime+"-child", func(t *testing.T) { test(t, runtime) })
	}
}

// cpFork forks the child scenario name: this binary, or with runtime
// "node" the same child under Node v20 (skipping without it).
func cpFork(t *testing.T, runtime, name string) *childprocess.ChildProcess {
	t.Helper()
	if runtime == "go" {
		return ipcForkChild(t, name)
	}
	node := nodeOrSkip(t)
	script, err := filepath.Abs("testdata/interop/child-process.js")
	require.NoError(t, err)
	cp, err := childprocess.Fork(uv.Default(), script, []string{name}, childprocess.ForkOptions{
		ExecPath: node, Env: os.Environ(), Label: name,
	})
	require.NoError(t, err)
	return cp
}

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
// The children are Go children, and Node v20 ones
// (testdata/interop/child-process.js); the parent is the Go one.
//
// Mirrors test/parallel/test-child-process-fork-net-server.js
func TestChildProcessForkNetServer(t *testing.T) { cpBothRuntimes(t, cpTestForkNetServer) }

func cpTestForkNetServer(t *testing.T, runtime string) {
	var connected, parentConns, childConns, clientCloses int
	var clientErrs []string
	var exits []any
	serverTested := 0
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := cpFork(t, runtime, "cp-net-server")
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
// The children are Go children, and Node v20 ones
// (testdata/interop/child-process.js); the parent is the Go one.
//
// Mirrors test/parallel/test-child-process-fork-net-socket.js
func TestChildProcessForkNetSocket(t *testing.T) { cpBothRuntimes(t, cpTestForkNetSocket) }

func cpTestForkNetSocket(t *testing.T, runtime string) {
	var store string
	var connections, serverCloses, clientCloses int
	var exits []any
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := cpFork(t, runtime, "cp-net-socket")
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
// The children are Go children, and Node v20 ones
// (testdata/interop/child-process.js); the parent is the Go one.
//
// Mirrors test/parallel/test-child-process-send-keep-open.js
func TestChildProcessSendKeepOpen(t *testing.T) { cpBothRuntimes(t, cpTestSendKeepOpen) }

func cpTestSendKeepOpen(t *testing.T, runtime string) {
	var result string
	var msgs []any
	var sendErrs []error
	var exits []any
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := cpFork(t, runtime, "cp-keep-open")
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
// The children are Go children, and Node v20 ones
// (testdata/interop/child-process.js); the parent is the Go one.
//
// Mirrors test/parallel/test-child-process-fork-getconnections.js
func TestChildProcessForkGetconnections(t *testing.T) { cpBothRuntimes(t, cpTestForkGetconnections) }

func cpTestForkGetconnections(t *testing.T, runtime string) {
	const count = 12
	var connections, clientCloses, serverCloses, listening int
	var statuses []string
	var counts []int
	var connErrs []error
	var exits []any
	killedAtExit := false
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := cpFork(t, runtime, "cp-getconnections")
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

// TestChildProcessExitAfterDisconnectTicks: a child that exited before
// its channel's end was read (the parent's loop was busy) still shows
// "disconnect" first, as the port always does, and its "exit" comes as a
// callback of its own, as node's SIGCHLD callback: what the "disconnect"
// listener queued on the nextTick queue (a late send's
// ERR_IPC_CHANNEL_CLOSED and a tick that callback queued) runs before it.
// node v20.20.2 printed the same order, its loop held 500 ms after the
// fork. The port's exit once came as a tick queued beside "disconnect"'s,
// before the listener's (TestDocsExampleWorkerSend failed on it now and
// then).
func TestChildProcessExitAfterDisconnectTicks(t *testing.T) {
	var ev []string
	reaped := false
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := ipcForkChild(t, "cp-empty")
		watch(child)
		// Hold the loop until the child is gone and reaped, so that its
		// exit is posted before the loop reads the channel's end.
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if unix.Kill(child.Pid, 0) == unix.ESRCH {
				reaped = true
				break
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // the reaping goroutine posts the exit
		child.On("disconnect", func() {
			ev = append(ev, "disconnect")
			child.Send("late", nil, func(err error) {
				ev = append(ev, fmt.Sprintf("late send: %v", err))
				uv.Default().NextTick(func() { ev = append(ev, "tick from the callback") })
			})
		})
		child.On("exit", func(code, signal any) { ev = append(ev, fmt.Sprintf("exit %v %v", code, signal)) })
	})
	require.True(t, reaped, "the child (cp-empty) did not exit within 10 s")
	want := []string{"disconnect", "late send: Channel closed", "tick from the callback", "exit 0 <nil>"}
	if d := cmp.Diff(want, ev); d != "" {
		t.Errorf("events (-want +port):\n%s", d)
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

func init() {
	// test-child-process-fork-net.js, the child: take each socket the
	// parent sends with "end" or "write" and call that method with the
	// same word (keeping the written ones open); end those on the
	// parent's "close" message or on the channel's disconnect.
	workerScenarios["cp-net"] = func() {
		p := process.Get()
		var needEnd []*net.Socket
		endAll := func() {
			for _, s := range needEnd {
				s.End([]byte("end"))
			}
		}
		p.On("message", func(m any, h any) {
			socket, ok := h.(*net.Socket)
			if !ok {
				return
			}
			switch m {
			case "end":
				socket.End([]byte("end"))
			case "write":
				socket.Write([]byte("write"), nil)
				needEnd = append(needEnd, socket)
			default:
				p.Exit(cpExitWrongMessage)
			}
			socket.Resume()
		})
		p.On("message", func(m any) {
			if m == "close" {
				endAll()
			}
		})
		p.On("disconnect", endAll)
	}
	// test-child-process-disconnect.js, the child: a server whose first
	// connection gets "ready", then, once the parent disconnected, ends
	// with process.connected; the connection's end closes the server.
	workerScenarios["cp-disconnect"] = func() {
		p := process.Get()
		server := net.CreateServer(nil)
		server.On("connection", func(socket *net.Socket) {
			socket.Resume()
			p.On("disconnect", func() { socket.End([]byte(fmt.Sprint(p.IsConnected()))) })
			socket.On("end", func() { server.Close(nil) })
			socket.Write([]byte("ready"), nil)
		})
		server.On("listening", func() {
			p.Send(cluster.NewObject("msg", "ready", "port", server.Address().Port), nil, nil)
		})
		server.Listen(0)
	}
	// test-child-process-fork-ref.js, the child: send "1" at once and "2"
	// 200 ms later (the channel alone must not let it die first); write
	// "3" on stdout on disconnect.
	workerScenarios["cp-fork-ref"] = func() {
		p := process.Get()
		p.Send("1", nil, nil)
		uv.Default().SetTimeout(200*time.Millisecond, func() { p.Send("2", nil, nil) })
		p.On("disconnect", func() { os.Stdout.WriteString("3") })
	}
	// test-child-process-fork-ref2.js, the child: disconnect at once; a
	// "message" listener added 400 ms later must neither run nor keep
	// the child alive.
	workerScenarios["cp-fork-ref2"] = func() {
		p := process.Get()
		p.Disconnect()
		uv.Default().SetTimeout(400*time.Millisecond, func() {
			p.On("message", func(any) { p.Exit(cpExitWrongMessage) })
		})
	}
	// test-child-process-ipc-next-tick.js, the child: throw (panic) with
	// every message; the uncaughtException listener marks each value
	// seen and disconnects once all ten were. The child exits 0 only if
	// that listener ran exactly ten times.
	workerScenarios["cp-ipc-next-tick"] = func() {
		p := process.Get()
		received := make([]bool, 10)
		calls := 0
		p.On("uncaughtException", func(err any) {
			calls++
			if f, ok := childprocess.ToFloat(err); ok && f >= 0 && int(f) < len(received) {
				received[int(f)] = true
			}
			for _, r := range received {
				if !r {
					return
				}
			}
			p.Disconnect()
		})
		p.On("message", func(m any) { panic(m) })
		p.On("exit", func(any) {
			if calls != len(received) {
				p.ExitCode = cpExitWrongCount
			}
		})
		p.Send("ready", nil, nil)
	}
	// test-child-process-fork.js (fixtures/child-process-spawn-node.js):
	// check the arguments, take one message (it must have hello), and
	// send {foo: 'bar'}.
	workerScenarios["cp-fork"] = func() {
		p := process.Get()
		var onmessage *events.Listener
		onmessage = p.On("message", func(m any) {
			o, ok := m.(*childprocess.Object)
			if !ok || o.Value("hello") == nil {
				p.Exit(cpExitWrongMessage)
			}
			p.RemoveListener(onmessage)
		})
		if d := cmp.Diff([]string{"foo", "bar"}, os.Args[1:]); d != "" {
			p.Exit(cpExitWrongArgs)
		}
		p.Send(cluster.NewObject("foo", "bar"), nil, nil)
	}
	// test-child-process-fork-closed-channel-segfault.js, the worker:
	// exit 1 on the first message, leaving the primary's handle queue
	// non-empty.
	workerScenarios["cp-exit-on-message"] = func() {
		process.Get().On("message", func(any, any) { process.Get().Exit(1) })
	}
}

// TestChildProcessForkNet: twelve accepted sockets go to three children,
// each child getting one to end ("end") and one to keep writing on
// ("write") in turn; the server closes once all twelve came, and 200 ms
// later its "close" has still not come (the children hold sockets of
// it); then two children are told to end theirs and the third is
// disconnected (it ends them on disconnect). Every client closes, the
// server's "close" comes once, and the children are killed.
//
// Node's test also checks the server's internal _workers list is empty
// at exit; the port's Server does not expose it.
//
// The children are Go children, and Node v20 ones
// (testdata/interop/child-process.js); the parent is the Go one.
//
// Mirrors test/parallel/test-child-process-fork-net.js
func TestChildProcessForkNet(t *testing.T) { cpBothRuntimes(t, cpTestForkNet) }

func cpTestForkNet(t *testing.T, runtime string) {
	const count = 12
	var connected, disconnected, listening, serverCloses int
	closeEmittedAt200ms := true
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child1 := cpFork(t, runtime, "cp-net")
		child2 := cpFork(t, runtime, "cp-net")
		child3 := cpFork(t, runtime, "cp-net")
		watch(child1, child2, child3)
		server := net.CreateServer(nil)
		closeEmitted := false
		closeServer := func() {
			server.Close(nil)
			uv.Default().SetTimeout(200*time.Millisecond, func() {
				closeEmittedAt200ms = closeEmitted
				child1.Send("close", nil, nil)
				child2.Send("close", nil, nil)
				child3.Disconnect()
			})
		}
		server.On("connection", func(socket *net.Socket) {
			switch connected % 6 {
			case 0:
				child1.Send("end", socket, nil)
			case 1:
				child1.Send("write", socket, nil)
			case 2:
				child2.Send("end", socket, nil)
			case 3:
				child2.Send("write", socket, nil)
			case 4:
				child3.Send("end", socket, nil)
			case 5:
				child3.Send("write", socket, nil)
			}
			if connected++; connected == count {
				closeServer()
			}
		})
		server.On("listening", func() {
			listening++
			for j := 0; j < count; j++ {
				c, err := net.Connect(server.Address().Port, "127.0.0.1")
				require.NoError(t, err)
				c.On("error", func(error) {}) // may come if a child is killed early; "close" follows
				c.On("close", func() { disconnected++ })
				c.Resume()
			}
		})
		server.On("close", func() {
			closeEmitted = true
			serverCloses++
			child1.Kill("")
			child2.Kill("")
			child3.Kill("")
		})
		server.Listen(0, "127.0.0.1")
	})
	require.Equal(t, 1, listening, "server 'listening'")
	require.False(t, closeEmittedAt200ms, "the server's 'close' came while children held its sockets")
	require.Equal(t, 1, serverCloses, "server 'close'")
	require.Equal(t, count, connected)
	require.Equal(t, count, disconnected, "client 'close'")
}

// TestChildProcessDisconnect: the parent's disconnect emits its
// "disconnect" (with connected already false) and a second disconnect
// throws ERR_IPC_DISCONNECTED; the child sees its own "disconnect" with
// process.connected false (it writes that on a socket to the parent),
// and exits by itself once its server closed, with no signal.
//
// Node's child also wraps process.disconnect to check that its
// "disconnect" comes asynchronously; the child never calls it in this
// test, so nothing is checked there.
//
// Mirrors test/parallel/test-child-process-disconnect.js
func TestChildProcessDisconnect(t *testing.T) {
	var parentEmits int
	parentFlag := true
	var thrown any
	var after []string
	var exits []any
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := ipcForkChild(t, "cp-disconnect")
		watch(child)
		child.On("disconnect", func() {
			parentEmits++
			parentFlag = child.IsConnected()
		})
		child.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
		child.On("message", func(m any) {
			o, ok := m.(*childprocess.Object)
			if !ok {
				return
			}
			if msg, _ := o.String("msg"); msg != "ready" {
				return
			}
			socket, err := net.Connect(o.Int("port", 0))
			require.NoError(t, err)
			socket.On("data", func(b []byte) {
				if string(b) == "ready" {
					child.Disconnect()
					func() {
						defer func() { thrown = recover() }()
						child.Disconnect()
					}()
					return
				}
				after = append(after, string(b))
			})
		})
	})
	e, ok := thrown.(*childprocess.ErrnoError)
	require.True(t, ok, "the second disconnect threw %T %v", thrown, thrown)
	require.Equal(t, "ERR_IPC_DISCONNECTED", e.Code)
	require.Equal(t, "IPC channel is already disconnected", e.Message)
	require.Equal(t, 1, parentEmits, "the parent's 'disconnect'")
	require.False(t, parentFlag, "child.connected in 'disconnect'")
	require.Equal(t, []string{"false"}, after, "process.connected in the child's 'disconnect'")
	require.Equal(t, []any{0, nil}, exits, "the child terminates by itself")
}

// TestChildProcessForkRef: a silent child's channel keeps it alive: it
// sends "1", then "2" after 200 ms; the parent disconnects on "2", and
// the child's "disconnect" writes "3" on its stdout before it exits.
//
// Mirrors test/parallel/test-child-process-fork-ref.js
func TestChildProcessForkRef(t *testing.T) {
	var ipc []any
	var exits []any
	stdout := make(chan string, 1)
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child, err := childprocess.Fork(uv.Default(), "", nil, childprocess.ForkOptions{
			ExecPath: lsExecutable(), Env: lsEnv(map[string]string{envWorker: "cp-fork-ref"}), Silent: true, Label: "cp-fork-ref",
		})
		require.NoError(t, err)
		watch(child)
		go func() {
			b, _ := io.ReadAll(child.Stdout)
			stdout <- string(b)
		}()
		child.On("message", func(m any) {
			ipc = append(ipc, m)
			if m == "2" {
				child.Disconnect()
			}
		})
		child.Once("exit", func(code, signal any) { exits = append(exits, code, signal) })
	})
	require.Equal(t, []any{"1", "2"}, ipc)
	select {
	case out := <-stdout:
		require.Equal(t, "3", out)
	case <-time.After(5 * time.Second):
		t.Fatal("the child's stdout did not end")
	}
	require.Equal(t, []any{0, nil}, exits)
}

// TestChildProcessForkRef2: a child that disconnected itself emits no
// "message" and is not kept alive by a "message" listener added later:
// the parent sees "disconnect", then "exit".
//
// Mirrors test/parallel/test-child-process-fork-ref2.js
func TestChildProcessForkRef2(t *testing.T) {
	var events []string
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := ipcForkChild(t, "cp-fork-ref2")
		watch(child)
		child.On("disconnect", func() { events = append(events, "disconnect") })
		child.Once("exit", func(code, signal any) { events = append(events, fmt.Sprint("exit ", code, " ", signal)) })
	})
	if d := cmp.Diff([]string{"disconnect", "exit 0 <nil>"}, events); d != "" {
		t.Errorf("the parent's events (-node +port):\n%s", d)
	}
}

// TestChildProcessIpcNextTick: each message reaches the child's
// "message" listeners in a tick of its own: a listener that throws
// (panics) with every message does not stop the ones after it; the
// child's uncaughtException listener sees all ten values, then the child
// disconnects and exits 0 (it exits otherwise if that listener ran
// another number of times). The parent gets "ready" once.
//
// Mirrors test/parallel/test-child-process-ipc-next-tick.js
func TestChildProcessIpcNextTick(t *testing.T) {
	var msgs []any
	var exits []any
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := ipcForkChild(t, "cp-ipc-next-tick")
		watch(child)
		child.On("message", func(m any) {
			msgs = append(msgs, m)
			for i := 0; i < 10; i++ {
				child.Send(i, nil, nil)
			}
		})
		child.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
	})
	require.Equal(t, []any{"ready"}, msgs)
	require.Equal(t, []any{0, nil}, exits, "exit code %d: the child's uncaughtException listener did not run ten times", cpExitWrongCount)
}

// TestChildProcessFork: fork passes its arguments (the child checks
// them), the child's message reaches the parent, and a message with
// hello reaches the child; sending undefined throws ERR_MISSING_ARGS and
// a value JSON cannot carry ERR_INVALID_ARG_TYPE; the child exits 0.
//
// Node's "no message at all" is undefined here (a Go call always has
// its argument), and its Symbol, which Go lacks, a function: the same
// error code, with Go's description of the value. n.channel ===
// n._channel has no Go form.
//
// Mirrors test/parallel/test-child-process-fork.js
func TestChildProcessFork(t *testing.T) {
	var msgs []string
	var thrown []string
	var exits []any
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		n, err := childprocess.Fork(uv.Default(), "", []string{"foo", "bar"}, childprocess.ForkOptions{
			ExecPath: lsExecutable(), Env: lsEnv(map[string]string{envWorker: "cp-fork"}), Label: "cp-fork",
		})
		require.NoError(t, err)
		watch(n)
		n.On("message", func(m any) {
			o, _ := m.(*childprocess.Object)
			msgs = append(msgs, o.JSONString())
		})
		try := func(msg any) {
			defer func() {
				e, ok := recover().(*childprocess.ErrnoError)
				if !ok {
					thrown = append(thrown, "no ErrnoError")
					return
				}
				thrown = append(thrown, e.Code+": "+e.Message)
			}()
			n.Send(msg, nil, nil)
		}
		try(childprocess.Undefined)
		try(func() {})
		n.Send(cluster.NewObject("hello", "world"), nil, nil)
		n.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
	})
	require.Equal(t, []string{`{"foo":"bar"}`}, msgs)
	require.Len(t, thrown, 2)
	require.Equal(t, `ERR_MISSING_ARGS: The "message" argument must be specified`, thrown[0])
	require.True(t, strings.HasPrefix(thrown[1], `ERR_INVALID_ARG_TYPE: The "message" argument must be one of type string, object, number, or boolean. Received function`), thrown[1])
	require.Equal(t, []any{0, nil}, exits, "exit code %d: the child's arguments, %d: its message", cpExitWrongArgs, cpExitWrongMessage)
}

// TestChildProcessForkClosedChannelSegfault: a worker that exits on the
// first message it gets, while the primary sends it two client sockets
// in a row: the first send's callback gets no error, the second's none
// or one of the errors Node's test allows (the worker may be gone), or
// EPIPE (gone a moment sooner),
// nothing crashes, and when the worker's process closes its channel is
// gone (null).
//
// Mirrors test/parallel/test-child-process-fork-closed-channel-segfault.js
func TestChildProcessForkClosedChannelSegfault(t *testing.T) {
	allowed := func(err error) bool {
		if err == nil {
			return true
		}
		code := ""
		switch e := err.(type) {
		case *childprocess.ErrnoError:
			code = e.Code
		case *net.Error:
			code = e.Code
		}
		// EPIPE too: the second send is written once the worker's ACK of
		// the first came, and a Go worker may have exited by then (it
		// exits within a millisecond; a Node worker takes several, and
		// its primary's write would fail the same way, "write EPIPE").
		return code == "ERR_IPC_CHANNEL_CLOSED" || code == "ECONNRESET" || code == "ECONNREFUSED" || code == "EMFILE" || code == "EPIPE"
	}
	var unexpected []string
	var firstErr []error
	var closes int
	channelNil := false
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		var server *net.Server
		server = net.CreateServer(func(s *net.Socket) {
			uv.Default().SetTimeout(100*time.Millisecond, func() { s.Destroy(nil) })
		})
		server.Listen(0, func() {
			worker := forkScenario(t, "cp-exit-on-message", nil)
			worker.On("error", func(err error) {
				if !allowed(err) {
					unexpected = append(unexpected, "worker error: "+err.Error())
				}
			})
			send := func(callback func(error)) {
				var s *net.Socket
				s, err := net.Connect(server.Address().Port, func() { worker.Send(cluster.NewObject(), s, callback) })
				require.NoError(t, err)
				s.On("error", func(err error) {
					if !allowed(err) {
						unexpected = append(unexpected, "client error: "+err.Error())
					}
				})
			}
			proc := worker.Process.(*childprocess.ChildProcess)
			proc.Once("close", func() {
				closes++
				channelNil = proc.Channel == nil
				server.Close(nil)
			})
			worker.On("online", func() {
				send(func(err error) {
					firstErr = append(firstErr, err)
					send(func(err error) {
						t.Logf("second send: %v", err)
						if !allowed(err) {
							unexpected = append(unexpected, fmt.Sprintf("second send: %T %v", err, err))
						}
					})
				})
			})
		})
	})
	require.Equal(t, []error{nil}, firstErr, "the first send's callback")
	require.Equal(t, 1, closes, "worker.process 'close'")
	require.True(t, channelNil, "worker.process.channel after 'close'")
	require.Empty(t, unexpected)
}

// cpUTF8 is test-child-process-send-utf8.js's message: "ßßßß" 99 999
// times (two bytes a character in UTF-8).
var cpUTF8 = strings.Repeat("ßßßß", 1e5-1)

func init() {
	// test-child-process-send-utf8.js, the child: send the long UTF-8
	// string.
	workerScenarios["cp-send-utf8"] = func() { process.Get().Send(cpUTF8, nil, nil) }
	// sequential/test-child-process-pass-fd.js, the child: a server and a
	// client connected to it, both unreferenced, so that only the channel
	// (referenced by the "message" listener) keeps the child alive; once
	// both ends are up, send the client socket to the parent, and on its
	// "got" the server's end writes "hello" and ends.
	workerScenarios["cp-pass-fd"] = func() {
		p := process.Get()
		var socket *net.Socket
		cbcalls := 0
		socketConnected := func() {
			if cbcalls++; cbcalls == 2 {
				p.Send("handle", socket, nil)
			}
		}
		p.On("message", func(any) {})
		server := net.CreateServer(func(c *net.Socket) {
			p.Once("message", func(m any) {
				if m != "got" {
					p.Exit(cpExitWrongMessage)
				}
				c.End([]byte("hello"))
			})
			socketConnected()
		})
		server.Unref()
		server.Listen(0, "127.0.0.1", func() {
			var err error
			socket, err = net.Connect(server.Address().Port, "127.0.0.1", socketConnected)
			if err != nil {
				p.Exit(cpExitWrongHandle)
			}
			socket.Unref()
		})
	}
}

// TestChildProcessSendUtf8: a 399 996-character string of "ß" (twice as
// many bytes) sent by the child reaches the parent whole, once.
//
// Mirrors test/parallel/test-child-process-send-utf8.js
func TestChildProcessSendUtf8(t *testing.T) {
	var got []string
	var exits []any
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := ipcForkChild(t, "cp-send-utf8")
		watch(child)
		child.On("message", func(m any) {
			s, _ := m.(string)
			got = append(got, s)
		})
		child.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
	})
	require.Len(t, got, 1, "'message'")
	require.True(t, got[0] == cpUTF8, "the message differs: %d characters, want %d", len([]rune(got[0])), len([]rune(cpUTF8)))
	require.Equal(t, []any{0, nil}, exits)
}

// TestChildProcessPassFd: eighty children each send the parent a client
// socket connected to their own server, with "handle"; the parent
// answers "got", reads "hello" and the end from the socket, and kills
// the child. Each child's only referenced handle is its channel.
//
// Mirrors test/sequential/test-child-process-pass-fd.js
func TestChildProcessPassFd(t *testing.T) {
	const n = 80
	var handles, ends, dataEvents int
	var bad []string
	var exits []string
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		for i := 0; i < n; i++ {
			worker := ipcForkChild(t, "cp-pass-fd")
			watch(worker)
			worker.On("exit", func(code, signal any) { exits = append(exits, fmt.Sprint(code, " ", signal)) })
			worker.Once("message", func(msg any, h any) {
				handles++
				handle, ok := h.(*net.Socket)
				if msg != "handle" || !ok {
					bad = append(bad, fmt.Sprintf("message %v with %T", msg, h))
					worker.Kill("SIGKILL")
					return
				}
				worker.Send("got", nil, nil)
				recvData := ""
				handle.On("data", func(b []byte) {
					dataEvents++
					recvData += string(b)
				})
				handle.On("end", func() {
					ends++
					if recvData != "hello" {
						bad = append(bad, fmt.Sprintf("read %q", recvData))
					}
					worker.Kill("")
				})
			})
		}
	})
	require.Empty(t, bad)
	require.Equal(t, n, handles, "'message' with the handle")
	require.Equal(t, n, dataEvents, "'data'")
	require.Equal(t, n, ends, "'end'")
	want := make([]string, n)
	for i := range want {
		want[i] = "<nil> SIGTERM"
	}
	if d := cmp.Diff(want, exits); d != "" {
		t.Errorf("the children's exits (-node +port):\n%s", d)
	}
}

func init() {
	// test-child-process-fork-stdio.js, the child: write on stdout (which
	// the parent ignores) and stderr (a pipe to the parent); send the
	// parent, as messages, what arrives on fd 4 (a pipe the parent made,
	// opened as new net.Socket({fd: 4}) would), which stops keeping the
	// child alive once the channel is disconnected.
	workerScenarios["cp-fork-stdio"] = func() {
		p := process.Get()
		os.Stdout.WriteString("this should be ignored")
		os.Stderr.WriteString("this should not be ignored")
		h, err := uv.NewStream(uv.Default(), uv.KindPipe, 4, false)
		if err != nil {
			p.Exit(cpExitWrongHandle)
		}
		pipe := net.NewSocketFromHandle(h)
		p.On("disconnect", func() { pipe.Unref() })
		pipe.SetEncoding("utf8")
		pipe.On("data", func(data any) {
			switch d := data.(type) {
			case string:
				p.Send(d, nil, nil)
			default:
				p.Exit(cpExitWrongMessage) // setEncoding: chunks are strings
			}
		})
	}
}

// TestChildProcessForkStdio: fork's stdio with four entries and no "ipc"
// is ERR_CHILD_PROCESS_IPC_REQUIRED. With [inherit, 'ignore', 'pipe',
// 'ipc', 'pipe'] the child has no stdout for the parent (null), its
// stderr reaches the parent, and what the parent writes on fd 4 comes
// back as messages; once all of it came the parent disconnects, and the
// child exits (0, null) having written exactly its stderr line.
//
// Node's first entry is the number 0 (the parent's fd 0), "inherit" here
// (the port's stdio entries are strings).
//
// Mirrors test/parallel/test-child-process-fork-stdio.js
func TestChildProcessForkStdio(t *testing.T) {
	_, err := childprocess.Fork(uv.Default(), "", nil, childprocess.ForkOptions{
		ExecPath: lsExecutable(), Env: lsEnv(map[string]string{envWorker: "cp-fork-stdio"}),
		Stdio: []string{"pipe", "pipe", "pipe", "pipe"},
	})
	e, ok := err.(*childprocess.ErrnoError)
	require.True(t, ok, "fork with four pipes: %T %v", err, err)
	require.Equal(t, "ERR_CHILD_PROCESS_IPC_REQUIRED", e.Code)

	const buf = "data to send via pipe"
	var ipc string
	var exits []any
	stdoutNil := false
	stderr := make(chan string, 1)
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child, err := childprocess.Fork(uv.Default(), "", nil, childprocess.ForkOptions{
			ExecPath: lsExecutable(), Env: lsEnv(map[string]string{envWorker: "cp-fork-stdio"}), Label: "cp-fork-stdio",
			Stdio: []string{"inherit", "ignore", "pipe", "ipc", "pipe"},
		})
		require.NoError(t, err)
		watch(child)
		stdoutNil = child.Stdout == nil
		go func() {
			b, _ := io.ReadAll(child.Stderr)
			stderr <- string(b)
		}()
		child.On("message", func(msg any) {
			ipc += fmt.Sprint(msg)
			if ipc == buf {
				child.Disconnect()
			}
		})
		child.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
		require.Greater(t, len(child.Stdio), 4)
		_, err = child.Stdio[4].Write([]byte(buf))
		require.NoError(t, err)
	})
	require.True(t, stdoutNil, "child.stdout is null")
	require.Equal(t, buf, ipc)
	require.Equal(t, []any{0, nil}, exits)
	select {
	case s := <-stderr:
		require.Equal(t, "this should not be ignored", s)
	case <-time.After(5 * time.Second):
		t.Fatal("the child's stderr did not end")
	}
}

// TestChildProcessStdinIpc: a child whose IPC channel is its fd 0 (stdio
// ['ipc', 'inherit', 'inherit']) starts and exits 0 on its own.
//
// Node's test spawns the child (spawn with an "ipc" entry is fork's
// channel) and the child only touches process.stdin, which opens fd 0;
// the port has no process.stdin, so the child here does nothing.
//
// Mirrors test/parallel/test-child-process-stdin-ipc.js
func TestChildProcessStdinIpc(t *testing.T) {
	var exits []any
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		proc, err := childprocess.Fork(uv.Default(), "", nil, childprocess.ForkOptions{
			ExecPath: lsExecutable(), Env: lsEnv(map[string]string{envWorker: "cp-empty"}), Label: "cp-stdin-ipc",
			Stdio: []string{"ipc", "inherit", "inherit"},
		})
		require.NoError(t, err)
		watch(proc)
		proc.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
	})
	require.Equal(t, []any{0, nil}, exits)
}

func init() {
	// test-child-process-fork-exec-path.js, the child (a copy of this
	// binary): check that it runs as the copy and has a channel, send
	// {test: 'this'}, and exit.
	workerScenarios["cp-exec-path"] = func() {
		p := process.Get()
		exe, err := os.Executable()
		if err != nil || exe != os.Getenv("NODECLUSTER_TEST_COPY_PATH") {
			p.Exit(cpExitWrongArgs)
		}
		if !p.HasChannel {
			p.Exit(cpExitNoCallback)
		}
		p.Send(cluster.NewObject("test", "this"), nil, nil)
		p.Exit(0)
	}
}

// TestChildProcessForkExecPath: fork's execPath runs another program: a
// copy of this binary, which finds itself the copy, has a channel, and
// sends {test: 'this'}; it exits 0.
//
// Node's copy is of the node binary, which then runs the test script;
// here it is of this test binary (the program is its own script).
//
// Mirrors test/parallel/test-child-process-fork-exec-path.js
func TestChildProcessForkExecPath(t *testing.T) {
	copyPath := filepath.Join(t.TempDir(), "node-copy.exe")
	src, err := os.ReadFile(lsExecutable())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(copyPath, src, 0o755))
	var msgs []string
	var exits []any
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child, err := childprocess.Fork(uv.Default(), "", nil, childprocess.ForkOptions{
			ExecPath: copyPath, Label: "cp-exec-path",
			Env: lsEnv(map[string]string{envWorker: "cp-exec-path", "NODECLUSTER_TEST_COPY_PATH": copyPath}),
		})
		require.NoError(t, err)
		watch(child)
		child.On("message", func(m any) {
			o, _ := m.(*childprocess.Object)
			msgs = append(msgs, o.JSONString())
		})
		child.On("exit", func(code, signal any) { exits = append(exits, code, signal) })
	})
	require.Equal(t, []string{`{"test":"this"}`}, msgs)
	require.Equal(t, []any{0, nil}, exits, "exit code %d: the child is not the copy; %d: it has no channel", cpExitWrongArgs, cpExitNoCallback)
}
