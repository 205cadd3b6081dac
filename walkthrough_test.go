package nodecluster_test

// TestWalkthrough is the article (part 6 of a series on Node's process
// management), run for real: each subtest is one beat of the article, then
// the primary's side and a connection arriving. Every subtest forks a real
// worker (a re-exec of this test binary), lets it listen through the
// cluster, connects a real TCP client, and asserts with go-cmp which
// mirrored functions ran in each process, in order. With -v it narrates.
//
//	go test -run Walkthrough -v .
//	go test -run 'Walkthrough/05' -v .   # one beat

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nodecluster/nodecluster/internal/trace"
	"github.com/stretchr/testify/require"
)

func TestWalkthrough(t *testing.T) {
	beats := []struct {
		name string
		say  string
		// focus lists the Go functions the beat is about (narrated with -v).
		focus []string
		// check asserts the beat on one real run.
		check func(t *testing.T, r result)
	}{
		{
			"01_listen_with_only_a_port",
			"Server.prototype.listen(port): no host, so listenInCluster(server, null, port, 4, backlog, undefined, exclusive)",
			[]string{"net.listenInCluster"},
			func(t *testing.T, r result) {
				first := firstOf(t, r.worker, "net.listenInCluster")
				require.Equal(t, "address null port 0 addressType 4 backlog 0 exclusive false isPrimary false", first.Detail)
			},
		},
		{
			"02_listenInCluster_asks_the_cluster",
			"listenInCluster: a worker does not bind; it builds the serverQuery and calls cluster._getServer (the primary binds itself through _listen2)",
			[]string{"net.listenInCluster", "child.GetServer", "net.setupListenHandle"},
			func(t *testing.T, r result) {
				want := []string{"net.listenInCluster", "child.GetServer", "net.listenOnPrimaryHandle", "net.setupListenHandle"}
				got := steps(r.worker, set(want...))
				if d := cmp.Diff(want, got[:min(len(got), len(want))]); d != "" {
					t.Errorf("worker path (-want +got):\n%s", d)
				}
				p := firstOf(t, r.primary, "net.listenInCluster")
				require.Contains(t, p.Detail, "isPrimary true")
				wantP := []string{"net.listenInCluster", "net.setupListenHandle"}
				if d := cmp.Diff(wantP, steps(r.primary, set(wantP...))); d != "" {
					t.Errorf("the primary binds through _listen2 itself (-want +got):\n%s", d)
				}
			},
		},
		{
			"03_setupListenHandle_hangs_onconnection",
			"server._listen2 is setupListenHandle: it sets handle.onconnection and calls handle.listen(backlog || 511)",
			[]string{"net.setupListenHandle", "child.fauxHandle.Listen"},
			func(t *testing.T, r result) {
				want := []string{"net.setupListenHandle", "child.fauxHandle.Listen"}
				if d := cmp.Diff(want, steps(r.worker, set(want...))); d != "" {
					t.Errorf("(-want +got):\n%s", d)
				}
				require.Contains(t, firstOf(t, r.worker, "child.fauxHandle.Listen").Detail, "backlog 511")
			},
		},
		{
			"04_getServer_sends_queryServer",
			"cluster._getServer sends {act:'queryServer', index, data:null, ...options}; the reply goes to rr",
			[]string{"child.GetServer", "utils.SendHelper", "master.queryServer"},
			func(t *testing.T, r result) {
				want := []string{"child.GetServer", "utils.SendHelper", "child.rr"}
				got := steps(between(r.worker, "child.GetServer", "child.rr"), set(want...))
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("(-want +got):\n%s", d)
				}
				q := wireWith(t, r.wire, "W->P", `"act":"queryServer"`)
				require.Contains(t, q.Line, `"index":0,"data":null,"address":null,"port":0,"addressType":4`)
			},
		},
		{
			"05_rr_builds_the_faux_handle",
			"rr builds {close, listen, ref, unref, getsockname}: listen returns 0, getsockname reports the primary's address",
			[]string{"child.rr", "child.fauxHandle.Listen"},
			func(t *testing.T, r result) {
				require.Contains(t, firstOf(t, r.worker, "child.rr").Detail, `sockname {"address":"::","family":"IPv6"`)
				reply := wireWith(t, r.wire, "P->W", `"errno":null`)
				require.False(t, reply.Fd, "a round-robin reply carries no descriptor")
			},
		},
		{
			"06_listenOnPrimaryHandle_swaps_the_handle",
			"listenOnPrimaryHandle makes the faux handle server._handle and calls _listen2: onconnection hangs on a handle that never listens",
			[]string{"child.rr", "net.listenOnPrimaryHandle", "net.setupListenHandle", "child.fauxHandle.Listen", "net.emitListeningNT"},
			func(t *testing.T, r result) {
				want := []string{"child.rr", "net.listenOnPrimaryHandle", "net.setupListenHandle", "child.fauxHandle.Listen", "net.emitListeningNT", "child.GetServer"}
				got := steps(from(r.worker, "child.rr"), set(want...))
				if d := cmp.Diff(want, got[:min(len(got), len(want))]); d != "" {
					t.Errorf("(-want +got):\n%s", d)
				}
				require.Contains(t, firstOf(t, r.worker, "net.listenOnPrimaryHandle").Detail, "*child.fauxHandle")
			},
		},
		{
			"07_the_primary_side",
			"primary.js: online, then queryServer makes a RoundRobinHandle that binds and replies with its sockname, then listening",
			[]string{"master.Fork", "master.online", "master.queryServer", "handle.NewRoundRobinHandle", "master.listening"},
			func(t *testing.T, r result) {
				want := []string{"master.Fork", "master.online", "master.queryServer", "handle.NewRoundRobinHandle", "master.queryServer", "master.listening"}
				got := dedupe(steps(r.primary, set(want...)))
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("(-want +got):\n%s", d)
				}
				require.Equal(t, 4, r.address.AddressType)
				require.Nil(t, r.address.Address)
				require.Positive(t, r.address.Port)
			},
		},
		{
			"08_a_connection_arrives",
			"the primary accepts, distribute picks the free worker, handoff sends newconn with the fd; the worker acks {accepted:true} and net.js onconnection emits 'connection'",
			[]string{"handle.RoundRobinHandle.distribute", "handle.RoundRobinHandle.handoff", "child.onconnection", "net.onconnection"},
			func(t *testing.T, r result) {
				all := merged(r)
				want := []string{"handle.RoundRobinHandle.distribute", "handle.RoundRobinHandle.handoff", "child.onconnection", "net.onconnection"}
				if d := cmp.Diff(want, steps(all, set(want...))); d != "" {
					t.Errorf("(-want +got):\n%s", d)
				}
				nc := wireWith(t, r.wire, "P->W", `"act":"newconn"`)
				require.True(t, nc.Fd, "newconn carries the connection's descriptor (SCM_RIGHTS)")
				wireWith(t, r.wire, "W->P", `"accepted":true`)
				require.Equal(t, "hi", r.reply, "the worker's server answered the client")
			},
		},
	}
	for _, b := range beats {
		t.Run(b.name, func(t *testing.T) {
			t.Log(b.say)
			r := runScenario(t, "listen-port-only")
			narrate(t, merged(r), set(b.focus...), nil)
			b.check(t, r)
		})
	}
	t.Run("09_the_whole_path", func(t *testing.T) {
		t.Log("everything that ran, in both processes, with the messages as they crossed the channel")
		r := runScenario(t, "listen-port-only")
		all := merged(r)
		narrate(t, all, nil, r.wire)
		// The causal chain across the two processes (each step causes the
		// next, so the order cannot vary): what docs/DELVE.md stops on.
		type step struct{ Process, Go string }
		want := []step{
			{"worker", "net.listenInCluster"}, {"worker", "child.GetServer"}, {"primary", "master.queryServer"},
			{"worker", "child.rr"}, {"worker", "net.setupListenHandle"}, {"primary", "handle.RoundRobinHandle.distribute"},
			{"worker", "child.onconnection"},
		}
		var got []step
		next := 0
		for _, e := range all {
			p := "primary"
			if strings.HasPrefix(e.Process, "worker") {
				p = "worker"
			}
			if next < len(want) && want[next] == (step{p, e.Go}) {
				got = append(got, step{p, e.Go})
				next++
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("causal order across the processes (-want +got):\n%s", d)
		}
	})
}

func firstOf(t *testing.T, evs []trace.Event, goFn string) trace.Event {
	t.Helper()
	for _, e := range evs {
		if e.Go == goFn {
			return e
		}
	}
	t.Fatalf("%s never ran", goFn)
	return trace.Event{}
}

func from(evs []trace.Event, goFn string) []trace.Event {
	for i, e := range evs {
		if e.Go == goFn {
			return evs[i:]
		}
	}
	return nil
}

func between(evs []trace.Event, a, b string) []trace.Event {
	s := from(evs, a)
	for i, e := range s {
		if e.Go == b {
			return s[:i+1]
		}
	}
	return s
}

func dedupe(s []string) []string {
	var out []string
	for _, x := range s {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}

func wireWith(t *testing.T, wire []wireLine, dir, substr string) wireLine {
	t.Helper()
	for _, w := range wire {
		if w.Dir == dir && strings.Contains(w.Line, substr) {
			return w
		}
	}
	t.Fatalf("no %s message containing %s on the wire", dir, substr)
	return wireLine{}
}
