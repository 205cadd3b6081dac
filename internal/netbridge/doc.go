// Package netbridge lets internal/handle reach into a net.Server the way
// round_robin_handle.js and shared_handle.js reach into lib/net.js
// (server._handle, net._createServerHandle) without making those
// internals part of net's public API. net fills the functions in when it
// loads.
//
// It has no JS counterpart: JS reads the properties directly.
package netbridge
