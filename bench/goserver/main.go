// Command goserver is the Go side of `go run ./bench`: the port's cluster
// serving HTTP with net/http on its workers (round-robin or shared handle,
// chosen as Node chooses, by NODE_CLUSTER_SCHED_POLICY), a single-process
// net/http server (the ceiling), and the measures outside HTTP (fork →
// online, IPC round trips and one-way messages between a primary and a
// cluster worker). bench/node-server.js is the same program for Node.
//
//	goserver -mode cluster -workers 2 -port P   # prints "ready" once every worker listens
//	goserver -mode single -port P               # prints "ready" once listening
//	goserver -mode forkonline -n 10             # prints "forkonline_us: a b c ..."
//	goserver -mode ipc -n 20000 -oneway 100000  # prints "roundtrips/s: N" and "oneway/s: N"
//
// Every HTTP contestant answers every request with the same bytes as the
// others (the Date value aside):
//
//	HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: text/plain\r\nDate: ...\r\n\r\nhello world\n
//
// plus "Connection: close" after Date when the request asked for it.
package main

import (
	"context"
	"flag"
	"fmt"
	stdnet "net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
)

var (
	body          = []byte("hello world\n")
	contentLength = []string{strconv.Itoa(len(body))}
	textPlain     = []string{"text/plain"}
)

// hello is every Go contestant's handler. Setting Content-Length and
// Content-Type in the header map makes net/http write them first, sorted,
// then its own Date (and Connection: close when the request asked), which
// is the order Node's http writes the same headers in.
func hello(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h["Content-Length"] = contentLength
	h["Content-Type"] = textPlain
	w.Write(body)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func main() {
	fs := flag.NewFlagSet("goserver", flag.ExitOnError)
	mode := fs.String("mode", os.Getenv("BENCH_MODE"), "cluster, single, forkonline or ipc")
	workers := fs.Int("workers", envInt("BENCH_WORKERS", 2), "workers (cluster)")
	port := fs.Int("port", envInt("BENCH_PORT", 0), "port on 127.0.0.1 (cluster, single)")
	n := fs.Int("n", envInt("BENCH_N", 10), "forks (forkonline) or round trips (ipc)")
	oneway := fs.Int("oneway", envInt("BENCH_ONEWAY", 100000), "one-way messages (ipc)")
	procs := fs.Int("worker-gomaxprocs", envInt("BENCH_WORKER_GOMAXPROCS", 1), "GOMAXPROCS in each worker (cluster; 0: the Go default)")
	fs.Parse(os.Args[1:])
	if cluster.IsWorker {
		// Workers take their settings from the environment the primary set.
		*mode = os.Getenv("BENCH_MODE")
	}
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
		startProfile(path)
	}
	if path := os.Getenv("BENCH_MEMPROFILE"); path != "" {
		startMemProfile(path)
	}
	switch *mode {
	case "single":
		single(*port)
	case "cluster":
		cluster.Run(func() {
			if cluster.IsPrimary {
				primary(*workers, *port, *procs)
			} else {
				serve(*port)
			}
		})
	case "forkonline":
		cluster.Run(func() {
			if cluster.IsPrimary {
				forkOnline(*n)
			}
			// A worker has nothing to do: it stays until disconnected.
		})
	case "ipc":
		cluster.Run(func() {
			if cluster.IsPrimary {
				ipcPrimary(*n, *oneway)
			} else {
				ipcWorker()
			}
		})
	default:
		fmt.Fprintf(os.Stderr, "goserver: -mode %q: want cluster, single, forkonline or ipc\n", *mode)
		os.Exit(2)
	}
}

// startProfile writes a CPU profile of this process to
// PATH.primary.PID or PATH.worker.PID until it exits (BENCH_CPUPROFILE=PATH,
// inherited by the workers).
func startProfile(path string) {
	role := "primary"
	if cluster.IsWorker {
		role = "worker"
	}
	f, err := os.Create(fmt.Sprintf("%s.%s.%d", path, role, os.Getpid()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "goserver:", err)
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "goserver:", err)
		return
	}
	process.Get().On("exit", func(int) {
		pprof.StopCPUProfile()
		f.Close()
	})
}

// startMemProfile samples every 512th byte allocated and writes the heap
// profile (its alloc_objects and alloc_space are what the process
// allocated) to PATH.primary.PID or PATH.worker.PID when the process
// exits (BENCH_MEMPROFILE=PATH, inherited by the workers), with the
// runtime's allocation and GC counts on stderr.
func startMemProfile(path string) {
	runtime.MemProfileRate = 512
	role := "primary"
	if cluster.IsWorker {
		role = "worker"
	}
	process.Get().On("exit", func(int) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(os.Stderr, "goserver %s %d: %d allocations, %d bytes, %d GCs\n", role, os.Getpid(), ms.Mallocs, ms.TotalAlloc, ms.NumGC)
		f, err := os.Create(fmt.Sprintf("%s.%s.%d", path, role, os.Getpid()))
		if err != nil {
			fmt.Fprintln(os.Stderr, "goserver:", err)
			return
		}
		pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	})
}

// --- HTTP -----------------------------------------------------------------

// single is the ceiling: one process, net/http on its own listener.
func single(port int) {
	l, err := stdnet.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "goserver:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	hs := &http.Server{Handler: http.HandlerFunc(hello)}
	s := &singleStopper{hs: hs, done: make(chan struct{})}
	go s.wait()
	if err := hs.Serve(l); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "goserver:", err)
		os.Exit(1)
	}
	<-s.done
}

type singleStopper struct {
	hs   *http.Server
	done chan struct{}
}

func (s *singleStopper) wait() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	<-ch
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	s.hs.Shutdown(ctx)
	cancel()
	close(s.done)
}

func primary(n, port, procs int) {
	listening := 0
	cluster.On("listening", func(w *cluster.Worker, addr cluster.Address) {
		listening++
		if listening == n {
			fmt.Println("ready")
		}
	})
	env := map[string]string{"BENCH_MODE": "cluster", "BENCH_PORT": strconv.Itoa(port)}
	if procs > 0 {
		// One P per worker process: the cluster has one process per
		// core, as a Node cluster does (docs/PERFORMANCE.md).
		env["GOMAXPROCS"] = strconv.Itoa(procs)
	}
	for i := 0; i < n; i++ {
		if _, err := cluster.Fork(env); err != nil {
			fmt.Fprintln(os.Stderr, "goserver: fork:", err)
			os.Exit(1)
		}
	}
	stopOnSignal()
}

// serve is a worker: net/http on the cluster server.
func serve(port int) {
	srv := net.CreateServer(nil)
	net.ServeHTTP(srv, &http.Server{Handler: http.HandlerFunc(hello)}, nil)
	srv.On("error", func(err error) {
		fmt.Fprintln(os.Stderr, "goserver worker:", err)
		os.Exit(1)
	})
	if err := srv.Listen(port, "127.0.0.1"); err != nil {
		fmt.Fprintln(os.Stderr, "goserver worker:", err)
		os.Exit(1)
	}
}

// stopOnSignal keeps the primary alive until SIGINT or SIGTERM, then
// disconnects the workers.
func stopOnSignal() {
	l := uv.Default()
	l.Ref()
	w := &signalWaiter{loop: l}
	go w.wait()
}

type signalWaiter struct{ loop *uv.Loop }

func (s *signalWaiter) wait() {
	pprof.Do(context.Background(), pprof.Labels("node.process", "primary", "node.fn", "signals"), s.run)
}

func (s *signalWaiter) run(context.Context) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	<-ch
	signal.Stop(ch)
	s.loop.Post(func() {
		cluster.Disconnect(nil)
		s.loop.Unref()
	})
}

// --- fork → online ----------------------------------------------------------

// forkOnline forks n workers one after the other, timing cluster.fork()
// to the "online" event, and disconnects each before the next.
func forkOnline(n int) {
	var times []time.Duration
	var next func()
	next = func() {
		if len(times) == n {
			us := make([]string, len(times))
			for i, d := range times {
				us[i] = strconv.FormatInt(d.Microseconds(), 10)
			}
			fmt.Println("forkonline_us:", joinSpace(us))
			return
		}
		start := time.Now()
		w, err := cluster.Fork(map[string]string{"BENCH_MODE": "forkonline"})
		if err != nil {
			fmt.Fprintln(os.Stderr, "goserver: fork:", err)
			os.Exit(1)
		}
		online := false
		w.On("online", func() {
			online = true
			times = append(times, time.Since(start))
			w.Disconnect()
		})
		w.On("exit", func(code, sig any) {
			if !online {
				fmt.Fprintf(os.Stderr, "goserver: worker exited (%v, %v) before online\n", code, sig)
				os.Exit(1)
			}
			next()
		})
	}
	next()
}

func joinSpace(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

// --- IPC ----------------------------------------------------------------------

// ipcPrimary forks one worker; once it is online, n round trips
// (worker.send, the worker answers from its "message" listener, the next
// goes from the primary's), then oneway messages sent in a loop, timed
// until the worker reports the last one.
func ipcPrimary(n, oneway int) {
	w, err := cluster.Fork(map[string]string{"BENCH_MODE": "ipc"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "goserver: fork:", err)
		os.Exit(1)
	}
	const warmup = 1000
	next := 0
	var start time.Time
	send := func() {
		if next == warmup {
			start = time.Now()
		}
		w.Send(cluster.NewObject("n", next), nil, nil)
	}
	var onewayStart time.Time
	w.On("message", func(msg any) {
		m, _ := msg.(*cluster.Object)
		if v, ok := m.Number("done"); ok {
			d := time.Since(onewayStart)
			if int(v) != oneway {
				fmt.Fprintf(os.Stderr, "goserver: worker got %v of %d one-way messages\n", v, oneway)
				os.Exit(1)
			}
			fmt.Printf("oneway/s: %.0f\n", float64(oneway)/d.Seconds())
			w.Disconnect()
			return
		}
		if m.Int("n", -1) != next {
			fmt.Fprintf(os.Stderr, "goserver: round trip %d: got %s\n", next, m.JSONString())
			os.Exit(1)
		}
		next++
		if next < warmup+n {
			send()
			return
		}
		fmt.Printf("roundtrips/s: %.0f\n", float64(n)/time.Since(start).Seconds())
		onewayStart = time.Now()
		for i := 0; i < oneway-1; i++ {
			w.Send(cluster.NewObject("o", i), nil, nil)
		}
		w.Send(cluster.NewObject("o", oneway-1, "last", true), nil, nil)
	})
	w.On("online", func() { send() })
}

// ipcWorker answers {n} with the same message and counts {o} messages,
// reporting {done: count} after the one marked last.
func ipcWorker() {
	w := cluster.CurrentWorker()
	count := 0
	w.On("message", func(msg any) {
		m, _ := msg.(*cluster.Object)
		if _, ok := m.Get("o"); ok {
			count++
			if last, _ := m.Bool("last"); last {
				w.Send(cluster.NewObject("done", count), nil, nil)
			}
			return
		}
		w.Send(msg, nil, nil)
	})
}
