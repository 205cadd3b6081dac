// Package uv ports the part of libuv (and of Node's tcp_wrap, pipe_wrap and
// stream_wrap bindings) that net and cluster stand on: one event loop per
// process that blocks in epoll_wait over its descriptors, timers, an eventfd
// through which other goroutines post work, and TCP and Pipe handles over
// non-blocking file descriptors (and the bind and open of a UDP socket,
// which a cluster primary makes for a Node worker's dgram socket).
//
// Source: libuv as bundled with Node.js v20.20.2 (src/unix/core.c uv_run,
// src/unix/linux.c uv__io_poll, src/unix/stream.c, src/unix/tcp.c,
// src/unix/pipe.c, src/unix/udp.c) and Node's src/tcp_wrap.cc,
// src/pipe_wrap.cc, src/stream_wrap.cc, src/udp_wrap.cc. These are C and C++, not JS, so functions here carry
// no Mirrors line; their doc comments name the libuv function instead.
//
// A loop with Go code running beside it (a net.Listener serving net/http)
// waits in Go's netpoller instead ([Loop.WaitInNetpoller]). The system calls
// made per connection or message go around the Go scheduler (rawsys.go),
// and an IPC pipe's answers to one read leave in one write (Stream.Hold).
// The connections such a Listener hands to Go code are [FD]s: goroutines
// read and write them with the loop as their poller, so that serving a
// connection makes no system call through the scheduler either.
// docs/PERFORMANCE.md measures each.
//
// Everything in this package runs on the loop's goroutine, except
// [Loop.Post] and an FD's methods, which any goroutine may call.
package uv
