// Package worker ports lib/internal/cluster/worker.js: the Worker object
// both sides of cluster build (the primary one per forked process, the
// worker one for itself), with its id, state, process and the events it
// forwards from the process.
//
// Source: Node.js v20.20.2, lib/internal/cluster/worker.js. The methods
// that differ per side (disconnect, destroy) are installed by
// internal/master and internal/child, as primary.js and child.js extend
// Worker.prototype.
package worker
