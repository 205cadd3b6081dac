// Package cluster ports lib/cluster.js: Node's public cluster API. A
// process is a worker when it started with NODE_UNIQUE_ID in its
// environment (lib/cluster.js then loads child.js) and the primary
// otherwise (primary.js); this package forwards to internal/child or
// internal/master accordingly.
//
// Source: Node.js v20.20.2, lib/cluster.js (and, behind it,
// lib/internal/cluster/primary.js, child.js, worker.js).
//
// A program runs its main code with [Run], which does what Node does
// before and after a script: start-up (the IPC channel; in a worker,
// "online"), the main function, then the event loop until nothing keeps
// it alive.
//
//	func main() {
//		cluster.Run(func() {
//			if cluster.IsPrimary {
//				cluster.Fork(nil)
//				return
//			}
//			srv := net.CreateServer(func(s *net.Socket) { s.End([]byte("hi\n")) })
//			srv.Listen(8000)
//		})
//	}
//
// Older articles use the names isMaster, setupMaster and master.js; Node
// v20 calls them isPrimary, setupPrimary and primary.js. [IsMaster] and
// [SetupMaster] are kept as deprecated aliases, as Node keeps them.
package cluster
