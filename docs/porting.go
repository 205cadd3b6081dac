package docs

// The generators of PORTING.md (every function of the mirrored JS files
// and its Go counterpart) and DEVIATIONS.md (every DEVIATION note), run by
// go generate ./docs (gen/main.go) and checked by TestGeneratedDocs.

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// A mappedFile is one JS file of the porting map and the part of it that
// counts.
type mappedFile struct {
	File  string // "lib/net.js"
	Title string // the section heading
	// Scope says in prose which functions count; empty when all do.
	Scope string
	// inScope picks the functions that count; nil when all do.
	inScope func(fn *jsFunc, fns []*jsFunc) bool
	// Empty explains a file that defines no functions.
	Empty string
}

// netServerHelpers are the functions net.js defines before Server() that
// the server's path calls.
var netServerHelpers = map[string]bool{
	"getFlags": true, "isPipeName": true, "createServer": true, "normalizeArgs": true,
	"checkBindError": true, "addServerAbortSignalOption": true,
}

// channelPart are the top-level definitions of lib/internal/child_process.js
// that make up the IPC channel.
var channelPart = map[string]bool{
	"handleConversion": true, "closePendingHandle": true, "Control": true,
	"setupChannel": true, "isInternal": true, "getSocketList": true,
}

// MappedFiles are the JS files PORTING.md covers, in its order.
var mappedFiles = []mappedFile{
	{
		File:  "lib/net.js",
		Title: "lib/net.js (the server side)",
		Scope: "The server side of net.js is every function defined from `function Server(` to the end of the file, " +
			"plus the helpers defined earlier that the server's path calls: " +
			"`getFlags`, `isPipeName`, `createServer`, `normalizeArgs`, `checkBindError` and `addServerAbortSignalOption`. " +
			"`Socket` (a connection) and the client side (`connect`, `lookupAndConnect`, `afterConnect`, …) are not in the map (the client side is ported, see package net's doc); " +
			"the parts of `Socket` the port needs are listed under [Mirrored outside the map](#mirrored-outside-the-map).",
		inScope: func(fn *jsFunc, fns []*jsFunc) bool {
			if netServerHelpers[fn.top] {
				return true
			}
			for _, s := range fns {
				if s.Name == "Server" && s.Parent == nil {
					return fn.at >= s.at
				}
			}
			return false
		},
	},
	{
		File:  "lib/cluster.js",
		Title: "lib/cluster.js",
		Empty: "cluster.js defines no functions: it loads `internal/cluster/child` when `NODE_UNIQUE_ID` is in the " +
			"environment and `internal/cluster/primary` otherwise, and exports it. " +
			"[`cluster`](../cluster/cluster.go) makes the same choice (`IsWorker`, `IsPrimary`) and forwards to " +
			"[`internal/child`](../internal/child/child.go) or [`internal/master`](../internal/master/primary.go).",
	},
	{File: "lib/internal/cluster/child.js", Title: "lib/internal/cluster/child.js"},
	{File: "lib/internal/cluster/primary.js", Title: "lib/internal/cluster/primary.js"},
	{File: "lib/internal/cluster/round_robin_handle.js", Title: "lib/internal/cluster/round_robin_handle.js"},
	{File: "lib/internal/cluster/shared_handle.js", Title: "lib/internal/cluster/shared_handle.js"},
	{File: "lib/internal/cluster/utils.js", Title: "lib/internal/cluster/utils.js"},
	{File: "lib/internal/cluster/worker.js", Title: "lib/internal/cluster/worker.js"},
	{
		File:  "lib/internal/child_process.js",
		Title: "lib/internal/child_process.js (the channel)",
		Scope: "The channel part of child_process.js is `handleConversion` (what each kind of handle does when it is sent and received), " +
			"`closePendingHandle`, the `Control` class, `setupChannel` with everything defined inside it, `isInternal` and `getSocketList`. " +
			"The `ChildProcess` object, spawning and stdio are not in the map; the parts the port has are listed under " +
			"[Mirrored outside the map](#mirrored-outside-the-map).",
		inScope: func(fn *jsFunc, _ []*jsFunc) bool { return channelPart[fn.top] },
	},
	{File: "lib/internal/child_process/serialization.js", Title: "lib/internal/child_process/serialization.js"},
	{File: "lib/string_decoder.js", Title: "lib/string_decoder.js"},
}

// portEntry is one JS function of the map with what the port says of it.
type portEntry struct {
	fn      *jsFunc
	mirrors []goMirrorAt
	omitted []goNote
	inScope bool
	hidden  bool // an object, not listed
}

// Status of an entry, derived in this order: its own Mirrors lines, its
// own OMITTED note, the function it is an alias of, the function it is
// defined inside; else it is not ported.
const (
	statusPorted    = "ported"
	statusOmitted   = "omitted"
	statusInside    = "inside"
	statusNotPorted = "not ported"
)

type portMap struct {
	files   []mappedFile
	entries map[string][]*portEntry // by JS file, in source order
	byFunc  map[*jsFunc]*portEntry
	// outside are Mirrors lines that name no function of the map: a
	// function of a file or part the map leaves out, an anonymous
	// function or an object, by address.
	outside []outsideMirror
	// free are OMITTED notes that name no JS function.
	free     []goNote
	problems []string
}

type outsideMirror struct {
	m    goMirrorAt
	line int
}

// buildPortMap lists the functions of the mapped files and matches the
// port's Mirrors lines and OMITTED notes to them.
func buildPortMap(lib *jsLib, ps *portSource) (*portMap, error) {
	pm := &portMap{files: mappedFiles, entries: make(map[string][]*portEntry), byFunc: make(map[*jsFunc]*portEntry)}
	byAt := make(map[string]map[int]*portEntry)
	byLine := make(map[string]map[int][]*portEntry)
	for _, mf := range pm.files {
		f, err := lib.file(mf.File)
		if err != nil {
			return nil, err
		}
		fns, err := f.functions(mf.File)
		if err != nil {
			return nil, err
		}
		byAt[mf.File] = make(map[int]*portEntry)
		byLine[mf.File] = make(map[int][]*portEntry)
		for _, fn := range fns {
			e := &portEntry{fn: fn, inScope: mf.inScope == nil || mf.inScope(fn, fns), hidden: fn.Hidden}
			pm.entries[mf.File] = append(pm.entries[mf.File], e)
			pm.byFunc[fn] = e
			byAt[mf.File][fn.at] = e
			byLine[mf.File][fn.Line] = append(byLine[mf.File][fn.Line], e)
		}
	}

	// locate finds the entry a reference names, or the line it names when
	// that is no function of the map.
	locate := func(ref mirrorRef) (*portEntry, int, error) {
		f, err := lib.file(ref.File)
		if err != nil {
			return nil, 0, err
		}
		if ref.Chain != nil {
			d, err := f.resolveDef(ref.Chain)
			if err != nil {
				return nil, 0, err
			}
			if e := byAt[ref.File][d.at]; e != nil && e.inScope {
				return e, 0, nil
			}
			return nil, f.line(d.at), nil
		}
		off, err := f.resolveAddressOffset(ref.Regexp)
		if err != nil {
			return nil, 0, err
		}
		for _, e := range byLine[ref.File][f.line(off)] {
			if e.inScope && e.fn.at >= off {
				return e, 0, nil
			}
		}
		return nil, f.line(off), nil
	}

	for _, m := range ps.mirrors {
		e, line, err := locate(m.Ref)
		if err != nil {
			pm.problems = append(pm.problems, fmt.Sprintf("%s:%d: Mirrors %s: %v", m.File, m.Pos.Line, m.Ref, err))
			continue
		}
		if e == nil {
			pm.outside = append(pm.outside, outsideMirror{m, line})
			continue
		}
		e.mirrors = append(e.mirrors, m)
	}

	for _, n := range ps.notes {
		if n.Marker != "OMITTED" || n.MidLine {
			continue
		}
		ref, reason, ok := parseOmitted(n.Text)
		if !ok {
			pm.free = append(pm.free, n)
			continue
		}
		where := fmt.Sprintf("%s:%d: OMITTED(%s): %s", n.File, n.Pos.Line, n.Kind, ref)
		if reason == "" {
			pm.problems = append(pm.problems, where+": no reason given")
		}
		e, _, err := locate(ref)
		switch {
		case err != nil:
			pm.problems = append(pm.problems, fmt.Sprintf("%s: %v", where, err))
		case e == nil:
			pm.problems = append(pm.problems, where+": names no function of the porting map")
		default:
			n.Text = reason
			e.omitted = append(e.omitted, n)
		}
	}

	for _, mf := range pm.files {
		for _, e := range pm.entries[mf.File] {
			if !e.inScope {
				continue
			}
			if len(e.mirrors) > 0 && len(e.omitted) > 0 {
				pm.problems = append(pm.problems, fmt.Sprintf("%s:%d %s has both a Go counterpart and an OMITTED note (%s:%d)", mf.File, e.fn.Line, e.fn.Display(), e.omitted[0].File, e.omitted[0].Pos.Line))
			}
			if st, _ := pm.status(e); st == statusNotPorted && !e.hidden {
				pm.problems = append(pm.problems, fmt.Sprintf("%s:%d %s has neither a Go counterpart (a Mirrors line) nor an OMITTED(node) note", mf.File, e.fn.Line, e.fn.Display()))
			}
		}
	}
	return pm, nil
}

// omittedRE is the form of an OMITTED note that names a JS function:
// the name as a Mirrors line gives it, a colon, the reason.
var omittedRE = regexp.MustCompile(`^(lib/\S+\.js)(?::/(.+?)/|\s+(.+?)\(\)):\s*(.*)$`)

// parseOmitted reads "lib/net.js Socket.prototype.connect(): the port has
// no client side." as a reference and a reason.
func parseOmitted(text string) (mirrorRef, string, bool) {
	m := omittedRE.FindStringSubmatch(text)
	if m == nil {
		return mirrorRef{}, "", false
	}
	line := "Mirrors " + m[1]
	if m[3] != "" {
		line += " " + m[3] + "()."
	} else {
		line += ":/" + m[2] + "/."
	}
	ref, err := parseMirror(line)
	if err != nil {
		return mirrorRef{}, "", false
	}
	return ref, strings.TrimSpace(m[4]), true
}

// status says what the port has for an entry, with the entry that decided
// it (itself, the function it aliases or the one it is inside).
func (pm *portMap) status(e *portEntry) (string, *portEntry) {
	for cur, hops := e, 0; cur != nil && hops < 20; hops++ {
		switch {
		case len(cur.mirrors) > 0:
			if cur == e {
				return statusPorted, cur
			}
			return statusInside, cur
		case len(cur.omitted) > 0:
			return statusOmitted, cur
		}
		var next *portEntry
		if cur.fn.Kind == "alias" {
			for _, o := range pm.entries[cur.fn.File] {
				if o.fn.Name == cur.fn.Alias && o.fn.Parent == nil {
					next = o
				}
			}
		} else if cur.fn.Parent != nil {
			next = pm.byFunc[cur.fn.Parent]
		} else if cur.fn.Container != nil {
			next = pm.byFunc[cur.fn.Container]
		}
		cur = next
	}
	return statusNotPorted, nil
}

func goLink(m goMirrorAt) string {
	return fmt.Sprintf("[`%s.%s`](../%s)", m.Package, m.Decl, m.File)
}

func goLinks(ms []goMirrorAt) string {
	var s []string
	for _, m := range ms {
		s = append(s, goLink(m))
	}
	return strings.Join(s, ", ")
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// render writes PORTING.md.
func (pm *portMap) render(version string) []byte {
	var b bytes.Buffer
	counts := map[string]int{}
	total := 0
	for _, mf := range pm.files {
		for _, e := range pm.entries[mf.File] {
			if e.inScope && !e.hidden {
				st, _ := pm.status(e)
				counts[st]++
				total++
			}
		}
	}
	fmt.Fprintf(&b, "# Porting map: Node %s → Go\n\n", version)
	b.WriteString("<!-- Code generated by go generate ./docs (docs/gen); DO NOT EDIT. -->\n\n")
	b.WriteString("Every named function defined in the JavaScript files the port mirrors, with the Go that mirrors it. " +
		"Read it beside `_node/lib/` (written by `scripts/node-src`); the line numbers are those of Node " + version + ".\n\n")
	b.WriteString("How each function's entry is decided, in this order:\n\n" +
		"1. **Go counterparts**: the Go declarations whose doc comment ends with a `Mirrors` line naming the function " +
		"(`// Mirrors lib/internal/cluster/child.js rr().`); `TestMirrors` checks every such line against the JS.\n" +
		"2. **omitted**: an `OMITTED(node):` note at the start of a comment line (where go/doc finds notes) names the function, " +
		"in the grammar of a `Mirrors` line, and says why it is not ported " +
		"(`// OMITTED(node): lib/net.js Server.prototype[SymbolAsyncDispose](): …`); " +
		"the notes sit in the doc comments of the Go packages that would own the functions.\n" +
		"3. **alias**: a name assigned another function (`Server.prototype._listen2 = setupListenHandle;`) follows that function.\n" +
		"4. **part of**: a function defined inside another, without an entry of its own, is part of the Go that mirrors the one around it " +
		"(closures, or code written inline); so is a method of an object whose Go counterpart names the object.\n" +
		"5. Otherwise **not ported**, and `TestGeneratedDocs` fails until the function gets a Go counterpart or an `OMITTED(node)` note.\n\n" +
		"Anonymous functions (callbacks, property descriptors) are part of the function that contains them and are not listed; " +
		"the few the port mirrors by a `:/regexp/` address appear under [Mirrored outside the map](#mirrored-outside-the-map).\n\n")
	fmt.Fprintf(&b, "%d functions: %d with a Go counterpart, %d part of a ported one (or an alias of one), %d omitted, %d not ported.\n\n",
		total, counts[statusPorted], counts[statusInside], counts[statusOmitted], counts[statusNotPorted])
	b.WriteString("Regenerate with `go generate ./docs` (it needs `node` " + version + " on `PATH`).\n\n")

	for _, mf := range pm.files {
		fmt.Fprintf(&b, "## %s\n\n", mf.Title)
		if mf.Scope != "" {
			b.WriteString(mf.Scope + "\n\n")
		}
		var rows []*portEntry
		for _, e := range pm.entries[mf.File] {
			if e.inScope && !e.hidden {
				rows = append(rows, e)
			}
		}
		if len(rows) == 0 {
			b.WriteString(mf.Empty + "\n\n")
			continue
		}
		b.WriteString("| line | JS function | Go |\n|---:|---|---|\n")
		for _, e := range rows {
			st, by := pm.status(e)
			var goCell string
			switch st {
			case statusPorted:
				goCell = goLinks(e.mirrors)
			case statusInside:
				rel := "part of"
				if e.fn.Kind == "alias" {
					rel = "alias of `" + e.fn.Alias + "()`:"
				}
				goCell = fmt.Sprintf("%s %s", rel, goLinks(by.mirrors))
			case statusOmitted:
				n := by.omitted[0]
				with := ""
				if by != e {
					with = fmt.Sprintf(" with `%s`", by.fn.Display())
				}
				goCell = fmt.Sprintf("*omitted*%s: %s ([%s](../%s))", with, n.Text, "package "+n.Package, n.File)
			default:
				goCell = "**not ported**"
			}
			fmt.Fprintf(&b, "| %d | `%s` | %s |\n", e.fn.Line, mdCell(e.fn.Display()), mdCell(goCell))
		}
		b.WriteString("\n")
	}

	b.WriteString("## Mirrored outside the map\n\n")
	b.WriteString("`Mirrors` lines that name no function listed above: functions of the files or parts the map leaves out " +
		"(`Socket`, `ChildProcess`, lib/events.js, …), and anonymous functions or objects named by a `:/regexp/` address.\n\n")
	out := append([]outsideMirror(nil), pm.outside...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].m.Ref.File != out[j].m.Ref.File {
			return out[i].m.Ref.File < out[j].m.Ref.File
		}
		return out[i].line < out[j].line
	})
	b.WriteString("| JS | line | Go |\n|---|---:|---|\n")
	for _, o := range out {
		js := o.m.Ref.File + " " + strings.Join(o.m.Ref.Chain, "() inner ") + "()"
		if o.m.Ref.Chain == nil {
			js = o.m.Ref.File + ":/" + o.m.Ref.Regexp + "/"
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s |\n", mdCell(js), o.line, mdCell(goLink(o.m)))
	}
	b.WriteString("\n")

	if len(pm.free) > 0 {
		b.WriteString("## Other omissions\n\n")
		b.WriteString("`OMITTED(node)` notes about features rather than functions.\n\n")
		for _, n := range pm.free {
			fmt.Fprintf(&b, "- `%s` ([%s](../%s)): %s\n", n.On(), path.Base(n.File), n.File, n.Text)
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

// deviationKinds describe the DEVIATION kinds of style.md, in the order
// DEVIATIONS.md lists them; other kinds follow, sorted.
var deviationKinds = []struct{ kind, about string }{
	{"fix", "Where Node v20 crashes, hangs or loses a connection, the port does better by default; " +
		"`NODECLUSTER_REPRODUCE_V20` (a comma-separated list of the bugs, or `all`) brings Node's behaviour back."},
	{"shape", "A different shape than Node's (types, signatures, where state lives), forced by Go or chosen for Go callers; what a peer sees on the wire is Node's."},
	{"callback", "A callback with a different signature."},
	{"goroutine", "A goroutine where Node has a libuv callback, a thread-pool job or a native event; what it finds is posted back to the event loop."},
	{"errno", "Go errors where Node throws, emits Error objects or returns negative errnos."},
}

// renderDeviations writes DEVIATIONS.md from the port's DEVIATION notes.
func renderDeviations(ps *portSource, version string) []byte {
	byKind := map[string][]goNote{}
	for _, n := range ps.notes {
		if n.Marker == "DEVIATION" {
			byKind[n.Kind] = append(byKind[n.Kind], n)
		}
	}
	var order []string
	known := map[string]string{}
	for _, k := range deviationKinds {
		order = append(order, k.kind)
		known[k.kind] = k.about
	}
	var others []string
	for k := range byKind {
		if _, ok := known[k]; !ok {
			others = append(others, k)
		}
	}
	sort.Strings(others)
	order = append(order, others...)

	var b bytes.Buffer
	fmt.Fprintf(&b, "# Deviations from Node %s\n\n", version)
	b.WriteString("<!-- Code generated by go generate ./docs (docs/gen); DO NOT EDIT. -->\n\n")
	b.WriteString("Every place where the port knowingly differs from Node, from the `DEVIATION(kind):` notes in its Go source " +
		"(`go doc` shows them beside the declaration they are on), grouped by kind. " +
		"What is not ported at all is in [PORTING.md](PORTING.md) (`OMITTED(node)` notes).\n\n")
	for _, k := range order {
		notes := byKind[k]
		if len(notes) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %s (%d)\n\n", k, len(notes))
		if known[k] != "" {
			b.WriteString(known[k] + "\n\n")
		}
		for _, n := range notes {
			fmt.Fprintf(&b, "- **`%s`** ([%s](../%s)): %s\n", n.On(), n.File, n.File, n.Text)
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

// Generated is what go generate ./docs writes: file names under docs/
// and their contents.
type Generated map[string][]byte

// GenerateDeviations renders DEVIATIONS.md for the module at root.
func GenerateDeviations(root string) ([]byte, error) {
	ps, err := readPort(root)
	if err != nil {
		return nil, err
	}
	return renderDeviations(ps, PinnedNodeVersion), nil
}

// Generate renders PORTING.md and DEVIATIONS.md for the module at root,
// with Node's sources extracted to libDir (ExtractNodeLib). Problems lists
// what TestGeneratedDocs fails on besides staleness: functions that are
// not ported and have no OMITTED note, and notes or Mirrors lines that
// name nothing.
func Generate(root, libDir string) (files Generated, problems []string, err error) {
	ps, err := readPort(root)
	if err != nil {
		return nil, nil, err
	}
	pm, err := buildPortMap(newJSLib(libDir), ps)
	if err != nil {
		return nil, nil, err
	}
	return Generated{
		"PORTING.md":    pm.render(PinnedNodeVersion),
		"DEVIATIONS.md": renderDeviations(ps, PinnedNodeVersion),
	}, pm.problems, nil
}
