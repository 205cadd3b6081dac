// Package child ports lib/internal/cluster/child.js: the worker side of
// cluster. At start-up [setupWorker] builds this process's Worker, sends
// "online" and listens for the primary's messages; net's listenInCluster
// calls [GetServer] (cluster._getServer), which sends "queryServer" and
// hands the reply to [rr] (round-robin: a faux handle that never listens)
// or [shared] (the primary's own listening socket); [onconnection] takes a
// connection the primary passed over the channel and answers
// {ack, accepted}.
//
// Source: Node.js v20.20.2, lib/internal/cluster/child.js.
package child
