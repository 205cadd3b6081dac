package netbridge

import "github.com/nodecluster/nodecluster/internal/uv"

var (
	// TakeHandle returns server._handle and sets it to null.
	TakeHandle func(server any) uv.ServerHandle
	// CreateServerHandle is net._createServerHandle: a bound handle, or a
	// negative errno.
	CreateServerHandle func(address any, port int, addressType any, fd int, flags int) (*uv.Stream, int)
)
