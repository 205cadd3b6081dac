package uv

import (
	stdnet "net"

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

// BindPipe binds a Unix socket path (pipe_wrap Bind, uv_pipe_bind). Once
// bound, the path is the handle's: Close unlinks it, as libuv does, so a
// server closed in Node leaves no socket file behind.
func (s *Stream) BindPipe(path string) error {
	if err := unix.Bind(s.fd, &unix.SockaddrUnix{Name: path}); err != nil {
		return err
	}
	s.pipeFname = path
	return nil
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
