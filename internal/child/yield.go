package child

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/nodecluster/nodecluster/internal/childprocess"
)

// backlogGap is how soon after its previous answer a worker must be handed
// its next connection for yieldToPrimary to take the primary as busy: the
// primary sent it from the previous answer's callback, so connections were
// waiting in its round-robin handle. A worker handed connections one at a
// time (a single client, a light load) answers them further apart than
// this: on this project's 2-core machine, with one client making one
// connection at a time (about 4 400 a second), each of two workers
// answers every 450 µs or so; under the bench's new-connection load
// (about 12 000 a second) every 170 µs on average.
const backlogGap = 250 * time.Microsecond

// ReproduceNoYield, when true (NODECLUSTER_REPRODUCE_V20=no-yield), keeps a
// worker on its CPU after it answers a handed-off connection, as a Node
// worker stays.
var ReproduceNoYield = childprocess.Reproduce("no-yield")

// answerYield decides, for each answered connection, whether the worker
// gives up its CPU (see yieldToPrimary).
type answerYield struct {
	last   time.Time // when the worker last answered a handed-off connection
	yields int       // how many times it yielded (tests)
}

// answered records an answer made at now (the loop's time) and reports
// whether the worker should yield: when the previous answer was less than
// backlogGap before.
func (y *answerYield) answered(now time.Time) bool {
	busy := !y.last.IsZero() && now.Sub(y.last) < backlogGap
	y.last = now
	return busy && !ReproduceNoYield
}

var afterAnswer answerYield

// yieldToPrimary runs once a worker's answers to a handed-off connection
// (NODE_HANDLE_ACK and {ack, accepted}) are on the wire. When the primary
// looks busy (answered), it calls sched_yield(2), so that the primary gets
// a CPU now rather than after the connection's request is served.
//
// DEVIATION(goroutine): a Node worker runs on after answering. The kernel
// wakes the primary, which waits for the answer, synchronously (a Unix
// socket's writer is taken to be about to sleep), so when no CPU is idle
// the primary is queued on the worker's own CPU and runs only once the
// worker has served the connection's request; and since the primary holds
// this worker's next connection until it has read the answer, every
// connection waiting in the round-robin handle waits as well. Measured
// with the bench's new-connection load (alternated 3 s runs, 32
// connections, 2 workers), the yield raised the round-robin rate in every
// round of six, by about 10% at the median. A worker handed connections
// one at a time does not yield (answered), so a lone request's latency is
// not lengthened; NODECLUSTER_REPRODUCE_V20=no-yield never yields.
func yieldToPrimary(now time.Time) {
	if afterAnswer.answered(now) {
		afterAnswer.yields++
		unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
	}
}

// Yields reports how many times this worker has yielded its CPU after an
// answer (for tests).
func Yields() int { return afterAnswer.yields }
