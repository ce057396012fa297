package nodeshare

import (
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/flood"
)

// Flood is flood.Limits shared with the other nodes: Allow decides from
// this node's buckets, which also hold the tokens the other nodes
// reported taking, and notes each token taken for the next report.
type Flood struct {
	limits *flood.Limits
	bus    core.Bus
	log    *slog.Logger
	node   string

	mu      sync.Mutex
	pending map[floodKey]int

	stopper
}

type floodKey struct{ method, key string }

// floodReport is one node's report: the tokens it took since its last.
type floodReport struct {
	Node  string       `json:"node"`
	Taken []floodTaken `json:"taken"`
}

type floodTaken struct {
	Method string `json:"m"`
	Key    string `json:"k"`
	N      int    `json:"n"`
}

// NewFlood shares limits over bus until Close.
func NewFlood(limits *flood.Limits, bus core.Bus, log *slog.Logger) (*Flood, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Flood{limits: limits, bus: bus, log: log, node: newNodeID(), pending: make(map[floodKey]int)}
	if err := f.start(bus, FloodSubject, f.receive, FloodEvery, f.report); err != nil {
		return nil, err
	}
	return f, nil
}

// Allow is flood.Limits.Allow, noting the token taken for the others.
func (f *Flood) Allow(method, key string) (bool, time.Duration) {
	ok, wait := f.limits.Allow(method, key)
	if !ok {
		return ok, wait
	}
	k := floodKey{method, key}
	f.mu.Lock()
	if n, found := f.pending[k]; found {
		f.pending[k] = n + 1
	} else if len(f.pending) < maxPending {
		// The strings may point into a request's buffer: keep copies.
		f.pending[floodKey{strings.Clone(method), strings.Clone(key)}] = 1
	}
	f.mu.Unlock()
	return ok, wait
}

// report publishes the tokens taken since the last report, if any.
func (f *Flood) report() {
	f.mu.Lock()
	if len(f.pending) == 0 {
		f.mu.Unlock()
		return
	}
	p := f.pending
	f.pending = make(map[floodKey]int, len(p))
	f.mu.Unlock()
	r := floodReport{Node: f.node, Taken: make([]floodTaken, 0, min(len(p), maxEntries))}
	for k, n := range p {
		r.Taken = append(r.Taken, floodTaken{k.method, k.key, n})
		if len(r.Taken) == maxEntries {
			publish(f.bus, f.log, FloodSubject, r)
			r.Taken = r.Taken[:0]
		}
	}
	if len(r.Taken) > 0 {
		publish(f.bus, f.log, FloodSubject, r)
	}
}

// receive charges another node's report to this node's buckets.
func (f *Flood) receive(data []byte) {
	var r floodReport
	if err := json.Unmarshal(data, &r); err != nil {
		f.log.Warn("nodeshare: a flood report that does not decode", "err", err)
		return
	}
	if r.Node == f.node {
		return
	}
	for _, t := range r.Taken {
		f.limits.Charge(t.Method, t.Key, t.N)
	}
}
