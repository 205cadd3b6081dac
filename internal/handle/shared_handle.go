package handle

import (
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/dgram"
	"github.com/nodecluster/nodecluster/internal/netbridge"
	"github.com/nodecluster/nodecluster/internal/trace"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/internal/worker"
)

// SharedHandle is the primary's listening socket for one key under
// SCHED_NONE: it binds once and sends the socket itself to every worker,
// which accept on it directly. A worker's UDP socket ("udp4" or "udp6")
// gets one under either policy: the primary binds it and every worker
// reads datagrams from the same socket.
//
// Mirrors lib/internal/cluster/shared_handle.js SharedHandle().
type SharedHandle struct {
	key     string
	workers map[int]*worker.Worker
	handle  *uv.Stream
	errno   int
	data    any
}

// NewSharedHandle binds for key; a failure is kept as errno and reported
// to every worker that asks.
//
// Mirrors lib/internal/cluster/shared_handle.js SharedHandle().
func NewSharedHandle(key string, address any, message *childprocess.Object) *SharedHandle {
	h := &SharedHandle{key: key, workers: make(map[int]*worker.Worker)}
	addressType := message.Value("addressType")
	if at, ok := message.Number("addressType"); ok {
		addressType = int(at)
	}
	var s *uv.Stream
	var errno int
	if at, _ := addressType.(string); at == "udp4" || at == "udp6" {
		s, errno = dgram.CreateSocketHandle(address, message.Value("port"), at, message.Value("fd"), message.Value("flags"))
	} else {
		// The port as tcp_wrap's bind reads it (JS's ToInt32, then the 16
		// bits uv_ip4_addr keeps: "8000" binds 8000, 70000 binds 4464, -1
		// binds 65535), except for a pipe: port and addressType -1.
		raw := message.Value("port")
		port := int(uint16(childprocess.ToUint32(childprocess.ToNumber(raw))))
		if f, ok := childprocess.ToFloat(raw); ok && f == -1 && addressType == -1 {
			port = -1
		}
		s, errno = netbridge.CreateServerHandle(address, port, addressType, message.Int("fd", -1), message.Int("flags", 0))
	}
	if errno != 0 {
		h.errno = errno
	} else {
		h.handle = s
	}
	trace.Step("handle.NewSharedHandle", "shared_handle.js SharedHandle", "key %s errno %d", key, errno)
	return h
}

// Add replies to the worker with the errno and the listening socket.
//
// Mirrors lib/internal/cluster/shared_handle.js SharedHandle.prototype.add().
func (h *SharedHandle) Add(w *worker.Worker, send SendFunc) {
	h.workers[w.ID] = w
	var handle any
	if h.handle != nil {
		handle = h.handle
	}
	send(h.errno, nil, handle)
}

// Remove drops a worker; with none left it closes the socket and reports
// true.
//
// Mirrors lib/internal/cluster/shared_handle.js SharedHandle.prototype.remove().
func (h *SharedHandle) Remove(w *worker.Worker) bool {
	if _, ok := h.workers[w.ID]; !ok {
		return false
	}
	delete(h.workers, w.ID)
	if len(h.workers) != 0 {
		return false
	}
	if h.handle != nil {
		h.handle.Close(nil)
		h.handle = nil
	}
	return true
}

// Has reports whether worker w is one of the handle's.
func (h *SharedHandle) Has(w *worker.Worker) bool {
	_, ok := h.workers[w.ID]
	return ok
}

// Data is handle.data.
func (h *SharedHandle) Data() any { return h.data }

// SetData sets handle.data.
func (h *SharedHandle) SetData(v any) { h.data = v }
