package cluster_test

// The examples fork real workers. cluster.Fork re-executes this test
// binary with NODE_UNIQUE_ID set; TestMain sees exampleWorkerEnv and runs
// the worker program the example asked for, instead of the tests.

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
)

// exampleWorkerEnv names the worker program a forked example runs.
const exampleWorkerEnv = "NODECLUSTER_EXAMPLE_WORKER"

// workers are the worker programs, each what a program's main function
// would pass to cluster.Run when cluster.IsWorker.
var workers = map[string]func(){
	"idle": func() {},
	"echo": echoWorker,
	"http": httpWorker,
	"back": backWorker,
}

func TestMain(m *testing.M) {
	if name := os.Getenv(exampleWorkerEnv); name != "" && cluster.IsWorker {
		main, ok := workers[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "no example worker %q\n", name)
			os.Exit(2)
		}
		cluster.Run(main) // does not return
	}
	os.Exit(m.Run())
}

// Fork starts a worker process; "online" arrives when the worker has set
// itself up and said so over the IPC channel. A worker stays alive while
// its channel is open, even with nothing to do, as a Node worker does;
// Disconnect closes the channel, and "exit" follows when it has ended.
//
// A program runs its main function with cluster.Run, which then runs the
// event loop and exits the process; an example has to return, so the
// primary's side runs with process.RunMain, as the tests do.
func ExampleFork() {
	process.RunMain(func() {
		w, err := cluster.Fork(map[string]string{exampleWorkerEnv: "idle"})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("forked, state", w.State)
		w.On("online", func() {
			fmt.Println("online, state", w.State)
			w.Disconnect()
		})
		w.On("exit", func(code, signal any) {
			fmt.Println("exit code", code, "signal", signal, "state", w.State)
		})
	})
	// Output:
	// forked, state none
	// online, state online
	// exit code 0 signal <nil> state dead
}

// echoWorker answers every message from the primary with what it got.
func echoWorker() {
	w := cluster.CurrentWorker()
	w.On("message", func(msg, _ any) {
		o := msg.(*cluster.Object)
		text, _ := o.String("text")
		w.Send(cluster.NewObject("echo", text, "from", "worker"), nil, nil)
	})
}

// Worker.Send sends a message over the worker's IPC channel (one JSON
// line; an *Object keeps its keys in the order given). The worker
// receives it as a "message" on its own cluster.CurrentWorker() and
// answers with its own Send; the primary gets the answer as "message" on
// the Worker. Disconnect then closes the channel and the worker exits.
func ExampleWorker_Send() {
	process.RunMain(func() {
		w, err := cluster.Fork(map[string]string{exampleWorkerEnv: "echo"})
		if err != nil {
			fmt.Println(err)
			return
		}
		w.On("online", func() {
			w.Send(cluster.NewObject("text", "hello"), nil, nil)
		})
		w.On("message", func(msg, _ any) {
			fmt.Println("primary got", msg.(*cluster.Object).JSONString())
			w.Disconnect()
		})
		w.On("exit", func(code, _ any) {
			fmt.Println("exit code", code, "after disconnect", *w.ExitedAfterDisconnect)
		})
	})
	// Output:
	// primary got {"echo":"hello","from":"worker"}
	// exit code 0 after disconnect true
}

// backWorker sends every message back as it came.
func backWorker() {
	w := cluster.CurrentWorker()
	w.On("message", func(msg, _ any) { w.Send(cluster.NewObject("back", msg), nil, nil) })
}

// With Serialization "advanced" the channel carries what V8's structured
// clone does, as Node's does with cluster.settings.serialization =
// 'advanced': Maps, Sets, Dates, BigInts, Buffers ([]byte), undefined,
// cycles and more, which JSON cannot. The workers forked after it speak
// it too (a Go or a Node worker).
func ExampleSettings_advanced() {
	process.RunMain(func() {
		cluster.SetupPrimary(&cluster.Settings{Serialization: "advanced"})
		defer cluster.SetupPrimary(&cluster.Settings{Serialization: "json"})
		w, err := cluster.Fork(map[string]string{exampleWorkerEnv: "back"})
		if err != nil {
			fmt.Println(err)
			return
		}
		self := cluster.NewObject("name", "self")
		self.Set("self", self)
		w.Send(cluster.NewObject(
			"visits", cluster.NewMap("home", 3),
			"tags", cluster.NewSet("a", "b"),
			"when", &cluster.Date{Ms: 86400000},
			"big", cluster.NewBigInt(1<<62),
			"raw", []byte("hi"),
			"missing", cluster.Undefined,
			"self", self,
		), nil, nil)
		w.On("message", func(msg, _ any) {
			m := msg.(*cluster.Object).Object("back")
			visits, _ := m.Value("visits").(*cluster.Map).Get("home")
			fmt.Println("visits", visits)
			fmt.Println("tagged b", m.Value("tags").(*cluster.Set).Has("b"))
			fmt.Println("when", m.Value("when").(*cluster.Date).Time())
			fmt.Println("big", m.Value("big"))
			fmt.Printf("raw %q\n", m.Value("raw"))
			v, ok := m.Get("missing")
			fmt.Println("missing", v, ok)
			s := m.Object("self")
			fmt.Println("cycle kept", s.Object("self") == s)
			w.Disconnect()
		})
	})
	// Output:
	// visits 3
	// tagged b true
	// when 1970-01-02 00:00:00 +0000 UTC
	// big 4611686018427387904
	// raw "hi"
	// missing undefined true
	// cycle kept true
}

// httpWorker serves net/http on the cluster: its server listens through
// the primary (the round-robin faux handle), and net.ServeHTTP takes the
// connections the primary hands over.
func httpWorker() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from a worker: %s %s", r.Method, r.URL.Path)
	})
	srv := net.CreateServer(nil)
	net.ServeHTTP(srv, &http.Server{Handler: mux}, nil)
	srv.Listen(0, "127.0.0.1")
}

// A worker serves net/http with net.ServeHTTP: the worker's listen goes
// through the primary, which binds the port and passes each connection to
// a worker over the IPC channel; the http.Server in the worker serves it.
// The worker's Disconnect closes its server, which shuts the http.Server
// down gracefully, and the worker exits.
func ExampleFork_serveHTTP() {
	loop := uv.Default()
	got := make(chan string, 1)
	process.RunMain(func() {
		w, err := cluster.Fork(map[string]string{exampleWorkerEnv: "http"})
		if err != nil {
			fmt.Println(err)
			return
		}
		w.On("listening", func(addr cluster.Address) {
			fmt.Println("worker listening on", addr.Address)
			url := "http://127.0.0.1:" + strconv.Itoa(addr.Port) + "/hi"
			loop.Ref() // the client will post back to the loop
			go get(loop, url, got, func() { w.Disconnect() })
		})
		w.On("exit", func(code, _ any) { fmt.Println("exit code", code) })
	})
	fmt.Println(<-got)
	// Output:
	// worker listening on 127.0.0.1
	// exit code 0
	// 200 hello from a worker: GET /hi
}

// get fetches url, hands the result to got, and runs then on the loop.
func get(loop *uv.Loop, url string, got chan<- string, then func()) {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Get(url)
	if err != nil {
		got <- err.Error()
	} else {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got <- strconv.Itoa(res.StatusCode) + " " + string(b)
	}
	loop.Post(func() { loop.Unref(); then() })
}
