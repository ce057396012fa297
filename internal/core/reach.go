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
type reachCache = versioned[[2]int64, struct{}] // (from, to)

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
	if _, hit := s.reach.get(key, v); hit {
		return nil
	}
	if err := s.CanContact(ctx, s.store, from, to); err != nil {
		return err
	}
	s.reach.put(key, v, struct{}{}, reachCacheMax)
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
type postCache = versioned[postKey, postRows]

// postKey is a sender and where they post: a chat, or a person.
type postKey struct{ sender, chatID, userID int64 }

// postRows are the rows postable read, never changed once kept: the
// caller copies them on the way in and out (postable).
type postRows struct {
	c *haven.Chat
	m *haven.Member
}

// postCacheMax bounds the entries kept (a chat and a member row, about
// 500 bytes); past it the cache starts again empty.
const postCacheMax = 1 << 14

// versioned keeps values each read under the store's ReachVersion: a
// value stands while the version has not moved. Past max entries it
// starts again empty. The zero value is ready.
type versioned[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]versionedEntry[V]
}

type versionedEntry[V any] struct {
	v   uint64
	val V
}

// get returns the value kept for k under version v.
func (c *versioned[K, V]) get(k K, v uint64) (V, bool) {
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if !ok || e.v != v {
		var zero V
		return zero, false
	}
	return e.val, true
}

// put keeps val, read under version v, for k.
func (c *versioned[K, V]) put(k K, v uint64, val V, max int) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= max {
		c.m = make(map[K]versionedEntry[V])
	}
	c.m[k] = versionedEntry[V]{v: v, val: val}
	c.mu.Unlock()
}
