package docs

import (
	"bytes"
	"fmt"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkFresh fails when the committed docs/<name> differs from what the
// generator writes now.
func checkFresh(t *testing.T, name string, want []byte) {
	t.Helper()
	have, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v: run go generate ./docs", err)
	}
	if bytes.Equal(have, want) {
		return
	}
	hl, wl := strings.Split(string(have), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(hl), len(wl)); i++ {
		var h, w string
		if i < len(hl) {
			h = hl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if h != w {
			t.Fatalf("docs/%s is stale: run go generate ./docs\nfirst difference, line %d:\n  committed: %s\n  generated: %s", name, i+1, h, w)
		}
	}
}

// TestGeneratedDocs regenerates PORTING.md and DEVIATIONS.md in memory
// and fails when the committed files are stale, when a function of the
// mirrored JS has neither a Go counterpart nor an OMITTED(node) note, and
// when a Mirrors line or OMITTED note names nothing.
func TestGeneratedDocs(t *testing.T) {
	root := moduleRoot(t)
	t.Run("DEVIATIONS.md", func(t *testing.T) {
		got, err := GenerateDeviations(root)
		require.NoError(t, err)
		again, err := GenerateDeviations(root)
		require.NoError(t, err)
		require.Equal(t, string(got), string(again), "two runs differ")
		checkFresh(t, "DEVIATIONS.md", got)
	})
	t.Run("PORTING.md", func(t *testing.T) {
		lib := pinnedNodeLib(t)
		files, problems, err := Generate(root, lib.dir)
		require.NoError(t, err)
		for _, p := range problems {
			t.Error(p)
		}
		again, _, err := Generate(root, lib.dir)
		require.NoError(t, err)
		require.Equal(t, string(files["PORTING.md"]), string(again["PORTING.md"]), "two runs differ")
		require.Equal(t, string(files["DEVIATIONS.md"]), string(again["DEVIATIONS.md"]), "two runs differ")
		checkFresh(t, "PORTING.md", files["PORTING.md"])
	})
}

// TestJSFunctions checks, without node, what the porting map counts as a
// function and the names it gives them.
func TestJSFunctions(t *testing.T) {
	const src = `'use strict';
const noop = () => {};
function top(a) {
  function inner() { return 1; }
  const arrow = (x) => x + 1;
  this.handle.onconnection = (err, h) => this.go(err, h);
  foo(function () {});  // anonymous: not listed
}
Thing.prototype.method = function method() {
  // function notCode() {
  const s = 'function notAString() {';
};
Thing.prototype.alias = top;
module.exports = top;
const table = {
  'a.b': {
    send(message) { return message; },
    got: function(m) {},
  },
  plain: 1,
};
class K extends E {
  constructor(x) { super(); }
  ref() {}
  get fd() { return 3; }
}
if (isWindows) {
  twice = function(handle) {};
} else {
  twice = function() {};
}
`
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "x"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x", "f.js"), []byte(src), 0o644))
	f, err := newJSLib(dir).file("lib/x/f.js")
	require.NoError(t, err)
	fns, err := f.functions("lib/x/f.js")
	require.NoError(t, err)
	var got []string
	for _, fn := range fns {
		s := fmt.Sprintf("%d %s %s", fn.Line, fn.Kind, fn.Display())
		if fn.Ref.Chain == nil {
			s += " @ /" + fn.Ref.Regexp + "/"
		}
		if fn.Container != nil {
			s += " in " + fn.Container.Name
		}
		got = append(got, s)
	}
	assert.Equal(t, []string{
		"2 arrow assignment noop()",
		"3 function top()",
		"4 function top() inner inner()",
		"5 arrow assignment top() inner arrow()",
		"6 arrow assignment top() inner this.handle.onconnection()",
		"9 function assignment Thing.prototype.method()",
		"13 alias Thing.prototype.alias()",
		"15 object table @ /^const table = \\{$/",
		"16 object table.'a.b' @ /^  'a\\.b': \\{$/ in table",
		"17 method table.'a.b'.send() in table.'a.b'",
		"18 function property table.'a.b'.got() in table.'a.b'",
		"22 class K()",
		"24 method K.ref() in K",
		"25 method K.fd() in K",
		"28 function assignment twice() (line 28) @ /^  twice = function\\(handle\\) \\{\\};$/",
		"30 function assignment twice() (line 30) @ /^  twice = function\\(\\) \\{\\};$/",
	}, got)
}

// TestParseOmitted checks the two forms of an OMITTED note that names a
// JS function, and that other notes are features, not functions.
func TestParseOmitted(t *testing.T) {
	ref, reason, ok := parseOmitted("lib/net.js Socket.prototype.connect(): the port has no client side.")
	require.True(t, ok)
	assert.Equal(t, mirrorRef{File: "lib/net.js", Chain: []string{"Socket.prototype.connect"}}, ref)
	assert.Equal(t, "the port has no client side.", reason)

	ref, reason, ok = parseOmitted("lib/net.js Server.prototype.close() inner onWorkerClose(): no socket lists.")
	require.True(t, ok)
	assert.Equal(t, []string{"Server.prototype.close", "onWorkerClose"}, ref.Chain)
	assert.Equal(t, "no socket lists.", reason)

	ref, reason, ok = parseOmitted(`lib/net.js:/^  _setSimultaneousAccepts = function\(\)/: Windows only.`)
	require.True(t, ok)
	assert.Equal(t, `^  _setSimultaneousAccepts = function\(\)`, ref.Regexp)
	assert.Equal(t, "Windows only.", reason)

	_, _, ok = parseOmitted("advanced serialization is not ported.")
	assert.False(t, ok)
}

// TestScanNotes checks, without node, where notes are found, how far
// their text runs and what they are said to be on.
func TestScanNotes(t *testing.T) {
	const src = `// Package p is a fixture.
//
// OMITTED(node): lib/net.js f(): one.
//
// OMITTED(node): lib/net.js g(): two,
// on two lines.
// OMITTED(node): lib/net.js h(): three.
package p

// T is a type.
type T struct {
	// F is a field. DEVIATION(shape): Node has a string
	// here.
	F int
}

// M does things.
//
// DEVIATION(fix): Node crashes;
// the port does not.
//
// Mirrors lib/net.js Server().
func (t *T) M() {
	// DEVIATION(goroutine): inside a body.
}

// Code blocks are not notes:
//
//	DEVIATION(fix): no.
func G() {}
`
	notes, err := scanNotes(token.NewFileSet(), "p/p.go", []byte(src))
	require.NoError(t, err)
	var got []string
	for _, n := range notes {
		got = append(got, fmt.Sprintf("%d %s(%s) on %s: %s mid=%v", n.Pos.Line, n.Marker, n.Kind, n.On(), n.Text, n.MidLine))
	}
	assert.Equal(t, []string{
		"3 OMITTED(node) on package p: lib/net.js f(): one. mid=false",
		"5 OMITTED(node) on package p: lib/net.js g(): two, on two lines. mid=false",
		"7 OMITTED(node) on package p: lib/net.js h(): three. mid=false",
		"12 DEVIATION(shape) on p.T.F: Node has a string here. mid=true",
		"19 DEVIATION(fix) on p.(*T).M: Node crashes; the port does not. mid=false",
		"24 DEVIATION(goroutine) on p.(*T).M: inside a body. mid=false",
	}, got)
}
