package uv

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Loop is one process's event loop, built like libuv's uv_loop_t: it runs
// on one goroutine, waits in epoll_wait, and calls back into the code that
// owns each descriptor. All JS-visible state lives on it.
type Loop struct {
	epfd int
	evfd int

	watchers map[int32]*IO
	gen      int32
	events   []unix.EpollEvent

	// pausedAccepts are the listening sockets PauseAccept paused;
	// guardFd is the timer that looks at them (armAcceptGuard), -1 until
	// the first pause; guardPauses counts the pauses since it last fired.
	pausedAccepts []*Stream
	guardFd       int
	guardArmed    bool
	guardPauses   int

	// parker lets the loop's goroutine wait for its epoll descriptor in
	// Go's own netpoller (see park); nil until the first wait, and
	// parkOff when the runtime cannot poll it.
	parker   *os.File
	parkRaw  syscall.RawConn
	parkOff  bool
	parkOn   bool
	parkDue  time.Time // the read deadline set on parker (zero: none)
	parkN    int
	parkErr  error
	parkWait func(fd uintptr) bool

	mu       sync.Mutex
	posted   []func()
	spare    []func()
	detached []*IO       // watchers of FDs closed by other goroutines (detach)
	waiting  atomic.Bool // the loop is (about to be) in epoll_wait

	corked *Stream // the stream whose writes are held back (Stream.cork)

	// panicked is set when a callback or a tick panicked (an uncaught
	// exception the process survived), for poll: the callbacks of one
	// watcher are one callback scope (see Call).
	panicked bool
	// failedScope is set when the last callback scope failed (a callback
	// or a tick panicked): the ticks it left wait for the next callback
	// that completes, not for Run's start.
	failedScope bool

	ticks        []func()
	pending      []pendingCb // write completions deferred to the next iteration (done)
	spareCbs     []pendingCb
	immediates   []*Immediate
	immRefs      int                  // queued immediates that keep the loop alive (immediateInfo[kRefCount])
	timerLists   map[int64]*timerList // by duration in ms (timerListMap)
	timerQueue   timerListQueue
	timerListID  uint64
	timerFire    int64     // when the loop's one timer fires (ms; -1: not armed)
	nextExpiry   int64     // the earliest list's expiry as the last pass left it
	msBase       time.Time // the ms clock's zero (Node's timer_base)
	closing      []func()
	spareClosing []func() // the array of the closing queue last run, reused

	refs    int // ref'd active handles and requests (uv__has_active_handles/reqs)
	now     time.Time
	stopped bool

	lastYield time.Time // see yieldNow
	yields    int       // how many times yieldNow yielded (tests)

	// emptyAccepts counts accept4 calls that found no connection (EAGAIN),
	// for tests: a readable listening socket whose connection another
	// process took first (accept takes one connection per round, so it
	// never accepts until the queue is empty).
	emptyAccepts int

	// emfileFd is a descriptor kept in reserve so that a listening socket
	// can shed connections when the process runs out of descriptors
	// (loop->emfile_fd, see emfileTrick); -1 when none is held.
	emfileFd int

	// OnPanic is called (on the loop) with the value of a panic raised by a
	// callback; the process decides what an uncaught exception does.
	// Without it a panic propagates.
	OnPanic func(v any)
}

// NewLoop creates a loop with its epoll instance and its wake-up eventfd.
//
// Like libuv's uv_loop_init.
func NewLoop() (*Loop, error) {
	// The Go runtime sets its own poller up (an epoll and an eventfd) at
	// the first timer it arms, which may come late (the garbage
	// collector's scavenger arms one): a process out of descriptors then
	// dies ("fatal error: runtime: eventfd failed"). Have it set up now
	// (a func timer: a channel timer nobody waits on is not armed).
	time.AfterFunc(time.Hour, func() {}).Stop()
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("uv: epoll_create1: %w", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("uv: eventfd: %w", err)
	}
	l := &Loop{epfd: epfd, evfd: evfd, watchers: make(map[int32]*IO), events: make([]unix.EpollEvent, 128), now: time.Now(), emfileFd: -1, guardFd: -1, timerLists: make(map[int64]*timerList), timerFire: -1, nextExpiry: noExpiry}
	l.msBase = l.now
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(evfd), Pad: -1}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		return nil, fmt.Errorf("uv: epoll_ctl eventfd: %w", err)
	}
	return l, nil
}

// Close releases what NewLoop took: the epoll instance, the eventfd and
// the descriptor kept for EMFILE (uv_loop_close). Like uv_loop_close it
// fails with EBUSY while the loop still has work: descriptors watched,
// ref'd handles or requests, queued callbacks. The process's default loop
// is never closed; Close is for loops made with NewLoop.
func (l *Loop) Close() error {
	if l.epfd < 0 {
		return nil
	}
	l.mu.Lock()
	l.dropDetached()
	l.mu.Unlock()
	if len(l.watchers) > 0 || l.alive() {
		return unix.EBUSY
	}
	if l.parker != nil {
		l.parker.Close() // the *os.File owns the epoll descriptor now
	} else {
		unix.Close(l.epfd)
	}
	unix.Close(l.evfd)
	if l.emfileFd >= 0 {
		unix.Close(l.emfileFd)
	}
	if l.guardFd >= 0 {
		unix.Close(l.guardFd)
	}
	l.epfd, l.evfd, l.emfileFd, l.guardFd = -1, -1, -1, -1
	return nil
}

var (
	defaultLoop     *Loop
	defaultLoopOnce sync.Once
)

// Default returns the process's loop, creating it on first use (libuv's
// uv_default_loop).
func Default() *Loop {
	defaultLoopOnce.Do(func() {
		l, err := NewLoop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defaultLoop = l
	})
	return defaultLoop
}

// Now is the loop's cached time, updated once per iteration (uv_now).
func (l *Loop) Now() time.Time { return l.now }

// Ref counts an active request that keeps the loop alive, such as a
// goroutine that will post its result (libuv's uv__req_register).
func (l *Loop) Ref() { l.refs++ }

// Unref releases what Ref took (uv__req_unregister).
func (l *Loop) Unref() {
	l.refs--
	if l.refs < 0 {
		panic("uv: loop reference count below zero")
	}
}

// Post queues fn to run on the loop, from any goroutine, and wakes the loop
// through its eventfd when it is waiting (uv_async_send). Posted work keeps
// the loop alive until it runs; a goroutine that will post later should hold
// a Ref taken on the loop beforehand.
func (l *Loop) Post(fn func()) {
	l.mu.Lock()
	first := len(l.posted) == 0
	l.posted = append(l.posted, fn)
	l.mu.Unlock()
	if first && l.waiting.Load() {
		eventfdWrite(l.evfd)
	}
}

// NextTick queues fn to run after the current callback, before any further
// I/O or timers: process.nextTick's queue, drained after every callback.
func (l *Loop) NextTick(fn func()) { l.ticks = append(l.ticks, fn) }

// SetImmediate queues fn for the check phase of this iteration
// (setImmediate) and returns the queued Immediate, ref'd.
func (l *Loop) SetImmediate(fn func()) *Immediate {
	im := &Immediate{l: l, fn: fn, state: immRefed}
	l.immediates = append(l.immediates, im)
	l.immRefs++
	return im
}

// Immediate is a callback queued for the loop's check phase (Node's
// Immediate). While it is ref'd and pending it keeps the loop alive and
// the poll phase from blocking; unref'd, it runs only if something else
// brings the loop round, and it is dropped when the loop ends.
//
// Like lib/internal/timers.js Immediate.
type Immediate struct {
	l     *Loop
	fn    func()
	state immState
}

// immState is kRefed's three values: true, false, and null once the
// immediate has run or been cleared.
type immState uint8

const (
	immRefed immState = iota
	immUnrefed
	immDone
)

// Ref makes a pending immediate keep the loop alive again; it does nothing
// to one that ran or was cleared.
func (im *Immediate) Ref() *Immediate {
	if im.state == immUnrefed {
		im.state = immRefed
		im.l.immRefs++
	}
	return im
}

// Unref lets the loop end while the immediate is pending.
func (im *Immediate) Unref() *Immediate {
	if im.state == immRefed {
		im.state = immUnrefed
		im.l.immRefs--
	}
	return im
}

// HasRef reports whether the immediate is pending and ref'd (false once
// it ran or was cleared, as in Node).
func (im *Immediate) HasRef() bool { return im.state == immRefed }

// Clear cancels the immediate if it has not run yet, even from another
// immediate of the same turn (clearImmediate); on nil it does nothing, as
// clearImmediate(undefined).
//
// Like lib/timers.js clearImmediate().
func (im *Immediate) Clear() {
	if im == nil || im.state == immDone {
		return
	}
	if im.state == immRefed {
		im.l.immRefs--
	}
	im.state = immDone
	im.fn = nil
}

// Stop makes Run return after the current iteration (uv_stop).
func (l *Loop) Stop() { l.stopped = true }

// Call runs fn as a callback from the loop into "JS": it recovers a panic
// for the process's uncaught-exception handling and then drains the
// nextTick queue, as Node's MakeCallback does after every callback. A
// callback that panicked fails its scope, as a throw does in Node: the
// ticks it (or an earlier one) queued wait for the next callback that
// completes.
func (l *Loop) Call(fn func()) {
	if l.invoke(fn) {
		l.runTicks()
	}
}

// invoke runs fn and reports whether it returned (false: it panicked, and
// OnPanic had the value).
func (l *Loop) invoke(fn func()) (returned bool) {
	if l.OnPanic != nil {
		defer l.recoverPanic()
	}
	fn()
	return true
}

func (l *Loop) recoverPanic() {
	if v := recover(); v != nil {
		l.panicked = true
		l.OnPanic(v)
		l.failedScope = true
	}
}

// runTicks drains the nextTick queue (processTicksAndRejections) and
// reports whether it got to the end: a tick that panics stops it, and
// the ticks behind it wait for the next drain.
func (l *Loop) runTicks() (completed bool) {
	i := 0
	defer func() {
		if !completed {
			// A tick panicked: those behind it stay queued (with no
			// OnPanic the panic goes on, and they stay for a later Run).
			n := copy(l.ticks, l.ticks[i+1:])
			clear(l.ticks[n:])
			l.ticks = l.ticks[:n]
			l.failedScope = true
		}
	}()
	for ; i < len(l.ticks); i++ {
		fn := l.ticks[i]
		l.ticks[i] = nil
		if !l.invoke(fn) {
			return false
		}
	}
	l.ticks = l.ticks[:0]
	l.failedScope = false
	return true
}

// alive mirrors uv__loop_alive, plus the queues Node itself keeps.
func (l *Loop) alive() bool {
	// Ticks keep nothing alive: the nextTick queue is drained after every
	// callback, and ticks a failed scope left wait for the next callback,
	// the "beforeExit" emission's at the latest, as in Node.
	if l.refs > 0 || len(l.pending) > 0 || l.immRefs > 0 || len(l.closing) > 0 {
		return true
	}
	l.mu.Lock()
	n := len(l.posted)
	l.mu.Unlock()
	return n > 0
}

// Alive reports whether Run would keep going.
func (l *Loop) Alive() bool { return l.alive() }

// Run runs the loop until nothing keeps it alive or Stop is called, as
// uv_run(UV_RUN_DEFAULT) does since libuv 1.45: timers once, then rounds
// of pending callbacks, posted work, poll for I/O, the pending callbacks
// that fed, check (immediates), close callbacks and timers, until a round
// ends with nothing alive. So what a timer's callback leaves (an unref'd
// immediate, say) is weighed before another round starts.
func (l *Loop) Run() {
	l.stopped = false
	if !l.failedScope {
		l.runTicks() // what was queued outside a callback
	}
	alive := l.alive()
	if alive {
		l.now = time.Now()
		l.runTimers()
	}
	for alive && !l.stopped {
		l.runPending()
		l.runPosted()
		timeout := l.pollTimeout()
		l.poll(timeout)
		// What the I/O callbacks fed to the pending queue runs before the
		// check phase, as libuv (since 1.45) runs it right after the poll.
		l.runPending()
		l.runImmediates()
		l.runClosing()
		l.now = time.Now()
		l.runTimers()
		l.yieldNow()
		alive = l.alive()
	}
}

// yieldEvery is how long the loop's goroutine runs (waits in epoll_wait
// included) before it lets the Go scheduler switch it out once.
const yieldEvery = 5 * time.Millisecond

// yieldNow calls runtime.Gosched once yieldEvery has passed since the
// last time.
//
// DEVIATION(goroutine): libuv's thread never yields, and neither did
// this loop; but the Go runtime counts a goroutine that has not been
// switched out for 10 ms, even one that spent the time blocked in
// epoll_wait, as running too long: its sysmon thread sends the thread a
// signal to preempt it (which interrupts the wait with EINTR), takes its P
// away, and goes back to polling every 20 µs. Under load the primary's
// loop met that every 10 ms, and sysmon's wake-ups were 12% of the
// primary's CPU. A Gosched every few milliseconds costs about a
// microsecond and resets the count.
func (l *Loop) yieldNow() {
	if l.now.Sub(l.lastYield) < yieldEvery {
		return
	}
	l.lastYield = l.now
	l.yields++
	runtime.Gosched()
}

func (l *Loop) pollTimeout() int {
	if l.stopped || len(l.pending) > 0 || l.immRefs > 0 || len(l.closing) > 0 {
		return 0
	}
	l.mu.Lock()
	n := len(l.posted)
	l.mu.Unlock()
	if n > 0 {
		return 0
	}
	if l.refs == 0 {
		return 0 // nothing ref'd: Run is about to end
	}
	if l.timerFire < 0 {
		return -1
	}
	d := l.timerFire - l.ms(time.Now())
	if d <= 0 {
		return 0
	}
	return int(d)
}

// done runs a finished request's callback with its result: now, or in the
// next iteration's pending phase when deferred (uv__io_feed). Neither
// allocates: the callback and its error are queued as they are.
func (l *Loop) done(deferred bool, cb func(error), err error) {
	if deferred {
		l.pending = append(l.pending, pendingCb{cb, err})
		return
	}
	l.callErr(cb, err)
}

// pendingCb is a write's completion waiting for the pending phase.
type pendingCb struct {
	cb  func(error)
	err error
}

func (l *Loop) runPending() {
	for len(l.pending) > 0 {
		q := l.pending
		l.pending = l.spareCbs[:0]
		for i, p := range q {
			q[i] = pendingCb{}
			l.callErr(p.cb, p.err)
		}
		l.spareCbs = q[:0]
	}
}

// callErr is Call for a callback that takes an error, without a closure.
func (l *Loop) callErr(cb func(error), err error) {
	if l.invokeErr(cb, err) {
		l.runTicks()
	}
}

func (l *Loop) invokeErr(cb func(error), err error) (returned bool) {
	if l.OnPanic != nil {
		defer l.recoverPanic()
	}
	cb(err)
	return true
}

func (l *Loop) runPosted() {
	l.mu.Lock()
	work := l.posted
	l.posted = l.spare[:0]
	if len(l.detached) > 0 {
		l.dropDetached()
	}
	l.mu.Unlock()
	for i, fn := range work {
		work[i] = nil
		l.Call(fn)
	}
	l.spare = work[:0]
}

func (l *Loop) runImmediates() {
	// The check phase opens with a callback scope of Node's own (its
	// native immediates'), whose close drains the ticks a failed scope
	// left: they run before the immediates.
	if len(l.ticks) > 0 {
		l.runTicks()
	}
	if len(l.immediates) == 0 {
		return
	}
	q := l.immediates
	l.immediates = nil
	for {
		rest, ok := l.processImmediate(q)
		if ok {
			l.runTicks() // the callback scope closes
			return
		}
		// A panic failed the scope, its ticks wait; the immediates not
		// run yet go in another call, or, when none is left, the ones
		// queued meanwhile (Node's CheckImmediate calls processImmediate
		// again while it has outstanding ones).
		if len(rest) > 0 {
			q = rest
		} else {
			q, l.immediates = l.immediates, nil
		}
	}
}

// processImmediate runs the immediates of q that are still pending, the
// ticks between two of them. When one of them or a tick panics it stops
// and returns those it had not run yet.
//
// Like lib/internal/timers.js processImmediate().
func (l *Loop) processImmediate(q []*Immediate) (rest []*Immediate, ok bool) {
	ran := false
	i, from := 0, 0 // from: the first not run yet
	defer func() {
		if !ok && rest == nil && from < len(q) {
			// A panic with no OnPanic to take it: what was not run yet
			// stays queued, in front of what came meanwhile.
			l.immediates = append(q[from:len(q):len(q)], l.immediates...)
		}
	}()
	for ; i < len(q); i++ {
		from = i
		im := q[i]
		if im.state == immDone {
			continue // cleared meanwhile
		}
		if ran {
			if !l.runTicks() {
				return q[i:], false
			}
			if im.state == immDone {
				continue // cleared by a tick
			}
		}
		ran = true
		if im.state == immRefed {
			l.immRefs--
		}
		im.state = immDone
		fn := im.fn
		im.fn = nil
		from = i + 1
		if !l.invoke(fn) {
			return q[i+1:], false
		}
	}
	return nil, true
}

// QueueClose queues cb for the loop's close phase, as closing a handle
// that holds no descriptor yet does (a TCP handle uv_tcp_init made, which
// connect has not given a socket): it runs after this round's immediates,
// with the other close callbacks, the one queued last first.
//
// Like libuv's uv_close() of such a handle (uv__make_close_pending).
func (l *Loop) QueueClose(cb func()) { l.closing = append(l.closing, cb) }

// runClosing calls the close callbacks, the handle closed last first:
// libuv keeps the closing handles in a list it pushes onto
// (uv__make_close_pending) and runs from its head.
func (l *Loop) runClosing() {
	for len(l.closing) > 0 {
		q := l.closing
		l.closing = l.spareClosing[:0]
		for i := len(q) - 1; i >= 0; i-- {
			fn := q[i]
			q[i] = nil
			l.Call(fn)
		}
		l.spareClosing = q[:0]
	}
}

// poll waits for I/O and calls the watchers back (uv__io_poll).
//
// It blocks in epoll_wait, as libuv does, unless WaitInNetpoller was
// called: see there.
func (l *Loop) poll(timeout int) {
	if timeout != 0 {
		l.waiting.Store(true)
		// Re-check posted work now that Post will wake us.
		l.mu.Lock()
		if len(l.posted) > 0 {
			timeout = 0
		}
		l.mu.Unlock()
	}
	var n int
	var err error
	if timeout != 0 && l.parkOn {
		n, err = l.park(timeout)
	} else if timeout == 0 {
		n, err = epollWaitNow(l.epfd, l.events)
	} else {
		n, err = unix.EpollWait(l.epfd, l.events, timeout)
	}
	l.waiting.Store(false)
	if err != nil {
		if err == unix.EINTR {
			return
		}
		panic(fmt.Sprintf("uv: epoll_wait: %v", err))
	}
	l.now = time.Now()
	for i := 0; i < n; i++ {
		ev := l.events[i]
		if ev.Pad == -1 {
			eventfdRead(l.evfd)
			l.runPosted()
			continue
		}
		if ev.Pad == acceptGuardPad {
			l.onAcceptGuard()
			continue
		}
		w := l.watchers[ev.Fd]
		if w == nil || w.gen != ev.Pad {
			continue // closed by an earlier callback in this round
		}
		l.panicked = false
		w.h.onIO(ev.Events)
		// What the watcher's callbacks queued on the nextTick queue (a
		// write's or a shutdown's completion) runs now, as it would after
		// Node's MakeCallback, not after whatever callback comes next;
		// unless a callback panicked and so failed the scope.
		if !l.panicked {
			l.runTicks()
		}
	}
}

// WaitInNetpoller makes the loop wait for I/O by parking its goroutine in
// Go's netpoller (park) instead of blocking its thread in epoll_wait. Call
// it on the loop when Go code runs beside the loop and talks to it, as
// net/http does behind a net.Listener.
//
// DEVIATION(goroutine): libuv blocks its thread in epoll_wait, and so does
// this loop by default: in a process where only the loop runs that is the
// cheapest wait (measured in docs/PERFORMANCE.md). Where goroutines beside
// the loop do work and post to it, a loop blocked in a system call holds a
// thread and its P, which the runtime takes back and hands over while the
// other goroutines run; every post then wakes another thread. Parked, the
// loop is one more goroutine of the scheduler, and it is woken on the
// thread that is already running.
func (l *Loop) WaitInNetpoller() { l.parkOn = true }

// park waits until the loop's epoll descriptor has events, or for timeout
// milliseconds (-1: no limit), and returns what epoll_wait then gives. It
// waits in Go's netpoller; where the runtime cannot poll the descriptor it
// falls back to a blocking epoll_wait, as libuv does.
//
// An epoll descriptor nested in the runtime's own (edge-triggered) epoll
// wakes it for every new event on any descriptor it watches, so an event
// that arrives after parkPoll's zero-timeout epoll_wait, or while parked,
// is never missed; events already pending were returned by that call
// (RawConn.Read calls parkPoll before it first parks).
func (l *Loop) park(timeout int) (int, error) {
	if l.parkRaw == nil && !l.parkOff {
		l.initParker()
	}
	if l.parkOff {
		return unix.EpollWait(l.epfd, l.events, timeout)
	}
	var due time.Time
	if timeout > 0 {
		due = time.Now().Add(time.Duration(timeout) * time.Millisecond)
	}
	if !due.Equal(l.parkDue) {
		if err := l.parker.SetReadDeadline(due); err != nil {
			return unix.EpollWait(l.epfd, l.events, timeout)
		}
		l.parkDue = due
	}
	l.parkN, l.parkErr = 0, nil
	err := l.parkRaw.Read(l.parkWait)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, nil
		}
		// The poller refused (it should not): wait the way libuv does.
		l.parkOff = true
		return unix.EpollWait(l.epfd, l.events, timeout)
	}
	return l.parkN, l.parkErr
}

// initParker registers the loop's epoll descriptor with Go's netpoller
// through an *os.File over it (non-blocking, so that os.NewFile asks the
// poller to watch it).
func (l *Loop) initParker() {
	if err := unix.SetNonblock(l.epfd, true); err != nil {
		l.parkOff = true
		return
	}
	f := os.NewFile(uintptr(l.epfd), "uv-loop-epoll")
	l.parker = f // kept, so that its finalizer never closes the descriptor
	rc, err := f.SyscallConn()
	if err != nil || f.SetReadDeadline(time.Time{}) != nil {
		// Not pollable by the runtime: keep the descriptor, wait in the
		// system call.
		l.parkOff = true
		return
	}
	l.parkRaw = rc
	l.parkWait = l.parkPoll
}

// parkPoll is the RawConn.Read callback of park: one epoll_wait that does
// not block; false sends the goroutine back to the netpoller.
func (l *Loop) parkPoll(uintptr) bool {
	n, err := epollWaitNow(l.epfd, l.events) // retries EINTR itself
	l.parkN, l.parkErr = n, err
	return err != nil || n > 0
}

// IO watches one descriptor for the loop (uv__io_t). It lives inside
// what owns the descriptor (a Stream), as uv__io_t lives in a handle, so
// that watching a new connection allocates nothing of its own.
type IO struct {
	fd     int
	gen    int32
	events uint32
	added  bool
	h      ioHandler
}

// ioHandler is what a watcher calls back on the loop with the epoll
// events that fired (a Stream's onIO).
type ioHandler interface{ onIO(events uint32) }

// initIO prepares w to watch fd for h.
func (l *Loop) initIO(w *IO, fd int, h ioHandler) {
	l.gen++
	if l.gen <= 0 {
		// After 2^31 watchers: -1 marks the eventfd's events.
		l.gen = 1
	}
	*w = IO{fd: fd, gen: l.gen, h: h}
}

// IOStart adds events to what w waits for (uv__io_start).
func (l *Loop) IOStart(w *IO, events uint32) error {
	want := w.events | events
	if want == w.events && w.added {
		return nil
	}
	return l.ioUpdate(w, want)
}

// IOStop removes events from what w waits for (uv__io_stop).
func (l *Loop) IOStop(w *IO, events uint32) error {
	want := w.events &^ events
	if want == w.events {
		return nil
	}
	return l.ioUpdate(w, want)
}

func (l *Loop) ioUpdate(w *IO, want uint32) error {
	ev := unix.EpollEvent{Events: want, Fd: int32(w.fd), Pad: w.gen}
	var err error
	switch {
	case want == 0 && w.added:
		err = epollCtl(l.epfd, unix.EPOLL_CTL_DEL, w.fd, nil)
		w.added = false
		delete(l.watchers, int32(w.fd))
	case want == 0:
	case w.added:
		err = epollCtl(l.epfd, unix.EPOLL_CTL_MOD, w.fd, &ev)
	default:
		err = epollCtl(l.epfd, unix.EPOLL_CTL_ADD, w.fd, &ev)
		if err == nil {
			w.added = true
			l.watchers[int32(w.fd)] = w
		}
	}
	if err != nil {
		return err
	}
	w.events = want
	return nil
}

// FdExists reports whether the loop watches fd (a handle of the loop
// reads or writes it), which libuv's uv_tcp_open and uv_pipe_open refuse
// with UV_EEXIST.
//
// Like libuv's uv__fd_exists().
func (l *Loop) FdExists(fd int) bool { return l.watchers[int32(fd)] != nil }

// IOClose forgets w before its descriptor is closed (uv__io_close).
func (l *Loop) IOClose(w *IO) {
	if w.added {
		epollCtl(l.epfd, unix.EPOLL_CTL_DEL, w.fd, nil)
		w.added = false
	}
	if l.watchers[int32(w.fd)] == w {
		delete(l.watchers, int32(w.fd))
	}
	w.events = 0
}
