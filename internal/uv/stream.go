package uv

import (
	"errors"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Kind tells TCP from Pipe handles (Node's TCP and Pipe wraps), and both
// from a UDP socket (NewUDP), which is no stream.
type Kind int

const (
	KindTCP Kind = iota + 1
	KindPipe
	KindUDP
)

func (k Kind) String() string {
	switch k {
	case KindPipe:
		return "Pipe"
	case KindUDP:
		return "UDP"
	}
	return "TCP"
}

// Stream is a libuv stream handle over a non-blocking descriptor: a
// listening server (onconnection) or a connected socket (read, write,
// shutdown). TCP and Pipe handles are both Streams; Kind tells them apart.
// An IPC pipe also reads and writes descriptors with SCM_RIGHTS.
type Stream struct {
	Handle
	Kind  Kind
	fd    int
	io    IO
	ipc   bool
	local localName // a received connection's own address (LocalName)
	// received: the descriptor came with an IPC message (ReceivedStream),
	// so another process may hold the same socket.
	received bool

	listening bool
	reading   bool
	// acceptPaused: the listening socket is not polled for now
	// (PauseAccept); acceptStalled: its queue filled while paused, and it
	// stays polled until ResumeAccept.
	acceptPaused  bool
	acceptStalled bool

	// OnConnection is called for every accepted connection, or with the
	// error accept returned (tcp_wrap's onconnection).
	OnConnection func(err error, client *Stream)
	// OnRead gets each chunk read; data is only valid during the call. On
	// EOF or error it gets err (io.EOF-like: ErrEOF) and nil data. For an
	// IPC pipe, fd is a descriptor received with this chunk or -1.
	OnRead func(data []byte, fd int, err error)

	writeQ []writeReq
	wqArr  []writeReq // the start of writeQ's array (see queue)
	// corked holds writes back while an IPC pipe's read callback runs
	// (see read); corkQueued says some were held.
	corked       bool
	corkQueued   bool
	holdBuf      []byte // the bytes of held writes (Hold)
	writeQBytes  int    // bytes in writeQ (stream->write_queue_size)
	shutdownReq  func(err error)
	shutdownDone bool
	// connectReq is a connect under way (stream->connect_req), and
	// connectErr an error it met at once, reported from the loop
	// (delayed_error).
	connectReq func(err error)
	connectErr error

	readBuf []byte
	oob     []byte
	owner   any

	// pipeFname is the path a Pipe was bound to; Close unlinks it
	// (handle->pipe_fname in libuv).
	pipeFname string
	// delayedErr is the EADDRINUSE a TCP bind met, returned by Listen
	// (tcp->delayed_error in libuv).
	delayedErr error
}

// ErrNoGetsockname is what Getsockname returns for a handle that has no
// getsockname in Node (a Pipe).
var ErrNoGetsockname = errors.New("handle has no getsockname")

// SetOnConnection sets OnConnection (handle.onconnection = fn).
func (s *Stream) SetOnConnection(fn func(err error, client *Stream)) { s.OnConnection = fn }

// SetOwner records the object using the handle (handle[owner_symbol]).
func (s *Stream) SetOwner(owner any) { s.owner = owner }

// Owner returns what SetOwner recorded.
func (s *Stream) Owner() any { return s.owner }

type writeReq struct {
	data []byte
	fd   int
	cb   func(err error)
}

// ErrEOF is what OnRead receives at end of stream (UV_EOF).
var ErrEOF = errors.New("EOF")

// NewStream wraps fd, which must be a socket, as a handle on loop l. The
// descriptor is made non-blocking and close-on-exec; the Stream owns it.
func NewStream(l *Loop, kind Kind, fd int, ipc bool) (*Stream, error) {
	return newStream(l, kind, fd, ipc, true)
}

// newStream is NewStream; cloexec false skips setting close-on-exec on a
// descriptor that has it already.
func newStream(l *Loop, kind Kind, fd int, ipc, cloexec bool) (*Stream, error) {
	if err := setNonblock(fd); err != nil {
		return nil, err
	}
	if cloexec {
		unix.CloseOnExec(fd)
	}
	l.reserveEmfileFd()
	s := &Stream{Kind: kind, fd: fd, ipc: ipc}
	s.Handle.init(l)
	l.initIO(&s.io, fd, s)
	return s, nil
}

// Fd is the handle's descriptor (uv_fileno).
func (s *Stream) Fd() int { return s.fd }

// Untouched reports whether the kernel shows that nobody has read from or
// written to the connected socket since it was accepted: a TCP connection
// still established (or ended by its peer alone) that has sent no byte and
// queues none to send, and every byte it received still waits to be read
// (TCP_INFO and SIOCINQ, SIOCOUTQ), not shut down for reading, with no
// linger set. Any other socket, and any failure to
// tell, is not untouched: for a Unix socket the kernel does not count
// what was read. It has no libuv counterpart; the round-robin handle asks
// it before it hands another worker a connection whose first worker went
// away without answering.
func (s *Stream) Untouched() bool {
	if s.Kind != KindTCP || s.fd < 0 {
		return false
	}
	info, err := unix.GetsockoptTCPInfo(s.fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return false
	}
	if info.State != unix.BPF_TCP_ESTABLISHED && info.State != unix.BPF_TCP_CLOSE_WAIT {
		return false // shut down, or reset
	}
	inq, err := unreadFd(s.fd)
	if err != nil {
		return false
	}
	outq, err := unix.IoctlGetInt(s.fd, unix.SIOCOUTQ)
	if err != nil {
		return false
	}
	received := uint64(inq)
	if info.State == unix.BPF_TCP_CLOSE_WAIT {
		received++ // the peer's FIN counts among the bytes received, not among those to read
	}
	if info.Bytes_sent != 0 || outq != 0 || info.Bytes_received != received {
		return false
	}
	// What else a reader could have left that the next one would meet: a
	// shutdown for reading (the socket reads its end though the peer sent
	// none), or a linger (its close would reset the connection).
	if l, err := unix.GetsockoptLinger(s.fd, unix.SOL_SOCKET, unix.SO_LINGER); err != nil || l.Onoff != 0 {
		return false
	}
	if info.State == unix.BPF_TCP_ESTABLISHED {
		fds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLRDHUP}}
		if n, err := unix.Poll(fds, 0); err != nil || n != 0 {
			return false
		}
	}
	return true
}

// Listen starts accepting connections (uv_listen).
func (s *Stream) Listen(backlog int) error {
	if s.delayedErr != nil {
		return s.delayedErr // the bind's EADDRINUSE (bindResult)
	}
	if err := unix.Listen(s.fd, backlog); err != nil {
		return err
	}
	s.listening = true
	if s.acceptPaused {
		s.forgetPaused() // listening again: polled again (IOStart)
	}
	if err := s.loop.IOStart(&s.io, unix.EPOLLIN); err != nil {
		return err
	}
	s.activate()
	return nil
}

// ReadStart starts delivering reads to OnRead (uv_read_start).
func (s *Stream) ReadStart() error {
	if s.closing {
		return unix.EINVAL
	}
	s.reading = true
	if err := s.loop.IOStart(&s.io, unix.EPOLLIN|unix.EPOLLRDHUP); err != nil {
		return err
	}
	s.activate()
	return nil
}

// ReadStop stops reading (uv_read_stop).
func (s *Stream) ReadStop() {
	s.reading = false
	s.loop.IOStop(&s.io, unix.EPOLLIN|unix.EPOLLRDHUP)
	s.updateActive()
}

func (s *Stream) updateActive() {
	if s.reading || s.listening || len(s.writeQ) > 0 || s.shutdownReq != nil || s.connectReq != nil {
		s.activate()
	} else {
		s.deactivate()
	}
}

// onIO reads (or accepts), then writes what is queued, in uv__stream_io's
// order: a socket the peer reset reports ECONNRESET to the read, which a
// write made first would have taken (its EPIPE consuming the socket's
// error, and the read then meeting a plain end).
func (s *Stream) onIO(events uint32) {
	if s.connectReq != nil {
		s.connected()
		return
	}
	if events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP|unix.EPOLLRDHUP) != 0 {
		if s.listening {
			s.accept()
		} else if s.reading {
			if partial := s.read(); partial && events&unix.EPOLLHUP != 0 && !s.ipc && s.reading && !s.closing {
				// The peer is gone and the last read took all there was:
				// the end, without another read (which would report a
				// reset as ECONNRESET), as uv__stream_io does after a
				// partial read with POLLHUP. Not on an IPC pipe, where a
				// read is cut short at each descriptor.
				s.eof()
			}
		}
	}
	if s.closing || s.fd < 0 {
		return // the read callback closed it
	}
	if events&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) != 0 && len(s.writeQ) > 0 {
		s.flush(false)
	}
}

// accept takes one waiting connection and hands it to OnConnection, as
// uv__server_io does since libuv 1.45 (libuv/libuv#3696, "don't accept()
// connections in a loop"; Node v20.20.2 has 1.46). The listening socket is
// polled level-triggered, so the next waiting connection is taken in the
// loop's next round, after the other callbacks of this one (the client
// "connect"s, the workers' answers read in the same round). Accepted
// descriptors are non-blocking and close-on-exec from the start (accept4).
//
// A failed accept is dropped, as in libuv: EAGAIN (another process took
// the connection), ECONNABORTED (the next round tries again), and, after
// EMFILE or ENFILE, what the shedding of the pending connections ends
// with (uv__emfile_trick); OnConnection never hears of an error.
func (s *Stream) accept() {
	if !s.listening || s.closing {
		return
	}
	nfd, err := accept4(s.fd) // accept4 itself retries EINTR
	if err == unix.EMFILE || err == unix.ENFILE {
		err = s.loop.emfileTrick(s.fd) // Shed load.
	}
	if err != nil {
		if err == unix.EAGAIN {
			s.loop.emptyAccepts++
		}
		return
	}
	c := &Stream{Kind: s.Kind, fd: nfd}
	c.Handle.init(s.loop)
	s.loop.initIO(&c.io, nfd, c)
	if s.OnConnection == nil {
		unix.Close(nfd)
		return
	}
	s.loop.Call(func() { s.OnConnection(nil, c) })
}

// reserveEmfileFd opens the loop's reserve descriptor once, as
// uv__stream_init does for the first stream of a loop.
func (l *Loop) reserveEmfileFd() {
	if l.emfileFd != -1 {
		return
	}
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		// In the rare case that /dev/null is not there.
		fd, err = unix.Open("/", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err == nil {
		l.emfileFd = fd
	}
}

// emfileTrick is what a listening socket does when accept fails with
// EMFILE or ENFILE: it frees the reserved descriptor, accepts and closes
// every pending connection (their clients see them closed instead of
// waiting in the backlog while the loop spins on a socket that stays
// readable), and reserves a descriptor again. It returns the error that
// ended the accepts: EAGAIN when every pending connection was shed
// (accept drops whatever it returns).
//
// Like libuv's uv__emfile_trick (src/unix/stream.c).
func (l *Loop) emfileTrick(acceptFd int) error {
	if l.emfileFd == -1 {
		return unix.EMFILE
	}
	unix.Close(l.emfileFd)
	l.emfileFd = -1
	var err error
	for {
		var fd int
		fd, _, err = unix.Accept4(acceptFd, unix.SOCK_CLOEXEC)
		if err == nil {
			unix.Close(fd)
			continue
		}
		if err != unix.EINTR {
			break
		}
	}
	if fd, oerr := unix.Open("/", unix.O_RDONLY|unix.O_CLOEXEC, 0); oerr == nil {
		l.emfileFd = fd
	}
	return err
}

const readSize = 64 * 1024

// read reads until EAGAIN, a short read, or 32 reads, and reports
// whether it stopped at a short read (libuv's UV_HANDLE_READ_PARTIAL).
func (s *Stream) read() (partial bool) {
	if s.readBuf == nil {
		s.readBuf = make([]byte, readSize)
	}
	if s.ipc {
		s.cork()
		defer s.uncork()
	}
	for i := 0; i < 32 && s.reading && !s.closing; i++ {
		var n, fd int
		var err error
		fd = -1
		if s.ipc {
			n, fd, err = s.recvmsg()
		} else {
			n, err = unix.Read(s.fd, s.readBuf)
		}
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return
		}
		if err != nil {
			s.deliver(nil, -1, err)
			return
		}
		if n == 0 {
			s.eof()
			return
		}
		s.deliver(s.readBuf[:n], fd, nil)
		if n < len(s.readBuf) {
			return true
		}
	}
	return false
}

// eof stops reading and reports the end of the stream.
func (s *Stream) eof() {
	s.reading = false
	s.loop.IOStop(&s.io, unix.EPOLLIN|unix.EPOLLRDHUP)
	s.updateActive()
	s.deliver(nil, -1, ErrEOF)
}

func (s *Stream) deliver(data []byte, fd int, err error) {
	if s.OnRead == nil {
		if fd >= 0 {
			unix.Close(fd)
		}
		return
	}
	s.loop.Call(func() { s.OnRead(data, fd, err) })
}

// recvmsg reads one chunk and at most one descriptor, as libuv's
// uv__read does for IPC pipes. A truncated control message (MSG_CTRUNC)
// yields no descriptor, so the receiver answers NODE_HANDLE_NACK.
func (s *Stream) recvmsg() (n, fd int, err error) {
	if s.oob == nil {
		s.oob = make([]byte, unix.CmsgSpace(4))
	}
	fd = -1
	// A raw recvmsg: unix.Recvmsg allocates a sockaddr on every call,
	// and this runs once per wake-up of every channel.
	iov := unix.Iovec{Base: &s.readBuf[0]}
	iov.SetLen(len(s.readBuf))
	var msg unix.Msghdr
	msg.Iov = &iov
	msg.Iovlen = 1
	msg.Control = &s.oob[0]
	msg.SetControllen(len(s.oob))
	r, _, e := unix.RawSyscall(unix.SYS_RECVMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&msg)), unix.MSG_CMSG_CLOEXEC)
	if e != 0 {
		return 0, -1, e
	}
	n = int(r)
	oobn := int(msg.Controllen)
	if oobn > 0 {
		msgs, perr := unix.ParseSocketControlMessage(s.oob[:oobn])
		if perr == nil {
			for _, m := range msgs {
				fds, ferr := unix.ParseUnixRights(&m)
				if ferr != nil {
					continue
				}
				for _, f := range fds {
					if fd < 0 && msg.Flags&unix.MSG_CTRUNC == 0 {
						fd = f
					} else {
						unix.Close(f)
					}
				}
			}
		}
	}
	return n, fd, nil
}

// Write queues data (and, on an IPC pipe, the descriptor fd when fd >= 0)
// and tries to write at once; cb runs when the data has left. It reports
// whether the write completed synchronously, like Node's
// kLastWriteWasAsync in reverse. The caller keeps ownership of fd.
//
// A write that carries a descriptor is never synchronous, even when it
// all left at once: Node sends a handle through uv_write2 without trying
// the write first (StreamBase::Write tries only handle-less writes), so
// the write is asynchronous to its caller and its callback comes from
// the loop, in the next pending phase, as libuv reports a finished write.
// (Node's channel counts an asynchronous write as a reference, and drops
// it when the write completes: a parent's channel is unref'd once it has
// sent a handle.)
//
// Like src/stream_base.cc StreamBase::Write() over libuv's uv_write2().
func (s *Stream) Write(data []byte, fd int, cb func(err error)) (sync bool, err error) {
	if s.closing {
		return false, unix.EBADF
	}
	// What the read callback held goes first; this write is not held
	// (see Hold).
	s.FlushHeld()
	if len(s.writeQ) == 0 {
		n, werr := s.writeOnce(data, fd)
		if werr != nil && werr != unix.EAGAIN {
			return false, werr
		}
		if werr == nil {
			if n == len(data) {
				if fd < 0 {
					return true, nil
				}
				if cb != nil {
					s.loop.done(true, cb, nil)
				}
				return false, nil
			}
			data = data[n:]
			fd = -1 // the descriptor went with the first part
		}
	}
	s.queue(writeReq{data: append([]byte(nil), data...), fd: fd, cb: cb})
	s.writeQBytes += len(data)
	// A write request keeps the loop alive until it is done, even on an
	// unref'd handle (uv_write registers the request: uv__req_register).
	s.loop.Ref()
	s.loop.IOStart(&s.io, unix.EPOLLOUT)
	s.updateActive()
	return false, nil
}

// Hold queues data to be written when the read callback now running ends
// (see cork), and reports false when the stream is not corked, in which
// case the caller writes it with Write. The write is then asynchronous,
// as a libuv write that found the socket full: cb runs when it is done,
// in the loop's next pending phase.
//
// Only writes whose completion nobody waits for (no user callback) should
// be held: a later Write goes out at once after what is held, and its
// callback could otherwise run before a held one's.
func (s *Stream) Hold(data []byte, cb func(err error)) bool {
	if !s.corked || s.closing {
		return false
	}
	s.corkQueued = true
	// The bytes go into one buffer per stream, reused once the write
	// queue is empty (flush). Until then appends only add after what
	// queued requests refer to.
	start := len(s.holdBuf)
	s.holdBuf = append(s.holdBuf, data...)
	s.queue(writeReq{data: s.holdBuf[start:len(s.holdBuf):len(s.holdBuf)], fd: -1, cb: cb})
	s.writeQBytes += len(data)
	s.loop.Ref()
	s.updateActive()
	return true
}

// queue appends r to the write queue. The queue is consumed from its
// front (flush), so an emptied queue starts again at the front of its
// array (wqArr) instead of growing a new one: steady traffic allocates
// nothing here.
func (s *Stream) queue(r writeReq) {
	if len(s.writeQ) == 0 && cap(s.wqArr) > 0 {
		s.writeQ = s.wqArr[:0]
	}
	before := cap(s.writeQ)
	s.writeQ = append(s.writeQ, r)
	if cap(s.writeQ) != before || len(s.writeQ) == 1 {
		// A new array, or the front of the old one: remember its start.
		s.wqArr = s.writeQ[:0:cap(s.writeQ)]
	}
}

// WriteQueueSize is the number of bytes waiting to be written. It is
// kept as a count, as libuv keeps write_queue_size: summing the queue on
// every call made a burst of sends quadratic (Target.send asks after each
// message).
func (s *Stream) WriteQueueSize() int { return s.writeQBytes }

func (s *Stream) writeOnce(data []byte, fd int) (int, error) {
	var iov [1]unix.Iovec
	if len(data) > 0 {
		iov[0].Base = &data[0]
		iov[0].SetLen(len(data))
	}
	return sendmsg(s.fd, iov[:], fd)
}

// flush writes what is queued. Each finished request's callback runs at
// once (from the stream's I/O callback), or, when deferred is set because
// flush was called from inside a callback (a write, a close), in the
// loop's next pending phase, as libuv's uv__io_feed defers the callbacks
// of writes that finished synchronously.
func (s *Stream) flush(deferred bool) {
	for len(s.writeQ) > 0 {
		r := &s.writeQ[0]
		var n int
		var err error
		if r.fd < 0 && len(s.writeQ) > 1 {
			n, err = s.writeGathered()
		} else {
			n, err = s.writeOnce(r.data, r.fd)
		}
		if err == unix.EAGAIN {
			return
		}
		if err != nil {
			q := s.writeQ
			s.writeQ = nil
			s.writeQBytes = 0
			s.loop.IOStop(&s.io, unix.EPOLLOUT)
			for i, r := range q {
				q[i] = writeReq{} // wqArr keeps the array
				s.loop.Unref()
				if r.cb != nil {
					cb := r.cb
					s.loop.done(deferred, cb, err)
				}
			}
			s.updateActive()
			return
		}
		s.writeQBytes -= n
		r.fd = -1
		for n > 0 || (len(s.writeQ) > 0 && len(s.writeQ[0].data) == 0) {
			r := &s.writeQ[0]
			k := min(n, len(r.data))
			r.data = r.data[k:]
			n -= k
			if len(r.data) > 0 {
				break
			}
			cb := r.cb
			s.writeQ[0] = writeReq{}
			s.writeQ = s.writeQ[1:]
			s.loop.Unref()
			if cb != nil {
				s.loop.done(deferred, cb, nil)
			}
		}
	}
	// Nothing queued refers to the hold buffer any more: reuse it.
	s.holdBuf = s.holdBuf[:0]
	s.loop.IOStop(&s.io, unix.EPOLLOUT)
	if s.shutdownReq != nil && !s.shutdownDone {
		s.doShutdown()
	}
	s.updateActive()
}

// maxGather is how many queued writes one sendmsg takes at most.
const maxGather = 16

// writeGathered writes the queued requests from the head, up to the next
// one that carries a descriptor, with one sendmsg (a gathered write, as
// uv__write does with a request's several buffers). A descriptor always
// goes alone with its own message, so that no other message shares its
// SCM_RIGHTS segment.
func (s *Stream) writeGathered() (int, error) {
	var iov [maxGather]unix.Iovec
	k := 0
	for i := range s.writeQ {
		r := &s.writeQ[i]
		if k == maxGather || (i > 0 && r.fd >= 0) {
			break
		}
		if len(r.data) == 0 {
			continue
		}
		iov[k].Base = &r.data[0]
		iov[k].SetLen(len(r.data))
		k++
	}
	if k == 0 {
		return 0, nil
	}
	return sendmsg(s.fd, iov[:k], -1)
}

// cork holds this stream's writes back until uncork, which writes them
// together. An IPC pipe is corked while its read callback (and the ticks
// it queued) runs: a worker answers a handed-off connection with
// NODE_HANDLE_ACK from the channel and with the cluster's reply from the
// message listener, and both then leave in one sendmsg, so the primary
// reads them in one wake-up. The bytes, and their order, are those of
// two writes.
//
// Only writes offered with Hold are held: the channel offers the answers
// to what it is reading (NODE_HANDLE_ACK, a cluster reply with its ack)
// sent without a callback or a descriptor, never a user's message nor
// one of Node's that is not an answer. Any other write leaves at once,
// after what was held, so a descriptor is never held after its sender may
// have closed it, and callbacks keep their order.
//
// DEVIATION(fix): libuv tries every write at once; a held write waits for
// the end of the read callback that made it, or for user code about to run
// (FlushHeld), a few microseconds, so that
// the primary wakes once per handed-off connection instead of twice. Close,
// Shutdown and the process's exit write what is held first, so nothing
// that Node would have written is lost. With
// NODECLUSTER_REPRODUCE_V20=write-at-once every message is written at
// once, as Node does.
func (s *Stream) cork() {
	s.corked = true
	s.loop.corked = s
}

// uncork writes what cork held back.
func (s *Stream) uncork() {
	s.corked = false
	if s.loop.corked == s {
		s.loop.corked = nil
	}
	s.FlushHeld()
}

// FlushHeld writes what Hold has held so far, at once, and keeps holding
// what comes after: the channel calls it before running user code, so that
// what Node would already have written is on the wire by then.
func (s *Stream) FlushHeld() {
	if !s.corkQueued || s.closing || s.fd < 0 {
		return
	}
	s.corkQueued = false
	s.flush(true)
	if len(s.writeQ) > 0 {
		s.loop.IOStart(&s.io, unix.EPOLLOUT)
	}
}

// FlushCorked writes what a corked stream holds, at once: the process is
// about to exit.
func (l *Loop) FlushCorked() {
	if s := l.corked; s != nil {
		s.uncork()
	}
}

// Shutdown half-closes the write side once queued writes are out
// (uv_shutdown).
func (s *Stream) Shutdown(cb func(err error)) {
	s.shutdownReq = cb
	if cb == nil {
		s.shutdownReq = func(error) {}
	}
	if s.corked {
		s.uncork()
	}
	if len(s.writeQ) == 0 {
		// Nothing to write first: libuv still makes the shutdown on a
		// later turn of the loop (when the socket reports writable), and
		// the callback comes from there.
		s.loop.done(true, s.shutdownNext, nil)
	}
	s.updateActive()
}

func (s *Stream) shutdownNext(error) {
	if s.shutdownReq != nil && !s.shutdownDone && !s.closing && len(s.writeQ) == 0 {
		s.doShutdown()
	}
}

// doShutdown shuts the write side down and calls the request's callback
// (uv__drain).
func (s *Stream) doShutdown() {
	s.shutdownDone = true
	err := shutdownFd(s.fd, unix.SHUT_WR)
	cb := s.shutdownReq
	s.shutdownReq = nil
	s.updateActive()
	cb(err)
}

// connect starts connecting the socket to sa; cb gets the result from
// the loop. As libuv does, a connect that is refused at once
// (ECONNREFUSED, or any error for a Unix socket) is reported through cb
// on the loop's next turn, not returned; other errors are returned and
// nothing starts.
func (s *Stream) connect(sa unix.Sockaddr, cb func(err error)) error {
	if s.connectReq != nil {
		return unix.EALREADY
	}
	if err := s.delayedErr; err != nil {
		// The bind's EADDRINUSE: reported as the connect's result.
		s.delayedErr = nil
		s.connectErr = err
		return s.startConnect(nil, cb)
	}
	return s.startConnect(connectFd(s.fd, sa), cb)
}

// startConnect records a connect that connect(2) answered with err.
func (s *Stream) startConnect(err error, cb func(err error)) error {
	switch {
	case err == nil || err == unix.EINPROGRESS:
	case err == unix.ECONNREFUSED || s.Kind == KindPipe:
		s.connectErr = err
	default:
		return err
	}
	s.connectReq = cb
	s.updateActive()
	if s.connectErr != nil {
		s.loop.done(true, s.feedConnect, nil)
		return nil
	}
	return s.loop.IOStart(&s.io, unix.EPOLLOUT)
}

// feedConnect reports a connect's early error from the pending phase
// (uv__io_feed).
func (s *Stream) feedConnect(error) {
	if s.connectReq != nil && !s.closing {
		s.connected()
	}
}

// connected finishes a connect: its error is the one met at once, or the
// socket's SO_ERROR (uv__stream_connect).
func (s *Stream) connected() {
	err := s.connectErr
	if err == nil {
		v, gerr := unix.GetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_ERROR)
		switch {
		case gerr != nil:
			err = gerr
		case v == int(unix.EINPROGRESS):
			return
		case v != 0:
			err = unix.Errno(v)
		}
	}
	s.connectErr = nil
	cb := s.connectReq
	s.connectReq = nil
	if err != nil || len(s.writeQ) == 0 {
		s.loop.IOStop(&s.io, unix.EPOLLOUT)
	}
	s.updateActive()
	cb(err)
}

// Close stops the handle, closes its descriptor and calls cb in the
// loop's close phase (uv_close).
func (s *Stream) Close(cb func()) {
	if s.closing {
		return
	}
	if s.acceptPaused {
		s.closePaused()
	}
	if s.corked {
		s.uncork() // what the read callback wrote goes out first
	}
	s.listening = false
	s.reading = false
	// What is under way fails with ECANCELED in the close phase, just
	// before the close callback, in uv__stream_destroy's order: a
	// connect, the writes still queued (their loop references go with
	// them), a shutdown not made yet.
	var canceled []func(error)
	if cb := s.connectReq; cb != nil {
		s.connectReq, s.connectErr = nil, nil
		canceled = append(canceled, cb)
	}
	dropped := s.writeQ
	s.writeQ = nil
	s.wqArr = nil
	for _, r := range dropped {
		s.loop.Unref()
		if r.cb != nil {
			canceled = append(canceled, r.cb)
		}
	}
	if cb := s.shutdownReq; cb != nil && !s.shutdownDone {
		s.shutdownReq = nil
		canceled = append(canceled, cb)
	}
	if len(canceled) > 0 {
		l, closeCb := s.loop, cb
		cb = func() {
			for _, c := range canceled {
				l.callErr(c, unix.ECANCELED)
			}
			if closeCb != nil {
				closeCb()
			}
		}
	}
	s.loop.IOClose(&s.io)
	if s.pipeFname != "" {
		// Unlink before closing, as uv__pipe_close does, so as not to
		// remove a socket another process just bound to the same path.
		unix.Unlink(s.pipeFname)
		s.pipeFname = ""
	}
	if s.fd >= 0 {
		closeFd(s.fd)
		s.fd = -1
	}
	s.closeHandle(cb)
}

// Detach forgets the descriptor without closing it and closes the handle;
// it returns the descriptor, now owned by the caller.
func (s *Stream) Detach() int {
	fd := s.fd
	s.pipeFname = "" // the socket lives on: leave its path
	s.loop.IOClose(&s.io)
	s.fd = -1
	s.Close(nil)
	return fd
}
