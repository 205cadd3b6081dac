package uv

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Sockname is what getsockname/getpeername fill in: Node's
// {address, family, port} object.
type Sockname struct {
	Address string
	Family  string
	Port    int
}

// TCPIPv6Only is UV_TCP_IPV6ONLY, the one flag bind6 takes.
const TCPIPv6Only = 1

// NewTCP creates a TCP handle with a fresh socket of the given family
// (unix.AF_INET or unix.AF_INET6), as uv_tcp_init_ex does lazily on bind.
func NewTCP(l *Loop, family int) (*Stream, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return NewStream(l, KindTCP, fd, false)
}

// Bind binds an IPv4 address (tcp_wrap Bind, uv_tcp_bind). Like libuv it
// sets SO_REUSEADDR first, and keeps EADDRINUSE for Listen (bindResult).
func (s *Stream) Bind(address string, port int) error {
	ip, err := netip.ParseAddr(address)
	if err != nil || !ip.Is4() {
		return unix.EINVAL
	}
	unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	return s.bindResult(unix.Bind(s.fd, &unix.SockaddrInet4{Port: port, Addr: ip.As4()}))
}

// bindResult is what a TCP bind reports, as uv__tcp_bind does: an
// EADDRINUSE is not returned but kept for Listen (delayed_error), so a
// server whose port is taken learns it from listen ("listen EADDRINUSE"),
// and Node's fallback from :: to 0.0.0.0 never hides a taken port;
// EAFNOSUPPORT becomes EINVAL.
func (s *Stream) bindResult(err error) error {
	switch err {
	case nil:
		s.delayedErr = nil
		return nil
	case unix.EADDRINUSE:
		s.delayedErr = err
		return nil
	case unix.EAFNOSUPPORT:
		return unix.EINVAL
	}
	return err
}

// Bind6 binds an IPv6 address, IPv6-only when flags has TCPIPv6Only
// (tcp_wrap Bind6).
func (s *Stream) Bind6(address string, port int, flags int) error {
	ip, err := netip.ParseAddr(address)
	if err != nil || !ip.Is6() {
		return unix.EINVAL
	}
	unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	v6only := 0
	if flags&TCPIPv6Only != 0 {
		v6only = 1
	}
	unix.SetsockoptInt(s.fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only)
	sa := &unix.SockaddrInet6{Port: port, Addr: ip.As16()}
	if z := ip.Zone(); z != "" {
		if ifi, err := interfaceIndex(z); err == nil {
			sa.ZoneId = ifi
		}
	}
	return s.bindResult(unix.Bind(s.fd, sa))
}

// Getsockname reports the local address (tcp_wrap GetSockName). A Pipe
// has none: pipe_wrap has no getsockname, listening or connected, so
// socket.address() is {} and localAddress undefined in Node.
func (s *Stream) Getsockname() (Sockname, error) {
	if s.Kind == KindPipe {
		return Sockname{}, ErrNoGetsockname
	}
	sa, err := Getsockname(s.fd)
	if err != nil {
		return Sockname{}, err
	}
	return sockname(sa), nil
}

// Getpeername reports the remote address (tcp_wrap GetPeerName). A Pipe
// has none (pipe_wrap has no getpeername: remoteAddress is undefined).
func (s *Stream) Getpeername() (Sockname, error) {
	if s.Kind == KindPipe {
		return Sockname{}, ErrNoGetsockname
	}
	sa, err := Getpeername(s.fd)
	if err != nil {
		return Sockname{}, err
	}
	return sockname(sa), nil
}

// SetNoDelay sets TCP_NODELAY (uv_tcp_nodelay).
func (s *Stream) SetNoDelay(on bool) error {
	v := 0
	if on {
		v = 1
	}
	return setsockoptInt(s.fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, v)
}

// Connect connects an IPv4 socket to address:port (tcp_wrap Connect,
// uv_tcp_connect); cb gets the result on the loop.
func (s *Stream) Connect(address string, port int, cb func(err error)) error {
	ip, err := netip.ParseAddr(address)
	if err != nil || !ip.Is4() {
		return unix.EINVAL
	}
	return s.connect(&unix.SockaddrInet4{Port: port, Addr: ip.As4()}, cb)
}

// Connect6 connects an IPv6 socket to address:port (tcp_wrap Connect6).
func (s *Stream) Connect6(address string, port int, cb func(err error)) error {
	ip, err := netip.ParseAddr(address)
	if err != nil || !ip.Is6() {
		return unix.EINVAL
	}
	sa := &unix.SockaddrInet6{Port: port, Addr: ip.As16()}
	if z := ip.Zone(); z != "" {
		if ifi, err := interfaceIndex(z); err == nil {
			sa.ZoneId = ifi
		}
	}
	return s.connect(sa, cb)
}

// SetKeepAlive turns TCP keep-alive on or off (uv_tcp_keepalive). On, it
// also sets the idle time before the first probe to delay seconds, then
// a probe every second and ten probes, as libuv 1.46 does; a delay of 0
// is refused by the kernel (EINVAL) after keep-alive is already on, and
// Node ignores that error as it ignores every other one here.
func (s *Stream) SetKeepAlive(on bool, delay int) error {
	v := 0
	if on {
		v = 1
	}
	if err := setsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, v); err != nil || !on {
		return err
	}
	if err := setsockoptInt(s.fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, delay); err != nil {
		return err
	}
	if err := setsockoptInt(s.fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, 1); err != nil {
		return err
	}
	return setsockoptInt(s.fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 10)
}

// CloseReset closes the handle so that the peer gets a reset (RST), not
// an orderly end: SO_LINGER with a zero timeout, then Close
// (uv_tcp_close_reset). While a shutdown is under way it refuses with
// EINVAL and leaves the handle open, as libuv does.
func (s *Stream) CloseReset(cb func()) error {
	if s.shutdownReq != nil {
		return unix.EINVAL
	}
	if err := setsockoptLinger(s.fd, &unix.Linger{Onoff: 1, Linger: 0}); err != nil && err != unix.EINVAL {
		return err
	}
	s.Close(cb)
	return nil
}

func sockname(sa unix.Sockaddr) Sockname {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return Sockname{Address: netip.AddrFrom4(a.Addr).String(), Family: "IPv4", Port: a.Port}
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(a.Addr)
		return Sockname{Address: ip.String(), Family: "IPv6", Port: a.Port}
	case *unix.SockaddrUnix:
		return Sockname{Address: a.Name, Family: "", Port: -1}
	}
	return Sockname{}
}

// StreamFromFd wraps a descriptor the program was given (listen({fd})),
// choosing TCP or Pipe from the socket's family.
func StreamFromFd(l *Loop, fd int) (*Stream, error) {
	return NewStream(l, streamKind(fd), fd, false)
}

// ReceivedStream wraps a descriptor that came with an IPC message,
// choosing TCP or Pipe from the socket's family, as Node's handle wrapping
// does when a message carries a descriptor. The channel receives
// descriptors close-on-exec already (MSG_CMSG_CLOEXEC), and one the primary
// accepted is non-blocking already, so on a round-robin handoff this costs
// two system calls (getsockname, fcntl), neither through the scheduler.
//
// The getsockname that tells TCP from Unix also gives a TCP socket's
// address, which the stream keeps (LocalName), so that net/http's
// LocalAddr on a handed-off connection costs no second system call.
func ReceivedStream(l *Loop, fd int) (*Stream, error) {
	var rsa unix.RawSockaddrAny
	kind := kindOf(fd, &rsa)
	s, err := newStream(l, kind, fd, false, false)
	if err == nil {
		s.local.keep(&rsa)
		s.received = true
	}
	return s, err
}

// Received reports whether the descriptor came with an IPC message
// (ReceivedStream): the sender may still hold its copy of the socket, as
// a cluster primary does until the worker's answer to "newconn" reaches
// it.
func (s *Stream) Received() bool { return s.received }

// streamKind is KindPipe for a Unix socket, else KindTCP.
func streamKind(fd int) Kind {
	var rsa unix.RawSockaddrAny
	return kindOf(fd, &rsa)
}

// kindOf is streamKind, leaving what getsockname filled in in rsa (its
// family is 0 when the call failed).
func kindOf(fd int, rsa *unix.RawSockaddrAny) Kind {
	if rawName(unix.SYS_GETSOCKNAME, fd, rsa) != nil {
		*rsa = unix.RawSockaddrAny{}
		return KindTCP
	}
	if rsa.Addr.Family == unix.AF_UNIX {
		return KindPipe
	}
	return KindTCP
}

// localName is a TCP socket's own address as getsockname gave it when the
// descriptor arrived, undecoded (no allocation until it is asked for). An
// IPv6 address is the larger of the two a TCP socket has, so its raw form
// holds either; the zero value (family 0) knows nothing.
type localName struct{ raw unix.RawSockaddrInet6 }

// keep records rsa when it is an IPv4 or IPv6 address.
func (n *localName) keep(rsa *unix.RawSockaddrAny) {
	if f := rsa.Addr.Family; f == unix.AF_INET || f == unix.AF_INET6 {
		n.raw = *(*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
	}
}

// LocalName is the socket's own address as it was when a received
// descriptor arrived (ReceivedStream), or nil when the stream kept none
// (a Unix socket, a stream made otherwise). For what a server hands over,
// a connected or a listening socket, that address does not change, so it
// is what getsockname would say now; a socket that arrived unbound and
// was bound or connected later would say otherwise (net's Listener, the
// one caller, only takes connections).
func (s *Stream) LocalName() unix.Sockaddr {
	if s.local.raw.Family == 0 {
		return nil
	}
	var rsa unix.RawSockaddrAny
	*(*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa)) = s.local.raw
	sa, _ := decodeSockaddr(&rsa)
	return sa
}

// IsListening reports whether the socket behind fd accepts connections.
func IsListening(fd int) bool {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	return err == nil && v == 1
}
