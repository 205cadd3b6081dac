package net_test

import (
	"fmt"
	"io"
	stdnet "net"
	"net/http"
	"strconv"

	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
)

// dial connects to 127.0.0.1:port and reads until the server ends the
// connection. It runs on a goroutine of its own: the loop must not block.
func dial(port int) string {
	c, err := stdnet.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	b, err := io.ReadAll(c)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// dialTo sends what dial read to reply.
func dialTo(port int, reply chan<- string) { reply <- dial(port) }

// A server in the primary (a process that was not forked by cluster)
// binds the port itself: listenInCluster calls _listen2 at once. It
// serves one connection and closes; the loop then has nothing left to do.
//
// A program would run its main function with cluster.Run, which runs the
// event loop and then exits the process; an example has to return, so it
// runs the loop with process.RunMain, as the tests do.
func ExampleCreateServer() {
	reply := make(chan string, 1)
	process.RunMain(func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			fmt.Println("connection from", s.RemoteAddress())
			s.End([]byte("hello\n"))
			srv.Close(nil) // stop listening; "close" follows once s has closed
		})
		srv.On("close", func() { fmt.Println("server closed") })
		srv.Listen(0, "127.0.0.1", func() {
			addr := srv.Address()
			fmt.Println("listening on", addr.Address, addr.Family)
			go dialTo(addr.Port, reply)
		})
	})
	fmt.Printf("client read %q\n", <-reply)
	// Output:
	// listening on 127.0.0.1 IPv4
	// connection from 127.0.0.1
	// server closed
	// client read "hello\n"
}

// Listen takes Node's argument forms. With only a port (here 0: any free
// one) the server listens on every address (:: when the host has IPv6,
// else 0.0.0.0), as Node's listen(0) does; the callback is a "listening"
// listener. Errors Node throws before binding come back from Listen
// itself, as *net.Error values with Node's codes.
func ExampleServer_Listen() {
	process.RunMain(func() {
		srv := net.CreateServer(nil)
		err := srv.Listen(0, func() {
			addr := srv.Address()
			every := addr.Address == "::" || addr.Address == "0.0.0.0"
			fmt.Println("listening on every address:", every, "on a free port:", addr.Port > 0)
			srv.Close(nil)
		})
		fmt.Println("Listen(0, cb):", err)

		bad := net.CreateServer(nil)
		err = bad.Listen(65536)
		fmt.Println("Listen(65536):", err.(*net.Error).Code)
		err = bad.Listen(net.ListenOptions{})
		fmt.Println("Listen(ListenOptions{}):", err.(*net.Error).Code)
	})
	// Output:
	// Listen(0, cb): <nil>
	// Listen(65536): ERR_SOCKET_BAD_PORT
	// Listen(ListenOptions{}): ERR_INVALID_ARG_VALUE
	// listening on every address: true on a free port: true
}

// ServeHTTP serves a net/http handler on a cluster server: here the
// primary's own, in a worker the faux handle whose connections the primary
// hands over (see the cluster package's examples). Closing the cluster
// server shuts the http.Server down gracefully.
func ExampleServeHTTP() {
	loop := uv.Default()
	got := make(chan string, 1)
	process.RunMain(func() {
		srv := net.CreateServer(nil)
		mux := http.NewServeMux()
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello from %s %s", r.Method, r.URL.Path)
		})
		net.ServeHTTP(srv, &http.Server{Handler: mux}, func(err error) {
			fmt.Println("Serve returned", err)
		})
		srv.Listen(0, "127.0.0.1", func() {
			url := "http://127.0.0.1:" + strconv.Itoa(srv.Address().Port) + "/hi"
			loop.Ref() // the client will post back to the loop
			go get(loop, url, got, func() { srv.Close(nil) })
		})
	})
	fmt.Println(<-got)
	// Output:
	// Serve returned <nil>
	// 200 hello from GET /hi
}

// get fetches url, hands the result to got, and runs then on the loop.
func get(loop *uv.Loop, url string, got chan<- string, then func()) {
	res, err := http.Get(url)
	if err != nil {
		got <- err.Error()
	} else {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got <- strconv.Itoa(res.StatusCode) + " " + string(b)
	}
	loop.Post(func() { loop.Unref(); then() })
}

// The client side: Connect connects (looking a host name up first, with
// "lookup"), and the socket emits "connect" and "ready"; writes made
// before the connect wait for it.
// Here the client and the server share the process's loop, as a Node
// program's would.
func ExampleConnect() {
	process.RunMain(func() {
		var srv *net.Server
		srv = net.CreateServer(func(s *net.Socket) {
			s.On("data", func(b []byte) { s.End(append([]byte("echo: "), b...)) })
		})
		srv.Listen(0, "127.0.0.1", func() {
			c, err := net.Connect(srv.Address().Port, "127.0.0.1")
			if err != nil {
				fmt.Println(err)
				return
			}
			c.On("connect", func() { fmt.Println("connected to", c.RemoteAddress()) })
			c.On("data", func(b []byte) { fmt.Printf("read %q\n", b) })
			c.On("close", func(hadError bool) {
				fmt.Println("closed, error:", hadError)
				srv.Close(nil)
			})
			c.Write([]byte("hi"), nil) // waits for the connect
			c.End(nil)
		})
	})
	// Output:
	// connected to 127.0.0.1
	// read "echo: hi"
	// closed, error: false
}
