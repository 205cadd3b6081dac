// Command bench runs Node v20's cluster and this port side by side on this
// machine and prints markdown tables (issue 5):
//
//	go run ./bench                    # 5 rounds of 5 s runs, 20 to 25 minutes; see -h
//	go run ./bench -smoke             # one round of 1 s runs, about 20 s, no thresholds (CI)
//	go run ./bench -json r.json       # also keep the results
//	go run ./bench -replay r.json     # tables and chart again from kept results
//
// Contestants, each with 2 workers on 127.0.0.1: Node v20 cluster
// round-robin and shared handle (NODE_CLUSTER_SCHED_POLICY=rr|none,
// bench/node-server.js, Node's http), the port round-robin and shared
// handle (bench/goserver: cluster.Fork, net.CreateServer and
// net.ServeHTTP with net/http), and a single-process Go net/http server,
// the ceiling. Every one answers with the same bytes (the Date value
// aside); the first round dumps one raw response per contestant and
// checks it. Node RR and the port's round-robin each run twice under two
// names (the A/A controls: -aa).
//
// Workloads, driven by wrk pinned with taskset to one CPU: a new connection
// per request (Connection: close, 32 connections), keep-alive (32
// connections), one connection at a time (Connection: close, 1 connection:
// the latency of a connection's whole path). Figures: requests/s, p50 and
// p99 latency, CPU µs per request in the primary and in the workers
// (utime+stime from /proc/PID/stat), errors. Outside HTTP: fork → online,
// idle RSS of a worker and of the primary, IPC round trips/s and one-way
// messages/s between a primary and a cluster worker (worker.send /
// process.send), with a bare Go socketpair ping-pong and the port's
// channel without cluster (internal/childprocess TestIPCBenchReport) as
// references.
//
// Every round starts all the contestants' servers, one after the other,
// each A/A copy next to its original in an order rotated each round. Each
// workload then measures them taking turns, one -slice (1 s) at a time,
// until each had -d; a round's figure is the median of its slices, so
// that the contestants share the host's ups and downs and a slowed slice
// moves the figure little. A measured slice during which the hypervisor
// stole more than -max-steal of the CPU time is measured again, at most
// twice, once a probe that keeps the CPUs busy sees the host calmer
// (-calm-wait), and the attempt with the least steal is kept.
//
// It needs wrk (installed with apt-get when missing and root), node (the
// Node contestants are skipped without it) and taskset (wrk runs unpinned
// without it, and says so). Run it from the repository root.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type config struct {
	rounds   int
	duration time.Duration
	slice    time.Duration // each measured run of duration is taken in slices of this length (slices)
	warmup   time.Duration
	workers  int
	wrkCPU   string
	ipcCPU   string
	forks    int
	ipcN     int
	oneway   int
	svg      string
	aa       string
	smoke    bool
	noHTTP   bool
	json     string
	replay   string
	inflight int
	maxSteal float64 // % of stolen CPU time above which a measured run is made again (0: never)
	pollIdle bool    // hold /dev/cpu_dma_latency at 0 µs while the bench runs (holdPollIdle)
	// Before a run is measured again for its steal, the bench waits up to
	// calmWait for the host to be calmer (waitForCalm), calmBudget in all.
	calmWait, calmBudget time.Duration
}

func main() {
	var c config
	flag.IntVar(&c.rounds, "rounds", 5, "rounds (each runs every contestant once, in a rotated order)")
	flag.DurationVar(&c.duration, "d", 5*time.Second, "measured time of each contestant in each workload and round (taken in slices of -slice)")
	flag.DurationVar(&c.slice, "slice", time.Second, "take each measured run in slices of this length, the round's contestants taking turns, and keep the median of the slices (equal to -d: one run of -d each)")
	flag.DurationVar(&c.warmup, "warmup", 3*time.Second, "unmeasured wrk run before each measured one (Node RR's new-connection rate climbs for several seconds after it starts)")
	flag.IntVar(&c.workers, "workers", 2, "workers per cluster")
	flag.StringVar(&c.wrkCPU, "wrk-cpu", "1", "CPU list wrk is pinned to with taskset (empty: not pinned)")
	flag.StringVar(&c.ipcCPU, "ipc-cpu", "0", "CPU list the IPC runs are pinned to (empty: not pinned)")
	flag.IntVar(&c.forks, "forks", 10, "forks per fork → online run")
	flag.IntVar(&c.ipcN, "ipc-n", 20000, "timed IPC round trips per run (after 1000 of warm-up)")
	flag.IntVar(&c.oneway, "oneway", 100000, "one-way messages per run")
	flag.StringVar(&c.svg, "svg", "docs/bench.svg", "where to write the chart of the ratios (empty: nowhere)")
	flag.StringVar(&c.aa, "aa", "node-rr,port-rr", "contestants run twice for the A/A control, comma-separated (empty: none)")
	flag.IntVar(&c.inflight, "inflight", 4, "handoffs in flight per worker for the opt-in round-robin contestant (NODECLUSTER_HANDOFFS_IN_FLIGHT); below 2: no such contestant")
	flag.Float64Var(&c.maxSteal, "max-steal", 5, "measure a slice (or run) again, at most twice, when the hypervisor stole more than this % of the CPU time during it (0: never)")
	flag.DurationVar(&c.calmWait, "calm-wait", 20*time.Second, "before measuring a slice again for its steal, wait up to this long for a one-second busy probe to see at most -max-steal (0: measure again at once)")
	flag.DurationVar(&c.calmBudget, "calm-budget", 10*time.Minute, "the most the bench waits in all for the host to be calmer (-calm-wait)")
	flag.BoolVar(&c.pollIdle, "poll-idle", false, "hold a 0 µs CPU wake-up latency request (/dev/cpu_dma_latency) while the bench runs, so that idle CPUs poll instead of halting into the hypervisor (default: the machine's idle states as they are)")
	flag.BoolVar(&c.smoke, "smoke", false, "one round of 1s runs, no A/A copy, small counts, no chart written: checks that it all still runs")
	flag.BoolVar(&c.noHTTP, "no-http", false, "skip the HTTP runs")
	flag.StringVar(&c.json, "json", "", "also write the results as JSON to this file")
	flag.StringVar(&c.replay, "replay", "", "run nothing: print the tables and write the chart (-svg) from a -json file")
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if c.smoke {
		c.rounds, c.duration, c.slice, c.warmup = 1, time.Second, time.Second, 0
		c.forks, c.ipcN, c.oneway = 2, 500, 5000
		c.svg, c.aa, c.maxSteal = "", "", 0
	}
	if c.calmWait < 0 || c.calmBudget < 0 {
		fmt.Fprintln(os.Stderr, "bench: -calm-wait and -calm-budget cannot be negative")
		os.Exit(2)
	}
	if c.rounds < 1 || c.duration < time.Second || c.duration%time.Second != 0 || c.warmup%time.Second != 0 || c.workers < 1 {
		fmt.Fprintln(os.Stderr, "bench: -rounds >= 1, -d whole seconds >= 1s (wrk's unit), -warmup whole seconds, -workers >= 1")
		os.Exit(2)
	}
	if c.slice < time.Second || c.slice%time.Second != 0 || c.duration%c.slice != 0 {
		fmt.Fprintln(os.Stderr, "bench: -slice whole seconds >= 1s that divide -d")
		os.Exit(2)
	}
	if c.replay != "" {
		if err := replay(&c); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(&c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// interrupter kills the running servers on Ctrl-C before exiting.
type interrupter struct{}

func (interrupter) run() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	<-ch
	killRunning()
	fmt.Fprintln(os.Stderr, "\nbench: interrupted")
	os.Exit(130)
}

func run(c *config) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if err := os.Chdir(root); err != nil {
		return err
	}
	go interrupter{}.run()

	tmp, err := os.MkdirTemp("", "nodecluster-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	r := &results{cfg: c, start: time.Now(), loadStart: loadAverage()}
	r.goVersion = runtime.Version()
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		r.kernel = strings.TrimSpace(string(out))
	}
	r.cpus = runtime.NumCPU()
	r.cpuModel = cpuModel()

	progress("building bench/goserver ...")
	goserver := filepath.Join(tmp, "goserver")
	if out, err := exec.Command("go", "build", "-o", goserver, "./bench/goserver").CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./bench/goserver: %v\n%s", err, out)
	}
	node, nerr := exec.LookPath("node")
	if nerr != nil {
		r.notes = append(r.notes, "node is not on PATH: the Node contestants and measures are skipped.")
		node = ""
	} else if out, err := exec.Command(node, "--version").Output(); err == nil {
		r.nodeVersion = strings.TrimSpace(string(out))
	}
	wrkPin := taskset(c.wrkCPU)
	if c.wrkCPU != "" && wrkPin == nil {
		r.notes = append(r.notes, "taskset is missing or refused CPU "+c.wrkCPU+": wrk runs unpinned.")
	}
	if wrkPin != nil {
		r.wrkPinned = c.wrkCPU
	}
	ipcPin := taskset(c.ipcCPU)
	if ipcPin != nil {
		r.ipcPinned = c.ipcCPU
	}
	r.idleStates = idleStates()
	if c.pollIdle {
		f, err := holdPollIdle()
		if err != nil {
			r.notes = append(r.notes, "no 0 µs wake-up latency request ("+err.Error()+"): idle CPUs halt as the machine lets them.")
		} else {
			defer f.Close()
			r.pollIdle = true
		}
	}

	doHTTP := !c.noHTTP
	if doHTTP {
		wrk, err := ensureWrk()
		switch {
		case err != nil && c.smoke:
			r.notes = append(r.notes, "HTTP runs skipped: "+err.Error())
			doHTTP = false
		case err != nil:
			return err
		default:
			if out, _ := exec.Command(wrk, "-v").CombinedOutput(); len(out) > 0 {
				r.wrkVersion = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
			}
		}
	}

	all := contestants(goserver, node, c)
	r.contestants = all
	r.workloads = append(r.workloads, workloads...)
	r.http = map[string]map[string][]sample{}
	r.rss = map[string]*rssSamples{}
	r.raw = map[string][2]string{}
	r.outside = map[string][]float64{}

	progress(fmt.Sprintf("%d round(s); load average %s", c.rounds, r.loadStart))
	for round := 0; round < c.rounds; round++ {
		if doHTTP {
			if err := httpRound(r, round, all, wrkPin); err != nil {
				return err
			}
		}
		if err := outsideRound(r, round, goserver, node, ipcPin, tmp); err != nil {
			return err
		}
		r.loadRounds = append(r.loadRounds, loadAverage())
		progress(fmt.Sprintf("round %d/%d done; load average %s", round+1, c.rounds, loadAverage()))
	}
	r.loadEnd = loadAverage()
	r.end = time.Now()
	r.didHTTP = doHTTP

	if c.json != "" {
		if err := saveResults(c.json, r); err != nil {
			return err
		}
		progress("wrote " + c.json)
	}
	return output(r, c.svg)
}

// replay prints the tables and writes the chart of a saved run.
func replay(c *config) error {
	path, err := filepath.Abs(c.replay)
	if err != nil {
		return err
	}
	if root, err := moduleRoot(); err == nil {
		os.Chdir(root) // -svg paths are relative to the root, as for a run
	}
	r, err := loadResults(path)
	if err != nil {
		return err
	}
	return output(r, c.svg)
}

func output(r *results, svgPath string) error {
	report(os.Stdout, r)
	svg := chartSVG(r)
	if err := checkSVG(svg); err != nil {
		return fmt.Errorf("the chart is not well-formed XML: %v", err)
	}
	if svgPath != "" {
		if err := os.WriteFile(svgPath, []byte(svg), 0o644); err != nil {
			return err
		}
		progress("wrote " + svgPath)
	}
	if r.failed != "" {
		return fmt.Errorf("%s", r.failed)
	}
	return nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run it inside the repository (go run ./bench from its root)")
	}
	root := filepath.Dir(mod)
	if _, err := os.Stat(filepath.Join(root, "bench", "node-server.js")); err != nil {
		return "", fmt.Errorf("%s has no bench/node-server.js: run it from the nodecluster repository", root)
	}
	return root, nil
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

// taskset returns the command prefix that pins to cpus, or nil when cpus
// is empty or taskset cannot.
func taskset(cpus string) []string {
	if cpus == "" {
		return nil
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		return nil
	}
	if exec.Command("taskset", "-c", cpus, "true").Run() != nil {
		return nil
	}
	return []string{"taskset", "-c", cpus}
}

func progress(s string) {
	fmt.Fprintf(os.Stderr, "[bench %s] %s\n", time.Now().Format("15:04:05"), s)
}

func benchEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "NODE_UNIQUE_ID", "NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE", "NODE_CLUSTER_SCHED_POLICY", "BENCH_MODE", "BENCH_PORT", "BENCH_CPUPROFILE", "BENCH_MEMPROFILE":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func contestants(goserver, node string, c *config) []contestant {
	nodeCluster := func(policy string) func(int) *exec.Cmd {
		return func(port int) *exec.Cmd {
			cmd := exec.Command(node, "bench/node-server.js", "cluster", strconv.Itoa(c.workers), strconv.Itoa(port))
			cmd.Env = benchEnv("NODE_CLUSTER_SCHED_POLICY=" + policy)
			return cmd
		}
	}
	portCluster := func(policy string, extra ...string) func(int) *exec.Cmd {
		return func(port int) *exec.Cmd {
			cmd := exec.Command(goserver, "-mode", "cluster", "-workers", strconv.Itoa(c.workers), "-port", strconv.Itoa(port))
			cmd.Env = benchEnv(append([]string{"NODE_CLUSTER_SCHED_POLICY=" + policy}, extra...)...)
			return cmd
		}
	}
	list := []contestant{
		{key: "node-rr", name: "Node RR", node: true, start: nodeCluster("rr")},
		{key: "node-none", name: "Node shared", node: true, start: nodeCluster("none")},
		{key: "port-rr", name: "port RR", start: portCluster("rr")},
		{key: "port-none", name: "port shared", start: portCluster("none")},
		// The opt-in beyond Node (its own row, never the default).
		{key: "port-rr-inflight", name: fmt.Sprintf("port RR, %d handoffs in flight (opt-in, beyond Node)", c.inflight), start: portCluster("rr", fmt.Sprintf("NODECLUSTER_HANDOFFS_IN_FLIGHT=%d", c.inflight)), optIn: true},
		{key: "ceiling", name: "Go net/http, 1 process (ceiling)", start: func(port int) *exec.Cmd {
			cmd := exec.Command(goserver, "-mode", "single", "-port", strconv.Itoa(port))
			cmd.Env = benchEnv()
			return cmd
		}},
	}
	for _, key := range strings.Split(c.aa, ",") {
		for _, x := range list {
			if x.key == key && !x.aa {
				x.key += "-aa"
				x.name += " (A/A copy)"
				x.aa = true
				list = append(list, x)
				break
			}
		}
	}
	var out []contestant
	for _, x := range list {
		if x.node && node == "" || x.optIn && c.inflight < 2 {
			continue
		}
		out = append(out, x)
	}
	return out
}

// roundOrder is the order of the contestants in a round: rotated by the
// round, with each A/A control's copy always next to its original, before
// it in odd rounds and after it in even ones. Run next to each other, the
// two meet the same state of the host (its steal time changes from minute
// to minute), and neither always goes first.
func roundOrder(all []contestant, round int) []contestant {
	var rest []contestant
	copies := map[string]contestant{}
	for _, ct := range all {
		if ct.aa {
			copies[strings.TrimSuffix(ct.key, "-aa")] = ct
			continue
		}
		rest = append(rest, ct)
	}
	n := len(rest)
	out := make([]contestant, 0, len(all))
	for i := 0; i < n; i++ {
		ct := rest[(i+round)%n]
		if cp, ok := copies[ct.key]; ok {
			if round%2 == 1 {
				out = append(out, cp, ct)
			} else {
				out = append(out, ct, cp)
			}
			continue
		}
		out = append(out, ct)
	}
	return out
}

// sample is one contestant's figures for one workload in one round.
type sample struct {
	rps, p50, p99          float64
	cpuPrimary, cpuWorkers float64 // µs per request; NaN when there is no such process
	errors                 float64
	steal                  float64   // % of the machine's CPU time stolen by the hypervisor during the run; NaN when unknown
	slices                 []float64 // requests/s of each slice the sample is the median of (medianOfSlices); nil for a single run
}

// slices is how many slices (-slice) a measured run of -d is taken in.
func (c *config) slices() int {
	if c.slice <= 0 || c.slice >= c.duration {
		return 1
	}
	return int(c.duration / c.slice)
}

type rssSamples struct{ primary, worker []float64 }

// httpRound runs every contestant's workloads once. The round's servers
// are all started first, in roundOrder's order, and stay up until the
// round ends. Each workload then measures them in slices of -slice, taking
// turns (sliceOrder), until each server had -d: the contestants share each
// stretch of the host's ups and downs instead of each meeting its own. A
// server is warmed up (-warmup) just before its first slice of a workload,
// and a round's figures are the medians of its slices (medianOfSlices).
// With -slice equal to -d each server has one run of -d per workload.
func httpRound(r *results, round int, all []contestant, pin []string) (err error) {
	order := roundOrder(all, round)
	n := len(order)
	srvs := make([]*server, 0, n)
	ports := make([]int, 0, n)
	defer func() {
		for i, srv := range srvs {
			if serr := srv.stop(); serr != nil && err == nil && !strings.Contains(serr.Error(), "signal") {
				r.notes = append(r.notes, fmt.Sprintf("%s, round %d: stop: %v", order[i].name, round+1, serr))
			}
		}
	}()
	for _, ct := range order {
		port, err := freePort()
		if err != nil {
			return err
		}
		srv, err := startServer(ct.start(port), 30*time.Second)
		if err != nil {
			return fmt.Errorf("%s: %v", ct.name, err)
		}
		srvs, ports = append(srvs, srv), append(ports, port)
		if err := r.idleFigures(round, ct, srv, port); err != nil {
			return fmt.Errorf("%s: %v", ct.name, err)
		}
	}
	k := r.cfg.slices()
	total := r.cfg.rounds * n * len(workloads)
	for wi, w := range workloads {
		slices := make([][]sample, n)
		for s := 0; s < k; s++ {
			var line []string
			for _, i := range sliceOrder(n, s) {
				if s == 0 {
					if err := r.warmUp(pin, ports[i], w); err != nil {
						return fmt.Errorf("%s: %v", order[i].name, err)
					}
				}
				x, err := r.measureSlice(round, order[i], srvs[i], pin, ports[i], w)
				if err != nil {
					return fmt.Errorf("%s: %v", order[i].name, err)
				}
				slices[i] = append(slices[i], x)
				line = append(line, fmt.Sprintf("%s %.0f", order[i].key, x.rps))
			}
			if k > 1 {
				progress(fmt.Sprintf("round %d, %s, slice %d/%d: %s (req/s; load %s)", round+1, w.key, s+1, k, strings.Join(line, ", "), loadAverage()))
			}
		}
		for i, ct := range order {
			if r.http[ct.key] == nil {
				r.http[ct.key] = map[string][]sample{}
			}
			m := medianOfSlices(slices[i])
			r.http[ct.key][w.key] = append(r.http[ct.key][w.key], m)
			done := round*n*len(workloads) + wi*n + i + 1
			progress(fmt.Sprintf("%d/%d round %d: %s, %s: %.0f req/s, p99 %.2f ms, errors %.0f (steal %.0f%%)",
				done, total, round+1, ct.name, w.key, m.rps, m.p99, m.errors, m.steal))
		}
	}
	return nil
}

// idleFigures takes a freshly started server's idle RSS, once every
// worker listens and nothing has been asked yet, and in the first round
// its raw responses.
func (r *results) idleFigures(round int, ct contestant, srv *server, port int) error {
	time.Sleep(300 * time.Millisecond)
	primary, workers := srv.pids()
	rs := r.rss[ct.key]
	if rs == nil {
		rs = &rssSamples{}
		r.rss[ct.key] = rs
	}
	if ct.key == "ceiling" {
		rs.worker = append(rs.worker, rssKB(primary))
	} else {
		rs.primary = append(rs.primary, rssKB(primary))
		for _, w := range workers {
			rs.worker = append(rs.worker, rssKB(w))
		}
	}
	if round == 0 {
		keep, err := rawResponse(port, false)
		if err != nil {
			return fmt.Errorf("raw keep-alive response: %v (got %q)", err, keep)
		}
		cl, err := rawResponse(port, true)
		if err != nil {
			return fmt.Errorf("raw Connection: close response: %v (got %q)", err, cl)
		}
		r.raw[ct.key] = [2]string{keep, cl}
	}
	return nil
}

// measureSlice makes one measured slice (-slice) of workload w. A slice
// during which the hypervisor stole more than -max-steal of the CPU time
// is measured again (measureAgain), once a busy probe sees the host calmer
// (waitForCalm, within -calm-wait and -calm-budget), and the attempt with
// the least steal is kept.
func (r *results) measureSlice(round int, ct contestant, srv *server, pin []string, port int, w workload) (sample, error) {
	var s sample
	for attempt := 0; ; attempt++ {
		a, err := r.measure(srv, ct, pin, port, w, r.cfg.slice)
		if err != nil {
			return sample{}, err
		}
		if attempt == 0 || lessStolen(a, s) {
			s = a
		}
		if !measureAgain(a.steal, r.cfg.maxSteal, attempt) {
			return s, nil
		}
		r.remeasured++
		msg := fmt.Sprintf("round %d: %s, %s: %.0f req/s with %.0f%% steal (above -max-steal %.0f%%): measuring again",
			round+1, ct.name, w.key, a.rps, a.steal, r.cfg.maxSteal)
		limit := min(r.cfg.calmWait, r.cfg.calmBudget-r.calmWaited)
		if limit < calmProbe {
			progress(msg)
			continue
		}
		progress(msg + fmt.Sprintf(" once the host is calmer (up to %v)", limit.Round(time.Second)))
		waited, steal := waitForCalm(r.cfg.maxSteal, limit, busyStealProbe)
		r.calmWaited += waited
		progress(fmt.Sprintf("round %d: waited %v for the host (last probe: %.0f%% steal)", round+1, waited.Round(time.Second), steal))
		// A server measured in one run of -d sat idle meanwhile, unlike
		// the others just before theirs: warm it up again. Taking turns in
		// slices, every server sits idle between its slices anyway.
		if r.cfg.slices() == 1 {
			if err := r.warmUp(pin, port, w); err != nil {
				return sample{}, err
			}
		}
	}
}

// warmUp makes the unmeasured wrk run (-warmup) that comes before a
// measured one.
func (r *results) warmUp(pin []string, port int, w workload) error {
	if r.cfg.warmup <= 0 {
		return nil
	}
	if _, out, err := runWrk(pin, port, w, r.cfg.warmup); err != nil {
		return fmt.Errorf("warm-up %s: %v\n%s", w.key, err, out)
	}
	return nil
}

// remeasureTries is how many times more a run is measured when the
// hypervisor stole more than -max-steal of the CPU time during it. Of
// the attempts, the one with the least steal is kept.
const remeasureTries = 2

// measureAgain reports whether a measured run during which steal% of the
// machine's CPU time was stolen is run again: when it is above maxSteal
// (0: never) and this was not the last of its tries.
func measureAgain(steal, maxSteal float64, attempt int) bool {
	return maxSteal > 0 && steal > maxSteal && attempt < remeasureTries
}

// measure makes one measured wrk run of d of workload w against a warm
// server.
func (r *results) measure(srv *server, ct contestant, pin []string, port int, w workload, d time.Duration) (sample, error) {
	// Workers are looked up again: a crashed one would show here.
	primary, workers := srv.pids()
	p0, w0 := cpuSeconds(primary), sumCPU(workers)
	st0 := readCPUStat()
	res, out, err := runWrk(pin, port, w, d)
	st1 := readCPUStat()
	p1, w1 := cpuSeconds(primary), sumCPU(workers)
	if err != nil {
		return sample{}, fmt.Errorf("%s: %v\n%s", w.key, err, out)
	}
	s := sample{rps: res.rps, p50: res.p50, p99: res.p99, errors: res.errors, cpuPrimary: math.NaN(), cpuWorkers: math.NaN(), steal: stealPercent(st0, st1)}
	if res.requests > 0 {
		if ct.key == "ceiling" {
			s.cpuWorkers = (p1 - p0) * 1e6 / res.requests
		} else {
			s.cpuPrimary = (p1 - p0) * 1e6 / res.requests
			s.cpuWorkers = (w1 - w0) * 1e6 / res.requests
		}
	}
	if len(workers) != r.cfg.workers && ct.key != "ceiling" {
		return sample{}, fmt.Errorf("%s: %d workers running, want %d", w.key, len(workers), r.cfg.workers)
	}
	return s, nil
}

func sumCPU(pids []int) float64 {
	t := 0.0
	for _, p := range pids {
		t += cpuSeconds(p)
	}
	return t
}

// outsideRound measures fork → online and IPC, Node and the port
// alternately (the order flips every round).
func outsideRound(r *results, round int, goserver, node string, pin []string, tmp string) error {
	type job struct {
		key  string
		args []string
		pin  bool
	}
	c := r.cfg
	var jobs []job
	if node != "" {
		jobs = append(jobs, job{"node", []string{node, "bench/node-server.js", "forkonline", strconv.Itoa(c.forks)}, false})
	}
	jobs = append(jobs, job{"port", []string{goserver, "-mode", "forkonline", "-n", strconv.Itoa(c.forks)}, false})
	if node != "" {
		jobs = append(jobs, job{"node", []string{node, "bench/node-server.js", "ipc", strconv.Itoa(c.ipcN), strconv.Itoa(c.oneway)}, true})
	}
	jobs = append(jobs, job{"port", []string{goserver, "-mode", "ipc", "-n", strconv.Itoa(c.ipcN), "-oneway", strconv.Itoa(c.oneway)}, true})
	if round%2 == 1 {
		for i := 0; i+1 < len(jobs); i += 2 {
			if jobs[i].key != jobs[i+1].key {
				jobs[i], jobs[i+1] = jobs[i+1], jobs[i]
			}
		}
	}
	for _, j := range jobs {
		args := j.args
		if j.pin && pin != nil {
			args = append(append([]string(nil), pin...), args...)
		}
		out, err := runCmd(args, benchEnv(), 120*time.Second)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(out, "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			switch k {
			case "forkonline_us":
				for _, f := range strings.Fields(v) {
					x, _ := strconv.ParseFloat(f, 64)
					r.outside["forkonline/"+j.key] = append(r.outside["forkonline/"+j.key], x/1000)
				}
			case "roundtrips/s", "oneway/s":
				x, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
				r.outside[k+"/"+j.key] = append(r.outside[k+"/"+j.key], x)
			}
		}
	}
	// The references: a bare Go socketpair ping-pong and the port's
	// channel without cluster, from internal/childprocess's TestIPCBenchReport.
	test := filepath.Join(tmp, "childprocess.test")
	if _, err := os.Stat(test); err != nil {
		progress("building the test binary of ./internal/childprocess (IPC references) ...")
		if out, err := exec.Command("go", "test", "-c", "-o", test, "./internal/childprocess").CombinedOutput(); err != nil {
			return fmt.Errorf("go test -c ./internal/childprocess: %v\n%s", err, out)
		}
	}
	for _, sub := range []string{"bare-socketpair", "uv-loop"} {
		args := []string{test, "-test.run", "^TestIPCBenchReport$/^" + sub + "$", "-test.count=1"}
		if pin != nil {
			args = append(append([]string(nil), pin...), args...)
		}
		out, err := runCmd(args, benchEnv("NODECLUSTER_IPC_BENCH=1", "NODECLUSTER_IPC_BENCH_COUNT="+strconv.Itoa(c.ipcN), "NODECLUSTER_IPC_BENCH_WARMUP=1000"), 120*time.Second)
		if err != nil {
			return err
		}
		found := false
		for _, line := range strings.Split(out, "\n") {
			if v, ok := strings.CutPrefix(line, "roundtrips/s: "); ok {
				x, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
				r.outside["roundtrips/s/"+sub] = append(r.outside["roundtrips/s/"+sub], x)
				found = true
			}
		}
		if !found {
			return fmt.Errorf("TestIPCBenchReport/%s printed no roundtrips/s line:\n%s", sub, out)
		}
	}
	progress(fmt.Sprintf("round %d: fork→online and IPC measured (load %s)", round+1, loadAverage()))
	return nil
}

func runCmd(args []string, env []string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = env
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out), nil
}
