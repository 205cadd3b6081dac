// Package events ports the part of lib/events.js that cluster and net use:
// an EventEmitter with on, once, prependListener, prependOnceListener,
// emit, removeListener, removeAllListeners, listenerCount, listeners,
// rawListeners, eventNames, setMaxListeners and getMaxListeners (with
// Node's MaxListenersExceededWarning), and events.errorMonitor.
//
// Source: Node.js v20.20.2, lib/events.js.
//
// Listeners are Go functions of any signature. Emit passes its arguments
// positionally, as JS does: extra arguments are dropped and missing ones
// arrive as zero values, so a listener written as
// func(w *worker.Worker, addr worker.Address) receives exactly what Node's
// listener (worker, address) receives.
package events
