package events

import "io"

// SetWarningOutput makes EmitWarning write to w, as if no warning had been
// printed yet, until the returned function restores stderr.
func SetWarningOutput(w io.Writer) (restore func()) {
	warningMu.Lock()
	old, oldShown := warningOut, traceHintShown
	warningOut, traceHintShown = w, false
	warningMu.Unlock()
	return func() {
		warningMu.Lock()
		warningOut, traceHintShown = old, oldShown
		warningMu.Unlock()
	}
}
