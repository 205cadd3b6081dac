package net_test

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

// pipeScenarioWant is what node v20.20.2 printed for
// net/testdata/socket_pipe.js; TestSocketPipeScenariosAreNodes checks it
// against the node on PATH when that is the pinned one.
var pipeScenarioWant = []string{
	"== echo",
	"pipe true 2 1 2 2 0 1",
	"returned dest true flowing true",
	"resume",
	"tick",
	"client data hello",
	"end",
	"client data world",
	"finish",
	"unpipe true 2 1 1 1 0 1",
	"close 1 0 1 1 0 0",
	"client end",
	"client close",
	"== end false",
	"end",
	"unpipe 2 1 1 2 0 1 writable true",
	"writable after end true false",
	"client data hibye",
	"finish",
	"client close",
	"== unpipe",
	"client data one",
	"pause",
	"unpipe true paused true flowing false",
	"after unpipe 1 0 1 0 0 0 flowing false",
	"again 1 0 1 0 0 0",
	"buffered 3",
	"read two",
	"close",
	"client close",
	"== dest closes",
	"s data",
	"c close",
	"s pause",
	"unpipe c 2 1 1 0 0 0 paused true flowing false",
	"s flowing false 0 0 0 0 0 0",
	"== pipe after end",
	"end",
	"piped",
	"tick",
	"finish",
	"unpipe",
	"client end",
	"client close",
	"== dest errs",
	"error listeners 2",
	"s pause",
	"unpipe c 2 2 2 1 0 0",
	"c error boom 1 1 1 0 0 0",
	"c close",
	"== strings",
	"client got 41efbfbd42efbfbd",
	"client close",
	"== two dests",
	"while s2 waits: paused true s2 got 0 s3 short true buffered <= 64K true",
	"end 2 got 4194304",
	"end 3 got 4194304",
	"paused and resumed true true unpipes 2",
}

// TestSocketPipeScenariosAreNodes: the expectations of TestSocketPipe
// are what the pinned node prints for the same scenarios.
func TestSocketPipeScenariosAreNodes(t *testing.T) {
	if out, err := exec.Command("node", "--version").Output(); err != nil || strings.TrimSpace(string(out)) != "v20.20.2" {
		t.Skipf("this test needs node v20.20.2 on PATH (the expectations were recorded from it): %q, %v", out, err)
	}
	out, err := exec.Command("node", "testdata/socket_pipe.js").CombinedOutput()
	require.NoError(t, err, "%s", out)
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	require.Empty(t, cmp.Diff(pipeScenarioWant, got), "(-recorded +node)")
}

// listenerCounts is s's listener counts of events, space-separated, as
// the JS scenarios print them.
func listenerCounts(s *net.Socket, events ...string) string {
	var b strings.Builder
	for i, e := range events {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, s.ListenerCount(e))
	}
	return b.String()
}

// pipeCounts is socket_pipe.js's counts(): the listeners of the events a
// pipe listens to on its destination, and of "data".
func pipeCounts(s *net.Socket) string {
	return listenerCounts(s, "unpipe", "error", "close", "finish", "drain", "data")
}

// pipePair makes a server on 127.0.0.1 and a client to it, and calls fn
// with the server's socket and the client's once the server has its
// connection; the server closes then.
func pipePair(t *testing.T, fn func(s, c *net.Socket, srv *net.Server)) {
	var c *net.Socket
	var srv *net.Server
	srv = net.CreateServer(func(s *net.Socket) { srv.Close(nil); fn(s, c, srv) })
	require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
		var err error
		c, err = net.Connect(srv.AddressPort(), "127.0.0.1")
		require.NoError(t, err)
	}))
}

// TestSocketPipe: Pipe and Unpipe in the scenarios of
// net/testdata/socket_pipe.js, with node's output: an echo server
// (s.Pipe(s)), End false, Unpipe while data flows, a destination that
// closes, a Pipe after the source ended, a destination destroyed with an
// error (the pipe's "error" listener runs first), a source with an
// encoding (its strings written as UTF-8, a lone surrogate as U+FFFD), and two destinations one of which
// is not read for a while (the source pauses, waits for both to drain,
// and each gets all 4 MB, then the end).
func TestSocketPipe(t *testing.T) {
	var got []string
	log := func(f string, a ...any) { got = append(got, fmt.Sprintf(f, a...)) }
	l := uv.Default()
	type scenario func(next func())
	scenarios := []scenario{
		func(next func()) {
			log("== echo")
			pipePair(t, func(s, c *net.Socket, _ *net.Server) {
				s.On("pipe", func(src *net.Socket) { log("pipe %v %s", src == s, pipeCounts(s)) })
				s.On("unpipe", func(src *net.Socket) { log("unpipe %v %s", src == s, pipeCounts(s)) })
				s.On("resume", func() { log("resume") })
				s.On("end", func() { log("end") })
				s.On("finish", func() { log("finish") })
				s.On("close", func() { log("close %s", pipeCounts(s)) })
				r := s.Pipe(s)
				log("returned dest %v flowing %v", r == s, s.ReadableFlowing())
				l.NextTick(func() { log("tick") })
				c.SetEncoding("utf8")
				c.Write([]byte("hello"), nil)
				n := 0
				c.On("data", func(d string) {
					log("client data %s", d)
					if n++; n == 1 {
						c.End([]byte("world"))
					}
				})
				c.On("end", func() { log("client end") })
				c.On("close", func() { log("client close"); next() })
			})
		},
		func(next func()) {
			log("== end false")
			pipePair(t, func(s, c *net.Socket, _ *net.Server) {
				s.On("unpipe", func() { log("unpipe %s writable %v", pipeCounts(s), s.Writable()) })
				s.On("end", func() {
					log("end")
					l.NextTick(func() {
						log("writable after end %v %v", s.Writable(), s.WritableEnded())
						s.End([]byte("bye"))
					})
				})
				s.On("finish", func() { log("finish") })
				s.Pipe(s, net.PipeOptions{End: new(false)})
				c.SetEncoding("utf8")
				c.End([]byte("hi"))
				c.On("data", func(d string) { log("client data %s", d) })
				c.On("close", func() { log("client close"); next() })
			})
		},
		func(next func()) {
			log("== unpipe")
			pipePair(t, func(s, c *net.Socket, _ *net.Server) {
				s.On("unpipe", func(src *net.Socket) {
					log("unpipe %v paused %v flowing %v", src == s, s.IsPaused(), s.ReadableFlowing())
				})
				s.On("pause", func() { log("pause") })
				s.Pipe(s)
				c.SetEncoding("utf8")
				c.Write([]byte("one"), nil)
				c.Once("data", func(d string) {
					log("client data %s", d)
					s.Unpipe(s)
					log("after unpipe %s flowing %v", pipeCounts(s), s.ReadableFlowing())
					s.Unpipe(s)
					s.Unpipe()
					log("again %s", pipeCounts(s))
					c.Write([]byte("two"), nil)
					l.SetTimeout(50e6, func() {
						log("buffered %d", s.ReadableLength())
						log("read %s", s.Read())
						c.Destroy(nil)
					})
				})
				closed := 0
				c.On("close", func() {
					log("client close")
					if closed++; closed == 2 {
						next()
					}
				})
				s.On("close", func() {
					log("close")
					if closed++; closed == 2 {
						next()
					}
				})
			})
		},
		func(next func()) {
			log("== dest closes")
			pipePair(t, func(s, c *net.Socket, _ *net.Server) {
				c.On("unpipe", func() {
					log("unpipe c %s paused %v flowing %v", pipeCounts(c), s.IsPaused(), s.ReadableFlowing())
				})
				c.On("close", func() { log("c close") })
				s.On("pause", func() { log("s pause") })
				s.Pipe(c)
				c.Write([]byte("x"), nil)
				s.Once("data", func() {
					log("s data")
					c.Destroy(nil)
					l.SetTimeout(20e6, func() {
						log("s flowing %v %s", s.ReadableFlowing(), pipeCounts(s))
						s.Destroy(nil)
						next()
					})
				})
			})
		},
		func(next func()) {
			log("== pipe after end")
			var srv *net.Server
			srv = net.NewServer(net.ServerOptions{AllowHalfOpen: true}, func(s *net.Socket) {
				srv.Close(nil)
				s.On("end", func() {
					log("end")
					s.On("unpipe", func() { log("unpipe") })
					s.On("finish", func() { log("finish") })
					s.Pipe(s)
					log("piped")
					l.NextTick(func() { log("tick") })
				})
				s.Resume()
			})
			require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
				c, err := net.Connect(srv.AddressPort(), "127.0.0.1")
				require.NoError(t, err)
				c.End(nil)
				c.On("end", func() { log("client end") })
				c.On("close", func() { log("client close"); next() })
			}))
		},
		func(next func()) {
			log("== dest errs")
			pipePair(t, func(s, c *net.Socket, _ *net.Server) {
				c.On("unpipe", func() { log("unpipe c %s", pipeCounts(c)) })
				c.On("error", func(err error) { log("c error %v %s", err, pipeCounts(c)) })
				c.On("close", func() { log("c close"); s.Destroy(nil); next() })
				s.On("pause", func() { log("s pause") })
				s.Pipe(c)
				log("error listeners %d", c.ListenerCount("error"))
				c.Destroy(errors.New("boom"))
			})
		},
		func(next func()) {
			log("== strings")
			pipePair(t, func(s, c *net.Socket, _ *net.Server) {
				s.SetEncoding("utf16le")
				s.Pipe(s)
				var got []byte
				c.On("data", func(d []byte) { got = append(got, d...) })
				c.On("end", func() { log("client got %x", got) })
				c.On("close", func() { log("client close"); next() })
				c.Write([]byte{0x41, 0x00, 0x3d}, nil)
				l.SetTimeout(20e6, func() { c.End([]byte{0xd8, 0x42, 0x00, 0x00, 0xd8}) })
			})
		},
		func(next func()) {
			log("== two dests")
			var ss, cs []*net.Socket
			var pairUp func()
			pairUp = func() {
				if len(ss) < 3 {
					pipePair(t, func(s, c *net.Socket, _ *net.Server) {
						ss, cs = append(ss, s), append(cs, c)
						pairUp()
					})
					return
				}
				s1, c1, s2, c2, s3, c3 := ss[0], cs[0], ss[1], cs[1], ss[2], cs[2]
				pauses, resumes, unpipes := 0, 0, 0
				s1.On("pause", func() { pauses++ })
				s1.On("resume", func() { resumes++ })
				for _, d := range []*net.Socket{c2, c3} {
					d.On("unpipe", func() { unpipes++ })
				}
				s1.Pipe(c2)
				s1.Pipe(c3)
				const total = 4 << 20
				var got2, got3 int
				s2.Pause()
				s2.On("data", func(d []byte) { got2 += len(d) })
				s3.On("data", func(d []byte) { got3 += len(d) })
				c1.End(bytes.Repeat([]byte("x"), total))
				l.SetTimeout(300e6, func() {
					log("while s2 waits: paused %v s2 got %d s3 short %v buffered <= 64K %v",
						s1.IsPaused(), got2, got3 < total, s1.ReadableLength() <= 65536)
					s2.Resume()
				})
				ended := 0
				var at [2]int
				for i, s := range []*net.Socket{s2, s3} {
					s.On("end", func() {
						// Two sockets' FINs, in either order: logged
						// together once both have come, as socket_pipe.js does.
						at[i] = []int{got2, got3}[i]
						if ended++; ended == 2 {
							log("end 2 got %d", at[0])
							log("end 3 got %d", at[1])
							log("paused and resumed %v %v unpipes %d", pauses > 0, resumes > 1, unpipes)
							for _, x := range append(ss, cs...) {
								x.Destroy(nil)
							}
							next()
						}
					})
				}
			}
			pairUp()
		},
	}
	run(t, func() {
		var step func(i int)
		step = func(i int) {
			if i < len(scenarios) {
				scenarios[i](func() { step(i + 1) })
			}
		}
		step(0)
	})
	require.Empty(t, cmp.Diff(pipeScenarioWant, got), "(-node +port)")
}

// TestSocketStateGetters: Readable, Writable, ReadableEnded,
// WritableEnded, WritableFinished, WritableNeedDrain,
// WritableHighWaterMark, Closed and Errored at each step of a connection
// (a write that must wait, its "drain", End, the peer's end, "close"), of
// a refused connection and of a new socket destroyed, as node printed
// them (net/testdata/socket_state.js).
func TestSocketStateGetters(t *testing.T) {
	var got []string
	st := func(s *net.Socket) string {
		code := "null"
		if err := s.Errored(); err != nil {
			code = errCodeOnly(err)
		}
		return fmt.Sprintf("%v %v %v %v %v %v %d %v %s", s.Readable(), s.Writable(), s.ReadableEnded(), s.WritableEnded(),
			s.WritableFinished(), s.WritableNeedDrain(), s.WritableHighWaterMark(), s.Closed(), code)
	}
	log := func(f string, a ...any) { got = append(got, fmt.Sprintf(f, a...)) }
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			log("server conn %s", st(s))
			s.On("end", func() { log("server end %s", st(s)) })
			s.On("finish", func() { log("server finish %s", st(s)) })
			s.On("close", func() { log("server close %s", st(s)); srv.Close(nil) })
			s.Resume()
		})
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			c, err := net.Connect(srv.AddressPort(), "127.0.0.1")
			require.NoError(t, err)
			log("client new %s", st(c))
			c.On("connect", func() {
				log("client connect %s", st(c))
				r := c.Write(make([]byte, 20<<20), nil)
				log("client big write %v %s", r, st(c))
				c.On("drain", func() { log("drain %s", st(c)); c.End(nil); log("client ended %s", st(c)) })
			})
			c.On("finish", func() { log("client finish %s", st(c)) })
			c.On("close", func() {
				log("client close %s", st(c))
				d, err := net.Connect(1, "127.0.0.1")
				require.NoError(t, err)
				d.On("error", func(error) { log("d error %s", st(d)) })
				d.On("close", func() { log("d close %s", st(d)) })
				e := net.NewSocket(net.SocketOptions{})
				log("new socket %s", st(e))
				e.Destroy(nil)
				log("destroyed %s", st(e))
			})
			c.Resume()
		}))
	})
	want := []string{
		"client new true true false false false false 16384 false null",
		"server conn true true false false false false 16384 false null",
		"client connect true true false false false false 16384 false null",
		"client big write false true true false false false true 16384 false null",
		"drain true true false false false false 16384 false null",
		"client ended true false false true false false 16384 false null",
		"client finish true false false true true false 16384 false null",
		"server end false true true false false false 16384 false null",
		"server finish false false true true true false 16384 false null",
		"server close false false true true true false 16384 true null",
		"client close false false true true true false 16384 true null",
		"new socket true true false false false false 16384 false null",
		"destroyed false false false false false false 16384 true null",
		"d error false false false false false false 16384 true ECONNREFUSED",
		"d close false false false false false false 16384 true ECONNREFUSED",
	}
	require.Empty(t, cmp.Diff(want, got), "(-node +port)")
}

// TestSocketAndServerWarnings: a Socket and a Server are [Socket] and
// [Server] in a MaxListenersExceededWarning, and SetTimeout's
// TimeoutOverflowWarning is a process warning too: each comes as the
// process's "warning" event after the code that caused it, as node
// printed them (net/testdata/socket_warnings.js; node writes each on
// stderr as well).
func TestSocketAndServerWarnings(t *testing.T) {
	var got []string
	run(t, func() {
		p := process.Get()
		l := p.On("warning", func(w *events.Warning) {
			got = append(got, w.Name+": "+strings.ReplaceAll(w.Message, "\n", "|"))
		})
		s := net.NewSocket(net.SocketOptions{})
		for i := 0; i < 11; i++ {
			s.On("data", func() {})
		}
		srv := net.CreateServer(nil)
		for i := 0; i < 11; i++ {
			srv.On("connection", func() {})
		}
		s.SetTimeout(1<<31*time.Millisecond, nil)
		got = append(got, "sync end")
		s.Destroy(nil)
		uv.Default().SetImmediate(func() { p.RemoveListener(l) })
	})
	want := []string{
		"sync end",
		"MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 11 data listeners added to [Socket]. MaxListeners is 10. Use emitter.setMaxListeners() to increase limit",
		"MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 11 connection listeners added to [Server]. MaxListeners is 10. Use emitter.setMaxListeners() to increase limit",
		"TimeoutOverflowWarning: 2147483648 does not fit into a 32-bit signed integer.|Timer duration was truncated to 2147483647.",
	}
	require.Empty(t, cmp.Diff(want, got), "(-node +port)")
}
