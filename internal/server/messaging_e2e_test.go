package server_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type messageView struct {
	ChatID    int64  `json:"chat_id"`
	ID        int64  `json:"id"`
	SenderID  int64  `json:"sender_id"`
	Date      int64  `json:"date"`
	Text      string `json:"text"`
	ReplyToID int64  `json:"reply_to_id"`
	EditDate  int64  `json:"edit_date"`
	Pinned    bool   `json:"pinned"`
	Views     int    `json:"views"`
	Entities  []struct {
		Type   string `json:"type"`
		Offset int    `json:"offset"`
		Length int    `json:"length"`
	} `json:"entities"`
	Forward *struct {
		FromUserID int64  `json:"from_user_id"`
		FromName   string `json:"from_name"`
	} `json:"forward"`
	Service *struct {
		Type    string  `json:"type"`
		UserIDs []int64 `json:"user_ids"`
	} `json:"service"`
	Reactions []struct {
		Emoji string `json:"emoji"`
		Count int    `json:"count"`
		Mine  bool   `json:"mine"`
	} `json:"reactions"`
}

type chatEvent struct {
	ChatID    int64           `json:"chat_id"`
	Seq       int64           `json:"seq"`
	Kind      string          `json:"kind"`
	UserID    int64           `json:"user_id"`
	MessageID int64           `json:"message_id"`
	Message   *messageView    `json:"message"`
	Data      json.RawMessage `json:"data"`
}

type pushFrame struct {
	Push string          `json:"push"`
	Data json.RawMessage `json:"data"`
}

// awaitPush waits up to within for the next push of a kind on a socket,
// skipping others, and returns it whole and decoded; ok is false if none
// came.
func awaitPush(t *testing.T, ws *wsCaller, kind string, within time.Duration) (raw []byte, f pushFrame, ok bool) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case raw = <-ws.pushes:
			if err := json.Unmarshal(raw, &f); err != nil {
				t.Fatalf("bad push %s", raw)
			}
			if f.Push == kind {
				return raw, f, true
			}
		case <-deadline:
			return nil, pushFrame{}, false
		}
	}
}

// nextPush waits for the next push of a kind on a socket, skipping others.
func nextPush(t *testing.T, ws *wsCaller, kind string, within time.Duration) json.RawMessage {
	t.Helper()
	_, f, ok := awaitPush(t, ws, kind, within)
	if !ok {
		t.Fatalf("no %s push within %v", kind, within)
	}
	return f.Data
}

// nextEvent waits for the next chat event of a kind caused by someone
// else than the socket's own person (whose actions come back too).
func nextEvent(t *testing.T, ws *wsCaller, kind string, self ...int64) chatEvent {
	t.Helper()
	return nextEventWhere(t, ws, func(e chatEvent) bool {
		return e.Kind == kind && (len(self) == 0 || e.UserID != self[0])
	})
}

// nextEventWhere waits for the next chat event that match accepts.
func nextEventWhere(t *testing.T, ws *wsCaller, match func(chatEvent) bool) chatEvent {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var e chatEvent
		if err := json.Unmarshal(nextPush(t, ws, "chat.event", time.Until(deadline)), &e); err != nil {
			t.Fatal(err)
		}
		if match(e) {
			return e
		}
	}
	t.Fatal("no matching event")
	return chatEvent{}
}

var randomIDs struct{ n int64 }

func rid() int64 {
	randomIDs.n++
	return time.Now().UnixNano()%1_000_000_000*1000 + randomIDs.n
}

func send(t *testing.T, c caller, to map[string]any, text string) messageView {
	t.Helper()
	p := map[string]any{"text": text, "random_id": rid()}
	for k, v := range to {
		p[k] = v
	}
	var m messageView
	c.call("messages.send", p).into(t, &m)
	return m
}

func TestPrivateConversation(t *testing.T) {
	n := startNode(t, generous...)
	a := dialWS(t, n.url, "")
	b := dialWS(t, n.url, "")
	_, aid := signUp(t, n, a, "+442079460001", "Ann")
	_, bid := signUp(t, n, b, "+442079460002", "Bob")
	meet(t, a, b, bid)

	// The first message makes the chat; Bob's socket learns of the new
	// dialog, then gets the message pushed.
	m1 := send(t, a, map[string]any{"user_id": bid}, "Hi Bob! See https://example.org #hello")
	if m1.ID != 1 || m1.SenderID != aid || m1.ChatID == 0 {
		t.Fatalf("first message %+v", m1)
	}
	var kinds []string
	for _, e := range m1.Entities {
		kinds = append(kinds, e.Type)
	}
	if !strings.Contains(strings.Join(kinds, ","), "url") || !strings.Contains(strings.Join(kinds, ","), "hashtag") {
		t.Fatalf("entities not detected: %+v", m1.Entities)
	}
	ev := nextEvent(t, b, "message.new")
	if ev.Message == nil || ev.Message.Text != m1.Text || ev.Seq == 0 {
		t.Fatalf("Bob's push: %+v", ev)
	}
	chat := m1.ChatID
	// Bob answers in the same chat, by chat id and as a reply.
	var m2 messageView
	b.call("messages.send", map[string]any{"chat_id": chat, "text": "Hello Ann", "reply_to_id": 1, "random_id": rid()}).into(t, &m2)
	if m2.ID != 2 || m2.ReplyToID != 1 {
		t.Fatalf("reply %+v", m2)
	}
	if e := nextEvent(t, a, "message.new", aid); e.Message.ID != 2 {
		t.Fatalf("Ann's push %+v", e)
	}
	// Unread counts: Ann has one unread (Bob's), never her own.
	type dialog struct {
		Chat struct {
			ID              int64 `json:"id"`
			PeerID          int64 `json:"peer_id"`
			ReadOutboxMaxID int64 `json:"read_outbox_max_id"`
		} `json:"chat"`
		UnreadCount int          `json:"unread_count"`
		TopMessage  *messageView `json:"top_message"`
		Peer        *userView    `json:"peer"`
	}
	var ds []dialog
	a.call("dialogs.list", nil).into(t, &ds)
	if len(ds) != 1 || ds[0].UnreadCount != 1 || ds[0].TopMessage.ID != 2 || ds[0].Chat.PeerID != bid || ds[0].Peer.FirstName != "Bob" {
		t.Fatalf("Ann's dialogs: %+v", ds)
	}
	// Bob reads: Ann sees the read receipt (✓✓) live and in the dialog.
	b.call("messages.read", map[string]any{"chat_id": chat}).into(t, new(bool))
	if e := nextEvent(t, a, "chat.read", aid); e.UserID != bid || !strings.Contains(string(e.Data), `"max_id":2`) {
		t.Fatalf("read receipt %+v", e)
	}
	a.call("dialogs.list", nil).into(t, &ds)
	if ds[0].Chat.ReadOutboxMaxID < 1 {
		t.Fatalf("Ann's message not shown read: %+v", ds[0].Chat)
	}
	// Edit, react, pin, delete.
	var ed messageView
	a.call("messages.edit", map[string]any{"chat_id": chat, "id": 1, "text": "Hi Bob!"}).into(t, &ed)
	if ed.EditDate == 0 || ed.Text != "Hi Bob!" {
		t.Fatalf("edit %+v", ed)
	}
	if e := nextEvent(t, b, "message.edit", bid); e.Message.Text != "Hi Bob!" {
		t.Fatalf("edit push %+v", e)
	}
	if r := b.call("messages.edit", map[string]any{"chat_id": chat, "id": 1, "text": "hacked"}); r.code() != "MESSAGE_EDIT_FORBIDDEN" {
		t.Fatalf("editing someone else's message: %s", r.code())
	}
	var rx messageView
	b.call("messages.react", map[string]any{"chat_id": chat, "id": 1, "emoji": "👍"}).into(t, &rx)
	if len(rx.Reactions) != 1 || rx.Reactions[0].Count != 1 || !rx.Reactions[0].Mine {
		t.Fatalf("reaction %+v", rx.Reactions)
	}
	b.call("messages.react", map[string]any{"chat_id": chat, "id": 1, "emoji": "❤️"}).into(t, &rx)
	if len(rx.Reactions) != 1 || rx.Reactions[0].Emoji != "❤️" {
		t.Fatalf("changed reaction %+v", rx.Reactions)
	}
	if r := b.call("messages.react", map[string]any{"chat_id": chat, "id": 1, "emoji": "🦄"}); r.code() != "REACTION_INVALID" {
		t.Fatalf("odd reaction: %s", r.code())
	}
	// In a private chat either side deletes anything for everyone.
	var del struct{ Count int }
	b.call("messages.delete", map[string]any{"chat_id": chat, "ids": []int64{1}, "for_everyone": true}).into(t, &del)
	if del.Count != 1 {
		t.Fatalf("delete %+v", del)
	}
	if e := nextEvent(t, a, "message.delete", aid); !strings.Contains(string(e.Data), "[1]") {
		t.Fatalf("delete push %+v", e)
	}
	var hist []messageView
	a.call("messages.history", map[string]any{"chat_id": chat}).into(t, &hist)
	if len(hist) != 1 || hist[0].ID != 2 {
		t.Fatalf("history after delete: %+v", hist)
	}
	// Delete for me hides only from me.
	a.call("messages.delete", map[string]any{"chat_id": chat, "ids": []int64{2}}).into(t, &del)
	a.call("messages.history", map[string]any{"chat_id": chat}).into(t, &hist)
	if len(hist) != 0 {
		t.Fatalf("hidden message still in Ann's history: %+v", hist)
	}
	b.call("messages.history", map[string]any{"chat_id": chat}).into(t, &hist)
	if len(hist) != 1 {
		t.Fatalf("Bob lost a message Ann hid for herself: %+v", hist)
	}
	// Blocking stops messages; Saved Messages works.
	b.call("contacts.block", map[string]int64{"user_id": aid}).into(t, new(bool))
	if r := a.call("messages.send", map[string]any{"user_id": bid, "text": "hey?", "random_id": rid()}); r.code() != "USER_BLOCKED" {
		t.Fatalf("sending to someone who blocks you: %s", r.code())
	}
	saved := send(t, a, map[string]any{"user_id": aid}, "note to self")
	if saved.ChatID == chat || saved.ID != 1 {
		t.Fatalf("saved messages %+v", saved)
	}
}

func TestIdempotentSend(t *testing.T) {
	n := startNode(t, generous...)
	a := &httpCaller{t: t, base: n.url}
	b := &httpCaller{t: t, base: n.url}
	signUp(t, n, a, "+442079460001", "Ann")
	_, bid := signUp(t, n, b, "+442079460002", "Bob")
	meet(t, a, b, bid)
	p := map[string]any{"user_id": bid, "text": "once", "random_id": 4242}
	var m1, m2 messageView
	a.call("messages.send", p).into(t, &m1)
	a.call("messages.send", p).into(t, &m2)
	if m1.ID != m2.ID || m1.ChatID != m2.ChatID {
		t.Fatalf("a retried send made a second message: %+v %+v", m1, m2)
	}
	var hist []messageView
	b.call("messages.history", map[string]any{"chat_id": m1.ChatID}).into(t, &hist)
	if len(hist) != 1 {
		t.Fatalf("history has %d messages, want 1", len(hist))
	}
	for _, bad := range []struct {
		p    map[string]any
		code string
	}{
		{map[string]any{"user_id": bid, "text": "x", "random_id": 0}, "PARAM_MISSING"},
		{map[string]any{"user_id": bid, "text": "   ", "random_id": 1}, "MESSAGE_EMPTY"},
		{map[string]any{"user_id": bid, "text": strings.Repeat("😀", 2049), "random_id": 2}, "MESSAGE_TOO_LONG"},
		{map[string]any{"user_id": bid, "text": "abc", "random_id": 3, "entities": []map[string]any{{"type": "bold", "offset": 2, "length": 5}}}, "ENTITIES_INVALID"},
		{map[string]any{"chat_id": 999999, "text": "x", "random_id": 4}, "CHAT_NOT_FOUND"},
		{map[string]any{"user_id": 999999, "text": "x", "random_id": 5}, "USER_NOT_FOUND"},
		{map[string]any{"user_id": bid, "chat_id": m1.ChatID, "text": "x", "random_id": 6}, "PARAM_INVALID"},
		{map[string]any{"chat_id": m1.ChatID, "text": "x", "random_id": 7, "reply_to_id": 99}, "MESSAGE_NOT_FOUND"},
	} {
		if r := a.call("messages.send", bad.p); r.code() != bad.code {
			t.Errorf("send %v: %s, want %s", bad.p, r.code(), bad.code)
		}
	}
	// 4,096 UTF-16 units fit exactly.
	a.call("messages.send", map[string]any{"user_id": bid, "text": strings.Repeat("😀", 2048), "random_id": 8}).into(t, new(messageView))
	b.call("messages.history", map[string]any{"chat_id": m1.ChatID}).into(t, &hist)
	if len(hist) != 2 {
		t.Fatalf("refused sends changed the history: %d messages", len(hist))
	}
}

// TestRandomIDInvalid walks every case docs/api.md gives for
// RANDOM_ID_INVALID (all of messages.forward's random_ids) and the codes
// the other sends answer instead; a refused forward posts nothing.
func TestRandomIDInvalid(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	a, _, _ := signUpHTTP(t, n, &ph, "Ann")
	b, _, bid := signUpHTTP(t, n, &ph, "Bob")
	meet(t, a, b, bid)
	first := rid()
	var m messageView
	a.call("messages.send", map[string]any{"user_id": bid, "text": "hi", "random_id": first}).into(t, &m)
	fresh := rid()
	for _, tc := range []struct {
		name       string
		ids, rands []int64
		code       string
	}{
		{"a zero random id", []int64{m.ID}, []int64{0}, "RANDOM_ID_INVALID"},
		{"a zero random id after others", []int64{m.ID, m.ID}, []int64{rid(), 0}, "RANDOM_ID_INVALID"},
		{"one random id twice", []int64{m.ID, m.ID}, []int64{fresh, fresh}, "RANDOM_ID_INVALID"},
		{"a used random id after a fresh one", []int64{m.ID, m.ID}, []int64{rid(), first}, "RANDOM_ID_INVALID"},
		{"a random id beyond 2^53", []int64{m.ID}, []int64{1 << 53}, "PARAM_INVALID"},
	} {
		r := a.call("messages.forward", map[string]any{"from_chat_id": m.ChatID, "ids": tc.ids, "chat_id": m.ChatID, "random_ids": tc.rands})
		if r.code() != tc.code {
			t.Errorf("forward with %s: %s, want %s", tc.name, r.code(), tc.code)
		}
	}
	// A forward whose first random id was used is a retry: it answers
	// what that id made.
	var again []messageView
	a.call("messages.forward", map[string]any{"from_chat_id": m.ChatID, "ids": []int64{m.ID}, "chat_id": m.ChatID, "random_ids": []int64{first}}).into(t, &again)
	if len(again) != 1 || again[0].ID != m.ID {
		t.Errorf("a forward with a used first random id answered %+v, want the message it made", again)
	}
	// A zero random_id of the other sends is a missing parameter.
	if r := a.call("messages.send", map[string]any{"user_id": bid, "text": "x", "random_id": 0}); r.code() != "PARAM_MISSING" {
		t.Errorf("send with random_id 0: %s, want PARAM_MISSING", r.code())
	}
	var hist []messageView
	a.call("messages.history", map[string]any{"chat_id": m.ChatID}).into(t, &hist)
	if len(hist) != 1 {
		t.Errorf("refused forwards posted: %d messages, want 1", len(hist))
	}
}
