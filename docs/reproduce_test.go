package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReproduceSettingsInReadme: every NODECLUSTER_REPRODUCE_V20 name the
// code reads (uv.Reproduce("name"), childprocess.Reproduce("name")) has
// its row in README.md's table of where Node v20 is worse, and every
// name the table gives is one the code reads.
func TestReproduceSettingsInReadme(t *testing.T) {
	files, err := portFiles("..")
	require.NoError(t, err)
	call := regexp.MustCompile(`Reproduce\("([a-z0-9-]+)"\)`)
	inCode := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(f)))
		require.NoError(t, err)
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			inCode[m[1]] = true
		}
	}
	require.NotEmpty(t, inCode)
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	row := regexp.MustCompile("(?m)^\\|.*\\| `([a-z0-9-]+)` \\|$")
	inReadme := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		inReadme[m[1]] = true
	}
	for name := range inCode {
		require.True(t, inReadme[name], "NODECLUSTER_REPRODUCE_V20=%s has no row in README.md's table", name)
	}
	for name := range inReadme {
		require.True(t, inCode[name], "README.md's table names %s, which the code does not read", name)
	}
}
