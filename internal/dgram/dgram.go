package dgram

import (
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
// addressType ("udp4" or "udp6") that either opens fd, when fd is above
// 0 (EINVAL unless it is a UDP socket), or binds address and port when
// either is given (a truthy address or a port other than 0), or stays
// unbound otherwise. It returns the handle, or a negative errno with the
// handle closed.
//
// Mirrors lib/internal/dgram.js _createSocketHandle().
func CreateSocketHandle(address any, port int, addressType string, fd int, flags int) (*uv.Stream, int) {
	h, ipv6, ok := newHandle(addressType)
	if !ok {
		return nil, -int(unix.EINVAL)
	}
	var err error
	if fd > 0 {
		if uv.GuessHandle(fd) != "UDP" {
			err = unix.EINVAL
		} else {
			err = h.UDPOpen(fd)
		}
	} else if port != 0 || childprocess.Truthy(address) {
		err = h.UDPBind(childprocess.ToJSString(address), port, flags, ipv6)
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
