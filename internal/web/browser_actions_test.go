package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// TestMessageActions goes through the message menu and the history:
// reply (and jump to the replied message), react, edit, pin, delete for
// everyone, forward; a long unread history opened at the first unread
// message and paged forward; and an invite link shown as a full URL that
// opens the app on its group.
func TestMessageActions(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	ann, annC, _ := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	bob, bobC, bobU := b.signedIn("Bob", "bob@example.com", "Bob", "Stone")
	if err := testserver.Befriend(ctx, annC, bobC); err != nil {
		t.Fatal(err)
	}
	first, err := annC.Send(ctx, &client.SendParams{UserID: bobU.ID, Text: "Dinner at eight?"})
	if err != nil {
		t.Fatal(err)
	}
	chatID := first.ChatID
	ann.openChat("Bob Stone")
	bob.openChat("Ann Lee")

	// Reply, and jump from the reply to what it answers.
	bob.menuOn("Dinner at eight?", "Reply")
	bob.wait("the reply bar shows", `!!document.querySelector('.compose-context')`)
	bob.send("Eight is perfect")
	ann.wait("the reply quotes the message", `[...document.querySelectorAll('.msg')].some(m => m.textContent.includes('Eight is perfect') && m.querySelector('.reply-quote')?.textContent.includes('Dinner at eight?'))`)
	ann.do("jumping to the replied message", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('.msg .reply-quote')].pop().click()`))
	ann.wait("the replied message flashes", `!!document.querySelector('.msg.flash')`)

	// React: Ann sees Bob's reaction.
	bob.menuOn("Dinner at eight?", "react:👍")
	ann.wait("the reaction shows", `[...document.querySelectorAll('.reaction')].some(r => r.textContent.includes('👍') && r.textContent.includes('1'))`)

	// Edit: Bob sees the new text, marked edited.
	ann.menuOn("Dinner at eight?", "Edit")
	ann.wait("the composer holds the text", `document.querySelector('#composer-input').value === 'Dinner at eight?'`)
	ann.setField("#composer-input", "Dinner at half past eight?")
	ann.click("#send-btn")
	bob.wait("the edit shows", `[...document.querySelectorAll('.msg')].some(m => m.querySelector('.text')?.textContent.trim() === 'Dinner at half past eight?' && m.querySelector('.edited'))`)

	// Pin: both see the pinned bar.
	ann.menuOn("Dinner at half past eight?", "Pin")
	for _, p := range []*page{ann, bob} {
		p.wait("the pinned bar shows", `(document.querySelector('#pinned-bar')||{}).textContent?.includes('Dinner at half past eight?')`)
	}

	bob.shot("desktop-message-actions", true)

	// An album of three photos, and a file with its size.
	photos := []string{testPhoto(t, 400, 300), testPhoto(t, 300, 400), testPhoto(t, 500, 500)}
	ann.do("attaching photos", chromedp.SetUploadFiles(chromedp.CSS("#attach-input"), photos))
	ann.click("#attach-send")
	bob.wait("the album shows as a grid of three", `[...document.querySelectorAll('.msg .album')].some(a => a.querySelectorAll('img.full').length === 3 && [...a.querySelectorAll('img.full')].every(i => i.complete && i.naturalWidth > 0))`)
	notes := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notes, []byte(strings.Repeat("packing list\n", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	ann.do("attaching a file", chromedp.SetUploadFiles(chromedp.CSS("#attach-input"), []string{notes}))
	ann.click("#attach-send")
	bob.wait("the file shows with its name and size", `[...document.querySelectorAll('.msg .file-row')].some(f => f.textContent.includes('notes.txt') && f.textContent.includes('3.8 KB') && f.querySelector('a.file-icon[href*="/files/"]'))`)

	// Delete for everyone.
	if _, err := annC.Send(ctx, &client.SendParams{ChatID: chatID, Text: "Oops, wrong chat"}); err != nil {
		t.Fatal(err)
	}
	bob.waitMessage("Oops, wrong chat")
	ann.menuOn("Oops, wrong chat", "Delete")
	ann.click("#delete-everyone")
	ann.click("#delete-confirm")
	bob.wait("the message is gone", countExpr("Oops, wrong chat")+" === 0")

	// Forward to a group: Ann sees where it came from.
	group, err := annC.CreateGroup(ctx, "Dinner club", []int64{bobU.ID})
	if err != nil {
		t.Fatal(err)
	}
	bob.wait("the group is in the list", `[...document.querySelectorAll('.dialog-list .list-item')].some(e => e.textContent.includes('Dinner club'))`)
	bob.menuOn("Eight is perfect", "Forward")
	bob.clickText(".modal .list-item", "Dinner club")
	ann.openChat("Dinner club")
	ann.wait("the forward shows its origin", `[...document.querySelectorAll('.msg')].some(m => m.textContent.includes('Eight is perfect') && m.querySelector('.fwd')?.textContent.includes('Bob Stone'))`)

	// A long unread history in a chat Bob has not opened yet: it opens at
	// the first unread message, and scrolling down reads the notes and
	// pages in the newer ones.
	cidC, _, err := srv.SignIn(ctx, "cid@example.com", "Cid")
	if err != nil {
		t.Fatal(err)
	}
	if err := testserver.Befriend(ctx, cidC, bobC); err != nil {
		t.Fatal(err)
	}
	hi, err := cidC.Send(ctx, &client.SendParams{UserID: bobU.ID, Text: "Hi Bob, Cid here"})
	if err != nil {
		t.Fatal(err)
	}
	if err := bobC.Read(ctx, hi.ChatID, hi.ID); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 90; i++ {
		if _, err := cidC.Send(ctx, &client.SendParams{ChatID: hi.ChatID, Text: fmt.Sprintf("Note %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	bob.wait("Bob's list counts the notes", `[...document.querySelectorAll('.dialog-list .list-item')].some(e => e.textContent.includes('Cid') && e.querySelector('.badge')?.textContent === '90')`)
	bob.openChat("Cid")
	bob.wait("the chat opens at the first unread", `(() => { const m = document.querySelector('.unread-mark'); if (!m) return false; const r = m.getBoundingClientRect(), box = document.querySelector('#messages').getBoundingClientRect(); return r.top >= box.top - 2 && r.top < box.bottom; })()`)
	bob.wait("the first unread is under the mark", `document.querySelector('.unread-mark').nextElementSibling?.textContent.includes('Note 1')`)
	if n := eval[int](bob, countExpr("Note 90")); n != 0 {
		t.Fatalf("the newest note is loaded already (%d): the chat did not open at the first unread", n)
	}
	inView := `(() => { const e = [...document.querySelectorAll('.msg .text')].find(e => e.textContent.trim() === 'Note 90'); if (!e) return false; const r = e.getBoundingClientRect(), box = document.querySelector('#messages').getBoundingClientRect(); return r.bottom <= box.bottom + 2 && r.top >= box.top; })()`
	for i := 0; i < 60 && !eval[bool](bob, inView); i++ {
		bob.do("scrolling down", chromedp.Evaluate[chromedp.Void](`document.querySelector('#messages').scrollBy(0, 500)`))
		time.Sleep(150 * time.Millisecond)
	}
	bob.wait("the newest note is in view", inView)
	bob.wait("all read", `!document.querySelector('[data-chat="`+fmt.Sprint(hi.ChatID)+`"] .badge')`)
	if n := eval[int](bob, `[...document.querySelectorAll('.msg .text')].filter(e => /^Note \d+$/.test(e.textContent.trim())).length`); n != 90 {
		t.Fatalf("Bob's history shows %d of the 90 notes", n)
	}

	// A public channel: Bob finds it by its name, reads it as a visitor
	// (his view counts), joins, and as a subscriber may not post.
	channel, err := annC.CreateChannel(ctx, "Dinner news", "What we eat", "dinner_news")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := annC.Send(ctx, &client.SendParams{ChatID: channel.ID, Text: "Tonight: soup"}); err != nil {
		t.Fatal(err)
	}
	bob.typeIn("#search", "dinner_news")
	bob.clickText(".search-results .list-item", "Dinner news")
	bob.waitMessage("Tonight: soup")
	bob.wait("the post shows its views", `[...document.querySelectorAll('.msg')].some(m => m.textContent.includes('Tonight: soup') && m.querySelector('.views')?.textContent.trim() === '1')`)
	bob.click("#join-chat")
	bob.wait("a subscriber gets no composer", `!document.querySelector('#join-chat') && !document.querySelector('#composer-input') && [...document.querySelectorAll('.join-bar button')].some(b => b.textContent.includes('Mute'))`)

	// Invite links are full URLs, and one opens the app on its group.
	ann.openChat("Dinner club")
	ann.click("#chat-head")
	ann.click("#create-invite")
	ann.wait("the link shows as a URL", fmt.Sprintf(`[...document.querySelectorAll('.invite-url')].some(e => e.textContent.startsWith(%s))`, js(srv.URL+"/join/")))
	link := eval[string](ann, `document.querySelector('.invite-url').textContent`)
	cid, _, _ := b.signedIn("Cid", "cid@example.com", "Cid", "")
	cid.do("opening the invite link", chromedp.Navigate(link))
	cid.wait("the join dialog shows the group", `(document.querySelector('.join-card')||{}).textContent?.includes('Dinner club')`)
	cid.click("#join-confirm")
	cid.wait("the group is open", `(document.querySelector('#chat-title')||{}).textContent === 'Dinner club'`)
	if !strings.HasPrefix(link, srv.URL+"/join/") {
		t.Fatalf("the invite link is %q", link)
	}
	members, err := bobC.Members(ctx, group.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 3 {
		t.Fatalf("the group has %d members after Cid joined by the link", len(members))
	}
}
