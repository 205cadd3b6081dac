package events

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"

	"github.com/nodecluster/nodecluster/internal/jsfmt"
)

// Listener is a registered listener; keep it to remove the listener later.
//
// DEVIATION(shape): JS removes a listener by passing the same function
// again; Go functions are not comparable, so On and Once return a
// *Listener that RemoveListener takes instead. For the same reason the
// "newListener" and "removeListener" events pass (event name, *Listener)
// where Node passes (event name, function): a listener may take just the
// name, and Func gives the function back.
type Listener struct {
	event string
	fn    any
	once  bool
	fired bool
}

// Event is the name of the event the listener was added for.
func (l *Listener) Event() string { return l.event }

// Func is the function that was added.
func (l *Listener) Func() any { return l.fn }

// DefaultMaxListeners is the limit of GetMaxListeners for an emitter whose
// SetMaxListeners was never called: adding more listeners than that for
// one event prints a MaxListenersExceededWarning. 0 (or less) turns the
// warning off.
//
// DEVIATION(shape): events.defaultMaxListeners is a checked setter in
// Node (a negative value throws ERR_OUT_OF_RANGE); this is a plain
// variable, read when a listener is added.
var DefaultMaxListeners = 10

// ErrorMonitor is events.errorMonitor: listeners for this event run first
// when "error" is emitted, without counting as "error" listeners (an
// "error" with only monitors still panics).
//
// DEVIATION(shape): Node's errorMonitor is a symbol; here it is an event
// name no JS-spelled event collides with.
const ErrorMonitor = "\x00events.errorMonitor"

// EventEmitter keeps listeners per event name and calls them in the order
// they were added. It is not safe for concurrent use: like everything
// JS-visible it lives on its process's event loop.
//
// Mirrors lib/events.js EventEmitter().
type EventEmitter struct {
	listeners map[string][]*Listener
	// names are the events with listeners, in the order their lists
	// were created (the own keys of Node's _events).
	names []string
	// warned holds the events whose list already printed the
	// MaxListenersExceededWarning; Node marks the listener array, so the
	// mark goes when the list shrinks to one listener or none.
	warned map[string]bool
	// max is SetMaxListeners's value, when maxSet.
	max    int
	maxSet bool
	// class is the name the MaxListenersExceededWarning gives the
	// emitter ("[Worker]"); "" is EventEmitter.
	class string
	// added and removed, when set (Hook), run after a listener is added
	// or removed: a subclass's own on and removeListener.
	added, removed func(event string)
}

// Hook makes added run after each listener is added (after
// "newListener"), and removed after each is removed (after
// "removeListener", a Once's included), as a JS class that overrides on
// and removeListener (Readable does) acts after calling the emitter's.
// Unlike a "newListener" listener, they are not listeners: ListenerCount
// does not count them, and RemoveAllListeners leaves them (but, as in
// Node, removed runs for each listener RemoveAllListeners drops when
// "removeListener" has listeners, since Node then removes them one by one
// through the subclass's removeListener).
func (e *EventEmitter) Hook(added, removed func(event string)) {
	e.added, e.removed = added, removed
}

// SetClassName sets the name the MaxListenersExceededWarning shows for the
// emitter, in brackets: the JS class of the object that embeds it
// ("Worker", "ChildProcess", "process", "Socket", "Server"). An emitter
// that never had one is shown as [EventEmitter], as the cluster module
// object is.
//
// Like util.inspect(emitter, { depth: -1 }), which lib/events.js
// _addListener() puts in the warning.
func (e *EventEmitter) SetClassName(name string) { e.class = name }

// SetMaxListeners sets how many listeners one event may have before
// adding another prints a MaxListenersExceededWarning; 0 means no limit. A
// negative n panics with ERR_OUT_OF_RANGE, as Node throws.
//
// DEVIATION(shape): Node returns the emitter, for chaining; this returns
// nothing.
//
// Mirrors lib/events.js EventEmitter.prototype.setMaxListeners().
func (e *EventEmitter) SetMaxListeners(n int) {
	if n < 0 {
		panic(&Error{Code: "ERR_OUT_OF_RANGE", Message: fmt.Sprintf(`The value of "setMaxListeners" is out of range. It must be >= 0. Received %d`, n)})
	}
	e.max, e.maxSet = n, true
}

// GetMaxListeners is the limit SetMaxListeners set, or
// DefaultMaxListeners when it was never called.
//
// Mirrors lib/events.js EventEmitter.prototype.getMaxListeners().
func (e *EventEmitter) GetMaxListeners() int {
	if !e.maxSet {
		return DefaultMaxListeners
	}
	return e.max
}

// On adds fn as a listener for event and returns the registration. Like
// Node it first emits "newListener" with the event name and the
// registration.
//
// Mirrors lib/events.js EventEmitter.prototype.addListener().
func (e *EventEmitter) On(event string, fn any) *Listener {
	return e.add(event, fn, false, false)
}

// Once adds fn as a listener that is removed before its first call.
//
// Mirrors lib/events.js EventEmitter.prototype.once().
func (e *EventEmitter) Once(event string, fn any) *Listener {
	return e.add(event, fn, true, false)
}

// Prepend adds fn as a listener for event that runs before those already
// added.
//
// Mirrors lib/events.js EventEmitter.prototype.prependListener().
func (e *EventEmitter) Prepend(event string, fn any) *Listener {
	return e.add(event, fn, false, true)
}

// PrependOnce adds fn as a listener that runs before those already added,
// once: it is removed before its call.
//
// Mirrors lib/events.js EventEmitter.prototype.prependOnceListener().
func (e *EventEmitter) PrependOnce(event string, fn any) *Listener {
	return e.add(event, fn, true, true)
}

// add registers fn for event, last or (prepend) first, after emitting
// "newListener", and prints the MaxListenersExceededWarning the first
// time the list grows beyond the limit.
//
// Like lib/events.js _addListener().
func (e *EventEmitter) add(event string, fn any, once, prepend bool) *Listener {
	if fn == nil || reflect.TypeOf(fn).Kind() != reflect.Func {
		panic(fmt.Sprintf("events: listener for %q must be a function, got %T", event, fn))
	}
	if e.listeners == nil {
		e.listeners = make(map[string][]*Listener)
	}
	l := &Listener{event: event, fn: fn, once: once}
	if len(e.listeners["newListener"]) > 0 {
		e.Emit("newListener", event, l)
	}
	ls, ok := e.listeners[event]
	if !ok {
		e.names = append(e.names, event)
	}
	if prepend {
		ls = append(ls, nil)
		copy(ls[1:], ls[:len(ls)-1])
		ls[0] = l
	} else {
		ls = append(ls, l)
	}
	e.listeners[event] = ls
	if m := e.GetMaxListeners(); m > 0 && len(ls) > m && !e.warned[event] {
		if e.warned == nil {
			e.warned = make(map[string]bool)
		}
		e.warned[event] = true
		class := e.class
		if class == "" {
			class = "EventEmitter"
		}
		EmitWarning(&Warning{Name: "MaxListenersExceededWarning",
			Message: fmt.Sprintf("Possible EventEmitter memory leak detected. %d %s listeners added to [%s]. MaxListeners is %d. Use emitter.setMaxListeners() to increase limit", len(ls), event, class, m),
			Emitter: e, Type: event, Count: len(ls)})
	}
	if e.added != nil {
		e.added(event)
	}
	return l
}

// RemoveListener removes one registration; removing twice is harmless.
// When "removeListener" has listeners it then emits it with the event name
// and the registration.
//
// Mirrors lib/events.js EventEmitter.prototype.removeListener().
func (e *EventEmitter) RemoveListener(l *Listener) {
	if l == nil {
		return
	}
	ls := e.listeners[l.event]
	for i, x := range ls {
		if x == l {
			if len(ls) == 1 {
				e.drop(l.event)
			} else {
				n := make([]*Listener, 0, len(ls)-1)
				n = append(append(n, ls[:i]...), ls[i+1:]...)
				e.listeners[l.event] = n
				if len(n) == 1 {
					delete(e.warned, l.event)
				}
			}
			if len(e.listeners["removeListener"]) > 0 {
				e.Emit("removeListener", l.event, l)
			}
			if e.removed != nil {
				e.removed(l.event)
			}
			return
		}
	}
}

// Off is RemoveListener under its other name.
//
// Mirrors lib/events.js EventEmitter.prototype.removeListener().
func (e *EventEmitter) Off(l *Listener) { e.RemoveListener(l) }

// drop forgets event's list.
func (e *EventEmitter) drop(event string) {
	delete(e.listeners, event)
	delete(e.warned, event)
	for i, n := range e.names {
		if n == event {
			e.names = append(e.names[:i:i], e.names[i+1:]...)
			break
		}
	}
}

// RemoveAllListeners drops every listener of event, or of all events when
// event is "". When "removeListener" has listeners, the listeners go one
// at a time, as RemoveListener removes them, each emitting
// "removeListener": an event's from the last added to the first; for all
// events, event by event in EventNames order, those of "removeListener"
// itself last.
//
// Mirrors lib/events.js EventEmitter.prototype.removeAllListeners().
func (e *EventEmitter) RemoveAllListeners(event string) {
	if len(e.listeners) == 0 {
		return
	}
	if len(e.listeners["removeListener"]) == 0 {
		if event == "" {
			e.listeners, e.names, e.warned = nil, nil, nil
		} else if _, ok := e.listeners[event]; ok {
			e.drop(event)
		}
		return
	}
	if event == "" {
		for _, name := range e.EventNames() {
			if name != "removeListener" {
				e.RemoveAllListeners(name)
			}
		}
		e.RemoveAllListeners("removeListener")
		e.listeners, e.names, e.warned = nil, nil, nil
		return
	}
	ls := e.listeners[event]
	for i := len(ls) - 1; i >= 0; i-- {
		e.RemoveListener(ls[i])
	}
}

// ListenerCount is the number of listeners for event.
//
// DEVIATION(shape): Node's optional second argument (count only the
// listeners that are this function) has no Go form: functions are not
// comparable.
//
// Mirrors lib/events.js EventEmitter.prototype.listenerCount().
func (e *EventEmitter) ListenerCount(event string) int {
	return len(e.listeners[event])
}

// Listeners is a copy of event's listeners: the functions, in the order
// they run (a Once's as it was given).
//
// Mirrors lib/events.js EventEmitter.prototype.listeners().
func (e *EventEmitter) Listeners(event string) []any {
	ls := e.listeners[event]
	fns := make([]any, len(ls))
	for i, l := range ls {
		fns[i] = l.fn
	}
	return fns
}

// RawListeners is a copy of event's registrations, in the order they run.
//
// DEVIATION(shape): Node's rawListeners gives the once wrappers (calling
// one calls the listener and removes it); here the registrations, which
// RemoveListener takes, stand for them.
//
// Mirrors lib/events.js EventEmitter.prototype.rawListeners().
func (e *EventEmitter) RawListeners(event string) []*Listener {
	return append([]*Listener{}, e.listeners[event]...)
}

// EventNames lists the events that have listeners, in the order of the
// keys of Node's _events object: names that are array indices ("0", "1",
// ...) first, by value, then the others in the order their first listener
// was added (an event whose listeners all went, then came back, counts as
// new).
//
// Mirrors lib/events.js EventEmitter.prototype.eventNames().
func (e *EventEmitter) EventNames() []string {
	names := append([]string{}, e.names...)
	sort.SliceStable(names, func(i, j int) bool {
		a, aok := arrayIndex(names[i])
		b, bok := arrayIndex(names[j])
		return aok && (!bok || a < b)
	})
	return names
}

// arrayIndex reports whether name is a JS array index (the canonical
// decimal of an integer below 2^32-1), which object keys list first.
func arrayIndex(name string) (uint64, bool) {
	if name == "" || len(name) > 10 || (len(name) > 1 && name[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(name, 10, 64)
	if err != nil || n >= 1<<32-1 {
		return 0, false
	}
	return n, true
}

// Emit calls every listener of event with args, synchronously, and reports
// whether there was any.
//
// Emitting "error" runs the ErrorMonitor listeners first; with no "error"
// listener, Emit then panics as Node throws: with the emitted value itself
// when it is an error, otherwise with an *UnhandledError
// (ERR_UNHANDLED_ERROR) that describes it. The process's loop turns that
// into Node's uncaught-exception handling.
//
// Mirrors lib/events.js EventEmitter.prototype.emit().
func (e *EventEmitter) Emit(event string, args ...any) bool {
	if event == "error" && len(e.listeners[ErrorMonitor]) > 0 {
		e.Emit(ErrorMonitor, args...)
	}
	ls := e.listeners[event]
	if len(ls) == 0 {
		if event == "error" {
			if len(args) > 0 {
				if err, ok := args[0].(error); ok {
					panic(err)
				}
				panic(&UnhandledError{Code: "ERR_UNHANDLED_ERROR", Message: "Unhandled error. (" + jsfmt.Inspect(args[0]) + ")", Context: args[0]})
			}
			panic(&UnhandledError{Code: "ERR_UNHANDLED_ERROR", Message: "Unhandled error. (undefined)", Context: Undefined})
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
// listens to when the emitted value is not an error (an error is panicked
// with as it is): Node's ERR_UNHANDLED_ERROR, whose message shows the
// value as util.inspect does ("Unhandled error. ('boom')") and whose
// context is the value (Undefined when Emit had no argument).
type UnhandledError struct {
	Code    string
	Message string
	Context any
}

func (u *UnhandledError) Error() string { return u.Message }

// Undefined is the Context of an UnhandledError for Emit("error") with no
// argument (JS undefined; a nil argument is JS null).
var Undefined = &struct{ undefined byte }{}

// Error is an error with a Node code that the emitter throws for a bad
// argument (SetMaxListeners).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

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
	// "error" goes the long way, for its ErrorMonitor listeners.
	fast := len(ls) > 0 && event != "error"
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
