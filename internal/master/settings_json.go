package master

import (
	"encoding/json"
	"os"
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
	type field struct {
		key string
		val any
	}
	var fields []field
	merged := s.ExecPath != ""
	if merged || s.Args != nil {
		fields = append(fields, field{"args", orEmpty(s.Args)})
	}
	if merged || s.Exec != "" {
		fields = append(fields, field{"exec", s.Exec})
	}
	if merged || s.ExecArgv != nil {
		fields = append(fields, field{"execArgv", orEmpty(s.ExecArgv)})
	}
	if merged || s.Silent {
		fields = append(fields, field{"silent", s.Silent})
	}
	if s.ExecPath != "" {
		if self, err := os.Executable(); err != nil || self != s.ExecPath {
			fields = append(fields, field{"execPath", s.ExecPath})
		}
	}
	if s.Stdio != nil {
		fields = append(fields, field{"stdio", s.Stdio})
	}
	if s.Cwd != "" {
		fields = append(fields, field{"cwd", s.Cwd})
	}
	if s.UID != nil {
		fields = append(fields, field{"uid", *s.UID})
	}
	if s.GID != nil {
		fields = append(fields, field{"gid", *s.GID})
	}
	if s.Serialization != "" {
		fields = append(fields, field{"serialization", s.Serialization})
	}
	b := []byte{'{'}
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(f.key)
		v, err := json.Marshal(f.val)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

// orEmpty is a nil list as [], which JSON writes for an empty array.
func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
