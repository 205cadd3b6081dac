package net

import "github.com/nodecluster/nodecluster/internal/process"

// Run runs main as Node runs a script, then the event loop until nothing
// keeps it alive, and exits with the process's exit code; it is
// cluster.Run, for programs that use net alone. A program forked by a
// cluster primary becomes a worker here even if it never imports cluster,
// as in Node.
func Run(main func()) { process.Run(main) }
