// Package ordered puts a queue in front of a bus's publish side, so that
// whoever publishes (the store's writer, after each commit) hands events
// over and goes back to work: nothing it does waits for a subscriber, a
// socket or the network.
//
// One goroutine publishes what was queued, one event after the other, in
// the order it was queued. The writer queues committed events in commit
// order, so every subject (a chat, a person) sees its events in commit
// order, and so do subjects relative to each other: a person's "dialog
// added" reaches the node before the first event of the chat they joined,
// which the node needs to route that event to their sockets.
//
// The queue is bounded. It fills only when the bus behind it cannot take
// events as fast as the node commits them (the node is overloaded, or a
// network bus is down); then Publish waits for room, until its context
// ends. A slow socket never fills it: the node's fan-out cuts sockets
// that cannot keep up rather than wait for them.
package ordered

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/havenchat/haven/internal/core"
)

// DefaultMax is the number of events the queue holds when Options.Max
// is 0: bursts of commits pass without the writer waiting, and a node
// whose fan-out falls behind slows its writes before its pushes are
// seconds late (an event to a large group is a thousand deliveries).
const DefaultMax = 4096

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("ordered: publisher closed")

// Options configure a Bus. The zero value is usable.
type Options struct {
	// Max bounds the events waiting to be published (DefaultMax if 0).
	Max int
	// Log receives the failures of the bus behind (discarded if nil).
	Log *slog.Logger
}

// Bus is a core.Bus whose Publish queues the event and returns at once;
// one goroutine publishes the queue, in order, on the bus it wraps.
// Subscribe goes straight to the bus it wraps.
type Bus struct {
	next core.Bus
	log  *slog.Logger
	max  int

	mu       sync.Mutex
	notFull  *sync.Cond
	q        []event // waiting, oldest first
	closed   bool
	wake     chan struct{} // 1-buffered: the queue has events
	done     chan struct{} // closed when the publishing goroutine ends
	waits    int64         // Publish calls that found the queue full
	maxDepth int
}

type event struct {
	subject string
	data    []byte
}

var _ core.Bus = (*Bus)(nil)

// New returns a Bus that publishes on next, and starts its goroutine;
// Close stops it.
func New(next core.Bus, opt Options) *Bus {
	if opt.Max <= 0 {
		opt.Max = DefaultMax
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	b := &Bus{next: next, log: opt.Log, max: opt.Max, wake: make(chan struct{}, 1), done: make(chan struct{})}
	b.notFull = sync.NewCond(&b.mu)
	go b.run()
	return b
}

// Publish queues data for subject and returns; the bus behind gets it
// after every event queued before it. When the queue is full, Publish
// waits for room until ctx ends, and then returns ctx.Err(): the event
// is not published (clients recover it from the log, as from any bus
// failure). After Close it returns ErrClosed. The caller must not modify
// data afterwards.
func (b *Bus) Publish(ctx context.Context, subject string, data []byte) error {
	b.mu.Lock()
	if len(b.q) >= b.max && !b.closed {
		b.waits++
		// Wake the wait below when ctx ends.
		stop := context.AfterFunc(ctx, func() {
			b.mu.Lock()
			b.notFull.Broadcast()
			b.mu.Unlock()
		})
		for len(b.q) >= b.max && !b.closed && ctx.Err() == nil {
			b.notFull.Wait()
		}
		stop()
	}
	switch {
	case b.closed:
		b.mu.Unlock()
		return ErrClosed
	case len(b.q) >= b.max:
		b.mu.Unlock()
		return ctx.Err()
	}
	b.q = append(b.q, event{subject: subject, data: data})
	b.maxDepth = max(b.maxDepth, len(b.q))
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return nil
}

// InStep is the bus behind's: one goroutine publishes the queue in order,
// so a subscription made while handling an event is in place for the
// events queued after it whenever the bus behind delivers in step.
func (b *Bus) InStep() bool { return core.InStep(b.next) }

// Subscribe subscribes on the bus behind.
func (b *Bus) Subscribe(subject string, h func(data []byte)) (core.Subscription, error) {
	return b.next.Subscribe(subject, h)
}

// run publishes the queue until Close, then what is left of it.
func (b *Bus) run() {
	defer close(b.done)
	var batch []event
	for {
		b.mu.Lock()
		// Take everything waiting; Publish fills the other array meanwhile.
		b.q, batch = batch[:0], b.q
		closed := b.closed
		b.notFull.Broadcast()
		b.mu.Unlock()
		for i := range batch {
			b.publish(batch[i])
		}
		clear(batch)
		if len(batch) > 0 {
			continue // more may have come meanwhile
		}
		if closed {
			return
		}
		<-b.wake
	}
}

// publish hands one event to the bus behind. Its failure loses nothing
// stored: subscribers recover from the log.
func (b *Bus) publish(e event) {
	if err := b.next.Publish(context.Background(), e.subject, e.data); err != nil {
		b.log.Warn("publishing failed; clients will catch up from the log", "subject", e.subject, "err", err)
	}
}

// Stats are the queue's figures for operators.
type Stats struct {
	// Queued is the number of events waiting now; MaxQueued the most
	// that ever waited at once.
	Queued, MaxQueued int
	// FullWaits counts the Publish calls that found the queue full and
	// had to wait.
	FullWaits int64
}

// Stats returns the queue's figures.
func (b *Bus) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Stats{Queued: len(b.q), MaxQueued: b.maxDepth, FullWaits: b.waits}
}

// Close stops taking events, publishes those already queued, and
// returns when they are published or ctx ends. It is idempotent.
func (b *Bus) Close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	b.notFull.Broadcast()
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
