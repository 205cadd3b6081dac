package net

import (
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/uv"
)

// Socket is a connected stream, as net.Socket: it emits "data" ([]byte),
// "end" (the peer finished writing), "finish" (our writes are done and
// the write side shut down), "close" (hadError bool) and "error".
//
// DEVIATION(shape): Node's Socket is a stream.Duplex; this one keeps the
// events and methods a server needs (write, end, destroy, pause, resume)
// without the streams machinery.
//
// Mirrors lib/net.js Socket().
type Socket struct {
	events.EventEmitter

	handle        *uv.Stream
	server        *Server
	allowHalfOpen bool
	reading       bool
	readableEnded bool
	writableEnded bool
	finished      bool
	destroyed     bool
	hadError      bool

	BytesRead    int
	BytesWritten int
}

func newSocket(h *uv.Stream, allowHalfOpen bool) *Socket {
	s := &Socket{handle: h, allowHalfOpen: allowHalfOpen}
	h.OnRead = s.onread
	return s
}

// NewSocketFromHandle wraps a handle received over IPC (a user message
// carrying a socket).
func NewSocketFromHandle(h *uv.Stream) *Socket { return newSocket(h, false) }

// onread delivers data, or ends the readable side at EOF.
//
// Like lib/internal/stream_base_commons.js onStreamRead for a socket.
func (s *Socket) onread(data []byte, _ int, err error) {
	if err != nil {
		if err == uv.ErrEOF {
			s.onReadableStreamEnd()
			return
		}
		s.Destroy(&Error{Code: errname(uvErrno(err)), Errno: uvErrno(err), Syscall: "read", Message: "read " + errname(uvErrno(err))})
		return
	}
	s.BytesRead += len(data)
	buf := make([]byte, len(data))
	copy(buf, data)
	s.Emit("data", buf)
}

// onReadableStreamEnd emits "end" and, unless half-open sockets are
// allowed, ends the write side too.
//
// Mirrors lib/net.js onReadableStreamEnd().
func (s *Socket) onReadableStreamEnd() {
	s.readableEnded = true
	s.reading = false
	s.Emit("end")
	if !s.allowHalfOpen {
		s.End(nil)
	}
	if s.writableEnded && s.finished {
		s.Destroy(nil)
	}
}

// Write writes data; cb, when not nil, runs once it has left. It returns
// false when data had to be queued.
func (s *Socket) Write(data []byte, cb func(error)) bool {
	if s.destroyed || s.writableEnded || s.handle == nil {
		err := &Error{Code: "ERR_STREAM_WRITE_AFTER_END", Message: "write after end"}
		uv.Default().NextTick(func() {
			if cb != nil {
				cb(err)
			}
			s.Emit("error", err)
		})
		return false
	}
	s.BytesWritten += len(data)
	sync, err := s.handle.Write(data, -1, func(err error) {
		if cb != nil {
			cb(err)
		}
	})
	if err != nil {
		s.Destroy(&Error{Code: errname(uvErrno(err)), Errno: uvErrno(err), Syscall: "write", Message: "write " + errname(uvErrno(err))})
		return false
	}
	if sync && cb != nil {
		uv.Default().NextTick(func() { cb(nil) })
	}
	return sync
}

// End writes data (when not nil), then shuts the write side down; the
// socket closes once both sides are done.
func (s *Socket) End(data []byte) *Socket {
	if s.writableEnded || s.destroyed || s.handle == nil {
		return s
	}
	if len(data) > 0 {
		s.Write(data, nil)
	}
	s.writableEnded = true
	s.handle.Shutdown(func(error) {
		s.finished = true
		s.Emit("finish")
		if s.readableEnded || !s.reading {
			s.Destroy(nil)
		}
	})
	return s
}

// Destroy closes the socket at once; err, when not nil, is emitted as
// "error" before "close".
func (s *Socket) Destroy(err error) {
	if s.destroyed || s.handle == nil {
		return
	}
	s.destroyed = true
	s.hadError = err != nil
	s.handle.Close(func() {
		if err != nil {
			if s.ListenerCount("error") > 0 {
				s.Emit("error", err)
			}
		}
		s.Emit("close", s.hadError)
		if srv := s.server; srv != nil {
			srv.connections--
			srv.emitCloseIfDrained()
		}
	})
}

// Pause stops reading.
func (s *Socket) Pause() *Socket {
	if s.handle == nil {
		return s
	}
	s.reading = false
	s.handle.ReadStop()
	return s
}

// Resume starts reading.
func (s *Socket) Resume() *Socket {
	if s.destroyed || s.readableEnded || s.handle == nil {
		return s
	}
	s.reading = true
	s.handle.ReadStart()
	return s
}

// SetNoDelay turns Nagle's algorithm off (on=true) or on.
func (s *Socket) SetNoDelay(on bool) *Socket {
	if s.handle != nil {
		s.handle.SetNoDelay(on)
	}
	return s
}

// Destroyed reports whether the socket is closed or closing.
func (s *Socket) Destroyed() bool { return s.destroyed }

// Address is the local address.
func (s *Socket) Address() *AddressInfo {
	if s.handle == nil {
		return nil
	}
	sn, err := s.handle.Getsockname()
	if err != nil {
		return nil
	}
	return &AddressInfo{Address: sn.Address, Family: sn.Family, Port: sn.Port}
}

// RemoteAddress is the peer's address ("" when unknown).
func (s *Socket) RemoteAddress() string {
	if s.handle == nil {
		return ""
	}
	sn, err := s.handle.Getpeername()
	if err != nil {
		return ""
	}
	return sn.Address
}

// RemotePort is the peer's port (0 when unknown).
func (s *Socket) RemotePort() int {
	if s.handle == nil {
		return 0
	}
	sn, err := s.handle.Getpeername()
	if err != nil {
		return 0
	}
	return sn.Port
}

// RemoteFamily is "IPv4" or "IPv6".
func (s *Socket) RemoteFamily() string {
	if s.handle == nil {
		return ""
	}
	sn, err := s.handle.Getpeername()
	if err != nil {
		return ""
	}
	return sn.Family
}

// Handle is the socket's libuv stream (socket._handle).
func (s *Socket) Handle() *uv.Stream { return s.handle }
