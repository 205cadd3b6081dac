package nodecluster_test

// The "sticky sessions" pattern: the primary's own server accepts with
// pauseOnConnect, picks a worker, and sends it the connection; the worker
// gives it to its HTTP server with server.emit('connection', socket).

import (
	"bufio"
	"fmt"
	"io"
	stdnet "net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	primaryScenarios["sticky-primary"] = stickyPrimary
	workerScenarios["sticky-worker"] = stickyWorker
}

// TestStickySessionHandover: the request the client sends at once reaches
// the worker's socket before the worker hands it to net/http (the worker
// waits until it has read it); net/http still reads the whole request
// and answers. (The bytes the socket had read were lost with the
// handover: the request was never answered.) The server's count is not
// touched by a socket given to it this way, as in Node.
func TestStickySessionHandover(t *testing.T) {
	lines, code, _ := runPrimaryProcess(t, "sticky-primary", nil, 30*time.Second)
	require.Equal(t, 0, code)
	require.Equal(t, []string{
		"worker: read before the handover true",
		"client: HTTP/1.1 200 OK | sticky GET /hello",
		"worker: connections after the close 0",
		"exit 0",
	}, lcLines(lines))
}

func stickyPrimary() {
	w, err := cluster.Fork(map[string]string{"NODECLUSTER_TEST_WORKER": "sticky-worker"})
	if err != nil {
		lcOut("fork: %v", err)
		return
	}
	server := net.NewServer(net.ServerOptions{PauseOnConnect: true}, func(s *net.Socket) {
		w.Send("sticky:connection", s, nil)
	})
	w.On("message", func(m any) {
		if s, ok := m.(string); ok {
			lcOut("%s", s)
		}
	})
	w.On("exit", func(code any) {
		lcOut("exit %v", code)
		server.Close(nil)
	})
	server.Listen(0, "127.0.0.1", func() {
		addr := fmt.Sprintf("127.0.0.1:%d", server.Address().Port)
		cluster.Ref()
		go stickyClient(addr, w)
	})
}

// stickyClient sends its request at once, reads the answer, and has the
// worker report and disconnect.
func stickyClient(addr string, w *cluster.Worker) {
	got := ""
	c, err := stdnet.DialTimeout("tcp", addr, 10*time.Second)
	if err == nil {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		r := bufio.NewReader(c)
		status, _ := r.ReadString('\n')
		rest, _ := io.ReadAll(r)
		body := string(rest)
		if i := strings.Index(body, "\r\n\r\n"); i >= 0 {
			body = body[i+4:]
		}
		got = strings.TrimSpace(status) + " | " + body
		c.Close()
	} else {
		got = err.Error()
	}
	cluster.Post(func() {
		cluster.Unref()
		lcOut("client: %s", got)
		w.Send("report", nil, nil)
	})
}

func stickyWorker() {
	p := cluster.CurrentProcess()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(rw, "sticky %s %s", r.Method, r.URL.Path)
	})
	srv := net.CreateServer(nil) // never listens: it only serves what it is given
	l := net.ServeHTTP(srv, &http.Server{Handler: mux}, nil)
	p.On("message", func(m any, h any) {
		switch m {
		case "sticky:connection":
			s := h.(*net.Socket)
			// Wait until the socket has read the request, so that the
			// handover has bytes to carry over.
			deadline := time.Now().Add(5 * time.Second)
			var wait func()
			wait = func() {
				if s.BytesRead == 0 && time.Now().Before(deadline) {
					cluster.SetTimeout(5*time.Millisecond, wait)
					return
				}
				p.Send(fmt.Sprintf("worker: read before the handover %v", s.BytesRead > 0), nil, nil)
				srv.Emit("connection", s)
				s.Resume()
			}
			wait()
		case "report":
			srv.GetConnections(func(err error, n int) {
				p.Send(fmt.Sprintf("worker: connections after the close %d", n), nil, func(error) {
					l.Close()
					p.Exit(0)
				})
			})
		}
	})
}
