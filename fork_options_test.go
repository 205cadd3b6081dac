package nodecluster_test

// fork's options as node's child_process takes them: what it refuses
// before it starts anything, how a failed spawn reads, what an undefined
// stdio entry is, what a "pipe" is in the child, and where a bare program
// name is looked up.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/process"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func init() {
	// cp-fd-kinds: the child reports what its fds 0 to 3 are (sock, fifo,
	// chr, file, closed), how fd 0 is open (r, w, rw), and which file its
	// fd 4 is (device:inode), then leaves.
	workerScenarios["cp-fd-kinds"] = func() {
		var kinds []string
		for fd := 0; fd <= 3; fd++ {
			var st unix.Stat_t
			if err := unix.Fstat(fd, &st); err != nil {
				kinds = append(kinds, "closed")
				continue
			}
			switch st.Mode & unix.S_IFMT {
			case unix.S_IFSOCK:
				kinds = append(kinds, "sock")
			case unix.S_IFIFO:
				kinds = append(kinds, "fifo")
			case unix.S_IFCHR:
				kinds = append(kinds, "chr")
			default:
				kinds = append(kinds, "file")
			}
		}
		mode := "closed"
		if fl, err := unix.FcntlInt(0, unix.F_GETFL, 0); err == nil {
			mode = map[int]string{unix.O_RDONLY: "r", unix.O_WRONLY: "w", unix.O_RDWR: "rw"}[fl&unix.O_ACCMODE]
		}
		p := process.Get()
		p.Send(cluster.NewObject("kinds", strings.Join(kinds, ","), "fd0", mode, "fd4", fileID(4)), nil, nil)
		p.Disconnect()
	}
}

// TestForkOptionsRefusedAsNode: a null byte in execArgv, the arguments,
// cwd or the environment, and a uid or gid that is no int32, are refused
// with node's errors before anything starts; a cwd that is a file and a
// uid of -1 fail the spawn as node's throw reads ("spawn ENOTDIR",
// syscall "spawn"). Each line is compared with node's for the same
// options (testdata/interop/fork-options.js).
func TestForkOptionsRefusedAsNode(t *testing.T) {
	node := nodeOrSkip(t)
	out, err := exec.Command(node, filepath.Join("testdata", "interop", "fork-options.js")).Output()
	require.NoError(t, err)
	want := strings.Split(strings.TrimSpace(string(out)), "\n")

	uid := func(n int) *int { return &n }
	tries := []struct {
		name string
		args []string
		opts childprocess.ForkOptions
	}{
		{"uidbig", nil, childprocess.ForkOptions{UID: uid(2147483648)}},
		{"gidbig", nil, childprocess.ForkOptions{GID: uid(4294967294)}},
		{"envnul", nil, childprocess.ForkOptions{Env: []string{"BAD=a\x00b"}}},
		{"envnulkey", nil, childprocess.ForkOptions{Env: []string{"B\x00AD=x"}}},
		{"execargvnul", nil, childprocess.ForkOptions{ExecArgv: []string{"--x\x00"}}},
		{"argsnul", []string{"a\x00b"}, childprocess.ForkOptions{}},
		{"cwdnul", nil, childprocess.ForkOptions{Cwd: "a\x00b"}},
		{"cwdfile", nil, childprocess.ForkOptions{Cwd: "/etc/hostname"}},
		{"uidneg", nil, childprocess.ForkOptions{UID: uid(-1)}},
	}
	var got []string
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		for _, try := range tries {
			try.opts.ExecPath = "/bin/true" // nothing that starts would do harm
			c, err := childprocess.Fork(uv.Default(), "/nonexistent/fork-options.js", try.args, try.opts)
			if err == nil {
				watch(c)
				c.Kill("SIGKILL")
				got = append(got, try.name+" started")
				continue
			}
			e, ok := err.(*childprocess.ErrnoError)
			require.True(t, ok, "%s: %T %v", try.name, err, err)
			syscall := e.Syscall
			if syscall == "" {
				syscall = "undefined"
			}
			got = append(got, fmt.Sprintf("%s %s|%s|%s", try.name, e.Code, jsonString(e.Message), syscall))
		}
	})
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-node +port):\n%s", d)
	}
}

// jsonString is JSON.stringify of a string.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// TestForkStdioUndefinedEntries: a stdio entry left undefined ("") is a
// pipe for fds 0 to 2 and "ignore" above, and an array shorter than three
// is filled so, as node's fork has it; every "pipe" is a socketpair (the
// child sees a socket, as libuv makes it), and "ignore" on fd 0 is
// /dev/null open for reading only. Before, "" was "inherit" (an fd above
// 2 was the parent's own descriptor), a short array left fd 2 inherited,
// and pipes on fds 0 to 2 were FIFOs.
func TestForkStdioUndefinedEntries(t *testing.T) {
	for _, tc := range []struct {
		stdio                 []string
		kinds, fd0            string
		stdin, stdout, stderr bool // the parent has these ends
	}{
		{[]string{"", "", "", "ipc"}, "sock,sock,sock,sock", "rw", true, true, true},
		{[]string{"inherit", "ipc"}, "", "", false, false, true},
		{[]string{"inherit", "inherit", "inherit", "ipc", ""}, "", "", false, false, false},
		{[]string{"ignore", "inherit", "inherit", "ipc"}, "", "r", false, false, false},
	} {
		t.Run(strings.Join(tc.stdio, ","), func(t *testing.T) {
			var report *cluster.Object
			var ends [3]bool
			ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
				c, err := childprocess.Fork(uv.Default(), "", nil, childprocess.ForkOptions{
					ExecPath: lsExecutable(), Env: lsEnv(map[string]string{envWorker: "cp-fd-kinds"}), Stdio: tc.stdio, Label: "cp-fd-kinds",
				})
				require.NoError(t, err)
				watch(c)
				ends = [3]bool{c.Stdin != nil, c.Stdout != nil, c.Stderr != nil}
				for _, f := range []*os.File{c.Stdout, c.Stderr} {
					if f != nil {
						go drain(f)
					}
				}
				c.On("message", func(m *cluster.Object) { report = m })
			})
			require.NotNil(t, report)
			require.Equal(t, [3]bool{tc.stdin, tc.stdout, tc.stderr}, ends, "the parent's ends of fds 0, 1, 2")
			kinds, _ := report.String("kinds")
			fd0, _ := report.String("fd0")
			k := strings.Split(kinds, ",")
			switch {
			case tc.kinds != "":
				require.Equal(t, tc.kinds, kinds)
			case len(tc.stdio) == 2:
				require.Equal(t, "sock", k[2], "fd 2 filled in as a pipe")
			case len(tc.stdio) == 5:
				fd4, _ := report.String("fd4")
				require.NotEqual(t, fileID(4), fd4, "an undefined fd 4 is not the parent's")
			}
			if tc.fd0 != "" {
				require.Equal(t, tc.fd0, fd0)
			}
		})
	}
}

// fileID names the file open on fd (device:inode), or "closed".
func fileID(fd int) string {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "closed"
	}
	return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}

// drain reads f to its end and closes it.
func drain(f *os.File) {
	io.Copy(io.Discard, f)
	f.Close()
}

// TestForkLooksUpExecPathInTheChildsPath: a bare program name is looked
// up in the PATH of the environment the child gets, as libuv's spawn
// does (node's fork with execPath and env), not in the parent's.
func TestForkLooksUpExecPathInTheChildsPath(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Symlink(lsExecutable(), filepath.Join(dir, "nodecluster-test-prog")))
	_, err := exec.LookPath("nodecluster-test-prog")
	require.Error(t, err, "the parent's PATH must not have it")
	var report *cluster.Object
	ipcRunParent(t, func(watch func(...*childprocess.ChildProcess)) {
		c, err := childprocess.Fork(uv.Default(), "", nil, childprocess.ForkOptions{
			ExecPath: "nodecluster-test-prog",
			Env:      lsEnv(map[string]string{envWorker: "cp-fd-kinds", "PATH": dir + ":" + os.Getenv("PATH")}),
		})
		require.NoError(t, err)
		watch(c)
		c.On("message", func(m *cluster.Object) { report = m })
	})
	require.NotNil(t, report, "the child ran")
}
