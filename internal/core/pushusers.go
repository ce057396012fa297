package core

import (
	"context"
	"sync"
)

// pushUsers is who may have a push subscription, so that a message whose
// chat has no one to notify costs no read of the store. It may hold
// people who no longer have one (a read of the store then finds none),
// never miss one who has: a subscription is added once its transaction
// commits, on the writer, in commit order, so a message committed after
// it finds it here; a person is dropped only when a read made after their
// last subscription committed finds none left.
type pushUsers struct {
	mu     sync.Mutex
	loaded bool           // the subscriptions stored at the start are in
	users  map[int64]bool // people who may have a subscription
	epoch  uint64         // counts the additions, to tell a stale recheck
}

func newPushUsers() *pushUsers {
	return &pushUsers{users: map[int64]bool{}}
}

// add notes that userID has a subscription; call it after the commit.
func (p *pushUsers) add(userID int64) {
	p.mu.Lock()
	p.users[userID] = true
	p.epoch++
	p.mu.Unlock()
}

// load adds the people with a subscription in the store; until it has,
// everyone may have one.
func (p *pushUsers) load(ctx context.Context, q PushQueries) error {
	ids, err := q.PushSubscribers(ctx)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		p.users[id] = true
	}
	p.loaded = true
	return nil
}

// recheck drops userID if the store shows they have no subscription left
// and none was added while it looked; call it after a commit that may
// have deleted their last.
func (p *pushUsers) recheck(ctx context.Context, q PushQueries, userID int64) error {
	p.mu.Lock()
	if !p.users[userID] {
		p.mu.Unlock()
		return nil
	}
	epoch := p.epoch
	p.mu.Unlock()
	has, err := q.HasPushSubscription(ctx, userID)
	if err != nil || has {
		return err
	}
	p.mu.Lock()
	if p.epoch == epoch {
		delete(p.users, userID)
	}
	p.mu.Unlock()
	return nil
}

// any reports whether one of ids, but except, may have a subscription.
// ids nil means "anyone".
func (p *pushUsers) any(ids []int64, except int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.loaded {
		return true
	}
	if ids == nil {
		for id := range p.users {
			if id != except {
				return true
			}
		}
		return false
	}
	for _, id := range ids {
		if id != except && p.users[id] {
			return true
		}
	}
	return false
}
