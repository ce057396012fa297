package core

import (
	"context"
	"testing"
)

// pausedReads answers HasPushSubscription with "none", first running
// during (what commits while the read is under way). The interleaving it
// forces is the one a real store shows only by chance.
type pausedReads struct {
	PushQueries
	during func()
}

func (p pausedReads) HasPushSubscription(ctx context.Context, userID int64) (bool, error) {
	p.during()
	return false, nil
}

// TestPushUsersRecheckLosesNoSubscriber: a person whose subscription
// commits while a recheck reads the store is kept; without one, the
// recheck drops them.
func TestPushUsersRecheckLosesNoSubscriber(t *testing.T) {
	ctx := context.Background()
	p := newPushUsers()
	p.loaded = true
	p.add(7)
	if err := p.recheck(ctx, pausedReads{during: func() { p.add(7) }}, 7); err != nil {
		t.Fatal(err)
	}
	if !p.any([]int64{1, 7}, 1) {
		t.Fatal("a subscription that committed during a recheck was forgotten: its owner is never notified")
	}
	if err := p.recheck(ctx, pausedReads{during: func() {}}, 7); err != nil {
		t.Fatal(err)
	}
	if p.any([]int64{1, 7}, 1) || p.any(nil, 0) {
		t.Fatal("a person with no subscription left is still looked up")
	}
	p.add(8)
	if p.any(nil, 8) || !p.any(nil, 1) || p.any([]int64{8}, 8) {
		t.Fatal("the sender counted as someone to notify, or a subscriber did not")
	}
}
