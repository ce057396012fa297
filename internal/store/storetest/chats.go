package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// createChat stores a group created by creatorID (and makes them its
// owner), changed by the given functions before it is stored.
func createChat(t *testing.T, s core.Store, creatorID int64, mods ...func(*haven.Chat)) *haven.Chat {
	t.Helper()
	c := &haven.Chat{Kind: haven.ChatGroup, Title: "Group", CreatorID: creatorID, CreatedAt: t0, LastEventAt: t0,
		DefaultRights: haven.DefaultMemberRights, MemberCount: 1}
	for _, m := range mods {
		m(c)
	}
	ctx := context.Background()
	update(t, s, func(tx core.Tx) error {
		if err := tx.CreateChat(ctx, c); err != nil {
			return err
		}
		if c.Kind == haven.ChatPrivate {
			for _, id := range []int64{c.PeerA, c.PeerB} {
				if err := tx.PutMember(ctx, &haven.Member{ChatID: c.ID, UserID: id, Role: haven.RoleMember, JoinedAt: t0}); err != nil {
					return err
				}
			}
			return nil
		}
		return tx.PutMember(ctx, &haven.Member{ChatID: c.ID, UserID: creatorID, Role: haven.RoleOwner,
			Rights: haven.AllAdminRights, JoinedAt: t0})
	})
	return c
}

// join makes userID a member of chatID with role.
func join(t *testing.T, s core.Store, chatID, userID int64, role haven.Role, mods ...func(*haven.Member)) *haven.Member {
	t.Helper()
	m := &haven.Member{ChatID: chatID, UserID: userID, Role: role, JoinedAt: t0}
	for _, f := range mods {
		f(m)
	}
	update(t, s, func(tx core.Tx) error { return tx.PutMember(context.Background(), m) })
	return m
}

func checkChat(t *testing.T, s core.Queries, want *haven.Chat) {
	t.Helper()
	got, err := s.ChatByID(context.Background(), want.ID)
	if err != nil {
		t.Fatalf("ChatByID(%d): %v", want.ID, err)
	}
	if !same(got, want) {
		t.Errorf("chat:\n got %+v\nwant %+v", got, want)
	}
}

func testCreateAndGetChat(t *testing.T, s core.Store) {
	ctx := context.Background()
	owner := createUser(t, s)
	g := createChat(t, s, owner.ID, func(c *haven.Chat) {
		c.Title, c.About, c.Username = "Group 🎉 ünïcode", "About it", "Some_Group"
		c.MemberCount, c.MaxReadID, c.MaxReadBy, c.MaxReadID2 = 3, 7, owner.ID, 5
		c.SlowModeSeconds, c.HistoryHidden, c.TTLSeconds = 30, true, 86400
		c.Reactions = []string{"👍", "❤️"}
		c.PinnedMessageID = 0
		c.LastEventAt = t0.Add(time.Second)
	})
	if g.ID <= 0 || g.ID >= haven.MaxID {
		t.Fatalf("CreateChat set ID %d, want 0 < id < 2^53", g.ID)
	}
	checkChat(t, s, g)
	got, _ := s.ChatByID(ctx, g.ID)
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt in %v, want UTC", got.CreatedAt.Location())
	}

	// Reactions: nil (the default set) and empty (none allowed) differ.
	ch := createChat(t, s, owner.ID, func(c *haven.Chat) { c.Kind, c.Title, c.Reactions = haven.ChatChannel, "Channel", []string{} })
	checkChat(t, s, ch)
	plain := createChat(t, s, owner.ID)
	checkChat(t, s, plain)
	if got, _ := s.ChatByID(ctx, plain.ID); got.Reactions != nil {
		t.Errorf("Reactions = %#v, want nil", got.Reactions)
	}
	if got, _ := s.ChatByID(ctx, ch.ID); got.Reactions == nil || len(got.Reactions) != 0 {
		t.Errorf("Reactions = %#v, want empty and not nil", got.Reactions)
	}
	if g.ID == ch.ID || ch.ID == plain.ID {
		t.Errorf("chat ids not distinct: %d %d %d", g.ID, ch.ID, plain.ID)
	}

	// A zero LastEventAt starts at CreatedAt.
	c := &haven.Chat{Kind: haven.ChatGroup, Title: "x", CreatorID: owner.ID, CreatedAt: t0.Add(time.Hour)}
	update(t, s, func(tx core.Tx) error { return tx.CreateChat(ctx, c) })
	if got, err := s.ChatByID(ctx, c.ID); err != nil || !got.LastEventAt.Equal(c.CreatedAt) || !c.LastEventAt.Equal(c.CreatedAt) {
		t.Errorf("LastEventAt of a new chat = %v (in c: %v), %v; want CreatedAt %v", got.LastEventAt, c.LastEventAt, err, c.CreatedAt)
	}

	if _, err := s.ChatByID(ctx, c.ID+1000); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("ChatByID(missing) = %v, want ErrNotFound", err)
	}
}

func testPrivateChats(t *testing.T, s core.Store) {
	ctx := context.Background()
	a, b, c := createUser(t, s), createUser(t, s), createUser(t, s)

	// The pair is stored in order, whichever order it was given in.
	ab := createChat(t, s, b.ID, func(x *haven.Chat) { x.Kind, x.Title, x.PeerA, x.PeerB = haven.ChatPrivate, "", b.ID, a.ID })
	if ab.PeerA != a.ID || ab.PeerB != b.ID {
		t.Errorf("CreateChat left the pair as (%d, %d), want (%d, %d)", ab.PeerA, ab.PeerB, a.ID, b.ID)
	}
	checkChat(t, s, ab)
	if got, _ := s.ChatByID(ctx, ab.ID); got == nil || got.Saved() || got.Other(a.ID) != b.ID {
		t.Errorf("private chat %+v: want a chat between %d and %d", got, a.ID, b.ID)
	}
	saved := createChat(t, s, c.ID, func(x *haven.Chat) { x.Kind, x.Title, x.PeerA, x.PeerB = haven.ChatPrivate, "", c.ID, c.ID })
	if got, _ := s.ChatByID(ctx, saved.ID); got == nil || !got.Saved() {
		t.Errorf("Saved Messages %+v: want Saved()", got)
	}

	for _, pair := range [][2]int64{{a.ID, b.ID}, {b.ID, a.ID}} {
		if id, err := s.PrivateChatID(ctx, pair[0], pair[1]); err != nil || id != ab.ID {
			t.Errorf("PrivateChatID(%d, %d) = %d, %v; want %d", pair[0], pair[1], id, err, ab.ID)
		}
	}
	if id, err := s.PrivateChatID(ctx, c.ID, c.ID); err != nil || id != saved.ID {
		t.Errorf("PrivateChatID(c, c) = %d, %v; want %d", id, err, saved.ID)
	}
	for _, pair := range [][2]int64{{a.ID, c.ID}, {a.ID, a.ID}, {b.ID, 999_999}} {
		if _, err := s.PrivateChatID(ctx, pair[0], pair[1]); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("PrivateChatID(%d, %d) = %v, want ErrNotFound", pair[0], pair[1], err)
		}
	}

	// A second chat for the same pair, in either order, is refused and
	// leaves nothing behind.
	for _, pair := range [][2]int64{{a.ID, b.ID}, {b.ID, a.ID}, {c.ID, c.ID}} {
		dup := &haven.Chat{Kind: haven.ChatPrivate, CreatorID: pair[0], CreatedAt: t0, PeerA: pair[0], PeerB: pair[1]}
		err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateChat(ctx, dup) })
		if !isCode(err, haven.CodeChatExists) {
			t.Errorf("second private chat of (%d, %d) = %v, want %s", pair[0], pair[1], err, haven.CodeChatExists)
		}
	}
	// Groups have no pair: any number of them.
	createChat(t, s, a.ID)
	createChat(t, s, a.ID)
}

func testChatUsernames(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s, func(x *haven.User) { x.Username = "Person_Name" })
	g := createChat(t, s, u.ID, func(c *haven.Chat) { c.Username = "Public_Group" })

	for _, name := range []string{"Public_Group", "public_group", "PUBLIC_GROUP", "@public_GROUP"} {
		if got, err := s.ChatByUsername(ctx, name); err != nil || got.ID != g.ID || got.Username != "Public_Group" {
			t.Errorf("ChatByUsername(%q) = %+v, %v; want chat %d", name, got, err, g.ID)
		}
	}
	for _, name := range []string{"", "@", "public_grou", "person_name"} {
		if _, err := s.ChatByUsername(ctx, name); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("ChatByUsername(%q) = %v, want ErrNotFound", name, err)
		}
	}

	// A username names one user or one chat, in any case.
	occupied := func(what string, fn func(tx core.Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); !isCode(err, haven.CodeUsernameOccupied) {
			t.Errorf("%s = %v, want %s", what, err, haven.CodeUsernameOccupied)
		}
	}
	occupied("CreateChat with a user's username", func(tx core.Tx) error {
		return tx.CreateChat(ctx, &haven.Chat{Kind: haven.ChatGroup, Title: "x", CreatorID: u.ID, CreatedAt: t0, Username: "PERSON_NAME"})
	})
	occupied("CreateChat with a chat's username", func(tx core.Tx) error {
		return tx.CreateChat(ctx, &haven.Chat{Kind: haven.ChatChannel, Title: "x", CreatorID: u.ID, CreatedAt: t0, Username: "public_group"})
	})
	occupied("CreateUser with a chat's username", func(tx core.Tx) error {
		return tx.CreateUser(ctx, newUser(func(x *haven.User) { x.Username = "Public_GROUP" }))
	})
	other := createUser(t, s)
	other.Username = "public_group"
	occupied("UpdateUser to a chat's username", func(tx core.Tx) error { return tx.UpdateUser(ctx, other) })
	h := createChat(t, s, u.ID, func(c *haven.Chat) { c.Username = "Other_Group" })
	h.Username = "person_NAME"
	occupied("UpdateChat to a user's username", func(tx core.Tx) error { return tx.UpdateChat(ctx, h) })
	h.Username = "PUBLIC_group"
	occupied("UpdateChat to another chat's username", func(tx core.Tx) error { return tx.UpdateChat(ctx, h) })
	h.Username = "Other_Group"
	checkChat(t, s, h)

	// Chats without a username do not collide on "".
	createChat(t, s, u.ID)
	createChat(t, s, u.ID)

	// A chat may change the case of its own name; once it lets the name
	// go, a user may take it.
	g.Username = "PUBLIC_GROUP"
	update(t, s, func(tx core.Tx) error { return tx.UpdateChat(ctx, g) })
	checkChat(t, s, g)
	g.Username = ""
	update(t, s, func(tx core.Tx) error { return tx.UpdateChat(ctx, g) })
	if _, err := s.ChatByUsername(ctx, "public_group"); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("freed chat username still found: %v", err)
	}
	update(t, s, func(tx core.Tx) error { return tx.UpdateUser(ctx, other) })
	if got, err := s.UserByUsername(ctx, "public_group"); err != nil || got.ID != other.ID {
		t.Errorf("UserByUsername after handover = %+v, %v; want user %d", got, err, other.ID)
	}
	// And a chat may take a name a user let go.
	u.Username = ""
	update(t, s, func(tx core.Tx) error { return tx.UpdateUser(ctx, u) })
	h.Username = "Person_Name"
	update(t, s, func(tx core.Tx) error { return tx.UpdateChat(ctx, h) })
	checkChat(t, s, h)
}

func testUpdateChat(t *testing.T, s core.Store) {
	ctx := context.Background()
	owner, heir := createUser(t, s), createUser(t, s)
	c := createChat(t, s, owner.ID)
	update(t, s, func(tx core.Tx) error {
		_, _, err := tx.NextSeq(ctx, c.ID, true, t0.Add(time.Minute))
		return err
	})
	c.Seq, c.TopMessageID, c.LastEventAt = 1, 1, t0.Add(time.Minute)

	// Every descriptive field and setting is written ...
	want := *c
	want.Title, want.About, want.Username = "New title", "New about", "New_Name"
	want.DefaultRights = haven.RightSendMessages
	want.SlowModeSeconds, want.HistoryHidden, want.TTLSeconds = 60, true, 7*86400
	want.Signatures = true
	want.Reactions = []string{"🔥"}
	want.PinnedMessageID, want.MemberCount, want.CreatorID = 1, 42, heir.ID
	want.MaxReadID, want.MaxReadBy, want.MaxReadID2 = 1, heir.ID, 1
	// ... but not what only NextSeq moves, nor what is fixed at creation.
	sent := want
	sent.Seq, sent.TopMessageID, sent.CreatedAt, sent.LastEventAt = 100, 100, t0.Add(-time.Hour), t0.Add(time.Hour)
	sent.Kind = haven.ChatChannel
	update(t, s, func(tx core.Tx) error { return tx.UpdateChat(ctx, &sent) })
	checkChat(t, s, &want)

	// Back to the defaults.
	want.Reactions, want.Username, want.HistoryHidden, want.Signatures = nil, "", false, false
	update(t, s, func(tx core.Tx) error { return tx.UpdateChat(ctx, &want) })
	checkChat(t, s, &want)

	missing := want
	missing.ID += 1000
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.UpdateChat(ctx, &missing) }); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("UpdateChat(missing) = %v, want ErrNotFound", err)
	}
}

func testNextSeq(t *testing.T, s core.Store) {
	ctx := context.Background()
	owner := createUser(t, s)
	c := createChat(t, s, owner.ID)
	type step struct {
		newMessage   bool
		at           time.Time
		seq, msgID   int64
		lastActivity time.Time
	}
	steps := []step{
		{true, t0.Add(1 * time.Second), 1, 1, t0.Add(1 * time.Second)},
		{false, t0.Add(2 * time.Second), 2, 1, t0.Add(2 * time.Second)},
		{true, t0.Add(3 * time.Second), 3, 2, t0.Add(3 * time.Second)},
		{true, t0.Add(4 * time.Second), 4, 3, t0.Add(4 * time.Second)},
		{false, t0.Add(5 * time.Second), 5, 3, t0.Add(5 * time.Second)},
		// An earlier time (a send that took its time before another's
		// but reached the store after it) does not move activity back.
		{true, t0.Add(4 * time.Second), 6, 4, t0.Add(5 * time.Second)},
	}
	for i, st := range steps {
		var seq, msgID int64
		update(t, s, func(tx core.Tx) error {
			var err error
			seq, msgID, err = tx.NextSeq(ctx, c.ID, st.newMessage, st.at)
			return err
		})
		if seq != st.seq || msgID != st.msgID {
			t.Errorf("step %d: NextSeq = %d, %d; want %d, %d", i, seq, msgID, st.seq, st.msgID)
		}
		got, err := s.ChatByID(ctx, c.ID)
		if err != nil || got.Seq != st.seq || got.TopMessageID != st.msgID || !got.LastEventAt.Equal(st.lastActivity) {
			t.Errorf("step %d: chat %+v, %v; want seq %d, top %d, last event at %v", i, got, err, st.seq, st.msgID, st.lastActivity)
		}
	}

	// Several in one Update.
	update(t, s, func(tx core.Tx) error {
		for want := int64(7); want <= 9; want++ {
			seq, msgID, err := tx.NextSeq(ctx, c.ID, true, t0.Add(time.Minute))
			if err != nil {
				return err
			}
			if seq != want || msgID != want-2 {
				t.Errorf("NextSeq in one Update = %d, %d; want %d, %d", seq, msgID, want, want-2)
			}
		}
		return nil
	})

	// A failed Update gives its numbers back.
	sentinel := errors.New("no")
	err := s.Update(ctx, func(tx core.Tx) error {
		if _, _, err := tx.NextSeq(ctx, c.ID, true, t0.Add(time.Hour)); err != nil {
			return err
		}
		return sentinel
	})
	if err != sentinel {
		t.Fatalf("Update = %v, want the sentinel", err)
	}
	if got, err := s.ChatByID(ctx, c.ID); err != nil || got.Seq != 9 || got.TopMessageID != 7 {
		t.Errorf("after a failed Update: %+v, %v; want seq 9, top 7", got, err)
	}

	// Concurrent Updates each get their own numbers, with no gaps.
	d := createChat(t, s, owner.ID)
	const n = 100
	seqs, ids := make([]int64, n), make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := s.Update(ctx, func(tx core.Tx) error {
				var err error
				seqs[i], ids[i], err = tx.NextSeq(ctx, d.ID, i%2 == 0, t0)
				return err
			})
			if err != nil {
				t.Errorf("NextSeq %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	slices.Sort(seqs)
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Fatalf("concurrent seqs = %v, want 1..%d", seqs, n)
		}
	}
	if got, err := s.ChatByID(ctx, d.ID); err != nil || got.TopMessageID != n/2 || slices.Max(ids) != n/2 {
		t.Errorf("after %d concurrent NextSeq (half with a message): %+v, %v; max id %d", n, got, err, slices.Max(ids))
	}

	err = s.Update(ctx, func(tx core.Tx) error {
		_, _, err := tx.NextSeq(ctx, d.ID+1000, true, t0)
		return err
	})
	if !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("NextSeq(missing chat) = %v, want ErrNotFound", err)
	}
}

func checkMember(t *testing.T, s core.Queries, want *haven.Member) {
	t.Helper()
	got, err := s.Member(context.Background(), want.ChatID, want.UserID)
	if err != nil {
		t.Fatalf("Member(%d, %d): %v", want.ChatID, want.UserID, err)
	}
	if !same(got, want) {
		t.Errorf("member:\n got %+v\nwant %+v", got, want)
	}
}

func testMembers(t *testing.T, s core.Store) {
	ctx := context.Background()
	owner := createUser(t, s)
	c := createChat(t, s, owner.ID)
	checkMember(t, s, &haven.Member{ChatID: c.ID, UserID: owner.ID, Role: haven.RoleOwner, Rights: haven.AllAdminRights, JoinedAt: t0})

	var users []*haven.User
	for range 6 {
		users = append(users, createUser(t, s))
	}
	full := join(t, s, c.ID, users[0].ID, haven.RoleAdmin, func(m *haven.Member) {
		m.Rights = haven.RightBanUsers | haven.RightPinMessages
		m.InviterID = owner.ID
		m.JoinedAt = t0.Add(time.Second)
		m.MinMessageID, m.ReadInboxMaxID, m.MinSeq = 10, 12, 7
		m.LastPostAt = t0.Add(2 * time.Second)
		m.PinnedRank, m.Archived = 3, true
		m.MutedUntil = t0.Add(time.Hour)
	})
	checkMember(t, s, full)
	join(t, s, c.ID, users[1].ID, haven.RoleMember)
	join(t, s, c.ID, users[2].ID, haven.RoleMember)
	banned := join(t, s, c.ID, users[3].ID, haven.RoleBanned, func(m *haven.Member) { m.BannedUntil = t0.Add(24 * time.Hour) })
	checkMember(t, s, banned)
	join(t, s, c.ID, users[4].ID, haven.RoleLeft)

	// PutMember replaces the whole row.
	replaced := &haven.Member{ChatID: c.ID, UserID: users[0].ID, Role: haven.RoleMember, JoinedAt: t0.Add(time.Minute), ReadInboxMaxID: 5}
	update(t, s, func(tx core.Tx) error { return tx.PutMember(ctx, replaced) })
	checkMember(t, s, replaced)

	if _, err := s.Member(ctx, c.ID, users[5].ID); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("Member(not a member) = %v, want ErrNotFound", err)
	}
	if _, err := s.Member(ctx, c.ID+1000, owner.ID); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("Member(missing chat) = %v, want ErrNotFound", err)
	}

	userIDs := func(ms []*haven.Member) []int64 {
		var ids []int64
		for _, m := range ms {
			ids = append(ids, m.UserID)
			if m.ChatID != c.ID || m.Role == "" {
				t.Errorf("Members returned %+v", m)
			}
		}
		return ids
	}
	all := []int64{owner.ID, users[0].ID, users[1].ID, users[2].ID, users[3].ID, users[4].ID}
	slices.Sort(all)
	cases := []struct {
		roles []haven.Role
		after int64
		limit int
		want  []int64
	}{
		{nil, 0, 100, all},
		{nil, 0, 2, all[:2]},
		{nil, all[1], 2, all[2:4]},
		{nil, all[5], 10, nil},
		{nil, 0, 0, nil},
		{[]haven.Role{haven.RoleBanned}, 0, 10, []int64{users[3].ID}},
		{[]haven.Role{haven.RoleOwner, haven.RoleAdmin}, 0, 10, []int64{owner.ID}},
		{[]haven.Role{haven.RoleMember, haven.RoleLeft}, 0, 10, []int64{users[0].ID, users[1].ID, users[2].ID, users[4].ID}},
		{[]haven.Role{haven.RoleMember}, users[0].ID, 1, []int64{users[1].ID}},
	}
	for _, tc := range cases {
		ms, err := s.Members(ctx, c.ID, tc.roles, tc.after, tc.limit)
		if err != nil {
			t.Fatalf("Members: %v", err)
		}
		if got := userIDs(ms); !slices.Equal(got, tc.want) {
			t.Errorf("Members(roles %v, after %d, limit %d) = %v, want %v", tc.roles, tc.after, tc.limit, got, tc.want)
		}
	}

	// Memberships: the active rows only, by chat id.
	d := createChat(t, s, users[1].ID)
	e := createChat(t, s, users[2].ID)
	join(t, s, e.ID, users[1].ID, haven.RoleAdmin)
	f := createChat(t, s, users[2].ID)
	join(t, s, f.ID, users[1].ID, haven.RoleLeft)
	for _, tc := range []struct {
		user int64
		want []int64
	}{
		{users[1].ID, []int64{c.ID, d.ID, e.ID}},
		{users[3].ID, nil}, // banned
		{users[4].ID, nil}, // left
		{users[5].ID, nil},
		{owner.ID, []int64{c.ID}},
	} {
		ms, err := s.Memberships(ctx, tc.user)
		var got []int64
		for _, m := range ms {
			if m.UserID != tc.user || !m.Role.Active() {
				t.Errorf("Memberships(%d) returned %+v", tc.user, m)
			}
			got = append(got, m.ChatID)
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Memberships(%d) = %v, %v; want %v", tc.user, got, err, tc.want)
		}
	}
}

func testSetReadInbox(t *testing.T, s core.Store) {
	ctx := context.Background()
	owner, u := createUser(t, s), createUser(t, s)
	c := createChat(t, s, owner.ID)
	m := join(t, s, c.ID, u.ID, haven.RoleMember)
	for _, step := range []struct{ to, want int64 }{{5, 5}, {3, 5}, {5, 5}, {9, 9}, {0, 9}} {
		update(t, s, func(tx core.Tx) error { return tx.SetReadInbox(ctx, c.ID, u.ID, step.to) })
		got, err := s.Member(ctx, c.ID, u.ID)
		if err != nil || got.ReadInboxMaxID != step.want {
			t.Errorf("after SetReadInbox(%d): %+v, %v; want %d", step.to, got, err, step.want)
		}
	}
	// Nothing else of the row moves.
	m.ReadInboxMaxID = 9
	checkMember(t, s, m)

	other := createUser(t, s)
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.SetReadInbox(ctx, c.ID, other.ID, 3) }); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("SetReadInbox(not a member) = %v, want ErrNotFound", err)
	}
}

// event appends an event of kind to a chat, taking its next seq, at the
// given time, and returns it.
func appendEvent(t *testing.T, s core.Store, chatID int64, kind haven.EventKind, at time.Time) *haven.Event {
	t.Helper()
	ctx := context.Background()
	e := &haven.Event{ChatID: chatID, Kind: kind, Date: at}
	update(t, s, func(tx core.Tx) error {
		var err error
		if e.Seq, _, err = tx.NextSeq(ctx, chatID, false, at); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, e)
	})
	return e
}

func testDialogs(t *testing.T, s core.Store) {
	ctx := context.Background()
	me, other := createUser(t, s), createUser(t, s)
	if ds, err := s.Dialogs(ctx, me.ID, 0); err != nil || len(ds) != 0 {
		t.Errorf("Dialogs of a person with no chats = %v, %v", ds, err)
	}

	// Five chats of mine, created at increasing times, and two more
	// where I am no longer an active member, and one without me.
	var mine []*haven.Chat
	for i := range 5 {
		c := createChat(t, s, other.ID, func(c *haven.Chat) {
			c.Title = fmt.Sprint("chat ", i)
			c.CreatedAt = t0.Add(time.Duration(i) * time.Second)
			c.LastEventAt = c.CreatedAt
		})
		join(t, s, c.ID, me.ID, []haven.Role{haven.RoleMember, haven.RoleAdmin, haven.RoleOwner}[i%3],
			func(m *haven.Member) { m.ReadInboxMaxID = int64(i) })
		mine = append(mine, c)
	}
	left := createChat(t, s, other.ID)
	join(t, s, left.ID, me.ID, haven.RoleLeft)
	banned := createChat(t, s, other.ID)
	join(t, s, banned.ID, me.ID, haven.RoleBanned)
	notMine := createChat(t, s, other.ID)

	order := func(ds []core.Dialog) []int64 {
		var ids []int64
		for _, d := range ds {
			ids = append(ids, d.Chat.ID)
		}
		return ids
	}
	check := func(since int64, want []int64) []core.Dialog {
		t.Helper()
		ds, err := s.Dialogs(ctx, me.ID, since)
		if err != nil {
			t.Fatalf("Dialogs: %v", err)
		}
		if got := order(ds); !slices.Equal(got, want) {
			t.Errorf("Dialogs(since %d) = %v, want %v", since, got, want)
		}
		return ds
	}

	// No events yet: by creation, newest first; LastGID 0.
	ds := check(0, []int64{mine[4].ID, mine[3].ID, mine[2].ID, mine[1].ID, mine[0].ID})
	for i, d := range ds {
		c := mine[4-i]
		if !same(d.Chat, c) {
			t.Errorf("dialog chat:\n got %+v\nwant %+v", d.Chat, c)
		}
		if d.Member == nil || d.Member.UserID != me.ID || d.Member.ChatID != c.ID || d.Member.ReadInboxMaxID != int64(4-i) {
			t.Errorf("dialog member %+v, want mine in chat %d with read id %d", d.Member, c.ID, 4-i)
		}
		if d.LastGID != 0 {
			t.Errorf("dialog %d LastGID = %d before any event, want 0", c.ID, d.LastGID)
		}
	}

	// Activity reorders them, and LastGID is that of the chat's last event.
	e1 := appendEvent(t, s, mine[1].ID, haven.EventChatUpdate, t0.Add(time.Minute))
	appendEvent(t, s, notMine.ID, haven.EventChatUpdate, t0.Add(time.Minute))
	appendEvent(t, s, left.ID, haven.EventChatUpdate, t0.Add(2*time.Minute))
	e3 := appendEvent(t, s, mine[3].ID, haven.EventChatUpdate, t0.Add(2*time.Minute))
	e0 := appendEvent(t, s, mine[0].ID, haven.EventChatUpdate, t0.Add(time.Minute))
	e1b := appendEvent(t, s, mine[1].ID, haven.EventChatUpdate, t0.Add(time.Minute)) // same time as before: 1 stays behind 3
	// Equal activity times: the higher chat id first.
	ds = check(0, []int64{mine[3].ID, mine[1].ID, mine[0].ID, mine[4].ID, mine[2].ID})
	wantGID := map[int64]int64{mine[3].ID: e3.GID, mine[1].ID: e1b.GID, mine[0].ID: e0.GID}
	for _, d := range ds {
		if d.LastGID != wantGID[d.Chat.ID] {
			t.Errorf("dialog %d LastGID = %d, want %d", d.Chat.ID, d.LastGID, wantGID[d.Chat.ID])
		}
		if d.Chat.ID == mine[1].ID && d.Chat.Seq != 2 {
			t.Errorf("dialog %d Seq = %d, want 2", d.Chat.ID, d.Chat.Seq)
		}
	}

	// sinceGID: the chats whose last event is newer.
	check(e1.GID, []int64{mine[3].ID, mine[1].ID, mine[0].ID})
	check(e3.GID, []int64{mine[1].ID, mine[0].ID})
	check(e0.GID, []int64{mine[1].ID})
	check(e1b.GID, nil)

	// Leaving drops the dialog; coming back brings it back.
	join(t, s, mine[0].ID, me.ID, haven.RoleLeft)
	check(0, []int64{mine[3].ID, mine[1].ID, mine[4].ID, mine[2].ID})
	join(t, s, mine[0].ID, me.ID, haven.RoleMember)
	check(e3.GID, []int64{mine[1].ID, mine[0].ID})
}

func testInvites(t *testing.T, s core.Store) {
	ctx := context.Background()
	owner := createUser(t, s)
	c, d := createChat(t, s, owner.ID), createChat(t, s, owner.ID)
	invs := []*haven.Invite{
		{Hash: "aaaa", ChatID: c.ID, CreatorID: owner.ID, CreatedAt: t0},
		{Hash: "bbbb", ChatID: c.ID, CreatorID: owner.ID, CreatedAt: t0.Add(2 * time.Second), ExpiresAt: t0.Add(time.Hour), UsageLimit: 10, Usage: 3},
		{Hash: "cccc", ChatID: c.ID, CreatorID: owner.ID, CreatedAt: t0.Add(time.Second), Revoked: true},
		{Hash: "dddd", ChatID: d.ID, CreatorID: owner.ID, CreatedAt: t0},
	}
	update(t, s, func(tx core.Tx) error {
		for _, inv := range invs {
			if err := tx.PutInvite(ctx, inv); err != nil {
				return err
			}
		}
		return nil
	})
	for _, want := range invs {
		got, err := s.InviteByHash(ctx, want.Hash)
		if err != nil || !same(got, want) {
			t.Errorf("InviteByHash(%s) = %+v, %v; want %+v", want.Hash, got, err, want)
		}
	}
	if _, err := s.InviteByHash(ctx, "zzzz"); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("InviteByHash(missing) = %v, want ErrNotFound", err)
	}

	// A link's hash belongs to its chat for good.
	moved := *invs[3]
	moved.ChatID = c.ID
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.PutInvite(ctx, &moved) }); err == nil {
		t.Errorf("PutInvite moved link %s from chat %d to %d", moved.Hash, d.ID, c.ID)
	}
	if got, err := s.InviteByHash(ctx, moved.Hash); err != nil || !same(got, invs[3]) {
		t.Errorf("after PutInvite to another chat: %+v, %v; want %+v", got, err, invs[3])
	}

	// PutInvite replaces.
	used := *invs[1]
	used.Usage, used.Revoked = 10, true
	update(t, s, func(tx core.Tx) error { return tx.PutInvite(ctx, &used) })
	if got, err := s.InviteByHash(ctx, used.Hash); err != nil || !same(got, &used) {
		t.Errorf("after PutInvite again: %+v, %v; want %+v", got, err, used)
	}

	list, err := s.Invites(ctx, c.ID)
	if err != nil {
		t.Fatalf("Invites: %v", err)
	}
	var hashes []string
	for _, inv := range list {
		hashes = append(hashes, inv.Hash)
	}
	if want := []string{"bbbb", "cccc", "aaaa"}; !slices.Equal(hashes, want) {
		t.Errorf("Invites = %v, want %v (newest first)", hashes, want)
	}
	if list, err := s.Invites(ctx, owner.ID+1000); err != nil || len(list) != 0 {
		t.Errorf("Invites(no links) = %v, %v", list, err)
	}
}

func testSeniorMember(t *testing.T, s core.Store) {
	ctx := context.Background()
	owner := createUser(t, s)
	c := createChat(t, s, owner.ID)
	us := make([]*haven.User, 6)
	for i := range us {
		us[i] = createUser(t, s)
	}
	at := func(d time.Duration) func(*haven.Member) { return func(m *haven.Member) { m.JoinedAt = t0.Add(d) } }
	join(t, s, c.ID, us[0].ID, haven.RoleAdmin, at(3*time.Hour))
	join(t, s, c.ID, us[1].ID, haven.RoleAdmin, at(2*time.Hour))
	join(t, s, c.ID, us[2].ID, haven.RoleAdmin, at(time.Hour)) // the senior admin, but deleted below
	join(t, s, c.ID, us[3].ID, haven.RoleMember, at(2*time.Hour))
	join(t, s, c.ID, us[4].ID, haven.RoleMember, at(2*time.Hour)) // same time: the lower id wins
	join(t, s, c.ID, us[5].ID, haven.RoleLeft, at(0))             // not a member
	update(t, s, func(tx core.Tx) error {
		_, err := tx.EraseUser(ctx, us[2].ID)
		return err
	})
	senior := func(role haven.Role, except int64) int64 {
		t.Helper()
		m, err := s.SeniorMember(ctx, c.ID, role, except)
		if errors.Is(err, haven.ErrNotFound) {
			return 0
		}
		if err != nil {
			t.Fatalf("SeniorMember(%s): %v", role, err)
		}
		if m.ChatID != c.ID || m.Role != role {
			t.Fatalf("SeniorMember(%s) = %+v", role, m)
		}
		return m.UserID
	}
	if got := senior(haven.RoleAdmin, 0); got != us[1].ID {
		t.Errorf("senior admin = %d, want %d (the longest serving live admin)", got, us[1].ID)
	}
	if got := senior(haven.RoleAdmin, us[1].ID); got != us[0].ID {
		t.Errorf("senior admin but %d = %d, want %d", us[1].ID, got, us[0].ID)
	}
	lower := min(us[3].ID, us[4].ID)
	if got := senior(haven.RoleMember, 0); got != lower {
		t.Errorf("senior member = %d, want %d (the lower id of two who joined together)", got, lower)
	}
	if got := senior(haven.RoleOwner, owner.ID); got != 0 {
		t.Errorf("senior owner but the owner = %d, want none", got)
	}
	if got := senior(haven.RoleMember, 0); got == us[5].ID {
		t.Error("SeniorMember returned someone who left")
	}
}

func testActiveInvites(t *testing.T, s core.Store) {
	ctx := context.Background()
	owner, admin := createUser(t, s), createUser(t, s)
	c, d := createChat(t, s, owner.ID), createChat(t, s, owner.ID)
	now := t0.Add(time.Hour)
	invs := []*haven.Invite{
		{Hash: "a1", ChatID: c.ID, CreatorID: owner.ID, CreatedAt: t0},                                  // active
		{Hash: "a2", ChatID: c.ID, CreatorID: owner.ID, CreatedAt: t0, ExpiresAt: now.Add(time.Second)}, // active
		{Hash: "a3", ChatID: c.ID, CreatorID: owner.ID, CreatedAt: t0, UsageLimit: 5, Usage: 4},         // active
		{Hash: "x1", ChatID: c.ID, CreatorID: owner.ID, CreatedAt: t0, Revoked: true},                   // revoked
		{Hash: "x2", ChatID: c.ID, CreatorID: owner.ID, CreatedAt: t0, ExpiresAt: now},                  // expired at now
		{Hash: "x3", ChatID: c.ID, CreatorID: owner.ID, CreatedAt: t0, UsageLimit: 5, Usage: 5},         // used up
		{Hash: "b1", ChatID: c.ID, CreatorID: admin.ID, CreatedAt: t0},                                  // another creator
		{Hash: "d1", ChatID: d.ID, CreatorID: owner.ID, CreatedAt: t0},                                  // another chat
	}
	update(t, s, func(tx core.Tx) error {
		for _, inv := range invs {
			if err := tx.PutInvite(ctx, inv); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tc := range []struct {
		chat, creator int64
		want          int
	}{{c.ID, owner.ID, 3}, {c.ID, admin.ID, 1}, {d.ID, owner.ID, 1}, {d.ID, admin.ID, 0}} {
		if n, err := s.ActiveInvites(ctx, tc.chat, tc.creator, now); err != nil || n != tc.want {
			t.Errorf("ActiveInvites(chat %d, creator %d) = %d, %v; want %d", tc.chat, tc.creator, n, err, tc.want)
		}
	}
	// Revoking one frees its place.
	update(t, s, func(tx core.Tx) error {
		inv := *invs[0]
		inv.Revoked = true
		return tx.PutInvite(ctx, &inv)
	})
	if n, err := s.ActiveInvites(ctx, c.ID, owner.ID, now); err != nil || n != 2 {
		t.Errorf("after revoking one: %d, %v; want 2", n, err)
	}
}
