package uv

import (
	"container/heap"
	"math"
	"time"
)

// The loop's timers are kept as Node keeps its Timeouts, not as libuv
// keeps uv_timer_t handles: Node runs every JS timer off one libuv timer,
// and what a program sees (which of two timers due together runs first)
// comes from Node's lists. Timers of the same duration in whole
// milliseconds share a list, in the order they were inserted; the lists
// wait in a priority queue by the expiry of their head; times are the
// loop's millisecond clock (getLibuvNow). So a timer inserted after
// another of the same duration never runs before it, even when the clock
// ticked in between, and an interval inserted again after its callback
// goes behind a timer of its period that the callback set.

// Timer is a timer on the loop (Node's Timeout, the base of setTimeout,
// setInterval and a socket's idle timeout).
type Timer struct {
	Handle
	list       *timerList // nil when in none
	prev, next *Timer
	start      int64 // _idleStart: the ms clock when it was inserted
	msecs      int64 // its duration in whole ms, at least 1: its list
	repeat     time.Duration
	closed     bool // cleared by Stop before it ended: Refresh does nothing (_idleTimeout -1)
	cleared    bool // cleared by Stop: its callback is gone (_onTimeout null)
	destroyed  bool // ended: fired (and not armed again) or cleared (Node's _destroyed)
	cb         func()
}

// timerList is the list of timers of one duration (Node's TimersList):
// expiry is when its head is due, id breaks ties between lists due
// together (the list made or put back first goes first).
type timerList struct {
	msecs      int64
	expiry     int64
	id         uint64
	head, tail *Timer
	index      int // in the loop's timerQueue
}

// ms reads t on the loop's millisecond clock.
func (l *Loop) ms(t time.Time) int64 { return int64(t.Sub(l.msBase) / time.Millisecond) }

// msNow brings the loop's time up to date and returns it in ms, as
// getLibuvNow does (uv_update_time, then uv_now).
func (l *Loop) msNow() int64 {
	l.now = time.Now()
	return l.ms(l.now)
}

// SetTimeout runs cb once after d.
func (l *Loop) SetTimeout(d time.Duration, cb func()) *Timer {
	return l.startTimer(d, 0, cb)
}

// SetInterval runs cb every d until the timer is cleared.
func (l *Loop) SetInterval(d time.Duration, cb func()) *Timer {
	if d <= 0 {
		d = time.Millisecond
	}
	return l.startTimer(d, d, cb)
}

func (l *Loop) startTimer(d, repeat time.Duration, cb func()) *Timer {
	t := &Timer{msecs: max(int64(d/time.Millisecond), 1), repeat: repeat, cb: cb}
	t.Handle.init(l)
	l.insertTimer(t, l.msNow())
	t.activate()
	return t
}

// insertTimer puts t at the end of its duration's list, started at start,
// making the list (and queueing it) if there is none.
//
// Like lib/internal/timers.js insert().
func (l *Loop) insertTimer(t *Timer, start int64) {
	if t.list != nil {
		t.list.remove(t)
	}
	t.start = start
	list := l.timerLists[t.msecs]
	if list == nil {
		l.timerListID++
		list = &timerList{msecs: t.msecs, expiry: start + t.msecs, id: l.timerListID}
		l.timerLists[t.msecs] = list
		heap.Push(&l.timerQueue, list)
		if l.nextExpiry > list.expiry {
			// scheduleTimer: the one libuv timer, from the loop's time.
			l.timerFire = l.ms(l.now) + t.msecs
			l.nextExpiry = list.expiry
		}
	}
	list.append(t)
}

// Stop clears the timer (clearTimeout): out of its list, and the list out
// of the queue when it is left empty.
//
// Like lib/timers.js unenroll().
func (t *Timer) Stop() {
	l := t.loop
	t.cleared = true
	if t.destroyed {
		// A timeout that fired: Node's unenroll returns at once, so a
		// Refresh still arms it (it keeps the loop alive for its
		// duration and then ends without a call).
		return
	}
	t.closed = true
	t.destroyed = true
	if t.list != nil {
		t.list.remove(t)
	}
	// Only a ref'd timer that has not ended takes its duration's list out
	// when the list is left empty (even a list it was no longer in: it
	// stops itself in its own callback): Node keeps an unref'd timer's
	// list, likely to be used again at once (an idle socket's).
	if t.refed {
		if list := l.timerLists[t.msecs]; list != nil && list.head == nil {
			heap.Remove(&l.timerQueue, list.index)
			delete(l.timerLists, t.msecs)
		}
	}
	t.deactivate()
}

// Refresh starts the timer's time again from the loop's time brought up
// to date, at the end of its list; a timeout that has already fired is
// armed again; one cleared by Stop stays cleared.
//
// Like lib/internal/timers.js Timeout.prototype.refresh().
func (t *Timer) Refresh() {
	if t.closed {
		return
	}
	t.destroyed = false
	t.loop.insertTimer(t, t.loop.msNow())
	t.activate()
}

// runTimers runs every list due by the loop's time, the earliest first
// (the loop's now is the iteration's, brought up to date just before), in
// one callback scope: the ticks queued run between two timers, and at the
// end. A callback or a tick that panics (an uncaught exception the process
// survived) ends the pass, and another starts, as Node's RunTimers calls
// processTimers again after an exception: its first timer runs before the
// ticks.
//
// Like src/env.cc RunTimers() calling lib/internal/timers.js
// processTimers().
//
// Node runs its timers off one libuv timer, armed for the earliest list;
// after a pass it arms it again for the next list's expiry counted from
// the loop's time, and at least a millisecond ahead: a list that is
// already due then waits for the clock to tick (the check phases go on
// meanwhile). timerFire is that libuv timer's due time, nextExpiry what
// lib/internal/timers.js knows of the earliest list.
func (l *Loop) runTimers() {
	now := l.ms(l.now)
	if l.timerFire < 0 || l.timerFire > now {
		return // the timer has not fired: no callback scope
	}
	l.timerFire = -1
	armed := false
	defer func() {
		if !armed && len(l.timerQueue) > 0 {
			// A panic no OnPanic took went through the pass: the timer
			// is armed for what is left, for a later Run.
			l.timerFire = max(l.timerQueue[0].expiry, l.ms(l.now)+1)
		}
	}()
	for !l.processTimers(now) {
	}
	if l.nextExpiry != noExpiry {
		at := l.ms(l.now)
		l.timerFire = at + max(l.nextExpiry-at, 1)
	}
	armed = true
	l.runTicks()
}

// noExpiry is nextExpiry when no list waits (Node's Infinity).
const noExpiry = math.MaxInt64

// processTimers runs the lists due at now, the ticks queued between two
// of them; false when a callback or a tick panicked.
//
// Like lib/internal/timers.js processTimers().
func (l *Loop) processTimers(now int64) bool {
	l.nextExpiry = noExpiry
	ranList := false
	for len(l.timerQueue) > 0 {
		list := l.timerQueue[0]
		if list.expiry > now {
			l.nextExpiry = list.expiry
			return true
		}
		if ranList {
			if !l.runTicks() {
				return false
			}
		}
		ranList = true
		if !l.listOnTimeout(list, now) {
			return false
		}
	}
	return true
}

// listOnTimeout runs the timers of list that are due at now, in their
// order, the ticks queued between two of them; at the first one that is
// not due, the list waits again for it. An interval is inserted again
// after its callback (even one that panicked), from the time it started.
// It returns false when a callback or a tick panicked, leaving the list
// in the queue (the next pass takes it off when it is empty).
//
// Like lib/internal/timers.js listOnTimeout().
func (l *Loop) listOnTimeout(list *timerList, now int64) bool {
	ranTimer := false
	for t := list.head; t != nil; t = list.head {
		if now-t.start < list.msecs {
			list.expiry = max(t.start+list.msecs, now+1)
			l.timerListID++
			list.id = l.timerListID
			heap.Fix(&l.timerQueue, list.index)
			return true
		}
		if ranTimer && !l.runTicks() {
			return false
		}
		ranTimer = true
		if t.list != nil {
			t.list.remove(t)
		}
		if t.cleared {
			// Cleared (by a tick, or refreshed after it was cleared): it
			// ends without a call.
			if !t.destroyed {
				t.destroyed = true
				t.deactivate()
			}
			continue
		}
		if t.repeat == 0 {
			// Ended before its callback (Node counts it off after): a
			// Refresh in the callback arms it again, and a panic that
			// no OnPanic takes leaves nothing ref'd behind.
			t.deactivate()
			ok := l.invoke(t.cb)
			if t.list == nil {
				t.destroyed = true // not armed again by its callback
			}
			if !ok {
				return false
			}
			continue
		}
		if !l.runInterval(t) {
			return false
		}
	}
	if l.timerLists[list.msecs] == list {
		delete(l.timerLists, list.msecs)
		heap.Remove(&l.timerQueue, list.index)
	}
	return true
}

// runInterval runs an interval's callback and puts it back among the
// timers afterwards, from the time it started, even when the callback
// panicked (Node's finally), unless the callback cleared it.
func (l *Loop) runInterval(t *Timer) bool {
	start := l.msNow()
	defer func() {
		if !t.closed {
			l.insertTimer(t, start)
		}
	}()
	return l.invoke(t.cb)
}

func (list *timerList) append(t *Timer) {
	t.list = list
	t.prev, t.next = list.tail, nil
	if list.tail != nil {
		list.tail.next = t
	} else {
		list.head = t
	}
	list.tail = t
}

func (list *timerList) remove(t *Timer) {
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		list.head = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		list.tail = t.prev
	}
	t.prev, t.next, t.list = nil, nil, nil
}

// timerListQueue is the lists by expiry, then id (Node's timerListQueue,
// compareTimersLists).
type timerListQueue []*timerList

func (q timerListQueue) Len() int { return len(q) }
func (q timerListQueue) Less(i, j int) bool {
	if q[i].expiry == q[j].expiry {
		return q[i].id < q[j].id
	}
	return q[i].expiry < q[j].expiry
}
func (q timerListQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i]; q[i].index = i; q[j].index = j }
func (q *timerListQueue) Push(x any) {
	list := x.(*timerList)
	list.index = len(*q)
	*q = append(*q, list)
}
func (q *timerListQueue) Pop() any {
	old := *q
	list := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return list
}
