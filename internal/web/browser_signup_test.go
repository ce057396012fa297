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

// codeStep goes through the first two sign-in steps on the page that is
// open: the address, then the code the server sent to it.
func (p *page) codeStep(srv *testserver.Server, email string) {
	p.t.Helper()
	p.typeIn("#signin-id", email)
	p.click(".signin button[type=submit]")
	p.do("the code step", chromedp.WaitVisible(chromedp.CSS("#signin-code")))
	p.typeIn("#signin-code", srv.Code(p.t, email)) // the last digit submits
}

// signupError submits the name step and waits for the error that says
// want.
func (p *page) signupError(want string) {
	p.t.Helper()
	p.click(".signin button[type=submit]")
	p.wait(fmt.Sprintf("the error %q shows", want), fmt.Sprintf(`(document.querySelector('.signin .form-error')||{}).textContent === %s`, js(want)))
}

// TestSignUpWithInvite: on a server that takes new people by invite, a
// sign-up invite link (/join/hvi-…) opens the sign-in with the code
// filled in; the app shows each refusal of the server in words (no
// code, a code no invite has, a revoked one, a used-up one) and lets the
// person try another code in the same attempt; a good one makes the
// account. A closed server says it takes nobody, and a chat invite link
// opened before signing in opens its chat once the person has signed up.
func TestSignUpWithInvite(t *testing.T) {
	srv := testserver.StartWith(t, testserver.Options{Args: []string{"--signup", "invite"}})
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	good := srv.InviteCode(t, 1)
	revoked := srv.InviteCode(t, 0)
	srv.RevokeInvite(t, revoked)
	usedUp := srv.InviteCode(t, 1)
	zed := client.New(srv.URL)
	sent, err := zed.SendCode(ctx, "zed@example.com", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zed.SignIn(ctx, sent.LoginToken, srv.Code(t, "zed@example.com")); err != nil {
		t.Fatal(err)
	}
	if _, err := zed.SignUpWithInvite(ctx, sent.LoginToken, "Zed", "", usedUp); err != nil {
		t.Fatal(err)
	}

	ann := b.open("Ann", false)
	ann.do("opening the invite link", chromedp.Navigate(srv.URL+"/join/"+good), chromedp.WaitVisible(chromedp.CSS("#signin-id")))
	ann.wait("the sign-in knows of the invite", `document.querySelector('.signin-sub').textContent.includes('You have an invite')`)
	ann.wait("the address bar forgets the code", `location.pathname === '/'`)
	ann.codeStep(srv, "ann@example.com")
	ann.do("the name step", chromedp.WaitVisible(chromedp.CSS("#signup-first")))
	ann.wait("the invite code is filled in", fmt.Sprintf(`(document.querySelector('#signup-invite')||{}).value === %s`, js(good)))
	ann.typeIn("#signup-first", "Ann")

	ann.do("emptying the code", chromedp.Evaluate[chromedp.Void](`(() => { const f = document.querySelector('#signup-invite'); f.value = ''; f.dispatchEvent(new Event('input', {bubbles: true})); })()`))
	ann.signupError("This server takes new people by invite only. Enter the invite code you were given.")
	ann.setField("#signup-invite", "hvi-aaaa-bbbb-cccc-dddd")
	ann.signupError("That invite code is not valid. Check it and try again.")
	ann.setField("#signup-invite", revoked)
	ann.signupError("That invite code has expired or was withdrawn. Ask for a new one.")
	ann.setField("#signup-invite", usedUp)
	ann.signupError("That invite code has already been used as many times as it allows. Ask for a new one.")
	ann.shot("desktop-signup-invite", false)
	ann.setField("#signup-invite", good)
	ann.click(".signin button[type=submit]")
	ann.waitOnline()
	if me := eval[string](ann, `document.querySelector('#main-menu') ? 'ok' : ''`); me != "ok" {
		t.Fatal("no chat list after the sign-up")
	}

	// Signed in, a sign-up invite link is for someone else.
	ann.do("opening a sign-up link signed in", chromedp.Navigate(srv.URL+"/join/"+usedUp))
	ann.waitOnline()
	ann.wait("the app says the link is for someone new", `!!document.querySelector('#signup-invite-signed-in')`)

	// A closed server takes nobody, and says so at the code.
	closed := testserver.StartWith(t, testserver.Options{Args: []string{"--signup", "closed"}})
	bob := b.open("Bob", false)
	bob.do("opening the closed server", chromedp.Navigate(closed.URL), chromedp.WaitVisible(chromedp.CSS("#signin-id")))
	bob.codeStep(closed, "bob@example.com")
	bob.wait("the refusal shows", `(document.querySelector('.signin .form-error')||{}).textContent === 'This server is not taking new accounts. Ask whoever runs it to make one for you.'`)
	bob.wait("back at the first step", `!!document.querySelector('#signin-id') && !document.querySelector('#signup-first')`)

	// A chat invite link opened before signing in opens its chat once
	// the new person is in.
	open := testserver.Start(t)
	owner, _ := open.SignUp(t, "owner@example.com", "Olga")
	group, err := owner.CreateGroup(ctx, "Book club", nil)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := owner.CreateInvite(ctx, group.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	cid := b.open("Cid", false)
	cid.do("opening the chat invite link", chromedp.Navigate(open.URL+"/join/"+inv.Hash), chromedp.WaitVisible(chromedp.CSS("#signin-id")))
	cid.codeStep(open, "cid@example.com")
	cid.do("the name step", chromedp.WaitVisible(chromedp.CSS("#signup-first")))
	cid.wait("no invite code is asked for", `!document.querySelector('#signup-invite')`)
	cid.typeIn("#signup-first", "Cid")
	cid.click(".signin button[type=submit]")
	cid.wait("the join dialog shows the group", `(document.querySelector('.join-card')||{}).textContent?.includes('Book club')`)
	cid.click("#join-confirm")
	cid.wait("the group is open", `(document.querySelector('#chat-title')||{}).textContent === 'Book club'`)
	members, err := owner.Members(ctx, group.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 {
		t.Fatalf("the group has %d members after Cid joined by the link", len(members))
	}
}
