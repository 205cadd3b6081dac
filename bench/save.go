package main

import (
	"encoding/json"
	"math"
	"os"
	"time"
)

// saved is a run's results as JSON (-json), which -replay turns back into
// the tables and the chart without running anything.
type saved struct {
	Rounds      int                                 `json:"rounds"`
	Duration    string                              `json:"duration"`
	Slice       string                              `json:"slice,omitempty"` // absent in files written before runs were taken in slices
	Warmup      string                              `json:"warmup"`
	Workers     int                                 `json:"workers"`
	Forks       int                                 `json:"forks"`
	IPCN        int                                 `json:"ipc_n"`
	Oneway      int                                 `json:"oneway"`
	Smoke       bool                                `json:"smoke"`
	Start       time.Time                           `json:"start"`
	End         time.Time                           `json:"end"`
	LoadStart   string                              `json:"load_start"`
	LoadEnd     string                              `json:"load_end"`
	LoadRounds  []string                            `json:"load_rounds"`
	GoVersion   string                              `json:"go_version"`
	Kernel      string                              `json:"kernel"`
	NodeVersion string                              `json:"node_version"`
	WrkVersion  string                              `json:"wrk_version"`
	CPUModel    string                              `json:"cpu_model"`
	CPUs        int                                 `json:"cpus"`
	WrkPinned   string                              `json:"wrk_pinned"`
	IPCPinned   string                              `json:"ipc_pinned"`
	PollIdle    bool                                `json:"poll_idle"`
	IdleStates  string                              `json:"idle_states,omitempty"`
	DidHTTP     bool                                `json:"did_http"`
	Notes       []string                            `json:"notes"`
	Contestants []savedContestant                   `json:"contestants"`
	HTTP        map[string]map[string][]savedSample `json:"http"`
	RSS         map[string]map[string][]float64     `json:"rss_kb"`
	Raw         map[string][2]string                `json:"raw"`
	Outside     map[string][]float64                `json:"outside"`
	MaxSteal    float64                             `json:"max_steal,omitempty"`
	Remeasured  int                                 `json:"remeasured,omitempty"`
	CalmWait    string                              `json:"calm_wait,omitempty"`
	CalmBudget  string                              `json:"calm_budget,omitempty"`
	CalmWaited  string                              `json:"calm_waited,omitempty"`
}

type savedContestant struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	AA   bool   `json:"aa"`
}

type savedSample struct {
	RPS        float64   `json:"rps"`
	P50        float64   `json:"p50_ms"`
	P99        float64   `json:"p99_ms"`
	CPUPrimary *float64  `json:"cpu_primary_us"`
	CPUWorkers *float64  `json:"cpu_workers_us"`
	Errors     float64   `json:"errors"`
	Steal      *float64  `json:"steal_pct,omitempty"` // absent in files written before it was measured
	SliceRPS   []float64 `json:"slice_rps,omitempty"` // requests/s of each slice the sample is the median of
}

func ptr(x float64) *float64 {
	if math.IsNaN(x) {
		return nil
	}
	return &x
}

func unptr(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func saveResults(path string, r *results) error {
	c := r.cfg
	s := saved{Rounds: c.rounds, Duration: c.duration.String(), Slice: c.slice.String(), Warmup: c.warmup.String(), Workers: c.workers, Forks: c.forks, IPCN: c.ipcN, Oneway: c.oneway, Smoke: c.smoke,
		Start: r.start, End: r.end, LoadStart: r.loadStart, LoadEnd: r.loadEnd, LoadRounds: r.loadRounds, GoVersion: r.goVersion, Kernel: r.kernel,
		NodeVersion: r.nodeVersion, WrkVersion: r.wrkVersion, CPUModel: r.cpuModel, CPUs: r.cpus, WrkPinned: r.wrkPinned, IPCPinned: r.ipcPinned, PollIdle: r.pollIdle, IdleStates: r.idleStates,
		DidHTTP: r.didHTTP, Notes: r.notes, HTTP: map[string]map[string][]savedSample{}, RSS: map[string]map[string][]float64{}, Raw: r.raw, Outside: r.outside, MaxSteal: c.maxSteal, Remeasured: r.remeasured}
	if c.maxSteal > 0 && c.calmWait > 0 {
		s.CalmWait, s.CalmBudget, s.CalmWaited = c.calmWait.String(), c.calmBudget.String(), r.calmWaited.String()
	}
	for _, ct := range r.contestants {
		s.Contestants = append(s.Contestants, savedContestant{ct.key, ct.name, ct.aa})
	}
	for k, m := range r.http {
		s.HTTP[k] = map[string][]savedSample{}
		for wl, ss := range m {
			for _, x := range ss {
				s.HTTP[k][wl] = append(s.HTTP[k][wl], savedSample{x.rps, x.p50, x.p99, ptr(x.cpuPrimary), ptr(x.cpuWorkers), x.errors, ptr(x.steal), x.slices})
			}
		}
	}
	for k, v := range r.rss {
		s.RSS[k] = map[string][]float64{"primary": v.primary, "worker": v.worker}
	}
	b, err := json.MarshalIndent(&s, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func loadResults(path string) (*results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s saved
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	d, _ := time.ParseDuration(s.Duration)
	w, _ := time.ParseDuration(s.Warmup)
	sl, _ := time.ParseDuration(s.Slice) // 0 (one run of d) in older files
	c := &config{rounds: s.Rounds, duration: d, slice: sl, warmup: w, workers: s.Workers, forks: s.Forks, ipcN: s.IPCN, oneway: s.Oneway, smoke: s.Smoke, maxSteal: s.MaxSteal}
	// Files written before -calm-wait existed have none of the three.
	c.calmWait, _ = time.ParseDuration(s.CalmWait)
	c.calmBudget, _ = time.ParseDuration(s.CalmBudget)
	calmWaited, _ := time.ParseDuration(s.CalmWaited)
	r := &results{cfg: c, start: s.Start, end: s.End, loadStart: s.LoadStart, loadEnd: s.LoadEnd, loadRounds: s.LoadRounds, goVersion: s.GoVersion,
		kernel: s.Kernel, nodeVersion: s.NodeVersion, wrkVersion: s.WrkVersion, cpuModel: s.CPUModel, cpus: s.CPUs, wrkPinned: s.WrkPinned, pollIdle: s.PollIdle, idleStates: s.IdleStates,
		ipcPinned: s.IPCPinned, didHTTP: s.DidHTTP, notes: s.Notes, workloads: workloads, http: map[string]map[string][]sample{},
		rss: map[string]*rssSamples{}, raw: s.Raw, outside: s.Outside, remeasured: s.Remeasured, calmWaited: calmWaited}
	for _, ct := range s.Contestants {
		r.contestants = append(r.contestants, contestant{key: ct.Key, name: ct.Name, aa: ct.AA})
	}
	for k, m := range s.HTTP {
		r.http[k] = map[string][]sample{}
		for wl, ss := range m {
			for _, x := range ss {
				r.http[k][wl] = append(r.http[k][wl], sample{rps: x.RPS, p50: x.P50, p99: x.P99, cpuPrimary: unptr(x.CPUPrimary), cpuWorkers: unptr(x.CPUWorkers), errors: x.Errors, steal: unptr(x.Steal), slices: x.SliceRPS})
			}
		}
	}
	for k, v := range s.RSS {
		r.rss[k] = &rssSamples{primary: v["primary"], worker: v["worker"]}
	}
	if r.raw == nil {
		r.raw = map[string][2]string{}
	}
	if r.outside == nil {
		r.outside = map[string][]float64{}
	}
	return r, nil
}
