package net

import (
	"context"
	"errors"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/nodecluster/nodecluster/internal/child"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/netbridge"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/trace"
	"github.com/nodecluster/nodecluster/internal/uv"
	"golang.org/x/sys/unix"
)

const (
	defaultIPv4Addr = "0.0.0.0"
	defaultIPv6Addr = "::"
)

// getFlags turns ipv6Only into bind6's flags.
//
// Mirrors lib/net.js getFlags().
func getFlags(ipv6Only bool) int {
	if ipv6Only {
		return uv.TCPIPv6Only
	}
	return 0
}

// isPipeName reports whether a listen argument is a path: a string that
// is not a number.
//
// Mirrors lib/net.js isPipeName().
func isPipeName(s any) bool {
	str, ok := s.(string)
	if !ok {
		return false
	}
	_, isNum := toNumber(str)
	return !isNum
}

// CreateServer makes a server; connectionListener, when not nil, is added
// as a "connection" listener (func(*Socket)).
//
// Mirrors lib/net.js createServer().
func CreateServer(connectionListener any) *Server {
	return NewServer(ServerOptions{}, connectionListener)
}

// Connect makes a socket and connects it, with Node's argument forms:
//
//	Connect(port [, host] [, cb])   host "localhost" when not given
//	Connect(path [, cb])            a Unix socket
//	Connect(ConnectOptions{...} [, cb])
//
// cb is a func() added as a "connect" listener. Errors Node throws
// (ERR_MISSING_ARGS, ERR_SOCKET_BAD_PORT, ERR_INVALID_ARG_TYPE,
// ERR_INVALID_IP_ADDRESS) are returned, with no socket; errors from
// connecting arrive as the socket's "error" event, and then "close".
//
// Mirrors lib/net.js connect().
func Connect(args ...any) (*Socket, error) {
	options, cb, err := normalizeConnectArgs(args)
	if err != nil {
		return nil, err
	}
	s := NewSocket(SocketOptions{AllowHalfOpen: options.AllowHalfOpen, NoDelay: options.NoDelay,
		KeepAlive: options.KeepAlive, KeepAliveInitialDelay: options.KeepAliveInitialDelay, Signal: options.Signal})
	if options.Timeout > 0 {
		s.SetTimeout(options.Timeout, nil)
	}
	if err := s.connect(options, cb); err != nil {
		return nil, err
	}
	return s, nil
}

// CreateConnection is Connect (net.createConnection).
func CreateConnection(args ...any) (*Socket, error) { return Connect(args...) }

// The defaults of connect's autoSelectFamily options: Node v20 tries
// every address a name has, alternating families, giving each attempt
// 250 ms before it starts the next.
var (
	autoSelectFamilyDefault               = true
	autoSelectFamilyAttemptTimeoutDefault = 250 * time.Millisecond
)

// GetDefaultAutoSelectFamily is the autoSelectFamily a connect without
// one uses.
//
// Mirrors lib/net.js getDefaultAutoSelectFamily().
func GetDefaultAutoSelectFamily() bool { return autoSelectFamilyDefault }

// SetDefaultAutoSelectFamily sets the autoSelectFamily a connect without
// one uses. Like Node's, it is not safe to call while the loop runs
// connects on other goroutines (it has none).
//
// Mirrors lib/net.js setDefaultAutoSelectFamily().
func SetDefaultAutoSelectFamily(value bool) { autoSelectFamilyDefault = value }

// GetDefaultAutoSelectFamilyAttemptTimeout is how long a connect gives
// each address before trying the next, when it does not say.
//
// Mirrors lib/net.js getDefaultAutoSelectFamilyAttemptTimeout().
func GetDefaultAutoSelectFamilyAttemptTimeout() time.Duration {
	return autoSelectFamilyAttemptTimeoutDefault
}

// SetDefaultAutoSelectFamilyAttemptTimeout sets that time: at least 1 ms
// (ERR_OUT_OF_RANGE below, as Node throws), and 10 ms when less.
//
// DEVIATION(shape): a time.Duration, not milliseconds.
//
// Mirrors lib/net.js setDefaultAutoSelectFamilyAttemptTimeout().
func SetDefaultAutoSelectFamilyAttemptTimeout(value time.Duration) error {
	ms := value.Milliseconds()
	if ms < 1 || ms > math.MaxInt32 {
		return &Error{Code: "ERR_OUT_OF_RANGE", Message: `The value of "value" is out of range. It must be >= 1 && <= 2147483647. Received ` + formatNumber(float64(value)/float64(time.Millisecond))}
	}
	autoSelectFamilyAttemptTimeoutDefault = max(time.Duration(ms)*time.Millisecond, 10*time.Millisecond)
	return nil
}

// ListenOptions is listen's options object. Port is any so that it can be
// absent (nil), a number or a numeric string, as in Node, or
// cluster.Undefined for Node's {port: undefined} and {port: null}: any
// free port.
type ListenOptions struct {
	Port        any
	Host        string
	Path        string
	Backlog     int
	Exclusive   bool
	IPv6Only    bool
	ReadableAll bool
	WritableAll bool
	// Fd listens on an existing descriptor when > 0, or on descriptor 0
	// when it is FdZero.
	//
	// DEVIATION(shape): Node's fd is any number >= 0; Go's zero value has
	// to mean unset, so descriptor 0 (a listening socket an inetd-style
	// supervisor passes as stdin) is written FdZero.
	Fd int
	// Signal closes the server once it is done (Node's AbortSignal: done
	// is aborted), or on the next tick when it is done already.
	//
	// DEVIATION(shape): Node takes an AbortSignal; Go's cancellation is a
	// context.Context, whose Done is the abort.
	Signal context.Context

	handle *uv.Stream // listen(handle): a listening socket received over IPC
}

// FdZero is ListenOptions.Fd for descriptor 0 (Node's listen({fd: 0})).
const FdZero = math.MinInt

// normalizeArgs sorts listen's arguments into options and a callback:
// (options[, cb]), (path[, ...][, cb]) or ([port][, host][, ...][, cb]).
//
// Mirrors lib/net.js normalizeArgs().
func normalizeArgs(args []any) (*ListenOptions, func(), bool, error) {
	if len(args) == 0 {
		return &ListenOptions{}, nil, false, nil
	}
	options := &ListenOptions{}
	portSet := false
	switch a := args[0].(type) {
	case *uv.Stream:
		options.handle = a
	case ListenOptions:
		*options = a
		portSet = a.Port != nil
	case *ListenOptions:
		if a == nil {
			return nil, nil, false, errInvalidArgValue("is invalid", nil)
		}
		*options = *a
		portSet = a.Port != nil
	default:
		if isPipeName(args[0]) {
			options.Path = args[0].(string)
		} else {
			options.Port = args[0]
			portSet = true
			if len(args) > 1 {
				if h, ok := args[1].(string); ok {
					options.Host = h
				}
			}
		}
	}
	var cb func()
	switch f := args[len(args)-1].(type) {
	case func():
		cb = f
	case func(error):
		cb = func() { f(nil) }
	}
	return options, cb, portSet, nil
}

// addServerAbortSignalOption closes the server when signal is done: on
// the next tick when it is done already, else when it becomes done, until
// the server emits "close". Listen calls it before it checks its other
// options, as Node does (a listen that then throws still closes on the
// signal).
//
// DEVIATION(goroutine): an AbortSignal calls its listeners on the thread
// that aborts it, at once; a context is done on any goroutine, which hands
// the close to the loop. A loop that has nothing else to keep it alive (no
// handle: a listen that threw) may end before the close reaches it.
//
// Mirrors lib/net.js addServerAbortSignalOption().
func addServerAbortSignalOption(s *Server, signal context.Context) {
	if signal == nil {
		return
	}
	if signal.Err() != nil {
		uv.Default().NextTick(func() { s.Close(nil) })
		return
	}
	a := newAbortListener(signal, "net.addServerAbortSignalOption onAborted", func() { s.Close(nil) })
	s.abort = a
	s.Once("close", a.dispose) // a disposed listener's check does nothing
}

// checkAbort closes the server now if its signal is done and the close
// has not come yet: an AbortSignal's listener runs within abort(), so in
// Node nothing of the server's happens after it; the context's goroutine
// may not have reached the loop yet. Called where the server would show
// it: before "listening", and by Listening.
func (s *Server) checkAbort() { s.abort.check() }

// Server is a net.Server: it listens (itself, or through the cluster in a
// worker) and emits "listening", "connection" (*Socket), "error" (error)
// and "close".
//
// Mirrors lib/net.js Server().
type Server struct {
	events.EventEmitter

	handle        uv.ServerHandle
	connections   int
	listeningID   int
	abort         *abortListener // listen's signal, until "close"
	unref         bool
	pipeName      string
	connectionKey string

	// onStopListening runs when Close takes the handle away (Listener
	// uses it to shut a net/http server down gracefully).
	onStopListening []func()
	// onRefChange runs after Ref, Unref and Close (Listener uses it to
	// choose how closes off the loop are counted).
	onRefChange []func()
	// settlers bring connections up to date with the closes counted off
	// the loop (a Listener's connections); settle runs them before
	// connections is read.
	settlers []func()
	// refusing reports whether a Listener over this server is closing:
	// a connection the primary hands over meanwhile is refused, so that
	// it goes to another worker.
	refusing []func() bool

	// The socket lists of the processes this server sent connections to
	// (_usingWorkers, _workers): its count and its close include them.
	usingWorkers bool
	workers      []*childprocess.SocketListSend

	// MaxConnections refuses connections beyond this many when not 0 (0
	// is Node's unset; a negative number refuses every connection, as
	// Node's truthiness test lets it).
	MaxConnections int
	AllowHalfOpen  bool
	PauseOnConnect bool
	NoDelay        bool
	// KeepAlive turns TCP keep-alive on for every connection, with the
	// first probe after KeepAliveInitialDelay of idleness (whole seconds;
	// 0 leaves the system's idle time).
	KeepAlive             bool
	KeepAliveInitialDelay time.Duration
}

// ServerOptions are net.createServer's options. A negative
// KeepAliveInitialDelay is 0, as in Node.
type ServerOptions struct {
	AllowHalfOpen         bool
	PauseOnConnect        bool
	NoDelay               bool
	KeepAlive             bool
	KeepAliveInitialDelay time.Duration
}

// NewServer makes a server with options.
//
// A connectionListener that is neither nil nor a function panics with
// ERR_INVALID_ARG_TYPE, as Node throws for net.createServer('path') or
// net.createServer(0): there such a first argument is read as the options,
// which must be an object (a Go object, a map or a struct, is left to the
// listener's own check).
//
// Mirrors lib/net.js Server().
func NewServer(opts ServerOptions, connectionListener any) *Server {
	if connectionListener != nil && reflect.TypeOf(connectionListener).Kind() != reflect.Func && !isObjectLike(connectionListener) {
		panic(&Error{Code: "ERR_INVALID_ARG_TYPE",
			Message: `The "options" argument must be of type object. Received ` + describeType(connectionListener)})
	}
	s := &Server{listeningID: 1, AllowHalfOpen: opts.AllowHalfOpen, PauseOnConnect: opts.PauseOnConnect, NoDelay: opts.NoDelay,
		KeepAlive: opts.KeepAlive, KeepAliveInitialDelay: max(opts.KeepAliveInitialDelay, 0)}
	s.SetClassName("Server")
	if connectionListener != nil {
		s.On("connection", connectionListener)
	}
	return s
}

// toNumber is JS Number(x) when it is >= 0, else false (reported as
// ok=false).
//
// Mirrors lib/net.js toNumber().
func toNumber(x any) (float64, bool) {
	var f float64
	switch v := x.(type) {
	case nil:
		f = 0
	case bool:
		if v {
			f = 1
		}
	case string:
		f = childprocess.StringToNumber(v)
	default:
		n, ok := childprocess.ToFloat(x)
		if !ok {
			return 0, false
		}
		f = n
	}
	if f >= 0 {
		return f, true
	}
	return 0, false
}

// backlogValue is a JS value for backlog: a number, or false.
func backlogValue(f float64, ok bool) any {
	if !ok {
		return false
	}
	return numberValue(f)
}

func numberValue(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int(f)
	}
	return f
}

func backlogInt(v any) int {
	if f, ok := childprocess.ToFloat(v); ok {
		return int(f)
	}
	return 0
}

// createServerHandle makes a listening handle: a TCP socket bound to
// address and port (IPv6 first when there is no address, then IPv4), a
// Pipe for a path, or the socket fd is (EINVAL when fd is no TCP or Unix
// socket: a file, a UDP socket, a closed descriptor; EEXIST when a handle
// of the loop has it already). It returns a negative errno on failure.
//
// Mirrors lib/net.js createServerHandle().
func createServerHandle(address any, port int, addressType any, fd int, flags int) (*uv.Stream, int) {
	l := uv.Default()
	var handle *uv.Stream
	var err error
	isTCP := false
	addr, _ := address.(string)
	switch {
	case fd >= 0:
		if t := uv.GuessHandle(fd); t != "PIPE" && t != "TCP" {
			// createHandle refuses it (ERR_INVALID_FD_TYPE), which
			// Node's createServerHandle turns into UV_EINVAL.
			return nil, -int(unix.EINVAL)
		}
		if l.FdExists(fd) {
			// A descriptor one of this loop's handles uses already (in a
			// primary, the channel to a worker): libuv's open refuses it.
			return nil, -int(unix.EEXIST)
		}
		handle, err = uv.StreamFromFd(l, fd)
		if err != nil {
			return nil, uvErrno(err)
		}
	case port == -1 && addressType == -1:
		handle, err = uv.NewPipe(l)
		if err != nil {
			return nil, uvErrno(err)
		}
	default:
		family := unix.AF_INET
		if addr == "" || addressType == 6 {
			family = unix.AF_INET6
		}
		handle, err = uv.NewTCP(l, family)
		if err != nil {
			if addr == "" {
				return createServerHandle(defaultIPv4Addr, port, 4, -1, 0)
			}
			return nil, uvErrno(err)
		}
		isTCP = true
	}
	if addr != "" || port != 0 || isTCP {
		switch {
		case handle.Kind == uv.KindPipe && fd < 0:
			err = handle.BindPipe(addr)
		case addr == "":
			err = handle.Bind6(defaultIPv6Addr, port, flags)
			if err != nil {
				handle.Close(nil)
				return createServerHandle(defaultIPv4Addr, port, 4, -1, 0)
			}
		case addressType == 6:
			err = handle.Bind6(addr, port, flags)
		default:
			err = handle.Bind(addr, port)
		}
	}
	if err != nil {
		handle.Close(nil)
		return nil, uvErrno(err)
	}
	return handle, 0
}

// setupListenHandle makes the server's handle when it has none (binding
// here), attaches onconnection to it and calls its listen; "listening"
// follows on the next tick, or "error" when binding or listening failed.
// In a worker the handle is the cluster's, whose listen does nothing.
//
// Mirrors lib/net.js setupListenHandle().
func (s *Server) setupListenHandle(address any, port int, addressType any, backlog any, fd int, flags int) {
	if s.handle != nil {
		trace.Step("net.setupListenHandle", "net.js setupListenHandle", "have a handle already (%T): attach onconnection, listen(%d)", s.handle, orDefault(backlogInt(backlog), 511))
	} else {
		var rval *uv.Stream
		errno := 0
		if address == nil && fd < 0 {
			rval, errno = createServerHandle(defaultIPv6Addr, port, 6, fd, flags)
			if errno != 0 {
				rval = nil
				address = defaultIPv4Addr
				addressType = 4
			} else {
				address = defaultIPv6Addr
				addressType = 6
			}
		}
		if rval == nil {
			rval, errno = createServerHandle(address, port, addressType, fd, flags)
		}
		if rval == nil {
			err := uvExceptionWithHostPort(errno, "listen", address, port)
			uv.Default().NextTick(func() { s.emitErrorNT(err) })
			return
		}
		s.handle = rval
		trace.Step("net.setupListenHandle", "net.js setupListenHandle", "bound %v port %d fd %d", address, port, rval.Fd())
	}
	s.handle.SetOnConnection(s.onconnection)
	s.handle.SetOwner(s)
	if err := s.handle.Listen(orDefault(backlogInt(backlog), 511)); err != nil {
		ex := uvExceptionWithHostPort(uvErrno(err), "listen", address, port)
		s.handle.Close(nil)
		s.handle = nil
		uv.Default().NextTick(func() { s.emitErrorNT(ex) })
		return
	}
	s.connectionKey = childprocess.ToJSString(addressType) + ":" + childprocess.ToJSString(address) + ":" + strconv.Itoa(port)
	if s.unref {
		s.Unref()
	}
	uv.Default().NextTick(s.emitListeningNT)
}

// listen2 is setupListenHandle under its legacy name, which
// listenInCluster calls so that code wrapping it keeps working.
//
// Mirrors lib/net.js Server.prototype._listen2().
func (s *Server) listen2(address any, port int, addressType any, backlog any, fd int, flags int) {
	s.setupListenHandle(address, port, addressType, backlog, fd, flags)
}

func orDefault(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

// emitErrorNT emits a listen error on the next tick.
//
// Mirrors lib/net.js emitErrorNT().
func (s *Server) emitErrorNT(err error) { s.Emit("error", err) }

// emitListeningNT emits "listening" unless the server closed meanwhile.
//
// Mirrors lib/net.js emitListeningNT().
func (s *Server) emitListeningNT() {
	s.checkAbort()
	if s.handle != nil {
		trace.Step("net.emitListeningNT", "net.js emitListeningNT", "emit listening")
		s.Emit("listening")
	}
}

// listenInCluster binds in the primary (or with exclusive) through
// _listen2; in a worker it builds the serverQuery and asks the primary
// through cluster._getServer, with listenOnPrimaryHandle as the callback.
//
// Mirrors lib/net.js listenInCluster().
func listenInCluster(server *Server, address any, port int, addressType any, backlog any, fd int, exclusive bool, flags any, options *childprocess.Object) {
	isPrimary := !process.IsClusterWorker
	trace.Step("net.listenInCluster", "net.js listenInCluster", "address %v port %d addressType %v backlog %v exclusive %v isPrimary %v", jsString(address), port, childprocess.ToJSString(addressType), childprocess.ToJSString(backlog), exclusive, isPrimary)
	if isPrimary || exclusive {
		server.listen2(address, port, addressType, backlog, fd, flagsInt(flags))
		return
	}
	var fdv any = childprocess.Undefined
	if fd >= 0 {
		fdv = fd
	}
	serverQuery := childprocess.NewObject(
		"address", address,
		"port", port,
		"addressType", addressType,
		"fd", fdv,
		"flags", flags,
		"backlog", backlog,
	)
	serverQuery.Assign(options)
	listeningID := server.listeningID
	child.GetServer(server, serverQuery, func(errno int, handle uv.ServerHandle) {
		listenOnPrimaryHandle(server, listeningID, address, port, addressType, backlog, fd, flags, errno, handle)
	})
}

func flagsInt(v any) int {
	if f, ok := childprocess.ToFloat(v); ok {
		return int(f)
	}
	return 0
}

// listenOnPrimaryHandle installs the handle the primary's reply produced
// as the server's own and calls _listen2 on it, or emits the bind error.
// A reply to a listen the server has since closed or replaced by another
// listen has its handle closed and is otherwise dropped.
//
// DEVIATION(fix): such a stale reply that carries an error (no handle: the
// port was taken, or the primary could not bind) ends a v20 worker, which
// closes the handle that is not there ("TypeError: Cannot read properties
// of null (reading 'close')"; node printed it for a listen on a taken port
// followed at once by close() or by a listen on another port). Here the
// error is dropped with the reply it came in, as a stale success is.
// NODECLUSTER_REPRODUCE_V20=stale-listen throws as v20 does.
//
// Mirrors lib/net.js listenInCluster() inner listenOnPrimaryHandle().
func listenOnPrimaryHandle(server *Server, listeningID int, address any, port int, addressType any, backlog any, fd int, flags any, errno int, handle uv.ServerHandle) {
	if listeningID != server.listeningID {
		if handle != nil {
			handle.Close(nil)
		} else if ReproduceStaleListen {
			panic(errors.New("TypeError: Cannot read properties of null (reading 'close')"))
		}
		return
	}
	errno = checkBindError(errno, port, handle)
	trace.Step("net.listenOnPrimaryHandle", "net.js listenInCluster inner listenOnPrimaryHandle", "errno %d: server._handle = %T", errno, handle)
	if errno != 0 {
		server.Emit("error", exceptionWithHostPort(errno, "bind", address, port))
		return
	}
	if server.handle != nil {
		server.handle.Close(nil)
	}
	server.handle = handle
	server.listen2(address, port, addressType, backlog, fd, flagsInt(flags))
}

// ReproduceStaleListen, set by NODECLUSTER_REPRODUCE_V20=stale-listen,
// lets a stale failed listen's reply throw in the worker, as in Node v20.
var ReproduceStaleListen = uv.Reproduce("stale-listen")

// checkBindError turns a successful reply for a fixed port into
// EADDRINUSE when the handle is bound to another port.
//
// Mirrors lib/net.js checkBindError().
func checkBindError(errno int, port int, handle uv.ServerHandle) int {
	if errno == 0 && port > 0 && handle != nil {
		if sn, err := handle.Getsockname(); err == nil && sn.Port != port {
			return -int(unix.EADDRINUSE)
		}
	}
	return errno
}

// Listen starts listening, with Node's argument forms:
//
//	Listen()                                  any free port, all addresses
//	Listen(port [, host] [, backlog] [, cb])  port an int or numeric string
//	Listen(path [, backlog] [, cb])           a Unix socket path
//	Listen(ListenOptions{...} [, cb])
//
// cb is a func() added as a "listening" listener. Errors Node throws
// (ERR_SOCKET_BAD_PORT, ERR_INVALID_ARG_VALUE, ERR_SERVER_ALREADY_LISTEN)
// are returned and nothing is bound; errors from binding arrive as the
// "error" event. ReadableAll and WritableAll open a Unix socket's file to
// every user once it is bound (in a worker, the primary does it); a
// failed chmod is returned as Node's "uv_pipe_chmod" error.
//
// Mirrors lib/net.js Server.prototype.listen().
func (s *Server) Listen(args ...any) error {
	options, cb, portSet, err := normalizeArgs(args)
	if err != nil {
		return err
	}
	if s.handle != nil {
		return ErrServerAlreadyListen
	}
	// The callback is added before the arguments are checked, as in Node:
	// a listen that throws still leaves it for the next listen's event.
	if cb != nil {
		s.Once("listening", cb)
	}
	var b1, b2 any = false, false
	if len(args) > 1 {
		b1 = args[1]
	}
	if len(args) > 2 {
		b2 = args[2]
	}
	bf, ok := toNumber(b1)
	if !ok || bf == 0 {
		bf, ok = toNumber(b2)
	}
	backlogFromArgs := backlogValue(bf, ok)

	flags := getFlags(options.IPv6Only)
	s.listeningID++

	if options.handle != nil {
		s.handle = options.handle
		listenInCluster(s, nil, -1, -1, backlogFromArgs, -1, true, childprocess.Undefined, nil)
		return nil
	}
	addServerAbortSignalOption(s, options.Signal)
	if options.Fd > 0 || options.Fd == FdZero {
		fd := options.Fd
		if fd == FdZero {
			fd = 0
		}
		listenInCluster(s, nil, 0, nil, backlogFromArgs, fd, false, childprocess.Undefined, nil)
		return nil
	}
	if len(args) == 0 || isFunc(args[0]) || options.Port == childprocess.Undefined {
		// listen(), listen(cb), or {port: undefined}: any free port.
		options.Port = 0
		portSet = true
	}
	if portSet {
		if err := validatePort(options.Port); err != nil {
			return err
		}
		var backlog any = backlogFromArgs
		if options.Backlog != 0 {
			backlog = options.Backlog
		}
		pf, _ := toNumber(options.Port)
		port := int(pf)
		if options.Host != "" {
			lookupAndListen(s, port, options.Host, backlog, options.Exclusive, flags)
		} else {
			listenInCluster(s, nil, port, 4, backlog, -1, options.Exclusive, childprocess.Undefined, nil)
		}
		return nil
	}
	if options.Path != "" && isPipeName(options.Path) {
		// An abstract socket has no file to chmod.
		if options.Path[0] == 0 && (options.ReadableAll || options.WritableAll) {
			return errInvalidArgValue("can not set readableAll or writableAllt to true when path is abstract unix socket", *options)
		}
		s.pipeName = options.Path
		var backlog any = backlogFromArgs
		if options.Backlog != 0 {
			backlog = options.Backlog
		}
		// Node spreads {readableAll, writableAll} into the query: keys that
		// were not given hold undefined and vanish from the JSON.
		extra := childprocess.NewObject("readableAll", trueOrUndefined(options.ReadableAll), "writableAll", trueOrUndefined(options.WritableAll))
		listenInCluster(s, options.Path, -1, -1, backlog, -1, options.Exclusive, childprocess.Undefined, extra)
		// The primary (or an exclusive worker) has its handle now; a
		// worker's comes later from the primary, which does the chmod.
		h, ok := s.handle.(*uv.Stream)
		if !ok || h == nil {
			return nil
		}
		mode := 0
		if options.ReadableAll {
			mode |= uv.PipeReadable
		}
		if options.WritableAll {
			mode |= uv.PipeWritable
		}
		if mode != 0 {
			if err := h.Fchmod(mode); err != nil {
				h.Close(nil)
				s.handle = nil
				return errnoException(err, "uv_pipe_chmod")
			}
		}
		return nil
	}
	if options.Port == nil && options.Path == "" {
		return errInvalidArgValue(`must have the property "port" or "path"`, *options)
	}
	return errInvalidArgValue("is invalid", *options)
}

func isFunc(v any) bool {
	switch v.(type) {
	case func(), func(error):
		return true
	}
	return false
}

// validatePort accepts an integer 0..65535, as a number or a non-blank
// numeric string.
//
// Like lib/internal/validators.js validatePort (not among the mirrored files).
func validatePort(port any) error { return validatePortNamed(port, "options.port") }

// validatePortNamed is validatePort with the name its error gives the
// port ("Port" for connect).
func validatePortNamed(port any, name string) error {
	switch p := port.(type) {
	case string:
		if childprocess.TrimJSSpace(p) == "" {
			return errSocketBadPort(name, port)
		}
		f, ok := toNumber(p)
		if !ok || f != math.Trunc(f) || f > 0xFFFF {
			return errSocketBadPort(name, port)
		}
		return nil
	case nil:
		return nil
	}
	f, isNum := childprocess.ToFloat(port)
	if !isNum {
		return errInvalidArgValue("is invalid", ListenOptions{Port: port})
	}
	if f < 0 || f != math.Trunc(f) || f > 0xFFFF || math.IsNaN(f) {
		return errSocketBadPort(name, port)
	}
	return nil
}

// lookupAndListen resolves host, then listens in the cluster on the
// address found (asynchronously, as dns.lookup calls back even for an IP).
//
// Mirrors lib/net.js lookupAndListen().
func lookupAndListen(s *Server, port int, address string, backlog any, exclusive bool, flags int) {
	listeningID := s.listeningID
	done := func(ip string, family int, err error) {
		if listeningID != s.listeningID {
			return
		}
		if err != nil {
			s.Emit("error", err)
			return
		}
		listenInCluster(s, ip, port, family, backlog, -1, exclusive, flags, nil)
	}
	if ip, err := netip.ParseAddr(address); err == nil {
		fam := 6 // an IPv4-mapped ::ffff:a.b.c.d too: dns.lookup calls it IPv6
		if ip.Is4() {
			fam = 4
		}
		uv.Default().NextTick(func() { done(ip.String(), fam, nil) })
		return
	}
	dnsLookup(address, LookupOptions{}, func(err error, addrs []LookupAddress) {
		if err != nil {
			done("", 0, err)
			return
		}
		done(addrs[0].Address, addrs[0].Family, nil)
	})
}

// AddressInfo is what Address returns: {address, family, port}.
type AddressInfo struct {
	Address string `json:"address"`
	Family  string `json:"family"`
	Port    int    `json:"port"`
}

// familyNumber is the family as dns.lookup takes it: 4, 6, or 0 (any).
func (a AddressInfo) familyNumber() int {
	switch a.Family {
	case "IPv4":
		return 4
	case "IPv6":
		return 6
	}
	return 0
}

// Address reports where the server listens: the bound address (for a
// worker, the primary's), the path for a Unix socket (in Address, with
// Port -1), or nil when not listening.
//
// DEVIATION(shape): Node returns a string for a pipe; Go returns an
// *AddressInfo whose Address is the path.
//
// Mirrors lib/net.js Server.prototype.address().
func (s *Server) Address() *AddressInfo {
	if s.handle != nil {
		sn, err := s.handle.Getsockname()
		if err == nil {
			return &AddressInfo{Address: sn.Address, Family: sn.Family, Port: sn.Port}
		}
	}
	if s.pipeName != "" {
		return &AddressInfo{Address: s.pipeName, Port: -1}
	}
	return nil
}

// AddressPort is the port Address reports, or 0 (what cluster reports in
// its "listening" message).
func (s *Server) AddressPort() int {
	if a := s.Address(); a != nil && a.Port > 0 {
		return a.Port
	}
	return 0
}

// Listening reports whether the server has a handle. A server whose
// listen signal is done is closed first, as Node's abort listener would
// have closed it already.
func (s *Server) Listening() bool {
	s.checkAbort()
	return s.handle != nil
}

// onconnection takes an accepted (or, in a worker, handed-over)
// connection: it drops it at maxConnections, else wraps it in a Socket and
// emits "connection".
//
// Mirrors lib/net.js onconnection().
func (s *Server) onconnection(err error, clientHandle *uv.Stream) {
	if err != nil {
		s.Emit("error", errnoException(err, "accept"))
		return
	}
	s.settle()
	if s.MaxConnections != 0 && s.connections >= s.MaxConnections {
		if clientHandle.Kind == uv.KindTCP {
			s.Emit("drop", dropInfo(clientHandle))
		} else {
			s.Emit("drop") // a Pipe has neither getsockname nor getpeername
		}
		clientHandle.Close(nil)
		return
	}
	socket := newSocket(clientHandle, s.AllowHalfOpen)
	if s.NoDelay && clientHandle.Kind == uv.KindTCP {
		socket.noDelay = true
		clientHandle.SetNoDelay(true)
	}
	if s.KeepAlive && clientHandle.Kind == uv.KindTCP {
		socket.keepAlive = true
		socket.keepAliveDelay = keepAliveSeconds(s.KeepAliveInitialDelay)
		clientHandle.SetKeepAlive(true, socket.keepAliveDelay)
	}
	s.connections++
	socket.server = s
	if trace.On { // the arguments would be boxed on every connection
		trace.Step("net.onconnection", "net.js onconnection", "fd %d: new Socket, emit connection (%d open)", clientHandle.Fd(), s.connections)
	}
	// Reading starts with the Socket, as Node's constructor starts it
	// (read(0)); the data flows once someone listens for it or resumes.
	if s.PauseOnConnect {
		socket.flowing = -1 // pauseOnCreate: only Resume starts it
	} else {
		socket.startReading()
	}
	s.Emit("connection", socket)
}

// DropInfo is what "drop" carries for a TCP connection refused at
// MaxConnections: both ends' addresses, Node's data object (a connection
// over a Unix socket is dropped with no argument, as in Node).
type DropInfo struct {
	LocalAddress  string `json:"localAddress"`
	LocalPort     int    `json:"localPort"`
	LocalFamily   string `json:"localFamily"`
	RemoteAddress string `json:"remoteAddress"`
	RemotePort    int    `json:"remotePort"`
	RemoteFamily  string `json:"remoteFamily"`
}

// dropInfo asks the connection for both its addresses, as onconnection
// does before it emits "drop".
func dropInfo(h *uv.Stream) *DropInfo {
	d := &DropInfo{}
	if a, err := h.Getsockname(); err == nil {
		d.LocalAddress, d.LocalPort, d.LocalFamily = a.Address, a.Port, a.Family
	}
	if a, err := h.Getpeername(); err == nil {
		d.RemoteAddress, d.RemotePort, d.RemoteFamily = a.Address, a.Port, a.Family
	}
	return d
}

// GetConnections calls cb with the number of open connections.
//
// With connections sent to other processes (worker.Send(msg, socket)),
// it asks each of them how many of those are still open and adds them
// up, or gives the first error (ERR_CHILD_CLOSED_BEFORE_REPLY when one
// disconnects first).
//
// DEVIATION(fix): once every process the server sent connections to has
// exited, Node's getConnections never calls back (it waits for answers
// from none); here it counts the server's own connections.
// NODECLUSTER_REPRODUCE_V20=socket-list-exit (ReproduceSocketListExit)
// never calls back, as Node.
//
// Mirrors lib/net.js Server.prototype.getConnections().
func (s *Server) GetConnections(cb func(err error, n int)) *Server {
	s.settle()
	end := func(err error, n int) { uv.Default().NextTick(func() { cb(err, n) }) }
	if !s.usingWorkers || (len(s.workers) == 0 && !ReproduceSocketListExit) {
		end(nil, s.connections)
		return s
	}
	left := len(s.workers)
	total := s.connections
	oncount := func(err error, count int) {
		if left < 0 {
			return
		}
		if err != nil {
			left = -1
			end(err, 0)
			return
		}
		total += count
		if left--; left == 0 {
			end(nil, total)
		}
	}
	for _, w := range slices.Clone(s.workers) {
		w.GetConnections(oncount)
	}
	return s
}

// ReproduceSocketListExit, when true, leaves a server whose connections
// went to processes that have all exited with a getConnections that
// never answers and a close that never comes, as in Node v20.
var ReproduceSocketListExit = uv.Reproduce("socket-list-exit")

// Close stops listening; "close" follows once every connection has
// closed. cb, when given, is a "close" listener, called with
// ErrServerNotRunning when the server was not listening. With
// connections sent to other processes, "close" also waits until each of
// them has closed those (NODE_SOCKET_NOTIFY_CLOSE); once all of them have
// exited, it waits for none (DEVIATION(fix) in GetConnections: Node's
// "close" never comes then).
//
// Mirrors lib/net.js Server.prototype.close().
func (s *Server) Close(cb func(error)) *Server {
	s.listeningID++
	if cb != nil {
		if s.handle == nil {
			s.Once("close", func() { cb(ErrServerNotRunning) })
		} else {
			s.Once("close", func() { cb(nil) })
		}
	}
	if s.handle != nil {
		trace.Step("net.Server.Close", "net.js Server.prototype.close", "close handle %T", s.handle)
		s.handle.Close(nil)
		s.handle = nil
		for _, fn := range s.onStopListening {
			fn()
		}
		s.refChanged()
	}
	if s.usingWorkers && (len(s.workers) > 0 || ReproduceSocketListExit) {
		left := len(s.workers)
		onWorkerClose := func(error) {
			if left--; left != 0 {
				return
			}
			s.connections = 0
			s.emitCloseIfDrained()
		}
		// One more connection while the lists answer, so that "close"
		// comes once, after the last answer.
		s.connections++
		for _, w := range slices.Clone(s.workers) {
			w.Close(onWorkerClose)
		}
		return s
	}
	s.emitCloseIfDrained()
	return s
}

// setupWorker counts socketList among the processes the server sent
// connections to, until that process exits.
//
// Mirrors lib/net.js Server.prototype._setupWorker().
func (s *Server) setupWorker(socketList *childprocess.SocketListSend) {
	s.usingWorkers = true
	s.workers = append(s.workers, socketList)
	socketList.Once("exit", func(l *childprocess.SocketListSend) {
		if i := slices.Index(s.workers, l); i >= 0 {
			s.workers = slices.Delete(s.workers, i, i+1)
		}
	})
}

// emitCloseIfDrained emits "close" on the next tick once the server has
// neither a handle nor connections.
//
// Mirrors lib/net.js Server.prototype._emitCloseIfDrained().
func (s *Server) emitCloseIfDrained() {
	s.settle()
	if s.handle != nil || s.connections > 0 {
		return
	}
	uv.Default().NextTick(s.emitCloseNT)
}

// emitCloseNT emits "close".
//
// Mirrors lib/net.js emitCloseNT().
func (s *Server) emitCloseNT() { s.Emit("close") }

// Ref makes the server keep the process alive (the default).
//
// Mirrors lib/net.js Server.prototype.ref().
func (s *Server) Ref() *Server {
	s.unref = false
	if s.handle != nil {
		s.handle.Ref()
	}
	s.refChanged()
	return s
}

// Unref lets the process end while the server listens.
//
// Mirrors lib/net.js Server.prototype.unref().
func (s *Server) Unref() *Server {
	s.unref = true
	if s.handle != nil {
		s.handle.Unref()
	}
	s.refChanged()
	return s
}

// Connections is server._connections.
func (s *Server) Connections() int { s.settle(); return s.connections }

// settle counts the connections closed off the loop (see settlers).
func (s *Server) settle() {
	for _, fn := range s.settlers {
		fn()
	}
}

func (s *Server) refChanged() {
	for _, fn := range s.onRefChange {
		fn()
	}
}

func init() {
	child.Hooks.Full = func(owner any) bool {
		s, ok := owner.(*Server)
		if !ok {
			return false
		}
		for _, refusing := range s.refusing {
			if refusing() {
				return true
			}
		}
		if s.MaxConnections == 0 {
			return false
		}
		s.settle()
		return s.connections >= s.MaxConnections
	}
	child.Hooks.Close = func(owner any, cb func()) {
		if s, ok := owner.(*Server); ok {
			s.Close(func(error) { cb() })
			return
		}
		cb()
	}
	child.Hooks.OnConnection = func(h uv.ServerHandle, client *uv.Stream) {
		if s, ok := h.Owner().(*Server); ok {
			s.onconnection(nil, client)
			return
		}
		client.Close(nil)
	}
}

func formatNumber(f float64) string { return childprocess.ToJSString(f) }

func init() {
	netbridge.TakeHandle = func(server any) uv.ServerHandle {
		s := server.(*Server)
		h := s.handle
		s.handle = nil
		return h
	}
	netbridge.CreateServerHandle = createServerHandle
}

func trueOrUndefined(b bool) any {
	if b {
		return true
	}
	return childprocess.Undefined
}
