package events

import (
	"fmt"
	"reflect"
)

// Listener is a registered listener; keep it to remove the listener later.
//
// DEVIATION(shape): JS removes a listener by passing the same function
// again; Go functions are not comparable, so On and Once return a
// *Listener that RemoveListener takes instead.
type Listener struct {
	event string
	fn    any
	once  bool
	fired bool
}

// EventEmitter keeps listeners per event name and calls them in the order
// they were added. It is not safe for concurrent use: like everything
// JS-visible it lives on its process's event loop.
//
// Mirrors lib/events.js EventEmitter().
type EventEmitter struct {
	listeners map[string][]*Listener
	// added and removed, when set (Hook), run after a listener is added
	// or removed: a subclass's own on and removeListener.
	added, removed func(event string)
}

// Hook makes added run after each listener is added (after
// "newListener"), and removed after each is removed (after
// "removeListener", a Once's included), as a JS class that overrides on
// and removeListener (Readable does) acts after calling the emitter's.
// Unlike a "newListener" listener, they are not listeners: ListenerCount
// does not count them, and RemoveAllListeners leaves them.
func (e *EventEmitter) Hook(added, removed func(event string)) {
	e.added, e.removed = added, removed
}

// On adds fn as a listener for event and returns the registration. Like
// Node it first emits "newListener" with the event name.
//
// Mirrors lib/events.js EventEmitter.prototype.addListener().
func (e *EventEmitter) On(event string, fn any) *Listener {
	return e.add(event, fn, false)
}

// Once adds fn as a listener that is removed before its first call.
//
// Mirrors lib/events.js EventEmitter.prototype.once().
func (e *EventEmitter) Once(event string, fn any) *Listener {
	return e.add(event, fn, true)
}

// Prepend adds fn as a listener for event that runs before those already
// added.
//
// Mirrors lib/events.js EventEmitter.prototype.prependListener().
func (e *EventEmitter) Prepend(event string, fn any) *Listener {
	l := e.add(event, fn, false)
	ls := e.listeners[event]
	copy(ls[1:], ls[:len(ls)-1])
	ls[0] = l
	return l
}

func (e *EventEmitter) add(event string, fn any, once bool) *Listener {
	if fn == nil || reflect.TypeOf(fn).Kind() != reflect.Func {
		panic(fmt.Sprintf("events: listener for %q must be a function, got %T", event, fn))
	}
	if e.listeners == nil {
		e.listeners = make(map[string][]*Listener)
	}
	if len(e.listeners["newListener"]) > 0 {
		e.Emit("newListener", event)
	}
	l := &Listener{event: event, fn: fn, once: once}
	e.listeners[event] = append(e.listeners[event], l)
	if e.added != nil {
		e.added(event)
	}
	return l
}

// RemoveListener removes one registration; removing twice is harmless.
//
// Mirrors lib/events.js EventEmitter.prototype.removeListener().
func (e *EventEmitter) RemoveListener(l *Listener) {
	if l == nil {
		return
	}
	ls := e.listeners[l.event]
	for i, x := range ls {
		if x == l {
			n := make([]*Listener, 0, len(ls)-1)
			n = append(n, ls[:i]...)
			e.listeners[l.event] = append(n, ls[i+1:]...)
			if len(e.listeners["removeListener"]) > 0 {
				e.Emit("removeListener", l.event)
			}
			if e.removed != nil {
				e.removed(l.event)
			}
			return
		}
	}
}

// RemoveAllListeners drops every listener of event, or of all events when
// event is "".
//
// Mirrors lib/events.js EventEmitter.prototype.removeAllListeners().
func (e *EventEmitter) RemoveAllListeners(event string) {
	if event == "" {
		e.listeners = nil
		return
	}
	delete(e.listeners, event)
}

// ListenerCount is the number of listeners for event.
//
// Mirrors lib/events.js EventEmitter.prototype.listenerCount().
func (e *EventEmitter) ListenerCount(event string) int {
	return len(e.listeners[event])
}

// Emit calls every listener of event with args, synchronously, and reports
// whether there was any. Emitting "error" with no listener panics with the
// error, as Node throws it; the process's loop turns that into Node's
// uncaught-exception handling.
//
// Mirrors lib/events.js EventEmitter.prototype.emit().
func (e *EventEmitter) Emit(event string, args ...any) bool {
	ls := e.listeners[event]
	if len(ls) == 0 {
		if event == "error" {
			var err any = fmt.Errorf("Unhandled error")
			if len(args) > 0 {
				err = args[0]
			}
			panic(UnhandledError{Err: err})
		}
		return false
	}
	// Copy, as Node does (arrayClone), so listeners added or removed
	// during the emit do not change this round.
	var buf [4]*Listener
	snapshot := append(buf[:0], ls...)
	for _, l := range snapshot {
		if l.once {
			if l.fired {
				continue
			}
			l.fired = true
			e.RemoveListener(l)
		}
		call(l.fn, args)
	}
	return true
}

// UnhandledError is what Emit panics with for an "error" event nobody
// listens to; Err is the emitted value.
type UnhandledError struct{ Err any }

func (u UnhandledError) Error() string { return fmt.Sprintf("Unhandled 'error' event: %v", u.Err) }

// Unwrap returns the emitted error, when it is one.
func (u UnhandledError) Unwrap() error {
	if err, ok := u.Err.(error); ok {
		return err
	}
	return nil
}

// call invokes fn with args the way JS calls a function: positionally,
// dropping extras and zero-filling missing ones.
func call(fn any, args []any) {
	switch f := fn.(type) {
	case func():
		f()
		return
	case func(...any):
		f(args...)
		return
	case func(any):
		if len(args) > 0 {
			f(args[0])
		} else {
			f(nil)
		}
		return
	case func(any, any):
		// The channel's "message" and "internalMessage" listeners: the
		// hot path, kept off reflect.
		var a, b any
		if len(args) > 0 {
			a = args[0]
		}
		if len(args) > 1 {
			b = args[1]
		}
		f(a, b)
		return
	case func(error):
		var err error
		if len(args) > 0 {
			err, _ = args[0].(error)
		}
		f(err)
		return
	}
	v := reflect.ValueOf(fn)
	t := v.Type()
	n := t.NumIn()
	if t.IsVariadic() {
		n--
	}
	in := make([]reflect.Value, 0, len(args))
	for i := 0; i < n; i++ {
		pt := t.In(i)
		if i < len(args) && args[i] != nil {
			av := reflect.ValueOf(args[i])
			if av.Type().AssignableTo(pt) {
				in = append(in, av)
				continue
			}
			if av.Type().ConvertibleTo(pt) && av.Kind() != reflect.String && pt.Kind() != reflect.String {
				in = append(in, av.Convert(pt))
				continue
			}
			panic(fmt.Sprintf("events: listener %s cannot take argument %d of type %T", t, i, args[i]))
		}
		in = append(in, reflect.Zero(pt))
	}
	if t.IsVariadic() {
		et := t.In(n).Elem()
		for i := n; i < len(args); i++ {
			if args[i] == nil {
				in = append(in, reflect.Zero(et))
			} else {
				in = append(in, reflect.ValueOf(args[i]))
			}
		}
	}
	v.Call(in)
}

// Emit2 is Emit with exactly two arguments, without building an argument
// slice when every listener takes (any, any): the IPC channel's
// "message" and "internalMessage" events, once per message.
func (e *EventEmitter) Emit2(event string, a, b any) bool {
	ls := e.listeners[event]
	fast := len(ls) > 0
	for _, l := range ls {
		if _, ok := l.fn.(func(any, any)); !ok || l.once {
			fast = false
			break
		}
	}
	if !fast {
		return e.Emit(event, a, b)
	}
	var buf [4]*Listener
	snapshot := append(buf[:0], ls...)
	for _, l := range snapshot {
		l.fn.(func(any, any))(a, b)
	}
	return true
}
