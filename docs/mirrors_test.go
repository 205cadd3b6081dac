package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Mirrors line names the JavaScript definition a Go declaration follows.
// It is the last paragraph of the declaration's doc comment and reads
//
//	Mirrors <lib/path.js> <name>()[ inner <name>()]….
//	Mirrors <lib/path.js>:/<regexp>/.
//
// where a name is a dotted path such as rr, cluster._getServer,
// Server.prototype.listen or handleConversion.'net.Socket'.send, and the
// second form is an acme-style address for definitions the names cannot
// reach.
var mirrorLineRE = regexp.MustCompile(`^Mirrors (lib/\S+\.js)(:/.*/|\s+(.+)\(\))\.\s*$`)

// mirrorishRE matches any comment line that was meant to be a Mirrors line,
// well formed or not, so that malformed and misplaced ones get reported
// instead of silently ignored.
var mirrorishRE = regexp.MustCompile(`^Mirrors\s+(lib/|\S+\.js\b)`)

// nodeTestRefRE matches the other kind of Mirrors line: a Go test naming
// the test of Node's own suite it ports ("Mirrors
// test/parallel/test-cluster-worker-kill.js"). Those name no definition
// in lib/ and are not checked here.
var nodeTestRefRE = regexp.MustCompile(`^Mirrors\s+test/`)

// jsPathRE is the grammar of one name in a Mirrors line: segments joined by
// dots, each an identifier (optionally #private, optionally followed by
// [computed] keys) or a quoted property key.
var jsPathRE = regexp.MustCompile(`^(?:#?[A-Za-z_$][\w$]*(?:\[[^\[\]]+\])*|'[^']*'|"[^"]*")(?:\.(?:#?[A-Za-z_$][\w$]*(?:\[[^\[\]]+\])*|'[^']*'|"[^"]*"))*$`)

// mirrorRef is a parsed Mirrors line.
type mirrorRef struct {
	File   string   // as written, e.g. "lib/net.js"
	Regexp string   // for the address form: the text between the slashes
	Chain  []string // for the name form: outermost first
}

func (r mirrorRef) String() string {
	if r.Chain == nil {
		return r.File + ":/" + r.Regexp + "/"
	}
	return r.File + " " + strings.Join(r.Chain, "() inner ") + "()"
}

func parseMirror(line string) (mirrorRef, error) {
	m := mirrorLineRE.FindStringSubmatch(line)
	if m == nil {
		return mirrorRef{}, fmt.Errorf("malformed Mirrors line %q: want \"Mirrors lib/<file>.js <name>()[ inner <name>()]….\", or \"Mirrors lib/<file>.js:/<regexp>/.\" for what no name reaches (such as an anonymous callback)", line)
	}
	ref := mirrorRef{File: m[1]}
	if strings.HasPrefix(m[2], ":/") {
		ref.Regexp = m[2][2 : len(m[2])-1]
		if ref.Regexp == "" {
			return mirrorRef{}, fmt.Errorf("malformed Mirrors line %q: empty regexp", line)
		}
		return ref, nil
	}
	for _, name := range strings.Split(m[3], "() inner ") {
		if !jsPathRE.MatchString(name) {
			return mirrorRef{}, fmt.Errorf("malformed Mirrors line %q: %q is not a JS name path (names are joined by \"() inner \")", line, name)
		}
		ref.Chain = append(ref.Chain, name)
	}
	return ref, nil
}

// splitJSPath splits a name path at the dots that separate its segments.
func splitJSPath(p string) []string {
	var segs []string
	start, inBracket := 0, 0
	var quote byte
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[':
			inBracket++
		case c == ']':
			inBracket--
		case c == '.' && inBracket == 0:
			segs = append(segs, p[start:i])
			start = i + 1
		}
	}
	return append(segs, p[start:])
}

// --- Go side: finding the Mirrors lines ---------------------------------

// goMirror is one well-formed, well-placed Mirrors line.
type goMirror struct {
	Pos token.Position
	Ref mirrorRef
}

// goProblem is a Mirrors line that is malformed or misplaced.
type goProblem struct {
	Pos token.Position
	Msg string
}

type commentLine struct {
	text      string
	pos       token.Position
	directive bool
}

// isGoDirective reports whether a // comment's text (after the slashes) is
// a directive such as go:generate, which go/doc leaves out of doc text.
func isGoDirective(s string) bool {
	for _, p := range []string{"line ", "extern ", "export "} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return goDirectiveRE.MatchString(s)
}

var goDirectiveRE = regexp.MustCompile(`^[a-z0-9]+:[a-z0-9]`)

// splitComment returns the lines of a comment group as go/doc sees them:
// comment markers removed, one leading space of a // line dropped, so that
// an indented (code block) line keeps its indentation.
func splitComment(fset *token.FileSet, cg *ast.CommentGroup) []commentLine {
	var lines []commentLine
	for _, c := range cg.List {
		pos := fset.Position(c.Slash)
		if strings.HasPrefix(c.Text, "//") {
			s := c.Text[2:]
			dir := isGoDirective(s)
			s = strings.TrimPrefix(s, " ")
			lines = append(lines, commentLine{text: strings.TrimRight(s, " \t\r"), pos: pos, directive: dir})
			continue
		}
		body := strings.TrimSuffix(strings.TrimPrefix(c.Text, "/*"), "*/")
		for i, s := range strings.Split(body, "\n") {
			p := pos
			p.Line += i
			if i > 0 {
				p.Column = 1
			}
			s = strings.TrimSpace(s)
			if strings.HasPrefix(s, "*") {
				s = strings.TrimSpace(s[1:])
			}
			lines = append(lines, commentLine{text: s, pos: p})
		}
	}
	return lines
}

// declDocs returns the comment groups that are doc comments of
// declarations: functions and methods, and type, var and const
// declarations and specs.
func declDocs(f *ast.File) map[*ast.CommentGroup]bool {
	docs := make(map[*ast.CommentGroup]bool)
	add := func(cg *ast.CommentGroup) {
		if cg != nil {
			docs[cg] = true
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			add(d.Doc)
		case *ast.GenDecl:
			if d.Tok == token.IMPORT {
				continue
			}
			add(d.Doc)
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					add(s.Doc)
				case *ast.ValueSpec:
					add(s.Doc)
				}
			}
		}
	}
	return docs
}

// scanGoSource finds the Mirrors lines of one Go file and reports those
// that are malformed or not the last paragraph of a declaration's doc
// comment.
func scanGoSource(fset *token.FileSet, filename string, src []byte) ([]goMirror, []goProblem, error) {
	f, err := parser.ParseFile(fset, filename, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, nil, err
	}
	docs := declDocs(f)
	var mirrors []goMirror
	var problems []goProblem
	for _, cg := range f.Comments {
		all := splitComment(fset, cg)
		var lines []commentLine // the doc text: directives dropped
		for _, l := range all {
			if !l.directive {
				lines = append(lines, l)
			}
		}
		for len(lines) > 0 && lines[len(lines)-1].text == "" {
			lines = lines[:len(lines)-1]
		}
		var hits []int
		for i, l := range lines {
			if mirrorishRE.MatchString(l.text) && !nodeTestRefRE.MatchString(l.text) {
				hits = append(hits, i)
			}
		}
		if len(hits) == 0 {
			continue
		}
		if !docs[cg] {
			for _, i := range hits {
				problems = append(problems, goProblem{lines[i].pos, "Mirrors line is not in the doc comment of a declaration"})
			}
			continue
		}
		if len(hits) > 1 {
			for _, i := range hits {
				problems = append(problems, goProblem{lines[i].pos, fmt.Sprintf("doc comment has %d Mirrors lines; want exactly one", len(hits))})
			}
			continue
		}
		i := hits[0]
		if i != len(lines)-1 || (i > 0 && strings.TrimSpace(lines[i-1].text) != "") {
			problems = append(problems, goProblem{lines[i].pos, "Mirrors line must be the last paragraph of the doc comment, on its own (blank // line before it, nothing after it)"})
			continue
		}
		ref, err := parseMirror(lines[i].text)
		if err != nil {
			problems = append(problems, goProblem{lines[i].pos, err.Error()})
			continue
		}
		mirrors = append(mirrors, goMirror{lines[i].pos, ref})
	}
	return mirrors, problems, nil
}

// moduleGoFiles lists the .go files of the module rooted at root, leaving
// out folders the go tool ignores (hidden, _-prefixed such as _node,
// testdata), vendor, and nested modules.
func moduleGoFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == root {
				return nil
			}
			name := d.Name()
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	return files, err
}

// --- JS side: resolving names against the pinned sources ----------------

// jsFile is one extracted Node source file.
type jsFile struct {
	src   []byte
	code  []byte // src with comments and literal contents blanked
	depth []int  // depth[i]: number of { open before src[i], in code
	lines []int  // offsets of line starts
}

func newJSFile(src []byte) *jsFile {
	f := &jsFile{src: src, code: maskJS(src), depth: make([]int, len(src)+1)}
	d := 0
	for i, c := range f.code {
		f.depth[i] = d
		switch c {
		case '{':
			d++
		case '}':
			d--
		}
	}
	f.depth[len(src)] = d
	f.lines = append(f.lines, 0)
	for i, c := range src {
		if c == '\n' {
			f.lines = append(f.lines, i+1)
		}
	}
	return f
}

// line returns the 1-based line number of offset off.
func (f *jsFile) line(off int) int {
	return sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off })
}

// maskJS returns a copy of src in which comments and the contents of
// string, template and regular expression literals are spaces. Offsets and
// newlines are unchanged, so the copy can be searched and its brackets
// counted without being fooled by text that is not code. String quotes
// are kept, so a quoted property key still shows where it starts and ends.
func maskJS(src []byte) []byte {
	l := &jsLexer{src: src, out: bytes.Clone(src)}
	for l.i < len(src) {
		l.code()
		if l.i < len(src) { // a stray '}': step over it
			l.i++
		}
	}
	return l.out
}

type jsLexer struct {
	src, out []byte
	i        int
	prev     byte   // last significant code character; 'a' after a word or literal
	word     string // the last word, when prev == 'a'
}

func (l *jsLexer) blank(from, to int) {
	for k := from; k < to && k < len(l.out); k++ {
		if l.out[k] != '\n' {
			l.out[k] = ' '
		}
	}
}

// regexKeywords are the words after which a slash starts a regular
// expression rather than dividing.
var regexKeywords = map[string]bool{
	"return": true, "typeof": true, "case": true, "do": true, "else": true,
	"in": true, "of": true, "new": true, "delete": true, "void": true,
	"throw": true, "instanceof": true, "yield": true, "await": true,
}

func (l *jsLexer) regexAllowed() bool {
	if l.prev == 'a' {
		return regexKeywords[l.word]
	}
	return l.prev == 0 || strings.IndexByte("(,=:[!&|?{};+-*%<>~^", l.prev) >= 0
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c == '#' || c >= 0x80 ||
		'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// code lexes code from l.i up to the end of src or to a '}' that closes
// no brace opened here, such as the one ending a template substitution,
// leaving l.i on it.
func (l *jsLexer) code() {
	src := l.src
	depth := 0
	for l.i < len(src) {
		c := src[l.i]
		next := byte(0)
		if l.i+1 < len(src) {
			next = src[l.i+1]
		}
		switch {
		case c == '/' && next == '/':
			end := bytes.IndexByte(src[l.i:], '\n')
			if end < 0 {
				end = len(src) - l.i
			}
			l.blank(l.i, l.i+end)
			l.i += end
		case c == '/' && next == '*':
			end := bytes.Index(src[l.i+2:], []byte("*/"))
			if end < 0 {
				end = len(src) - l.i
			} else {
				end += 4
			}
			l.blank(l.i, l.i+end)
			l.i += end
		case c == '\'' || c == '"':
			l.quoted(c)
		case c == '`':
			l.template()
		case c == '/' && l.regexAllowed():
			l.regex()
		case c == '{':
			depth++
			l.prev = c
			l.i++
		case c == '}':
			if depth == 0 {
				return
			}
			depth--
			l.prev = c
			l.i++
		case isIdentByte(c):
			start := l.i
			for l.i < len(src) && isIdentByte(src[l.i]) {
				l.i++
			}
			l.prev, l.word = 'a', string(src[start:l.i])
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			l.i++
		default:
			l.prev = c
			l.i++
		}
	}
}

func (l *jsLexer) quoted(q byte) {
	j := l.i + 1
	for j < len(l.src) && l.src[j] != q && l.src[j] != '\n' {
		if l.src[j] == '\\' {
			j++
		}
		j++
	}
	l.blank(l.i+1, j)
	l.i = min(j+1, len(l.src))
	l.prev, l.word = 'a', ""
}

func (l *jsLexer) template() {
	j := l.i + 1
	from := j
	for j < len(l.src) && l.src[j] != '`' {
		switch {
		case l.src[j] == '\\':
			j += 2
		case l.src[j] == '$' && j+1 < len(l.src) && l.src[j+1] == '{':
			l.i = j + 2
			l.prev = '{'
			l.code()
			j = l.i + 1 // past the closing '}'
		default:
			j++
		}
	}
	l.blank(from, j)
	l.i = min(j+1, len(l.src))
	l.prev, l.word = 'a', ""
}

func (l *jsLexer) regex() {
	j := l.i + 1
	inClass := false
	for j < len(l.src) && l.src[j] != '\n' {
		c := l.src[j]
		if c == '\\' {
			j += 2
			continue
		}
		if c == '[' {
			inClass = true
		} else if c == ']' {
			inClass = false
		} else if c == '/' && !inClass {
			break
		}
		j++
	}
	if j >= len(l.src) || l.src[j] != '/' {
		// Not a regular expression after all: treat the slash as an operator.
		l.prev = '/'
		l.i++
		return
	}
	l.blank(l.i+1, j)
	j++
	for j < len(l.src) && isIdentByte(l.src[j]) { // flags
		j++
	}
	l.i = j
	l.prev, l.word = 'a', ""
}

// closer returns the offset of the bracket that closes the one at open, in
// code, or -1.
func (f *jsFile) closer(open int) int {
	d := 0
	for i := open; i < len(f.code); i++ {
		switch f.code[i] {
		case '(', '[', '{':
			d++
		case ')', ']', '}':
			d--
			if d == 0 {
				return i
			}
		}
	}
	return -1
}

// skipSpace returns the first offset at or after i that is not blank in
// code.
func (f *jsFile) skipSpace(i int) int {
	for i < len(f.code) && (f.code[i] == ' ' || f.code[i] == '\t' || f.code[i] == '\n' || f.code[i] == '\r') {
		i++
	}
	return i
}

// jsDef is a definition found in a jsFile.
type jsDef struct {
	at     int    // offset of the defined name
	lo, hi int    // body, between its braces; lo < 0 when there is none
	kind   string // for messages
	alias  string // for an alias, the name it assigns
}

// block returns the body of the braces at open, or lo < 0.
func (f *jsFile) block(open int) (lo, hi int) {
	if open >= len(f.code) || f.code[open] != '{' {
		return -1, -1
	}
	c := f.closer(open)
	if c < 0 {
		return -1, -1
	}
	return open + 1, c
}

// afterParams takes the offset of a parameter list's '(' and returns the
// offset of what follows the matching ')', skipping space, or -1.
func (f *jsFile) afterParams(open int) int {
	if open >= len(f.code) || f.code[open] != '(' {
		return -1
	}
	c := f.closer(open)
	if c < 0 {
		return -1
	}
	return f.skipSpace(c + 1)
}

// The shapes a definition can take. Each is completed by a function that
// looks at the code after the match, with end the offset just past it.
type defShape struct {
	kind      string
	pattern   string // NAME stands for the quoted name
	container bool   // defines an object or class whose members can be named
	callable  bool   // defines a function
	complete  func(f *jsFile, end int) (lo, hi int, ok bool)
}

// funcAfterParen: the match ends just past the '(' of the parameters.
func funcAfterParen(f *jsFile, end int) (int, int, bool) {
	p := f.afterParams(end - 1)
	if p < 0 {
		return 0, 0, false
	}
	lo, hi := f.block(p)
	return lo, hi, lo >= 0
}

// funcAfterKeyword: the match ends just past the keyword function.
func funcAfterKeyword(f *jsFile, end int) (int, int, bool) {
	p := bytes.IndexByte(f.code[end:], '(')
	if p < 0 {
		return 0, 0, false
	}
	return funcAfterParen(f, end+p+1)
}

// arrow: the match ends just past "(" or "=>".
func arrow(f *jsFile, end int) (int, int, bool) {
	p := end
	if f.code[end-1] == '(' {
		p = f.afterParams(end - 1)
		if p < 0 || !bytes.HasPrefix(f.code[p:], []byte("=>")) {
			return 0, 0, false
		}
		p += 2
	}
	p = f.skipSpace(p)
	if lo, hi := f.block(p); lo >= 0 {
		return lo, hi, true
	}
	return -1, -1, true // an expression body
}

// braceAtEnd: the match ends just past a '{'.
func braceAtEnd(f *jsFile, end int) (int, int, bool) {
	lo, hi := f.block(end - 1)
	return lo, hi, lo >= 0
}

// classBody: the match ends after the class name.
func classBody(f *jsFile, end int) (int, int, bool) {
	p := bytes.IndexByte(f.code[end-1:], '{')
	if p < 0 {
		return 0, 0, false
	}
	lo, hi := f.block(end - 1 + p)
	return lo, hi, lo >= 0
}

func noBody(*jsFile, int) (int, int, bool) { return -1, -1, true }

// Before a name that is looked up in full: not part of a longer name or
// property path.
const bound = `(?:^|[^\w$.#])`

// Before a member name: start of a property in an object literal.
const memberBound = `(?:^|[\s,{])`

// Shapes for a whole name path, in any scope.
var fullShapes = []defShape{
	{kind: "function", pattern: `\bfunction(?:\s*\*\s*|\s+)(?P<n>NAME)\s*\(`, callable: true, complete: funcAfterParen},
	{kind: "function assignment", pattern: bound + `(?P<n>NAME)\s*=\s*(?:async\s+)?function\b`, callable: true, complete: funcAfterKeyword},
	{kind: "arrow assignment", pattern: bound + `(?P<n>NAME)\s*=\s*(?:async\s*)?(?:\(|[\w$]+\s*=>)`, callable: true, complete: arrow},
	{kind: "class", pattern: bound + `class\s+(?P<n>NAME)[\s{]`, callable: true, container: true, complete: classBody},
	{kind: "object", pattern: bound + `(?P<n>NAME)\s*=\s*\{`, container: true, complete: braceAtEnd},
}

// Shapes for the last segment of a path, inside the object or class the
// rest of the path names.
var memberShapes = []defShape{
	{kind: "method", pattern: `(?m)^[ \t]*(?:static\s+)?(?:async\s+)?(?:[gs]et\s+)?(?:\*\s*)?(?P<n>NAME)\s*\(`, callable: true, complete: funcAfterParen},
	{kind: "function property", pattern: memberBound + `(?P<n>NAME)\s*:\s*(?:async\s+)?function\b`, callable: true, complete: funcAfterKeyword},
	{kind: "arrow property", pattern: memberBound + `(?P<n>NAME)\s*:\s*(?:async\s*)?(?:\(|[\w$]+\s*=>)`, callable: true, complete: arrow},
	{kind: "object property", pattern: memberBound + `(?P<n>NAME)\s*:\s*\{`, container: true, complete: braceAtEnd},
}

// aliasShape is a plain assignment of another definition, such as
// cluster.setupMaster = cluster.setupPrimary; or
// EventEmitter.prototype.listenerCount = listenerCount; it counts only at
// the top level of a file, when nothing else defines the name, and when
// what it assigns is itself a function defined at the top level.
var aliasShape = defShape{kind: "alias", pattern: bound + `(?P<n>NAME)\s*=\s*(?P<r>[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*;`, callable: true, complete: noBody}

// isCode reports whether src[lo:hi] is code, not comment or literal text;
// a quoted name counts when its quotes are code.
func (f *jsFile) isCode(lo, hi int, quoted bool) bool {
	if quoted {
		return f.code[lo] == f.src[lo] && f.code[hi-1] == f.src[hi-1]
	}
	return bytes.Equal(f.code[lo:hi], f.src[lo:hi])
}

// findShape returns the definitions of name in src[lo:hi] that have the
// given shape.
func (f *jsFile) findShape(s defShape, name string, lo, hi int) []jsDef {
	re := regexp.MustCompile(strings.Replace(s.pattern, "NAME", regexp.QuoteMeta(name), 1))
	quoted := name[0] == '\'' || name[0] == '"'
	ni, ri := re.SubexpIndex("n"), re.SubexpIndex("r")
	var defs []jsDef
	for _, m := range re.FindAllSubmatchIndex(f.src[lo:hi], -1) {
		end, nlo, nhi := lo+m[1], lo+m[2*ni], lo+m[2*ni+1]
		if !f.isCode(nlo, nhi, quoted) || !f.isCode(nhi, end, false) {
			continue
		}
		blo, bhi, ok := s.complete(f, end)
		if !ok {
			continue
		}
		d := jsDef{at: nlo, lo: blo, hi: bhi, kind: s.kind}
		if ri >= 0 {
			d.alias = string(f.src[lo+m[2*ri] : lo+m[2*ri+1]])
		}
		defs = append(defs, d)
	}
	return defs
}

// findOpts says which definitions find counts.
type findOpts struct {
	nested    bool // also those nested deeper than the region's own level
	container bool // those that can hold members, instead of callable ones
	noAlias   bool // not aliases
}

// find returns the definitions of the name path p in src[lo:hi]. An error
// explains an ambiguous prefix.
func (f *jsFile) find(p string, lo, hi int, o findOpts) ([]jsDef, error) {
	segs := splitJSPath(p)
	quoted := strings.ContainsAny(p, `'"`)
	level := f.depth[lo]
	keep := func(d jsDef, s defShape, want int) bool {
		if o.container && !s.container || !o.container && !s.callable {
			return false
		}
		return o.nested || f.depth[d.at] == want
	}
	var defs []jsDef
	seen := make(map[int]bool) // by body, so that `const f = function f() {` counts once
	add := func(d jsDef) {
		key := d.lo
		if key < 0 {
			key = -1 - d.at
		}
		if !seen[key] {
			seen[key] = true
			defs = append(defs, d)
		}
	}
	if !quoted {
		for _, s := range fullShapes {
			if len(segs) > 1 && (s.kind == "function" || s.kind == "class") {
				continue
			}
			for _, d := range f.findShape(s, p, lo, hi) {
				if keep(d, s, level) {
					add(d)
				}
			}
		}
	}
	if len(defs) == 0 && len(segs) > 1 {
		prefix := strings.Join(segs[:len(segs)-1], ".")
		outer, err := f.find(prefix, lo, hi, findOpts{nested: o.nested, container: true})
		switch {
		case err != nil:
			return nil, err
		case len(outer) > 1:
			return nil, fmt.Errorf("%s has %d definitions that could hold %s, at lines %s", prefix, len(outer), segs[len(segs)-1], f.lineList(outer))
		case len(outer) == 1:
			c := outer[0]
			for _, s := range memberShapes {
				for _, d := range f.findShape(s, segs[len(segs)-1], c.lo, c.hi) {
					if keep(d, s, f.depth[c.lo]) && f.depth[d.at] == f.depth[c.lo] {
						add(d)
					}
				}
			}
		}
	}
	if len(defs) == 0 && !o.container && !o.noAlias && !o.nested && !quoted && lo == 0 {
		// Aliases are a module-level idiom; inside functions the same
		// shape is a local saving some value (const close = handle.close;).
		for _, d := range f.findShape(aliasShape, p, lo, hi) {
			if !keep(d, aliasShape, level) {
				continue
			}
			// The assigned value must be a function defined at the top
			// level of the file.
			if target, _ := f.find(d.alias, 0, len(f.src), findOpts{noAlias: true}); len(target) == 1 {
				add(d)
			}
		}
	}
	return defs, nil
}

func (f *jsFile) lineList(defs []jsDef) string {
	var s []string
	for _, d := range defs {
		s = append(s, fmt.Sprint(f.line(d.at)))
	}
	return strings.Join(s, ", ")
}

// resolve finds the one definition a chain of names refers to: the first
// at the top level of the file, each later one anywhere inside the body of
// the one before. It returns the line of the definition.
func (f *jsFile) resolve(chain []string) (int, error) {
	lo, hi := 0, len(f.src)
	for i, name := range chain {
		defs, err := f.find(name, lo, hi, findOpts{nested: i > 0})
		if err != nil {
			return 0, err
		}
		where := "at the top level"
		if i > 0 {
			where = fmt.Sprintf("inside %s() (lines %d-%d)", chain[i-1], f.line(lo), f.line(hi))
		}
		switch len(defs) {
		case 0:
			if i == 0 {
				if nested, _ := f.find(name, lo, hi, findOpts{nested: true}); len(nested) > 0 {
					return 0, fmt.Errorf("no definition of %s() %s; it is defined only inside a block or another function, at line %s: name the enclosing function too, with inner, or use a :/regexp/ address", name, where, f.lineList(nested))
				}
			}
			if objs, _ := f.find(name, lo, hi, findOpts{nested: i > 0, container: true}); len(objs) > 0 {
				return 0, fmt.Errorf("no function %s() %s; %s at line %s is an object, and Mirrors lines name functions, methods and classes", name, where, name, f.lineList(objs))
			}
			return 0, fmt.Errorf("no definition of %s() %s", name, where)
		case 1:
		default:
			return 0, fmt.Errorf("%d definitions of %s() %s, at lines %s", len(defs), name, where, f.lineList(defs))
		}
		d := defs[0]
		if i == len(chain)-1 {
			return f.line(d.at), nil
		}
		if d.lo < 0 {
			return 0, fmt.Errorf("%s() at line %d (%s) has no body to look for %s() in", name, f.line(d.at), d.kind, chain[i+1])
		}
		lo, hi = d.lo, d.hi
	}
	panic("unreachable")
}

// resolveAddress finds the one match of an acme-style regexp address.
func (f *jsFile) resolveAddress(expr string) (int, error) {
	re, err := regexp.Compile("(?m)" + expr)
	if err != nil {
		return 0, fmt.Errorf("bad regexp address /%s/: %v", expr, err)
	}
	ms := re.FindAllIndex(f.src, -1)
	if len(ms) != 1 {
		var lines []string
		for _, m := range ms {
			lines = append(lines, fmt.Sprint(f.line(m[0])))
		}
		return 0, fmt.Errorf("regexp address /%s/ matches %d times, want once (lines %s)", expr, len(ms), strings.Join(lines, ", "))
	}
	return f.line(ms[0][0]), nil
}

// jsLib is an extracted copy of Node's lib/ folder, loaded as needed.
type jsLib struct {
	dir   string
	files map[string]*jsFile
}

func newJSLib(dir string) *jsLib { return &jsLib{dir: dir, files: make(map[string]*jsFile)} }

func (l *jsLib) file(name string) (*jsFile, error) {
	if f, ok := l.files[name]; ok {
		return f, nil
	}
	rel, ok := strings.CutPrefix(name, "lib/")
	if !ok || !strings.HasSuffix(rel, ".js") || rel != filepath.ToSlash(filepath.Clean(rel)) || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("%s is not a path under lib/", name)
	}
	src, err := os.ReadFile(filepath.Join(l.dir, filepath.FromSlash(rel)))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%s is not among the extracted Node sources (see NodeLibModules)", name)
		}
		return nil, err
	}
	f := newJSFile(src)
	l.files[name] = f
	return f, nil
}

// resolve returns the line in the JS file that ref names.
func (l *jsLib) resolve(ref mirrorRef) (int, error) {
	f, err := l.file(ref.File)
	if err != nil {
		return 0, err
	}
	if ref.Chain == nil {
		return f.resolveAddress(ref.Regexp)
	}
	return f.resolve(ref.Chain)
}

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
