package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// putPush stores a subscription of a session to endpoint and returns it.
func putPush(t *testing.T, s core.Store, sess *haven.Session, endpoint string, private bool) *haven.PushSubscription {
	t.Helper()
	sub := &haven.PushSubscription{SessionID: sess.ID, UserID: sess.UserID, Endpoint: endpoint, P256dh: hash("p256dh " + endpoint),
		Auth: hash("auth " + endpoint)[:16], Private: private, CreatedAt: t0}
	update(t, s, func(tx core.Tx) error { return tx.PutPushSubscription(context.Background(), sub) })
	return sub
}

// pushEndpoints lists the endpoints of a session's subscriptions.
func pushEndpoints(t *testing.T, s core.Queries, sess *haven.Session) []string {
	t.Helper()
	subs, err := s.PushSubscriptions(context.Background(), sess.UserID, sess.ID)
	if err != nil {
		t.Fatalf("PushSubscriptions: %v", err)
	}
	var out []string
	for _, sub := range subs {
		out = append(out, sub.Endpoint)
	}
	return out
}

func testPushSubscriptions(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s)
	sess := createSession(t, s, u.ID, "push-1", t0)
	other := createSession(t, s, u.ID, "push-2", t0)

	a := putPush(t, s, sess, "https://push.example/a", false)
	if a.ID <= 0 || a.UserID != u.ID {
		t.Fatalf("PutPushSubscription set ID %d, UserID %d; want an id and the session's user %d", a.ID, a.UserID, u.ID)
	}
	putPush(t, s, sess, "https://push.example/b", true)
	putPush(t, s, other, "https://push.example/a", false) // the same device, another session
	subs, err := s.PushSubscriptions(ctx, sess.UserID, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 2 || !same(subs[0], a) {
		t.Fatalf("PushSubscriptions:\n got %+v\nwant 2, the first %+v", subs, a)
	}

	// The same endpoint again replaces the keys and the choice of
	// privacy, keeping the row.
	again := &haven.PushSubscription{SessionID: sess.ID, UserID: u.ID, Endpoint: a.Endpoint, P256dh: hash("new key"),
		Auth: hash("new auth")[:16], Private: true, CreatedAt: t0.Add(time.Hour)}
	update(t, s, func(tx core.Tx) error { return tx.PutPushSubscription(ctx, again) })
	subs, _ = s.PushSubscriptions(ctx, sess.UserID, sess.ID)
	want := *a
	want.P256dh, want.Auth, want.Private = again.P256dh, again.Auth, true
	if len(subs) != 2 || !same(subs[0], &want) || again.ID != a.ID || !again.CreatedAt.Equal(t0) {
		t.Errorf("after the same endpoint again:\n got %+v (put gave id %d, created %v)\nwant %+v first", subs, again.ID, again.CreatedAt, &want)
	}

	missing := &haven.PushSubscription{SessionID: sess.ID + 1000, UserID: u.ID, Endpoint: "https://push.example/x", P256dh: hash("k"), Auth: hash("a")[:16], CreatedAt: t0}
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.PutPushSubscription(ctx, missing) }); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("PutPushSubscription for no session = %v, want ErrNotFound", err)
	}

	update(t, s, func(tx core.Tx) error {
		return tx.DeletePushSubscription(ctx, sess.UserID, sess.ID, "https://push.example/b")
	})
	update(t, s, func(tx core.Tx) error {
		return tx.DeletePushSubscription(ctx, sess.UserID, sess.ID, "https://push.example/b")
	}) // missing: no error
	if got := pushEndpoints(t, s, sess); !slices.Equal(got, []string{"https://push.example/a"}) {
		t.Errorf("after DeletePushSubscription: %v", got)
	}
	if got := pushEndpoints(t, s, other); !slices.Equal(got, []string{"https://push.example/a"}) {
		t.Errorf("another session's subscription to the same endpoint: %v", got)
	}
	update(t, s, func(tx core.Tx) error { return tx.DeletePushSubscriptionByID(ctx, a.UserID, a.ID) })
	update(t, s, func(tx core.Tx) error { return tx.DeletePushSubscriptionByID(ctx, a.UserID, a.ID) })
	if got := pushEndpoints(t, s, sess); len(got) != 0 {
		t.Errorf("after DeletePushSubscriptionByID: %v", got)
	}
}

// testPushEndsWithSession checks that a session's subscriptions go with
// it, however it ends: DeleteSession, DeleteUserSessions, EraseUser.
func testPushEndsWithSession(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s)
	friend := createUser(t, s)
	one := createSession(t, s, u.ID, "end-1", t0)
	kept := createSession(t, s, u.ID, "end-2", t0)
	others := createSession(t, s, u.ID, "end-3", t0)
	fs := createSession(t, s, friend.ID, "end-friend", t0)
	for _, ss := range []*haven.Session{one, kept, others, fs} {
		putPush(t, s, ss, fmt.Sprintf("https://push.example/%d", ss.ID), false)
	}

	update(t, s, func(tx core.Tx) error { return tx.DeleteSession(ctx, one.UserID, one.ID) })
	if got := pushEndpoints(t, s, one); len(got) != 0 {
		t.Errorf("DeleteSession left subscriptions %v", got)
	}
	update(t, s, func(tx core.Tx) error {
		_, err := tx.DeleteUserSessions(ctx, u.ID, kept.ID)
		return err
	})
	if got := pushEndpoints(t, s, others); len(got) != 0 {
		t.Errorf("DeleteUserSessions left subscriptions %v", got)
	}
	if got := pushEndpoints(t, s, kept); len(got) != 1 {
		t.Errorf("DeleteUserSessions took the kept session's subscriptions: %v", got)
	}
	update(t, s, func(tx core.Tx) error {
		_, err := tx.EraseUser(ctx, u.ID)
		return err
	})
	if got := pushEndpoints(t, s, kept); len(got) != 0 {
		t.Errorf("EraseUser left subscriptions %v", got)
	}
	if got := pushEndpoints(t, s, fs); len(got) != 1 {
		t.Errorf("EraseUser took another person's subscriptions: %v", got)
	}
}

func testPushTargets(t *testing.T, s core.Store) {
	ctx := context.Background()
	sender := createUser(t, s)
	c := createChat(t, s, sender.ID)
	senderSess := createSession(t, s, sender.ID, "targets-sender", t0)
	putPush(t, s, senderSess, "https://push.example/sender", false)

	now := t0.Add(time.Hour)
	type person struct {
		name  string
		role  haven.Role
		mod   func(*haven.Member)
		block bool // blocks the sender
		subs  int  // over two sessions
		want  bool
	}
	people := []*person{
		{name: "member", role: haven.RoleMember, subs: 3, want: true},
		{name: "admin", role: haven.RoleAdmin, subs: 1, want: true},
		{name: "mute over", role: haven.RoleMember, subs: 1, want: true, mod: func(m *haven.Member) { m.MutedUntil = now }},
		{name: "muted", role: haven.RoleMember, subs: 1, mod: func(m *haven.Member) { m.MutedUntil = now.Add(time.Millisecond) }},
		{name: "left", role: haven.RoleLeft, subs: 1},
		{name: "banned", role: haven.RoleBanned, subs: 1},
		{name: "joined after", role: haven.RoleMember, subs: 1, mod: func(m *haven.Member) { m.MinMessageID = 6 }},
		{name: "joined at", role: haven.RoleMember, subs: 1, want: true, mod: func(m *haven.Member) { m.MinMessageID = 5 }},
		{name: "blocker", role: haven.RoleMember, subs: 1, block: true},
		{name: "no subscription", role: haven.RoleMember, want: true},
	}
	var want []int64 // subscription ids, in (user, id) order
	for _, p := range people {
		u := createUser(t, s)
		join(t, s, c.ID, u.ID, p.role, func(m *haven.Member) {
			if p.mod != nil {
				p.mod(m)
			}
		})
		if p.block {
			update(t, s, func(tx core.Tx) error { return tx.Block(ctx, u.ID, sender.ID, t0) })
		}
		sessions := []*haven.Session{createSession(t, s, u.ID, p.name+" 1", t0), createSession(t, s, u.ID, p.name+" 2", t0)}
		for i := range p.subs {
			sub := putPush(t, s, sessions[i%2], fmt.Sprintf("https://push.example/%s/%d", p.name, i), i == 1)
			if p.want {
				want = append(want, sub.ID)
			}
		}
	}
	// Someone in another chat is never a target.
	outsider := createUser(t, s)
	putPush(t, s, createSession(t, s, outsider.ID, "outsider", t0), "https://push.example/outsider", false)

	q := core.PushTargetQuery{ChatID: c.ID, MessageID: 5, Except: sender.ID, Now: now, NotBlocking: sender.ID}
	all := func(limit int) []int64 {
		t.Helper()
		q := q
		q.Limit = limit
		var ids []int64
		for range 100 {
			subs, err := s.PushTargets(ctx, q)
			if err != nil {
				t.Fatalf("PushTargets: %v", err)
			}
			for _, sub := range subs {
				ids = append(ids, sub.ID)
			}
			if len(subs) < limit {
				return ids
			}
			last := subs[len(subs)-1]
			q.After = core.PushCursor{UserID: last.UserID, ID: last.ID}
		}
		t.Fatal("PushTargets never ended")
		return nil
	}
	for _, limit := range []int{1, 2, 100} {
		if got := all(limit); !slices.Equal(got, want) {
			t.Errorf("PushTargets in pages of %d: %v, want %v", limit, got, want)
		}
	}

	subs, err := s.PushTargets(ctx, core.PushTargetQuery{ChatID: c.ID, MessageID: 5, Except: sender.ID, Now: now, NotBlocking: sender.ID, Limit: 100})
	if err != nil || len(subs) == 0 {
		t.Fatalf("PushTargets: %v, %v", subs, err)
	}
	first := subs[0]
	if first.Endpoint != "https://push.example/member/0" || first.Private || len(first.P256dh) == 0 || len(first.Auth) != 16 {
		t.Errorf("a target as read: %+v", first)
	}

	// Without NotBlocking (a channel's post), blockers are targets too.
	q.NotBlocking = 0
	got := all(100)
	var blocked int
	for _, id := range got {
		if !slices.Contains(want, id) {
			blocked++
		}
	}
	if len(got) != len(want)+1 || blocked != 1 {
		t.Errorf("without NotBlocking: %d targets (%d new), want %d and the blocker's one", len(got), blocked, len(want)+1)
	}
}

// testPushSubscribers: who has a subscription, listed and asked one at a
// time, follows subscribing, unsubscribing and the end of a session.
func testPushSubscribers(t *testing.T, s core.Store) {
	ctx := context.Background()
	a, b, c := createUser(t, s), createUser(t, s), createUser(t, s)
	as1 := createSession(t, s, a.ID, "subscribers-a1", t0)
	as2 := createSession(t, s, a.ID, "subscribers-a2", t0)
	bs := createSession(t, s, b.ID, "subscribers-b", t0)
	createSession(t, s, c.ID, "subscribers-c", t0)
	putPush(t, s, as1, "https://push.example/a1", false)
	putPush(t, s, as2, "https://push.example/a2", false)
	putPush(t, s, bs, "https://push.example/b", false)
	check := func(step string, want map[int64]bool) {
		t.Helper()
		ids, err := s.PushSubscribers(ctx)
		if err != nil {
			t.Fatalf("%s: PushSubscribers: %v", step, err)
		}
		got := map[int64]bool{}
		for _, id := range ids {
			got[id] = true
		}
		for _, u := range []int64{a.ID, b.ID, c.ID} {
			if got[u] != want[u] {
				t.Errorf("%s: PushSubscribers has %d: %v, want %v", step, u, got[u], want[u])
			}
			has, err := s.HasPushSubscription(ctx, u)
			if err != nil || has != want[u] {
				t.Errorf("%s: HasPushSubscription(%d) = %v, %v; want %v", step, u, has, err, want[u])
			}
		}
	}
	check("subscribed", map[int64]bool{a.ID: true, b.ID: true})
	update(t, s, func(tx core.Tx) error {
		return tx.DeletePushSubscription(ctx, as1.UserID, as1.ID, "https://push.example/a1")
	})
	check("one of two unsubscribed", map[int64]bool{a.ID: true, b.ID: true})
	update(t, s, func(tx core.Tx) error { return tx.DeleteSession(ctx, as2.UserID, as2.ID) })
	check("session ended", map[int64]bool{b.ID: true})
	update(t, s, func(tx core.Tx) error {
		return tx.DeletePushSubscription(ctx, bs.UserID, bs.ID, "https://push.example/b")
	})
	check("all gone", map[int64]bool{})
}
