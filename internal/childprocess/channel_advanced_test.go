package childprocess

// The advanced channel in process, over a real socketpair, as
// channel_test.go drives the JSON one: each message on the wire is its
// length (4 bytes, big-endian) and V8's serializer output.

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nodecluster/nodecluster/internal/uv"
)

// advFrame is what the advanced channel carries for v.
func advFrame(t *testing.T, v any) string {
	t.Helper()
	b, err := SerializeAdvanced(v)
	require.NoError(t, err)
	return advFrameOf(b)
}

func advFrameOf(payload []byte) string {
	return string(binary.BigEndian.AppendUint32(nil, uint32(len(payload)))) + string(payload)
}

// advDescribe prints a received message for comparison: its serialized
// bytes in hex, which tell every kind of value apart.
func advDescribe(t *testing.T, v any) string {
	t.Helper()
	b, err := SerializeAdvanced(v)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

func advMessages(t *testing.T) []any {
	cyclic := NewObject("n", 1)
	cyclic.Set("self", cyclic)
	return []any{
		NewObject("cmd", "NODE_CLUSTER", "act", "online", "seq", 0),
		NewObject("map", NewMap("k", NewSet(1, 2)), "date", &Date{Ms: 1e12}, "buf", []byte("é😀"), "u", Undefined),
		cyclic,
		[]any{NewBigInt(-5), BigInt{Abs: []uint64{0, 1}}, Hole, "\xed\xa0\x80"},
		"str",
		42,
	}
}

// TestAdvancedChannelReassemblesMessages: messages cut at every byte (the
// length prefix too), and all in one read, arrive whole and in order,
// internal ones as internalMessage.
func TestAdvancedChannelReassemblesMessages(t *testing.T) {
	msgs := advMessages(t)
	var wire string
	var want []string
	for i, m := range msgs {
		wire += advFrame(t, m)
		event := "message"
		if i == 0 {
			event = "internalMessage"
		}
		want = append(want, event+" "+advDescribe(t, m))
	}
	for _, split := range []bool{true, false} {
		t.Run(fmt.Sprintf("one byte a read %v", split), func(t *testing.T) {
			h := newChanHarnessWith(t, "advanced")
			var chunks []chanChunk
			if split {
				for i := 0; i < len(wire); i++ {
					chunks = append(chunks, chanChunk{data: wire[i : i+1]})
				}
			} else {
				chunks = []chanChunk{{data: wire}}
			}
			got := h.recordMessages(len(msgs), func(msg any) string { return advDescribe(t, msg) })
			reads := h.feed(chunks)
			h.run()
			require.Equal(t, len(chunks), *reads)
			chanDiff(t, want, *got)
			require.False(t, h.target.buffering)
		})
	}
}

// TestAdvancedChannelSendWritesFrames: Send writes each message as Node's
// advanced channel does; a cyclic message goes as it is.
func TestAdvancedChannelSendWritesFrames(t *testing.T) {
	h := newChanHarnessWith(t, "advanced")
	h.target.On("message", func() {})
	msgs := advMessages(t)
	var want string
	n := 0
	for _, m := range msgs {
		want += advFrame(t, m)
		h.target.Send(m, nil, SendOptions{}, func(err error) {
			require.NoError(t, err)
			n++
			if n == len(msgs) {
				h.loop.Stop()
			}
		})
	}
	h.run()
	wire, fds := h.readAvailable()
	require.Empty(t, fds)
	require.Equal(t, hex.EncodeToString([]byte(want)), hex.EncodeToString([]byte(wire)))
}

// TestAdvancedChannelNodeHandle: a NODE_HANDLE with a descriptor is
// acknowledged with an advanced NODE_HANDLE_ACK and its message arrives
// with the handle; one without is NACKed and its message dropped.
func TestAdvancedChannelNodeHandle(t *testing.T) {
	h := newChanHarnessWith(t, "advanced")
	sp := chanSocketpair(t)
	var gotMsg, gotHandle any
	h.target.On("message", func(msg any, handle any) {
		gotMsg, gotHandle = msg, handle
		h.loop.Stop()
	})
	h.sendFd(advFrame(t, NewObject("cmd", "NODE_HANDLE", "type", "net.Native", "msg", NewObject("when", &Date{Ms: 5}))), sp[0])
	h.run()
	require.Equal(t, advDescribe(t, NewObject("when", &Date{Ms: 5})), advDescribe(t, gotMsg))
	requireHandleFd(t, gotHandle, sp[1])
	wire, fds := h.readAvailable()
	require.Equal(t, advFrame(t, NewObject("cmd", "NODE_HANDLE_ACK")), wire)
	require.Empty(t, fds)

	// Without a descriptor: NACKed, and its message never delivered.
	h.target.Once("message", func(msg any, handle any) {
		gotMsg, gotHandle = msg, handle
		h.loop.Stop()
	})
	h.write(advFrame(t, NewObject("cmd", "NODE_HANDLE", "type", "net.Native", "msg", "lost")) + advFrame(t, "after"))
	h.run()
	require.Equal(t, "after", gotMsg)
	require.Nil(t, gotHandle)
	wire, _ = h.readAvailable()
	require.Equal(t, advFrame(t, NewObject("cmd", "NODE_HANDLE_NACK")), wire)
}

// TestAdvancedChannelQueuesBehindUnackedHandle: a handle sent goes with
// its envelope; what follows waits for the peer's advanced ACK.
func TestAdvancedChannelQueuesBehindUnackedHandle(t *testing.T) {
	h := newChanHarnessWith(t, "advanced")
	h.target.On("message", func() {})
	sp := chanSocketpair(t)
	hs, err := uv.NewStream(h.loop, uv.KindPipe, sp[0], false)
	require.NoError(t, err)
	var called []string
	stopAt := ""
	cb := func(name string) func(error) {
		return func(err error) {
			require.NoError(t, err)
			called = append(called, name)
			if name == stopAt {
				h.loop.Stop()
			}
		}
	}
	h.target.Send(NewObject("n", NewBigInt(1)), hs, SendOptions{}, cb("1"))
	h.target.Send(NewSet("two"), nil, SendOptions{}, cb("2"))
	stopAt = "1"
	h.run()
	wire, fds := h.readAvailable()
	require.Equal(t, advFrame(t, NewObject("cmd", "NODE_HANDLE", "type", "net.Native", "msg", NewObject("n", NewBigInt(1)))), wire)
	require.Len(t, fds, 1)
	stopAt = "2"
	h.write(advFrame(t, NewObject("cmd", "NODE_HANDLE_ACK")))
	h.run()
	chanDiff(t, []string{"1", "2"}, called)
	wire, _ = h.readAvailable()
	require.Equal(t, advFrame(t, NewSet("two")), wire)
}

// TestAdvancedChannelMalformedMessage: a message the deserializer rejects
// is an "error" event (a ChannelError around a DeserializeError) and the
// next message still arrives.
func TestAdvancedChannelMalformedMessage(t *testing.T) {
	h := newChanHarnessWith(t, "advanced")
	var errs []error
	h.target.On("error", func(err error) { errs = append(errs, err) })
	var got any
	h.target.On("message", func(msg any) {
		got = msg
		h.loop.Stop()
	})
	h.write(advFrameOf([]byte{0xff, 0x0f, 'W'}) + advFrameOf([]byte("junk")) + advFrame(t, "after"))
	h.run()
	require.Equal(t, "after", got)
	require.Len(t, errs, 2)
	var ce *ChannelError
	require.ErrorAs(t, errs[0], &ce)
	var de *DeserializeError
	require.ErrorAs(t, errs[0], &de)
	require.EqualError(t, errs[0], `malformed message on the IPC channel: Unable to deserialize cloned data: unsupported tag 'W' at byte 3`)
	require.EqualError(t, errs[1], `malformed message on the IPC channel: Unable to deserialize cloned data: no V8 header at byte 0`)
}

// TestAdvancedChannelSendUncloneable: Send panics with V8's
// DataCloneError for a function anywhere in the message, and with
// ERR_INVALID_ARG_TYPE for a BigInt message, as Node's send throws;
// nothing is written.
func TestAdvancedChannelSendUncloneable(t *testing.T) {
	h := newChanHarnessWith(t, "advanced")
	func() {
		defer func() {
			r := recover()
			var dce *DataCloneError
			require.ErrorAs(t, r.(error), &dce)
			require.Contains(t, dce.Message, "could not be cloned.")
		}()
		h.target.Send(NewObject("f", func() {}), nil, SendOptions{}, nil)
	}()
	func() {
		defer func() {
			e, ok := recover().(*ErrnoError)
			require.True(t, ok)
			require.Equal(t, "ERR_INVALID_ARG_TYPE", e.Code)
			require.Equal(t, `The "message" argument must be one of type string, object, number, or boolean. Received type bigint (7n)`, e.Message)
		}()
		h.target.Send(NewBigInt(7), nil, SendOptions{}, nil)
	}()
	wire, _ := h.readAvailable()
	require.Empty(t, wire)
}
