package childprocess

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
// went with it. Tests use it to compare the wire with Node's.
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
// at once.
//
// Mirrors lib/internal/child_process/serialization.js json.writeChannelMessage().
func (t *Target) writeChannelMessage(message any, fd int, cb func(error)) (sync bool, err error) {
	b, err := AppendJSON(t.wbuf[:0], message)
	if err != nil {
		return false, err
	}
	if WireHook != nil {
		WireHook(t, 'w', b, fd >= 0)
	}
	b = append(b, '\n')
	t.wbuf = b[:0]
	// done runs only when the write had to wait; without a callback one
	// closure per channel serves every message.
	var done func(error)
	if cb != nil {
		ctl := t.Channel
		done = func(err error) {
			if ctl != nil {
				ctl.unrefCounted()
			}
			cb(err)
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
