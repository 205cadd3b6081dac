package net

// The two handle types net contributes to the IPC channel: a Socket or a
// Server sent with a user message (worker.Send(msg, socket)). They live in
// lib/internal/child_process.js handleConversion; net registers them here
// because the channel package cannot import net.

import (
	"fmt"
	"os"
	"time"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"golang.org/x/sys/unix"
)

// HandleType names the Socket's conversion on the IPC channel.
func (s *Socket) HandleType() string { return "net.Socket" }

// HandleType names the Server's conversion on the IPC channel.
func (s *Server) HandleType() string { return "net.Server" }

func init() {
	childprocess.RegisterConversion("net.Socket", &childprocess.Conversion{
		Send: socketSend, PostSend: socketPostSend, Got: socketGot,
	})
	childprocess.RegisterConversion("net.Server", &childprocess.Conversion{
		Send: serverSend, Got: serverGot,
	})
}

// socketSend takes the socket's handle to send it: the socket is left
// without it (unless keepOpen), not destroyed, and no longer counts on
// its server.
//
// Mirrors lib/internal/child_process.js handleConversion.'net.Socket'.send().
func socketSend(t *childprocess.Target, message *childprocess.Object, handle any, opts childprocess.SendOptions) *uv.Stream {
	s, _ := handle.(*Socket)
	if s == nil || s.handle == nil || s.destroyed {
		return nil // sent already, or destroyed (Node's _handle is null): the message goes alone
	}
	if s.server != nil {
		message.Set("key", s.server.connectionKey)
		if t != nil {
			// The other process counts what it got under the key; the
			// server asks it when counting or closing.
			if list, first := t.SentSocketList(s.server.connectionKey); first {
				s.server.setupWorker(list)
			}
		}
		if !opts.KeepOpen {
			s.server.connections--
			s.server.emitCloseIfDrained()
			s.server = nil
		}
	}
	h := s.handle
	if !opts.KeepOpen {
		// The socket lets its handle go, and is left without one, not
		// destroyed (as Node's): a later write is ERR_SOCKET_CLOSED.
		h.ReadStop()
		h.OnRead = nil
		s.handle = nil
		s.reading = false
	}
	return h
}

// socketPostSend keeps a sent socket's handle until its ACK (a NACK
// resends it), or closes it when the write failed.
//
// Mirrors lib/internal/child_process.js handleConversion.'net.Socket'.postSend().
func socketPostSend(message *childprocess.Object, handle *uv.Stream, opts childprocess.SendOptions, cb func(error), t *childprocess.Target) {
	if handle == nil || opts.KeepOpen {
		return
	}
	if t != nil {
		t.SetPendingMessage(message, handle, opts, cb)
		return
	}
	handle.Close(nil)
}

// socketGot wraps a received socket handle in a Socket that reads, and
// counts it in the list of its key when a server sent it.
//
// Mirrors lib/internal/child_process.js handleConversion.'net.Socket'.got().
func socketGot(t *childprocess.Target, message *childprocess.Object, handle *uv.Stream, emit func(any)) {
	s := NewSocketFromHandle(handle)
	if key, _ := message.String("key"); key != "" && t != nil {
		// A server's connection: its sender may ask how many are still
		// open, and wait for them all to close.
		t.GotSocketList(key).Add(s)
	}
	s.startReading() // as Node's Socket constructor does; data flows once read
	emit(s)
}

// serverSend sends the server's listening handle: its own socket, or in a
// cluster worker under SCHED_NONE the primary's socket it listens on. A
// server that is not listening has none, and its message goes alone.
//
// DEVIATION(fix): a cluster worker's server under round-robin listens on
// a faux handle, with no socket behind it; a v20 worker that sends it
// (process.send(msg, server)) dies of SIGSEGV (node's writeUtf8String is
// given an object that is no native handle; it did so every time it was
// run). Here the send fails as libuv fails a handle without a descriptor:
// "write EBADF" to the callback (or the "error" event), and nothing is
// sent. NODECLUSTER_REPRODUCE_V20=faux-handle ends the process by SIGSEGV
// as v20 does.
//
// Mirrors lib/internal/child_process.js handleConversion.'net.Server'.send().
func serverSend(t *childprocess.Target, message *childprocess.Object, handle any, opts childprocess.SendOptions) *uv.Stream {
	s, _ := handle.(*Server)
	if s == nil {
		return nil
	}
	switch h := s.handle.(type) {
	case nil:
		return nil
	case *uv.Stream:
		return h
	case interface{ ListeningStream() *uv.Stream }:
		return h.ListeningStream()
	}
	if ReproduceFauxHandleSend {
		reproduceSegfault()
	}
	return uv.NoDescriptor()
}

// ReproduceFauxHandleSend, set by NODECLUSTER_REPRODUCE_V20=faux-handle,
// lets a worker that sends its round-robin server die as a v20 worker
// does.
var ReproduceFauxHandleSend = uv.Reproduce("faux-handle")

// reproduceSegfault ends the process by SIGSEGV, the signal v20's crash
// ends it by, and waits for the signal to take it. It first waits for the
// process to have taken the signal from the Go runtime (in the first
// millisecond of a worker, which may already be sending): before that,
// the runtime would take the SIGSEGV for its own crash, exit status 2.
func reproduceSegfault() {
	process.AwaitSignals()
	unix.Kill(os.Getpid(), unix.SIGSEGV)
	for {
		time.Sleep(time.Second)
	}
}

// serverGot makes a Server listening on the received handle and emits it
// once it listens.
//
// DEVIATION(fix): a descriptor that cannot listen (no Node peer sends one
// as a net.Server) makes the new server emit "error" with no listener,
// which ends a v20 process ("listen EINVAL"; node printed it). Here the
// message is dropped and the target's "error" (or a warning) says why.
// NODECLUSTER_REPRODUCE_V20=bad-handle brings v20's end back.
//
// Mirrors lib/internal/child_process.js handleConversion.'net.Server'.got().
func serverGot(t *childprocess.Target, message *childprocess.Object, handle *uv.Stream, emit func(any)) {
	s := CreateServer(nil)
	var failed *events.Listener
	if !childprocess.ReproduceBadHandle {
		failed = s.Once("error", func(err error) {
			t.ReportChannelError(fmt.Errorf("NODE_HANDLE net.Server: %w", err))
		})
	}
	s.Listen(handle, func() {
		if failed != nil {
			s.RemoveListener(failed)
		}
		emit(s)
	})
}
