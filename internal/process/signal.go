package process

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/uv"
	"golang.org/x/sys/unix"
)

// signalWrap is a signal a listener on process has taken: what
// signal.Notify feeds, and the goroutine that hands each arrival to the
// loop. Node's is a Signal handle (signal_wrap), unref'd: it does not keep
// the loop alive, and neither does this.
type signalWrap struct {
	name string
	ch   chan os.Signal
}

var (
	// signalWraps holds the wraps by event name; used on the loop only.
	signalWraps = map[string]*signalWrap{}

	// caught is which signals a wrap holds, for signalWaiter (another
	// goroutine), which must then not die of them.
	caughtMu sync.Mutex
	caught   = map[unix.Signal]int{}
)

// isSignal reports whether an event name is a signal's.
//
// Mirrors lib/internal/process/signal.js isSignal().
func isSignal(event string) bool {
	_, ok := childprocess.SignalByName(event) // as written: process.on('sigint') is no signal's
	return ok
}

// startListeningIfSignal runs for every listener added to process: the
// first for a signal's name takes the signal from its default action, and
// each arrival emits the name on process, with the name as argument. A
// signal that cannot be caught (SIGKILL, SIGSTOP) panics with Node's
// "uv_signal_start EINVAL", before the listener is added, as the call
// throws in Node.
//
// DEVIATION(goroutine): the Go runtime receives the signal; a goroutine
// hands it to the loop, which emits it, as libuv's signal handle does
// through its pipe.
//
// Mirrors lib/internal/process/signal.js startListeningIfSignal().
func startListeningIfSignal(event string) {
	if !isSignal(event) || signalWraps[event] != nil {
		return
	}
	sig, _ := childprocess.SignalByName(event)
	if sig == unix.SIGKILL || sig == unix.SIGSTOP {
		panic(&childprocess.ErrnoError{Code: "EINVAL", Errno: -int(unix.EINVAL), Syscall: "uv_signal_start", Message: "uv_signal_start EINVAL"})
	}
	w := &signalWrap{name: event, ch: make(chan os.Signal, 1)}
	caughtMu.Lock()
	caught[sig]++
	caughtMu.Unlock()
	signal.Notify(w.ch, sig)
	signalWraps[event] = w
	go w.wait()
}

// stopListeningIfSignal runs for every listener removed from process: when
// a signal's last listener goes, the signal has its default action again.
//
// Mirrors lib/internal/process/signal.js stopListeningIfSignal().
func stopListeningIfSignal(event string) {
	w := signalWraps[event]
	if w == nil || Get().ListenerCount(event) != 0 {
		return
	}
	delete(signalWraps, event)
	signal.Stop(w.ch)
	close(w.ch)
	caughtMu.Lock()
	sig, _ := childprocess.SignalByName(event)
	caught[sig]--
	caughtMu.Unlock()
}

// wait hands each arrival of the wrap's signal to the loop, until the
// wrap is stopped.
func (w *signalWrap) wait() {
	pprof.Do(context.Background(), pprof.Labels("node.process", Role(), "node.fn", "signal "+w.name), func(context.Context) {
		for range w.ch {
			uv.Default().Post(w.onsignal)
		}
	})
}

// onsignal emits the signal's name on process, unless the wrap was
// stopped since the signal came (a closed handle calls back no more).
func (w *signalWrap) onsignal() {
	if signalWraps[w.name] == w {
		Get().Emit(w.name, w.name)
	}
}

// isCaught reports whether a listener on process holds sig.
func isCaught(sig unix.Signal) bool {
	caughtMu.Lock()
	defer caughtMu.Unlock()
	return caught[sig] > 0
}
