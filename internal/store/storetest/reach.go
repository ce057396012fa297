package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// testReachVersion: every write that may take away someone's right to see
// or contact someone moves ReachVersion by the time Update returns, and
// inside the transaction as soon as it is made; a message posted, a read
// pointer or a person's activity leave it, so that a cache keyed on it
// survives the traffic of a chat.
func testReachVersion(t *testing.T, s core.Store) {
	if !s.SoleWriter() {
		t.Skip("a store with other writers is never cached from: ReachVersion is unused")
	}
	ctx := context.Background()
	a, b := createUser(t, s), createUser(t, s)
	g := createChat(t, s, a.ID)
	member := &haven.Member{ChatID: g.ID, UserID: b.ID, Role: haven.RoleMember, JoinedAt: t0}
	update(t, s, func(tx core.Tx) error { return tx.PutMember(ctx, member) })

	takes := []struct {
		name string
		fn   func(tx core.Tx) error
	}{
		{"block", func(tx core.Tx) error { return tx.Block(ctx, b.ID, a.ID, t0) }},
		{"unblock", func(tx core.Tx) error { return tx.Unblock(ctx, b.ID, a.ID) }},
		{"delete a contact", func(tx core.Tx) error { return tx.DeleteContact(ctx, a.ID, b.ID) }},
		{"a role changes", func(tx core.Tx) error {
			m := *member
			m.Role = haven.RoleLeft
			return tx.PutMember(ctx, &m)
		}},
		{"a chat changes", func(tx core.Tx) error {
			c, err := tx.ChatByID(ctx, g.ID)
			if err != nil {
				return err
			}
			c.Title = "Renamed"
			return tx.UpdateChat(ctx, c)
		}},
		{"a profile changes", func(tx core.Tx) error {
			u, err := tx.UserByID(ctx, b.ID)
			if err != nil {
				return err
			}
			u.Deleted = true
			return tx.UpdateUser(ctx, u)
		}},
		{"privacy", func(tx core.Tx) error {
			return tx.SetPrivacy(ctx, b.ID, haven.PrivacyLastSeen, haven.Nobody)
		}},
		{"erase an account", func(tx core.Tx) error { _, err := tx.EraseUser(ctx, b.ID); return err }},
	}
	for _, c := range takes {
		before := s.ReachVersion()
		var inside uint64
		update(t, s, func(tx core.Tx) error {
			if err := c.fn(tx); err != nil {
				return err
			}
			inside = s.ReachVersion()
			return nil
		})
		after := s.ReachVersion()
		if inside == before {
			t.Errorf("%s: ReachVersion did not move when the write was made", c.name)
		}
		if after == inside {
			t.Errorf("%s: ReachVersion did not move at the commit", c.name)
		}
	}

	c, d := createUser(t, s), createUser(t, s)
	p := createChat(t, s, c.ID)
	update(t, s, func(tx core.Tx) error {
		return tx.PutMember(ctx, &haven.Member{ChatID: p.ID, UserID: d.ID, Role: haven.RoleMember, JoinedAt: t0})
	})
	keeps := []struct {
		name string
		fn   func(tx core.Tx) error
	}{
		{"a message", func(tx core.Tx) error {
			_, _, err := tx.NextSeq(ctx, p.ID, true, t0.Add(time.Minute))
			return err
		}},
		{"a read pointer", func(tx core.Tx) error { return tx.SetReadInbox(ctx, p.ID, d.ID, 1) }},
		{"activity", func(tx core.Tx) error { return tx.TouchUser(ctx, d.ID, t0.Add(time.Hour)) }},
		{"a new account", func(tx core.Tx) error { return tx.CreateUser(ctx, newUser()) }},
	}
	for _, k := range keeps {
		before := s.ReachVersion()
		update(t, s, k.fn)
		if after := s.ReachVersion(); after != before {
			t.Errorf("%s moved ReachVersion (%d to %d): a cache keyed on it would not survive a chat's traffic", k.name, before, after)
		}
	}
}
