package web_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenchat/haven/client"
)

// sdkReceives waits until sc has received a message of text (from the
// web app), and returns it.
func sdkReceives(ctx context.Context, t *testing.T, sc *client.SecretChats, text string) *client.SecretMessage {
	t.Helper()
	return sdkReceivesWhere(ctx, t, sc, fmt.Sprintf("%q", text), func(m *client.SecretMessage) bool { return m.Text == text })
}

// sdkReceivesWhere waits until sc has received a message that match
// accepts (what names it), and returns it; an envelope the SDK rejects
// fails the test.
func sdkReceivesWhere(ctx context.Context, t *testing.T, sc *client.SecretChats, what string, match func(*client.SecretMessage) bool) *client.SecretMessage {
	t.Helper()
	for {
		evs, err := sc.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Kind == "rejected" {
				t.Fatalf("the SDK rejected an envelope: %v", e.Err)
			}
			if e.Message != nil && match(e.Message) {
				return e.Message
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the SDK did not receive %s", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestSecretChatTimerAndIdentity: a message sent with a self-destruct
// timer, either way, disappears from the web app and from the SDK once
// the recipient read it and the timer ran out; when the person's
// account key changes (they made a new secret-chat device), the web app
// warns, refuses to send until the new key is accepted, and shows the
// new safety number.
func TestSecretChatTimerAndIdentity(t *testing.T) {
	sp := startSecretPair(t, "hi")
	ctx, ann, annU, bobC, bob := sp.ctx, sp.ann, sp.annU, sp.bobC, sp.bob
	ann.openChat("Bob")
	startSecretChat(ann)
	shows := func(text string) string {
		return `[...document.querySelectorAll('#secret-messages .secret-msg .text')].some(e => e.textContent === ` + js(text) + `)`
	}
	sdkHas := func(text string) bool {
		ms, err := bob.Messages(annU.ID)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(ms, func(m client.SecretMessage) bool { return m.Text == text })
	}
	waitGone := func(what string, gone func() bool) {
		t.Helper()
		for !gone() {
			select {
			case <-ctx.Done():
				t.Fatalf("%s did not disappear", what)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}

	// Web → SDK with a 5 s timer: the SDK reads it; 5 s later it is gone
	// on both sides.
	const vanish = "this note burns in five"
	ann.do("picking a 5 s timer", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#secret-ttl'); s.value = '5'; s.dispatchEvent(new Event('change', {bubbles: true})); })()`))
	ann.typeIn("#secret-input", vanish)
	ann.click("#secret-send")
	ann.wait("the timed message shows with its timer", `[...document.querySelectorAll('#secret-messages .secret-msg')].some(e => e.textContent.includes(`+js(vanish)+`) && e.querySelector('.secret-ttl'))`)
	m := sdkReceives(ctx, t, bob, vanish)
	if m.TTL != 5 {
		t.Fatalf("the SDK got a timer of %d s, want 5", m.TTL)
	}
	if err := bob.MarkRead(ctx, annU.ID); err != nil {
		t.Fatal(err)
	}
	ann.wait("the timed message disappears from the page after it was read", "!"+shows(vanish))
	waitGone("the SDK's copy", func() bool { return !sdkHas(vanish) })

	// SDK → web with a 5 s timer: the page reads it (the SDK hears so),
	// and it disappears from the page and the SDK.
	const vanish2 = "and this one too"
	if _, err := bob.SendText(ctx, annU.ID, vanish2, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	ann.wait("the SDK's timed message shows", shows(vanish2))
	sdkHears(ctx, t, bob, "read", "the SDK never heard that the page read its message")
	ann.wait("the SDK's timed message disappears from the page", "!"+shows(vanish2))
	waitGone("the SDK's timed message on the SDK", func() bool { return !sdkHas(vanish2) })

	// Bob's account key changes: a new device with a new key.
	bob2, err := client.CreateSecretDevice(ctx, bobC, filepath.Join(t.TempDir(), "bob2.secret"))
	if err != nil {
		t.Fatal(err)
	}
	const held = "are you still you?"
	ann.typeIn("#secret-input", held)
	ann.click("#secret-send")
	ann.wait("the page warns that Bob's key changed", `!!document.querySelector('#secret-identity')`)
	if v := eval[string](ann, `document.querySelector('#secret-input').value`); v != held {
		t.Fatalf("the refused text was not kept in the input: %q", v)
	}
	evs, err := bob2.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 0 {
		t.Fatalf("the new device got %d events before the key was accepted", len(evs))
	}
	ann.click("#secret-accept")
	ann.wait("the warning goes", `!document.querySelector('#secret-identity')`)
	want, err := bob2.SafetyNumber(ctx, annU.ID)
	if err != nil {
		t.Fatal(err)
	}
	ann.wait("the new safety number shows", `(document.querySelector('#secret-safety') || {}).textContent.replace(/\D/g, '') === `+js(want.Digits()))
	if got := regexp.MustCompile(`\D`).ReplaceAllString(eval[string](ann, `document.querySelector('#secret-safety').textContent`), ""); got != want.Digits() {
		t.Fatalf("safety number %s, want %s", got, want.Digits())
	}
	ann.click("#secret-send")
	sdkReceives(ctx, t, bob2, held)
}
