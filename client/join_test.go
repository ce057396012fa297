package client_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// TestJoinedChatIsNotReplayed: a group joined with a long history comes
// on the stream as ReloadChatID, then its new events, not as its whole
// log; a new private chat's first message is delivered as such.
func TestJoinedChatIsNotReplayed(t *testing.T) {
	defer client.SetReplayMax(10)()
	srv := testserver.Start(t)
	ann, annUser := srv.SignUp(t, "ann.join@example.org", "Ann")
	bob, _ := srv.SignUp(t, "bob.join@example.org", "Bob")
	srv.Befriend(t, ann, bob)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	evs := ann.Updates(ctx)

	group, err := bob.CreateGroup(ctx, "Long", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if _, err := bob.Send(ctx, &client.SendParams{ChatID: group.ID, Text: fmt.Sprint("old ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bob.AddMembers(ctx, group.ID, []int64{annUser.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Send(ctx, &client.SendParams{ChatID: group.ID, Text: "welcome"}); err != nil {
		t.Fatal(err)
	}
	// Then a private chat, short: its first message comes as an event.
	if _, err := bob.Send(ctx, &client.SendParams{UserID: annUser.ID, Text: "psst"}); err != nil {
		t.Fatal(err)
	}

	// Each chat's events come in order; the two chats' relative order
	// is not promised (see TestHiddenHistoryJoinStartsAtJoin): the
	// private message may come before or after the group's reload.
	reloaded, welcomed, psst := false, false, false
	for ev := range evs {
		switch {
		case ev.ReloadChatID == group.ID:
			reloaded = true
		case ev.Chat != nil && ev.Chat.ChatID == group.ID && ev.Chat.Kind == "message.new":
			// After the reload: Ann's being added (a service message)
			// and "welcome"; never the 20 old messages.
			m := ev.Chat.Message
			if !reloaded || strings.HasPrefix(m.Text, "old ") {
				t.Fatalf("group message %q (reloaded first: %v): the old log was replayed", m.Text, reloaded)
			}
			welcomed = welcomed || m.Text == "welcome"
		case ev.Chat != nil && ev.Chat.Kind == "message.new" && ev.Chat.Message.Text == "psst":
			psst = true
		}
		if welcomed && psst {
			return
		}
	}
	t.Fatalf("the stream ended before the welcome (%v) and the private message (%v)", welcomed, psst)
}

// TestHiddenHistoryJoinStartsAtJoin: a member added to a group that
// hides its history is handed the group's events from their join on:
// the engine, catching the short log up from its start, gets none of
// the events before, and goes on to the next ones without asking again.
func TestHiddenHistoryJoinStartsAtJoin(t *testing.T) {
	srv := testserver.Start(t)
	ann, annUser := srv.SignUp(t, "ann.hidden@example.org", "Ann")
	bob, _ := srv.SignUp(t, "bob.hidden@example.org", "Bob")
	srv.Befriend(t, ann, bob)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	evs := ann.Updates(ctx)

	group, err := bob.CreateGroup(ctx, "Quiet", nil)
	if err != nil {
		t.Fatal(err)
	}
	hidden := true
	if _, err := bob.UpdateChat(ctx, client.ChatUpdate{ChatID: group.ID, HistoryHidden: &hidden}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := bob.Send(ctx, &client.SendParams{ChatID: group.ID, Text: fmt.Sprint("before ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	before, err := bob.Chat(ctx, group.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.AddMembers(ctx, group.ID, []int64{annUser.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Send(ctx, &client.SendParams{ChatID: group.ID, Text: "welcome"}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Send(ctx, &client.SendParams{UserID: annUser.ID, Text: "psst"}); err != nil {
		t.Fatal(err)
	}
	// The stream orders each chat's events, not two chats' events
	// relative to each other (the group's catch-up and the new private
	// chat's are read from the log side by side): the private message
	// may come before or after the welcome; both must come.
	welcomed, psst := false, false
	for ev := range evs {
		switch {
		case ev.ReloadChatID == group.ID:
			t.Fatal("a short log was reloaded instead of caught up")
		case ev.Chat != nil && ev.Chat.ChatID == group.ID:
			if ev.Chat.Seq <= before.Seq {
				t.Fatalf("Ann, added after seq %d, got event %d (%s)", before.Seq, ev.Chat.Seq, ev.Chat.Kind)
			}
			if m := ev.Chat.Message; m != nil && m.Text == "welcome" {
				welcomed = true
			}
		case ev.Chat != nil && ev.Chat.Message != nil && ev.Chat.Message.Text == "psst":
			psst = true
		}
		if welcomed && psst {
			return
		}
	}
	t.Fatalf("the stream ended before the welcome (%v) and the private message (%v)", welcomed, psst)
}
