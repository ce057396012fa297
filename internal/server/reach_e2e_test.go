package server_test

import "testing"

// The pre-send check of a private chat (the recipient exists, the sender
// may see them, they do not block the sender) is answered from a cache
// while nothing that could take reach away has been written. Each test
// warms it with a send, changes one thing, and sends again at once.

// warmed is Ann (a) and Bob (b), who have met, after two sends from Ann
// to Bob (by user id, then by chat id, m being the first).
func warmed(t *testing.T) (a, b *httpCaller, aid, bid int64, m messageView) {
	t.Helper()
	n := startNode(t, generous...)
	a = &httpCaller{t: t, base: n.url}
	b = &httpCaller{t: t, base: n.url}
	_, aid = signUp(t, n, a, "+442079460001", "Ann")
	_, bid = signUp(t, n, b, "+442079460002", "Bob")
	meet(t, a, b, bid)
	m = send(t, a, map[string]any{"user_id": bid}, "one")
	send(t, a, map[string]any{"chat_id": m.ChatID}, "two")
	return a, b, aid, bid, m
}

// TestSendRefusedRightAfterBlock: a block refuses the very next send, by
// user id and by chat id; an unblock lets the next one through.
func TestSendRefusedRightAfterBlock(t *testing.T) {
	a, b, aid, bid, m := warmed(t)

	b.call("contacts.block", map[string]int64{"user_id": aid}).into(t, new(bool))
	wantCode(t, a.call("messages.send", map[string]any{"user_id": bid, "text": "by id", "random_id": rid()}), "USER_BLOCKED", "a send by user id right after a block")
	wantCode(t, a.call("messages.send", map[string]any{"chat_id": m.ChatID, "text": "by chat", "random_id": rid()}), "USER_BLOCKED", "a send by chat id right after a block")

	b.call("contacts.unblock", map[string]int64{"user_id": aid}).into(t, new(bool))
	send(t, a, map[string]any{"chat_id": m.ChatID}, "after the unblock")
	b.call("contacts.block", map[string]int64{"user_id": aid}).into(t, new(bool))
	wantCode(t, a.call("messages.send", map[string]any{"chat_id": m.ChatID, "text": "again", "random_id": rid()}), "USER_BLOCKED", "a send right after a second block")
}

// TestSendRefusedRightAfterAccountDeleted: once the recipient deleted
// their account, the next send to them is refused.
func TestSendRefusedRightAfterAccountDeleted(t *testing.T) {
	a, b, _, _, m := warmed(t)

	b.call("account.delete", map[string]any{}).into(t, new(bool))
	r := a.call("messages.send", map[string]any{"chat_id": m.ChatID, "text": "anyone?", "random_id": rid()})
	if r.OK {
		t.Fatal("a send to a deleted account right after the deletion was accepted")
	}
	wantCode(t, r, "USER_NOT_FOUND", "a send to a deleted account")
}
