package childprocess

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// This file is V8's value serializer and deserializer (the wire format of
// v8.serialize, structured clone's), as far as the "advanced" channel
// needs them, with the host-object handling of Node's
// ChildProcessSerializer and ChildProcessDeserializer
// (lib/internal/child_process/serialization.js, on top of lib/v8.js's
// DefaultSerializer): an array buffer view goes as a host object, a
// uint32 0 then Node's type index, byte length and bytes. It has no JS
// counterpart of its own: V8 does this in C++.

// The format's version (the header), and its tags.
const (
	v8Version    = 15
	v8MinVersion = 13 // the oldest this reader takes: the format it knows

	tagVersion       = 0xFF
	tagPadding       = 0x00
	tagVerifyCount   = '?'
	tagTheHole       = '-'
	tagUndefined     = '_'
	tagNull          = '0'
	tagTrue          = 'T'
	tagFalse         = 'F'
	tagInt32         = 'I'
	tagUint32        = 'U'
	tagDouble        = 'N'
	tagBigInt        = 'Z'
	tagUtf8String    = 'S'
	tagOneByteString = '"'
	tagTwoByteString = 'c'
	tagObjectRef     = '^'
	tagBeginObject   = 'o'
	tagEndObject     = '{'
	tagBeginSparse   = 'a'
	tagEndSparse     = '@'
	tagBeginDense    = 'A'
	tagEndDense      = '$'
	tagDate          = 'D'
	tagTrueObject    = 'y'
	tagFalseObject   = 'x'
	tagNumberObject  = 'n'
	tagBigIntObject  = 'z'
	tagStringObject  = 's'
	tagRegExp        = 'R'
	tagBeginMap      = ';'
	tagEndMap        = ':'
	tagBeginSet      = '\''
	tagEndSet        = ','
	tagArrayBuffer   = 'B'
	tagError         = 'r'
	tagHostObject    = '\\'

	// An Error's parts.
	errTagEval      = 'E'
	errTagRange     = 'R'
	errTagReference = 'F'
	errTagSyntax    = 'S'
	errTagType      = 'T'
	errTagURI       = 'U'
	errTagMessage   = 'm'
	errTagCause     = 'c'
	errTagStack     = 's'
	errTagEnd       = '.'

	// What ChildProcessSerializer writes first in a host object.
	hostArrayBufferView    = 0
	hostNotArrayBufferView = 1
)

// maxSparseLength bounds the lengths of the sparse arrays one message
// makes, all together, beyond half an element per byte of the message:
// the deserializer builds each as a []any, and a few bytes on the wire
// can claim 2^32-1 elements, while an array whose elements are all there
// (V8 writes any array it holds as holey sparsely, a filled one too)
// takes two bytes an element at least.
const maxSparseLength = 1 << 20

// sparseBudget is how many sparse-array elements a message of n bytes
// may make.
func sparseBudget(n int) uint64 { return maxSparseLength + uint64(n)/2 }

// DataCloneError is what V8's serializer throws for a value it cannot
// clone (a JS function or symbol; here a Go function, channel or unsafe
// pointer): Send panics with it, as Node's send throws it.
type DataCloneError struct {
	Message string
}

func (e *DataCloneError) Error() string { return "DataCloneError: " + e.Message }

// DeserializeError describes a message the V8 deserializer rejected.
type DeserializeError struct {
	Msg    string
	Offset int
}

func (e *DeserializeError) Error() string {
	return fmt.Sprintf("Unable to deserialize cloned data: %s at byte %d", e.Msg, e.Offset)
}

// SerializeAdvanced returns what the advanced channel sends for v: V8's
// header and v, as Node's ChildProcessSerializer writes them (without the
// channel's length prefix).
//
// The Go values it writes, and those [DeserializeAdvanced] makes:
//
//	JS                            Go
//	undefined, null               Undefined, nil
//	boolean, string               bool, string (WTF-8, see AppendSurrogate)
//	number                        float64 (any Go integer or float is written)
//	BigInt                        BigInt
//	plain object                  *Object (a map[string]any is written too)
//	array                         []any, with Hole for a missing element;
//	                              *Array when it has other properties
//	Map, Set                      *Map, *Set
//	Date                          *Date (a time.Time is written too)
//	RegExp                        *RegExp
//	new Number(1) and the like    *PrimitiveObject
//	ArrayBuffer                   *ArrayBuffer
//	Buffer                        []byte
//	other typed arrays, DataView  *TypedArray
//	Error and its kinds           *Error
//
// Any other Go value (a struct, a []string...) is written as JSON.stringify
// would see it: through AppendJSON, then as the JS value that JSON is. A
// Go function, channel or unsafe pointer is what V8 cannot clone (a JS
// function or symbol): a *DataCloneError. A value met again in the same
// message (a pointer, the same slice or map) is written as a reference to
// the first, so shared and cyclic structures arrive as they were; so is
// a []byte met again (the same first byte and length: one Buffer, as
// Node sends a Buffer it has seen). A value nested deeper than 100 000
// levels is
// the *StringifyError RangeError V8's stack overflow would throw.
func SerializeAdvanced(v any) ([]byte, error) {
	return appendAdvanced(nil, v)
}

// appendAdvanced appends header and value to b; positions (for the
// alignment of two-byte strings) count from b's start.
func appendAdvanced(b []byte, v any) ([]byte, error) {
	w := v8Writer{b: b}
	w.b = append(w.b, tagVersion, v8Version)
	err := w.value(v, 0)
	return w.b, err
}

// DeserializeAdvanced reads one message of the advanced channel (V8's
// header and one value, without the length prefix) into the Go values
// SerializeAdvanced lists. What V8 would reject, or a tag for something
// no channel carries (a SharedArrayBuffer, a WebAssembly module, an
// array buffer view outside a host object), is a *DeserializeError.
//
// DEVIATION(shape): sparse arrays of more elements in all in one message
// than 2^20 and half the message's bytes (a few bytes can claim 2^32-1,
// as a length or as an index past an array's end, which lengthens it) are
// a *DeserializeError, where V8 builds them: the port makes every
// array a []any, and will not allocate that much on a peer's word. An
// array whose elements are there (a filled holey array, which V8 writes
// sparsely) always fits.
func DeserializeAdvanced(data []byte) (any, error) {
	r := v8Reader{b: data}
	if err := r.header(); err != nil {
		return nil, err
	}
	return r.value(0)
}

// v8Writer serializes one message: what a ChildProcessSerializer does,
// with V8's ValueSerializer and Node's DefaultSerializer beneath it in
// one (the host-object part, view, is in serialization.go).
//
// Mirrors lib/internal/child_process/serialization.js ChildProcessSerializer().
type v8Writer struct {
	b    []byte
	next uint32 // the id the next object gets
	// seen maps what a JS object is in Go (a pointer, a slice's array and
	// length, a map) to its id; a short list first, a map past it.
	seen    []seenObject
	seenMap map[any]uint32
}

type seenObject struct {
	key any
	id  uint32
}

type sliceKey struct {
	p unsafe.Pointer
	n int
}

type mapKey struct{ p unsafe.Pointer }

func (w *v8Writer) byte(c byte) { w.b = append(w.b, c) }

func (w *v8Writer) varint(n uint64) { w.b = binary.AppendUvarint(w.b, n) }

// double writes f's 8 bytes, little-endian; every NaN is JS's one NaN.
func (w *v8Writer) double(f float64) {
	bits := math.Float64bits(f)
	if f != f {
		bits = 0x7FF8000000000000
	}
	w.b = binary.LittleEndian.AppendUint64(w.b, bits)
}

func (w *v8Writer) int32(n int32) {
	w.byte(tagInt32)
	w.varint(uint64(uint32(n<<1) ^ uint32(n>>31)))
}

// object gives the next id to a JS object about to be written, or, when
// key was written before in this message, writes the reference to it and
// returns true. A nil key is an object Go cannot recognize again.
// bytesKey tells a []byte by its first byte and length.
type bytesKey struct {
	p unsafe.Pointer
	n int
}

func (w *v8Writer) object(key any) bool {
	if key != nil {
		if id, ok := w.lookup(key); ok {
			w.byte(tagObjectRef)
			w.varint(uint64(id))
			return true
		}
		if w.seenMap != nil {
			w.seenMap[key] = w.next
		} else if len(w.seen) < 16 {
			w.seen = append(w.seen, seenObject{key, w.next})
		} else {
			w.seenMap = make(map[any]uint32, 32)
			for _, s := range w.seen {
				w.seenMap[s.key] = s.id
			}
			w.seenMap[key] = w.next
		}
	}
	w.next++
	return false
}

func (w *v8Writer) lookup(key any) (uint32, bool) {
	if w.seenMap != nil {
		id, ok := w.seenMap[key]
		return id, ok
	}
	for _, s := range w.seen {
		if s.key == key {
			return s.id, true
		}
	}
	return 0, false
}

func tooDeep() error {
	return &StringifyError{Name: "RangeError", Message: "Maximum call stack size exceeded"}
}

func (w *v8Writer) value(v any, depth int) error {
	if depth > maxJSONDepth {
		return tooDeep()
	}
	switch x := v.(type) {
	case nil:
		w.byte(tagNull)
	case undefinedType, holeType:
		w.byte(tagUndefined)
	case bool:
		if x {
			w.byte(tagTrue)
		} else {
			w.byte(tagFalse)
		}
	case string:
		w.string(x)
	case float64:
		w.number(x)
	case int:
		w.integer(int64(x))
	case int64:
		w.integer(x)
	case int32:
		w.int32(x)
	case BigInt:
		w.byte(tagBigInt)
		w.bigint(x)
	case *Object:
		if x == nil {
			w.byte(tagNull)
			return nil
		}
		if w.object(x) {
			return nil
		}
		w.byte(tagBeginObject)
		for i, k := range x.keys {
			w.key(k)
			if err := w.value(x.vals[i], depth+1); err != nil {
				return err
			}
		}
		w.byte(tagEndObject)
		w.varint(uint64(len(x.keys)))
	case map[string]any:
		if x == nil {
			w.byte(tagNull)
			return nil
		}
		if w.object(mapKey{reflect.ValueOf(x).UnsafePointer()}) {
			return nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareMapKeys)
		w.byte(tagBeginObject)
		for _, k := range keys {
			w.key(k)
			if err := w.value(x[k], depth+1); err != nil {
				return err
			}
		}
		w.byte(tagEndObject)
		w.varint(uint64(len(keys)))
	case []any:
		var key any
		if len(x) > 0 {
			key = sliceKey{unsafe.Pointer(&x[0]), len(x)}
		}
		if w.object(key) {
			return nil
		}
		return w.array(x, nil, depth)
	case *Array:
		if x == nil {
			w.byte(tagNull)
			return nil
		}
		if w.object(x) {
			return nil
		}
		elems, props, err := jsArray(x)
		if err != nil {
			return err
		}
		return w.array(elems, props, depth)
	case *Map:
		if x == nil {
			w.byte(tagNull)
			return nil
		}
		if w.object(x) {
			return nil
		}
		w.byte(tagBeginMap)
		for _, e := range x.Entries {
			if err := w.value(e.Key, depth+1); err != nil {
				return err
			}
			if err := w.value(e.Value, depth+1); err != nil {
				return err
			}
		}
		w.byte(tagEndMap)
		w.varint(uint64(2 * len(x.Entries)))
	case *Set:
		if x == nil {
			w.byte(tagNull)
			return nil
		}
		if w.object(x) {
			return nil
		}
		w.byte(tagBeginSet)
		for _, e := range x.Values {
			if err := w.value(e, depth+1); err != nil {
				return err
			}
		}
		w.byte(tagEndSet)
		w.varint(uint64(len(x.Values)))
	case *Date:
		if x == nil {
			w.byte(tagNull)
			return nil
		}
		if !w.object(x) {
			w.byte(tagDate)
			w.double(timeClip(x.Ms))
		}
	case time.Time:
		w.object(nil)
		w.byte(tagDate)
		w.double(float64(x.UnixMilli()))
	case *RegExp:
		if x == nil {
			w.byte(tagNull)
			return nil
		}
		bits, ok := regexpFlagBits(x.Flags)
		if !ok {
			return &DataCloneError{Message: fmt.Sprintf("Invalid regular expression flags %q", x.Flags)}
		}
		if !w.object(x) {
			w.byte(tagRegExp)
			w.string(x.Source)
			w.varint(uint64(bits))
		}
	case *PrimitiveObject:
		if x == nil {
			w.byte(tagNull)
			return nil
		}
		return w.primitiveObject(x)
	case *ArrayBuffer:
		if x == nil {
			w.byte(tagNull)
			return nil
		}
		if !w.object(x) {
			w.byte(tagArrayBuffer)
			w.varint(uint64(len(x.Bytes)))
			w.b = append(w.b, x.Bytes...)
		}
	case []byte:
		if x == nil {
			w.byte(tagNull)
			return nil
		}
		// The same bytes twice are one Buffer, written once and then
		// referred to, as V8 writes a host object it has seen.
		var key any
		if len(x) > 0 {
			key = bytesKey{unsafe.Pointer(&x[0]), len(x)}
		}
		if w.object(key) {
			return nil
		}
		w.view(bufferKind, x)
	case *TypedArray:
		if x == nil {
			w.byte(tagNull)
			return nil
		}
		if x.Kind == bufferKind || int(x.Kind) >= len(typedArrayNames) {
			return &DataCloneError{Message: fmt.Sprintf("Unserializable host object: %v", x.Kind)}
		}
		if !w.object(x) {
			w.view(x.Kind, x.Bytes)
		}
	case *Error:
		if x == nil {
			w.byte(tagNull)
			return nil
		}
		if w.object(x) {
			return nil
		}
		return w.error(x, depth)
	case json.RawMessage:
		parsed, err := ParseJSON(x)
		if err != nil {
			return err
		}
		return w.value(parsed, depth)
	default:
		if f, ok := ToFloat(v); ok {
			w.number(f)
			return nil
		}
		switch kindOf(v) {
		case reflect.Func, reflect.Chan, reflect.UnsafePointer:
			return &DataCloneError{Message: describeClone(v) + " could not be cloned."}
		}
		// A struct or another Go value: the JS value its JSON is.
		raw, err := AppendJSON(nil, v)
		if err != nil {
			return err
		}
		parsed, err := ParseJSON(raw)
		if err != nil {
			return err
		}
		return w.value(parsed, depth)
	}
	return nil
}

// describeClone names a value V8 cannot clone, in the place where V8's
// message shows the JS value.
func describeClone(v any) string {
	if kindOf(v) == reflect.Func {
		return strings.TrimSpace(describeArg(v)) // "function" for a closure
	}
	return fmt.Sprintf("%T", v)
}

// number writes a JS number as V8 writes one it holds as a small integer
// (int32, not -0) or as a double otherwise.
func (w *v8Writer) number(f float64) {
	if f >= math.MinInt32 && f <= math.MaxInt32 && f == math.Trunc(f) && (f != 0 || !math.Signbit(f)) {
		w.int32(int32(f))
		return
	}
	w.byte(tagDouble)
	w.double(f)
}

func (w *v8Writer) integer(n int64) {
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		w.int32(int32(n))
		return
	}
	w.byte(tagDouble)
	w.double(float64(n))
}

// key writes a property key: an array index as the number it is (V8
// keeps those as numbers), anything else as a string.
func (w *v8Writer) key(k string) {
	if n, ok := arrayIndex(k); ok {
		if n <= math.MaxInt32 {
			w.int32(int32(n))
		} else {
			w.byte(tagDouble)
			w.double(float64(n))
		}
		return
	}
	w.string(k)
}

// string writes a string one byte a character (Latin-1) when every
// character fits, else as UTF-16, after a padding byte if that is what
// puts the UTF-16 units at an even offset. A lone surrogate (WTF-8 in the
// Go string) is one unit; bytes that are not UTF-8 are U+FFFD.
func (w *v8Writer) string(s string) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		w.byte(tagOneByteString)
		w.varint(uint64(len(s)))
		w.b = append(w.b, s...)
		return
	}
	latin1 := true
	n := 0 // UTF-16 units
	for i := 0; i < len(s); {
		r, size := decodeWTF8(s[i:])
		if r > 0xFF {
			latin1 = false
		}
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
		i += size
	}
	if latin1 {
		w.byte(tagOneByteString)
		w.varint(uint64(n))
		for i := 0; i < len(s); {
			r, size := decodeWTF8(s[i:])
			w.byte(byte(r))
			i += size
		}
		return
	}
	byteLen := uint64(2 * n)
	if (len(w.b)+1+uvarintLen(byteLen))&1 != 0 {
		w.byte(tagPadding)
	}
	w.byte(tagTwoByteString)
	w.varint(byteLen)
	for i := 0; i < len(s); {
		r, size := decodeWTF8(s[i:])
		if r > 0xFFFF {
			hi, lo := utf16.EncodeRune(r)
			w.b = binary.LittleEndian.AppendUint16(w.b, uint16(hi))
			w.b = binary.LittleEndian.AppendUint16(w.b, uint16(lo))
		} else {
			w.b = binary.LittleEndian.AppendUint16(w.b, uint16(r))
		}
		i += size
	}
}

// decodeWTF8 decodes the character at the start of s: a lone surrogate's
// three bytes are the surrogate, other bytes that are not UTF-8 U+FFFD
// (one per maximal ill-formed subpart, as appendString counts them).
func decodeWTF8(s string) (rune, int) {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size == 1 {
		if hi := SurrogateAt(s); hi >= 0 {
			return hi, 3
		}
		return utf8.RuneError, InvalidUTF8Len(s)
	}
	return r, size
}

func uvarintLen(n uint64) int {
	l := 1
	for n >= 0x80 {
		n >>= 7
		l++
	}
	return l
}

// bigint writes a BigInt's sign and length, then its words' bytes.
func (w *v8Writer) bigint(b BigInt) {
	b = b.norm()
	bitfield := uint64(8*len(b.Abs)) << 1
	if b.Neg {
		bitfield |= 1
	}
	w.varint(bitfield)
	for _, d := range b.Abs {
		w.b = binary.LittleEndian.AppendUint64(w.b, d)
	}
}

// jsArray is the array a JS program would hold for a: its properties
// that are array indices set those elements (past the end, with holes
// between), and "length" cuts it or lengthens it with holes, as assigning
// them to a JS array does; the other properties stay properties. (V8
// rejects an array written with an index among its properties, and the
// Node peer would die on it.)
func jsArray(a *Array) ([]any, *Object, error) {
	if a.Props == nil || a.Props.Len() == 0 {
		return a.Elements, a.Props, nil
	}
	elems := slices.Clone(a.Elements)
	props := newObject()
	for i, k := range a.Props.keys {
		v := a.Props.vals[i]
		if k == "length" {
			f, ok := ToFloat(v)
			if !ok || f < 0 || f != math.Trunc(f) || f > math.MaxUint32 {
				return nil, nil, &DataCloneError{Message: "Invalid array length"}
			}
			n := int(f)
			if n > len(elems)+maxSparseLength {
				return nil, nil, &DataCloneError{Message: "Invalid array length: the port builds no array of " + strconv.Itoa(n) + " elements"}
			}
			for len(elems) < n {
				elems = append(elems, Hole)
			}
			elems = elems[:n]
			continue
		}
		idx, ok := arrayIndex(k)
		if !ok {
			props.Set(k, v)
			continue
		}
		if idx >= uint64(len(elems)+maxSparseLength) {
			return nil, nil, &DataCloneError{Message: "Invalid array length: the port builds no array of " + strconv.FormatUint(idx+1, 10) + " elements"}
		}
		for uint64(len(elems)) <= idx {
			elems = append(elems, Hole)
		}
		elems[idx] = v
	}
	return elems, props, nil
}

// array writes an array densely, or sparsely (as V8 writes an array with
// holes) when an element is Hole, with props after its elements.
func (w *v8Writer) array(elems []any, props *Object, depth int) error {
	holey := false
	for _, e := range elems {
		if _, ok := e.(holeType); ok {
			holey = true
			break
		}
	}
	nprops := 0
	if holey {
		w.byte(tagBeginSparse)
		w.varint(uint64(len(elems)))
		for i, e := range elems {
			if _, ok := e.(holeType); ok {
				continue
			}
			w.key(strconv.Itoa(i))
			if err := w.value(e, depth+1); err != nil {
				return err
			}
			nprops++
		}
	} else {
		w.byte(tagBeginDense)
		w.varint(uint64(len(elems)))
		for _, e := range elems {
			if err := w.value(e, depth+1); err != nil {
				return err
			}
		}
	}
	if props != nil {
		for i, k := range props.keys {
			w.key(k)
			if err := w.value(props.vals[i], depth+1); err != nil {
				return err
			}
			nprops++
		}
	}
	if holey {
		w.byte(tagEndSparse)
	} else {
		w.byte(tagEndDense)
	}
	w.varint(uint64(nprops))
	w.varint(uint64(len(elems)))
	return nil
}

func (w *v8Writer) primitiveObject(x *PrimitiveObject) error {
	if w.object(x) {
		return nil
	}
	switch v := x.Value.(type) {
	case bool:
		if v {
			w.byte(tagTrueObject)
		} else {
			w.byte(tagFalseObject)
		}
	case string:
		w.byte(tagStringObject)
		w.string(v)
	case BigInt:
		w.byte(tagBigIntObject)
		w.bigint(v)
	default:
		f, ok := ToFloat(v)
		if !ok {
			return &DataCloneError{Message: fmt.Sprintf("%T could not be cloned.", x.Value)}
		}
		w.byte(tagNumberObject)
		w.double(f)
	}
	return nil
}

var errorPrototypeTags = map[string]byte{
	"EvalError": errTagEval, "RangeError": errTagRange, "ReferenceError": errTagReference,
	"SyntaxError": errTagSyntax, "TypeError": errTagType, "URIError": errTagURI,
}

func (w *v8Writer) error(e *Error, depth int) error {
	w.byte(tagError)
	if t, ok := errorPrototypeTags[e.Name]; ok {
		w.byte(t)
	}
	if e.Message != "" || e.HasMessage {
		w.byte(errTagMessage)
		w.string(e.Message)
	}
	if e.HasCause || e.Cause != nil {
		w.byte(errTagCause)
		if err := w.value(e.Cause, depth+1); err != nil {
			return err
		}
	}
	if e.Stack != "" {
		w.byte(errTagStack)
		w.string(e.Stack)
	}
	w.byte(errTagEnd)
	return nil
}

// --- reading -------------------------------------------------------------

// v8Reader deserializes one message: what a ChildProcessDeserializer
// does, with V8's ValueDeserializer and Node's DefaultDeserializer
// beneath it in one (the host-object part, hostObject, is in
// serialization.go).
//
// Mirrors lib/internal/child_process/serialization.js ChildProcessDeserializer().
type v8Reader struct {
	b    []byte
	i    int
	objs []any // by id
	// sparse is the number of elements the sparse arrays read so far
	// claimed (see maxSparseLength), dense that of the dense arrays: each
	// of their elements takes a byte at least, so together they claim no
	// more elements than the message has bytes, however they nest.
	sparse, dense uint64
}

func (r *v8Reader) fail(format string, a ...any) error {
	return &DeserializeError{Msg: fmt.Sprintf(format, a...), Offset: r.i}
}

func (r *v8Reader) header() error {
	if r.i >= len(r.b) || r.b[r.i] != tagVersion {
		return r.fail("no V8 header")
	}
	r.i++
	v, err := r.varint32()
	if err != nil {
		return err
	}
	if v < v8MinVersion || v > v8Version {
		return r.fail("unsupported version %d", v)
	}
	return nil
}

func (r *v8Reader) readByte() (byte, error) {
	if r.i >= len(r.b) {
		return 0, r.fail("unexpected end of data")
	}
	c := r.b[r.i]
	r.i++
	return c, nil
}

func (r *v8Reader) varint() (uint64, error) {
	var n uint64
	for shift := uint(0); ; shift += 7 {
		c, err := r.readByte()
		if err != nil {
			return 0, err
		}
		if shift < 64 {
			n |= uint64(c&0x7f) << shift
		}
		if c < 0x80 {
			return n, nil
		}
		if shift > 70 {
			return 0, r.fail("varint too long")
		}
	}
}

func (r *v8Reader) varint32() (uint32, error) {
	n, err := r.varint()
	return uint32(n), err
}

// length reads a byte count and checks that that many bytes follow.
func (r *v8Reader) length() (int, error) {
	n, err := r.varint()
	if err != nil {
		return 0, err
	}
	if n > uint64(len(r.b)-r.i) {
		return 0, r.fail("length %d past the end of data", n)
	}
	return int(n), nil
}

func (r *v8Reader) raw(n int) []byte {
	p := r.b[r.i : r.i+n]
	r.i += n
	return p
}

func (r *v8Reader) double() (float64, error) {
	if len(r.b)-r.i < 8 {
		return 0, r.fail("unexpected end of data")
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(r.raw(8))), nil
}

// tag reads the next tag, passing over padding.
func (r *v8Reader) tag() (byte, error) {
	for {
		c, err := r.readByte()
		if err != nil || c != tagPadding {
			return c, err
		}
	}
}

// peek returns the next tag without consuming it (padding is consumed).
func (r *v8Reader) peek() (byte, error) {
	c, err := r.tag()
	if err == nil {
		r.i--
	}
	return c, err
}

// newID reserves the id of an object being read.
func (r *v8Reader) newID() int {
	r.objs = append(r.objs, nil)
	return len(r.objs) - 1
}

func (r *v8Reader) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, r.fail("nesting too deep")
	}
	c, err := r.tag()
	if err != nil {
		return nil, err
	}
	switch c {
	case tagVerifyCount:
		if _, err := r.varint(); err != nil {
			return nil, err
		}
		return r.value(depth)
	case tagUndefined:
		return Undefined, nil
	case tagNull:
		return nil, nil
	case tagTrue:
		return true, nil
	case tagFalse:
		return false, nil
	case tagInt32:
		u, err := r.varint32()
		if err != nil {
			return nil, err
		}
		return boxNumber(float64(int32(u>>1) ^ -int32(u&1))), nil
	case tagUint32:
		u, err := r.varint32()
		if err != nil {
			return nil, err
		}
		return boxNumber(float64(u)), nil
	case tagDouble:
		return r.double()
	case tagBigInt:
		return r.bigint()
	case tagOneByteString, tagTwoByteString, tagUtf8String:
		return r.stringBody(c)
	case tagObjectRef:
		id, err := r.varint()
		if err != nil {
			return nil, err
		}
		if id >= uint64(len(r.objs)) || r.objs[id] == nil {
			return nil, r.fail("reference to unknown object %d", id)
		}
		return r.objs[id], nil
	case tagBeginObject:
		id := r.newID()
		o := newObject()
		r.objs[id] = o
		n, err := r.properties(o, nil, tagEndObject, depth)
		if err != nil {
			return nil, err
		}
		return o, r.count(uint64(n), "properties")
	case tagBeginDense:
		return r.denseArray(depth)
	case tagBeginSparse:
		return r.sparseArray(depth)
	case tagDate:
		id := r.newID()
		f, err := r.double()
		if err != nil {
			return nil, err
		}
		d := &Date{Ms: timeClip(f)}
		r.objs[id] = d
		return d, nil
	case tagTrueObject, tagFalseObject:
		p := &PrimitiveObject{Value: c == tagTrueObject}
		r.objs[r.newID()] = p
		return p, nil
	case tagNumberObject:
		id := r.newID()
		f, err := r.double()
		if err != nil {
			return nil, err
		}
		p := &PrimitiveObject{Value: f}
		r.objs[id] = p
		return p, nil
	case tagBigIntObject:
		id := r.newID()
		b, err := r.bigint()
		if err != nil {
			return nil, err
		}
		p := &PrimitiveObject{Value: b}
		r.objs[id] = p
		return p, nil
	case tagStringObject:
		id := r.newID()
		s, err := r.string()
		if err != nil {
			return nil, err
		}
		p := &PrimitiveObject{Value: s}
		r.objs[id] = p
		return p, nil
	case tagRegExp:
		id := r.newID()
		src, err := r.string()
		if err != nil {
			return nil, err
		}
		bits, err := r.varint32()
		if err != nil {
			return nil, err
		}
		if bits >= 1<<len(regexpFlags) {
			return nil, r.fail("bad regular expression flags %#x", bits)
		}
		re := &RegExp{Source: src, Flags: regexpFlagString(bits)}
		r.objs[id] = re
		return re, nil
	case tagBeginMap:
		id := r.newID()
		m := &Map{}
		r.objs[id] = m
		for {
			t, err := r.peek()
			if err != nil {
				return nil, err
			}
			if t == tagEndMap {
				r.i++
				return m, r.count(uint64(2*len(m.Entries)), "map entries")
			}
			k, err := r.value(depth + 1)
			if err != nil {
				return nil, err
			}
			v, err := r.value(depth + 1)
			if err != nil {
				return nil, err
			}
			// As V8 wrote them: a Map's keys are distinct, and looking
			// each up would make a large Map cost its size squared.
			m.Entries = append(m.Entries, MapEntry{k, v})
		}
	case tagBeginSet:
		id := r.newID()
		s := &Set{}
		r.objs[id] = s
		for {
			t, err := r.peek()
			if err != nil {
				return nil, err
			}
			if t == tagEndSet {
				r.i++
				return s, r.count(uint64(len(s.Values)), "set values")
			}
			v, err := r.value(depth + 1)
			if err != nil {
				return nil, err
			}
			s.Values = append(s.Values, v) // distinct, as a Map's keys
		}
	case tagArrayBuffer:
		id := r.newID()
		n, err := r.length()
		if err != nil {
			return nil, err
		}
		ab := &ArrayBuffer{Bytes: slices.Clone(r.raw(n))}
		r.objs[id] = ab
		return ab, nil
	case tagError:
		return r.error(depth)
	case tagHostObject:
		return r.hostObject(depth)
	}
	return nil, r.fail("unsupported tag %q", c)
}

// boxNumber returns a number as an interface value, the small integers
// without an allocation.
func boxNumber(f float64) any {
	if f >= 0 && f < float64(len(smallNumbers)) && f == math.Trunc(f) {
		return smallNumbers[int(f)]
	}
	return f
}

// count checks the count an object's end tag gives.
func (r *v8Reader) count(got uint64, what string) error {
	want, err := r.varint()
	if err != nil {
		return err
	}
	if want != got {
		return r.fail("%d %s where the end tag says %d", got, what, want)
	}
	return nil
}

// string reads a string value (with its tag).
func (r *v8Reader) string() (string, error) {
	c, err := r.tag()
	if err != nil {
		return "", err
	}
	switch c {
	case tagOneByteString, tagTwoByteString, tagUtf8String:
		return r.stringBody(c)
	}
	r.i--
	return "", r.fail("string expected, tag %q", c)
}

func (r *v8Reader) stringBody(tag byte) (string, error) {
	n, err := r.length()
	if err != nil {
		return "", err
	}
	data := r.raw(n)
	switch tag {
	case tagOneByteString:
		for _, c := range data {
			if c >= utf8.RuneSelf {
				b := make([]byte, 0, 2*n)
				for _, c := range data {
					b = utf8.AppendRune(b, rune(c))
				}
				return string(b), nil
			}
		}
		return internString(data), nil
	case tagUtf8String:
		if !utf8.Valid(data) {
			return toWellFormed(string(data)), nil
		}
		return string(data), nil
	}
	if n%2 != 0 {
		return "", r.fail("two-byte string of odd length %d", n)
	}
	b := make([]byte, 0, n+n/2)
	for i := 0; i < n; i += 2 {
		u := rune(binary.LittleEndian.Uint16(data[i:]))
		if utf16.IsSurrogate(u) {
			if u < 0xDC00 && i+3 < n {
				if lo := rune(binary.LittleEndian.Uint16(data[i+2:])); lo >= 0xDC00 && lo <= 0xDFFF {
					b = utf8.AppendRune(b, utf16.DecodeRune(u, lo))
					i += 2
					continue
				}
			}
			b = AppendSurrogate(b, u) // a lone one, kept in WTF-8
			continue
		}
		b = utf8.AppendRune(b, u)
	}
	return string(b), nil
}

func (r *v8Reader) bigint() (BigInt, error) {
	bitfield, err := r.varint()
	if err != nil {
		return BigInt{}, err
	}
	if bitfield>>1 > uint64(len(r.b)-r.i) {
		return BigInt{}, r.fail("BigInt length %d past the end of data", bitfield>>1)
	}
	data := r.raw(int(bitfield >> 1))
	b := BigInt{Neg: bitfield&1 != 0}
	for i := 0; i < len(data); i += 8 {
		var word [8]byte
		copy(word[:], data[i:])
		b.Abs = append(b.Abs, binary.LittleEndian.Uint64(word[:]))
	}
	return b.norm(), nil
}

// key reads a property key: a string, or a number, which JS makes the
// string it prints as.
func (r *v8Reader) key(depth int) (string, error) {
	start := r.i
	k, err := r.value(depth + 1)
	if err != nil {
		return "", err
	}
	switch x := k.(type) {
	case string:
		return x, nil
	case float64:
		return string(appendNumberKey(nil, x)), nil
	}
	r.i = start
	return "", r.fail("property key of type %T", k)
}

// appendNumberKey prints a number key as JS's ToString does.
func appendNumberKey(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	return appendNumber(b, f)
}

// properties reads key, value pairs into o until the end tag, and
// returns how many it read. With elems, keys that are array indices set
// its elements instead (see setElement).
func (r *v8Reader) properties(o *Object, elems *[]any, end byte, depth int) (int, error) {
	n := 0
	for {
		t, err := r.peek()
		if err != nil {
			return 0, err
		}
		if t == end {
			r.i++
			return n, nil
		}
		k, err := r.key(depth)
		if err != nil {
			return 0, err
		}
		v, err := r.value(depth + 1)
		if err != nil {
			return 0, err
		}
		n++
		if elems != nil {
			if idx, ok := arrayIndex(k); ok {
				if err := r.setElement(elems, idx, v); err != nil {
					return 0, err
				}
				continue
			}
		}
		o.Set(k, v)
	}
}

// setElement sets an array's element idx as V8 does when it reads an
// index among the array's properties: an index at or past the end
// lengthens the array, with holes between (V8 never writes one, but reads
// it so). The holes count towards the message's sparse budget (see
// maxSparseLength).
func (r *v8Reader) setElement(elems *[]any, idx uint64, v any) error {
	if idx < uint64(len(*elems)) {
		(*elems)[idx] = v
		return nil
	}
	grow := idx + 1 - uint64(len(*elems))
	if budget := sparseBudget(len(r.b)); grow > budget || r.sparse+grow > budget {
		return r.fail("array index %d, past the %d elements of sparse arrays the port builds for a message of %d bytes", idx, budget, len(r.b))
	}
	r.sparse += grow
	for uint64(len(*elems)) < idx {
		*elems = append(*elems, Hole)
	}
	*elems = append(*elems, v)
	return nil
}

// arrayEnd checks the counts after an array's end tag: its properties,
// and the length its start gave (V8 compares the two lengths, not the
// array's, which an index past the end lengthened).
func (r *v8Reader) arrayEnd(id int, length uint64, elems []any, props *Object, nprops int) (any, error) {
	if err := r.count(uint64(nprops), "properties"); err != nil {
		return nil, err
	}
	if err := r.count(length, "elements"); err != nil {
		return nil, err
	}
	if uint64(len(elems)) != length {
		r.objs[id] = elems // lengthened: a later reference sees it so
	}
	if props.Len() > 0 {
		a := &Array{Elements: elems, Props: props}
		r.objs[id] = a
		return a, nil
	}
	return elems, nil
}

func (r *v8Reader) denseArray(depth int) (any, error) {
	id := r.newID()
	n, err := r.varint()
	if err != nil {
		return nil, err
	}
	if r.dense += n; n > uint64(len(r.b)-r.i) || r.dense > uint64(len(r.b)) {
		return nil, r.fail("array length %d past the end of data", n)
	}
	elems := make([]any, n)
	r.objs[id] = elems
	if n == 0 {
		// An empty slice has no array to tell it by: a reference to it
		// gets an empty array of its own, as good as the same in Go.
		r.objs[id] = []any{}
	}
	for i := range elems {
		t, err := r.peek()
		if err != nil {
			return nil, err
		}
		if t == tagTheHole {
			r.i++
			elems[i] = Hole
			continue
		}
		if elems[i], err = r.value(depth + 1); err != nil {
			return nil, err
		}
	}
	props := newObject()
	np, err := r.properties(props, &elems, tagEndDense, depth)
	if err != nil {
		return nil, err
	}
	return r.arrayEnd(id, n, elems, props, np)
}

func (r *v8Reader) sparseArray(depth int) (any, error) {
	id := r.newID()
	n, err := r.varint()
	if err != nil {
		return nil, err
	}
	if budget := sparseBudget(len(r.b)); n > budget || r.sparse+n > budget {
		return nil, r.fail("sparse array of length %d, past the %d elements of sparse arrays the port builds for a message of %d bytes", n, budget, len(r.b))
	}
	r.sparse += n
	elems := make([]any, n)
	for i := range elems {
		elems[i] = Hole
	}
	r.objs[id] = elems
	if n == 0 {
		r.objs[id] = []any{}
	}
	props := newObject()
	np, err := r.properties(props, &elems, tagEndSparse, depth)
	if err != nil {
		return nil, err
	}
	return r.arrayEnd(id, n, elems, props, np)
}

func (r *v8Reader) error(depth int) (any, error) {
	id := r.newID()
	e := &Error{Name: "Error"}
	for {
		c, err := r.tag()
		if err != nil {
			return nil, err
		}
		switch c {
		case errTagEval:
			e.Name = "EvalError"
		case errTagRange:
			e.Name = "RangeError"
		case errTagReference:
			e.Name = "ReferenceError"
		case errTagSyntax:
			e.Name = "SyntaxError"
		case errTagType:
			e.Name = "TypeError"
		case errTagURI:
			e.Name = "URIError"
		case errTagMessage:
			if e.Message, err = r.string(); err != nil {
				return nil, err
			}
			e.HasMessage = e.Message == "" // an empty one of its own
		case errTagStack:
			if e.Stack, err = r.string(); err != nil {
				return nil, err
			}
		case errTagCause:
			if e.Cause, err = r.value(depth + 1); err != nil {
				return nil, err
			}
			e.HasCause = true
		case errTagEnd:
			r.objs[id] = e
			return e, nil
		default:
			return nil, r.fail("unknown error tag %q", c)
		}
	}
}
