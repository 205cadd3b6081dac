package master

import (
	"os"
	"slices"
	"strings"

	"github.com/nodecluster/nodecluster/internal/childprocess"
)

// inspectArg reports whether s has an inspector flag, Node's
// /--inspect(?:-brk|-port)?|--debug-port/ (which needs no regexp: it
// matches wherever "--inspect" or "--debug-port" occurs).
func inspectArg(s string) bool {
	return strings.Contains(s, "--inspect") || strings.Contains(s, "--debug-port")
}

// isUsingInspector reports whether Node workers started with execArgv
// would open an inspector: then each needs a port of its own.
//
// Like lib/internal/util/inspector.js isUsingInspector() (not among the
// mirrored files).
func isUsingInspector(execArgv []string) bool {
	return slices.ContainsFunc(execArgv, inspectArg) || inspectArg(os.Getenv("NODE_OPTIONS"))
}

// debugPortOffset counts the inspector ports handed out: the first worker
// gets the primary's debug port plus one.
var debugPortOffset = 1

// debugPort is process.debugPort: 9229, Node's default; a Go primary runs
// no inspector of its own.
const debugPort = 9229

// getInspectPort gives the next worker's inspector port, wrapping past
// 65535 to 1024 and up (the inspectPort setting is not ported).
//
// Like lib/internal/util/inspector.js getInspectPort() (not among the
// mirrored files).
func getInspectPort() int {
	port := debugPort + debugPortOffset
	if port > 65535 {
		port = port - 65535 + 1024 - 1
	}
	debugPortOffset++
	return port
}

// errNotInWorker is what calling a primary-only function in a worker
// gives: in a Node worker cluster.fork and cluster.setupPrimary are
// undefined, and calling one throws this TypeError.
func errNotInWorker(name string) error {
	return &childprocess.ErrnoError{Message: "cluster." + name + " is not a function"}
}
