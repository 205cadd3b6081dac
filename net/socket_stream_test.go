package net_test

// What a Node socket has of its streams beyond reading and writing:
// setEncoding, cork and uncork, unshift, each against what node v20.20.2
// printed for the same scenario (a node server and client over
// 127.0.0.1, with the same steps).

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
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
