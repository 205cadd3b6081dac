package uv

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// The flags a UDP bind takes, as libuv numbers them (uv_udp_flags);
// lib/dgram.js sets the first two from the socket's reuseAddr and
// ipv6Only options.
const (
	UDPIPv6Only     = 1  // UV_UDP_IPV6ONLY
	UDPReuseAddr    = 4  // UV_UDP_REUSEADDR
	UDPLinuxRecvErr = 32 // UV_UDP_LINUX_RECVERR
)

// NewUDP makes a UDP handle with no socket yet, as uv_udp_init does: a
// bind (UDPBind) or an open (UDPOpen) gives it one.
//
// DEVIATION(shape): Node's UDP handle is its own class (udp_wrap); here
// it is a Stream of KindUDP, a socket a cluster primary binds for its
// workers (shared_handle.js) and sends with "dgram.Native". The port has
// no dgram module: nothing reads or writes datagrams on it.
func NewUDP(l *Loop) *Stream {
	s := &Stream{Kind: KindUDP, fd: -1}
	s.Handle.init(l)
	l.initIO(&s.io, -1, s)
	return s
}

// UDPBind binds the handle to address and port, creating its socket first
// (of the family ipv6 says), as udp_wrap's Bind and Bind6 do through
// uv_udp_bind: flags other than UDPIPv6Only, UDPReuseAddr and
// UDPLinuxRecvErr, or UDPIPv6Only on IPv4, are EINVAL; UDPReuseAddr sets
// SO_REUSEADDR (libuv's choice on Linux), UDPIPv6Only IPV6_V6ONLY; an
// address that does not parse for the family is EINVAL, and so is
// EAFNOSUPPORT from bind.
func (s *Stream) UDPBind(address string, port int, flags int, ipv6 bool) error {
	if flags&^(UDPIPv6Only|UDPReuseAddr|UDPLinuxRecvErr) != 0 {
		return unix.EINVAL
	}
	if flags&UDPIPv6Only != 0 && !ipv6 {
		return unix.EINVAL
	}
	ip, err := netip.ParseAddr(address)
	if err != nil || ip.Is6() != ipv6 {
		return unix.EINVAL
	}
	var sa unix.Sockaddr
	family := unix.AF_INET
	if ipv6 {
		family = unix.AF_INET6
		sa6 := &unix.SockaddrInet6{Port: port, Addr: ip.As16()}
		if z := ip.Zone(); z != "" {
			if ifi, err := interfaceIndex(z); err == nil {
				sa6.ZoneId = ifi
			}
		}
		sa = sa6
	} else {
		sa = &unix.SockaddrInet4{Port: port, Addr: ip.As4()}
	}
	if s.fd < 0 {
		fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		s.attach(fd)
	}
	if flags&UDPLinuxRecvErr != 0 {
		level, opt := unix.IPPROTO_IP, unix.IP_RECVERR
		if ipv6 {
			level, opt = unix.IPPROTO_IPV6, unix.IPV6_RECVERR
		}
		if err := unix.SetsockoptInt(s.fd, level, opt, 1); err != nil {
			return err
		}
	}
	if flags&UDPReuseAddr != 0 {
		if err := unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return err
		}
	}
	if flags&UDPIPv6Only != 0 {
		if err := unix.SetsockoptInt(s.fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return err
		}
	}
	if err := unix.Bind(s.fd, sa); err != nil {
		if err == unix.EAFNOSUPPORT {
			return unix.EINVAL
		}
		return err
	}
	return nil
}

// UDPOpen gives the handle an existing datagram socket, as udp_wrap's
// Open does through uv_udp_open: a descriptor the loop watches already
// (uv__fd_exists) is EEXIST; the socket is made non-blocking and gets
// SO_REUSEADDR.
func (s *Stream) UDPOpen(fd int) error {
	if s.loop.FdExists(fd) {
		return unix.EEXIST
	}
	if err := setNonblock(fd); err != nil {
		return err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return err
	}
	s.attach(fd)
	return nil
}

// attach makes fd the handle's descriptor.
func (s *Stream) attach(fd int) {
	s.fd = fd
	s.loop.initIO(&s.io, fd, s)
}
