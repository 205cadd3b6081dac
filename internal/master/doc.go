// Package master ports lib/internal/cluster/primary.js, the primary side
// of cluster (master.js until Node 16, hence the folder's name; the file
// is primary.go). [Fork] starts a worker process with its IPC channel;
// the worker's messages are dispatched to online, queryServer, listening,
// close and exitedAfterDisconnect; queryServer creates one
// RoundRobinHandle (or SharedHandle) per listen key and adds the worker.
//
// Source: Node.js v20.20.2, lib/internal/cluster/primary.js.
package master
