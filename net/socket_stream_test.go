package net_test

// What a Node socket has of its streams beyond reading and writing:
// setEncoding, cork and uncork, unshift, each against what node v20.20.2
// printed for the same scenario (a node server and client over
// 127.0.0.1, with the same steps).

import (
	"fmt"
	"io"
	stdnet "net"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// waitUntil calls then, on the loop, once cond holds; it looks every
// millisecond and gives up, failing t, after 10 s.
func waitUntil(t *testing.T, cond func() bool, then func()) {
	deadline := time.Now().Add(10 * time.Second)
	var poll func()
	poll = func() {
		switch {
		case cond():
			then()
		case time.Now().After(deadline):
			t.Error("waitUntil: timed out")
		default:
			uv.Default().SetTimeout(time.Millisecond, poll)
		}
	}
	poll()
}

// show is a chunk as the node scripts printed it: a string (with an
// encoding) or bytes.
func show(d any) string {
	if s, ok := d.(string); ok {
		return fmt.Sprintf("str %q", s)
	}
	return fmt.Sprintf("buf %x", d)
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

// sendAcked is a client that writes each chunk but the last after the
// server's answer to the one before (a byte), then the last with its
// end, and reads to the server's end.
func sendAcked(chunks ...string) func(addr string) error {
	return func(addr string) error {
		c, err := dialTCP(addr)
		if err != nil {
			return err
		}
		defer c.Close()
		ack := make([]byte, 1)
		for i, chunk := range chunks {
			if _, err := c.Write([]byte(chunk)); err != nil {
				return err
			}
			if i == len(chunks)-1 {
				break
			}
			if _, err := io.ReadFull(c, ack); err != nil {
				return err
			}
		}
		c.CloseWrite()
		_, err = io.Copy(io.Discard, c)
		return err
	}
}

// SetEncoding, as node gives it: strings whose characters are never cut
// (a read that ends inside one keeps it back, and a read that decodes to
// nothing emits no "data"), the decoder's remainder as a last "data"
// before "end", what waits in a paused socket decoded at once (one
// string, counted in JS's units), a remainder lost when the end came
// before the encoding was set, a single odd byte of UTF-16LE dropped,
// and Node's error for an unknown encoding, which leaves the socket
// without one.
func TestSocketSetEncoding(t *testing.T) {
	endPending := func(s *net.Socket) func() bool { return func() bool { return net.EndPending(s) } }
	for _, c := range []struct {
		name   string
		server func(t *testing.T, s *net.Socket, log func(string, ...any))
		client func(addr string) error
		want   []string // as node printed it
	}{
		{"utf8 split and remainder", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			log("enc %s", orNull(s.ReadableEncoding()))
			log("ret %v %s", s.SetEncoding("UTF-8") == s, s.ReadableEncoding())
			s.On("data", func(d any) { log("data %s", show(d)); s.Write([]byte("k"), nil) })
			s.On("end", func() { log("end"); s.End(nil) })
		}, sendAcked("A\xe2", "\x82\xacB", "C\xf0"),
			[]string{"enc null", "ret true utf8", `data str "A"`, `data str "€B"`, `data str "C"`, "data str \"\uFFFD\"", "end"}},
		{"paused, ended, then set", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.Pause()
			s.On("end", func() { log("end"); s.End(nil) })
			waitUntil(t, endPending(s), func() {
				log("len %d", s.ReadableLength())
				s.SetEncoding("utf8")
				log("len %d %s", s.ReadableLength(), s.ReadableEncoding())
				s.On("data", func(d any) { log("data %s", show(d)) })
				s.Resume()
			})
		}, sendAcked("A\xe2\x82\xac\xe2"),
			[]string{"len 5", "len 2 utf8", `data str "A€"`, "end"}},
		{"paused, set, then ended", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.Pause()
			s.On("end", func() { log("end"); s.End(nil) })
			s.On("data", func(d any) { log("data %s", show(d)) })
			s.Pause()
			waitUntil(t, func() bool { return s.BytesRead >= 3 }, func() {
				s.SetEncoding("utf8")
				log("len %d", s.ReadableLength())
				s.Write([]byte("k"), nil)
				waitUntil(t, endPending(s), func() {
					log("len %d", s.ReadableLength())
					s.Resume()
				})
			})
		}, sendAcked("A\xe2\x82", ""),
			[]string{"len 1", "len 2", `data str "A"`, "data str \"\uFFFD\"", "end"}},
		{"base64", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.SetEncoding("base64")
			s.On("data", func(d any) { log("data %s", show(d)) })
			s.On("end", func() { log("end"); s.End(nil) })
		}, sendAcked("\x00\x01\x02\x03"),
			[]string{`data str "AAEC"`, `data str "Aw=="`, "end"}},
		{"utf16le odd byte", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.SetEncoding("utf16le")
			s.On("data", func(d string) { log("data %s %d", show(d), len(d)) })
			s.On("end", func() { log("end"); s.End(nil) })
		}, sendAcked("A\x00B"),
			[]string{`data str "A" 1`, "end"}},
		{"a read that decodes to nothing", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.SetEncoding("utf8")
			s.On("data", func(d any) { log("data %s", show(d)) })
			s.On("end", func() { log("end"); s.End(nil) })
			waitUntil(t, func() bool { return s.BytesRead >= 1 }, func() {
				log("read %d", s.BytesRead)
				s.Write([]byte("k"), nil)
			})
		}, sendAcked("\xe2", "\x82\xac"),
			[]string{"read 1", `data str "€"`, "end"}},
		{"unknown", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			func() {
				defer func() {
					e, _ := recover().(*net.Error)
					require.NotNil(t, e, "SetEncoding(nope) should panic with a *net.Error")
					log("TypeError %s %s", e.Code, e.Message)
				}()
				s.SetEncoding("nope")
			}()
			log("enc %s", orNull(s.ReadableEncoding()))
			s.On("data", func(d any) { log("data %s", show(d)) })
			s.On("end", func() { log("end"); s.End(nil) })
		}, sendAcked("x"),
			[]string{"TypeError ERR_UNKNOWN_ENCODING Unknown encoding: nope", "enc null", "data buf 78", "end"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			events := sockScenario(t, net.ServerOptions{}, func(s *net.Socket, log func(string, ...any), _ *net.Server) {
				c.server(t, s, log)
			}, c.client)
			want := append(c.want, "close false")
			require.Empty(t, cmp.Diff(want, events), "events (-node +port)")
		})
	}
}

// Cork and Uncork, as node gives them: writes held until the last
// Uncork (or End), then sent as one write (the server reads them as one
// chunk), their callbacks in order on the next tick, after "drain" when
// a write answered false; Write's answer, WritableLength and
// BytesWritten count what is held. Destroy fails what is held on the
// next tick with ERR_STREAM_DESTROYED; writes held and released while
// connecting go once connected, their callbacks before the "connect"
// listeners added after them.
func TestSocketCork(t *testing.T) {
	var chunks []string
	type scenario struct {
		name          string
		beforeConnect bool
		do            func(c *net.Socket, log func(string, ...any))
		want          []string // as node printed it, then what the server read
	}
	tick := func(log func(string, ...any), what string) {
		uv.Default().NextTick(func() { log("tick " + what) })
		uv.Default().SetImmediate(func() { log("immediate " + what) })
	}
	cb := func(log func(string, ...any), name string) func(error) {
		return func(err error) {
			if e, ok := err.(*net.Error); ok {
				log("%s %s", name, e.Code)
				return
			}
			log("%s %v", name, err)
		}
	}
	endLater := func(c *net.Socket) { uv.Default().SetTimeout(50*time.Millisecond, func() { c.End(nil) }) }
	scenarios := []scenario{
		{"three writes", false, func(c *net.Socket, log func(string, ...any)) {
			c.Cork()
			c.Cork()
			log("corked %d", c.WritableCorked())
			for _, x := range []string{"a", "b", "c"} {
				log("w%s %v %d %d", x, c.Write([]byte(x), cb(log, "cb"+x)), c.WritableLength(), c.BufferSize())
			}
			log("bw %d", c.BytesWritten)
			c.Uncork()
			log("uncork1 %d %d", c.WritableCorked(), c.WritableLength())
			c.Uncork()
			log("uncork2 %d %d", c.WritableCorked(), c.WritableLength())
			c.Uncork()
			log("uncork3 %d", c.WritableCorked())
			tick(log, "after")
			c.On("drain", func() { log("drain") })
			endLater(c)
		}, []string{"corked 2", "wa true 1 1", "wb true 2 2", "wc true 3 3", "bw 3", "uncork1 1 3", "uncork2 0 0", "uncork3 0",
			"cba <nil>", "cbb <nil>", "cbc <nil>", "tick after", "immediate after", "close", "server read [abc]"}},
		{"drain", false, func(c *net.Socket, log func(string, ...any)) {
			c.Cork()
			log("w1 %v %d", c.Write(make([]byte, 10240), cb(log, "cb1")), c.WritableLength())
			log("w2 %v %d", c.Write(make([]byte, 10240), cb(log, "cb2")), c.WritableLength())
			log("w3 %v %d", c.Write([]byte("z"), nil), c.WritableLength())
			c.On("drain", func() { log("drain %d", c.WritableLength()) })
			c.Uncork()
			log("uncorked %d", c.WritableLength())
			tick(log, "after")
			endLater(c)
		}, []string{"w1 true 10240", "w2 false 20480", "w3 false 20481", "uncorked 0", "drain 0", "cb1 <nil>", "cb2 <nil>",
			"tick after", "immediate after", "close", "server read [20481B]"}},
		{"one write", false, func(c *net.Socket, log func(string, ...any)) {
			c.Cork()
			log("w %v", c.Write([]byte("a"), cb(log, "cb")))
			c.Uncork()
			log("uncorked %d", c.WritableLength())
			tick(log, "after")
			endLater(c)
		}, []string{"w true", "uncorked 0", "cb <nil>", "tick after", "immediate after", "close", "server read [a]"}},
		{"end while corked", false, func(c *net.Socket, log func(string, ...any)) {
			c.Cork()
			c.Cork()
			c.Write([]byte("a"), cb(log, "cba"))
			c.Write([]byte("b"), cb(log, "cbb"))
			c.On("finish", func() { log("finish") })
			c.End([]byte("c"))
			log("ended %d %d", c.WritableCorked(), c.WritableLength())
			tick(log, "after")
		}, []string{"ended 0 0", "cba <nil>", "cbb <nil>", "tick after", "finish", "immediate after", "close", "server read [abc]"}},
		{"destroy while corked", false, func(c *net.Socket, log func(string, ...any)) {
			c.Cork()
			c.Write([]byte("a"), cb(log, "cba"))
			c.Write([]byte("b"), cb(log, "cbb"))
			c.On("error", func(err error) { log("error %v", err) })
			log("bw %d", c.BytesWritten)
			c.Destroy(nil)
			log("destroyed %d %d", c.WritableLength(), c.WritableCorked())
			tick(log, "after")
			c.On("close", func(bool) { log("bw %d %d", c.BytesWritten, c.WritableLength()) })
		}, []string{"bw 2", "destroyed 2 1", "cba ERR_STREAM_DESTROYED", "cbb ERR_STREAM_DESTROYED", "tick after", "immediate after",
			"close", "bw 0 0", "server read []"}},
		{"corked while connecting", true, func(c *net.Socket, log func(string, ...any)) {
			c.Cork()
			c.Write([]byte("a"), cb(log, "cba"))
			c.Write([]byte("b"), cb(log, "cbb"))
			c.Uncork()
			log("uncorked %d %d", c.WritableLength(), c.BufferSize())
			c.On("connect", func() {
				log("connect")
				tick(log, "connect")
				endLater(c)
			})
		}, []string{"uncorked 2 2", "cba <nil>", "cbb <nil>", "connect", "tick connect", "immediate connect", "close", "server read [ab]"}},
		{"no callbacks", false, func(c *net.Socket, log func(string, ...any)) {
			c.Uncork()
			log("corked %d", c.WritableCorked())
			c.Cork()
			c.Write([]byte("a"), nil)
			c.Write([]byte("b"), nil)
			c.Uncork()
			tick(log, "after")
			endLater(c)
		}, []string{"corked 0", "tick after", "immediate after", "close", "server read [ab]"}},
	}
	steps := make([]func(int, func(string, ...any), func()), len(scenarios))
	for i, sc := range scenarios {
		steps[i] = func(port int, log func(string, ...any), done func()) {
			chunks = nil
			c, err := net.Connect(port, "127.0.0.1")
			require.NoError(t, err)
			c.On("data", func([]byte) {})
			c.On("close", func(bool) {
				log("close")
				uv.Default().SetImmediate(func() { log("server read %v", chunks) })
				done()
			})
			if sc.beforeConnect {
				sc.do(c, log)
			} else {
				c.On("connect", func() { sc.do(c, log) })
			}
		}
	}
	got := runScenarios(t, func(s *net.Socket) {
		s.On("data", func(d []byte) {
			if len(d) > 8 {
				chunks = append(chunks, fmt.Sprintf("%dB", len(d)))
			} else {
				chunks = append(chunks, string(d))
			}
		})
		s.On("end", func() { s.End(nil) })
	}, steps)
	for i, sc := range scenarios {
		require.Empty(t, cmp.Diff(sc.want, got[i]), "%s: events (-node +port)", sc.name)
	}
}

// Unshift, as node gives it: the chunk comes back first in "data" once
// the socket flows again, at once (inside the listener that unshifted
// it) when it flows with nothing waiting; it stays bytes with an
// encoding set, unless it is all that waits (then it is its UTF-8);
// after "end" it is ERR_STREAM_UNSHIFT_AFTER_END_EVENT, which destroys
// the socket, and Unshift answers false.
func TestSocketUnshift(t *testing.T) {
	show := func(d any) string {
		if s, ok := d.(string); ok {
			return fmt.Sprintf("str %q", s)
		}
		return fmt.Sprintf("buf %q", d)
	}
	for _, c := range []struct {
		name   string
		server func(t *testing.T, s *net.Socket, log func(string, ...any))
		chunks []string
		want   []string // as node printed it
	}{
		{"paused", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			n := 0
			s.On("data", func(d []byte) {
				log("data %s", show(d))
				if n++; n == 1 {
					s.Pause()
					log("ret %v %d", s.Unshift([]byte("XY")), s.ReadableLength())
					log("empty %v %d", s.Unshift(nil), s.ReadableLength())
					s.Write([]byte("k"), nil)
					uv.Default().SetImmediate(func() { log("resume"); s.Resume() })
				}
			})
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"hello", "world"},
			[]string{`data buf "hello"`, "ret true 2", "empty true 2", "resume", `data buf "XY"`, `data buf "world"`, "end", "close false"}},
		{"flowing", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			n := 0
			s.On("data", func(d []byte) {
				log("data %s", show(d))
				if n++; n == 1 {
					log("ret %v %d", s.Unshift([]byte("XY")), s.ReadableLength())
				}
			})
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"hello"},
			[]string{`data buf "hello"`, `data buf "XY"`, "ret true 0", "end", "close false"}},
		{"after end", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			s.On("data", func(d []byte) { log("data %s", show(d)) })
			s.On("error", func(err error) {
				e := err.(*net.Error)
				log("error Error %s %s", e.Code, e.Message)
			})
			s.On("end", func() { log("end"); log("ret %v", s.Unshift([]byte("Z"))) })
		}, []string{"hello"},
			[]string{`data buf "hello"`, "end", "ret false", "error Error ERR_STREAM_UNSHIFT_AFTER_END_EVENT stream.unshift() after end event", "close true"}},
		{"encoding", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			n := 0
			s.SetEncoding("hex")
			s.On("data", func(d any) {
				log("data %s", show(d))
				if n++; n == 1 {
					s.Pause()
					log("ret %v %d", s.Unshift([]byte("XY")), s.ReadableLength())
					s.Write([]byte("k"), nil)
					waitUntil(t, func() bool { return net.EndPending(s) }, func() {
						log("len %d", s.ReadableLength())
						s.Resume()
					})
				}
			})
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"hi", "yo"},
			[]string{`data str "6869"`, "ret true 2", "len 6", `data buf "XY"`, `data str "796f"`, "end", "close false"}},
		{"encoding alone", func(t *testing.T, s *net.Socket, log func(string, ...any)) {
			n := 0
			s.SetEncoding("hex")
			s.On("data", func(d any) {
				log("data %s", show(d))
				if n++; n == 1 {
					s.Pause()
					log("ret %v %d", s.Unshift([]byte("XY")), s.ReadableLength())
					uv.Default().SetImmediate(func() { s.Resume() })
				}
			})
			s.On("end", func() { log("end"); s.End(nil) })
		}, []string{"hi"},
			[]string{`data str "6869"`, "ret true 2", `data str "XY"`, "end", "close false"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			events := serverScenario(t, func(s *net.Socket, log func(string, ...any)) { c.server(t, s, log) }, func(cl *net.Socket, _ func(string, ...any)) {
				i := 0
				next := func() {
					x := []byte(c.chunks[i])
					if i++; i == len(c.chunks) {
						cl.End(x)
					} else {
						cl.Write(x, nil)
					}
				}
				cl.On("data", func([]byte) { next() })
				next()
			})
			require.Empty(t, cmp.Diff(c.want, events), "events (-node +port)")
		})
	}
}

// Writes made while an earlier one waits for the socket (it did not
// complete at once) wait in the socket, as in a Writable's buffer, and go
// out together once it completes, before its callback and "drain": so
// "drain" comes first, once everything has gone, then the callbacks in
// order, corked or not. Destroy fails those held with
// ERR_STREAM_DESTROYED once the write in flight is done (it completes
// without an error); End shuts down after them. As node printed it (the
// server's read: its size and last two bytes, "part" when the client
// was destroyed before it sent all).
func TestSocketWritesBehindAWrite(t *testing.T) {
	const big = 8 << 20
	scenarios := []struct {
		name string
		do   func(c *net.Socket, log func(string, ...any))
		want []string
	}{
		{"corked", func(c *net.Socket, log func(string, ...any)) {
			log("big %v", c.Write(make([]byte, big), func(e error) { log("cbbig %s", errCodeOnly(e)) }))
			c.Cork()
			log("wa %v", c.Write([]byte("a"), func(e error) { log("cba %s", errCodeOnly(e)) }))
			log("wb %v", c.Write([]byte("b"), func(e error) { log("cbb %s", errCodeOnly(e)) }))
			c.Uncork()
			log("uncorked %d", c.WritableLength())
			c.On("drain", func() { log("drain %d", c.WritableLength()); c.End(nil) })
		}, []string{"big false", "wa false", "wb false", "uncorked 8388610", "drain 0", "cbbig <nil>", "cba <nil>", "cbb <nil>", `server read 8388610 "ab"`, "close"}},
		{"not corked", func(c *net.Socket, log func(string, ...any)) {
			log("big %v", c.Write(make([]byte, big), func(e error) { log("cbbig %s", errCodeOnly(e)) }))
			log("wa %v", c.Write([]byte("a"), func(e error) { log("cba %s", errCodeOnly(e)) }))
			log("wb %v", c.Write([]byte("b"), func(e error) { log("cbb %s", errCodeOnly(e)) }))
			c.On("drain", func() { log("drain %d", c.WritableLength()); c.End(nil) })
		}, []string{"big false", "wa false", "wb false", "drain 0", "cbbig <nil>", "cba <nil>", "cbb <nil>", `server read 8388610 "ab"`, "close"}},
		{"destroy", func(c *net.Socket, log func(string, ...any)) {
			log("big %v", c.Write(make([]byte, big), func(e error) { log("cbbig %s", errCodeOnly(e)) }))
			log("wa %v", c.Write([]byte("a"), func(e error) { log("cba %s", errCodeOnly(e)) }))
			c.On("error", func(e error) { log("error %s", errCodeOnly(e)) })
			c.Destroy(nil)
			log("destroyed %d", c.WritableLength())
			uv.Default().NextTick(func() { log("tick") })
		}, []string{"big false", "wa false", "destroyed 8388609", "tick", "cbbig <nil>", "cba ERR_STREAM_DESTROYED", "close", "server read part"}},
		{"end", func(c *net.Socket, log func(string, ...any)) {
			log("big %v", c.Write(make([]byte, big), func(e error) { log("cbbig %s", errCodeOnly(e)) }))
			log("wa %v", c.Write([]byte("a"), func(e error) { log("cba %s", errCodeOnly(e)) }))
			c.On("finish", func() { log("finish") })
			c.On("drain", func() { log("drain") })
			c.End([]byte("b"))
			log("ended %d", c.WritableLength())
		}, []string{"big false", "wa false", "ended 8388610", "cbbig <nil>", "cba <nil>", "finish", `server read 8388610 "ab"`, "close"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var events []string
			log := func(format string, a ...any) { events = append(events, fmt.Sprintf(format, a...)) }
			run(t, func() {
				tallyServer(t, log, big+2, func(port int) {
					c, err := net.Connect(port, "127.0.0.1")
					require.NoError(t, err)
					c.On("data", func([]byte) {})
					c.On("close", func(bool) { log("close") })
					c.On("connect", func() { sc.do(c, log) })
				})
			})
			require.Empty(t, cmp.Diff(sc.want, events), "events (-node +port)")
		})
	}
}

// A reset while a write is in flight and another waits behind it: the
// read's ECONNRESET destroys the socket ("error" first), the write in
// flight completes without an error, and the one held gets the socket's
// error, as node printed it (net/testdata/socket_reset_writes_held.js).
func TestSocketResetWithWritesHeld(t *testing.T) {
	var events []string
	log := func(format string, a ...any) { events = append(events, fmt.Sprintf(format, a...)) }
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			s.On("error", func(error) {})
			// The first thing read: the client's write has begun, and
			// is far from done.
			s.Once("data", func([]byte) { s.ResetAndDestroy() })
			srv.Close(nil)
		})
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			c, err := net.Connect(srv.Address().Port, "127.0.0.1")
			require.NoError(t, err)
			c.On("data", func([]byte) {})
			c.On("error", func(e error) { log("error %s", errCode(e)) })
			c.On("close", func(h bool) { log("close %v", h) })
			c.On("connect", func() {
				log("big %v", c.Write(make([]byte, 8<<20), func(e error) { log("cbbig %s", errCode(e)) }))
				log("wa %v", c.Write([]byte("a"), func(e error) { log("cba %s", errCode(e)) }))
			})
		}))
	})
	want := []string{"big false", "wa false", "error ECONNRESET read", "cbbig <nil>", "cba ECONNRESET read", "close true"}
	require.Empty(t, cmp.Diff(want, events), "events (-node +port)")
}

// A socket that connects again after a failed connect keeps its encoding
// and Cork's count, as node printed (new net.Socket, setEncoding('hex'),
// cork, connect to port 1, where nobody listens, then again on "error").
func TestSocketEncodingAndCorkSurviveAConnectAgain(t *testing.T) {
	// Port 1 (tcpmux) has nobody listening: a port just closed could be
	// taken meanwhile by another test's listener.
	const closedPort = 1
	var events []string
	log := func(format string, a ...any) { events = append(events, fmt.Sprintf(format, a...)) }
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			s.End([]byte("hi"))
			srv.Close(nil)
		})
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			c := net.NewSocket(net.SocketOptions{})
			c.SetEncoding("hex")
			c.Cork()
			c.On("error", func(e error) {
				log("error %s %s %d", e.(*net.Error).Code, c.ReadableEncoding(), c.WritableCorked())
				require.NoError(t, c.Connect(srv.Address().Port, "127.0.0.1"))
			})
			c.On("data", func(d string) { log("data %s", d) })
			c.On("connect", func() { log("connect %s %d", c.ReadableEncoding(), c.WritableCorked()) })
			c.On("end", func() { c.End(nil) })
			require.NoError(t, c.Connect(closedPort, "127.0.0.1"))
		}))
	})
	require.Equal(t, []string{"error ECONNREFUSED hex 1", "connect hex 1", "data 6869"}, events)
}

// Writes made while connecting, the first too big to go at once: the
// others wait behind it as in a Writable's buffer and go together when it
// completes, so "drain" comes before the callbacks, as node printed it
// (net/testdata/socket_pending_writes.js); an End made while connecting
// shuts down after all of them.
func TestSocketWritesWhileConnectingBehindABigOne(t *testing.T) {
	const big = 8 << 20
	for _, c := range []struct {
		name string
		then func(c *net.Socket, log func(string, ...any))
		want []string
	}{
		{"drain", func(c *net.Socket, log func(string, ...any)) {
			c.On("drain", func() { log("drain %d", c.WritableLength()); c.End(nil) })
		}, []string{"w1 false", "w2 false", "w3 false", "connect", "drain 0", "cb1", "cb2", "cb3", `server read 8388610 "ab"`, "close"}},
		{"end", func(c *net.Socket, log func(string, ...any)) {
			c.On("finish", func() { log("finish") })
			c.End([]byte("c"))
			log("ended %d", c.WritableLength())
		}, []string{"w1 false", "w2 false", "w3 false", "ended 8388611", "connect", "cb1", "cb2", "cb3", "finish", `server read 8388611 "bc"`, "close"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var events []string
			log := func(format string, a ...any) { events = append(events, fmt.Sprintf(format, a...)) }
			run(t, func() {
				tallyServer(t, log, 0, func(port int) {
					cl, err := net.Connect(port, "127.0.0.1")
					require.NoError(t, err)
					cl.On("data", func([]byte) {})
					cl.On("connect", func() { log("connect") })
					log("w1 %v", cl.Write(make([]byte, big), func(error) { log("cb1") }))
					log("w2 %v", cl.Write([]byte("a"), func(error) { log("cb2") }))
					log("w3 %v", cl.Write([]byte("b"), func(error) { log("cb3") }))
					c.then(cl, log)
					cl.On("close", func(bool) { log("close") })
				})
			})
			require.Empty(t, cmp.Diff(c.want, events), "events (-node +port)")
		})
	}
}

// A connect that fails (port 1: nobody listens) with a write waiting for
// it and others held behind it, corked and uncorked and corked again:
// "error", then the first write's ERR_SOCKET_CLOSED_BEFORE_CONNECTION
// and, behind it, the connect's error for each held one, as node printed
// (net/testdata/socket_connect_fails_writes_held.js).
func TestSocketConnectFailsWithWritesHeld(t *testing.T) {
	var events []string
	log := func(format string, a ...any) { events = append(events, fmt.Sprintf(format, a...)) }
	run(t, func() {
		c, err := net.Connect(1, "127.0.0.1")
		require.NoError(t, err)
		c.On("error", func(e error) { log("error %s", errCodeOnly(e)) })
		log("w0 %v", c.Write([]byte("z"), func(e error) { log("cb0 %s", errCodeOnly(e)) }))
		c.Cork()
		c.Write([]byte("a"), func(e error) { log("cba %s", errCodeOnly(e)) })
		c.Write([]byte("b"), func(e error) { log("cbb %s", errCodeOnly(e)) })
		c.Uncork()
		c.Cork()
		c.Write([]byte("c"), func(e error) { log("cbc %s", errCodeOnly(e)) })
		c.On("close", func(bool) { log("close") })
	})
	want := []string{"w0 true", "error ECONNREFUSED", "cb0 ERR_SOCKET_CLOSED_BEFORE_CONNECTION", "cba ECONNREFUSED", "cbb ECONNREFUSED", "cbc ECONNREFUSED", "close"}
	require.Empty(t, cmp.Diff(want, events), "events (-node +port)")
}

// TestSocketEndCallback: End's callback (end(data, cb)), in six
// scenarios, as node printed them (net/testdata/socket_end_callback.js):
// with nil just before "finish", for a second End while ending too; with
// ERR_STREAM_ALREADY_FINISHED once finished; with ERR_STREAM_DESTROYED
// after Destroy, or the error Destroy was given, before "error"; never,
// when the socket was destroyed before End; with the write's error when
// data comes after End.
func TestSocketEndCallback(t *testing.T) {
	type scenario struct {
		name          string
		beforeConnect bool
		do            func(c *net.Socket, log func(string, ...any))
		want          []string // as node printed it
	}
	cb := func(log func(string, ...any), name string) func(error) {
		return func(err error) {
			if e, ok := err.(*net.Error); ok {
				log("%s %s %s", name, e.Code, e.Message)
				return
			}
			if err != nil {
				log("%s %s", name, err)
				return
			}
			log("%s null", name)
		}
	}
	scenarios := []scenario{
		{"end then end while ending", false, func(c *net.Socket, log func(string, ...any)) {
			c.On("finish", func() { log("finish") })
			c.End([]byte("x"), cb(log, "cb1"))
			c.End(nil, cb(log, "cb2"))
			c.On("close", func() { c.End(nil, cb(log, "cb3")) })
		}, []string{"cb1 null", "cb2 null", "finish", "close", "cb3 ERR_STREAM_ALREADY_FINISHED Cannot call end after a stream was finished"}},
		{"end then destroy", false, func(c *net.Socket, log func(string, ...any)) {
			c.End(nil, cb(log, "cb"))
			c.Destroy(nil)
		}, []string{"cb ERR_STREAM_DESTROYED Cannot call end after a stream was destroyed", "close"}},
		{"destroy then end", false, func(c *net.Socket, log func(string, ...any)) {
			c.Destroy(nil)
			c.End(nil, cb(log, "cb"))
		}, []string{"close"}},
		{"end then destroy with an error", false, func(c *net.Socket, log func(string, ...any)) {
			c.On("error", func(err error) { log("error %s", err) })
			c.End([]byte("y"), cb(log, "cb"))
			c.Destroy(fmt.Errorf("boom"))
		}, []string{"cb boom", "error boom", "close"}},
		{"end before connect", true, func(c *net.Socket, log func(string, ...any)) {
			c.End(nil, cb(log, "cb"))
			c.On("finish", func() { log("finish") })
		}, []string{"cb null", "finish", "close"}},
		{"end with data after end", false, func(c *net.Socket, log func(string, ...any)) {
			c.On("error", func(err error) { log("error %s", err.(*net.Error).Code) })
			c.End(nil)
			c.End([]byte("more"), cb(log, "cb"))
		}, []string{"error ERR_STREAM_WRITE_AFTER_END", "cb ERR_STREAM_WRITE_AFTER_END write after end", "close"}},
	}
	steps := make([]func(int, func(string, ...any), func()), len(scenarios))
	for i, sc := range scenarios {
		steps[i] = func(port int, log func(string, ...any), done func()) {
			c, err := net.Connect(port, "127.0.0.1")
			require.NoError(t, err)
			c.On("close", func(bool) { log("close"); done() })
			if sc.beforeConnect {
				sc.do(c, log)
			} else {
				c.On("connect", func() { sc.do(c, log) })
			}
		}
	}
	got := runScenarios(t, func(s *net.Socket) {
		s.Resume()
		s.On("end", func() { s.End(nil) })
	}, steps)
	for i, sc := range scenarios {
		require.Empty(t, cmp.Diff(sc.want, got[i]), "%s: events (-node +port)", sc.name)
	}
}

// TestSocketFromFd: NewSocket with Fd wraps a descriptor the process has:
// one end of a socketpair is a pipe, and what the other end writes
// arrives as "data" (read at once, kept until read) and its end as
// "end"; a connected TCP socket is TCP; a regular file, or a descriptor
// that is not open, is ERR_INVALID_FD_TYPE and a negative one
// ERR_OUT_OF_RANGE, as node throws them for new net.Socket({fd}).
func TestSocketFromFd(t *testing.T) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(pair[1])
	f, err := os.Open("/etc/hostname")
	if err != nil {
		f, err = os.Open(os.Args[0])
	}
	require.NoError(t, err)
	defer f.Close()

	var log []string
	var fileErr *net.Error
	run(t, func() {
		s := net.NewSocket(net.SocketOptions{Fd: pair[0]})
		require.Equal(t, uv.KindPipe, s.Handle().Kind)
		_, err := unix.Write(pair[1], []byte("hello"))
		require.NoError(t, err)
		require.NoError(t, unix.Shutdown(pair[1], unix.SHUT_WR))
		// Read later: what came waits in the socket.
		uv.Default().SetTimeout(50*time.Millisecond, func() {
			log = append(log, fmt.Sprintf("bytesRead %d", s.BytesRead))
			s.On("data", func(b []byte) { log = append(log, "data "+string(b)) })
		})
		s.On("end", func() { log = append(log, "end") })
		s.On("close", func() { log = append(log, "close") })

		func() {
			defer func() { fileErr, _ = recover().(*net.Error) }()
			net.NewSocket(net.SocketOptions{Fd: int(f.Fd())})
		}()
	})
	require.Equal(t, []string{"bytesRead 5", "data hello", "end", "close"}, log)
	require.NotNil(t, fileErr, "a regular file should be refused")
	require.Equal(t, "ERR_INVALID_FD_TYPE", fileErr.Code)
	require.Equal(t, "Unsupported fd type: FILE", fileErr.Message)
	// A negative descriptor, and one that is not open, as node threw them.
	for fd, want := range map[int]string{
		-1:  `ERR_OUT_OF_RANGE The value of "fd" is out of range. It must be >= 0 && <= 2147483647. Received -1`,
		999: "ERR_INVALID_FD_TYPE Unsupported fd type: UNKNOWN",
	} {
		func() {
			defer func() {
				e, _ := recover().(*net.Error)
				require.NotNil(t, e, "fd %d", fd)
				require.Equal(t, want, e.Code+" "+e.Message)
			}()
			net.NewSocket(net.SocketOptions{Fd: fd})
		}()
	}

	// A connected TCP socket.
	l, err := stdnet.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	port := l.Addr().(*stdnet.TCPAddr).Port
	require.NoError(t, unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}))
	peer, err := l.Accept()
	require.NoError(t, err)
	defer peer.Close()
	_, err = peer.Write([]byte("tcp"))
	require.NoError(t, err)
	require.NoError(t, peer.(*stdnet.TCPConn).CloseWrite())
	var got []string
	run(t, func() {
		s := net.NewSocket(net.SocketOptions{Fd: fd})
		require.Equal(t, uv.KindTCP, s.Handle().Kind)
		require.Equal(t, port, s.RemotePort())
		s.On("data", func(b []byte) { got = append(got, "data "+string(b)) })
		s.On("end", func() { got = append(got, "end") })
		s.On("close", func() { got = append(got, "close") })
	})
	require.Equal(t, []string{"data tcp", "end", "close"}, got)
}

// TestSocketPauseResumeEvents: Pause emits "pause" when the socket was
// not paused already, Resume "resume" on the next tick when it was not
// flowing (before the data that waited, and before ticks queued after
// it), IsPaused says which; the "end" behind the data comes a tick after
// it, as node printed (net/testdata/socket_pause_resume.js).
func TestSocketPauseResumeEvents(t *testing.T) {
	var got []string
	run(t, func() {
		l := uv.Default()
		log := func(f string, a ...any) { got = append(got, fmt.Sprintf(f, a...)) }
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) { s.End([]byte("hello")) })
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			c, err := net.Connect(srv.AddressPort(), "127.0.0.1")
			require.NoError(t, err)
			c.On("pause", func() { log("pause") })
			c.On("resume", func() { log("resume") })
			log("isPaused %v", c.IsPaused())
			c.Pause()
			log("paused %v", c.IsPaused())
			c.Pause()
			c.Resume()
			log("resumed %v", c.IsPaused())
			c.Resume()
			l.NextTick(func() { log("tick1") })
			c.On("connect", func() {
				log("connect")
				c.Pause()
				c.On("data", func(d []byte) { log("data %s", d) })
				log("after data listener %v", c.IsPaused())
				l.SetTimeout(20*time.Millisecond, func() {
					c.Resume()
					l.NextTick(func() { log("tick2") })
				})
			})
			c.On("end", func() { log("end") })
			c.On("close", func() { log("close"); srv.Close(nil) })
		}))
	})
	want := []string{"isPaused false", "pause", "paused true", "resumed false", "resume", "tick1", "connect", "pause",
		"after data listener true", "resume", "data hello", "tick2", "end", "close"}
	require.Empty(t, cmp.Diff(want, got), "(-node +port)")
}

// serverScenario runs one connection over TCP on 127.0.0.1: server sets
// up the server's socket, whose "close" is logged ("close <hadError>")
// and closes the server; client drives the client's socket (its errors
// ignored). It returns what both logged, in order.
func serverScenario(t *testing.T, server, client func(s *net.Socket, log func(string, ...any))) []string {
	t.Helper()
	var events []string
	log := func(format string, a ...any) { events = append(events, fmt.Sprintf(format, a...)) }
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			s.On("close", func(hadError bool) { log("close %v", hadError); srv.Close(nil) })
			server(s, log)
		})
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			cl, err := net.Connect(srv.Address().Port, "127.0.0.1")
			require.NoError(t, err)
			cl.On("error", func(error) {})
			client(cl, log)
		}))
	})
	return events
}

// tallyServer serves one connection on 127.0.0.1, reading it to the end
// and then ending its own side, and calls listening with its port. When
// the connection closes it logs "server read <bytes> <last two bytes>"
// (or "server read part" when whole > 0 and fewer than whole bytes
// came), and the server closes.
func tallyServer(t *testing.T, log func(string, ...any), whole int, listening func(port int)) {
	var srv *net.Server
	srv = net.CreateServer(func(s *net.Socket) {
		total, last := 0, ""
		s.On("data", func(d []byte) {
			total += len(d)
			last += string(d[max(0, len(d)-2):])
			last = last[max(0, len(last)-2):]
		})
		s.On("error", func(error) {})
		s.On("end", func() { s.End(nil) })
		s.On("close", func(bool) {
			if whole > 0 && total != whole {
				log("server read part")
			} else {
				log("server read %d %q", total, last)
			}
			srv.Close(nil)
		})
	})
	require.NoError(t, srv.Listen(0, "127.0.0.1", func() { listening(srv.Address().Port) }))
}
