package nodecluster_test

// More of Node v20's test-cluster-*.js, each checked first against node
// v20.20.2 with a small script doing the same: lifecycle and settings.

import (
	"errors"
	"fmt"
	"io"
	stdnet "net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/master"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func init() {
	// mc-self-disconnect: say whether the worker starts connected, then
	// disconnect from the worker side.
	workerScenarios["mc-self-disconnect"] = func() {
		w := cluster.CurrentWorker()
		if !w.IsConnected() {
			process.Get().Exit(5)
		}
		w.Disconnect()
	}
	// mc-idle: do nothing; the channel keeps the worker alive.
	workerScenarios["mc-idle"] = func() {}
	// mc-bound: listen on a random port when BOUND=y, else stay idle.
	workerScenarios["mc-bound"] = func() {
		if os.Getenv("BOUND") == "y" {
			net.CreateServer(nil).Listen(0)
		}
	}
	// mc-cwd: send the working directory, then let go of the channel.
	workerScenarios["mc-cwd"] = func() {
		p := process.Get()
		wd, err := os.Getwd()
		if err != nil {
			wd = "error: " + err.Error()
		}
		p.Send(wd, nil, nil)
		p.Disconnect()
	}
	primaryScenarios["mc-disconnect-unshared-tcp"] = disconnectUnsharedTCPScenario
	// mc-rr-ref-unref: a round-robin server unref'd before it listens,
	// then ref'd and unref'd again once it does, and the channel unref'd:
	// nothing keeps the worker alive, so it exits (9 if a connection came).
	workerScenarios["mc-rr-ref-unref"] = func() {
		s := net.CreateServer(func(*net.Socket) { process.Get().Exit(9) })
		s.Listen(0, func() {
			s.Ref()
			s.Unref()
			process.Get().Channel.Unref()
		})
		s.Unref()
	}
	// mc-argv: send the first argument.
	workerScenarios["mc-argv"] = func() {
		arg := "(none)"
		if len(os.Args) > 1 {
			arg = os.Args[1]
		}
		process.Get().Send(arg, nil, nil)
	}
	primaryScenarios["mc-setup-primary-argv"] = setupPrimaryArgvScenario
	primaryScenarios["mc-uncaught-exception"] = uncaughtExceptionScenario
	// mc-exit: end at once (process.exit()).
	workerScenarios["mc-exit"] = func() { process.Get().Exit(0) }
}

// TestClusterCallAndDestroy: a worker that disconnects itself is connected
// at start; in the primary its "disconnect" comes with isConnected()
// false, and destroy() then sends it SIGTERM, as node does (the worker
// is still in cluster.workers after destroy: it leaves on "exit").
//
// Mirrors test/parallel/test-cluster-call-and-destroy.js
func TestClusterCallAndDestroy(t *testing.T) {
	var ev []string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "mc-self-disconnect", nil)
		w.On("disconnect", func() {
			ev = append(ev, fmt.Sprintf("disconnect connected=%v", w.IsConnected()))
			w.Destroy("")
			ev = append(ev, fmt.Sprintf("destroyed, workers=%d", len(cluster.Workers())))
		})
		w.On("exit", func(code, signal any) { ev = append(ev, fmt.Sprintf("exit %v %v", code, signal)) })
	})
	// The worker, disconnected, is also about to exit on its own: the
	// SIGTERM wins in node (whose exit is slower) and often here, but
	// exit 0 is as right.
	want := []string{"disconnect connected=false", "destroyed, workers=1", "exit <nil> SIGTERM"}
	if len(ev) == 3 && ev[2] == "exit 0 <nil>" {
		want[2] = ev[2]
	}
	if d := cmp.Diff(want, ev); d != "" {
		t.Errorf("events (-node +port):\n%s", d)
	}
}

// TestClusterDisconnectBeforeExit: cluster.disconnect() called from a
// worker's "disconnect" (the worker already left cluster.workers when the
// primary disconnected it) does not disconnect it twice: its callback
// runs, and the worker exits 0 having left on purpose.
//
// Mirrors test/parallel/test-cluster-disconnect-before-exit.js
func TestClusterDisconnectBeforeExit(t *testing.T) {
	var ev []string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "mc-idle", nil)
		w.On("online", func() {
			w.Disconnect()
			ev = append(ev, fmt.Sprintf("after disconnect() connected=%v state=%s", w.IsConnected(), w.State))
			w.On("disconnect", func() {
				ev = append(ev, "disconnect")
				cluster.Disconnect(func() { ev = append(ev, "cluster.disconnect cb") })
			})
		})
		w.On("exit", func(code, signal any) {
			ev = append(ev, fmt.Sprintf("exit %v %v ead=%v", code, signal, *w.ExitedAfterDisconnect))
		})
		lcClusterOn(t, "disconnect", func(*cluster.Worker) { ev = append(ev, "cluster disconnect") })
	})
	want := []string{
		"after disconnect() connected=true state=online",
		"disconnect", "cluster disconnect", "cluster.disconnect cb",
		"exit 0 <nil> ead=true",
	}
	if d := cmp.Diff(want, ev); d != "" {
		t.Errorf("events (-node +port):\n%s", d)
	}
}

// disconnectUnsharedTCPScenario is the primary of
// TestClusterDisconnectUnsharedTcp, under SCHED_NONE: it prints what
// happens as lines.
func disconnectUnsharedTCPScenario() {
	cluster.SetupPrimary(&cluster.Settings{Args: []string{}})
	var unbound *cluster.Worker
	unbound, _ = cluster.Fork(map[string]string{envWorker: "mc-bound"})
	unbound.On("online", func() {
		fmt.Println("unbound online")
		bound, _ := cluster.Fork(map[string]string{envWorker: "mc-bound", "BOUND": "y"})
		bound.On("listening", func(a cluster.Address) {
			fmt.Printf("bound listening %v\n", a.AddressType)
			unbound.Disconnect()
			unbound.On("disconnect", func() {
				fmt.Println("unbound disconnect")
				cluster.Disconnect(func() { fmt.Println("all disconnected") })
			})
		})
	})
	cluster.On("exit", func(w *cluster.Worker, code, signal any) {
		fmt.Printf("exit %d %v %v\n", w.ID, code, signal)
	})
}

// TestClusterDisconnectUnsharedTcp: under SCHED_NONE, a worker that never
// listened and one that listens on a port of its own (not shared with the
// primary) both go with cluster.disconnect(), and the primary ends.
//
// Mirrors test/parallel/test-cluster-disconnect-unshared-tcp.js
func TestClusterDisconnectUnsharedTcp(t *testing.T) {
	lines, code, signal := runPrimaryProcess(t, "mc-disconnect-unshared-tcp", map[string]string{"NODE_CLUSTER_SCHED_POLICY": "none"}, 30*time.Second)
	require.Equal(t, 0, code, "primary signal %q", signal)
	// The two exits come in either order, in node too.
	want := []string{"unbound online", "bound listening 4", "unbound disconnect", "all disconnected", "exit 1 0 <nil>", "exit 2 0 <nil>"}
	if len(lines) == len(want) {
		slices.Sort(lines[4:])
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("primary (-node +port):\n%s", d)
	}
}

// TestClusterCwd: with no cwd setting, cluster.settings.cwd is unset and
// a worker starts in the primary's working directory; after
// setupPrimary({cwd}), the next worker starts in that directory.
//
// Mirrors test/parallel/test-cluster-cwd.js
func TestClusterCwd(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	own, err := os.Getwd()
	require.NoError(t, err)
	old := master.C.Settings.Cwd
	t.Cleanup(func() { master.C.Settings.Cwd = old })
	var before, after string
	got := map[int]any{}
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		before = cluster.GetSettings().Cwd
		w1 := forkScenario(t, "mc-cwd", nil)
		w1.On("message", func(m any) { got[1] = m })
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{Cwd: dir}))
		after = cluster.GetSettings().Cwd
		w2 := forkScenario(t, "mc-cwd", nil)
		w2.On("message", func(m any) { got[2] = m })
	})
	require.Equal(t, "", before, "settings.cwd before setupPrimary({cwd})")
	require.Equal(t, dir, after, "settings.cwd after setupPrimary({cwd})")
	if d := cmp.Diff(map[int]any{1: own, 2: dir}, got); d != "" {
		t.Errorf("working directories (-want +got):\n%s", d)
	}
}

// TestClusterRrHandleRefUnref: under SCHED_RR, a worker's server unref'd
// before listening and ref'd then unref'd after, with the channel
// unref'd, lets the worker exit on its own (code 0).
//
// Mirrors test/parallel/test-cluster-rr-handle-ref-unref.js
func TestClusterRrHandleRefUnref(t *testing.T) {
	var ev []string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		require.Equal(t, cluster.SCHED_RR, cluster.SchedulingPolicy())
		w := forkScenario(t, "mc-rr-ref-unref", nil)
		w.On("exit", func(code, signal any) { ev = append(ev, fmt.Sprintf("exit %v %v", code, signal)) })
	})
	require.Equal(t, []string{"exit 0 <nil>"}, ev)
}

// TestClusterSetupPrimary: setupPrimary({args, silent}) emits "setup"
// with cluster.settings holding those (and exec left as it was: node's
// is process.argv[1], a Go primary's is empty as the binary is its own
// program); both workers get the argument and are killed once they sent
// it.
//
// Mirrors test/parallel/test-cluster-setup-primary.js
func TestClusterSetupPrimary(t *testing.T) {
	t.Cleanup(func() { master.C.Settings.Silent = false })
	var setup []string
	got := map[int][]string{}
	onlines := 0
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{Args: []string{"custom argument"}, Silent: true}))
		l := cluster.Once("setup", func() {
			s := cluster.GetSettings()
			setup = append(setup, fmt.Sprintf("args=%q silent=%v exec=%q", s.Args, s.Silent, s.Exec))
		})
		t.Cleanup(func() { cluster.RemoveListener(l) })
		lcClusterOn(t, "online", func(w *cluster.Worker) {
			onlines++
			w.Once("message", func(m any) {
				got[w.ID] = append(got[w.ID], fmt.Sprintf("message %v", m))
				w.Kill("")
			})
		})
		lcClusterOn(t, "exit", func(w *cluster.Worker, code, signal any) {
			got[w.ID] = append(got[w.ID], fmt.Sprintf("exit %v %v", code, signal))
		})
		for i := 0; i < 2; i++ {
			if _, err := cluster.Fork(map[string]string{envWorker: "mc-argv"}); err != nil {
				fail("fork: %v", err)
			}
		}
	})
	require.Equal(t, []string{`args=["custom argument"] silent=true exec=""`}, setup, "the setup event")
	require.Equal(t, 2, onlines)
	var ids []int
	for id := range got {
		ids = append(ids, id)
	}
	require.Len(t, ids, 2)
	for _, id := range ids {
		if d := cmp.Diff([]string{"message custom argument", "exit <nil> SIGTERM"}, got[id]); d != "" {
			t.Errorf("worker %d (-node +port):\n%s", id, d)
		}
	}
}

// setupPrimaryArgvScenario: arguments added to the process's own argv
// before the first setupPrimary() are the workers' args.
func setupPrimaryArgvScenario() {
	timer := cluster.SetTimeout(time.Second, func() {
		fmt.Println("setup not emitted")
		process.Get().Exit(3)
	})
	timer.Unref()
	cluster.On("setup", func() {
		a := cluster.GetSettings().Args
		last := a[len(a)-1]
		fmt.Printf("setup %q %v\n", a[len(a)-2:], last == os.Args[len(os.Args)-1])
	})
	if os.Args[len(os.Args)-1] == "OMG,OMG" {
		fmt.Println("argv already ends in OMG,OMG")
	}
	os.Args = append(os.Args, "OMG,OMG", "OMG,OMG")
	cluster.SetupPrimary(nil)
}

// TestClusterSetupPrimaryArgv: cluster.settings.args defaults to the
// primary's own arguments as they are at the first setupPrimary()
// (process.argv in node, os.Args in Go), and "setup" comes within a
// second.
//
// Mirrors test/parallel/test-cluster-setup-primary-argv.js
func TestClusterSetupPrimaryArgv(t *testing.T) {
	lines, code, signal := runPrimaryProcess(t, "mc-setup-primary-argv", nil, 20*time.Second)
	require.Equal(t, 0, code, "primary signal %q", signal)
	require.Equal(t, []string{`setup ["OMG,OMG" "OMG,OMG"] true`}, lines)
}

// uncaughtExceptionScenario: a primary whose main throws after forking,
// with its own "uncaughtException" listener that exits 42 on the next
// tick.
func uncaughtExceptionScenario() {
	p := process.Get()
	p.On("uncaughtException", func(err any) {
		fmt.Printf("uncaught %v\n", err)
		cluster.NextTick(func() { p.Exit(42) })
	})
	p.On("exit", func(code int) { fmt.Printf("primary exiting %d %d\n", code, len(cluster.Workers())) })
	cluster.SetupPrimary(&cluster.Settings{Args: []string{}})
	cluster.Fork(map[string]string{envWorker: "mc-exit"})
	panic(errors.New("kill master"))
}

// TestClusterUncaughtException: an "uncaughtException" listener in the
// primary replaces the default handling (print and exit 1): the primary
// exits with the code the listener chose, 42, its worker still listed.
//
// Mirrors test/parallel/test-cluster-uncaught-exception.js
func TestClusterUncaughtException(t *testing.T) {
	lines, code, signal := runPrimaryProcess(t, "mc-uncaught-exception", nil, 20*time.Second)
	require.Equal(t, 42, code, "primary signal %q", signal)
	require.Equal(t, []string{"uncaught kill master", "primary exiting 42 1"}, lines)
}

// TestClusterWorkerConstructor: new cluster.Worker() with no options has
// exitedAfterDisconnect unset, state "none", id 0 and no process; with
// {id: 3, state: "online", process} it keeps those. (Node's test also
// calls cluster.Worker without new, a JS-only form with no Go
// counterpart.) The worker forwards its process's messages.
//
// Mirrors test/parallel/test-cluster-worker-constructor.js
func TestClusterWorkerConstructor(t *testing.T) {
	w := cluster.NewWorker(cluster.WorkerOptions{})
	require.Nil(t, w.ExitedAfterDisconnect)
	require.Equal(t, "none", w.State)
	require.Equal(t, 0, w.ID)
	require.Nil(t, w.Process)

	p := process.Get()
	require.Zero(t, p.ListenerCount("message")+p.ListenerCount("error"), "the test process has message or error listeners already")
	t.Cleanup(func() {
		p.RemoveAllListeners("message")
		p.RemoveAllListeners("error")
	})
	w = cluster.NewWorker(cluster.WorkerOptions{ID: 3, State: "online", Process: p})
	require.Nil(t, w.ExitedAfterDisconnect)
	require.Equal(t, "online", w.State)
	require.Equal(t, 3, w.ID)
	require.Same(t, p, w.Process)
	// The process's messages are the worker's.
	var got []any
	w.On("message", func(m any) { got = append(got, m) })
	p.Emit("message", "hi", nil)
	require.Equal(t, []any{"hi"}, got)
}

func init() {
	// mc-pipe-mode: listen on $PIPE with readableAll and writableAll, send
	// the socket file's permission bits once listening, close and let go
	// of the channel.
	workerScenarios["mc-pipe-mode"] = func() {
		path := os.Getenv("PIPE")
		all := os.Getenv("ALL") == "y"
		s := net.CreateServer(nil)
		s.Listen(net.ListenOptions{Path: path, ReadableAll: all, WritableAll: all}, func() {
			mode := "stat: "
			if fi, err := os.Stat(path); err != nil {
				mode += err.Error()
			} else {
				mode = fmt.Sprintf("%o", fi.Mode().Perm())
			}
			p := process.Get()
			p.Send(mode, nil, nil)
			s.Close(nil)
			p.Disconnect()
		})
	}
	// mc-relative-path: chdir into ./unix-socket-dir and listen on a
	// relative socket name whose absolute path is over 100 bytes; say
	// whether the socket file is there, then let go of the channel.
	workerScenarios["mc-relative-path"] = func() {
		p := process.Get()
		if err := os.Chdir(relSocketDir); err != nil {
			fmt.Println("worker chdir:", err)
			p.Exit(3)
		}
		s := net.CreateServer(func(*net.Socket) { p.Exit(9) })
		s.Listen(relSocketName(), func() {
			_, err := os.Stat(relSocketName())
			fmt.Printf("worker: socket in cwd %v\n", err == nil)
			p.Disconnect()
		})
	}
	primaryScenarios["mc-relative-path"] = relativePathScenario
	// mc-pipe-mode: one mc-pipe-mode worker with both options; print the
	// mode it saw.
	primaryScenarios["mc-pipe-mode"] = func() {
		cluster.SetupPrimary(&cluster.Settings{Args: []string{}})
		w, _ := cluster.Fork(map[string]string{envWorker: "mc-pipe-mode", "ALL": "y"})
		w.On("message", func(m any) { fmt.Printf("mode %v\n", m) })
		w.On("exit", func(code, signal any) { fmt.Printf("exit %v %v\n", code, signal) })
	}
}

const relSocketDir = "./unix-socket-dir"

// relSocketName is a socket name such that its absolute path, under the
// test's temporary directory, is over 100 bytes.
func relSocketName() string { return strings.Repeat("A", 100-len(relSocketDir)-1) }

// TestClusterListenPipeReadableWritable: a worker's server on a Unix
// socket with readableAll and writableAll (made by the primary under
// SCHED_RR) has mode 0777; without them it has the umask's mode (0755
// under umask 022, as node gives), which shows the options are what
// changed it. Under SCHED_NONE the options have no effect, in node v20 as
// here.
//
// Mirrors test/parallel/test-cluster-listen-pipe-readable-writable.js
func TestClusterListenPipeReadableWritable(t *testing.T) {
	dir := t.TempDir()
	old := unix.Umask(0o022)
	defer unix.Umask(old)
	got := map[string]any{}
	codes := map[string]any{}
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		for _, all := range []string{"y", "n"} {
			w := forkScenario(t, "mc-pipe-mode", map[string]string{"PIPE": filepath.Join(dir, "p"+all+".sock"), "ALL": all})
			w.On("message", func(m any) { got[all] = m })
			w.On("exit", func(code, signal any) { codes[all] = fmt.Sprint(code, signal) })
		}
	})
	if d := cmp.Diff(map[string]any{"y": "777", "n": "755"}, got); d != "" {
		t.Errorf("socket modes (-node +port):\n%s", d)
	}
	require.Equal(t, map[string]any{"y": "0 <nil>", "n": "0 <nil>"}, codes)

	// Under SCHED_NONE the primary binds through a SharedHandle, which in
	// Node v20 does no chmod: the options are lost (node gives 0755 too).
	lines, code, signal := runPrimaryProcess(t, "mc-pipe-mode", map[string]string{"NODE_CLUSTER_SCHED_POLICY": "none", "PIPE": filepath.Join(dir, "none.sock")}, 20*time.Second)
	require.Equal(t, 0, code, "primary signal %q", signal)
	require.Equal(t, []string{"mode 755", "exit 0 <nil>"}, lines, "SCHED_NONE")
}

// relativePathScenario: the primary works in a fresh directory ($DIR)
// holding unix-socket-dir, forks one worker that listens there by a
// relative name, and checks that the socket is gone once the worker
// exited.
func relativePathScenario() {
	p := process.Get()
	if err := os.Chdir(os.Getenv("DIR")); err != nil {
		fmt.Println("chdir:", err)
		p.Exit(3)
	}
	if err := os.Mkdir(relSocketDir, 0o755); err != nil {
		fmt.Println("mkdir:", err)
		p.Exit(3)
	}
	abs, _ := filepath.Abs(filepath.Join(relSocketDir, relSocketName()))
	fmt.Printf("absolute path over 100 bytes %v\n", len(abs) > 100)
	cluster.SetupPrimary(&cluster.Settings{Args: []string{}})
	w, _ := cluster.Fork(map[string]string{envWorker: "mc-relative-path"})
	w.On("exit", func(code, signal any) {
		_, err := os.Stat(filepath.Join(relSocketDir, relSocketName()))
		fmt.Printf("exit %v %v, socket left %v\n", code, signal, err == nil)
	})
}

// TestClusterNetListenRelativePath: a worker listening on a relative Unix
// socket path whose absolute form is too long for sun_path gets its
// socket in its own working directory (the primary binds it by the path
// relative to its own), and the socket is removed once the worker exits.
//
// Mirrors test/parallel/test-cluster-net-listen-relative-path.js
func TestClusterNetListenRelativePath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 20))
	require.NoError(t, os.Mkdir(dir, 0o755))
	lines, code, signal := runPrimaryProcess(t, "mc-relative-path", map[string]string{"DIR": dir}, 20*time.Second)
	require.Equal(t, 0, code, "primary signal %q", signal)
	want := []string{"absolute path over 100 bytes true", "worker: socket in cwd true", "exit 0 <nil>, socket left false"}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

func init() {
	// mc-ipv6only: listen on "::" with ipv6Only (port $PORT) unless
	// MODE=false (port 0, dual-stack).
	workerScenarios["mc-ipv6only"] = func() {
		port, _ := strconv.Atoi(os.Getenv("PORT"))
		o := net.ListenOptions{Host: "::", Port: port, IPv6Only: true}
		if os.Getenv("MODE") == "false" {
			o = net.ListenOptions{Host: "::", Port: 0}
		}
		net.CreateServer(nil).Listen(o, func() {})
	}
	primaryScenarios["mc-ipv6only"] = ipv6OnlyScenario
}

// ipv6OnlyScenario forks three workers listening on "::"; once all
// listen, it connects to the port over IPv4 (MODE=false: the socket is
// dual-stack) or listens on 0.0.0.0 with the same port (MODE none or rr:
// the workers' socket is IPv6-only, so the port is free in IPv4), then
// disconnects the workers. It prints each step.
func ipv6OnlyScenario() {
	mode := os.Getenv("MODE")
	cluster.SetupPrimary(&cluster.Settings{Args: []string{}})
	var ws []*cluster.Worker
	listening, firstPort := 0, 0
	disconnectAll := func() {
		for _, w := range ws {
			w.Disconnect()
		}
	}
	for i := 0; i < 3; i++ {
		w, _ := cluster.Fork(map[string]string{envWorker: "mc-ipv6only", "MODE": mode, "PORT": os.Getenv("PORT")})
		ws = append(ws, w)
		w.On("exit", func(code, signal any) { fmt.Printf("exit %v %v\n", code, signal) })
		w.On("listening", func(a cluster.Address) {
			same := firstPort == 0 || a.Port == firstPort
			if firstPort == 0 {
				firstPort = a.Port
			}
			fmt.Printf("listening %v %v %v\n", a.AddressType, a.Address, same)
			if listening++; listening < 3 {
				return
			}
			if mode == "false" {
				var sock *net.Socket
				sock, err := net.Connect(net.ConnectOptions{Port: a.Port, Host: "0.0.0.0"}, func() {
					fmt.Println("connected over IPv4")
					sock.Destroy(nil)
					disconnectAll()
				})
				if err != nil {
					fmt.Println("connect:", err)
					disconnectAll()
					return
				}
				sock.On("error", func(err error) {
					fmt.Println("connect error:", err)
					disconnectAll()
				})
				return
			}
			srv := net.CreateServer(nil)
			srv.On("error", func(err error) {
				fmt.Println("IPv4 listen error:", err)
				disconnectAll()
			})
			srv.Listen(net.ListenOptions{Host: "0.0.0.0", Port: a.Port}, func() {
				fmt.Println("IPv4 listen ok")
				srv.Close(nil)
				disconnectAll()
			})
		})
	}
}

// runIPv6Only runs ipv6OnlyScenario under the policy and checks what
// node v20.20.2 printed for the same scenario.
func runIPv6Only(t *testing.T, mode, policy, last string) {
	t.Helper()
	if !hasIPv6() {
		t.Skip("no IPv6 support")
	}
	hold, err := stdnet.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := strconv.Itoa(hold.Addr().(*stdnet.TCPAddr).Port)
	hold.Close()
	lines, code, signal := runPrimaryProcess(t, "mc-ipv6only", map[string]string{"MODE": mode, "PORT": port, "NODE_CLUSTER_SCHED_POLICY": policy}, 30*time.Second)
	require.Equal(t, 0, code, "primary signal %q", signal)
	l := "listening 6 :: true"
	want := []string{l, l, l, last, "exit 0 <nil>", "exit 0 <nil>", "exit 0 <nil>"}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

func hasIPv6() bool {
	l, err := stdnet.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// TestClusterNetListenIpv6onlyFalse: three workers listening on "::"
// without ipv6Only share one dual-stack socket (same address and port),
// which an IPv4 client reaches.
//
// Mirrors test/parallel/test-cluster-net-listen-ipv6only-false.js
func TestClusterNetListenIpv6onlyFalse(t *testing.T) {
	runIPv6Only(t, "false", "rr", "connected over IPv4")
}

// TestClusterNetListenIpv6onlyNone: under SCHED_NONE, three workers
// listening on "::" with ipv6Only on one port leave that port free in
// IPv4: the primary can listen on 0.0.0.0 with it.
//
// Mirrors test/sequential/test-cluster-net-listen-ipv6only-none.js
func TestClusterNetListenIpv6onlyNone(t *testing.T) {
	runIPv6Only(t, "none", "none", "IPv4 listen ok")
}

// TestClusterNetListenIpv6onlyRr: the same under SCHED_RR, where the
// primary's round-robin socket carries the ipv6Only flag from the query.
//
// Mirrors test/sequential/test-cluster-net-listen-ipv6only-rr.js
func TestClusterNetListenIpv6onlyRr(t *testing.T) {
	runIPv6Only(t, "rr", "rr", "IPv4 listen ok")
}

func init() {
	// mc-eaddrinuse (a plain child, not a worker): listen on $PORT,
	// which the parent holds; report the error and ask the parent to
	// let go; once it did, listen again, say so and close.
	workerScenarios["mc-eaddrinuse"] = func() {
		p := process.Get()
		port, _ := strconv.Atoi(os.Getenv("PORT"))
		server := net.CreateServer(func(*net.Socket) { p.Exit(9) })
		server.Listen(port, func() { p.Exit(8) })
		server.On("error", func(err error) {
			ne, _ := err.(*net.Error)
			if ne == nil {
				p.Exit(7)
			}
			p.Send(cluster.NewObject("code", ne.Code, "syscall", ne.Syscall, "message", ne.Message), nil, nil)
			p.Send("stop-listening", nil, nil)
			p.Once("message", func(m any) {
				if m != "stopped-listening" {
					return
				}
				again := net.CreateServer(func(*net.Socket) { p.Exit(9) })
				again.Listen(port, func() {
					p.Send("listening again", nil, nil)
					again.Close(nil)
				})
			})
		})
	}
	// mc-net-send (a plain child): a server and a client connected to it;
	// once both ends are up, send the client socket to the parent; on
	// the parent's "got", the server's end writes "hello" and ends.
	workerScenarios["mc-net-send"] = func() {
		p := process.Get()
		var socket *net.Socket
		calls := 0
		socketConnected := func() {
			if calls++; calls == 2 {
				p.Send("handle", socket, nil)
			}
		}
		server := net.CreateServer(func(c *net.Socket) {
			p.Once("message", func(any) { c.End([]byte("hello")) })
			socketConnected()
		})
		server.Listen(0, func() {
			a := server.Address()
			var err error
			socket, err = net.Connect(a.Port, a.Address, socketConnected)
			if err != nil {
				p.Exit(7)
			}
		})
		p.On("disconnect", func() { server.Close(nil) })
	}
}

// forkPlainChild forks a plain child (child_process.fork, no cluster)
// running scenario name with env added.
func forkPlainChild(t *testing.T, name string, env map[string]string) *childprocess.ChildProcess {
	t.Helper()
	e := map[string]string{envWorker: name}
	for k, v := range env {
		e[k] = v
	}
	cp, err := childprocess.Fork(uv.Default(), "", nil, childprocess.ForkOptions{ExecPath: lsExecutable(), Env: lsEnv(e), Label: name})
	require.NoError(t, err)
	return cp
}

// TestClusterEaddrinuse: a child that cannot listen on a port its parent
// holds gets listen EADDRINUSE; once the parent closed its server, the
// child listens on that port (the parent's process state is not left
// confused), and exits 0.
//
// Mirrors test/parallel/test-cluster-eaddrinuse.js
func TestClusterEaddrinuse(t *testing.T) {
	var got []any
	var exit string
	var port int
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		server := net.CreateServer(func(*net.Socket) { t.Error("a connection reached the parent") })
		server.Listen(0, func() {
			port = server.Address().Port
			child := forkPlainChild(t, "mc-eaddrinuse", map[string]string{"PORT": strconv.Itoa(port)})
			watch(child)
			child.On("message", func(m any) {
				got = append(got, m)
				if m == "stop-listening" {
					server.Close(func(error) { child.Send("stopped-listening", nil, nil) })
				}
			})
			child.On("exit", func(code, signal any) { exit = fmt.Sprint(code, " ", signal) })
		})
	})
	require.Len(t, got, 3, "messages: %v", got)
	e, ok := got[0].(*cluster.Object)
	require.True(t, ok, "first message %v", got[0])
	want := map[string]any{"code": "EADDRINUSE", "syscall": "listen", "message": fmt.Sprintf("listen EADDRINUSE: address already in use :::%d", port)}
	gotErr := map[string]any{"code": e.Value("code"), "syscall": e.Value("syscall"), "message": e.Value("message")}
	if d := cmp.Diff(want, gotErr); d != "" {
		t.Errorf("the child's error (-node +port):\n%s", d)
	}
	require.Equal(t, []any{"stop-listening", "listening again"}, got[1:])
	require.Equal(t, "0 <nil>", exit)
}

// TestClusterNetSend: a child sends its client socket to the parent; the
// parent reads from it what the child's server end writes after the
// parent's "got" ("hello", then the end) and kills the child (null,
// SIGTERM).
//
// Mirrors test/parallel/test-cluster-net-send.js
func TestClusterNetSend(t *testing.T) {
	var result, exit, kind string
	ended := false
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		child := forkPlainChild(t, "mc-net-send", nil)
		watch(child)
		child.Once("message", func(m any, h any) {
			kind = fmt.Sprintf("%v %T", m, h)
			child.Send("got", nil, nil)
			sock, ok := h.(*net.Socket)
			if !ok {
				child.Kill("SIGKILL")
				return
			}
			sock.On("data", func(b []byte) { result += string(b) })
			sock.On("end", func() {
				ended = true
				child.Kill("")
			})
		})
		child.On("exit", func(code, signal any) { exit = fmt.Sprint(code, " ", signal) })
	})
	require.Equal(t, "handle *net.Socket", kind)
	require.True(t, ended, "no end on the sent socket")
	require.Equal(t, "hello", result)
	require.Equal(t, "<nil> SIGTERM", exit)
}

func init() {
	// mc-http-listen-on-message: an HTTP server (net/http over a cluster
	// server) that listens on the port the primary sends; a listen error
	// is printed and the worker disconnects.
	workerScenarios["mc-http-listen-on-message"] = func() {
		srv := net.CreateServer(nil)
		net.ServeHTTP(srv, &http.Server{}, nil)
		process.Get().On("message", func(m any) {
			o, _ := m.(*cluster.Object)
			srv.Listen(o.Int("port", -1))
			srv.On("error", func(err error) {
				ne, _ := err.(*net.Error)
				if ne == nil {
					fmt.Printf("worker error %v\n", err)
				} else {
					fmt.Printf("worker error %s %s %s\n", ne.Code, ne.Syscall, ne.Message)
				}
				cluster.CurrentWorker().Disconnect()
			})
		})
	}
	primaryScenarios["mc-worker-disconnect-on-error"] = workerDisconnectOnErrorScenario
}

// workerDisconnectOnErrorScenario: under SCHED_NONE the primary's own
// HTTP server holds a port, and the worker is told to listen on it.
func workerDisconnectOnErrorScenario() {
	cluster.SetupPrimary(&cluster.Settings{Args: []string{}})
	srv := net.CreateServer(nil)
	net.ServeHTTP(srv, &http.Server{}, nil)
	var w *cluster.Worker
	srv.Listen(0, func() {
		fmt.Printf("port %d\n", srv.Address().Port)
		w.Send(cluster.NewObject("port", srv.Address().Port), nil, nil)
	})
	w, _ = cluster.Fork(map[string]string{envWorker: "mc-http-listen-on-message"})
	w.On("disconnect", func() { fmt.Println("disconnect") })
	w.On("exit", func(code, signal any) {
		fmt.Printf("exit %v %v ead %v\n", code, signal, *w.ExitedAfterDisconnect)
		srv.Close(nil)
	})
}

// TestClusterWorkerDisconnectOnError: under SCHED_NONE a worker's HTTP
// server that cannot bind (the primary's own server holds the port) gets
// Node's bind error ("bind EADDRINUSE null:<port>", the address being
// null); the worker disconnects from its "error" listener and exits 0,
// and the primary, on "exit", closes its server and ends.
//
// Mirrors test/parallel/test-cluster-worker-disconnect-on-error.js
func TestClusterWorkerDisconnectOnError(t *testing.T) {
	lines, code, signal := runPrimaryProcess(t, "mc-worker-disconnect-on-error", map[string]string{"NODE_CLUSTER_SCHED_POLICY": "none"}, 20*time.Second)
	require.Equal(t, 0, code, "primary signal %q", signal)
	require.NotEmpty(t, lines)
	var port int
	_, err := fmt.Sscanf(lines[0], "port %d", &port)
	require.NoError(t, err, "first line %q", lines[0])
	want := []string{lines[0], fmt.Sprintf("worker error EADDRINUSE bind bind EADDRINUSE null:%d", port), "disconnect", "exit 0 <nil> ead true"}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

func init() {
	// mc-socket-to-http-server: an HTTP server (net/http over a cluster
	// server that never listens) given the socket the primary sends with
	// Emit("connection"); a later "connection" listener destroys it and
	// disconnects.
	workerScenarios["mc-socket-to-http-server"] = func() {
		srv := net.CreateServer(nil)
		net.ServeHTTP(srv, &http.Server{}, nil)
		srv.On("connection", func(s *net.Socket) {
			fmt.Printf("worker connection %T\n", s)
			s.Destroy(nil)
			cluster.CurrentWorker().Disconnect()
		})
		process.Get().On("message", func(m any, h any) {
			if s, ok := h.(*net.Socket); ok {
				srv.Emit("connection", s)
			}
		})
	}
	primaryScenarios["mc-send-socket-to-http-server"] = sendSocketToHTTPServerScenario
}

// sendSocketToHTTPServerScenario: the primary's own server sends each
// connection to the worker; its client only connects.
func sendSocketToHTTPServerScenario() {
	cluster.SetupPrimary(&cluster.Settings{Args: []string{}})
	w, _ := cluster.Fork(map[string]string{envWorker: "mc-socket-to-http-server"})
	server := net.CreateServer(func(s *net.Socket) { w.Send("socket", s, nil) })
	w.On("exit", func(code, signal any) {
		fmt.Printf("exit %v %v\n", code, signal)
		server.Close(nil)
	})
	server.Listen(0, func() {
		c, err := net.Connect(server.Address().Port)
		if err != nil {
			fmt.Println("connect:", err)
			return
		}
		c.On("close", func() { fmt.Println("client close") })
		c.On("error", func(err error) { fmt.Println("client error:", err) })
	})
}

// TestClusterSendSocketToWorkerHttpServer: a socket sent to a worker and
// given to its HTTP server with Emit("connection") reaches the server's
// "connection" listeners as a net.Socket (node's test also checks that
// http set socket.server, which has no Go counterpart); destroying it
// there closes the connection (the primary's client sees it close), and
// the worker disconnects and exits 0.
//
// Mirrors test/parallel/test-cluster-send-socket-to-worker-http-server.js
func TestClusterSendSocketToWorkerHttpServer(t *testing.T) {
	lines, code, signal := runPrimaryProcess(t, "mc-send-socket-to-http-server", nil, 20*time.Second)
	require.Equal(t, 0, code, "primary signal %q", signal)
	want := []string{"worker connection *net.Socket", "client close", "exit 0 <nil>"}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

func init() {
	// mc-echo-fd4: echo what arrives on fd 4 (a pipe the primary made,
	// opened as new net.Socket({fd: 4}) would), unref'd so that it does
	// not keep the worker alive.
	workerScenarios["mc-echo-fd4"] = func() {
		h, err := uv.NewStream(uv.Default(), uv.KindPipe, 4, false)
		if err != nil {
			fmt.Fprintln(os.Stderr, "worker: fd 4:", err)
			process.Get().Exit(3)
		}
		pipe := net.NewSocketFromHandle(h)
		pipe.Unref()
		pipe.On("data", func(b []byte) { pipe.Write(b, nil) })
	}
}

// stdioEcho writes "foobar" on the primary's end of the worker's fd 4 and
// reads until the echo is whole, then disconnects the worker on the loop.
type stdioEcho struct {
	f    *os.File
	w    *cluster.Worker
	loop *uv.Loop
	done func(string, error)
}

func (e *stdioEcho) run() {
	got, err := func() (string, error) {
		if _, err := e.f.Write([]byte("foobar")); err != nil {
			return "", err
		}
		e.f.SetReadDeadline(time.Now().Add(10 * time.Second))
		var b []byte
		buf := make([]byte, 64)
		for string(b) != "foobar" && len(b) < 6 {
			n, err := e.f.Read(buf)
			b = append(b, buf[:n]...)
			if err != nil {
				return string(b), err
			}
		}
		return string(b), nil
	}()
	e.loop.Post(func() {
		e.loop.Unref()
		e.done(got, err)
	})
}

// TestClusterForkStdio: with settings.stdio ['pipe', 'pipe', 'pipe',
// 'ipc', 'pipe'] the worker's channel is on fd 3 and fd 4 is a pipe both
// ways: worker.process.stdio holds the primary's ends (null for the
// channel, as in node); what the primary writes there the worker echoes
// back, and the worker, disconnected, exits (0, null). The worker is a Go
// worker, and a Node one (testdata/interop/fork-stdio.js); and the same
// script as a Node primary drives a Go worker (and, to compare, a Node
// one).
//
// Mirrors test/parallel/test-cluster-fork-stdio.js
func TestClusterForkStdio(t *testing.T) {
	t.Run("node-primary", func(t *testing.T) {
		node := nodeOrSkip(t)
		script, err := filepath.Abs("testdata/interop/fork-stdio.js")
		require.NoError(t, err)
		self, err := os.Executable()
		require.NoError(t, err)
		t.Setenv(envWorker, "mc-echo-fd4")
		want := []string{"stdio true,true,true,false,true", "echo foobar", "exit 0 null"}
		require.Equal(t, want, runNodeScript(t, node, script, "", 20*time.Second), "Node worker")
		if d := cmp.Diff(want, runNodeScript(t, node, script, self, 20*time.Second)); d != "" {
			t.Errorf("Go worker (-node +port):\n%s", d)
		}
	})
	for _, worker := range []string{"go", "node"} {
		t.Run(worker, func(t *testing.T) {
			var node, script string
			if worker == "node" {
				node = nodeOrSkip(t)
				var err error
				script, err = filepath.Abs("testdata/interop/fork-stdio.js")
				require.NoError(t, err)
			}
			old := master.C.Settings
			t.Cleanup(func() {
				master.C.Settings.Stdio = nil
				master.C.Settings.ExecPath, master.C.Settings.Exec = old.ExecPath, old.Exec
			})
			var shape []bool
			var echo, exit string
			var echoErr error
			var stdio []*os.File
			primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
				require.NoError(t, cluster.SetupPrimary(&cluster.Settings{Stdio: []string{"pipe", "pipe", "pipe", "ipc", "pipe"}, ExecPath: node, Exec: script}))
				w := forkScenario(t, "mc-echo-fd4", nil)
				proc := w.Process.(*childprocess.ChildProcess)
				stdio = proc.Stdio
				for _, f := range proc.Stdio {
					shape = append(shape, f != nil)
				}
				w.On("exit", func(code, signal any) { exit = fmt.Sprint(code, " ", signal) })
				if len(proc.Stdio) < 5 || proc.Stdio[4] == nil {
					fail("no pipe on fd 4")
					return
				}
				l := uv.Default()
				l.Ref()
				e := &stdioEcho{f: proc.Stdio[4], w: w, loop: l, done: func(s string, err error) {
					echo, echoErr = s, err
					w.Disconnect()
				}}
				go e.run()
			})
			for _, f := range stdio {
				if f != nil {
					f.Close()
				}
			}
			require.Equal(t, []bool{true, true, true, false, true}, shape, "which of worker.process.stdio are the primary's ends")
			require.NoError(t, echoErr)
			require.Equal(t, "foobar", echo)
			require.Equal(t, "0 <nil>", exit)
		})
	}
}

// TestForkStdioIpc: fork's stdio checks: two "ipc" entries are
// ERR_IPC_ONE_PIPE, and more than three entries without one is
// ERR_CHILD_PROCESS_IPC_REQUIRED, with node's messages.
func TestForkStdioIpc(t *testing.T) {
	t.Cleanup(func() { master.C.Settings.Stdio = nil })
	var errs []string
	primaryRun(t, 10*time.Second, func(fail func(string, ...any)) {
		for _, stdio := range [][]string{{"pipe", "ipc", "ipc"}, {"pipe", "pipe", "pipe", "pipe"}} {
			require.NoError(t, cluster.SetupPrimary(&cluster.Settings{Stdio: stdio}))
			_, err := cluster.Fork(map[string]string{envWorker: "mc-idle"})
			require.Error(t, err)
			e := err.(*childprocess.ErrnoError)
			errs = append(errs, e.Code+": "+e.Message)
		}
	})
	require.Equal(t, []string{
		"ERR_IPC_ONE_PIPE: Child process can have only one IPC pipe",
		"ERR_CHILD_PROCESS_IPC_REQUIRED: Forked processes must have an IPC channel, missing value 'ipc' in options.stdio",
	}, errs)
}

func init() {
	// mc-channel-fd (a plain child): send the fd its channel is on.
	workerScenarios["mc-channel-fd"] = func() {
		p := process.Get()
		p.Send(p.Channel.Fd(), nil, nil)
		p.Disconnect()
	}
}

// TestForkStdioIpcAnywhere: the "ipc" entry of fork's stdio decides the
// channel's fd (NODE_CHANNEL_FD): with ['ignore', 'ignore', 'inherit',
// 'ignore', 'ipc'] the child talks on fd 4; child.stdio has no pipe.
func TestForkStdioIpcAnywhere(t *testing.T) {
	var got []any
	var stdio []*os.File
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		cp, err := childprocess.Fork(uv.Default(), "", nil, childprocess.ForkOptions{
			ExecPath: lsExecutable(), Env: lsEnv(map[string]string{envWorker: "mc-channel-fd"}), Label: "mc-channel-fd",
			Stdio: []string{"ignore", "ignore", "inherit", "ignore", "ipc"},
		})
		require.NoError(t, err)
		watch(cp)
		stdio = cp.Stdio
		cp.On("message", func(m any) { got = append(got, m) })
	})
	require.Equal(t, []any{float64(4)}, got)
	require.Equal(t, []*os.File{nil, nil, nil, nil, nil}, stdio)
}

func init() {
	// mc-write-fd50 (a plain child): write "inherited" on fd 50, then let
	// go of the channel.
	workerScenarios["mc-write-fd50"] = func() {
		p := process.Get()
		if _, err := unix.Write(50, []byte("inherited")); err != nil {
			fmt.Fprintln(os.Stderr, "child: fd 50:", err)
			p.Exit(3)
		}
		p.Disconnect()
	}
}

// TestForkStdioInheritHighFd: "inherit" at an fd above 2 gives the child
// the parent's descriptor of that number: the parent's pipe, put on its
// fd 50, is the child's fd 50.
func TestForkStdioInheritHighFd(t *testing.T) {
	var fds [2]int
	require.NoError(t, unix.Pipe2(fds[:], unix.O_CLOEXEC))
	r := os.NewFile(uintptr(fds[0]), "r")
	defer r.Close()
	const high = 50
	if _, err := unix.FcntlInt(high, unix.F_GETFD, 0); err == nil {
		t.Skipf("fd %d is in use in the test process", high)
	}
	require.NoError(t, unix.Dup3(fds[1], high, unix.O_CLOEXEC))
	unix.Close(fds[1])
	stdio := make([]string, high+1)
	stdio[3] = "ipc"
	for i := 4; i < high; i++ {
		stdio[i] = "ignore"
	}
	stdio[high] = "inherit"
	var exit string
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		cp, err := childprocess.Fork(uv.Default(), "", nil, childprocess.ForkOptions{
			ExecPath: lsExecutable(), Env: lsEnv(map[string]string{envWorker: "mc-write-fd50"}), Label: "mc-write-fd50",
			Stdio: stdio,
		})
		unix.Close(high) // the child has its copy; the parent's read end then sees EOF once the child exits
		require.NoError(t, err)
		watch(cp)
		cp.On("exit", func(code, signal any) { exit = fmt.Sprint(code, " ", signal) })
	})
	require.Equal(t, "0 <nil>", exit)
	r.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, "inherited", string(b))
}
