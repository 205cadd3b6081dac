package childprocess

// The V8 serializer and deserializer of the advanced channel, byte for
// byte against what Node's advanced channel writes: testdata/v8values.txt
// is the output of testdata/v8values.js under node v20.20.2 (the
// serializer's bytes, without the channel's length prefix), and
// TestV8ValuesMatchNode runs the script again when node is installed.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// recordedV8Values reads testdata/v8values.txt: name -> bytes.
func recordedV8Values(t *testing.T) (map[string][]byte, []string) {
	t.Helper()
	f, err := os.Open("testdata/v8values.txt")
	require.NoError(t, err)
	defer f.Close()
	out := map[string][]byte{}
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, h, ok := strings.Cut(sc.Text(), " ")
		require.True(t, ok, "line %q", sc.Text())
		b, err := hex.DecodeString(h)
		require.NoError(t, err, "line %q", sc.Text())
		out[name] = b
		names = append(names, name)
	}
	require.NoError(t, sc.Err())
	return out, names
}

// v8GoValues are the Go values that serialize exactly as the value of the
// same name in testdata/v8values.js.
func v8GoValues() map[string]any {
	shared := NewObject()
	cyclic := NewObject()
	cyclic.Set("self", cyclic)
	cyclicArray := make([]any, 1)
	cyclicArray[0] = cyclicArray
	sparse := make([]any, 11)
	for i := range 10 {
		sparse[i] = Hole
	}
	sparse[10] = 1
	mapKey := NewObject("k", 1)
	return map[string]any{
		"undefined":           Undefined,
		"null":                nil,
		"true":                true,
		"false":               false,
		"int0":                0,
		"int1":                1.0,
		"intMinus1":           int8(-1),
		"int300":              uint16(300),
		"intMax":              int64(math.MaxInt32),
		"intMin":              int32(math.MinInt32),
		"int2p31":             uint32(1 << 31),
		"double":              1.5,
		"negZero":             math.Copysign(0, -1),
		"nan":                 math.NaN(),
		"infinity":            math.Inf(1),
		"minusInfinity":       math.Inf(-1),
		"emptyString":         "",
		"ascii":               "abc",
		"latin1":              "é",
		"twoByte":             "€",
		"astral":              "😀",
		"loneSurrogate":       "\xed\xa0\x80",
		"nul":                 "a\x00b",
		"paddedTwoByte":       []any{true, "€"},
		"unpaddedTwoByte":     []any{1, "€"},
		"object":              NewObject("a", 1, "b", "x"),
		"indexKeys":           NewObject("2", 1, "1", 2, "a", 3),
		"bigIndexKeys":        NewObject("2147483647", 1, "2147483648", 2, "4294967294", 3, "4294967295", 4),
		"sortedMap":           map[string]any{"b": 1, "a": 2},
		"emptyObject":         NewObject(),
		"array":               []any{1, 2},
		"emptyArray":          []any{},
		"holes":               []any{1, Hole, 3},
		"undefinedAndHole":    []any{Undefined, Hole},
		"sparse":              sparse,
		"arrayWithProps":      &Array{Elements: []any{1}, Props: NewObject("x", 2)},
		"map":                 NewMap(1, "a", "b", NewObject()),
		"mapObjectKey":        NewMap(mapKey, mapKey),
		"set":                 NewSet(1, "x"),
		"date":                &Date{Ms: 0},
		"date2024":            time.Date(2024, 2, 29, 12, 30, 15, 250e6, time.UTC),
		"invalidDate":         &Date{Ms: math.NaN()},
		"regexp":              &RegExp{Source: "a.b", Flags: "gimsuy"},
		"regexpD":             &RegExp{Source: "x", Flags: "d"},
		"regexpV":             &RegExp{Source: `\/`, Flags: "v"},
		"bigint0":             NewBigInt(0),
		"bigint1":             NewBigInt(1),
		"bigintMinus1":        NewBigInt(-1),
		"bigint2p64":          BigInt{Abs: []uint64{0, 1}},
		"bigintMinus2p70":     BigInt{Neg: true, Abs: []uint64{0, 64}},
		"numberObject":        &PrimitiveObject{Value: 3},
		"stringObject":        &PrimitiveObject{Value: "ab"},
		"trueObject":          &PrimitiveObject{Value: true},
		"falseObject":         &PrimitiveObject{Value: false},
		"bigintObject":        &PrimitiveObject{Value: NewBigInt(5)},
		"arrayBuffer":         &ArrayBuffer{Bytes: []byte{0, 0, 0}},
		"buffer":              []byte{1, 2, 3},
		"emptyBuffer":         []byte{},
		"uint8Array":          &TypedArray{Kind: Uint8Array, Bytes: []byte{1, 2}},
		"uint16Array":         &TypedArray{Kind: Uint16Array, Bytes: []byte{1, 0, 3, 2}},
		"float64Array":        &TypedArray{Kind: Float64Array, Bytes: []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}},
		"bigInt64Array":       &TypedArray{Kind: BigInt64Array, Bytes: bytes.Repeat([]byte{0xff}, 8)},
		"dataView":            &TypedArray{Kind: DataView, Bytes: []byte{0, 0}},
		"error":               &Error{Message: "boom"},
		"typeError":           &Error{Name: "TypeError", Message: "t"},
		"rangeError":          &Error{Name: "RangeError", Message: "r"},
		"evalError":           &Error{Name: "EvalError", Message: "e"},
		"referenceError":      &Error{Name: "ReferenceError", Message: "f"},
		"syntaxError":         &Error{Name: "SyntaxError", Message: "s"},
		"uriError":            &Error{Name: "URIError", Message: "u"},
		"errorCause":          &Error{Name: "Error", Message: "c", Cause: NewObject("n", 1)},
		"errorUndefinedCause": &Error{Name: "Error", Message: "c", Cause: Undefined},
		"errorStack":          &Error{Name: "Error", Message: "s", Stack: "Error: s\n    at here"},
		"errorRef":            []any{&Error{Message: "x"}, shared, shared},
		"shared":              []any{shared, shared},
		"cyclic":              cyclic,
		"cyclicArray":         cyclicArray,
		"nested":              NewObject("a", []any{NewObject("b", NewMap(NewObject(), []any{}))}),
		"message":             NewObject("cmd", "NODE_CLUSTER", "act", "online", "seq", 1, "ack", Undefined),
	}
}

// notWrittenByGo are the recorded values a Go value does not write the
// same way: the same Buffer twice (a []byte has no identity to refer to,
// so Go writes it twice).
var notWrittenByGo = map[string]bool{"sharedBuffer": true}

func TestV8SerializeMatchesNode(t *testing.T) {
	recorded, names := recordedV8Values(t)
	goValues := v8GoValues()
	for _, name := range names {
		if notWrittenByGo[name] {
			continue
		}
		v, ok := goValues[name]
		require.True(t, ok, "no Go value for the recorded %q", name)
		got, err := SerializeAdvanced(v)
		require.NoError(t, err, name)
		require.Equal(t, hex.EncodeToString(recorded[name]), hex.EncodeToString(got), "SerializeAdvanced(%s)", name)
	}
	require.Len(t, goValues, len(names)-len(notWrittenByGo), "a Go value with no recorded bytes")
}

// TestV8DeserializeNodeBytes: what Node writes reads back to the value
// that writes the same bytes again.
func TestV8DeserializeNodeBytes(t *testing.T) {
	recorded, names := recordedV8Values(t)
	for _, name := range names {
		if notWrittenByGo[name] {
			continue
		}
		v, err := DeserializeAdvanced(recorded[name])
		require.NoError(t, err, name)
		again, err := SerializeAdvanced(v)
		require.NoError(t, err, name)
		require.Equal(t, hex.EncodeToString(recorded[name]), hex.EncodeToString(again), "round trip of %s", name)
	}
	v, err := DeserializeAdvanced(recorded["sharedBuffer"])
	require.NoError(t, err)
	a := v.([]any)
	require.Equal(t, []byte{9}, a[0])
	require.True(t, sameContainer(a[0], a[1]), "one Buffer twice is one []byte")
}

// TestV8DeserializedValues: the Go values Node's bytes become.
func TestV8DeserializedValues(t *testing.T) {
	recorded, _ := recordedV8Values(t)
	read := func(name string) any {
		v, err := DeserializeAdvanced(recorded[name])
		require.NoError(t, err, name)
		return v
	}
	require.Equal(t, Undefined, read("undefined"))
	require.Nil(t, read("null"))
	require.Equal(t, 300.0, read("int300"))
	require.Equal(t, -2147483648.0, read("intMin"))
	require.True(t, math.Signbit(read("negZero").(float64)))
	require.Equal(t, "\xed\xa0\x80", read("loneSurrogate"))
	require.Equal(t, "😀", read("astral"))
	require.Equal(t, "é", read("latin1"))
	require.Equal(t, []string{"1", "2", "a"}, read("indexKeys").(*Object).Keys())
	require.Equal(t, []string{"2147483647", "2147483648", "4294967294", "4294967295"}, read("bigIndexKeys").(*Object).Keys())
	require.Equal(t, []any{1.0, Hole, 3.0}, read("holes"))
	require.Equal(t, []any{Undefined, Hole}, read("undefinedAndHole"))
	awp := read("arrayWithProps").(*Array)
	require.Equal(t, []any{1.0}, awp.Elements)
	require.Equal(t, 2.0, awp.Props.Value("x"))
	m := read("map").(*Map)
	require.Equal(t, 2, m.Len())
	require.Equal(t, "a", m.Entries[0].Value)
	mk := read("mapObjectKey").(*Map)
	require.Same(t, mk.Entries[0].Key.(*Object), mk.Entries[0].Value.(*Object))
	require.Equal(t, []any{1.0, "x"}, read("set").(*Set).Values)
	require.Equal(t, time.Date(2024, 2, 29, 12, 30, 15, 250e6, time.UTC), read("date2024").(*Date).Time())
	require.False(t, read("invalidDate").(*Date).Valid())
	require.Equal(t, &RegExp{Source: "a.b", Flags: "gimsuy"}, read("regexp"))
	require.Equal(t, &RegExp{Source: `\/`, Flags: "v"}, read("regexpV"))
	require.Equal(t, "18446744073709551616", read("bigint2p64").(BigInt).String())
	require.Equal(t, "-1180591620717411303424", read("bigintMinus2p70").(BigInt).String())
	n, ok := read("bigintMinus1").(BigInt).Int64()
	require.True(t, ok)
	require.Equal(t, int64(-1), n)
	require.Equal(t, &PrimitiveObject{Value: "ab"}, read("stringObject"))
	require.Equal(t, []byte{1, 2, 3}, read("buffer"))
	require.Equal(t, []byte{}, read("emptyBuffer"))
	require.Equal(t, &TypedArray{Kind: Uint16Array, Bytes: []byte{1, 0, 3, 2}}, read("uint16Array"))
	require.Equal(t, &ArrayBuffer{Bytes: []byte{0, 0, 0}}, read("arrayBuffer"))
	require.Equal(t, &Error{Name: "TypeError", Message: "t"}, read("typeError"))
	ec := read("errorCause").(*Error)
	require.True(t, ec.HasCause)
	require.Equal(t, 1.0, ec.Cause.(*Object).Value("n"))
	require.Equal(t, &Error{Name: "Error", Message: "c", Cause: Undefined, HasCause: true}, read("errorUndefinedCause"))
	require.Equal(t, "Error: s\n    at here", read("errorStack").(*Error).Stack)
	er := read("errorRef").([]any)
	require.Same(t, er[1].(*Object), er[2].(*Object))
	sh := read("shared").([]any)
	require.Same(t, sh[0].(*Object), sh[1].(*Object))
	cy := read("cyclic").(*Object)
	require.Same(t, cy, cy.Value("self").(*Object))
	ca := read("cyclicArray").([]any)
	require.True(t, sameContainer(ca, ca[0]), "the array is its own element")
	msg := read("message").(*Object)
	require.Equal(t, []string{"cmd", "act", "seq", "ack"}, msg.Keys())
	require.Equal(t, Undefined, msg.Value("ack"))
	require.True(t, isInternal(msg))
}

// TestV8ValuesMatchNode runs testdata/v8values.js and checks that node
// still writes what v8values.txt recorded.
func TestV8ValuesMatchNode(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: testdata/v8values.txt is not checked against it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, "testdata/v8values.js")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "node testdata/v8values.js: %s", stderr.String())
	want, err := os.ReadFile("testdata/v8values.txt")
	require.NoError(t, err)
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(out), "\n")); diff != "" {
		t.Fatalf("node writes other bytes than testdata/v8values.txt recorded (-recorded +node):\n%s", diff)
	}
}

// TestV8DeserializeNodeRandomValues: values Node makes at random (nested
// objects, arrays, strings of every kind, numbers, Maps, Sets, Buffers,
// shared references), read by the Go deserializer and written again by
// the Go serializer, come out as the bytes Node wrote.
func TestV8DeserializeNodeRandomValues(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	script := `
const v8 = require('v8');
class S extends v8.DefaultSerializer {
  _writeHostObject(o) { this.writeUint32(0); return super._writeHostObject(o); }
}
let seed = 12345;
const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
const pool = [];
function str() {
  const chars = ['a', 'Z', '\u00e9', '\u20ac', '\ud83d\ude00', '\ud800', '\udc00', '\u0000', '"'];
  let s = ''; for (let i = rnd(6); i > 0; i--) s += chars[rnd(chars.length)]; return s;
}
function val(d) {
  const k = rnd(d > 3 ? 8 : 14);
  switch (k) {
    case 0: return rnd(2000) - 1000;
    case 1: return rnd(1e6) / 7;
    case 2: return str();
    case 3: return [undefined, null, true, false][rnd(4)];
    case 4: return BigInt(rnd(1e6)) ** BigInt(rnd(5)) * (rnd(2) ? -1n : 1n);
    case 5: return new Date(rnd(1e12));
    case 6: return Buffer.from(str());
    case 7: return pool.length ? pool[rnd(pool.length)] : 0;
    case 8: case 9: { const o = {}; pool.push(o); for (let i = rnd(5); i > 0; i--) o[rnd(3) ? str() : rnd(20)] = val(d + 1); return o; }
    case 10: { const a = []; pool.push(a); for (let i = rnd(5); i > 0; i--) a.push(val(d + 1)); return a; }
    case 11: { const m = new Map(); pool.push(m); for (let i = rnd(4); i > 0; i--) m.set(val(d + 1), val(d + 1)); return m; }
    case 12: { const s = new Set(); pool.push(s); for (let i = rnd(4); i > 0; i--) s.add(val(d + 1)); return s; }
    case 13: return new Uint32Array([rnd(1e9), rnd(1e9)]);
  }
}
const out = [];
for (let i = 0; i < 300; i++) {
  pool.length = 0;
  const s = new S(); s.writeHeader(); s.writeValue(val(0)); out.push(s.releaseBuffer().toString('hex'));
}
console.log(out.join('\n'));
`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, "-e", script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "node: %s", stderr.String())
	n := 0
	for _, line := range strings.Fields(string(out)) {
		b, err := hex.DecodeString(line)
		require.NoError(t, err)
		v, err := DeserializeAdvanced(b)
		require.NoError(t, err, "value %d: %s", n, line)
		again, err := SerializeAdvanced(v)
		require.NoError(t, err, "value %d: %s", n, line)
		if !bytes.Equal(b, again) && !bytes.Contains(b, []byte{tagHostObject}) {
			t.Errorf("value %d: node wrote\n%s\nGo wrote\n%s", n, line, hex.EncodeToString(again))
		}
		n++
	}
	require.Equal(t, 300, n)
}

// TestV8DeserializeMalformed: bytes no Node writes are an error that says
// what is wrong, never a panic; so is every cut-short recorded message.
func TestV8DeserializeMalformed(t *testing.T) {
	for _, c := range []struct{ name, hex, want string }{
		{"empty", "", "no V8 header at byte 0"},
		{"no header", "4900", "no V8 header at byte 0"},
		{"version too new", "ff105f", "unsupported version 16"},
		{"version too old", "ff0c5f", "unsupported version 12"},
		{"no value", "ff0f", "unexpected end of data"},
		{"unknown tag", "ff0f57", `unsupported tag 'W'`},
		{"shared array buffer", "ff0f75", `unsupported tag 'u'`},
		{"string past the end", "ff0f220561", "length 5 past the end of data"},
		{"odd two-byte string", "ff0f630361626364", "two-byte string of odd length 3"},
		{"unknown reference", "ff0f41015e05240001", "reference to unknown object 5"},
		{"object count wrong", "ff0f6f22016149027b05", "1 properties where the end tag says 5"},
		{"object key not a string", "ff0f6f5449027b01", "property key of type bool"},
		{"dense array too long", "ff0f41ffffffff0f", "array length 4294967295 past the end of data"},
		{"nested dense arrays claim the message twice", "ff0f410c410a49004900490049004900", "array length 10 past the end of data"},
		{"sparse array too long", "ff0f61ffffffff0f400000", "sparse array of length 4294967295"},
		{"array length wrong", "ff0f410149022400ff01", "1 elements where the end tag says 255"},
		{"map count odd", "ff0f3b490249023a03", "2 map entries where the end tag says 3"},
		{"bad regexp flags", "ff0f52220161ff7f", "bad regular expression flags"},
		{"host marker", "ff0f5c02", "host object marker 2"},
		{"view type", "ff0f5c000d0100", "unknown array buffer view type 13"},
		{"error tag", "ff0f72712e", `unknown error tag 'q'`},
		{"bigint past the end", "ff0f5a2001", "BigInt length 16 past the end of data"},
		{"varint too long", "ff0f49ffffffffffffffffffffffff", "varint too long"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := hex.DecodeString(c.hex)
			require.NoError(t, err)
			_, err = DeserializeAdvanced(b)
			var de *DeserializeError
			require.ErrorAs(t, err, &de)
			require.Contains(t, err.Error(), c.want)
			require.True(t, strings.HasPrefix(err.Error(), "Unable to deserialize cloned data: "), err.Error())
		})
	}
	// A Uint16Array of 3 bytes: Node's constructor keeps one element (node
	// printed Uint16Array [513]).
	v, err := DeserializeAdvanced([]byte{0xff, 0x0f, 0x5c, 0x00, 0x04, 0x03, 0x01, 0x02, 0x03})
	require.NoError(t, err)
	require.Equal(t, &TypedArray{Kind: Uint16Array, Bytes: []byte{1, 2}}, v)
	// Sparse arrays of 600 000 elements: one is built, two in one
	// message are too many.
	sparseArrays := func(n int) []byte {
		b := []byte{tagVersion, v8Version, tagBeginDense, byte(n)}
		for range n {
			b = append(b, tagBeginSparse)
			b = binary.AppendUvarint(b, 600000)
			b = append(b, tagEndSparse, 0)
			b = binary.AppendUvarint(b, 600000)
		}
		return append(b, tagEndDense, 0, byte(n))
	}
	v, err = DeserializeAdvanced(sparseArrays(1))
	require.NoError(t, err)
	require.Len(t, v.([]any)[0], 600000)
	require.Equal(t, Hole, v.([]any)[0].([]any)[599999])
	_, err = DeserializeAdvanced(sparseArrays(2))
	require.ErrorContains(t, err, "sparse array of length 600000, past the 1048588 elements of sparse arrays the port builds for a message of 25 bytes")
	// A holey array with its elements there (V8 writes new
	// Array(1500000).fill(0) so, and Node delivers it) fits: each element
	// brings its bytes.
	filled := make([]any, 1500000)
	for i := range filled {
		filled[i] = 0
	}
	filled[0] = Hole
	b, err := SerializeAdvanced(filled)
	require.NoError(t, err)
	v, err = DeserializeAdvanced(b)
	require.NoError(t, err, "a filled sparse array of 1 500 000 elements")
	require.Len(t, v.([]any), 1500000)
	recorded, names := recordedV8Values(t)
	for _, name := range names {
		b := recorded[name]
		for i := range len(b) - 1 {
			_, err := DeserializeAdvanced(b[:i])
			require.Error(t, err, "%s cut to %d bytes", name, i)
		}
	}
}

// TestV8SerializeUncloneable: what V8 cannot clone (a JS function or
// symbol; in Go a function, a channel, an unsafe pointer) is a
// DataCloneError, at any depth; structs go as the JS value their JSON is.
func TestV8SerializeUncloneable(t *testing.T) {
	for _, v := range []any{
		NewObject("f", func() {}),
		map[string]any{"c": make(chan int)},
		[]any{1, NewMap("k", func() {})},
		&Error{Message: "m", Cause: make(chan int)},
	} {
		_, err := SerializeAdvanced(v)
		var dce *DataCloneError
		require.ErrorAs(t, err, &dce, "%#v", v)
		require.True(t, strings.HasSuffix(dce.Message, " could not be cloned."), dce.Message)
	}
	_, err := SerializeAdvanced(&RegExp{Source: "x", Flags: "gg"})
	require.Error(t, err)
	type point struct {
		X    int    `json:"x"`
		Name string `json:"name,omitempty"`
	}
	got, err := SerializeAdvanced([]any{point{X: 1}, []string{"a"}, map[string]int{"k": 2}})
	require.NoError(t, err)
	want, err := SerializeAdvanced([]any{NewObject("x", 1), []any{"a"}, NewObject("k", 2)})
	require.NoError(t, err)
	require.Equal(t, want, got)
	deep := any(nil)
	for range maxJSONDepth + 2 {
		deep = []any{deep}
	}
	_, err = SerializeAdvanced(deep)
	require.EqualError(t, err, "RangeError: Maximum call stack size exceeded")
}

// TestBigIntString: the decimal form of BigInts across word boundaries.
func TestBigIntString(t *testing.T) {
	require.Equal(t, "0", BigInt{}.String())
	require.Equal(t, "-9223372036854775808", NewBigInt(math.MinInt64).String())
	require.Equal(t, "18446744073709551615", NewBigIntUint64(math.MaxUint64).String())
	require.Equal(t, "10000000000000000000", NewBigIntUint64(1e19).String())
	require.Equal(t, "340282366920938463463374607431768211455", BigInt{Abs: []uint64{math.MaxUint64, math.MaxUint64}}.String())
	n, ok := NewBigInt(math.MinInt64).Int64()
	require.True(t, ok)
	require.Equal(t, int64(math.MinInt64), n)
	_, ok = NewBigIntUint64(1 << 63).Int64()
	require.False(t, ok)
	require.Equal(t, 0, NewBigInt(5).Cmp(BigInt{Abs: []uint64{5, 0}}))
	require.Equal(t, -1, NewBigInt(-5).Cmp(NewBigInt(3)))
}

// FuzzDeserializeAdvanced: no input makes the deserializer panic, and
// whatever it reads, the serializer writes again. The seeds are Node's
// recorded values.
func FuzzDeserializeAdvanced(f *testing.F) {
	b, err := os.ReadFile("testdata/v8values.txt")
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		_, h, _ := strings.Cut(line, " ")
		seed, err := hex.DecodeString(h)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DeserializeAdvanced(data)
		if err != nil {
			return
		}
		if _, err := SerializeAdvanced(v); err != nil {
			t.Fatalf("read %x, cannot write it again: %v", data, err)
		}
	})
}

// Values a Go program can build that JS cannot hold are written as the
// JS value they stand for, not as bytes V8 rejects (a Node peer died on
// them): an Array's index properties set its elements and "length" its
// length, as assigning them in JS does. An empty message of an error's
// own goes too (node wrote ff0f72536d22002e for new SyntaxError(”)).
func TestV8SerializeAsJSHoldsIt(t *testing.T) {
	ser := func(v any) []byte {
		b, err := SerializeAdvanced(v)
		require.NoError(t, err)
		return b
	}
	require.Equal(t, ser([]any{"dup"}), ser(&Array{Elements: []any{1}, Props: NewObject("0", "dup")}))
	require.Equal(t, ser([]any{1, Hole, Hole, Hole, Hole}), ser(&Array{Elements: []any{1}, Props: NewObject("length", 5)}))
	require.Equal(t, ser(&Array{Elements: []any{1, Hole, "x"}, Props: NewObject("k", true)}),
		ser(&Array{Elements: []any{1}, Props: NewObject("2", "x", "k", true)}))
	require.Equal(t, "ff0f72536d22002e", hex.EncodeToString(ser(&Error{Name: "SyntaxError", HasMessage: true})))
	v, err := DeserializeAdvanced(ser(&Error{Name: "SyntaxError", HasMessage: true}))
	require.NoError(t, err)
	require.True(t, v.(*Error).HasMessage, "an empty message of its own comes back as such")
	_, err = SerializeAdvanced(&Array{Props: NewObject("length", -1)})
	require.Error(t, err, "an invalid length cannot be written")
	// The same Buffer twice is written once and then referred to (node's
	// v8.serialize([b, b]) is ff0f41025c0a0261625e01240002; the channel's
	// serializer adds its 00 before the view); it comes back as one
	// []byte.
	buf := []byte("ab")
	twice := ser([]any{buf, buf})
	require.Equal(t, "ff0f41025c000a0261625e01240002", hex.EncodeToString(twice))
	back, err := DeserializeAdvanced(twice)
	require.NoError(t, err)
	pair := back.([]any)
	require.Equal(t, "ab", string(pair[0].([]byte)))
	require.Same(t, &pair[0].([]byte)[0], &pair[1].([]byte)[0])
	// A Date is TimeClip'd, as V8 makes every Date: out of range it is
	// Invalid Date, and whole milliseconds.
	require.Equal(t, ser(&Date{Ms: math.NaN()}), ser(&Date{Ms: 1e300}))
	require.False(t, (&Date{Ms: 1e300}).Valid())
	require.Equal(t, ser(&Date{Ms: 1}), ser(&Date{Ms: 1.7}))
	// A host object other than a view must be an object (node: "readHostObject
	// must return an object").
	_, err = DeserializeAdvanced([]byte{0xff, 0x0f, 0x5c, 0x01, 0x49, 0x02})
	require.ErrorContains(t, err, "readHostObject must return an object")
}

// TestV8DeserializeIndexPastTheEnd: an array whose properties hold an
// index at or past its length (V8 never writes one, a hand-made message
// can) is lengthened by it, with holes between, as V8 reads it; node
// agrees where it is installed. Past the sparse budget it is a
// *DeserializeError (DEVIATION(shape) of DeserializeAdvanced), not an
// array the port cannot write again (the fuzzer's find: read, it was an
// array of 11 holes with a property "50711447", and SerializeAdvanced
// refused it).
func TestV8DeserializeIndexPastTheEnd(t *testing.T) {
	cases := []struct {
		hex  string
		want []any
	}{
		{"ff0f41024930493249044930240102", []any{24, 25, 24}},   // dense [24, 25], then index 2
		{"ff0f410049044930240100", []any{Hole, Hole, 24}},       // dense [], then index 2
		{"ff0f610149064930400101", []any{Hole, Hole, Hole, 24}}, // sparse of length 1, index 3
		{"ff0f610249024930400102", []any{Hole, 24}},             // sparse of length 2, index 1: not lengthened
	}
	for _, c := range cases {
		data, err := hex.DecodeString(c.hex)
		require.NoError(t, err)
		v, err := DeserializeAdvanced(data)
		require.NoError(t, err, "read %s", c.hex)
		arr, ok := v.([]any)
		require.True(t, ok, "read %s: %#v, not the array of its elements", c.hex, v)
		require.Equal(t, len(c.want), len(arr), "read %s: the array's length", c.hex)
		for i, e := range c.want {
			require.Equal(t, fmt.Sprint(e), fmt.Sprint(arr[i]), "read %s: element %d", c.hex, i)
		}
		_, err = SerializeAdvanced(v)
		require.NoError(t, err, "read %s, written again", c.hex)
	}
	far, err := hex.DecodeString("ff0f610b49aeaeae30493040010b")
	require.NoError(t, err)
	_, err = DeserializeAdvanced(far)
	var de *DeserializeError
	require.ErrorAs(t, err, &de, "index 50711447 of an array of 11: past the budget")

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the lengths are not checked against it")
	}
	script := `const v8 = require('v8');
for (const h of process.argv.slice(1)) console.log(v8.deserialize(Buffer.from(h, 'hex')).length);`
	args := []string{"-e", script}
	for _, c := range cases {
		args = append(args, c.hex)
	}
	args = append(args, "ff0f610b49aeaeae30493040010b")
	out, err := exec.Command(nodeBin, args...).Output()
	require.NoError(t, err)
	var lengths []string
	for _, c := range cases {
		lengths = append(lengths, strconv.Itoa(len(c.want)))
	}
	lengths = append(lengths, "50711448")
	require.Empty(t, cmp.Diff(lengths, strings.Fields(string(out))), "node's lengths (-port +node)")
}
