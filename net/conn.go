package net

// The net.Conn a Listener hands to Go code. It has no JS counterpart.

import (
	"errors"
	"io"
	"io/fs"
	stdnet "net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nodecluster/nodecluster/internal/uv"
)

// conn is a connection that left the loop's callbacks for Go code: the
// socket's descriptor, as the handle had it, in a uv.FD, which the
// goroutines of net/http read and write while the loop only tells them
// when the socket is ready (see uv.FD for why not Go's own netpoller).
// Errors look like net's (*net.OpError, net.ErrClosed,
// os.ErrDeadlineExceeded).
//
// net.FileConn would give a *net.TCPConn, but at a price paid on every
// connection: a dup of the descriptor, four fcntl, getsockopt, getsockname,
// getpeername, and five setsockopt for keep-alive and TCP_NODELAY. Here a
// TCP connection gets TCP_NODELAY (as Go's and Node's HTTP servers set
// it), and the addresses are asked for once, as the connection arrives
// (the local one only where the handle did not know it): a peer that
// resets the connection later leaves them as they were, as net's do
// (getpeername fails once it has). What Go code asks of a *net.UnixConn
// beyond net.Conn is here too: CloseWrite, CloseRead, SetReadBuffer,
// SetWriteBuffer, SyscallConn and File; and a TCP connection (tcpConn)
// has what a *net.TCPConn has beyond those: SetNoDelay, SetKeepAlive,
// SetKeepAlivePeriod, SetKeepAliveConfig, SetLinger, and ReadFrom with
// sendfile(2).
type conn struct {
	fd      *uv.FD
	rc      rawConn
	l       *Listener
	network string // "tcp" or "unix"

	closeOnce sync.Once
	laddr     stdnet.Addr
	raddr     stdnet.Addr

	// pre is what the Socket had read before it became this conn (a
	// socket received over IPC and given to the server with
	// Emit("connection", socket)): Read returns it first.
	pre []byte
	// uncounted: the conn is not one of the server's connections (it was
	// given to the server with Emit("connection", socket)), so its close
	// leaves the server's count alone.
	uncounted bool
	// shared: the descriptor came from another process, which may still
	// hold the socket (see Close); closeOnly: Close is a close alone
	// (SetLinger was called, or File made a copy that lives on).
	shared    bool
	closeOnly atomic.Bool
	// fresh is 1 while net/http has the connection in StateNew, 2 once it
	// left it (ServeHTTP's freshConns).
	fresh atomic.Int32
}

// tcpConn is a TCP connection: a conn with what net.TCPConn has beyond
// net.UnixConn (the TCP options, SetLinger, and ReadFrom with sendfile),
// so that code that looks for those methods finds them where net's conns
// have them, and only there.
type tcpConn struct{ *conn }

// netConn is c as Accept hands it out: a *tcpConn for TCP, c itself for a
// Unix socket.
func (c *conn) netConn() stdnet.Conn {
	if c.network == "tcp" {
		return &tcpConn{c}
	}
	return c
}

// newConn takes ownership of fd, a connected non-blocking socket, and
// asks for its addresses. It runs on the loop, which watches fd from now
// on. lsa is the socket's own address when the handle knew it already
// (uv.Stream.LocalName), else nil.
func newConn(loop *uv.Loop, fd int, tcp bool, l *Listener, lsa unix.Sockaddr) (*conn, error) {
	c := &conn{l: l, network: "unix"}
	if tcp {
		c.network = "tcp"
	}
	if lsa == nil {
		lsa, _ = uv.Getsockname(fd)
	}
	rsa, _ := uv.Getpeername(fd)
	c.laddr, c.raddr = sockaddrToAddr(c.network, lsa), sockaddrToAddr(c.network, rsa)
	p, err := loop.NewFD(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	c.fd, c.rc = p, rawConn{p}
	return c, nil
}

func (c *conn) Read(b []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(b, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	n, err := c.fd.Read(b)
	if err != nil && err != io.EOF {
		err = c.opError("read", err)
	}
	return n, err
}

func (c *conn) Write(b []byte) (int, error) {
	n, err := c.fd.Write(b)
	if err != nil {
		err = c.opError("write", err)
	}
	return n, err
}

// rawConn is the syscall.RawConn of a conn (SyscallConn).
type rawConn struct{ fd *uv.FD }

func (r rawConn) Control(f func(fd uintptr)) error           { return r.fd.Control(f) }
func (r rawConn) Read(f func(fd uintptr) (done bool)) error  { return r.fd.RawRead(f) }
func (r rawConn) Write(f func(fd uintptr) (done bool)) error { return r.fd.RawWrite(f) }

// ReadFrom copies r to the connection, as net.TCPConn.ReadFrom: from a
// file (net/http's ServeContent hands one over, as *os.File or wrapped in
// an *io.LimitedReader) with sendfile(2), the bytes going from the page
// cache to the socket without passing through the process; from anything
// else, or where sendfile refuses, with an ordinary copy. net/http's
// response writer uses it when the connection has it.
//
// Its errors are net's: a *net.OpError "readfrom" around sendfile's
// error, or around the copy's (the write's own *net.OpError, or r's).
func (c *tcpConn) ReadFrom(r io.Reader) (int64, error) {
	n, handled, err := c.sendFile(r)
	if !handled {
		n, err = io.Copy(writerOnly{c}, r)
	}
	if err != nil && err != io.EOF {
		err = c.opError("readfrom", err)
	}
	return n, err
}

// writerOnly hides conn's ReadFrom from io.Copy, which would call it
// again.
type writerOnly struct{ io.Writer }

// sendFile sends what r has left (up to a LimitedReader's N) with
// sendfile(2) when r is a file; handled is false when nothing was sent and
// the caller should copy instead (r is not a file, or not one sendfile
// takes).
func (c *conn) sendFile(r io.Reader) (written int64, handled bool, err error) {
	remain := int64(1) << 62
	lr, limited := r.(*io.LimitedReader)
	if limited {
		remain, r = lr.N, lr.R
		if remain <= 0 {
			return 0, true, nil
		}
	}
	// An *os.File, or what io.Copy makes of one (since Go 1.22 it tries
	// the file's WriteTo first, which hands a wrapper without WriteTo
	// here): any file that gives its descriptor, as net's sendFile takes.
	f, ok := r.(interface {
		fs.File
		syscall.Conn
	})
	if !ok {
		return 0, false, nil
	}
	src, err := f.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	var serr error
	cerr := src.Control(func(sfd uintptr) {
		werr := c.rc.Write(func(dfd uintptr) bool {
			for remain > 0 {
				n, e := unix.Sendfile(int(dfd), int(sfd), nil, int(min(remain, 1<<30)))
				if n > 0 {
					written += int64(n)
					remain -= int64(n)
				}
				switch {
				case e == unix.EINTR:
					continue
				case e == unix.EAGAIN:
					return false // wait until the socket takes more
				case e != nil:
					serr = os.NewSyscallError("sendfile", e)
					return true
				case n == 0:
					return true // the end of the file
				}
			}
			return true
		})
		if serr == nil {
			serr = werr
		}
	})
	if cerr != nil {
		serr = cerr
	}
	if limited {
		lr.N = remain
	}
	if written == 0 && serr != nil && (errors.Is(serr, unix.EINVAL) || errors.Is(serr, unix.ENOSYS)) {
		// Not a file sendfile reads (a pipe, a directory): copy instead.
		return 0, false, nil
	}
	return written, true, serr
}

// Close closes the connection and tells the server, once.
//
// A connection that came from another process (a round-robin handoff, or a
// socket sent with a message) is shut down for writing first. The sender
// may still hold its copy of the socket (a cluster primary closes its
// copy only once the worker's answer to "newconn" reached it), and while
// it does, a close alone ends nothing: the peer would read the end of the
// answer only when the primary got round to closing. A Node worker's
// server ends such a socket with a shutdown too (socket.end), so the peer
// sees the end as soon as the worker is done, whichever process closes
// last; the last close, often the primary's, then has no FIN left to
// send. After SetLinger, Close is a close alone, as the caller chose, and
// after File, whose copy of the socket must live on. A round-robin
// connection that holds bytes nobody read is closed alone too: the last
// close then resets the connection, as net's Close does (the peer reads
// ECONNRESET, not an orderly end that a shutdown first would send), once
// the primary has closed its copy, which it does as soon as the worker's
// answer reaches it. A socket sent with a message is shut down all the
// same: its sender may keep its copy (keepOpen) as long as it likes.
func (c *conn) Close() error {
	if c.shared && !c.closeOnly.Load() && (c.uncounted || c.unread() == 0) {
		c.fd.Shutdown(unix.SHUT_WR) // ENOTCONN after a reset: nothing to end
	}
	err := c.fd.Close()
	c.closeOnce.Do(c.release)
	if err != nil {
		return c.opError("close", err)
	}
	return nil
}

// unread is how many bytes the socket holds that nobody read (0 when it
// cannot tell).
func (c *conn) unread() int {
	n, _ := c.fd.Unread()
	return n
}

// CloseWrite shuts down the writing side (a half-close: the peer reads
// EOF, and can still write).
func (c *conn) CloseWrite() error { return c.shutdown(unix.SHUT_WR) }

// CloseRead shuts down the reading side.
func (c *conn) CloseRead() error { return c.shutdown(unix.SHUT_RD) }

func (c *conn) shutdown(how int) error {
	return c.sysError("close", "shutdown", c.fd.Shutdown(how))
}

// SetNoDelay sets TCP_NODELAY (on by default), as net.TCPConn.SetNoDelay.
func (c *tcpConn) SetNoDelay(noDelay bool) error {
	return c.setsockopt(unix.IPPROTO_TCP, unix.TCP_NODELAY, noDelay)
}

// SetKeepAlive turns TCP keep-alive probes on or off (off by default, as
// on a Node server's sockets).
func (c *tcpConn) SetKeepAlive(keepalive bool) error {
	return c.setsockopt(unix.SOL_SOCKET, unix.SO_KEEPALIVE, keepalive)
}

// SetKeepAlivePeriod sets how long a connection stays idle before the
// first keep-alive probe (TCP_KEEPIDLE), as net.TCPConn.SetKeepAlivePeriod:
// whole seconds, rounded up; 0 is Go's default of 15 s; a negative d
// leaves it as it is.
func (c *tcpConn) SetKeepAlivePeriod(d time.Duration) error {
	return c.keepAliveSeconds(unix.TCP_KEEPIDLE, d)
}

// SetKeepAliveConfig sets keep-alive on or off, and its idle time,
// interval and probe count, as net.TCPConn.SetKeepAliveConfig (zero
// values: Go's defaults, 15 s, 15 s and 9; negative: left as they are).
func (c *tcpConn) SetKeepAliveConfig(config stdnet.KeepAliveConfig) error {
	if err := c.SetKeepAlive(config.Enable); err != nil {
		return err
	}
	if err := c.keepAliveSeconds(unix.TCP_KEEPIDLE, config.Idle); err != nil {
		return err
	}
	if err := c.keepAliveSeconds(unix.TCP_KEEPINTVL, config.Interval); err != nil {
		return err
	}
	switch n := config.Count; {
	case n == 0:
		return c.setsockoptInt(unix.IPPROTO_TCP, unix.TCP_KEEPCNT, defaultKeepAliveCount)
	case n > 0:
		return c.setsockoptInt(unix.IPPROTO_TCP, unix.TCP_KEEPCNT, n)
	}
	return nil
}

// Go's keep-alive defaults (net's defaultTCPKeepAlive*).
const (
	defaultKeepAlive      = 15 * time.Second
	defaultKeepAliveCount = 9
)

func (c *conn) keepAliveSeconds(opt int, d time.Duration) error {
	if d < 0 {
		return nil
	}
	if d == 0 {
		d = defaultKeepAlive
	}
	return c.setsockoptInt(unix.IPPROTO_TCP, opt, int((d+time.Second-1)/time.Second))
}

// SetLinger sets what Close does with data not yet sent, as
// net.TCPConn.SetLinger: with a negative sec (the default) the kernel
// sends it after Close returns; with 0 it discards it and resets the
// connection; with a positive sec it sends it, and on Linux Close waits
// for that, up to sec seconds.
func (c *tcpConn) SetLinger(sec int) error { return c.linger(sec) }

// linger is SetLinger, for a conn of either network (a Unix socket
// takes SO_LINGER and ignores it).
func (c *conn) linger(sec int) error {
	c.closeOnly.Store(true)
	l := unix.Linger{}
	if sec >= 0 {
		l.Onoff, l.Linger = 1, int32(sec)
	}
	return c.sysError("set", "setsockopt", c.fd.SetsockoptLinger(&l))
}

// SetReadBuffer sets the socket's receive buffer (SO_RCVBUF), as
// net.TCPConn.SetReadBuffer.
func (c *conn) SetReadBuffer(bytes int) error {
	return c.bufferError(c.fd.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUF, bytes))
}

// SetWriteBuffer sets the socket's send buffer (SO_SNDBUF), as
// net.TCPConn.SetWriteBuffer.
func (c *conn) SetWriteBuffer(bytes int) error {
	return c.bufferError(c.fd.SetsockoptInt(unix.SOL_SOCKET, unix.SO_SNDBUF, bytes))
}

// bufferError is a buffer setter's error: setsockopt's, shaped as a
// deadline setter's (see deadlineError).
func (c *conn) bufferError(err error) error {
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError("setsockopt", errno)
	}
	return c.deadlineError(err)
}

func (c *conn) setsockopt(level, opt int, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return c.setsockoptInt(level, opt, v)
}

func (c *conn) setsockoptInt(level, opt, v int) error {
	return c.sysError("set", "setsockopt", c.fd.SetsockoptInt(level, opt, v))
}

// sysError shapes the error of the system call syscallName, made for the
// connection's op, as net's: a *net.OpError around an *os.SyscallError
// (or net.ErrClosed).
func (c *conn) sysError(op, syscallName string, err error) error {
	if err == nil {
		return nil
	}
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError(syscallName, errno)
	}
	return c.opError(op, err)
}

// File returns a copy of the connection's descriptor as an *os.File, as
// net's conns do (to pass the connection to a child process, say): closing
// one leaves the other open, and the copy is non-blocking as the
// connection's is.
func (c *conn) File() (*os.File, error) {
	c.closeOnly.Store(true) // Close must not end the copy's connection
	nfd, derr := -1, error(nil)
	err := c.rc.Control(func(fd uintptr) {
		if nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0); derr != nil {
			derr = os.NewSyscallError("fcntl", derr)
		}
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return nil, c.opError("file", err)
	}
	return os.NewFile(uintptr(nfd), c.network+":"+c.laddr.String()+"->"+c.raddr.String()), nil
}

// SyscallConn gives the raw descriptor, as net.TCPConn.SyscallConn.
func (c *conn) SyscallConn() (syscall.RawConn, error) { return opRawConn{c}, nil }

// opRawConn is the syscall.RawConn SyscallConn gives: rawConn with errors
// shaped as net's RawConn shapes them, an *OpError ("raw-control",
// "raw-read", "raw-write") around net.ErrClosed once the conn is closed,
// or around the deadline's error.
type opRawConn struct{ c *conn }

func (r opRawConn) Control(f func(fd uintptr)) error {
	return r.c.rawError("raw-control", r.c.rc.Control(f))
}

func (r opRawConn) Read(f func(fd uintptr) (done bool)) error {
	return r.c.rawError("raw-read", r.c.rc.Read(f))
}

func (r opRawConn) Write(f func(fd uintptr) (done bool)) error {
	return r.c.rawError("raw-write", r.c.rc.Write(f))
}

// rawError is opError for the RawConn's operations (the FD's waits give
// only a closed FD's error or a deadline's).
func (c *conn) rawError(op string, err error) error {
	if err == nil {
		return nil
	}
	oe := c.opError(op, err).(*stdnet.OpError)
	if op == "raw-control" { // net's names the local address alone there
		oe.Source, oe.Addr = nil, c.laddr
	}
	return oe
}

func (c *conn) LocalAddr() stdnet.Addr  { return c.laddr }
func (c *conn) RemoteAddr() stdnet.Addr { return c.raddr }

func (c *conn) SetDeadline(t time.Time) error {
	if err := c.fd.SetReadDeadline(t); err != nil {
		return c.deadlineError(err)
	}
	return c.deadlineError(c.fd.SetWriteDeadline(t))
}

func (c *conn) SetReadDeadline(t time.Time) error {
	return c.deadlineError(c.fd.SetReadDeadline(t))
}

func (c *conn) SetWriteDeadline(t time.Time) error {
	return c.deadlineError(c.fd.SetWriteDeadline(t))
}

// deadlineError shapes the error of a deadline's or a buffer's setter as
// net's (net.conn's setters, where the TCP options' name both addresses):
// "set", the local address alone.
func (c *conn) deadlineError(err error) error {
	if err == nil {
		return nil
	}
	oe := c.opError("set", err).(*stdnet.OpError)
	oe.Source, oe.Addr = nil, c.laddr
	return oe
}

// sockaddrToAddr is a socket address as net gives it (never nil: net/http
// formats RemoteAddr of every connection, and a failed getpeername gives
// an empty address of the network's type).
func sockaddrToAddr(network string, sa unix.Sockaddr) stdnet.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		// Four bytes, as net's own connections give an IPv4 address
		// (netip's Is4, and prefixes like 127.0.0.0/8, depend on it).
		return &stdnet.TCPAddr{IP: append(stdnet.IP(nil), a.Addr[:]...), Port: a.Port}
	case *unix.SockaddrInet6:
		addr := &stdnet.TCPAddr{IP: stdnet.IP(a.Addr[:]), Port: a.Port}
		if a.ZoneId != 0 {
			if ifi, err := stdnet.InterfaceByIndex(int(a.ZoneId)); err == nil {
				addr.Zone = ifi.Name
			}
		}
		return addr
	case *unix.SockaddrUnix:
		return &stdnet.UnixAddr{Name: a.Name, Net: "unix"}
	}
	if network == "unix" {
		return &stdnet.UnixAddr{Net: "unix"}
	}
	return &stdnet.TCPAddr{}
}

// opError shapes err as net's connections do: *net.OpError around the
// system call's error; a closed connection's error is net.ErrClosed.
func (c *conn) opError(op string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, os.ErrClosed) {
		err = stdnet.ErrClosed
	} else if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError(op, errno)
	}
	return &stdnet.OpError{Op: op, Net: c.network, Source: c.laddr, Addr: c.raddr, Err: err}
}
