package net

import (
	"context"
	"runtime/pprof"

	"github.com/nodecluster/nodecluster/internal/uv"
)

// abortListener is a listener on a signal, as Node's addAbortListener
// adds one: act runs once, on the loop, when ctx is done (from the
// context's goroutine, through the loop; or earlier, from check, where
// Node's listener, which runs within abort(), would have acted already),
// unless dispose came first. It has no JS counterpart of its own; listen's
// and a socket's signals use it.
type abortListener struct {
	l        *uv.Loop
	ctx      context.Context
	label    string
	act      func()
	stop     func() bool
	disposed bool
}

func newAbortListener(ctx context.Context, label string, act func()) *abortListener {
	a := &abortListener{l: uv.Default(), ctx: ctx, label: label, act: act}
	a.stop = context.AfterFunc(ctx, a.aborted)
	return a
}

// aborted runs on the goroutine the context starts once it is done.
func (a *abortListener) aborted() {
	pprof.Do(context.Background(), pprof.Labels("node.fn", a.label), func(context.Context) {
		a.l.Post(a.fire)
	})
}

func (a *abortListener) fire() {
	if !a.disposed {
		a.disposed = true
		a.act()
	}
}

// check fires now when ctx is done (a nil listener has nothing to do).
func (a *abortListener) check() {
	if a != nil && !a.disposed && a.ctx.Err() != nil {
		a.fire()
	}
}

// dispose removes the listener: act will not run.
func (a *abortListener) dispose() {
	a.disposed = true
	a.stop()
}
