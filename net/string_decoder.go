package net

// The decoder behind Socket.SetEncoding: lib/string_decoder.js, with the
// work its native half does (src/string_decoder.cc: DecodeData and
// FlushData) written out in Go, since Node's JS only hands the bytes to
// C++.

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/nodecluster/nodecluster/internal/childprocess"
)

// The encodings a StringDecoder knows, by their normalised names.
const (
	encUTF8      = "utf8"
	encUTF16LE   = "utf16le"
	encLatin1    = "latin1"
	encASCII     = "ascii"
	encHex       = "hex"
	encBase64    = "base64"
	encBase64URL = "base64url"
)

// normalizeEncoding gives the canonical name of an encoding Node accepts
// ("UTF-8" and "" are "utf8", "binary" is "latin1", "ucs-2" is
// "utf16le", ...), or ERR_UNKNOWN_ENCODING, Node's TypeError, for any
// other.
//
// Mirrors lib/string_decoder.js normalizeEncoding().
func normalizeEncoding(enc string) (string, error) {
	if n := normalizeEncodingName(enc); n != "" {
		return n, nil
	}
	return "", &Error{Code: "ERR_UNKNOWN_ENCODING", Message: "Unknown encoding: " + enc}
}

// normalizeEncodingName is the lookup normalizeEncoding makes: the exact
// spellings Node tries first, then the name lower-cased, each length
// having its own names; "" when there is none. Only ASCII letters can
// lower-case into a known name, so an ASCII lower-casing does what JS's
// toLowerCase does here.
//
// Mirrors lib/internal/util.js normalizeEncoding().
func normalizeEncodingName(enc string) string {
	if enc == "utf8" || enc == "utf-8" || enc == "" {
		return encUTF8
	}
	switch strings.ToLower(enc) {
	case "utf8", "utf-8":
		return encUTF8
	case "ucs2", "ucs-2", "utf16le", "utf-16le":
		return encUTF16LE
	case "hex":
		return encHex
	case "ascii":
		return encASCII
	case "base64":
		return encBase64
	case "base64url":
		return encBase64URL
	case "latin1", "binary":
		return encLatin1
	}
	return ""
}

// A StringDecoder turns a stream's chunks of bytes into strings without
// cutting a character in two: the bytes of a character a chunk ends in
// the middle of wait for the next chunk (UTF-8, UTF-16LE), as do the last
// one or two bytes of a chunk whose length is not a multiple of three
// (base64, which only encodes whole groups of three).
//
// Strings are Go strings: UTF-8, with each invalid byte sequence turned
// into U+FFFD as Node's (V8's) UTF-8 decoding does, one per maximal
// ill-formed subpart. A UTF-16 surrogate with no partner, which a JS
// string can hold and UTF-8 cannot, is kept the way the port keeps it
// elsewhere (internal/childprocess, appendSurrogate): as the three bytes
// WTF-8 gives it.
//
// DEVIATION(shape): a JS string that ends in the first half of a
// surrogate pair and one that starts with the second make the character
// when JS joins them; the two Go strings joined with + hold the two
// halves in WTF-8 instead of the character's four UTF-8 bytes.
//
// Mirrors lib/string_decoder.js StringDecoder().
type StringDecoder struct {
	encoding string
	// The native decoder's state: the bytes of an unfinished character
	// (kIncompleteCharactersStart..End), how many there are
	// (kBufferedBytes) and how many more it needs (kMissingBytes).
	incomplete [4]byte
	buffered   int
	missing    int
}

// NewStringDecoder makes a decoder for enc, any name Node accepts for
// utf8, utf16le, latin1, ascii, hex, base64 or base64url ("" is utf8);
// another name is ERR_UNKNOWN_ENCODING, which Node throws.
//
// Mirrors lib/string_decoder.js StringDecoder().
func NewStringDecoder(enc string) (*StringDecoder, error) {
	n, err := normalizeEncoding(enc)
	if err != nil {
		return nil, err
	}
	return &StringDecoder{encoding: n}, nil
}

// Encoding is the decoder's encoding, by its normalised name
// (decoder.encoding).
func (d *StringDecoder) Encoding() string { return d.encoding }

// Write decodes buf, keeping back the bytes of a character it ends in
// the middle of, which the next Write (or End) finishes. buf is not kept.
//
// Mirrors lib/string_decoder.js StringDecoder.prototype.write().
func (d *StringDecoder) Write(buf []byte) string {
	return d.decode(buf)
}

// End is what is left: the bytes kept back of an unfinished character,
// decoded as they are (U+FFFD for UTF-8; a lone surrogate, or nothing for
// a single byte, for UTF-16LE; padded for base64). The decoder is then
// empty, ready for new input.
//
// DEVIATION(shape): Node's end takes an optional last chunk; write it
// with Write first.
//
// Mirrors lib/string_decoder.js StringDecoder.prototype.end().
func (d *StringDecoder) End() string {
	if d.buffered > 0 {
		return d.flush()
	}
	return ""
}

// decode is the native decode the JS write calls: it first finishes the
// character the last chunk left unfinished with the bytes it is missing,
// then decodes the rest, keeping back the bytes of a character cut at the
// end. The encodings with no multi-byte unit (latin1, ascii, hex) decode
// the chunk as it is.
//
// Like StringDecoder::DecodeData in Node's src/string_decoder.cc, which
// lib/string_decoder.js StringDecoder.prototype.write() calls.
func (d *StringDecoder) decode(data []byte) string {
	switch d.encoding {
	case encUTF8, encUTF16LE, encBase64, encBase64URL:
	default:
		return makeString(data, d.encoding)
	}
	var held [4]byte
	var prepend []byte // a finished character from the last chunk's end
	hasPrepend := false
	if d.missing > 0 {
		if d.encoding == encUTF8 {
			// A byte that should continue the character and does not
			// ends it here: what it has is decoded as it is, and the
			// byte starts something new.
			for i := 0; i < len(data) && i < d.missing; i++ {
				if data[i]&0xC0 != 0x80 {
					d.missing = 0
					copy(d.incomplete[d.buffered:], data[:i])
					d.buffered += i
					data = data[i:]
					break
				}
			}
		}
		found := min(len(data), d.missing)
		copy(d.incomplete[d.buffered:], data[:found])
		data = data[found:]
		d.missing -= found
		d.buffered += found
		if d.missing == 0 {
			prepend = held[:copy(held[:], d.incomplete[:d.buffered])]
			hasPrepend = true
			d.buffered = 0
		}
	}
	if len(data) == 0 {
		if hasPrepend {
			return makeString(prepend, d.encoding)
		}
		return ""
	}
	n := len(data)
	switch d.encoding {
	case encUTF8:
		if data[n-1]&0x80 != 0 {
			d.cutUTF8(data)
		}
	case encUTF16LE:
		if n%2 == 1 {
			d.buffered, d.missing = 1, 1 // half a code unit
		} else if data[n-1]&0xFC == 0xD8 {
			d.buffered, d.missing = 2, 2 // the first half of a pair
		}
	default: // base64, base64url
		d.buffered = n % 3
		if d.buffered > 0 {
			d.missing = 3 - d.buffered
		}
	}
	if d.buffered > 0 {
		n -= d.buffered
		copy(d.incomplete[:], data[n:])
		data = data[:n]
	}
	if !hasPrepend {
		return makeString(data, d.encoding)
	}
	if d.encoding == encUTF16LE {
		// The units decode together, so that a pair split between the
		// two makes its character.
		return makeString(append(append([]byte(nil), prepend...), data...), d.encoding)
	}
	return makeString(prepend, d.encoding) + makeString(data, d.encoding)
}

// cutUTF8 looks back from the end of data, which ends in a byte that is
// not ASCII, for the start of the character it belongs to, and keeps that
// character back when it is not complete. It gives up (keeps nothing) on
// more than three continuation bytes, on continuation bytes that reach
// the start of the chunk, and on a byte that starts no UTF-8 character.
func (d *StringDecoder) cutUTF8(data []byte) {
	for i := len(data) - 1; ; i-- {
		d.buffered++
		if data[i]&0xC0 == 0x80 {
			if d.buffered >= 4 || i == 0 {
				d.buffered = 0
				return
			}
			continue
		}
		switch {
		case data[i]&0xE0 == 0xC0:
			d.missing = 2
		case data[i]&0xF0 == 0xE0:
			d.missing = 3
		case data[i]&0xF8 == 0xF0:
			d.missing = 4
		default:
			d.buffered = 0
			return
		}
		if d.buffered >= d.missing {
			// Complete, or too long to be one character anyway.
			d.missing, d.buffered = 0, 0
		}
		d.missing -= d.buffered
		return
	}
}

// flush decodes the bytes kept back, as they are, and empties the
// decoder; for UTF-16LE a single byte left over is dropped.
//
// Like StringDecoder::FlushData in Node's src/string_decoder.cc, which
// lib/string_decoder.js StringDecoder.prototype.end() calls.
func (d *StringDecoder) flush() string {
	if d.encoding == encUTF16LE && d.buffered%2 == 1 {
		d.missing--
		d.buffered--
	}
	if d.buffered == 0 {
		return ""
	}
	s := makeString(d.incomplete[:d.buffered], d.encoding)
	d.missing, d.buffered = 0, 0
	return s
}

// makeString decodes b in enc as Buffer#toString does.
func makeString(b []byte, enc string) string {
	switch enc {
	case encUTF8:
		return decodeUTF8(b)
	case encUTF16LE:
		return decodeUTF16LE(b)
	case encLatin1:
		return decodeLatin1(b)
	case encASCII:
		return decodeASCII(b)
	case encHex:
		return hex.EncodeToString(b)
	case encBase64:
		return base64.StdEncoding.EncodeToString(b)
	case encBase64URL:
		return base64.RawURLEncoding.EncodeToString(b)
	}
	panic("net: unknown encoding " + enc)
}

// decodeUTF8 is b as a string, with one U+FFFD for each maximal
// ill-formed subpart (Unicode's recommended practice, which V8 and the
// WHATWG decoder follow): a truncated sequence is one U+FFFD, a byte that
// cannot start or continue one is one each. UTF-8 for a surrogate
// (ED A0..BF ..) is ill-formed.
func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, "\uFFFD"...)
			i += childprocess.InvalidUTF8Len(b[i:])
			continue
		}
		out = append(out, b[i:i+size]...)
		i += size
	}
	return string(out)
}

// decodeUTF16LE is b's little-endian 16-bit units as a string (an odd
// last byte is ignored): pairs of surrogates are their character, a lone
// surrogate its three WTF-8 bytes.
func decodeUTF16LE(b []byte) string {
	out := make([]byte, 0, len(b)+len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u := rune(b[i]) | rune(b[i+1])<<8
		if u >= 0xD800 && u < 0xDC00 && i+3 < len(b) {
			if lo := rune(b[i+2]) | rune(b[i+3])<<8; lo >= 0xDC00 && lo < 0xE000 {
				out = utf8.AppendRune(out, 0x10000+(u-0xD800)<<10+(lo-0xDC00))
				i += 2
				continue
			}
		}
		if u >= 0xD800 && u < 0xE000 {
			out = append(out, 0xED, byte(0x80|(u>>6)&0x3F), byte(0x80|u&0x3F))
			continue
		}
		out = utf8.AppendRune(out, u)
	}
	return string(out)
}

// decodeLatin1 is each byte as the character of that code.
func decodeLatin1(b []byte) string {
	out := make([]byte, 0, len(b)*2)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out)
}

// decodeASCII is each byte with its top bit cleared, as Node's ascii
// decoding does ("\xe9" is "i").
func decodeASCII(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = c & 0x7F
	}
	return string(out)
}

// jsLength is the length of s as a JS string: its UTF-16 units (a lone
// surrogate kept in WTF-8 is one).
func jsLength(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c < 0x80:
			i++
			n++
			continue
		case c >= 0xF0:
			n += 2
		default:
			n++
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		if size == 1 && c == 0xED && len(s) >= i+3 {
			size = 3 // a lone surrogate
		}
		i += size
	}
	return n
}

// appendJS appends s to b as JS's + joins strings: the first half of a
// surrogate pair at the end of b and the second at the start of s make
// the character (both halves are in WTF-8 apart).
func appendJS(b []byte, s string) []byte {
	if n := len(b); n >= 3 {
		hi, lo := childprocess.SurrogateAt(string(b[n-3:])), childprocess.SurrogateAt(s)
		if hi >= 0xD800 && hi < 0xDC00 && lo >= 0xDC00 {
			b = utf8.AppendRune(b[:n-3], utf16.DecodeRune(hi, lo))
			return append(b, s[3:]...)
		}
	}
	return append(b, s...)
}

// jsSlice cuts s where JS's s.slice(0, n) and s.slice(n) do, n counted in
// UTF-16 units as jsLength counts them: a character beyond U+FFFF that
// straddles n is split into its two surrogates, each kept in WTF-8 as a
// lone one is.
func jsSlice(s string, n int) (head, rest string) {
	for i := 0; i < len(s); {
		if n <= 0 {
			return s[:i], s[i:]
		}
		c := s[i]
		if c < 0x80 {
			i++
			n--
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if size == 1 && childprocess.SurrogateAt(s[i:]) >= 0 {
			size = 3 // a lone surrogate: one unit
		}
		if c >= 0xF0 && size == 4 {
			if n == 1 {
				hi, lo := utf16.EncodeRune(r)
				return string(childprocess.AppendSurrogate([]byte(s[:i]), hi)),
					string(childprocess.AppendSurrogate(nil, lo)) + s[i+size:]
			}
			n -= 2
		} else {
			n--
		}
		i += size
	}
	return s, ""
}
