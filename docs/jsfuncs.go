package docs

// Listing every named function a JavaScript file defines, each with the
// name a Mirrors line (or an OMITTED note) would give it. The shapes are
// the resolver's (mirrors.go), with a pattern in place of a given name, and
// every name listed is checked by resolving it back: what the list calls a
// function is exactly what a Mirrors line can name.

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// jsFunc is one named function definition in a JS file.
type jsFunc struct {
	File string // "lib/net.js"
	// Name is the definition's own name as written: "rr",
	// "Server.prototype.listen", "handleConversion.'net.Native'.send".
	Name string
	// Ref names it in Mirrors grammar: a chain of names (outermost
	// first), or, where no chain reaches it alone, a :/regexp/ address of
	// its line.
	Ref  mirrorRef
	Line int
	Kind string // "function", "method", "alias", ...
	// Alias is, for an alias (Server.prototype._listen2 =
	// setupListenHandle;), the function it assigns.
	Alias string
	// Parent is the named function whose body holds this one, or nil.
	Parent *jsFunc
	// Container is, for a member, the object or class it is defined in.
	// Objects are listed too (Kind "object", Hidden): they are no
	// functions, but Mirrors lines and OMITTED notes can name them by
	// address, and their members then belong to what names them.
	Container *jsFunc
	Hidden    bool

	at, lo, hi  int
	member      bool
	containerAt int    // for a member, the offset of its container's name
	top         string // the top-level name this definition belongs to
}

// Display is the function's name for a reader: its Mirrors name without
// the file, or, for an address, its own name and line.
func (fn *jsFunc) Display() string {
	if fn.Kind == "object" {
		return fn.Name
	}
	if fn.Ref.Chain == nil {
		return fmt.Sprintf("%s() (line %d)", fn.Name, fn.Line)
	}
	return strings.Join(fn.Ref.Chain, "() inner ") + "()"
}

// Generic name patterns standing in for NAME in the shapes.
const (
	genericIdent  = `[A-Za-z_$][\w$]*`
	genericPath   = `[A-Za-z_$][\w$]*(?:\.#?[A-Za-z_$][\w$]*|\[[^\[\]\n]+\])*`
	genericMember = `(?:#?[A-Za-z_$][\w$]*|'[^'\n]*'|"[^"\n]*"|\[[^\[\]\n]+\])`
)

// defPriority orders definitions that share a body: a member, then a name
// assigned (Socket.prototype._unrefTimer = function _unrefTimer), then a
// class, then a function's own name.
func defPriority(kind string, member bool) int {
	switch {
	case kind == "object":
		return -1 // an object shares no body with a function
	case member:
		return 0
	case kind == "function assignment" || kind == "arrow assignment":
		return 1
	case kind == "class":
		return 2
	}
	return 3
}

// findGeneric returns every definition of shape s in src[lo:hi], whatever
// its name, with the name.
func (f *jsFile) findGeneric(s defShape, namePattern string, lo, hi int) []jsFunc {
	re := compileShape(s.pattern, namePattern)
	ni, ri := re.SubexpIndex("n"), re.SubexpIndex("r")
	var out []jsFunc
	for _, m := range re.FindAllSubmatchIndex(f.src[lo:hi], -1) {
		end, nlo, nhi := lo+m[1], lo+m[2*ni], lo+m[2*ni+1]
		name := string(f.src[nlo:nhi])
		quoted := name[0] == '\'' || name[0] == '"'
		if !f.isCode(nlo, nhi, quoted) || !f.isCode(nhi, end, false) {
			continue
		}
		blo, bhi, ok := s.complete(f, end)
		if !ok {
			continue
		}
		fn := jsFunc{Name: name, Kind: s.kind, at: nlo, lo: blo, hi: bhi}
		if ri >= 0 {
			fn.Alias = string(f.src[lo+m[2*ri] : lo+m[2*ri+1]])
		}
		out = append(out, fn)
	}
	return out
}

// members lists the functions defined as members of the object or class
// whose body is src[lo:hi], named path.member, descending into object
// properties that are objects (listed as hidden entries). container is the
// offset of the container's name.
func (f *jsFile) members(path string, container, lo, hi int) []jsFunc {
	level := f.depth[lo]
	var out []jsFunc
	for _, s := range memberShapes {
		for _, fn := range f.findGeneric(s, genericMember, lo, hi) {
			if f.depth[fn.at] != level || fn.Name == "constructor" {
				continue
			}
			fn.Name, fn.member, fn.containerAt = path+"."+fn.Name, true, container
			if s.container {
				fn.Kind, fn.Hidden = "object", true
				out = append(out, fn)
				out = append(out, f.members(fn.Name, fn.at, fn.lo, fn.hi)...)
				continue
			}
			fn.Kind = "method"
			if s.kind != "method" {
				fn.Kind = s.kind
			}
			out = append(out, fn)
		}
	}
	return out
}

// functions lists the named functions defined in the file, in source
// order, each named so that it resolves back to itself.
func (f *jsFile) functions(file string) ([]*jsFunc, error) {
	var all []jsFunc
	// Functions, function and arrow assignments and classes, at any depth.
	for _, s := range fullShapes {
		if !s.callable {
			continue
		}
		pat := genericPath
		if s.kind == "function" || s.kind == "class" {
			pat = genericIdent
		}
		all = append(all, f.findGeneric(s, pat, 0, len(f.src))...)
	}
	// Members of the objects and classes defined at the top level.
	for _, s := range fullShapes {
		if !s.container {
			continue
		}
		pat := genericPath
		if s.kind == "class" {
			pat = genericIdent
		}
		for _, c := range f.findGeneric(s, pat, 0, len(f.src)) {
			if f.depth[c.at] != 0 || c.Name == "module.exports" {
				continue
			}
			if s.kind == "object" {
				c.Hidden = true
				all = append(all, c)
			}
			all = append(all, f.members(c.Name, c.at, c.lo, c.hi)...)
		}
	}
	// Aliases at the top level of the file, of a function defined there.
	for _, a := range f.findGeneric(aliasShape, genericPath, 0, len(f.src)) {
		if f.depth[a.at] != 0 || a.Name == "module.exports" || strings.HasPrefix(a.Name, "module.exports.") || strings.HasPrefix(a.Name, "exports.") {
			continue
		}
		if target, _ := f.find(a.Alias, 0, len(f.src), findOpts{noAlias: true}); len(target) == 1 {
			all = append(all, a)
		}
	}

	// One definition per body (per name, for those without one).
	sort.SliceStable(all, func(i, j int) bool {
		pi, pj := defPriority(all[i].Kind, all[i].member), defPriority(all[j].Kind, all[j].member)
		if pi != pj {
			return pi < pj
		}
		return all[i].at < all[j].at
	})
	seen := make(map[int]bool)
	var fns []*jsFunc
	for i := range all {
		fn := &all[i]
		key := fn.lo
		if fn.lo < 0 {
			key = -1 - fn.at
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		fn.File = file
		fn.Line = f.line(fn.at)
		fns = append(fns, fn)
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].at < fns[j].at })
	byAt := make(map[int]*jsFunc)
	for _, fn := range fns {
		byAt[fn.at] = fn
	}
	for _, fn := range fns {
		if fn.member {
			fn.Container = byAt[fn.containerAt]
		}
	}

	// The innermost named function around each nested definition.
	for _, fn := range fns {
		if fn.member || f.depth[fn.at] == 0 || fn.Kind == "object" {
			continue
		}
		for _, p := range fns {
			if p != fn && p.Kind != "object" && p.lo >= 0 && p.lo <= fn.at && fn.at < p.hi && (fn.Parent == nil || p.lo > fn.Parent.lo) {
				fn.Parent = p
			}
		}
	}

	// Names, checked by resolving them back.
	for _, fn := range fns {
		switch {
		case fn.Parent != nil:
			fn.top = fn.Parent.top
			if fn.Parent.Ref.Chain != nil {
				fn.Ref = mirrorRef{File: file, Chain: append(append([]string(nil), fn.Parent.Ref.Chain...), fn.Name)}
			}
		case fn.member || f.depth[fn.at] == 0:
			fn.top = splitJSPath(fn.Name)[0]
			fn.Ref = mirrorRef{File: file, Chain: []string{fn.Name}}
		default: // in a block at the top level, such as if (isWindows) {
			fn.top = splitJSPath(fn.Name)[0]
		}
		if fn.Ref.Chain != nil && fn.Kind != "object" {
			if d, err := f.resolveDef(fn.Ref.Chain); err == nil && d.at == fn.at {
				continue
			}
		}
		// No chain of names reaches it alone: address its line.
		ls := f.lines[fn.Line-1]
		le := ls
		for le < len(f.src) && f.src[le] != '\n' {
			le++
		}
		expr := "^" + regexp.QuoteMeta(string(f.src[ls:le])) + "$"
		if off, err := f.resolveAddressOffset(expr); err != nil || f.line(off) != fn.Line {
			return nil, fmt.Errorf("%s:%d: %s() can be named neither by a chain of names nor by its line, which is not unique", file, fn.Line, fn.Name)
		}
		fn.Ref = mirrorRef{File: file, Regexp: expr}
	}
	return fns, nil
}
