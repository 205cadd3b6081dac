package jsfmt

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// AppendNumber appends f, a finite number, as JS's Number::toString
// writes it: the shortest digits that read back as f, in plain notation
// from 1e-6 up to below 1e21 and in exponent notation outside ("1e+21",
// "1.5e-7"); 0 for both zeros.
//
// Like V8's DoubleToCString(), behind Number.prototype.toString.
func AppendNumber(b []byte, f float64) []byte {
	if f == 0 {
		return append(b, '0')
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.AppendInt(b, int64(f), 10)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	a := math.Abs(f)
	if a >= 1e-6 && a < 1e21 {
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // 1.5e-07
	mant, exp, _ := strings.Cut(s, "e")
	sign := exp[0]
	exp = trimLeftZeros(exp[1:])
	b = append(b, mant...)
	b = append(b, 'e')
	if sign == '-' {
		b = append(b, '-')
	} else {
		b = append(b, '+')
	}
	return append(b, exp...)
}

func trimLeftZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// InspectString is util.inspect of a string: in single quotes, or in
// double quotes when it has a single quote and no double one, or in
// backticks when it has both and no backtick or "${"; control characters,
// C1 characters and backslashes (and the single quote, when that is the
// quote) are escaped as Node's strEscape writes them ('\x00', '\n',
// '\x7F').
//
// Like lib/internal/util/inspect.js strEscape().
func InspectString(s string) string {
	quote := '\''
	if strings.Contains(s, "'") {
		if !strings.Contains(s, "\"") {
			quote = '"'
		} else if !strings.Contains(s, "`") && !strings.Contains(s, "${") {
			quote = '`'
		}
	}
	var b strings.Builder
	b.WriteRune(quote)
	for _, r := range s {
		switch {
		case r == '\\' || (r == '\'' && quote == '\''):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			fmt.Fprintf(&b, `\x%02X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteRune(quote)
	return b.String()
}

// Inspect writes a value as util.inspect does for what Go code passes
// where Node would print a JS value: nil as null, strings quoted
// (InspectString), booleans, numbers as JS writes them (-0 as "-0"), a
// map[string]any as an object (keys sorted: a Go map keeps no order) and
// a []any as an array; anything else with fmt's %v.
//
// Like lib/internal/util/inspect.js formatValue(), for these values.
func Inspect(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return InspectString(x)
	case bool:
		return strconv.FormatBool(x)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x)
	case float64:
		return inspectNumber(x)
	case float32:
		return inspectNumber(float64(x))
	case map[string]any:
		if len(x) == 0 {
			return "{}"
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + Inspect(x[k])
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Inspect(e)
		}
		return "[ " + strings.Join(parts, ", ") + " ]"
	}
	return fmt.Sprintf("%v", v)
}

// inspectNumber is util.inspect's number: JS's Number::toString, with -0
// as "-0".
//
// Like lib/internal/util/inspect.js formatNumber().
func inspectNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0 && math.Signbit(f):
		return "-0"
	}
	return string(AppendNumber(nil, f))
}
