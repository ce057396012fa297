package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/havenchat/haven/internal/bus/nats/natstest"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
)

// TestClusterBinary runs three haven serve processes on one PostgreSQL
// database and one NATS server, with different ports and data
// directories. Ann, on node 1, starts a private chat with Bob, whose
// socket is on node 2; node 1 is killed with SIGKILL mid-conversation,
// Ann goes on from node 3, and Bob's socket receives every acknowledged
// message once, in the chat's order.
func TestClusterBinary(t *testing.T) {
	pg := pgtest.Get(t)
	db := pg.ConnString(pg.NewEmpty(t))
	ns := natstest.Start(t)
	shared := t.TempDir()
	secret := filepath.Join(shared, "cluster.key")
	if err := os.WriteFile(secret, []byte(strings.Repeat("k", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	var nodes []*proc
	for range 3 {
		nodes = append(nodes, startServing(t, t.TempDir(), "--db", db, "--bus", ns.ClientURL(), "--secret-file", secret,
			"--push-key-file", filepath.Join(shared, "vapid.key")))
	}
	annTok, _ := signUp(t, nodes[0], "+442079465001", "Ann", 1)
	bobTok, bob := signUp(t, nodes[1], "+442079465002", "Bob", 1)
	// People meet before a user id reaches anyone: Ann finds Bob by his
	// username.
	call(t, nodes[1].url, "account.updateUsername", bobTok, map[string]string{"username": "bob_cluster"}, nil)
	var found user
	call(t, nodes[0].url, "users.resolveUsername", annTok, map[string]string{"username": "bob_cluster"}, &found)
	if found.ID != bob.ID {
		t.Fatalf("Ann resolved %+v, want Bob %d", found, bob.ID)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(nodes[1].url, "http")+"/api/ws", &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + bobTok}},
	})
	if err != nil {
		t.Fatalf("Bob's socket on node 2: %v", err)
	}
	defer ws.CloseNow()
	// The socket is bound once it answers a call.
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"id":1,"method":"users.getMe","params":{}}`)); err != nil {
		t.Fatal(err)
	}
	type event struct {
		Seq     int64  `json:"seq"`
		Kind    string `json:"kind"`
		Message *struct {
			ID   int64  `json:"id"`
			Text string `json:"text"`
		} `json:"message"`
	}
	got := make(chan event, 256)
	go func() {
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				close(got)
				return
			}
			var f struct {
				Push string `json:"push"`
				Data event  `json:"data"`
			}
			if json.Unmarshal(b, &f) == nil && f.Push == "chat.event" && f.Data.Kind == "message.new" {
				got <- f.Data
			}
		}
	}()

	type sent struct {
		ID     int64 `json:"id"`
		ChatID int64 `json:"chat_id"`
	}
	var acked []sent
	var chatID int64
	for i := range 20 {
		via := nodes[0]
		if i >= 10 {
			via = nodes[2] // Ann's app moved on after node 1 died
		}
		to := map[string]any{"chat_id": chatID}
		if chatID == 0 {
			to = map[string]any{"user_id": bob.ID}
		}
		to["text"], to["random_id"] = fmt.Sprintf("m%d", i), time.Now().UnixNano()>>11
		var m sent
		call(t, via.url, "messages.send", annTok, to, &m)
		chatID = m.ChatID
		acked = append(acked, m)
		if i == 9 {
			nodes[0].signal(os.Kill)
			nodes[0].wait(15 * time.Second)
		}
	}
	// Bob's app, as every client: pushes in seq order; a seq past the
	// next is a gap (node 1 died with a committed message's notice still
	// queued), filled from the log on the node it is connected to.
	var last int64
	var ids []int64
	take := func(e event) {
		if e.Seq <= last {
			t.Fatalf("Bob's socket: seq %d again or after %d", e.Seq, last)
		}
		if e.Seq > last+1 {
			var d struct {
				Events []event `json:"events"`
			}
			call(t, nodes[1].url, "sync.getChatDifference", bobTok, map[string]int64{"chat_id": chatID, "seq": last}, &d)
			for _, f := range d.Events {
				if f.Seq < e.Seq && f.Kind == "message.new" {
					ids = append(ids, f.Message.ID)
				}
			}
			t.Logf("gap before seq %d filled from the log", e.Seq)
		}
		ids = append(ids, e.Message.ID)
		last = e.Seq
	}
	for len(ids) < len(acked) {
		select {
		case e, ok := <-got:
			if !ok {
				t.Fatalf("Bob's socket closed after %d of %d messages", len(ids), len(acked))
			}
			take(e)
		case <-time.After(20 * time.Second):
			t.Fatalf("Bob's socket: %d of %d messages came", len(ids), len(acked))
		}
	}
	for i, want := range acked {
		if ids[i] != want.ID {
			t.Fatalf("Bob's messages %v, want %v", ids, acked)
		}
	}
	select {
	case e := <-got:
		t.Fatalf("Bob's socket got one more: %+v", e)
	case <-time.After(500 * time.Millisecond):
	}
}

// TestClusterKeysMustMatch: the first node on a database records which
// secret key and Web Push key it runs with (as fingerprints); a second
// node with another secret key, or another Web Push key, refuses to
// start, naming the key and its file; one with the same keys serves.
func TestClusterKeysMustMatch(t *testing.T) {
	t.Parallel()
	pg := pgtest.Get(t)
	db := pg.ConnString(pg.NewEmpty(t))
	shared := t.TempDir()
	secret, other := filepath.Join(shared, "cluster.key"), filepath.Join(shared, "other.key")
	if err := os.WriteFile(secret, []byte(strings.Repeat("k", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte(strings.Repeat("o", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	vapid := filepath.Join(shared, "vapid.key")
	first := startServing(t, t.TempDir(), "--db", db, "--secret-file", secret, "--push-key-file", vapid)

	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"another secret key", []string{"--secret-file", other, "--push-key-file", vapid},
			[]string{"secret.key (" + other, "--secret-file", "not the one this database was first started with"}},
		{"its own Web Push key", []string{"--secret-file", secret}, // vapid.key made in its data directory
			[]string{"vapid.key (", "push-key-file", "not the one this database was first started with"}},
	} {
		wd := t.TempDir()
		r := runHaven(t, wd, cleanEnv(), append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(wd, "data"), "--db", db}, c.args...)...)
		if r.code != 1 {
			t.Errorf("%s: exit %d, want 1\n%s", c.name, r.code, r.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: the log does not say %q:\n%s", c.name, w, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "haven is serving") {
			t.Errorf("%s: the node served", c.name)
		}
	}

	// The same keys: a second node serves beside the first.
	second := startServing(t, t.TempDir(), "--db", db, "--secret-file", secret, "--push-key-file", vapid)
	tok, ann := signUp(t, first, "+442079465101", "Ann", 1)
	var me user
	call(t, second.url, "users.getMe", tok, nil, &me)
	if me.ID != ann.ID {
		t.Errorf("node 2 says the token is %+v's, want Ann %d", me, ann.ID)
	}
	second.stop()
	first.stop()
}
