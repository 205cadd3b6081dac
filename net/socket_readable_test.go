package net_test

// A Node socket's paused mode: "readable", Read and readableFlowing, and
// how they meet "data", Pause and Resume, each scenario against what node
// v20.20.2 printed (net/testdata/socket_readable.js: a node server and
// client over 127.0.0.1, with the same steps).

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

// showRead is a chunk Read returned, as the node script printed it.
func showRead(x any) string {
	switch x := x.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("str %q", x)
	}
	return fmt.Sprintf("buf %x", x)
}

// flowingOf is socket.readableFlowing as JS's String() prints it.
func flowingOf(s *net.Socket) string {
	if f := s.ReadableFlowing(); f != nil {
		return fmt.Sprint(f)
	}
	return "null"
}

func chunkLen(x any) int {
	if s, ok := x.(string); ok {
		return len(s)
	}
	return len(x.([]byte))
}

type readableScenario struct {
	name   string
	server func(t *testing.T, s *net.Socket, log func(string, ...any))
	chunks []string
	gap    time.Duration // write the chunks every gap, not on the server's answers
	want   []string      // as node printed it
}

// readableClients replace the client that writes chunks, by scenario.
var readableClients = map[string]func(c *net.Socket, log func(string, ...any)){
	"client reads": func(c *net.Socket, log func(string, ...any)) {
		c.On("readable", func() { log("client readable %d %s", c.ReadableLength(), showRead(c.Read())) })
		c.On("connect", func() { log("client connect %s", flowingOf(c)) })
		c.On("end", func() { log("client end") })
		c.On("close", func() { log("client close") })
		log("client flowing %s", flowingOf(c))
	},
}

func TestSocketReadable(t *testing.T) {
	xs := make([]string, 10)
	for i := range xs {
		xs[i] = strings.Repeat("x", 4096)
	}
	// readLoop reads with n (none when n is 0) until Read returns nil.
	readLoop := func(s *net.Socket, log func(string, ...any), n ...int) {
		for {
			c := s.Read(n...)
			if c == nil {
				break
			}
			log("read %s", showRead(c))
		}
	}
	for _, c := range []readableScenario{
		{"read loop", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			log("flowing %s", flowingOf(s))
			s.On("readable", func() {
				log("readable %d", s.ReadableLength())
				readLoop(s, log)
				log("read null %d", s.ReadableLength())
				s.Write([]byte("k"), nil)
			})
			log("flowing %s", flowingOf(s))
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"hello", "world"}, 0,
			[]string{"flowing null", "flowing false", "readable 5", "read buf 68656c6c6f", "read null 0", "readable 5", "read buf 776f726c64", "read null 0", "readable 0", "read null 0", "end", "close false"}},
		{"read n", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.On("readable", func() {
				log("readable %d", s.ReadableLength())
				readLoop(s, log, 3)
				log("read null %d", s.ReadableLength())
				s.Write([]byte("k"), nil)
			})
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"hello", "world!"}, 0,
			[]string{"readable 5", "read buf 68656c", "read null 2", "readable 8", "read buf 6c6f77", "read buf 6f726c", "read null 2", "readable 2", "read buf 6421", "read null 0", "end", "close false"}},
		{"read zero", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.On("readable", func() {
				log("readable %d", s.ReadableLength())
				log("read0 %s %d", showRead(s.Read(0)), s.ReadableLength())
				uv.Default().SetImmediate(func() { log("read %s", showRead(s.Read())); s.Write([]byte("k"), nil) })
			})
			s.On("data", func(d []byte) { log("data %s", showRead(d)) })
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"ab", "cd"}, 0,
			[]string{"readable 2", "read0 null 2", "data buf 6162", "read buf 6162", "readable 2", "read0 null 2", "data buf 6364", "read buf 6364", "readable 0", "read0 null 0", "end", "read null", "close false"}},
		{"read after end", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.Once("readable", func() { log("readable %d", s.ReadableLength()) })
			s.On("end", func() { log("end"); s.End(nil) })
			waitUntil(t, func() bool { return net.EndPending(s) }, func() {
				log("ended %d", s.ReadableLength())
				log("read %s", showRead(s.Read()))
				log("read %s", showRead(s.Read()))
				uv.Default().SetImmediate(func() { log("immediate") })
			})
		}, []string{"hello"}, 0,
			[]string{"readable 5", "ended 5", "read buf 68656c6c6f", "read null", "end", "immediate", "close false"}},
		{"encoding", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.SetEncoding("utf8")
			s.On("readable", func() {
				log("readable %d", s.ReadableLength())
				readLoop(s, log, 2)
				log("read null %d", s.ReadableLength())
				s.Write([]byte("k"), nil)
			})
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"h\xc3", "\xa9llo", "x\xe2\x82"}, 0,
			[]string{"readable 1", "read null 1", "readable 5", `read str "hé"`, `read str "ll"`, "read null 1", "readable 2", `read str "ox"`, "read null 0", "readable 1", `read str "�"`, "read null 0", "end", "close false"}},
		{"readable while flowing", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			n := 0
			s.On("data", func(d []byte) {
				log("data %s", showRead(d))
				if n++; n == 1 {
					log("flowing %s", flowingOf(s))
					s.On("readable", func() {
						log("readable %d", s.ReadableLength())
						readLoop(s, log)
						s.Write([]byte("k"), nil)
					})
					log("flowing %s", flowingOf(s))
					s.Write([]byte("k"), nil)
				}
			})
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"a", "b", "c"}, 0,
			[]string{"data buf 61", "flowing true", "flowing false", "readable 1", "data buf 62", "read buf 62", "readable 1", "data buf 63", "read buf 63", "readable 0", "end", "close false"}},
		{"readable removed", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.On("data", func(d []byte) { log("data %s", showRead(d)); s.Write([]byte("k"), nil) })
			var listener *events.Listener
			onReadable := func() {
				log("readable %d", s.ReadableLength())
				readLoop(s, log)
				s.RemoveListener(listener)
				log("flowing %s", flowingOf(s))
				uv.Default().NextTick(func() { log("tick flowing %s", flowingOf(s)) })
				s.Write([]byte("k"), nil)
			}
			listener = s.On("readable", onReadable)
			log("flowing %s", flowingOf(s))
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"a", "b", "c"}, 0,
			[]string{"flowing false", "readable 1", "data buf 61", "read buf 61", "flowing false", "tick flowing true", "data buf 62", "data buf 63", "end", "close false"}},
		{"removed no data", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			var listener *events.Listener
			listener = s.On("readable", func() {
				log("readable %s", showRead(s.Read()))
				s.RemoveListener(listener)
				uv.Default().NextTick(func() {
					log("tick flowing %s", flowingOf(s))
					s.On("data", func(d []byte) { log("data %s", showRead(d)); s.Write([]byte("k"), nil) })
					log("flowing %s", flowingOf(s))
					s.Write([]byte("k"), nil)
				})
			})
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"a", "b"}, 0,
			[]string{"readable buf 61", "tick flowing null", "flowing true", "data buf 62", "end", "close false"}},
		{"pause resume", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.On("readable", func() {
				log("readable %d", s.ReadableLength())
				s.Pause()
				log("paused %s", flowingOf(s))
				s.Resume()
				log("resumed %s", flowingOf(s))
				readLoop(s, log)
				s.Write([]byte("k"), nil)
			})
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"a", "b"}, 0,
			[]string{"readable 1", "paused false", "resumed false", "read buf 61", "readable 1", "paused false", "resumed false", "read buf 62", "readable 0", "paused false", "resumed false", "end", "close false"}},
		{"high-water mark", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			n := 0
			s.On("readable", func() {
				if n++; n == 1 {
					log("readable")
					uv.Default().SetTimeout(300*time.Millisecond, func() {
						log("waiting %d", s.ReadableLength())
						total := 0
						for c := s.Read(); c != nil; c = s.Read() {
							total += chunkLen(c)
						}
						log("read %d %d", total, s.ReadableLength())
						s.On("readable", func() {
							for s.Read() != nil {
							}
						})
					})
				}
			})
			s.On("end", func() { log("end %d", s.BytesRead); s.End(nil) })
		}, xs, 20 * time.Millisecond,
			[]string{"readable", "waiting 16384", "read 16384 0", "end 40960", "close false"}},
		{"read above the mark", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			n := 0
			s.On("readable", func() {
				if n++; n == 1 {
					uv.Default().SetTimeout(300*time.Millisecond, func() {
						log("waiting %d %d", s.ReadableLength(), s.ReadableHighWaterMark())
						log("read %s %d", showRead(s.Read(20000)), s.ReadableHighWaterMark())
						uv.Default().SetTimeout(300*time.Millisecond, func() {
							log("waiting %d", s.ReadableLength())
							c := s.Read(20000)
							log("read %d %d", chunkLen(c), s.ReadableLength())
						})
					})
				}
			})
			s.On("end", func() { log("end %d", s.BytesRead); s.End(nil) })
			uv.Default().SetTimeout(1200*time.Millisecond, func() {
				for s.Read() != nil {
				}
			})
		}, xs, 20 * time.Millisecond,
			[]string{"waiting 16384 16384", "read null 32768", "waiting 40960", "read 20000 20960", "end 40960", "close false"}},
		{"unshift in readable", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.On("readable", func() {
				log("readable %d", s.ReadableLength())
				c := s.Read()
				if c == nil {
					log("read null")
					return
				}
				log("read %s", showRead(c))
				if b := c.([]byte); len(b) > 1 {
					log("unshift %v %d", s.Unshift(b[1:]), s.ReadableLength())
				} else {
					s.Write([]byte("k"), nil)
				}
			})
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"abc", "d"}, 0,
			[]string{"readable 3", "read buf 616263", "unshift true 2", "readable 2", "read buf 6263", "unshift true 1", "readable 1", "read buf 63", "readable 1", "read buf 64", "readable 0", "read null", "end", "close false"}},
		{"readable added late", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.Pause()
			waitUntil(t, func() bool { return s.ReadableLength() == 2 }, func() {
				log("waiting %d %s", s.ReadableLength(), flowingOf(s))
				s.On("readable", func() {
					log("readable %d", s.ReadableLength())
					readLoop(s, log)
					s.Write([]byte("k"), nil)
				})
				log("flowing %s", flowingOf(s))
				uv.Default().NextTick(func() { log("tick") })
			})
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"ab", "cd"}, 0,
			[]string{"waiting 2 false", "flowing false", "readable 2", "read buf 6162", "tick", "readable 2", "read buf 6364", "readable 0", "end", "close false"}},
		{"end only", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.On("readable", func() {
				log("readable %d %s", s.ReadableLength(), showRead(s.Read()))
				uv.Default().NextTick(func() { log("tick") })
			})
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{""}, 0,
			[]string{"readable 0 null", "end", "tick", "close false"}},
		{"removed then resume", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			var listener *events.Listener
			listener = s.On("readable", func() {
				log("readable %s", showRead(s.Read()))
				s.RemoveListener(listener)
				s.Resume()
				log("flowing %s", flowingOf(s))
				uv.Default().NextTick(func() { log("tick flowing %s", flowingOf(s)) })
				uv.Default().SetImmediate(func() {
					log("immediate flowing %s %d", flowingOf(s), s.ReadableLength())
					s.Write([]byte("k"), nil)
				})
			})
			s.On("end", func() { log("end %d", s.ReadableLength()); s.End(nil) })
		}, []string{"a", "b"}, 0,
			[]string{"readable buf 61", "flowing false", "tick flowing true", "immediate flowing true 0", "end 0", "close false"}},
		{"client reads", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.End([]byte("hello"))
		}, nil, 0,
			[]string{"client flowing false", "client connect false", "client readable 5 buf 68656c6c6f", "client readable 0 null", "client end", "client close", "close false"}},
		{"remove all readable", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.On("readable", func() {
				log("readable %s", showRead(s.Read()))
				s.RemoveAllListeners("readable")
				s.On("data", func(d []byte) { log("data %s", showRead(d)); s.Write([]byte("k"), nil) })
				log("flowing %s", flowingOf(s))
				uv.Default().NextTick(func() { log("tick flowing %s", flowingOf(s)) })
				s.Write([]byte("k"), nil)
			})
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"a", "b"}, 0,
			[]string{"readable buf 61", "flowing false", "tick flowing true", "data buf 62", "end", "close false"}},
		{"destroy in readable", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.On("readable", func() {
				log("readable %d", s.ReadableLength())
				s.Destroy(nil)
				log("read %s %d", showRead(s.Read()), s.ReadableLength())
				uv.Default().NextTick(func() { log("tick %s", showRead(s.Read())) })
			})
			s.On("data", func(d []byte) { log("data %s", showRead(d)) })
			s.On("end", func() { log("end") })
		}, []string{"ab"}, 0,
			[]string{"readable 2", "data buf 6162", "read buf 6162 0", "tick null", "close false"}},
		{"pause then read", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.On("data", func(d []byte) {
				log("data %s", showRead(d))
				s.Pause()
				s.Write([]byte("k"), nil)
				var poll func()
				poll = func() {
					if s.ReadableLength() > 0 || net.EndPending(s) {
						log("read %s %s", showRead(s.Read()), flowingOf(s))
						if !net.EndPending(s) {
							uv.Default().SetTimeout(2*time.Millisecond, poll)
						}
					} else {
						uv.Default().SetTimeout(2*time.Millisecond, poll)
					}
				}
				poll()
			})
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"a", "b"}, 0,
			[]string{"data buf 61", "data buf 62", "read null false", "read buf 62 false", "end", "close false"}},
		{"destroy at end", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.On("readable", func() {
				log("readable %d", s.ReadableLength())
				if s.ReadableLength() == 0 {
					s.Destroy(nil)
					log("destroyed")
				}
				log("read %s", showRead(s.Read()))
			})
			s.On("end", func() { log("end") })
		}, []string{"ab"}, 0,
			[]string{"readable 2", "read buf 6162", "readable 0", "destroyed", "read null", "close false"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			events := serverScenario(t, func(s *net.Socket, log func(string, ...any)) { c.server(t, s, log) }, func(cl *net.Socket, log func(string, ...any)) {
				if client := readableClients[c.name]; client != nil {
					client(cl, log)
					return
				}
				i := 0
				next := func() {
					if i >= len(c.chunks) {
						return
					}
					x := []byte(c.chunks[i])
					if i++; i == len(c.chunks) {
						cl.End(x)
					} else {
						cl.Write(x, nil)
					}
				}
				if c.gap > 0 {
					cl.Resume()
					var tick *uv.Timer
					tick = uv.Default().SetInterval(c.gap, func() {
						if next(); i >= len(c.chunks) {
							tick.Stop()
						}
					})
					return
				}
				cl.On("data", func([]byte) { next() })
				next()
			})
			require.Empty(t, cmp.Diff(c.want, events), "events (-node +port)")
		})
	}
}

// TestSocketReadSplitsASurrogatePair: Read(n) on a socket with an
// encoding counts UTF-16 units and, as JS's slice, cuts a character
// beyond U+FFFF between its surrogates (each kept in WTF-8 as a lone
// one), so that what is left is counted right; as node printed
// (net/testdata/socket_read_split.js: "a\ud83d" 2 2, "\ude00b" 2 0, end).
func TestSocketReadSplitsASurrogatePair(t *testing.T) {
	const hi, lo = "\xed\xa0\xbd", "\xed\xb8\x80" // U+D83D, U+DE00 in WTF-8
	events := serverScenario(t, func(s *net.Socket, _ func(string, ...any)) {
		s.End([]byte("a\U0001F600b"))
	}, func(c *net.Socket, log func(string, ...any)) {
		c.SetEncoding("utf8")
		c.Once("readable", func() {
			uv.Default().SetTimeout(50*time.Millisecond, func() {
				x := c.Read(2)
				log("read2 %q %d", x, c.ReadableLength())
				y := c.Read()
				log("rest %q %d", y, c.ReadableLength())
				c.On("end", func() { log("end") })
				c.Read()
			})
		})
	})
	require.Empty(t, cmp.Diff([]string{fmt.Sprintf("read2 %q 2", "a"+hi), fmt.Sprintf("rest %q 0", lo+"b"), "end", "close false"}, events))
}

// TestSocketOwnListenersAreNotCounted: what a Socket does when a listener
// is added or removed (Readable's own on and removeListener) is not a
// "newListener" or "removeListener" listener of its own: the counts are
// node's (net/testdata/socket_listener_counts.js; node also counts its
// own "end" listener, which the port has not), and a user's
// "newListener" listener runs before the socket acts on the new listener.
func TestSocketOwnListenersAreNotCounted(t *testing.T) {
	var got []string
	run(t, func() {
		s := net.NewSocket(net.SocketOptions{})
		c := func() string {
			return listenerCounts(s, "newListener", "removeListener", "close", "error", "data", "readable")
		}
		got = append(got, "new "+c())
		r := s.On("readable", func() {})
		got = append(got, fmt.Sprintf("readable %s flowing %v", c(), s.ReadableFlowing()))
		s.RemoveListener(r)
		got = append(got, "removed "+c())
		var seen []string
		s.On("newListener", func(e string) { seen = append(seen, fmt.Sprintf("new %s %v", e, s.ReadableFlowing())) })
		s.On("data", func() {})
		got = append(got, fmt.Sprintf("data %s flowing %v %s", c(), s.ReadableFlowing(), strings.Join(seen, ",")))
		s.RemoveAllListeners("")
		got = append(got, "all removed "+c())
		s.Destroy(nil)
	})
	want := []string{
		"new 0 0 0 0 0 0",
		"readable 0 0 0 0 0 1 flowing false",
		"removed 0 0 0 0 0 0",
		"data 1 0 0 0 1 0 flowing false new data false",
		"all removed 0 0 0 0 0 0",
	}
	require.Empty(t, cmp.Diff(want, got), "(-node +port)")
}
