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

// TestLongHistoryWindow: a chat of 1,500 messages is read back to its
// first message and down again to the newest, and the app never draws
// more than a window of them (the pages left behind are dropped and come
// again when the person scrolls back); each page that comes or goes
// leaves the message the person looks at where it was.
func TestLongHistoryWindow(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	ann, annC, annU := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	bobC, _ := srv.SignUp(t, "bob@example.com", "Bob")
	srv.Befriend(t, annC, bobC)
	const n = 1500
	var chatID int64
	for i := range n {
		m, err := bobC.Send(ctx, &client.SendParams{UserID: annU.ID, Text: fmt.Sprintf("Line %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		chatID = m.ChatID
	}
	if err := annC.Call(ctx, "messages.read", map[string]any{"chat_id": chatID}, nil); err != nil {
		t.Fatal(err)
	}

	ann.openChat("Bob")
	ann.waitMessage(fmt.Sprintf("Line %d", n-1))
	const most = 300 + 50 // the window, and a page on its way out
	drawn := func() int { return eval[int](ann, `document.querySelectorAll('#messages .msg').length`) }
	// edge scrolls to one end of what is drawn and waits until the next
	// page is there, checking that the message that was at that end is
	// still in view (the page came without moving it) and that no more
	// than the window is drawn. It reports whether the end was the
	// chat's first (up) or newest message.
	edge := func(up bool) (string, bool) {
		t.Helper()
		before := eval[string](ann, `(() => { const t = [...document.querySelectorAll('#messages .msg .text')]; return `+map[bool]string{true: "t[0]", false: "t[t.length - 1]"}[up]+`.textContent.trim(); })()`)
		if up {
			ann.do("scrolling up", chromedp.Evaluate[chromedp.Void](`document.querySelector('#messages').scrollTop = 0`))
		} else {
			ann.do("scrolling down", chromedp.Evaluate[chromedp.Void](`(() => { const el = document.querySelector('#messages'); el.scrollTop = el.scrollHeight; })()`))
		}
		// The end reached shows the message that was at the edge; once
		// more is loaded, that message is still where the view is.
		last := fmt.Sprintf("Line %d", map[bool]int{true: 0, false: n - 1}[up])
		if before == last {
			return before, true
		}
		ann.wait("another page comes", fmt.Sprintf(`(() => { const t = [...document.querySelectorAll('#messages .msg .text')].map(e => e.textContent.trim()); return t.indexOf(%s) !== %s; })()`,
			js(before), map[bool]string{true: "0", false: "t.length - 1"}[up]))
		ann.wait("the view stays on the message it showed", fmt.Sprintf(`(() => { const el = document.querySelector('#messages'); const r = el.getBoundingClientRect();
			const m = [...el.querySelectorAll('.msg')].find(x => x.querySelector('.text')?.textContent.trim() === %s); if (!m) return false; const q = m.getBoundingClientRect(); return q.bottom > r.top - 2 && q.top < r.bottom + 2; })()`, js(before)))
		if d := drawn(); d > most {
			t.Fatalf("%d messages are drawn, more than the window of %d", d, most)
		}
		return before, false
	}
	for i := 0; ; i++ {
		if _, done := edge(true); done {
			break
		}
		if i > n/50+5 {
			t.Fatal("the first message never came")
		}
	}
	ann.wait("the first message shows", inViewExpr("Line 0"))
	for i := 0; ; i++ {
		if _, done := edge(false); done {
			break
		}
		if i > n/50+5 {
			t.Fatal("the newest message never came back")
		}
	}
	ann.wait("the newest message shows", inViewExpr(fmt.Sprintf("Line %d", n-1)))
	if d := drawn(); d > most {
		t.Fatalf("%d messages are drawn at the end, more than the window of %d", d, most)
	}
	// New messages still arrive at the bottom.
	if _, err := bobC.Send(ctx, &client.SendParams{UserID: annU.ID, Text: "And one more"}); err != nil {
		t.Fatal(err)
	}
	ann.wait("a new message shows at the bottom", inViewExpr("And one more"))
}
