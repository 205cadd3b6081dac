package master

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSettingsJSON: cluster.settings as JSON.stringify writes Node's
// (node v20, in the order its defaults and options give the keys): {}
// before the first setup; args, exec, execArgv and silent once merged,
// then the options given; an options object alone has only its fields.
func TestSettingsJSON(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	zero, uid := 0, 0
	for _, c := range []struct {
		s    Settings
		want string
	}{
		{Settings{}, `{}`},
		{Settings{Silent: true}, `{"silent":true}`},
		{Settings{Exec: "w.js", Silent: true}, `{"exec":"w.js","silent":true}`},
		{Settings{ExecPath: self, Args: []string{}}, `{"args":[],"exec":"","execArgv":[],"silent":false}`},
		{Settings{ExecPath: "/usr/bin/node", Exec: "w.js", Args: []string{"a"}, Silent: true},
			`{"args":["a"],"exec":"w.js","execArgv":[],"silent":true,"execPath":"/usr/bin/node"}`},
		{Settings{ExecPath: self, Args: []string{"a"}, Stdio: []string{"pipe", "pipe", "pipe", "ipc"}, Cwd: "/tmp", UID: &uid, GID: &zero, Serialization: "advanced"},
			`{"args":["a"],"exec":"","execArgv":[],"silent":false,"stdio":["pipe","pipe","pipe","ipc"],"cwd":"/tmp","uid":0,"gid":0,"serialization":"advanced"}`},
	} {
		b, err := json.Marshal(c.s)
		require.NoError(t, err)
		require.Equal(t, c.want, string(b), "%+v", c.s)
	}
}
