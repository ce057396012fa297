package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/bus/nats/natstest"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
)

// startCluster starts n nodes sharing one fresh PostgreSQL database and
// one NATS server, each on its own port and data directory.
func startCluster(t *testing.T, n int) []*node {
	t.Helper()
	pg := pgtest.Get(t)
	db := pg.ConnString(pg.NewEmpty(t))
	ns := natstest.Start(t)
	var nodes []*node
	for range n {
		nodes = append(nodes, startNode(t, append([]string{"--db", db, "--bus", ns.ClientURL()}, generous...)...))
	}
	return nodes
}

// TestClusterNewChatFirstMessage: a person on node A starts a private
// chat with a person connected to node B; B learns of the new chat from
// A over the bus and subscribes to it after A's first event may already
// have passed B. That first message must still reach B's socket, every
// time, and in the chat's order (seq 1 first).
func TestClusterNewChatFirstMessage(t *testing.T) {
	nodes := startCluster(t, 2)
	for i := range 20 {
		// Mostly across nodes; every fourth round on one node, where the
		// subscription is in time and the log's copy must not be sent
		// twice.
		a, b := nodes[0], nodes[1]
		if i%4 == 3 {
			b = a
		}
		ac := dialWS(t, a.url, "")
		bc := dialWS(t, b.url, "")
		signUp(t, a, ac, fmt.Sprintf("+4420794610%02d", i), "Ann")
		_, bid := signUp(t, b, bc, fmt.Sprintf("+4420794620%02d", i), "Bob")
		meet(t, ac, bc, bid)
		text := fmt.Sprintf("first %d", i)
		m1 := send(t, ac, map[string]any{"user_id": bid}, text)
		m2 := send(t, ac, map[string]any{"chat_id": m1.ChatID}, "second")
		ev := nextEvent(t, bc, "message.new")
		if ev.Message == nil || ev.Message.ID != m1.ID || ev.Message.Text != text {
			t.Fatalf("round %d: Bob's first push on node B is %+v, want message %d %q", i, ev, m1.ID, text)
		}
		ev2 := nextEvent(t, bc, "message.new")
		if ev2.Message == nil || ev2.Message.ID != m2.ID || ev2.Seq <= ev.Seq {
			t.Fatalf("round %d: Bob's second push %+v after seq %d, want message %d", i, ev2, ev.Seq, m2.ID)
		}
	}
}

// TestClusterSessionEndsEverywhere: a person signed in on node A has the
// same session's sockets open on nodes B and C; logging out on A tells
// and closes them all (the ended session travels over the bus).
func TestClusterSessionEndsEverywhere(t *testing.T) {
	nodes := startCluster(t, 3)
	ac := dialWS(t, nodes[0].url, "")
	tok, _ := signUp(t, nodes[0], ac, "+442079463001", "Ann")
	others := []*wsCaller{dialWS(t, nodes[1].url, tok), dialWS(t, nodes[2].url, tok)}
	for i, w := range others {
		var me userView
		w.call("users.getMe", nil).into(t, &me)
		if me.ID == 0 {
			t.Fatalf("socket on node %d not signed in", i+1)
		}
	}
	if r := ac.call("auth.logOut", nil); !r.OK {
		t.Fatalf("logOut on node A: %s", r.code())
	}
	for i, w := range others {
		select {
		case p := <-w.pushes:
			if !strings.Contains(string(p), `"session.ended"`) {
				t.Fatalf("node %d: push %s, want session.ended", i+1, p)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("node %d: no session.ended push", i+1)
		}
		select {
		case code := <-w.closed:
			if code != 4001 {
				t.Fatalf("node %d: socket closed with %d, want 4001", i+1, code)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("node %d: the ended session's socket stayed open", i+1)
		}
	}
	// The token no longer works on any node.
	for i, n := range nodes {
		c := &httpCaller{t: t, base: n.url, token: tok}
		if r := c.call("users.getMe", nil); r.code() != "AUTH_TOKEN_INVALID" {
			t.Fatalf("node %d: ended session's token gives %s", i, r.code())
		}
	}
}
