package childprocess

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"

	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/uv"
	"golang.org/x/sys/unix"
)

// Conversion turns a handle into what goes over the channel and back, for
// one value of the NODE_HANDLE envelope's "type".
//
// Mirrors lib/internal/child_process.js:/^const handleConversion = {/.
type Conversion struct {
	// Send returns the stream whose descriptor goes with the message, or
	// nil to send the message without it.
	Send func(t *Target, message *Object, handle any, opts SendOptions) *uv.Stream
	// Got builds what the receiver's message listener gets from the
	// stream and calls emit with it.
	Got func(t *Target, message *Object, handle *uv.Stream, emit func(any))
	// PostSend runs after a successful write (target set) or a failed one
	// (target nil).
	PostSend func(message *Object, handle *uv.Stream, opts SendOptions, cb func(error), t *Target)
}

// HandleTyper is implemented by values that can be sent with a message
// (net.Socket, net.Server); HandleType names their Conversion.
type HandleTyper interface{ HandleType() string }

// handleConversion holds the conversions by type; net registers
// "net.Socket" and "net.Server" when it loads.
var handleConversion = map[string]*Conversion{
	"net.Native":   {Send: nativeSend, Got: nativeGot},
	"dgram.Native": {Send: dgramNativeSend, Got: dgramNativeGot},
	"dgram.Socket": {Got: dgramSocketGot},
}

// nativeSend sends a raw handle (every newconn, every shared-handle
// reply) as it is.
//
// Mirrors lib/internal/child_process.js handleConversion.'net.Native'.send().
func nativeSend(t *Target, message *Object, handle any, opts SendOptions) *uv.Stream {
	s, _ := handle.(*uv.Stream)
	return s
}

// nativeGot passes a received raw handle on as it is.
//
// Mirrors lib/internal/child_process.js handleConversion.'net.Native'.got().
func nativeGot(t *Target, message *Object, handle *uv.Stream, emit func(any)) { emit(handle) }

// dgramNativeSend sends a raw UDP handle (a shared UDP socket, the
// primary's reply to a worker's dgram bind) as it is.
//
// Mirrors lib/internal/child_process.js handleConversion.'dgram.Native'.send().
func dgramNativeSend(t *Target, message *Object, handle any, opts SendOptions) *uv.Stream {
	s, _ := handle.(*uv.Stream)
	return s
}

// dgramNativeGot passes a received UDP handle on as it is. A received
// descriptor is wrapped as TCP or Pipe from its address family alone (one
// system call less per handed-off connection); this is where a datagram
// socket becomes a KindUDP handle, as libuv would have named it from the
// socket's type.
//
// Mirrors lib/internal/child_process.js handleConversion.'dgram.Native'.got().
func dgramNativeGot(t *Target, message *Object, handle *uv.Stream, emit func(any)) {
	if uv.GuessHandle(handle.Fd()) == "UDP" {
		handle.Kind = uv.KindUDP
	}
	emit(handle)
}

// dgramSocketGot passes on the UDP socket a Node process sent as a
// dgram.Socket (the envelope's dgramType says "udp4" or "udp6").
//
// DEVIATION(shape): Node builds a dgram.Socket on the handle and binds it
// before the message listener runs; the port has no dgram module, so the
// listener gets the raw KindUDP handle, the descriptor for Go code to use
// (or send on as "dgram.Native"), rather than losing the message.
//
// Mirrors lib/internal/child_process.js handleConversion.'dgram.Socket'.got().
func dgramSocketGot(t *Target, message *Object, handle *uv.Stream, emit func(any)) {
	dgramNativeGot(t, message, handle, emit)
}

// RegisterConversion adds the conversion for a handle type.
func RegisterConversion(typ string, c *Conversion) { handleConversion[typ] = c }

// MaxHandleRetransmissions is how often a NACKed net.Socket is resent.
const MaxHandleRetransmissions = 3

// ChildProcess is the primary's view of a child: its pid, its exit, and
// (through the embedded Target) its IPC channel.
//
// Mirrors lib/internal/child_process.js ChildProcess().
type ChildProcess struct {
	*Target

	Pid        int
	ExitCode   *int   // nil until the child exited normally (JS null)
	SignalCode string // "" until the child died of a signal (JS null)
	Killed     bool
	SpawnFile  string
	// Stdin, Stdout and Stderr are the parent's ends of the child's stdio
	// when it was forked silent (or its stdio setting has "pipe" there),
	// nil otherwise. DEVIATION(shape): Node gives streams; these are
	// *os.File ends of socketpairs, read and written from any goroutine
	// (not from the loop, where a blocked read would stop it). So nothing
	// reads them unless the program does: Node's "close" also waits for
	// the child's stdout and stderr to end, and Node drains and closes
	// what nobody read once the child exits; here "close" comes once the
	// child exited and its channel closed, and each end stays open until
	// the program closes it (or the garbage collector does).
	Stdin, Stdout, Stderr *os.File
	// Stdio is child.stdio: the parent's end of each "pipe" in the stdio
	// setting, by the child's fd (0-2 are Stdin, Stdout and Stderr; every
	// one is a socketpair, read and written both ways), nil for the
	// others (Node's null). It has an entry for every fd the child was
	// given, at least 0-3.
	Stdio     []*os.File
	SpawnArgs []string

	proc        *os.Process
	exited      bool
	exitStatus  exitStatus
	exitWaiting bool // exit seen, waiting for the channel's EOF first
	handleRefd  bool
	closesNeed  int
	closesGot   int
}

type exitStatus struct {
	code   int
	signal string
	err    error
}

// onSpawnNT emits "spawn" (no arguments) on the tick after the child was
// started; a child that could not be started gets none (Fork returns the
// error instead).
//
// Mirrors lib/internal/child_process.js onSpawnNT().
func onSpawnNT(c *ChildProcess) { c.Emit("spawn") }

// Kill sends a signal by name ("SIGTERM" when empty) and reports whether
// it was delivered.
//
// DEVIATION(errno): Node throws ERR_UNKNOWN_SIGNAL for a name it does not
// know; Kill returns false and [ChildProcess.KillErr] says why.
//
// Mirrors lib/internal/child_process.js ChildProcess.prototype.kill().
func (c *ChildProcess) Kill(sig string) bool {
	ok, _ := c.KillErr(sig)
	return ok
}

// KillErr is Kill that also returns the error Node would throw
// (ERR_UNKNOWN_SIGNAL) or emit (EPERM...).
func (c *ChildProcess) KillErr(sig string) (bool, error) {
	if sig == "" {
		sig = "SIGTERM"
	}
	s, ok := convertToValidSignal(sig)
	if !ok {
		return false, UnknownSignal(sig)
	}
	if c.proc == nil || c.exited {
		return false, nil
	}
	if err := c.proc.Signal(s); err != nil {
		if errors.Is(err, os.ErrProcessDone) {
			return false, nil
		}
		e := &ErrnoError{Code: "EPERM", Syscall: "kill", Message: "kill EPERM"}
		c.Emit("error", e)
		return false, e
	}
	c.Killed = true
	return true, nil
}

// UnknownSignal is the error for a signal name Node does not know.
func UnknownSignal(sig string) error {
	return &ErrnoError{Code: "ERR_UNKNOWN_SIGNAL", Message: fmt.Sprintf("Unknown signal: %s", sig)}
}

// InternalAssertion is Node's ERR_INTERNAL_ASSERTION, what a failed
// assert of its internals throws: message (when there is one) on a line
// of its own before the text asking for a bug report.
func InternalAssertion(message string) error {
	const suffix = "This is caused by either a bug in Node.js or incorrect usage of Node.js internals.\n" +
		"Please open an issue with this stack trace at https://github.com/nodejs/node/issues\n"
	if message != "" {
		message += "\n"
	}
	return &ErrnoError{Code: "ERR_INTERNAL_ASSERTION", Message: message + suffix}
}

// ValidSignal reports whether name is a signal Node knows, in any case
// (what ChildProcess.kill accepts).
func ValidSignal(name string) bool {
	_, ok := convertToValidSignal(name)
	return ok
}

// convertToValidSignal is the signal a name stands for, in upper or lower
// case ("sigint" is SIGINT); the error keeps the name as it was given.
//
// Like lib/internal/util.js convertToValidSignal().
func convertToValidSignal(name string) (unix.Signal, bool) {
	return SignalByName(strings.ToUpper(name))
}

// Ref keeps the loop alive until the child exits (the default).
//
// Mirrors lib/internal/child_process.js ChildProcess.prototype.ref().
func (c *ChildProcess) Ref() {
	if !c.handleRefd && !c.exited {
		c.handleRefd = true
		c.loop().Ref()
	}
}

// Unref lets the loop end while the child runs.
//
// Mirrors lib/internal/child_process.js ChildProcess.prototype.unref().
func (c *ChildProcess) Unref() {
	if c.handleRefd {
		c.handleRefd = false
		c.loop().Unref()
	}
}

// Control is what target.channel holds: ref and unref for the channel,
// counted for listeners and writes in flight unless set explicitly.
//
// Mirrors lib/internal/child_process.js Control().
type Control struct {
	stream      *uv.Stream
	refs        int
	explicit    bool
	pendingMsgs [][3]any
}

// refCounted takes one counted reference.
//
// Mirrors lib/internal/child_process.js Control.refCounted().
func (c *Control) refCounted() {
	c.refs++
	if c.refs == 1 && !c.explicit {
		c.stream.Ref()
	}
}

// unrefCounted drops one counted reference.
//
// Mirrors lib/internal/child_process.js Control.unrefCounted().
func (c *Control) unrefCounted() {
	c.refs--
	if c.refs == 0 && !c.explicit {
		c.stream.Unref()
	}
}

// Ref keeps the process alive while the channel is open.
//
// Mirrors lib/internal/child_process.js Control.ref().
func (c *Control) Ref() { c.explicit = true; c.stream.Ref() }

// Unref lets the process end with the channel open.
//
// Mirrors lib/internal/child_process.js Control.unref().
func (c *Control) Unref() { c.explicit = true; c.stream.Unref() }

// Fd is the channel's descriptor.
//
// Mirrors lib/internal/child_process.js Control.fd().
func (c *Control) Fd() int { return c.stream.Fd() }

// SendOptions are target.send's options.
type SendOptions struct {
	SwallowErrors bool
	KeepOpen      bool
}

type queued struct {
	message any
	handle  any
	opts    SendOptions
	cb      func(error)
}

type pendingMessage struct {
	message    any
	handle     *uv.Stream
	opts       SendOptions
	cb         func(error)
	retransmit int
}

// Target is what setupChannel equips with a channel: the process object in
// a worker, a ChildProcess in the primary. It emits "message",
// "internalMessage", "disconnect" and "error".
type Target struct {
	events.EventEmitter

	// Channel is target.channel: non-nil until the channel is really
	// closed.
	Channel *Control
	// Connected is target.connected: false as soon as disconnect is asked.
	Connected bool
	// endedByPeer: the channel ended with a read of its end (the other
	// process closed it), not with this process's disconnect.
	endedByPeer bool

	lp          *uv.Loop
	stream      *uv.Stream
	handleQueue []queued
	queueActive bool // _handleQueue !== null
	// NativeInFlight, when above 1, lets up to that many net.Native
	// handles go out before the first NODE_HANDLE_ACK comes back (see
	// canPipeline); nativeInFlight counts those not yet answered.
	NativeInFlight int
	nativeInFlight int
	pendingMessage *pendingMessage
	// nativeSent are the messages that went with net.Native handles (a
	// primary's newconns), oldest first, until their ACK or NACK; a
	// NACK's goes to OnNativeNack.
	nativeSent []*Object
	// OnNativeNack, when set, gets the message whose net.Native handle
	// the other side NACKed: its descriptor did not arrive (the receiver
	// was out of descriptors, say), and the message was not delivered.
	OnNativeNack func(message *Object)
	// advanced is the channel's serialization: V8's ("advanced") when
	// set, JSON lines otherwise; chosen once, at setupChannel.
	advanced bool
	// messageBuffer holds the start of an advanced message not yet
	// complete; jsonBuffer a JSON line's.
	messageBuffer []byte
	jsonBuffer    []byte
	buffering     bool
	// disconnectWait is disconnect's finish while it waits for the end of
	// a half-read message (see disconnect).
	disconnectWait func()
	pendingHandle  *uv.Stream
	wbuf           []byte
	writeDone      func(error) // the no-callback write completion, per Control
	writeDoneFor   *Control
	// ticked are the messages handleMessage scheduled, oldest first from
	// tickedHead: each of its nextTick callbacks is emitTicked, which
	// takes the oldest, so that a message costs no closure.
	ticked     []tickedMessage
	tickedHead int
	emitTick   func()

	// socketsGot are the lists of sockets received with a key
	// (kChannelHandle.sockets.got), by key.
	socketsGot map[string]*SocketListReceive
	// socketsSent are the lists of sockets sent with a key
	// (kChannelHandle.sockets.send), by key.
	socketsSent map[string]*SocketListSend

	// OnChannelClosed runs once the channel's end has been handled
	// (maybeClose's count, and the primary's wait before "exit").
	onChannelClosed []func()
	// eofRead is set when the channel closed on a read of its end (Node's
	// onread then counts it towards "close"; its own disconnect does not).
	eofRead bool
	closed  bool
}

func (t *Target) loop() *uv.Loop { return t.lp }

// Loop is the loop the channel runs on.
func (t *Target) Loop() *uv.Loop { return t.lp }

// ErrnoError is a Node error with a code (ERR_IPC_CHANNEL_CLOSED,
// EPIPE...), the fields Node's errors carry.
type ErrnoError struct {
	Code    string
	Errno   int
	Syscall string
	Message string
}

func (e *ErrnoError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return e.Syscall + " " + e.Code
}

var (
	// ErrIPCChannelClosed is sending on a closed channel.
	ErrIPCChannelClosed = &ErrnoError{Code: "ERR_IPC_CHANNEL_CLOSED", Message: "Channel closed"}
	// ErrIPCDisconnected is disconnecting twice.
	ErrIPCDisconnected = &ErrnoError{Code: "ERR_IPC_DISCONNECTED", Message: "IPC channel is already disconnected"}
)

// ChannelError reports a line on the channel that could not be parsed, or
// an advanced message V8's deserializer would reject.
//
// DEVIATION(fix): Node v20 throws the SyntaxError from JSON.parse (the
// Error from V8's deserializer, "Unable to deserialize cloned data.") and
// the process dies; the port reports it as this error and keeps reading
// (after the bad message's length, on an advanced channel).
type ChannelError struct {
	Err error
}

func (e *ChannelError) Error() string {
	return "malformed message on the IPC channel: " + e.Err.Error()
}
func (e *ChannelError) Unwrap() error { return e.Err }

// ReproduceUnackedDisconnect, when true, leaves a channel whose peer ended
// while a handle waited for its ACK never disconnected, as in Node v20.
var ReproduceUnackedDisconnect = Reproduce("unacked-disconnect")

// ReproduceDisconnectWhileReading, when true, leaves a channel disconnected
// while a message was half read waiting for a "message" event that never
// comes, as in Node v20 (see disconnect).
var ReproduceDisconnectWhileReading = Reproduce("disconnect-reading")

// ReproduceNackLost, when true, leaves a NACKed net.Native handle
// unanswered, as Node v20 does (see onInternalMessage).
var ReproduceNackLost = Reproduce("nack-lost")

// ReproduceStrayAck, when true, makes a NODE_HANDLE_ACK or _NACK that
// answers no handle sent throw as in Node v20 (ERR_INTERNAL_ASSERTION).
var ReproduceStrayAck = Reproduce("stray-ack")

// ReproduceBadHandle, when true, makes a NODE_HANDLE that cannot become
// its handle (a type Node does not know; a server whose descriptor does
// not listen) end the process as in Node v20.
var ReproduceBadHandle = Reproduce("bad-handle")

// ReportChannelError reports err about a message of the channel as a
// malformed one is reported: the target's "error" when it has listeners,
// a warning on stderr otherwise.
func (t *Target) ReportChannelError(err error) { t.emitChannelError(&ChannelError{Err: err}) }

// ReproduceNodeJSONCrash, when true, makes a malformed channel line throw
// as in Node v20 (the process dies with exit code 1) instead of being
// reported and dropped.
var ReproduceNodeJSONCrash = Reproduce("malformed-line")

// Reproduce reports whether NODECLUSTER_REPRODUCE_V20 (a comma-separated
// list, or "all") asks for Node v20's behaviour in place of the port's fix
// named what.
func Reproduce(what string) bool { return uv.Reproduce(what) }

// setupChannel equips target with the channel on fd: it picks the
// serialization ("json" lines or "advanced" V8 messages) for both
// directions, starts reading, dispatches internal and user messages, and
// installs send, disconnect and the NODE_HANDLE machinery.
//
// DEVIATION(shape): Node's setupChannel is one closure; its inner
// functions are methods of Target here.
//
// Mirrors lib/internal/child_process.js setupChannel().
func setupChannel(target *Target, l *uv.Loop, stream *uv.Stream, serializationMode string) *Control {
	control := &Control{stream: stream}
	target.lp = l
	target.stream = stream
	target.Channel = control
	target.handleQueue = nil
	target.queueActive = false
	target.pendingMessage = nil

	if serializationMode == "advanced" {
		target.advancedInitMessageChannel()
	} else {
		target.jsonInitMessageChannel()
	}

	stream.OnRead = target.onread
	target.On("internalMessage", target.onInternalMessage)
	target.On("newListener", target.onNewListener)
	target.Connected = true
	stream.ReadStart()
	return control
}

// onread parses what arrived into messages and hands each on, giving a
// received descriptor to the NODE_HANDLE message it came with; at the
// channel's end it disconnects.
//
// DEVIATION(fix): in Node a disconnect asked while a sent handle waits
// for its NODE_HANDLE_ACK is put off until the ACK, so a peer that dies
// before it answers (a worker killed with a connection handed to it, or
// one that exits before the primary's answer to its listen) never brings
// "disconnect": the primary's Worker never emits it, and what the
// disconnect would have closed stays open. The channel's end is the last
// word, so the port disconnects then.
// NODECLUSTER_REPRODUCE_V20=unacked-disconnect
// (ReproduceUnackedDisconnect) keeps Node's wait.
//
// Mirrors lib/internal/child_process.js setupChannel() inner channel.onread().
func (t *Target) onread(data []byte, fd int, err error) {
	if err != nil {
		t.endedByPeer = t.Channel != nil
		t.buffering = false
		if t.Connected {
			t.Disconnect()
		}
		if !ReproduceUnackedDisconnect {
			t.disconnect() // a disconnect waiting for an ACK can no longer get one
		}
		t.stream.OnRead = nil
		t.stream.Close(nil)
		t.Channel = nil
		if t.pendingHandle != nil {
			// A descriptor whose NODE_HANDLE line never completed.
			t.pendingHandle.Close(nil)
			t.pendingHandle = nil
		}
		t.eofRead = true
		t.channelClosed()
		t.finishDisconnect() // the half-read message will not complete
		return
	}
	if fd >= 0 {
		s, serr := uv.ReceivedStream(t.lp, fd)
		if serr == nil {
			if t.pendingHandle != nil {
				t.pendingHandle.Close(nil)
			}
			t.pendingHandle = s
		} else {
			unix.Close(fd)
		}
	}
	if t.advanced {
		advancedParseChannelMessages(t, data, t.dispatch)
		return
	}
	parseChannelMessages(t, data, t.dispatch)
}

func (t *Target) dispatch(message any, perr error) {
	if perr != nil {
		if ReproduceNodeJSONCrash {
			panic(perr)
		}
		cerr := &ChannelError{Err: perr}
		t.lp.NextTick(func() { t.emitChannelError(cerr) })
		if t.Channel == nil {
			t.finishDisconnect() // the message a disconnect waited for ended, malformed
		}
		return
	}
	if isInternal(message) {
		m := message.(*Object)
		if cmd, _ := m.String("cmd"); cmd == "NODE_HANDLE" && t.pendingHandle != nil {
			h := t.pendingHandle
			t.pendingHandle = nil
			t.handleMessage(message, h, true)
		} else {
			// No descriptor came with it: the listeners get nil, not a
			// nil *uv.Stream (a non-nil any), as Node's get null.
			t.handleMessage(message, nil, true)
		}
	} else {
		t.handleMessage(message, nil, false)
	}
}

// emitChannelError reports a malformed line as an "error" event when the
// target has listeners, and on stderr otherwise; it never ends the
// process.
func (t *Target) emitChannelError(err *ChannelError) {
	if t.ListenerCount("error") > 0 {
		t.Emit("error", err)
		return
	}
	fmt.Fprintf(os.Stderr, "(nodecluster:%d) %v\n", os.Getpid(), err)
}

// channelClosed runs the waiters for the channel's end once.
func (t *Target) channelClosed() {
	if t.closed {
		return
	}
	t.closed = true
	for _, fn := range t.onChannelClosed {
		fn()
	}
	t.onChannelClosed = nil
}

// onInternalMessage resumes sending after NODE_HANDLE_ACK or _NACK, and
// for a NODE_HANDLE acknowledges it (or NACKs a missing descriptor),
// converts the handle and passes the inner message on.
//
// DEVIATION(fix): an ACK or NACK when no handle was sent (no Node peer
// writes one; a duplicate, or a peer that is not Node) fails an assertion
// in v20, which ends the process (ERR_INTERNAL_ASSERTION; node printed
// it). Here it is ignored. NODECLUSTER_REPRODUCE_V20=stray-ack
// (ReproduceStrayAck) throws as v20 does.
//
// DEVIATION(fix): a NACK of a net.Native handle (a cluster newconn whose
// descriptor did not reach the worker: it was out of descriptors, and
// its recvmsg saw MSG_CTRUNC) is lost in v20: the message is not resent,
// the worker never answers it, the connection waits in the primary for
// good and that worker gets no other. Here OnNativeNack gets the message,
// and the cluster's primary takes it as the worker's refusal.
// NODECLUSTER_REPRODUCE_V20=nack-lost (ReproduceNackLost) loses it as
// v20 does.
//
// DEVIATION(fix): a NODE_HANDLE of a type Node does not know ends a v20
// process ("TypeError: Cannot read properties of undefined (reading
// 'got')"; node printed it). Here the descriptor is closed, the message
// dropped, and the target's "error" (or a warning) says why, as for a
// malformed line. NODECLUSTER_REPRODUCE_V20=bad-handle (ReproduceBadHandle)
// throws as v20 does.
//
// Mirrors lib/internal/child_process.js:/target\.on\(.internalMessage., function/.
func (t *Target) onInternalMessage(message any, handle any) {
	m, _ := message.(*Object)
	cmd, _ := m.String("cmd")
	if cmd == "NODE_HANDLE_ACK" || cmd == "NODE_HANDLE_NACK" {
		if !t.queueActive && t.nativeInFlight == 0 && t.pendingMessage == nil {
			if ReproduceStrayAck {
				panic(InternalAssertion(""))
			}
			return // answers nothing sent
		}
		if n := len(t.nativeSent); n > 0 {
			// The oldest net.Native handle is answered (answers come in
			// order). The array is kept: a handoff allocates nothing here.
			sent := t.nativeSent[0]
			copy(t.nativeSent, t.nativeSent[1:])
			t.nativeSent[n-1] = nil
			t.nativeSent = t.nativeSent[:n-1]
			if cmd == "NODE_HANDLE_NACK" && t.OnNativeNack != nil && !ReproduceNackLost {
				t.lp.NextTick(func() { t.OnNativeNack(sent) })
			}
		}
		if t.nativeInFlight > 0 {
			// One of several native handles answered (canPipeline): the
			// queue waits for the last of them.
			t.nativeInFlight--
			if t.nativeInFlight > 0 {
				return
			}
		}
		if t.pendingMessage != nil {
			if cmd == "NODE_HANDLE_ACK" {
				t.closePendingHandle()
			} else {
				n := t.pendingMessage.retransmit
				t.pendingMessage.retransmit++
				if n == MaxHandleRetransmissions {
					t.closePendingHandle()
					events.EmitWarning(&events.Warning{Name: "SentHandleNotReceivedWarning", Message: "Handle did not reach the receiving process correctly"})
				}
			}
		}
		queue := t.handleQueue
		t.handleQueue = nil
		t.queueActive = false
		if p := t.pendingMessage; p != nil {
			t.pendingMessage = nil
			t.send(p.message, p.handle, p.opts, p.cb)
		}
		for _, q := range queue {
			t.send(q.message, q.handle, q.opts, q.cb)
		}
		if !t.Connected && t.Channel != nil && !t.queueActive {
			t.disconnect()
		}
		return
	}
	if cmd != "NODE_HANDLE" {
		return
	}
	h, _ := handle.(*uv.Stream)
	if h == nil {
		t.send(NewObject("cmd", "NODE_HANDLE_NACK"), nil, SendOptions{SwallowErrors: true}, nil)
		return
	}
	t.send(NewObject("cmd", "NODE_HANDLE_ACK"), nil, SendOptions{SwallowErrors: true}, nil)
	typ, _ := m.String("type")
	obj := handleConversion[typ]
	if obj == nil {
		if ReproduceBadHandle {
			panic(errors.New("TypeError: Cannot read properties of undefined (reading 'got')"))
		}
		h.Close(nil)
		t.emitChannelError(&ChannelError{Err: fmt.Errorf("NODE_HANDLE of unknown type %q", typ)})
		return
	}
	inner := m.Value("msg")
	obj.Got(t, m, h, func(converted any) {
		t.handleMessage(inner, converted, isInternal(inner))
	})
}

// onNewListener delivers user messages that arrived before anyone
// listened for "message".
//
// Mirrors lib/internal/child_process.js:/target\.on\(.newListener., function/.
func (t *Target) onNewListener(name string) {
	t.lp.NextTick(func() {
		if t.Channel == nil || t.ListenerCount("message") == 0 {
			return
		}
		msgs := t.Channel.pendingMsgs
		if len(msgs) == 0 {
			return
		}
		t.Channel.pendingMsgs = nil
		for _, m := range msgs {
			t.Emit(m[0].(string), m[1], m[2])
		}
	})
}

// Send sends a message (any JSON-able value), with an optional handle, and
// calls cb once it is written. It returns false when the channel is
// backed up or closed.
//
// Where Node's send throws, Send panics with the same error, at once and
// nothing sent: Undefined is ERR_MISSING_ARGS, a function or a channel
// ERR_INVALID_ARG_TYPE (so is a BigInt, on either channel), and a message
// JSON.stringify cannot write (a structure that contains itself; a
// json.RawMessage that is not JSON) a *StringifyError or *SyntaxError. A
// function inside an object is left out, as JS leaves it out. On an
// advanced channel a structure that contains itself goes as it is, and a
// function or channel anywhere in the message is V8's *DataCloneError.
//
// Mirrors lib/internal/child_process.js setupChannel() inner target.send().
func (t *Target) Send(message any, handle any, opts SendOptions, cb func(error)) bool {
	switch x := message.(type) {
	case undefinedType:
		panic(&ErrnoError{Code: "ERR_MISSING_ARGS", Message: `The "message" argument must be specified`})
	case BigInt:
		panic(&ErrnoError{Code: "ERR_INVALID_ARG_TYPE", Message: `The "message" argument must be one of type string, object, number, or boolean. Received type bigint (` + x.String() + `n)`})
	}
	if k := kindOf(message); k == reflect.Func || k == reflect.Chan || k == reflect.UnsafePointer {
		panic(&ErrnoError{Code: "ERR_INVALID_ARG_TYPE", Message: `The "message" argument must be one of type string, object, number, or boolean. Received ` + describeArg(message)})
	}
	if t.Connected {
		return t.send(message, handle, opts, cb)
	}
	ex := ErrIPCChannelClosed
	if cb != nil {
		t.lp.NextTick(func() { cb(ex) })
	} else {
		t.lp.NextTick(func() { t.Emit("error", ex) })
	}
	return false
}

// send writes a message, wrapping it in a NODE_HANDLE envelope when a
// handle goes with it, or queues it behind a handle still waiting for its
// ACK.
//
// Mirrors lib/internal/child_process.js setupChannel() inner target._send().
func (t *Target) send(message any, handle any, opts SendOptions, cb func(error)) bool {
	var obj *Conversion
	var stream *uv.Stream
	if handle != nil {
		typ := handleType(handle)
		if typ == "" {
			panic(&ErrnoError{Code: "ERR_INVALID_HANDLE_TYPE", Message: "This handle type cannot be sent"})
		}
		envelope := NewObject("cmd", "NODE_HANDLE", "type", stringValue(typ), "msg", message)
		if t.queueActive && !t.canPipeline(typ) {
			t.handleQueue = append(t.handleQueue, queued{message: message, handle: handle, opts: opts, cb: cb})
			return len(t.handleQueue) == 1
		}
		obj = handleConversion[typ]
		stream = obj.Send(t, envelope, handle, opts)
		if stream == nil {
			// Sent twice, or no descriptor behind it: the text alone.
		} else {
			message = envelope
		}
	} else if t.queueActive && !isAckOrNack(message) {
		t.handleQueue = append(t.handleQueue, queued{message: message, opts: opts, cb: cb})
		return len(t.handleQueue) == 1
	}

	fd := -1
	var sync bool
	var err error
	if stream != nil {
		fd = stream.Fd()
	}
	if stream != nil && fd < 0 {
		// A handle without a descriptor (closed, or a UDP handle never
		// bound): libuv's uv_write2 refuses it with EBADF, and nothing is
		// written.
		err = unix.EBADF
	} else {
		sync, err = t.writeChannelMessage(message, fd, cb)
	}
	if err != nil && isSerializeError(err) {
		// JSON.stringify or V8's serializer threw: so does send, and
		// nothing went out.
		panic(err)
	}
	if err == nil {
		if stream != nil {
			if !t.queueActive {
				t.queueActive = true
				t.handleQueue = t.handleQueue[:0]
			}
			if obj == handleConversion["net.Native"] {
				if t.NativeInFlight > 1 {
					t.nativeInFlight++
				}
				if inner, ok := message.(*Object).Value("msg").(*Object); ok {
					t.nativeSent = append(t.nativeSent, inner)
				}
			}
			if obj != nil && obj.PostSend != nil {
				obj.PostSend(message.(*Object), stream, opts, cb, t)
			}
		}
		if sync && cb != nil {
			t.lp.NextTick(func() { cb(nil) })
		}
	} else {
		if obj != nil && obj.PostSend != nil && stream != nil {
			obj.PostSend(nil, stream, opts, cb, nil)
		}
		if !opts.SwallowErrors {
			ex := &ErrnoError{Code: errnoName(err), Syscall: "write", Message: "write " + errnoName(err)}
			if cb != nil {
				t.lp.NextTick(func() { cb(ex) })
			} else {
				t.lp.NextTick(func() { t.Emit("error", ex) })
			}
		}
	}
	return t.stream.WriteQueueSize() < 65536*2
}

// isSerializeError reports whether err is what JSON.stringify or V8's
// serializer throws (rather than a failed write). Only a failed send
// calls it: the targets of errors.As would cost every send an allocation.
func isSerializeError(err error) bool {
	var se *StringifyError
	var syn *SyntaxError
	var dce *DataCloneError
	return errors.As(err, &se) || errors.As(err, &syn) || errors.As(err, &dce)
}

// kindOf is v's reflect.Kind, or Invalid for nil.
func kindOf(v any) reflect.Kind {
	if v == nil {
		return reflect.Invalid
	}
	return reflect.TypeOf(v).Kind()
}

// DescribeArg names a value the way Node's ERR_INVALID_ARG_TYPE message
// does: "function name", or "type T (value)".
func DescribeArg(v any) string { return describeArg(v) }

func describeArg(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Func {
		name := ""
		if f := runtime.FuncForPC(rv.Pointer()); f != nil {
			name = f.Name()
			if i := strings.LastIndexByte(name, '.'); i >= 0 {
				name = name[i+1:]
			}
			// A closure ("main.main.func1", "func1.2") has no name of its
			// own: Node prints an anonymous function as "function ".
			if strings.TrimLeft(strings.TrimPrefix(name, "func"), "0123456789") == "" {
				name = ""
			}
		}
		return "function " + name
	}
	return fmt.Sprintf("type %T (%v)", v, v)
}

// canPipeline reports whether a handle of type typ may go out while
// another one waits for its NODE_HANDLE_ACK: only with NativeInFlight above
// 1, only net.Native handles (which are never resent, so no
// pendingMessage is involved), only behind other native ones and with
// nothing queued.
//
// DEVIATION(fix): Node sends one handle at a time per channel and queues
// the next until the ACK. With cluster's HandoffsInFlight setting above 1
// (opt-in, NODECLUSTER_HANDOFFS_IN_FLIGHT), a worker's channel lets that
// many handed-off connections be in flight, so that a busy worker finds
// the next descriptors waiting when it reads. The default is Node's one.
func (t *Target) canPipeline(typ string) bool {
	return t.NativeInFlight > 1 && typ == "net.Native" && t.nativeInFlight > 0 &&
		t.nativeInFlight < t.NativeInFlight && t.pendingMessage == nil && len(t.handleQueue) == 0
}

// SetPendingMessage records a sent net.Socket handle until its ACK, so a
// NACK can resend it (handleConversion['net.Socket'].postSend).
func (t *Target) SetPendingMessage(message any, handle *uv.Stream, opts SendOptions, cb func(error)) {
	inner := message
	if m, ok := message.(*Object); ok {
		inner = m.Value("msg")
	}
	t.pendingMessage = &pendingMessage{message: inner, handle: handle, opts: opts, cb: cb}
}

func isAckOrNack(message any) bool {
	m, ok := message.(*Object)
	if !ok {
		return false
	}
	cmd, _ := m.String("cmd")
	return cmd == "NODE_HANDLE_ACK" || cmd == "NODE_HANDLE_NACK"
}

func handleType(handle any) string {
	switch h := handle.(type) {
	case *uv.Stream:
		if h.Kind == uv.KindUDP {
			return "dgram.Native"
		}
		return "net.Native"
	case HandleTyper:
		return h.HandleType()
	}
	return ""
}

// Disconnect stops new messages at once and closes the channel once the
// queue behind an unacknowledged handle has drained.
//
// Mirrors lib/internal/child_process.js setupChannel() inner target.disconnect().
func (t *Target) Disconnect() {
	if !t.Connected {
		t.Emit("error", ErrIPCDisconnected)
		return
	}
	t.Connected = false
	if !t.queueActive {
		t.disconnect()
	}
}

// disconnect really closes the channel and emits "disconnect" on the next
// tick, or after the message being read, when one is half read.
//
// DEVIATION(fix): Node waits for the next "message" (or
// "internalMessage") event, meaning the half-read message's, which never
// comes (one emitted for a message read before does): the channel is already
// disconnected, and a message read on a disconnected channel is dropped
// (handleMessage). So a disconnect that meets a message half read (a
// primary that disconnects a worker while sending it more, a worker that
// disconnects itself while the primary is sending) never completes: no
// "disconnect", and a worker never exits. The port finishes at that event
// too, or else once the message is complete (and dropped), or once the
// channel ends.
// NODECLUSTER_REPRODUCE_V20=disconnect-reading
// (ReproduceDisconnectWhileReading) keeps Node's wait.
//
// Mirrors lib/internal/child_process.js setupChannel() inner target._disconnect().
func (t *Target) disconnect() {
	if t.Channel == nil {
		return
	}
	t.Channel = nil
	if t.pendingMessage != nil {
		t.closePendingHandle()
	}
	fired := false
	finish := func() {
		if fired {
			return
		}
		fired = true
		t.stream.Close(nil)
		t.Emit("disconnect")
		t.channelClosed()
	}
	if t.buffering {
		t.Once("message", finish)
		t.Once("internalMessage", finish)
		if !ReproduceDisconnectWhileReading {
			t.disconnectWait = finish
		}
		return
	}
	t.lp.NextTick(finish)
}

// finishDisconnect runs the finish of a disconnect that waited for the end
// of a half-read message, on the next tick (where the message's event
// would have come).
func (t *Target) finishDisconnect() {
	if finish := t.disconnectWait; finish != nil {
		t.disconnectWait = nil
		t.lp.NextTick(finish)
	}
}

// emit delivers a message event now, or keeps a user message until
// someone listens for "message".
//
// Mirrors lib/internal/child_process.js setupChannel() inner emit().
func (t *Target) emit(event string, message any, handle any) {
	if event == "internalMessage" || t.ListenerCount("message") > 0 {
		t.Emit2(event, message, handle)
		return
	}
	if t.Channel != nil {
		t.Channel.pendingMsgs = append(t.Channel.pendingMsgs, [3]any{event, message, handle})
	}
}

// handleMessage schedules a message's event for the next tick, while the
// channel is open.
//
// Mirrors lib/internal/child_process.js setupChannel() inner handleMessage().
func (t *Target) handleMessage(message any, handle any, internal bool) {
	if t.Channel == nil {
		if h, ok := handle.(*uv.Stream); ok && h != nil {
			h.Close(nil)
		}
		t.finishDisconnect() // the message a disconnect waited for is complete
		return
	}
	if t.emitTick == nil {
		t.emitTick = t.emitTicked
	}
	t.ticked = append(t.ticked, tickedMessage{message, handle, internal})
	t.lp.NextTick(t.emitTick)
}

// FlushHeld writes the internal answers the channel holds while its read
// callback runs (uv.Stream.Hold) before user code runs, so that user code
// never runs while an answer Node would already have written waits.
func (t *Target) FlushHeld() {
	if t.stream != nil {
		t.stream.FlushHeld()
	}
}

// closePendingHandle closes a sent handle once it is acknowledged.
//
// Mirrors lib/internal/child_process.js closePendingHandle().
func (t *Target) closePendingHandle() {
	if h := t.pendingMessage.handle; h != nil {
		h.Close(nil)
	}
	t.pendingMessage = nil
}

// isInternal tells Node's own messages (cmd a string longer than "NODE_"
// that starts with it) from user messages.
//
// Mirrors lib/internal/child_process.js isInternal().
func isInternal(message any) bool {
	m, ok := message.(*Object)
	if !ok || m == nil {
		return false
	}
	cmd, ok := m.String("cmd")
	return ok && len(cmd) > len("NODE_") && cmd[:len("NODE_")] == "NODE_"
}

// IsInternal reports whether a message is one of Node's internal ones.
func IsInternal(message any) bool { return isInternal(message) }

// maybeClose emits "close" once the child has exited and its channel has
// closed.
//
// Mirrors lib/internal/child_process.js maybeClose().
func (c *ChildProcess) maybeClose() {
	c.closesGot++
	if c.closesGot == c.closesNeed {
		c.Emit("close", exitCodeValue(c.ExitCode), signalValue(c.SignalCode))
	}
}

func exitCodeValue(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func signalValue(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Send sends a message and optional handle to the child, calling cb once
// written (child.send(message, handle, cb)).
func (c *ChildProcess) Send(message any, handle any, cb func(error)) bool {
	return c.Target.Send(message, handle, SendOptions{}, cb)
}

// SendWithOptions is Send with Node's options (keepOpen).
func (c *ChildProcess) SendWithOptions(message any, handle any, opts SendOptions, cb func(error)) bool {
	return c.Target.Send(message, handle, opts, cb)
}

// SendRaw is Send without a callback, as sendHelper calls it.
func (c *ChildProcess) SendRaw(message *Object, handle any) bool {
	return c.Target.Send(message, handle, SendOptions{}, nil)
}

// ChannelEndedByPeer reports whether the channel's end came from the other
// process (its close, its exit) rather than from this one's disconnect:
// what this process wrote before its own close, the other may still read.
func (c *ChildProcess) ChannelEndedByPeer() bool { return c.endedByPeer }

// IsConnected is child.connected.
func (c *ChildProcess) IsConnected() bool { return c.Connected }

// Exited returns exitCode and signalCode (nil and "" while running).
func (c *ChildProcess) Exited() (*int, string) { return c.ExitCode, c.SignalCode }

// GetPid is child.pid.
func (c *ChildProcess) GetPid() int { return c.Pid }

// SentSocketList is the list of sockets sent under key, made on first use
// (getSocketList('send', ...)); first says it was made now.
//
// Mirrors lib/internal/child_process.js getSocketList().
func (t *Target) SentSocketList(key string) (l *SocketListSend, first bool) {
	if t.socketsSent == nil {
		t.socketsSent = map[string]*SocketListSend{}
	}
	l = t.socketsSent[key]
	if l == nil {
		l = newSocketListSend(t, key)
		t.socketsSent[key] = l
		first = true
	}
	return l, first
}

// GotSocketList is the list of sockets received under key, made on first
// use (getSocketList('got', ...)).
//
// Mirrors lib/internal/child_process.js getSocketList().
func (t *Target) GotSocketList(key string) *SocketListReceive {
	if t.socketsGot == nil {
		t.socketsGot = map[string]*SocketListReceive{}
	}
	l := t.socketsGot[key]
	if l == nil {
		l = newSocketListReceive(t, key)
		t.socketsGot[key] = l
	}
	return l
}
