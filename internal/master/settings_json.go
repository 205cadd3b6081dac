package master

import (
	"os"

	"github.com/nodecluster/nodecluster/internal/childprocess"
)

// MarshalJSON writes the settings as JSON.stringify writes Node's
// cluster.settings. Once setupPrimary has merged them (ExecPath is set
// then) they always have args, exec, execArgv and silent, in that order,
// as Node's defaults do; the options of a setupPrimary call (ExecPath
// empty) have only the fields given. Then, when given: execPath (only
// when it is not the running program, the Go default), stdio, cwd, uid,
// gid, serialization. Node writes those in the order the options first
// had them; here the order is fixed.
//
// It has no JS counterpart: JS serializes the object it has.
func (s Settings) MarshalJSON() ([]byte, error) {
	o := childprocess.NewObject()
	merged := s.ExecPath != ""
	if merged || s.Args != nil {
		o.Set("args", orEmpty(s.Args))
	}
	if merged || s.Exec != "" {
		o.Set("exec", s.Exec)
	}
	if merged || s.ExecArgv != nil {
		o.Set("execArgv", orEmpty(s.ExecArgv))
	}
	if merged || s.Silent {
		o.Set("silent", s.Silent)
	}
	if s.ExecPath != "" {
		if self, err := os.Executable(); err != nil || self != s.ExecPath {
			o.Set("execPath", s.ExecPath)
		}
	}
	if s.Stdio != nil {
		o.Set("stdio", s.Stdio)
	}
	if s.Cwd != "" {
		o.Set("cwd", s.Cwd)
	}
	if s.UID != nil {
		o.Set("uid", *s.UID)
	}
	if s.GID != nil {
		o.Set("gid", *s.GID)
	}
	if s.Serialization != "" {
		o.Set("serialization", s.Serialization)
	}
	return o.MarshalJSON()
}

// orEmpty is a nil list as [], which JSON writes for an empty array.
func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
