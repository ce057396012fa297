package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/havenchat/haven/internal/core"
)

// pushedMessages reads a push socket until it holds want new messages of
// chatID or the deadline passes, and returns the ids in the order they
// came.
func pushedMessages(t *testing.T, p *pushSocket, chatID int64, want int, deadline time.Time) []int64 {
	t.Helper()
	var ids []int64
	for len(ids) < want && time.Now().Before(deadline) {
		frames, closed, code := p.take()
		for _, f := range frames {
			var push struct {
				Push string    `json:"push"`
				Data syncEvent `json:"data"`
			}
			if err := json.Unmarshal(f, &push); err != nil {
				t.Fatalf("a frame that is not JSON: %v", err)
			}
			if push.Push == core.PushChatEvent && push.Data.ChatID == chatID && push.Data.Kind == "message.new" {
				ids = append(ids, push.Data.MessageID)
			}
		}
		if closed {
			t.Fatalf("the socket closed (%d) after %d of %d messages", code, len(ids), want)
		}
		p.wait(100 * time.Millisecond)
	}
	return ids
}

// sendN sends n messages to a chat, one after the other, and returns
// their ids; each must be acknowledged.
func sendN(t *testing.T, api *apiClient, chatID int64, n int, pad string) []int64 {
	t.Helper()
	ids := make([]int64, 0, n)
	for i := range n {
		var m syncMessage
		api.must(t, "messages.send", map[string]any{"chat_id": chatID, "text": fmt.Sprintf("fan %d%s", i, pad), "random_id": 900_000 + i}, &m)
		ids = append(ids, m.ID)
	}
	return ids
}

func checkInOrder(t *testing.T, who string, got, sent []int64) {
	t.Helper()
	if len(got) != len(sent) {
		t.Fatalf("%s received %d of %d messages", who, len(got), len(sent))
	}
	for i := range sent {
		if got[i] != sent[i] {
			t.Fatalf("%s: message %d is %d, want %d (order lost)", who, i, got[i], sent[i])
		}
	}
}

// TestWritesNeverWaitForFanOut stalls the node's fan-out (a subscriber
// of the group's subject that does not return): messages are still
// acknowledged, each durably committed, and once the stall ends every
// socket receives all of them, in order. Fan-out on the store's writer
// would hang the first send.
func TestWritesNeverWaitForFanOut(t *testing.T) {
	w := newResyncWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bob, err := dialPushSocket(ctx, w.n.url, w.bob.token, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer bob.close()
	// A round trip proves the socket bound and subscribed.
	if _, err := bob.request("users.getMe", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	stalled := make(chan struct{}, 1)
	sub, err := w.n.srv.Bus().Subscribe(core.ChatSubject(w.group), func([]byte) {
		select {
		case stalled <- struct{}{}:
		default:
		}
		<-release
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	const n = 300
	sent := sendN(t, w.ann, w.group, n, "")
	select {
	case <-stalled:
	case <-ctx.Done():
		t.Fatal("the stalling subscriber was never called")
	}
	// The bus's subscribers are called in no set order: the socket may
	// have had the first message before the stall began, no more.
	early := pushedMessages(t, bob, w.group, 2, time.Now().Add(200*time.Millisecond))
	if len(early) > 1 {
		t.Fatalf("the socket received %d messages while the fan-out was stalled; the stall did not hold", len(early))
	}
	close(release)
	got := append(early, pushedMessages(t, bob, w.group, n-len(early), time.Now().Add(time.Minute))...)
	checkInOrder(t, "bob", got, sent)
}

// TestStalledSocketDelaysNoOne holds one member's socket unread (a small
// receive buffer, so that it fills at once) while messages of 12 KB
// pour into the group: the sender's messages are all acknowledged, and
// the other member's socket receives every one in order. The server
// cuts the stalled socket rather than wait for it.
func TestStalledSocketDelaysNoOne(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 6 MB of pushes")
	}
	w := newResyncWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bob, err := dialPushSocket(ctx, w.n.url, w.bob.token, 16<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer bob.close()
	cat, err := dialPushSocket(ctx, w.n.url, w.cat.token, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.close()
	for _, p := range []*pushSocket{bob, cat} {
		if _, err := p.request("users.getMe", map[string]any{}); err != nil {
			t.Fatal(err)
		}
	}
	bob.gate.Lock()
	defer bob.gate.Unlock()
	const n = 500
	sent := sendN(t, w.ann, w.group, n, " "+strings.Repeat("€", 4000))
	got := pushedMessages(t, cat, w.group, n, time.Now().Add(2*time.Minute))
	checkInOrder(t, "cat", got, sent)
	// Bob's socket, stalled all along, was cut (or is about to be, once
	// the kernel's buffers are full): it never held the others back.
	deadline := time.Now().Add(time.Minute)
	for socketsCut(t, w.n) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if socketsCut(t, w.n) == 0 {
		t.Fatal("the stalled socket was not cut")
	}
}

// TestStalledAnswerCutAtWriteDeadline: a socket that reads nothing while
// an answer larger than the kernel's buffers waits for it (a chat
// difference of megabytes) has no queue to fill: the server's write
// takes nothing for the write timeout, and the connection is dropped,
// its close frame unable to get through. That is a cut for being too
// slow, counted as one, as when the queue fills.
func TestStalledAnswerCutAtWriteDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 5 MB of messages and waits for the write timeout")
	}
	// No ping: a quiet socket is not dropped for its unanswered ping.
	w := newResyncWorld(t, "--ws-ping-interval", "10m")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sendN(t, w.ann, w.group, 420, " "+strings.Repeat("€", 4000))
	// A client with a small receive buffer that reads nothing until
	// told.
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(w.n.url, "http")+"/api/ws", &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + w.bob.token}},
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err == nil {
				_ = c.(*net.TCPConn).SetReadBuffer(16 << 10)
			}
			return c, err
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(64 << 20)
	req := fmt.Sprintf(`{"id":"big","method":"sync.getChatDifference","params":{"chat_id":%d,"seq":0}}`, w.group)
	if err := conn.Write(ctx, websocket.MessageText, []byte(req)); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(2 * time.Minute)
	for socketsCut(t, w.n) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := socketsCut(t, w.n); n != 1 {
		t.Fatalf("%d sockets counted as cut for being too slow, want 1", n)
	}
	// And it was dropped: reading now, the client comes to the end of
	// the connection before the end of the answer.
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			if code := websocket.CloseStatus(err); code != -1 {
				t.Fatalf("the socket closed with %d, want it dropped without a close frame", code)
			}
			break
		}
		if bytes.HasPrefix(data, []byte(`{"id":"big"`)) {
			t.Fatalf("the whole answer came (%d bytes): the socket was not dropped", len(data))
		}
	}
}
