// Package net ports the server side of lib/net.js, with what it needs of
// Socket: [CreateServer], [Server.Listen] with Node's argument forms,
// listenInCluster (bind here in the primary, ask the primary in a worker),
// setupListenHandle (alias _listen2), onconnection and a [Socket] that
// reads, writes, ends and closes, with Node's timeout, keep-alive, reset
// and ref methods. The client side is ported too: [Connect] (net.connect),
// with lookupAndConnect, the autoSelectFamily attempts of
// internalConnectMultiple, and afterConnect.
//
// Of what Socket has as a stream.Duplex, setEncoding (with
// [StringDecoder], lib/string_decoder.js), cork, uncork, unshift, end's
// callback, writes held behind a write in flight, and paused mode
// ([Socket.Read], the "readable" event, readableFlowing), the "pause"
// and "resume" events and isPaused are ported, and so is new
// net.Socket({fd}) ([SocketOptions].Fd), and so is the signal option,
// as a context.Context ([SocketOptions].Signal, [ConnectOptions].Signal,
// [ListenOptions].Signal). Not ported of Socket: the rest of what it has
// as a stream.Duplex beyond a server's and a client's needs (pipe, async
// iteration), and the onread and hints options.
//
// Source: Node.js v20.20.2, lib/net.js; lib/string_decoder.js (and the
// decoding in src/string_decoder.cc it calls); for what Socket has as a
// stream, lib/internal/streams/readable.js and writable.js.
//
// The package shadows the standard library's net: import that one as
// stdnet, and in delve name functions by module path
// (nodecluster/net.listenInCluster), since `break net.Listen` finds the
// standard library's.
//
// # Not ported
//
// These functions of lib/net.js's server side have no Go counterpart
// (docs/PORTING.md lists every function of it):
//
// OMITTED(node): lib/net.js Server.prototype[SymbolAsyncDispose](): Go has no await using; call Server.Close.
//
// OMITTED(node): lib/net.js Server.prototype[EventEmitter.captureRejectionSymbol](): listeners are Go functions, which return no promise whose rejection could be caught.
//
// OMITTED(node): lib/net.js:/^  _setSimultaneousAccepts = function\(handle\)/: Windows only, and deprecated (DEP0121).
//
// OMITTED(node): lib/net.js:/^  _setSimultaneousAccepts = function\(\)/: does nothing but warn that it is deprecated (DEP0121).
//
// OMITTED(node): lib/string_decoder.js StringDecoder.prototype.text(): undocumented legacy (it drops what the decoder held and decodes from an offset); with the lastChar, lastNeed and lastTotal getters, which expose the held bytes.
package net
