package utils

import (
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/trace"
)

// Callback gets the reply to a message sent with a callback, and the
// handle that came with it (nil when none did).
type Callback func(reply *childprocess.Object, handle any)

// Sender is what messages go through: a worker's process object or the
// primary's ChildProcess for a worker.
type Sender interface {
	IsConnected() bool
	SendRaw(message *childprocess.Object, handle any) bool
}

var (
	// callbacks and seq are module state in utils.js: one counter and one
	// map for the whole process, shared by every worker in the primary.
	callbacks = make(map[int]Callback)
	seq       = 0
)

// SendHelper marks message as a cluster message (cmd NODE_CLUSTER first,
// seq last), stores cb under its seq, and sends it with handle.
//
// Mirrors lib/internal/cluster/utils.js sendHelper().
func SendHelper(proc Sender, message *childprocess.Object, handle any, cb Callback) bool {
	if !proc.IsConnected() {
		return false
	}
	m := childprocess.NewObject("cmd", "NODE_CLUSTER")
	m.Assign(message)
	m.Set("seq", seq)
	if cb != nil {
		callbacks[seq] = cb
	}
	if trace.On {
		if act, ok := m.String("act"); ok {
			trace.Step("utils.SendHelper", "utils.js sendHelper", "seq %d: send act %s", seq, act)
		} else {
			trace.Step("utils.SendHelper", "utils.js sendHelper", "seq %d: send reply to ack %s", seq, childprocess.ToJSString(m.Value("ack")))
		}
	}
	seq++
	return proc.SendRaw(m, handle)
}

// Internal returns an internalMessage listener that passes cluster
// messages to cb, except replies whose ack matches a stored callback,
// which go to that callback instead.
//
// Mirrors lib/internal/cluster/utils.js internal().
func Internal(cb Callback) func(message any, handle any) {
	return func(message any, handle any) {
		onInternalMessage(cb, message, handle)
	}
}

// onInternalMessage is the listener Internal returns.
//
// Mirrors lib/internal/cluster/utils.js internal() inner onInternalMessage().
func onInternalMessage(cb Callback, message any, handle any) {
	m, ok := message.(*childprocess.Object)
	if !ok {
		return
	}
	if cmd, _ := m.String("cmd"); cmd != "NODE_CLUSTER" {
		return
	}
	fn := cb
	if c, found := takeCallback(m, "ack"); found {
		fn = c
	}
	fn(m, handle)
}

// takeCallback removes and returns the callback stored under the seq that
// m's key holds (a whole number; anything else names none).
func takeCallback(m *childprocess.Object, key string) (Callback, bool) {
	n, isNum := m.Number(key)
	if !isNum || n != float64(int(n)) {
		return nil, false
	}
	c, found := callbacks[int(n)]
	if found {
		delete(callbacks, int(n))
	}
	return c, found
}

// PendingCallbacks is how many replies are still awaited (for tests and
// leak checks).
func PendingCallbacks() int { return len(callbacks) }

// ResetForTest puts seq back to 0 and forgets callbacks, so a test that
// runs several primaries in one process sees each start as Node's would.
func ResetForTest() {
	seq = 0
	callbacks = make(map[int]Callback)
}

// NextSeq is the seq the next SendHelper call will use.
func NextSeq() int { return seq }

// Answer gives reply to the callback waiting for a reply to sent (a
// message SendHelper sent, by its seq), as if it had come from the other
// side.
func Answer(sent, reply *childprocess.Object) {
	if c, found := takeCallback(sent, "seq"); found {
		c(reply, nil)
	}
}

// ForgetCallback drops the callback waiting for a reply to seq, when the
// reply can no longer come (its worker died).
func ForgetCallback(s int) { delete(callbacks, s) }
