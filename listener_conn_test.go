package nodecluster_test

// The net.Conn a worker's net.Listener hands out: addresses, deadlines,
// half-close and close, checked inside the worker on real connections,
// for a connection handed over by the round-robin primary and for one the
// worker accepted itself (exclusive listen).

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	stdnet "net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	workerScenarios["listener-conn"] = listenerConnWorker
}

// listenerConnWorker accepts one connection from a net.Listener and sends
// the primary what it observed, one "check=result" string per line.
func listenerConnWorker() {
	w := cluster.CurrentWorker()
	srv := net.CreateServer(nil)
	srv.On("error", func(err error) { w.Send(cluster.NewObject("report", "server error: "+err.Error()), nil, nil) })
	ln := net.NewListener(srv)
	// An exclusive listen binds in the worker and asks the primary
	// nothing, so the primary hears of no "listening": the worker sends
	// its port itself.
	opts := &net.ListenOptions{Port: 0, Host: "127.0.0.1", Exclusive: os.Getenv("LC_EXCLUSIVE") == "1"}
	err := srv.Listen(opts, func() {
		w.Send(cluster.NewObject("port", srv.Address().Port), nil, nil)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	r := &connChecker{ln: ln, loop: uv.Default(), report: func(s string) { w.Send(cluster.NewObject("report", s), nil, nil) }}
	r.loop.Ref()
	go r.run()
}

type connChecker struct {
	ln     *net.Listener
	loop   *uv.Loop
	report func(string)
}

func (r *connChecker) run() {
	var out []string
	add := func(k string, v any) { out = append(out, fmt.Sprintf("%s=%v", k, v)) }
	c, err := r.ln.Accept()
	if err != nil {
		add("accept", err)
		r.done(out)
		return
	}
	rd := bufio.NewReader(c)
	line, _ := rd.ReadString('\n') // the client's own address
	add("remote-matches", strings.TrimSpace(line) == c.RemoteAddr().String())
	add("local-matches", c.LocalAddr().String() == r.ln.Addr().String())
	add("local-network", c.LocalAddr().Network())
	// Four-byte IPv4 addresses, as net's own listener and conns have.
	add("ipv4", c.LocalAddr().(*stdnet.TCPAddr).AddrPort().Addr().Is4() && c.RemoteAddr().(*stdnet.TCPAddr).AddrPort().Addr().Is4() &&
		r.ln.Addr().(*stdnet.TCPAddr).AddrPort().Addr().Is4())

	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err = rd.ReadByte()
	var ne stdnet.Error
	add("deadline-timeout", errors.As(err, &ne) && ne.Timeout() && errors.Is(err, os.ErrDeadlineExceeded))
	var oe *stdnet.OpError
	add("deadline-operror", errors.As(err, &oe) && oe.Op == "read")
	c.SetReadDeadline(time.Time{})

	fmt.Fprintf(c, "half-close next\n")
	cw, ok := c.(interface{ CloseWrite() error })
	add("closewrite", ok && cw.CloseWrite() == nil)
	rest, err := io.ReadAll(rd) // the client writes after our EOF, then closes
	add("read-after-closewrite", string(rest) == "after eof\n" && err == nil)

	add("close", c.Close() == nil)
	add("close-again-errclosed", errors.Is(c.Close(), stdnet.ErrClosed))
	_, err = c.Read(make([]byte, 1))
	add("read-closed-errclosed", errors.Is(err, stdnet.ErrClosed))
	r.done(out)
}

// done closes the server (a worker's disconnect would leave an exclusive
// one listening, as in Node, and the worker alive) and reports.
func (r *connChecker) done(out []string) {
	r.ln.Close()
	r.loop.Post(func() {
		r.loop.Unref()
		r.report(strings.Join(out, "\n"))
	})
}

// TestListenerConn: the worker's checks all hold, and the client saw the
// half-close as EOF while its own writes still reached the worker.
func TestListenerConn(t *testing.T) {
	for _, exclusive := range []bool{false, true} {
		name := "round-robin"
		if exclusive {
			name = "exclusive"
		}
		t.Run(name, func(t *testing.T) {
			var report, clientSaw string
			var clientErr error
			env := map[string]string{}
			if exclusive {
				env["LC_EXCLUSIVE"] = "1"
			}
			primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
				w := forkScenario(t, "listener-conn", env)
				w.On("message", func(m any) {
					o := m.(*cluster.Object)
					if port, ok := o.Value("port").(float64); ok {
						l := uv.Default()
						l.Ref()
						cl := &halfCloseClient{addr: fmt.Sprintf("127.0.0.1:%d", int(port)), done: func(saw string, err error) {
							l.Post(func() { l.Unref(); clientSaw, clientErr = saw, err })
						}}
						go cl.run()
						return
					}
					report, _ = o.String("report")
					w.Disconnect()
				})
			})
			require.NoError(t, clientErr)
			require.Equal(t, "half-close next\n", clientSaw, "the client reads the line, then EOF")
			want := []string{
				"remote-matches=true", "local-matches=true", "local-network=tcp", "ipv4=true",
				"deadline-timeout=true", "deadline-operror=true",
				"closewrite=true", "read-after-closewrite=true",
				"close=true", "close-again-errclosed=true", "read-closed-errclosed=true",
			}
			require.Equal(t, want, strings.Split(report, "\n"))
		})
	}
}

type halfCloseClient struct {
	addr string
	done func(string, error)
}

func (c *halfCloseClient) run() {
	conn, err := dialClient(c.addr)
	if err != nil {
		c.done("", err)
		return
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s\n", conn.LocalAddr())
	saw, err := io.ReadAll(conn) // until the worker's CloseWrite
	if err != nil {
		c.done(string(saw), err)
		return
	}
	_, err = io.WriteString(conn, "after eof\n")
	if err == nil {
		err = conn.(*stdnet.TCPConn).CloseWrite()
	}
	c.done(string(saw), err)
}

func init() {
	workerScenarios["exclusive-stays"] = func() {
		srv := net.CreateServer(nil)
		srv.Listen(net.ListenOptions{Port: 0, Exclusive: true}, func() {
			cluster.CurrentWorker().Send("ready", nil, nil)
		})
	}
}

// TestDisconnectLeavesExclusiveServer: a worker's exclusive server is its
// own (the primary never heard of it: no "listening"), so disconnect does
// not close it and the worker lives on, as in Node v20:
// ["message","disconnect"] and no exit a second later (checked against
// node with a primary that forks, waits for "ready", disconnects).
func TestDisconnectLeavesExclusiveServer(t *testing.T) {
	var events []string
	alive := false
	primaryRun(t, 30*time.Second, func(fail func(string, ...any)) {
		w := forkScenario(t, "exclusive-stays", nil)
		w.On("listening", func(cluster.Address) { events = append(events, "listening") })
		w.On("message", func(any) { events = append(events, "message"); w.Disconnect() })
		w.On("disconnect", func() { events = append(events, "disconnect") })
		w.On("exit", func(code, sig any) { events = append(events, fmt.Sprintf("exit %v %v", code, sig)) })
		uv.Default().SetTimeout(time.Second, func() {
			code, sig := w.Process.Exited()
			alive = code == nil && sig == "" && !w.IsDead()
			w.Process.Kill("SIGTERM")
		})
	})
	require.True(t, alive, "the worker was still running a second after its disconnect")
	require.Equal(t, []string{"message", "disconnect", "exit <nil> SIGTERM"}, events)
}

// dialClient connects a test client to addr, with a deadline on the whole
// exchange so that a server that never answers fails the test instead of
// hanging it.
func dialClient(addr string) (stdnet.Conn, error) {
	conn, err := stdnet.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	return conn, nil
}
