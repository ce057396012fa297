package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"

	"github.com/chromedp/chromedp"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// TestSelectMessages: "Select" in a message's menu starts picking
// messages; a click adds one or takes it out again; the bar says how
// many; Forward sends the picked ones, in their order, to another chat;
// Delete removes several at once for everyone; Escape ends the picking.
func TestSelectMessages(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	ann, annC, annU := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	bobC, bobU := srv.SignUp(t, "bob@example.com", "Bob")
	srv.Befriend(t, annC, bobC)
	var chatID int64
	for _, text := range []string{"one", "two", "three", "four"} {
		m, err := bobC.Send(ctx, &client.SendParams{UserID: annU.ID, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		chatID = m.ChatID
	}
	group, err := annC.CreateGroup(ctx, "Notes", []int64{bobU.ID})
	if err != nil {
		t.Fatal(err)
	}
	pick := func(text string) {
		t.Helper()
		ann.do("clicking "+text, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`[...document.querySelectorAll('.msg')].find(m => m.querySelector('.text')?.textContent.trim() === %s).querySelector('.bubble').click()`, js(text))))
	}
	open := func(title string) {
		t.Helper()
		ann.do("opening "+title, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`[...document.querySelectorAll('.dialog-list .list-item')].find(e => e.querySelector('.item-title')?.textContent === %s).click()`, js(title))))
		ann.wait("the chat "+title+" is open", fmt.Sprintf(`(document.querySelector('#chat-title')||{}).textContent === %s`, js(title)))
	}
	count := func(n string) {
		t.Helper()
		ann.wait("the bar says "+n, fmt.Sprintf(`(document.querySelector('#select-count')||{}).textContent === %s`, js(n)))
	}

	ann.wait("both chats are listed", `document.querySelectorAll('.dialog-list .list-item').length === 2`)
	open("Bob")
	ann.menuOn("one", "Select")
	count("1 message selected")
	pick("three")
	count("2 messages selected")
	pick("two")
	count("3 messages selected")
	pick("two")
	count("2 messages selected")
	ann.wait("the picked ones show it", `[...document.querySelectorAll('.msg.selected .text')].map(e => e.textContent.trim()).join(',') === 'one,three'`)
	ann.shot("desktop-select", false)
	ann.click("#select-forward")
	ann.clickText(".modal .list-item", "Notes")
	ann.wait("the group is open", `(document.querySelector('#chat-title')||{}).textContent === 'Notes'`)
	ann.wait("both arrive, in order", `[...document.querySelectorAll('.msg:not(.pending) .text')].map(e => e.textContent.trim()).join(',') === 'one,three'`)
	fwd, err := bobC.History(ctx, client.HistoryParams{ChatID: group.ID})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for i := len(fwd) - 1; i >= 0; i-- {
		if fwd[i].Forward != nil {
			texts = append(texts, fwd[i].Text)
		}
	}
	if fmt.Sprint(texts) != "[one three]" {
		t.Fatalf("the group has the forwarded messages %v, want [one three]", texts)
	}

	// Delete two at once, for everyone.
	open("Bob")
	ann.menuOn("two", "Select")
	count("1 message selected")
	pick("four")
	count("2 messages selected")
	ann.click("#select-delete")
	ann.click("#delete-everyone")
	ann.click("#delete-confirm")
	ann.wait("they are gone", `[...document.querySelectorAll('.msg .text')].map(e => e.textContent.trim()).join(',') === 'one,three'`)
	for end := time.Now().Add(step); ; time.Sleep(100 * time.Millisecond) {
		left, err := bobC.History(ctx, client.HistoryParams{ChatID: chatID})
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 2 && left[0].Text == "three" && left[1].Text == "one" {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("Bob still has %d messages", len(left))
		}
	}

	// Escape ends the picking.
	ann.menuOn("one", "Select")
	count("1 message selected")
	ann.do("Escape", chromedp.KeyEvent(kb.Escape))
	ann.wait("the header is back, the chat open", `!document.querySelector('#select-count') && (document.querySelector('#chat-title')||{}).textContent === 'Bob'`)
}
