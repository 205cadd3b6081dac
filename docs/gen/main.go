// Command gen writes docs/PORTING.md and docs/DEVIATIONS.md. It is run by
//
//	go generate ./docs
//
// from the docs folder, and needs the pinned node (docs.PinnedNodeVersion)
// on PATH, whose lib/ sources it extracts to a temporary folder. The output
// depends only on the module's Go source and those JS sources, so two runs
// write the same bytes; TestGeneratedDocs regenerates both files in memory
// and fails when the committed ones differ.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nodecluster/nodecluster/docs"
)

func main() {
	root := flag.String("root", "..", "the module root (go generate runs in docs/)")
	out := flag.String("out", ".", "where to write the files")
	flag.Parse()
	if err := run(*root, *out); err != nil {
		fmt.Fprintln(os.Stderr, "docs/gen:", err)
		os.Exit(1)
	}
}

func run(root, out string) error {
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return fmt.Errorf("%s is not the module root: %v", root, err)
	}
	lib, err := os.MkdirTemp("", "nodelib")
	if err != nil {
		return err
	}
	defer os.RemoveAll(lib)
	version, err := docs.ExtractNodeLib(lib)
	if err != nil {
		return err
	}
	if version != docs.PinnedNodeVersion {
		return fmt.Errorf("node on PATH is %s; PORTING.md is generated from node %s", version, docs.PinnedNodeVersion)
	}
	files, problems, err := docs.Generate(root, lib)
	if err != nil {
		return err
	}
	for _, name := range []string{"PORTING.md", "DEVIATIONS.md"} {
		if err := os.WriteFile(filepath.Join(out, name), files[name], 0o644); err != nil {
			return err
		}
	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "docs/gen: warning:", p)
	}
	return nil
}
