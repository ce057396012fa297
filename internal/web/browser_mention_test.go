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

// TestJumpToUnreadMentions: a group with a long unread history shows
// the mention badge in the list and, in the chat, an @ button that goes
// to each unread message that mentions the person in turn, oldest
// first, loading the history around it: an @username, then a reply to
// one of their messages far from what is loaded.
func TestJumpToUnreadMentions(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	ann, annC, _ := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	if _, err := annC.UpdateUsername(ctx, "ann_lee"); err != nil {
		t.Fatal(err)
	}
	// The app learns its person's profile when it connects.
	ann.do("reloading", chromedp.Reload())
	ann.waitOnline()
	bobC, bobU := srv.SignUp(t, "bob@example.com", "Bob")
	srv.Befriend(t, annC, bobC)
	group, err := annC.CreateGroup(ctx, "Crag team", []int64{bobU.ID})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := annC.Send(ctx, &client.SendParams{ChatID: group.ID, Text: "Rope or no rope?"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{20: "@ann_lee look at this route", 90: "Rope, obviously", 160: "@ann_lee and bring chalk"}
	for i := range 200 {
		p := client.SendParams{ChatID: group.ID, Text: fmt.Sprintf("Chatter %d", i)}
		if w, ok := want[i]; ok {
			p.Text = w
			if i == 90 {
				p.ReplyToID = mine.ID
			}
		}
		if _, err := bobC.Send(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}

	ann.wait("the list shows the mention badge", `[...document.querySelectorAll('.dialog-list .list-item')].some(e => e.textContent.includes('Crag team') && e.querySelector('.badge.mention'))`)
	ann.openChat("Crag team")
	ann.wait("the chat opens at the first unread message", `!!document.querySelector('.unread-mark') && !!document.querySelector('#mention-btn')`)
	for _, i := range []int{20, 90, 160} {
		ann.click("#mention-btn")
		ann.wait(fmt.Sprintf("the mention %q is in view", want[i]), inViewExpr(want[i]))
	}
	ann.wait("no mention is left to go to", `!document.querySelector('#mention-btn')`)
}
