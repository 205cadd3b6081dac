package main

import (
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strings"
	"time"
)

type results struct {
	cfg                  *config
	start, end           time.Time
	loadStart, loadEnd   string
	loadRounds           []string
	goVersion, kernel    string
	nodeVersion          string
	wrkVersion           string
	cpuModel             string
	cpus                 int
	wrkPinned, ipcPinned string
	pollIdle             bool   // a 0 µs wake-up latency request was held (holdPollIdle)
	idleStates           string // the cpuidle driver and states (idleStates)
	didHTTP              bool
	notes                []string
	failed               string
	remeasured           int           // measured runs made again for their steal (-max-steal)
	calmWaited           time.Duration // waited for the host before measuring again (-calm-wait)

	contestants []contestant
	workloads   []workload
	http        map[string]map[string][]sample // contestant → workload → rounds
	rss         map[string]*rssSamples         // contestant → kB
	raw         map[string][2]string           // contestant → keep-alive, close
	outside     map[string][]float64           // "forkonline/node" (ms), "roundtrips/s/port", ...
}

type stat struct{ min, med, max float64 }

func stats(xs []float64) stat {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return stat{math.NaN(), math.NaN(), math.NaN()}
	}
	sort.Float64s(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return stat{v[0], m, v[len(v)-1]}
}

func median(xs []float64) float64 { return stats(xs).med }

func field(ss []sample, f func(sample) float64) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

func (r *results) rps(ct, wl string) stat {
	return stats(field(r.http[ct][wl], rpsOf))
}

// pairedRPS is how many times a's requests/s are b's, paired by round
// (pairedRate: from the slices the two took in turns).
func (r *results) pairedRPS(a, b, wl string) float64 {
	return pairedRate(r.http[a][wl], r.http[b][wl])
}

// paired is the median over rounds of a's figure ÷ b's in the same round:
// the two ran minutes apart at most, so slow drifts of the machine's load
// cancel out better than in a ratio of medians. It is used for the primary's
// CPU, which the results keep per round only.
func (r *results) paired(a, b, wl string, f func(sample) float64) float64 {
	return median(r.perRound(a, b, wl, f))
}

// perRound is a's figure ÷ b's in each round they both ran.
func (r *results) perRound(a, b, wl string, f func(sample) float64) []float64 {
	x, y := r.http[a][wl], r.http[b][wl]
	var out []float64
	for i := 0; i < len(x) && i < len(y); i++ {
		out = append(out, ratio(f(x[i]), f(y[i])))
	}
	return out
}

func rpsOf(s sample) float64        { return s.rps }
func p50Of(s sample) float64        { return s.p50 }
func p99Of(s sample) float64        { return s.p99 }
func cpuPrimaryOf(s sample) float64 { return s.cpuPrimary }
func cpuWorkersOf(s sample) float64 { return s.cpuWorkers }
func stealOf(s sample) float64      { return s.steal }

func fnum(x float64) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

func ratio(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}

func fratio(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.2f", x)
}

func report(w io.Writer, r *results) {
	c := r.cfg
	fmt.Fprintf(w, "# nodecluster bench: %s\n\n", r.start.UTC().Format("2006-01-02 15:04 UTC"))
	mode := ""
	if c.smoke {
		mode = " (smoke mode: one short round, figures meaningless)"
	}
	fmt.Fprintf(w, "%d round(s) of %v per run after %v of warm-up%s; %d workers per cluster.", c.rounds, c.duration, c.warmup, mode, c.workers)
	run := "run"
	if k := c.slices(); k > 1 {
		fmt.Fprintf(w, " All of a round's servers were up at once, and each run was taken in %d slices of %v, the contestants taking turns (the order rotated by one every slice); a round's figures are the medians of its slices, its errors their sum.", k, c.slice)
		run = "slice"
	}
	if c.maxSteal > 0 {
		fmt.Fprintf(w, " A measured %s during which the hypervisor stole more than %.0f%% of the CPU time was made again, at most %d times (%d were), and the attempt with the least steal was kept.", run, c.maxSteal, remeasureTries, r.remeasured)
		if c.calmWait > 0 {
			fmt.Fprintf(w, " Before each new attempt the bench kept every CPU busy in one-second probes until a probe saw at most %.0f%% steal, for up to %v (%v in all; it waited %v).", c.maxSteal, c.calmWait, c.calmBudget, r.calmWaited.Round(time.Second))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Machine: %d CPUs (%s), %s; %s, node %s, %s.\n", r.cpus, r.cpuModel, r.kernel, r.goVersion, orDash(r.nodeVersion), orDash(r.wrkVersion))
	pinned := "wrk unpinned"
	if r.wrkPinned != "" {
		pinned = "wrk pinned to CPU " + r.wrkPinned + " (taskset -c " + r.wrkPinned + ", one thread); the servers are not pinned"
	}
	fmt.Fprintf(w, "%s. Load average: %s at the start, %s after each round, %s at the end (while wrk runs the benchmark itself keeps 2 to 3 tasks runnable; other work in this VM shows above that, other guests of the host only as steal, below).\n",
		pinned, r.loadStart, strings.Join(r.loadRounds, " / "), r.loadEnd)
	idle := "Idle CPUs halted as the machine lets them"
	if r.pollIdle {
		idle = "Idle CPUs polled: the bench held a 0 µs wake-up latency request (" + cpuDMALatency + ") while it ran"
	}
	if r.idleStates != "" {
		idle += " (cpuidle " + r.idleStates + ")"
	}
	fmt.Fprintf(w, "%s.\n", idle)
	fmt.Fprintf(w, "Run took %v.\n\n", r.end.Sub(r.start).Round(time.Second))
	for _, n := range r.notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	if len(r.notes) > 0 {
		fmt.Fprintln(w)
	}

	if r.didHTTP {
		reportHTTP(w, r)
	}
	reportOutside(w, r)
	reportTargets(w, r)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func reportHTTP(w io.Writer, r *results) {
	fmt.Fprintln(w, "## HTTP")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Servers: Node = bench/node-server.js (cluster + http); port = bench/goserver (the port's cluster.Fork, net.CreateServer, net.ServeHTTP with net/http); ceiling = bench/goserver -mode single (net/http on its own listener, one process). Every response is the same bytes, Date aside:")
	fmt.Fprintln(w)
	ref := ""
	refKey := ""
	identical := true
	for _, ct := range r.contestants {
		raw, ok := r.raw[ct.key]
		if !ok {
			continue
		}
		both := raw[0] + "\x00" + raw[1]
		if ref == "" {
			ref, refKey = both, ct.key
		}
		same := "identical to " + refKey
		if ct.key == refKey {
			same = "reference"
		} else if both != ref {
			same = "**DIFFERENT from " + refKey + "**"
			identical = false
		}
		fmt.Fprintf(w, "- %s (%s):\n  - keep-alive: `%s`\n  - Connection: close: `%s`\n", ct.name, same, escapeRaw(raw[0]), escapeRaw(raw[1]))
	}
	if !identical {
		r.failed = "the contestants' responses are not byte-identical (see the raw responses)"
	}
	fmt.Fprintln(w)
	for _, wl := range r.workloads {
		fmt.Fprintf(w, "### %s\n\n", wl.name)
		fmt.Fprintln(w, "| contestant | req/s min | req/s median | req/s max | median ÷ Node RR's | ÷ Node RR, paired | ÷ ceiling, paired | p50 ms | p99 ms | primary CPU µs/req | workers CPU µs/req | errors | steal % |")
		fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		nodeRR := r.rps("node-rr", wl.key).med
		for _, ct := range r.contestants {
			ss := r.http[ct.key][wl.key]
			if len(ss) == 0 {
				continue
			}
			st := r.rps(ct.key, wl.key)
			errs := 0.0
			for _, s := range ss {
				errs += s.errors
			}
			fmt.Fprintf(w, "| %s | %.0f | %.0f | %.0f | %s | %s | %s | %s | %s | %s | %s | %.0f | %s |\n", ct.name, st.min, st.med, st.max,
				fratio(ratio(st.med, nodeRR)), fratio(r.pairedRPS(ct.key, "node-rr", wl.key)), fratio(r.pairedRPS(ct.key, "ceiling", wl.key)),
				fnum(median(field(ss, p50Of))),
				fnum(median(field(ss, p99Of))),
				fnum(median(field(ss, cpuPrimaryOf))),
				fnum(median(field(ss, cpuWorkersOf))),
				errs, fsteal(field(ss, stealOf)))
		}
		fmt.Fprintln(w)
		for _, ct := range r.contestants {
			if !ct.aa {
				continue
			}
			orig := strings.TrimSuffix(ct.key, "-aa")
			if aa := r.perRound(ct.key, orig, wl.key, rpsOf); len(aa) > 0 {
				st := stats(aa)
				fmt.Fprintf(w, "A/A control (%s run twice under two names): copy ÷ original, paired, %.2f; per-round ratios median %.2f (min %.2f, max %.2f).\n\n",
					strings.TrimSuffix(ct.name, " (A/A copy)"), r.pairedRPS(ct.key, orig, wl.key), st.med, st.min, st.max)
			}
		}
	}
	fmt.Fprintln(w, "Paired: two contestants compared only within each round, where they ran within minutes of each other or, taken in slices, in turns over the same minute, which cancels slow drifts of the machine's load better than a ratio of medians. For requests/s, the Hodges–Lehmann estimate over the rounds' slices: the median, over every pair of one slice of each taken in the same round, of the ratio of their rates (since the eighth session; before, the median of the per-round ratios, which with five slices a round keeps one number of each five and put the A/A controls further from 1). For the primary's CPU, the median of the per-round ratios.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Steal %: the share of the machine's CPU time the hypervisor gave to other guests during the measured runs (the steal column of /proc/stat; taken in slices, their mean), min–max over the rounds. On a shared host it changes from minute to minute, and a contestant measured while it was high is slowed by it. With the host's other noise it makes a server's 1 s slices scatter by about 9–17% within a round, which is why the A/A control is not within a few percent when it is not (docs/PERFORMANCE.md, eighth session).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "CPU µs/req: utime+stime deltas from /proc/PID/stat over the measured run or slice (10 ms ticks) divided by the requests wrk completed; the ceiling's one process is counted as workers. p50/p99 and CPU are medians over the rounds; errors are wrk's socket errors and non-2xx responses, summed over the rounds.")
	fmt.Fprintln(w)
	reportRSS(w, r)
}

func escapeRaw(s string) string {
	s = strings.ReplaceAll(s, "\r", `\r`)
	s = strings.ReplaceAll(s, "\n", `\n`)
	return strings.ReplaceAll(s, "`", "'")
}

func reportRSS(w io.Writer, r *results) {
	fmt.Fprintln(w, "### Idle RSS (VmRSS once every worker listens, before any request)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| contestant | primary MB (median) | worker MB (median over workers and rounds) |")
	fmt.Fprintln(w, "| --- | ---: | ---: |")
	for _, ct := range r.contestants {
		rs := r.rss[ct.key]
		if rs == nil {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", ct.name, fnum(median(rs.primary)/1024), fnum(median(rs.worker)/1024))
	}
	fmt.Fprintln(w)
}

// outsideRow is one measure of the outside-HTTP table.
type outsideRow struct {
	name, unit string
	node, port string // keys in results.outside
	higher     bool   // higher is better
}

var outsideRows = []outsideRow{
	{"fork → online", "ms", "forkonline/node", "forkonline/port", false},
	{"IPC round trips (cluster worker.send ↔ process.send)", "rt/s", "roundtrips/s/node", "roundtrips/s/port", true},
	{"IPC one-way messages, primary → worker", "msg/s", "oneway/s/node", "oneway/s/port", true},
}

func reportOutside(w io.Writer, r *results) {
	fmt.Fprintln(w, "## Outside HTTP")
	fmt.Fprintln(w)
	pin := "unpinned"
	if r.ipcPinned != "" {
		pin = "every IPC process pinned to CPU " + r.ipcPinned + " (taskset), which takes the scheduler's placement out of the figures"
	}
	fmt.Fprintf(w, "fork → online: cluster.fork() to the worker's \"online\" event, %d forks one after the other per run, unpinned. IPC: %d timed round trips after 1000, then %d one-way messages sent in a loop and timed until the worker reports the last; %s.\n\n", r.cfg.forks, r.cfg.ipcN, r.cfg.oneway, pin)
	fmt.Fprintln(w, "| measure | Node min | Node median | Node max | port min | port median | port max | port vs Node |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, row := range outsideRows {
		n, p := stats(r.outside[row.node]), stats(r.outside[row.port])
		vs := ratio(p.med, n.med)
		note := fratio(vs) + "×"
		if !row.higher {
			note = "1/" + fnum(1/vs)
		}
		fmt.Fprintf(w, "| %s (%s) | %s | %s | %s | %s | %s | %s | %s |\n", row.name, row.unit, fnum(n.min), fnum(n.med), fnum(n.max), fnum(p.min), fnum(p.med), fnum(p.max), note)
	}
	fmt.Fprintln(w)
	b, u := stats(r.outside["roundtrips/s/bare-socketpair"]), stats(r.outside["roundtrips/s/uv-loop"])
	fmt.Fprintln(w, "References (internal/childprocess TestIPCBenchReport, same pinning, same counts):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| path | min rt/s | median rt/s | max rt/s |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: |")
	fmt.Fprintf(w, "| bare Go socketpair ping-pong (blocking read/write, no loop) | %.0f | %.0f | %.0f |\n", b.min, b.med, b.max)
	fmt.Fprintf(w, "| port's channel without cluster (uv-loop) | %.0f | %.0f | %.0f |\n", u.min, u.med, u.max)
	fmt.Fprintln(w)
}

// target is one line of the targets table.
type target struct {
	figure, want, got string
	met               bool
	known             bool
}

func (r *results) targets() []target {
	var out []target
	add := func(figure, want string, known, met bool, got string) {
		out = append(out, target{figure, want, got, met, known})
	}
	pr := r.pairedRPS
	if r.didHTTP {
		a, b := pr("port-rr", "node-rr", "newconn"), pr("port-rr", "ceiling", "newconn")
		add("new-connection rate, round-robin, faithful protocol", "≥ 1.5× Node RR, ≥ 0.7× ceiling", !math.IsNaN(a+b), a >= 1.5 && b >= 0.7, fmt.Sprintf("%s× Node RR, %s× ceiling", fratio(a), fratio(b)))
		a, b = pr("port-none", "node-none", "newconn"), pr("port-none", "ceiling", "newconn")
		add("new-connection rate, shared handle", "≥ 1× Node shared, ≥ 0.9× ceiling", !math.IsNaN(a+b), a >= 1 && b >= 0.9, fmt.Sprintf("%s× Node shared, %s× ceiling", fratio(a), fratio(b)))
		for _, ct := range []string{"port-rr", "port-none"} {
			a, b = pr(ct, "node-rr", "keepalive"), pr(ct, "ceiling", "keepalive")
			name := "round-robin"
			if ct == "port-none" {
				name = "shared handle"
			}
			add("keep-alive requests/s ("+name+")", "≥ 1× Node RR, ≥ 0.9× ceiling", !math.IsNaN(a+b), a >= 1 && b >= 0.9, fmt.Sprintf("%s× Node RR, %s× ceiling", fratio(a), fratio(b)))
		}
		cpu := func(ct string) float64 {
			return median(field(r.http[ct]["newconn"], cpuPrimaryOf))
		}
		if r.http["port-rr-inflight"] != nil {
			a, b = pr("port-rr-inflight", "node-rr", "newconn"), pr("port-rr-inflight", "ceiling", "newconn")
			c := r.paired("port-rr-inflight", "node-rr", "newconn", cpuPrimaryOf)
			add("new-connection rate and primary CPU, round-robin, opt-in handoffs in flight (beyond Node: its own row)", "≥ 1.5× Node RR, ≥ 0.7× ceiling; ≤ 0.5× Node's primary CPU", !math.IsNaN(a+b+c), a >= 1.5 && b >= 0.7 && c <= 0.5,
				fmt.Sprintf("%s× Node RR, %s× ceiling; primary %s× (%s µs)", fratio(a), fratio(b), fratio(c), fnum(cpu("port-rr-inflight"))))
		}
		a = r.paired("port-rr", "node-rr", "newconn", cpuPrimaryOf)
		add("primary CPU per handed-off connection", "≤ 0.5× Node's", !math.IsNaN(a), a <= 0.5, fmt.Sprintf("%s× (%s µs vs %s µs)", fratio(a), fnum(cpu("port-rr")), fnum(cpu("node-rr"))))
	}
	fo := ratio(median(r.outside["forkonline/port"]), median(r.outside["forkonline/node"]))
	add("fork → online", "≤ 1/12 of Node's", !math.IsNaN(fo), fo <= 1.0/12, fmt.Sprintf("1/%s (%s ms vs %s ms)", fnum(1/fo), fnum(median(r.outside["forkonline/port"])), fnum(median(r.outside["forkonline/node"]))))
	if r.didHTTP {
		pw, nw := median(r.rss["port-rr"].workerOrNil()), median(r.rss["node-rr"].workerOrNil())
		a := ratio(pw, nw)
		add("idle worker RSS", "≤ 1/5 of Node's", !math.IsNaN(a), a <= 0.2, fmt.Sprintf("1/%s (%s MB vs %s MB)", fnum(1/a), fnum(pw/1024), fnum(nw/1024)))
	}
	p, n, b := median(r.outside["roundtrips/s/port"]), median(r.outside["roundtrips/s/node"]), median(r.outside["roundtrips/s/bare-socketpair"])
	a, bb := ratio(p, n), ratio(p, b)
	add("IPC round trips per second", "≥ 1× Node's, ≥ 0.8× bare Go socketpair", !math.IsNaN(a+bb), a >= 1 && bb >= 0.8, fmt.Sprintf("%s× Node, %s× bare", fratio(a), fratio(bb)))
	return out
}

func (s *rssSamples) workerOrNil() []float64 {
	if s == nil {
		return nil
	}
	return s.worker
}

func reportTargets(w io.Writer, r *results) {
	fmt.Fprintln(w, "## Targets (issue 5)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "HTTP ratios and primary CPU: paired (requests/s: Hodges–Lehmann over the rounds' slice pairs; primary CPU: median of per-round ratios); the rest: ratios of the medians.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| figure | target | this run | met |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	for _, t := range r.targets() {
		met := "no"
		switch {
		case !t.known:
			met = "not measured"
		case t.met:
			met = "yes"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", t.figure, t.want, t.got, met)
	}
	fmt.Fprintln(w)
	if r.cfg.smoke {
		fmt.Fprintln(w, "Smoke mode: no threshold is checked.")
	}
}

// --- the chart ----------------------------------------------------------------

var colors = map[string]string{
	"node-rr":          "#8c8c8c",
	"node-rr-aa":       "#c8c8c8",
	"port-rr-aa":       "#aec7e8",
	"node-none":        "#555555",
	"port-rr":          "#1f77b4",
	"port-none":        "#2ca02c",
	"port-rr-inflight": "#17becf",
	"ceiling":          "#ff7f0e",
}

func colorOf(key string) string {
	if c, ok := colors[key]; ok {
		return c
	}
	return "#9467bd"
}

// chartSVG draws the median ratios: requests/s of every contestant ÷ Node
// RR per workload, and the port's advantage over Node's cluster outside
// HTTP (log scale), with the targets marked.
func chartSVG(r *results) string {
	const (
		width  = 960
		left   = 330
		right  = 70
		barH   = 14
		gap    = 4
		plotW  = width - left - right
		titleH = 28
	)
	var b strings.Builder
	y := 0
	body := &strings.Builder{} // bars and text, drawn over
	grid := &strings.Builder{} // grid lines, drawn first
	text := func(x, y int, anchor, size, weight, s string) {
		fmt.Fprintf(body, `<text x="%d" y="%d" text-anchor="%s" font-size="%s" font-weight="%s">%s</text>`+"\n", x, y, anchor, size, weight, html.EscapeString(s))
	}
	tick := func(x, y int) {
		fmt.Fprintf(body, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000000" stroke-width="2"/>`+"\n", x, y-2, x, y+barH+2)
	}
	y += 24
	text(10, y, "start", "16", "bold", fmt.Sprintf("nodecluster bench, %s: %d round(s), %d workers per cluster", r.start.UTC().Format("2006-01-02 15:04 UTC"), r.cfg.rounds, r.cfg.workers))
	y += 18
	text(10, y, "start", "11", "normal", fmt.Sprintf("%d CPUs, %s, node %s; load average %s at the start, %s at the end", r.cpus, r.goVersion, orDash(r.nodeVersion), r.loadStart, r.loadEnd))
	y += 6

	if r.didHTTP {
		// Panel 1: requests/s ÷ Node RR.
		maxR := 1.0
		for _, wl := range r.workloads {
			for _, ct := range r.contestants {
				if v := r.pairedRPS(ct.key, "node-rr", wl.key); !math.IsNaN(v) && v > maxR {
					maxR = v
				}
			}
		}
		maxR = math.Ceil(maxR*2) / 2
		xOf := func(v float64) int { return left + int(v/maxR*plotW) }
		y += titleH
		text(10, y, "start", "14", "bold", "HTTP requests/s ÷ Node RR's in the same round, median over the rounds (longer is better; | = the issue's target)")
		y += 10
		top := y
		for _, wl := range r.workloads {
			y += 18
			text(10, y, "start", "12", "bold", wl.name)
			y += 4
			for _, ct := range r.contestants {
				v := r.pairedRPS(ct.key, "node-rr", wl.key)
				if math.IsNaN(v) {
					continue
				}
				fmt.Fprintf(body, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`+"\n", left, y, xOf(v)-left, barH, colorOf(ct.key))
				text(left-6, y+barH-3, "end", "11", "normal", ct.name)
				text(xOf(v)+4, y+barH-3, "start", "11", "normal", fmt.Sprintf("%.2f×", v))
				switch {
				case ct.key == "port-rr" && wl.key == "newconn":
					tick(xOf(1.5), y)
				case (ct.key == "port-rr" || ct.key == "port-none") && wl.key == "keepalive":
					tick(xOf(1), y)
				}
				y += barH + gap
			}
		}
		// Axis: 1.0 and gridlines.
		for v := 0.0; v <= maxR+1e-9; v += 0.5 {
			stroke, dash := "#dddddd", ""
			if v == 1 {
				stroke, dash = "#333333", ` stroke-dasharray="4 3"`
			}
			fmt.Fprintf(grid, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"%s/>`+"\n", xOf(v), top+6, xOf(v), y, stroke, dash)
			text(xOf(v), y+14, "middle", "10", "normal", fmt.Sprintf("%.1f", v))
		}
		y += 20
	}

	// Panel 2: the port vs Node's cluster outside the HTTP rates, log scale.
	type row struct {
		name   string
		v      float64
		target float64
	}
	var rows []row
	if r.didHTTP {
		rows = append(rows, row{"primary CPU per handed-off conn (Node ÷ port)", r.paired("node-rr", "port-rr", "newconn", cpuPrimaryOf), 2})
		rows = append(rows, row{"idle worker RSS (Node ÷ port)", ratio(median(r.rss["node-rr"].workerOrNil()), median(r.rss["port-rr"].workerOrNil())), 5})
		if r.rss["node-rr"] != nil && r.rss["port-rr"] != nil {
			rows = append(rows, row{"idle primary RSS (Node ÷ port)", ratio(median(r.rss["node-rr"].primary), median(r.rss["port-rr"].primary)), 0})
		}
	}
	rows = append(rows,
		row{"fork → online (Node ÷ port)", ratio(median(r.outside["forkonline/node"]), median(r.outside["forkonline/port"])), 12},
		row{"IPC round trips/s (port ÷ Node)", ratio(median(r.outside["roundtrips/s/port"]), median(r.outside["roundtrips/s/node"])), 1},
		row{"IPC one-way msgs/s (port ÷ Node)", ratio(median(r.outside["oneway/s/port"]), median(r.outside["oneway/s/node"])), 0},
		row{"IPC round trips/s (port ÷ bare Go socketpair)", ratio(median(r.outside["roundtrips/s/port"]), median(r.outside["roundtrips/s/bare-socketpair"])), 0.8},
	)
	maxV := 10.0
	for _, rw := range rows {
		if !math.IsNaN(rw.v) && rw.v > maxV {
			maxV = rw.v
		}
		if rw.target > maxV {
			maxV = rw.target
		}
	}
	lo, hi := 0.1, math.Pow(10, math.Ceil(math.Log10(maxV)))
	xOf := func(v float64) int {
		if v < lo {
			v = lo
		}
		return left + int(math.Log10(v/lo)/math.Log10(hi/lo)*plotW)
	}
	y += titleH
	text(10, y, "start", "14", "bold", "The port against Node's cluster: how many times better (log scale; | = the issue's target)")
	y += 10
	top := y + 6
	y += 10
	for _, rw := range rows {
		if math.IsNaN(rw.v) {
			continue
		}
		fill := colorOf("port-rr")
		if rw.target > 0 && rw.v < rw.target {
			fill = "#d62728"
		}
		fmt.Fprintf(body, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`+"\n", left, y, max(xOf(rw.v)-left, 1), barH, fill)
		text(left-6, y+barH-3, "end", "11", "normal", rw.name)
		text(xOf(rw.v)+4, y+barH-3, "start", "11", "normal", fmt.Sprintf("%.2f×", rw.v))
		if rw.target > 0 {
			tick(xOf(rw.target), y)
		}
		y += barH + gap + 4
	}
	for v := lo; v <= hi*1.0001; v *= 10 {
		stroke := "#dddddd"
		if math.Abs(v-1) < 1e-9 {
			stroke = "#333333"
		}
		fmt.Fprintf(grid, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`+"\n", xOf(v), top, xOf(v), y, stroke)
		text(xOf(v), y+14, "middle", "10", "normal", strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), "."))
	}
	y += 24
	text(10, y, "start", "10", "normal", "Red bar: target missed. Figures as medians; HTTP and primary CPU paired by round. Generated by go run ./bench; tables in docs/PERFORMANCE.md.")
	y += 10

	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">`+"\n", width, y, width, y)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, y)
	b.WriteString(grid.String())
	b.WriteString(body.String())
	b.WriteString("</svg>\n")
	return b.String()
}

// checkSVG parses the chart as XML.
func checkSVG(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// fsteal formats the range of steal percentages ("–" when unknown).
func fsteal(xs []float64) string {
	st := stats(xs) // without the NaNs
	if math.IsNaN(st.min) {
		return "–"
	}
	if fmt.Sprintf("%.0f", st.min) == fmt.Sprintf("%.0f", st.max) {
		return fmt.Sprintf("%.0f", st.min)
	}
	return fmt.Sprintf("%.0f–%.0f", st.min, st.max)
}
