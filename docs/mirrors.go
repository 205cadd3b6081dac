package docs

// The Mirrors-line machinery shared by TestMirrors and the generators of
// PORTING.md and DEVIATIONS.md: the grammar of the lines, finding them in
// Go source, and resolving the JavaScript names they give against Node's
// extracted lib/ sources.

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
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
	Pos     token.Position
	Ref     mirrorRef
	Decl    string // what the doc comment is on: "rr", "(*Server).Listen", "Server"
	Package string // the Go package's name
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
// declarations (functions and methods, and type, var and const
// declarations and specs), each with the name of what it documents.
func declDocs(f *ast.File) map[*ast.CommentGroup]string {
	docs := make(map[*ast.CommentGroup]string)
	add := func(cg *ast.CommentGroup, name string) {
		if cg != nil {
			docs[cg] = name
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			add(d.Doc, funcDeclName(d))
		case *ast.GenDecl:
			if d.Tok == token.IMPORT {
				continue
			}
			if len(d.Specs) > 0 {
				add(d.Doc, specName(d.Specs[0]))
			}
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					add(s.Doc, specName(s))
				case *ast.ValueSpec:
					add(s.Doc, specName(s))
				}
			}
		}
	}
	return docs
}

// funcDeclName names a function or method as delve does, without the
// package: "rr", "(*Server).Listen", "T.Method".
func funcDeclName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	t := d.Recv.List[0].Type
	star := false
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = true, s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	recv := "?"
	if id, ok := t.(*ast.Ident); ok {
		recv = id.Name
	}
	if star {
		return "(*" + recv + ")." + d.Name.Name
	}
	return recv + "." + d.Name.Name
}

// specName names a type, var or const spec (its first name).
func specName(s ast.Spec) string {
	switch s := s.(type) {
	case *ast.TypeSpec:
		return s.Name.Name
	case *ast.ValueSpec:
		if len(s.Names) > 0 {
			return s.Names[0].Name
		}
	}
	return ""
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
		decl, isDoc := docs[cg]
		if !isDoc {
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
		mirrors = append(mirrors, goMirror{Pos: lines[i].pos, Ref: ref, Decl: decl, Package: f.Name.Name})
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

// shapeREs caches compiled shapes by pattern and name.
var shapeREs sync.Map // map[[2]string]*regexp.Regexp

// compileShape compiles a shape's pattern with NAME replaced by name.
func compileShape(pattern, name string) *regexp.Regexp {
	key := [2]string{pattern, name}
	if re, ok := shapeREs.Load(key); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(strings.Replace(pattern, "NAME", name, 1))
	shapeREs.Store(key, re)
	return re
}

// findShape returns the definitions of name in src[lo:hi] that have the
// given shape.
func (f *jsFile) findShape(s defShape, name string, lo, hi int) []jsDef {
	re := compileShape(s.pattern, regexp.QuoteMeta(name))
	quoted := name[0] == '\'' || name[0] == '"'
	ni, ri := re.SubexpIndex("n"), re.SubexpIndex("r")
	var defs []jsDef
	seen := make(map[int]bool)
	// Every match holds the name, and no shape spans more than a line or
	// two around it: search only there (a whole-file search per name is
	// what made the generators slow).
	for _, w := range f.windows(name, lo, hi) {
		for _, m := range re.FindAllSubmatchIndex(f.src[w[0]:w[1]], -1) {
			base := w[0]
			end, nlo, nhi := base+m[1], base+m[2*ni], base+m[2*ni+1]
			if seen[nlo] || !f.isCode(nlo, nhi, quoted) || !f.isCode(nhi, end, false) {
				continue
			}
			seen[nlo] = true
			blo, bhi, ok := s.complete(f, end)
			if !ok {
				continue
			}
			d := jsDef{at: nlo, lo: blo, hi: bhi, kind: s.kind}
			if ri >= 0 {
				d.alias = string(f.src[base+m[2*ri] : base+m[2*ri+1]])
			}
			defs = append(defs, d)
		}
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].at < defs[j].at })
	return defs
}

// windows returns, for each occurrence of name in src[lo:hi], the region
// from the start of the line before it to the end of the second line
// after it, clipped to [lo, hi), merging regions that overlap. A region
// starts at lo or at a line start, so ^ and \b mean there what they mean
// in the whole region.
func (f *jsFile) windows(name string, lo, hi int) [][2]int {
	var out [][2]int
	for p := lo; p < hi; {
		i := bytes.Index(f.src[p:hi], []byte(name))
		if i < 0 {
			break
		}
		at := p + i
		l := f.line(at) // 1-based
		wlo := f.lines[max(l-2, 0)]
		whi := len(f.src)
		if l+2 < len(f.lines) {
			whi = f.lines[l+2]
		}
		wlo, whi = max(wlo, lo), min(whi, hi)
		if n := len(out); n > 0 && wlo <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], whi)
		} else {
			out = append(out, [2]int{wlo, whi})
		}
		p = at + 1
	}
	return out
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
	d, err := f.resolveDef(chain)
	if err != nil {
		return 0, err
	}
	return f.line(d.at), nil
}

// resolveDef is resolve returning the definition itself.
func (f *jsFile) resolveDef(chain []string) (jsDef, error) {
	lo, hi := 0, len(f.src)
	for i, name := range chain {
		defs, err := f.find(name, lo, hi, findOpts{nested: i > 0})
		if err != nil {
			return jsDef{}, err
		}
		where := "at the top level"
		if i > 0 {
			where = fmt.Sprintf("inside %s() (lines %d-%d)", chain[i-1], f.line(lo), f.line(hi))
		}
		switch len(defs) {
		case 0:
			if i == 0 {
				if nested, _ := f.find(name, lo, hi, findOpts{nested: true}); len(nested) > 0 {
					return jsDef{}, fmt.Errorf("no definition of %s() %s; it is defined only inside a block or another function, at line %s: name the enclosing function too, with inner, or use a :/regexp/ address", name, where, f.lineList(nested))
				}
			}
			if objs, _ := f.find(name, lo, hi, findOpts{nested: i > 0, container: true}); len(objs) > 0 {
				return jsDef{}, fmt.Errorf("no function %s() %s; %s at line %s is an object, and Mirrors lines name functions, methods and classes", name, where, name, f.lineList(objs))
			}
			return jsDef{}, fmt.Errorf("no definition of %s() %s", name, where)
		case 1:
		default:
			return jsDef{}, fmt.Errorf("%d definitions of %s() %s, at lines %s", len(defs), name, where, f.lineList(defs))
		}
		d := defs[0]
		if i == len(chain)-1 {
			return d, nil
		}
		if d.lo < 0 {
			return jsDef{}, fmt.Errorf("%s() at line %d (%s) has no body to look for %s() in", name, f.line(d.at), d.kind, chain[i+1])
		}
		lo, hi = d.lo, d.hi
	}
	panic("unreachable")
}

// resolveAddress finds the one match of an acme-style regexp address.
func (f *jsFile) resolveAddress(expr string) (int, error) {
	off, err := f.resolveAddressOffset(expr)
	if err != nil {
		return 0, err
	}
	return f.line(off), nil
}

// resolveAddressOffset is resolveAddress returning the offset of the
// match.
func (f *jsFile) resolveAddressOffset(expr string) (int, error) {
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
	return ms[0][0], nil
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
