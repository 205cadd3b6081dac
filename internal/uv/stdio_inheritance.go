package uv

import "golang.org/x/sys/unix"

// DisableStdioInheritance marks the descriptors this process inherited
// close-on-exec, as libuv's uv_disable_stdio_inheritance does and as Node
// calls it at start-up: descriptors 0 to 15 whether or not they are open,
// then on until the first that is not. A child then gets only what it is
// given explicitly (its stdio and its channel are placed with dup2, which
// clears the flag on the copy), not, say, a socket a supervisor passed to
// the primary.
func DisableStdioInheritance() {
	for fd := 0; ; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && fd > 15 {
			return
		}
	}
}
