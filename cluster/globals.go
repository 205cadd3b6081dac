package cluster

import (
	"time"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
)

// Node gives every script globals that a cluster program leans on and
// that Go has no place for: the process object, and timers on the event
// loop. They have no counterpart in lib/cluster.js; they are here so that
// a program outside this module, which cannot import internal/, can do
// what a Node cluster program does (examples/http-cluster uses nothing
// else).

// Process is Node's process object for this process: On("exit"),
// On("message") and Send in a worker, Exit, ExitCode, Kill, GetPid, and
// the signal events: a listener for a signal's name (On("SIGTERM",
// func(name string))) takes the signal from its default action until the
// last such listener is removed, as process.on does.
type Process = process.Process

// CurrentProcess returns this process's object (Node's global process).
func CurrentProcess() *Process { return process.Get() }

// Timer is a timer on the event loop (a Timeout in Node): Stop clears it
// (clearTimeout), Unref lets the process exit while it is pending, Ref
// undoes that.
type Timer = uv.Timer

// SetTimeout runs cb on the event loop once d has passed (setTimeout). As
// in Node, a d below 1 ms is 1 ms (setTimeout(cb, 0) waits a millisecond,
// and keeps its place among the timers set for 1 ms), and one above
// 2^31-1 ms is 1 ms too, with a TimeoutOverflowWarning.
func SetTimeout(d time.Duration, cb func()) *Timer {
	return uv.Default().SetTimeout(timerDuration(d), cb)
}

// SetInterval runs cb on the event loop every d until the timer is
// stopped (setInterval); d is taken as SetTimeout takes it.
func SetInterval(d time.Duration, cb func()) *Timer {
	return uv.Default().SetInterval(timerDuration(d), cb)
}

// timerDuration is the duration Node's Timeout takes: 1 ms for one below
// 1 ms or above TIMEOUT_MAX (2^31-1 ms), the latter with a warning.
//
// Like lib/internal/timers.js Timeout().
func timerDuration(d time.Duration) time.Duration {
	const timeoutMax = (1<<31 - 1) * time.Millisecond
	if d > timeoutMax {
		events.EmitWarning(&events.Warning{Name: "TimeoutOverflowWarning",
			Message: childprocess.ToJSString(float64(d)/float64(time.Millisecond)) + " does not fit into a 32-bit signed integer.\nTimeout duration was set to 1."})
		return time.Millisecond
	}
	if d < time.Millisecond {
		return time.Millisecond
	}
	return d
}

// SetImmediate runs cb on the event loop after the current turn's I/O
// (setImmediate). What it returns cancels it (Clear: clearImmediate), and
// lets the process end while it waits (Unref) or not (Ref).
func SetImmediate(cb func()) *Immediate { return uv.Default().SetImmediate(cb) }

// Immediate is a callback SetImmediate queued (Node's Immediate): Clear
// cancels it, even from another immediate of the same turn; Unref lets the
// process end while it is pending, Ref undoes that; HasRef reports whether
// it is pending and ref'd. Call them on the loop.
type Immediate = uv.Immediate

// NextTick runs cb once the current callback returns, before any I/O or
// timer (process.nextTick).
func NextTick(cb func()) { uv.Default().NextTick(cb) }

// Post runs fn on the event loop; it may be called from any goroutine. The
// event loop's objects (servers, sockets, workers, timers) are not safe
// for concurrent use: a goroutine (a signal waiter, a net/http handler)
// hands what it has to the loop with Post. A goroutine that will Post
// later keeps the process alive meanwhile with Ref.
//
// DEVIATION(goroutine): Node has one thread of JS; Go code may run on any
// goroutine, and Post is how it joins the loop (uv_async_send).
func Post(fn func()) { uv.Default().Post(fn) }

// Ref keeps the event loop, and so the process, alive until a matching
// Unref, as a ref'd handle does; call both on the loop (Unref from a
// function given to Post).
func Ref() { uv.Default().Ref() }

// Unref releases a Ref.
func Unref() { uv.Default().Unref() }
