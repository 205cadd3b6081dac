package events_test

// The orders asserted here (newListener before adding, listeners removed
// during an emit still running in it, once removed before its call,
// removeListener for a once) were checked against node v20 with the same
// sequences written with require("events").

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/nodecluster/nodecluster/internal/events"
)

func diff(t *testing.T, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

func TestOnOnceEmitOrder(t *testing.T) {
	var e events.EventEmitter
	var got []string
	e.On("x", func() { got = append(got, "on1") })
	e.Once("x", func() { got = append(got, "once") })
	e.On("x", func() { got = append(got, "on2") })
	e.On("y", func() { got = append(got, "y") })

	require.True(t, e.Emit("x"))
	require.True(t, e.Emit("x"))
	require.False(t, e.Emit("nobody"))
	diff(t, []string{"on1", "once", "on2", "on1", "on2"}, got)
	require.Equal(t, 2, e.ListenerCount("x"))
	require.Equal(t, 1, e.ListenerCount("y"))
	require.Equal(t, 0, e.ListenerCount("nobody"))
}

func TestZeroValueEmitter(t *testing.T) {
	var e events.EventEmitter
	require.False(t, e.Emit("x"))
	require.Equal(t, 0, e.ListenerCount("x"))
	e.RemoveListener(nil)
	e.RemoveAllListeners("x")
	e.RemoveAllListeners("")
}

func TestOnceIsRemovedBeforeItIsCalled(t *testing.T) {
	var e events.EventEmitter
	calls := 0
	var countInside int
	e.Once("x", func() {
		calls++
		countInside = e.ListenerCount("x")
		e.Emit("x") // re-entrant: must not call it again
	})
	e.Emit("x")
	e.Emit("x")
	require.Equal(t, 1, calls)
	require.Equal(t, 0, countInside)
	require.Equal(t, 0, e.ListenerCount("x"))
}

func TestOnceEmitsRemoveListener(t *testing.T) {
	var e events.EventEmitter
	var removed []string
	e.On("removeListener", func(name string) { removed = append(removed, name) })
	e.Once("x", func() {})
	e.Emit("x")
	diff(t, []string{"x"}, removed)
}

func TestListenersAddedDuringEmitWaitForTheNextEmit(t *testing.T) {
	var e events.EventEmitter
	var got []string
	e.On("x", func() {
		got = append(got, "first")
		e.On("x", func() { got = append(got, "added") })
	})
	e.Emit("x")
	diff(t, []string{"first"}, got)
	e.Emit("x")
	diff(t, []string{"first", "first", "added"}, got)
}

func TestListenersRemovedDuringEmitStillRunInIt(t *testing.T) {
	// Node clones the listener array before calling (arrayClone), so a
	// listener removed by an earlier one still runs in this emit.
	var e events.EventEmitter
	var got []string
	var second, third *events.Listener
	e.On("x", func() {
		got = append(got, "first")
		e.RemoveListener(second)
		e.RemoveListener(third)
	})
	second = e.On("x", func() { got = append(got, "second") })
	third = e.Once("x", func() { got = append(got, "third") })
	e.Emit("x")
	diff(t, []string{"first", "second", "third"}, got)
	e.Emit("x")
	diff(t, []string{"first", "second", "third", "first"}, got)
}

func TestRemoveListener(t *testing.T) {
	var e events.EventEmitter
	var got []string
	fn := func() { got = append(got, "fn") }
	a := e.On("x", fn)
	b := e.On("x", fn) // the same function twice: two registrations
	other := e.On("y", fn)

	var removed []string
	e.On("removeListener", func(name string) { removed = append(removed, name) })

	e.RemoveListener(a)
	require.Equal(t, 1, e.ListenerCount("x"))
	e.Emit("x")
	diff(t, []string{"fn"}, got)

	e.RemoveListener(a) // twice: harmless, nothing emitted
	e.RemoveListener(nil)
	require.Equal(t, 1, e.ListenerCount("x"))
	diff(t, []string{"x"}, removed)

	e.RemoveListener(b)
	require.Equal(t, 0, e.ListenerCount("x"))
	require.False(t, e.Emit("x"))
	require.Equal(t, 1, e.ListenerCount("y"), "other events are untouched")
	diff(t, []string{"x", "x"}, removed)

	e.RemoveListener(other)
	require.Equal(t, 0, e.ListenerCount("y"))
}

func TestRemoveAllListeners(t *testing.T) {
	var e events.EventEmitter
	e.On("x", func() {})
	e.On("x", func() {})
	e.On("y", func() {})
	e.RemoveAllListeners("x")
	require.Equal(t, 0, e.ListenerCount("x"))
	require.Equal(t, 1, e.ListenerCount("y"))
	e.RemoveAllListeners("")
	require.Equal(t, 0, e.ListenerCount("y"))
	require.False(t, e.Emit("y"))
}

func TestNewListenerIsEmittedBeforeAdding(t *testing.T) {
	var e events.EventEmitter
	var got []string
	e.On("newListener", func(name string) {
		got = append(got, fmt.Sprintf("%s count=%d", name, e.ListenerCount(name)))
	})
	e.On("x", func() {})
	e.Once("x", func() {})
	e.On("newListener", func(string) {})
	diff(t, []string{"x count=0", "x count=1", "newListener count=1"}, got)
	require.Equal(t, 2, e.ListenerCount("x"))
}

func TestNewListenerCanAddListenersThatRunFirst(t *testing.T) {
	// As in Node: a listener added from "newListener" goes before the one
	// being added.
	var e events.EventEmitter
	var got []string
	e.Once("newListener", func(name string) {
		if name == "x" {
			e.On("x", func() { got = append(got, "from newListener") })
		}
	})
	e.On("x", func() { got = append(got, "added") })
	e.Emit("x")
	diff(t, []string{"from newListener", "added"}, got)
}

type thing struct{ N int }

func TestTypedListenersGetArgumentsPositionally(t *testing.T) {
	var e events.EventEmitter
	type call struct {
		S string
		N int
		P *thing
	}
	var got []call
	e.On("x", func(s string, n int, p *thing) { got = append(got, call{s, n, p}) })

	th := &thing{N: 7}
	e.Emit("x", "a", 1, th, "extra", 99) // extras dropped
	e.Emit("x", "b", 2)                  // missing: zero
	e.Emit("x")                          // all missing
	e.Emit("x", "c", 3, nil)             // nil: zero
	diff(t, []call{{"a", 1, th}, {"b", 2, nil}, {"", 0, nil}, {"c", 3, nil}}, got)
}

func TestListenerShapes(t *testing.T) {
	var e events.EventEmitter
	var got []string
	e.On("x", func() { got = append(got, "none") })
	e.On("x", func(a any) { got = append(got, fmt.Sprintf("any=%v", a)) })
	e.On("x", func(args ...any) { got = append(got, fmt.Sprintf("variadic=%v", args)) })
	e.On("x", func(err error) { got = append(got, fmt.Sprintf("error=%v", err)) })
	e.On("x", func(first string, rest ...any) { got = append(got, fmt.Sprintf("first=%s rest=%v", first, rest)) })

	e.Emit("x", "s", 2)
	diff(t, []string{
		"none",
		"any=s",
		"variadic=[s 2]",
		"error=<nil>", // not an error: the zero value
		"first=s rest=[2]",
	}, got)
}

func TestListenerConversionAndMismatch(t *testing.T) {
	var e events.EventEmitter
	var f float64
	var anyCalled any = "unset"
	e.On("n", func(x float64) { f = x })
	e.On("n", func(a any) { anyCalled = a })
	e.Emit("n", 3) // int converts to float64, as JS numbers are one type
	require.Equal(t, 3.0, f)
	require.Equal(t, 3, anyCalled)
	e.Emit("n")
	require.Equal(t, 0.0, f)
	require.Nil(t, anyCalled)

	var e2 events.EventEmitter
	e2.On("s", func(n int) {})
	require.PanicsWithValue(t, "events: listener func(int) cannot take argument 0 of type string", func() { e2.Emit("s", "no") })

	errX := errors.New("x")
	var gotErr error
	var e3 events.EventEmitter
	e3.On("error", func(err error) { gotErr = err })
	require.True(t, e3.Emit("error", errX))
	require.Same(t, errX, gotErr)
}

func TestOnRejectsNonFunctions(t *testing.T) {
	var e events.EventEmitter
	require.Panics(t, func() { e.On("x", nil) })
	require.Panics(t, func() { e.On("x", 42) })
	require.Equal(t, 0, e.ListenerCount("x"))
}

// TestEmitErrorWithoutListenerPanics: with no "error" listener, an
// error is thrown as it is, and any other value as ERR_UNHANDLED_ERROR
// whose message shows it as util.inspect does (the messages are node
// v20.20.2's for the same values).
func TestEmitErrorWithoutListenerPanics(t *testing.T) {
	var e events.EventEmitter
	errX := errors.New("boom")
	e.On("other", func() {})

	v := recoverFrom(func() { e.Emit("error", errX) })
	require.Same(t, errX, v)

	v = recoverFrom(func() { e.Emit("error") })
	u, ok := v.(*events.UnhandledError)
	require.True(t, ok, "panic value is %T %v", v, v)
	require.Equal(t, "ERR_UNHANDLED_ERROR", u.Code)
	require.EqualError(t, u, "Unhandled error. (undefined)")
	require.Same(t, events.Undefined, u.Context)

	for _, c := range []struct {
		v    any
		want string
	}{
		{nil, "Unhandled error. (null)"},
		{"boom", "Unhandled error. ('boom')"},
		{"it's", `Unhandled error. ("it's")`},
		{`a"b'c`, "Unhandled error. (`a\"b'c`)"},
		{"x\ny", `Unhandled error. ('x\ny')`},
		{42, "Unhandled error. (42)"},
		{1.5, "Unhandled error. (1.5)"},
		{true, "Unhandled error. (true)"},
		// Numbers as node v20.20.2's util.inspect wrote them.
		{1e21, "Unhandled error. (1e+21)"},
		{123456789012345680000.0, "Unhandled error. (123456789012345680000)"},
		{1e-7, "Unhandled error. (1e-7)"},
		{0.000001, "Unhandled error. (0.000001)"},
		{-2.5e-10, "Unhandled error. (-2.5e-10)"},
		{100.0, "Unhandled error. (100)"},
		{1.7976931348623157e308, "Unhandled error. (1.7976931348623157e+308)"},
		{5e-324, "Unhandled error. (5e-324)"},
		{math.Copysign(0, -1), "Unhandled error. (-0)"},
		{0.30000000000000004, "Unhandled error. (0.30000000000000004)"}, // 0.1+0.2
		// Objects and arrays as node v20.20.2 wrote them.
		{map[string]any{"a": 1, "b": "x"}, "Unhandled error. ({ a: 1, b: 'x' })"},
		{[]any{1, "a", nil}, "Unhandled error. ([ 1, 'a', null ])"},
		{map[string]any{}, "Unhandled error. ({})"},
		{[]any{}, "Unhandled error. ([])"},
		{map[string]any{"b": []any{1, map[string]any{"c": 2}}}, "Unhandled error. ({ b: [ 1, { c: 2 } ] })"},
	} {
		v = recoverFrom(func() { e.Emit("error", c.v) })
		u, ok = v.(*events.UnhandledError)
		require.True(t, ok, "panic value is %T %v", v, v)
		require.EqualError(t, u, c.want)
		require.Equal(t, c.v, u.Context)
	}

	// A once "error" listener handles one error only.
	var got []error
	e.Once("error", func(err error) { got = append(got, err) })
	require.True(t, e.Emit("error", errX))
	require.Panics(t, func() { e.Emit("error", errX) })
	require.Len(t, got, 1)
}

// TestErrorMonitorRunsFirst: ErrorMonitor listeners see an "error" before
// its listeners, and do not keep an unlistened "error" from panicking
// (node v20.20.2: [ 'mon z', "Unhandled error. ('z')" ]).
func TestErrorMonitorRunsFirst(t *testing.T) {
	var e events.EventEmitter
	var got []string
	e.On(events.ErrorMonitor, func(v any) { got = append(got, fmt.Sprint("mon ", v)) })
	v := recoverFrom(func() { e.Emit("error", "z") })
	got = append(got, v.(error).Error())
	e.On("error", func(v, w any) { got = append(got, fmt.Sprint("error ", v)) })
	e.Emit("error", "y")
	e.Emit2("error", "x", nil)
	diff(t, []string{"mon z", "Unhandled error. ('z')", "mon y", "error y", "mon x", "error x"}, got)
	require.Equal(t, 1, e.ListenerCount("error"))
}

func recoverFrom(fn func()) (v any) {
	defer func() { v = recover() }()
	fn()
	return nil
}

// TestPrependRunsFirst: Prepend's listener runs before those added
// earlier, and is removed as any other.
func TestPrependRunsFirst(t *testing.T) {
	var e events.EventEmitter
	var got []string
	e.On("x", func() { got = append(got, "on") })
	p := e.Prepend("x", func() { got = append(got, "prepended") })
	e.Prepend("x", func() { got = append(got, "prepended last") })
	e.Emit("x")
	diff(t, []string{"prepended last", "prepended", "on"}, got)
	e.RemoveListener(p)
	require.Equal(t, 2, e.ListenerCount("x"))
	got = nil
	e.Emit("x")
	diff(t, []string{"prepended last", "on"}, got)
}

// TestHookRunsAfterAddAndRemove: Hook's functions run after a listener is
// added (after "newListener") and after one is removed (a Once's
// included), are not listeners, and survive RemoveAllListeners.
func TestHookRunsAfterAddAndRemove(t *testing.T) {
	var e events.EventEmitter
	var got []string
	e.Hook(func(ev string) { got = append(got, fmt.Sprintf("added %s %d", ev, e.ListenerCount(ev))) },
		func(ev string) { got = append(got, fmt.Sprintf("removed %s %d", ev, e.ListenerCount(ev))) })
	e.On("newListener", func(ev string) { got = append(got, "newListener "+ev) })
	l := e.On("x", func() {})
	e.Once("y", func() {})
	e.Emit("y")
	e.RemoveListener(l)
	e.RemoveAllListeners("")
	require.Equal(t, 0, e.ListenerCount("newListener"))
	e.On("z", func() {})
	diff(t, []string{"added newListener 1", "newListener x", "added x 1", "newListener y", "added y 1", "removed y 0",
		"removed x 0", "added z 1"}, got)
}

// probe, when set, makes the functions mk makes append their tag to it
// instead of running: how a test tells which functions Listeners gave.
var probe *[]string

// mk makes a listener that records its call as "call <tag>".
func mk(tag string, got *[]string) func() {
	return func() {
		if probe != nil {
			*probe = append(*probe, tag)
			return
		}
		*got = append(*got, "call "+tag)
	}
}

// fnTags is the tags of fns, functions mk made (or rl, tagged "rl").
func fnTags(fns ...any) []string {
	var tags []string
	probe = &tags
	defer func() { probe = nil }()
	for _, fn := range fns {
		fn.(func())()
	}
	return tags
}

// TestRemoveAllListenersEmitsRemoveListener: with "removeListener"
// listeners, RemoveAllListeners removes one listener at a time, each
// emitting "removeListener" with the event and the registration: an
// event's last added first; for all events, event by event, the
// "removeListener" listeners last (the last of them leaving silently).
// The lines are node v20.20.2's for testdata/remove_all.js (where the
// once listener shows as undefined: node passes its wrapper).
func TestRemoveAllListenersEmitsRemoveListener(t *testing.T) {
	var e events.EventEmitter
	var got []string
	names := map[*events.Listener]string{}
	reg := func(tag string, l *events.Listener) { names[l] = tag }
	reg("b1", e.On("b", func() {}))
	var r1, r2 *events.Listener
	r1 = e.On("removeListener", func(ev string, l *events.Listener) { got = append(got, "r1 "+ev+" "+names[l]) })
	reg("r1", r1)
	reg("a1", e.On("a", func() {}))
	reg("undefined", e.Once("a", func() {}))
	reg("a3", e.On("a", func() {}))
	r2 = e.On("removeListener", func(ev string, l *events.Listener) { got = append(got, "r2 "+ev+" "+names[l]) })
	reg("r2", r2)
	reg("c1", e.On("c", func() {}))
	e.RemoveAllListeners("a")
	diff(t, []string{"r1 a a3", "r2 a a3", "r1 a undefined", "r2 a undefined", "r1 a a1", "r2 a a1"}, got)
	diff(t, []string{"b", "removeListener", "c"}, e.EventNames())
	got = nil
	reg("a4", e.On("a", func() {}))
	e.RemoveAllListeners("")
	diff(t, []string{"r1 b b1", "r2 b b1", "r1 c c1", "r2 c c1", "r1 a a4", "r2 a a4", "r1 removeListener r2"}, got)
	diff(t, []string{}, e.EventNames())
}

// TestListenersRawListenersEventNames: what node v20.20.2 printed for
// testdata/listeners.js: "newListener" and "removeListener" get the event
// and the registration (Func is the function; node passes the function,
// or a once's wrapper on removal), EventNames lists array-index names
// first, then the others by the creation of their lists.
func TestListenersRawListenersEventNames(t *testing.T) {
	var e events.EventEmitter
	var got []string
	tags := map[*events.Listener]string{}
	rl := func(ev string, l *events.Listener) { got = append(got, "removeListener "+ev+" "+tags[l]) }
	fnTag := func(fn any) string {
		if _, ok := fn.(func(string, *events.Listener)); ok {
			return "rl"
		}
		return fnTags(fn)[0]
	}
	e.On("newListener", func(ev string, l *events.Listener) {
		require.Equal(t, ev, l.Event())
		got = append(got, "newListener "+ev+" "+fnTag(l.Func()))
	})
	e.On("removeListener", rl)
	add := func(l *events.Listener, tag string, once bool) {
		tags[l] = tag
		if once {
			tags[l] = "wrapper of " + tag
		}
	}
	add(e.On("zeta", mk("z1", &got)), "z1", false)
	add(e.On("b", mk("b1", &got)), "b1", false)
	add(e.Once("b", mk("b2", &got)), "b2", true)
	add(e.PrependOnce("b", mk("b0", &got)), "b0", true)
	add(e.On("10", mk("ten", &got)), "ten", false)
	add(e.On("2", mk("two", &got)), "two", false)
	add(e.On("alpha", mk("a1", &got)), "a1", false)
	got = append(got, "names "+strings.Join(e.EventNames(), ","))
	ls := fnTags(e.Listeners("b")...)
	var raw []string
	for _, l := range e.RawListeners("b") {
		raw = append(raw, tags[l])
	}
	got = append(got, "listeners "+strings.Join(ls, ","), "raw "+strings.Join(raw, ","), fmt.Sprint("count ", e.ListenerCount("b")))
	e.Emit("b")
	ls = fnTags(e.Listeners("b")...)
	got = append(got, "listeners "+strings.Join(ls, ","))
	e.RemoveAllListeners("zeta")
	add(e.On("zeta", mk("z2", &got)), "z2", false)
	got = append(got, "names "+strings.Join(e.EventNames(), ","))
	got = append(got, fmt.Sprint("none ", len(e.Listeners("nothing")), " ", len(e.RawListeners("nothing"))))
	diff(t, []string{
		"newListener removeListener rl",
		"newListener zeta z1",
		"newListener b b1",
		"newListener b b2",
		"newListener b b0",
		"newListener 10 ten",
		"newListener 2 two",
		"newListener alpha a1",
		"names 2,10,newListener,removeListener,zeta,b,alpha",
		"listeners b0,b1,b2",
		"raw wrapper of b0,b1,wrapper of b2",
		"count 3",
		"removeListener b wrapper of b0",
		"call b0",
		"call b1",
		"removeListener b wrapper of b2",
		"call b2",
		"listeners b1",
		"removeListener zeta z1",
		"newListener zeta z2",
		"names 2,10,newListener,removeListener,b,alpha,zeta",
		"none 0 0",
	}, got)
}

// TestMaxListenersExceededWarning: the warnings node v20.20.2 printed for
// testdata/max_listeners.js, with the --trace-warnings hint after the
// first only (printed at once here, with no process to hand them to; the
// process's next-tick "warning" event is TestMaxListenersWarningInWorker's).
func TestMaxListenersExceededWarning(t *testing.T) {
	var out strings.Builder
	defer events.SetWarningOutput(&out)()
	var e events.EventEmitter
	f := func() {}
	require.Equal(t, 10, events.DefaultMaxListeners)
	require.Equal(t, 10, e.GetMaxListeners())
	var a []*events.Listener
	for i := 0; i < 11; i++ {
		a = append(a, e.On("a", f))
	}
	a = append(a, e.On("a", f))
	e.SetMaxListeners(2)
	for i := 0; i < 3; i++ {
		e.On("b", f)
	}
	for _, l := range a[:11] {
		e.RemoveListener(l)
	}
	e.On("a", f)
	e.On("a", f)
	e.RemoveAllListeners("b")
	e.On("b", f)
	e.Prepend("b", f)
	e.PrependOnce("b", f)
	e.SetMaxListeners(0)
	for i := 0; i < 20; i++ {
		e.On("c", f)
	}
	require.Equal(t, 0, e.GetMaxListeners())
	e.SetMaxListeners(1)
	e.On("1", f)
	e.On("1", f)

	pid := os.Getpid()
	w := func(n int, ev string, max int) string {
		return fmt.Sprintf("(node:%d) MaxListenersExceededWarning: Possible EventEmitter memory leak detected. %d %s listeners added to [EventEmitter]. MaxListeners is %d. Use emitter.setMaxListeners() to increase limit", pid, n, ev, max)
	}
	diff(t, []string{
		w(11, "a", 10),
		"(Use `node --trace-warnings ...` to show where the warning was created)",
		w(3, "b", 2),
		w(3, "a", 2),
		w(3, "b", 2),
		w(2, "1", 1),
		"",
	}, strings.Split(out.String(), "\n"))

	v := recoverFrom(func() { e.SetMaxListeners(-1) })
	err, ok := v.(*events.Error)
	require.True(t, ok, "panic value is %T %v", v, v)
	require.Equal(t, "ERR_OUT_OF_RANGE", err.Code)
	require.EqualError(t, err, `The value of "setMaxListeners" is out of range. It must be >= 0. Received -1`)
}

// TestWarningNamesTheClass: the bracketed name is the embedding class's,
// as node prints [Worker], [ChildProcess], [process], [Socket], [Server],
// and [EventEmitter] for the cluster module object.
func TestWarningNamesTheClass(t *testing.T) {
	var out strings.Builder
	defer events.SetWarningOutput(&out)()
	var e events.EventEmitter
	e.SetClassName("Worker")
	for i := 0; i < 11; i++ {
		e.On("message", func() {})
	}
	require.Equal(t, fmt.Sprintf("(node:%d) MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 11 message listeners added to [Worker]. MaxListeners is 10. Use emitter.setMaxListeners() to increase limit\n"+
		"(Use `node --trace-warnings ...` to show where the warning was created)\n", os.Getpid()), out.String())
}

// TestEmit2DoesNotAllocate: the IPC channel's per-message emit stays
// allocation-free with (any, any) listeners.
func TestEmit2DoesNotAllocate(t *testing.T) {
	var e events.EventEmitter
	n := 0
	e.On("message", func(a, b any) { n++ })
	e.On("message", func(a, b any) { n++ })
	var msg any = &n
	require.Zero(t, testing.AllocsPerRun(100, func() { e.Emit2("message", msg, nil) }))
}
