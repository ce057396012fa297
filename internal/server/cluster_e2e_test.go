package server_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/bus/nats/natstest"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
)

// startCluster starts n nodes sharing one fresh PostgreSQL database, one
// NATS server, one secret key (it keys the hashes of sign-in codes and
// of phone numbers) and one Web Push key, each on its own port and data
// directory.
func startCluster(t *testing.T, n int, args ...string) []*node {
	t.Helper()
	pg := pgtest.Get(t)
	db := pg.ConnString(pg.NewEmpty(t))
	ns := natstest.Start(t)
	secret := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(secret, []byte(strings.Repeat("cluster secret, test only! ", 2)), 0o600); err != nil {
		t.Fatal(err)
	}
	vapid := filepath.Join(filepath.Dir(secret), "vapid.key") // made by the first node
	var nodes []*node
	for range n {
		all := append([]string{"--db", db, "--bus", ns.ClientURL(), "--secret-file", secret, "--push-key-file", vapid}, generous...)
		nodes = append(nodes, startNode(t, append(all, args...)...))
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

// TestClusterGroupOrder: three people in a group, each connected to a
// different node, send at once from their own nodes. Every socket sees
// the group's events in the database's order (seq up by one, none twice,
// none missing) and every acknowledged message.
func TestClusterGroupOrder(t *testing.T) {
	nodes := startCluster(t, 3)
	var ph phones
	var ps []*person
	for i, name := range []string{"Ann", "Bob", "Cy"} {
		ps = append(ps, cast(t, nodes[i], &ph, []string{name}, 1)...)
	}
	befriend(t, ps[0], ps[1:]...)
	ms := markAll(socketsOf(ps...))
	var g chatInfo
	ps[0].api.call("chats.createGroup", map[string]any{"title": "Three nodes", "user_ids": idsOf(ps[1:]...)}).into(t, &g)
	for i, p := range ps[1:] {
		p.ws.waitUser(t, ms[i+1], "dialog.added", g.ID)
	}
	const each = 40
	var wg sync.WaitGroup
	sent := make([][]int64, len(ps))
	errs := make(chan error, len(ps))
	for i, p := range ps {
		c := &apiClient{base: fixedBase(nodes[i].url), token: p.token, hc: newHTTPClient(t)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				r, err := c.do("messages.send", map[string]any{"chat_id": g.ID, "text": fmt.Sprintf("%s %d", p.name, k), "random_id": int64(i+1)*1_000_000 + int64(k) + 1})
				if err == nil && !r.OK {
					err = fmt.Errorf("%s: %s", p.name, r.code())
				}
				if err != nil {
					errs <- err
					return
				}
				var m messageView
				if err := json.Unmarshal(r.Result, &m); err != nil {
					errs <- err
					return
				}
				sent[i] = append(sent[i], m.ID)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, p := range ps {
		for _, ids := range sent {
			for _, id := range ids {
				p.ws.waitEvent(t, ms[0], fmt.Sprintf("message %d", id), func(e chatEvent) bool {
					return e.Kind == "message.new" && e.MessageID == id
				})
			}
		}
		checkGapless(t, p.ws, g.ID)
	}
}

// TestClusterCodeLimitsHold: the sign-in code limits are buckets in the
// shared database, so spreading requests over nodes gains nothing: with
// 3 codes an hour per identifier and 5 per address, the 4th code for one
// number and the 6th from one address are refused whichever node is
// asked.
func TestClusterCodeLimitsHold(t *testing.T) {
	nodes := startCluster(t, 3, "--signin-code-per-identifier", "3", "--signin-code-per-ip", "5")
	sendCode := func(n *node, identifier string) reply {
		c := &httpCaller{t: t, base: n.url}
		return c.call("auth.sendCode", map[string]string{"identifier": identifier, "device": "Test"})
	}
	for i := range 3 {
		if r := sendCode(nodes[i], "+442079464001"); !r.OK {
			t.Fatalf("code %d for one number, on node %d: %s", i+1, i, r.code())
		}
	}
	for i, n := range nodes {
		if r := sendCode(n, "+442079464001"); r.code() != "FLOOD_WAIT" {
			t.Fatalf("a 4th code for one number on node %d: %s, want FLOOD_WAIT", i, r.code())
		}
	}
	// Two more numbers from the same address use its 4th and 5th codes
	// (the refused ones took none); the 6th is refused on every node.
	for i, id := range []string{"+442079464002", "+442079464003"} {
		if r := sendCode(nodes[i+1], id); !r.OK {
			t.Fatalf("code for %s on node %d: %s", id, i+1, r.code())
		}
	}
	for i, n := range nodes {
		if r := sendCode(n, "+442079464009"); r.code() != "FLOOD_WAIT" {
			t.Fatalf("a 6th code from one address on node %d: %s, want FLOOD_WAIT", i, r.code())
		}
	}
}

// TestClusterPresenceAndTyping: Bob's socket on node B going online,
// typing and going offline reaches Ann's socket on node A, over the bus.
func TestClusterPresenceAndTyping(t *testing.T) {
	nodes := startCluster(t, 2)
	a, b := nodes[0], nodes[1]
	ann := dialWS(t, a.url, "")
	bob := &httpCaller{t: t, base: b.url}
	_, aid := signUp(t, a, ann, "+442079466001", "Ann")
	bobTok, bid := signUp(t, b, bob, "+442079466002", "Bob")
	knows(t, ann, "+442079466001", aid, bob, "+442079466002")
	m := send(t, ann, map[string]any{"user_id": bid}, "Hi Bob")

	bws := dialWS(t, b.url, bobTok)
	if p := nextStatus(t, ann, bid); p.Status.Kind != "online" {
		t.Fatalf("Bob online on node B, Ann on node A sees %+v", p)
	}
	if r := bws.call("messages.setTyping", map[string]any{"chat_id": m.ChatID}); !r.OK {
		t.Fatalf("setTyping: %s", r.code())
	}
	var typing struct {
		ChatID int64 `json:"chat_id"`
		UserID int64 `json:"user_id"`
	}
	if err := json.Unmarshal(nextPush(t, ann, "chat.typing", 20*time.Second), &typing); err != nil {
		t.Fatal(err)
	}
	if typing.ChatID != m.ChatID || typing.UserID != bid {
		t.Fatalf("typing push %+v, want Bob in chat %d", typing, m.ChatID)
	}
	closeWS(t, bws)
	if p := nextStatus(t, ann, bid); p.Status.Kind != "exact" || p.Status.LastSeen == 0 {
		t.Fatalf("Bob offline, Ann sees %+v", p)
	}
}

// TestClusterRemovedMemberCannotPost: a member who has been posting
// through node B is removed by the owner through node A, and the
// member's very next send through node B is refused. Beside other
// writers a node keeps nothing it read for a send (ADR 4's amendment):
// B's own version of who may post never moves for A's writes.
func TestClusterRemovedMemberCannotPost(t *testing.T) {
	nodes := startCluster(t, 2)
	ac := dialWS(t, nodes[0].url, "")
	bc := dialWS(t, nodes[1].url, "")
	const annPhone, bobPhone = "+442079464001", "+442079464002"
	_, aid := signUp(t, nodes[0], ac, annPhone, "Ann")
	_, bid := signUp(t, nodes[1], bc, bobPhone, "Bob")
	knows(t, ac, annPhone, aid, bc, bobPhone)
	var g chatInfo
	ac.call("chats.createGroup", map[string]any{"title": "Two nodes", "user_ids": []int64{bid}}).into(t, &g)
	for i := range 3 {
		send(t, bc, map[string]any{"chat_id": g.ID}, fmt.Sprintf("warm %d", i))
	}
	ac.call("chats.removeMember", map[string]any{"chat_id": g.ID, "user_id": bid}).into(t, new(bool))
	wantCode(t, bc.call("messages.send", map[string]any{"chat_id": g.ID, "text": "after", "random_id": rid()}),
		"NOT_MEMBER", "a send through node B right after node A removed the sender")
}
