// Command http-cluster is a complete clustered HTTP service on the port,
// written the way a Node user writes one with the cluster module:
//
//   - the primary forks -workers workers (default: one per CPU) and does no
//     HTTP itself;
//   - each worker serves a standard net/http server on the shared port
//     (net.CreateServer + net.ServeHTTP): the primary hands it connections
//     round-robin, or the workers accept on the shared socket when
//     NODE_CLUSTER_SCHED_POLICY=none;
//   - a worker that dies without being asked to (a crash, a kill -9) is
//     replaced, from a cluster.On("exit") listener, unless the service is
//     shutting down;
//   - SIGHUP to the primary replaces the workers one at a time without
//     dropping a request (a rolling restart, as Node users write one):
//     a new worker is forked, and once it listens the old one is
//     disconnected; it finishes its requests in flight and exits, and
//     the next old worker is replaced. A new binary installed at the same
//     path is what the new workers run;
//   - SIGTERM or SIGINT to the primary stops the service gracefully:
//     cluster.Disconnect closes every worker's server, requests in flight
//     finish, idle keep-alive connections close, each worker exits once
//     its last connection is gone, and then the primary exits 0. A worker
//     that takes longer than -grace is killed.
//
// It imports only the port's public packages, cluster and net (timers,
// cluster.Post and the process object included), as a program outside this
// module must.
//
// Routes:
//
//	GET /          hello from worker <id> pid <pid>
//	GET /health    {"status":"ok","worker":<id>,"pid":<pid>}
//	GET /slow      answers after ?ms= milliseconds (default 1000, at most 60000)
//
// Run it:
//
//	go run ./examples/http-cluster -workers 2 -port 8000
//	curl localhost:8000/            # hello from worker 1 pid ...
//	kill -9 <a worker's pid>        # the primary forks a replacement
//	kill -HUP <the primary's pid>   # rolling restart
//	kill <the primary's pid>        # graceful stop
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/net"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func main() {
	fs := flag.NewFlagSet("http-cluster", flag.ExitOnError)
	workers := fs.Int("workers", envInt("WORKERS", runtime.NumCPU()), "number of workers")
	port := fs.Int("port", envInt("PORT", 8000), "port to serve on")
	host := fs.String("host", "127.0.0.1", "address to listen on")
	grace := fs.Duration("grace", 30*time.Second, "how long a graceful stop may take before the workers are killed")
	if cluster.IsPrimary {
		fs.Parse(os.Args[1:])
	}
	// Workers get their settings from the environment the primary sets.
	cluster.Run(func() {
		if cluster.IsPrimary {
			env := map[string]string{"PORT": strconv.Itoa(*port), "HOST": *host}
			if os.Getenv("GOMAXPROCS") == "" {
				// One worker per core, each with one P, as a Node cluster
				// has one JS thread per worker: fewer threads waking each
				// other per connection (docs/PERFORMANCE.md).
				env["GOMAXPROCS"] = "1"
			}
			p := &primary{workers: *workers, env: env, grace: *grace}
			p.start()
			return
		}
		serve(os.Getenv("HOST"), envInt("PORT", 8000))
	})
}

// --- the primary ---------------------------------------------------------

type primary struct {
	workers      int
	env          map[string]string
	grace        time.Duration
	shuttingDown bool
	restarting   bool
}

func (p *primary) start() {
	fmt.Printf("primary %d: starting %d workers on %s:%s\n", os.Getpid(), p.workers, p.env["HOST"], p.env["PORT"])
	cluster.On("listening", func(w *cluster.Worker, addr cluster.Address) {
		fmt.Printf("worker %d (pid %d) listening on port %d\n", w.ID, w.Process.GetPid(), addr.Port)
	})
	// Respawn, as in Node:
	//   cluster.on('exit', (worker, code, signal) => {
	//     if (!shuttingDown && !worker.exitedAfterDisconnect) cluster.fork();
	//   });
	cluster.On("exit", func(w *cluster.Worker, code any, sig any) {
		if p.shuttingDown || (w.ExitedAfterDisconnect != nil && *w.ExitedAfterDisconnect) {
			fmt.Printf("worker %d (pid %d) exited (code %v, signal %v)\n", w.ID, w.Process.GetPid(), code, sig)
			return
		}
		fmt.Printf("worker %d (pid %d) died (code %v, signal %v): starting a new one\n", w.ID, w.Process.GetPid(), code, sig)
		p.fork()
	})
	for i := 0; i < p.workers; i++ {
		p.fork()
	}
	cluster.Ref() // released once a signal has stopped the service
	s := &signalWaiter{p: p}
	go s.wait()
}

func (p *primary) fork() *cluster.Worker {
	w, err := cluster.Fork(p.env)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fork:", err)
		os.Exit(1)
	}
	return w
}

// restart runs on the loop when SIGHUP arrives: the workers of the moment
// are replaced one after the other (replace), so that all but one of them
// serve throughout, and a new one serves before an old one stops.
func (p *primary) restart() {
	if p.shuttingDown || p.restarting {
		fmt.Println("primary: SIGHUP ignored (stopping or restarting already)")
		return
	}
	var old []*cluster.Worker
	for _, w := range cluster.Workers() {
		old = append(old, w)
	}
	sort.Slice(old, func(i, j int) bool { return old[i].ID < old[j].ID })
	p.restarting = true
	fmt.Printf("primary: SIGHUP, replacing %d workers one at a time\n", len(old))
	p.replace(old)
}

// replace forks a successor for old[0] and, once the successor listens,
// disconnects old[0]: its server stops taking connections, its requests in
// flight finish, and it exits (killed if that takes longer than the
// grace). Its exit moves on to the rest.
func (p *primary) replace(old []*cluster.Worker) {
	for len(old) > 0 && old[0].IsDead() {
		old = old[1:] // died meanwhile, and was replaced by the exit listener
	}
	if p.shuttingDown || len(old) == 0 {
		p.restarting = false
		if !p.shuttingDown {
			fmt.Println("primary: restart done")
		}
		return
	}
	prev, next := old[0], p.fork()
	started := false
	next.Once("exit", func() {
		if !started && !p.shuttingDown {
			fmt.Printf("primary: restart stopped: worker %d died before it listened\n", next.ID)
			p.restarting = false
		}
	})
	next.Once("listening", func() {
		started = true
		if p.shuttingDown {
			return
		}
		fmt.Printf("primary: worker %d serves, disconnecting worker %d\n", next.ID, prev.ID)
		kill := cluster.SetTimeout(p.grace, func() { prev.Process.Kill("SIGKILL") })
		kill.Unref()
		prev.Once("exit", func() {
			kill.Stop()
			p.replace(old[1:])
		})
		prev.Disconnect()
	})
}

// stop runs on the loop when SIGTERM or SIGINT arrives: no more respawns,
// every worker disconnected, and a deadline after which the stragglers
// are killed.
func (p *primary) stop(sig os.Signal) {
	if p.shuttingDown {
		return
	}
	p.shuttingDown = true
	fmt.Printf("primary: %v, stopping gracefully\n", sig)
	deadline := cluster.SetTimeout(p.grace, func() {
		fmt.Printf("primary: workers still running after %v: killing them\n", p.grace)
		for _, w := range cluster.Workers() {
			w.Process.Kill("SIGKILL")
		}
	})
	deadline.Unref() // it must not keep the primary alive by itself
	cluster.Disconnect(func() {
		deadline.Stop()
		fmt.Println("primary: all workers gone")
	})
	cluster.Unref()
}

// signalWaiter turns SIGINT/SIGTERM into a graceful stop on the loop. Only
// the primary installs it: the workers stop when the primary disconnects
// them (a worker that caught SIGTERM itself would change what
// worker.kill() reports).
type signalWaiter struct {
	p *primary
}

func (s *signalWaiter) wait() {
	pprof.Do(context.Background(), pprof.Labels("node.process", "primary", "node.fn", "signals"), s.run)
}

func (s *signalWaiter) run(context.Context) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	for sig := range ch {
		if sig == syscall.SIGHUP {
			cluster.Post(s.p.restart)
			continue
		}
		cluster.Post(func() { s.p.stop(sig) })
		break
	}
	// A second signal while stopping is ignored: the grace deadline
	// handles workers that do not finish.
	for range ch {
	}
}

// --- a worker ----------------------------------------------------------------

func serve(host string, port int) {
	w := cluster.CurrentWorker()
	id, pid := w.ID, os.Getpid()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(rw, "hello from worker %d pid %d\n", id, pid)
	})
	mux.HandleFunc("GET /health", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		// A struct, not a map: its keys go in the order the package doc shows.
		json.NewEncoder(rw).Encode(struct {
			Status string `json:"status"`
			Worker int    `json:"worker"`
			Pid    int    `json:"pid"`
		}{"ok", id, pid})
	})
	mux.HandleFunc("GET /slow", func(rw http.ResponseWriter, r *http.Request) {
		ms := 1000
		if v, err := strconv.Atoi(r.URL.Query().Get("ms")); err == nil && v >= 0 && v <= 60000 {
			ms = v
		}
		fmt.Printf("worker %d: slow request started (%d ms)\n", id, ms)
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		fmt.Fprintf(rw, "slow done by worker %d after %d ms\n", id, ms)
	})
	srv := net.CreateServer(nil)
	net.ServeHTTP(srv, &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, func(err error) {
		if err != nil {
			fmt.Fprintf(os.Stderr, "worker %d: serve: %v\n", id, err)
		}
	})
	srv.On("error", func(err error) {
		fmt.Fprintf(os.Stderr, "worker %d: %v\n", id, err)
		os.Exit(1)
	})
	if err := srv.Listen(port, host); err != nil {
		fmt.Fprintf(os.Stderr, "worker %d: %v\n", id, err)
		os.Exit(1)
	}
}
