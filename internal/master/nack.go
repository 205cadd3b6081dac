package master

// A newconn whose descriptor did not reach the worker. It has no JS
// counterpart (see childprocess.Target.OnNativeNack).

import (
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/utils"
)

// nackedHandoff answers a newconn the worker NACKed (its descriptor did
// not arrive, and the worker never saw the message) as the worker's
// refusal, {accepted: false, nack: true}: the round-robin handle gives the
// connection to a worker again, and this worker is free for the next one
// (see handle.RoundRobinHandle.onReply for how often).
func nackedHandoff(message *childprocess.Object) {
	utils.Answer(message, childprocess.NewObject("cmd", "NODE_CLUSTER", "ack", message.Value("seq"), "accepted", false, "nack", true))
}
