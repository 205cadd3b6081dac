package events

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// Warning is a process warning, as process.emitWarning makes one: the
// value a process "warning" listener receives.
//
// DEVIATION(shape): Node's warning is an Error with a name and a stack;
// for a MaxListenersExceededWarning it also carries emitter, type and
// count, which here are Emitter (the embedded emitter, not the object
// around it), Type and Count.
type Warning struct {
	Name    string
	Message string
	Emitter *EventEmitter
	Type    string
	Count   int
}

// Error is "Name: message", as a JS Error's toString.
func (w *Warning) Error() string { return w.Name + ": " + w.Message }

var (
	warningMu      sync.Mutex
	warningOut     io.Writer = os.Stderr
	warningHandler func(*Warning)
	// traceHintShown is set once the first warning printed Node's hint
	// about --trace-warnings, which follows only that one.
	traceHintShown bool
)

// SetWarningHandler makes EmitWarning hand warnings to fn instead of
// printing them at once: the process emits them as its "warning" event on
// the next tick, its own listener printing them with PrintWarning.
func SetWarningHandler(fn func(*Warning)) {
	warningMu.Lock()
	warningHandler = fn
	warningMu.Unlock()
}

// EmitWarning issues a process warning: to the process (SetWarningHandler)
// when it set itself up, printed at once otherwise.
//
// Like lib/internal/process/warning.js emitWarning().
func EmitWarning(w *Warning) {
	warningMu.Lock()
	fn := warningHandler
	warningMu.Unlock()
	if fn != nil {
		fn(w)
		return
	}
	PrintWarning(w)
}

// PrintWarning writes a warning on stderr as Node's default "warning"
// listener does: "(node:PID) Name: message", and after the first warning
// of the process the line on --trace-warnings. The prefix keeps "node",
// as the other warnings the port prints from Node do.
//
// Like lib/internal/process/warning.js onWarning().
func PrintWarning(w *Warning) {
	warningMu.Lock()
	defer warningMu.Unlock()
	text := fmt.Sprintf("(node:%d) %s: %s\n", os.Getpid(), w.Name, w.Message)
	if !traceHintShown {
		traceHintShown = true
		text += "(Use `node --trace-warnings ...` to show where the warning was created)\n"
	}
	io.WriteString(warningOut, text)
}
