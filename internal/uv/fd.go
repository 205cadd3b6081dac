package uv

// A descriptor that goroutines outside the loop read and write, with the
// loop as its poller. It has no libuv counterpart: it does for Go code
// what internal/poll.FD does for Go's net, with this loop's epoll instance
// in the place of the runtime's netpoller.

import (
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// ErrFDClosed is what an FD's methods return once it is closed
// (os.ErrClosed, which net turns into net.ErrClosed).
var ErrFDClosed = os.ErrClosed

// FD is a connected, non-blocking socket that goroutines use as Go code
// uses a net.Conn, while the loop watches it: a read or write that would
// block parks the goroutine until the loop sees the socket ready (epoll,
// edge-triggered, asked for from the first time it would block), a
// deadline passes, or the FD is closed.
//
// Every system call an FD makes returns at once and is made without
// telling the Go scheduler (see rawsys.go), and waiting parks a goroutine
// on a channel rather than a thread: a worker that serves its connections
// through FDs makes no system call through syscall.Syscall on a
// connection's path, so the runtime's sysmon thread, which every such call
// wakes when the process was idle a moment before, stays asleep. Through
// an *os.File, as before, a connection cost four such calls (fcntl in
// os.NewFile, read, write, close) and sysmon a fifth of a worker's CPU
// time.
//
// Reads are serialized with each other, and so are writes; a read, a
// write and Close may run at once from different goroutines. The
// descriptor is closed only while no system call is using it, so its
// number cannot be reused under a read still in progress.
//
// DEVIATION(goroutine): in Node a socket is read and written by the loop
// that watches it; here Go code reads and writes it on its own
// goroutines, and the loop only tells them when to try again. Readiness
// therefore reaches them only while the loop runs: a callback that keeps
// the loop busy delays them, as it delays Node's sockets. For the same
// reason the loop's own goroutine must not wait on an FD: nothing would
// tell it the socket is ready.
type FD struct {
	io   IO // owned by the loop
	loop *Loop

	// rd and wr hold at most one token each: the loop (an event), a
	// deadline's timer, a deadline change or Close put one there, and the
	// goroutine waiting to read or write takes it and tries again.
	rd chan struct{}
	wr chan struct{}

	fdmu    sync.RWMutex // read-held around each system call, held by Close
	fd      int          // -1 once closed
	closing atomic.Bool

	rmu sync.Mutex // one reader at a time
	wmu sync.Mutex // one writer at a time

	armMu sync.Mutex
	armed atomic.Uint32 // the events asked of epoll so far (arm)

	lingers atomic.Bool // SO_LINGER with a timeout: close(2) may block

	rdl, wdl deadline
}

// deadline is a read or write deadline: the time (on the monotonic clock,
// monoNow's; 0: none), and the timer that wakes the goroutine waiting on
// ready when it passes.
type deadline struct {
	at    atomic.Int64
	mu    sync.Mutex
	timer *time.Timer
	ready chan struct{} // the FD's rd or wr
}

// fire is the deadline timer's callback.
func (d *deadline) fire() { wake(d.ready) }

// NewFD starts watching fd, a connected non-blocking socket, for
// goroutines; the FD owns it from now on. Call it on the loop.
func (l *Loop) NewFD(fd int) (*FD, error) {
	p := &FD{loop: l, fd: fd, rd: make(chan struct{}, 1), wr: make(chan struct{}, 1)}
	p.rdl.ready, p.wdl.ready = p.rd, p.wr
	l.initIO(&p.io, fd, p)
	// In the epoll set from the start, but waiting for nothing (only
	// errors and hang-ups, which epoll always reports) until a read or a
	// write would block (arm): a socket added for reading and writing is
	// reported at once, writable, and that woke the loop once for every
	// connection, though most are read and answered without waiting.
	if err := l.IOStart(&p.io, unix.EPOLLET); err != nil {
		return nil, err
	}
	return p, nil
}

// Events arm asks for: readable (or the peer's half-close), writable.
const (
	armRead  = unix.EPOLLIN | unix.EPOLLRDHUP
	armWrite = unix.EPOLLOUT
)

// arm makes the loop's epoll set wait for ev on the socket too, the first
// time a read or write of that kind would block; called with fdmu
// read-held. epoll_ctl checks the socket as it changes what it waits for,
// so readiness that came since the system call that returned EAGAIN is
// reported all the same. The loop does not touch the registration after
// NewFD; armMu orders a reader and a writer arming at once.
func (p *FD) arm(ev uint32) error {
	if p.armed.Load()&ev == ev {
		return nil
	}
	p.armMu.Lock()
	defer p.armMu.Unlock()
	want := p.armed.Load() | ev
	if want == p.armed.Load() {
		return nil
	}
	e := unix.EpollEvent{Events: want | unix.EPOLLET, Fd: int32(p.fd), Pad: p.io.gen}
	if err := epollCtl(p.loop.epfd, unix.EPOLL_CTL_MOD, p.fd, &e); err != nil {
		return err
	}
	p.armed.Store(want)
	return nil
}

// onIO runs on the loop when the socket became readable or writable (or
// hung up, or failed: both then find out with their next system call).
func (p *FD) onIO(events uint32) {
	if events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		wake(p.rd)
	}
	if events&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		wake(p.wr)
	}
}

// wake leaves a token in ch unless one is there already.
func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Read reads into b what the socket has, waiting until it has something;
// io.EOF once the peer finished writing. Errors: ErrFDClosed,
// os.ErrDeadlineExceeded, or the system call's unix.Errno.
func (p *FD) Read(b []byte) (int, error) {
	p.rmu.Lock()
	defer p.rmu.Unlock()
	if len(b) == 0 {
		// As Go's poll.FD: an empty read returns at once, deadline or
		// not; only a closed descriptor is an error.
		if p.closing.Load() {
			return 0, ErrFDClosed
		}
		return 0, nil
	}
	for {
		if err := p.check(&p.rdl); err != nil {
			return 0, err
		}
		n, e, ok := p.sys(readFd, b, armRead)
		switch {
		case !ok:
			return 0, ErrFDClosed
		case e == unix.EAGAIN:
			<-p.rd
		case e != 0:
			return 0, e
		case n == 0:
			return 0, io.EOF
		default:
			return n, nil
		}
	}
}

// sys makes one read(2) or write(2) (readFd or writeFd) while holding
// the descriptor, and arms ev when it would block; ok is false once the FD
// is closed.
func (p *FD) sys(call func(fd int, b []byte) (int, unix.Errno), b []byte, ev uint32) (n int, e unix.Errno, ok bool) {
	p.fdmu.RLock()
	defer p.fdmu.RUnlock()
	if p.fd < 0 {
		return 0, 0, false
	}
	n, e = call(p.fd, b)
	if n < 0 {
		n = 0
	}
	if e == unix.EAGAIN {
		e = p.armErrno(ev)
	}
	return n, e, true
}

// armErrno arms ev and gives back EAGAIN (wait), or arm's error.
func (p *FD) armErrno(ev uint32) unix.Errno {
	if err := p.arm(ev); err != nil {
		if errno, ok := err.(unix.Errno); ok {
			return errno
		}
		return unix.EIO
	}
	return unix.EAGAIN
}

// maxRW bounds one write(2), as internal/poll does.
const maxRW = 1 << 30

// Write writes all of b, waiting whenever the socket's buffer is full. On
// an error it returns how much was written before it.
func (p *FD) Write(b []byte) (int, error) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	nn := 0
	for {
		if err := p.check(&p.wdl); err != nil {
			return nn, err
		}
		chunk := b[nn:]
		if len(chunk) > maxRW {
			chunk = chunk[:maxRW]
		}
		n, e, ok := p.sys(writeFd, chunk, armWrite)
		if !ok {
			return nn, ErrFDClosed
		}
		if n > 0 {
			nn += n
		}
		switch {
		case nn == len(b):
			return nn, nil
		case e == unix.EAGAIN:
			<-p.wr
		case e != 0:
			return nn, e
		case n == 0:
			return nn, io.ErrUnexpectedEOF
		}
	}
}

// check returns why no system call should be tried now: the FD is
// closed, or the deadline d has passed.
func (p *FD) check(d *deadline) error {
	if p.closing.Load() {
		return ErrFDClosed
	}
	if at := d.at.Load(); at != 0 && monoNow() >= at {
		return os.ErrDeadlineExceeded
	}
	return nil
}

// RawRead calls f with the descriptor until it returns true, waiting for
// the socket to become readable each time it returns false
// (syscall.RawConn's Read).
func (p *FD) RawRead(f func(fd uintptr) bool) error {
	p.rmu.Lock()
	defer p.rmu.Unlock()
	return p.raw(&p.rdl, p.rd, armRead, f)
}

// RawWrite is RawRead for writing (syscall.RawConn's Write).
func (p *FD) RawWrite(f func(fd uintptr) bool) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.raw(&p.wdl, p.wr, armWrite, f)
}

func (p *FD) raw(d *deadline, ready chan struct{}, ev uint32, f func(fd uintptr) bool) error {
	for {
		if err := p.check(d); err != nil {
			return err
		}
		done, ok, err := p.callArm(f, ev)
		switch {
		case !ok:
			return ErrFDClosed
		case err != nil:
			return err
		case done:
			return nil
		}
		<-ready
	}
}

// callArm calls f with the descriptor held open, and arms ev when f is
// not done; ok is false once the FD is closed.
func (p *FD) callArm(f func(fd uintptr) bool, ev uint32) (done, ok bool, err error) {
	p.fdmu.RLock()
	defer p.fdmu.RUnlock()
	if p.fd < 0 {
		return false, false, nil
	}
	if f(uintptr(p.fd)) {
		return true, true, nil
	}
	return false, true, p.arm(ev)
}

// do calls f with the descriptor, which stays open meanwhile, and returns
// its error; ErrFDClosed once the FD is closed.
func (p *FD) do(f func(fd int) error) error {
	p.fdmu.RLock()
	defer p.fdmu.RUnlock()
	if p.fd < 0 {
		return ErrFDClosed
	}
	return f(p.fd)
}

// Control calls f with the descriptor, which stays open meanwhile
// (syscall.RawConn's Control).
func (p *FD) Control(f func(fd uintptr)) error {
	return p.do(func(fd int) error { f(uintptr(fd)); return nil })
}

// Shutdown shuts down one or both directions of the socket (shutdown(2)).
func (p *FD) Shutdown(how int) error {
	return p.do(func(fd int) error { return shutdownFd(fd, how) })
}

// Unread is how many bytes the socket has received that nobody read
// (ioctl SIOCINQ).
func (p *FD) Unread() (int, error) {
	n := 0
	err := p.do(func(fd int) (err error) { n, err = unreadFd(fd); return err })
	return n, err
}

// SetsockoptInt sets an integer socket option.
func (p *FD) SetsockoptInt(level, opt, value int) error {
	return p.do(func(fd int) error { return setsockoptInt(fd, level, opt, value) })
}

// SetsockoptLinger sets SO_LINGER. With a positive linger time close(2)
// may wait, so Close then makes it through the scheduler (syscall.Close),
// as a call that blocks must be.
func (p *FD) SetsockoptLinger(l *unix.Linger) error {
	err := p.do(func(fd int) error { return setsockoptLinger(fd, l) })
	if err == nil {
		p.lingers.Store(l.Onoff != 0 && l.Linger > 0)
	}
	return err
}

// Close closes the descriptor once no system call uses it; a goroutine
// waiting to read or write returns ErrFDClosed. The loop forgets the
// watcher when it next runs (Loop.dropDetached), without being woken for
// it. A second Close returns ErrFDClosed.
func (p *FD) Close() error {
	if !p.closing.CompareAndSwap(false, true) {
		return ErrFDClosed
	}
	wake(p.rd)
	wake(p.wr)
	p.fdmu.Lock()
	fd := p.fd
	p.fd = -1
	p.fdmu.Unlock()
	// Closing the last descriptor of the socket also takes it out of the
	// loop's epoll set.
	if p.lingers.Load() {
		unix.Close(fd)
	} else {
		closeFd(fd)
	}
	p.rdl.stop()
	p.wdl.stop()
	p.loop.detach(&p.io)
	return nil
}

// SetReadDeadline sets when waiting reads fail with
// os.ErrDeadlineExceeded (zero: never); a deadline already past fails the
// read waiting now.
func (p *FD) SetReadDeadline(t time.Time) error { return p.setDeadline(&p.rdl, t) }

// SetWriteDeadline is SetReadDeadline for writes.
func (p *FD) SetWriteDeadline(t time.Time) error { return p.setDeadline(&p.wdl, t) }

// setDeadline allocates nothing but the deadline's timer, once: net/http
// moves the read deadline into the past and back for every request.
func (p *FD) setDeadline(d *deadline, t time.Time) error {
	if p.closing.Load() {
		return ErrFDClosed
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
	}
	if t.IsZero() {
		d.at.Store(0)
		return nil
	}
	dur := time.Until(t)
	d.at.Store(monoAt(dur))
	if dur <= 0 {
		d.fire()
		return nil
	}
	if d.timer == nil {
		d.timer = time.AfterFunc(dur, d.fire)
	} else {
		d.timer.Reset(dur)
	}
	return nil
}

func (d *deadline) stop() {
	d.mu.Lock()
	if d.timer != nil {
		d.timer.Stop()
	}
	d.mu.Unlock()
}

// monoStart is where monoNow counts from.
var monoStart = time.Now()

// monoNow is the time on the monotonic clock, in nanoseconds since
// monoStart, plus one (never zero, which means no deadline). A deadline is
// kept on this clock, as the runtime keeps net's (time.Until, then its
// nanotime): a step of the wall clock neither fires it early nor keeps a
// fired one from being seen.
func monoNow() int64 { return int64(time.Since(monoStart)) + 1 }

// monoAt is the monotonic time dur from now, kept above zero (a deadline
// long past) and within int64 (one that never comes).
func monoAt(dur time.Duration) int64 {
	now := monoNow()
	switch {
	case int64(dur) <= -now:
		return 1
	case int64(dur) > math.MaxInt64-now:
		return math.MaxInt64
	}
	return now + int64(dur)
}

// detach hands the loop a watcher whose descriptor was closed by another
// goroutine; the loop drops it from its table when it next runs its
// posted work, without a wake-up of its own. If the descriptor's number
// was reused and watched again meanwhile, the table already holds the new
// watcher and the old one is left out.
func (l *Loop) detach(w *IO) {
	l.mu.Lock()
	l.detached = append(l.detached, w)
	l.mu.Unlock()
}

// dropDetached forgets the watchers handed over by detach; called on the
// loop with l.mu held.
func (l *Loop) dropDetached() {
	for i, w := range l.detached {
		if l.watchers[int32(w.fd)] == w {
			delete(l.watchers, int32(w.fd))
		}
		l.detached[i] = nil
	}
	l.detached = l.detached[:0]
}
