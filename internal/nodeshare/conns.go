package nodeshare

import (
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/havenchat/haven/internal/core"
)

// Conns shares a node's open connections per address group (package
// conncap's TCP connections, or the API's WebSockets) with the other
// nodes, and counts theirs: it is a conncap.Shared.
type Conns struct {
	bus     core.Bus
	subject string
	log     *slog.Logger
	node    string
	counts  func() map[string]int // this node's, all of them
	now     func() time.Time

	mu       sync.Mutex
	changed  map[string]int        // this node's groups changed since the last report
	others   map[string]*nodeConns // by node
	total    map[string]int        // the others' counts summed, by group
	lastFull time.Time

	stopper
}

// nodeConns is what one other node last reported.
type nodeConns struct {
	counts  map[string]int
	expires time.Time
}

// connsReport is one node's report: its counts of the groups that
// changed (Full: of every group it holds; any group left out holds
// none).
type connsReport struct {
	Node   string         `json:"node"`
	Full   bool           `json:"full,omitempty"`
	Counts map[string]int `json:"counts"`
}

// NewConns shares what counts returns (conncap.Listener.Counts) over
// bus, on subject (ConnsSubject, SocketsSubject), until Close; hand it to
// conncap.Listener.SetShared (or the API's SetSharedSockets).
func NewConns(subject string, counts func() map[string]int, bus core.Bus, log *slog.Logger) (*Conns, error) {
	return newConns(subject, counts, bus, log, time.Now)
}

// newConns is NewConns reading the time from now.
func newConns(subject string, counts func() map[string]int, bus core.Bus, log *slog.Logger, now func() time.Time) (*Conns, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Conns{bus: bus, subject: subject, log: log, node: newNodeID(), counts: counts, now: now,
		changed: make(map[string]int), others: make(map[string]*nodeConns), total: make(map[string]int)}
	if err := c.start(bus, subject, c.receive, ConnsEvery, c.report); err != nil {
		return nil, err
	}
	return c, nil
}

// Others returns the connections the other nodes reported from group
// key, leaving out those of a node silent for ConnsTTL.
func (c *Conns) Others(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.total[key] == 0 {
		return 0
	}
	c.expireLocked()
	return c.total[key]
}

// Changed notes this node's new count of group key for the next report.
func (c *Conns) Changed(key string, n int) {
	c.mu.Lock()
	if _, found := c.changed[key]; found || len(c.changed) < maxPending {
		c.changed[key] = n
	}
	c.mu.Unlock()
}

// report publishes the groups that changed, or all of them every
// ConnsFull.
func (c *Conns) report() {
	now := c.now()
	c.mu.Lock()
	full := now.Sub(c.lastFull) >= ConnsFull
	var r connsReport
	switch {
	case full:
		c.lastFull = now
		c.changed = make(map[string]int)
		c.mu.Unlock()
		r = connsReport{Node: c.node, Full: true, Counts: c.counts()}
	case len(c.changed) > 0:
		r = connsReport{Node: c.node, Counts: c.changed}
		c.changed = make(map[string]int)
		c.mu.Unlock()
	default:
		c.mu.Unlock()
		return
	}
	// In parts: after a full report's first part, the others only add.
	for len(r.Counts) > maxEntries {
		part := connsReport{Node: c.node, Full: r.Full, Counts: make(map[string]int, maxEntries)}
		for k, n := range r.Counts {
			part.Counts[k] = n
			delete(r.Counts, k)
			if len(part.Counts) == maxEntries {
				break
			}
		}
		publish(c.bus, c.log, c.subject, part)
		r.Full = false
	}
	publish(c.bus, c.log, c.subject, r)
}

// receive applies another node's report.
func (c *Conns) receive(data []byte) {
	var r connsReport
	if err := json.Unmarshal(data, &r); err != nil {
		c.log.Warn("nodeshare: a connections report that does not decode", "err", err)
		return
	}
	if r.Node == c.node {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	nc := c.others[r.Node]
	if nc == nil {
		nc = &nodeConns{counts: make(map[string]int)}
		c.others[r.Node] = nc
	}
	if r.Full {
		for k, n := range nc.counts {
			c.addLocked(k, -n)
		}
		nc.counts = make(map[string]int, len(r.Counts))
	}
	for k, n := range r.Counts {
		if n < 0 {
			continue
		}
		c.addLocked(k, n-nc.counts[k])
		if n == 0 {
			delete(nc.counts, k)
		} else {
			nc.counts[k] = n
		}
	}
	nc.expires = c.now().Add(ConnsTTL)
}

// addLocked adds d to the others' total of group k.
func (c *Conns) addLocked(k string, d int) {
	if c.total[k] += d; c.total[k] <= 0 {
		delete(c.total, k)
	}
}

// expireLocked forgets the nodes silent for ConnsTTL (they stopped or
// died): their connections no longer count.
func (c *Conns) expireLocked() {
	now := c.now()
	for id, nc := range c.others {
		if now.After(nc.expires) {
			for k, n := range nc.counts {
				c.addLocked(k, -n)
			}
			delete(c.others, id)
		}
	}
}
