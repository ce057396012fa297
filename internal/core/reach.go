package core

import (
	"context"
	"sync"

	"github.com/havenchat/haven"
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

// postCache remembers what postable read for a sender and a peer (the
// chat, and the sender's row in it) with the store's ReachVersion it was
// read under. Every write that could change those rows in a way that
// matters to a send moves the version (a chat's settings, a membership,
// a ban, a block, a deleted account or chat; see Store.ReachVersion), and
// the writes a message makes (the chat's sequence, a read pointer) do
// not: while the version stands, the rows read are the rows committed,
// for what a send checks. The checks themselves (can, slow mode, the
// other person's block) run again on every send, on copies, because some
// depend on the time. Only rows that passed the checks are kept.
type postCache struct {
	mu sync.Mutex
	m  map[postKey]postEntry
}

// postKey is a sender and where they post: a chat, or a person.
type postKey struct{ sender, chatID, userID int64 }

type postEntry struct {
	v uint64
	c *haven.Chat   // never changed once kept: get hands out copies
	m *haven.Member // likewise
}

// postCacheMax bounds the entries kept (a chat and a member row, about
// 500 bytes); past it the cache starts again empty.
const postCacheMax = 1 << 14

// get returns copies of the rows kept for k under version v.
func (p *postCache) get(k postKey, v uint64) (*haven.Chat, *haven.Member, bool) {
	p.mu.Lock()
	e, ok := p.m[k]
	p.mu.Unlock()
	if !ok || e.v != v {
		return nil, nil, false
	}
	c, m := *e.c, *e.m
	return &c, &m, true
}

// put keeps copies of c and m, read under version v, for k.
func (p *postCache) put(k postKey, v uint64, c *haven.Chat, m *haven.Member) {
	cc, mm := *c, *m
	p.mu.Lock()
	if p.m == nil || len(p.m) >= postCacheMax {
		p.m = make(map[postKey]postEntry)
	}
	p.m[k] = postEntry{v: v, c: &cc, m: &mm}
	p.mu.Unlock()
}
