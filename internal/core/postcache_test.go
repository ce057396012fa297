package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlite"
)

// sendOK sends text with randomID and fails the test on an error.
func sendOK(t *testing.T, svc *core.Service, a *core.Actor, to core.Peer, text string, randomID int64) *core.MessageView {
	t.Helper()
	m, err := svc.Send(context.Background(), a, to, core.SendInput{Text: text, RandomID: randomID})
	if err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
	return m
}

// wantSendCode sends and wants the send refused with code.
func wantSendCode(t *testing.T, svc *core.Service, a *core.Actor, to core.Peer, randomID int64, code, what string) {
	t.Helper()
	_, err := svc.Send(context.Background(), a, to, core.SendInput{Text: "after: " + what, RandomID: randomID})
	if got := haven.ErrorCode(err); got != code {
		t.Errorf("%s: send answered %v (%s), want %s", what, err, got, code)
	}
}

// group makes a group of owner and members, whom the owner has found and
// who let anyone add them.
func group(t *testing.T, f *fixture, owner *core.Actor, members ...*core.Actor) int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for _, m := range members {
		if _, err := f.svc.SetPrivacy(ctx, m, haven.PrivacyAddToGroups, haven.Everybody); err != nil {
			t.Fatal(err)
		}
		meet(t, f.svc, owner, m)
		ids = append(ids, m.UserID)
	}
	c, err := f.svc.CreateGroup(ctx, owner, "the group", ids)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// TestSendChecksAfterCachedSends: the chat and membership a send checks
// are kept between sends (postable's cache), and every change that may
// take the right to post away refuses the very next send of someone
// whose rows are kept: leaving, a ban, a removal, the group's rights,
// slow mode, a block, the other person's account deleted.
func TestSendChecksAfterCachedSends(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ann, bob := f.user(t, "+442079460001", "Ann"), f.user(t, "+442079460002", "Bob")
	cat, dan := f.user(t, "+442079460003", "Cat"), f.user(t, "+442079460004", "Dan")
	eve, fay := f.user(t, "+442079460005", "Eve"), f.user(t, "+442079460006", "Fay")
	g := core.Peer{ChatID: group(t, f, ann, bob, cat, dan, eve)}
	rid := int64(100)
	twice := func(a *core.Actor, to core.Peer) {
		t.Helper()
		for range 2 {
			rid++
			sendOK(t, f.svc, a, to, "warm", rid)
		}
	}
	for _, a := range []*core.Actor{bob, cat, dan, eve} {
		twice(a, g)
	}

	if err := f.svc.Leave(ctx, bob, g.ChatID); err != nil {
		t.Fatal(err)
	}
	rid++
	wantSendCode(t, f.svc, bob, g, rid, haven.CodeNotMember, "bob left")

	if err := f.svc.Ban(ctx, ann, g.ChatID, cat.UserID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	rid++
	wantSendCode(t, f.svc, cat, g, rid, haven.CodeUserBanned, "cat banned")

	if err := f.svc.Remove(ctx, ann, g.ChatID, dan.UserID); err != nil {
		t.Fatal(err)
	}
	rid++
	wantSendCode(t, f.svc, dan, g, rid, haven.CodeNotMember, "dan removed")

	twice(eve, g)
	secs := 60
	if _, err := f.svc.UpdateChat(ctx, ann, g.ChatID, core.ChatSettings{SlowModeSeconds: &secs}); err != nil {
		t.Fatal(err)
	}
	rid++
	sendOK(t, f.svc, eve, g, "first under slow mode", rid)
	rid++
	wantSendCode(t, f.svc, eve, g, rid, haven.CodeSlowModeWait, "eve posted under slow mode")
	off := 0
	if _, err := f.svc.UpdateChat(ctx, ann, g.ChatID, core.ChatSettings{SlowModeSeconds: &off}); err != nil {
		t.Fatal(err)
	}
	none := haven.Rights(0)
	twice(eve, g)
	if _, err := f.svc.UpdateChat(ctx, ann, g.ChatID, core.ChatSettings{MemberRights: &none}); err != nil {
		t.Fatal(err)
	}
	rid++
	wantSendCode(t, f.svc, eve, g, rid, haven.CodeChatWriteForbidden, "members may no longer send")

	// Private chats, by chat and by person.
	meet(t, f.svc, ann, fay)
	meet(t, f.svc, fay, ann)
	first := sendOK(t, f.svc, ann, core.Peer{UserID: fay.UserID}, "hello", 900)
	sendOK(t, f.svc, fay, core.Peer{ChatID: first.ChatID}, "hi", 901)
	twice(ann, core.Peer{ChatID: first.ChatID})
	twice(ann, core.Peer{UserID: fay.UserID})
	if err := f.svc.Block(ctx, fay, ann.UserID); err != nil {
		t.Fatal(err)
	}
	rid++
	wantSendCode(t, f.svc, ann, core.Peer{ChatID: first.ChatID}, rid, haven.CodeUserBlocked, "fay blocked ann (by chat)")
	rid++
	wantSendCode(t, f.svc, ann, core.Peer{UserID: fay.UserID}, rid, haven.CodeUserBlocked, "fay blocked ann (by person)")

	twice(fay, core.Peer{ChatID: first.ChatID})
	twice(fay, core.Peer{UserID: ann.UserID})
	if err := f.svc.DeleteAccount(ctx, ann, ""); err != nil {
		t.Fatal(err)
	}
	rid++
	if _, err := f.svc.Send(ctx, fay, core.Peer{ChatID: first.ChatID}, core.SendInput{Text: "to a deleted account", RandomID: rid}); err == nil {
		t.Error("a send to a deleted account's private chat (by chat) was accepted")
	}
	rid++
	if _, err := f.svc.Send(ctx, fay, core.Peer{UserID: ann.UserID}, core.SendInput{Text: "to a deleted account", RandomID: rid}); err == nil {
		t.Error("a send to a deleted account (by person) was accepted")
	}
}

// TestPostCacheOffBesideOtherWriters: when another writer shares the
// database (another node on the same PostgreSQL, here another process on
// the same file), a removal it writes refuses the very next send: nothing
// read for a send is kept. As the sole writer the kept rows are used,
// and miss that writer's change (this test's control: the cache is in
// use, so the first half tests something).
func TestPostCacheOffBesideOtherWriters(t *testing.T) {
	for _, shared := range []bool{true, false} {
		ctx := context.Background()
		f, path := sharedFixture(t, ctx, shared, core.PushConfig{})
		ann, bob := f.user(t, "+442079460001", "Ann"), f.user(t, "+442079460002", "Bob")
		g := core.Peer{ChatID: group(t, f, ann, bob)}
		sendOK(t, f.svc, bob, g, "one", 1)
		sendOK(t, f.svc, bob, g, "two", 2)

		other, err := sqlite.OpenExisting(ctx, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = other.Update(ctx, func(tx core.Tx) error {
			m, err := tx.Member(ctx, g.ChatID, bob.UserID)
			if err != nil {
				return err
			}
			m.Role = haven.RoleLeft
			return tx.PutMember(ctx, m)
		})
		if err != nil {
			t.Fatal(err)
		}
		other.Close()
		_, err = f.svc.Send(ctx, bob, g, core.SendInput{Text: "three", RandomID: 3})
		if shared && haven.ErrorCode(err) != haven.CodeNotMember {
			t.Errorf("beside another writer, a send right after it removed the sender answered %v, want NOT_MEMBER", err)
		}
		if !shared && err != nil {
			t.Errorf("as the sole writer the kept rows were expected to stand (this test's control), got %v", err)
		}
		f.store.Close()
	}
}

// TestRetryAnswersFirstMessage: a send is not looked up by its random_id
// before it is written; the unique key of the random_id's row refuses
// the second, which then answers the first message: right away, after
// the sender has left (the checks now fail, the first answer stands), to
// another peer, and across a restart of the store. A retry of a message
// since deleted answers MESSAGE_NOT_FOUND and posts nothing.
func TestRetryAnswersFirstMessage(t *testing.T) {
	ctx := context.Background()
	f, path := sharedFixture(t, ctx, false, core.PushConfig{})
	ann, bob := f.user(t, "+442079460001", "Ann"), f.user(t, "+442079460002", "Bob")
	g := core.Peer{ChatID: group(t, f, ann, bob)}
	meet(t, f.svc, bob, ann)
	first := sendOK(t, f.svc, bob, g, "once", 7)
	same := func(what string, m *core.MessageView, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if m.ChatID != first.ChatID || m.ID != first.ID || m.Text != "once" {
			t.Errorf("%s answered message %d/%d %q, want the first, %d/%d", what, m.ChatID, m.ID, m.Text, first.ChatID, first.ID)
		}
	}
	m, err := f.svc.Send(ctx, bob, g, core.SendInput{Text: "once", RandomID: 7})
	same("a retry", m, err)
	m, err = f.svc.Send(ctx, bob, core.Peer{UserID: ann.UserID}, core.SendInput{Text: "elsewhere", RandomID: 7})
	same("a retry to another peer", m, err)
	sendOK(t, f.svc, bob, g, "to delete", 8)
	if _, err := f.svc.Delete(ctx, bob, g.ChatID, []int64{first.ID + 1}, true); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Send(ctx, bob, g, core.SendInput{Text: "to delete", RandomID: 8})
	if haven.ErrorCode(err) != haven.CodeMessageNotFound {
		t.Errorf("a retry of a deleted message answered %v, want MESSAGE_NOT_FOUND", err)
	}

	own := sendOK(t, f.svc, ann, g, "ann's own", 7) // random_ids are per sender
	if own.ID == first.ID {
		t.Fatalf("another sender's random_id 7 answered bob's message")
	}
	if err := f.svc.Leave(ctx, bob, g.ChatID); err != nil {
		t.Fatal(err)
	}
	m, err = f.svc.Send(ctx, bob, g, core.SendInput{Text: "once", RandomID: 7})
	same("a retry after leaving", m, err)
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}

	st, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f.svc, err = core.New(core.Config{Store: st, Codes: f.codes, Passwords: fastPasswords(), Clock: f.clock, Secret: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	m, err = f.svc.Send(ctx, bob, g, core.SendInput{Text: "once", RandomID: 7})
	same("a retry after a restart", m, err)
	m, err = f.svc.Send(ctx, ann, g, core.SendInput{Text: "ann's own", RandomID: 7})
	if err != nil || m.ID != own.ID {
		t.Fatalf("ann's retry after the restart: %v %+v, want message %d", err, m, own.ID)
	}
	hist, err := f.svc.History(ctx, ann, g.ChatID, core.HistoryQuery{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, h := range hist {
		count[h.Text]++
	}
	if count["once"] != 1 || count["ann's own"] != 1 || count["elsewhere"] != 0 || count["to delete"] != 0 {
		t.Errorf("the chat holds %v, want one of each sent message and nothing of the retries", count)
	}
}
