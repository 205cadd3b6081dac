package uv

// Pausing a listening socket while nobody can take its connections. It has
// no libuv counterpart: libuv polls a listening socket for as long as it
// listens. The cluster's round-robin handle uses it (see PauseAccept).

import (
	"time"

	"golang.org/x/sys/unix"
)

// acceptGuardEvery is how often the loop looks at its paused listening
// sockets' queues while any was paused lately (armAcceptGuard): a queue
// filling up meanwhile from a quarter has three quarters left, so a paused
// socket drops no SYN below about 75 000 new connections a second with
// Node's backlog of 511, a rate this machine's primaries do not reach.
const acceptGuardEvery = 5 * time.Millisecond

// minPausedQueue is the smallest accept queue PauseAccept pauses: a
// smaller one (a listen with a backlog under 256) would overflow between
// two looks of the guard at lower rates (below 38 000 new connections a
// second for 256; a backlog of 4 dropped SYNs in a burst of 30 clients
// 0.5 ms apart), so such a socket is accepted as in Node.
const minPausedQueue = 256

// acceptGuardPad marks the guard timer's events in the loop's epoll set
// (the eventfd's are -1, a watcher's its positive generation).
const acceptGuardPad = -2

// ReproduceEagerAccept, when true (NODECLUSTER_REPRODUCE_V20=eager-accept),
// makes PauseAccept do nothing: the primary accepts every connection as it
// arrives and queues it, as Node's does.
var ReproduceEagerAccept = Reproduce("eager-accept")

// PauseAccept stops polling a listening TCP socket for a while, leaving
// the connections that arrive meanwhile in the kernel's accept queue, and
// reports whether it did. It does nothing (false) when the queue is a
// quarter full or more, when the loop found it so while the socket was
// paused since the last ResumeAccept, when the queue holds fewer than
// minPausedQueue connections, when the loop's guard timer cannot be set,
// and for anything but a listening TCP socket (the kernel tells the
// queue's length only for TCP). Every
// acceptGuardEvery while sockets are paused the loop looks at their
// queues, and polls one a quarter full again by itself: it takes its
// connections one a round, as before, until the next ResumeAccept. Close
// accepts and closes what is waiting in the queue, so a socket another
// process may also hold (one the round-robin handle was given by
// descriptor) must not be paused: its queue is that process's too.
//
// DEVIATION(fix): Node's primary takes every connection off the listening
// socket as it arrives, also when every worker has one in hand and none
// can be given it, and keeps it in the round-robin handle's queue until a
// worker answers. Under load that wakes the primary for each new
// connection and again for each worker's answer: measured here with 32
// clients each making one connection per request, 1.3 to 1.4 wake-ups per
// connection, each dearer than the work it does (docs/PERFORMANCE.md).
// The round-robin handle pauses its listening socket when its last free
// worker is handed a connection, and resumes it when a worker answers with
// nothing queued: the connection that worker gets next is taken off the
// accept queue then, in the same poll, and the primary wakes about once
// per connection (in alternated 5 s runs of the bench's new-connection
// load: 0.91 to 0.93 wake-ups and 22.3 to 22.5 µs of CPU per connection,
// against 1.38 to 1.43 and 26.8 to 28.8 with eager-accept, and 1 to 17%
// more connections served). Where a connection waits does not change when it
// is served (the accept queue and the handle's queue are both first in,
// first out, and a paused socket is only one whose connections no worker
// could take yet). The limits keep the rest as it is in Node: a queue a
// quarter full is accepted eagerly, also when it fills while paused
// (workers that stall; a full queue would drop new clients' SYNs, and
// Node's queue in memory has no limit), a small queue (a backlog under
// 256) and a socket given by descriptor are never paused, and closing a
// paused socket accepts and closes what waits, as Node closes its queued
// connections, so that their clients see the same end.
// NODECLUSTER_REPRODUCE_V20=eager-accept (ReproduceEagerAccept) accepts
// as Node does.
func (s *Stream) PauseAccept() bool {
	if ReproduceEagerAccept || s.acceptPaused || s.acceptStalled || !s.listening || s.closing || s.Kind != KindTCP {
		return false
	}
	queued, size, err := listenQueue(s.fd)
	if err != nil || size < minPausedQueue || queued*4 >= size || !s.io.added {
		return false
	}
	if !s.loop.guardArmed {
		// No pause without the guard (its timer may fail, out of
		// descriptors): a queue nothing looks at could fill up.
		if s.loop.armAcceptGuard(true); !s.loop.guardArmed {
			return false
		}
	}
	// Registered with no events: epoll neither reports the socket nor
	// wakes the loop for it, and resuming is one EPOLL_CTL_MOD.
	ev := unix.EpollEvent{Fd: int32(s.io.fd), Pad: s.io.gen}
	if epollCtl(s.loop.epfd, unix.EPOLL_CTL_MOD, s.io.fd, &ev) != nil {
		return false
	}
	s.io.events = 0
	s.acceptPaused = true
	s.loop.pausedAccepts = append(s.loop.pausedAccepts, s)
	s.loop.guardPauses++
	return true
}

// ResumeAccept polls a listening socket PauseAccept paused again; the
// loop's next poll takes a waiting connection. It also ends a stall (see
// PauseAccept), so that the next PauseAccept may pause again.
func (s *Stream) ResumeAccept() {
	s.acceptStalled = false
	if s.acceptPaused {
		s.unpauseAccept()
	}
}

// unpauseAccept polls the socket again.
func (s *Stream) unpauseAccept() {
	s.forgetPaused()
	if s.listening && !s.closing {
		s.loop.IOStart(&s.io, unix.EPOLLIN)
	}
}

// forgetPaused takes the socket out of the loop's paused ones.
func (s *Stream) forgetPaused() {
	s.acceptPaused = false
	l := s.loop
	for i, x := range l.pausedAccepts {
		if x == s {
			n := copy(l.pausedAccepts[i:], l.pausedAccepts[i+1:])
			l.pausedAccepts[i+n] = nil
			l.pausedAccepts = l.pausedAccepts[:i+n]
			return
		}
	}
}

// armAcceptGuard starts (on) or stops the loop's guard timer, a timerfd in
// its epoll set that fires every acceptGuardEvery (checkPausedAccepts). Its
// own descriptor, and not a timeout of epoll_wait, so that a loop that
// sleeps and wakes once per connection does not arm and cancel a kernel
// timer each time (measured: that cost more than the pause saved); it
// stops once a period passes with no socket paused.
func (l *Loop) armAcceptGuard(on bool) {
	if on && l.guardFd < 0 {
		fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
		if err != nil {
			return
		}
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd), Pad: acceptGuardPad}
		if err := epollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			unix.Close(fd)
			return
		}
		l.guardFd = fd
	}
	if l.guardFd < 0 {
		return
	}
	var spec unix.ItimerSpec
	if on {
		spec.Interval = unix.NsecToTimespec(int64(acceptGuardEvery))
		spec.Value = spec.Interval
	}
	if unix.TimerfdSettime(l.guardFd, 0, &spec, nil) == nil {
		l.guardArmed = on
	}
}

// onAcceptGuard is the guard timer's event: it polls again the sockets
// whose queue is a quarter full, and stops the timer when no socket was
// paused since it last fired.
func (l *Loop) onAcceptGuard() {
	var b [8]byte
	readFd(l.guardFd, b[:])
	l.checkPausedAccepts()
	if len(l.pausedAccepts) == 0 && l.guardPauses == 0 {
		l.armAcceptGuard(false)
	}
	l.guardPauses = 0
}

// checkPausedAccepts polls again, and marks as stalled, each paused
// listening socket whose queue is a quarter full or more (or cannot be
// read).
func (l *Loop) checkPausedAccepts() {
	for i := 0; i < len(l.pausedAccepts); {
		s := l.pausedAccepts[i]
		if queued, size, err := listenQueue(s.fd); err == nil && queued*4 < size {
			i++
			continue
		}
		s.acceptStalled = true
		s.unpauseAccept() // takes it out of the list
	}
}

// closePaused accepts and closes the connections waiting in a paused
// socket's queue, before Close closes the socket itself: Node's primary
// would have accepted them, and closes its queued connections when the
// round-robin handle closes (a client that sent nothing sees an orderly
// end rather than a reset).
func (s *Stream) closePaused() {
	for {
		fd, err := accept4(s.fd)
		if err != nil {
			break
		}
		closeFd(fd)
	}
	s.forgetPaused()
}
