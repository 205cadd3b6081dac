package uv

// Handle is the part every libuv handle shares (uv_handle_t): whether it
// is active, whether it is ref'd, and whether it is closing. An active,
// ref'd handle keeps its loop alive.
type Handle struct {
	loop    *Loop
	active  bool
	refed   bool
	closing bool
}

func (h *Handle) init(l *Loop) {
	h.loop = l
	h.refed = true
}

// Loop returns the loop the handle belongs to.
func (h *Handle) Loop() *Loop { return h.loop }

func (h *Handle) activate() {
	if !h.active {
		h.active = true
		if h.refed {
			h.loop.refs++
		}
	}
}

func (h *Handle) deactivate() {
	if h.active {
		h.active = false
		if h.refed {
			h.loop.refs--
		}
	}
}

// Ref makes an active handle keep the loop alive again (uv_ref).
func (h *Handle) Ref() {
	if !h.refed {
		h.refed = true
		if h.active {
			h.loop.refs++
		}
	}
}

// Unref lets the loop end even while the handle is active (uv_unref).
func (h *Handle) Unref() {
	if h.refed {
		h.refed = false
		if h.active {
			h.loop.refs--
		}
	}
}

// HasRef reports whether the handle is ref'd (uv_has_ref).
func (h *Handle) HasRef() bool { return h.refed }

// IsClosing reports whether Close was called (uv_is_closing).
func (h *Handle) IsClosing() bool { return h.closing }

// closeHandle marks the handle closing and schedules cb for the loop's
// close phase, keeping the loop alive until then (uv_close).
func (h *Handle) closeHandle(cb func()) {
	h.closing = true
	h.deactivate()
	if cb == nil {
		cb = noCloseCallback
	}
	h.loop.closing = append(h.loop.closing, cb)
}

// noCloseCallback holds a handle's place in the close phase when it was
// closed without a callback.
func noCloseCallback() {}

// ServerHandle is what a net server holds as server._handle: a listening
// TCP or Pipe Stream in the process that binds, or the cluster's faux
// round-robin handle in a worker. It is what net.js expects of a handle.
// NoDescriptor is a stream that stands for a handle with no descriptor
// behind it (a cluster worker's faux listening handle): sending it over a
// channel fails with EBADF, as libuv's uv_write2 fails for a handle whose
// fd is -1.
func NoDescriptor() *Stream { return &Stream{fd: -1} }

type ServerHandle interface {
	Listen(backlog int) error
	Close(cb func())
	Ref()
	Unref()
	// Getsockname fills in the address; ErrNoGetsockname when the handle
	// has no getsockname (pipes, a faux handle for a pipe).
	Getsockname() (Sockname, error)
	// SetOnConnection installs handle.onconnection.
	SetOnConnection(fn func(err error, client *Stream))
	// SetOwner and Owner are handle[owner_symbol]: the server using it.
	SetOwner(owner any)
	Owner() any
}
