package events_test

// The orders asserted here (newListener before adding, listeners removed
// during an emit still running in it, once removed before its call,
// removeListener for a once) were checked against node v20 with the same
// sequences written with require("events").

import (
	"errors"
	"fmt"
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

func TestEmitErrorWithoutListenerPanics(t *testing.T) {
	var e events.EventEmitter
	errX := errors.New("boom")
	e.On("other", func() {})

	v := recoverFrom(func() { e.Emit("error", errX) })
	u, ok := v.(events.UnhandledError)
	require.True(t, ok, "panic value is %T %v", v, v)
	require.Same(t, errX, u.Err)
	require.ErrorIs(t, u, errX)
	require.Equal(t, "Unhandled 'error' event: boom", u.Error())

	v = recoverFrom(func() { e.Emit("error") })
	u, ok = v.(events.UnhandledError)
	require.True(t, ok, "panic value is %T %v", v, v)
	require.EqualError(t, u.Err.(error), "Unhandled error")

	v = recoverFrom(func() { e.Emit("error", "not an error") })
	u, ok = v.(events.UnhandledError)
	require.True(t, ok)
	require.Equal(t, "not an error", u.Err)
	require.NoError(t, u.Unwrap())

	// A once "error" listener handles one error only.
	var got []error
	e.Once("error", func(err error) { got = append(got, err) })
	require.True(t, e.Emit("error", errX))
	require.Panics(t, func() { e.Emit("error", errX) })
	require.Len(t, got, 1)
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
