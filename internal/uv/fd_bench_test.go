package uv

import (
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// echo copies what it reads back to where it came from, until EOF.
func echo(rw io.ReadWriter) {
	b := make([]byte, 512)
	for {
		n, err := rw.Read(b)
		if err != nil {
			return
		}
		if _, err := rw.Write(b[:n]); err != nil {
			return
		}
	}
}

// pingPong writes msg to rw and reads as many bytes back, b.N times.
func pingPong(b *testing.B, rw io.ReadWriter) {
	msg := make([]byte, 64)
	got := make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := rw.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(rw, got); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFDPingPong: 64-byte round trips between two goroutines over a
// socketpair, each end a uv.FD polled by one running loop (a Listener
// connection's path).
func BenchmarkFDPingPong(b *testing.B) {
	l, err := NewLoop()
	require.NoError(b, err)
	l.WaitInNetpoller()
	stop := runInBackground(b, l, time.Hour)
	fds := socketpair(b)
	a, peer := <-fdOnLoop(l, fds[0]), <-fdOnLoop(l, fds[1])
	go echo(peer)
	pingPong(b, a)
	b.StopTimer()
	a.Close()
	peer.Close()
	stop()
}

// BenchmarkOSFilePingPong: the same over *os.File ends in Go's netpoller
// (what a Listener connection was before it was an FD).
func BenchmarkOSFilePingPong(b *testing.B) {
	fds := socketpair(b)
	a, peer := os.NewFile(uintptr(fds[0]), "a"), os.NewFile(uintptr(fds[1]), "peer")
	go echo(peer)
	pingPong(b, a)
	b.StopTimer()
	a.Close()
	peer.Close()
}

// A read and a write on an FD allocate nothing.
func TestFDReadWriteAllocateNothing(t *testing.T) {
	fdPair(t, func(t *testing.T, p *FD, peer int) {
		msg, got := make([]byte, 16), make([]byte, 16)
		allocs := testing.AllocsPerRun(200, func() {
			if _, err := p.Write(msg); err != nil {
				panic(err)
			}
			for n := 0; n < len(got); {
				k, err := unix.Read(peer, got[n:])
				if err == unix.EAGAIN {
					continue
				}
				if err != nil {
					panic(err)
				}
				n += k
			}
			unix.Write(peer, msg)
			if _, err := io.ReadFull(p, got); err != nil {
				panic(err)
			}
		})
		require.Zero(t, allocs)
	})
}
