package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
)

func TestMessageLine(t *testing.T) {
	date := time.Date(2026, 11, 25, 14, 3, 0, 0, time.Local).Unix()
	n := &names{users: map[int64]string{1: "Ann Lee", 2: "Bob"}}
	first := &client.Message{ID: 1, SenderID: 2, Date: date, Text: "Shall we climb\non Sunday?"}
	byID := map[int64]*client.Message{1: first}
	for _, c := range []struct {
		m    client.Message
		want string
	}{
		{*first, "2026-11-25 14:03  Bob: Shall we climb\n                  on Sunday?\n"},
		{client.Message{ID: 2, SenderID: 1, Date: date, Text: "yes", ReplyToID: 1, EditDate: date},
			`2026-11-25 14:03  Ann Lee: [reply to Bob: "Shall we climb on Sunday?"] yes (edited)` + "\n"},
		{client.Message{ID: 3, SenderID: 1, Date: date, Text: "old", ReplyToID: 99},
			"2026-11-25 14:03  Ann Lee: [reply to message 99] old\n"},
		{client.Message{ID: 4, SenderID: 2, Date: date, Text: "look", Forward: &client.Forward{FromName: "Cid"}},
			"2026-11-25 14:03  Bob: [forwarded from Cid] look\n"},
		{client.Message{ID: 5, SenderID: 2, Date: date, Forward: &client.Forward{FromUserID: 1}, Media: &client.Media{Kind: "photo", Name: "a.png"}},
			"2026-11-25 14:03  Bob: [forwarded from Ann Lee] [photo]\n"},
		{client.Message{ID: 6, SenderID: 3, Date: date, Text: "notes", Media: &client.Media{Kind: "voice", Name: "v.ogg", Duration: 75}},
			"2026-11-25 14:03  user:3: [voice: v.ogg 1:15] notes\n"},
		{client.Message{ID: 7, Date: date, Text: "news"},
			"2026-11-25 14:03  Climbing: news\n"},
		{client.Message{ID: 8, SenderID: 1, Date: date, Service: &client.ServiceAction{Type: "members_added", UserIDs: []int64{2, 3}}},
			"2026-11-25 14:03  * Ann Lee added Bob, user:3\n"},
		{client.Message{ID: 9, SenderID: 1, Date: date, Service: &client.ServiceAction{Type: "something_new"}},
			"2026-11-25 14:03  * Ann Lee: something_new\n"},
	} {
		var b strings.Builder
		messageLine(&b, &c.m, n, "Climbing", byID)
		if b.String() != c.want {
			t.Errorf("message %d:\n got %q\nwant %q", c.m.ID, b.String(), c.want)
		}
	}
}

func TestClip(t *testing.T) {
	if got := clip("héllo wörld", 6); got != "héllo…" {
		t.Errorf("clip = %q", got)
	}
	if got := clip("short", 6); got != "short" {
		t.Errorf("clip = %q", got)
	}
}
