package childprocess

// JSON.parse / JSON.stringify semantics of json.go, byte for byte against
// the installed node.
//
// Every row carries its expectation hard-coded (so the tests run without
// node), and TestJSONTablesMatchNode runs node once over all rows and
// checks that node produces exactly that expectation: for a stringify row
// JSON.stringify(<js>), for a parse row
// JSON.stringify(JSON.parse(Buffer.from(<input bytes>).toString())), the
// decoding the channel's StringDecoder does before JSON.parse.

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os/exec"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

type jsonStringifyCase struct {
	name string
	v    any    // the Go value given to AppendJSON
	js   string // the same value as a JS expression
	want string // JSON.stringify(js)
}

var jsonStringifyCases = []jsonStringifyCase{
	{"key order kept", NewObject("z", 1, "a", 2, "m", 3), `({z:1,a:2,m:3})`, `{"z":1,"a":2,"m":3}`},
	{"array-index keys first, ascending", NewObject("b", 1, "2", 2, "1", 3, "01", 4, "4294967294", 5, "4294967295", 6, "-1", 7),
		`({b:1,"2":2,"1":3,"01":4,"4294967294":5,"4294967295":6,"-1":7})`,
		`{"1":3,"2":2,"4294967294":5,"b":1,"01":4,"4294967295":6,"-1":7}`},
	{"undefined keys omitted", NewObject("a", Undefined, "b", 1, "c", Undefined), `({a:undefined,b:1,c:undefined})`, `{"b":1}`},
	{"only undefined keys", NewObject("a", Undefined), `({a:undefined})`, `{}`},
	{"undefined in array is null", []any{Undefined, 1}, `[undefined,1]`, `[null,1]`},
	{"nil", nil, `null`, `null`},
	{"nil value", NewObject("a", nil), `({a:null})`, `{"a":null}`},
	{"nil *Object", (*Object)(nil), `null`, `null`},
	{"empty object", NewObject(), `({})`, `{}`},
	{"empty array", []any{}, `[]`, `[]`},
	{"booleans", []any{true, false}, `[true,false]`, `[true,false]`},
	{"nested", NewObject("cmd", "NODE_HANDLE", "type", "net.Native", "msg",
		NewObject("cmd", "NODE_CLUSTER", "act", "newconn", "key", 0, "data", []any{1.5, "x", nil, true, false, NewObject(), []any{}})),
		`({cmd:"NODE_HANDLE",type:"net.Native",msg:{cmd:"NODE_CLUSTER",act:"newconn",key:0,data:[1.5,"x",null,true,false,{},[]]}})`,
		`{"cmd":"NODE_HANDLE","type":"net.Native","msg":{"cmd":"NODE_CLUSTER","act":"newconn","key":0,"data":[1.5,"x",null,true,false,{},[]]}}`},
	{"html not escaped", "<script>&amp;</script>", `"<script>&amp;</script>"`, `"<script>&amp;</script>"`},
	{"U+2028 U+2029 not escaped", "a\u2028b\u2029c", `"a\u2028b\u2029c"`, "\"a\u2028b\u2029c\""},
	{"control characters", "\x00\x01\x1f\x7f\b\f\n\r\t", `"\x00\x01\x1f\x7f\b\f\n\r\t"`, "\"\\u0000\\u0001\\u001f\x7f\\b\\f\\n\\r\\t\""},
	{"quotes and backslashes", `say "hi" \ C:\path\"`, `'say "hi" \\ C:\\path\\"'`, `"say \"hi\" \\ C:\\path\\\""`},
	{"escaped key", NewObject("a\"b\n\\", 1), `({"a\"b\n\\":1})`, `{"a\"b\n\\":1}`},
	{"non-BMP and accents", "😀 é", `"\u{1F600} \u00e9"`, `"😀 é"`},
	{"U+FFFD itself", "\ufffd", `"\ufffd"`, "\"\ufffd\""},
	{"invalid byte", "a\xffb", `Buffer.from("61ff62","hex").toString()`, "\"a\ufffdb\""},
	{"truncated 3-byte sequence is one U+FFFD", "a\xe2\x82b", `Buffer.from("61e28262","hex").toString()`, "\"a\ufffdb\""},
	{"truncated 4-byte sequence at end is one U+FFFD", "a\xf0\x9f\x98", `Buffer.from("61f09f98","hex").toString()`, "\"a\ufffd\""},
	{"WTF-8 lone surrogate is its escape", "a\xed\xa0\x80", `"a\ud800"`, `"a\ud800"`},
	{"WTF-8 halves of a pair are the character", "\xed\xa0\xbd\xed\xb8\x80", `"\ud83d" + "\ude00"`, "\"\U0001F600\""},
	{"overlong is two U+FFFD", "\xc0\xaf", `Buffer.from("c0af","hex").toString()`, "\"\ufffd\ufffd\""},
	{"invalid bytes in a key", NewObject("k\xe2\x82", 1), `({[Buffer.from("6be282","hex").toString()]:1})`, "{\"k\ufffd\":1}"},
	{"zero", 0, `0`, `0`},
	{"negative zero", math.Copysign(0, -1), `-0`, `0`},
	{"1.5", 1.5, `1.5`, `1.5`},
	{"1e21", 1e21, `1e21`, `1e+21`},
	{"1e20", 1e20, `1e20`, `100000000000000000000`},
	{"1e-7", 1e-7, `1e-7`, `1e-7`},
	{"-1e-7", -1e-7, `-1e-7`, `-1e-7`},
	{"1e-6", 1e-6, `1e-6`, `0.000001`},
	{"123456789012", 123456789012.0, `123456789012`, `123456789012`},
	{"-3 int", -3, `-3`, `-3`},
	{"int64 2^53+2", int64(1<<53 + 2), `2**53+2`, `9007199254740994`},
	{"uint32 max", uint32(math.MaxUint32), `4294967295`, `4294967295`},
	{"float32", float32(0.1), `Math.fround(0.1)`, `0.10000000149011612`},
	{"0.1+0.2", jsonAddFloats(0.1, 0.2), `0.1+0.2`, `0.30000000000000004`},
	{"1.23e-18", 123e-20, `123e-20`, `1.23e-18`},
	{"smallest denormal", 5e-324, `5e-324`, `5e-324`},
	{"max float", math.MaxFloat64, `Number.MAX_VALUE`, `1.7976931348623157e+308`},
	{"NaN and infinities are null", []any{math.NaN(), math.Inf(1), math.Inf(-1)}, `[NaN,Infinity,-Infinity]`, `[null,null,null]`},
	{"raw message", json.RawMessage(`{"x":[1]}`), `({x:[1]})`, `{"x":[1]}`},
	// Go values that are not JS values go through encoding/json, without
	// its HTML and U+2028/U+2029 escaping.
	{"Go map", map[string]any{"k": "<&>\u2028\u2029"}, `({k:"<&>\u2028\u2029"})`, "{\"k\":\"<&>\u2028\u2029\"}"},
	{"Go map with an escaped backslash before u2028", map[string]string{"k": `\u2028`}, `({k:"\\u2028"})`, `{"k":"\\u2028"}`},
	{"Go slice", []string{"a", "<b>"}, `["a","<b>"]`, `["a","<b>"]`},
	{"Go struct", struct {
		A int    `json:"a"`
		B string `json:"b"`
	}{1, "&"}, `({a:1,b:"&"})`, `{"a":1,"b":"&"}`},
	// The advanced channel's values, sent on a JSON channel.
	{"advanced values", NewObject(
		"map", NewMap("k", 1), "set", NewSet(1), "date", &Date{Ms: 1700000000123}, "old", &Date{Ms: -62198755200000},
		"far", &Date{Ms: 253402300800000}, "invalid", &Date{Ms: math.NaN()}, "re", &RegExp{Source: "a", Flags: "g"},
		"holes", []any{1, Hole, Undefined}, "num", &PrimitiveObject{Value: 3}, "str", &PrimitiveObject{Value: "s"},
		"bool", &PrimitiveObject{Value: false}, "ab", &ArrayBuffer{Bytes: []byte{1}},
		"i16", &TypedArray{Kind: Int16Array, Bytes: []byte{0xff, 0xff, 2, 0}}, "f32", &TypedArray{Kind: Float32Array, Bytes: []byte{0, 0, 0xc0, 0x3f}},
		"dv", &TypedArray{Kind: DataView, Bytes: []byte{1}}, "err", &Error{Name: "TypeError", Message: "m"},
		"arr", &Array{Elements: []any{1}, Props: NewObject("x", 2)}),
		`({map:new Map([["k",1]]),set:new Set([1]),date:new Date(1700000000123),old:new Date(-62198755200000),
		far:new Date(253402300800000),invalid:new Date(NaN),re:/a/g,
		holes:[1,,undefined],num:new Number(3),str:new String("s"),
		bool:new Boolean(false),ab:new ArrayBuffer(1),
		i16:new Int16Array([-1,2]),f32:new Float32Array([1.5]),
		dv:new DataView(new ArrayBuffer(1)),err:new TypeError("m"),
		arr:Object.assign([1],{x:2})})`,
		`{"map":{},"set":{},"date":"2023-11-14T22:13:20.123Z","old":"-000001-01-01T00:00:00.000Z","far":"+010000-01-01T00:00:00.000Z","invalid":null,"re":{},` +
			`"holes":[1,null,null],"num":3,"str":"s","bool":false,"ab":{},"i16":{"0":-1,"1":2},"f32":{"0":1.5},"dv":{},"err":{},"arr":[1]}`},
}

// jsonAddFloats adds at run time (Go constant arithmetic is exact).
func jsonAddFloats(a, b float64) float64 { return a + b }

type jsonParseCase struct {
	name string
	in   string
	// want is JSON.stringify(JSON.parse(in)) as the port gives it; "" when
	// JSON.parse throws.
	want string
	// nodeWant, when set, is what node gives where the port knowingly
	// differs (why is in the name).
	nodeWant string
}

var jsonParseCases = []jsonParseCase{
	{"round trip keeps order", `{"z":1,"a":{"y":[1,"x",null,true,false],"b":{}},"m":"s"}`, `{"z":1,"a":{"y":[1,"x",null,true,false],"b":{}},"m":"s"}`, ""},
	{"whitespace", " \t\n\r{ \"a\" : [ 1 , 2 ] , \"b\" : { } } \n", `{"a":[1,2],"b":{}}`, ""},
	{"duplicate key keeps first place, last value", `{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`, ""},
	{"array-index keys first", `{"b":1,"2":2,"1":3,"01":4}`, `{"1":3,"2":2,"b":1,"01":4}`, ""},
	{"surrogate pair", `"\ud83d\ude00"`, `"😀"`, ""},
	{"surrogate pair upper-case hex", `"\uD83D\uDE00x"`, `"😀x"`, ""},
	{"escapes", `"\u00e9\u0041\/\b\f\n\r\t\"\\"`, `"éA/\b\f\n\r\t\"\\"`, ""},
	{"escaped U+2028", `"\u2028"`, "\"\u2028\"", ""},
	{"escaped control", `"\u0001\u001F"`, `"\u0001\u001f"`, ""},
	{"raw html and U+2028", "\"<>&\u2028\"", "\"<>&\u2028\"", ""},
	{"lone high surrogate is kept", `"\ud800"`, `"\ud800"`, ""},
	{"lone low surrogate is kept", `"x\uDC00y"`, `"x\udc00y"`, ""},
	{"high surrogate then BMP escape", `"\ud800\u0041"`, `"\ud800A"`, ""},
	{"reversed pair", `"\ude00\ud83d"`, `"\ude00\ud83d"`, ""},
	{"lone surrogate as a key", `{"\ud800k":"\udfff"}`, `{"\ud800k":"\udfff"}`, ""},
	{"encoded surrogate bytes are not an escape", "\"\xed\xa0\x80\\ud800\"", "\"\ufffd\ufffd\ufffd\\ud800\"", ""},
	{"invalid byte in string", "\"a\xffb\"", "\"a\ufffdb\"", ""},
	{"truncated sequence in string", "\"a\xe2\x82b\"", "\"a\ufffdb\"", ""},
	{"truncated sequence before an escape", "\"\xe2\x82\\u0041\"", "\"\ufffdA\"", ""},
	{"truncated 4-byte sequence in key", "{\"\xf0\x9f\x98\":1}", "{\"\ufffd\":1}", ""},
	{"encoded surrogate in string", "\"\xed\xa0\x80\"", "\"\ufffd\ufffd\ufffd\"", ""},
	{"1e400 is Infinity", `[1e400,-1e400]`, `[null,null]`, ""},
	{"negative zero", `-0`, `0`, ""},
	{"numbers", `[0,0.1,1E2,1e-7,-12.5e-1,123456789012345678901234,9007199254740993,1e21,999999999999999]`,
		`[0,0.1,100,1e-7,-1.25,1.2345678901234569e+23,9007199254740992,1e+21,999999999999999]`, ""},
	{"scalars", `[null,true,false,"x",12]`, `[null,true,false,"x",12]`, ""},
	{"empty object", `{}`, `{}`, ""},
	{"empty array", `[]`, `[]`, ""},
	{"open brace", `{`, "", ""},
	{"missing value", `{"a":}`, "", ""},
	{"garbage", `garbage`, "", ""},
	{"empty", ``, "", ""},
	{"only whitespace", " \n", "", ""},
	{"trailing garbage", `{} x`, "", ""},
	{"trailing brace", `{"a":1}}`, "", ""},
	{"bare control char in string", "\"a\x01b\"", "", ""},
	{"bare newline in string", "\"a\nb\"", "", ""},
	{"trailing comma in array", `[1,]`, "", ""},
	{"trailing comma in object", `{"a":1,}`, "", ""},
	{"leading zero", `01`, "", ""},
	{"no fraction digits", `1.`, "", ""},
	{"lone minus", `-`, "", ""},
	{"double minus", `--1`, "", ""},
	{"plus", `+1`, "", ""},
	{"leading dot", `.5`, "", ""},
	{"no exponent digits", `1e`, "", ""},
	{"bad escape", `"\x"`, "", ""},
	{"short unicode escape", `"\u12"`, "", ""},
	{"bad unicode escape", `"\u00zz"`, "", ""},
	{"high surrogate then bad escape", `"\ud800\uzzzz"`, "", ""},
	{"truncated literal", `tru`, "", ""},
	{"unterminated string", `"abc`, "", ""},
	{"unterminated escape", `"\`, "", ""},
	{"NaN", `NaN`, "", ""},
	{"Infinity", `Infinity`, "", ""},
	{"undefined", `undefined`, "", ""},
	{"single quotes", `'a'`, "", ""},
	{"unquoted key", `{a:1}`, "", ""},
	{"missing colon", `{"a" 1}`, "", ""},
	{"missing comma", `[1 2]`, "", ""},
	{"unterminated array", `[`, "", ""},
	{"unterminated key", `{"a"`, "", ""},
	{"BOM", "\ufeff1", "", ""},
	{"no-break space", "\u00a01", "", ""},
	{"invalid byte outside a string", "\xff", "", ""},
}

func TestAppendJSON(t *testing.T) {
	for _, c := range jsonStringifyCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := AppendJSON(nil, c.v)
			require.NoError(t, err)
			require.Equal(t, c.want, string(got))

			// It appends.
			got, err = AppendJSON([]byte("prefix:"), c.v)
			require.NoError(t, err)
			require.Equal(t, "prefix:"+c.want, string(got))
		})
	}
}

func TestAppendJSONUnsupportedValue(t *testing.T) {
	// A function is left out of an object and null in an array, as in JS.
	b, err := AppendJSON(nil, NewObject("f", func() {}, "a", []any{func() {}, 1}, "m", map[string]any{"g": func() {}, "n": math.NaN()}))
	require.NoError(t, err)
	require.Equal(t, `{"a":[null,1],"m":{"n":null}}`, string(b))
	// A map's keys come out as a JS object's would: indices first, by value.
	b, err = AppendJSON(nil, map[string]any{"b": 1, "10": 2, "a": 3, "2": 4})
	require.NoError(t, err)
	require.Equal(t, `{"2":4,"10":2,"a":3,"b":1}`, string(b))
	// What neither JS nor encoding/json can write is a TypeError.
	_, err = AppendJSON(nil, NewObject("c", make(chan int)))
	var se *StringifyError
	require.ErrorAs(t, err, &se)
	require.Equal(t, "TypeError", se.Name)
}

// A structure that contains itself is JSON.stringify's TypeError, not a
// stack that grows until the process dies; one that is merely deep is
// written.
func TestAppendJSONCycleAndDepth(t *testing.T) {
	o := NewObject("a", 1)
	o.Set("self", o)
	_, err := AppendJSON(nil, o)
	var se *StringifyError
	require.ErrorAs(t, err, &se)
	require.Equal(t, "TypeError", se.Name)
	require.True(t, strings.HasPrefix(se.Message, "Converting circular structure to JSON"), se.Message)
	// JSONString throws it, as JSON.stringify does, rather than return
	// what was written before the cycle.
	require.PanicsWithError(t, se.Error(), func() { _ = o.JSONString() })

	arr := []any{nil}
	arr[0] = arr
	_, err = AppendJSON(nil, arr)
	require.ErrorAs(t, err, &se)
	require.Equal(t, "TypeError", se.Name)

	m := map[string]any{}
	m["m"] = []any{m}
	_, err = AppendJSON(nil, m)
	require.ErrorAs(t, err, &se)
	require.Equal(t, "TypeError", se.Name)

	// The same object twice, side by side, is no cycle (JS writes it twice).
	shared := NewObject("x", 1)
	b, err := AppendJSON(nil, []any{shared, shared})
	require.NoError(t, err)
	require.Equal(t, `[{"x":1},{"x":1}]`, string(b))

	deep := any(1)
	for i := 0; i < 5000; i++ {
		deep = []any{deep}
	}
	b, err = AppendJSON(nil, deep)
	require.NoError(t, err, "5000 levels, more than Node's JSON.stringify can write")
	v, err := ParseJSON(b)
	require.NoError(t, err, "and read back")
	b2, err := AppendJSON(nil, v)
	require.NoError(t, err)
	require.Equal(t, string(b), string(b2))

	tooDeep := any(1)
	for i := 0; i < maxJSONDepth+2; i++ {
		tooDeep = []any{tooDeep}
	}
	_, err = AppendJSON(nil, tooDeep)
	require.ErrorAs(t, err, &se)
	require.Equal(t, "RangeError", se.Name)
	_, err = ParseJSON([]byte(strings.Repeat("[", maxJSONDepth+2) + strings.Repeat("]", maxJSONDepth+2)))
	require.ErrorIs(t, err, ErrSyntax)
}

// A json.RawMessage is checked and written again: never two lines, a
// repeated key or text that is not JSON on the wire.
func TestAppendJSONRawMessage(t *testing.T) {
	b, err := AppendJSON(nil, json.RawMessage("{\"a\":1,\n\"a\":2, \"b\":[1, 2]}"))
	require.NoError(t, err)
	require.Equal(t, `{"a":2,"b":[1,2]}`, string(b))
	_, err = AppendJSON(nil, json.RawMessage("not json"))
	require.ErrorIs(t, err, ErrSyntax)
	_, err = AppendJSON(nil, json.RawMessage("{\"x\":1}\n{\"y\":2}"))
	require.ErrorIs(t, err, ErrSyntax)
}

func TestObjectJSONString(t *testing.T) {
	o := NewObject("cmd", "NODE_CLUSTER", "skip", Undefined, "ack", 3)
	require.Equal(t, `{"cmd":"NODE_CLUSTER","ack":3}`, o.JSONString())
	b, err := json.Marshal(map[string]any{"o": o})
	require.NoError(t, err)
	require.Equal(t, `{"o":{"cmd":"NODE_CLUSTER","ack":3}}`, string(b))
}

func TestObjectKeyOrder(t *testing.T) {
	o := NewObject("b", 1, "a", 2)
	o.Set("b", 3) // an existing key keeps its place
	o.Set("c", 4)
	require.Equal(t, []string{"b", "a", "c"}, o.Keys())
	o.Set("10", 5)
	o.Set("9", 6)
	o.Set("0", 7)
	require.Equal(t, []string{"0", "9", "10", "b", "a", "c"}, o.Keys())
	o.Delete("9")
	o.Delete("a")
	require.Equal(t, []string{"0", "10", "b", "c"}, o.Keys())
	require.Equal(t, `{"0":7,"10":5,"b":3,"c":4}`, o.JSONString())
	c := o.Clone().Assign(NewObject("c", 8, "d", 9, "5", 10))
	require.Equal(t, `{"0":7,"5":10,"10":5,"b":3,"c":8,"d":9}`, c.JSONString())
	require.Equal(t, `{"0":7,"10":5,"b":3,"c":4}`, o.JSONString(), "Clone is a copy")
}

func TestParseJSON(t *testing.T) {
	for _, c := range jsonParseCases {
		t.Run(c.name, func(t *testing.T) {
			v, err := ParseJSON([]byte(c.in))
			if c.want == "" {
				require.Error(t, err)
				require.Nil(t, v)
				var se *SyntaxError
				require.ErrorAs(t, err, &se)
				require.ErrorIs(t, err, ErrSyntax)
				require.Equal(t, c.in, string(se.Line))
				return
			}
			require.NoError(t, err)
			got, err := AppendJSON(nil, v)
			require.NoError(t, err)
			require.Equal(t, c.want, string(got))
		})
	}
}

func TestParseJSONValues(t *testing.T) {
	v, err := ParseJSON([]byte(`{"z":[1,-0,1.5,"s",null,true,{"k":"v"}],"a":{},"a2":1e400}`))
	require.NoError(t, err)
	o, ok := v.(*Object)
	require.True(t, ok, "%T", v)
	require.Equal(t, []string{"z", "a", "a2"}, o.Keys())

	arr, ok := o.Value("z").([]any)
	require.True(t, ok)
	require.Len(t, arr, 7)
	require.Equal(t, float64(1), arr[0])
	require.IsType(t, float64(0), arr[1])
	require.True(t, math.Signbit(arr[1].(float64)), "-0 keeps its sign")
	require.Equal(t, 1.5, arr[2])
	require.Equal(t, "s", arr[3])
	require.Nil(t, arr[4])
	require.Equal(t, true, arr[5])
	inner, ok := arr[6].(*Object)
	require.True(t, ok)
	s, ok := inner.String("k")
	require.True(t, ok)
	require.Equal(t, "v", s)

	empty := o.Object("a")
	require.NotNil(t, empty)
	require.Equal(t, 0, empty.Len())
	require.True(t, math.IsInf(o.Value("a2").(float64), 1))

	_, ok = o.Get("missing")
	require.False(t, ok)
	require.Equal(t, Undefined, o.Value("missing"))

	dup, err := ParseJSON([]byte(`{"a":1,"b":2,"a":{"x":3}}`))
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, dup.(*Object).Keys())
	require.Equal(t, 3, dup.(*Object).Object("a").Int("x", -1))

	sp, err := ParseJSON([]byte(`"\ud83d\ude00"`))
	require.NoError(t, err)
	require.Equal(t, "\U0001F600", sp)
}

func TestSyntaxErrorMessage(t *testing.T) {
	_, err := ParseJSON([]byte(`{"a":}`))
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "SyntaxError: "), err.Error())
	require.Contains(t, err.Error(), `{\"a\":}`)

	long := `{"a":"` + strings.Repeat("x", 200) + `"`
	_, err = ParseJSON([]byte(long))
	require.Error(t, err)
	require.Contains(t, err.Error(), `..."`, "long lines are shortened")
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	require.Equal(t, long, string(se.Line), "the line itself is kept whole")
}

func TestToJSString(t *testing.T) {
	// Checked with node: `${undefined}|${null}|${1}|${1.5}|${1e21}|${-0}|${true}|${{}}|${1e-7}`
	// prints undefined|null|1|1.5|1e+21|0|true|[object Object]|1e-7.
	cases := []struct {
		v    any
		want string
	}{
		{Undefined, "undefined"},
		{nil, "null"},
		{1, "1"},
		{1.5, "1.5"},
		{float64(1), "1"},
		{1e21, "1e+21"},
		{math.Copysign(0, -1), "0"},
		{true, "true"},
		{false, "false"},
		{"s", "s"},
		{NewObject("a", 1), "[object Object]"},
		{1e-7, "1e-7"},
	}
	var got, want []string
	for _, c := range cases {
		got = append(got, ToJSString(c.v))
		want = append(want, c.want)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ToJSString (-want +got):\n%s", d)
	}
	require.Equal(t, "undefined", Undefined.(interface{ String() string }).String())
}

// TestJSONTablesMatchNode checks every expectation above against node.
func TestJSONTablesMatchNode(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	var script strings.Builder
	script.WriteString("const S = [\n")
	for _, c := range jsonStringifyCases {
		script.WriteString("  () => (" + c.js + "),\n")
	}
	script.WriteString("];\nconst P = [\n")
	for _, c := range jsonParseCases {
		script.WriteString("  \"" + hex.EncodeToString([]byte(c.in)) + "\",\n")
	}
	script.WriteString(`];
const out = {
  s: S.map((f) => JSON.stringify(f())),
  p: P.map((h) => {
    try {
      return JSON.stringify(JSON.parse(Buffer.from(h, "hex").toString()));
    } catch (e) {
      if (e instanceof SyntaxError) return null;
      throw e;
    }
  }),
};
process.stdout.write(JSON.stringify(out));
`)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, "-e", script.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "node: %s", stderr.String())
	var res struct {
		S []string  `json:"s"`
		P []*string `json:"p"`
	}
	require.NoError(t, json.Unmarshal(out, &res))
	require.Len(t, res.S, len(jsonStringifyCases))
	require.Len(t, res.P, len(jsonParseCases))

	for i, c := range jsonStringifyCases {
		require.Equal(t, c.want, res.S[i], "stringify %q: JSON.stringify(%s)", c.name, c.js)
	}
	for i, c := range jsonParseCases {
		want := c.want
		if c.nodeWant != "" {
			want = c.nodeWant
		}
		if want == "" {
			require.Nil(t, res.P[i], "parse %q: node accepts %q", c.name, c.in)
			continue
		}
		require.NotNil(t, res.P[i], "parse %q: node rejects %q", c.name, c.in)
		require.Equal(t, want, *res.P[i], "parse %q", c.name)
	}
}

// FuzzParseJSON: ParseJSON never panics, accepts exactly what
// encoding/json calls valid (but for its nesting limit), fails only with a
// *SyntaxError, and what it accepts stringifies to a fixed point:
// parse → AppendJSON → parse → AppendJSON gives the same bytes.
func FuzzParseJSON(f *testing.F) {
	for _, c := range jsonParseCases {
		f.Add([]byte(c.in))
	}
	for _, c := range jsonStringifyCases {
		f.Add([]byte(c.want))
	}
	f.Add([]byte(strings.Repeat("[", 1000) + strings.Repeat("]", 1000)))
	f.Add([]byte(strings.Repeat("[", 1002) + strings.Repeat("]", 1002)))
	f.Add([]byte(`{"cmd":"NODE_HANDLE_ACK"}`))
	f.Add([]byte(`{"cmd":"NODE_CLUSTER","act":"newconn","key":"127.0.0.1:8000:4:tcp4:","seq":12}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseJSON(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("ParseJSON(%q): error %T %v is not a *SyntaxError", data, err, err)
			}
			if v != nil {
				t.Fatalf("ParseJSON(%q): value %#v with an error", data, v)
			}
			if json.Valid(data) && !strings.Contains(se.Msg, "nesting depth") {
				t.Fatalf("ParseJSON(%q) rejects valid JSON: %v", data, err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("ParseJSON(%q) accepts invalid JSON: %#v", data, v)
		}
		s1, err := AppendJSON(nil, v)
		if err != nil {
			t.Fatalf("AppendJSON(ParseJSON(%q)): %v", data, err)
		}
		if !utf8.Valid(s1) || !json.Valid(s1) {
			t.Fatalf("AppendJSON(ParseJSON(%q)) = %q: not valid UTF-8 JSON", data, s1)
		}
		v2, err := ParseJSON(s1)
		if err != nil {
			t.Fatalf("ParseJSON(%q) (from %q): %v", s1, data, err)
		}
		s2, err := AppendJSON(nil, v2)
		if err != nil {
			t.Fatalf("AppendJSON: %v", err)
		}
		if !bytes.Equal(s1, s2) {
			t.Fatalf("not stable: %q → %q → %q", data, s1, s2)
		}
	})
}

// TestToBoolean: JS's ToBoolean of decoded values (node: Boolean(v)).
func TestToBoolean(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{nil, false}, {Undefined, false}, {false, false}, {true, true},
		{0.0, false}, {math.Copysign(0, -1), false}, {math.NaN(), false}, {1.0, true}, {-1.5, true}, {0, false}, {7, true},
		{"", false}, {"0", true}, {"false", true},
		{BigInt{}, false}, {NewBigInt(3), true},
		{NewObject(), true}, {[]any{}, true},
	} {
		require.Equal(t, tc.want, ToBoolean(tc.v), "ToBoolean(%#v)", tc.v)
	}
}

// TestAppendJSONCycleMessageAsV8: the TypeError of a structure that
// contains itself says where the circle starts and closes, as V8's
// JSON.stringify does (the messages node v20.20.2 printed for the same
// structures), however deep the circle is found.
func TestAppendJSONCycleMessageAsV8(t *testing.T) {
	const head = "Converting circular structure to JSON\n    --> starting at object with constructor "
	self := NewObject("a", 1)
	self.Set("self", self)
	deep := NewObject()
	b := NewObject()
	c := NewObject("d", deep)
	deep.Set("e", NewObject())
	deep.Object("e").Set("f", nil)
	a := NewObject("b", b)
	b.Set("c", c)
	root := NewObject("a", a)
	deep.Object("e").Set("f", a) // a -> b -> c -> d -> e, closed by f
	arr := []any{1, nil}
	arr[1] = arr
	inner := NewObject()
	list := []any{inner}
	inner.Set("y", list)
	withList := NewObject("x", list)
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"self", self, head + "'Object'\n    --- property 'self' closes the circle"},
		{"five deep", root, head + "'Object'\n    |     property 'b' -> object with constructor 'Object'\n    |     property 'c' -> object with constructor 'Object'\n    |     ...\n    |     property 'e' -> object with constructor 'Object'\n    --- property 'f' closes the circle"},
		{"array", arr, head + "'Array'\n    --- index 1 closes the circle"},
		{"array in object", withList, head + "'Array'\n    |     index 0 -> object with constructor 'Object'\n    --- property 'y' closes the circle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := AppendJSON(nil, tc.v)
			var se *StringifyError
			require.ErrorAs(t, err, &se)
			require.Equal(t, "TypeError", se.Name)
			require.Equal(t, tc.want, se.Message)
		})
	}
}
