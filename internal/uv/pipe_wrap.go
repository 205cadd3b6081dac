package uv

import (
	stdnet "net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// NewPipe creates a Pipe handle over a fresh Unix stream socket
// (uv_pipe_init and the socket uv_pipe_bind makes).
func NewPipe(l *Loop) (*Stream, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return NewStream(l, KindPipe, fd, false)
}

// BindPipe binds a Unix socket path (pipe_wrap Bind, uv_pipe_bind). As
// libuv 1.46 does, a name longer than sun_path is cut to its 108 bytes, a
// leading NUL makes an abstract name (a leading '@' is an ordinary file
// name), and ENOENT (a missing directory) is reported as EACCES. Once
// bound, the path is the handle's: Close unlinks it, as libuv does, so a
// server closed in Node leaves no socket file behind.
//
// DEVIATION(fix): libuv 1.46 keeps the whole name for that unlink, so a
// name it had to cut leaves its socket file behind, and the next listen on
// the same path fails with EADDRINUSE. The port unlinks the name it bound.
// NODECLUSTER_REPRODUCE_V20=pipe-name-left (ReproducePipeNameLeft) keeps
// the whole name, as Node does.
func (s *Stream) BindPipe(path string) error {
	name := path
	if len(name) > maxPipeName {
		name = name[:maxPipeName]
	}
	if err := bindUnix(s.fd, name); err != nil {
		if err == unix.ENOENT {
			return unix.EACCES
		}
		return err
	}
	switch {
	case name[0] == 0:
		// abstract: nothing on disk to unlink
	case ReproducePipeNameLeft:
		s.pipeFname = path
	default:
		s.pipeFname = name
	}
	return nil
}

// ReproducePipeNameLeft, when true, keeps a cut pipe name whole for the
// unlink at close, which then misses the socket file, as in Node v20.
var ReproducePipeNameLeft = Reproduce("pipe-name-left")

// maxPipeName is the size of sockaddr_un's sun_path.
const maxPipeName = len(unix.RawSockaddrUnix{}.Path)

// bindUnix binds fd to a Unix socket name of at most maxPipeName bytes
// the way uv_pipe_bind does (see rawSockaddrUnix). x/sys/unix's Bind
// would refuse a path of 108 bytes and take a leading '@' for abstract.
func bindUnix(fd int, name string) error {
	if name == "" {
		return unix.EINVAL
	}
	sa, n := rawSockaddrUnix(name)
	_, _, e := unix.RawSyscall(unix.SYS_BIND, uintptr(fd), uintptr(unsafe.Pointer(&sa)), n)
	if e != 0 {
		return e
	}
	return nil
}

// rawSockaddrUnix is the address libuv 1.46 gives a Unix socket name (at
// most maxPipeName bytes) and its length: an abstract name (leading NUL)
// with its exact length, a path with the whole sockaddr_un.
func rawSockaddrUnix(name string) (unix.RawSockaddrUnix, uintptr) {
	var sa unix.RawSockaddrUnix
	sa.Family = unix.AF_UNIX
	for i := 0; i < len(name); i++ {
		sa.Path[i] = int8(name[i])
	}
	n := uintptr(unix.SizeofSockaddrUnix)
	if name[0] == 0 {
		n = unsafe.Offsetof(sa.Path) + uintptr(len(name))
	}
	return sa, n
}

// ConnectPipe connects a Unix socket to path (pipe_wrap Connect,
// uv_pipe_connect): the name cut to sun_path's 108 bytes and read as
// BindPipe reads it; every error, even one met at once, reaches cb from
// the loop.
func (s *Stream) ConnectPipe(path string, cb func(err error)) error {
	if s.connectReq != nil {
		return unix.EALREADY
	}
	name := path
	if len(name) > maxPipeName {
		name = name[:maxPipeName]
	}
	var err error
	if name == "" {
		err = unix.ENOENT
	} else {
		sa, n := rawSockaddrUnix(name)
		for {
			_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(s.fd), uintptr(unsafe.Pointer(&sa)), n)
			if e != unix.EINTR {
				if e != 0 {
					err = e
				}
				break
			}
		}
	}
	return s.startConnect(err, cb)
}

// OpenIPC wraps an inherited channel descriptor as an IPC pipe
// (uv_pipe_open on a pipe created with ipc=1). The descriptor is made
// non-blocking and close-on-exec: a Node primary hands it over blocking.
func OpenIPC(l *Loop, fd int) (*Stream, error) {
	return NewStream(l, KindPipe, fd, true)
}

// Socketpair makes the two ends of an IPC channel, both close-on-exec;
// the parent keeps one and passes the other to the child
// (uv_socketpair, as used by uv_spawn for an ipc stdio slot).
func Socketpair() (parent, child int, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, err
	}
	return fds[0], fds[1], nil
}

func interfaceIndex(name string) (uint32, error) {
	ifi, err := stdnet.InterfaceByName(name)
	if err != nil {
		return 0, err
	}
	return uint32(ifi.Index), nil
}

// The modes of Fchmod (UV_READABLE, UV_WRITABLE).
const (
	PipeReadable = 1
	PipeWritable = 2
)

// Fchmod lets every user read (PipeReadable) and/or write (PipeWritable)
// the socket file a bound pipe made (pipe_wrap Fchmod, uv_pipe_chmod): as
// libuv does, it finds the file by getsockname, adds the read or write
// bits for user, group and others to the mode stat gives, and leaves the
// file alone when it has them already. Any other mode is EINVAL; a pipe
// with no descriptor is EBADF.
func (s *Stream) Fchmod(mode int) error {
	if s.fd < 0 {
		return unix.EBADF
	}
	if mode != PipeReadable && mode != PipeWritable && mode != PipeReadable|PipeWritable {
		return unix.EINVAL
	}
	sa, err := unix.Getsockname(s.fd)
	if err != nil {
		return err
	}
	su, ok := sa.(*unix.SockaddrUnix)
	if !ok {
		return unix.EINVAL
	}
	var st unix.Stat_t
	if err := unix.Stat(su.Name, &st); err != nil {
		return err
	}
	var desired uint32
	if mode&PipeReadable != 0 {
		desired |= unix.S_IRUSR | unix.S_IRGRP | unix.S_IROTH
	}
	if mode&PipeWritable != 0 {
		desired |= unix.S_IWUSR | unix.S_IWGRP | unix.S_IWOTH
	}
	if st.Mode&desired == desired {
		return nil
	}
	return unix.Chmod(su.Name, st.Mode|desired)
}
