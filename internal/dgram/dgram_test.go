package dgram

import (
	"strconv"
	"testing"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// bound returns the handle's address as getsockname gives it.
func bound(t *testing.T, h *uv.Stream) uv.Sockname {
	t.Helper()
	sn, err := h.Getsockname()
	require.NoError(t, err)
	return sn
}

// created calls CreateSocketHandle, checks that it succeeded, and closes
// the handle at the end of the test.
func created(t *testing.T, address, port any, addressType string, fd, flags any) *uv.Stream {
	t.Helper()
	h, errno := CreateSocketHandle(address, port, addressType, fd, flags)
	require.Zero(t, errno)
	require.NotNil(t, h)
	t.Cleanup(func() { h.Close(nil) })
	require.Equal(t, uv.KindUDP, h.Kind)
	return h
}

// TestCreateSocketHandleBinds: "udp4" and "udp6" bind their family's
// address, port 0 picking one; the socket is a datagram socket.
func TestCreateSocketHandleBinds(t *testing.T) {
	h := created(t, "127.0.0.1", 0, "udp4", -1, 0)
	require.Equal(t, "UDP", uv.GuessHandle(h.Fd()))
	sn := bound(t, h)
	require.Equal(t, "127.0.0.1", sn.Address)
	require.Equal(t, "IPv4", sn.Family)
	require.NotZero(t, sn.Port)

	h6 := created(t, "::1", 0, "udp6", -1, uv.UDPIPv6Only)
	sn6 := bound(t, h6)
	require.Equal(t, "::1", sn6.Address)
	require.Equal(t, "IPv6", sn6.Family)
	v6only, err := unix.GetsockoptInt(h6.Fd(), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
	require.NoError(t, err)
	require.Equal(t, 1, v6only)
}

// TestCreateSocketHandleUnbound: with neither a port nor a truthy address
// the handle is made and left without a socket, as Node leaves it.
func TestCreateSocketHandleUnbound(t *testing.T) {
	for _, address := range []any{nil, childprocess.Undefined, ""} {
		h := created(t, address, 0, "udp4", -1, 0)
		require.Equal(t, -1, h.Fd(), "address %#v", address)
	}
}

// TestCreateSocketHandleErrors: what libuv refuses comes back as a
// negative errno and no handle.
func TestCreateSocketHandleErrors(t *testing.T) {
	taken := created(t, "127.0.0.1", 0, "udp4", -1, 0)
	port := bound(t, taken).Port
	tcp, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(tcp)

	for _, c := range []struct {
		name        string
		address     any
		port        int
		addressType string
		fd, flags   int
		want        unix.Errno
	}{
		{"port in use", "127.0.0.1", port, "udp4", -1, 0, unix.EADDRINUSE},
		{"ipv6Only on udp4", "127.0.0.1", 0, "udp4", -1, uv.UDPIPv6Only, unix.EINVAL},
		{"a flag bind does not take (UV_UDP_PARTIAL)", "127.0.0.1", 0, "udp4", -1, 2, unix.EINVAL},
		{"an IPv6 address for udp4", "::1", 0, "udp4", -1, 0, unix.EINVAL},
		{"an IPv4 address for udp6", "127.0.0.1", 0, "udp6", -1, 0, unix.EINVAL},
		{"not an address", "localhost", 0, "udp4", -1, 0, unix.EINVAL},
		{"an fd that is no UDP socket", nil, 0, "udp4", tcp, 0, unix.EINVAL},
		{"a type dgram does not have", "127.0.0.1", 0, "tcp4", -1, 0, unix.EINVAL},
	} {
		h, errno := CreateSocketHandle(c.address, c.port, c.addressType, c.fd, c.flags)
		require.Nil(t, h, c.name)
		require.Equal(t, -int(c.want), errno, c.name)
	}
}

// TestCreateSocketHandleReuseAddr: with UV_UDP_REUSEADDR on both sockets
// the port is shared, as the primary's bind for a worker's reuseAddr
// socket shares a port a socket outside the cluster holds.
func TestCreateSocketHandleReuseAddr(t *testing.T) {
	first := created(t, "127.0.0.1", 0, "udp4", -1, uv.UDPReuseAddr)
	port := bound(t, first).Port
	second := created(t, "127.0.0.1", port, "udp4", -1, uv.UDPReuseAddr)
	require.Equal(t, port, bound(t, second).Port)
}

// TestCreateSocketHandleOpensFd: a UDP socket's descriptor is opened, not
// bound again, and made non-blocking.
func TestCreateSocketHandleOpensFd(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	h := created(t, nil, 0, "udp4", fd, 0)
	require.Equal(t, fd, h.Fd())
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	require.NoError(t, err)
	require.NotZero(t, fl&unix.O_NONBLOCK)
}

// TestCreateSocketHandleReadsValuesAsBindDoes: a queryServer's values are
// read as udp_wrap's bind reads its arguments: a port as a numeric
// string, a port above 65535 cut to 16 bits, flags as null; an fd that
// is no int32 (3.5) is no fd, so the address is bound.
func TestCreateSocketHandleReadsValuesAsBindDoes(t *testing.T) {
	free := created(t, "127.0.0.1", 0, "udp4", -1, 0)
	port := bound(t, free).Port
	free.Close(nil)

	h := created(t, "127.0.0.1", strconv.Itoa(port), "udp4", nil, nil)
	require.Equal(t, port, bound(t, h).Port, "a port given as a string")
	h.Close(nil)
	h = created(t, "127.0.0.1", float64(port+65536), "udp4", 3.5, childprocess.Undefined)
	require.Equal(t, port, bound(t, h).Port, "a port above 65535, cut to 16 bits")
}
