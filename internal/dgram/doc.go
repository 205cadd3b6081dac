// Package dgram ports what a cluster primary needs of Node's UDP sockets:
// [CreateSocketHandle], which shared_handle.js calls when a worker binds
// a dgram socket ("udp4" or "udp6" in its queryServer), so that the
// primary binds the socket once and sends it to every worker that asks.
//
// Source: Node.js v20.20.2, lib/internal/dgram.js (newHandle and
// _createSocketHandle).
//
// OMITTED(node): the rest of lib/dgram.js and lib/internal/dgram.js. The
// port has no dgram.Socket: a Go primary serves Node workers that bind
// UDP sockets, but a Go worker cannot bind one.
package dgram
