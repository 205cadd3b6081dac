package childprocess

import (
	"math"
	"strconv"
	"strings"
)

// StringToNumber is JS Number(s) for a string (the language's StringToNumber):
// white space (JS's, which counts U+FEFF but not U+0085) trimmed, "" is 0,
// 0x / 0o / 0b integers, a decimal literal with an optional sign, fraction
// and exponent, or [+-]Infinity; anything else, "inf", "1_000" and "0x1p3"
// included, is NaN. strconv.ParseFloat alone would take all three.
//
// net's toNumber and validatePort read a port given as a string with it,
// and a worker its NODE_UNIQUE_ID (ToInt32).
func StringToNumber(s string) float64 {
	t := TrimJSSpace(s)
	if t == "" {
		return 0
	}
	if len(t) > 2 && t[0] == '0' {
		switch t[1] {
		case 'x', 'X':
			return parseRadix(t[2:], 16)
		case 'o', 'O':
			return parseRadix(t[2:], 8)
		case 'b', 'B':
			return parseRadix(t[2:], 2)
		}
	}
	body := t
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	if body == "Infinity" {
		if t[0] == '-' {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	if !isDecimalLiteral(body) {
		return math.NaN()
	}
	f, _ := strconv.ParseFloat(t, 64) // out of range: ±Inf, as in JS
	return f
}

// isDecimalLiteral reports whether s is digits, an optional fraction and
// an optional exponent, with at least one digit before the exponent
// (StrUnsignedDecimalLiteral without Infinity).
func isDecimalLiteral(s string) bool {
	i, digits := 0, 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// TrimJSSpace is String.prototype.trim: JS white space and line
// terminators off both ends.
func TrimJSSpace(s string) string { return strings.TrimFunc(s, isJSSpace) }

// ToInt32 is JS's ToInt32 (what x | 0 does): NaN and the infinities are
// 0, the rest truncated and wrapped to 32 bits.
func ToInt32(f float64) int32 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return int32(uint32(int64(math.Mod(math.Trunc(f), 1<<32))))
}

// ToUint32 is JS's ToUint32 (what x >>> 0 does, and what a binding's
// Uint32Value gives): NaN and the infinities are 0, the rest truncated
// and wrapped to 32 bits.
func ToUint32(f float64) uint32 { return uint32(ToInt32(f)) }

// ToNumber is JS's ToNumber for a value a message carries: undefined is
// NaN, null 0, a boolean 0 or 1, a string StringToNumber, a number
// itself; an object (or array) goes through its string form, as JS's
// ToPrimitive does: [] is 0, [5] is 5, {} is NaN.
func ToNumber(v any) float64 {
	switch x := v.(type) {
	case nil:
		return 0
	case undefinedType:
		return math.NaN()
	case bool:
		if x {
			return 1
		}
		return 0
	case string:
		return StringToNumber(x)
	case []any:
		return StringToNumber(arrayString(x))
	}
	if f, ok := ToFloat(v); ok {
		return f
	}
	return math.NaN()
}

// arrayString is an array's string form, Array.prototype.join with ",":
// null and undefined elements empty, nested arrays joined in turn.
func arrayString(a []any) string {
	var b strings.Builder
	for i, e := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		switch x := e.(type) {
		case nil, undefinedType:
		case []any:
			b.WriteString(arrayString(x))
		default:
			b.WriteString(ToJSString(x))
		}
	}
	return b.String()
}

// parseRadix is the value of digits in base (2, 8 or 16), rounded to the
// nearest double as JS does, or NaN when there are none or one is not a
// digit of base (no sign, no separators).
func parseRadix(digits string, base int) float64 {
	if digits == "" || strings.ContainsAny(digits, "+-_") {
		return math.NaN()
	}
	if n, err := strconv.ParseUint(digits, base, 64); err == nil && n < 1<<53 {
		return float64(n)
	}
	// Larger: the same bits as a hexadecimal float, which ParseFloat
	// rounds to the nearest double (ties to even), as JS does.
	bits := 4 // the bits of one digit
	if base == 8 {
		bits = 3
	} else if base == 2 {
		bits = 1
	}
	var bin []byte
	for i := 0; i < len(digits); i++ {
		d, ok := digitValue(digits[i])
		if !ok || d >= base {
			return math.NaN()
		}
		for b := bits - 1; b >= 0; b-- {
			bin = append(bin, byte('0'+(d>>b)&1))
		}
	}
	for len(bin)%4 != 0 {
		bin = append([]byte{'0'}, bin...)
	}
	hex := make([]byte, 0, len(bin)/4+4)
	hex = append(hex, "0x"...)
	for i := 0; i < len(bin); i += 4 {
		v := (bin[i]-'0')<<3 | (bin[i+1]-'0')<<2 | (bin[i+2]-'0')<<1 | (bin[i+3] - '0')
		hex = append(hex, hexDigits[v])
	}
	f, err := strconv.ParseFloat(string(hex)+"p0", 64)
	if err != nil && !math.IsInf(f, 0) {
		return math.NaN()
	}
	return f
}

// digitValue is the value of a hexadecimal digit.
func digitValue(c byte) (int, bool) {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0'), true
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}

// isJSSpace reports whether r is JS white space or a line terminator, what
// String.prototype.trim and Number() strip.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return 0x2000 <= r && r <= 0x200A
}
