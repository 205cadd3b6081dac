package nodecluster_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConformanceTable: every Go test docs/CONFORMANCE.md names exists in
// this package, net, internal/childprocess, internal/uv or an example, and every ported test's
// Mirrors line is in the table.
func TestConformanceTable(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("docs", "CONFORMANCE.md"))
	require.NoError(t, err)
	var files []string
	for _, pattern := range []string{"*_test.go", "net/*_test.go", "internal/childprocess/*_test.go", "internal/uv/*_test.go", "examples/*/*_test.go"} {
		f, err := filepath.Glob(pattern)
		require.NoError(t, err)
		files = append(files, f...)
	}
	var src strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		src.Write(b)
	}
	defined := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`).FindAllStringSubmatch(src.String(), -1) {
		defined[m[1]] = true
	}
	named := regexp.MustCompile(`\bTest[A-Z]\w+`).FindAllString(string(doc), -1)
	require.NotEmpty(t, named)
	for _, n := range named {
		if n == "TestConformanceTable" {
			continue
		}
		require.True(t, defined[n], "docs/CONFORMANCE.md names %s, which does not exist", n)
	}
	for _, m := range regexp.MustCompile(`(?m)^// Mirrors test/(?:parallel|sequential)/(\S+\.js)`).FindAllStringSubmatch(src.String(), -1) {
		require.Contains(t, string(doc), strings.TrimSuffix(m[1], ".js"), "a test mirrors %s but the table does not list it", m[1])
	}
}
