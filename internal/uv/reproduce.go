package uv

import (
	"os"
	"slices"
	"strings"
)

// Reproduce reports whether NODECLUSTER_REPRODUCE_V20 (a comma-separated
// list, or "all") asks for Node v20's behaviour in place of the port's fix
// named what.
func Reproduce(what string) bool {
	v := os.Getenv("NODECLUSTER_REPRODUCE_V20")
	return v == "all" || slices.Contains(strings.Split(v, ","), what)
}
