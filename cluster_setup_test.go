package nodecluster_test

// cluster.setupPrimary and fork in the corners a probe against node
// v20.20.2 found apart (each expectation was read off node first).

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/stretchr/testify/require"
)

func init() {
	workerScenarios["cs-groups"] = func() {
		b, _ := os.ReadFile("/proc/self/status")
		groups := ""
		for _, l := range strings.Split(string(b), "\n") {
			if g, ok := strings.CutPrefix(l, "Groups:"); ok {
				groups = strings.TrimSpace(g)
			}
		}
		process.Get().Send(cluster.NewObject("groups", groups), nil, nil)
		cluster.CurrentWorker().Disconnect()
	}
	primaryScenarios["cs-groups"] = func() {
		// syscall's Setgroups sets every thread's (x/sys/unix's only the
		// calling thread's, and the fork may run on another).
		if err := syscall.Setgroups([]int{4, 20}); err != nil {
			lcOut("setgroups: %v", err)
			return
		}
		gid := 0
		var fork func(withGid bool)
		fork = func(withGid bool) {
			if withGid {
				cluster.SetupPrimary(&cluster.Settings{GID: &gid})
			}
			w, err := cluster.Fork(map[string]string{envWorker: "cs-groups"})
			if err != nil {
				lcOut("fork: %v", err)
				return
			}
			w.On("message", func(m *cluster.Object) {
				g, _ := m.String("groups")
				lcOut("gid set %v: groups %q", withGid, g)
			})
			w.On("exit", func() {
				if !withGid {
					fork(true)
				}
			})
		}
		fork(false)
	}
	workerScenarios["cs-fork-in-worker"] = func() {
		_, ferr := cluster.Fork(nil)
		serr := cluster.SetupPrimary(nil)
		cbRan := false
		derr := cluster.Disconnect(func() { cbRan = true })
		// After the next ticks, where a disconnect's callback would run.
		cluster.SetImmediate(func() {
			process.Get().Send(cluster.NewObject("fork", fmt.Sprint(ferr), "setup", fmt.Sprint(serr),
				"disconnect", fmt.Sprint(derr), "callback", cbRan, "policy", cluster.SchedulingPolicy()), nil, nil)
			cluster.CurrentWorker().Disconnect()
		})
	}
	primaryScenarios["cs-bad-policy"] = func() {
		cluster.SetSchedulingPolicy(3)
		err := cluster.SetupPrimary(nil)
		e, _ := err.(*childprocess.ErrnoError)
		if e == nil {
			lcOut("no assertion: %v", err)
			return
		}
		lcOut("%s %q", e.Code, e.Message)
	}
	workerScenarios["cs-empty-unique-id"] = func() {
		_, kept := os.LookupEnv("NODE_UNIQUE_ID")
		lcOut("isWorker %v worker %v kept %v", cluster.IsWorker, cluster.CurrentWorker() != nil, kept)
	}
}

// TestForkDropsSupplementaryGroups: with a uid or gid given, libuv drops
// the supplementary groups (setgroups(0)) before it runs the worker;
// without, the worker has the primary's.
func TestForkDropsSupplementaryGroups(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the primary sets its own supplementary groups first")
	}
	lines, code, _ := runPrimaryProcess(t, "cs-groups", nil, 20*time.Second)
	require.Equal(t, 0, code)
	want := []string{`gid set false: groups "4 20"`, `gid set true: groups ""`}
	if d := cmp.Diff(want, lcLines(lines)); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

// TestForkAndSetupPrimaryInAWorker: in a worker cluster.fork,
// cluster.setupPrimary and cluster.disconnect are undefined; calling them
// is Node's TypeError, an error here, and nothing is forked or called back;
// cluster.schedulingPolicy is undefined there too, 0 here.
func TestForkAndSetupPrimaryInAWorker(t *testing.T) {
	var got string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "cs-fork-in-worker", nil)
		w.On("message", func(m *cluster.Object) { got = m.JSONString() })
	})
	require.Equal(t, `{"fork":"cluster.fork is not a function","setup":"cluster.setupPrimary is not a function",`+
		`"disconnect":"cluster.disconnect is not a function","callback":false,"policy":0}`, got)
}

// TestForkSpawnError: a program that cannot be started is Node's spawn
// error (code, errno, syscall, message), from Fork.
func TestForkSpawnError(t *testing.T) {
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		self, err := os.Executable()
		require.NoError(t, err)
		defer cluster.SetupPrimary(&cluster.Settings{ExecPath: self})
		for _, path := range []string{"/nonexistent/x", "nonexistent-program-in-path"} {
			require.NoError(t, cluster.SetupPrimary(&cluster.Settings{ExecPath: path}))
			_, err = cluster.Fork(nil)
			var e *childprocess.ErrnoError
			require.ErrorAs(t, err, &e)
			require.Equal(t, childprocess.ErrnoError{Code: "ENOENT", Errno: -2, Syscall: "spawn " + path, Message: "spawn " + path + " ENOENT"}, *e)
		}
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{ExecPath: "/etc/passwd"}))
		_, err = cluster.Fork(nil)
		require.EqualError(t, err, "spawn /etc/passwd EACCES")
		require.Empty(t, cluster.Workers())
	})
}

// TestForkBadSerialization: a serialization other than json or advanced
// is fork's ERR_INVALID_ARG_VALUE.
func TestForkBadSerialization(t *testing.T) {
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{Serialization: "bogus"}))
		defer cluster.SetupPrimary(&cluster.Settings{Serialization: "json"})
		_, err := cluster.Fork(nil)
		var e *childprocess.ErrnoError
		require.ErrorAs(t, err, &e)
		require.Equal(t, "ERR_INVALID_ARG_VALUE", e.Code)
		require.Equal(t, "The property 'options.serialization' must be one of: undefined, 'json', 'advanced'. Received 'bogus'", e.Message)
	})
}

// TestSetupPrimaryExecArgv: --prof gets --logfile=v8-%p.log (one profile
// per process) unless a --logfile is given; an inspector flag gets each
// Node worker a port of its own, the primary's 9229 plus 1, 2, ...
func TestSetupPrimaryExecArgv(t *testing.T) {
	var spawnArgs [][]string
	primaryRun(t, 20*time.Second, func(fail func(string, ...any)) {
		defer cluster.SetupPrimary(&cluster.Settings{ExecArgv: []string{}})
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{ExecArgv: []string{"--prof"}}))
		require.Equal(t, []string{"--prof", "--logfile=v8-%p.log"}, cluster.GetSettings().ExecArgv)
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{ExecArgv: []string{"--prof", "--logfile=x.log"}}))
		require.Equal(t, []string{"--prof", "--logfile=x.log"}, cluster.GetSettings().ExecArgv)
		// Go workers (this test binary) take the flags as arguments and ignore them.
		require.NoError(t, cluster.SetupPrimary(&cluster.Settings{ExecArgv: []string{"--inspect"}}))
		for i := 0; i < 2; i++ {
			w := forkScenario(t, "lc-exit42", nil)
			spawnArgs = append(spawnArgs, w.Process.(*childprocess.ChildProcess).SpawnArgs)
		}
	})
	var ports []int
	for _, args := range spawnArgs {
		i := slices.IndexFunc(args, func(a string) bool { return strings.HasPrefix(a, "--inspect-port=") })
		require.GreaterOrEqual(t, i, 0, "no --inspect-port in %q", args)
		require.Equal(t, "--inspect", args[i-1])
		var p int
		fmt.Sscanf(args[i], "--inspect-port=%d", &p)
		ports = append(ports, p)
	}
	require.Greater(t, ports[0], 9229)
	require.Equal(t, ports[0]+1, ports[1], "each worker its own port")
}

// TestBadSchedulingPolicy: the first setupPrimary asserts the policy, as
// Node's does (ERR_INTERNAL_ASSERTION and its message).
func TestBadSchedulingPolicy(t *testing.T) {
	lines, code, _ := runPrimaryProcess(t, "cs-bad-policy", nil, 20*time.Second)
	require.Equal(t, 0, code)
	want := []string{`ERR_INTERNAL_ASSERTION "Bad cluster.schedulingPolicy: 3\nThis is caused by either a bug in Node.js or incorrect usage of Node.js internals.\nPlease open an issue with this stack trace at https://github.com/nodejs/node/issues\n"`}
	if d := cmp.Diff(want, lcLines(lines)); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

// TestEmptyUniqueID: NODE_UNIQUE_ID set but empty makes a worker
// (cluster.isWorker) that Node never sets up: no cluster.worker, no
// "online", and the variable stays.
func TestEmptyUniqueID(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envWorker+"=cs-empty-unique-id", "NODE_UNIQUE_ID=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, []string{"isWorker true worker false kept true"}, lcLines(strings.Split(string(out), "\n")))
}
