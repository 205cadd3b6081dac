// Command tcp-proxy is a clustered TCP proxy: the primary forks -workers N
// copies of itself, and each worker accepts connections on -port P
// through the cluster (round-robin: the primary accepts, a worker gets
// the descriptor) and joins each to a new connection to -upstream
// HOST:PORT with two pipes, one each way, as a Node proxy is written:
//
//	client.pipe(upstream); upstream.pipe(client)
//
//	go run ./examples/tcp-proxy -workers 2 -port 9000 -upstream 127.0.0.1:7
//
// The upstream must be running: 127.0.0.1:7 is the echo service, which
// few machines run nowadays; a Node one for the purpose:
//
//	node -e "require('net').createServer({allowHalfOpen: true}, (s) => s.pipe(s)).listen(7007)"
//
// and -upstream 127.0.0.1:7007.
//
// Both sides allow half-open connections: when the client ends its side,
// the pipe ends the upstream's, and the upstream's answer still flows
// back until the upstream ends in turn (with Node's default, a socket
// whose peer ends ends its own side on the next tick, cutting the answer
// short). An error on either side destroys both. proxy.js is the same
// program for Node.
package main

import (
	"context"
	"flag"
	"fmt"
	stdnet "net"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"syscall"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/net"
)

func main() {
	fs := flag.NewFlagSet("tcp-proxy", flag.ExitOnError)
	workers := fs.Int("workers", 2, "number of workers")
	port := fs.Int("port", 9000, "port to accept on")
	upstream := fs.String("upstream", "127.0.0.1:7", "`host:port` to forward to")
	fs.Parse(os.Args[1:])
	host, up, err := stdnet.SplitHostPort(*upstream)
	upPort, perr := strconv.Atoi(up)
	if err != nil || perr != nil {
		fmt.Fprintf(os.Stderr, "-upstream %q: want host:port\n", *upstream)
		os.Exit(2)
	}
	cluster.Run(func() {
		if cluster.IsPrimary {
			primary(*workers)
		} else {
			serve(*port, host, upPort)
		}
	})
}

// primary forks the workers (they take the flags the primary was given:
// a fork runs this program with the same arguments) and stops them on
// SIGINT or SIGTERM.
func primary(n int) {
	cluster.On("listening", func(w *cluster.Worker, addr cluster.Address) {
		fmt.Printf("worker %d listening on port %d\n", w.ID, addr.Port)
	})
	for i := 0; i < n; i++ {
		if _, err := cluster.Fork(nil); err != nil {
			fmt.Fprintln(os.Stderr, "fork:", err)
			os.Exit(1)
		}
	}
	cluster.Ref() // released when the signal arrives
	go waitForSignal()
}

// waitForSignal turns SIGINT/SIGTERM into cluster.Disconnect on the loop.
func waitForSignal() {
	pprof.Do(context.Background(), pprof.Labels("node.process", "primary", "node.fn", "signals"), func(context.Context) {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
		<-ch
		signal.Stop(ch)
		cluster.Post(func() {
			cluster.Disconnect(func() { fmt.Println("primary: all workers gone") })
			cluster.Unref()
		})
	})
}

// serve is a worker: each connection handed over gets its own upstream
// connection and two pipes.
func serve(port int, host string, upPort int) {
	id := cluster.CurrentWorker().ID
	srv := net.NewServer(net.ServerOptions{AllowHalfOpen: true}, func(client *net.Socket) {
		upstream, err := net.Connect(net.ConnectOptions{Port: upPort, Host: host, AllowHalfOpen: true})
		if err != nil {
			client.Destroy(nil)
			return
		}
		client.Pipe(upstream)
		upstream.Pipe(client)
		client.On("error", func(error) { upstream.Destroy(nil) })
		upstream.On("error", func(error) { client.Destroy(nil) })
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
