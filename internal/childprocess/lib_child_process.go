package childprocess

// This file mirrors lib/child_process.js (fork and _forkChild). Its JS
// base name, child_process.js, is taken by lib/internal/child_process.js
// in this package, hence "lib_".

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/nodecluster/nodecluster/internal/jsfmt"
	"github.com/nodecluster/nodecluster/internal/uv"
	"golang.org/x/sys/unix"
)

// ForkOptions are the options of child_process.fork that cluster passes.
type ForkOptions struct {
	// ExecPath is the program to run (Node: process.execPath).
	ExecPath string
	// ExecArgv go before the module path (Node: process.execArgv).
	ExecArgv []string
	Cwd      string
	// Env is the whole environment, as "K=V" strings.
	Env []string
	// Silent gives the child pipes for stdin, stdout and stderr instead of
	// the parent's own (Node's 'pipe' stdio); the parent's ends are
	// ChildProcess.Stdin, Stdout and Stderr.
	Silent bool
	// Stdio is Node's stdio array: entry i chooses the child's fd i,
	// "pipe", "inherit", "ignore" or "ipc" (the channel, on that fd; at
	// most one), and "" is JS's undefined: a pipe for fds 0 to 2,
	// "ignore" above; an array shorter than three is filled so. It
	// overrides Silent. A "pipe" is a socketpair, both ways, as libuv
	// makes it; "ignore" is /dev/null for fds 0 to 2 and leaves a higher
	// fd closed; "inherit" passes the parent's fd of that number.
	//
	// DEVIATION(shape): Node requires an "ipc" entry
	// (ERR_CHILD_PROCESS_IPC_REQUIRED); here a Stdio of at most three
	// entries without one is taken as fds 0-2 with the channel on fd 3.
	Stdio []string
	// UID and GID run the child as that user and group (each an int32,
	// else ERR_INVALID_ARG_TYPE).
	//
	// DEVIATION(shape): libuv changes to Cwd before it changes the uid
	// and gid; Go's os.StartProcess changes them first, so a Cwd that only
	// the parent's user may enter (a root primary's private directory,
	// mode 700) fails the spawn with EACCES for a child given another
	// uid, where Node's child starts there.
	UID *int
	GID *int
	// Serialization is how messages go on the channel: "json" (the
	// default when empty) or "advanced"; anything else is
	// ERR_INVALID_ARG_VALUE.
	Serialization string
	// Label names the child's waiter goroutine for pprof.
	Label string
}

// Fork starts modulePath under ExecPath with an IPC channel on fd 3, or
// on the fd of Stdio's "ipc" entry: argv is [execPath, ...execArgv,
// modulePath, ...args] (modulePath left out when empty, the Go case where
// the binary is the program), and the child gets NODE_CHANNEL_FD (that
// fd) and NODE_CHANNEL_SERIALIZATION_MODE=json, or =advanced with
// Serialization "advanced" (V8's serializer on the channel, both ways).
//
// Mirrors lib/child_process.js fork().
func Fork(l *uv.Loop, modulePath string, args []string, opts ForkOptions) (*ChildProcess, error) {
	serialization := opts.Serialization
	switch serialization {
	case "":
		serialization = "json"
	case "json", "advanced":
	default:
		return nil, &ErrnoError{Code: "ERR_INVALID_ARG_VALUE", Message: "The property 'options.serialization' must be one of: undefined, 'json', 'advanced'. Received '" + serialization + "'"}
	}
	argv := []string{opts.ExecPath}
	argv = append(argv, opts.ExecArgv...)
	if modulePath != "" {
		argv = append(argv, modulePath)
	}
	argv = append(argv, args...)
	if err := validateSpawnOptions(argv[1:], opts); err != nil {
		return nil, err
	}
	file := opts.ExecPath
	if !strings.Contains(file, "/") {
		// Like libuv's uv_spawn (execvpe), a bare name is looked up in
		// the child's PATH.
		p, ok := lookPath(file, opts.Env)
		if !ok {
			return nil, spawnError(opts.ExecPath, unix.ENOENT)
		}
		file = p
	}
	stdio := opts.Stdio
	if stdio == nil && opts.Silent {
		stdio = []string{"pipe", "pipe", "pipe"}
	}
	if stdio != nil {
		// Node's stdio array is at least three long, and an entry left
		// undefined ("" here) is a pipe for fds 0 to 2, "ignore" above.
		stdio = append([]string(nil), stdio...)
		for len(stdio) < 3 {
			stdio = append(stdio, "")
		}
		for i, kind := range stdio {
			if kind == "" && i < 3 {
				stdio[i] = "pipe"
			} else if kind == "" {
				stdio[i] = "ignore"
			}
		}
	}
	ipcFd := 3
	switch n := countOf(stdio, "ipc"); {
	case n > 1:
		return nil, &ErrnoError{Code: "ERR_IPC_ONE_PIPE", Message: "Child process can have only one IPC pipe"}
	case n == 1:
		ipcFd = slices.Index(stdio, "ipc")
	case len(stdio) > 3:
		return nil, &ErrnoError{Code: "ERR_CHILD_PROCESS_IPC_REQUIRED", Message: "Forked processes must have an IPC channel, missing value 'ipc' in options.stdio"}
	}
	env := append(append([]string(nil), opts.Env...), "NODE_CHANNEL_FD="+strconv.Itoa(ipcFd), "NODE_CHANNEL_SERIALIZATION_MODE="+serialization)

	parentFd, childFd, err := uv.Socketpair()
	if err != nil {
		return nil, err
	}
	childFile := os.NewFile(uintptr(childFd), "ipc")
	defer childFile.Close()

	files := make([]*os.File, max(3, len(stdio), ipcFd+1))
	copy(files, []*os.File{os.Stdin, os.Stdout, os.Stderr})
	files[ipcFd] = childFile
	parentEnds := make([]*os.File, len(files))
	var childEnds []*os.File
	defer func() {
		for _, f := range childEnds {
			f.Close() // the child's ends: the child has them now
		}
	}()
	fail := func(err error) (*ChildProcess, error) {
		unix.Close(parentFd)
		for _, f := range parentEnds {
			if f != nil {
				f.Close()
			}
		}
		return nil, err
	}
	for i, kind := range stdio {
		if i == ipcFd {
			continue
		}
		switch {
		case kind == "inherit":
			if i < 3 {
				break
			}
			// The parent's own fd i, through a copy that the parent's
			// os.File (and its finalizer) may close.
			dup, derr := unix.FcntlInt(uintptr(i), unix.F_DUPFD_CLOEXEC, 0)
			if derr != nil {
				return fail(spawnError(opts.ExecPath, unix.EBADF))
			}
			files[i] = os.NewFile(uintptr(dup), "inherit")
			childEnds = append(childEnds, files[i])
		case kind == "ignore":
			if i >= 3 {
				files[i] = nil // left closed, as libuv leaves it
				break
			}
			mode := os.O_RDWR
			if i == 0 {
				mode = os.O_RDONLY // as libuv opens it for stdin
			}
			null, nerr := os.OpenFile(os.DevNull, mode, 0)
			if nerr != nil {
				return fail(nerr)
			}
			files[i] = null
			childEnds = append(childEnds, null)
		case kind == "pipe":
			// A socketpair, as libuv makes every "pipe" (fds 0 to 2
			// too: the child sees a socket, and writes more before it
			// must wait for the parent to read).
			fds, perr := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if perr != nil {
				return fail(perr)
			}
			parentEnds[i] = os.NewFile(uintptr(fds[0]), "stdio")
			files[i] = os.NewFile(uintptr(fds[1]), "stdio")
			childEnds = append(childEnds, files[i])
		default:
			return fail(fmt.Errorf("stdio[%d] = %q: only \"pipe\", \"inherit\", \"ignore\" and \"ipc\" are supported", i, kind))
		}
	}
	attr := &os.ProcAttr{Dir: opts.Cwd, Env: env, Files: files}
	if opts.UID != nil || opts.GID != nil {
		// libuv drops the supplementary groups when it changes the uid or
		// gid (setgroups(0), its failure ignored); Go's fork fails when
		// setgroups does, so it is asked for where it can work, as root.
		cred := &syscall.Credential{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid()), NoSetGroups: os.Geteuid() != 0}
		if opts.UID != nil {
			cred.Uid = uint32(*opts.UID)
		}
		if opts.GID != nil {
			cred.Gid = uint32(*opts.GID)
		}
		attr.Sys = &syscall.SysProcAttr{Credential: cred}
	}
	proc, err := os.StartProcess(file, argv, attr)
	if err != nil {
		var en unix.Errno
		if errors.As(err, &en) {
			return fail(spawnError(opts.ExecPath, en))
		}
		return fail(err)
	}

	c := &ChildProcess{Target: &Target{}, Pid: proc.Pid, proc: proc, SpawnFile: opts.ExecPath, SpawnArgs: argv, closesNeed: 1,
		Stdin: parentEnds[0], Stdout: parentEnds[1], Stderr: parentEnds[2], Stdio: parentEnds}
	c.SetClassName("ChildProcess")
	stream, err := uv.OpenIPC(l, parentFd)
	if err != nil {
		proc.Kill()
		return nil, err
	}
	setupChannel(c.Target, l, stream, serialization)
	c.closesNeed++
	c.onChannelClosed = append(c.onChannelClosed, c.onChannelEnd)

	// The Process handle: ref'd until the child exits.
	c.handleRefd = true
	l.Ref()
	w := &exitWaiter{c: c, l: l, label: opts.Label}
	go w.wait()
	l.NextTick(func() { onSpawnNT(c) })
	return c, nil
}

// spawnError is the error a child that could not be started gets: "spawn
// /nonexistent/x ENOENT", code ENOENT, errno -2, syscall "spawn
// /nonexistent/x" (a missing cwd reads the same, naming the program, as
// libuv reports it), for the five errors Node emits on the child
// (EACCES, EAGAIN, EMFILE, ENFILE, ENOENT); any other is what Node
// throws, "spawn EINVAL", syscall "spawn".
func spawnError(file string, en unix.Errno) *ErrnoError {
	code := errnoName(en)
	switch en {
	case unix.EACCES, unix.EAGAIN, unix.EMFILE, unix.ENFILE, unix.ENOENT:
		return &ErrnoError{Code: code, Errno: -int(en), Syscall: "spawn " + file, Message: "spawn " + file + " " + code}
	}
	return &ErrnoError{Code: code, Errno: -int(en), Syscall: "spawn", Message: "spawn " + code}
}

// validateSpawnOptions refuses what Node's fork and spawn refuse before
// they start anything, in their order: a null byte in execArgv, in the
// arguments (spawnArgs: execArgv, the module, args), in cwd, a uid or gid
// that is no int32, and a null byte in the environment
// (ERR_INVALID_ARG_VALUE, ERR_INVALID_ARG_TYPE, with Node's messages).
//
// Like lib/child_process.js fork() and normalizeSpawnArguments().
func validateSpawnOptions(spawnArgs []string, opts ForkOptions) error {
	nullByte := func(what, v string) error {
		return &ErrnoError{Code: "ERR_INVALID_ARG_VALUE", Message: what + " must be a string without null bytes. Received " + jsfmt.InspectString(v)}
	}
	for i, a := range opts.ExecArgv {
		if strings.IndexByte(a, 0) >= 0 {
			return nullByte(fmt.Sprintf("The property 'options.execArgv[%d]'", i), a)
		}
	}
	for i, a := range spawnArgs {
		if strings.IndexByte(a, 0) >= 0 {
			return nullByte(fmt.Sprintf("The argument 'args[%d]'", i), a)
		}
	}
	if strings.IndexByte(opts.Cwd, 0) >= 0 {
		return &ErrnoError{Code: "ERR_INVALID_ARG_VALUE", Message: "The property 'options.cwd' must be a string, Uint8Array, or URL without null bytes. Received " + jsfmt.InspectString(opts.Cwd)}
	}
	for _, id := range []struct {
		name string
		v    *int
	}{{"uid", opts.UID}, {"gid", opts.GID}} {
		if id.v != nil && int(int32(*id.v)) != *id.v {
			return &ErrnoError{Code: "ERR_INVALID_ARG_TYPE", Message: fmt.Sprintf(`The "options.%s" property must be int32. Received type number (%d)`, id.name, *id.v)}
		}
	}
	for _, kv := range opts.Env {
		if strings.IndexByte(kv, 0) >= 0 {
			key, value, _ := strings.Cut(kv, "=")
			what := "The property 'options.env['" + key + "']'"
			if strings.IndexByte(key, 0) >= 0 {
				return nullByte(what, key)
			}
			return nullByte(what, value)
		}
	}
	return nil
}

// lookPath finds a bare program name as libuv's execvpe does: in the
// directories of the child's PATH (env's; glibc's default path when env
// has none), the first regular file there that may be executed.
func lookPath(file string, env []string) (string, bool) {
	path := "/usr/bin:/bin" // _PATH_DEFPATH
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, file)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && unix.Access(p, unix.X_OK) == nil {
			return p, true
		}
	}
	return "", false
}

// exitWaiter waits for one child on its own goroutine and posts the exit
// to the loop, as libuv's SIGCHLD handling does.
type exitWaiter struct {
	c     *ChildProcess
	l     *uv.Loop
	label string
}

// DEVIATION(goroutine): libuv learns of a child's exit from SIGCHLD on
// the loop; the port waits on a goroutine and posts the result.
func (w *exitWaiter) wait() {
	pprof.Do(context.Background(), pprof.Labels("node.process", parentRole(), "node.fn", "child_process:wait", "node.child", w.label), w.run)
}

func (w *exitWaiter) run(context.Context) {
	st, err := w.c.proc.Wait()
	var es exitStatus
	if err != nil {
		es.err = err
	} else if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		// A signal without a name in Node's table (a real-time one) is
		// (0, null) for node: libuv's exit status stays 0.
		es.signal = unix.SignalName(ws.Signal())
	} else {
		es.code = st.ExitCode()
	}
	w.l.Post(func() { w.c.onExitPosted(es) })
}

// onExitPosted runs on the loop when the child has exited. Node shows the
// channel's "disconnect" before "exit" when the child's exit ended the
// channel (the end is there to read when the exit is learnt); when that end
// has not been read yet, the exit waits for it. A channel another process
// still holds does not hold the exit back.
func (c *ChildProcess) onExitPosted(es exitStatus) {
	c.exited = true
	c.exitStatus = es
	if (c.Channel != nil || !c.closed) && c.peerEnded() {
		c.exitWaiting = true
		return
	}
	c.onexit()
}

// peerEnded reports whether the channel's other end is closed (the
// child's exit closed it), so that its end is there for the loop to read.
// Another process may hold it still (a grandchild the child left with its
// descriptor): then "exit" does not wait for the channel, as in Node, and
// "disconnect" comes when that process lets go.
func (c *ChildProcess) peerEnded() bool {
	if c.stream == nil || c.stream.Fd() < 0 {
		return true
	}
	fds := []unix.PollFd{{Fd: int32(c.stream.Fd()), Events: unix.POLLRDHUP}}
	n, err := unix.Poll(fds, 0)
	return err != nil || (n > 0 && fds[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR) != 0)
}

// onChannelEnd releases an exit that waited for the channel's end. The
// exit runs as a callback of its own, as Node's SIGCHLD callback is one:
// what the "disconnect" listeners queued on the nextTick queue (a send's
// ERR_IPC_CHANNEL_CLOSED, say) runs before "exit", however deep.
func (c *ChildProcess) onChannelEnd() {
	if c.exitWaiting {
		c.exitWaiting = false
		c.lp.Post(c.onexit)
	}
	if c.eofRead {
		// Only the channel's end read from the child counts towards
		// "close"; after a disconnect of the primary's own, Node's
		// ChildProcess never emits it.
		c.maybeClose()
	}
}

// onexit records how the child ended, releases its handle and emits
// "exit" (code, signal).
//
// Mirrors lib/internal/child_process.js ChildProcess() inner this._handle.onexit().
func (c *ChildProcess) onexit() {
	es := c.exitStatus
	if es.signal != "" {
		c.SignalCode = es.signal
	} else {
		code := es.code
		c.ExitCode = &code
	}
	if c.handleRefd {
		c.handleRefd = false
		c.lp.Unref()
	}
	if es.err != nil {
		c.Emit("error", es.err)
	} else {
		c.Emit("exit", exitCodeValue(c.ExitCode), signalValue(c.SignalCode))
	}
	c.maybeClose()
}

// ForkChild is ForkChildWith for a channel that speaks json.
func ForkChild(l *uv.Loop, target *Target, fd int) (*Control, error) {
	return ForkChildWith(l, target, fd, "json")
}

// ForkChildWith is the child's side: it opens the inherited channel fd as
// an IPC pipe, unref'd, sets up the channel on target with the
// serialization the parent chose ("json" or "advanced", from
// NODE_CHANNEL_SERIALIZATION_MODE), and refs it while anyone listens for
// "message" or "disconnect".
//
// Mirrors lib/child_process.js _forkChild().
func ForkChildWith(l *uv.Loop, target *Target, fd int, serializationMode string) (*Control, error) {
	if serializationMode != "json" && serializationMode != "advanced" {
		return nil, fmt.Errorf("NODE_CHANNEL_SERIALIZATION_MODE=%q is neither json nor advanced", serializationMode)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("NODE_CHANNEL_FD=%d is not an open descriptor: %w", fd, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return nil, fmt.Errorf("NODE_CHANNEL_FD=%d is not a socket", fd)
	}
	p, err := uv.OpenIPC(l, fd)
	if err != nil {
		return nil, err
	}
	p.Unref()
	control := setupChannel(target, l, p, serializationMode)
	target.On("newListener", func(name string) {
		if name == "message" || name == "disconnect" {
			control.refCounted()
		}
	})
	target.On("removeListener", func(name string) {
		if name == "message" || name == "disconnect" {
			control.unrefCounted()
		}
	})
	return control, nil
}

// ChannelFdFromEnv parses NODE_CHANNEL_FD.
func ChannelFdFromEnv(v string) (int, error) {
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 0 {
		return -1, fmt.Errorf("NODE_CHANNEL_FD=%q is not a descriptor number", v)
	}
	return fd, nil
}

// signalNumbers is Node's os.constants.signals on Linux: the signal names
// Node knows (unix.SignalNum has neither SIGIOT nor SIGPOLL).
var signalNumbers = map[string]unix.Signal{
	"SIGHUP": unix.SIGHUP, "SIGINT": unix.SIGINT, "SIGQUIT": unix.SIGQUIT, "SIGILL": unix.SIGILL,
	"SIGTRAP": unix.SIGTRAP, "SIGABRT": unix.SIGABRT, "SIGIOT": unix.SIGIOT, "SIGBUS": unix.SIGBUS,
	"SIGFPE": unix.SIGFPE, "SIGKILL": unix.SIGKILL, "SIGUSR1": unix.SIGUSR1, "SIGSEGV": unix.SIGSEGV,
	"SIGUSR2": unix.SIGUSR2, "SIGPIPE": unix.SIGPIPE, "SIGALRM": unix.SIGALRM, "SIGTERM": unix.SIGTERM,
	"SIGCHLD": unix.SIGCHLD, "SIGSTKFLT": unix.SIGSTKFLT, "SIGCONT": unix.SIGCONT, "SIGSTOP": unix.SIGSTOP,
	"SIGTSTP": unix.SIGTSTP, "SIGTTIN": unix.SIGTTIN, "SIGTTOU": unix.SIGTTOU, "SIGURG": unix.SIGURG,
	"SIGXCPU": unix.SIGXCPU, "SIGXFSZ": unix.SIGXFSZ, "SIGVTALRM": unix.SIGVTALRM, "SIGPROF": unix.SIGPROF,
	"SIGWINCH": unix.SIGWINCH, "SIGIO": unix.SIGIO, "SIGPOLL": unix.SIGPOLL, "SIGPWR": unix.SIGPWR,
	"SIGSYS": unix.SIGSYS,
}

// SignalByName is the number of a signal Node knows by that name.
func SignalByName(name string) (syscall.Signal, bool) {
	s, ok := signalNumbers[name]
	return s, ok
}

func errnoName(err error) string {
	var en unix.Errno
	if errors.As(err, &en) {
		if n, _, ok := uv.ErrMap(-int(en)); ok {
			return n // libuv's name (ENOTSUP, not EOPNOTSUPP)
		}
	}
	return err.Error()
}

// parentRole is the node.process label of the process that forks: a
// worker that forks is still a worker.
func parentRole() string {
	if id := os.Getenv("NODE_UNIQUE_ID"); id != "" {
		return "worker:" + id
	}
	return "primary"
}

func countOf(list []string, v string) int {
	n := 0
	for _, s := range list {
		if s == v {
			n++
		}
	}
	return n
}
