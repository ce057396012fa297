package tui_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rsc.io/qr"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/ptytest"
)

const ctrlK, del = "\x0b", "\x1b[3~"

// qrOnScreen reads the QR code drawn with half blocks on screen (light
// modules as the blocks' ink, two rows of modules a line) and checks its
// modules against the QR code of payload with the app's quiet zone of 2.
func qrOnScreen(t *testing.T, screen, payload string) {
	t.Helper()
	c, err := qr.Encode(payload, qr.L)
	if err != nil {
		t.Fatal(err)
	}
	n := c.Size + 4
	var rows []string
	for _, l := range strings.Split(screen, "\n") {
		// The chat pane is right of the list.
		if i := strings.LastIndex(l, "│"); i >= 0 {
			l = l[i+len("│"):]
		}
		l = strings.TrimRight(l, " ")
		if strings.HasPrefix(l, "█") && len([]rune(l)) == n && strings.Trim(l, "█▀▄ ") == "" {
			rows = append(rows, l)
		}
	}
	if len(rows) != (n+1)/2 {
		t.Fatalf("found %d lines of a QR code %d modules wide, want %d:\n%s", len(rows), n, (n+1)/2, screen)
	}
	for r, l := range rows {
		for x, ch := range []rune(l) {
			for half, y := range []int{2 * r, 2*r + 1} {
				if y >= n {
					continue
				}
				light := ch == '█' || half == 0 && ch == '▀' || half == 1 && ch == '▄'
				mx, my := x-2, y-2
				dark := mx >= 0 && my >= 0 && mx < c.Size && my < c.Size && c.Black(mx, my)
				if light == dark {
					t.Fatalf("module (%d, %d) of the QR code on screen is wrong", x, y)
				}
			}
		}
	}
}

// TestSecretDeleteSearchAndQR: in the terminal app's secret chat, ↑
// picks a message and Del deletes it here and on the other person's
// device; Ctrl+F searches every secret chat on the device; Ctrl+S shows
// the safety number as a QR code of the payload the other side matches;
// Ctrl+K shows the account key grouped, and as a QR code of the text a
// new device takes back.
func TestSecretDeleteSearchAndQR(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	c := ctx(t)
	bobSC, err := client.CreateSecretDevice(c, bob, filepath.Join(t.TempDir(), "bob.json"))
	if err != nil {
		t.Fatal(err)
	}
	send(t, bob, client.SendParams{UserID: annU.ID, Text: "Let's talk in secret"})
	cfg := signedIn(t, srv, ann)
	a := startChat(t, cfg, 100, 44, t.TempDir())
	a.see("Bob", "Let's talk in secret")
	a.typ(ptytest.Enter)
	a.see("│  Let's talk in secret")
	a.typ(ctrlE)
	a.see("Secret chat with Bob", "No secret messages yet")

	a.typ("the first secret", ptytest.Enter)
	a.see("the first secret")
	a.typ("the second secret", ptytest.Enter)
	a.see("the second secret")
	var got []string
	waitFor(t, func() bool {
		got = append(got, receiveTexts(t, c, bobSC)...)
		return len(got) == 2
	}, "Bob's device receiving both")

	// Pick the older one and delete it: gone here and on Bob's device.
	a.typ(ptytest.Up)
	a.see("▶ You")
	a.typ(ptytest.Up, del)
	a.see("Deleted for both of you")
	a.seeNot("the first secret")
	waitFor(t, func() bool {
		if _, err := bobSC.Receive(c); err != nil {
			t.Fatal(err)
		}
		ms, err := bobSC.Messages(annU.ID)
		if err != nil {
			t.Fatal(err)
		}
		return !slices.ContainsFunc(ms, func(m client.SecretMessage) bool { return m.Text == "the first secret" }) &&
			slices.ContainsFunc(ms, func(m client.SecretMessage) bool { return m.Text == "the second secret" })
	}, "the deletion reaching Bob's device, and only the message picked")

	// Search, on the device.
	if _, err := bobSC.SendText(c, annU.ID, "a secret about the harbour", 0); err != nil {
		t.Fatal(err)
	}
	a.see("a secret about the harbour")
	a.typ(ptytest.CtrlF)
	a.see("Search secret chats (on this device only)")
	a.typ("HARBOUR", ptytest.Enter)
	a.see(`Secret messages with "HARBOUR", found on this device (1)`, "Bob: a secret about the harbour")

	// The safety number's QR code: Ann's half, then Bob's.
	sn, err := bobSC.SafetyNumber(c, annU.ID)
	if err != nil {
		t.Fatal(err)
	}
	bobs := sn.QR()
	anns := slices.Concat(bobs[:2], bobs[34:66], bobs[2:34])
	if ok, err := sn.MatchQR(anns); err != nil || !ok {
		t.Fatalf("Ann's expected payload does not match Bob's safety number: %v %v", ok, err)
	}
	a.typ(ctrlS)
	qrOnScreen(t, a.see("scan the code", strings.Fields(sn.Grouped())[0]), string(anns))

	// The account key, to link another device, as text and QR code.
	a.typ(ctrlK)
	screen := a.see("Your account key, to link another device")
	var key string
	for _, l := range strings.Split(screen, "\n") {
		if i := strings.LastIndex(l, "│"); i >= 0 {
			l = l[i+len("│"):]
		}
		if f := strings.Fields(l); len(f) == 4 && len(f[0]) == 8 && len(f[3]) == 8 {
			key = strings.TrimSpace(key + " " + strings.Join(f, " "))
		}
	}
	seed, err := client.ParseAccountKey(key)
	if err != nil {
		t.Fatalf("the account key on screen %q: %v", key, err)
	}
	qrOnScreen(t, screen, key)
	// It is the key of Ann's account: a device linked with it joins
	// her device list.
	laptop, _, err := srv.SignIn(c, "ann@example.org", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.LinkSecretDevice(c, laptop, filepath.Join(t.TempDir(), "laptop.json"), seed); err != nil {
		t.Fatalf("linking a device with the key shown: %v", err)
	}
}
