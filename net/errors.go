package net

import (
	"errors"
	"fmt"
	stdnet "net"
	"net/netip"
	"reflect"
	"strings"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/jsfmt"
	"github.com/nodecluster/nodecluster/internal/uv"
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
	// Hostname is the name a failed lookup asked for (dns errors only).
	Hostname string
	// Host is the host connect was given, for ERR_INVALID_ADDRESS_FAMILY
	// ("" for none).
	Host string
	// LocalAddress and LocalPort are the local end a failed connect was
	// bound to, when it was (connect's localAddress and localPort).
	LocalAddress string
	LocalPort    int
	Message      string

	shape errShape // which of Node's constructors made it
}

// errShape names the Node constructor an Error stands for: it decides
// which properties are enumerable, and in what order.
type errShape int

const (
	shapeDefault       errShape = iota // ErrnoException when Errno is set, else NodeError
	shapeUVHostPort                    // UVExceptionWithHostPort
	shapeHostPort                      // ExceptionWithHostPort
	shapeDNS                           // DNSException
	shapeAddressFamily                 // ERR_INVALID_ADDRESS_FAMILY
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
//	DNSException             {errno, code, syscall[, hostname]}
//	NodeError (ERR_*)        {code}
//	ERR_INVALID_ADDRESS_FAMILY {code[, host][, port]}
//
// Like lib/internal/errors.js, whose constructors set these properties.
func (e *Error) MarshalJSON() ([]byte, error) {
	o := childprocess.NewObject()
	switch {
	case e.shape == shapeHostPort:
		o.Set("errno", e.Errno).Set("code", e.Code).Set("syscall", e.Syscall).Set("address", e.Address)
	case e.shape == shapeDNS:
		o.Set("errno", e.Errno).Set("code", e.Code).Set("syscall", e.Syscall)
		if e.Hostname != "" {
			o.Set("hostname", e.Hostname)
		}
		return childprocess.AppendJSON(nil, o)
	case e.shape == shapeAddressFamily:
		o.Set("code", e.Code)
		if e.Host != "" {
			o.Set("host", e.Host)
		}
		if e.Port != nil {
			o.Set("port", e.Port)
		}
		return childprocess.AppendJSON(nil, o)
	case e.shape == shapeUVHostPort:
		o.Set("code", e.Code).Set("errno", e.Errno).Set("syscall", e.Syscall).Set("address", e.Address)
	case e.Errno != 0:
		o.Set("errno", e.Errno).Set("code", e.Code).Set("syscall", e.Syscall)
	default:
		o.Set("code", e.Code)
	}
	if e.shape != shapeDefault && childprocess.ToBoolean(e.Port) {
		o.Set("port", e.Port)
	}
	if e.LocalAddress != "" {
		o.Set("localAddress", e.LocalAddress).Set("localPort", e.LocalPort)
	}
	return childprocess.AppendJSON(nil, o)
}

// Is matches errors by Code, so errors.Is(err, &net.Error{Code: "EADDRINUSE"}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// errname is libuv's name for a negative errno (util.getSystemErrorName):
// "EADDRINUSE", "ENOTSUP", or "Unknown system error -10".
func errname(errno int) string {
	if n, _, ok := uv.ErrMap(errno); ok {
		return n
	}
	return fmt.Sprintf("Unknown system error %d", errno)
}

func uvErrno(err error) int {
	if en, ok := err.(unix.Errno); ok {
		return -int(en)
	}
	return -int(unix.EINVAL)
}

// errnoException is the error a failed read or write on a socket gets:
// "read ECONNRESET", code, errno and syscall.
func errnoException(err error, syscall string) *Error {
	errno := uvErrno(err)
	code := errname(errno)
	return &Error{Code: code, Errno: errno, Syscall: syscall, Message: syscall + " " + code}
}

// uvExceptionWithHostPort is the error a failed bind or listen in this
// process gets: "listen EADDRINUSE: address already in use 127.0.0.1:80".
func uvExceptionWithHostPort(errno int, syscall string, address any, port any) *Error {
	code, uvmsg, ok := uv.ErrMap(errno)
	if !ok {
		code, uvmsg = "UNKNOWN", "unknown error" // Node's uvUnmappedError
	}
	msg := fmt.Sprintf("%s %s: %s", syscall, code, uvmsg)
	details := ""
	if p, ok := port.(int); ok && p > 0 {
		details = fmt.Sprintf(" %s:%d", jsString(address), p)
	} else if address != nil {
		details = " " + jsString(address)
	}
	return &Error{Code: code, Errno: errno, Syscall: syscall, Address: address, Port: portIfSet(port), Message: msg + details, shape: shapeUVHostPort}
}

// exceptionWithHostPort is the error a worker gets when the primary could
// not bind for it: "bind EADDRINUSE null:8000".
// A connect's error names its local end too when it had one: "connect
// EADDRINUSE 127.0.0.1:80 - Local (0.0.0.0:5000)".
func exceptionWithHostPort(errno int, syscall string, address any, port any, additional ...string) *Error {
	code := errname(errno)
	details := ""
	if p, ok := port.(int); ok && p > 0 {
		details = fmt.Sprintf(" %s:%d", jsString(address), p)
	} else if address != nil {
		details = " " + jsString(address)
	}
	if len(additional) > 0 && additional[0] != "" {
		details += " - Local (" + additional[0] + ")"
	}
	return &Error{Code: code, Errno: errno, Syscall: syscall, Address: address, Port: portIfSet(port), Message: syscall + " " + code + details, shape: shapeHostPort}
}

// portIfSet is the port an error carries: Node's constructors set the
// property only when the port is truthy (a listen on port 0 has none).
func portIfSet(port any) any {
	if childprocess.ToBoolean(port) {
		return port
	}
	return nil
}

// dnsException is the error a failed dns.lookup gives: "getaddrinfo
// ENOTFOUND nonexistent.invalid", errno -3008, for a name that does not
// resolve (EAI_NONAME and EAI_NODATA both read ENOTFOUND).
func dnsException(errno int, syscall, hostname string) *Error {
	code := "ENOTFOUND"
	if errno != uvEAINoname && errno != uvEAINodata {
		code = errname(errno)
	}
	msg := syscall + " " + code
	if hostname != "" {
		msg += " " + hostname
	}
	return &Error{Code: code, Errno: errno, Syscall: syscall, Hostname: hostname, Message: msg, shape: shapeDNS}
}

// libuv's getaddrinfo errors that a Go lookup error maps to.
const (
	uvEAIAgain  = -3001
	uvEAIFail   = -3004
	uvEAINodata = -3007
	uvEAINoname = -3008
)

// lookupErrno is the getaddrinfo error libuv would have reported for what
// Go's resolver returned: a name that does not exist EAI_NONAME (Node's
// ENOTFOUND), a timeout or a temporary failure EAI_AGAIN, anything else
// EAI_FAIL.
func lookupErrno(err error) int {
	var de *stdnet.DNSError
	switch {
	case err == nil:
		return uvEAINoname // no address at all
	case errors.As(err, &de) && de.IsNotFound:
		return uvEAINoname
	case errors.As(err, new(*stdnet.AddrError)):
		// "no suitable address found": the name has addresses, none of
		// the family asked for (getaddrinfo's EAI_NONAME, as glibc says
		// for localhost with AF_INET6 here)
		return uvEAINoname
	case errors.As(err, &de) && (de.IsTimeout || de.IsTemporary):
		return uvEAIAgain
	}
	return uvEAIFail
}

func jsString(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(v)
}

func errSocketBadPort(name string, port any) *Error {
	return &Error{Code: "ERR_SOCKET_BAD_PORT", Message: name + " should be >= 0 and < 65536. Received " + describeType(port) + "."}
}

func describeType(v any) string {
	switch x := v.(type) {
	case string:
		// As lib/internal/errors.js determineSpecificType writes a
		// string: cut to 25 units and "..." past 28, then in single
		// quotes as it is, or, when it has one, as JSON.stringify writes it.
		if jsLength(x) > 28 {
			head, _ := jsSlice(x, 25)
			x = head + "..."
		}
		if !strings.Contains(x, "'") {
			return "type string ('" + x + "')"
		}
		b, _ := childprocess.AppendJSON(nil, x)
		return "type string (" + string(b) + ")"
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("type boolean (%v)", x)
	case *childprocess.Object, map[string]any:
		return "an instance of Object"
	case *childprocess.Map:
		return "an instance of Map"
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.Func:
		return childprocess.DescribeArg(v)
	case reflect.Slice, reflect.Array:
		if _, isBytes := v.([]byte); !isBytes {
			return "an instance of Array" // what a Go slice is in JS
		}
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
		parts = append(parts, "port: "+jsfmt.Inspect(o.Port))
	}
	if o.Host != "" {
		parts = append(parts, "host: "+jsfmt.Inspect(o.Host))
	}
	if o.Path != "" {
		parts = append(parts, "path: "+jsfmt.Inspect(o.Path))
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
	if o.ReadableAll {
		parts = append(parts, "readableAll: true")
	}
	if o.WritableAll {
		parts = append(parts, "writableAll: true")
	}
	if o.Fd != 0 {
		parts = append(parts, fmt.Sprintf("fd: %d", o.Fd))
	}
	if o.Signal != nil {
		parts = append(parts, fmt.Sprintf("signal: AbortSignal { aborted: %t }", o.Signal.Err() != nil))
	}
	if len(parts) == 0 {
		return "{}"
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// AbortError is Node's AbortError (name "AbortError", code "ABORT_ERR"),
// what a socket whose signal was aborted is destroyed with; Cause is the
// signal's reason (context.Cause of its context).
type AbortError struct {
	Cause error
}

func (e *AbortError) Error() string { return "The operation was aborted" }

// Code is "ABORT_ERR".
func (e *AbortError) Code() string { return "ABORT_ERR" }

// Name is "AbortError".
func (e *AbortError) Name() string { return "AbortError" }

func (e *AbortError) Unwrap() error { return e.Cause }

// ErrServerAlreadyListen is listen on a listening server.
var ErrServerAlreadyListen = &Error{Code: "ERR_SERVER_ALREADY_LISTEN", Message: "Listen method has been called more than once without closing."}

// ErrServerNotRunning is close on a server that is not listening.
var ErrServerNotRunning = &Error{Code: "ERR_SERVER_NOT_RUNNING", Message: "Server is not running."}

// AggregateError is how a connect that tried several addresses and failed
// on each ends (Node's NodeAggregateError): Errors holds every attempt's
// error, in order, and Code is the first one's.
//
// DEVIATION(shape): Node's AggregateError has an empty message; Error
// joins the attempts' messages, so that a printed error says something.
type AggregateError struct {
	Code   string
	Errors []error
}

func newAggregateError(errs []error) *AggregateError {
	e := &AggregateError{Errors: errs}
	if len(errs) > 0 {
		if ne, ok := errs[0].(*Error); ok {
			e.Code = ne.Code
		}
	}
	return e
}

// MarshalJSON writes what JSON.stringify writes for Node's
// AggregateError: its one enumerable property, {"code": ...}.
func (e *AggregateError) MarshalJSON() ([]byte, error) {
	return childprocess.AppendJSON(nil, childprocess.NewObject("code", e.Code))
}

func (e *AggregateError) Error() string {
	msgs := make([]string, len(e.Errors))
	for i, err := range e.Errors {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap gives the attempts' errors to errors.Is and errors.As.
func (e *AggregateError) Unwrap() []error { return e.Errors }

// errInvalidAddressFamily is ERR_INVALID_ADDRESS_FAMILY, for a lookup
// that answered with a family other than 4 or 6.
func errInvalidAddressFamily(family int, options *ConnectOptions) *Error {
	return &Error{Code: "ERR_INVALID_ADDRESS_FAMILY", Host: options.Host, Port: options.Port, Message: fmt.Sprintf("Invalid address family: %d %s:%s", family, jsUndefined(options.Host), jsUndefinedAny(options.Port)), shape: shapeAddressFamily}
}

func jsUndefined(s string) string {
	if s == "" {
		return "undefined"
	}
	return s
}

func jsUndefinedAny(v any) string {
	if v == nil {
		return "undefined"
	}
	return childprocess.ToJSString(v)
}

// IsIP is net.isIP: 4 or 6 for an address of that family (an IPv6 one
// may carry a zone), 0 for anything else.
//
// Like lib/internal/net.js isIP, which lib/net.js exports.
func IsIP(input string) int { return isIP(input) }

// IsIPv4 is net.isIPv4.
func IsIPv4(input string) bool { return isIP(input) == 4 }

// IsIPv6 is net.isIPv6.
func IsIPv6(input string) bool { return isIP(input) == 6 }

func isIP(s string) int {
	ip, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		return 0
	case ip.Is4():
		return 4
	}
	// Node's pattern takes a zone of letters, digits, '-', '.' and ':'
	// only; netip takes any.
	for _, c := range []byte(ip.Zone()) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '.' || c == ':') {
			return 0
		}
	}
	return 6
}

// isObjectLike says whether v is what JS would see as an object: a map,
// a slice (a byte slice too: a Buffer), an array, a struct or a pointer
// to one; not a function, string, number, bool or nil.
func isObjectLike(v any) bool {
	if v == nil || v == childprocess.Undefined {
		return false
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct:
		return true
	case reflect.Pointer:
		return !reflect.ValueOf(v).IsNil()
	}
	return false
}
