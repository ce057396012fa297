package server_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"
)

type statusPush struct {
	UserID int64 `json:"user_id"`
	Status struct {
		Kind     string `json:"kind"`
		LastSeen int64  `json:"last_seen"`
	} `json:"status"`
}

// nextStatus waits for the next user.status push about userID.
func nextStatus(t *testing.T, ws *wsCaller, userID int64) statusPush {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var p statusPush
		if err := json.Unmarshal(nextPush(t, ws, "user.status", time.Until(deadline)), &p); err != nil {
			t.Fatal(err)
		}
		if p.UserID == userID {
			return p
		}
	}
	t.Fatalf("no user.status push about %d", userID)
	return statusPush{}
}

// noPush fails if a push of kind reaches ws within d.
func noPush(t *testing.T, ws *wsCaller, kind string, d time.Duration) {
	t.Helper()
	if raw, _, ok := awaitPush(t, ws, kind, d); ok {
		t.Fatalf("unexpected push %s", raw)
	}
}

func userStatus(t *testing.T, c caller, id int64) statusPush {
	t.Helper()
	var us []userView
	c.call("users.get", map[string]any{"ids": []int64{id}}).into(t, &us)
	if len(us) != 1 {
		t.Fatalf("users.get: %+v", us)
	}
	var p statusPush
	p.UserID = us[0].ID
	p.Status.Kind, p.Status.LastSeen = us[0].Status.Kind, us[0].Status.LastSeen
	return p
}

// closeWS closes a client's socket and waits until it is closed.
func closeWS(t *testing.T, ws *wsCaller) {
	t.Helper()
	if err := ws.conn.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Logf("close: %v", err)
	}
	select {
	case <-ws.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the socket did not close")
	}
}

// TestOnlineStatus: Bob opening a socket makes him online to Ann (a
// private-chat peer his privacy admits), live and in users.get; closing
// it makes him offline with a last-seen time. With last_seen = nobody,
// Ann learns nothing and sees "recently".
func TestOnlineStatus(t *testing.T) {
	n := startNode(t, generous...)
	ann := dialWS(t, n.url, "")
	bob := &httpCaller{t: t, base: n.url}
	_, aid := signUp(t, n, ann, "+442079460001", "Ann")
	bobTok, bid := signUp(t, n, bob, "+442079460002", "Bob")
	// Bob has Ann in his contacts: his last seen (contacts by default)
	// shows to her.
	knows(t, ann, "+442079460001", aid, bob, "+442079460002")
	send(t, ann, map[string]any{"user_id": bid}, "Hi Bob")
	if st := userStatus(t, ann, bid); st.Status.Kind != "exact" {
		t.Fatalf("Bob without a socket: %+v", st)
	}

	bws := dialWS(t, n.url, bobTok)
	if p := nextStatus(t, ann, bid); p.Status.Kind != "online" || p.Status.LastSeen != 0 {
		t.Fatalf("online push %+v", p)
	}
	if st := userStatus(t, ann, bid); st.Status.Kind != "online" {
		t.Fatalf("users.get while Bob's socket is open: %+v", st)
	}
	if st := userStatus(t, bws, bid); st.Status.Kind != "online" {
		t.Fatalf("Bob sees himself %+v", st)
	}

	n.clock.Advance(2 * time.Minute)
	closeWS(t, bws)
	p := nextStatus(t, ann, bid)
	if p.Status.Kind != "exact" || p.Status.LastSeen != n.clock.Now().Unix() {
		t.Fatalf("offline push %+v, want exact at %d", p, n.clock.Now().Unix())
	}
	// The disconnect is stored as Bob's last activity.
	deadline := time.Now().Add(5 * time.Second)
	for st := userStatus(t, ann, bid); st.Status.Kind != "exact" || st.Status.LastSeen != n.clock.Now().Unix(); st = userStatus(t, ann, bid) {
		if time.Now().After(deadline) {
			t.Fatalf("users.get after the close: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Bob hides his last seen: Ann is told the coarse kind she sees from
	// now on, then nothing of his comings and goings.
	bob.call("privacy.set", map[string]string{"key": "last_seen", "value": "nobody"}).into(t, new(map[string]string))
	if p := nextStatus(t, ann, bid); p.Status.Kind != "recently" || p.Status.LastSeen != 0 {
		t.Fatalf("push after hiding last seen: %+v", p)
	}
	bws = dialWS(t, n.url, bobTok)
	noPush(t, ann, "user.status", 300*time.Millisecond)
	if st := userStatus(t, ann, bid); st.Status.Kind != "recently" || st.Status.LastSeen != 0 {
		t.Fatalf("users.get with last_seen nobody: %+v", st)
	}
	closeWS(t, bws)
	noPush(t, ann, "user.status", 300*time.Millisecond)
	if st := userStatus(t, ann, bid); st.Status.Kind != "recently" {
		t.Fatalf("users.get after the close, last_seen nobody: %+v", st)
	}
}

// TestTypingPush: typing reaches the other member's socket and is not
// stored: the chat's seq does not move.
func TestTypingPush(t *testing.T) {
	n := startNode(t, generous...)
	ann := dialWS(t, n.url, "")
	bob := dialWS(t, n.url, "")
	_, aid := signUp(t, n, ann, "+442079460001", "Ann")
	_, bid := signUp(t, n, bob, "+442079460002", "Bob")
	meet(t, ann, bob, bid)
	m := send(t, ann, map[string]any{"user_id": bid}, "Hi Bob")
	nextEvent(t, bob, "message.new")
	type chat struct {
		Seq int64 `json:"seq"`
	}
	var before chat
	ann.call("chats.get", map[string]any{"chat_id": m.ChatID}).into(t, &before)

	type typing struct {
		ChatID    int64 `json:"chat_id"`
		UserID    int64 `json:"user_id"`
		ExpiresIn int64 `json:"expires_in"`
	}
	ann.call("messages.setTyping", map[string]any{"chat_id": m.ChatID}).into(t, new(bool))
	var ty typing
	if err := json.Unmarshal(nextPush(t, bob, "chat.typing", 5*time.Second), &ty); err != nil {
		t.Fatal(err)
	}
	if ty.ChatID != m.ChatID || ty.UserID != aid || ty.ExpiresIn != 6 {
		t.Fatalf("typing push %+v", ty)
	}
	ann.call("messages.setTyping", map[string]any{"chat_id": m.ChatID, "cancel": true}).into(t, new(bool))
	if err := json.Unmarshal(nextPush(t, bob, "chat.typing", 5*time.Second), &ty); err != nil {
		t.Fatal(err)
	}
	if ty.UserID != aid || ty.ExpiresIn != 0 {
		t.Fatalf("cancel push %+v", ty)
	}

	var after chat
	bob.call("chats.get", map[string]any{"chat_id": m.ChatID}).into(t, &after)
	if after.Seq != before.Seq || before.Seq == 0 {
		t.Fatalf("typing moved the chat's seq: %d → %d", before.Seq, after.Seq)
	}
	var d struct {
		Events []json.RawMessage `json:"events"`
	}
	bob.call("sync.getChatDifference", map[string]any{"chat_id": m.ChatID, "seq": before.Seq}).into(t, &d)
	if len(d.Events) != 0 {
		t.Fatalf("typing left events: %s", d.Events)
	}
}

// TestRebindSamePerson: a socket that switches to another session of the
// same person (auth.useToken) keeps its pushes, and its person stays
// online.
func TestRebindSamePerson(t *testing.T) {
	n := startNode(t, generous...)
	ann := dialWS(t, n.url, "")
	bob := &httpCaller{t: t, base: n.url}
	_, aid := signUp(t, n, ann, "+442079460001", "Ann")
	_, bid := signUp(t, n, bob, "+442079460002", "Bob")
	// Ann has Bob in her contacts, so he sees her online.
	knows(t, bob, "+442079460002", bid, ann, "+442079460001")
	m := send(t, bob, map[string]any{"user_id": aid}, "Hi Ann")
	nextEvent(t, ann, "message.new")

	second := &httpCaller{t: t, base: n.url}
	_, a := codeSignIn(t, n, second, "+442079460001", "Laptop")
	if a.Status != "authorized" || a.User.ID != aid {
		t.Fatalf("second sign-in: %+v", a)
	}
	ann.call("auth.useToken", map[string]string{"token": a.Token}).into(t, new(userView))

	send(t, bob, map[string]any{"chat_id": m.ChatID}, "still there?")
	if e := nextEvent(t, ann, "message.new", aid); e.UserID != bid {
		t.Fatalf("push after the switch: %+v", e)
	}
	if st := userStatus(t, bob, aid); st.Status.Kind != "online" {
		t.Fatalf("Ann after switching sessions: %+v", st)
	}
}
