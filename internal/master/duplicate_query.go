package master

import (
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/handle"
	"github.com/nodecluster/nodecluster/internal/trace"
	"github.com/nodecluster/nodecluster/internal/worker"
	"golang.org/x/sys/unix"
)

// duplicateQuery answers a queryServer for a key the worker holds
// already, which no Node worker sends (each of its servers on one address
// has a key of its own, by index): the worker's listen fails with
// EADDRINUSE, as a second server on the same port does, and the key stays
// with the handle.
//
// DEVIATION(fix): v20's RoundRobinHandle and SharedHandle assert that a
// worker is added once, and the failed assertion ends the primary
// (ERR_INTERNAL_ASSERTION; node printed it under both policies). Here the
// worker's listen fails with EADDRINUSE and the primary goes on.
// NODECLUSTER_REPRODUCE_V20=duplicate-query (handle.ReproduceNodeDuplicateQuery)
// brings that back.
func duplicateQuery(w *worker.Worker, key string, h handle.Handle, message *childprocess.Object) {
	if handle.ReproduceNodeDuplicateQuery {
		panic(childprocess.InternalAssertion(""))
	}
	trace.Step("master.queryServer", "primary.js queryServer", "worker %d asked again for key %s: EADDRINUSE", w.ID, key)
	send(w, childprocess.NewObject("errno", -int(unix.EADDRINUSE), "key", key, "ack", message.Value("seq"), "data", h.Data()), nil, nil)
}
