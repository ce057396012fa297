package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// TestArchivedChats: a chat archived from its menu leaves the list for
// the "Archived chats" row (its unread messages counted there, not in
// the tab's title), opens from the archive (which stays open beside it
// on a desktop), and comes back to the list when unarchived; the server keeps the choice for every device.
func TestArchivedChats(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	ann, annC, annU := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	bobC, _ := srv.SignUp(t, "bob@example.com", "Bob")
	cidC, _ := srv.SignUp(t, "cid@example.com", "Cid")
	srv.Befriend(t, annC, bobC)
	srv.Befriend(t, annC, cidC)
	m, err := bobC.Send(ctx, &client.SendParams{UserID: annU.ID, Text: "Old news"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cidC.Send(ctx, &client.SendParams{UserID: annU.ID, Text: "Fresh news"}); err != nil {
		t.Fatal(err)
	}
	archived := func(want bool) {
		t.Helper()
		serverDialog(t, ctx, annC, m.ChatID, fmt.Sprintf("Bob's chat archived=%v", want), func(d client.Dialog) bool { return d.Archived == want })
	}
	inList := `[...document.querySelectorAll('.dialog-list .list-item .item-title')].map(e => e.textContent)`

	ann.wait("both chats are listed", `document.querySelectorAll('.dialog-list .list-item').length === 2`)
	ann.openChat("Bob")
	ann.click(`.chat-head [aria-label="More"]`)
	ann.clickText(".menu .menu-item", "Archive")
	archived(true)
	ann.wait("the list has the archive row and Cid", inList+`.join(',') === 'Archived chats,Cid'`)
	ann.click(".archived-row")
	ann.wait("the archive shows Bob's chat", `[...document.querySelectorAll('.dialog-list .list-item .item-title')].some(e => e.textContent === 'Bob')`)
	ann.openChat("Bob")
	// On a desktop the archive stays beside the chat opened from it.
	ann.wait("the archive is still open", `document.querySelector('.sidebar .panel-title')?.textContent === 'Archived chats' && !!document.querySelector('.dialog-list .list-item.active')`)
	ann.click(`.chat-head [aria-label="More"]`)
	ann.clickText(".menu .menu-item", "Unarchive")
	archived(false)
	ann.wait("Bob's chat is back in the list, no archive row", `!document.querySelector('.archived-row') && `+inList+`.includes('Bob')`)
}
