package events

import "io"

// SetWarningOutput makes EmitWarning print at once to w, as if no warning
// had been printed yet, until the returned function restores stderr and
// the handler.
func SetWarningOutput(w io.Writer) (restore func()) {
	warningMu.Lock()
	old, oldShown, oldHandler := warningOut, traceHintShown, warningHandler
	warningOut, traceHintShown, warningHandler = w, false, nil
	warningMu.Unlock()
	return func() {
		warningMu.Lock()
		warningOut, traceHintShown, warningHandler = old, oldShown, oldHandler
		warningMu.Unlock()
	}
}
