// Package childprocess ports the IPC channel part of
// lib/internal/child_process.js (setupChannel, handleConversion, the
// ChildProcess object) and the fork of lib/child_process.js: newline-
// delimited JSON over a Unix socketpair, or, with serialization
// "advanced", V8's serializer (each message after its length; see
// [SerializeAdvanced] for the Go values it carries), NODE_HANDLE
// envelopes carrying one descriptor with SCM_RIGHTS, one handle in flight per channel with
// every later message queued until NODE_HANDLE_ACK, NODE_HANDLE_NACK when
// a descriptor did not arrive, and internal (NODE_*) messages kept apart
// from user messages.
//
// Source: Node.js v20.20.2, lib/internal/child_process.js,
// lib/internal/child_process/serialization.js (json and advanced) and
// lib/child_process.js (fork, _forkChild).
//
// Messages are JS values as [ParseJSON] makes them: [*Object] keeps its
// keys in order and can hold [Undefined], so what goes on the wire is
// byte for byte what JSON.stringify would write. An advanced channel
// carries more kinds of value ([Map], [Set], [Date], [RegExp], [BigInt],
// []byte for a Buffer, [TypedArray], [ArrayBuffer], [Error], [Hole],
// shared and cyclic references), byte for byte as Node's v8 serializer
// writes them.
//
// # Not ported
//
// These parts of the channel have no Go counterpart (docs/PORTING.md
// lists every function of it):
//
// OMITTED(node): lib/internal/child_process.js handleConversion.'dgram.Socket'.send(): the port has no dgram.Socket to send (only the raw UDP handle a cluster primary binds for its workers, which goes as "dgram.Native"); one that arrives from Node reaches the message listener as that raw handle (dgramSocketGot).

package childprocess
