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
// Calls that can block (epoll_wait with a timeout, close(2) of a socket
// with a linger time: FD.Close) keep going through syscall.Syscall so that
// the runtime can hand the P over while they wait.

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

// Getsockname is getsockname(2) as a raw system call. x/sys/unix's
// Getsockname goes through the scheduler and, for every IPv4 socket, asks
// SO_PROTOCOL with a second system call; a handle is only ever TCP or a
// Unix socket, so neither is needed.
func Getsockname(fd int) (unix.Sockaddr, error) { return getName(unix.SYS_GETSOCKNAME, fd) }

// Getpeername is getpeername(2), as Getsockname.
func Getpeername(fd int) (unix.Sockaddr, error) { return getName(unix.SYS_GETPEERNAME, fd) }

func getName(trap uintptr, fd int) (unix.Sockaddr, error) {
	var rsa unix.RawSockaddrAny
	if err := rawName(trap, fd, &rsa); err != nil {
		return nil, err
	}
	return decodeSockaddr(&rsa)
}

// rawName fills rsa with getsockname(2) or getpeername(2) (trap) of fd,
// undecoded.
func rawName(trap uintptr, fd int, rsa *unix.RawSockaddrAny) error {
	n := uint32(unix.SizeofSockaddrAny)
	_, _, e := unix.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(rsa)), uintptr(unsafe.Pointer(&n)))
	if e != 0 {
		return e
	}
	return nil
}

// decodeSockaddr turns what the kernel filled in into the x/sys/unix type
// for IPv4, IPv6 and Unix addresses.
func decodeSockaddr(rsa *unix.RawSockaddrAny) (unix.Sockaddr, error) {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		raw := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return &unix.SockaddrInet4{Port: netPort(raw.Port), Addr: raw.Addr}, nil
	case unix.AF_INET6:
		raw := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		return &unix.SockaddrInet6{Port: netPort(raw.Port), ZoneId: raw.Scope_id, Addr: raw.Addr}, nil
	case unix.AF_UNIX:
		raw := (*unix.RawSockaddrUnix)(unsafe.Pointer(rsa))
		// As x/sys/unix and Go's net read it: a leading NUL (an abstract
		// name, or no name at all) shows as '@', and the name ends at the
		// first NUL.
		if raw.Path[0] == 0 {
			raw.Path[0] = '@'
		}
		end := 0
		for end < len(raw.Path) && raw.Path[end] != 0 {
			end++
		}
		path := unsafe.Slice((*byte)(unsafe.Pointer(&raw.Path[0])), end)
		return &unix.SockaddrUnix{Name: string(path)}, nil
	}
	return nil, unix.EAFNOSUPPORT
}

// netPort reads a port kept in network byte order.
func netPort(p uint16) int {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return int(b[0])<<8 | int(b[1])
}

// setNonblock makes fd non-blocking unless it already is: one fcntl for a
// descriptor that is (a received one shares the sender's open file, which
// libuv and this loop accept non-blocking).
func setNonblock(fd int) error {
	fl, _, e := unix.RawSyscall(unix.SYS_FCNTL, uintptr(fd), unix.F_GETFL, 0)
	if e != 0 {
		return e
	}
	if fl&unix.O_NONBLOCK != 0 {
		return nil
	}
	if _, _, e = unix.RawSyscall(unix.SYS_FCNTL, uintptr(fd), unix.F_SETFL, fl|unix.O_NONBLOCK); e != 0 {
		return e
	}
	return nil
}

// setsockoptInt sets an integer socket option.
func setsockoptInt(fd, level, opt, value int) error {
	v := int32(value)
	_, _, e := unix.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(unsafe.Pointer(&v)), 4, 0)
	if e != 0 {
		return e
	}
	return nil
}

// epollCtl is epoll_ctl(2): it never blocks.
func epollCtl(epfd, op, fd int, ev *unix.EpollEvent) error {
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// readFd is read(2) on a non-blocking descriptor, retrying EINTR.
func readFd(fd int, b []byte) (int, unix.Errno) {
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	for {
		r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(p), uintptr(len(b)))
		if e != unix.EINTR {
			return int(r), e
		}
	}
}

// writeFd is write(2) on a non-blocking descriptor, retrying EINTR. A
// socket whose peer is gone answers EPIPE; the runtime ignores the
// SIGPIPE that comes with it for every descriptor but 1 and 2, as it does
// for net's connections.
func writeFd(fd int, b []byte) (int, unix.Errno) {
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	for {
		r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(p), uintptr(len(b)))
		if e != unix.EINTR {
			return int(r), e
		}
	}
}

// shutdownFd is shutdown(2).
func shutdownFd(fd, how int) error {
	if _, _, e := unix.RawSyscall(unix.SYS_SHUTDOWN, uintptr(fd), uintptr(how), 0); e != 0 {
		return e
	}
	return nil
}

// unreadFd is ioctl(2) SIOCINQ: how many bytes the socket has received
// that nobody read.
func unreadFd(fd int) (int, error) {
	var n int32
	if _, _, e := unix.RawSyscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCINQ, uintptr(unsafe.Pointer(&n))); e != 0 {
		return 0, e
	}
	return int(n), nil
}

// setsockoptLinger sets SO_LINGER.
func setsockoptLinger(fd int, l *unix.Linger) error {
	_, _, e := unix.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_LINGER, uintptr(unsafe.Pointer(l)), unsafe.Sizeof(*l), 0)
	if e != 0 {
		return e
	}
	return nil
}

// connectFd is connect(2) on a non-blocking socket, retrying EINTR.
func connectFd(fd int, sa unix.Sockaddr) error {
	for {
		err := unix.Connect(fd, sa)
		if err != unix.EINTR {
			return err
		}
	}
}

// listenQueue reads a listening TCP socket's accept queue from TCP_INFO:
// how many connections wait in it (tcpi_unacked, the socket's
// sk_ack_backlog) and how many it holds (tcpi_sacked, its
// sk_max_ack_backlog). Only the first 32 bytes of struct tcp_info are
// asked for, on the stack.
func listenQueue(fd int) (queued, size int, err error) {
	var info [32]byte
	n := uint32(len(info))
	_, _, e := unix.RawSyscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.IPPROTO_TCP, unix.TCP_INFO, uintptr(unsafe.Pointer(&info[0])), uintptr(unsafe.Pointer(&n)), 0)
	if e != 0 {
		return 0, 0, e
	}
	if n < uint32(len(info)) || info[0] != unix.BPF_TCP_LISTEN {
		return 0, 0, unix.EINVAL
	}
	return int(*(*uint32)(unsafe.Pointer(&info[24]))), int(*(*uint32)(unsafe.Pointer(&info[28]))), nil
}
