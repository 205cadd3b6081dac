package net_test

import (
	"testing"

	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/net"
)

// BenchmarkSocketWrite writes 1 KB chunks from a client socket to a
// server socket over 127.0.0.1 as fast as Write and "drain" allow (no
// encoding, no Cork): the path SetEncoding, Cork and the writes held
// behind a write in flight must not slow down.
func BenchmarkSocketWrite(b *testing.B) {
	chunk := make([]byte, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(chunk)))
	process.RunMain(func() {
		var srv *net.Server
		total := 0
		srv = net.CreateServer(func(s *net.Socket) {
			s.On("data", func(d []byte) { total += len(d) })
			s.On("end", func() { s.End(nil); srv.Close(nil) })
		})
		err := srv.Listen(0, "127.0.0.1", func() {
			c, err := net.Connect(srv.Address().Port, "127.0.0.1")
			if err != nil {
				b.Fatal(err)
			}
			c.On("data", func([]byte) {})
			i := 0
			var pump func()
			pump = func() {
				for i < b.N {
					i++
					if !c.Write(chunk, nil) {
						return
					}
				}
				c.End(nil)
			}
			c.On("drain", pump)
			c.On("connect", func() { b.ResetTimer(); pump() })
		})
		if err != nil {
			b.Fatal(err)
		}
	})
}
