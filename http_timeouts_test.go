package nodecluster_test

// net/http's timeouts on cluster workers: the server's read and write
// deadlines reach the connections the primary hands over, and end them
// as they end a plain Go server's.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	stdnet "net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
)

func init() {
	workerScenarios["http-timeouts"] = httpTimeoutsWorker
}

// bigBody is what /big tries to send: far more than the sockets between
// the worker and a client that does not read can hold.
const bigBody = 64 << 20

const (
	headerTimeout = 200 * time.Millisecond
	idleTimeout   = 200 * time.Millisecond
	writeTimeout  = 300 * time.Millisecond
)

// httpTimeoutsWorker serves "/" and "/big" with ReadHeaderTimeout,
// IdleTimeout and WriteTimeout set. When a write of /big fails it tells
// the primary how long after the request that was ({"bigFailedAfterMs"}).
func httpTimeoutsWorker() {
	w := cluster.CurrentWorker()
	loop := uv.Default()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) { fmt.Fprint(rw, "ok") })
	mux.HandleFunc("/big", func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		buf := make([]byte, 1<<20)
		for sent := 0; sent < bigBody; sent += len(buf) {
			if _, err := rw.Write(buf); err != nil {
				ms := time.Since(start).Milliseconds()
				loop.Post(func() { w.Send(cluster.NewObject("bigFailedAfterMs", ms), nil, nil) })
				return // the write deadline passed
			}
		}
	})
	srv := net.CreateServer(nil)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: headerTimeout, IdleTimeout: idleTimeout, WriteTimeout: writeTimeout}
	net.ServeHTTP(srv, hs, nil)
	if err := srv.Listen(0, "127.0.0.1"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}

// timeoutClient makes the three checks against addr, one after the
// other, and posts what went wrong (nil: nothing) to the loop.
type timeoutClient struct {
	addr string
	loop *uv.Loop
	done func(errs []error)
}

func (c *timeoutClient) run() {
	var errs []error
	for _, check := range []func() error{c.silent, c.idle, c.unread} {
		if err := check(); err != nil {
			errs = append(errs, err)
		}
	}
	c.loop.Post(func() { c.loop.Unref(); c.done(errs) })
}

func (c *timeoutClient) dial() (stdnet.Conn, error) {
	conn, err := stdnet.DialTimeout("tcp", c.addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	return conn, nil
}

// endsWithin reads r (a connection) until it ends and checks that the end came no
// sooner than min after since and within 10 s; it returns the bytes read.
func endsWithin(r io.Reader, since time.Time, min time.Duration, what string) (int64, error) {
	n, err := io.Copy(io.Discard, r)
	took := time.Since(since)
	var ne stdnet.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return n, fmt.Errorf("%s: the server had not closed the connection after %v", what, took)
	}
	if took < min {
		return n, fmt.Errorf("%s: closed after %v, before the server's %v", what, took, min)
	}
	if took > 10*time.Second {
		return n, fmt.Errorf("%s: closed only after %v", what, took)
	}
	return n, nil
}

// silent: a connection that never sends a request is closed once
// ReadHeaderTimeout passes.
func (c *timeoutClient) silent() error {
	conn, err := c.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	n, err := endsWithin(conn, time.Now(), headerTimeout*3/4, "no request")
	if err == nil && n != 0 {
		err = fmt.Errorf("no request: the server sent %d bytes", n)
	}
	return err
}

// idle: a keep-alive connection left idle after a response is closed once
// IdleTimeout passes.
func (c *timeoutClient) idle() error {
	conn, err := c.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fmt.Errorf("idle: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" || resp.Close {
		return fmt.Errorf("idle: response %q, close %v", body, resp.Close)
	}
	_, err = endsWithin(br, time.Now(), idleTimeout*3/4, "idle keep-alive")
	return err
}

// unread: a response the client does not read fails its write once
// WriteTimeout passes (the worker reports when: the test checks it came
// while the client was not reading), and the connection is closed with
// the body cut.
func (c *timeoutClient) unread() error {
	conn, err := c.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return err
	}
	time.Sleep(1500 * time.Millisecond) // not reading, well past the write timeout
	n, err := endsWithin(conn, start, writeTimeout, "unread response")
	if err == nil && n >= bigBody {
		err = fmt.Errorf("unread response: all %d bytes arrived", n)
	}
	return err
}

// TestHTTPTimeoutsOnClusterWorkers: ReadHeaderTimeout, IdleTimeout and
// WriteTimeout of a net/http server on a round-robin worker close the
// connections they should, when they should; then the worker disconnects
// and exits 0.
func TestHTTPTimeoutsOnClusterWorkers(t *testing.T) {
	var got []error
	var code any
	failedAfter := -1.0
	primaryRun(t, 60*time.Second, func(fail func(string, ...any)) {
		l := uv.Default()
		w := forkScenario(t, "http-timeouts", nil)
		w.On("exit", func(c, sig any) { code = c })
		w.On("message", func(m any) {
			if v, ok := m.(*cluster.Object).Number("bigFailedAfterMs"); ok {
				failedAfter = v
			}
		})
		w.On("listening", func(a cluster.Address) {
			l.Ref()
			c := &timeoutClient{addr: "127.0.0.1:" + strconv.Itoa(a.Port), loop: l, done: func(errs []error) {
				got = errs
				w.Disconnect()
			}}
			go c.run()
		})
	})
	var msgs []string
	for _, err := range got {
		msgs = append(msgs, err.Error())
	}
	if len(msgs) > 0 {
		t.Fatalf("net/http's timeouts on a cluster worker:\n%s", strings.Join(msgs, "\n"))
	}
	// The write failed while the client slept (1.5 s), not once it read.
	if failedAfter < float64(writeTimeout.Milliseconds())*3/4 || failedAfter > 1300 {
		t.Fatalf("the unread response's write failed %v ms after the request (-1: never reported), want about %v", failedAfter, writeTimeout)
	}
	if code != 0 {
		t.Fatalf("the worker exited with %v, want 0", code)
	}
}
