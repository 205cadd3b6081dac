package trace

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Event is one step on the path.
type Event struct {
	At      int64 // wall clock, ns: merges the processes' traces in order
	Pid     int
	Process string // "primary" or "worker:<id>"
	Go      string // the Go function, package-qualified: "child.rr"
	JS      string // the JS function it mirrors: "child.js rr"
	Detail  string // what it did: key, index, port, fd
}

// String is the event as one trace line: fields separated by tabs.
func (e Event) String() string {
	return fmt.Sprintf("%d\t%d\t%s\t%s\t%s\t%s", e.At, e.Pid, e.Process, e.Go, e.JS, strings.ReplaceAll(e.Detail, "\n", " "))
}

// Parse reads a line written by String.
func Parse(line string) (Event, error) {
	f := strings.SplitN(line, "\t", 6)
	if len(f) != 6 {
		return Event{}, fmt.Errorf("trace: bad line %q", line)
	}
	at, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return Event{}, fmt.Errorf("trace: bad time in %q", line)
	}
	pid, err := strconv.Atoi(f[1])
	if err != nil {
		return Event{}, fmt.Errorf("trace: bad pid in %q", line)
	}
	return Event{At: at, Pid: pid, Process: f[2], Go: f[3], JS: f[4], Detail: f[5]}, nil
}

// EnvFD names the variable that carries the trace descriptor to a worker;
// EnvPath names a file (or FIFO) the worker opens for appending instead.
const (
	EnvFD   = "NODECLUSTER_TRACE_FD"
	EnvPath = "NODECLUSTER_TRACE_PATH"
)

var (
	// On is true when steps are recorded.
	On bool

	mu      sync.Mutex
	hook    func(Event)
	out     *os.File
	process = "primary"
)

func init() {
	if v := os.Getenv(EnvFD); v != "" {
		if fd, err := strconv.Atoi(v); err == nil {
			out = os.NewFile(uintptr(fd), "trace")
			On = true
		}
	} else if p := os.Getenv(EnvPath); p != "" {
		if f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
			out = f
			On = true
		}
	}
	os.Unsetenv(EnvFD)
	os.Unsetenv(EnvPath)
}

// SetHook sends the steps of this process to fn (nil turns it off, unless
// a trace descriptor is open).
func SetHook(fn func(Event)) {
	mu.Lock()
	hook = fn
	On = fn != nil || out != nil
	mu.Unlock()
}

// SetProcess names this process in later events ("worker:1").
func SetProcess(name string) {
	mu.Lock()
	process = name
	mu.Unlock()
}

// Step records one step when tracing is on.
func Step(goFn, jsFn, format string, args ...any) {
	if !On {
		return
	}
	e := Event{At: time.Now().UnixNano(), Pid: os.Getpid(), Go: goFn, JS: jsFn, Detail: fmt.Sprintf(format, args...)}
	mu.Lock()
	e.Process = process
	h, o := hook, out
	mu.Unlock()
	if h != nil {
		h(e)
	}
	if o != nil {
		o.WriteString(e.String() + "\n")
	}
}
