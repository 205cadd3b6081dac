// Package net ports the server side of lib/net.js, with what it needs of
// Socket: [CreateServer], [Server.Listen] with Node's argument forms,
// listenInCluster (bind here in the primary, ask the primary in a worker),
// setupListenHandle (alias _listen2), onconnection and a [Socket] that
// reads, writes, ends and closes.
//
// Source: Node.js v20.20.2, lib/net.js.
//
// The package shadows the standard library's net: import that one as
// stdnet, and in delve name functions by module path
// (nodecluster/net.listenInCluster), since `break net.Listen` finds the
// standard library's.
package net
