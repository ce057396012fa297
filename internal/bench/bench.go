// Package bench is "haven bench": load scenarios driven against a Haven
// server over real sockets, through the public API only (HTTP for
// setup and sign-ups, signed-in WebSockets for messages and pushes),
// with the figures a person needs to judge the server: throughput,
// latency percentiles from an HdrHistogram, errors by code, and the
// server process's CPU and memory read from /proc.
//
// A run either starts its own server (Options.Spawn: the haven binary's
// "serve" on a temporary data directory, a free loopback port, flood
// control off and the per-address caps raised, since every request
// comes from one address) or drives one given by URL, whose limits it
// then reports when they got in the way. Sign-in codes reach the bench
// through the server's webhook code sender.
//
// Each scenario sets up what it needs (accounts, chats, sockets) before
// it measures, and measures only its own phase.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options are the settings of a run; Main fills them from flags.
type Options struct {
	// Server is the URL of a running server; Spawn starts one instead,
	// from Binary ("haven serve ...").
	Server string
	Spawn  bool
	Binary string
	// ServerArgs are more settings for a spawned server.
	ServerArgs []string
	// ServerPID, with Server, is the server's process on this machine,
	// to sample its CPU and memory.
	ServerPID int
	// Metrics, with Server, is the server's /metrics URL (its
	// --metrics-listen), to read its own time per method.
	Metrics string
	// HookListen is where the bench listens for the sign-in codes of a
	// server given by URL (its --code-sender webhook=http://HOOK/).
	HookListen string

	// Duration is how long the measured phase of a timed scenario lasts.
	Duration time.Duration
	// Concurrency is how many requests the setup (and sign-ups, and
	// history reads) keeps in flight.
	Concurrency int
	// Rate is the offered load in operations per second over all
	// senders; 0 sends as fast as the answers come (one in flight per
	// sender).
	Rate float64

	// The sizes of the scenarios (see the usage text).
	Conns, Pairs, Members, Posters, Subscribers, Online, Posts int
	Messages, Events, Rounds                                   int
	// SearchEvery: history readers make every SearchEvery-th call a
	// search (0: pages alone).
	SearchEvery int

	// Sweep runs the scenario at growing sizes (see the usage text).
	Sweep bool

	// Profile, when not empty, is a file to keep a CPU profile of the
	// server over the first measured phase (from its /debug/pprof/, on
	// the metrics listener); a sweep's points add "-N" before the
	// extension.
	Profile string
	// SelfProfile, when not empty, is a file to keep a CPU profile of
	// the load generator itself over the first measured phase: what the
	// bench costs the machine it shares with a spawned server.
	SelfProfile string

	// Progress, when not nil, gets a progress line now and then (a
	// terminal: the line is rewritten in place).
	Progress io.Writer
}

// DefaultOptions are small sizes that run in seconds.
func DefaultOptions() Options {
	return Options{
		HookListen: "127.0.0.1:9099", Duration: 10 * time.Second, Concurrency: 32,
		Conns: 1000, Pairs: 50, Members: 100, Posters: 10, Subscribers: 1000, Online: -1, Posts: 20,
		Messages: 10000, Events: 1000, Rounds: 5, SearchEvery: 10,
	}
}

// Scenarios are the scenario names, in the order of the usage text.
var Scenarios = []string{"signup", "idle", "direct", "group", "channel", "history", "catchup", "mixed"}

// run is one scenario against one target.
type run struct {
	t        *target
	api      *httpAPI
	wsHTTP   *http.Client
	opts     *Options
	scenario string
	id       string       // this run's tag in names and identifiers
	seq      atomic.Int64 // identifiers made
	floods   atomic.Int64 // FLOOD_WAIT answers seen

	profile     string // where to keep the CPU profile, or ""
	profileOnce sync.Once
	selfOnce    sync.Once
	selfStop    func()     // ends the bench's own profile, once started
	profileDone chan error // the profile's outcome, once started
}

// Run runs scenario as opts say and returns its report.
func Run(ctx context.Context, scenario string, opts Options) (*Report, error) {
	if !knownScenario(scenario) {
		return nil, fmt.Errorf("unknown scenario %q (want one of %s)", scenario, strings.Join(Scenarios, ", "))
	}
	if opts.Online < 0 || opts.Online > opts.Subscribers {
		opts.Online = opts.Subscribers
	}
	rep := &Report{Scenario: scenario, Spawned: opts.Spawn, Machine: thisMachine(), FloodControl: "unknown"}
	points := []Options{opts}
	if opts.Sweep {
		var err error
		if points, err = sweep(scenario, opts); err != nil {
			return nil, err
		}
	}
	var floods int64
	floodOff := false
	// What the report says of flood control: off when the bench set it
	// so, on when the server answered FLOOD_WAIT; no API method tells a
	// client the server's flood settings.
	defer func() {
		switch {
		case floodOff:
			rep.FloodControl = "off"
		case floods > 0:
			rep.FloodControl = "on (FLOOD_WAIT answered)"
		default:
			rep.FloodControl = "unknown (no FLOOD_WAIT answered)"
		}
	}()
	for i, o := range points {
		r, res, err := runOne(ctx, scenario, o, i, len(points))
		if r != nil {
			rep.Server = r.t.url
			floodOff = r.t.floodOff
			floods += r.floods.Load()
		}
		if err != nil {
			return rep, err
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

func knownScenario(s string) bool { return slices.Contains(Scenarios, s) }

// runOne runs one point of a run on a target of its own (a fresh server
// when spawning, so that one point's data does not weigh on the next).
func runOne(ctx context.Context, scenario string, o Options, i, n int) (*run, *Result, error) {
	var t *target
	var err error
	if o.Spawn {
		t, err = spawn(ctx, o.Binary, o.ServerArgs)
	} else {
		t, err = attach(o.Server, o.HookListen, o.ServerPID, o.Metrics)
	}
	if err != nil {
		return nil, nil, err
	}
	defer t.close()
	r := &run{t: t, opts: &o, scenario: scenario, id: randomTag(), profile: o.Profile}
	if r.profile != "" && n > 1 {
		ext := filepath.Ext(r.profile)
		r.profile = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(r.profile, ext), i+1, ext)
	}
	r.api = newHTTPAPI(t.url, o.Concurrency*2)
	r.wsHTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: -1}, Timeout: 60 * time.Second}
	if n > 1 {
		r.note(fmt.Sprintf("sweep point %d of %d", i+1, n))
	}
	res, err := scenarioFuncs[scenario](ctx, r)
	if err != nil {
		if aerr := t.alive(); aerr != nil {
			err = errors.Join(err, aerr)
		}
		return r, nil, fmt.Errorf("%s: %w", scenario, err)
	}
	res.Scenario = scenario
	r.finish(res)
	if err := r.profileWait(); err != nil {
		return r, res, fmt.Errorf("the server's CPU profile: %w", err)
	}
	return r, res, nil
}

var scenarioFuncs = map[string]func(context.Context, *run) (*Result, error){
	"signup":  runSignup,
	"idle":    runIdle,
	"direct":  runDirect,
	"group":   runGroup,
	"channel": runChannel,
	"history": runHistory,
	"catchup": runCatchup,
	"mixed":   runMixed,
}

func randomTag() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// finish splits a result's errors into the limits and the rest.
func (r *run) finish(res *Result) {
	for _, p := range append([]*Result{res}, res.Parts...) {
		if p.Errors == nil {
			p.Errors = map[string]int64{}
		}
		for code, n := range p.Errors {
			if limitCodes[code] {
				if p.Limits == nil {
					p.Limits = map[string]int64{}
				}
				p.Limits[code] = n
				if code == "FLOOD_WAIT" {
					r.floods.Add(n)
				}
			}
		}
	}
}

// phase is the measured part of a scenario: its start, its recorder,
// and the server's /proc samples over it.
type phase struct {
	r       *run
	start   time.Time
	proc0   procSample
	rec     *recorder
	metrics map[string]buckets // the server's histograms at the start
}

// interval is the width of the plot's intervals for a phase of d.
func interval(d time.Duration) time.Duration {
	w := time.Second
	if d > 120*time.Second {
		w = d / 120
	}
	return w
}

func (r *run) begin(expected time.Duration) *phase {
	p := &phase{r: r, start: time.Now()}
	if r.t.proc != nil {
		p.proc0 = r.t.proc.now()
	}
	p.rec = newRecorder(p.start, interval(expected))
	if u := r.t.metricsURL(); u != "" {
		p.metrics, _ = scrape(context.Background(), u)
	}
	r.profileStart(expected)
	r.selfProfileStart()
	return p
}

// selfProfileStart begins the CPU profile of the bench process, once per
// run; the first phase's end stops it.
func (r *run) selfProfileStart() {
	if r.opts.SelfProfile == "" {
		return
	}
	r.selfOnce.Do(func() {
		f, err := os.Create(r.opts.SelfProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "haven bench: its own profile:", err)
			return
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			fmt.Fprintln(os.Stderr, "haven bench: its own profile:", err)
			return
		}
		r.selfStop = func() {
			pprof.StopCPUProfile()
			f.Close()
		}
	})
}

// end closes the phase: the result's time, throughput, latency, series
// and the server's use of the machine.
func (p *phase) end(unit, latencyOf string) *Result {
	end := time.Now()
	if stop := p.r.selfStop; stop != nil {
		p.r.selfStop = nil
		stop()
	}
	res := &Result{Unit: unit, LatencyOf: latencyOf, Params: map[string]int64{}}
	res.Seconds = end.Sub(p.start).Seconds()
	res.Ops = p.rec.count()
	res.Throughput = float64(res.Ops) / res.Seconds
	res.Latency = p.rec.latency()
	res.Series = p.rec.series(end)
	res.Errors = p.rec.errors()
	res.Server = p.procStats(end)
	if u := p.r.t.metricsURL(); u != "" && p.metrics != nil {
		if after, err := scrape(context.Background(), u); err == nil {
			res.ServerTime = serverTimes(p.metrics, after)
		}
	}
	return res
}

func (p *phase) procStats(end time.Time) *ProcStats {
	s := p.r.t.proc
	if s == nil {
		return nil
	}
	last := s.now()
	ps := &ProcStats{PID: s.pid, RSSStart: p.proc0.rss, RSSEnd: last.rss}
	for _, x := range s.between(p.start, end.Add(time.Second)) {
		ps.RSSPeak = max(ps.RSSPeak, x.rss)
	}
	if d := last.at.Sub(p.proc0.at).Seconds(); d > 0 {
		ps.CPU = 100 * (last.cpu - p.proc0.cpu) / d
	}
	return ps
}

// profileStart begins the CPU profile of the server for about d (at
// least a second, at most a minute), once per run.
func (r *run) profileStart(d time.Duration) {
	u := r.t.metricsURL()
	if r.profile == "" || u == "" {
		return
	}
	r.profileOnce.Do(func() {
		r.profileDone = make(chan error, 1)
		secs := int(min(max(d, time.Second), time.Minute).Seconds())
		url := strings.TrimSuffix(u, "/metrics") + "/debug/pprof/profile?seconds=" + strconv.Itoa(secs)
		go func() { r.profileDone <- fetchTo(url, r.profile, time.Duration(secs+30)*time.Second) }()
	})
}

// profileWait waits for the profile started, if any.
func (r *run) profileWait() error {
	if r.profile == "" {
		return nil
	}
	if r.profileDone == nil {
		if r.t.metricsURL() == "" {
			return errors.New("the server's metrics listener is unknown (give --metrics with --server)")
		}
		return nil
	}
	return <-r.profileDone
}

// fetchTo GETs url into the file path.
func fetchTo(url, path string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// progressf shows line() on the progress writer twice a second until
// the returned stop is called.
func (r *run) progressf(line func() string) (stop func()) {
	w := r.opts.Progress
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprintf(w, "\r\033[K%s", line())
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// note writes one line of progress that stays.
func (r *run) note(s string) {
	if r.opts.Progress != nil {
		fmt.Fprintf(r.opts.Progress, "\r\033[K%s\n", s)
	}
}

// measuring shows the measured phase's progress: operations so far and
// the rate over the last half second.
func (r *run) measuring(what string, rec *recorder) (stop func()) {
	var last int64
	lastAt := time.Now()
	return r.progressf(func() string {
		n, now := rec.count(), time.Now()
		rate := float64(n-last) / now.Sub(lastAt).Seconds()
		last, lastAt = n, now
		errs := rec.errors()
		var ne int64
		for _, v := range errs {
			ne += v
		}
		s := fmt.Sprintf("%s: %s, %d %s, %s/s, %d errors", r.scenario, time.Since(rec.start).Truncate(time.Second), n, what, fmtCount(rate), ne)
		if r.t.proc != nil {
			s += ", server rss " + fmtBytes(r.t.proc.now().rss)
		}
		return s
	})
}

// until is a context that ends after the run's duration.
func (r *run) until(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.opts.Duration)
}
