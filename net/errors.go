package net

import (
	"fmt"
	"strings"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"golang.org/x/sys/unix"
)

// Error is a Node error: Code is the name (EADDRINUSE,
// ERR_SOCKET_BAD_PORT), Errno the negative libuv number when there is
// one, Syscall, Address and Port what Node sets on it.
//
// DEVIATION(errno): Node throws or emits Error objects; the port returns
// and emits *Error values carrying the same fields.
type Error struct {
	Code    string
	Errno   int
	Syscall string
	Address any // string, or nil (JS null) for a listen without a host
	Port    any // int, or nil when Node sets none
	Message string

	shape errShape // which of Node's constructors made it
}

// errShape names the Node constructor an Error stands for: it decides
// which properties are enumerable, and in what order.
type errShape int

const (
	shapeDefault    errShape = iota // ErrnoException when Errno is set, else NodeError
	shapeUVHostPort                 // UVExceptionWithHostPort
	shapeHostPort                   // ExceptionWithHostPort
)

func (e *Error) Error() string { return e.Message }

// MarshalJSON writes what JSON.stringify(err) writes in Node, e.g. when a
// worker sends the error to the primary: the enumerable own properties in
// the order Node's constructor sets them (message and stack are not
// enumerable; port only when truthy):
//
//	ExceptionWithHostPort    {errno, code, syscall, address[, port]}
//	UVExceptionWithHostPort  {code, errno, syscall, address[, port]}
//	ErrnoException           {errno, code, syscall}
//	NodeError (ERR_*)        {code}
//
// Like lib/internal/errors.js, whose constructors set these properties.
func (e *Error) MarshalJSON() ([]byte, error) {
	o := childprocess.NewObject()
	switch {
	case e.shape == shapeHostPort:
		o.Set("errno", e.Errno).Set("code", e.Code).Set("syscall", e.Syscall).Set("address", e.Address)
	case e.shape == shapeUVHostPort:
		o.Set("code", e.Code).Set("errno", e.Errno).Set("syscall", e.Syscall).Set("address", e.Address)
	case e.Errno != 0:
		o.Set("errno", e.Errno).Set("code", e.Code).Set("syscall", e.Syscall)
	default:
		o.Set("code", e.Code)
	}
	if e.shape != shapeDefault && truthy(e.Port) {
		o.Set("port", e.Port)
	}
	return childprocess.AppendJSON(nil, o)
}

// Is matches errors by Code, so errors.Is(err, &net.Error{Code: "EADDRINUSE"}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func errname(errno int) string {
	n := unix.ErrnoName(unix.Errno(-errno))
	if n == "" {
		return fmt.Sprintf("Unknown system error %d", errno)
	}
	return n
}

func uvErrno(err error) int {
	if en, ok := err.(unix.Errno); ok {
		return -int(en)
	}
	return -int(unix.EINVAL)
}

// uvExceptionWithHostPort is the error a failed bind or listen in this
// process gets: "listen EADDRINUSE: address already in use 127.0.0.1:80".
func uvExceptionWithHostPort(errno int, syscall string, address any, port any) *Error {
	code := errname(errno)
	msg := fmt.Sprintf("%s %s: %s", syscall, code, unix.Errno(-errno).Error())
	details := ""
	if p, ok := port.(int); ok && p > 0 {
		details = fmt.Sprintf(" %s:%d", jsString(address), p)
	} else if address != nil {
		details = " " + jsString(address)
	}
	return &Error{Code: code, Errno: errno, Syscall: syscall, Address: address, Port: port, Message: msg + details, shape: shapeUVHostPort}
}

// exceptionWithHostPort is the error a worker gets when the primary could
// not bind for it: "bind EADDRINUSE null:8000".
func exceptionWithHostPort(errno int, syscall string, address any, port any) *Error {
	code := errname(errno)
	details := ""
	if p, ok := port.(int); ok && p > 0 {
		details = fmt.Sprintf(" %s:%d", jsString(address), p)
	} else if address != nil {
		details = " " + jsString(address)
	}
	return &Error{Code: code, Errno: errno, Syscall: syscall, Address: address, Port: port, Message: syscall + " " + code + details, shape: shapeHostPort}
}

func jsString(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(v)
}

func errSocketBadPort(port any) *Error {
	return &Error{Code: "ERR_SOCKET_BAD_PORT", Message: "options.port should be >= 0 and < 65536. Received " + describeType(port) + "."}
}

func describeType(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("type string ('%s')", x)
	case nil:
		return "null"
	}
	if f, ok := childprocess.ToFloat(v); ok {
		return "type number (" + formatNumber(f) + ")"
	}
	return fmt.Sprintf("type %T (%v)", v, v)
}

func errInvalidArgValue(reason string, options any) *Error {
	return &Error{Code: "ERR_INVALID_ARG_VALUE", Message: fmt.Sprintf("The argument 'options' %s. Received %s", reason, inspectOptions(options))}
}

// inspectOptions prints listen options as util.inspect prints the JS
// object: only the keys that were given, `{ port: true, host: 'x' }`, or `{}`.
func inspectOptions(options any) string {
	o, ok := options.(ListenOptions)
	if !ok {
		return fmt.Sprint(options)
	}
	var parts []string
	if o.Port != nil {
		if s, isStr := o.Port.(string); isStr {
			parts = append(parts, "port: '"+s+"'")
		} else {
			parts = append(parts, fmt.Sprintf("port: %v", o.Port))
		}
	}
	if o.Host != "" {
		parts = append(parts, "host: '"+o.Host+"'")
	}
	if o.Path != "" {
		parts = append(parts, "path: '"+o.Path+"'")
	}
	if o.Backlog != 0 {
		parts = append(parts, fmt.Sprintf("backlog: %d", o.Backlog))
	}
	if o.Exclusive {
		parts = append(parts, "exclusive: true")
	}
	if o.IPv6Only {
		parts = append(parts, "ipv6Only: true")
	}
	if len(parts) == 0 {
		return "{}"
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// ErrServerAlreadyListen is listen on a listening server.
var ErrServerAlreadyListen = &Error{Code: "ERR_SERVER_ALREADY_LISTEN", Message: "Listen method has been called more than once without closing."}

// ErrServerNotRunning is close on a server that is not listening.
var ErrServerNotRunning = &Error{Code: "ERR_SERVER_NOT_RUNNING", Message: "Server is not running."}
