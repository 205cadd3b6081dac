package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --- the tests ---------------------------------------------------------

// pinnedNodeLib skips the test unless the node on PATH is the pinned
// release, and otherwise extracts its sources into a temporary folder.
func pinnedNodeLib(t *testing.T) *jsLib {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skipf("node is not on PATH; this test needs node %s", PinnedNodeVersion)
	}
	out, err := exec.Command("node", "--version").Output()
	require.NoError(t, err, "node --version")
	if v := strings.TrimSpace(string(out)); v != PinnedNodeVersion {
		t.Skipf("node on PATH is %s; this test needs node %s", v, PinnedNodeVersion)
	}
	dir := t.TempDir()
	v, err := ExtractNodeLib(dir)
	require.NoError(t, err)
	require.Equal(t, PinnedNodeVersion, v)
	return newJSLib(dir)
}

// moduleRoot returns the repository root, which holds this module's
// go.mod, from the package folder the test runs in.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	gomod, err := os.Open(filepath.Join(root, "go.mod"))
	require.NoError(t, err, "docs/.. should be the module root")
	defer gomod.Close()
	sc := bufio.NewScanner(gomod)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
			require.Equal(t, "github.com/nodecluster/nodecluster", f[1])
			return root
		}
	}
	t.Fatalf("no module line in %s", gomod.Name())
	return ""
}

// TestMirrors checks every Mirrors line in the module: that it is the last
// paragraph of a declaration's doc comment, is well formed, and names
// exactly one definition in the pinned Node sources.
func TestMirrors(t *testing.T) {
	lib := pinnedNodeLib(t)
	root := moduleRoot(t)
	files, err := moduleGoFiles(root)
	require.NoError(t, err)

	fset := token.NewFileSet()
	checked, misplaced := 0, 0
	for _, path := range files {
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		rel, err := filepath.Rel(root, path)
		require.NoError(t, err)
		mirrors, problems, err := scanGoSource(fset, rel, src)
		if err != nil {
			t.Errorf("%v", err) // a parse error: the build will say more
			continue
		}
		misplaced += len(problems)
		for _, p := range problems {
			t.Errorf("%s:%d: %s", p.Pos.Filename, p.Pos.Line, p.Msg)
		}
		for _, m := range mirrors {
			checked++
			if _, err := lib.resolve(m.Ref); err != nil {
				t.Errorf("%s:%d: Mirrors %s: %v", m.Pos.Filename, m.Pos.Line, m.Ref, err)
			}
		}
	}
	t.Logf("checked %d Mirrors lines in %d Go files against node %s (and found %d malformed or misplaced)", checked, len(files), PinnedNodeVersion, misplaced)
}

// TestMirrorsResolver checks the checker: names known to exist in the
// pinned sources resolve to the right line, and wrong ones are refused.
func TestMirrorsResolver(t *testing.T) {
	lib := pinnedNodeLib(t)

	// Every extracted file must lex to balanced brackets, or the bodies
	// the resolver searches would be wrong.
	for _, id := range NodeLibModules {
		f, err := lib.file("lib/" + id + ".js")
		require.NoError(t, err)
		for _, pair := range []string{"()", "[]", "{}"} {
			assert.Equal(t, bytes.Count(f.code, []byte{pair[0]}), bytes.Count(f.code, []byte{pair[1]}),
				"lib/%s.js: unbalanced %s after masking comments and literals", id, pair)
		}
	}

	// Each good line must resolve, to a line that reads like its definition.
	good := []struct {
		line string
		want string // text expected on the resolved line
	}{
		{"Mirrors lib/internal/cluster/child.js rr().", "function rr("},
		{"Mirrors lib/internal/cluster/child.js rr() inner close().", "function close("},
		{"Mirrors lib/internal/cluster/child.js cluster._getServer().", "cluster._getServer = function("},
		{"Mirrors lib/internal/cluster/child.js cluster._setupWorker() inner onmessage().", "function onmessage("},
		{"Mirrors lib/internal/cluster/child.js Worker.prototype.disconnect().", "Worker.prototype.disconnect = function("},
		{"Mirrors lib/internal/cluster/round_robin_handle.js RoundRobinHandle.prototype.handoff().", "RoundRobinHandle.prototype.handoff = function("},
		{"Mirrors lib/internal/cluster/round_robin_handle.js RoundRobinHandle.prototype.distribute().", "RoundRobinHandle.prototype.distribute = function("},
		{"Mirrors lib/internal/cluster/round_robin_handle.js RoundRobinHandle().", "function RoundRobinHandle("},
		{"Mirrors lib/net.js Server.prototype.listen().", "Server.prototype.listen = function("},
		{"Mirrors lib/net.js listenInCluster() inner listenOnPrimaryHandle().", "function listenOnPrimaryHandle("},
		{"Mirrors lib/net.js setupListenHandle().", "function setupListenHandle("},
		{"Mirrors lib/net.js Server.prototype.close() inner onWorkerClose().", "const onWorkerClose = () => {"},
		{"Mirrors lib/net.js Socket.prototype._unrefTimer().", "Socket.prototype._unrefTimer = function _unrefTimer("},
		{"Mirrors lib/net.js Socket.prototype[kAfterAsyncWrite]().", "Socket.prototype[kAfterAsyncWrite] = function("},
		{"Mirrors lib/net.js:/^function listenInCluster\\(/.", "function listenInCluster("},
		{"Mirrors lib/internal/child_process.js setupChannel() inner target._send().", "target._send = function("},
		{"Mirrors lib/internal/child_process.js setupChannel() inner channel.onread().", "channel.onread = function("},
		{"Mirrors lib/internal/child_process.js setupChannel() inner finish().", "function finish("},
		{"Mirrors lib/internal/child_process.js handleConversion.'net.Native'.send().", "send(message, handle, options) {"},
		{"Mirrors lib/internal/child_process.js handleConversion.'net.Socket'.postSend().", "postSend(message, handle, options, callback, target) {"},
		{"Mirrors lib/internal/child_process.js Control.refCounted().", "refCounted() {"},
		{"Mirrors lib/internal/child_process.js Control.fd().", "get fd() {"},
		{"Mirrors lib/internal/child_process.js Control().", "class Control extends EventEmitter {"},
		{"Mirrors lib/internal/cluster/utils.js internal() inner onInternalMessage().", "return function onInternalMessage("},
		{"Mirrors lib/internal/cluster/primary.js cluster.fork().", "cluster.fork = function("},
		{"Mirrors lib/internal/cluster/primary.js cluster.setupPrimary().", "cluster.setupPrimary = function("},
		{"Mirrors lib/internal/cluster/primary.js cluster.setupMaster().", "cluster.setupMaster = cluster.setupPrimary;"},
		{"Mirrors lib/internal/cluster/primary.js close().", "function close(worker, message) {"},
		{"Mirrors lib/internal/cluster/worker.js Worker.prototype.send().", "Worker.prototype.send = function("},
		{"Mirrors lib/internal/cluster/worker.js Worker().", "function Worker("},
		{"Mirrors lib/events.js EventEmitter.prototype.emit().", "EventEmitter.prototype.emit = function emit("},
		{"Mirrors lib/events.js EventEmitter.prototype.on().", "EventEmitter.prototype.on = EventEmitter.prototype.addListener;"},
		{"Mirrors lib/events.js EventEmitter.prototype.listenerCount().", "EventEmitter.prototype.listenerCount = listenerCount;"},
		{"Mirrors lib/events.js listenerCount().", "function listenerCount("},
		{"Mirrors lib/events.js EventEmitter.listenerCount().", "EventEmitter.listenerCount = function("},
	}
	for _, tc := range good {
		ref, err := parseMirror(tc.line)
		require.NoError(t, err, tc.line)
		line, err := lib.resolve(ref)
		if assert.NoError(t, err, tc.line) {
			f, _ := lib.file(ref.File)
			got := string(f.src[f.lines[line-1]:])
			got, _, _ = strings.Cut(got, "\n")
			assert.Contains(t, got, tc.want, "%s resolved to line %d", tc.line, line)
		}
	}

	// Each bad line must be refused, for the reason given.
	bad := []struct {
		line string
		want string // expected in the error
	}{
		{"Mirrors lib/net.js noSuchFunction().", "no definition of noSuchFunction()"},
		{"Mirrors lib/internal/cluster/child.js rr() inner nosuch().", "no definition of nosuch() inside rr()"},
		{"Mirrors lib/internal/cluster/nosuch.js rr().", "not among the extracted Node sources"},
		{"Mirrors lib/internal/cluster/child.js close().", "inner"},                                   // only nested ones
		{"Mirrors lib/internal/cluster/child.js shared() inner close().", "no definition of close()"}, // handle.close = function is a property of another object
		{"Mirrors lib/internal/child_process.js handleConversion.send().", "no definition"},           // send is a member of the inner objects only
		{"Mirrors lib/net.js:/^function lookupAndConnect/.", "matches 2 times"},
		{"Mirrors lib/events.js once().", "2 definitions of once() at the top level"}, // EventEmitter.prototype.once = function once( and async function once(
		{"Mirrors lib/events.js abortListener().", "inner"},                           // nested in two functions
		{"Mirrors lib/internal/child_process.js handleConversion().", "is an object"},
		{"Mirrors lib/internal/cluster/child.js cluster.isWorker().", "no definition"}, // cluster.isWorker = true;
		{"Mirrors lib/internal/cluster/child.js cluster.Worker().", "no definition"},   // cluster.Worker = Worker; Worker is imported, not defined here
		{"Mirrors lib/internal/child_process.js nop().", "no definition"},              // const nop = FunctionPrototype;
		{"Mirrors lib/net.js:/(/.", "bad regexp"},
		{"Mirrors lib/internal/cluster/child.js handles().", "no definition"}, // a SafeMap, not a function
	}
	for _, tc := range bad {
		ref, err := parseMirror(tc.line)
		require.NoError(t, err, tc.line)
		_, err = lib.resolve(ref)
		if assert.Error(t, err, tc.line) {
			assert.Contains(t, err.Error(), tc.want, tc.line)
		}
	}
}

// TestMirrorsPlacement checks, without node, that Mirrors lines are found
// where they belong, and reported anywhere else.
func TestMirrorsPlacement(t *testing.T) {
	const src = `// Package p is a fixture.
//
// Mirrors lib/net.js Server(). (package docs are not declarations)
package p

// Good is fine.
//
// Mirrors lib/net.js Server.prototype.listen().
func Good() {}

// Alone is fine too.
//
// DEVIATION(fix): notes may come before it.
//
// Mirrors lib/internal/cluster/child.js rr() inner close().
//
//go:noinline
func Alone() {}

// Mirrors lib/net.js Socket().
type T struct {
	// Mirrors lib/net.js Socket.prototype.connect(). (fields are not declarations)
	F int
}

type (
	// U is grouped.
	//
	// Mirrors lib/net.js:/^function listenInCluster\(/.
	U int
)

// Method is fine.
//
// Mirrors lib/internal/child_process.js setupChannel() inner target._send().
func (T) Method() {
	// Mirrors lib/net.js afterConnect(). (not a doc comment)
}

// Glued has its Mirrors line in the same paragraph.
// Mirrors lib/net.js Server().
func Glued() {}

// Middle has it in the middle.
//
// Mirrors lib/net.js Server().
//
// More text.
func Middle() {}

// Twice has two.
//
// Mirrors lib/net.js Server().
// Mirrors lib/net.js Socket().
func Twice() {}

// NoParens is malformed.
//
// Mirrors lib/net.js Server.
func NoParens() {}

// NoLib is malformed.
//
// Mirrors net.js Server().
func NoLib() {}

// Prose mentioning that it
// Mirrors the way Node does things is no Mirrors line, and neither is a
// code block:
//
//	Mirrors lib/net.js Server().
func Prose() {}
`
	fset := token.NewFileSet()
	mirrors, problems, err := scanGoSource(fset, "p.go", []byte(src))
	require.NoError(t, err)

	var got []string
	for _, m := range mirrors {
		got = append(got, fmt.Sprintf("%d %s", m.Pos.Line, m.Ref))
	}
	assert.Equal(t, []string{
		"8 lib/net.js Server.prototype.listen()",
		"15 lib/internal/cluster/child.js rr() inner close()",
		"20 lib/net.js Socket()",
		"29 lib/net.js:/^function listenInCluster\\(/",
		"35 lib/internal/child_process.js setupChannel() inner target._send()",
	}, got)

	got = nil
	for _, p := range problems {
		msg, _, _ := strings.Cut(p.Msg, " \"")
		got = append(got, fmt.Sprintf("%d %s", p.Pos.Line, msg))
	}
	assert.Equal(t, []string{
		"3 Mirrors line is not in the doc comment of a declaration",
		"22 Mirrors line is not in the doc comment of a declaration",
		"37 Mirrors line is not in the doc comment of a declaration",
		"41 Mirrors line must be the last paragraph of the doc comment, on its own (blank // line before it, nothing after it)",
		"46 Mirrors line must be the last paragraph of the doc comment, on its own (blank // line before it, nothing after it)",
		"53 doc comment has 2 Mirrors lines; want exactly one",
		"54 doc comment has 2 Mirrors lines; want exactly one",
		"59 malformed Mirrors line",
		"64 malformed Mirrors line",
	}, got)
}

// TestParseMirror checks the grammar of Mirrors lines.
func TestParseMirror(t *testing.T) {
	for line, want := range map[string][]string{
		"Mirrors lib/internal/cluster/child.js rr().":                                                  {"rr"},
		"Mirrors lib/internal/cluster/child.js rr() inner close().":                                    {"rr", "close"},
		"Mirrors lib/a.js f() inner g() inner h().":                                                    {"f", "g", "h"},
		"Mirrors lib/internal/child_process.js setupChannel() inner target._send().":                   {"setupChannel", "target._send"},
		"Mirrors lib/internal/child_process.js handleConversion.'net.Native'.send().":                  {"handleConversion", "'net.Native'", "send"},
		"Mirrors lib/net.js Socket.prototype[kAfterAsyncWrite]().":                                     {"Socket", "prototype[kAfterAsyncWrite]"},
		"Mirrors lib/internal/cluster/round_robin_handle.js RoundRobinHandle.prototype.distribute(). ": {"RoundRobinHandle", "prototype", "distribute"},
	} {
		ref, err := parseMirror(line)
		if !assert.NoError(t, err, line) {
			continue
		}
		var segs []string
		for _, name := range ref.Chain {
			segs = append(segs, splitJSPath(name)...)
		}
		if len(ref.Chain) > 1 {
			segs = ref.Chain
		}
		assert.Equal(t, want, segs, line)
	}

	ref, err := parseMirror(`Mirrors lib/net.js:/^function listenInCluster\(/.`)
	require.NoError(t, err)
	assert.Equal(t, mirrorRef{File: "lib/net.js", Regexp: `^function listenInCluster\(`}, ref)

	for _, line := range []string{
		"Mirrors lib/net.js Server.",             // no ()
		"Mirrors lib/net.js Server()",            // no period
		"Mirrors net.js Server().",               // not under lib/
		"Mirrors lib/net.js Server() Socket().",  // two names without inner
		"Mirrors lib/net.js f() inner ().",       // empty inner name
		"Mirrors lib/net.js f()  inner g().",     // spacing
		"Mirrors lib/net.js target.on('x')().",   // not a name path
		"Mirrors lib/net.js :/x/.",               // address with a space
		"Mirrors lib/net.js://.",                 // empty address
		"Mirrors  lib/net.js Server().",          // two spaces
		"Mirrors lib/net.js Server(). And more.", // trailing text
	} {
		_, err := parseMirror(line)
		assert.Error(t, err, line)
	}
}

// TestNodeSrcScriptListsTheSameModules: scripts/node-src, which writes the
// pinned sources for readers, names the modules NodeLibModules names (the
// ones the tests extract), so that every file a Mirrors line names is in
// _node/lib after running it.
func TestNodeSrcScriptListsTheSameModules(t *testing.T) {
	script, err := os.ReadFile(filepath.Join(moduleRoot(t), "scripts", "node-src"))
	require.NoError(t, err)
	text := string(script)
	start := strings.Index(text, "modules=(")
	require.NotEqual(t, -1, start, "scripts/node-src has no modules=( list")
	end := strings.Index(text[start:], ")")
	require.NotEqual(t, -1, end)
	listed := strings.Fields(text[start+len("modules=(") : start+end])
	assert.Equal(t, NodeLibModules, listed, "scripts/node-src's modules differ from docs.NodeLibModules")
}
