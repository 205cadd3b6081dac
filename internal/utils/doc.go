// Package utils ports lib/internal/cluster/utils.js: sendHelper, which
// numbers every cluster message with this process's one seq counter and
// remembers its callback, and internal, which routes a reply carrying ack
// back to that callback.
//
// Source: Node.js v20.20.2, lib/internal/cluster/utils.js.
package utils
