package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// TestTimedMute: a chat is muted for 1 hour, 8 hours, 2 days or for
// ever, from the chat's menu or the switch in its info; the server keeps
// the time (every device of the person mutes it), the list marks the
// chat muted and the info says until when.
func TestTimedMute(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	ann, annC, annU := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	bobC, _ := srv.SignUp(t, "bob@example.com", "Bob")
	srv.Befriend(t, annC, bobC)
	m, err := bobC.Send(ctx, &client.SendParams{UserID: annU.ID, Text: "Are you busy?"})
	if err != nil {
		t.Fatal(err)
	}
	// mutedFor waits until the server keeps the chat muted until about
	// now + sec (or for ever, sec < 0; or not, 0).
	mutedFor := func(sec int64) {
		t.Helper()
		serverDialog(t, ctx, annC, m.ChatID, fmt.Sprintf("the chat muted until now (%d) + %d", time.Now().Unix(), sec), func(d client.Dialog) bool {
			got, now := d.MutedUntil, time.Now().Unix()
			return sec < 0 && got == 2147483647 || sec == 0 && got == 0 || sec > 0 && got >= now+sec-120 && got <= now+sec+5
		})
	}
	mutedMark := `[...document.querySelectorAll('.dialog-list .list-item')].some(e => e.textContent.includes('Bob') && e.querySelector('.muted-icon'))`

	ann.openChat("Bob")
	ann.click(`.chat-head [aria-label="More"]`)
	ann.clickText(".menu .menu-item", "Mute…")
	ann.clickText(".menu .menu-item", "For 8 hours")
	mutedFor(8 * 3600)
	ann.wait("the list marks the chat muted", mutedMark)
	ann.click("#chat-head")
	ann.wait("the info says until when", `/^Muted until /.test((document.querySelector('#muted-until')||{}).textContent)`)

	// The switch in the info unmutes, and asks for how long to mute.
	ann.click("#mute-switch")
	mutedFor(0)
	ann.wait("the list shows the chat unmuted", "!("+mutedMark+")")
	ann.click("#mute-switch")
	ann.clickText(".menu .menu-item", "For 1 hour")
	mutedFor(3600)
	ann.wait("the switch shows it muted", `!document.querySelector('#mute-switch').checked && !!document.querySelector('#muted-until')`)

	for _, c := range []struct {
		label string
		sec   int64
	}{{"For 2 days", 2 * 86400}, {"Forever", -1}} {
		ann.click(`.chat-head [aria-label="More"]`)
		ann.clickText(".menu .menu-item", "Unmute")
		mutedFor(0)
		ann.click(`.chat-head [aria-label="More"]`)
		ann.clickText(".menu .menu-item", "Mute…")
		ann.clickText(".menu .menu-item", c.label)
		mutedFor(c.sec)
	}
	ann.wait("for ever says only muted", `(document.querySelector('#muted-until')||{}).textContent === 'Muted'`)
}
