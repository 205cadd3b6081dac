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
package docs
