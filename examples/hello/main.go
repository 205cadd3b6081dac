// Command hello is the article's cluster, runnable: run plainly, it is a
// primary that forks -workers N copies of itself; each worker serves HTTP
// on -port P through the cluster and answers
// "hello from worker <id> pid <pid>". The primary stops on SIGINT or
// SIGTERM and takes its workers with it.
//
//	go run ./examples/hello -workers 2 -port 8000
//	curl localhost:8000
//
// Flags fall back to $WORKERS and $PORT (a Node primary that forks this
// binary passes its script path as the first argument, so workers take
// their settings from the environment too).
//
// With -exec PROGRAM [args...] the primary forks that program instead of
// itself, with argv [PROGRAM, args...] as Node builds it
// ([execPath, ...execArgv, exec, ...args]), for instance Node workers:
//
//	go run ./examples/hello -port 8000 -exec node examples/hello/worker.js
//
// and examples/hello/primary.js is a Node primary that forks this binary.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"context"

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
	fs := flag.NewFlagSet("hello", flag.ContinueOnError)
	workers := fs.Int("workers", envInt("WORKERS", 2), "number of workers")
	port := fs.Int("port", envInt("PORT", 8000), "port to serve on")
	execProg := fs.String("exec", "", "fork this `program` (followed by its arguments) instead of this binary")
	if cluster.IsPrimary {
		if err := fs.Parse(os.Args[1:]); err != nil {
			os.Exit(2)
		}
	} else {
		fs.Parse(os.Args[1:]) // a Node primary may pass a script path: ignore what is not a flag
	}
	cluster.Run(func() {
		if cluster.IsPrimary {
			if *execProg != "" {
				setupExec(*execProg, fs.Args())
			}
			primary(*workers, *port)
		} else {
			serve(*port)
		}
	})
}

// setupExec points the cluster at another program: its first argument
// becomes Node's exec (the script), the rest its args.
func setupExec(program string, args []string) {
	s := &cluster.Settings{ExecPath: program, Args: []string{}}
	if len(args) > 0 {
		s.Exec = args[0]
		s.Args = args[1:]
	}
	if err := cluster.SetupPrimary(s); err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		os.Exit(1)
	}
}

func primary(n, port int) {
	fmt.Printf("primary %d: forking %d workers for port %d\n", os.Getpid(), n, port)
	cluster.On("listening", func(w *cluster.Worker, addr cluster.Address) {
		fmt.Printf("worker %d (pid %d) listening on port %d\n", w.ID, w.Process.GetPid(), addr.Port)
	})
	cluster.On("exit", func(w *cluster.Worker, code any, sig any) {
		fmt.Printf("worker %d exited (%v, %v)\n", w.ID, code, sig)
	})
	for i := 0; i < n; i++ {
		if _, err := cluster.Fork(map[string]string{"PORT": strconv.Itoa(port), "WORKERS": strconv.Itoa(n)}); err != nil {
			fmt.Fprintln(os.Stderr, "fork:", err)
			os.Exit(1)
		}
	}
	cluster.Ref() // released when the signal arrives
	w := &signalWaiter{}
	go w.wait()
}

// signalWaiter turns SIGINT/SIGTERM into a clean stop on the loop. Only
// the primary installs it: a worker that caught SIGTERM would change what
// worker.kill() reports.
type signalWaiter struct{}

func (s *signalWaiter) wait() {
	pprof.Do(context.Background(), pprof.Labels("node.process", "primary", "node.fn", "signals"), s.run)
}

func (s *signalWaiter) run(context.Context) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	sig := <-ch
	signal.Stop(ch)
	cluster.Post(func() {
		fmt.Printf("primary: %v, disconnecting workers\n", sig)
		cluster.Disconnect(func() { fmt.Println("primary: all workers gone") })
		cluster.Unref()
	})
}

func serve(port int) {
	id := cluster.CurrentWorker().ID
	body := fmt.Sprintf("hello from worker %d pid %d\n", id, os.Getpid())
	resp := []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body))
	srv := net.CreateServer(func(s *net.Socket) {
		var req []byte
		s.On("data", func(b []byte) {
			req = append(req, b...)
			if strings.Contains(string(req), "\r\n\r\n") {
				s.End(resp)
			}
		})
	})
	srv.On("error", func(err error) {
		fmt.Fprintf(os.Stderr, "worker %d: %v\n", id, err)
		os.Exit(1)
	})
	if err := srv.Listen(port); err != nil {
		fmt.Fprintf(os.Stderr, "worker %d: %v\n", id, err)
		os.Exit(1)
	}
}
