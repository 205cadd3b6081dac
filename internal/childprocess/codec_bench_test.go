package childprocess

// The IPC codec on the messages every round-robin connection puts on the
// channel (bytes as Node v20 writes them, testdata/wire-traces):
//
//	primary → worker  {"cmd":"NODE_HANDLE","type":"net.Native","msg":{"cmd":"NODE_CLUSTER","act":"newconn","key":"127.0.0.1:8000:4:undefined:0","seq":123456}} + the descriptor
//	worker → primary  {"cmd":"NODE_HANDLE_ACK"}
//	worker → primary  {"cmd":"NODE_CLUSTER","ack":123456,"accepted":true,"seq":654321}
//
// seq and ack are taken large, as in a primary that has handed off more
// than 1024 connections (smaller numbers come pre-boxed).
//
//	go test -run '^$' -bench 'Codec' -benchmem ./internal/childprocess/

import (
	"testing"
)

const benchKey = "127.0.0.1:8000:4:undefined:0"

var codecLines = []struct {
	name string
	line string
}{
	{"newconn", `{"cmd":"NODE_HANDLE","type":"net.Native","msg":{"cmd":"NODE_CLUSTER","act":"newconn","key":"` + benchKey + `","seq":123456}}`},
	{"ack", `{"cmd":"NODE_HANDLE_ACK"}`},
	{"accepted", `{"cmd":"NODE_CLUSTER","ack":123456,"accepted":true,"seq":654321}`},
}

// codecObjects builds each message the way the port builds it before
// sending: sendHelper's NODE_CLUSTER object, wrapped in the NODE_HANDLE
// envelope for a handle.
func codecObjects() map[string]*Object {
	inner := NewObject("cmd", "NODE_CLUSTER")
	inner.Assign(NewObject("act", "newconn", "key", benchKey))
	inner.Set("seq", 123456)
	reply := NewObject("cmd", "NODE_CLUSTER")
	reply.Assign(NewObject("ack", float64(123456), "accepted", true))
	reply.Set("seq", 654321)
	return map[string]*Object{
		"newconn":  NewObject("cmd", "NODE_HANDLE", "type", "net.Native", "msg", inner),
		"ack":      NewObject("cmd", "NODE_HANDLE_ACK"),
		"accepted": reply,
	}
}

func TestCodecBenchMessagesRoundTrip(t *testing.T) {
	objs := codecObjects()
	for _, c := range codecLines {
		b, err := AppendJSON(nil, objs[c.name])
		if err != nil || string(b) != c.line {
			t.Fatalf("%s: AppendJSON = %s, %v; want %s", c.name, b, err, c.line)
		}
		v, err := ParseJSON([]byte(c.line))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := v.(*Object).JSONString(); got != c.line {
			t.Fatalf("%s: parsed and printed %s", c.name, got)
		}
	}
}

// BenchmarkCodecParseJSON is JSON.parse of one line.
func BenchmarkCodecParseJSON(b *testing.B) {
	for _, c := range codecLines {
		line := []byte(c.line)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for i := 0; i < b.N; i++ {
				if _, err := ParseJSON(line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCodecParseMessage is what the channel calls per line
// (parseMessage: the ACK line skips the parser).
func BenchmarkCodecParseMessage(b *testing.B) {
	for _, c := range codecLines {
		line := []byte(c.line)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := parseMessage(line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCodecAppendJSON is JSON.stringify into a reused buffer, as
// writeChannelMessage does.
func BenchmarkCodecAppendJSON(b *testing.B) {
	objs := codecObjects()
	for _, c := range codecLines {
		o := objs[c.name]
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 256)
			for i := 0; i < b.N; i++ {
				var err error
				if buf, err = AppendJSON(buf[:0], o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCodecBuildAndAppend is building a message the way the cluster
// code does (NewObject, Assign, Set) and stringifying it: the sender's
// whole codec cost per message.
func BenchmarkCodecBuildAndAppend(b *testing.B) {
	b.Run("newconn", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for i := 0; i < b.N; i++ {
			m := NewObject("cmd", "NODE_CLUSTER")
			m.Assign(NewObject("act", "newconn", "key", benchKey))
			m.Set("seq", 123456+i)
			env := NewObject("cmd", "NODE_HANDLE", "type", "net.Native", "msg", m)
			buf, _ = AppendJSON(buf[:0], env)
		}
	})
	b.Run("accepted", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		seq := any(float64(123456))
		for i := 0; i < b.N; i++ {
			m := NewObject("cmd", "NODE_CLUSTER")
			m.Assign(NewObject("ack", seq, "accepted", true))
			m.Set("seq", 654321+i)
			buf, _ = AppendJSON(buf[:0], m)
		}
	})
}

// BenchmarkCodecChannelChunk is the reading side of one handoff in the
// primary: one read bringing the ACK and the accepted reply, split into
// lines and parsed (parseChannelMessages), without the events.
func BenchmarkCodecChannelChunk(b *testing.B) {
	chunk := []byte(codecLines[1].line + "\n" + codecLines[2].line + "\n")
	t := &Target{}
	n := 0
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		parseChannelMessages(t, chunk, func(any, error) { n++ })
	}
	if n != 2*b.N {
		b.Fatalf("%d messages, want %d", n, 2*b.N)
	}
}
