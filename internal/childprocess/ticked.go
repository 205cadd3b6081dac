package childprocess

// The queue behind handleMessage's nextTick callbacks. It has no JS
// counterpart: Node queues a closure per message; here each message waits
// in its Target's list and every tick is the same method value.

// tickedMessage is a message waiting for its tick (handleMessage).
type tickedMessage struct {
	message, handle any
	internal        bool
}

// emitTicked emits the oldest message handleMessage scheduled: as
// "internalMessage", or as "message" once what the channel held is
// written (user code runs next: Node's answers are out by then). Ticks
// run in the order they were queued, one per message, so the oldest is
// this tick's.
func (t *Target) emitTicked() {
	m := t.ticked[t.tickedHead]
	t.ticked[t.tickedHead] = tickedMessage{}
	t.tickedHead++
	if t.tickedHead == len(t.ticked) {
		t.ticked, t.tickedHead = t.ticked[:0], 0
	}
	if m.internal {
		t.emit("internalMessage", m.message, m.handle)
		return
	}
	t.FlushHeld()
	t.emit("message", m.message, m.handle)
}
