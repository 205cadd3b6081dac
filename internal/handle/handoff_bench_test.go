package handle

// The primary's round-robin handoff cycle, in one process over a real
// socketpair: RoundRobinHandle.distribute queues a connection and hands it
// to a free worker (handoff: sendHelper's {act:"newconn"} in a NODE_HANDLE
// envelope, the descriptor with SCM_RIGHTS); the worker's end of the
// channel receives it, answers NODE_HANDLE_ACK (the channel does) and
// {ack, accepted:true} (as child.js onconnection does), and closes the
// descriptor; the primary takes the ACK, runs the handoff's callback
// (closes its copy) and, as the next connection is already there, hands
// it over at once. One op is one connection's full cycle, both ends'
// CPU included (one loop runs both, so nothing sleeps between them).
//
//	go test -run '^$' -bench Handoff -benchmem ./internal/handle/

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/utils"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/internal/worker"
)

// workerEnd is what a worker's process object is to sendHelper.
type workerEnd struct{ t *childprocess.Target }

func (w workerEnd) IsConnected() bool { return w.t.Connected }
func (w workerEnd) SendRaw(m *childprocess.Object, h any) bool {
	return w.t.Send(m, h, childprocess.SendOptions{}, nil)
}

func BenchmarkRoundRobinHandoff(b *testing.B) {
	for _, n := range []int{1, 2} {
		name := "1-worker"
		if n == 2 {
			name = "2-workers"
		}
		b.Run(name, func(b *testing.B) { benchHandoff(b, n) })
	}
}

func benchHandoff(b *testing.B, workers int) {
	utils.ResetForTest()
	l := uv.Default()
	// The descriptors handed off are dups of one end of a spare
	// socketpair: what is measured is the protocol, not TCP.
	spare, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(spare[0])
	defer unix.Close(spare[1])

	h := &RoundRobinHandle{key: "127.0.0.1:8000:4:undefined:0", all: make(map[int]*worker.Worker), inflight: make(map[int][]inflightConn)}
	var primaries, ends []*childprocess.Target
	created, done := 0, 0
	total := 0
	// refill plays the listening socket: whenever a worker is free and
	// connections remain, one arrives.
	refill := func() {
		for len(h.free) > 0 && created < total {
			fd, err := unix.Dup(spare[0])
			if err != nil {
				b.Fatal(err)
			}
			s, err := uv.NewStream(l, uv.KindTCP, fd, false)
			if err != nil {
				b.Fatal(err)
			}
			created++
			h.distribute(nil, s)
		}
	}
	for id := 1; id <= workers; id++ {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		proc := &childprocess.ChildProcess{Target: &childprocess.Target{}}
		if _, err := childprocess.ForkChild(l, proc.Target, fds[0]); err != nil {
			b.Fatal(err)
		}
		end := &childprocess.Target{}
		if _, err := childprocess.ForkChild(l, end, fds[1]); err != nil {
			b.Fatal(err)
		}
		w := worker.New(worker.Options{ID: id, Process: proc})
		internal := utils.Internal(func(*childprocess.Object, any) {})
		proc.On("internalMessage", func(m any, hd any) {
			internal(m, hd)
			if m.(*childprocess.Object).Value("ack") != childprocess.Undefined {
				done++
				if done == total {
					l.Stop() // the channels keep the loop alive: stop it here
				}
			}
			refill()
		})
		we := workerEnd{end}
		end.On("internalMessage", func(m any, hd any) {
			msg := m.(*childprocess.Object)
			if act, _ := msg.String("act"); act != "newconn" {
				return
			}
			utils.SendHelper(we, childprocess.NewObject("ack", msg.Value("seq"), "accepted", true), nil, nil)
			if s, ok := hd.(*uv.Stream); ok {
				s.Close(nil)
			}
		})
		h.all[id] = w
		h.setFree(w)
		primaries = append(primaries, proc.Target)
		ends = append(ends, end)
	}

	// Warm up, then time b.N cycles.
	run := func(n int) {
		total, created, done = n, 0, 0
		refill()
		l.Run()
		if done != total {
			b.Fatalf("the loop ended after %d of %d handoffs", done, total)
		}
	}
	run(200)
	b.ReportAllocs()
	b.ResetTimer()
	run(b.N)
	b.StopTimer()
	inflight := 0
	for _, ins := range h.inflight {
		inflight += len(ins)
	}
	if inflight != 0 || utils.PendingCallbacks() != 0 {
		b.Fatalf("left over: %d in flight, %d callbacks", inflight, utils.PendingCallbacks())
	}
	for _, p := range primaries {
		p.Disconnect()
	}
	for _, e := range ends {
		e.Disconnect()
	}
	l.Run()
}
