package net

// The internals the tests of package net_test look at.

import (
	"time"

	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
)

// EndPending reports whether the peer's end has been read behind data
// that waits to be read (state.ended before "end").
func EndPending(s *Socket) bool { return s.endPending }

// EncodeString is Buffer.from(s, enc), as a socket's WriteString encodes.
func EncodeString(s, enc string) ([]byte, error) { return encodeString(s, enc) }

// RunWithin runs main on this process's loop and reports whether the loop
// was still not empty after d (it is then ended: Exit, not Stop, since a
// loop kept alive would only run again).
func RunWithin(d time.Duration, main func()) (timedOut bool) {
	var timer *uv.Timer
	process.RunMain(func() {
		timer = uv.Default().SetTimeout(d, func() {
			timedOut = true
			process.Get().Exit(process.Get().ExitCode)
		})
		timer.Unref()
		main()
	})
	// The watchdog must not outlive the test: the next test runs on the
	// same loop, and a stale one would end it.
	timer.Stop()
	return timedOut
}
