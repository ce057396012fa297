package bench

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// stripes spreads a recorder over locks, so that thousands of sockets
// recording deliveries at once do not queue on one mutex.
const stripes = 16

// recorder gathers the latencies of one kind of operation: one
// HdrHistogram for the run, and one per interval for the plot.
type recorder struct {
	start time.Time
	width time.Duration
	n     atomic.Int64

	s [stripes]stripe

	errMu sync.Mutex
	errs  map[string]int64
}

type stripe struct {
	mu      sync.Mutex
	h       *hdr.Histogram
	buckets map[int]*hdr.Histogram
}

// Latencies are kept in microseconds, from 1 µs to 10 minutes, to three
// significant figures (one in the per-interval histograms).
const (
	minMicros = 1
	maxMicros = 600_000_000
)

func newRecorder(start time.Time, width time.Duration) *recorder {
	r := &recorder{start: start, width: width, errs: make(map[string]int64)}
	for i := range r.s {
		r.s[i].h = hdr.New(minMicros, maxMicros, 3)
		r.s[i].buckets = make(map[int]*hdr.Histogram)
	}
	return r
}

// record counts one operation that took d and ended at end; key picks
// the stripe (a worker's or socket's number).
func (r *recorder) record(key int, end time.Time, d time.Duration) {
	us := min(max(d.Microseconds(), minMicros), maxMicros)
	b := int(end.Sub(r.start) / r.width)
	if b < 0 {
		b = 0
	}
	st := &r.s[uint(key)%stripes]
	st.mu.Lock()
	st.h.RecordValue(us)
	bh := st.buckets[b]
	if bh == nil {
		bh = hdr.New(minMicros, maxMicros, 2)
		st.buckets[b] = bh
	}
	bh.RecordValue(us)
	st.mu.Unlock()
	r.n.Add(1)
}

// fail counts an error by its code.
func (r *recorder) fail(err error) { r.failCode(codeOf(err)) }

func (r *recorder) failCode(code string) {
	r.errMu.Lock()
	r.errs[code]++
	r.errMu.Unlock()
}

// failed reports whether err should be counted: a call cut short by the
// end of the measured phase (ctx done) is not a failure of the server.
func failed(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil
}

func (r *recorder) count() int64 { return r.n.Load() }

func (r *recorder) errors() map[string]int64 {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	out := make(map[string]int64, len(r.errs))
	for k, v := range r.errs {
		out[k] = v
	}
	return out
}

func (r *recorder) merged() *hdr.Histogram {
	h := hdr.New(minMicros, maxMicros, 3)
	for i := range r.s {
		r.s[i].mu.Lock()
		h.Merge(r.s[i].h)
		r.s[i].mu.Unlock()
	}
	return h
}

// latency summarises the run's histogram.
func (r *recorder) latency() *Latency {
	h := r.merged()
	if h.TotalCount() == 0 {
		return &Latency{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return &Latency{
		Count: h.TotalCount(),
		P50:   ms(h.ValueAtQuantile(50)),
		P90:   ms(h.ValueAtQuantile(90)),
		P99:   ms(h.ValueAtQuantile(99)),
		Max:   ms(h.Max()),
		Mean:  h.Mean() / 1000,
	}
}

// series is the run by interval: operations per second and latency.
// The last interval ends at end, and its rate is over its own length.
func (r *recorder) series(end time.Time) []Point {
	all := map[int]*hdr.Histogram{}
	for i := range r.s {
		r.s[i].mu.Lock()
		for b, h := range r.s[i].buckets {
			if all[b] == nil {
				all[b] = hdr.New(minMicros, maxMicros, 2)
			}
			all[b].Merge(h)
		}
		r.s[i].mu.Unlock()
	}
	keys := make([]int, 0, len(all))
	for b := range all {
		keys = append(keys, b)
	}
	sort.Ints(keys)
	var out []Point
	if len(keys) == 0 {
		return out
	}
	last := keys[len(keys)-1]
	for b := 0; b <= last; b++ {
		from, to := time.Duration(b)*r.width, time.Duration(b+1)*r.width
		if b == last {
			to = max(min(to, end.Sub(r.start)), from+time.Millisecond)
		}
		p := Point{T: to.Seconds()}
		if h := all[b]; h != nil {
			p.Ops = h.TotalCount()
			p.P50 = float64(h.ValueAtQuantile(50)) / 1000
			p.P99 = float64(h.ValueAtQuantile(99)) / 1000
			p.Max = float64(h.Max()) / 1000
		}
		p.Rate = float64(p.Ops) / (to - from).Seconds()
		out = append(out, p)
	}
	return out
}
