// Package handle ports the primary's two kinds of listening handle, one
// per listen key: [RoundRobinHandle] (lib/internal/cluster/round_robin_handle.js),
// which accepts every connection itself and passes each to a free worker
// over the IPC channel, and [SharedHandle]
// (lib/internal/cluster/shared_handle.js), which sends the listening
// socket itself to every worker and lets the kernel choose.
//
// Source: Node.js v20.20.2, lib/internal/cluster/round_robin_handle.js
// and lib/internal/cluster/shared_handle.js.
package handle

import (
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/worker"
)

// SendFunc is the reply queryServer gives each worker added to a handle:
// an errno (nil for JS null), extra reply fields, and a handle to send
// with it.
type SendFunc func(errno any, reply *childprocess.Object, handle any)

// Handle is what the primary keeps per key.
type Handle interface {
	Add(w *worker.Worker, send SendFunc)
	// Remove drops a worker and reports whether the handle is now unused
	// (and closed).
	Remove(w *worker.Worker) bool
	// Has reports whether the worker is one of the handle's.
	Has(w *worker.Worker) bool
	Data() any
	SetData(v any)
}
