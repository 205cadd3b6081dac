package childprocess

import (
	"encoding/binary"
	"slices"
)

// view writes an array buffer view as ChildProcessSerializer does, as a
// host object: the marker for a view (uint32 0), then what Node's
// DefaultSerializer writes for one: the index of its constructor in
// Node's list (10 for a Buffer), its byte length and its bytes. (Node
// writes any other host object, after marker 1, as a plain copy of its
// own properties; Go has no such objects to send.)
//
// Mirrors lib/internal/child_process/serialization.js ChildProcessSerializer._writeHostObject().
func (w *v8Writer) view(kind TypedArrayKind, data []byte) {
	w.byte(tagHostObject)
	w.varint(hostArrayBufferView)
	w.varint(uint64(kind))
	w.varint(uint64(len(data)))
	w.b = append(w.b, data...)
}

// hostObject reads a host object as ChildProcessDeserializer does: after
// marker 0 an array buffer view as Node's DefaultDeserializer reads it
// (a Buffer becomes a []byte, any other view a *TypedArray), after marker
// 1 the value that stood for another kind of host object. Another marker
// or an unknown constructor index is an error (Node's assertion throws);
// bytes past the view's last whole element are dropped, as Node's
// constructor drops them.
//
// Mirrors lib/internal/child_process/serialization.js ChildProcessDeserializer._readHostObject().
func (r *v8Reader) hostObject(depth int) (any, error) {
	id := r.newID()
	marker, err := r.varint()
	if err != nil {
		return nil, err
	}
	switch marker {
	case hostNotArrayBufferView:
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		switch v.(type) {
		case nil, bool, float64, string, undefinedType, BigInt:
			// V8 wants an object from a host object's reader
			return nil, r.fail("readHostObject must return an object")
		}
		r.objs[id] = v
		return v, nil
	case hostArrayBufferView:
	default:
		return nil, r.fail("host object marker %d", marker)
	}
	kind, err := r.varint()
	if err != nil {
		return nil, err
	}
	if kind >= uint64(len(typedArrayNames)) {
		return nil, r.fail("unknown array buffer view type %d", kind)
	}
	n, err := r.length()
	if err != nil {
		return nil, err
	}
	k := TypedArrayKind(kind)
	// Node makes the view with byteLength / BYTES_PER_ELEMENT elements,
	// which the constructor cuts to a whole number: bytes past the last
	// whole element are dropped.
	data := slices.Clone(r.raw(n))
	data = data[:len(data)-len(data)%k.elementSize()]
	if k == bufferKind {
		if data == nil {
			data = []byte{}
		}
		r.objs[id] = data
		return data, nil
	}
	ta := &TypedArray{Kind: k, Bytes: data}
	r.objs[id] = ta
	return ta, nil
}

// advancedInitMessageChannel makes the channel speak "advanced": V8's
// serializer, each message after its length, nothing buffered yet.
//
// Mirrors lib/internal/child_process/serialization.js advanced.initMessageChannel().
func (t *Target) advancedInitMessageChannel() {
	t.advanced = true
	t.messageBuffer = nil
	t.buffering = false
}

// advancedParseChannelMessages adds what arrived to what was buffered
// and calls fn for each complete message in it, in order: a 4-byte
// big-endian length, then that many bytes of V8's serializer, read as
// ChildProcessDeserializer reads them. What is left, a message not yet
// complete, is kept for the next read.
//
// DEVIATION(fix): a message the deserializer rejects is fn's error (a
// *DeserializeError, reported as a ChannelError) and reading goes on with
// the next message; in Node the deserializer's throw ends the process.
//
// Mirrors lib/internal/child_process/serialization.js advanced.parseChannelMessages().
func advancedParseChannelMessages(t *Target, data []byte, fn func(message any, err error)) {
	if len(data) == 0 {
		return
	}
	buf := data
	if len(t.messageBuffer) > 0 {
		t.messageBuffer = append(t.messageBuffer, data...)
		buf = t.messageBuffer
	}
	for len(buf) >= 4 {
		size := 4 + int(binary.BigEndian.Uint32(buf))
		if len(buf) < size {
			break
		}
		payload := buf[4:size]
		buf = buf[size:]
		msg, err := DeserializeAdvanced(payload)
		if WireHook != nil {
			WireHook(t, 'r', payload, t.pendingHandle != nil && err == nil && isNodeHandle(msg))
		}
		fn(msg, err)
	}
	if len(t.messageBuffer) > 0 {
		// buf is the end of messageBuffer: move it to the front.
		t.messageBuffer = t.messageBuffer[:copy(t.messageBuffer, buf)]
	} else {
		t.messageBuffer = append(t.messageBuffer[:0], buf...)
	}
	t.buffering = len(t.messageBuffer) != 0
}

// isNodeHandle reports whether message is a NODE_HANDLE envelope.
func isNodeHandle(message any) bool {
	m, ok := message.(*Object)
	if !ok {
		return false
	}
	cmd, _ := m.String("cmd")
	return cmd == "NODE_HANDLE"
}

// advancedWriteChannelMessage writes message as V8's serializer writes it
// (ChildProcessSerializer: header, then the value) after its length as a
// 4-byte big-endian number, with the descriptor fd when fd >= 0, and
// reports whether the write finished at once. A value V8 cannot clone is
// a *DataCloneError and nothing is written.
//
// Mirrors lib/internal/child_process/serialization.js advanced.writeChannelMessage().
func (t *Target) advancedWriteChannelMessage(message any, fd int, cb func(error)) (sync bool, err error) {
	b, err := appendAdvanced(append(t.wbuf[:0], 0, 0, 0, 0), message)
	if err != nil {
		t.wbuf = b[:0]
		return false, err
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	if WireHook != nil {
		WireHook(t, 'w', b[4:], fd >= 0)
	}
	t.wbuf = b[:0]
	return t.writeMessageBytes(message, b, fd, cb)
}

// jsonInitMessageChannel makes the channel speak "json": one JSON text a
// line, nothing buffered yet.
//
// Mirrors lib/internal/child_process/serialization.js json.initMessageChannel().
func (t *Target) jsonInitMessageChannel() {
	t.advanced = false
	t.jsonBuffer = nil
	t.buffering = false
}

// parseChannelMessages splits what arrived into lines, keeps an
// unfinished line for the next read, and parses each complete line as
// JSON, calling fn for every message (or parse error) in order.
//
// Mirrors lib/internal/child_process/serialization.js json.parseChannelMessages().
func parseChannelMessages(t *Target, data []byte, fn func(message any, err error)) {
	start := 0
	for i := 0; i < len(data); i++ {
		if data[i] != '\n' {
			continue
		}
		var line []byte
		if len(t.jsonBuffer) > 0 {
			t.jsonBuffer = append(t.jsonBuffer, data[start:i]...)
			line = t.jsonBuffer
		} else {
			line = data[start:i]
		}
		start = i + 1
		if WireHook != nil {
			WireHook(t, 'r', line, t.pendingHandle != nil && len(line) > 21 && string(line[:21]) == `{"cmd":"NODE_HANDLE",`)
		}
		msg, err := parseMessage(line)
		t.jsonBuffer = t.jsonBuffer[:0]
		fn(msg, err)
	}
	if start < len(data) {
		t.jsonBuffer = append(t.jsonBuffer, data[start:]...)
	}
	t.buffering = len(t.jsonBuffer) != 0
}

// WireHook, when set, sees every line this process writes ('w') or reads
// ('r') on any channel, without its newline, and whether a descriptor
// went with it (on an advanced channel, each message's V8 bytes, without
// their length). Tests use it to compare the wire with Node's.
var WireHook func(t *Target, dir byte, line []byte, withFd bool)

// ReproduceWriteAtOnce turns off the holding of a channel's writes while
// its read callback runs (uv.Stream.Hold): every message is written at
// once, as libuv does (NODECLUSTER_REPRODUCE_V20=write-at-once).
var ReproduceWriteAtOnce = Reproduce("write-at-once")

var ackLine = []byte(`{"cmd":"NODE_HANDLE_ACK"}`)

// isAnswer reports whether message answers one just read, the only kind
// the channel holds (uv.Stream.Hold): the channel's NODE_HANDLE_ACK or
// NODE_HANDLE_NACK, or a cluster reply, which carries the seq it answers
// as ack ({cmd: 'NODE_CLUSTER', ack, accepted} from a worker; the
// primary's answer to queryServer).
func isAnswer(message any) bool {
	m, ok := message.(*Object)
	if !ok || m == nil {
		return false
	}
	switch cmd, _ := m.String("cmd"); cmd {
	case "NODE_HANDLE_ACK", "NODE_HANDLE_NACK":
		return true
	case "NODE_CLUSTER":
		_, ok := m.Get("ack")
		return ok
	}
	return false
}

func parseMessage(line []byte) (any, error) {
	// The line every handed-off connection brings back: skip the parser.
	if string(line) == string(ackLine) {
		return NewObject("cmd", "NODE_HANDLE_ACK"), nil
	}
	return ParseJSON(line)
}

// writeChannelMessage writes JSON.stringify(message) and a newline, with
// the descriptor fd when fd >= 0, and reports whether the write finished
// at once. On an advanced channel it is advancedWriteChannelMessage (the
// one codec choice a message costs).
//
// Mirrors lib/internal/child_process/serialization.js json.writeChannelMessage().
func (t *Target) writeChannelMessage(message any, fd int, cb func(error)) (sync bool, err error) {
	if t.advanced {
		return t.advancedWriteChannelMessage(message, fd, cb)
	}
	b, err := AppendJSON(t.wbuf[:0], message)
	if err != nil {
		return false, err
	}
	if WireHook != nil {
		WireHook(t, 'w', b, fd >= 0)
	}
	b = append(b, '\n')
	t.wbuf = b[:0]
	return t.writeMessageBytes(message, b, fd, cb)
}

// writeMessageBytes writes one serialized message (what
// channel.writeUtf8String or channel.writeBuffer writes in Node), with
// the descriptor fd when fd >= 0, holding an answer to the message being
// read until the read callback ends, and reports whether the write
// finished at once.
func (t *Target) writeMessageBytes(message any, b []byte, fd int, cb func(error)) (sync bool, err error) {
	// done runs only when the write had to wait; without a callback one
	// closure per channel serves every message. It tells the callback
	// null however the write ended (written, cancelled by the channel's
	// close, failed with EPIPE), as Node's req.oncomplete does: the
	// channel's end is "disconnect"'s to tell.
	var done func(error)
	if cb != nil {
		ctl := t.Channel
		done = func(error) {
			if ctl != nil {
				ctl.unrefCounted()
			}
			cb(nil)
		}
	} else if t.Channel != nil {
		if t.writeDoneFor != t.Channel {
			ctl := t.Channel
			t.writeDoneFor = ctl
			t.writeDone = func(error) { ctl.unrefCounted() }
		}
		done = t.writeDone
	}
	if cb == nil && fd < 0 && done != nil && !ReproduceWriteAtOnce && isAnswer(message) && t.stream.Hold(b, done) {
		// Held until the read callback that sent it ends (a worker's
		// NODE_HANDLE_ACK and its {ack, accepted} leave together): an
		// asynchronous write, as when the socket is full. Only answers to
		// the message being read are held: anything else, a user's
		// message or one of Node's own such as a worker's
		// {act: 'close'}, leaves at once, as in Node, even if the process
		// then blocks or calls os.Exit.
		t.Channel.refCounted()
		return false, nil
	}
	sync, err = t.stream.Write(b, fd, done)
	if err == nil && !sync && t.Channel != nil {
		t.Channel.refCounted()
	}
	return sync, err
}
