package core_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/havenchat/haven/internal/core"
)

// TestDialogMatchesItsChat: a dialog in the list is one snapshot of its
// chat: its unread count and top message are those of the chat's state
// in the same answer (its top_message_id and seq), never of messages
// sent after, even while messages arrive. A client counts the events
// after the chat's seq on top of the list's count (docs/api.md, "Staying
// in sync"): a message counted in the list and again from its event
// would show one unread message too many.
func TestDialogMatchesItsChat(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ann, bob := f.user(t, "+442079460001", "Ann"), f.user(t, "+442079460002", "Bob")
	meet(t, f.svc, ann, bob)
	first, err := f.svc.Send(ctx, ann, core.Peer{UserID: bob.UserID}, core.SendInput{Text: "hi", RandomID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Read(ctx, bob, first.ChatID, first.ID); err != nil {
		t.Fatal(err)
	}
	// Ann sends 300 notes (fewer than the count's cap) while Bob lists
	// his dialogs again and again.
	var done atomic.Bool
	sent := make(chan error, 1)
	go func() {
		defer close(sent)
		defer done.Store(true)
		for i := range 300 {
			if _, err := f.svc.Send(ctx, ann, core.Peer{ChatID: first.ChatID}, core.SendInput{Text: "note", RandomID: int64(i + 2)}); err != nil {
				sent <- err
				return
			}
		}
	}()
	defer func() {
		for err := range sent {
			t.Fatal(err)
		}
	}()
	for !done.Load() {
		ds, err := f.svc.Dialogs(ctx, bob)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Chat.ID != first.ChatID {
				continue
			}
			// Every message is Ann's, none hidden: the unread ones are
			// those after the read position up to the chat's newest.
			if want := int(d.Chat.TopMessageID - d.ReadInboxMaxID); d.UnreadCount != want {
				t.Fatalf("the dialog counts %d unread, its chat's newest message is %d and it is read up to %d: want %d", d.UnreadCount, d.Chat.TopMessageID, d.ReadInboxMaxID, want)
			}
			if d.TopMessage == nil || d.TopMessage.ID != d.Chat.TopMessageID {
				t.Fatalf("the dialog's top message is %+v, its chat's newest is %d", d.TopMessage, d.Chat.TopMessageID)
			}
		}
	}
}
