package net_test

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

// wtf8 is the Go string of a JS string's UTF-16 units: pairs are their
// character, a lone surrogate its three WTF-8 bytes.
func wtf8(units []uint16) string {
	var b []byte
	for i := 0; i < len(units); i++ {
		u := rune(units[i])
		if utf16.IsSurrogate(u) && u < 0xDC00 && i+1 < len(units) && units[i+1] >= 0xDC00 && units[i+1] < 0xE000 {
			b = utf8.AppendRune(b, utf16.DecodeRune(u, rune(units[i+1])))
			i++
			continue
		}
		if utf16.IsSurrogate(u) {
			b = childprocess.AppendSurrogate(b, u)
			continue
		}
		b = utf8.AppendRune(b, u)
	}
	return string(b)
}

var bufferEncodings = []string{"utf8", "latin1", "binary", "ascii", "utf16le", "ucs2", "hex", "base64", "base64url", "UTF-8", ""}

// TestEncodeStringMatchesNode: a string written with an encoding is the
// bytes Buffer.from(string, encoding) makes in node, for every encoding,
// on 3000 random strings of units chosen to land on the edges (base64's
// two alphabets, "=", characters it skips, hex digits and non-digits,
// latin1 and beyond, characters whose low byte is a base64 or hex
// character, surrogate pairs and lone surrogates).
func TestEncodeStringMatchesNode(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: this test compares with node's Buffer.from")
	}
	pool := []uint16{'A', 'z', '0', '9', '+', '/', '-', '_', '=', ' ', '\n', '$', 'g', 'G', 'f', 'F', 0x7f, 0x80,
		0xc1, 0xe9, 0xff, 0x100, 0x141, 0x13d, 0x2b, 0x20ac, 0xfffd, 0xd83d, 0xde00, 0xd800, 0xdfff}
	rng := rand.New(rand.NewPCG(3, 4))
	var cases [][]uint16
	for range 3000 {
		u := make([]uint16, rng.IntN(14))
		for i := range u {
			u[i] = pool[rng.IntN(len(pool))]
		}
		cases = append(cases, u)
	}
	const script = `let input = '';
process.stdin.on('data', (d) => input += d);
process.stdin.on('end', () => {
  const { cases, encs } = JSON.parse(input);
  process.stdout.write(JSON.stringify(cases.map((u) => {
    const s = String.fromCharCode(...u);
    return encs.map((e) => Buffer.from(s, e || undefined).toString('hex'));
  })));
});`
	var want [][]string
	nodeJSON(t, nodeBin, script, map[string]any{"cases": cases, "encs": bufferEncodings}, &want)
	require.Len(t, want, len(cases))
	for i, u := range cases {
		s := wtf8(u)
		for j, enc := range bufferEncodings {
			got, err := net.EncodeString(s, enc)
			require.NoError(t, err)
			require.Equal(t, want[i][j], hex.EncodeToString(got), "Buffer.from(%04x, %q)", u, enc)
		}
	}
	_, err = net.EncodeString("x", "bogus")
	require.Equal(t, &net.Error{Code: "ERR_UNKNOWN_ENCODING", Message: "Unknown encoding: bogus"}, err)
}

// TestSocketWriteString: WriteString (and EndString) send the bytes of
// their string in the encoding given ("" is utf8), and an unknown
// encoding panics with ERR_UNKNOWN_ENCODING before anything is written,
// as node throws.
func TestSocketWriteString(t *testing.T) {
	var got []byte
	var panicked any
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			s.On("data", func(b []byte) { got = append(got, b...) })
			s.On("end", func() { s.End(nil); srv.Close(nil) })
		})
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			c, err := net.Connect(srv.AddressPort(), "127.0.0.1")
			require.NoError(t, err)
			c.WriteString("héllo", "", nil)
			c.WriteString("é", "latin1", nil)
			c.WriteString("6869", "hex", nil)
			c.WriteString("aGk=", "base64", nil)
			c.WriteString("hi", "utf16le", nil)
			func() {
				defer func() { panicked = recover() }()
				c.WriteString("x", "bogus", nil)
			}()
			c.EndString("!", "ascii")
		}))
	})
	require.Equal(t, "68c3a96c6c6f"+"e9"+"6869"+"6869"+"68006900"+"21", hex.EncodeToString(got))
	require.Equal(t, &net.Error{Code: "ERR_UNKNOWN_ENCODING", Message: "Unknown encoding: bogus"}, panicked)
}

// TestSocketWriteStringCountsUnits: a string written counts in
// WritableLength (and toward Write's answer) for its UTF-16 length, and
// in BytesWritten for its bytes, as node printed: 10000 "é" (20000
// bytes) while connecting, then 8000 hex digits (4000 bytes), then 5000
// "😀" (10000 units, 20000 bytes); corked, "éé" and "😀" count 4 until
// Uncork writes them.
func TestSocketWriteStringCountsUnits(t *testing.T) {
	var got []string
	run(t, func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			s.Resume()
			s.On("end", func() { s.End(nil); srv.Close(nil) })
		})
		require.NoError(t, srv.Listen(0, "127.0.0.1", func() {
			c, err := net.Connect(srv.AddressPort(), "127.0.0.1")
			require.NoError(t, err)
			log := func(what string, r bool) {
				got = append(got, fmt.Sprint(what, " ", r, " ", c.WritableLength(), " ", c.BytesWritten))
			}
			log("connecting", c.WriteString(strings.Repeat("é", 10000), "utf8", nil))
			log("hex", c.WriteString(strings.Repeat("ab", 4000), "hex", nil))
			log("emoji", c.WriteString(strings.Repeat("😀", 5000), "", nil))
			c.On("connect", func() {
				got = append(got, fmt.Sprint("connected ", c.WritableLength(), " ", c.BytesWritten))
				c.Cork()
				c.WriteString("éé", "", nil)
				c.WriteString("😀", "utf8", nil)
				got = append(got, fmt.Sprint("corked ", c.WritableLength(), " ", c.BytesWritten))
				c.Uncork()
				got = append(got, fmt.Sprint("uncorked ", c.WritableLength(), " ", c.BytesWritten))
				c.End(nil)
			})
		}))
	})
	require.Equal(t, []string{"connecting true 10000 20000", "hex false 18000 24000", "emoji false 28000 44000", "connected 0 44000",
		"corked 4 44008", "uncorked 0 44008"}, got)
}
