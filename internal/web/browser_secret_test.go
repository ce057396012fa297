package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// TestSecretChatWithSDK: a person in the web app starts a secret chat
// from the chat's menu with a person on the Go SDK (the terminal app's
// secret layer); text goes both ways, each side decrypting the other's
// envelopes; the page shows the safety number as digits, the same the
// SDK computes; the page keeps its keys across a reload and forgets them
// at sign-out; and the server's data directory (database, write-ahead
// log, files) holds none of the texts.
func TestSecretChatWithSDK(t *testing.T) {
	sp := startSecretPair(t, "Let's talk in secret")
	ctx, srv, ann, annC, annU, bobU, bob := sp.ctx, sp.srv, sp.ann, sp.annC, sp.annU, sp.bobU, sp.bob

	ann.openChat("Bob")
	ann.waitMessage("Let's talk in secret")
	if eval[bool](ann, `performance.getEntriesByType('resource').some(e => e.name.includes('.wasm'))`) {
		t.Fatal("the secret chats' WebAssembly was fetched before a secret chat was opened")
	}
	startSecretChat(ann)

	// The safety number: 60 digits, the same on both sides.
	ann.wait("the safety number shows", `/^[0-9 ]{60,}$/.test((document.querySelector('#secret-safety') || {}).textContent || '')`)
	want, err := bob.SafetyNumber(ctx, annU.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := regexp.MustCompile(`\D`).ReplaceAllString(eval[string](ann, `document.querySelector('#secret-safety').textContent`), "")
	if got != want.Digits() {
		t.Fatalf("the page's safety number %s, the SDK's %s", got, want.Digits())
	}

	// Web → SDK.
	const toBob = "meet at the lighthouse at nine"
	ann.typeIn("#secret-input", toBob)
	ann.click("#secret-send")
	ann.wait("the sent message shows", countExpr(toBob)+" >= 1")
	var texts []string
	for !slices.Contains(texts, toBob) {
		evs, err := bob.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Kind == "rejected" {
				t.Fatalf("the SDK rejected the web app's envelope: %v", e.Err)
			}
			if e.Message != nil {
				if e.Message.Chat != annU.ID || e.Message.From != annU.ID {
					t.Fatalf("a message of chat %d from %d, want %d's", e.Message.Chat, e.Message.From, annU.ID)
				}
				texts = append(texts, e.Message.Text)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the SDK received %q, not %q", texts, toBob)
		case <-time.After(100 * time.Millisecond):
		}
	}

	// SDK → web.
	const toAnn = "bring the blue umbrella"
	if _, err := bob.SendText(ctx, annU.ID, toAnn, 0); err != nil {
		t.Fatal(err)
	}
	ann.wait("Bob's secret message shows", `[...document.querySelectorAll('#secret-messages .secret-msg.in .text')].some(e => e.textContent === `+js(toAnn)+`)`)

	// The page kept its state (keys, sessions, messages) in IndexedDB
	// and reopens it after a reload: Bob's next message still opens.
	ann.do("reloading the page", chromedp.Reload())
	ann.waitOnline()
	ann.openChat("Bob")
	ann.click(`.chat-head [aria-label="More"]`)
	ann.clickText(".menu .menu-item", "Start secret chat")
	const again = "and the map"
	if _, err := bob.SendText(ctx, annU.ID, again, 0); err != nil {
		t.Fatal(err)
	}
	ann.wait("the messages are still there after a reload, and a new one opens",
		`(() => { const l = [...document.querySelectorAll('#secret-messages .secret-msg .text')].map(e => e.textContent); return [`+js(toBob)+`, `+js(toAnn)+`, `+js(again)+`].every(x => l.includes(x)); })()`)

	// A secret message cannot be forwarded (its menu has no such item,
	// and the layer refuses), and deleting one deletes it on Bob's side.
	ann.wait("forwarding is refused", `(havenSecret.forward(`+js(fmt.Sprint(bobU.ID))+` * 1, 1, 1).catch(e => window.__fwd = e.code), window.__fwd === 'FORWARD_REFUSED')`)
	ann.do("opening the menu of a secret message", chromedp.Evaluate[chromedp.Void](`(() => { const m = [...document.querySelectorAll('#secret-messages .secret-msg')].find(e => e.textContent.includes(`+js(again)+`)); const r = m.querySelector('.bubble').getBoundingClientRect(); m.dispatchEvent(new MouseEvent('contextmenu', {bubbles: true, clientX: r.left + 10, clientY: r.top + 10})); })()`))
	ann.wait("the menu shows", `!!document.querySelector('.menu .menu-item')`)
	if eval[bool](ann, `[...document.querySelectorAll('.menu .menu-item')].some(e => /forward/i.test(e.textContent))`) {
		t.Fatal("a secret message's menu offers to forward it")
	}
	ann.clickText(".menu .menu-item", "Delete for both")
	ann.wait("the deleted message leaves the page", `![...document.querySelectorAll('#secret-messages .secret-msg .text')].some(e => e.textContent === `+js(again)+`)`)
	sdkHears(ctx, t, bob, "deleted", "the deletion never reached the SDK")
	ms, err := bob.Messages(annU.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Text == again {
			t.Fatal("the message deleted in the web app is still on the SDK's side")
		}
	}

	// The session ends (signed out elsewhere): the page forgets the
	// device's keys and messages with everything else.
	secretDB := `(indexedDB.databases().then(l => window.__secretDB = l.some(d => d.name === 'haven-secret')), window.__secretDB)`
	ann.wait("the secret state is in IndexedDB", secretDB+" === true")
	if err := annC.LogOut(ctx); err != nil {
		t.Fatal(err)
	}
	ann.wait("the secret state is gone after sign-out", secretDB+" === false")

	// The server holds none of the texts, in any file of its data.
	srv.Stop()
	err = filepath.WalkDir(srv.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range []string{toBob, toAnn, again} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the secret text %q", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The scan can see: the cloud message is there in plain text.
	if !dataHolds(t, srv.DataDir, "Let's talk in secret") {
		t.Fatal("the scan found not even the cloud message: it looks in the wrong place")
	}
}

// secretPair is the start of a secret chat test: Ann signed in to the
// web app, Bob on the Go SDK with a secret-chat device, contacts, and a
// cloud message from Bob to Ann.
type secretPair struct {
	ctx        context.Context
	srv        *testserver.Server
	ann        *page
	annC, bobC *client.Client
	annU, bobU *client.User
	bob        *client.SecretChats
}

// startSecretPair starts the server and the browser and sets the pair
// up, Bob's cloud message saying hello. Its context ends in 4 minutes.
func startSecretPair(t *testing.T, hello string) *secretPair {
	t.Helper()
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	sp := &secretPair{ctx: ctx, srv: srv}
	sp.ann, sp.annC, sp.annU = b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	sp.bobC, sp.bobU = srv.SignUp(t, "bob@example.com", "Bob")
	srv.Befriend(t, sp.annC, sp.bobC)
	var err error
	if sp.bob, err = client.CreateSecretDevice(ctx, sp.bobC, filepath.Join(t.TempDir(), "bob.secret")); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.bobC.Send(ctx, &client.SendParams{UserID: sp.annU.ID, Text: hello}); err != nil {
		t.Fatal(err)
	}
	return sp
}

// startSecretChat starts a secret chat from the open chat's menu and
// waits until it can send.
func startSecretChat(p *page) {
	p.click(`.chat-head [aria-label="More"]`)
	p.clickText(".menu .menu-item", "Start secret chat")
	p.wait("the secret chat opens", `!!document.querySelector('#secret-send:not([disabled])')`)
}

// sdkHears waits until sc receives an event of kind, failing with
// failure when ctx ends first.
func sdkHears(ctx context.Context, t *testing.T, sc *client.SecretChats, kind, failure string) {
	t.Helper()
	for heard := false; !heard; {
		evs, err := sc.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			heard = heard || e.Kind == kind
		}
		select {
		case <-ctx.Done():
			t.Fatal(failure)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func dataHolds(t *testing.T, dir, s string) bool {
	found := false
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte(s)) {
				found = true
			}
		}
		return nil
	})
	return found
}
