package net

// The internals the tests of package net_test look at.

// EndPending reports whether the peer's end has been read behind data
// that waits to be read (state.ended before "end").
func EndPending(s *Socket) bool { return s.endPending }

// EncodeString is Buffer.from(s, enc), as a socket's WriteString encodes.
func EncodeString(s, enc string) ([]byte, error) { return encodeString(s, enc) }
