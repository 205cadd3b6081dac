package uv

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The raw Getsockname and Getpeername decode what x/sys/unix decodes, for
// every kind of address a handle can have: IPv4, IPv6, a Unix path, an
// abstract Unix name, and an unnamed Unix socket.
func TestRawSocknames(t *testing.T) {
	type pair struct{ server, client int }
	tcp := func(t *testing.T, family int, sa unix.Sockaddr) pair {
		ln, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		require.NoError(t, err)
		t.Cleanup(func() { unix.Close(ln) })
		require.NoError(t, unix.Bind(ln, sa))
		require.NoError(t, unix.Listen(ln, 1))
		bound, err := unix.Getsockname(ln)
		require.NoError(t, err)
		c, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		require.NoError(t, err)
		t.Cleanup(func() { unix.Close(c) })
		require.NoError(t, unix.Connect(c, bound))
		s, _, err := unix.Accept(ln)
		require.NoError(t, err)
		t.Cleanup(func() { unix.Close(s) })
		return pair{s, c}
	}
	cases := []struct {
		name string
		make func(t *testing.T) pair
	}{
		{"ipv4", func(t *testing.T) pair {
			return tcp(t, unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
		}},
		{"ipv6", func(t *testing.T) pair {
			return tcp(t, unix.AF_INET6, &unix.SockaddrInet6{Addr: [16]byte{15: 1}})
		}},
		{"unix path", func(t *testing.T) pair {
			return tcp(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: filepath.Join(t.TempDir(), "s.sock")})
		}},
		{"unix abstract", func(t *testing.T) pair {
			return tcp(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: "@nodecluster-rawsys-test"})
		}},
		{"unix unnamed", func(t *testing.T) pair {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			require.NoError(t, err)
			t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
			return pair{fds[0], fds[1]}
		}},
	}
	// The x/sys types keep the kernel's raw bytes in unexported fields,
	// filled only when they are passed to a system call.
	exported := cmpopts.IgnoreUnexported(unix.SockaddrInet4{}, unix.SockaddrInet6{}, unix.SockaddrUnix{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.make(t)
			for _, fd := range []int{p.server, p.client} {
				want, err := unix.Getsockname(fd)
				require.NoError(t, err)
				got, err := Getsockname(fd)
				require.NoError(t, err)
				require.Empty(t, cmp.Diff(want, got, exported), "getsockname")
				want, err = unix.Getpeername(fd)
				require.NoError(t, err)
				got, err = Getpeername(fd)
				require.NoError(t, err)
				require.Empty(t, cmp.Diff(want, got, exported), "getpeername")
			}
			wantKind := KindTCP
			if tc.name[:4] == "unix" {
				wantKind = KindPipe
			}
			require.Equal(t, wantKind, streamKind(p.server))
		})
	}
	_, err := Getsockname(-1)
	require.ErrorIs(t, err, unix.EBADF)
}

// setNonblock turns O_NONBLOCK on when it is off and leaves it otherwise.
func TestSetNonblock(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	for i := 0; i < 2; i++ {
		require.NoError(t, setNonblock(fds[0]))
		fl, err := unix.FcntlInt(uintptr(fds[0]), unix.F_GETFL, 0)
		require.NoError(t, err)
		require.NotZero(t, fl&unix.O_NONBLOCK)
	}
	require.ErrorIs(t, setNonblock(-1), unix.EBADF)
}
