package childprocess

import (
	"encoding/binary"
	"math"
	"math/bits"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// This file holds the JS values the "advanced" channel carries that JSON
// has no form for (Map, Set, Date, RegExp, BigInt, binary data, Error,
// array holes). The V8 serializer (v8serializer.go) writes them and the
// deserializer makes them; JSON writes them as JSON.stringify would.
// Values that are objects in JS are pointers here, so that a value met
// twice in one message (or inside itself) is one object on both sides.

type holeType struct{}

// Hole is an array's missing element ([1, , 3]): the advanced channel
// keeps it, JSON.stringify writes null.
var Hole any = holeType{}

func (holeType) String() string { return "<hole>" }

// MapEntry is one key and value of a [Map].
type MapEntry struct {
	Key, Value any
}

// Map is a JS Map: its entries in insertion order.
type Map struct {
	Entries []MapEntry
}

// NewMap builds a Map from key, value pairs, in that order.
func NewMap(kv ...any) *Map {
	m := &Map{}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Set(kv[i], kv[i+1])
	}
	return m
}

// Len is the number of entries (map.size).
func (m *Map) Len() int { return len(m.Entries) }

// Get returns the value of key (compared as SameValueZero: numbers by
// value, objects by identity) and whether it is present.
func (m *Map) Get(key any) (any, bool) {
	for _, e := range m.Entries {
		if sameValueZero(e.Key, key) {
			return e.Value, true
		}
	}
	return Undefined, false
}

// Set sets key's value, keeping the place of a key already present.
func (m *Map) Set(key, value any) *Map {
	for i := range m.Entries {
		if sameValueZero(m.Entries[i].Key, key) {
			m.Entries[i].Value = value
			return m
		}
	}
	m.Entries = append(m.Entries, MapEntry{key, value})
	return m
}

// MarshalJSON writes {}, as JSON.stringify writes a Map.
func (m *Map) MarshalJSON() ([]byte, error) { return []byte("{}"), nil }

// Set is a JS Set: its values in insertion order.
type Set struct {
	Values []any
}

// NewSet builds a Set of the values, leaving out repeats.
func NewSet(values ...any) *Set {
	s := &Set{}
	for _, v := range values {
		s.Add(v)
	}
	return s
}

// Len is the number of values (set.size).
func (s *Set) Len() int { return len(s.Values) }

// Has reports whether v is in the set (SameValueZero).
func (s *Set) Has(v any) bool {
	for _, x := range s.Values {
		if sameValueZero(x, v) {
			return true
		}
	}
	return false
}

// Add adds v unless it is there already.
func (s *Set) Add(v any) *Set {
	if !s.Has(v) {
		s.Values = append(s.Values, v)
	}
	return s
}

// MarshalJSON writes {}, as JSON.stringify writes a Set.
func (s *Set) MarshalJSON() ([]byte, error) { return []byte("{}"), nil }

// sameValueZero compares Map keys and Set values as JS does: numbers by
// value (NaN equal to NaN, 0 to -0), BigInts by value, strings by content,
// objects and everything else Go cannot compare by identity.
func sameValueZero(a, b any) bool {
	if fa, ok := ToFloat(a); ok {
		fb, ok := ToFloat(b)
		return ok && (fa == fb || (math.IsNaN(fa) && math.IsNaN(fb)))
	}
	if ba, ok := a.(BigInt); ok {
		bb, ok := b.(BigInt)
		return ok && ba.Cmp(bb) == 0
	}
	switch a.(type) {
	case []any, map[string]any, []byte:
		return sameContainer(a, b)
	}
	if a == nil || b == nil {
		return a == b
	}
	if !isComparable(a) || !isComparable(b) {
		return false
	}
	return a == b
}

// Date is a JS Date: milliseconds since the epoch, NaN for an invalid
// date. A time.Time sent on the advanced channel arrives as a Date too.
type Date struct {
	Ms float64
}

// NewDate is the Date of t, to the millisecond.
func NewDate(t time.Time) *Date { return &Date{Ms: float64(t.UnixMilli())} }

// Time is the date as a time.Time (the zero Time for an invalid date).
func (d *Date) Time() time.Time {
	if math.IsNaN(d.Ms) || math.IsInf(d.Ms, 0) {
		return time.Time{}
	}
	return time.UnixMilli(int64(d.Ms)).UTC()
}

// Valid reports whether the date is not Invalid Date (a time JS can hold:
// a number within 8.64e15 ms of the epoch).
func (d *Date) Valid() bool { return !math.IsNaN(timeClip(d.Ms)) }

// timeClip is ECMAScript's TimeClip: a time JS Dates can hold, cut to a
// whole number of milliseconds, or NaN (Invalid Date), as V8 makes every
// Date it builds, a deserialized one too.
func timeClip(ms float64) float64 {
	if math.IsNaN(ms) || math.Abs(ms) > 8.64e15 {
		return math.NaN()
	}
	return math.Trunc(ms) + 0 // no -0
}

// MarshalJSON writes what JSON.stringify writes for a Date: its ISO
// string, null when invalid.
func (d *Date) MarshalJSON() ([]byte, error) {
	if !d.Valid() || math.Abs(d.Ms) > 8.64e15 {
		return []byte("null"), nil
	}
	t := d.Time()
	y := t.Year()
	var b []byte
	b = append(b, '"')
	switch {
	case y < 0:
		b = append(b, '-')
		b = appendPadded(b, -y, 6)
	case y > 9999:
		b = append(b, '+')
		b = appendPadded(b, y, 6)
	default:
		b = appendPadded(b, y, 4)
	}
	b = append(b, t.Format("-01-02T15:04:05.000Z")...)
	return append(b, '"'), nil
}

func appendPadded(b []byte, n, width int) []byte {
	var d [12]byte
	i := len(d)
	for n > 0 || i == len(d) {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
	}
	for k := len(d) - i; k < width; k++ {
		b = append(b, '0')
	}
	return append(b, d[i:]...)
}

// RegExp is a JS RegExp: its source text and flags ("dgimsuvy", any of
// them). It is only carried: the port does not match with it.
type RegExp struct {
	Source string
	Flags  string
}

// MarshalJSON writes {}, as JSON.stringify writes a RegExp.
func (r *RegExp) MarshalJSON() ([]byte, error) { return []byte("{}"), nil }

// regexpFlags are the RegExp flags in the order of V8's flag bits (bit i
// is regexpFlags[i]).
const regexpFlags = "gimyusldv"

// regexpFlagBits turns a flags string into V8's bits; false for a
// character that is no flag or comes twice.
func regexpFlagBits(flags string) (uint32, bool) {
	var bits uint32
	for i := 0; i < len(flags); i++ {
		k := strings.IndexByte(regexpFlags, flags[i])
		if k < 0 || bits&(1<<k) != 0 {
			return 0, false
		}
		bits |= 1 << k
	}
	return bits, true
}

// regexpFlagString turns V8's flag bits into the flags string JS shows
// (RegExp.prototype.flags order: "dgimsuvy").
func regexpFlagString(bits uint32) string {
	var b []byte
	for _, c := range []byte("dgimsuvy") {
		if bits&(1<<strings.IndexByte(regexpFlags, c)) != 0 {
			b = append(b, c)
		}
	}
	return string(b)
}

// PrimitiveObject is a JS wrapper object of a primitive: new Number(1),
// new String("s"), new Boolean(false), Object(1n). Value is the primitive
// (float64, string, bool or BigInt).
type PrimitiveObject struct {
	Value any
}

// ArrayBuffer is a JS ArrayBuffer: its bytes.
type ArrayBuffer struct {
	Bytes []byte
}

// MarshalJSON writes {}, as JSON.stringify writes an ArrayBuffer.
func (a *ArrayBuffer) MarshalJSON() ([]byte, error) { return []byte("{}"), nil }

// TypedArrayKind names the constructor of an array buffer view, as
// Node's v8 module numbers them (the index it writes before the bytes).
type TypedArrayKind uint32

// The views Node's serializer knows, in its order. A Node Buffer (index
// 10) is a Go []byte and has no kind here.
const (
	Int8Array         TypedArrayKind = 0
	Uint8Array        TypedArrayKind = 1
	Uint8ClampedArray TypedArrayKind = 2
	Int16Array        TypedArrayKind = 3
	Uint16Array       TypedArrayKind = 4
	Int32Array        TypedArrayKind = 5
	Uint32Array       TypedArrayKind = 6
	Float32Array      TypedArrayKind = 7
	Float64Array      TypedArrayKind = 8
	DataView          TypedArrayKind = 9
	BigInt64Array     TypedArrayKind = 11
	BigUint64Array    TypedArrayKind = 12

	bufferKind TypedArrayKind = 10 // FastBuffer: a Go []byte
)

var typedArrayNames = [...]string{"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
	"Int32Array", "Uint32Array", "Float32Array", "Float64Array", "DataView", "Buffer", "BigInt64Array", "BigUint64Array"}

func (k TypedArrayKind) String() string {
	if int(k) < len(typedArrayNames) {
		return typedArrayNames[k]
	}
	return "TypedArrayKind(" + itoa(int(k)) + ")"
}

// elementSize is the view's BYTES_PER_ELEMENT (1 for a DataView).
func (k TypedArrayKind) elementSize() int {
	switch k {
	case Int16Array, Uint16Array:
		return 2
	case Int32Array, Uint32Array, Float32Array:
		return 4
	case Float64Array, BigInt64Array, BigUint64Array:
		return 8
	}
	return 1
}

// TypedArray is a JS typed array or DataView other than a Node Buffer:
// its kind and its bytes (little-endian elements, as on every machine
// Node runs on here).
type TypedArray struct {
	Kind  TypedArrayKind
	Bytes []byte
}

// Error is a JS Error object as V8 clones it: the constructor's name
// (Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError,
// URIError; any other error arrives as Error), the message and the stack
// when the error has them as strings, and the cause when it has one
// (HasCause, since a cause can be null or undefined). An empty Message
// is the error's own when HasMessage says so (new Error("") has one, new
// Error() none); a Message that is not empty always is.
type Error struct {
	Name       string
	Message    string
	HasMessage bool
	Stack      string
	Cause      any
	HasCause   bool
}

func (e *Error) Error() string {
	name := e.Name
	if name == "" {
		name = "Error"
	}
	if e.Message == "" {
		return name
	}
	return name + ": " + e.Message
}

// MarshalJSON writes {}, as JSON.stringify writes an Error (its message
// and stack are not enumerable).
func (e *Error) MarshalJSON() ([]byte, error) { return []byte("{}"), nil }

// Array is a JS array that has properties besides its elements
// (Object.assign([1], {x: 2})); an array with none is a []any.
type Array struct {
	Elements []any
	Props    *Object
}

// BigInt is a JS BigInt: a sign and the magnitude's 64-bit words, least
// significant first, with no high zero words (zero has none).
type BigInt struct {
	Neg bool
	Abs []uint64
}

// NewBigInt is the BigInt of n.
func NewBigInt(n int64) BigInt {
	if n == 0 {
		return BigInt{}
	}
	if n < 0 {
		return BigInt{Neg: true, Abs: []uint64{uint64(-(n + 1)) + 1}}
	}
	return BigInt{Abs: []uint64{uint64(n)}}
}

// NewBigIntUint64 is the BigInt of n.
func NewBigIntUint64(n uint64) BigInt {
	if n == 0 {
		return BigInt{}
	}
	return BigInt{Abs: []uint64{n}}
}

// Int64 returns the value when it fits an int64.
func (b BigInt) Int64() (int64, bool) {
	switch len(b.Abs) {
	case 0:
		return 0, true
	case 1:
		if b.Neg {
			if b.Abs[0] <= 1<<63 {
				return int64(-b.Abs[0]), true
			}
		} else if b.Abs[0] < 1<<63 {
			return int64(b.Abs[0]), true
		}
	}
	return 0, false
}

// Cmp compares b with c: -1, 0 or +1.
func (b BigInt) Cmp(c BigInt) int {
	b, c = b.norm(), c.norm()
	if b.Neg != c.Neg {
		if b.Neg {
			return -1
		}
		return 1
	}
	r := cmpAbs(b.Abs, c.Abs)
	if b.Neg {
		return -r
	}
	return r
}

func cmpAbs(a, b []uint64) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// norm drops high zero words; zero is never negative.
func (b BigInt) norm() BigInt {
	n := len(b.Abs)
	for n > 0 && b.Abs[n-1] == 0 {
		n--
	}
	b.Abs = b.Abs[:n]
	if n == 0 {
		b.Neg = false
	}
	return b
}

// String is the decimal form, as BigInt.prototype.toString() writes it.
func (b BigInt) String() string {
	b = b.norm()
	if len(b.Abs) == 0 {
		return "0"
	}
	words := append([]uint64(nil), b.Abs...)
	var digits []byte
	for len(words) > 0 {
		// Divide by 10^19, the largest power of ten in a word.
		const base = 10000000000000000000
		var rem uint64
		for i := len(words) - 1; i >= 0; i-- {
			words[i], rem = div128(rem, words[i], base)
		}
		for len(words) > 0 && words[len(words)-1] == 0 {
			words = words[:len(words)-1]
		}
		for k := 0; k < 19 && (len(words) > 0 || rem > 0); k++ {
			digits = append(digits, byte('0'+rem%10))
			rem /= 10
		}
	}
	if b.Neg {
		digits = append(digits, '-')
	}
	for i, j := 0, len(digits)-1; i < j; i, j = i+1, j-1 {
		digits[i], digits[j] = digits[j], digits[i]
	}
	return string(digits)
}

// MarshalJSON fails as JSON.stringify does for a BigInt.
func (b BigInt) MarshalJSON() ([]byte, error) {
	return nil, &StringifyError{Name: "TypeError", Message: "Do not know how to serialize a BigInt"}
}

// div128 divides the 128-bit hi:lo by d (hi < d).
func div128(hi, lo, d uint64) (q, r uint64) { return bits.Div64(hi, lo, d) }

func itoa(n int) string { return strconv.Itoa(n) }

// sameContainer reports whether a and b are the same slice or map: the
// same backing store and length, as one JS array or object would be.
func sameContainer(a, b any) bool {
	if a == nil || b == nil || reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Kind() == reflect.Slice && va.Len() != vb.Len() {
		return false
	}
	return va.UnsafePointer() == vb.UnsafePointer()
}

// isComparable reports whether == on v cannot panic at the top level.
func isComparable(v any) bool { return reflect.TypeOf(v).Comparable() }

// Len is the number of elements (a DataView's byte length).
func (a *TypedArray) Len() int { return len(a.Bytes) / a.Kind.elementSize() }

// Index is element i as JS reads it: a float64, or a BigInt for the
// BigInt arrays (a DataView's byte i as a number).
func (a *TypedArray) Index(i int) any {
	p := a.Bytes[i*a.Kind.elementSize():]
	switch a.Kind {
	case Int8Array:
		return float64(int8(p[0]))
	case Int16Array:
		return float64(int16(binary.LittleEndian.Uint16(p)))
	case Uint16Array:
		return float64(binary.LittleEndian.Uint16(p))
	case Int32Array:
		return float64(int32(binary.LittleEndian.Uint32(p)))
	case Uint32Array:
		return float64(binary.LittleEndian.Uint32(p))
	case Float32Array:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(p)))
	case Float64Array:
		return math.Float64frombits(binary.LittleEndian.Uint64(p))
	case BigInt64Array:
		return NewBigInt(int64(binary.LittleEndian.Uint64(p)))
	case BigUint64Array:
		return NewBigIntUint64(binary.LittleEndian.Uint64(p))
	}
	return float64(p[0])
}

// MarshalJSON writes what JSON.stringify writes for a typed array: an
// object of its elements by index ({} for a DataView; a BigInt element
// fails as it does in JS).
func (a *TypedArray) MarshalJSON() ([]byte, error) {
	o := newObject()
	if a.Kind != DataView {
		for i := range a.Len() {
			o.Set(strconv.Itoa(i), a.Index(i))
		}
	}
	return AppendJSON(nil, o)
}

// MarshalJSON writes what JSON.stringify writes for a wrapper object: its
// primitive.
func (p *PrimitiveObject) MarshalJSON() ([]byte, error) { return AppendJSON(nil, p.Value) }

// MarshalJSON writes what JSON.stringify writes for an array: its
// elements only.
func (a *Array) MarshalJSON() ([]byte, error) { return AppendJSON(nil, a.Elements) }
