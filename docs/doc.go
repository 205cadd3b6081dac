// Package docs holds the project's documentation and the tests that keep
// it honest: they check what the prose and the comments claim against the
// code and against the pinned Node sources.
//
// TestMirrors checks every "Mirrors lib/…" line in the module's doc
// comments: each must be the last paragraph of a declaration's doc comment
// and must name exactly one definition in the JavaScript of the pinned Node
// release (PinnedNodeVersion), which it extracts from the installed node
// binary with ExtractNodeLib. scripts/node-src writes the same files to
// _node/lib for reading.
//
// PORTING.md and DEVIATIONS.md are generated (go generate ./docs runs
// ./gen, which calls Generate): PORTING.md lists every named function of
// the mirrored JS files with the Go declarations whose Mirrors lines name
// it, or the OMITTED(node) note that says why it is not ported;
// DEVIATIONS.md lists the DEVIATION(kind) notes of the port by kind.
// TestGeneratedDocs regenerates both in memory and fails when the files
// are stale or a JS function is unaccounted for.
//
// TestDelveWalkthrough runs delve/walkthrough.star under dlv against the
// walkthrough and checks the breakpoints it hit, across the primary and
// the forked worker, in causal order. DELVE.md explains the scripts.
package docs

//go:generate go run ./gen
