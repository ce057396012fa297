package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// inViewExpr is true when the message whose text is text is drawn
// within the visible part of the history.
func inViewExpr(text string) string {
	return fmt.Sprintf(`(() => { const m = [...document.querySelectorAll('.msg')].find(m => m.querySelector('.text')?.textContent.trim() === %s); if (!m) return false;
		const r = m.getBoundingClientRect(), b = document.querySelector('#messages').getBoundingClientRect(); return r.height > 0 && r.top >= b.top - 1 && r.bottom <= b.bottom + 1; })()`, js(text))
}

// TestSearchMessages: the search box finds messages in every chat
// (messages.searchGlobal), newest first with their chats' titles, and a
// result opens its chat at the message, however far back in the
// history; the search inside a chat counts the messages found and steps
// through them (Enter, Shift+Enter, the arrows), each shown at its place.
func TestSearchMessages(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	ann, annC, annU := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	bobC, bobU := srv.SignUp(t, "bob@example.com", "Bob")
	if _, err := bobC.UpdateProfile(ctx, client.ProfileParams{LastName: ptr("Stone")}); err != nil {
		t.Fatal(err)
	}
	cidC, _ := srv.SignUp(t, "cid@example.com", "Cid")
	srv.Befriend(t, annC, bobC)
	srv.Befriend(t, annC, cidC)
	srv.Befriend(t, bobC, cidC)

	send := func(c *client.Client, p client.SendParams) {
		t.Helper()
		if _, err := c.Send(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	// The first mention is far back: more than a page of history after
	// it.
	send(bobC, client.SendParams{UserID: annU.ID, Text: "The pineapple is ripe"})
	for i := range 120 {
		send(bobC, client.SendParams{UserID: annU.ID, Text: fmt.Sprintf("Filler %d", i)})
	}
	// The group is newer than Bob's chat, its message older than Bob's
	// last: by date (the order wanted) Bob's chat comes first, by chat
	// id the group would.
	group, err := cidC.CreateGroup(ctx, "Fruit fans", []int64{annU.ID, bobU.ID})
	if err != nil {
		t.Fatal(err)
	}
	send(cidC, client.SendParams{ChatID: group.ID, Text: "pineapple pizza tonight?"})
	time.Sleep(1100 * time.Millisecond) // dates are in seconds: Bob's last is a second newer
	send(bobC, client.SendParams{UserID: annU.ID, Text: "Pineapple again, sorry"})
	// The index follows the writes a moment later.
	for {
		r, err := annC.SearchEverywhere(ctx, client.SearchGlobalParams{Query: "pineapple"})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Messages) == 3 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the index has %d of the 3 messages", len(r.Messages))
		case <-time.After(100 * time.Millisecond):
		}
	}

	// Search everywhere: newest first, each with its chat.
	ann.wait("the group shows in the list", `[...document.querySelectorAll('.dialog-list .list-item')].some(e => e.textContent.includes('Fruit fans'))`)
	ann.typeIn("#search", "pineapple")
	ann.wait("three messages are found", `document.querySelectorAll('.search-results [data-found]').length === 3`)
	titles := eval[[]string](ann, `[...document.querySelectorAll('.search-results [data-found] .item-title')].map(e => e.textContent)`)
	if fmt.Sprint(titles) != "[Bob Stone Fruit fans Bob Stone]" {
		t.Fatalf("the results' chats are %v, want the newest first: [Bob Stone Fruit fans Bob Stone]", titles)
	}
	ann.shot("desktop-search", true)

	// The oldest opens Bob's chat at it, more than a page back.
	ann.do("opening the oldest result", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('.search-results [data-found]')].pop().click()`))
	ann.wait("Bob's chat is open", `(document.querySelector('#chat-title')||{}).textContent === 'Bob Stone'`)
	ann.wait("the old message is in view", inViewExpr("The pineapple is ripe"))
	ann.wait("the search is cleared", `document.querySelector('#search').value === ''`)

	// Search inside the chat.
	ann.click("#chat-search-btn")
	ann.typeIn("#chat-search-input", "pineapple")
	ann.wait("two found, at the newest", `document.querySelector('#chat-search-count').textContent === '1 of 2'`)
	ann.wait("the newest is in view", inViewExpr("Pineapple again, sorry"))
	ann.do("Enter goes to the older one", chromedp.SendKeys(chromedp.CSS("#chat-search-input"), "\r"))
	ann.wait("at the second", `document.querySelector('#chat-search-count').textContent === '2 of 2'`)
	ann.wait("the older one is in view", inViewExpr("The pineapple is ripe"))
	ann.click("#chat-search-newer")
	ann.wait("back at the first", `document.querySelector('#chat-search-count').textContent === '1 of 2'`)
	ann.wait("the newest is in view again", inViewExpr("Pineapple again, sorry"))
	ann.setField("#chat-search-input", "mango")
	ann.wait("nothing found", `document.querySelector('#chat-search-count').textContent === 'No results'`)
	ann.do("Escape closes the search", chromedp.SendKeys(chromedp.CSS("#chat-search-input"), "\x1b"))
	ann.wait("the search bar is gone, the chat still open", `!document.querySelector('.chat-search') && (document.querySelector('#chat-title')||{}).textContent === 'Bob Stone'`)
}

func ptr[T any](v T) *T { return &v }
