package storetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

func sameEvent(a, b *haven.Event) bool {
	return a.ChatID == b.ChatID && a.Seq == b.Seq && a.GID == b.GID && a.Kind == b.Kind &&
		a.MessageID == b.MessageID && a.UserID == b.UserID && a.Date.Equal(b.Date) && bytes.Equal(a.Data, b.Data)
}

func lastGID(t testing.TB, s core.Queries) int64 {
	t.Helper()
	gid, err := s.LastGID(context.Background())
	if err != nil {
		t.Fatalf("LastGID: %v", err)
	}
	return gid
}

// GIDs, what catch-up needs of them (docs/decisions/0003 and 0017): an
// event committed after a read of LastGID has a larger gid, so that a
// client keeping LastGID in its state learns of the chat from Dialogs
// (since that gid). LastGID never goes down. The events of one Update
// may share a gid; an Update that starts after another has returned
// gets larger gids. Beyond that gids need not follow commits: on SQLite
// they are a counter of events, on PostgreSQL transaction ids.

func testEvents(t *testing.T, s core.Store) {
	ctx := context.Background()
	if gid := lastGID(t, s); gid < 0 {
		t.Errorf("LastGID of an empty store = %d, want 0 or more", gid)
	}
	u := createUser(t, s)
	c, d := createChat(t, s, u.ID), createChat(t, s, u.ID)

	// Several events of two chats in one Update, then more in others.
	before := lastGID(t, s)
	var want []*haven.Event
	update(t, s, func(tx core.Tx) error {
		for i, e := range []*haven.Event{
			{ChatID: c.ID, Kind: haven.EventMessageNew, MessageID: 1, UserID: u.ID, Date: t0},
			{ChatID: d.ID, Kind: haven.EventChatUpdate, Date: t0.Add(time.Second), Data: []byte(`{"title":"x"}`)},
			{ChatID: c.ID, Kind: haven.EventReaction, MessageID: 1, UserID: u.ID, Date: t0.Add(2 * time.Second), Data: []byte(`{"emoji":"👍"}`)},
		} {
			seq, _, err := tx.NextSeq(ctx, e.ChatID, i == 0, e.Date)
			if err != nil {
				return err
			}
			e.Seq = seq
			if err := tx.AppendEvent(ctx, e); err != nil {
				return err
			}
			want = append(want, e)
		}
		return nil
	})
	want = append(want, appendEvent(t, s, c.ID, haven.EventRead, t0.Add(3*time.Second)))
	want = append(want, appendEvent(t, s, d.ID, haven.EventMemberUpdate, t0.Add(4*time.Second)))
	for i := 1; i < len(want); i++ {
		// The first three share an Update; the others each have one.
		if want[i].GID < want[i-1].GID || i >= 3 && want[i].GID == want[i-1].GID {
			t.Errorf("GIDs of events %d and %d, one Update after the other: %d then %d", i-1, i, want[i-1].GID, want[i].GID)
		}
	}
	if want[0].GID <= before || want[0].GID >= haven.MaxID {
		t.Errorf("GID %d, want above %d, the LastGID read before, and below 2^53", want[0].GID, before)
	}
	if gid := lastGID(t, s); gid < before {
		t.Errorf("LastGID went down: %d, then %d", before, gid)
	}

	events := func(chatID, after int64, limit int) []*haven.Event {
		t.Helper()
		es, err := s.Events(ctx, chatID, after, limit)
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		return es
	}
	check := func(got, want []*haven.Event) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("Events returned %d events, want %d", len(got), len(want))
			return
		}
		for i := range got {
			if !sameEvent(got[i], want[i]) {
				t.Errorf("event %d:\n got %+v\nwant %+v", i, got[i], want[i])
			}
		}
	}
	inC := []*haven.Event{want[0], want[2], want[3]}
	check(events(c.ID, 0, 100), inC)
	check(events(c.ID, 1, 100), inC[1:])
	check(events(c.ID, 0, 2), inC[:2])
	check(events(c.ID, 3, 100), nil)
	check(events(c.ID, 0, 0), nil)
	check(events(d.ID, 0, 100), []*haven.Event{want[1], want[4]})
	check(events(d.ID+1000, 0, 100), nil)

	// A chat's seq is taken once.
	err := s.Update(ctx, func(tx core.Tx) error {
		return tx.AppendEvent(ctx, &haven.Event{ChatID: c.ID, Seq: 2, Kind: haven.EventChatUpdate, Date: t0})
	})
	if err == nil {
		t.Error("AppendEvent with a seq already used succeeded")
	}
	check(events(c.ID, 0, 100), inC)

	// A failed Update leaves no event, and the next one follows on.
	sentinel := errors.New("no")
	before = lastGID(t, s)
	err = s.Update(ctx, func(tx core.Tx) error {
		if err := tx.AppendEvent(ctx, &haven.Event{ChatID: c.ID, Seq: 4, Kind: haven.EventChatUpdate, Date: t0}); err != nil {
			return err
		}
		return sentinel
	})
	if err != sentinel {
		t.Fatalf("Update = %v, want the sentinel", err)
	}
	if gid := lastGID(t, s); gid < before {
		t.Errorf("LastGID after a failed Update = %d, below %d", gid, before)
	}
	check(events(c.ID, 3, 100), nil)
	if e := appendEvent(t, s, c.ID, haven.EventChatUpdate, t0); e.GID <= before {
		t.Errorf("GID after a failed Update = %d, want above %d", e.GID, before)
	}
}

// testGIDCommitOrder checks what catch-up needs of gids under
// concurrent Updates (which a backend may batch, or run beside each
// other): every event has a gid above any LastGID read before its Update
// began, and a reader that syncs over and over as a client does (read
// LastGID, ask Dialogs for the chats changed since the previous one,
// keep each one's seq) never misses a change: once the writers stop, one
// more round leaves it holding every chat's seq.
func testGIDCommitOrder(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s)
	var chats []*haven.Chat
	for range 4 {
		c := createChat(t, s, u.ID)
		join(t, s, c.ID, u.ID, haven.RoleMember)
		chats = append(chats, c)
	}
	reader := newSyncer(t, s, u.ID)
	const n = 200
	var (
		wg      sync.WaitGroup
		stored  atomic.Int64
		stop    = make(chan struct{})
		readerW sync.WaitGroup
	)
	readerW.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				reader.sync()
			}
		}
	})
	for i := range n {
		wg.Go(func() {
			before := lastGID(t, s)
			var evs []*haven.Event
			err := s.Update(ctx, func(tx core.Tx) error {
				evs = evs[:0]
				for k := range 1 + i%3 {
					chatID := chats[(i+k)%len(chats)].ID
					seq, _, err := tx.NextSeq(ctx, chatID, false, t0)
					if err != nil {
						return err
					}
					e := &haven.Event{ChatID: chatID, Seq: seq, Kind: haven.EventChatUpdate, Date: t0}
					if err := tx.AppendEvent(ctx, e); err != nil {
						return err
					}
					evs = append(evs, e)
				}
				if i%7 == 3 {
					return errors.New("fails")
				}
				return nil
			})
			if i%7 == 3 {
				if err == nil {
					t.Errorf("Update %d did not fail", i)
				}
				return
			}
			if err != nil {
				t.Errorf("Update %d: %v", i, err)
				return
			}
			stored.Add(int64(len(evs)))
			for _, e := range evs {
				if e.GID <= before {
					t.Errorf("Update %d: event of chat %d has gid %d, not above %d, read before the Update", i, e.ChatID, e.GID, before)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readerW.Wait()
	reader.sync()
	reader.check(chats)
	// Every chat's events have distinct, gapless seqs.
	total := 0
	for _, c := range chats {
		es, err := s.Events(ctx, c.ID, 0, 10*n)
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		total += len(es)
		for i, e := range es {
			if e.Seq != int64(i+1) {
				t.Fatalf("chat %d event %d: seq %d", c.ID, i, e.Seq)
			}
		}
	}
	if int64(total) != stored.Load() {
		t.Errorf("%d events stored, %d committed", total, stored.Load())
	}

	// A later commit always gets a higher GID than an earlier one.
	last := lastGID(t, s)
	a := appendEvent(t, s, chats[0].ID, haven.EventChatUpdate, t0)
	b := appendEvent(t, s, chats[1].ID, haven.EventChatUpdate, t0)
	if b.GID <= a.GID || a.GID <= last {
		t.Errorf("GIDs of later commits: %d then %d, after LastGID %d", a.GID, b.GID, last)
	}
}

// syncer follows a person's chats as a client does, by LastGID and
// Dialogs, keeping the seq of each chat it was told of.
type syncer struct {
	t      testing.TB
	s      core.Queries
	userID int64
	gid    int64
	seqs   map[int64]int64
	rounds int
}

func newSyncer(t testing.TB, s core.Queries, userID int64) *syncer {
	return &syncer{t: t, s: s, userID: userID, gid: lastGID(t, s), seqs: map[int64]int64{}}
}

// sync is one round of catch-up: the state first, then the dialogs that
// changed since the previous state, as core's GetDifference does.
func (y *syncer) sync() {
	ctx := context.Background()
	g, err := y.s.LastGID(ctx)
	if err != nil {
		y.t.Errorf("LastGID: %v", err)
		return
	}
	if g < y.gid {
		y.t.Errorf("LastGID went down: %d, then %d", y.gid, g)
	}
	ds, err := y.s.Dialogs(ctx, y.userID, y.gid)
	if err != nil {
		y.t.Errorf("Dialogs: %v", err)
		return
	}
	for _, d := range ds {
		y.seqs[d.Chat.ID] = max(y.seqs[d.Chat.ID], d.Chat.Seq)
	}
	y.gid = g
	y.rounds++
}

// check fails unless the syncer holds each chat's current seq.
func (y *syncer) check(chats []*haven.Chat) {
	y.t.Helper()
	for _, c := range chats {
		got, err := y.s.ChatByID(context.Background(), c.ID)
		if err != nil {
			y.t.Fatalf("ChatByID: %v", err)
		}
		if y.seqs[c.ID] != got.Seq {
			y.t.Errorf("after %d rounds of catch-up the reader holds seq %d of chat %d, which is at %d: a change was missed", y.rounds, y.seqs[c.ID], c.ID, got.Seq)
		}
	}
}

func testUserEvents(t *testing.T, s core.Store) {
	ctx := context.Background()
	a, b := createUser(t, s), createUser(t, s)
	c := createChat(t, s, a.ID)
	pts := func(userID int64) int64 {
		t.Helper()
		p, err := s.UserPts(ctx, userID)
		if err != nil {
			t.Fatalf("UserPts: %v", err)
		}
		return p
	}
	if pts(a.ID) != 0 || pts(b.ID) != 0 {
		t.Errorf("pts of new users = %d, %d; want 0", pts(a.ID), pts(b.ID))
	}

	var want []*haven.UserEvent
	update(t, s, func(tx core.Tx) error {
		for i, e := range []*haven.UserEvent{
			{UserID: a.ID, Kind: haven.UserDialogAdded, ChatID: c.ID, Date: t0},
			{UserID: b.ID, Kind: haven.UserProfile, Date: t0.Add(time.Second), Data: []byte(`{"x":1}`)},
			{UserID: a.ID, Kind: haven.UserReadInbox, ChatID: c.ID, Date: t0.Add(2 * time.Second), Data: []byte(`{"max_id":5}`)},
		} {
			if err := tx.AppendUserEvent(ctx, e); err != nil {
				return err
			}
			if wantPts := []int64{1, 1, 2}[i]; e.Pts != wantPts {
				t.Errorf("event %d Pts = %d, want %d", i, e.Pts, wantPts)
			}
			want = append(want, e)
		}
		return nil
	})
	e := &haven.UserEvent{UserID: a.ID, Kind: haven.UserMessagesHidden, ChatID: c.ID, Date: t0.Add(3 * time.Second), Data: []byte(`{"ids":[1]}`)}
	update(t, s, func(tx core.Tx) error { return tx.AppendUserEvent(ctx, e) })
	if e.Pts != 3 {
		t.Errorf("Pts = %d, want 3", e.Pts)
	}
	want = append(want, e)
	if pts(a.ID) != 3 || pts(b.ID) != 1 {
		t.Errorf("UserPts = %d, %d; want 3, 1", pts(a.ID), pts(b.ID))
	}

	check := func(userID, after int64, limit int, want []*haven.UserEvent) {
		t.Helper()
		got, err := s.UserEvents(ctx, userID, after, limit)
		if err != nil {
			t.Fatalf("UserEvents: %v", err)
		}
		if len(got) != len(want) {
			t.Errorf("UserEvents(%d, %d, %d) returned %d events, want %d", userID, after, limit, len(got), len(want))
			return
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.UserID != w.UserID || g.Pts != w.Pts || g.Kind != w.Kind || g.ChatID != w.ChatID ||
				!g.Date.Equal(w.Date) || !bytes.Equal(g.Data, w.Data) {
				t.Errorf("user event %d:\n got %+v\nwant %+v", i, g, w)
			}
		}
	}
	ofA := []*haven.UserEvent{want[0], want[2], want[3]}
	check(a.ID, 0, 100, ofA)
	check(a.ID, 1, 100, ofA[1:])
	check(a.ID, 0, 2, ofA[:2])
	check(a.ID, 3, 100, nil)
	check(a.ID, 0, 0, nil)
	check(b.ID, 0, 100, want[1:2])

	// A failed Update gives its pts back.
	sentinel := errors.New("no")
	err := s.Update(ctx, func(tx core.Tx) error {
		if err := tx.AppendUserEvent(ctx, &haven.UserEvent{UserID: a.ID, Kind: haven.UserProfile, Date: t0}); err != nil {
			return err
		}
		return sentinel
	})
	if err != sentinel {
		t.Fatalf("Update = %v, want the sentinel", err)
	}
	if pts(a.ID) != 3 {
		t.Errorf("UserPts after a failed Update = %d, want 3", pts(a.ID))
	}
	check(a.ID, 3, 100, nil)

	missing := b.ID + 1000
	if _, err := s.UserPts(ctx, missing); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("UserPts(missing) = %v, want ErrNotFound", err)
	}
	err = s.Update(ctx, func(tx core.Tx) error {
		return tx.AppendUserEvent(ctx, &haven.UserEvent{UserID: missing, Kind: haven.UserProfile, Date: t0})
	})
	if !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("AppendUserEvent(missing user) = %v, want ErrNotFound", err)
	}
}

// testChatTxReadsOwnWrites checks that the messaging reads inside a Tx
// see the Tx's own writes.
func testChatTxReadsOwnWrites(t *testing.T, s core.Store) {
	ctx := context.Background()
	u, v := createUser(t, s), createUser(t, s)
	err := s.Update(ctx, func(tx core.Tx) error {
		var failures []string
		expect := func(what string, ok bool, err error) {
			if err != nil || !ok {
				failures = append(failures, what)
			}
		}
		c := &haven.Chat{Kind: haven.ChatGroup, Title: "own", Username: "Own_Chat", CreatorID: u.ID, CreatedAt: t0}
		if err := tx.CreateChat(ctx, c); err != nil {
			return err
		}
		p := &haven.Chat{Kind: haven.ChatPrivate, CreatorID: u.ID, CreatedAt: t0, PeerA: v.ID, PeerB: u.ID}
		if err := tx.CreateChat(ctx, p); err != nil {
			return err
		}
		got, err := tx.ChatByID(ctx, c.ID)
		expect("ChatByID", err == nil && got.Title == "own", err)
		got, err = tx.ChatByUsername(ctx, "own_chat")
		expect("ChatByUsername", err == nil && got.ID == c.ID, err)
		id, err := tx.PrivateChatID(ctx, u.ID, v.ID)
		expect("PrivateChatID", id == p.ID, err)

		for _, m := range []*haven.Member{
			{ChatID: c.ID, UserID: u.ID, Role: haven.RoleOwner, JoinedAt: t0},
			{ChatID: c.ID, UserID: v.ID, Role: haven.RoleMember, JoinedAt: t0},
		} {
			if err := tx.PutMember(ctx, m); err != nil {
				return err
			}
		}
		m, err := tx.Member(ctx, c.ID, v.ID)
		expect("Member", err == nil && m.Role == haven.RoleMember, err)
		ms, err := tx.Members(ctx, c.ID, nil, 0, 10)
		expect("Members", len(ms) == 2, err)
		mine, err := tx.Memberships(ctx, v.ID)
		expect("Memberships", len(mine) == 1 && mine[0].ChatID == c.ID, err)

		seq, msgID, err := tx.NextSeq(ctx, c.ID, true, t0.Add(time.Second))
		if err != nil {
			return err
		}
		msg := &haven.Message{ChatID: c.ID, ID: msgID, SenderID: u.ID, Date: t0, Text: "own words"}
		if err := tx.InsertMessage(ctx, msg); err != nil {
			return err
		}
		e := &haven.Event{ChatID: c.ID, Seq: seq, Kind: haven.EventMessageNew, MessageID: msgID, Date: t0}
		if err := tx.AppendEvent(ctx, e); err != nil {
			return err
		}
		gm, err := tx.Message(ctx, c.ID, msgID)
		expect("Message", err == nil && gm.Text == "own words", err)
		list, err := tx.Messages(ctx, c.ID, []int64{msgID})
		expect("Messages", len(list) == 1, err)
		list, err = tx.History(ctx, c.ID, v.ID, 1, msgID, 10, true)
		expect("History", len(list) == 1, err)
		n, err := tx.CountUnread(ctx, c.ID, v.ID, 0, msgID, 10)
		expect("CountUnread", n == 1, err)
		es, err := tx.Events(ctx, c.ID, 0, 10)
		expect("Events", len(es) == 1 && es[0].GID == e.GID, err)
		// (LastGID is a position for catch-up, not a read of the Tx's
		// writes: on PostgreSQL it stays below running transactions.)
		ds, err := tx.Dialogs(ctx, v.ID, 0)
		expect("Dialogs", len(ds) == 1 && ds[0].LastGID == e.GID, err)

		if err := tx.HideMessages(ctx, v.ID, c.ID, []int64{msgID}); err != nil {
			return err
		}
		hidden, err := tx.HiddenIDs(ctx, v.ID, c.ID, []int64{msgID})
		expect("HiddenIDs", hidden[msgID], err)
		if err := tx.AddMentions(ctx, c.ID, msgID, []int64{u.ID}); err != nil {
			return err
		}
		n, err = tx.CountMentions(ctx, c.ID, u.ID, 0, msgID)
		expect("CountMentions", n == 1, err)
		if err := tx.SetReaction(ctx, c.ID, msgID, v.ID, "👍"); err != nil {
			return err
		}
		rs, err := tx.Reactions(ctx, c.ID, []int64{msgID})
		expect("Reactions", len(rs[msgID]) == 1, err)
		if err := tx.RememberSend(ctx, u.ID, 42, c.ID, msgID, t0); err != nil {
			return err
		}
		sc, sm, err := tx.SentMessage(ctx, u.ID, 42)
		expect("SentMessage", sc == c.ID && sm == msgID, err)

		ue := &haven.UserEvent{UserID: v.ID, Kind: haven.UserDialogAdded, ChatID: c.ID, Date: t0}
		if err := tx.AppendUserEvent(ctx, ue); err != nil {
			return err
		}
		pts, err := tx.UserPts(ctx, v.ID)
		expect("UserPts", pts == 1, err)
		ues, err := tx.UserEvents(ctx, v.ID, 0, 10)
		expect("UserEvents", len(ues) == 1, err)

		if err := tx.PutInvite(ctx, &haven.Invite{Hash: "own", ChatID: c.ID, CreatorID: u.ID, CreatedAt: t0}); err != nil {
			return err
		}
		inv, err := tx.InviteByHash(ctx, "own")
		expect("InviteByHash", err == nil && inv.ChatID == c.ID, err)
		invs, err := tx.Invites(ctx, c.ID)
		expect("Invites", len(invs) == 1, err)

		if len(failures) > 0 {
			t.Errorf("inside the Tx, these did not see the Tx's writes: %v", failures)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// testChatUpdateRollsBack checks that a failed Update keeps none of its
// messaging writes.
func testChatUpdateRollsBack(t *testing.T, s core.Store) {
	ctx := context.Background()
	u, v := createUser(t, s), createUser(t, s)
	c := createChat(t, s, u.ID)
	m := send(t, s, c.ID, u.ID, "kept")
	before := lastGID(t, s)
	sentinel := errors.New("no")
	var newChat *haven.Chat
	err := s.Update(ctx, func(tx core.Tx) error {
		newChat = &haven.Chat{Kind: haven.ChatPrivate, CreatorID: u.ID, CreatedAt: t0, PeerA: u.ID, PeerB: v.ID}
		if err := tx.CreateChat(ctx, newChat); err != nil {
			return err
		}
		if err := tx.PutMember(ctx, &haven.Member{ChatID: c.ID, UserID: v.ID, Role: haven.RoleMember, JoinedAt: t0}); err != nil {
			return err
		}
		seq, id, err := tx.NextSeq(ctx, c.ID, true, t0.Add(time.Hour))
		if err != nil {
			return err
		}
		if err := tx.InsertMessage(ctx, &haven.Message{ChatID: c.ID, ID: id, SenderID: u.ID, Date: t0, Text: "lost"}); err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, &haven.Event{ChatID: c.ID, Seq: seq, Kind: haven.EventMessageNew, MessageID: id, Date: t0}); err != nil {
			return err
		}
		if err := tx.RememberSend(ctx, u.ID, 7, c.ID, id, t0); err != nil {
			return err
		}
		if _, err := tx.DeleteMessages(ctx, c.ID, []int64{m.ID}); err != nil {
			return err
		}
		if err := tx.SetReadInbox(ctx, c.ID, u.ID, 5); err != nil {
			return err
		}
		return sentinel
	})
	if err != sentinel {
		t.Fatalf("Update = %v, want the sentinel", err)
	}
	if _, err := s.ChatByID(ctx, newChat.ID); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("chat of the failed Update: %v, want ErrNotFound", err)
	}
	if _, err := s.PrivateChatID(ctx, u.ID, v.ID); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("private chat of the failed Update: %v, want ErrNotFound", err)
	}
	if _, err := s.Member(ctx, c.ID, v.ID); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("member of the failed Update: %v, want ErrNotFound", err)
	}
	if got, err := s.ChatByID(ctx, c.ID); err != nil || got.Seq != 1 || got.TopMessageID != 1 {
		t.Errorf("chat after the failed Update: %+v, %v; want seq 1, top 1", got, err)
	}
	checkMessage(t, s, m)
	if _, err := s.Message(ctx, c.ID, 2); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("message of the failed Update: %v, want ErrNotFound", err)
	}
	if gid := lastGID(t, s); gid < before {
		t.Errorf("LastGID = %d, below %d", gid, before)
	}
	if _, _, err := s.SentMessage(ctx, u.ID, 7); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("send record of the failed Update: %v, want ErrNotFound", err)
	}
	if got, err := s.Member(ctx, c.ID, u.ID); err != nil || got.ReadInboxMaxID != 0 {
		t.Errorf("read pointer after the failed Update: %+v, %v", got, err)
	}
}

// testChatEvents: a chat's events with the messages they name as they
// are now, whether the viewer hid them, and none for a message deleted
// (the message.delete event, and an earlier event of it).
func testChatEvents(t *testing.T, s core.Store) {
	ctx := context.Background()
	u, v := createUser(t, s), createUser(t, s)
	c, other := createChat(t, s, u.ID), createChat(t, s, u.ID)
	first := send(t, s, c.ID, u.ID, "first")
	rich := send(t, s, c.ID, v.ID, "rich", func(m *haven.Message) {
		m.Entities = []haven.Entity{{Type: haven.EntityBold, Offset: 0, Length: 4}}
		m.Forward = &haven.Forward{FromUserID: u.ID, Date: t0.Add(-time.Hour)}
		m.Silent, m.Views = true, 3
		m.ExpiresAt = t0.Add(48 * time.Hour)
	})
	gone := send(t, s, c.ID, u.ID, "gone")
	send(t, s, other.ID, u.ID, "elsewhere")
	// An edit of the first message, a chat event naming none, and the
	// third message deleted.
	first.Text, first.EditDate, first.Pinned = "first, edited", t0.Add(time.Hour), true
	var edit, del *haven.Event
	update(t, s, func(tx core.Tx) error {
		if err := tx.UpdateMessage(ctx, first); err != nil {
			return err
		}
		seq, _, err := tx.NextSeq(ctx, c.ID, false, t0)
		if err != nil {
			return err
		}
		edit = &haven.Event{ChatID: c.ID, Seq: seq, Kind: haven.EventMessageEdit, MessageID: first.ID, UserID: u.ID, Date: t0}
		return tx.AppendEvent(ctx, edit)
	})
	title := appendEvent(t, s, c.ID, haven.EventChatUpdate, t0)
	update(t, s, func(tx core.Tx) error {
		if _, err := tx.DeleteMessages(ctx, c.ID, []int64{gone.ID}); err != nil {
			return err
		}
		seq, _, err := tx.NextSeq(ctx, c.ID, false, t0)
		if err != nil {
			return err
		}
		del = &haven.Event{ChatID: c.ID, Seq: seq, Kind: haven.EventMessageDelete, MessageID: gone.ID, UserID: u.ID, Date: t0}
		return tx.AppendEvent(ctx, del)
	})
	update(t, s, func(tx core.Tx) error { return tx.HideMessages(ctx, v.ID, c.ID, []int64{rich.ID}) })

	all, err := s.Events(ctx, c.ID, 0, 100)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	if len(all) != 6 || !sameEvent(all[3], edit) || !sameEvent(all[4], title) || !sameEvent(all[5], del) {
		t.Fatalf("Events = %d events, want the 3 sends, the edit, the update and the delete", len(all))
	}
	chatEvents := func(viewer, after int64, limit int) []core.EventMessage {
		t.Helper()
		es, err := s.ChatEvents(ctx, c.ID, viewer, after, limit)
		if err != nil {
			t.Fatalf("ChatEvents: %v", err)
		}
		return es
	}
	// What each event carries: the message as it is now (the edited
	// text on message.new too), none for one deleted.
	wantMsg := []*haven.Message{first, rich, nil, first, nil, nil}
	for _, viewer := range []int64{u.ID, v.ID} {
		es := chatEvents(viewer, 0, 100)
		if len(es) != len(all) {
			t.Fatalf("ChatEvents for %d: %d events, want %d", viewer, len(es), len(all))
		}
		for i, e := range es {
			want := *all[i]
			want.GID = 0 // not read
			if !sameEvent(&e.Event, &want) {
				t.Errorf("ChatEvents[%d].Event:\n got %+v\nwant %+v", i, e.Event, *all[i])
			}
			switch {
			case wantMsg[i] == nil && e.Message != nil:
				t.Errorf("ChatEvents[%d] (%s) carries message %d, want none", i, e.Kind, e.Message.ID)
			case wantMsg[i] != nil && !same(e.Message, wantMsg[i]):
				t.Errorf("ChatEvents[%d].Message:\n got %+v\nwant %+v", i, e.Message, wantMsg[i])
			}
			if hidden := viewer == v.ID && i == 1; e.Hidden != hidden {
				t.Errorf("ChatEvents[%d].Hidden for %d = %v, want %v", i, viewer, e.Hidden, hidden)
			}
		}
	}
	// Paging, as Events.
	if es := chatEvents(u.ID, 2, 2); len(es) != 2 || es[0].Seq != 3 || es[1].Seq != 4 {
		t.Errorf("ChatEvents after 2, limit 2 = %d events", len(es))
	}
	if es := chatEvents(u.ID, 6, 100); len(es) != 0 {
		t.Errorf("ChatEvents after the last = %d events, want none", len(es))
	}
	if es := chatEvents(u.ID, 0, 0); len(es) != 0 {
		t.Errorf("ChatEvents with limit 0 = %d events, want none", len(es))
	}
}
