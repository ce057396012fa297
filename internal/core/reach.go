package core

import (
	"context"
	"sync"
)

// reachCache remembers which senders CanContact let reach whom, each
// answer with the store's ReachVersion it was read under: while the
// version has not moved (no block, no contact removed, no one left a
// chat or deleted an account...), the answer stands and a send costs no
// read for it. Only "yes" is kept: a refusal is read again each time,
// and a kept "yes" can be wrong only if a write took reach away without
// moving the version, which the store rules out.
type reachCache struct {
	mu sync.Mutex
	ok map[[2]int64]uint64 // (from, to) → the version the yes was read under
}

// reachCacheMax bounds the answers kept (about 40 bytes each); past it
// the cache starts again empty.
const reachCacheMax = 1 << 16

// canContactCached is CanContact on the committed state (s.store), from
// the cache when it can.
func (s *Service) canContactCached(ctx context.Context, from, to int64) error {
	if !s.store.SoleWriter() {
		return s.CanContact(ctx, s.store, from, to)
	}
	key := [2]int64{from, to}
	v := s.store.ReachVersion()
	c := &s.reach
	c.mu.Lock()
	at, hit := c.ok[key]
	hit = hit && at == v
	c.mu.Unlock()
	if hit {
		return nil
	}
	if err := s.CanContact(ctx, s.store, from, to); err != nil {
		return err
	}
	c.mu.Lock()
	if c.ok == nil || len(c.ok) >= reachCacheMax {
		c.ok = make(map[[2]int64]uint64)
	}
	c.ok[key] = v
	c.mu.Unlock()
	return nil
}
