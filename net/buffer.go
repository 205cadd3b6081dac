package net

import (
	"unicode/utf16"
	"unicode/utf8"

	"github.com/nodecluster/nodecluster/internal/childprocess"
)

// This file holds what of lib/buffer.js a socket's write needs: a string
// made into bytes in one of Node's encodings (Buffer.from(string,
// encoding)), the reverse of string_decoder.go.

// encodeString is the bytes Buffer.from(s, enc) makes: UTF-8 (each lone
// surrogate as U+FFFD), latin1 and ascii (the low byte of each UTF-16
// unit), utf16le (each unit, little-endian), hex (pairs of hex digits, up
// to the first pair that is not one), base64 and base64url (either
// alphabet, characters outside it skipped, up to the first "="; a last
// lone character is dropped). An encoding Node does not know is
// ERR_UNKNOWN_ENCODING; "" is UTF-8.
//
// Like lib/buffer.js Buffer.from() for a string, through the
// encodingOps' write functions.
func encodeString(s, enc string) ([]byte, error) {
	name, err := normalizeEncoding(enc)
	if err != nil {
		return nil, err
	}
	switch name {
	case encLatin1, encASCII:
		return lowBytes(s), nil
	case encUTF16LE:
		out := make([]byte, 0, 2*len(s))
		forEachUnit(s, func(u uint16) { out = append(out, byte(u), byte(u>>8)) })
		return out, nil
	case encHex:
		return decodeHexPairs(lowBytes(s)), nil
	case encBase64, encBase64URL:
		return decodeBase64Lenient(lowBytes(s)), nil
	}
	return encodeUTF8(s), nil
}

// forEachUnit calls fn with each UTF-16 unit of s as JS sees the string:
// a character beyond U+FFFF is two, a lone surrogate kept in WTF-8 one,
// and a byte that is no UTF-8 U+FFFD.
func forEachUnit(s string, fn func(uint16)) {
	for i := 0; i < len(s); {
		if u := childprocess.SurrogateAt(s[i:]); u >= 0 {
			fn(uint16(u))
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r > 0xFFFF {
			hi, lo := utf16.EncodeRune(r)
			fn(uint16(hi))
			fn(uint16(lo))
			continue
		}
		fn(uint16(r))
	}
}

// lowBytes is the low byte of each of s's UTF-16 units: what Node's hex
// and base64 decoders look at (they read a two-byte string's units
// through a uint8_t, so U+0141 reads as "A").
func lowBytes(s string) []byte {
	out := make([]byte, 0, len(s))
	forEachUnit(s, func(u uint16) { out = append(out, byte(u)) })
	return out
}

// decodeHexPairs is the bytes of s's leading pairs of hex digits: it stops
// at the first pair that is not two of them, and drops an odd last digit,
// as Node's hex write does.
func decodeHexPairs(s []byte) []byte {
	out := make([]byte, 0, len(s)/2)
	for i := 0; i+1 < len(s); i += 2 {
		hi, ok1 := hexDigit(s[i])
		lo, ok2 := hexDigit(s[i+1])
		if !ok1 || !ok2 {
			break
		}
		out = append(out, hi<<4|lo)
	}
	return out
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeBase64Lenient decodes s as Node's base64 write does: the
// characters of both alphabets ("+/" and "-_") count, any other is
// skipped, the first "=" ends the data, and a last group of two or three
// characters gives one or two bytes (of one, none).
func decodeBase64Lenient(s []byte) []byte {
	out := make([]byte, 0, len(s)*3/4)
	var acc uint32
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' {
			break
		}
		v, ok := base64Value(c)
		if !ok {
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	switch n {
	case 2:
		out = append(out, byte(acc>>4))
	case 3:
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	return out
}

func base64Value(c byte) (byte, bool) {
	switch {
	case c >= 'A' && c <= 'Z':
		return c - 'A', true
	case c >= 'a' && c <= 'z':
		return c - 'a' + 26, true
	case c >= '0' && c <= '9':
		return c - '0' + 52, true
	case c == '+' || c == '-':
		return 62, true
	case c == '/' || c == '_':
		return 63, true
	}
	return 0, false
}
