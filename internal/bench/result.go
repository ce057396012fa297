package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Result is what one scenario (or one point of a sweep) measured.
type Result struct {
	Scenario string `json:"scenario"`
	// Params are the scenario's sizes ("members": 1000 ...).
	Params map[string]int64 `json:"params"`
	// Seconds is how long the measured phase lasted (setup excluded).
	Seconds float64 `json:"seconds"`
	// Ops is how many operations completed in it, Throughput the rate,
	// Unit what an operation is ("sign-ups", "deliveries" ...).
	Ops        int64   `json:"ops"`
	Throughput float64 `json:"throughput_per_s"`
	Unit       string  `json:"unit"`
	// Latency is the distribution of LatencyOf ("send→delivery" ...).
	Latency   *Latency `json:"latency_ms"`
	LatencyOf string   `json:"latency_of"`
	// More are the scenario's other distributions (a send's
	// acknowledgement, a search ...), by name.
	More map[string]*Latency `json:"more_latency_ms,omitempty"`
	// Figures are the scenario's other numbers (bytes per connection,
	// messages posted ...), by name.
	Figures map[string]float64 `json:"figures,omitempty"`
	// Errors counts the failures by code; Limits the part of them that
	// are the server's limits (FLOOD_WAIT, CONNECTIONS_TOO_MANY ...),
	// not its speed.
	Errors map[string]int64 `json:"errors"`
	Limits map[string]int64 `json:"limits_hit,omitempty"`
	// Server is the server process's CPU and memory over the measured
	// phase, when the bench could read its /proc.
	Server *ProcStats `json:"server,omitempty"`
	// ServerTime is the server's own time to answer each method called
	// in the measured phase, from its metrics, when the bench could read
	// them.
	ServerTime map[string]*ServerTime `json:"server_time,omitempty"`
	// Series is the measured phase interval by interval.
	Series []Point `json:"series"`
	// Parts are the figures of each part of a mixed run.
	Parts []*Result `json:"parts,omitempty"`
}

// Latency is a latency distribution in milliseconds.
type Latency struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
}

// Point is one interval of a run.
type Point struct {
	T    float64 `json:"t"` // seconds since the measured phase began, at the interval's end
	Ops  int64   `json:"ops"`
	Rate float64 `json:"per_s"`
	P50  float64 `json:"p50_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
}

// ProcStats is a process's use of the machine over a phase.
type ProcStats struct {
	PID int `json:"pid"`
	// CPU is the mean CPU use in percent of one core (200 is two busy
	// cores).
	CPU float64 `json:"cpu_percent"`
	// RSS at the phase's start and end, and its peak, in bytes.
	RSSStart int64 `json:"rss_start_bytes"`
	RSSEnd   int64 `json:"rss_end_bytes"`
	RSSPeak  int64 `json:"rss_peak_bytes"`
}

// Report is the whole output of a run of haven bench.
type Report struct {
	Scenario string `json:"scenario"`
	Server   string `json:"server"`
	Spawned  bool   `json:"spawned"`
	// FloodControl is "off" (a spawned server), "on" (FLOOD_WAIT seen)
	// or "unknown".
	FloodControl string    `json:"flood_control"`
	Machine      Machine   `json:"machine"`
	Results      []*Result `json:"results"`
}

func fmtMS(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 1000:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func fmtCount(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func fmtBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// params words a result's sizes, in a stable order.
func (r *Result) params() string {
	keys := slices.Sorted(maps.Keys(r.Params))
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", k, r.Params[k])
	}
	return b.String()
}

func errorsText(m map[string]int64) string {
	if len(m) == 0 {
		return "0"
	}
	keys := slices.Sorted(maps.Keys(m))
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, m[k]))
	}
	return strings.Join(parts, ",")
}

// WriteTable prints the report as a table, one row per result (and per
// part of a mixed run), then each result's other figures.
func (rep *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "haven bench %s: server %s (%s), flood control %s\n", rep.Scenario, rep.Server,
		map[bool]string{true: "spawned", false: "given"}[rep.Spawned], rep.FloodControl)
	fmt.Fprintf(w, "machine: %s\n\n", rep.Machine)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tparams\tops\tper s\tlatency of\tp50 ms\tp90 ms\tp99 ms\tmax ms\terrors\tsrv cpu%\tsrv rss\t")
	var rows []*Result
	for _, r := range rep.Results {
		rows = append(rows, r)
		rows = append(rows, r.Parts...)
	}
	for _, r := range rows {
		l := r.Latency
		if l == nil {
			l = &Latency{}
		}
		cpu, rss := "-", "-"
		if r.Server != nil {
			cpu, rss = fmt.Sprintf("%.0f", r.Server.CPU), fmtBytes(r.Server.RSSPeak)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Scenario, r.params(), r.Ops,
			fmtCount(r.Throughput), r.Unit, r.LatencyOf, fmtMS(l.P50), fmtMS(l.P90), fmtMS(l.P99), fmtMS(l.Max),
			errorsText(r.Errors), cpu, rss)
	}
	tw.Flush()
	for _, r := range rows {
		if len(r.More) == 0 && len(r.Figures) == 0 && len(r.Limits) == 0 && len(r.ServerTime) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s %s:\n", r.Scenario, r.params())
		for _, k := range slices.Sorted(maps.Keys(r.More)) {
			l := r.More[k]
			fmt.Fprintf(w, "  %-36s n=%d p50 %s  p90 %s  p99 %s  max %s ms\n", k, l.Count, fmtMS(l.P50), fmtMS(l.P90), fmtMS(l.P99), fmtMS(l.Max))
		}
		for _, k := range slices.Sorted(maps.Keys(r.Figures)) {
			fmt.Fprintf(w, "  %-36s %s\n", k, fmtFigure(k, r.Figures[k]))
		}
		for _, k := range slices.Sorted(maps.Keys(r.ServerTime)) {
			st := r.ServerTime[k]
			fmt.Fprintf(w, "  %-36s n=%d p50 ≤ %s  p99 ≤ %s ms\n", "server time "+k, st.Count, fmtBound(st.P50), fmtBound(st.P99))
		}
		if len(r.Limits) > 0 {
			fmt.Fprintf(w, "  %-36s %s\n", "limits that got in the way:", errorsText(r.Limits))
		}
		if r.Server != nil {
			fmt.Fprintf(w, "  %-36s %s at start, %s at end\n", "server rss", fmtBytes(r.Server.RSSStart), fmtBytes(r.Server.RSSEnd))
		}
	}
}

func fmtBound(ms float64) string {
	if ms < 0 {
		return "∞"
	}
	return strconv.FormatFloat(ms, 'g', -1, 64)
}

func fmtFigure(name string, v float64) string {
	if strings.HasSuffix(name, "(bytes)") {
		return fmtBytes(int64(v))
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.2f", v)
}

// WriteJSON writes the report to the file path.
func (rep *Report) WriteJSON(path string) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// Machine describes the machine the bench ran on.
type Machine struct {
	Cores int    `json:"cores"`
	CPU   string `json:"cpu"`
	// Memory is the total memory in bytes.
	Memory int64 `json:"memory_bytes"`
	// Load is the load average over 1, 5 and 15 minutes when the run
	// began: how busy the machine was with other work.
	Load string `json:"load_average"`
}

func (m Machine) String() string {
	return fmt.Sprintf("%d cores (%s), %s memory, load average %s at the start", m.Cores, m.CPU, fmtBytes(m.Memory), m.Load)
}

// thisMachine reads the machine's cores, CPU model and memory from /proc.
func thisMachine() Machine {
	var m Machine
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "processor":
				m.Cores++
			case "model name":
				m.CPU = strings.TrimSpace(v)
			}
		}
	}
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(data)); len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
				m.Memory = kb << 10
			}
		}
	}
	return m
}
