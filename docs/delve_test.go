package docs

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hitRE is one stop as delve/walkthrough.star prints it.
var hitRE = regexp.MustCompile(`^walkthrough\.star: pid (\d+) (\S+) (\S+) ⇐ (.+)$`)

type dlvHit struct {
	pid, process, goFn, jsFn string
}

// TestDelveWalkthrough runs docs/delve/walkthrough.star under delve
// against one walkthrough scenario (a real primary, a real forked worker,
// one connection) and checks the breakpoints it hit, in both processes,
// in the order one causes the next:
//
//	worker listenInCluster → worker cluster._getServer → primary queryServer
//	→ worker rr → worker setupListenHandle → primary distribute
//	→ worker onconnection (child.js's)
//
// Each arrow is a message on the IPC channel or a call on the same loop,
// so no other order is possible; steps with no such link between them
// (the primary binding its own socket while the worker waits) are not
// asserted against each other. The test skips only when dlv is not on
// PATH; CI installs it.
// runDlv runs `dlv test` on the walkthrough's package (the module root)
// with the given init script, selecting the walkthrough scenario in which
// one worker listens and serves one connection, and returns what dlv
// printed. TestMain in that package re-executes the test binary as the
// worker, which delve follows once the script turns follow-exec on. It
// skips when dlv is not on PATH.
func runDlv(t *testing.T, script string) string {
	t.Helper()
	dlv, err := exec.LookPath("dlv")
	if err != nil {
		t.Skip("dlv is not on PATH: go install github.com/go-delve/delve/cmd/dlv@v1.27.2 to run this test (CI does)")
	}
	root := moduleRoot(t)
	tmp := t.TempDir()
	initFile := filepath.Join(tmp, "init.dlv")
	require.NoError(t, os.WriteFile(initFile, []byte(script), 0o644))

	// The first dlv test builds the standard library without
	// optimisations (about 30 s on two cores); later runs take seconds.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, dlv, "test", ".",
		"--output", filepath.Join(tmp, "walkthrough.test"),
		"--allow-non-terminal-interactive", "--init", initFile,
		"--", "-test.run", "^TestWalkthrough$/^08_a_connection_arrives$", "-test.count=1")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TERM=dumb")
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("dlv test ran for %v", time.Since(start).Round(time.Millisecond))
	require.NoError(t, err, "dlv:\n%s", out)
	// dlv exits 0 whatever happens: the test binary's PASS says the
	// walkthrough itself passed under the debugger.
	require.Regexp(t, `(?m)^PASS$`, string(out), "the walkthrough failed under delve:\n%s", out)
	return string(out)
}

func TestDelveWalkthrough(t *testing.T) {
	script, err := filepath.Abs("delve/walkthrough.star")
	require.NoError(t, err)
	out := runDlv(t, "source "+script+"\nexit\n")

	var hits []dlvHit
	for _, line := range strings.Split(out, "\n") {
		if m := hitRE.FindStringSubmatch(strings.TrimRight(line, "\r")); m != nil {
			hits = append(hits, dlvHit{m[1], m[2], m[3], m[4]})
		}
	}
	require.Contains(t, out, "walkthrough.star: exited with status 0", "the walkthrough under delve did not finish:\n%s", out)
	require.NotEmpty(t, hits, "walkthrough.star printed no stops:\n%s", out)

	// Which process is which: the primary is the test binary dlv started,
	// the worker its re-exec, told apart by the node.process label.
	pids := map[string]string{}
	for _, h := range hits {
		kind := "primary"
		if strings.HasPrefix(h.process, "worker") {
			kind = "worker"
		}
		if p, ok := pids[kind]; ok {
			require.Equal(t, p, h.pid, "two %s pids", kind)
		}
		pids[kind] = h.pid
	}
	require.Len(t, pids, 2, "stops in both processes")
	require.NotEqual(t, pids["primary"], pids["worker"])

	type step struct{ process, goFn, jsFn string }
	want := []step{
		{"worker", "net.listenInCluster", "net.js listenInCluster"},
		{"worker", "internal/child.GetServer", "child.js cluster._getServer"},
		{"primary", "internal/master.queryServer", "primary.js queryServer"},
		{"worker", "internal/child.rr", "child.js rr"},
		{"worker", "net.(*Server).setupListenHandle", "net.js setupListenHandle"},
		{"primary", "internal/handle.(*RoundRobinHandle).distribute", "round_robin_handle.js RoundRobinHandle.prototype.distribute"},
		{"worker", "internal/child.onconnection", "child.js onconnection"},
	}
	asserted := map[[2]string]bool{}
	for _, s := range want {
		asserted[[2]string{s.process, s.goFn}] = true
	}
	var got []step
	var all []string
	for _, h := range hits {
		kind := "primary"
		if strings.HasPrefix(h.process, "worker") {
			kind = "worker"
		}
		all = append(all, h.process+" "+h.goFn)
		if asserted[[2]string{kind, h.goFn}] {
			got = append(got, step{kind, h.goFn, h.jsFn})
		}
	}
	t.Logf("%d stops: %s", len(hits), strings.Join(all, ", "))
	assert.Equal(t, want, got, "the article's path in causal order across the two processes")
}

// TestDelveFbreak runs the prompt's commands from docs/delve/fbreak.star
// as a reader would type them: jsbreak by JS name, continue, hits. The
// breakpoint on cluster._getServer must stop the worker and the one on
// queryServer the primary, two different processes, in that order.
func TestDelveFbreak(t *testing.T) {
	script, err := filepath.Abs("delve/fbreak.star")
	require.NoError(t, err)
	out := runDlv(t, "source "+script+"\n"+
		"jsbreak _getServer\n"+
		"jsbreak primary.js queryServer\n"+
		"continue\nhits\ncontinue\nhits\ncontinue\nexit\n")

	assert.Contains(t, out, "Breakpoint 1 (by name) for github.com/nodecluster/nodecluster/internal/child.GetServer")
	assert.Contains(t, out, "Breakpoint 2 (by name) for github.com/nodecluster/nodecluster/internal/master.queryServer")
	hitsRE := regexp.MustCompile(`(?m)^pid (\d+) thread \d+ goroutine \d+: github\.com/nodecluster/nodecluster/(\S+) .*node\.process:(\S+)\]$`)
	var got []string
	pids := map[string]string{}
	for _, m := range hitsRE.FindAllStringSubmatch(out, -1) {
		got = append(got, m[3]+" "+m[2])
		pids[m[3]] = m[1]
	}
	require.Equal(t, []string{"worker:1 internal/child.GetServer", "primary internal/master.queryServer"}, got, "dlv output:\n%s", out)
	assert.NotEqual(t, pids["worker:1"], pids["primary"])
}

// starStepRE finds the Go functions the delve scripts name, with the JS
// function after them: ("internal/child.rr", "child.js rr") in
// walkthrough.star, ("child.js", "rr", "internal/child.rr") in fbreak.star.
var (
	walkStepRE   = regexp.MustCompile(`\("((?:net|internal/\w+)\.[^"]+)", "([^"]+)"\)`)
	fbreakPathRE = regexp.MustCompile(`\("(\w+\.js)", "([^"]+)", "((?:net|internal/\w+)\.[^"]+)"\)`)
)

// TestDelveScriptNames checks, without delve, that every Go function the
// scripts in docs/delve name exists, and that its Mirrors line names the
// JS function the script prints for it: a rename in the port must not
// silently leave a breakpoint that never fires.
func TestDelveScriptNames(t *testing.T) {
	root := moduleRoot(t)
	files, err := portFiles(root)
	require.NoError(t, err)
	mirrors := map[string]string{} // "internal/child.rr" -> its Mirrors line, or ""
	fset := token.NewFileSet()
	for _, rel := range files {
		src, err := os.ReadFile(filepath.Join(root, rel))
		require.NoError(t, err)
		f, err := parser.ParseFile(fset, rel, src, parser.ParseComments|parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				mirrors[path.Dir(rel)+"."+funcDeclName(fd)] = ""
			}
		}
		ms, _, err := scanGoSource(fset, rel, src)
		require.NoError(t, err)
		for _, m := range ms {
			mirrors[path.Dir(rel)+"."+m.Decl] = m.Ref.String()
		}
	}
	check := func(script, goFn, js string) {
		line, ok := mirrors[goFn]
		if !assert.True(t, ok, "%s names %s, which is not a function of the port", script, goFn) {
			return
		}
		name := js[strings.LastIndexAny(js, " .")+1:]
		assert.Contains(t, line, name+"()", "%s prints %q for %s, whose Mirrors line is %q", script, js, goFn, line)
	}

	src, err := os.ReadFile("delve/walkthrough.star")
	require.NoError(t, err)
	steps := walkStepRE.FindAllStringSubmatch(string(src), -1)
	require.NotEmpty(t, steps)
	for _, m := range steps {
		check("walkthrough.star", m[1], m[2])
	}
	src, err = os.ReadFile("delve/fbreak.star")
	require.NoError(t, err)
	entries := fbreakPathRE.FindAllStringSubmatch(string(src), -1)
	require.NotEmpty(t, entries)
	for _, m := range entries {
		check("fbreak.star", m[3], m[2])
	}
}
