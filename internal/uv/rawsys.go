package uv

// System calls the loop makes on every connection or message, made without
// telling the Go scheduler. It has no libuv counterpart: libuv calls the C
// library directly.
//
// Each of these returns at once: the descriptors are non-blocking,
// epoll_wait is asked with a timeout of 0, and close(2) of a socket without
// SO_LINGER does not wait. A syscall.Syscall around them costs more than the
// call itself on the hot path: entersyscall wakes the runtime's sysmon
// thread whenever every P was idle (the loop parked, or blocked in
// epoll_wait, a moment before), and sysmon then polls at its fastest rate
// and sleeps again, two context switches for nothing. A raw system call
// leaves the scheduler alone, as the runtime's own non-blocking calls do.
// Calls that can block (epoll_wait with a timeout) keep going through
// syscall.Syscall so that the runtime can hand the P over while they wait.

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// epollWaitNow is epoll_wait with a timeout of 0 (epoll_pwait without a
// signal mask, which every Linux architecture has).
func epollWaitNow(epfd int, events []unix.EpollEvent) (int, error) {
	for {
		r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(r), nil
	}
}

// accept4 accepts one connection, non-blocking and close-on-exec from the
// start, without asking for the peer's address: x/sys/unix's Accept4
// allocates and decodes it (with a getsockopt for an IPv4 peer), and
// nothing here uses it.
func accept4(fd int) (int, error) {
	for {
		r, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(fd), 0, 0, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return int(r), nil
	}
}

// rightsLen is the size of a control message carrying one descriptor.
var rightsLen = unix.CmsgSpace(4)

// sendmsg writes the buffers of iov (and the descriptor fd when fd >= 0)
// with one sendmsg, MSG_NOSIGNAL, retrying on EINTR. The control message
// is built on the stack: unix.UnixRights allocates one per call.
func sendmsg(sock int, iov []unix.Iovec, fd int) (int, error) {
	var msg unix.Msghdr
	if len(iov) > 0 {
		msg.Iov = &iov[0]
		msg.Iovlen = uint64(len(iov))
	}
	var oob [64]byte
	if fd >= 0 {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		h.Level = unix.SOL_SOCKET
		h.Type = unix.SCM_RIGHTS
		h.SetLen(unix.CmsgLen(4))
		*(*int32)(unsafe.Pointer(&oob[unix.CmsgLen(0)])) = int32(fd)
		msg.Control = &oob[0]
		msg.SetControllen(rightsLen)
	}
	for {
		r, _, e := unix.RawSyscall(unix.SYS_SENDMSG, uintptr(sock), uintptr(unsafe.Pointer(&msg)), unix.MSG_NOSIGNAL)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(r), nil
	}
}

// closeFd closes a socket descriptor.
func closeFd(fd int) {
	unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
}

// eventfdWrite adds one to the loop's eventfd (non-blocking).
func eventfdWrite(fd int) {
	one := uint64(1)
	unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&one)), 8)
}

// eventfdRead resets the loop's eventfd (non-blocking).
func eventfdRead(fd int) {
	var v uint64
	unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&v)), 8)
}
