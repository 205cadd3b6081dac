package childprocess

import (
	"encoding/json"
	"math"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/internal/jsfmt"
	"github.com/stretchr/testify/require"
)

var stringToNumberCases = []string{
	"", " ", "0", "8123", " 80", "80 ", "\t\n80\r\n", "\ufeff8123", "\u00858123", "\u20288123\u3000",
	"abc", "-1", "-0", "+5", "65536", "1.5", "1e3", ".5", "5.", ".", "e3", "1e", "1e+", "1e-2", "+.5e1",
	"0x10", "0X1f", "0x", "-0x10", "0x1p3", "0b101", "0B2", "0o17", "0o8", "010", "0x1_0", "1_000",
	"Infinity", "-Infinity", "+Infinity", "infinity", "inf", "NaN", "nan", "1e400", "-1e400",
	"0x20000000000001", "0x1fffffffffffff", "0b100000000000000000000000000000000000000000000000000001", "0o400000000000000001", "0x" + strings.Repeat("f", 300), "9007199254740993", "00", "0.0", "1 2", "１２", "true", "null",
}

func TestStringToNumber(t *testing.T) {
	// What the language says, for a few that Go's parsers read otherwise.
	require.Equal(t, 8123.0, StringToNumber("\ufeff8123"), "U+FEFF is JS white space")
	require.True(t, math.IsNaN(StringToNumber("\u00858123")), "U+0085 is not JS white space")
	require.True(t, math.IsNaN(StringToNumber("inf")))
	require.True(t, math.IsNaN(StringToNumber("0x1p3")), "no hexadecimal floats")
	require.True(t, math.IsNaN(StringToNumber("1_000")), "no separators")
	require.Equal(t, 5.0, StringToNumber("0b101"))
	require.Equal(t, 15.0, StringToNumber("0o17"))
	require.Equal(t, 0.0, StringToNumber("  "))
	require.True(t, math.IsInf(StringToNumber("Infinity"), 1))

	// Each Number(s) as a string that keeps -0 and NaN apart.
	want := nodeMap(t, `s => { const n = Number(s); return Object.is(n, -0) ? "-0" : String(n); }`, stringToNumberCases)
	var got []string
	for _, s := range stringToNumberCases {
		got = append(got, jsfmt.Inspect(StringToNumber(s))) // util.inspect: -0 as "-0", as the script writes it
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Number(s) (-node +port), cases %q:\n%s", stringToNumberCases, d)
	}
}

func TestToInt32(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want int32
	}{{0, 0}, {1.9, 1}, {-1.9, -1}, {16, 16}, {math.NaN(), 0}, {math.Inf(1), 0}, {1 << 31, -1 << 31}, {1<<32 + 5, 5}, {-(1<<32 + 5), -5}, {4294967295, -1}} {
		require.Equal(t, c.want, ToInt32(c.in), "ToInt32(%v)", c.in)
	}
}

// TestToNumberAndToUint32: Number(v) and v >>> 0 for the values a message
// can carry (as JSON.parse gives them), against node.
func TestToNumberAndToUint32(t *testing.T) {
	cases := []string{`null`, `true`, `false`, `""`, `"12x"`, `" 0x10 "`, `"8000"`, `[]`, `[5]`, `["7"]`, `[null]`, `[[3]]`, `[[]]`, `[1,2]`, `[true]`, `{}`, `{"a":1}`,
		`70000`, `-1`, `1.5`, `-1.5`, `4294967297`, `-0`, `1e400`, `65535`, `65536`}
	want := nodeMap(t, `j => { const v = JSON.parse(j); const n = Number(v); return (Object.is(n, -0) ? "-0" : String(n)) + " " + (v >>> 0); }`, cases)
	var got []string
	for _, c := range cases {
		v, err := ParseJSON([]byte(c))
		require.NoError(t, err, c)
		n := ToNumber(v)
		got = append(got, jsfmt.Inspect(n)+" "+jsfmt.Inspect(float64(ToUint32(n))))
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Number(v) and v >>> 0 (-node +port), cases %q:\n%s", cases, d)
	}
	// Undefined, which JSON cannot carry: NaN, and 0.
	require.True(t, math.IsNaN(ToNumber(Undefined)))
	require.Zero(t, ToUint32(ToNumber(Undefined)))
}

// nodeMap runs fn (a JS function of one string returning a string) over
// cases in node and returns its results; it skips the test without node.
func nodeMap(t *testing.T, fn string, cases []string) []string {
	t.Helper()
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the cases cannot be compared with node's results")
	}
	in, err := json.Marshal(cases)
	require.NoError(t, err)
	script := `const a = JSON.parse(process.argv[1]); process.stdout.write(JSON.stringify(a.map(` + fn + `)))`
	out, err := exec.Command(nodeBin, "-e", script, string(in)).Output()
	require.NoError(t, err)
	var results []string
	require.NoError(t, json.Unmarshal(out, &results))
	require.Len(t, results, len(cases))
	return results
}
