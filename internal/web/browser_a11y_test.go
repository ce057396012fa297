package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// namedRoles are the roles a screen reader announces by name: each one
// on screen must have one.
var namedRoles = map[string]bool{
	"button": true, "textbox": true, "searchbox": true, "checkbox": true, "switch": true, "combobox": true,
	"link": true, "menuitem": true, "radio": true, "slider": true, "spinbutton": true, "tab": true, "listbox": true,
}

// unnamed lists the controls of the page (in Chromium's accessibility
// tree) that have no accessible name, as their HTML.
func (p *page) unnamed() []string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, step)
	defer cancel()
	tree, err := chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		p.fail("reading the accessibility tree", err)
	}
	str := func(v *accessibility.Value) string {
		if v == nil {
			return ""
		}
		var s string
		_ = json.Unmarshal(v.Value, &s)
		return strings.TrimSpace(s)
	}
	var bad []string
	for _, n := range tree.Nodes {
		if n.Ignored || !namedRoles[str(n.Role)] || str(n.Name) != "" {
			continue
		}
		html := fmt.Sprintf("a %s (node %d)", str(n.Role), n.BackendDOMNodeID)
		if r, err := chromedp.Call(ctx, dom.GetOuterHTML, dom.GetOuterHTMLParams{BackendNodeID: n.BackendDOMNodeID}); err == nil {
			html = r.OuterHTML
			if len(html) > 200 {
				html = html[:200] + "…"
			}
		}
		bad = append(bad, html)
	}
	return bad
}

// checkNamed fails the test when a control of the screen has no name.
func (p *page) checkNamed(screen string) {
	p.t.Helper()
	if bad := p.unnamed(); len(bad) > 0 {
		p.t.Errorf("%s: %d controls without an accessible name:\n%s", screen, len(bad), strings.Join(bad, "\n"))
	}
}

// TestAccessibleAndKeyboard: on every main screen (sign-in, the chat
// list, a chat with its message menu, the chat's info, a group's info
// and members, settings and their panels, the new chat and new group
// panels) every button, field, switch and menu item has a name in
// Chromium's accessibility tree; and the app works from the keyboard:
// Ctrl+K and Down reach the chat list, Up and Down move through it,
// Enter opens a chat with the focus in the composer, Up in the empty
// composer edits the last message, Escape leaves the edit and then the
// chat.
func TestAccessibleAndKeyboard(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	guest := b.open("Guest", false)
	guest.do("opening the app", chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("#signin-id")))
	guest.checkNamed("sign-in")

	ann, annC, annU := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	bobC, bobU := srv.SignUp(t, "bob@example.com", "Bob")
	cidC, _ := srv.SignUp(t, "cid@example.com", "Cid")
	srv.Befriend(t, annC, bobC)
	srv.Befriend(t, annC, cidC)
	if _, err := bobC.Send(ctx, &client.SendParams{UserID: annU.ID, Text: "Hello from Bob"}); err != nil {
		t.Fatal(err)
	}
	group, err := annC.CreateGroup(ctx, "Climbing", []int64{bobU.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cidC.Send(ctx, &client.SendParams{UserID: annU.ID, Text: "Hello from Cid"}); err != nil {
		t.Fatal(err)
	}
	if _, err := annC.Send(ctx, &client.SendParams{ChatID: group.ID, Text: "Who is in on Saturday?"}); err != nil {
		t.Fatal(err)
	}
	ann.wait("three chats are listed", `document.querySelectorAll('.dialog-list .list-item').length === 3`)
	ann.checkNamed("the chat list")

	// The keyboard: Ctrl+K, Down into the list, Down and Up through it.
	ann.do("Ctrl+K", chromedp.KeyEvent("k", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	ann.wait("the search box has the focus", `document.activeElement?.id === 'search'`)
	focused := `document.activeElement?.closest('.dialog-list .list-item')?.querySelector('.item-title')?.textContent`
	titles := eval[[]string](ann, `[...document.querySelectorAll('.dialog-list .list-item .item-title')].map(e => e.textContent)`)
	ann.do("Down", chromedp.KeyEvent(kb.ArrowDown))
	ann.wait("the first chat has the focus", focused+" === "+js(titles[0]))
	ann.do("Down", chromedp.KeyEvent(kb.ArrowDown))
	ann.wait("the second chat has the focus", focused+" === "+js(titles[1]))
	ann.do("Down", chromedp.KeyEvent(kb.ArrowDown))
	ann.do("Up", chromedp.KeyEvent(kb.ArrowUp))
	ann.wait("back at the second chat", focused+" === "+js(titles[1]))

	// Enter opens it, with the focus in the composer.
	ann.do("Enter", chromedp.KeyEvent(kb.Enter))
	ann.wait("the chat is open", fmt.Sprintf(`(document.querySelector('#chat-title')||{}).textContent === %s`, js(titles[1])))
	ann.wait("the composer has the focus", `document.activeElement?.id === 'composer-input'`)

	// Open the group by keyboard too, and edit the last message with Up.
	ann.openChat("Climbing")
	ann.click("#composer-input")
	ann.do("Up", chromedp.KeyEvent(kb.ArrowUp))
	ann.wait("Up edits the last message", `document.querySelector('#composer-input').value === 'Who is in on Saturday?' && !!document.querySelector('.compose-context')`)
	ann.checkNamed("a chat, editing")
	ann.do("Escape", chromedp.KeyEvent(kb.Escape))
	ann.wait("Escape leaves the edit", `document.querySelector('#composer-input').value === '' && !document.querySelector('.compose-context')`)

	// The message menu, the chat's info and members.
	ann.do("opening the message menu", chromedp.Evaluate[chromedp.Void](`(() => { const b = [...document.querySelectorAll('.msg .bubble')].pop(); const r = b.getBoundingClientRect(); b.dispatchEvent(new MouseEvent('contextmenu', {bubbles: true, clientX: r.left + 10, clientY: r.top + 10})); })()`))
	// Placed (it is drawn hidden until measured): it listens for keys.
	ann.wait("the menu is open", `!!document.querySelector('.menu [role=menuitem]') && document.querySelector('.menu').style.visibility !== 'hidden'`)
	ann.checkNamed("the message menu")
	ann.do("Escape", chromedp.KeyEvent(kb.Escape))
	ann.wait("the menu is closed", `!document.querySelector('.menu')`)
	ann.click("#chat-head")
	ann.wait("the group's info shows", `!!document.querySelector('.info')`)
	ann.checkNamed("a group's info")
	ann.do("Escape", chromedp.KeyEvent(kb.Escape))
	ann.wait("Escape closes the info", `!document.querySelector('.info')`)
	ann.do("focus the history", chromedp.Evaluate[chromedp.Void](`document.querySelector('#messages').focus()`))
	ann.do("Escape", chromedp.KeyEvent(kb.Escape))
	ann.wait("Escape closes the chat", `!document.querySelector('#chat-title')`)

	// The panels of the left column.
	ann.click("#new-chat")
	ann.wait("the new chat panel", `!!document.querySelector('#people-search')`)
	ann.checkNamed("new chat")
	ann.click(".sidebar .panel-head .icon-btn")
	ann.click("#main-menu")
	ann.checkNamed("the main menu")
	ann.clickText(".menu-item", "New group")
	ann.wait("the new group panel", `!!document.querySelector('.sidebar .panel-head')`)
	ann.checkNamed("new group")
	ann.click(".sidebar .panel-head .icon-btn")
	ann.click("#main-menu")
	ann.clickText(".menu-item", "Settings")
	ann.wait("settings", `!!document.querySelector('#settings-profile')`)
	ann.checkNamed("settings")
	for _, id := range []string{"#settings-profile", "#settings-notifications", "#settings-privacy", "#settings-sessions", "#settings-appearance"} {
		ann.click(id)
		ann.wait("the panel "+id, `!document.querySelector('#settings-profile')`)
		ann.checkNamed("settings " + id)
		ann.click(".sidebar .panel-head .icon-btn")
		ann.wait("back in settings", `!!document.querySelector('#settings-profile')`)
	}
}
