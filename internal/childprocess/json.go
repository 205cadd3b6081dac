package childprocess

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/nodecluster/nodecluster/internal/jsfmt"
)

// This file holds the JSON that Node's channel speaks: JSON.parse and
// JSON.stringify semantics, not encoding/json's. Objects keep their key
// order, a key can hold undefined (and is then left out when stringified,
// as JS does), nothing is HTML-escaped, and numbers print as JS prints
// them. It has no JS counterpart: V8 implements JSON in C++.

type undefinedType struct{}

// Undefined is JS undefined: a key set to it is present for Get but left
// out by JSON.stringify, and prints as "undefined" in template strings.
var Undefined any = undefinedType{}

func (undefinedType) String() string { return "undefined" }

// Object is a JS plain object with its keys in JS property order: keys
// that are array indices ("0", "1", ... "4294967294") first, ascending,
// then the others in insertion order (OrdinaryOwnPropertyKeys, which
// JSON.stringify follows).
type Object struct {
	keys []string
	vals []any
	// Small objects (every cluster message on the hot path) keep their
	// keys and values here: one allocation per object.
	kbuf [4]string
	vbuf [4]any
}

func newObject() *Object {
	o := &Object{}
	o.keys = o.kbuf[:0]
	o.vals = o.vbuf[:0]
	return o
}

// NewObject builds an object from key, value pairs, in that order.
func NewObject(kv ...any) *Object {
	o := newObject()
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

// Len is the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// Keys returns the keys in order.
func (o *Object) Keys() []string { return o.keys }

// Get returns a key's value, and whether the key exists (a key holding
// Undefined exists).
func (o *Object) Get(k string) (any, bool) {
	if o == nil {
		return Undefined, false
	}
	for i, key := range o.keys {
		if key == k {
			return o.vals[i], true
		}
	}
	return Undefined, false
}

// Value returns a key's value, or Undefined, as JS property access does.
func (o *Object) Value(k string) any {
	v, _ := o.Get(k)
	return v
}

// Set sets a key, keeping its place when it already exists, as JS
// assignment and object spread do. A new array-index key goes among the
// leading index keys in ascending order, as in JS.
func (o *Object) Set(k string, v any) *Object {
	for i, key := range o.keys {
		if key == k {
			o.vals[i] = v
			return o
		}
	}
	if n, ok := arrayIndex(k); ok {
		i := 0
		for i < len(o.keys) {
			if m, ok := arrayIndex(o.keys[i]); !ok || m > n {
				break
			}
			i++
		}
		o.keys = slices.Insert(o.keys, i, k)
		o.vals = slices.Insert(o.vals, i, v)
		return o
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	return o
}

// arrayIndex reports whether k is an array index, the canonical decimal
// form of an integer from 0 to 2^32-2, which JS orders before other keys.
func arrayIndex(k string) (uint64, bool) {
	if len(k) == 0 || len(k) > 10 || k[0] < '0' || k[0] > '9' || (k[0] == '0' && len(k) > 1) {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, n <= math.MaxUint32-1
}

// Delete removes a key (the delete operator).
func (o *Object) Delete(k string) {
	for i, key := range o.keys {
		if key == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			o.vals = append(o.vals[:i:i], o.vals[i+1:]...)
			return
		}
	}
}

// Assign copies every key of src into o, in src's order (Object.assign and
// object spread).
func (o *Object) Assign(src *Object) *Object {
	if src == nil {
		return o
	}
	for i, k := range src.keys {
		o.Set(k, src.vals[i])
	}
	return o
}

// Clone is a shallow copy.
func (o *Object) Clone() *Object {
	if o == nil {
		return nil
	}
	return &Object{keys: append([]string(nil), o.keys...), vals: append([]any(nil), o.vals...)}
}

// String returns a key's value when it is a string.
func (o *Object) String(k string) (string, bool) {
	s, ok := o.Value(k).(string)
	return s, ok
}

// Number returns a key's value when it is a number.
func (o *Object) Number(k string) (float64, bool) {
	return ToFloat(o.Value(k))
}

// Int returns a key's numeric value as an int, or def when absent or not
// a number.
func (o *Object) Int(k string, def int) int {
	if f, ok := ToFloat(o.Value(k)); ok {
		return int(f)
	}
	return def
}

// Bool returns a key's value when it is a boolean.
func (o *Object) Bool(k string) (bool, bool) {
	b, ok := o.Value(k).(bool)
	return b, ok
}

// Object returns a key's value when it is an object.
func (o *Object) Object(k string) *Object {
	v, _ := o.Value(k).(*Object)
	return v
}

// MarshalJSON lets encoding/json print an Object in order.
func (o *Object) MarshalJSON() ([]byte, error) { return AppendJSON(nil, o) }

// JSONString is JSON.stringify(o). Like it, it throws (panics with the
// *StringifyError) on what JSON cannot hold: a circular structure, or one
// nested too deep.
func (o *Object) JSONString() string {
	b, err := AppendJSON(nil, o)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// ToBoolean is JS's ToBoolean of a value as the channel decodes them
// (what an if (message.accepted) sees): false for undefined, null, false,
// 0, NaN, "" and 0n; true for everything else, objects and arrays
// included.
func ToBoolean(v any) bool {
	switch x := v.(type) {
	case nil, undefinedType:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case BigInt:
		return len(x.Abs) != 0
	}
	if f, ok := ToFloat(v); ok {
		return f != 0 && !math.IsNaN(f)
	}
	return true
}

// ToFloat is the number a Go value holds, as a JS number (float64), for
// every Go integer and float type; false for anything else.
func ToFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float32:
		return float64(n), true
	}
	return 0, false
}

// ToJSString converts a value as a JS template string does (`${v}`):
// undefined, null, numbers without a trailing .0, booleans.
func ToJSString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case undefinedType:
		return "undefined"
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case *Object:
		return "[object Object]"
	case []any:
		return arrayString(x)
	}
	if f, ok := ToFloat(v); ok {
		switch {
		case math.IsNaN(f): // JSON's number writer says null for these
			return "NaN"
		case math.IsInf(f, 1):
			return "Infinity"
		case math.IsInf(f, -1):
			return "-Infinity"
		}
		return string(appendNumber(nil, f))
	}
	return fmt.Sprint(v)
}

// AppendJSON appends JSON.stringify(v) to b. Keys holding Undefined are
// left out; Undefined in an array prints null, as JS does. A
// map[string]any is an object (its keys sorted, as encoding/json sorts
// them), and a Go function in it is left out as JS leaves out a function
// (null in an array). Other values that are not JS values are encoded
// with encoding/json without HTML escaping. A structure that contains
// itself is a *StringifyError (TypeError), as is one nested deeper than
// maxJSONDepth (RangeError), where JSON.stringify throws.
func AppendJSON(b []byte, v any) ([]byte, error) {
	out, err := appendJSON(b, v, 0, nil)
	if err == errCircular {
		// Said as V8 says it: where the circle starts and closes.
		err = &StringifyError{Name: "TypeError", Message: describeCycle(v)}
	}
	return out, err
}

// errCircular is what appendJSON meets at a container it is inside
// already; AppendJSON gives the full message.
var errCircular = &StringifyError{Name: "TypeError", Message: "Converting circular structure to JSON"}

// cycleStep is a container on the way to a circle: how it was reached
// from the one before ("property 'a'", "index 0"), and its constructor.
type cycleStep struct {
	p    unsafe.Pointer
	key  string
	ctor string
}

// describeCycle walks v as appendJSON does, from the top, and tells the
// first circle it meets as V8's JSON.stringify does: the object it
// starts at, the steps to the one that closes it (the first two and the
// last when there are more than three), and the key that closes it.
//
// Like V8's JsonStringifier::ConstructCircularStructureErrorMessage.
func describeCycle(v any) string {
	var stack []cycleStep
	var msg string
	var walk func(v any, key string) bool
	walk = func(v any, key string) bool {
		var p unsafe.Pointer
		ctor := "Object"
		switch x := v.(type) {
		case *Object:
			if x == nil {
				return false
			}
			p = unsafe.Pointer(x)
		case map[string]any:
			if x == nil {
				return false
			}
			p = reflect.ValueOf(x).UnsafePointer()
		case []any:
			if len(x) == 0 {
				return false
			}
			p, ctor = unsafe.Pointer(&x[0]), "Array"
		default:
			return false
		}
		for i, f := range stack {
			if f.p == p {
				msg = cycleMessage(stack[i:], key)
				return true
			}
		}
		stack = append(stack, cycleStep{p, key, ctor})
		switch x := v.(type) {
		case *Object:
			for i, k := range x.keys {
				if val := x.vals[i]; !skipInObject(val) && walk(val, "property '"+k+"'") {
					return true
				}
			}
		case map[string]any:
			for _, k := range mapKeys(x) {
				if walk(x[k], "property '"+k+"'") {
					return true
				}
			}
		case []any:
			for i, e := range x {
				if !isFunc(e) && walk(e, "index "+strconv.Itoa(i)) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		return false
	}
	if !walk(v, "") {
		return errCircular.Message
	}
	return msg
}

// cycleMessage writes V8's message for a circle through steps (the first
// is where it starts) closed by closing.
func cycleMessage(steps []cycleStep, closing string) string {
	var sb strings.Builder
	sb.WriteString("Converting circular structure to JSON\n    --> starting at object with constructor '")
	sb.WriteString(steps[0].ctor)
	sb.WriteString("'")
	between := steps[1:]
	line := func(s cycleStep) {
		sb.WriteString("\n    |     " + s.key + " -> object with constructor '" + s.ctor + "'")
	}
	if len(between) > 3 {
		line(between[0])
		line(between[1])
		sb.WriteString("\n    |     ...")
		line(between[len(between)-1])
	} else {
		for _, s := range between {
			line(s)
		}
	}
	sb.WriteString("\n    --- " + closing + " closes the circle")
	return sb.String()
}

// StringifyError is what JSON.stringify throws for a value it cannot
// write: a TypeError for a structure that contains itself, a RangeError
// for one too deep to walk, a TypeError for a Go value encoding/json
// refuses.
type StringifyError struct {
	Name    string // TypeError, RangeError
	Message string
}

func (e *StringifyError) Error() string { return e.Name + ": " + e.Message }

// maxJSONDepth bounds how deep AppendJSON and ParseJSON go. Node's
// JSON.stringify throws a RangeError some thousands of levels down (its
// stack), so no Node peer sends anything deeper; V8's JSON.parse has no
// limit, and this one, far above what a peer can send, keeps a hostile
// line from taking a goroutine's stack to its fatal limit.
const maxJSONDepth = 100000

// trackFrom is the depth from which appendJSON records the containers it
// is inside, to find one that contains itself: a cycle only ever shows
// as depth, so the shallow messages of every day record nothing and
// allocate nothing.
const trackFrom = 64

// appendJSON is AppendJSON at a depth; path holds the containers entered
// since trackFrom.
func appendJSON(b []byte, v any, depth int, path *jsonPath) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case undefinedType, holeType:
		return append(b, "null"...), nil
	case bool:
		if x {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case string:
		return appendString(b, x), nil
	case *Object:
		if x == nil {
			return append(b, "null"...), nil
		}
		path, err := enter(unsafe.Pointer(x), depth, path)
		if err != nil {
			return b, err
		}
		b = append(b, '{')
		first := true
		for i, k := range x.keys {
			val := x.vals[i]
			if skipInObject(val) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, k)
			b = append(b, ':')
			if b, err = appendJSON(b, val, depth+1, path); err != nil {
				return b, err
			}
		}
		leave(path)
		return append(b, '}'), nil
	case map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		path, err := enter(reflect.ValueOf(x).UnsafePointer(), depth, path)
		if err != nil {
			return b, err
		}
		keys := mapKeys(x)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			if b, err = appendJSON(b, x[k], depth+1, path); err != nil {
				return b, err
			}
		}
		leave(path)
		return append(b, '}'), nil
	case []any:
		var err error
		if len(x) > 0 {
			if path, err = enter(unsafe.Pointer(&x[0]), depth, path); err != nil {
				return b, err
			}
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if isFunc(e) {
				b = append(b, "null"...) // as JS writes a function in an array
				continue
			}
			if b, err = appendJSON(b, e, depth+1, path); err != nil {
				return b, err
			}
		}
		if len(x) > 0 {
			leave(path)
		}
		return append(b, ']'), nil
	case json.RawMessage:
		// Checked and written again, so that what goes on the wire is one
		// JSON.stringify could have written: one line, no repeated key.
		parsed, err := ParseJSON(x)
		if err != nil {
			return b, err
		}
		return appendJSON(b, parsed, depth, path)
	}
	if f, ok := ToFloat(v); ok {
		return appendNumber(b, f), nil
	}
	// Any other Go value: encoding/json, without its HTML escaping.
	raw, err := marshalNoEscape(v)
	if err != nil {
		return b, &StringifyError{Name: "TypeError", Message: err.Error()}
	}
	return append(b, raw...), nil
}

// jsonPath is the containers appendJSON is inside, from trackFrom down.
type jsonPath struct {
	in    map[unsafe.Pointer]struct{}
	stack []unsafe.Pointer
}

// mapKeys are the keys of m that JSON.stringify writes, in the order it
// writes them (compareMapKeys).
func mapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k, val := range m {
		if !skipInObject(val) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, compareMapKeys)
	return keys
}

// compareMapKeys orders a map's keys as a JS object would order them if
// they had been added sorted: array indices first, by value, then the rest
// as encoding/json sorts them.
func compareMapKeys(a, b string) int {
	na, ia := arrayIndex(a)
	nb, ib := arrayIndex(b)
	switch {
	case ia && ib:
		return cmp.Compare(na, nb)
	case ia:
		return -1
	case ib:
		return 1
	}
	return strings.Compare(a, b)
}

// enter notes that appendJSON goes into the container at p: past
// maxJSONDepth a RangeError, and from trackFrom on a TypeError if p is
// already one of the containers it is inside.
func enter(p unsafe.Pointer, depth int, path *jsonPath) (*jsonPath, error) {
	if depth < trackFrom {
		return path, nil
	}
	if depth > maxJSONDepth {
		return path, &StringifyError{Name: "RangeError", Message: "Maximum call stack size exceeded"}
	}
	if path == nil {
		path = &jsonPath{in: map[unsafe.Pointer]struct{}{}}
	}
	if _, ok := path.in[p]; ok {
		return path, errCircular
	}
	path.in[p] = struct{}{}
	path.stack = append(path.stack, p)
	return path, nil
}

// leave undoes the last enter that recorded a container.
func leave(path *jsonPath) {
	if path != nil && len(path.stack) > 0 {
		delete(path.in, path.stack[len(path.stack)-1])
		path.stack = path.stack[:len(path.stack)-1]
	}
}

// skipInObject reports whether JSON.stringify leaves a property with this
// value out: undefined, and (for Go values) a function.
func skipInObject(v any) bool {
	if _, ok := v.(undefinedType); ok {
		return true
	}
	return isFunc(v)
}

// isFunc reports whether v is a Go function, JS's other value that JSON
// leaves out.
func isFunc(v any) bool {
	if v == nil {
		return false
	}
	switch v.(type) {
	case string, bool, float64, int, *Object, []any, map[string]any:
		return false
	}
	return reflect.TypeOf(v).Kind() == reflect.Func
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf jsonBuf
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	out := buf.b
	if n := len(out); n > 0 && out[n-1] == '\n' {
		out = out[:n-1]
	}
	// encoding/json escapes U+2028 and U+2029 always; JSON.stringify does not.
	return unescapeLineSeps(out), nil
}

type jsonBuf struct{ b []byte }

func (j *jsonBuf) Write(p []byte) (int, error) { j.b = append(j.b, p...); return len(p), nil }

func unescapeLineSeps(b []byte) []byte {
	out := b[:0:0]
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+5 < len(b) && b[i+1] == 'u' && b[i+2] == '2' && b[i+3] == '0' && b[i+4] == '2' && (b[i+5] == '8' || b[i+5] == '9') {
			// Only when this backslash is not itself escaped.
			bs := 0
			for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
				bs++
			}
			if bs%2 == 0 {
				if b[i+5] == '8' {
					out = append(out, "\u2028"...)
				} else {
					out = append(out, "\u2029"...)
				}
				i += 5
				continue
			}
		}
		out = append(out, b[i])
	}
	return out
}

// appendNumber appends f as JSON.stringify writes a number: NaN and the
// infinities as null, the rest as JS's Number::toString.
func appendNumber(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	return jsfmt.AppendNumber(b, f)
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as JSON.stringify does: only ", \ and control
// characters are escaped. Bytes that are not UTF-8 become U+FFFD, as they
// would have on the way into a JS string (one per maximal ill-formed
// subpart, see InvalidUTF8Len).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			if hi := SurrogateAt(s[i:]); hi >= 0 {
				// A lone surrogate (see AppendSurrogate): its escape, or,
				// with its other half right behind, the character.
				if lo := SurrogateAt(s[i+3:]); hi < 0xDC00 && lo >= 0xDC00 {
					b = utf8.AppendRune(b, utf16.DecodeRune(hi, lo))
					i += 6
				} else {
					b = append(b, '\\', 'u', 'd', hexDigits[hi>>8&0xf], hexDigits[hi>>4&0xf], hexDigits[hi&0xf])
					i += 3
				}
				start = i
				continue
			}
			b = append(b, "\ufffd"...)
			i += InvalidUTF8Len(s[i:])
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// A JS string can hold a lone surrogate ("\ud800"), which UTF-8 cannot.
// The port keeps one in a Go string the way WTF-8 does: the three bytes
// UTF-8 would give the code point if it were allowed (ED A0..BF 80..BF).
// ParseJSON makes them of a lone surrogate's escape, appendString writes
// them back as the escape JSON.stringify writes, so a message goes
// through a Go process unchanged.

// AppendSurrogate appends the WTF-8 form of the surrogate r (how a Go
// string here holds a JS string's lone surrogate).
func AppendSurrogate(b []byte, r rune) []byte {
	return append(b, 0xED, byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
}

// SurrogateAt returns the surrogate whose WTF-8 form starts s, or -1.
func SurrogateAt(s string) rune {
	if len(s) < 3 || s[0] != 0xED || s[1] < 0xA0 || s[1] > 0xBF || s[2] < 0x80 || s[2] > 0xBF {
		return -1
	}
	return 0xD000 | rune(s[1]&0x3F)<<6 | rune(s[2]&0x3F)
}

// toWellFormed replaces what is not UTF-8 in s with U+FFFD as Node's
// UTF-8 decoding (Buffer#toString, the channel's StringDecoder) does: one
// U+FFFD per maximal ill-formed subpart, so a sequence cut short
// ("\xe2\x82") is one U+FFFD where Go's []rune conversion makes one per
// byte.
func toWellFormed(s string) string {
	b := make([]byte, 0, len(s)+2)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
			i += InvalidUTF8Len(s[i:])
			continue
		}
		b = append(b, s[i:i+size]...)
		i += size
	}
	return string(b)
}

// InvalidUTF8Len is the length of the maximal subpart (Unicode 15,
// section 3.9, as the WHATWG decoder and V8 apply it) at the start of s,
// which does not start with a well-formed sequence: a lead byte and the
// continuation bytes that fit it, or a single byte. Each such subpart is
// one U+FFFD when JS decodes the bytes (JSON on the channel here, a
// StringDecoder in package net).
func InvalidUTF8Len[S ~string | ~[]byte](s S) int {
	lo, hi := byte(0x80), byte(0xbf)
	var need int
	switch c := s[0]; {
	case c >= 0xc2 && c <= 0xdf:
		need = 1
	case c == 0xe0:
		need, lo = 2, 0xa0
	case c == 0xed:
		need, hi = 2, 0x9f
	case c >= 0xe1 && c <= 0xef:
		need = 2
	case c == 0xf0:
		need, lo = 3, 0x90
	case c == 0xf4:
		need, hi = 3, 0x8f
	case c >= 0xf1 && c <= 0xf3:
		need = 3
	default:
		return 1
	}
	i := 1
	for i <= need && i < len(s) && s[i] >= lo && s[i] <= hi {
		lo, hi = 0x80, 0xbf
		i++
	}
	return i
}

// ErrSyntax is the SyntaxError JSON.parse throws.
var ErrSyntax = errors.New("SyntaxError")

// SyntaxError describes a line JSON.parse rejected.
type SyntaxError struct {
	Msg  string
	Line []byte
}

func (e *SyntaxError) Error() string {
	line := e.Line
	if len(line) > 80 {
		line = append(line[:77:77], "..."...)
	}
	return fmt.Sprintf("SyntaxError: %s in JSON %q", e.Msg, line)
}

func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// ParseJSON is JSON.parse: objects become *Object (in key order), numbers
// float64, arrays []any, null nil.
func ParseJSON(data []byte) (any, error) {
	text := data
	if !utf8.Valid(text) {
		// The channel's decoder makes a JS string of the bytes first:
		// what is not UTF-8 is U+FFFD before JSON.parse sees it.
		text = []byte(toWellFormed(string(text)))
	}
	p := parser{s: text}
	p.ws()
	v, err := p.value(0)
	if err != nil {
		return nil, &SyntaxError{Msg: err.Error(), Line: append([]byte(nil), data...)}
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, &SyntaxError{Msg: fmt.Sprintf("Unexpected non-whitespace character after JSON at position %d", p.i), Line: append([]byte(nil), data...)}
	}
	return v, nil
}

type parser struct {
	s []byte
	i int
}

func (p *parser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) errf(format string, a ...any) error {
	return fmt.Errorf(format, a...)
}

func (p *parser) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, p.errf("Maximum nesting depth exceeded")
	}
	if p.i >= len(p.s) {
		return nil, p.errf("Unexpected end of JSON input")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		o := newObject()
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return o, nil
		}
		for {
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return nil, p.unexpected()
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, p.unexpected()
			}
			p.i++
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			o.Set(k, v) // a repeated key keeps its first place, as in JS
			p.ws()
			if p.i >= len(p.s) {
				return nil, p.errf("Unexpected end of JSON input")
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == '}' {
				p.i++
				return o, nil
			}
			return nil, p.unexpected()
		}
	case c == '[':
		p.i++
		arr := []any{}
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return arr, nil
		}
		for {
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
			p.ws()
			if p.i >= len(p.s) {
				return nil, p.errf("Unexpected end of JSON input")
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == ']' {
				p.i++
				return arr, nil
			}
			return nil, p.unexpected()
		}
	case c == '"':
		str, err := p.str()
		return stringValue(str), err
	case c == 't':
		return p.lit("true", true)
	case c == 'f':
		return p.lit("false", false)
	case c == 'n':
		return p.lit("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.num()
	}
	return nil, p.unexpected()
}

func (p *parser) unexpected() error {
	if p.i >= len(p.s) {
		return p.errf("Unexpected end of JSON input")
	}
	return p.errf("Unexpected token '%c' at position %d", p.s[p.i], p.i)
}

func (p *parser) lit(word string, v any) (any, error) {
	if len(p.s)-p.i >= len(word) && string(p.s[p.i:p.i+len(word)]) == word {
		p.i += len(word)
		return v, nil
	}
	return nil, p.unexpected()
}

func (p *parser) num() (any, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	if p.i >= len(p.s) {
		return nil, p.errf("Unexpected end of JSON input")
	}
	if p.s[p.i] == '0' {
		p.i++
	} else if p.s[p.i] >= '1' && p.s[p.i] <= '9' {
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
	} else {
		return nil, p.unexpected()
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		d := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if d == p.i {
			return nil, p.unexpected()
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		d := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if d == p.i {
			return nil, p.unexpected()
		}
	}
	// Small non-negative integers: the common case on the wire (seq, ack).
	if p.i-start <= 15 {
		n, neg := 0, false
		ok := true
		for j := start; j < p.i; j++ {
			c := p.s[j]
			if c == '-' && j == start {
				neg = true
				continue
			}
			if c < '0' || c > '9' {
				ok = false
				break
			}
			n = n*10 + int(c-'0')
		}
		if ok {
			if neg {
				if n == 0 {
					return math.Copysign(0, -1), nil
				}
				n = -n
			}
			if n >= 0 && n < len(smallNumbers) {
				return smallNumbers[n], nil
			}
			return float64(n), nil
		}
	}
	f, err := strconv.ParseFloat(string(p.s[start:p.i]), 64)
	if err != nil {
		// Out of range numbers are Infinity in JS.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, nil
		}
		return nil, p.errf("bad number %q", p.s[start:p.i])
	}
	return f, nil
}

func (p *parser) str() (string, error) {
	p.i++ // opening quote
	start := p.i
	// Fast path: no escapes.
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := internString(p.s[start:p.i])
			p.i++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.errf("Bad control character in string literal at position %d", p.i)
		}
		p.i++
	}
	buf := append([]byte(nil), p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.errf("Bad control character in string literal at position %d", p.i)
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.s) {
			break
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.errf("Bad Unicode escape in JSON at position %d", p.i)
			}
			if utf16.IsSurrogate(r) {
				if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					r2, ok2 := p.hex4()
					if ok2 {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							buf = utf8.AppendRune(buf, d)
							continue
						}
					}
					p.i = save
				}
				buf = AppendSurrogate(buf, r) // a lone one: kept, in WTF-8
				continue
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", p.errf("Bad escaped character in JSON at position %d", p.i-1)
		}
	}
	return "", p.errf("Unterminated string in JSON at position %d", p.i)
}

// repeated returns the keys and values every cluster message repeats as
// constants, boxed once by the compiler, so that parsing or sending them
// allocates neither a copy nor a box (a switch on string(b) does not
// allocate; a map would, at best, cost a hash per string).
func repeated(b []byte) (any, bool) {
	switch string(b) {
	case "cmd":
		return "cmd", true
	case "act":
		return "act", true
	case "seq":
		return "seq", true
	case "ack":
		return "ack", true
	case "key":
		return "key", true
	case "msg":
		return "msg", true
	case "type":
		return "type", true
	case "accepted":
		return "accepted", true
	case "NODE_CLUSTER":
		return "NODE_CLUSTER", true
	case "NODE_HANDLE":
		return "NODE_HANDLE", true
	case "NODE_HANDLE_ACK":
		return "NODE_HANDLE_ACK", true
	case "net.Native":
		return "net.Native", true
	case "newconn":
		return "newconn", true
	case "net.Socket":
		return "net.Socket", true
	case "net.Server":
		return "net.Server", true
	}
	return nil, false
}

// internString returns b as a string, without allocating a copy when it
// is one of the repeated strings.
func internString(b []byte) string {
	if v, ok := repeated(b); ok {
		return v.(string)
	}
	return string(b)
}

// stringValue is s as a value, boxed already when it is one of the
// repeated strings.
func stringValue(s string) any {
	// repeated only reads the bytes: a view of s, not a copy.
	if v, ok := repeated(unsafe.Slice(unsafe.StringData(s), len(s))); ok {
		return v
	}
	return s
}

func (p *parser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	var r rune
	for j := 0; j < 4; j++ {
		d, ok := digitValue(p.s[p.i+j])
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	p.i += 4
	return r, true
}

// smallNumbers are the numbers 0..1023 already boxed: seq, ack, index
// and the like parse without an allocation.
var smallNumbers = func() (a [1024]any) {
	for i := range a {
		a[i] = float64(i)
	}
	return a
}()
