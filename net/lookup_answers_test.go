package net_test

// What connect does with a custom lookup's odd answers, beside
// net/testdata/lookup_answers.js: node's output, run here when node is
// installed, and the port's.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

// lookupAnswersNode runs the JS twin for one case and returns its stdout
// lines and exit code; it skips without node.
func lookupAnswersNode(t *testing.T, c string) ([]string, int, string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the comparison needs node v20.20.2")
	}
	cmd := exec.Command(node, filepath.Join("testdata", "lookup_answers.js"))
	cmd.Env = append(os.Environ(), "LOOKUP_CASE="+c)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n"), code, stderr.String()
}

// TestLookupAnswerOfTheWrongFamily: an address with family 5 is
// ERR_INVALID_ADDRESS_FAMILY with the host and port connect was given (in
// its JSON too); an IPv4 address said to be IPv6 is connect's EINVAL,
// refused before any socket is made, so its local end reads
// undefined:undefined.
func TestLookupAnswerOfTheWrongFamily(t *testing.T) {
	for _, c := range []struct {
		name   string
		family int
	}{{"family5", 5}, {"family6", 6}} {
		t.Run(c.name, func(t *testing.T) {
			want, code, stderr := lookupAnswersNode(t, c.name)
			require.Equal(t, 0, code, stderr)
			lines := connectWithAnswer(t, false, []net.LookupAddress{{Address: "127.0.0.1", Family: c.family}})
			if d := cmp.Diff(want, lines); d != "" {
				t.Errorf("(-node +port):\n%s", d)
			}
		})
	}
}

// TestLookupAnsweringNothing: a lookup that answers no address and no
// error, with autoSelectFamily: v20 throws a TypeError from the lookup's
// callback (checked against node); the port destroys the socket with
// ERR_INVALID_IP_ADDRESS (DEVIATION(fix), reproduce name empty-lookup).
func TestLookupAnsweringNothing(t *testing.T) {
	_, code, stderr := lookupAnswersNode(t, "empty")
	require.Equal(t, 1, code, "v20 dies of the uncaught TypeError")
	require.Contains(t, stderr, "TypeError: Cannot destructure property 'address' of 'addresses[0]' as it is undefined.")
	lines := connectWithAnswer(t, true, nil)
	require.Equal(t, []string{
		`error ERR_INVALID_IP_ADDRESS Invalid IP address: undefined {"code":"ERR_INVALID_IP_ADDRESS"}`,
		"close true",
	}, lines)
}

// connectWithAnswer connects to x.test:19441 through a lookup that
// answers addrs (a millisecond later, on the loop) and returns what the
// JS twin prints: the error and its JSON, and close.
func connectWithAnswer(t *testing.T, autoSelect bool, addrs []net.LookupAddress) []string {
	t.Helper()
	var lines []string
	run(t, func() {
		s, err := net.Connect(net.ConnectOptions{Port: 19441, Host: "x.test", AutoSelectFamily: autoSelect,
			Lookup: func(_ string, _ net.LookupOptions, cb func(error, []net.LookupAddress)) {
				cluster.SetTimeout(time.Millisecond, func() { cb(nil, addrs) })
			}})
		require.NoError(t, err)
		s.On("error", func(err error) {
			e, ok := err.(*net.Error)
			require.True(t, ok, "%T %v", err, err)
			b, jerr := json.Marshal(e)
			require.NoError(t, jerr)
			lines = append(lines, fmt.Sprintf("error %s %s %s", e.Code, e.Message, b))
		})
		s.On("close", func(hadError bool) { lines = append(lines, fmt.Sprintf("close %v", hadError)) })
	})
	return lines
}
