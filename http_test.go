package nodecluster_test

// net/http on cluster workers: a standard http.Server serves the
// connections the primary hands over, and stops gracefully on a worker
// disconnect.

import (
	"bufio"
	"fmt"
	"io"
	stdnet "net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	workerScenarios["http"] = httpWorker
}

// httpWorker serves "/" (who answered, and both addresses as the handler
// saw them) and "/slow" (tells the primary it started, answers 300ms
// later) with net/http.
func httpWorker() {
	w := cluster.CurrentWorker()
	loop := uv.Default()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		local := r.Context().Value(http.LocalAddrContextKey).(stdnet.Addr)
		fmt.Fprintf(rw, "worker %d local %s remote %s", w.ID, local, r.RemoteAddr)
	})
	mux.HandleFunc("/slow", func(rw http.ResponseWriter, r *http.Request) {
		loop.Post(func() { w.Send(cluster.NewObject("slow", "started"), nil, nil) })
		time.Sleep(300 * time.Millisecond) // a request in flight when the disconnect comes
		fmt.Fprint(rw, "slow done")
	})
	srv := net.CreateServer(nil)
	net.ServeHTTP(srv, &http.Server{Handler: mux}, nil)
	if err := srv.Listen(0, "127.0.0.1"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}

type httpClient struct {
	c    *http.Client
	url  string
	loop *uv.Loop
	done func(body string, err error)
}

func (h *httpClient) run() {
	resp, err := h.c.Get(h.url)
	var body string
	if err == nil {
		b, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		body, err = string(b), rerr
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
	}
	h.loop.Post(func() { h.loop.Unref(); h.done(body, err) })
}

// TestHTTPOnClusterWorkers: two workers serve net/http through the
// round-robin primary with correct addresses; then a disconnect with a
// request in flight lets it finish, closes the idle keep-alive
// connection, and the worker exits 0.
func TestHTTPOnClusterWorkers(t *testing.T) {
	var bodies []string
	var slow string
	codes := map[int]any{}
	// Fresh connections (no keep-alive) go round-robin; one keep-alive
	// connection is left idle in a worker when the disconnect comes.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 20 * time.Second}
	keep := &http.Transport{MaxIdleConnsPerHost: 1}
	defer keep.CloseIdleConnections()
	kept := &http.Client{Transport: keep, Timeout: 20 * time.Second}
	var idle string
	primaryRun(t, 40*time.Second, func(fail func(string, ...any)) {
		l := uv.Default()
		get := func(c *http.Client, url string, done func(string, error)) {
			l.Ref()
			h := &httpClient{c: c, url: url, loop: l, done: done}
			go h.run()
		}
		listening := 0
		var ws []*cluster.Worker
		for i := 0; i < 2; i++ {
			w := forkScenario(t, "http", nil)
			ws = append(ws, w)
			w.On("exit", func(code, sig any) { codes[w.ID] = code })
			w.On("message", func(m any) {
				if s, _ := m.(*cluster.Object).String("slow"); s == "started" {
					for _, x := range ws {
						x.Disconnect()
					}
				}
			})
			w.On("listening", func(a cluster.Address) {
				listening++
				if listening < 2 {
					return
				}
				base := "http://127.0.0.1:" + strconv.Itoa(a.Port)
				var next func(int)
				next = func(i int) {
					if i == 4 {
						get(kept, base+"/", func(b string, err error) {
							if err != nil {
								fail("keep-alive request: %v", err)
							}
							idle = b
							get(fresh, base+"/slow", func(b string, err error) {
								if err != nil {
									fail("slow request: %v", err)
								}
								slow = b
							})
						})
						return
					}
					get(fresh, base+"/", func(b string, err error) {
						if err != nil {
							fail("request %d: %v", i, err)
							return
						}
						bodies = append(bodies, b)
						next(i + 1)
					})
				}
				next(0)
			})
		}
	})
	require.Len(t, bodies, 4)
	who := map[string]bool{}
	for _, b := range bodies {
		f := strings.Fields(b) // worker N local A remote B
		require.Len(t, f, 6, b)
		who[f[1]] = true
		require.True(t, strings.HasPrefix(f[3], "127.0.0.1:"), "local address %s", f[3])
		require.True(t, strings.HasPrefix(f[5], "127.0.0.1:"), "remote address %s", f[5])
		require.NotEqual(t, f[3], f[5])
	}
	require.Len(t, who, 2, "both workers served: %v", bodies)
	require.Equal(t, "slow done", slow, "the request in flight finished before the worker left")
	require.NotEmpty(t, idle)
	for id, c := range codes {
		require.Equal(t, 0, c, "worker %d exit code", id)
	}
}

// TestHTTPGoWorkersUnderNodePrimary: a Node v20 primary forks this
// binary as two cluster workers serving net/http (the "http" scenario),
// under each scheduling policy. Every request is answered by one of them
// with the addresses the handler saw (the primary's port, a loopback
// peer); round-robin alternates between the two; a disconnect lets both
// exit 0.
func TestHTTPGoWorkersUnderNodePrimary(t *testing.T) {
	node, self, script := interopScript(t, "http-primary.js")
	answer := regexp.MustCompile(`^answer 200 worker ([12]) local 127\.0\.0\.1:(\d+) remote 127\.0\.0\.1:\d+$`)
	for _, policy := range []string{"rr", "none"} {
		t.Run(policy, func(t *testing.T) {
			cmd := exec.Command(node, script)
			cmd.Env = append(os.Environ(), "NODE_CLUSTER_SCHED_POLICY="+policy, "INTEROP_GO_EXEC="+self, "INTEROP_REQUESTS=8")
			cmd.Stderr = os.Stderr
			timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
			defer timer.Stop()
			out, err := cmd.Output()
			require.NoError(t, err, "node primary: %s", out)
			var ids, exits []string
			ports := map[string]bool{}
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if m := answer.FindStringSubmatch(l); m != nil {
					ids = append(ids, m[1])
					ports[m[2]] = true
					continue
				}
				if strings.HasPrefix(l, "exit ") {
					exits = append(exits, l)
					continue
				}
				t.Errorf("unexpected line from the Node primary: %q", l)
			}
			require.Len(t, ids, 8, "answers")
			require.Len(t, ports, 1, "every answer should show the one port the primary shares")
			if policy == "rr" {
				for i := 1; i < len(ids); i++ {
					require.NotEqual(t, ids[i-1], ids[i], "round-robin gave two connections in a row to worker %s: %v", ids[i], ids)
				}
			}
			sort.Strings(exits)
			require.Equal(t, []string{"exit 1 0 null true", "exit 2 0 null true"}, exits)
		})
	}
}

// TestHandedOffCloseEndsWhilePrimaryHoldsCopy: a Node v20 primary that
// keeps its loop busy right after it hands a connection over, so that it
// still holds its copy of the socket (it closes that copy only once it has
// read the worker's answer to "newconn"). The client reads the whole
// answer and its end before the primary's hold ends, from a Node worker
// (its http server ends the socket with a shutdown) and from a Go worker
// serving net/http, whose conn's Close shuts the socket down for writing
// when it came from another process: a close alone would leave the client
// waiting for the primary.
func TestHandedOffCloseEndsWhilePrimaryHoldsCopy(t *testing.T) {
	node, self, script := interopScript(t, "held-copy.js")
	for _, worker := range []string{"node", "go"} {
		t.Run(worker, func(t *testing.T) {
			cmd := exec.Command(node, script)
			cmd.Env = append(os.Environ(), "NODE_CLUSTER_SCHED_POLICY=rr", "INTEROP_HOLD_MS=1500")
			if worker == "go" {
				cmd.Env = append(cmd.Env, "INTEROP_GO_EXEC="+self)
			}
			cmd.Stderr = os.Stderr
			stdin, err := cmd.StdinPipe()
			require.NoError(t, err)
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
			defer timer.Stop()
			type line struct {
				text string
				at   time.Time
			}
			lines := make(chan line, 8)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- line{sc.Text(), time.Now()}
				}
				close(lines)
			}()
			next := func(what string) line {
				select {
				case l, ok := <-lines:
					require.True(t, ok, "the Node primary ended before %s", what)
					return l
				case <-time.After(30 * time.Second):
					t.Fatalf("no %s from the Node primary in 30s", what)
				}
				return line{}
			}
			l := next(`"listening <port>"`)
			port, ok := strings.CutPrefix(l.text, "listening ")
			require.True(t, ok, "first line %q", l.text)

			c, err := stdnet.DialTimeout("tcp", "127.0.0.1:"+port, 10*time.Second)
			require.NoError(t, err)
			defer c.Close()
			_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
			require.NoError(t, err)
			require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Second)))
			answer, err := io.ReadAll(c)
			require.NoError(t, err, "reading the answer to its end")
			ended := time.Now()
			require.True(t, strings.HasPrefix(string(answer), "HTTP/1.1 200 OK\r\n"), "answer %q", answer)

			held := next(`"held"`)
			require.Equal(t, "held", held.text)
			require.True(t, ended.Before(held.at),
				"the client read the end of the answer %v after the primary's hold ended: the worker's close did not end the connection while the primary held its copy", ended.Sub(held.at))
			require.NoError(t, stdin.Close())
			require.Equal(t, "exit 0 null", next(`the worker's "exit"`).text)
			require.NoError(t, cmd.Wait())
		})
	}
}

// TestHTTPRollingRestartUnderNodePrimary: a Node v20 primary replaces its
// two workers one at a time (a successor forked, the old worker
// disconnected once the successor listens) while it keeps asking them, a
// new connection per request; under both policies every request is
// answered and every worker exits 0, with Go workers serving net/http as
// with Node workers.
func TestHTTPRollingRestartUnderNodePrimary(t *testing.T) {
	node, self, script := interopScript(t, "rolling.js")
	for _, policy := range []string{"rr", "none"} {
		for _, workers := range []string{"node", "go"} {
			t.Run(policy+"/"+workers, func(t *testing.T) {
				cmd := exec.Command(node, script)
				cmd.Env = append(os.Environ(), "NODE_CLUSTER_SCHED_POLICY="+policy)
				if workers == "go" {
					cmd.Env = append(cmd.Env, "INTEROP_GO_EXEC="+self)
				}
				cmd.Stderr = os.Stderr
				timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
				defer timer.Stop()
				out, err := cmd.Output()
				require.NoError(t, err, "node primary: %s", out)
				var result string
				exits := 0
				for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
					switch {
					case l == "exit 0 null":
						exits++
					case strings.HasPrefix(l, "ok "):
						result = l
					default:
						t.Errorf("unexpected line from the Node primary: %q", l)
					}
				}
				require.Equal(t, "ok some errors []", result, "every request answered")
				require.Equal(t, 4, exits, "two old and two new workers exit 0")
			})
		}
	}
}
