package nodecluster_test

// TestWireMatchesNode compares, per direction, the JSON lines our primary
// and worker exchanged with those real Node v20.20.2 exchanged for the same
// calls (testdata/wire-traces, recorded with strace from
// tools/node-wire-scenario.js), byte for byte, ignoring only port numbers.

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

var portRE = regexp.MustCompile(`"port":[1-9][0-9]*`)

func loadNodeTrace(t *testing.T, name string) []wireLine {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "wire-traces", name))
	require.NoError(t, err)
	defer f.Close()
	var out []wireLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		dir, rest, ok := strings.Cut(line, " ")
		require.True(t, ok, "bad trace line %q", line)
		fd := false
		if s, found := strings.CutSuffix(rest, " + SCM_RIGHTS fd"); found {
			rest, fd = s, true
		}
		out = append(out, wireLine{Dir: dir, Line: rest, Fd: fd})
	}
	return out
}

func byDir(lines []wireLine, dir string) []wireLine {
	var out []wireLine
	for _, l := range lines {
		if l.Dir == dir {
			l.At = 0
			l.Line = portRE.ReplaceAllString(l.Line, `"port":<port>`)
			out = append(out, l)
		}
	}
	return out
}

func TestWireMatchesNode(t *testing.T) {
	for _, form := range []string{"listen-port0", "listen-port0-host", "listen-port0-cb", "listen-port0-host-cb", "listen-options"} {
		t.Run(form, func(t *testing.T) {
			want := loadNodeTrace(t, "rr-"+form+".txt")
			got := runScenario(t, form).wire
			for _, dir := range []string{"W->P", "P->W"} {
				if d := cmp.Diff(byDir(want, dir), byDir(got, dir)); d != "" {
					t.Errorf("%s differs from Node v20.20.2 (-node +port):\n%s", dir, d)
				}
			}
		})
	}
}
