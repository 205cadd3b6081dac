package cluster

import (
	"time"

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

// SetTimeout runs cb on the event loop once d has passed (setTimeout).
func SetTimeout(d time.Duration, cb func()) *Timer { return uv.Default().SetTimeout(d, cb) }

// SetInterval runs cb on the event loop every d until the timer is
// stopped (setInterval).
func SetInterval(d time.Duration, cb func()) *Timer { return uv.Default().SetInterval(d, cb) }

// SetImmediate runs cb on the event loop after the current turn's I/O
// (setImmediate).
func SetImmediate(cb func()) { uv.Default().SetImmediate(cb) }

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
