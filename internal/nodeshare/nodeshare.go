// Package nodeshare makes flood control and the per-address connection
// caps hold across the nodes of a cluster (ADR 0012), over the bus the
// nodes already share (NATS).
//
// Nothing on a request's path waits for the network: every node keeps
// deciding from its own memory, as a single node does, and tells the
// others what it let through a few times a second. Flood: each node
// publishes the tokens it took (per method and key) every FloodEvery;
// the others take as many from their own buckets (flood.Limits.Charge).
// Connections (TCP, and WebSockets): each node publishes its open
// connections per address group when they change (every ConnsEvery) and all of them every
// ConnsFull; the others add them to their own count until ConnsTTL
// passes without news, so a node that died stops counting.
//
// The price is a lag: within one interval, two nodes may each allow what
// only one of them should have. A single node (no bus) uses none of it.
package nodeshare

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/havenchat/haven/internal/core"
)

// Subjects of the bus that carry the nodes' reports: tokens taken, TCP
// connections and WebSockets per address group.
const (
	FloodSubject   = "haven.limits.flood"
	ConnsSubject   = "haven.limits.conns"
	SocketsSubject = "haven.limits.sockets"
)

// Intervals of the reports.
const (
	// FloodEvery is how often a node reports the tokens it took.
	FloodEvery = 20 * time.Millisecond
	// ConnsEvery is how often a node reports the groups whose count
	// changed; ConnsFull, how often it reports them all; ConnsTTL, how
	// long another node's counts hold without news.
	ConnsEvery = 100 * time.Millisecond
	ConnsFull  = 2 * time.Second
	ConnsTTL   = 3 * ConnsFull
)

// maxPending bounds the distinct keys (or address groups) a node holds
// to report in one interval; beyond it, new ones are not reported (each
// node still applies its own limits in full).
const maxPending = 1 << 16

// maxEntries bounds the entries of one report, so that a report stays
// far below NATS's largest message (1 MiB by default): a longer one goes
// out in parts, in order.
const maxEntries = 4096

// newNodeID names this node in its reports, so that it skips its own.
func newNodeID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// loop calls tick every d until ctx ends, then once more, and closes
// done.
func loop(ctx context.Context, d time.Duration, tick func(), done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			tick()
			return
		case <-t.C:
			tick()
		}
	}
}

// publish marshals v and publishes it on subject, logging a failure (a
// lost report costs only the lag of the next one).
func publish(bus core.Bus, log *slog.Logger, subject string, v any) {
	b, err := json.Marshal(v)
	if err == nil {
		err = bus.Publish(context.Background(), subject, b)
	}
	if err != nil {
		log.Warn("nodeshare: publishing a report", "subject", subject, "err", err)
	}
}

// stopper is the stop side of a report loop.
type stopper struct {
	cancel context.CancelFunc
	done   chan struct{}
	sub    core.Subscription
	once   sync.Once
}

// start listens on subject with receive and calls tick every d, until
// Close.
func (s *stopper) start(bus core.Bus, subject string, receive func([]byte), d time.Duration, tick func()) error {
	sub, err := bus.Subscribe(subject, receive)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done, s.sub = cancel, make(chan struct{}), sub
	go loop(ctx, d, tick, s.done)
	return nil
}

// Close sends the last report, and stops reporting and listening.
func (s *stopper) Close() error {
	var err error
	s.once.Do(func() {
		s.cancel()
		<-s.done
		err = s.sub.Unsubscribe()
	})
	return err
}
