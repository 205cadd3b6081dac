package net_test

// StringDecoder against node's: hand-picked chunkings whose strings node
// printed (below), and random ones decoded by both.

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

// units is s as the JS string's UTF-16 units, in hex ("0041 d83d"): a
// lone surrogate, which the port keeps in WTF-8, is its unit.
func units(s string) string {
	var u []string
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 && s[i] == 0xED && i+2 < len(s) {
			r, size = 0xD000|rune(s[i+1]&0x3F)<<6|rune(s[i+2]&0x3F), 3
		}
		if r > 0xFFFF {
			r -= 0x10000
			u = append(u, fmt.Sprintf("%04x", 0xD800+(r>>10)), fmt.Sprintf("%04x", 0xDC00+(r&0x3FF)))
		} else {
			u = append(u, fmt.Sprintf("%04x", r))
		}
		i += size
	}
	return strings.Join(u, " ")
}

// decodeAll writes each chunk (hex) to a decoder of enc, then ends it:
// the strings, the last being End's.
func decodeAll(t *testing.T, enc string, chunks []string) []string {
	d, err := net.NewStringDecoder(enc)
	require.NoError(t, err)
	var out []string
	for _, c := range chunks {
		b, err := hex.DecodeString(c)
		require.NoError(t, err)
		out = append(out, d.Write(b))
	}
	return append(out, d.End())
}

type decoderCase struct {
	enc    string
	chunks []string // hex
	want   []string // each Write's string, then End's
}

// As node printed them (TestStringDecoderMatchesNode checks each again).
var decoderCases = []decoderCase{
	// € (e2 82 ac) cut after each byte: held until complete.
	{"utf8", []string{"e2", "82", "ac41"}, []string{"", "", "€A", ""}},
	// Cut, then a byte that does not continue it: the cut part is one
	// U+FFFD, the new byte starts over.
	{"utf8", []string{"41e282", "42"}, []string{"A", "\uFFFDB", ""}},
	// Cut at the end: End gives one U+FFFD for the held bytes.
	{"utf8", []string{"f09f98"}, []string{"", "\uFFFD"}},
	// Maximal subparts: e0 80 is two (80 cannot follow e0), ed a0 80 (a
	// surrogate) three, f4 90 two (held: f4 starts a 4-byte one).
	{"utf8", []string{"e08041", "eda080", "f490"}, []string{"\uFFFD\uFFFDA", "\uFFFD\uFFFD\uFFFD", "", "\uFFFD\uFFFD"}},
	// Continuation bytes alone, and lead bytes no character has.
	{"utf8", []string{"8080", "f8", "c0af"}, []string{"\uFFFD\uFFFD", "\uFFFD", "\uFFFD\uFFFD", ""}},
	// A 4-byte character with one continuation byte too many.
	{"utf8", []string{"f09f988080"}, []string{"😀\uFFFD", ""}},
	// A held lead, then more continuation bytes than it needs.
	{"utf8", []string{"c3", "a9a9"}, []string{"", "é\uFFFD", ""}},
	// UTF-16LE: an odd byte held; a pair cut between its halves.
	{"utf16le", []string{"41", "00", "3dd8", "00de"}, []string{"", "A", "", "😀", ""}},
	// An odd chunk ending in a high surrogate emits it alone (kept in
	// WTF-8); End drops a single byte, and gives a held high surrogate
	// alone.
	{"utf16le", []string{"3dd800", "de", "3dd8"}, []string{"\xed\xa0\xbd", "\xed\xb8\x80", "", "\xed\xa0\xbd"}},
	{"ucs2", []string{"4100", "42"}, []string{"A", "", ""}},
	// A held high surrogate, then a unit that is no low surrogate.
	{"utf-16le", []string{"00d8", "4100"}, []string{"", "\xed\xa0\x80A", ""}},
	{"base64", []string{"fbff", "bf", "00"}, []string{"", "+/+/", "", "AA=="}},
	{"base64url", []string{"fbff", "bf00"}, []string{"", "-_-_", "AA"}},
	{"hex", []string{"00ff", ""}, []string{"00ff", "", ""}},
	{"latin1", []string{"41e9ff"}, []string{"Aéÿ", ""}},
	{"binary", []string{"80"}, []string{"\u0080", ""}},
	{"ASCII", []string{"41e9ff"}, []string{"Ai\x7f", ""}},
}

func TestStringDecoder(t *testing.T) {
	for _, c := range decoderCases {
		require.Equal(t, c.want, decodeAll(t, c.enc, c.chunks), "%s %q", c.enc, c.chunks)
	}
}

// Node's names for the encodings, and its error for an unknown one.
func TestStringDecoderEncodingNames(t *testing.T) {
	for name, want := range map[string]string{
		"UTF-8": "utf8", "Utf8": "utf8", "": "utf8", "BINARY": "latin1", "Latin1": "latin1",
		"ucs-2": "utf16le", "UTF-16LE": "utf16le", "Base64URL": "base64url", "HeX": "hex", "ASCII": "ascii",
	} {
		d, err := net.NewStringDecoder(name)
		require.NoError(t, err, name)
		require.Equal(t, want, d.Encoding(), name)
	}
	for _, name := range []string{"xx", "utf-16", "ascii ", "utf 8"} {
		_, err := net.NewStringDecoder(name)
		require.Equal(t, &net.Error{Code: "ERR_UNKNOWN_ENCODING", Message: "Unknown encoding: " + name}, err)
	}
}

// nodeDecode decodes each case's chunks with node's StringDecoder.
func nodeDecode(t *testing.T, cases []decoderCase) [][]string {
	t.Helper()
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	type jsCase struct {
		Enc    string
		Chunks []string
	}
	js := make([]jsCase, len(cases))
	for i, c := range cases {
		js[i] = jsCase{c.enc, c.chunks}
	}
	const script = `const { StringDecoder } = require('string_decoder');
const units = (s) => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i).toString(16).padStart(4, '0')).join(' ');
let input = '';
process.stdin.on('data', (d) => input += d);
process.stdin.on('end', () => {
  const out = JSON.parse(input).map(({ Enc, Chunks }) => {
    const d = new StringDecoder(Enc);
    return [...Chunks.map((c) => units(d.write(Buffer.from(c, 'hex')))), units(d.end())];
  });
  process.stdout.write(JSON.stringify(out));
});`
	var res [][]string
	nodeJSON(t, nodeBin, script, js, &res)
	require.Len(t, res, len(cases))
	return res
}

// nodeJSON runs script with node, giving it in as JSON on stdin, and
// reads the JSON it writes on stdout into out.
func nodeJSON(t *testing.T, nodeBin, script string, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, "-e", script)
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	require.NoError(t, err, "node: %s", stderr.String())
	require.NoError(t, json.Unmarshal(stdout, out))
}

// TestStringDecoderMatchesNode checks the cases above, and random chunks
// of bytes chosen to cut and break characters, against node's decoder.
func TestStringDecoderMatchesNode(t *testing.T) {
	cases := append([]decoderCase(nil), decoderCases...)
	rng := rand.New(rand.NewPCG(1, 2))
	// Bytes that start, continue and break UTF-8 characters, and that
	// make surrogates in UTF-16LE.
	pool := []byte{0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xc3, 0xdf, 0xe0, 0xe2, 0xed, 0xef,
		0xf0, 0xf1, 0xf4, 0xf5, 0xf8, 0xff, 0x00, 0xd8, 0xdb, 0xdc, 0xdf, 0x3d, 0xde}
	encs := []string{"utf8", "utf8", "utf8", "utf16le", "utf16le", "base64", "base64url", "hex", "latin1", "ascii"}
	for i := 0; i < 3000; i++ {
		c := decoderCase{enc: encs[rng.IntN(len(encs))]}
		for range 1 + rng.IntN(5) {
			b := make([]byte, rng.IntN(7))
			for j := range b {
				b[j] = pool[rng.IntN(len(pool))]
			}
			c.chunks = append(c.chunks, hex.EncodeToString(b))
		}
		cases = append(cases, c)
	}
	// And streams of whole characters (UTF-8 or UTF-16LE, surrogate pairs
	// among them) with stray bytes, cut at random places.
	chars := []rune{'a', 'é', '€', '😀', 0x800, 0x10000, 0x10FFFF, 0xFFFD}
	for i := 0; i < 1000; i++ {
		c := decoderCase{enc: encs[rng.IntN(len(encs))]}
		c.chunks = []string{}
		var stream []byte
		for range rng.IntN(40) {
			switch r := chars[rng.IntN(len(chars))]; {
			case rng.IntN(5) == 0:
				stream = append(stream, byte(rng.IntN(256)))
			case c.enc == "utf16le":
				for _, u := range utf16.Encode([]rune{r}) {
					stream = append(stream, byte(u), byte(u>>8))
				}
			default:
				stream = utf8.AppendRune(stream, r)
			}
		}
		for len(stream) > 0 {
			n := min(len(stream), rng.IntN(8))
			c.chunks = append(c.chunks, hex.EncodeToString(stream[:n]))
			stream = stream[n:]
		}
		cases = append(cases, c)
	}
	want := nodeDecode(t, cases)
	for i, c := range decoderCases {
		var units0 []string
		for _, s := range c.want {
			units0 = append(units0, units(s))
		}
		require.Equal(t, want[i], units0, "the table's %s %q is not what node gives", c.enc, c.chunks)
	}
	for i, c := range cases {
		var got []string
		for _, s := range decodeAll(t, c.enc, c.chunks) {
			got = append(got, units(s))
		}
		require.Empty(t, cmp.Diff(want[i], got), "%s %q (-node +port)", c.enc, c.chunks)
	}
}
