package storetest

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

var msgClock atomic.Int64

// send stores a message the way the core does: the chat's next seq and
// message id, the message and its message.new event, in one Update. The
// message is changed by mods before it is stored.
func send(t *testing.T, s core.Store, chatID, senderID int64, text string, mods ...func(*haven.Message)) *haven.Message {
	t.Helper()
	ctx := context.Background()
	m := &haven.Message{ChatID: chatID, SenderID: senderID, Text: text,
		Date: t0.Add(time.Duration(msgClock.Add(1)) * time.Second)}
	for _, f := range mods {
		f(m)
	}
	update(t, s, func(tx core.Tx) error {
		seq, id, err := tx.NextSeq(ctx, chatID, true, m.Date)
		if err != nil {
			return err
		}
		m.ID = id
		if err := tx.InsertMessage(ctx, m); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, &haven.Event{ChatID: chatID, Seq: seq, Kind: haven.EventMessageNew,
			MessageID: id, UserID: senderID, Date: m.Date})
	})
	return m
}

// msgIDs lists the ids of ms, in order.
func msgIDs(ms []*haven.Message) []int64 {
	ids := []int64{}
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

func checkMessage(t *testing.T, s core.Queries, want *haven.Message) {
	t.Helper()
	got, err := s.Message(context.Background(), want.ChatID, want.ID)
	if err != nil {
		t.Fatalf("Message(%d, %d): %v", want.ChatID, want.ID, err)
	}
	if !same(got, want) {
		t.Errorf("message:\n got %+v\nwant %+v", got, want)
	}
}

// rangeIDs returns from, from+1, ... to (or down to, if from > to).
func rangeIDs(from, to int64) []int64 {
	ids := []int64{}
	for i := from; ; {
		ids = append(ids, i)
		if i == to {
			return ids
		}
		if from < to {
			i++
		} else {
			i--
		}
	}
}

func testInsertAndGetMessage(t *testing.T, s core.Store) {
	ctx := context.Background()
	u, v := createUser(t, s), createUser(t, s)
	c := createChat(t, s, u.ID)

	plain := send(t, s, c.ID, u.ID, "hello")
	if plain.ID != 1 {
		t.Errorf("first message id = %d, want 1", plain.ID)
	}
	checkMessage(t, s, plain)
	got, _ := s.Message(ctx, c.ID, plain.ID)
	if got != nil && (got.Entities != nil || got.Forward != nil || got.Service != nil || !got.EditDate.IsZero() || !got.ExpiresAt.IsZero()) {
		t.Errorf("plain message came back with extras: %+v", got)
	}

	full := send(t, s, c.ID, v.ID, "Ünïcödé 🎉 текст 日本語 \u200dend", func(m *haven.Message) {
		m.Entities = []haven.Entity{
			{Type: haven.EntityBold, Offset: 0, Length: 7},
			{Type: haven.EntityTextLink, Offset: 8, Length: 2, URL: "https://example.org/a?b=c"},
			{Type: haven.EntityTextMention, Offset: 11, Length: 5, UserID: u.ID},
		}
		m.ReplyToID = plain.ID
		m.Forward = &haven.Forward{FromUserID: u.ID, FromName: "Ann", FromChatID: c.ID, MessageID: 1, Date: t0.Add(-time.Hour)}
		m.EditDate = m.Date.Add(time.Minute)
		m.Silent, m.Pinned, m.Views = true, true, 7
		m.ExpiresAt = t0.Add(48 * time.Hour)
	})
	checkMessage(t, s, full)

	service := send(t, s, c.ID, u.ID, "", func(m *haven.Message) {
		m.Service = &haven.ServiceAction{Type: haven.ActionMembersAdded, UserIDs: []int64{v.ID, u.ID}, Title: "t", Seconds: 30, MessageID: 2}
	})
	checkMessage(t, s, service)

	for _, id := range []int64{0, 4, 1000} {
		if _, err := s.Message(ctx, c.ID, id); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("Message(%d) = %v, want ErrNotFound", id, err)
		}
	}
	if _, err := s.Message(ctx, c.ID+1000, 1); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("Message(missing chat) = %v, want ErrNotFound", err)
	}

	// Messages: those that exist, by id, whatever the order asked.
	ms, err := s.Messages(ctx, c.ID, []int64{3, 999, 1, 3, 2})
	if err != nil {
		t.Fatalf("Messages: %v", err)
	}
	if got := msgIDs(ms); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("Messages ids = %v, want [1 2 3]", got)
	} else if !same(ms[1], full) {
		t.Errorf("Messages[1]:\n got %+v\nwant %+v", ms[1], full)
	}
	if ms, err := s.Messages(ctx, c.ID, nil); err != nil || len(ms) != 0 {
		t.Errorf("Messages(nil) = %v, %v", ms, err)
	}

	// Ids are per chat.
	d := createChat(t, s, u.ID)
	other := send(t, s, d.ID, u.ID, "elsewhere")
	if other.ID != 1 {
		t.Errorf("first message of another chat has id %d, want 1", other.ID)
	}
	checkMessage(t, s, other)
	checkMessage(t, s, plain)
}

func testUpdateMessage(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s)
	c := createChat(t, s, u.ID)
	m := send(t, s, c.ID, u.ID, "first", func(m *haven.Message) {
		m.Entities = []haven.Entity{{Type: haven.EntityItalic, Offset: 0, Length: 5}}
		m.ReplyToID, m.Silent = 0, true
	})

	// Written: Text, Entities, EditDate, Pinned, Views, ExpiresAt.
	want := *m
	want.Text = "second, longer"
	want.Entities = []haven.Entity{{Type: haven.EntityCode, Offset: 0, Length: 6}, {Type: haven.EntityBold, Offset: 8, Length: 6}}
	want.EditDate, want.Pinned, want.Views, want.ExpiresAt = t0.Add(time.Hour), true, 12, t0.Add(time.Hour*24)
	// Kept: the rest.
	sent := want
	sent.SenderID, sent.Date, sent.ReplyToID, sent.Silent = u.ID+1, t0.Add(-time.Hour), 99, false
	sent.Forward = &haven.Forward{FromName: "x", Date: t0}
	update(t, s, func(tx core.Tx) error { return tx.UpdateMessage(ctx, &sent) })
	checkMessage(t, s, &want)

	// Entities, the expiry and the pin can be removed.
	want.Entities, want.ExpiresAt, want.Pinned = nil, time.Time{}, false
	update(t, s, func(tx core.Tx) error { return tx.UpdateMessage(ctx, &want) })
	checkMessage(t, s, &want)

	missing := want
	missing.ID = 99
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.UpdateMessage(ctx, &missing) }); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("UpdateMessage(missing) = %v, want ErrNotFound", err)
	}
}

func testHistory(t *testing.T, s core.Store) {
	ctx := context.Background()
	u, v := createUser(t, s), createUser(t, s)
	c := createChat(t, s, u.ID)
	for i := range 20 {
		send(t, s, c.ID, []int64{u.ID, v.ID}[i%2], "message")
	}
	d := createChat(t, s, v.ID)
	send(t, s, d.ID, v.ID, "other chat")

	history := func(viewer, minID, maxID int64, limit int, newest bool) []int64 {
		t.Helper()
		ms, err := s.History(ctx, c.ID, viewer, minID, maxID, limit, newest)
		if err != nil {
			t.Fatalf("History: %v", err)
		}
		for _, m := range ms {
			if m.ChatID != c.ID || m.Text != "message" {
				t.Errorf("History returned %+v", m)
			}
		}
		return msgIDs(ms)
	}
	cases := []struct {
		name         string
		viewer       int64
		minID, maxID int64
		limit        int
		newest       bool
		want         []int64
	}{
		{"newest page", u.ID, 1, 20, 5, true, rangeIDs(20, 16)},
		{"oldest page", u.ID, 1, 20, 5, false, rangeIDs(1, 5)},
		{"bounds are inclusive", u.ID, 4, 8, 50, false, rangeIDs(4, 8)},
		{"older than 8", u.ID, 1, 7, 3, true, rangeIDs(7, 5)},
		{"newer than 17", u.ID, 18, 1 << 40, 10, false, rangeIDs(18, 20)},
		{"everything", u.ID, 0, 1 << 40, 100, true, rangeIDs(20, 1)},
		{"empty range", u.ID, 9, 8, 10, true, []int64{}},
		{"past the end", u.ID, 21, 30, 10, true, []int64{}},
		{"no limit", u.ID, 1, 20, 0, true, []int64{}},
	}
	for _, tc := range cases {
		if got := history(tc.viewer, tc.minID, tc.maxID, tc.limit, tc.newest); !slices.Equal(got, tc.want) {
			t.Errorf("%s: History = %v, want %v", tc.name, got, tc.want)
		}
	}

	// Hidden messages are skipped for the one who hid them only, and do
	// not shorten the page.
	update(t, s, func(tx core.Tx) error { return tx.HideMessages(ctx, u.ID, c.ID, []int64{20, 18, 3}) })
	if got, want := history(u.ID, 1, 20, 4, true), []int64{19, 17, 16, 15}; !slices.Equal(got, want) {
		t.Errorf("History with hidden = %v, want %v", got, want)
	}
	if got, want := history(u.ID, 1, 20, 3, false), []int64{1, 2, 4}; !slices.Equal(got, want) {
		t.Errorf("History oldest with hidden = %v, want %v", got, want)
	}
	if got, want := history(v.ID, 1, 20, 4, true), rangeIDs(20, 17); !slices.Equal(got, want) {
		t.Errorf("History of another viewer = %v, want %v", got, want)
	}
	if got, want := history(0, 1, 20, 2, true), rangeIDs(20, 19); !slices.Equal(got, want) {
		t.Errorf("History of viewer 0 = %v, want %v", got, want)
	}
}

func testHideMessages(t *testing.T, s core.Store) {
	ctx := context.Background()
	u, v := createUser(t, s), createUser(t, s)
	c, d := createChat(t, s, u.ID), createChat(t, s, u.ID)
	for range 5 {
		send(t, s, c.ID, v.ID, "x")
		send(t, s, d.ID, v.ID, "y")
	}
	update(t, s, func(tx core.Tx) error { return tx.HideMessages(ctx, u.ID, c.ID, []int64{2, 4}) })
	update(t, s, func(tx core.Tx) error { return tx.HideMessages(ctx, u.ID, c.ID, []int64{4, 5}) }) // again: no error
	update(t, s, func(tx core.Tx) error { return tx.HideMessages(ctx, u.ID, c.ID, nil) })

	check := func(viewer, chatID int64, ids []int64, want map[int64]bool) {
		t.Helper()
		got, err := s.HiddenIDs(ctx, viewer, chatID, ids)
		if err != nil {
			t.Fatalf("HiddenIDs: %v", err)
		}
		if len(got) != len(want) {
			t.Errorf("HiddenIDs(%d, %d, %v) = %v, want %v", viewer, chatID, ids, got, want)
		}
		for id := range want {
			if !got[id] {
				t.Errorf("HiddenIDs(%d, %d, %v) = %v, want %v", viewer, chatID, ids, got, want)
			}
		}
	}
	check(u.ID, c.ID, []int64{1, 2, 3, 4, 5, 6}, map[int64]bool{2: true, 4: true, 5: true})
	check(u.ID, c.ID, []int64{1, 3}, map[int64]bool{})
	check(u.ID, c.ID, nil, map[int64]bool{})
	check(u.ID, d.ID, []int64{2, 4, 5}, map[int64]bool{}) // same ids, other chat
	check(v.ID, c.ID, []int64{2, 4, 5}, map[int64]bool{}) // other person
}

func testDeleteMessages(t *testing.T, s core.Store) {
	ctx := context.Background()
	u, v := createUser(t, s), createUser(t, s)
	c, d := createChat(t, s, u.ID), createChat(t, s, u.ID)
	for range 6 {
		send(t, s, c.ID, v.ID, "in c")
		send(t, s, d.ID, v.ID, "in d")
	}
	// Per-message rows of every kind, in both chats.
	update(t, s, func(tx core.Tx) error {
		for _, chatID := range []int64{c.ID, d.ID} {
			for _, id := range []int64{2, 3, 4} {
				if err := tx.SetReaction(ctx, chatID, id, u.ID, "👍"); err != nil {
					return err
				}
				if _, err := tx.AddView(ctx, chatID, id, u.ID); err != nil {
					return err
				}
				if err := tx.AddMentions(ctx, chatID, id, []int64{u.ID}); err != nil {
					return err
				}
			}
			if err := tx.HideMessages(ctx, u.ID, chatID, []int64{3, 4}); err != nil {
				return err
			}
		}
		return nil
	})

	var deleted []int64
	update(t, s, func(tx core.Tx) error {
		var err error
		deleted, err = tx.DeleteMessages(ctx, c.ID, []int64{4, 99, 3, 3})
		return err
	})
	if !slices.Equal(deleted, []int64{3, 4}) {
		t.Errorf("DeleteMessages = %v, want the ids that existed, [3 4]", deleted)
	}
	for _, id := range []int64{3, 4} {
		if _, err := s.Message(ctx, c.ID, id); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("deleted message %d: %v, want ErrNotFound", id, err)
		}
	}
	ms, err := s.History(ctx, c.ID, v.ID, 1, 100, 100, false)
	if err != nil || !slices.Equal(msgIDs(ms), []int64{1, 2, 5, 6}) {
		t.Errorf("History after delete = %v, %v; want [1 2 5 6]", msgIDs(ms), err)
	}

	// Their reactions, mentions and hidden marks are gone; the others stay.
	rs, err := s.Reactions(ctx, c.ID, []int64{2, 3, 4})
	if err != nil || len(rs[3]) != 0 || len(rs[4]) != 0 || len(rs[2]) != 1 {
		t.Errorf("Reactions after delete = %v, %v; want only message 2's", rs, err)
	}
	if n, err := s.CountMentions(ctx, c.ID, u.ID, 0, haven.MaxID); err != nil || n != 1 {
		t.Errorf("CountMentions after delete = %d, %v; want 1", n, err)
	}
	if h, err := s.HiddenIDs(ctx, u.ID, c.ID, []int64{3, 4}); err != nil || len(h) != 0 {
		t.Errorf("HiddenIDs after delete = %v, %v; want none", h, err)
	}
	// A view of a message that is gone cannot be counted.
	err = s.Update(ctx, func(tx core.Tx) error { _, err := tx.AddView(ctx, c.ID, 3, v.ID); return err })
	if !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("AddView(deleted) = %v, want ErrNotFound", err)
	}

	// The other chat's messages with the same ids are untouched.
	if ms, err := s.Messages(ctx, d.ID, []int64{3, 4}); err != nil || len(ms) != 2 {
		t.Errorf("other chat's messages = %v, %v", msgIDs(ms), err)
	}
	if rs, err := s.Reactions(ctx, d.ID, []int64{3, 4}); err != nil || len(rs[3]) != 1 || len(rs[4]) != 1 {
		t.Errorf("other chat's reactions = %v, %v", rs, err)
	}
	if n, err := s.CountMentions(ctx, d.ID, u.ID, 0, haven.MaxID); err != nil || n != 1 { // 2; 3 and 4 are hidden
		t.Errorf("other chat's mentions = %d, %v; want 1", n, err)
	}
	if h, err := s.HiddenIDs(ctx, u.ID, d.ID, []int64{3, 4}); err != nil || len(h) != 2 {
		t.Errorf("other chat's hidden = %v, %v", h, err)
	}

	// Deleting again, or nothing, deletes nothing; ids are never reused.
	update(t, s, func(tx core.Tx) error {
		var err error
		if deleted, err = tx.DeleteMessages(ctx, c.ID, []int64{3, 4}); err != nil {
			return err
		}
		if len(deleted) != 0 {
			t.Errorf("DeleteMessages again = %v, want none", deleted)
		}
		deleted, err = tx.DeleteMessages(ctx, c.ID, nil)
		return err
	})
	if len(deleted) != 0 {
		t.Errorf("DeleteMessages(nil) = %v", deleted)
	}
	if m := send(t, s, c.ID, v.ID, "after"); m.ID != 7 {
		t.Errorf("next message id = %d, want 7", m.ID)
	}
}

func testCountUnread(t *testing.T, s core.Store) {
	ctx := context.Background()
	me, a, b := createUser(t, s), createUser(t, s), createUser(t, s)
	c := createChat(t, s, me.ID)
	// 1..10: a, me, b, a, me, b ...
	for i := range 10 {
		send(t, s, c.ID, []int64{a.ID, me.ID, b.ID}[i%3], "m")
	}
	// From others: 1 3 4 6 7 9 10.
	// Up to 10 (all), or up to a message before the newest (the chat as
	// a dialog list read it, messages sent since left out).
	cases := []struct {
		after, upTo int64
		limit       int
		want        int
	}{
		{0, 10, 100, 7},
		{0, 10, 5, 5},
		{0, 10, 7, 7},
		{3, 10, 100, 5},
		{9, 10, 100, 1},
		{10, 10, 100, 0},
		{0, 10, 0, 0},
		{0, 9, 100, 6},
		{0, 5, 100, 3},
		{3, 6, 100, 2},
		{0, 4, 2, 2},
		{6, 6, 100, 0},
		{6, 5, 100, 0},
	}
	for _, tc := range cases {
		if n, err := s.CountUnread(ctx, c.ID, me.ID, tc.after, tc.upTo, tc.limit); err != nil || n != tc.want {
			t.Errorf("CountUnread(after %d, up to %d, limit %d) = %d, %v; want %d", tc.after, tc.upTo, tc.limit, n, err, tc.want)
		}
	}
	// Another person's count excludes their own messages instead.
	if n, err := s.CountUnread(ctx, c.ID, a.ID, 0, 10, 100); err != nil || n != 6 {
		t.Errorf("CountUnread of a = %d, %v; want 6", n, err)
	}
	// Hidden messages do not count.
	update(t, s, func(tx core.Tx) error { return tx.HideMessages(ctx, me.ID, c.ID, []int64{4, 5, 10}) })
	if n, err := s.CountUnread(ctx, c.ID, me.ID, 0, 10, 100); err != nil || n != 5 {
		t.Errorf("CountUnread with hidden = %d, %v; want 5", n, err)
	}
	if n, err := s.CountUnread(ctx, c.ID, a.ID, 0, 10, 100); err != nil || n != 6 {
		t.Errorf("CountUnread of a after my hiding = %d, %v; want 6", n, err)
	}
}

func testMentions(t *testing.T, s core.Store) {
	ctx := context.Background()
	me, a := createUser(t, s), createUser(t, s)
	c, d := createChat(t, s, me.ID), createChat(t, s, me.ID)
	for range 6 {
		send(t, s, c.ID, a.ID, "@me")
	}
	send(t, s, d.ID, a.ID, "@me")
	update(t, s, func(tx core.Tx) error {
		for _, id := range []int64{2, 4, 5} {
			if err := tx.AddMentions(ctx, c.ID, id, []int64{me.ID, a.ID}); err != nil {
				return err
			}
		}
		if err := tx.AddMentions(ctx, c.ID, 4, []int64{me.ID}); err != nil { // again
			return err
		}
		if err := tx.AddMentions(ctx, c.ID, 6, nil); err != nil {
			return err
		}
		return tx.AddMentions(ctx, d.ID, 1, []int64{me.ID})
	})
	for _, tc := range []struct {
		user, after, upTo int64
		want              int
	}{
		{me.ID, 0, 6, 3}, {me.ID, 2, 6, 2}, {me.ID, 4, 6, 1}, {me.ID, 5, 6, 0}, {a.ID, 3, 6, 2},
		{me.ID, 0, 4, 2}, {me.ID, 0, 3, 1}, {me.ID, 2, 4, 1}, {me.ID, 4, 4, 0}, {me.ID, 4, 2, 0},
	} {
		if n, err := s.CountMentions(ctx, c.ID, tc.user, tc.after, tc.upTo); err != nil || n != tc.want {
			t.Errorf("CountMentions(user %d, after %d, up to %d) = %d, %v; want %d", tc.user, tc.after, tc.upTo, n, err, tc.want)
		}
	}
	update(t, s, func(tx core.Tx) error { return tx.HideMessages(ctx, me.ID, c.ID, []int64{4}) })
	if n, err := s.CountMentions(ctx, c.ID, me.ID, 0, 6); err != nil || n != 2 {
		t.Errorf("CountMentions with a hidden one = %d, %v; want 2", n, err)
	}
	if n, err := s.CountMentions(ctx, d.ID, me.ID, 0, 1); err != nil || n != 1 {
		t.Errorf("CountMentions in the other chat = %d, %v; want 1", n, err)
	}
}

func testReactions(t *testing.T, s core.Store) {
	ctx := context.Background()
	a, b, c := createUser(t, s), createUser(t, s), createUser(t, s)
	chat := createChat(t, s, a.ID)
	for range 3 {
		send(t, s, chat.ID, a.ID, "react to me")
	}
	set := func(msgID, userID int64, emoji string) {
		t.Helper()
		update(t, s, func(tx core.Tx) error { return tx.SetReaction(ctx, chat.ID, msgID, userID, emoji) })
	}
	set(1, c.ID, "👍")
	set(1, a.ID, "❤️")
	set(1, b.ID, "🔥")
	set(2, b.ID, "👍")
	set(1, b.ID, "🎉") // replaces b's reaction
	set(3, a.ID, "👍")
	set(3, a.ID, "") // removes it
	set(2, c.ID, "") // removing none is fine

	got, err := s.Reactions(ctx, chat.ID, []int64{1, 2, 3, 99})
	if err != nil {
		t.Fatalf("Reactions: %v", err)
	}
	want := map[int64][]haven.Reaction{
		1: {{UserID: a.ID, Emoji: "❤️"}, {UserID: b.ID, Emoji: "🎉"}, {UserID: c.ID, Emoji: "👍"}},
		2: {{UserID: b.ID, Emoji: "👍"}},
	}
	if len(got) != len(want) || !slices.Equal(got[1], want[1]) || !slices.Equal(got[2], want[2]) {
		t.Errorf("Reactions = %v, want %v (each by user id)", got, want)
	}
	if got, err := s.Reactions(ctx, chat.ID, []int64{2}); err != nil || len(got) != 1 || len(got[1]) != 0 {
		t.Errorf("Reactions([2]) = %v, %v; want message 2's only", got, err)
	}
	if got, err := s.Reactions(ctx, chat.ID, nil); err != nil || len(got) != 0 {
		t.Errorf("Reactions(nil) = %v, %v", got, err)
	}

	err = s.Update(ctx, func(tx core.Tx) error { return tx.SetReaction(ctx, chat.ID, 99, a.ID, "👍") })
	if !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("SetReaction(missing message) = %v, want ErrNotFound", err)
	}
}

func testViews(t *testing.T, s core.Store) {
	ctx := context.Background()
	a, b := createUser(t, s), createUser(t, s)
	ch := createChat(t, s, a.ID, func(c *haven.Chat) { c.Kind = haven.ChatChannel })
	m := send(t, s, ch.ID, a.ID, "post")
	send(t, s, ch.ID, a.ID, "another post")
	view := func(userID int64, want bool) {
		t.Helper()
		var fresh bool
		update(t, s, func(tx core.Tx) error {
			var err error
			fresh, err = tx.AddView(ctx, ch.ID, m.ID, userID)
			return err
		})
		if fresh != want {
			t.Errorf("AddView(%d) = %v, want %v", userID, fresh, want)
		}
	}
	view(a.ID, true)
	view(a.ID, false)
	view(b.ID, true)
	view(b.ID, false)
	if got, err := s.Message(ctx, ch.ID, m.ID); err != nil || got.Views != 2 {
		t.Errorf("Views = %v, %v; want 2", got, err)
	}
	if got, err := s.Message(ctx, ch.ID, 2); err != nil || got.Views != 0 {
		t.Errorf("Views of the other post = %v, %v; want 0", got, err)
	}
	err := s.Update(ctx, func(tx core.Tx) error { _, err := tx.AddView(ctx, ch.ID, 99, a.ID); return err })
	if !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("AddView(missing message) = %v, want ErrNotFound", err)
	}
}

func testSends(t *testing.T, s core.Store) {
	ctx := context.Background()
	a, b := createUser(t, s), createUser(t, s)
	c := createChat(t, s, a.ID)
	remember := func(sender, randomID, msgID int64, at time.Time) error {
		return s.Update(ctx, func(tx core.Tx) error { return tx.RememberSend(ctx, sender, randomID, c.ID, msgID, at) })
	}
	for i, r := range []struct {
		sender, random, msg int64
		at                  time.Time
	}{
		{a.ID, 1, 1, t0}, {a.ID, -5, 2, t0.Add(time.Second)}, {b.ID, 1, 3, t0.Add(2 * time.Second)},
		{a.ID, 1 << 62, 4, t0.Add(3 * time.Second)},
	} {
		if err := remember(r.sender, r.random, r.msg, r.at); err != nil {
			t.Fatalf("RememberSend %d: %v", i, err)
		}
	}
	found := func(sender, randomID, wantMsg int64) {
		t.Helper()
		chatID, msgID, err := s.SentMessage(ctx, sender, randomID)
		if err != nil || chatID != c.ID || msgID != wantMsg {
			t.Errorf("SentMessage(%d, %d) = %d, %d, %v; want %d, %d", sender, randomID, chatID, msgID, err, c.ID, wantMsg)
		}
	}
	gone := func(sender, randomID int64) {
		t.Helper()
		if _, _, err := s.SentMessage(ctx, sender, randomID); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("SentMessage(%d, %d) = %v, want ErrNotFound", sender, randomID, err)
		}
	}
	found(a.ID, 1, 1)
	found(a.ID, -5, 2)
	found(b.ID, 1, 3)
	found(a.ID, 1<<62, 4)
	gone(a.ID, 2)
	gone(b.ID, -5)

	// A random_id is used once per sender, and the failed Update keeps
	// nothing of what it did before.
	err := s.Update(ctx, func(tx core.Tx) error {
		if err := tx.RememberSend(ctx, b.ID, 77, c.ID, 9, t0); err != nil {
			return err
		}
		return tx.RememberSend(ctx, a.ID, -5, c.ID, 10, t0)
	})
	if !isCode(err, haven.CodeDuplicate) {
		t.Errorf("RememberSend(duplicate) = %v, want %s", err, haven.CodeDuplicate)
	}
	found(a.ID, -5, 2)
	gone(b.ID, 77)

	// Forgetting: records older than t go, the others stay.
	update(t, s, func(tx core.Tx) error { return tx.ForgetSendsBefore(ctx, t0.Add(2*time.Second)) })
	gone(a.ID, 1)
	gone(a.ID, -5)
	found(b.ID, 1, 3)
	found(a.ID, 1<<62, 4)
	if err := remember(a.ID, 1, 5, t0.Add(4*time.Second)); err != nil {
		t.Errorf("RememberSend of a forgotten random_id: %v", err)
	}
	found(a.ID, 1, 5)
	update(t, s, func(tx core.Tx) error { return tx.ForgetSendsBefore(ctx, t0.Add(time.Hour)) })
	gone(b.ID, 1)
	gone(a.ID, 1)
	update(t, s, func(tx core.Tx) error { return tx.ForgetSendsBefore(ctx, t0.Add(time.Hour)) }) // none left
}

func testExpiredMessages(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s)
	c, d := createChat(t, s, u.ID), createChat(t, s, u.ID)
	expiring := func(chatID int64, at time.Time) core.MessageRef {
		m := send(t, s, chatID, u.ID, "bye", func(m *haven.Message) { m.ExpiresAt = at })
		return core.MessageRef{ChatID: chatID, ID: m.ID}
	}
	send(t, s, c.ID, u.ID, "forever")
	r1 := expiring(c.ID, t0.Add(3*time.Minute))
	r2 := expiring(d.ID, t0.Add(1*time.Minute))
	r3 := expiring(c.ID, t0.Add(2*time.Minute))
	expiring(d.ID, t0.Add(time.Hour))
	send(t, s, d.ID, u.ID, "forever")

	for _, tc := range []struct {
		now   time.Time
		limit int
		want  []core.MessageRef
	}{
		{t0, 10, nil},
		{t0.Add(time.Minute), 10, nil}, // before now, strictly
		{t0.Add(time.Minute + time.Millisecond), 10, []core.MessageRef{r2}},
		{t0.Add(10 * time.Minute), 10, []core.MessageRef{r2, r3, r1}},
		{t0.Add(10 * time.Minute), 2, []core.MessageRef{r2, r3}},
		{t0.Add(10 * time.Minute), 0, nil},
	} {
		got, err := s.ExpiredMessages(ctx, tc.now, tc.limit)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ExpiredMessages(%v, %d) = %v, %v; want %v", tc.now, tc.limit, got, err, tc.want)
		}
	}
	// Removing the expiry takes a message out.
	m, err := s.Message(ctx, r2.ChatID, r2.ID)
	if err != nil {
		t.Fatal(err)
	}
	m.ExpiresAt = time.Time{}
	update(t, s, func(tx core.Tx) error { return tx.UpdateMessage(ctx, m) })
	if got, err := s.ExpiredMessages(ctx, t0.Add(10*time.Minute), 10); err != nil || !slices.Equal(got, []core.MessageRef{r3, r1}) {
		t.Errorf("ExpiredMessages after clearing one = %v, %v", got, err)
	}
}
