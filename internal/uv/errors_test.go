package uv

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The table is the installed node's, entry for entry.
func TestErrMapMatchesNode(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the table cannot be compared with it")
	}
	out, err := exec.Command(nodeBin, "-e", `process.stdout.write(JSON.stringify(Object.fromEntries(require("util").getSystemErrorMap())))`).Output()
	require.NoError(t, err)
	var fromNode map[string][2]string
	require.NoError(t, json.Unmarshal(out, &fromNode))
	ours := map[string][2]string{}
	for k, v := range errMap {
		ours[strconv.Itoa(k)] = v
	}
	if d := cmp.Diff(fromNode, ours); d != "" {
		t.Fatalf("errMap differs from node's util.getSystemErrorMap() (-node +ours):\n%s", d)
	}
}

func TestErrMap(t *testing.T) {
	name, msg, ok := ErrMap(-int(unix.EADDRNOTAVAIL))
	require.True(t, ok)
	require.Equal(t, "EADDRNOTAVAIL", name)
	require.Equal(t, "address not available", msg, "libuv's words, not the C library's")
	name, _, ok = ErrMap(-int(unix.EOPNOTSUPP))
	require.True(t, ok)
	require.Equal(t, "ENOTSUP", name, "libuv's name for Linux's EOPNOTSUPP")
	_, _, ok = ErrMap(-int(unix.ECHILD))
	require.False(t, ok, "libuv has no entry for ECHILD")
}
