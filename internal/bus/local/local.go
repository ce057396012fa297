// Package local is the in-process Bus: what one node uses when it runs
// alone. Publish calls every subscriber of the subject synchronously, so
// handlers must be quick (they hand work to their own queues).
package local

import (
	"context"
	"sync"

	"github.com/havenchat/haven/internal/core"
)

// Bus is an in-process core.Bus. The zero value is not usable; call New.
type Bus struct {
	mu   sync.RWMutex
	subs map[string]map[*sub]struct{}
}

type sub struct {
	b       *Bus
	subject string
	h       func([]byte)
}

var _ core.Bus = (*Bus)(nil)

// New returns an empty bus.
func New() *Bus { return &Bus{subs: make(map[string]map[*sub]struct{})} }

// Publish delivers data to the current subscribers of subject. Handlers
// receive the same slice and must not modify it.
func (b *Bus) Publish(ctx context.Context, subject string, data []byte) error {
	b.mu.RLock()
	set := b.subs[subject]
	hs := make([]func([]byte), 0, len(set))
	for s := range set {
		hs = append(hs, s.h)
	}
	b.mu.RUnlock()
	for _, h := range hs {
		h(data)
	}
	return nil
}

// InStep is true: Publish calls the subject's handlers before it
// returns, and a subscription a handler makes is in place before the
// next Publish reads the subscribers.
func (b *Bus) InStep() bool { return true }

// Subscribe registers h for subject.
func (b *Bus) Subscribe(subject string, h func([]byte)) (core.Subscription, error) {
	s := &sub{b: b, subject: subject, h: h}
	b.mu.Lock()
	set := b.subs[subject]
	if set == nil {
		set = make(map[*sub]struct{})
		b.subs[subject] = set
	}
	set[s] = struct{}{}
	b.mu.Unlock()
	return s, nil
}

// Unsubscribe stops deliveries to this subscription; it is idempotent.
func (s *sub) Unsubscribe() error {
	b := s.b
	b.mu.Lock()
	if set := b.subs[s.subject]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(b.subs, s.subject)
		}
	}
	b.mu.Unlock()
	return nil
}
