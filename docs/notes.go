package docs

// Finding go/doc-style notes (DEVIATION(kind): ..., OMITTED(node): ...) in
// the module's Go source, with the declaration each one is on.

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// goNote is one note in a comment.
type goNote struct {
	Marker  string // "DEVIATION" or "OMITTED"
	Kind    string // what is in the parentheses: "fix", "shape", "node", ...
	Text    string // the note's paragraph after the colon, on one line
	Pos     token.Position
	File    string // slash-separated, relative to the module root
	Package string // the Go package's name
	Decl    string // "(*RoundRobinHandle).Remove", "Settings.ExecPath", or "" for the package
	// MidLine is true for a note that does not start its comment line,
	// which go/doc would not see.
	MidLine bool
}

// On names what the note is on for a reader: "handle.(*RoundRobinHandle).Remove"
// or "package handle".
func (n goNote) On() string {
	if n.Decl == "" {
		return "package " + n.Package
	}
	return n.Package + "." + n.Decl
}

// noteRE finds a note marker in a comment line. go/doc reads notes only
// at the start of a comment line; the port also writes them mid-sentence
// (in a field's comment), so they are looked for anywhere in a line.
var noteRE = regexp.MustCompile(`\b(DEVIATION|OMITTED)\(([A-Za-z]+)\):`)

// scanNotes returns the notes in one Go file's comments. A note runs from
// its marker to the end of its paragraph: a blank line, the next note, a
// Mirrors line, or the end of the comment.
func scanNotes(fset *token.FileSet, filename string, src []byte) ([]goNote, error) {
	f, err := parser.ParseFile(fset, filename, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	docs := declDocs(f)
	var notes []goNote
	for _, cg := range f.Comments {
		var lines []commentLine
		for _, l := range splitComment(fset, cg) {
			if !l.directive {
				lines = append(lines, l)
			}
		}
		for i := 0; i < len(lines); i++ {
			text := lines[i].text
			if text == "" || text[0] == ' ' || text[0] == '\t' { // blank, or a code block
				continue
			}
			m := noteRE.FindStringSubmatchIndex(text)
			if m == nil {
				continue
			}
			body := []string{strings.TrimSpace(text[m[1]:])}
			j := i + 1
			for ; j < len(lines); j++ {
				t := strings.TrimSpace(lines[j].text)
				if t == "" || strings.HasPrefix(t, "Mirrors ") || noteRE.FindStringIndex(t) != nil && noteRE.FindStringIndex(t)[0] == 0 {
					break
				}
				body = append(body, t)
			}
			decl, isDoc := docs[cg]
			if !isDoc {
				decl = enclosingDecl(f, cg.Pos())
			}
			notes = append(notes, goNote{
				Marker:  text[m[2]:m[3]],
				Kind:    text[m[4]:m[5]],
				Text:    strings.TrimSpace(strings.Join(body, " ")),
				Pos:     lines[i].pos,
				File:    filepath.ToSlash(filename),
				Package: f.Name.Name,
				Decl:    decl,
				MidLine: m[0] != 0,
			})
			i = j - 1
		}
	}
	return notes, nil
}

// enclosingDecl names the declaration whose extent holds pos (a field of
// a struct type as Type.Field), or "" at the top level of the file.
func enclosingDecl(f *ast.File, pos token.Pos) string {
	for _, d := range f.Decls {
		if pos < d.Pos() || pos >= d.End() {
			continue
		}
		switch d := d.(type) {
		case *ast.FuncDecl:
			return funcDeclName(d)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				if pos < s.Pos() || pos >= s.End() {
					continue
				}
				name := specName(s)
				if ts, ok := s.(*ast.TypeSpec); ok {
					if st, ok := ts.Type.(*ast.StructType); ok {
						for _, fld := range st.Fields.List {
							lo, hi := fld.Pos(), fld.End()
							if fld.Doc != nil {
								lo = fld.Doc.Pos()
							}
							if fld.Comment != nil {
								hi = fld.Comment.End()
							}
							if pos >= lo && pos < hi && len(fld.Names) > 0 {
								return name + "." + fld.Names[0].Name
							}
						}
					}
				}
				return name
			}
			if len(d.Specs) > 0 {
				return specName(d.Specs[0])
			}
		}
	}
	return ""
}

// portFiles lists the Go files of the port itself: the module's .go files
// without tests and without this docs tree, relative to root and
// slash-separated, in lexical order.
func portFiles(root string) ([]string, error) {
	files, err := moduleGoFiles(root)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, path := range files {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return nil, err
		}
		rel = filepath.ToSlash(rel)
		if strings.HasSuffix(rel, "_test.go") || rel == "docs" || strings.HasPrefix(rel, "docs/") {
			continue
		}
		out = append(out, rel)
	}
	return out, nil
}

// portSource is what the generators read of the port: its Mirrors lines
// and its notes.
type portSource struct {
	mirrors []goMirrorAt
	notes   []goNote
}

// goMirrorAt is a Mirrors line with the file it is in.
type goMirrorAt struct {
	goMirror
	File string // slash-separated, relative to the module root
}

func readPort(root string) (*portSource, error) {
	files, err := portFiles(root)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	ps := &portSource{}
	for _, rel := range files {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		mirrors, _, err := scanGoSource(fset, rel, src)
		if err != nil {
			return nil, err
		}
		for _, m := range mirrors {
			ps.mirrors = append(ps.mirrors, goMirrorAt{m, rel})
		}
		notes, err := scanNotes(fset, rel, src)
		if err != nil {
			return nil, err
		}
		ps.notes = append(ps.notes, notes...)
	}
	return ps, nil
}
