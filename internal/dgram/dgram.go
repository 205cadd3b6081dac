package dgram

import (
	"math"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/uv"
	"golang.org/x/sys/unix"
)

// newHandle makes the UDP handle for a socket type: "udp4" binds IPv4
// addresses, "udp6" IPv6 ones (Node swaps in bind6 for it). ok is false
// for any other type, where Node throws ERR_SOCKET_BAD_TYPE; the
// primary calls it only for these two.
//
// OMITTED(node): the handle's lookup function; the primary binds the
// address the worker resolved already.
//
// Mirrors lib/internal/dgram.js newHandle().
func newHandle(typ string) (h *uv.Stream, ipv6 bool, ok bool) {
	switch typ {
	case "udp4":
		return uv.NewUDP(uv.Default()), false, true
	case "udp6":
		return uv.NewUDP(uv.Default()), true, true
	}
	return nil, false, false
}

// CreateSocketHandle is dgram._createSocketHandle: a UDP handle for
// addressType ("udp4" or "udp6") that either opens fd, when fd is an
// int32 above 0 (EINVAL unless it is a UDP socket), or binds address and
// port when either is truthy, or stays unbound otherwise. It returns the
// handle, or a negative errno with the handle closed.
//
// The values are a queryServer's, as JSON gave them, and are read as
// udp_wrap's bind reads its arguments: the address as a string, the port
// and the flags as JS's ToUint32 makes them, the port then cut to 16 bits
// as libuv's uv_ip4_addr does (a port of 70000 binds 4464, -1 binds
// 65535, as under node's primary).
//
// Mirrors lib/internal/dgram.js _createSocketHandle().
func CreateSocketHandle(address, port any, addressType string, fd, flags any) (*uv.Stream, int) {
	h, ipv6, ok := newHandle(addressType)
	if !ok {
		return nil, -int(unix.EINVAL)
	}
	var err error
	if n, ok := childprocess.ToFloat(fd); ok && n > 0 && n <= math.MaxInt32 && n == math.Trunc(n) {
		if uv.GuessHandle(int(n)) != "UDP" {
			err = unix.EINVAL
		} else {
			err = h.UDPOpen(int(n))
		}
	} else if childprocess.ToBoolean(port) || childprocess.ToBoolean(address) {
		p := 0
		if childprocess.ToBoolean(port) {
			p = int(uint16(childprocess.ToUint32(childprocess.ToNumber(port))))
		}
		f := int(childprocess.ToUint32(childprocess.ToNumber(flags)))
		err = h.UDPBind(childprocess.ToJSString(address), p, f, ipv6)
	}
	if err != nil {
		h.Close(nil)
		if en, ok := err.(unix.Errno); ok {
			return nil, -int(en)
		}
		return nil, -int(unix.EINVAL)
	}
	return h, 0
}
