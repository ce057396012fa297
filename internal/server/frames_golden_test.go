package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/core"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden push frames in testdata/")

// TestPushFramesGolden pins the push frames a socket receives, byte for
// byte: a new message in a private chat and in a group, an edit, a
// reaction, a pin, a read receipt, a member leaving, typing, and the
// user events these make. The node runs on a clock that stands still
// and a fresh database, so ids and dates are the same on every run.
// Any change to how pushes are encoded (or where their wire shapes
// live) must leave this file as it is; go test -run TestPushFramesGolden
// -update rewrites it for a deliberate change of the wire format.
func TestPushFramesGolden(t *testing.T) {
	w := newResyncWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bob, err := dialPushSocket(ctx, w.n.url, w.bob.token, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer bob.close()
	if _, err := bob.request("users.getMe", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	// The world's own events (the group made, Bob added) are older than
	// the socket, yet on a loaded machine their pushes may still be on
	// their way and reach it: a client drops them, as the file does,
	// by the chats' seq and Bob's pts as they are now.
	var st struct{ Pts int64 }
	w.bob.must(t, "sync.getState", map[string]any{}, &st)
	seqs := map[int64]int64{}
	for _, id := range []int64{w.private, w.group} {
		var c struct{ Seq int64 }
		w.bob.must(t, "chats.get", map[string]any{"chat_id": id}, &c)
		seqs[id] = c.Seq
	}
	var m1, m2 syncMessage
	w.ann.must(t, "messages.send", map[string]any{"chat_id": w.private, "text": "golden *one* \u2028 \"quoted\" <b>é😀", "random_id": 501}, &m1)
	w.ann.must(t, "messages.send", map[string]any{"chat_id": w.group, "text": "to the group", "random_id": 502, "reply_to_id": 0}, &m2)
	w.ann.must(t, "messages.edit", map[string]any{"chat_id": w.group, "id": m2.ID, "text": "to the group, edited"}, nil)
	w.ann.must(t, "messages.react", map[string]any{"chat_id": w.group, "id": m2.ID, "emoji": "👍"}, nil)
	w.ann.must(t, "messages.pin", map[string]any{"chat_id": w.group, "id": m2.ID}, nil)
	w.ann.must(t, "messages.setTyping", map[string]any{"chat_id": w.private}, nil)
	w.bob.must(t, "messages.read", map[string]any{"chat_id": w.private, "max_id": m1.ID}, nil)
	w.cat.must(t, "chats.leave", map[string]any{"chat_id": w.group}, nil)
	// The last step's push is Cat's leaving (a service message). Each
	// chat's pushes keep their order, and the user's pushes theirs, but
	// chats and the user are fanned out on different goroutines: the
	// file holds each chat's pushes, by chat id, then the user's.
	byChat := map[int64][]string{}
	var user []string
	last := ""
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		got, closed, code := bob.take()
		for _, f := range got {
			var probe struct {
				Push string
				Data struct {
					ChatID int64 `json:"chat_id"`
					Seq    int64 `json:"seq"`
					Pts    int64 `json:"pts"`
				}
			}
			if err := json.Unmarshal(f, &probe); err != nil {
				t.Fatalf("frame %s: %v", f, err)
			}
			if probe.Push == core.PushUserStatus {
				continue // presence comes when it comes
			}
			if (probe.Push == core.PushChatEvent && probe.Data.Seq <= seqs[probe.Data.ChatID]) ||
				(probe.Push == core.PushUserEvent && probe.Data.Pts <= st.Pts) {
				continue // from before the socket
			}
			if strings.HasPrefix(probe.Push, "user.") {
				user = append(user, string(f))
			} else {
				byChat[probe.Data.ChatID] = append(byChat[probe.Data.ChatID], string(f))
				last = string(f)
			}
		}
		if closed {
			t.Fatalf("socket closed (%d)", code)
		}
		if strings.Contains(last, `"member_left"`) && len(user) > 0 {
			break
		}
		bob.wait(100 * time.Millisecond)
	}
	var all []string
	for _, id := range slices.Sorted(maps.Keys(byChat)) {
		all = append(all, byChat[id]...)
	}
	got := []byte(strings.Join(append(all, user...), "\n") + "\n")
	path := filepath.Join("testdata", "push_frames.golden")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("push frames differ from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
