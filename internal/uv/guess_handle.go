package uv

import "golang.org/x/sys/unix"

// GuessHandle names the kind of handle a descriptor would make, as
// Node's guessHandleType reports libuv's uv_guess_handle: "TCP" (a
// stream socket of an IP family), "PIPE" (a Unix socket or a FIFO), "UDP"
// (an IP datagram socket), "TTY", "FILE" (a regular file or a character
// device that is not a terminal) or "UNKNOWN" (anything else, a
// descriptor that is not open or a negative one).
//
// Like src/unix/core.c uv_guess_handle in libuv, which
// lib/internal/util.js guessHandleType() reaches through a binding.
func GuessHandle(fd int) string {
	if fd < 0 {
		return "UNKNOWN"
	}
	if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
		return "TTY"
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "UNKNOWN"
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFCHR:
		return "FILE"
	case unix.S_IFIFO:
		return "PIPE"
	case unix.S_IFSOCK:
	default:
		return "UNKNOWN"
	}
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return "UNKNOWN"
	}
	var rsa unix.RawSockaddrAny
	if rawName(unix.SYS_GETSOCKNAME, fd, &rsa) != nil {
		return "UNKNOWN"
	}
	family := rsa.Addr.Family
	switch typ {
	case unix.SOCK_STREAM:
		switch family {
		case unix.AF_INET, unix.AF_INET6:
			return "TCP"
		case unix.AF_UNIX:
			return "PIPE"
		}
	case unix.SOCK_DGRAM:
		switch family {
		case unix.AF_INET, unix.AF_INET6:
			return "UDP"
		case unix.AF_UNIX:
			return "PIPE"
		}
	}
	return "UNKNOWN"
}
