package web_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"rsc.io/qr"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// qrDrawn reads the dark modules of the QR code the page drew in the
// SVG at sel (from its path, as a scanner would see them) and checks
// them against the QR code of payload.
func qrDrawn(t *testing.T, p *page, sel string, payload []byte) {
	t.Helper()
	p.wait("the QR code shows", `!!document.querySelector(`+js(sel+" path")+`)`)
	got := eval[[]string](p, `[...document.querySelector(`+js(sel+" path")+`).getAttribute('d').matchAll(/M(\d+) (\d+)/g)].map(m => m[1] + ' ' + m[2])`)
	c, err := qr.Encode(string(payload), qr.M)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if c.Black(x, y) {
				want = append(want, fmt.Sprintf("%d %d", x+4, y+4))
			}
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("the QR code drawn at %s has %d dark modules, not those of the payload (%d)", sel, len(got), len(want))
	}
}

// TestSecretFilesListSearchAndQR: the web app starts a secret chat from
// a person's profile; its safety number shows as a QR code of the same
// payload the SDK compares; a photo goes from the page to the SDK and
// a photo and a document from the SDK to the page, each encrypted under
// its own key (the page shows the photo decrypted, and decrypts the
// document); the secret chat is in the chat list with a lock and opens
// from there; search finds secret messages on the device; and the
// server's data holds none of the files' bytes.
func TestSecretFilesListSearchAndQR(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	ann, annC, annU := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	bobC, bobU := srv.SignUp(t, "bob@example.com", "Bob")
	srv.Befriend(t, annC, bobC)
	bob, err := client.CreateSecretDevice(ctx, bobC, filepath.Join(t.TempDir(), "bob.secret"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bobC.Send(ctx, &client.SendParams{UserID: annU.ID, Text: "hello in the cloud"}); err != nil {
		t.Fatal(err)
	}

	// From Bob's profile.
	ann.openChat("Bob")
	ann.click("#chat-head")
	ann.click("#start-secret")
	ann.wait("the secret chat opens", `!!document.querySelector('#secret-send:not([disabled])')`)

	// The safety number as a QR code: Ann's payload is her half then
	// Bob's, which Bob's SDK matches as the one scanned from her screen.
	sn, err := bob.SafetyNumber(ctx, annU.ID)
	if err != nil {
		t.Fatal(err)
	}
	bobs := sn.QR()
	anns := slices.Concat(bobs[:2], bobs[34:66], bobs[2:34])
	if ok, err := sn.MatchQR(anns); err != nil || !ok {
		t.Fatalf("Ann's expected payload does not match Bob's safety number: %v %v", ok, err)
	}
	ann.click("#secret-safety-qr-toggle")
	qrDrawn(t, ann, "#secret-safety-qr", anns)

	// A photo from the page to the SDK.
	photo := testPhoto(t, 64, 48)
	photoBytes, err := os.ReadFile(photo)
	if err != nil {
		t.Fatal(err)
	}
	ann.do("attaching a photo", chromedp.SetUploadFiles(chromedp.CSS("#secret-file"), []string{photo}))
	ann.wait("the page shows its own photo, decrypted", `[...document.querySelectorAll('#secret-messages .secret-msg.out img.secret-photo')].some(i => i.complete && i.naturalWidth === 64)`)
	got := sdkReceivesWhere(ctx, t, bob, "the photo", func(m *client.SecretMessage) bool { return m.File != nil })
	if got.File.Name != "sunset.png" || got.File.Size != int64(len(photoBytes)) {
		t.Fatalf("the SDK got file %q of %d bytes, want sunset.png of %d", got.File.Name, got.File.Size, len(photoBytes))
	}
	data, err := bob.OpenFile(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, photoBytes) {
		t.Fatal("the photo the SDK decrypted differs from the one the page sent")
	}

	// A photo and a document from the SDK to the page.
	bobPhoto, err := os.ReadFile(testPhoto(t, 80, 40))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SendFile(ctx, annU.ID, "harbour.png", bobPhoto, "the harbour", 0); err != nil {
		t.Fatal(err)
	}
	const doc = "the combination is 4-8-15-16-23-42, lighthouse door"
	dm, err := bob.SendFile(ctx, annU.ID, "plan.txt", []byte(doc), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	ann.wait("Bob's photo shows, decrypted in the page", `[...document.querySelectorAll('#secret-messages .secret-msg.in img.secret-photo')].some(i => i.complete && i.naturalWidth === 80)`)
	ann.wait("Bob's document shows", `[...document.querySelectorAll('#secret-messages .secret-msg.in .secret-file')].some(e => e.textContent.includes('plan.txt'))`)
	ann.wait("the page decrypts the document", fmt.Sprintf(`(havenSecret.openFile(%d, %d).then(b => window.__doc = new TextDecoder().decode(b)), window.__doc === %s)`, bobU.ID, dm.ID, js(doc)))

	// The chat list has the secret chat, with a lock and its last
	// message; it opens from there.
	const last = "see you at the lighthouse"
	ann.typeIn("#secret-input", last)
	ann.click("#secret-send")
	item := fmt.Sprintf(`.dialog-list .secret-item[data-secret="%d"]`, bobU.ID)
	ann.wait("the secret chat is in the chat list with its last message", `(() => { const e = document.querySelector(`+js(item)+`); return !!e && !!e.querySelector('.secret-lock') && e.textContent.includes(`+js(last)+`); })()`)
	ann.openChat("Bob") // the cloud chat, beside it in the list
	ann.wait("the cloud chat shows", `!document.querySelector('#secret-send') && document.querySelector('.chat').textContent.includes('hello in the cloud')`)
	ann.click(item)
	ann.wait("the secret chat opens from the list", `!!document.querySelector('#secret-send:not([disabled])') && document.querySelector('#secret-messages').textContent.includes(`+js(last)+`)`)

	// Search over secret chats, on the device: the server's search
	// cannot find it.
	ann.setField("#search", "lighthouse")
	ann.wait("search finds the secret message", `!!document.querySelector('.search-results [data-secret-found]')`)
	if n := eval[int](ann, `document.querySelectorAll('.search-results [data-secret-found]').length`); n != 1 {
		t.Fatalf("search found %d secret messages, want 1 (the text; the document's words are inside its ciphertext)", n)
	}
	ann.click(".search-results [data-secret-found]")
	ann.wait("a found secret message opens its chat", `!!document.querySelector('#secret-send:not([disabled])')`)
	srv.Stop()
	for _, s := range []string{doc, last, middle(photoBytes), middle(bobPhoto)} {
		if dataHolds(t, srv.DataDir, s) {
			t.Errorf("the server's data holds plaintext of the secret chat: %.40q", s)
		}
	}
	if !dataHolds(t, srv.DataDir, "hello in the cloud") {
		t.Fatal("the scan found not even the cloud message: it looks in the wrong place")
	}
}

// middle is 64 bytes from the middle of b: bytes of its own, where a
// file format's fixed header and trailer are not.
func middle(b []byte) string { return string(b[len(b)/2-32 : len(b)/2+32]) }

// TestSecretLinkDeviceInWeb: a person whose account has a secret-chat
// device already (the SDK's) opens a secret chat in the web app: the
// page does not replace the account's key (which would cut the other
// device off) but asks for it; a mistyped key is refused by name; the
// key typed in groups links the page as another device, and a message
// from the other person reaches both devices. The page then shows the
// account key to link a further device, as text and as a QR code of
// that text.
func TestSecretLinkDeviceInWeb(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	ann, annC, annU := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	bobC, bobU := srv.SignUp(t, "bob@example.com", "Bob")
	srv.Befriend(t, annC, bobC)
	dir := t.TempDir()
	phone, _, err := srv.SignIn(ctx, "ann@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	annPhone, err := client.CreateSecretDevice(ctx, phone, filepath.Join(dir, "ann-phone.secret"))
	if err != nil {
		t.Fatal(err)
	}
	bob, err := client.CreateSecretDevice(ctx, bobC, filepath.Join(dir, "bob.secret"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bobC.Send(ctx, &client.SendParams{UserID: annU.ID, Text: "hi"}); err != nil {
		t.Fatal(err)
	}

	ann.openChat("Bob")
	ann.click(`.chat-head [aria-label="More"]`)
	ann.clickText(".menu .menu-item", "Start secret chat")
	ann.wait("the page asks for the account key", `!!document.querySelector('#secret-link-key')`)
	before, err := annC.SecretDeviceList(ctx, annU.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Active) != 1 {
		t.Fatalf("Ann's devices before linking: %v, want the phone's alone", before.Active)
	}

	ann.setField("#secret-link-key", "not a key")
	ann.click("#secret-link-go")
	ann.wait("a mistyped key is refused", `/64 hexadecimal digits/.test((document.querySelector('#secret-link .secret-error') || {}).textContent || '')`)
	ann.setField("#secret-link-key", strings.ToUpper(annPhone.AccountKeyText()))
	ann.click("#secret-link-go")
	ann.wait("the page is linked", `!!document.querySelector('#secret-send:not([disabled])') && !document.querySelector('#secret-link')`)
	after, err := annC.SecretDeviceList(ctx, annU.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Active) != 2 || !slices.Contains(after.Active, annPhone.DeviceID()) {
		t.Fatalf("Ann's devices after linking: %v, want the phone's (%d) and the page's", after.Active, annPhone.DeviceID())
	}

	// Bob writes: the page and the phone both read it.
	const both = "to both of your devices"
	if _, err := bob.SendText(ctx, annU.ID, both, 0); err != nil {
		t.Fatal(err)
	}
	ann.wait("the page gets Bob's message", `[...document.querySelectorAll('#secret-messages .secret-msg.in .text')].some(e => e.textContent === `+js(both)+`)`)
	for got := false; !got; {
		evs, err := annPhone.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			got = got || e.Message != nil && e.Message.Text == both && e.Message.From == bobU.ID
		}
		if ctx.Err() != nil {
			t.Fatal("the phone never got Bob's message")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The account key, to link another device.
	ann.click("#secret-link-device")
	ann.wait("the account key shows", `!!document.querySelector('#secret-account-key')`)
	if got := eval[string](ann, `document.querySelector('#secret-account-key').textContent`); got != annPhone.AccountKeyText() {
		t.Fatalf("the page shows account key %q, the phone %q", got, annPhone.AccountKeyText())
	}
	qrDrawn(t, ann, "#secret-account-qr", []byte(annPhone.AccountKeyText()))
}
