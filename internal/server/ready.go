package server

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// probeTimeout bounds one write probe: the writer may be stuck behind a
// lock for the store's busy timeout (5 s) before it gives up.
const probeTimeout = 30 * time.Second

// writeProbe answers /readyz's question "can this node write?" with a
// real write (check, the store's CheckWritable). One probe runs at a
// time, however many /readyz requests come, and its answer is kept for
// fresh, so that an outsider polling /readyz (it is public, for load
// balancers) costs the writer at most one small commit per period. It
// keeps wall time, not the node's Clock: the question is about this
// machine's disk, now, and tests hold their Clock still.
type writeProbe struct {
	check func(ctx context.Context) error
	fresh time.Duration

	mu      sync.Mutex
	at      time.Time // when the last answer came; zero before the first
	err     error     // the last answer
	running chan struct{}
}

func newWriteProbe(check func(ctx context.Context) error, fresh time.Duration) *writeProbe {
	return &writeProbe{check: check, fresh: fresh}
}

// ready reports whether the store could be written within the last
// fresh period, probing it now if not. It returns when the probe
// answers or ctx ends (a probe stuck behind a lock means not ready);
// the probe itself runs on, and its answer serves the next callers.
func (p *writeProbe) ready(ctx context.Context) error {
	p.mu.Lock()
	if !p.at.IsZero() && time.Since(p.at) < p.fresh {
		err := p.err
		p.mu.Unlock()
		return err
	}
	if p.running == nil {
		p.running = make(chan struct{})
		go p.run(p.running)
	}
	done := p.running
	p.mu.Unlock()
	select {
	case <-done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.err
	case <-ctx.Done():
		return fmt.Errorf("the write probe did not answer: %w", ctx.Err())
	}
}

func (p *writeProbe) run(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	err := p.check(ctx)
	p.mu.Lock()
	p.at, p.err, p.running = time.Now(), err, nil
	p.mu.Unlock()
	close(done)
}
