package net

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/uv"
	"golang.org/x/sys/unix"
)

// Socket is a connected stream, as net.Socket: it emits "data" ([]byte,
// or string once SetEncoding has set an encoding), "end" (the peer
// finished writing), "finish" (our writes are done and the write side
// shut down), "drain" (a Write that returned false has left), "close"
// (hadError bool), "error" and, in paused mode, "readable".
//
// A "readable" listener puts the socket in paused mode (see [Socket.Read]):
// "readable" says data waits or the peer ended, Read takes it, and "end"
// comes once a Read has taken everything after the peer's end. It takes
// precedence over "data" (which then carries what Read returns); once the
// last "readable" listener is removed the socket flows again if "data"
// has listeners.
//
// As a Node socket starts paused, what arrives before anyone reads (a
// "data" listener, or Resume) waits in the socket, up to 16 KB before it
// stops reading; so does what arrives while it is paused, and "end"
// comes after the data that waited (at once when none waits).
//
// DEVIATION(shape): Node's Socket is a stream.Duplex; this one keeps the
// events and methods a server needs (write, end, destroy, pause, resume,
// read, setEncoding, cork, uncork, unshift, pipe, unpipe, the state
// getters; strings through WriteString and EndString) without the
// streams machinery.
//
// Mirrors lib/net.js Socket().
type Socket struct {
	events.EventEmitter

	abort   *abortListener // the signal's listener, until "close"
	aborted bool           // _aborted: no more connection attempts

	handle        *uv.Stream
	server        *Server
	allowHalfOpen bool
	reading       bool  // the handle reads
	flowing       int8  // readableFlowing: 0 null (not yet), 1 true, -1 false
	buffered      []any // []byte, or string once SetEncoding set a decoder
	bufferedLen   int   // bytes, or a string's JS length (state.length)
	decoder       *StringDecoder
	endPending    bool // the peer ended behind buffered data
	flushQueued   bool
	// Paused mode's state (readable.js's kReadableListening, kNeedReadable,
	// kEmittedReadable): a "readable" listener holds the socket paused; a
	// "readable" is owed when data comes; one waits for its tick. hwm is
	// the high-water mark once a Read larger than 16 KB raised it (0: not).
	readableListening bool
	needReadable      bool
	emittedReadable   bool
	// Resume's tick waits while "readable" holds the socket paused
	// (kResumeScheduled), and Pause was called after the last Resume
	// (kPaused).
	resumeScheduled bool
	paused          bool
	// closeEmitted: the tick Destroy queued has run (Node's destroy sets
	// kCloseEmitted then, as a socket emits its own "close" later, when
	// the handle has closed; kErrorEmitted just before, with the error).
	// A Read takes data after it but emits no "data", and no "end" comes.
	closeEmitted  bool
	hwm           int
	readableEnded bool
	writableEnded bool
	finished      bool
	destroyed     bool
	hadError      bool
	needDrain     bool // a Write returned false: "drain" when the queue empties
	pipeState          // where Pipe sends what is read (readable.go)

	// setTimeout's state: the duration as given, the idle timer, and the
	// "timeout" listeners it added.
	timeout          time.Duration
	timer            *uv.Timer
	timeoutListeners []timeoutListener
	// lastWriteQueueSize is what the last asynchronous write left queued
	// (kLastWriteQueueSize): a timeout while it shrinks is no timeout.
	lastWriteQueueSize int
	// What setNoDelay and setKeepAlive last asked of the handle
	// (kSetNoDelay, kSetKeepAlive, kSetKeepAliveInitialDelay).
	noDelay         bool
	keepAlive       bool
	keepAliveDelay  int
	resetAndClosing bool
	// writeAfterFIN: the peer ended a socket that is not half-open, so a
	// write after its end is the peer's fault (Node's write =
	// writeAfterFIN).
	writeAfterFIN bool

	// The client side: a Connect under way, what waits to be written
	// meanwhile, and the host being looked up (_host).
	connecting    bool
	readOnConnect bool             // Resume was called while connecting
	pending       []pendingWrite   // writes waiting for "connect" (_pendingData)
	pendingClose  *events.Listener // their "close" listener
	host          string
	peername      *uv.Sockname // _peername
	// writableLength counts the bytes written whose callbacks have not
	// run yet (state.length of a Writable): Write's answer, "drain" and
	// BufferSize follow it.
	writableLength int
	// errored is the Writable's state.errored: Destroy's error, or the
	// first write's that failed (which destroys the socket on the next
	// tick, or once that write's callback has run); what the writes held
	// behind it and End's callbacks are then told.
	errored error
	// Cork's count (state.corked); the handle's writes that have not
	// completed at once (kWriting); and what was written while either
	// was so, held back (state.buffered): the bytes, one after the
	// other, and each write's length and callback. finalPending: End's
	// shutdown waits for them.
	corked       int
	writing      int
	heldBuf      []byte
	held         []heldWrite
	finalPending bool
	// onFinished are End's callbacks waiting for "finish"
	// (state[kOnFinished]).
	onFinished []func(error)

	// AutoSelectFamilyAttemptedAddresses lists the "address:port" a
	// connect tried, in order, when it tried several.
	AutoSelectFamilyAttemptedAddresses []string

	BytesRead    int
	BytesWritten int
}

func newSocket(h *uv.Stream, allowHalfOpen bool) *Socket {
	s := &Socket{handle: h, allowHalfOpen: allowHalfOpen}
	h.OnRead = s.onread
	s.SetClassName("Socket")
	s.Hook(s.onNewListener, s.onRemoveListener)
	s.On("end", s.onReadableStreamEnd)
	return s
}

// highWaterMark is how much a socket nobody reads keeps before it stops
// reading (a Node socket's readableHighWaterMark).
const highWaterMark = 16 * 1024

// onNewListener starts the data flowing when a "data" listener has been
// added, unless the socket was paused, as Readable.prototype.on does
// (the emitter's Hook calls it after each listener is added: Readable's
// own on, not a "newListener" listener).
//
// A "readable" listener puts the socket in paused mode: flowing becomes
// false, "readable" is owed, and it comes on the next tick when data waits
// (otherwise the socket reads, if it did not). It is done once only while
// one listens and before "end".
//
// Like lib/internal/streams/readable.js Readable.prototype.on().
func (s *Socket) onNewListener(event string) {
	switch event {
	case "data":
		if s.flowing != -1 {
			s.Resume()
		}
	case "readable":
		if s.readableEnded || s.readableListening {
			return
		}
		s.readableListening, s.needReadable = true, true
		s.flowing, s.emittedReadable = -1, false
		if s.bufferedLen > 0 {
			s.emitReadable()
		} else if !s.reading {
			uv.Default().NextTick(s.nReadingNextTick)
		}
	}
}

// onRemoveListener looks again, on the next tick, at who listens once a
// "readable" listener is removed (Once's included; the emitter's Hook
// calls it after each removal).
//
// Like lib/internal/streams/readable.js Readable.prototype.removeListener().
func (s *Socket) onRemoveListener(event string) {
	if event == "readable" {
		uv.Default().NextTick(s.updateReadableListening)
	}
}

// RemoveAllListeners drops every listener of event (of all events when
// event is ""); removing those of "readable" lets the socket leave paused
// mode on the next tick, as removing them one by one does.
//
// Mirrors lib/internal/streams/readable.js Readable.prototype.removeAllListeners().
func (s *Socket) RemoveAllListeners(event string) {
	s.EventEmitter.RemoveAllListeners(event)
	if event == "" || event == "readable" {
		uv.Default().NextTick(s.updateReadableListening)
	}
}

// updateReadableListening leaves paused mode when the last "readable"
// listener has gone: the socket flows again if "data" has listeners, and
// is neither flowing nor paused (null) when it has none.
//
// It flows too, "data" listeners or not, when Resume was called while
// "readable" had listeners, after the removal, and its tick has not run
// yet (nor Pause been called since).
//
// Mirrors lib/internal/streams/readable.js updateReadableListening().
func (s *Socket) updateReadableListening() {
	s.readableListening = s.ListenerCount("readable") > 0
	switch {
	case s.resumeScheduled && !s.paused:
		s.flowing = 1
	case s.ListenerCount("data") > 0:
		s.Resume()
	case !s.readableListening:
		s.flowing = 0
	}
}

// nReadingNextTick asks for a read (Read(0)) for a "readable" listener
// added while nothing waited and the socket did not read.
//
// Mirrors lib/internal/streams/readable.js nReadingNextTick().
func (s *Socket) nReadingNextTick() { s.Read(0) }

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
// nil, removes that callback's "timeout" listener. The timer does not keep
// the process alive. A negative timeout panics with ERR_OUT_OF_RANGE, as
// Node throws; one beyond 2^31-1 ms is cut to that, with Node's
// TimeoutOverflowWarning.
//
// DEVIATION(shape): the duration is a time.Duration, not milliseconds;
// and since Go functions cannot be compared, SetTimeout(0, cb) removes
// the last listener SetTimeout added for a function of the same code as
// cb (two closures of one function literal count as the same).
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
		events.EmitWarning(&events.Warning{Name: "TimeoutOverflowWarning",
			Message: fmt.Sprintf("%s does not fit into a 32-bit signed integer.\nTimer duration was truncated to %d.", formatNumber(msecs), timeoutMax)})
		timeout = timeoutMax * time.Millisecond
	}
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if timeout == 0 {
		if callback != nil {
			code := reflect.ValueOf(callback).Pointer()
			for i := len(s.timeoutListeners) - 1; i >= 0; i-- {
				if tl := s.timeoutListeners[i]; tl.code == code {
					s.RemoveListener(tl.l)
					s.timeoutListeners = slices.Delete(s.timeoutListeners, i, i+1)
					break
				}
			}
		}
		return s
	}
	s.timer = uv.Default().SetTimeout(timeout, s.onTimeout)
	s.timer.Unref()
	if callback != nil {
		s.timeoutListeners = append(s.timeoutListeners, timeoutListener{s.Once("timeout", callback), reflect.ValueOf(callback).Pointer()})
	}
	return s
}

// timeoutListener is a "timeout" listener SetTimeout added, with its
// function's code, which SetTimeout(0, cb) compares.
type timeoutListener struct {
	l    *events.Listener
	code uintptr
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
			if s.readableListening {
				s.onEofChunkPaused()
				if !s.destroyed {
					s.Read(0) // as onStreamRead does after push(null)
				}
				return
			}
			if s.decoder != nil {
				s.onEofChunk()
				if s.destroyed {
					return // by a "data" listener
				}
			}
			if len(s.buffered) > 0 {
				s.endPending = true // after the data nobody has read yet
				return
			}
			s.emitEnd() // with nothing waiting, at once, flowing or not
			return
		}
		s.Destroy(errnoException(err, "read"))
		return
	}
	s.BytesRead += len(data)
	if s.decoder != nil {
		s.pushDecoded(data)
		return
	}
	buf := make([]byte, len(data))
	copy(buf, data)
	s.addChunk(buf, len(buf))
}

// stopAtHighWaterMark stops reading once 16 KB wait to be read.
func (s *Socket) stopAtHighWaterMark() {
	if s.bufferedLen >= s.readableHighWaterMark() && s.reading {
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
		s.bufferedLen -= chunkLength(b)
		if raw, ok := b.([]byte); ok && s.decoder != nil && len(s.buffered) == 0 {
			// Unshifted bytes read alone with an encoding set: Node joins
			// the strings read, and a Buffer joins as its UTF-8.
			b = decodeUTF8(raw)
		}
		s.clearAwaitDrain()
		s.Emit("data", b)
	}
	if len(s.buffered) > 0 || s.destroyed {
		return
	}
	if s.endPending {
		// The peer's end that waited behind the data: "end" on the next
		// tick, as Node's read that takes the last chunk schedules it
		// (after what the "data" listeners queued).
		s.endPending = false
		uv.Default().NextTick(s.flushEnd)
		return
	}
	if s.flowing == 1 {
		s.startReading() // it had stopped at 16 KB
	}
}

// flushEnd is flush's "end", a tick after the last data: endReadableNT,
// unless data waits again (Unshift), behind which it waits once more.
func (s *Socket) flushEnd() {
	if len(s.buffered) > 0 && !s.destroyed {
		s.endPending = true
		return
	}
	s.endReadableNT()
}

// onReadableStreamEnd is the socket's own "end" listener, added when it
// is made (so ListenerCount("end") counts it, and RemoveAllListeners
// drops it, as in Node): once the peer has ended a socket that is not
// half-open, a write after End is writeAfterFin's EPIPE.
//
// Mirrors lib/net.js onReadableStreamEnd().
func (s *Socket) onReadableStreamEnd() {
	if !s.allowHalfOpen {
		s.writeAfterFIN = true
	}
}

// emitEnd emits "end" and, unless half-open sockets are allowed, ends
// the write side too, on the next tick (after what the "end" listeners
// queued, as a Duplex does); a socket whose writes have finished already
// is destroyed.
//
// Like the tail of lib/internal/streams/readable.js endReadableNT().
func (s *Socket) emitEnd() {
	s.readableEnded = true
	s.reading = false
	s.Emit("end")
	if !s.allowHalfOpen && !s.writableEnded && !s.destroyed {
		uv.Default().NextTick(func() {
			if !s.writableEnded && !s.destroyed {
				s.End(nil)
			}
		})
		return
	}
	if s.writableEnded && s.finished {
		s.Destroy(nil)
	}
}

// Write writes data; cb, when not nil, runs once it has left, or with the
// error that ended the socket. It returns false, as Node's write does,
// when 16 KB or more are left waiting after it (written but not yet
// called back; the write still goes): "drain" says when they have gone. A write that fails
// destroys the socket with Node's error ("write EPIPE"): the callback
// gets it, then "error", then "close"; its bytes do not count in
// BytesWritten. After End the write is ERR_STREAM_WRITE_AFTER_END (even
// once the socket has closed), which destroys the socket too; after
// Destroy it is ERR_STREAM_DESTROYED, for the callback only.
//
// A write made while an earlier one waits for the socket (it could not
// all go at once), or while the socket is corked (Cork), waits in the
// socket, as in a Writable's buffer: once that write completes (or at
// Uncork), all that waited goes out as one write, before the completed
// write's callback and "drain", so "drain" says that everything has
// gone.
//
// While the socket connects, writes wait for "connect"; if it closes
// first, the first one's callback gets ERR_SOCKET_CLOSED_BEFORE_CONNECTION
// and the others' the socket's error (ERR_STREAM_DESTROYED when it had
// none). On a socket that never connected, a write is ERR_SOCKET_CLOSED,
// which destroys it.
func (s *Socket) Write(data []byte, cb func(error)) bool { return s.write(data, len(data), cb) }

// write is Write with the length the data counts for in WritableLength:
// its bytes, or a string's UTF-16 length (WriteString).
func (s *Socket) write(data []byte, length int, cb func(error)) bool {
	if s.writeAfterFIN && s.writableEnded {
		return s.writeAfterFin(cb)
	}
	return s.writeChunk(data, length, cb)
}

// WriteString writes a string in an encoding, as socket.write(string,
// encoding, cb) does: the bytes Buffer.from(data, encoding) makes (utf8,
// the default when encoding is "", latin1/binary, ascii, utf16le/ucs2,
// hex, base64, base64url; see [Socket.Write] for the rest). An encoding
// Node does not know panics with ERR_UNKNOWN_ENCODING ("Unknown
// encoding: x"), as Node throws, and nothing is written.
//
// As in Node, the write counts in WritableLength (and toward the 16 KB
// mark of the answer) for the string's length in UTF-16 units, not its
// bytes (BytesWritten counts those).
//
// DEVIATION(shape): Node's write takes a Buffer or a string with an
// optional encoding; Go has Write for bytes and WriteString for a
// string.
//
// Like lib/net.js Socket.prototype._writeGeneric() with a string.
func (s *Socket) WriteString(data string, encoding string, cb func(error)) bool {
	b, err := encodeString(data, encoding)
	if err != nil {
		panic(err)
	}
	return s.write(b, jsLength(data), cb)
}

// writeChunk is Write without net's check for a peer that ended, as the
// Writable's own write (End writes through it, as Node's end calls the
// Writable's _write, not the socket's write).
//
// Like lib/internal/streams/writable.js _write() and writeOrBuffer().
func (s *Socket) writeChunk(data []byte, length int, cb func(error)) bool {
	if err := s.writeRefused(); err != nil {
		if cb != nil {
			uv.Default().NextTick(func() { cb(err) })
		}
		if err == errWriteAfterEnd {
			s.Destroy(err)
		}
		return false
	}
	s.BytesWritten += len(data)
	s.writableLength += length
	if s.corked > 0 || s.writing > 0 || s.errored != nil {
		s.heldBuf = append(s.heldBuf, data...)
		s.held = append(s.held, heldWrite{len(data), length, cb})
	} else {
		s.writeGeneric(data, length, cb)
	}
	// As Node v20's writeOrBuffer: after the write, so that one done at
	// once, however large, leaves nothing waiting and answers true.
	ret := s.writableLength < highWaterMark || s.writableLength == 0
	if !ret {
		s.needDrain = true
	}
	return ret && !s.destroyed && s.errored == nil
}

// writeRefused is why a write goes nowhere: ERR_STREAM_WRITE_AFTER_END
// after End, ERR_STREAM_DESTROYED after Destroy (ended is told first, as
// a Writable checks them), or nil.
func (s *Socket) writeRefused() error {
	switch {
	case s.writableEnded:
		return errWriteAfterEnd
	case s.destroyed:
		return errStreamDestroyed
	}
	return nil
}

// Cork holds what is written from now on until as many Uncork (or an
// End) as there were Cork: then it all goes out together, as one write
// (one system call), whose completion calls each write's callback in
// order. Write's answer, "drain" and BufferSize count what is held.
//
// Mirrors lib/internal/streams/writable.js Writable.prototype.cork().
func (s *Socket) Cork() {
	s.corked++
}

// Uncork undoes one Cork; the last one writes what was held (or, while
// an earlier write waits for the socket, leaves it to go when that one
// completes). A write done at once has its callbacks on the next tick,
// after "drain" when a Write answered false, as Node's.
//
// DEVIATION(shape): Node hands the held writes (corked, or behind a
// write in flight) to libuv as a writev of their buffers; the port
// copies them, as they are written, into one buffer, and writes that.
// The peer gets the same bytes from the same single system call.
//
// Mirrors lib/internal/streams/writable.js Writable.prototype.uncork().
func (s *Socket) Uncork() {
	if s.corked == 0 {
		return
	}
	s.corked--
	if s.corked == 0 && s.writing == 0 {
		s.clearBuffer()
	}
}

// WritableCorked is how many Cork wait for their Uncork
// (writable.writableCorked).
//
// Like the writableCorked getter lib/internal/streams/writable.js
// defines on Writable.prototype.
func (s *Socket) WritableCorked() int { return s.corked }

// WritableLength is how many bytes written have not gone yet, those held
// in the socket included (writable.writableLength).
//
// Like the writableLength getter lib/internal/streams/writable.js
// defines on Writable.prototype.
func (s *Socket) WritableLength() int { return s.writableLength }

// Writable reports whether the socket can still be written to
// (socket.writable): neither ended (End) nor destroyed, nor failed a
// write.
//
// Like the writable getter lib/internal/streams/writable.js defines on
// Writable.prototype.
func (s *Socket) Writable() bool { return !s.destroyed && !s.writableEnded && s.errored == nil }

// WritableEnded reports whether End was called (socket.writableEnded).
//
// Like the writableEnded getter lib/internal/streams/writable.js defines
// on Writable.prototype.
func (s *Socket) WritableEnded() bool { return s.writableEnded }

// WritableFinished reports whether "finish" has come
// (socket.writableFinished): it is true in the "finish" listeners.
//
// Like the writableFinished getter lib/internal/streams/writable.js
// defines on Writable.prototype.
func (s *Socket) WritableFinished() bool { return s.finished }

// WritableNeedDrain reports whether a Write answered false and "drain"
// has not come yet, on a socket neither ended nor destroyed
// (socket.writableNeedDrain).
//
// Like the writableNeedDrain getter lib/internal/streams/writable.js
// defines on Writable.prototype.
func (s *Socket) WritableNeedDrain() bool { return !s.destroyed && !s.writableEnded && s.needDrain }

// WritableHighWaterMark is how much may wait to be written before Write
// answers false (socket.writableHighWaterMark): 16384.
//
// Like the writableHighWaterMark getter lib/internal/streams/writable.js
// defines on Writable.prototype.
func (s *Socket) WritableHighWaterMark() int { return highWaterMark }

// Closed reports whether the socket was destroyed (socket.closed): a
// Socket's destroy completes at once, before its "close" event.
//
// Like the closed getter lib/internal/streams/writable.js defines on
// Writable.prototype.
func (s *Socket) Closed() bool { return s.destroyed }

// Errored is socket.errored: the error the socket was destroyed with, or
// the first of its writes that failed, or nil.
//
// DEVIATION(shape): JS's null is Go's nil.
//
// Like the errored getter lib/internal/streams/writable.js defines on
// Writable.prototype.
func (s *Socket) Errored() error { return s.errored }

// heldWrite is a write held by Cork or behind a write in flight: its
// bytes, its length as the Writable counts it (a string's UTF-16 length,
// WriteString) and its callback.
type heldWrite struct {
	n      int
	length int
	cb     func(error)
}

// clearBuffer writes what was held (by Cork, or behind a write in
// flight): a single write as it was, several as one write whose callback
// calls theirs in order (none when none of them had one). A destroyed
// socket leaves them to errorBuffer.
//
// Like lib/internal/streams/writable.js clearBuffer(), which makes
// several into one writev.
func (s *Socket) clearBuffer() {
	if s.destroyed || len(s.held) == 0 {
		return
	}
	data, writes := s.heldBuf, s.held
	s.heldBuf, s.held = nil, nil
	var cb func(error)
	length := 0
	for _, w := range writes {
		length += w.length
	}
	if len(writes) == 1 {
		cb = writes[0].cb
	} else {
		for _, w := range writes {
			if w.cb != nil {
				cb = func(err error) { callEach(writes, err) }
				break
			}
		}
	}
	connecting := s.connecting
	s.writeGeneric(data, length, cb)
	if !connecting && s.heldBuf == nil {
		// Written, or copied into the handle's queue: the buffer serves
		// again (a write kept for "connect" keeps it).
		s.heldBuf = data[:0]
	}
}

// callEach calls the callbacks of held writes, in order.
func callEach(writes []heldWrite, err error) {
	for _, w := range writes {
		if w.cb != nil {
			w.cb(err)
		}
	}
}

// errorBuffer, on the tick after Destroy, or once the write in flight
// then is done (afterWrite), fails the writes still held (by Cork, or
// behind that write): each callback gets the error the socket was
// destroyed with, or ERR_STREAM_DESTROYED, and their bytes no longer
// count.
//
// Mirrors lib/internal/streams/writable.js errorBuffer().
func (s *Socket) errorBuffer() {
	if s.writing > 0 {
		return // afterWrite calls it again once the write is done
	}
	writes := s.held
	s.heldBuf, s.held = nil, nil
	err := s.errored
	if err == nil {
		err = errStreamDestroyed
	}
	// The writes' bytes still count in BytesWritten while their callbacks
	// and End's run: Node's errorBuffer empties the buffer (which the
	// bytesWritten getter adds up) only after them (resetBuffer).
	unsent := 0
	for _, w := range writes {
		s.writableLength -= w.length
		unsent += w.n
		if w.cb != nil {
			w.cb(err)
		}
	}
	if len(s.onFinished) > 0 {
		endErr := s.errored
		if endErr == nil {
			endErr = errEndDestroyed
		}
		cbs := s.onFinished
		s.onFinished = nil
		for _, cb := range cbs {
			cb(endErr)
		}
	}
	s.BytesWritten -= unsent
}

// pendingWrite is a write made while the socket connects: its bytes,
// its length as the Writable counts it, and its callback.
type pendingWrite struct {
	data   []byte
	length int
	cb     func(error)
}

// writeGeneric writes to the handle, or keeps the write for "connect"
// while the socket connects.
//
// Mirrors lib/net.js Socket.prototype._writeGeneric().
func (s *Socket) writeGeneric(data []byte, length int, cb func(error)) {
	if s.connecting {
		if len(s.pending) == 0 {
			s.Once("connect", s.flushPending)
			s.pendingClose = s.Once("close", s.failPending)
		}
		s.pending = append(s.pending, pendingWrite{data, length, cb})
		s.writing++ // what Write gets meanwhile waits behind it
		return
	}
	s.writeHandle(data, length, cb, false)
}

// writeHandle writes to the handle. A write done at once has its
// callback (and "drain") on the next tick, or, with holdAfter, left to
// the caller: it reports whether it left it. length is what the write
// counts for in WritableLength (its bytes, or a string's UTF-16 length).
func (s *Socket) writeHandle(data []byte, length int, cb func(error), holdAfter bool) (held bool) {
	n := len(data)
	if s.destroyed { // by a "connect" listener, or an earlier write of the same flush
		s.writableLength -= length
		if cb != nil {
			uv.Default().NextTick(func() { cb(errSocketClosed) })
		}
		return false
	}
	if s.handle == nil {
		// Never connected: ERR_SOCKET_CLOSED, told on the next tick.
		s.writableLength -= length
		s.BytesWritten -= n
		s.onwriteError(errSocketClosed, cb, true)
		return false
	}
	s.unrefTimer()
	sync, err := s.handle.Write(data, -1, func(err error) {
		s.writableLength -= length
		s.writing--
		switch {
		case s.destroyed || err == nil:
			// One still queued when the socket was destroyed completes
			// without an error, as Node's onWriteComplete has it.
			if !s.destroyed {
				s.unrefTimer()
				s.lastWriteQueueSize = 0
				s.onWriteDone()
			}
			s.afterWrite(cb)
		default:
			s.BytesWritten -= n // not sent
			s.onwriteError(errnoException(err, "write"), cb, false)
		}
	})
	if err != nil {
		s.writableLength -= length
		s.BytesWritten -= n // not sent
		s.onwriteError(errnoException(err, "write"), cb, true)
		return false
	}
	if !sync {
		s.lastWriteQueueSize = n
		s.writing++
		return false
	}
	s.writableLength -= length
	if holdAfter {
		return true
	}
	if cb != nil || s.needDrain {
		uv.Default().NextTick(func() { s.afterWrite(cb) })
	}
	return false
}

// onwriteError fails a write: its error becomes the socket's (errored),
// so that what is written meanwhile waits, and Writable and Write's
// answer say false; then, on the next tick when the write failed at once
// (sync), the write's callback runs, the writes held behind it and End's
// callbacks get the error (errorBuffer), and the socket is destroyed with
// it.
//
// Like lib/internal/streams/writable.js onwrite() with an error, and
// onwriteError().
func (s *Socket) onwriteError(e error, cb func(error), sync bool) {
	if s.errored == nil {
		s.errored = e
	}
	fail := func() {
		if cb != nil {
			cb(e)
		}
		s.errorBuffer()
		s.Destroy(e)
	}
	if sync {
		uv.Default().NextTick(fail)
	} else {
		fail()
	}
}

// onWriteDone, when the handle's last write has completed, writes what
// was held behind it (before that write's callback and "drain", so that
// "drain" waits for them too), then lets End's shutdown follow.
//
// Like lib/internal/streams/writable.js onwrite(), which clears the
// buffer before afterWrite.
func (s *Socket) onWriteDone() {
	if s.writing > 0 || s.corked > 0 {
		return
	}
	s.clearBuffer()
	if s.finalPending && len(s.held) == 0 {
		s.finalPending = false
		s.final()
	}
}

// afterWrite emits "drain" when a write that returned false has gone
// with everything before it, then calls the write's callback; on a
// destroyed socket it then fails what was held behind it.
//
// Like lib/internal/streams/writable.js afterWrite.
func (s *Socket) afterWrite(cb func(error)) {
	if s.needDrain && s.writableLength == 0 && !s.destroyed && !s.writableEnded {
		s.needDrain = false
		s.Emit("drain")
	}
	if cb != nil {
		cb(nil)
	}
	if s.destroyed && len(s.held) > 0 {
		s.errorBuffer()
	}
}

// flushPending writes, once connected, what was written while the
// socket connected, as Node does: the first write, while the others wait
// behind it as in a Writable's buffer (before any Cork holds), to go
// together once it completes. When it was done at once, they go at once,
// then its callback runs, after "drain" if everything has gone, and
// theirs on the next tick.
func (s *Socket) flushPending() {
	list := s.pending
	s.pending = nil
	s.writing -= len(list)
	if s.pendingClose != nil {
		s.RemoveListener(s.pendingClose)
		s.pendingClose = nil
	}
	if len(list) == 0 {
		return
	}
	if s.destroyed { // by a "connect" listener: each write is told so
		for _, w := range list {
			s.writeHandle(w.data, w.length, w.cb, false)
		}
		return
	}
	if len(list) > 1 {
		var buf []byte
		held := make([]heldWrite, 0, len(list)-1+len(s.held))
		for _, w := range list[1:] {
			buf = append(buf, w.data...)
			held = append(held, heldWrite{len(w.data), w.length, w.cb})
		}
		s.heldBuf = append(buf, s.heldBuf...)
		s.held = append(held, s.held...)
	}
	if s.writeHandle(list[0].data, list[0].length, list[0].cb, true) {
		s.onWriteDone()
		s.afterWrite(list[0].cb)
	}
}

// failPending tells the writes made while the socket connected that it
// closed first: the first one that it closed before it connected, which
// becomes the socket's error unless Destroy gave one; the others, then
// those that waited behind them in the socket and End's callbacks
// (errorBuffer), get the socket's error. None of them counts in
// WritableLength any more.
//
// DEVIATION(fix): Node leaves the first write's "connect" listener on the
// socket; a socket connected again (socket.connect after its "close")
// then writes that stale write's bytes to the new connection and calls
// its callback a second time, which destroys the socket with
// ERR_MULTIPLE_CALLBACK ("Callback called multiple times"), thrown when
// nobody listens for "error" (node printed it). Here nothing of the old
// connection's writes reaches the new one.
// NODECLUSTER_REPRODUCE_V20=stale-connect-write does as v20 does.
//
// Like lib/net.js Socket.prototype._writeGeneric()'s onClose, then
// lib/internal/streams/writable.js onwriteError().
func (s *Socket) failPending() {
	list := s.pending
	s.pending, s.pendingClose = nil, nil
	s.writing -= len(list)
	if len(list) > 0 && s.errored == nil {
		s.errored = errSocketClosedBeforeConnection
	}
	if len(list) > 0 && ReproduceStaleConnectWrite {
		stale := list[0].data
		s.Once("connect", func() {
			s.handle.Write(stale, -1, nil)
			s.Destroy(errMultipleCallback)
		})
	}
	for i, w := range list {
		s.writableLength -= w.length
		switch {
		case w.cb == nil:
		case i == 0:
			w.cb(errSocketClosedBeforeConnection)
		default:
			w.cb(s.errored)
		}
	}
	if len(s.held) > 0 || len(s.onFinished) > 0 {
		s.errorBuffer()
	}
}

var (
	errWriteAfterEnd   = &Error{Code: "ERR_STREAM_WRITE_AFTER_END", Message: "write after end"}
	errStreamDestroyed = &Error{Code: "ERR_STREAM_DESTROYED", Message: "Cannot call write after a stream was destroyed"}
	errSocketClosed    = &Error{Code: "ERR_SOCKET_CLOSED", Message: "Socket is closed"}

	errSocketClosedBeforeConnection = &Error{Code: "ERR_SOCKET_CLOSED_BEFORE_CONNECTION", Message: "Socket closed before the connection was established"}

	errMultipleCallback = &Error{Code: "ERR_MULTIPLE_CALLBACK", Message: "Callback called multiple times"}
)

// ReproduceStaleConnectWrite, set by
// NODECLUSTER_REPRODUCE_V20=stale-connect-write, lets a socket connected
// again write what an earlier connection left unwritten and fail with
// ERR_MULTIPLE_CALLBACK, as in Node v20 (see failPending).
var ReproduceStaleConnectWrite = uv.Reproduce("stale-connect-write")

// writeAfterFin is a write to a socket that ended because its peer did
// (allowHalfOpen false): an EPIPE with a message that says so, for the
// callback, and the socket destroyed with it (already destroyed, it
// stays as it is).
//
// Mirrors lib/net.js writeAfterFIN().
func (s *Socket) writeAfterFin(cb func(error)) bool {
	er := &Error{Code: "EPIPE", Message: "This socket has been ended by the other party"}
	if cb != nil {
		uv.Default().NextTick(func() { cb(er) })
	}
	s.Destroy(er)
	return false
}

// End writes data (when not nil), then shuts the write side down; the
// socket closes once both sides are done. Data given to a socket already
// ended is a write after end.
//
// A socket that is connecting (or not connected yet) shuts down once it
// has connected and written what waited.
//
// cb, when given (Node's end(data, cb)), runs once the write side has
// finished, with nil, just before "finish"; with the socket's error, or
// ERR_STREAM_DESTROYED, when it is destroyed first (on the tick after);
// on the next tick with ERR_STREAM_ALREADY_FINISHED when it had finished
// already, or ERR_STREAM_DESTROYED when it was destroyed with an error,
// or the error of a write that failed (data's, say), after that write's
// own callback. As in Node, an End with cb on a socket
// destroyed without an error and not ended never calls cb.
//
// DEVIATION(shape): Node's end takes (data, encoding, cb) with each part
// optional; here data is bytes (nil for none) and cb the optional last
// argument ([Socket.EndString] takes a string and its encoding).
//
// Like lib/internal/streams/writable.js Writable.prototype.end(), which
// lib/net.js Socket.prototype.end calls.
func (s *Socket) End(data []byte, cb ...func(error)) *Socket {
	return s.end(data, len(data), cb)
}

// end is End with the length the data counts for in WritableLength (a
// string's UTF-16 length for EndString).
func (s *Socket) end(data []byte, length int, cb []func(error)) *Socket {
	var err error
	if len(data) > 0 {
		err = s.writeRefused() // what writeChunk tells a callback, for End's
		s.writeChunk(data, length, nil)
	}
	if s.corked > 0 {
		s.corked = 1
		s.Uncork()
	}
	switch {
	case err != nil:
	case s.errored == nil && !s.writableEnded:
		s.writableEnded = true
		if !s.destroyed {
			s.startEnding()
		}
	case s.finished:
		err = errEndAfterFinish
	case s.destroyed:
		err = errEndDestroyed
	}
	for _, f := range cb {
		switch {
		case f == nil:
		case err != nil || s.finished:
			uv.Default().NextTick(func() { f(err) })
		case s.errored != nil:
			// A failed write's error: told on the tick after that write's
			// own (onwriteError), once the socket is destroyed.
			errored := s.errored
			uv.Default().NextTick(func() { f(errored) })
		default:
			s.onFinished = append(s.onFinished, f)
		}
	}
	return s
}

// EndString is End with a string in an encoding, as
// socket.end(string, encoding, cb): the bytes WriteString would write,
// then the end. An encoding Node does not know panics with
// ERR_UNKNOWN_ENCODING, and the socket is not ended.
//
// Like lib/internal/streams/writable.js Writable.prototype.end() with a
// string chunk.
func (s *Socket) EndString(data string, encoding string, cb ...func(error)) *Socket {
	b, err := encodeString(data, encoding)
	if err != nil {
		panic(err)
	}
	return s.end(b, jsLength(data), cb)
}

var (
	errEndAfterFinish = &Error{Code: "ERR_STREAM_ALREADY_FINISHED", Message: "Cannot call end after a stream was finished"}
	errEndDestroyed   = &Error{Code: "ERR_STREAM_DESTROYED", Message: "Cannot call end after a stream was destroyed"}
)

// startEnding shuts the write side down now, or once the socket has
// connected.
func (s *Socket) startEnding() {
	if s.handle == nil || s.connecting {
		// After the writes that waited, which go first (their callbacks
		// come on the next tick, and Node's _final after them).
		s.Once("connect", func() { uv.Default().NextTick(s.final) })
		return
	}
	s.final()
}

// final shuts the write side down once what was written has gone, then
// emits "finish".
//
// Mirrors lib/net.js Socket.prototype._final().
func (s *Socket) final() {
	if s.destroyed || s.handle == nil {
		return
	}
	if len(s.held) > 0 {
		s.finalPending = true // once they are written (onWriteDone)
		return
	}
	s.handle.Shutdown(func(error) {
		if !s.destroyed {
			uv.Default().NextTick(s.finish)
		}
	})
}

// finish emits "finish" once the write side is shut down, and destroys
// the socket when its readable side has ended too (a Duplex's
// autoDestroy); until then it stays open for what the peer sends.
func (s *Socket) finish() {
	if s.destroyed {
		return // no "finish" once destroyed
	}
	s.finished = true
	if cbs := s.onFinished; len(cbs) > 0 {
		s.onFinished = nil
		for _, cb := range cbs {
			cb(nil)
		}
	}
	s.Emit("finish")
	if s.readableEnded {
		s.Destroy(nil)
	}
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
//
// DEVIATION(fix): a ResetAndDestroy while the write side is shutting down
// (End, then ResetAndDestroy) gets "reset EINVAL" from libuv; Node emits
// that error and leaves the handle open for good: no "close", and the
// process never exits. Here the error is emitted and the socket closes
// normally. NODECLUSTER_REPRODUCE_V20=reset-einval
// (ReproduceResetLeavesOpen) leaves it open, as Node does.
func (s *Socket) Destroy(err error) {
	if s.destroyed {
		return
	}
	wasConnecting := s.connecting
	if err != nil && s.errored == nil {
		s.errored = err
	}
	s.destroyed = true
	if len(s.held) > 0 || len(s.onFinished) > 0 {
		uv.Default().NextTick(s.errorBuffer)
	}
	s.connecting = false
	s.hadError = err != nil
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if err != nil {
		// "error" on the next tick, as a stream's destroy emits it;
		// "close" when the handle has closed.
		uv.Default().NextTick(func() {
			s.closeEmitted = true
			if s.ListenerCount("error") > 0 || ReproduceSocketErrorThrow {
				s.Emit("error", err)
			}
		})
	} else {
		uv.Default().NextTick(s.markCloseEmitted)
	}
	onClose := func() { s.Emit("close", s.hadError) }
	switch {
	case s.handle == nil && wasConnecting:
		// Still looking its host up: Node's socket has a handle (libuv
		// makes its descriptor later), and closes it: "close" in the
		// loop's close phase.
		uv.Default().QueueClose(onClose)
	case s.handle == nil:
		// Never connected: "close" with no argument, as Node's.
		uv.Default().NextTick(func() { s.Emit("close") })
	case s.resetAndClosing:
		s.resetAndClosing = false
		if rerr := s.handle.CloseReset(onClose); rerr != nil {
			if s.ListenerCount("error") > 0 || ReproduceSocketErrorThrow {
				s.Emit("error", errnoException(rerr, "reset"))
			}
			if !ReproduceResetLeavesOpen {
				s.handle.Close(onClose)
			}
		}
	default:
		s.handle.Close(onClose)
	}
	if srv := s.server; srv != nil {
		srv.connections--
		srv.emitCloseIfDrained()
	}
}

// markCloseEmitted is the tick Destroy queues when it has no error.
//
// Like lib/internal/streams/destroy.js emitCloseNT() for a socket, which
// leaves "close" to the handle's close.
func (s *Socket) markCloseEmitted() { s.closeEmitted = true }

// ReproduceSocketErrorThrow, when true, emits a socket's error even with
// no listener, which throws, as in Node v20.
var ReproduceSocketErrorThrow = uv.Reproduce("socket-error")

// ReproduceEmptyLookupThrow, when true, throws v20's TypeError from a
// lookup that answered no address (see lookupAndConnectMultiple).
var ReproduceEmptyLookupThrow = uv.Reproduce("empty-lookup")

// ReproduceResetLeavesOpen, when true, leaves a socket whose reset failed
// open, with no "close", as in Node v20.
var ReproduceResetLeavesOpen = uv.Reproduce("reset-einval")

// Pause stops "data": what arrives waits in the socket (it goes on
// reading until 16 KB wait, as a Node socket does).
func (s *Socket) Pause() *Socket {
	if s.flowing != -1 {
		s.flowing = -1
		s.Emit("pause")
	}
	s.paused = true
	return s
}

// IsPaused reports whether Pause was called and not undone by Resume, or
// the socket does not flow (readable.isPaused()).
//
// Mirrors lib/internal/streams/readable.js Readable.prototype.isPaused().
func (s *Socket) IsPaused() bool { return s.paused || s.flowing == -1 }

// ReadableFlowing is the socket's mode (socket.readableFlowing): nil
// (null) before anyone read, true while "data" flows, false once paused
// (Pause, or a "readable" listener).
//
// DEVIATION(shape): JS's true, false or null is a Go any holding a bool,
// or nil.
//
// Like the readableFlowing getter lib/internal/streams/readable.js
// defines on Readable.prototype.
func (s *Socket) ReadableFlowing() any {
	switch s.flowing {
	case 1:
		return true
	case -1:
		return false
	}
	return nil
}

// Resume makes "data" flow: first what waited, on the next tick, then
// what arrives.
func (s *Socket) Resume() *Socket {
	if s.destroyed || s.readableEnded {
		return s
	}
	if s.readableListening {
		// "readable" keeps it paused; Node's resume still asks for a read
		// on the next tick, and flows then if "readable" has gone.
		s.paused = false
		if s.flowing != 1 {
			s.flowing = -1
			if !s.resumeScheduled {
				s.resumeScheduled = true
				uv.Default().NextTick(s.resumeReadable)
			}
		}
		return s
	}
	s.paused = false
	if s.flowing != 1 && !s.resumeScheduled {
		// "resume" on the next tick (Node's resume_), before the data.
		s.resumeScheduled = true
		uv.Default().NextTick(s.emitResume)
	}
	s.flowing = 1
	if s.handle == nil || s.connecting {
		// It reads once connected, even if paused again meanwhile (Node's
		// resume asks for a read that waits for "connect").
		s.readOnConnect = true
		return s
	}
	if !s.endPending {
		s.startReading()
	}
	if (len(s.buffered) > 0 || s.endPending) && !s.flushQueued {
		s.flushQueued = true
		uv.Default().NextTick(s.flush)
	}
	return s
}

// emitResume is Resume's tick for a socket that flows: "resume", then
// (in a tick Resume queued after this one) what waited.
func (s *Socket) emitResume() {
	s.resumeScheduled = false
	s.Emit("resume")
}

// resumeReadable is Resume's tick for a socket a "readable" listener
// held paused: it asks for a read unless one is under way, and lets the
// data flow if the socket flows by now (its last "readable" listener was
// removed before the Resume).
//
// Mirrors lib/internal/streams/readable.js resume_().
func (s *Socket) resumeReadable() {
	if !s.reading {
		s.Read(0)
	}
	s.resumeScheduled = false
	s.Emit("resume")
	s.flow()
	if s.flowing == 1 && !s.reading {
		s.Read(0)
	}
}

// Read takes what waits to be read (socket.read(n)), in paused mode: with
// no argument everything that waits (in flowing mode the first chunk);
// with n, n bytes (n UTF-16 units of a string with an encoding set), or
// nil (JS's null) when fewer wait, unless the peer has ended: then what is
// left. What it returns is also emitted as "data". Read(0) reads nothing:
// it starts the handle reading when less than the high-water mark waits,
// or owes a "readable" when that much does. Once the peer has ended and
// nothing is left, Read returns nil and "end" comes on the next tick (the
// Read that takes the last bytes schedules it too). An n above 16 KB
// raises the high-water mark to the next power of two.
//
// DEVIATION(shape): JS's optional argument is Go's optional n; the chunk
// is an any holding []byte, or a string once SetEncoding set an encoding,
// or nil for null. The bytes a partial Read takes share memory with the
// rest, as Node's slice does.
//
// Mirrors lib/internal/streams/readable.js Readable.prototype.read().
func (s *Socket) Read(n ...int) any {
	all := len(n) == 0 // read(): NaN
	size := 0
	if !all {
		size = n[0]
	}
	nOrig := size
	if size > s.readableHighWaterMark() {
		s.hwm = computeNewHighWaterMark(size)
	}
	hwm := s.readableHighWaterMark()
	ended := s.endPending || s.readableEnded
	if all || size != 0 {
		s.emittedReadable = false
	}
	if !all && size == 0 && s.needReadable && (s.bufferedLen >= hwm || ended) {
		if s.bufferedLen == 0 && ended {
			s.endReadable()
		} else {
			s.emitReadable()
		}
		return nil
	}
	size = s.howMuchToRead(size, all)
	if size == 0 && ended {
		if s.bufferedLen == 0 {
			s.endReadable()
		}
		return nil
	}
	doRead := s.needReadable
	if s.bufferedLen == 0 || s.bufferedLen-size < hwm {
		doRead = true
	}
	if doRead && !s.reading && !ended && !s.destroyed {
		if s.bufferedLen == 0 {
			s.needReadable = true
		}
		s.read_()
	}
	var ret any
	if size > 0 {
		ret = s.fromList(size)
	}
	if ret == nil {
		if s.bufferedLen <= hwm {
			s.needReadable = true
		}
		size = 0
	} else {
		s.clearAwaitDrain()
	}
	if s.bufferedLen == 0 {
		if !ended {
			s.needReadable = true
		}
		if (all || nOrig != size) && ended {
			s.endReadable()
		}
	}
	if ret != nil && !s.closeEmitted {
		s.Emit("data", ret)
	}
	return ret
}

// read_ makes the handle read (once connected, when it connects).
//
// Mirrors lib/net.js Socket.prototype._read().
func (s *Socket) read_() {
	if s.handle == nil || s.connecting {
		s.readOnConnect = true
		return
	}
	s.startReading()
}

// ReadableHighWaterMark is how much may wait to be read before the
// socket stops reading (socket.readableHighWaterMark): 16384, or the
// power of two a larger Read raised it to.
//
// Like the readableHighWaterMark getter lib/internal/streams/readable.js
// defines on Readable.prototype.
func (s *Socket) ReadableHighWaterMark() int { return s.readableHighWaterMark() }

// readableHighWaterMark is how much may wait to be read before the socket
// stops reading: 16 KB, or what a larger Read raised it to.
func (s *Socket) readableHighWaterMark() int {
	if s.hwm > 0 {
		return s.hwm
	}
	return highWaterMark
}

// computeNewHighWaterMark is the power of two at or above n (up to 1 GiB),
// the high-water mark a Read of n raises the socket's to.
//
// Mirrors lib/internal/streams/readable.js computeNewHighWaterMark().
func computeNewHighWaterMark(n int) int {
	const maxHWM = 0x40000000
	if n >= maxHWM {
		return maxHWM
	}
	n--
	for shift := 1; shift <= 16; shift <<= 1 {
		n |= n >> shift
	}
	return n + 1
}

// howMuchToRead is how much a Read of n (all: no argument) takes: 0 for
// nothing; all that waits, or the first chunk while flowing; n when that
// much waits; otherwise what is left once the peer has ended, else 0.
//
// Mirrors lib/internal/streams/readable.js howMuchToRead().
func (s *Socket) howMuchToRead(n int, all bool) int {
	ended := s.endPending || s.readableEnded
	if (!all && n <= 0) || (s.bufferedLen == 0 && ended) {
		return 0
	}
	if all {
		if s.flowing == 1 && s.bufferedLen > 0 {
			return chunkLength(s.buffered[0])
		}
		return s.bufferedLen
	}
	if n <= s.bufferedLen {
		return n
	}
	if ended {
		return s.bufferedLen
	}
	return 0
}

// fromList takes n (bytes, or UTF-16 units of strings) from the front of
// what waits: one chunk as it is, part of one, or several joined (strings
// when an encoding is set, bytes taken whole decoded as UTF-8).
//
// Mirrors lib/internal/streams/readable.js fromList().
func (s *Socket) fromList(n int) any {
	if s.bufferedLen == 0 {
		return nil
	}
	first := s.buffered[0]
	var ret any
	switch l := chunkLength(first); {
	case n >= s.bufferedLen:
		switch {
		case s.decoder != nil:
			var out []byte
			for _, c := range s.buffered {
				if b, ok := c.([]byte); ok {
					c = decodeUTF8(b)
				}
				out = appendJS(out, c.(string))
			}
			ret = string(out)
		case len(s.buffered) == 1:
			ret = first
		default:
			out := make([]byte, 0, s.bufferedLen)
			for _, c := range s.buffered {
				out = append(out, c.([]byte)...)
			}
			ret = out
		}
		clear(s.buffered)
		s.buffered = s.buffered[:0]
	case n < l:
		switch c := first.(type) {
		case []byte:
			ret, s.buffered[0] = c[:n:n], c[n:]
		case string:
			ret, s.buffered[0] = jsSlice(c, n)
		}
	case n == l:
		ret = first
		s.buffered[0] = nil
		s.buffered = s.buffered[1:]
	case s.decoder != nil:
		var out []byte
		for left := n; left > 0; {
			c := s.buffered[0]
			str, ok := c.(string)
			if !ok {
				str = decodeUTF8(c.([]byte))
			}
			if l := chunkLength(c); left < l {
				head, rest := jsSlice(str, left)
				out = appendJS(out, head)
				s.buffered[0] = rest
				break
			}
			out = appendJS(out, str)
			left -= chunkLength(c)
			s.buffered[0] = nil
			s.buffered = s.buffered[1:]
		}
		ret = string(out)
	default:
		out := make([]byte, 0, n)
		for left := n; left > 0; {
			c := s.buffered[0].([]byte)
			if left < len(c) {
				out = append(out, c[:left]...)
				s.buffered[0] = c[left:]
				break
			}
			out = append(out, c...)
			left -= len(c)
			s.buffered[0] = nil
			s.buffered = s.buffered[1:]
		}
		ret = out
	}
	s.bufferedLen -= n
	return ret
}

// onEofChunkPaused is the peer's end for a socket in paused mode: what
// the decoder holds joins what waits, and "readable" is emitted at once
// (the end is news even with nothing to read).
//
// Mirrors lib/internal/streams/readable.js onEofChunk().
func (s *Socket) onEofChunkPaused() {
	if s.endPending || s.readableEnded {
		return
	}
	if s.decoder != nil {
		if rest := s.decoder.End(); rest != "" {
			s.buffered = append(s.buffered, rest)
			s.bufferedLen += jsLength(rest)
		}
	}
	s.endPending = true
	s.needReadable = false
	s.emittedReadable = true
	s.emitReadable_()
}

// emitReadable owes a "readable", emitted on the next tick (once, however
// many are owed before it).
//
// Mirrors lib/internal/streams/readable.js emitReadable().
func (s *Socket) emitReadable() {
	s.needReadable = false
	if !s.emittedReadable {
		s.emittedReadable = true
		uv.Default().NextTick(s.emitReadable_)
	}
}

// emitReadable_ emits "readable" when something waits or the peer has
// ended, owes the next one unless the socket flows, and lets a flowing
// socket's data out.
//
// Mirrors lib/internal/streams/readable.js emitReadable_().
func (s *Socket) emitReadable_() {
	ended := s.endPending || s.readableEnded
	if !s.destroyed && (s.bufferedLen > 0 || ended) {
		s.Emit("readable")
		s.emittedReadable = false
	}
	if s.flowing != 1 && !ended && s.bufferedLen <= s.readableHighWaterMark() {
		s.needReadable = true
	}
	s.flow()
}

// flow reads while the socket flows and something comes out.
//
// Mirrors lib/internal/streams/readable.js flow().
func (s *Socket) flow() {
	for s.flowing == 1 && s.Read() != nil {
	}
}

// endReadable emits "end" on the next tick, if nothing waits then.
//
// Mirrors lib/internal/streams/readable.js endReadable().
func (s *Socket) endReadable() {
	if !s.readableEnded {
		s.endPending = true
		uv.Default().NextTick(s.endReadableNT)
	}
}

// endReadableNT emits "end" (through emitEnd) unless the
// socket was destroyed with an error or its Destroy's tick has run, "end"
// came already or data waits again.
//
// Mirrors lib/internal/streams/readable.js endReadableNT().
func (s *Socket) endReadableNT() {
	if !s.hadError && !s.closeEmitted && !s.readableEnded && s.bufferedLen == 0 && len(s.buffered) == 0 {
		s.endPending = false
		s.emitEnd()
	}
}

// SetEncoding makes "data" carry strings, decoded from what is read in
// enc as Node's StringDecoder does (see [StringDecoder]): "utf8" (also
// "utf-8" and ""), "utf16le" ("ucs2"), "latin1" ("binary"), "ascii",
// "hex", "base64" or "base64url", in any case. A character cut between
// two reads waits for the rest; a read that decodes to nothing emits no
// "data"; at the end of the stream what the decoder still holds comes as
// a last "data" before "end". What waits to be read (a paused socket) is
// decoded at once, into one string, as Node does; a second SetEncoding
// decodes what comes next with the new encoding and leaves the strings
// waiting as they are. An unknown encoding panics with Node's
// ERR_UNKNOWN_ENCODING ("Unknown encoding: x"), as Node throws.
//
// "data" listeners of a socket with an encoding take a string (or any):
// one taking []byte panics when called.
//
// Mirrors lib/internal/streams/readable.js Readable.prototype.setEncoding().
func (s *Socket) SetEncoding(enc string) *Socket {
	d, err := NewStringDecoder(enc)
	if err != nil {
		panic(err)
	}
	s.decoder = d
	var content []byte
	for _, c := range s.buffered {
		switch c := c.(type) {
		case []byte:
			content = appendJS(content, d.Write(c))
		case string: // a decoder's write gives a string back as it is
			content = appendJS(content, c)
		}
	}
	clear(s.buffered)
	s.buffered = s.buffered[:0]
	s.bufferedLen = 0
	if len(content) > 0 {
		str := string(content)
		s.buffered = append(s.buffered, str)
		s.bufferedLen = jsLength(str)
	}
	return s
}

// ReadableEncoding is the encoding SetEncoding set, by its normalised
// name ("utf8", "hex", ...), or "" (null) when none was.
//
// Like the readableEncoding getter lib/internal/streams/readable.js
// defines on Readable.prototype.
func (s *Socket) ReadableEncoding() string {
	if s.decoder == nil {
		return ""
	}
	return s.decoder.Encoding()
}

// ReadableLength is how much waits to be read: bytes, or, with an
// encoding set, the JS length of the strings (socket.readableLength).
//
// Like the readableLength getter lib/internal/streams/readable.js
// defines on Readable.prototype.
func (s *Socket) ReadableLength() int { return s.bufferedLen }

// Readable reports whether the socket can still be read from
// (socket.readable): "end" has not come and it is not destroyed.
//
// Like the readable getter lib/internal/streams/readable.js defines on
// Readable.prototype.
func (s *Socket) Readable() bool { return !s.destroyed && !s.readableEnded }

// ReadableEnded reports whether "end" has been emitted
// (socket.readableEnded): it is true in the "end" listeners.
//
// Like the readableEnded getter lib/internal/streams/readable.js defines
// on Readable.prototype.
func (s *Socket) ReadableEnded() bool { return s.readableEnded }

// pushDecoded decodes a read with SetEncoding's decoder and emits the
// string (or keeps it while the socket is paused or others wait); one
// that decodes to nothing, the start of a character, is no "data".
//
// Like lib/internal/streams/readable.js readableAddChunkPushByteMode()
// with a decoder.
func (s *Socket) pushDecoded(data []byte) {
	if str := s.decoder.Write(data); str != "" {
		s.addString(str)
	}
}

// addString adds a decoded string, counted in JS's units (UTF-16).
func (s *Socket) addString(str string) { s.addChunk(str, jsLength(str)) }

// addChunk emits what was read ([]byte, or a decoded string) as "data"
// when the socket flows and nothing waits before it; otherwise it keeps
// it, counted as n toward the high-water mark, owes a "readable" when one
// is wanted, and stops reading once the mark is reached.
//
// Like lib/internal/streams/readable.js addChunk().
func (s *Socket) addChunk(chunk any, n int) {
	if s.flowing == 1 && len(s.buffered) == 0 {
		s.clearAwaitDrain()
		s.Emit("data", chunk)
		return
	}
	s.buffered = append(s.buffered, chunk)
	s.bufferedLen += n
	if s.needReadable {
		s.emitReadable()
	}
	s.stopAtHighWaterMark()
}

// onEofChunk, at the end of the stream, adds what SetEncoding's decoder
// still holds as a last chunk, before "end".
//
// Like lib/internal/streams/readable.js onEofChunk() with a decoder.
func (s *Socket) onEofChunk() {
	if rest := s.decoder.End(); rest != "" {
		s.addString(rest)
	}
}

// Unshift puts chunk back in front of what waits to be read, as if it
// had not been read yet: it comes first in "data", as bytes even with an
// encoding set (decoded as UTF-8 when it is all that waits, as Node
// gives it). On a socket that flows with nothing waiting it is emitted
// at once, as Node's is (from a "data" listener, Pause first); in paused
// mode it brings a "readable", as data read does. It
// reports whether more may be read (Node's answer): false once the peer
// has ended or 16 KB wait. After "end" it is
// ERR_STREAM_UNSHIFT_AFTER_END_EVENT, which destroys the socket; a
// destroyed socket ignores it. An empty chunk does nothing.
//
// DEVIATION(shape): Node's unshift also takes a string and its encoding;
// this one takes bytes. The chunk is copied.
//
// Mirrors lib/internal/streams/readable.js Readable.prototype.unshift().
func (s *Socket) Unshift(chunk []byte) bool {
	if len(chunk) == 0 {
		return s.canPushMore()
	}
	if s.readableEnded {
		if !s.destroyed {
			s.Destroy(errUnshiftAfterEnd)
		}
		return s.canPushMore()
	}
	if s.destroyed {
		return false
	}
	buf := append([]byte(nil), chunk...)
	if s.flowing == 1 && len(s.buffered) == 0 {
		s.clearAwaitDrain()
		s.Emit("data", buf)
	} else {
		s.buffered = slices.Insert(s.buffered, 0, any(buf))
		s.bufferedLen += len(buf)
		if s.needReadable {
			s.emitReadable()
		}
	}
	return s.canPushMore()
}

var errUnshiftAfterEnd = &Error{Code: "ERR_STREAM_UNSHIFT_AFTER_END_EVENT", Message: "stream.unshift() after end event"}

// canPushMore reports whether the socket may read more: the peer has not
// ended, and less than 16 KB wait (or nothing).
//
// Mirrors lib/internal/streams/readable.js canPushMore().
func (s *Socket) canPushMore() bool {
	return !s.endPending && !s.readableEnded && (s.bufferedLen < s.readableHighWaterMark() || s.bufferedLen == 0)
}

// chunkLength is what a chunk waiting to be read counts for (state.length):
// bytes, or a string's JS length.
func chunkLength(c any) int {
	if b, ok := c.([]byte); ok {
		return len(b)
	}
	return jsLength(c.(string))
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
func (s *Socket) Pending() bool { return s.handle == nil || s.destroyed || s.connecting }

// Connecting reports whether a Connect has started and not yet finished
// (socket.connecting).
func (s *Socket) Connecting() bool { return s.connecting }

// ReadyState is "open" while both sides are open, "readOnly" once this
// side has ended its writes, "writeOnly" once the peer has ended (a
// half-open socket), and "closed" (socket.readyState).
//
// Like the readyState getter lib/net.js defines on Socket.prototype.
func (s *Socket) ReadyState() string {
	if s.connecting {
		return "opening"
	}
	readable, writable := s.Readable(), s.Writable()
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
	if (s.handle == nil && !s.connecting) || s.destroyed {
		return 0
	}
	return s.writableLength
}

// ResetAndDestroy closes a TCP socket with a reset (RST) instead of an
// orderly end: what waits to be written is dropped, and the peer reads
// ECONNRESET. On a Unix socket it panics with ERR_INVALID_HANDLE_TYPE, as
// Node throws.
//
// Mirrors lib/net.js Socket.prototype.resetAndDestroy().
func (s *Socket) ResetAndDestroy() *Socket {
	if s.destroyed {
		return s // Node destroys with ERR_SOCKET_CLOSED: a destroyed socket ignores it
	}
	if s.handle == nil && !s.connecting {
		s.Destroy(errSocketClosed) // never connected
		return s
	}
	if s.handle != nil && s.handle.Kind != uv.KindTCP {
		panic(&Error{Code: "ERR_INVALID_HANDLE_TYPE", Message: "This handle type cannot be sent"})
	}
	if s.connecting {
		s.Once("connect", s.reset) // once connected
		return s
	}
	s.reset()
	return s
}

// reset destroys the socket with a reset.
//
// Mirrors lib/net.js Socket.prototype._reset().
func (s *Socket) reset() {
	s.resetAndClosing = true
	s.Destroy(nil)
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
	if s.handle == nil || s.connecting {
		s.Once("connect", s.Ref)
		return s
	}
	s.handle.Ref()
	return s
}

// Unref lets the process exit while the socket is open.
//
// Mirrors lib/net.js Socket.prototype.unref().
func (s *Socket) Unref() *Socket {
	if s.handle == nil || s.connecting {
		s.Once("connect", s.Unref)
		return s
	}
	s.handle.Unref()
	return s
}

// Destroyed reports whether the socket is closed or closing.
func (s *Socket) Destroyed() bool { return s.destroyed }

// Address is the local address.
//
// DEVIATION(shape): Node's socket.address() is {} when there is none (a
// Unix socket, a closed socket); Address is nil then.
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

// getpeername is the peer's address, read once and kept, so that it is
// still known after the socket is destroyed, as Node keeps _peername
// (not while connecting: nothing is kept then).
//
// Mirrors lib/net.js Socket.prototype._getpeername().
func (s *Socket) getpeername() *uv.Sockname {
	if s.peername != nil || s.handle == nil || s.destroyed || s.connecting {
		return s.peername
	}
	sn, err := s.handle.Getpeername()
	if err != nil {
		return nil
	}
	s.peername = &sn
	return s.peername
}

// RemoteAddress is the peer's address ("" when unknown).
func (s *Socket) RemoteAddress() string {
	if p := s.getpeername(); p != nil {
		return p.Address
	}
	return ""
}

// RemotePort is the peer's port (0 when unknown).
func (s *Socket) RemotePort() int {
	if p := s.getpeername(); p != nil {
		return p.Port
	}
	return 0
}

// RemoteFamily is "IPv4" or "IPv6" ("" when unknown).
func (s *Socket) RemoteFamily() string {
	if p := s.getpeername(); p != nil {
		return p.Family
	}
	return ""
}

// Handle is the socket's libuv stream (socket._handle): nil once the
// socket is destroyed, as Node's destroy lets its handle go at once (the
// port keeps it inside until it has closed).
func (s *Socket) Handle() *uv.Stream {
	if s.destroyed {
		return nil
	}
	return s.handle
}

// --- the client side: connect ------------------------------------------

// SocketOptions are new net.Socket's options: for a socket that will
// connect, or (Fd) one over a descriptor the process has already.
type SocketOptions struct {
	// Fd, when > 0, is an open descriptor to wrap (new net.Socket({fd})):
	// a connected TCP socket, or a Unix socket or FIFO (a pipe). Node
	// takes fd 0 too; here Go's zero value means none, and a negative
	// one is ERR_OUT_OF_RANGE, as Node's.
	Fd                    int
	AllowHalfOpen         bool
	NoDelay               bool
	KeepAlive             bool
	KeepAliveInitialDelay time.Duration
	// Signal destroys the socket with an AbortError once it is done
	// (Node's AbortSignal: done is aborted); a signal done already destroys
	// it at once, which a connect then undoes, as in Node v20 (the socket
	// emits "error" and "close", then connects).
	//
	// DEVIATION(shape): Node takes an AbortSignal; Go's cancellation is a
	// context.Context, whose Done is the abort.
	Signal context.Context
}

// NewSocket makes a socket that is not connected (new net.Socket()):
// Connect connects it. Until then it is pending; writes and End wait for
// "connect".
//
// With Fd, the socket is the descriptor's, and reads from it at once (what
// arrives waits until read, as in any socket); a descriptor that is not a
// TCP socket or a pipe panics with ERR_INVALID_FD_TYPE ("Unsupported fd
// type: FILE"), and one a handle of the loop already uses with "open
// EEXIST", as Node throws.
//
// Mirrors lib/net.js Socket().
func NewSocket(opts SocketOptions) *Socket {
	s := &Socket{allowHalfOpen: opts.AllowHalfOpen, noDelay: opts.NoDelay,
		keepAlive: opts.KeepAlive, keepAliveDelay: keepAliveSeconds(opts.KeepAliveInitialDelay)}
	s.SetClassName("Socket")
	s.Hook(s.onNewListener, s.onRemoveListener)
	s.On("end", s.onReadableStreamEnd)
	if opts.Signal != nil {
		addAbortSignalNoValidate(opts.Signal, s) // the Duplex constructor's
	}
	if opts.Fd < 0 {
		panic(&Error{Code: "ERR_OUT_OF_RANGE", Message: `The value of "fd" is out of range. It must be >= 0 && <= 2147483647. Received ` + strconv.Itoa(opts.Fd)})
	}
	if opts.Fd > 0 {
		h, err := createHandle(opts.Fd)
		if err != nil {
			panic(err)
		}
		s.setHandle(h)
		s.startReading() // Node's read(0)
	}
	if opts.Signal != nil {
		addClientAbortSignalOption(s, opts.Signal)
	}
	return s
}

// addAbortSignalNoValidate destroys the socket with an AbortError when
// signal is done: at once when it is done already, else when it becomes
// done (from the context's goroutine, through the loop), until the socket
// emits "close".
//
// DEVIATION(goroutine): an AbortSignal calls its listeners within
// abort(); a context is done on any goroutine, which hands the destroy to
// the loop. A socket whose signal is done by code on the loop checks it
// before it connects and before it emits "connect" and "ready"
// (checkAbort), where Node's would be destroyed already.
//
// Like lib/internal/streams/add-abort-signal.js addAbortSignalNoValidate().
func addAbortSignalNoValidate(signal context.Context, s *Socket) {
	if signal.Err() != nil {
		s.Destroy(abortError(signal))
		return
	}
	a := newAbortListener(signal, "streams.addAbortSignal onAbort", func() {
		s.aborted = true
		s.Destroy(abortError(signal))
	})
	s.abort = a
	s.Once("close", a.dispose) // a disposed listener's check does nothing
}

// checkAbort destroys the socket now if its signal is done and the
// destroy has not come yet (see addAbortSignalNoValidate).
func (s *Socket) checkAbort() { s.abort.check() }

// addClientAbortSignalOption marks the socket aborted (_aborted, which
// stops the attempts of an autoSelectFamily connect) once the signal is
// done: on the next tick when it is done already. A signal that becomes
// done later also destroys the socket (addAbortSignalNoValidate), which
// sets the mark then.
//
// Mirrors lib/net.js addClientAbortSignalOption().
func addClientAbortSignalOption(s *Socket, signal context.Context) {
	if signal.Err() != nil {
		uv.Default().NextTick(func() { s.aborted = true })
	}
}

// abortError is Node's AbortError for signal: its cause the signal's
// reason (context.Cause).
func abortError(signal context.Context) *AbortError {
	return &AbortError{Cause: context.Cause(signal)}
}

// createHandle wraps fd in a stream of its kind: a pipe for a Unix
// socket or FIFO, TCP for a TCP socket, else ERR_INVALID_FD_TYPE.
//
// Mirrors lib/net.js createHandle().
func createHandle(fd int) (*uv.Stream, error) {
	var kind uv.Kind
	switch t := uv.GuessHandle(fd); t {
	case "PIPE":
		kind = uv.KindPipe
	case "TCP":
		kind = uv.KindTCP
	default:
		return nil, &Error{Code: "ERR_INVALID_FD_TYPE", Message: "Unsupported fd type: " + t}
	}
	if uv.Default().FdExists(fd) {
		// A handle of this loop uses it already: uv_tcp_open and
		// uv_pipe_open refuse it.
		return nil, errnoException(unix.EEXIST, "open")
	}
	h, err := uv.NewStream(uv.Default(), kind, fd, false)
	if err != nil {
		return nil, errnoException(err, "open")
	}
	return h, nil
}

// ConnectOptions are connect's options object. Port is any, as in
// ListenOptions: a number or a numeric string (nil when absent).
type ConnectOptions struct {
	Port any
	// Host is the name or address to connect to ("localhost" when empty).
	Host string
	// Path connects to a Unix socket instead.
	Path         string
	LocalAddress string
	LocalPort    int
	// Family is 4 or 6 to look the host up in one family only; 0 for both.
	Family int
	// Lookup replaces dns.lookup; cb must be called on the loop.
	Lookup func(hostname string, opts LookupOptions, cb func(err error, addresses []LookupAddress))
	// AutoSelectFamily, when a bool, says whether to try every address
	// the host has (nil: GetDefaultAutoSelectFamily, true in Node v20);
	// AutoSelectFamilyAttemptTimeout is how long each attempt gets before
	// the next starts (0: the default, 250 ms; at least 10 ms).
	AutoSelectFamily               any
	AutoSelectFamilyAttemptTimeout time.Duration
	// Timeout, when not 0, is the socket's SetTimeout.
	Timeout               time.Duration
	AllowHalfOpen         bool
	NoDelay               bool
	KeepAlive             bool
	KeepAliveInitialDelay time.Duration
	// Signal is the new socket's Signal (SocketOptions.Signal), for
	// Connect; Socket.Connect ignores it, as Node's socket.connect does (a
	// signal is an option of the Socket constructor).
	Signal context.Context
}

// normalizeConnectArgs sorts connect's arguments into options and a
// callback, as normalizeArgs does for listen and connect alike.
func normalizeConnectArgs(args []any) (*ConnectOptions, func(), error) {
	options := &ConnectOptions{}
	if len(args) > 0 {
		switch a := args[0].(type) {
		case ConnectOptions:
			*options = a
		case *ConnectOptions:
			if a != nil {
				*options = *a
			}
		case AddressInfo:
			// What Server.Address gives, as Node's net.connect(server.address()):
			// its port and family; its address is no host (Node reads host,
			// not address), so the host is localhost.
			options.Port, options.Family = a.Port, a.familyNumber()
		case *AddressInfo:
			if a != nil {
				options.Port, options.Family = a.Port, a.familyNumber()
			}
		default:
			// Any other object (a map, a slice, a struct) is an options
			// object, as in Node, one with neither port nor path.
			if !isObjectLike(a) {
				lo, _, _, _ := normalizeArgs(args)
				options.Port, options.Host, options.Path = lo.Port, lo.Host, lo.Path
			}
		}
	}
	if options.Port == childprocess.Undefined {
		options.Port = nil // {port: undefined} gives no port
	}
	var cb func()
	if len(args) > 0 {
		switch f := args[len(args)-1].(type) {
		case func():
			cb = f
		case func(error):
			cb = func() { f(nil) }
		}
	}
	return options, cb, nil
}

// internalConnect binds the local end when asked, then starts connecting
// the socket's handle to address (a Unix socket when addressType is 0);
// afterConnect takes the result. A connect refused at once destroys the
// socket with Node's error.
//
// Mirrors lib/net.js internalConnect().
func (s *Socket) internalConnect(address string, port, addressType int, localAddress string, localPort int) {
	if s.checkAbort(); !s.connecting {
		return // destroyed by its signal, as Node's would be already
	}
	if (addressType == 4 || addressType == 6) && s.handle == nil {
		// The socket a connect uses is made for the address's family; a
		// socket that has one (connected, or connecting) keeps it, and the
		// system says what a second connect on it is (EALREADY, EISCONN).
		if err := s.newTCPHandle(addressType); err != nil {
			s.Destroy(exceptionWithHostPort(uvErrno(err), "connect", address, port))
			return
		}
	}
	if localAddress != "" || localPort != 0 {
		// Node does not check localPort: libuv's htons keeps its low 16
		// bits (-5 binds 65531), and checkBindError then finds a port
		// above 65535 taken.
		var err error
		if addressType == 4 {
			localAddress = cmpOr(localAddress, defaultIPv4Addr)
			err = s.handle.Bind(localAddress, int(uint16(localPort)))
		} else {
			localAddress = cmpOr(localAddress, defaultIPv6Addr)
			err = s.handle.Bind6(localAddress, int(uint16(localPort)), 0)
		}
		errno := 0
		if err != nil {
			errno = uvErrno(err)
		}
		if errno = checkBindError(errno, localPort, s.handle); errno != 0 {
			s.Destroy(exceptionWithHostPort(errno, "bind", localAddress, localPort))
			return
		}
	}
	s.Emit("connectionAttempt", address, portOrUndefined(port, addressType), familyOrUndefined(addressType))
	req := &connectReq{address: address, port: port, addressType: addressType, localAddress: localAddress, localPort: localPort}
	var err error
	switch addressType {
	case 4:
		err = s.handle.Connect(address, port, func(err error) { s.afterConnect(err, req) })
	case 6:
		err = s.handle.Connect6(address, port, func(err error) { s.afterConnect(err, req) })
	default:
		err = s.handle.ConnectPipe(address, func(err error) { s.afterConnect(err, req) })
	}
	if err != nil {
		details := s.socknameDetails()
		if (addressType == 4 || addressType == 6) && localAddress == "" && localPort == 0 && IsIP(address) != addressType {
			// An address of the other family: libuv refuses it before it
			// makes the socket, so Node's handle has none to ask, and its
			// sockname is {} (the port's socket is made beforehand).
			details = "undefined:undefined"
		}
		s.Destroy(exceptionWithHostPort(uvErrno(err), "connect", address, portOrUndefined(port, addressType), details))
	}
}

// connectReq is what a TCPConnectWrap or PipeConnectWrap carries for
// afterConnect: where it connects, and from where.
type connectReq struct {
	address      string
	port         int
	addressType  int
	localAddress string
	localPort    int
	abandoned    bool // its attempt timed out (oncomplete = undefined)
}

// newTCPHandle gives the socket a fresh TCP handle of addressType's
// family, closing the one it had (kReinitializeHandle): libuv makes the
// socket when it binds or connects, so does the port.
func (s *Socket) newTCPHandle(addressType int) error {
	family := unix.AF_INET
	if addressType == 6 {
		family = unix.AF_INET6
	}
	h, err := uv.NewTCP(uv.Default(), family)
	if err != nil {
		return err
	}
	if s.handle != nil {
		s.handle.Close(nil)
	}
	s.setHandle(h)
	return nil
}

// setHandle makes h the socket's handle (initSocketHandle).
func (s *Socket) setHandle(h *uv.Stream) {
	s.handle = h
	h.OnRead = s.onread
	h.SetOwner(s)
}

// socknameDetails is "address:port" of the socket's own end, for a
// connect error's message, or "" when it has none.
func (s *Socket) socknameDetails() string {
	if s.handle == nil || s.handle.Kind != uv.KindTCP {
		return ""
	}
	sn, err := s.handle.Getsockname()
	if err != nil {
		return ""
	}
	return sn.Address + ":" + strconv.Itoa(sn.Port)
}

func portOrUndefined(port, addressType int) any {
	if addressType == 0 {
		return nil // a Unix socket has no port: undefined in Node
	}
	return port
}

func familyOrUndefined(addressType int) any {
	if addressType == 0 {
		return nil
	}
	return addressType
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// connectContext is a connect trying several addresses in turn.
type connectContext struct {
	addresses []LookupAddress
	current   int
	port      int
	localPort int
	timeout   time.Duration
	timer     *uv.Timer
	errors    []error
}

// internalConnectMultiple tries the next address; when none is left, it
// destroys the socket with an AggregateError of every attempt's error
// (ERR_SOCKET_CONNECTION_TIMEOUT when there were none). An attempt that
// has not finished when the next address is due is abandoned
// (internalConnectMultipleTimeout).
//
// Mirrors lib/net.js internalConnectMultiple().
func (s *Socket) internalConnectMultiple(ctx *connectContext, canceled bool) {
	if ctx.timer != nil {
		ctx.timer.Stop()
		ctx.timer = nil
	}
	if s.checkAbort(); s.aborted {
		return // the signal stopped the attempts
	}
	if canceled || ctx.current == len(ctx.addresses) {
		if len(ctx.errors) == 0 {
			s.Destroy(&Error{Code: "ERR_SOCKET_CONNECTION_TIMEOUT", Message: "Socket connection timeout"})
			return
		}
		s.Destroy(newAggregateError(ctx.errors))
		return
	}
	current := ctx.current
	ctx.current++
	a := ctx.addresses[current]
	if current == 0 && s.handle != nil {
		// the first attempt uses the socket's handle, as Node's does
	} else if err := s.newTCPHandle(a.Family); err != nil {
		ex := exceptionWithHostPort(uvErrno(err), "connect", a.Address, ctx.port)
		ctx.errors = append(ctx.errors, ex)
		s.Emit("connectionAttemptFailed", a.Address, ctx.port, a.Family, ex)
		s.internalConnectMultiple(ctx, false)
		return
	}
	localAddress := ""
	if ctx.localPort != 0 {
		var err error
		if a.Family == 4 {
			localAddress = defaultIPv4Addr
			err = s.handle.Bind(localAddress, int(uint16(ctx.localPort)))
		} else {
			localAddress = defaultIPv6Addr
			err = s.handle.Bind6(localAddress, int(uint16(ctx.localPort)), 0)
		}
		errno := 0
		if err != nil {
			errno = uvErrno(err)
		}
		if errno = checkBindError(errno, ctx.localPort, s.handle); errno != 0 {
			ctx.errors = append(ctx.errors, exceptionWithHostPort(errno, "bind", localAddress, ctx.localPort))
			s.internalConnectMultiple(ctx, false)
			return
		}
	}
	s.Emit("connectionAttempt", a.Address, ctx.port, a.Family)
	req := &connectReq{address: a.Address, port: ctx.port, addressType: a.Family, localAddress: localAddress, localPort: ctx.localPort}
	s.AutoSelectFamilyAttemptedAddresses = append(s.AutoSelectFamilyAttemptedAddresses, a.Address+":"+strconv.Itoa(ctx.port))
	handle := s.handle
	after := func(err error) {
		if !req.abandoned {
			s.afterConnectMultiple(ctx, current, err, handle, req)
		}
	}
	var err error
	if a.Family == 4 {
		err = handle.Connect(a.Address, ctx.port, after)
	} else {
		err = handle.Connect6(a.Address, ctx.port, after)
	}
	if err != nil {
		ex := exceptionWithHostPort(uvErrno(err), "connect", a.Address, ctx.port, s.socknameDetails())
		ctx.errors = append(ctx.errors, ex)
		s.Emit("connectionAttemptFailed", a.Address, ctx.port, a.Family, ex)
		s.internalConnectMultiple(ctx, false)
		return
	}
	if current < len(ctx.addresses)-1 {
		ctx.timer = uv.Default().SetTimeout(ctx.timeout, func() { s.internalConnectMultipleTimeout(ctx, req, handle) })
	}
}

// Connect connects the socket (socket.connect), with Connect's argument
// forms; a destroyed socket can connect again. It returns the errors
// Node throws; the rest arrive as "error".
//
// Mirrors lib/net.js Socket.prototype.connect().
func (s *Socket) Connect(args ...any) error {
	options, cb, err := normalizeConnectArgs(args)
	if err != nil {
		return err
	}
	return s.connect(options, cb)
}

func (s *Socket) connect(options *ConnectOptions, cb func()) error {
	if cb != nil {
		s.Once("connect", cb)
	}
	if options.Port == nil && options.Path == "" {
		return &Error{Code: "ERR_MISSING_ARGS", Message: `The "options" or "port" or "path" argument must be specified`}
	}
	if s.destroyed {
		s.undestroy()
	}
	pipe := options.Path != ""
	if pipe && s.handle == nil {
		h, err := uv.NewPipe(uv.Default())
		if err != nil {
			return err
		}
		s.setHandle(h)
	}
	s.unrefTimer()
	s.connecting = true
	if pipe {
		s.internalConnect(options.Path, 0, 0, "", 0)
		return nil
	}
	return s.lookupAndConnect(options)
}

// undestroy makes a destroyed socket new again for another connect
// (_undestroy, and the reset of _handle, _peername and _sockname); the
// encoding SetEncoding set and Cork's count stay, as in Node.
func (s *Socket) undestroy() {
	*s = Socket{EventEmitter: s.EventEmitter, allowHalfOpen: s.allowHalfOpen, noDelay: s.noDelay,
		keepAlive: s.keepAlive, keepAliveDelay: s.keepAliveDelay, flowing: s.flowing,
		timeout: s.timeout, timeoutListeners: s.timeoutListeners, decoder: s.decoder, corked: s.corked}
}

// lookupAndConnect checks connect's TCP options, then connects at once to
// an IP address (on the next tick), or looks the host up first: every
// address it has when autoSelectFamily is on (lookupAndConnectMultiple),
// else the first. The lookup's answer is emitted as "lookup".
//
// Mirrors lib/net.js lookupAndConnect().
func (s *Socket) lookupAndConnect(options *ConnectOptions) error {
	localAddress, localPort := options.LocalAddress, options.LocalPort
	host := cmpOr(options.Host, "localhost")
	if localAddress != "" && isIP(localAddress) == 0 {
		return &Error{Code: "ERR_INVALID_IP_ADDRESS", Message: "Invalid IP address: " + localAddress}
	}
	port := 0
	if options.Port != nil {
		switch options.Port.(type) {
		case string:
		default:
			if _, ok := childprocess.ToFloat(options.Port); !ok {
				return &Error{Code: "ERR_INVALID_ARG_TYPE", Message: `The "options.port" property must be one of type number or string. Received ` + describeType(options.Port)}
			}
		}
		if err := validatePortNamed(options.Port, "Port"); err != nil {
			return err
		}
		f, _ := toNumber(options.Port)
		port = int(f)
	}
	autoSelectFamily := autoSelectFamilyDefault
	switch v := options.AutoSelectFamily.(type) {
	case nil:
	case bool:
		autoSelectFamily = v
	default:
		return &Error{Code: "ERR_INVALID_ARG_TYPE", Message: `The "options.autoSelectFamily" property must be of type boolean. Received ` + describeType(v)}
	}
	timeout := autoSelectFamilyAttemptTimeoutDefault
	if options.AutoSelectFamilyAttemptTimeout != 0 {
		if ms := options.AutoSelectFamilyAttemptTimeout.Milliseconds(); ms < 1 || ms > math.MaxInt32 {
			return &Error{Code: "ERR_OUT_OF_RANGE", Message: `The value of "options.autoSelectFamilyAttemptTimeout" is out of range. It must be >= 1 && <= 2147483647. Received ` + formatNumber(float64(options.AutoSelectFamilyAttemptTimeout)/float64(time.Millisecond))}
		}
		timeout = max(options.AutoSelectFamilyAttemptTimeout.Truncate(time.Millisecond), 10*time.Millisecond)
	}
	if addressType := isIP(host); addressType != 0 {
		uv.Default().NextTick(func() {
			if s.connecting {
				s.internalConnect(host, port, addressType, localAddress, localPort)
			}
		})
		return nil
	}
	s.host = host
	lookup := options.Lookup
	if lookup == nil {
		lookup = dnsLookup
	}
	family := options.Family
	if family != 4 && family != 6 && localAddress == "" && autoSelectFamily {
		lookup(host, LookupOptions{Family: family, All: true}, func(err error, addrs []LookupAddress) {
			s.lookupAndConnectMultiple(host, options, err, addrs, port, localAddress, localPort, timeout)
		})
		return nil
	}
	lookup(host, LookupOptions{Family: family}, func(err error, addrs []LookupAddress) {
		var ip any
		var addressType any
		if err == nil && len(addrs) > 0 {
			ip, addressType = addrs[0].Address, addrs[0].Family
		}
		s.Emit("lookup", err, ip, addressType, host)
		if !s.connecting {
			return // destroyed while it looked the host up
		}
		switch {
		case err != nil:
			uv.Default().NextTick(func() { s.connectErrorNT(err) })
		case len(addrs) == 0 || isIP(addrs[0].Address) == 0:
			e := &Error{Code: "ERR_INVALID_IP_ADDRESS", Message: "Invalid IP address: " + jsString(ip)}
			uv.Default().NextTick(func() { s.connectErrorNT(e) })
		case addrs[0].Family != 4 && addrs[0].Family != 6:
			e := errInvalidAddressFamily(addrs[0].Family, options)
			uv.Default().NextTick(func() { s.connectErrorNT(e) })
		default:
			s.unrefTimer()
			s.internalConnect(addrs[0].Address, port, addrs[0].Family, localAddress, localPort)
		}
	})
	return nil
}

// lookupAndConnectMultiple takes a lookup's addresses: each is emitted as
// "lookup"; the IPv4 and IPv6 ones are tried alternately, starting with
// the family of the first, each address once; a single address connects
// as internalConnect does.
//
// DEVIATION(fix): a lookup (a custom one) that answers no address and no
// error makes v20 throw a TypeError from the lookup's callback (it reads
// the first address of none), an uncaught exception; the socket is
// destroyed with ERR_INVALID_IP_ADDRESS ("Invalid IP address: undefined",
// what the single-address path says of a missing address) instead.
// NODECLUSTER_REPRODUCE_V20=empty-lookup (ReproduceEmptyLookupThrow)
// throws as v20 does.
//
// Mirrors lib/net.js lookupAndConnectMultiple().
func (s *Socket) lookupAndConnectMultiple(host string, options *ConnectOptions, err error, addrs []LookupAddress, port int, localAddress string, localPort int, timeout time.Duration) {
	if !s.connecting {
		return
	}
	if err != nil {
		s.Emit("lookup", err, nil, nil, host)
		uv.Default().NextTick(func() { s.connectErrorNT(err) })
		return
	}
	var valid [2][]LookupAddress
	first := 0
	for _, a := range addrs {
		s.Emit("lookup", nil, a.Address, a.Family, host)
		if !s.connecting {
			return
		}
		if isIP(a.Address) == 0 || (a.Family != 4 && a.Family != 6) {
			continue
		}
		if first == 0 {
			first = a.Family
		}
		d := 0
		if a.Family != first {
			d = 1
		}
		if !slices.ContainsFunc(valid[d], func(v LookupAddress) bool { return v.Address == a.Address }) {
			valid[d] = append(valid[d], a)
		}
	}
	if len(valid[0]) == 0 && len(valid[1]) == 0 {
		if len(addrs) == 0 {
			// A lookup that answered no address and no error.
			if ReproduceEmptyLookupThrow {
				panic(errors.New("TypeError: Cannot destructure property 'address' of 'addresses[0]' as it is undefined."))
			}
			e := &Error{Code: "ERR_INVALID_IP_ADDRESS", Message: "Invalid IP address: undefined"}
			uv.Default().NextTick(func() { s.connectErrorNT(e) })
			return
		}
		a := addrs[0]
		var e *Error
		if isIP(a.Address) == 0 {
			e = &Error{Code: "ERR_INVALID_IP_ADDRESS", Message: "Invalid IP address: " + a.Address}
		} else {
			e = errInvalidAddressFamily(a.Family, options)
		}
		uv.Default().NextTick(func() { s.connectErrorNT(e) })
		return
	}
	var toAttempt []LookupAddress
	for i := 0; i < max(len(valid[0]), len(valid[1])); i++ {
		if i < len(valid[0]) {
			toAttempt = append(toAttempt, valid[0][i])
		}
		if i < len(valid[1]) {
			toAttempt = append(toAttempt, valid[1][i])
		}
	}
	if len(toAttempt) == 1 {
		s.unrefTimer()
		s.internalConnect(toAttempt[0].Address, port, toAttempt[0].Family, localAddress, localPort)
		return
	}
	s.AutoSelectFamilyAttemptedAddresses = []string{}
	ctx := &connectContext{addresses: toAttempt, port: port, localPort: localPort, timeout: timeout}
	s.unrefTimer()
	s.internalConnectMultiple(ctx, false)
}

// connectErrorNT destroys the socket with a lookup's error, on the tick
// after it, so that listeners added after Connect returned see it.
//
// Mirrors lib/net.js connectErrorNT().
func (s *Socket) connectErrorNT(err error) { s.Destroy(err) }

// afterConnect finishes a connect: on success it applies the no-delay and
// keep-alive settings asked for meanwhile, emits "connect" and "ready",
// and starts reading unless the socket was paused; on failure it emits
// "connectionAttemptFailed" and destroys the socket with Node's error
// ("connect ECONNREFUSED 127.0.0.1:1").
//
// Mirrors lib/net.js afterConnect().
func (s *Socket) afterConnect(status error, req *connectReq) {
	s.checkAbort()
	if s.destroyed {
		return
	}
	s.connecting = false
	if status == nil {
		s.unrefTimer()
		if s.handle.Kind == uv.KindTCP {
			if s.noDelay {
				s.handle.SetNoDelay(true)
			}
			if s.keepAlive {
				s.handle.SetKeepAlive(true, s.keepAliveDelay)
			}
		}
		s.Emit("connect")
		s.checkAbort() // a signal done in a "connect" listener: destroyed before "ready", as in Node
		s.Emit("ready")
		if (s.flowing != -1 || s.readOnConnect) && !s.destroyed {
			s.startReading()
		}
		return
	}
	ex := s.createConnectionError(req, status)
	s.Emit("connectionAttemptFailed", req.address, portOrUndefined(req.port, req.addressType), familyOrUndefined(req.addressType), ex)
	s.Destroy(ex)
}

// createConnectionError is a failed connect's error, naming the local end
// when the connect was bound to one.
//
// Mirrors lib/net.js createConnectionError().
func (s *Socket) createConnectionError(req *connectReq, status error) *Error {
	details := ""
	if req.localAddress != "" && req.localPort != 0 {
		details = req.localAddress + ":" + strconv.Itoa(req.localPort)
	}
	ex := exceptionWithHostPort(uvErrno(status), "connect", req.address, portOrUndefined(req.port, req.addressType), details)
	if details != "" {
		ex.LocalAddress, ex.LocalPort = req.localAddress, req.localPort
	}
	return ex
}

// afterConnectMultiple takes one attempt's result: a failure is kept and
// the next address tried; a success finishes the connect, unless a later
// attempt has started meanwhile (then this connection is closed).
//
// Mirrors lib/net.js afterConnectMultiple().
func (s *Socket) afterConnectMultiple(ctx *connectContext, current int, status error, handle *uv.Stream, req *connectReq) {
	if ctx.timer != nil {
		ctx.timer.Stop()
		ctx.timer = nil
	}
	if status == nil && current != ctx.current-1 {
		handle.Close(nil)
		return
	}
	if status != nil {
		ex := s.createConnectionError(req, status)
		ctx.errors = append(ctx.errors, ex)
		s.Emit("connectionAttemptFailed", req.address, req.port, req.addressType, ex)
		if s.connecting {
			s.internalConnectMultiple(ctx, status == unix.ECANCELED)
		}
		return
	}
	s.afterConnect(nil, req)
}

// internalConnectMultipleTimeout abandons an attempt that took too long:
// "connectionAttemptTimeout", an ETIMEDOUT kept among the errors, its
// handle closed, and the next address tried.
//
// Mirrors lib/net.js internalConnectMultipleTimeout().
func (s *Socket) internalConnectMultipleTimeout(ctx *connectContext, req *connectReq, handle *uv.Stream) {
	ctx.timer = nil
	s.Emit("connectionAttemptTimeout", req.address, req.port, req.addressType)
	req.abandoned = true
	ctx.errors = append(ctx.errors, s.createConnectionError(req, unix.ETIMEDOUT))
	handle.Close(nil)
	if s.connecting {
		s.internalConnectMultiple(ctx, false)
	}
}
