package events

import (
	"fmt"
	"io"
	"os"
	"sync"
)

var (
	warningMu  sync.Mutex
	warningOut io.Writer = os.Stderr
	// traceHintShown is set once the first warning printed Node's hint
	// about --trace-warnings, which follows only that one.
	traceHintShown bool
)

// EmitWarning prints a process warning on stderr as Node's default
// "warning" handler does: "(node:PID) Name: message", and after the first
// warning of the process the line on --trace-warnings. The prefix keeps
// "node", as the other warnings the port prints from Node do.
//
// DEVIATION(shape): Node emits the warning on process as a "warning" event
// on the next tick and prints it from there; there is no "warning" event
// here, and the lines are written at once, from the call.
//
// Like lib/internal/process/warning.js emitWarning() and onWarning().
func EmitWarning(name, message string) {
	warningMu.Lock()
	defer warningMu.Unlock()
	text := fmt.Sprintf("(node:%d) %s: %s\n", os.Getpid(), name, message)
	if !traceHintShown {
		traceHintShown = true
		text += "(Use `node --trace-warnings ...` to show where the warning was created)\n"
	}
	io.WriteString(warningOut, text)
}
