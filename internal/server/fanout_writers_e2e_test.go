package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/core"
)

// TestFanOutByWritersEveryPushOnceInOrder: two chats post at once, the
// group to 2 × 150 sockets (more than one batch of the fan-out's
// writers, so every writer takes part) and the private chat to Bob's
// 150, while one more socket of Bob's reads nothing. Every socket that
// reads receives every message of each chat exactly once, in the chat's
// order, and all of them while the stalled socket still holds its
// unread pushes: it delays no one. Once it reads again it receives the
// same, in order, or it was cut as too slow (4008, or dropped once its
// close frame could not get through) without a gap before the cut.
func TestFanOutByWritersEveryPushOnceInOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 300 sockets")
	}
	// No ping: the stalled socket, quiet, is not dropped for its
	// unanswered ping, only, if at all, for being too slow.
	w := newResyncWorld(t, "--ws-per-user", "200", "--ws-per-ip", "1000", "--conns-per-ip", "1000", "--ws-ping-interval", "10m")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const perPerson = 150
	open := func(token string, rcvBuf int) *pushSocket {
		p, err := dialPushSocket(ctx, w.n.url, token, rcvBuf)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.close)
		// A round trip proves the socket bound and subscribed.
		if _, err := p.request("users.getMe", map[string]any{}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var bobs, cats []*pushSocket
	for range perPerson {
		bobs = append(bobs, open(w.bob.token, 0))
		cats = append(cats, open(w.cat.token, 0))
	}
	stalled := open(w.bob.token, 16<<10)
	stalled.gate.Lock()
	gated := true
	defer func() {
		if gated {
			stalled.gate.Unlock()
		}
	}()

	// Ann posts to both chats at once, each acknowledged.
	const n = 150
	pad := " " + strings.Repeat("x", 1000)
	sent := map[int64][]int64{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for k, chat := range []int64{w.group, w.private} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				r, err := w.ann.do("messages.send", map[string]any{"chat_id": chat, "text": fmt.Sprintf("w%d %d%s", k, i, pad), "random_id": 700_000 + k*10_000 + i})
				if err == nil && !r.OK {
					err = fmt.Errorf("%s: %s", r.code(), r.Error.Message)
				}
				if err != nil {
					errs <- err
					return
				}
				var m syncMessage
				if err := json.Unmarshal(r.Result, &m); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				sent[chat] = append(sent[chat], m.ID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	deadline := time.Now().Add(2 * time.Minute)
	check := func(who string, p *pushSocket, chats ...int64) {
		t.Helper()
		got := pushedByChat(t, p, chats, n, deadline)
		for _, c := range chats {
			checkInOrder(t, who, got[c], sent[c])
		}
	}
	for i, p := range bobs {
		check(fmt.Sprintf("bob's socket %d", i), p, w.group, w.private)
	}
	for i, p := range cats {
		check(fmt.Sprintf("cat's socket %d", i), p, w.group)
	}

	// The stalled socket: all of it in order, or cut with no gap.
	stalled.gate.Unlock()
	gated = false
	got := map[int64][]int64{}
	for time.Now().Before(deadline) && (len(got[w.group]) < n || len(got[w.private]) < n) {
		frames, closed, code := stalled.take()
		for c, ids := range messagesByChat(t, frames) {
			got[c] = append(got[c], ids...)
		}
		if closed {
			// 4008 when the close frame reached it; with nothing read for
			// long (a slow, loaded machine) the server's write deadline
			// drops the connection, its buffers full, before a close
			// frame can get through: that is a cut for being too slow
			// too, and counted as one (TestStalledAnswerCutAtWriteDeadline).
			if code != 4008 && socketsCut(t, w.n) == 0 {
				t.Fatalf("the stalled socket closed with %d and the server cut no socket as too slow; want 4008 (too slow) or no close", code)
			}
			break
		}
		stalled.wait(100 * time.Millisecond)
	}
	for _, c := range []int64{w.group, w.private} {
		if len(got[c]) > len(sent[c]) {
			t.Fatalf("the stalled socket received %d messages of chat %d, %d were sent", len(got[c]), c, len(sent[c]))
		}
		checkInOrder(t, "the stalled socket", got[c], sent[c][:len(got[c])])
	}
}

// pushedByChat reads a push socket until it holds want new messages of
// each of chats (and fails if any chat gets more), or the deadline
// passes; it returns the ids per chat in the order they came.
func pushedByChat(t *testing.T, p *pushSocket, chats []int64, want int, deadline time.Time) map[int64][]int64 {
	t.Helper()
	got := map[int64][]int64{}
	enough := func() bool {
		for _, c := range chats {
			if len(got[c]) < want {
				return false
			}
		}
		return true
	}
	for !enough() && time.Now().Before(deadline) {
		frames, closed, code := p.take()
		for c, ids := range messagesByChat(t, frames) {
			got[c] = append(got[c], ids...)
		}
		if closed {
			t.Fatalf("the socket closed (%d)", code)
		}
		p.wait(100 * time.Millisecond)
	}
	// Anything more would be a duplicate: give it a moment to show.
	p.wait(50 * time.Millisecond)
	frames, _, _ := p.take()
	for c, ids := range messagesByChat(t, frames) {
		got[c] = append(got[c], ids...)
	}
	return got
}

// messagesByChat picks the ids of the new messages out of push frames,
// per chat.
func messagesByChat(t *testing.T, frames []json.RawMessage) map[int64][]int64 {
	t.Helper()
	out := map[int64][]int64{}
	for _, f := range frames {
		var push struct {
			Push string    `json:"push"`
			Data syncEvent `json:"data"`
		}
		if err := json.Unmarshal(f, &push); err != nil {
			t.Fatalf("a frame that is not JSON: %v", err)
		}
		if push.Push == core.PushChatEvent && push.Data.Kind == "message.new" {
			out[push.Data.ChatID] = append(out[push.Data.ChatID], push.Data.MessageID)
		}
	}
	return out
}
