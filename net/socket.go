package net

import (
	"fmt"
	"math"
	"os"
	"time"

	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/uv"
)

// Socket is a connected stream, as net.Socket: it emits "data" ([]byte),
// "end" (the peer finished writing), "finish" (our writes are done and
// the write side shut down), "drain" (a Write that returned false has
// left), "close" (hadError bool) and "error".
//
// As a Node socket starts paused, what arrives before anyone reads (a
// "data" listener, or Resume) waits in the socket, up to 16 KB before it
// stops reading; so does what arrives while it is paused, and "end"
// comes after the data that waited (at once when none waits).
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
	reading       bool // the handle reads
	flowing       int8 // readableFlowing: 0 null (not yet), 1 true, -1 false
	buffered      [][]byte
	bufferedLen   int
	endPending    bool // the peer ended behind buffered data
	flushQueued   bool
	readableEnded bool
	writableEnded bool
	finished      bool
	destroyed     bool
	hadError      bool
	needDrain     bool // a Write returned false: "drain" when the queue empties

	// setTimeout's state: the duration as given, the idle timer, and the
	// "timeout" listeners it added.
	timeout          time.Duration
	timer            *uv.Timer
	timeoutListeners []*events.Listener
	// lastWriteQueueSize is what the last asynchronous write left queued
	// (kLastWriteQueueSize): a timeout while it shrinks is no timeout.
	lastWriteQueueSize int
	// What setNoDelay and setKeepAlive last asked of the handle
	// (kSetNoDelay, kSetKeepAlive, kSetKeepAliveInitialDelay).
	noDelay         bool
	keepAlive       bool
	keepAliveDelay  int
	resetAndClosing bool

	BytesRead    int
	BytesWritten int
}

func newSocket(h *uv.Stream, allowHalfOpen bool) *Socket {
	s := &Socket{handle: h, allowHalfOpen: allowHalfOpen}
	h.OnRead = s.onread
	s.On("newListener", s.onNewListener)
	return s
}

// highWaterMark is how much a socket nobody reads keeps before it stops
// reading (a Node socket's readableHighWaterMark).
const highWaterMark = 16 * 1024

// onNewListener starts the data flowing when a "data" listener is added,
// unless the socket was paused, as Readable.prototype.on does.
func (s *Socket) onNewListener(event string, _ any) {
	if event == "data" && s.flowing != -1 {
		s.Resume()
	}
}

// startReading reads into the socket without making it flow, as Node's
// Socket constructor does (read(0)).
func (s *Socket) startReading() {
	if s.destroyed || s.readableEnded || s.handle == nil || s.reading {
		return
	}
	s.reading = true
	s.handle.ReadStart()
}

// unrefTimer starts the idle timeout's time again: called on every read,
// and when a write starts and when it completes.
//
// Mirrors lib/net.js Socket.prototype._unrefTimer().
func (s *Socket) unrefTimer() {
	if s.timer != nil {
		s.timer.Refresh()
	}
}

// SetTimeout emits "timeout" once the socket has been idle (nothing read,
// no write started or finished) for timeout, and again after each later
// idle stretch of that length; the socket stays open (the listener
// decides: End or Destroy). callback, when not nil, is added as a "timeout"
// listener for once. A timeout of 0 turns it off and, when callback is not
// nil, removes the listeners SetTimeout added. The timer does not keep
// the process alive. A negative timeout panics with ERR_OUT_OF_RANGE, as
// Node throws; one beyond 2^31-1 ms is cut to that, with Node's
// TimeoutOverflowWarning.
//
// DEVIATION(shape): the duration is a time.Duration, not milliseconds;
// and since Go functions cannot be compared, SetTimeout(0, cb) removes
// every listener SetTimeout added, not the one equal to cb.
//
// Like lib/internal/stream_base_commons.js setStreamTimeout(), which
// lib/net.js makes Socket.prototype.setTimeout.
func (s *Socket) SetTimeout(timeout time.Duration, callback func()) *Socket {
	if s.destroyed {
		return s
	}
	s.timeout = timeout
	msecs := float64(timeout) / float64(time.Millisecond)
	if timeout < 0 {
		panic(&Error{Code: "ERR_OUT_OF_RANGE", Message: `The value of "msecs" is out of range. It must be a non-negative finite number. Received ` + formatNumber(msecs)})
	}
	if msecs > timeoutMax {
		fmt.Fprintf(os.Stderr, "(node:%d) TimeoutOverflowWarning: %s does not fit into a 32-bit signed integer.\nTimer duration was truncated to %d.\n", os.Getpid(), formatNumber(msecs), timeoutMax)
		timeout = timeoutMax * time.Millisecond
	}
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if timeout == 0 {
		if callback != nil {
			for _, l := range s.timeoutListeners {
				s.RemoveListener(l)
			}
			s.timeoutListeners = s.timeoutListeners[:0]
		}
		return s
	}
	s.timer = uv.Default().SetTimeout(timeout, s.onTimeout)
	s.timer.Unref()
	if callback != nil {
		s.timeoutListeners = append(s.timeoutListeners, s.Once("timeout", callback))
	}
	return s
}

// timeoutMax is the longest timer, in milliseconds (TIMEOUT_MAX).
const timeoutMax = math.MaxInt32

// Timeout is the duration SetTimeout was last given (socket.timeout).
func (s *Socket) Timeout() time.Duration { return s.timeout }

// onTimeout emits "timeout", unless a write that was queued has moved on
// since the timer was set: then the time starts again.
//
// Mirrors lib/net.js Socket.prototype._onTimeout().
func (s *Socket) onTimeout() {
	if s.lastWriteQueueSize > 0 && s.handle != nil && !s.destroyed {
		if q := s.handle.WriteQueueSize(); q != s.lastWriteQueueSize {
			s.lastWriteQueueSize = q
			s.unrefTimer()
			return
		}
	}
	s.Emit("timeout")
}

// NewSocketFromHandle wraps a handle received over IPC (a user message
// carrying a socket).
func NewSocketFromHandle(h *uv.Stream) *Socket { return newSocket(h, false) }

// onread delivers data, or ends the readable side at EOF.
//
// Like lib/internal/stream_base_commons.js onStreamRead for a socket.
func (s *Socket) onread(data []byte, _ int, err error) {
	if s.timer != nil {
		s.timer.Refresh()
	}
	if err != nil {
		if err == uv.ErrEOF {
			s.reading = false
			if len(s.buffered) > 0 {
				s.endPending = true // after the data nobody has read yet
				return
			}
			s.onReadableStreamEnd() // with nothing waiting, at once, flowing or not
			return
		}
		s.Destroy(errnoException(err, "read"))
		return
	}
	s.BytesRead += len(data)
	buf := make([]byte, len(data))
	copy(buf, data)
	if s.flowing == 1 && len(s.buffered) == 0 {
		s.Emit("data", buf)
		return
	}
	s.buffered = append(s.buffered, buf)
	s.bufferedLen += len(buf)
	if s.bufferedLen >= highWaterMark && s.reading {
		s.reading = false
		s.handle.ReadStop()
	}
}

// flush emits what waited in the socket while it flows, then the "end"
// that came behind it.
func (s *Socket) flush() {
	s.flushQueued = false
	for s.flowing == 1 && len(s.buffered) > 0 && !s.destroyed {
		b := s.buffered[0]
		s.buffered[0] = nil
		s.buffered = s.buffered[1:]
		s.bufferedLen -= len(b)
		s.Emit("data", b)
	}
	if len(s.buffered) > 0 || s.destroyed {
		return
	}
	if s.endPending {
		s.endPending = false
		s.onReadableStreamEnd()
		return
	}
	if s.flowing == 1 {
		s.startReading() // it had stopped at 16 KB
	}
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

// Write writes data; cb, when not nil, runs once it has left, or with the
// error that ended the socket. It returns false when data had to be
// queued. A write that fails destroys the socket with Node's error
// ("write EPIPE"): the callback gets it, then "error", then "close". After
// End the write is ERR_STREAM_WRITE_AFTER_END, which destroys the socket
// too; after Destroy it is ERR_STREAM_DESTROYED, for the callback only.
func (s *Socket) Write(data []byte, cb func(error)) bool {
	if s.destroyed || s.handle == nil {
		if cb != nil {
			uv.Default().NextTick(func() { cb(errStreamDestroyed) })
		}
		return false
	}
	if s.writableEnded {
		if cb != nil {
			uv.Default().NextTick(func() { cb(errWriteAfterEnd) })
		}
		s.Destroy(errWriteAfterEnd)
		return false
	}
	s.BytesWritten += len(data)
	s.unrefTimer()
	sync, err := s.handle.Write(data, -1, func(err error) {
		switch {
		case s.destroyed || err == nil:
			// One still queued when the socket was destroyed completes
			// without an error, as Node's onWriteComplete has it.
			if !s.destroyed {
				s.unrefTimer()
				s.lastWriteQueueSize = 0
			}
			if cb != nil {
				cb(nil)
			}
			if s.needDrain && !s.destroyed && s.handle.WriteQueueSize() == 0 {
				s.needDrain = false
				s.Emit("drain")
			}
		default:
			e := errnoException(err, "write")
			if cb != nil {
				cb(e)
			}
			s.Destroy(e)
		}
	})
	if err != nil {
		e := errnoException(err, "write")
		if cb != nil {
			uv.Default().NextTick(func() { cb(e) })
		}
		s.Destroy(e)
		return false
	}
	if sync && cb != nil {
		uv.Default().NextTick(func() { cb(nil) })
	}
	if !sync {
		s.needDrain = true
		s.lastWriteQueueSize = len(data)
	}
	return sync
}

var (
	errWriteAfterEnd   = &Error{Code: "ERR_STREAM_WRITE_AFTER_END", Message: "write after end"}
	errStreamDestroyed = &Error{Code: "ERR_STREAM_DESTROYED", Message: "Cannot call write after a stream was destroyed"}
)

// End writes data (when not nil), then shuts the write side down; the
// socket closes once both sides are done. Data given to a socket already
// ended is a write after end.
func (s *Socket) End(data []byte) *Socket {
	if s.handle == nil {
		return s
	}
	if len(data) > 0 {
		s.Write(data, nil)
	}
	if s.writableEnded || s.destroyed {
		return s
	}
	s.writableEnded = true
	s.handle.Shutdown(func(error) {
		if s.destroyed {
			return // no "finish" once destroyed
		}
		s.finished = true
		s.Emit("finish")
		if s.readableEnded || !s.reading {
			s.Destroy(nil)
		}
	})
	return s
}

// Destroy closes the socket at once; err, when not nil, is emitted as
// "error" before "close". The server counts the connection gone at once,
// so its "close" (when it is closing) comes before the socket's.
//
// DEVIATION(fix): in Node an "error" with no listener is thrown, and a
// client that resets its connection (ECONNRESET) ends the whole process;
// here the error is dropped and the socket closes with hadError true.
// NODECLUSTER_REPRODUCE_V20=socket-error (ReproduceSocketErrorThrow)
// emits it anyway, as Node does.
func (s *Socket) Destroy(err error) {
	if s.destroyed || s.handle == nil {
		return
	}
	s.destroyed = true
	s.hadError = err != nil
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	onClose := func() {
		if err != nil && (s.ListenerCount("error") > 0 || ReproduceSocketErrorThrow) {
			s.Emit("error", err)
		}
		s.Emit("close", s.hadError)
	}
	if s.resetAndClosing {
		s.resetAndClosing = false
		if rerr := s.handle.CloseReset(onClose); rerr != nil {
			// Node emits "reset EINVAL" and never closes the handle;
			// the error is emitted here too, and the socket closes.
			if s.ListenerCount("error") > 0 || ReproduceSocketErrorThrow {
				s.Emit("error", errnoException(rerr, "reset"))
			}
			s.handle.Close(onClose)
		}
	} else {
		s.handle.Close(onClose)
	}
	if srv := s.server; srv != nil {
		srv.connections--
		srv.emitCloseIfDrained()
	}
}

// ReproduceSocketErrorThrow, when true, emits a socket's error even with
// no listener, which throws, as in Node v20.
var ReproduceSocketErrorThrow = uv.Reproduce("socket-error")

// Pause stops "data": what arrives waits in the socket (it goes on
// reading until 16 KB wait, as a Node socket does).
func (s *Socket) Pause() *Socket {
	s.flowing = -1
	return s
}

// Resume makes "data" flow: first what waited, on the next tick, then
// what arrives.
func (s *Socket) Resume() *Socket {
	if s.destroyed || s.readableEnded || s.handle == nil {
		return s
	}
	s.flowing = 1
	if !s.endPending {
		s.startReading()
	}
	if (len(s.buffered) > 0 || s.endPending) && !s.flushQueued {
		s.flushQueued = true
		uv.Default().NextTick(s.flush)
	}
	return s
}

// SetNoDelay turns Nagle's algorithm off (on=true) or on, on a TCP
// socket; like Node it asks the system only when the setting changes.
//
// Mirrors lib/net.js Socket.prototype.setNoDelay().
func (s *Socket) SetNoDelay(on bool) *Socket {
	if s.handle == nil || s.destroyed {
		s.noDelay = on
		return s
	}
	if s.handle.Kind == uv.KindTCP && on != s.noDelay {
		s.noDelay = on
		s.handle.SetNoDelay(on)
	}
	return s
}

// SetKeepAlive turns TCP keep-alive on or off; on, the first probe goes
// after initialDelay of idleness (whole seconds, as Node cuts them; 0
// leaves the system's idle time). Like Node it asks the system only when
// the setting changes, and ignores what it answers.
//
// DEVIATION(shape): the delay is a time.Duration, not milliseconds.
//
// Mirrors lib/net.js Socket.prototype.setKeepAlive().
func (s *Socket) SetKeepAlive(enable bool, initialDelay time.Duration) *Socket {
	delay := keepAliveSeconds(initialDelay)
	if s.handle == nil || s.destroyed {
		s.keepAlive, s.keepAliveDelay = enable, delay
		return s
	}
	if s.handle.Kind != uv.KindTCP {
		return s
	}
	if enable != s.keepAlive || (enable && delay != s.keepAliveDelay) {
		s.keepAlive, s.keepAliveDelay = enable, delay
		s.handle.SetKeepAlive(enable, delay)
	}
	return s
}

// keepAliveSeconds is a keep-alive delay in whole seconds, as Node's
// ~~(msecs / 1000) cuts it.
func keepAliveSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(min(d/time.Second, math.MaxInt32))
}

// Pending reports whether the socket has no connection to use: it is
// not connected yet or is destroyed (socket.pending).
//
// Like the pending getter lib/net.js defines on Socket.prototype.
func (s *Socket) Pending() bool { return s.handle == nil || s.destroyed }

// ReadyState is "open" while both sides are open, "readOnly" once this
// side has ended its writes, "writeOnly" once the peer has ended (a
// half-open socket), and "closed" (socket.readyState).
//
// Like the readyState getter lib/net.js defines on Socket.prototype.
func (s *Socket) ReadyState() string {
	readable := !s.destroyed && !s.readableEnded
	writable := !s.destroyed && !s.writableEnded
	switch {
	case readable && writable:
		return "open"
	case readable:
		return "readOnly"
	case writable:
		return "writeOnly"
	}
	return "closed"
}

// BufferSize is how many bytes wait to be written (socket.bufferSize).
//
// Like the bufferSize getter lib/net.js defines on Socket.prototype.
func (s *Socket) BufferSize() int {
	if s.handle == nil || s.destroyed {
		return 0
	}
	return s.handle.WriteQueueSize()
}

// ResetAndDestroy closes a TCP socket with a reset (RST) instead of an
// orderly end: what waits to be written is dropped, and the peer reads
// ECONNRESET. On a Unix socket it panics with ERR_INVALID_HANDLE_TYPE, as
// Node throws.
//
// Mirrors lib/net.js Socket.prototype.resetAndDestroy().
func (s *Socket) ResetAndDestroy() *Socket {
	if s.handle == nil || s.destroyed {
		return s // Node destroys with ERR_SOCKET_CLOSED: a destroyed socket ignores it
	}
	if s.handle.Kind != uv.KindTCP {
		panic(&Error{Code: "ERR_INVALID_HANDLE_TYPE", Message: "This handle type cannot be sent"})
	}
	s.resetAndClosing = true
	s.Destroy(nil)
	return s
}

// DestroySoon ends the write side and destroys the socket once what was
// written has gone (at once when it has).
//
// Mirrors lib/net.js Socket.prototype.destroySoon().
func (s *Socket) DestroySoon() {
	if !s.destroyed && !s.writableEnded {
		s.End(nil)
	}
	if s.finished {
		s.Destroy(nil)
		return
	}
	s.Once("finish", func() { s.Destroy(nil) })
}

// Ref makes the socket keep the process alive again after Unref.
//
// Mirrors lib/net.js Socket.prototype.ref().
func (s *Socket) Ref() *Socket {
	if s.handle != nil {
		s.handle.Ref()
	}
	return s
}

// Unref lets the process exit while the socket is open.
//
// Mirrors lib/net.js Socket.prototype.unref().
func (s *Socket) Unref() *Socket {
	if s.handle != nil {
		s.handle.Unref()
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

// LocalAddress is the socket's own address ("" when unknown, as for a
// Unix socket).
func (s *Socket) LocalAddress() string {
	if a := s.Address(); a != nil {
		return a.Address
	}
	return ""
}

// LocalPort is the socket's own port (0 when unknown).
func (s *Socket) LocalPort() int {
	if a := s.Address(); a != nil {
		return a.Port
	}
	return 0
}

// LocalFamily is "IPv4" or "IPv6" ("" when unknown).
func (s *Socket) LocalFamily() string {
	if a := s.Address(); a != nil {
		return a.Family
	}
	return ""
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
