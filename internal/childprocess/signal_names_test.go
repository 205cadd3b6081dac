package childprocess

import (
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// TestSignalNames: the signal names the port knows (kill, process
// listeners) are node's os.constants.signals, SIGIOT and SIGPOLL included,
// each with node's number.
func TestSignalNames(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the names cannot be compared with node's")
	}
	out, err := exec.Command(nodeBin, "-p", `JSON.stringify(require("os").constants.signals)`).Output()
	require.NoError(t, err)
	var want map[string]int
	require.NoError(t, json.Unmarshal(out, &want))
	got := map[string]int{}
	for name, sig := range signalNumbers {
		got[name] = int(sig)
	}
	require.Empty(t, cmp.Diff(want, got), "signal names and numbers (-node +port)")
	require.False(t, ValidSignal("SIGCLD"), "a name node does not have")
	s, ok := SignalByName("SIGIOT")
	require.True(t, ok)
	require.Equal(t, 6, int(s))
}
