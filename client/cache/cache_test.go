package cache_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/client/cache"
)

// The people and chat of the tests below.
const (
	me    = 10
	peer  = 20
	other = 30
	chat  = 100
)

func openCache(t *testing.T, opts ...cache.Option) (*cache.Cache, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.cache")
	c, err := cache.Open(path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, path
}

// stepper saves engine steps of one chat, numbering the events.
type stepper struct {
	t   *testing.T
	c   *cache.Cache
	seq int64
	pts int64
}

func (s *stepper) save(ch *client.Change) {
	s.t.Helper()
	if err := s.c.Save(context.Background(), ch); err != nil {
		s.t.Fatalf("Save: %v", err)
	}
}

// chatEvent saves the chat's next event.
func (s *stepper) chatEvent(kind string, userID int64, m *client.Message, data string) {
	s.t.Helper()
	s.seq++
	ev := &client.ChatEvent{ChatID: chat, Seq: s.seq, Kind: kind, Date: 1000 + s.seq, UserID: userID, Message: m}
	if m != nil {
		ev.MessageID = m.ID
	}
	if data != "" {
		ev.Data = json.RawMessage(data)
	}
	s.save(&client.Change{Event: client.Event{Chat: ev}, State: client.SyncState{Pts: s.pts, Seqs: map[int64]int64{chat: s.seq}}})
}

// userEvent saves the person's next event.
func (s *stepper) userEvent(kind string, chatID int64, data string) {
	s.t.Helper()
	s.pts++
	ev := &client.UserEvent{Pts: s.pts, Kind: kind, ChatID: chatID}
	if data != "" {
		ev.Data = json.RawMessage(data)
	}
	s.save(&client.Change{Event: client.Event{User: ev}, State: client.SyncState{Pts: s.pts}})
}

func msg(id, sender int64, text string) *client.Message {
	return &client.Message{ChatID: chat, ID: id, SenderID: sender, Date: 1000 + id, Text: text}
}

func history(t *testing.T, c *cache.Cache, chatID int64) string {
	t.Helper()
	ms, err := c.History(context.Background(), chatID, 0, 0)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	var parts []string
	for _, m := range ms {
		parts = append(parts, fmt.Sprintf("%d:%s", m.ID, m.Text))
	}
	return strings.Join(parts, " ")
}

func dialog(t *testing.T, c *cache.Cache, chatID int64) client.Dialog {
	t.Helper()
	ds, err := c.Dialogs(context.Background())
	if err != nil {
		t.Fatalf("Dialogs: %v", err)
	}
	for _, d := range ds {
		if d.Chat.ID == chatID {
			return d
		}
	}
	t.Fatalf("no dialog of chat %d in %+v", chatID, ds)
	return client.Dialog{}
}

func TestOpenNewHasNoState(t *testing.T) {
	c, _ := openCache(t)
	if _, err := c.LoadState(context.Background()); !errors.Is(err, client.ErrNoState) {
		t.Fatalf("LoadState of a new cache: %v", err)
	}
}

func TestStateSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	c, path := openCache(t)
	s := &stepper{t: t, c: c}
	s.save(&client.Change{Reset: true, State: client.SyncState{Pts: 3, Gid: 50, Seqs: map[int64]int64{chat: 4, 101: 9}}})
	s.save(&client.Change{State: client.SyncState{Pts: 4, Gid: 50, Seqs: map[int64]int64{chat: 5}}})
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c, err := cache.Open(path)
	if err != nil {
		t.Fatalf("Open again: %v", err)
	}
	defer c.Close()
	st, err := c.LoadState(ctx)
	if err != nil || st.Pts != 4 || st.Gid != 50 || len(st.Seqs) != 2 || st.Seqs[chat] != 5 || st.Seqs[101] != 9 {
		t.Fatalf("LoadState: %+v, %v", st, err)
	}
	// A start over replaces the seqs whole.
	if err := c.Save(ctx, &client.Change{Reset: true, State: client.SyncState{Pts: 1, Gid: 2, Seqs: map[int64]int64{102: 1}}}); err != nil {
		t.Fatalf("Save: %v", err)
	}
	st, err = c.LoadState(ctx)
	if err != nil || st.Pts != 1 || st.Gid != 2 || len(st.Seqs) != 1 || st.Seqs[102] != 1 {
		t.Fatalf("LoadState after a reset: %+v, %v", st, err)
	}
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	for name, setup := range map[string]string{
		"a later version":  "PRAGMA user_version = 99",
		"another database": "CREATE TABLE t (x)",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(setup); err != nil {
				t.Fatal(err)
			}
			db.Close()
			if c, err := cache.Open(path); err == nil {
				c.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

func TestMessagesAndUnread(t *testing.T) {
	c, _ := openCache(t)
	s := &stepper{t: t, c: c}
	s.save(&client.Change{Reset: true, State: client.SyncState{Seqs: map[int64]int64{chat: 0}},
		Dialogs: []client.Dialog{{Chat: client.Chat{ID: chat, Kind: "private"}, Peer: &client.User{ID: peer, FirstName: "Pat"}}}})

	s.chatEvent("message.new", peer, msg(1, peer, "a"), "")
	s.chatEvent("message.new", me, msg(2, me, "b"), "") // teaches the cache who "me" is
	s.chatEvent("message.new", peer, msg(3, peer, "c"), "")
	s.chatEvent("message.new", peer, msg(4, peer, "d"), "")
	if d := dialog(t, c, chat); d.UnreadCount != 3 || d.TopMessage.ID != 4 || d.Chat.Seq != 4 {
		t.Fatalf("dialog: %+v", d)
	}
	// Applying an event twice does nothing more.
	s.seq--
	s.chatEvent("message.new", peer, msg(4, peer, "d"), "")
	if d := dialog(t, c, chat); d.UnreadCount != 3 {
		t.Fatalf("unread after a duplicate: %d", d.UnreadCount)
	}

	edited := msg(3, peer, "c2")
	edited.EditDate = 2000
	s.chatEvent("message.edit", peer, edited, "")
	s.chatEvent("message.delete", peer, nil, `{"ids":[4]}`)
	d := dialog(t, c, chat)
	if got := history(t, c, chat); got != "3:c2 2:b 1:a" {
		t.Fatalf("history: %s", got)
	}
	if d.UnreadCount != 2 || d.TopMessage == nil || d.TopMessage.ID != 3 || d.TopMessage.Text != "c2" {
		t.Fatalf("dialog after edit and delete: %+v", d)
	}

	// Read on another device: recounted from the cached messages.
	s.userEvent("dialog.read", chat, `{"max_id":1}`)
	if d := dialog(t, c, chat); d.ReadInboxMaxID != 1 || d.UnreadCount != 1 {
		t.Fatalf("dialog after reading up to 1: %+v", d)
	}
	s.chatEvent("chat.read", peer, nil, `{"max_id":2}`)
	if d := dialog(t, c, chat); d.Chat.ReadOutboxMaxID != 2 {
		t.Fatalf("read_outbox_max_id %d", d.Chat.ReadOutboxMaxID)
	}

	// A pushed reaction carries no counts: the cached ones stay.
	withCounts := msg(1, peer, "a")
	withCounts.Reactions = []client.ReactionCount{{Emoji: "👍", Count: 2}}
	if err := c.SaveHistory(context.Background(), chat, []client.Message{*withCounts}); err != nil {
		t.Fatal(err)
	}
	s.chatEvent("message.reaction", other, msg(1, peer, "a"), `{"emoji":"👍"}`)
	ms, _ := c.History(context.Background(), chat, 2, 1)
	if len(ms) != 1 || len(ms[0].Reactions) != 1 || ms[0].Reactions[0].Count != 2 {
		t.Fatalf("reactions after a pushed reaction: %+v", ms)
	}

	s.chatEvent("message.pin", me, msg(2, me, "b"), `{"pinned":true}`)
	if d := dialog(t, c, chat); d.Chat.PinnedMessageID != 2 {
		t.Fatalf("pinned message %d", d.Chat.PinnedMessageID)
	}

	s.userEvent("messages.hidden", chat, `{"ids":[3]}`)
	if got := history(t, c, chat); got != "2:b 1:a" {
		t.Fatalf("history after hiding 3: %s", got)
	}
	if d := dialog(t, c, chat); d.UnreadCount != 0 || d.TopMessage.ID != 2 {
		t.Fatalf("dialog after hiding 3: %+v", d)
	}

	// Too far behind: the chat's messages go, the dialog stays.
	s.save(&client.Change{Event: client.Event{ReloadChatID: chat}, State: client.SyncState{Seqs: map[int64]int64{chat: 500}}})
	if got := history(t, c, chat); got != "" {
		t.Fatalf("history after a reload: %s", got)
	}
	dialog(t, c, chat)

	s.userEvent("dialog.removed", chat, "")
	if ds, err := c.Dialogs(context.Background()); err != nil || len(ds) != 0 {
		t.Fatalf("dialogs after dialog.removed: %+v, %v", ds, err)
	}
}

func TestKeepMessages(t *testing.T) {
	c, _ := openCache(t, cache.KeepMessages(3))
	s := &stepper{t: t, c: c}
	for id := int64(1); id <= 5; id++ {
		s.chatEvent("message.new", peer, msg(id, peer, fmt.Sprint(id)), "")
	}
	if got := history(t, c, chat); got != "5:5 4:4 3:3" {
		t.Fatalf("history: %s", got)
	}
	if err := c.SaveHistory(context.Background(), chat, []client.Message{*msg(1, peer, "1")}); err != nil {
		t.Fatal(err)
	}
	if got := history(t, c, chat); got != "5:5 4:4 3:3" {
		t.Fatalf("history after saving an old message: %s", got)
	}
}

func TestDialogOrder(t *testing.T) {
	ctx := context.Background()
	c, _ := openCache(t)
	s := &stepper{t: t, c: c}
	d := func(id, date int64, pinned bool) client.Dialog {
		return client.Dialog{Chat: client.Chat{ID: id, Seq: 1}, TopMessage: &client.Message{ChatID: id, ID: 1, Date: date}, Pinned: pinned}
	}
	// As dialogs.list orders them: pinned (the one pinned last first), then newest first.
	if err := c.SaveDialogs(ctx, []client.Dialog{d(4, 10, true), d(3, 50, true), d(1, 40, false), d(2, 30, false)}); err != nil {
		t.Fatal(err)
	}
	order := func() string {
		ds, err := c.Dialogs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range ds {
			ids = append(ids, fmt.Sprint(d.Chat.ID))
		}
		return strings.Join(ids, " ")
	}
	if got := order(); got != "4 3 1 2" {
		t.Fatalf("order %s", got)
	}
	s.userEvent("dialog.update", 2, `{"pinned":true,"archived":false,"muted_until":0}`)
	s.userEvent("dialog.update", 4, `{"pinned":false,"archived":true,"muted_until":0}`)
	if got := order(); got != "2 3 1 4" {
		t.Fatalf("order after pinning 2 and unpinning 4: %s", got)
	}
	// A dialog older than the cached one does not replace it.
	newer := d(1, 40, false)
	newer.Chat.Seq, newer.UnreadCount = 5, 7
	older := d(1, 40, false)
	older.Chat.Seq, older.UnreadCount = 4, 1
	if err := c.SaveDialogs(ctx, []client.Dialog{newer}); err != nil {
		t.Fatal(err)
	}
	if err := c.SaveDialogs(ctx, []client.Dialog{older}); err != nil {
		t.Fatal(err)
	}
	if got := dialog(t, c, 1); got.UnreadCount != 7 {
		t.Fatalf("an older dialog replaced a newer one: %+v", got)
	}
}

func TestSaveChat(t *testing.T) {
	c, _ := openCache(t)
	ctx := context.Background()
	old := client.Dialog{Chat: client.Chat{ID: chat, Kind: "group", Title: "Old", Seq: 10, TopMessageID: 4}, TopMessage: msg(4, peer, "four")}
	if err := c.SaveDialogs(ctx, []client.Dialog{old}); err != nil {
		t.Fatal(err)
	}
	title := func() string {
		t.Helper()
		ds, err := c.Dialogs(ctx)
		if err != nil || len(ds) != 1 {
			t.Fatalf("dialogs: %+v, %v", ds, err)
		}
		if ds[0].Chat.Seq != 10 || ds[0].Chat.TopMessageID != 4 || ds[0].TopMessage == nil {
			t.Fatalf("saving the chat moved the dialog in the log: %+v", ds[0])
		}
		return ds[0].Chat.Title + "|" + ds[0].Chat.About
	}
	// A newer chat (fetched after a chat.update) replaces what it says.
	if err := c.SaveChat(ctx, client.Chat{ID: chat, Kind: "group", Title: "New", About: "all about it", Seq: 12, TopMessageID: 5}); err != nil {
		t.Fatal(err)
	}
	if got := title(); got != "New|all about it" {
		t.Fatalf("after SaveChat: %s", got)
	}
	// An older one (a fetch that crossed newer events) does not.
	if err := c.SaveChat(ctx, client.Chat{ID: chat, Kind: "group", Title: "Stale", Seq: 9}); err != nil {
		t.Fatal(err)
	}
	if got := title(); got != "New|all about it" {
		t.Fatalf("after an older SaveChat: %s", got)
	}
	// A chat with no dialog makes none.
	if err := c.SaveChat(ctx, client.Chat{ID: chat + 1, Kind: "group", Title: "Elsewhere", Seq: 1}); err != nil {
		t.Fatal(err)
	}
	title()
}

// A fetch answered before events the cache applied meanwhile (a read,
// a pin, a new title) still brings what only a fetch brings (the
// description); what those events carried stays as they left it.
func TestSaveChatCrossingEvents(t *testing.T) {
	c, _ := openCache(t)
	s := &stepper{t: t, c: c}
	s.save(&client.Change{Reset: true, State: client.SyncState{Seqs: map[int64]int64{chat: 0}},
		Dialogs: []client.Dialog{{Chat: client.Chat{ID: chat, Kind: "group", Title: "Club"}}}})
	s.chatEvent("message.new", peer, msg(1, peer, "a"), "")
	s.chatEvent("chat.update", peer, nil, "") // seq 2: the description changed
	fetched := client.Chat{ID: chat, Kind: "group", Title: "Club", About: "Tuesdays", Seq: 2, TopMessageID: 1}
	s.chatEvent("chat.read", peer, nil, `{"max_id":1}`)
	pinned := msg(1, peer, "a")
	s.save(&client.Change{Event: client.Event{Chat: &client.ChatEvent{ChatID: chat, Seq: 4, Kind: "message.pin", Date: 1004,
		UserID: peer, MessageID: 1, Message: pinned, Data: json.RawMessage(`{"pinned":true}`)}},
		State: client.SyncState{Seqs: map[int64]int64{chat: 4}}})
	s.seq = 4
	renamed := msg(2, peer, "")
	renamed.Service = &client.ServiceAction{Type: "title_changed", Title: "Book club"}
	s.chatEvent("message.new", peer, renamed, "")

	if err := c.SaveChat(context.Background(), fetched); err != nil {
		t.Fatal(err)
	}
	d := dialog(t, c, chat)
	if d.Chat.About != "Tuesdays" || d.Chat.Title != "Book club" || d.Chat.PinnedMessageID != 1 ||
		d.Chat.ReadOutboxMaxID != 1 || d.Chat.Seq != 5 || d.Chat.TopMessageID != 2 {
		t.Fatalf("after a fetch that crossed events: %+v", d.Chat)
	}
	// An older fetch than that one changes nothing.
	if err := c.SaveChat(context.Background(), client.Chat{ID: chat, Kind: "group", Title: "Club", Seq: 1}); err != nil {
		t.Fatal(err)
	}
	if d := dialog(t, c, chat); d.Chat.About != "Tuesdays" || d.Chat.Title != "Book club" {
		t.Fatalf("after an older fetch: %+v", d.Chat)
	}
}

// A cache of the first schema opens, keeps what it had, and learns
// when its chats were fetched from then on.
func TestOpenUpgradesVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.cache")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	v1 := strings.Replace(cache.SchemaForTest, ",\n\tinfo_seq INTEGER NOT NULL DEFAULT 0", "", 1)
	if v1 == cache.SchemaForTest {
		t.Fatal("the schema's info_seq column moved: update this test")
	}
	if _, err := db.Exec(v1 + "PRAGMA user_version = 1;"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO dialogs (chat_id, seq, pin_rank, activity, data) VALUES (?, 3, 0, 1, ?)`,
		chat, fmt.Sprintf(`{"chat":{"id":%d,"kind":"group","title":"Kept","seq":3}}`, chat)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	c, err := cache.Open(path)
	if err != nil {
		t.Fatalf("Open a version 1 cache: %v", err)
	}
	defer c.Close()
	if err := c.SaveChat(context.Background(), client.Chat{ID: chat, Kind: "group", Title: "Kept", About: "new", Seq: 3}); err != nil {
		t.Fatal(err)
	}
	if d := dialog(t, c, chat); d.Chat.Title != "Kept" || d.Chat.About != "new" {
		t.Fatalf("dialog after the upgrade: %+v", d.Chat)
	}
}
