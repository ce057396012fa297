package secret_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/client/secret"
	"github.com/havenchat/haven/e2ee"
	"github.com/havenchat/haven/internal/testserver"
)

// secretCast is two people with two devices each, every device a
// signed-in session with secret-chat keys in its own state file.
type secretCast struct {
	srv        *testserver.Server
	dir        string
	ann, bob   int64
	a1, a2     *client.SecretChats
	b1, b2     *client.SecretChats
	annC, bobC []*client.Client
}

func newSecretCast(t *testing.T, ctx context.Context) *secretCast {
	t.Helper()
	srv := testserver.Start(t)
	sc := &secretCast{srv: srv, dir: t.TempDir()}
	ann1, annU := srv.SignUp(t, "ann@example.org", "Ann")
	bob1, bobU := srv.SignUp(t, "bob@example.org", "Bob")
	ann2, _, err := srv.SignIn(ctx, "ann@example.org", "")
	if err != nil {
		t.Fatal(err)
	}
	bob2, _, err := srv.SignIn(ctx, "bob@example.org", "")
	if err != nil {
		t.Fatal(err)
	}
	srv.Befriend(t, ann1, bob1)
	sc.ann, sc.bob = annU.ID, bobU.ID
	sc.annC, sc.bobC = []*client.Client{ann1, ann2}, []*client.Client{bob1, bob2}
	if sc.a1, err = client.CreateSecretDevice(ctx, ann1, sc.path("a1")); err != nil {
		t.Fatal(err)
	}
	if sc.a2, err = client.LinkSecretDevice(ctx, ann2, sc.path("a2"), sc.a1.AccountSeed()); err != nil {
		t.Fatal(err)
	}
	if sc.b1, err = client.CreateSecretDevice(ctx, bob1, sc.path("b1")); err != nil {
		t.Fatal(err)
	}
	if sc.b2, err = client.LinkSecretDevice(ctx, bob2, sc.path("b2"), sc.b1.AccountSeed()); err != nil {
		t.Fatal(err)
	}
	return sc
}

func (sc *secretCast) path(name string) string { return filepath.Join(sc.dir, "state", name+".json") }

// receive has d fetch what waits for it and returns the events.
func receive(t *testing.T, ctx context.Context, d *client.SecretChats) []client.SecretEvent {
	t.Helper()
	evs, err := d.Receive(ctx)
	if err != nil {
		t.Fatalf("Receive on device %d: %v", d.DeviceID(), err)
	}
	return evs
}

// wantMessage checks that d receives exactly one new message with text
// in the chat with chat, and returns it.
func wantMessage(t *testing.T, ctx context.Context, d *client.SecretChats, chat int64, text string, out bool) client.SecretMessage {
	t.Helper()
	evs := receive(t, ctx, d)
	if len(evs) != 1 || evs[0].Kind != "message" || evs[0].Chat != chat || evs[0].Message.Text != text || evs[0].Message.Out != out {
		t.Fatalf("device %d of %d received %+v, want the message %q in the chat with %d", d.DeviceID(), d.UserID(), evs, text, chat)
	}
	return *evs[0].Message
}

func texts(t *testing.T, d *client.SecretChats, chat int64) []string {
	t.Helper()
	ms, err := d.Messages(chat)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

// TestSecretChat: two people with two devices each hold a secret chat
// through a real server: every device gets every message (its own
// person's other device too), files open on every device, safety numbers
// agree, a device linked later gets only what is sent after, a replayed
// envelope is refused, a read message self-destructs everywhere, a
// deletion reaches both sides, a changed identity stops sends until
// accepted, forwarding is refused, the keys are in files of mode 0600,
// and the server's data directory holds no plaintext.
func TestSecretChat(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sc := newSecretCast(t, ctx)
	all := []*client.SecretChats{sc.a1, sc.a2, sc.b1, sc.b2}

	for _, name := range []string{"a1", "a2", "b1", "b2"} {
		fi, err := os.Stat(sc.path(name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("state file %s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}

	// Ann writes from her first device: Bob's two devices and her other
	// one get it.
	plain := []string{"Hello Bob, only we can read this", "Hi Ann, same here", "the caption of a secret file",
		"a message for the future", "this message self-destructs", "a message Bob deletes"}
	if _, err := sc.a1.SendText(ctx, sc.bob, plain[0], 0); err != nil {
		t.Fatal(err)
	}
	wantMessage(t, ctx, sc.b1, sc.ann, plain[0], false)
	wantMessage(t, ctx, sc.b2, sc.ann, plain[0], false)
	wantMessage(t, ctx, sc.a2, sc.bob, plain[0], true)
	if evs := receive(t, ctx, sc.a1); len(evs) != 0 {
		t.Fatalf("the sending device received %+v", evs)
	}

	// Bob's second device restarts: its keys and sessions come back from
	// its state file, and it answers from there.
	b2, err := client.OpenSecretChats(sc.bobC[1], sc.path("b2"))
	if err != nil {
		t.Fatal(err)
	}
	if b2.DeviceID() != sc.b2.DeviceID() || !slices.Equal(texts(t, b2, sc.ann), []string{plain[0]}) {
		t.Fatalf("the reopened device %d has %q", b2.DeviceID(), texts(t, b2, sc.ann))
	}
	sc.b2 = b2
	all[3] = b2
	if _, err := client.OpenSecretChats(sc.bobC[1], sc.path("none")); err == nil {
		t.Fatal("opened a state file that does not exist")
	}

	// Bob answers from his second device.
	if _, err := sc.b2.SendText(ctx, sc.ann, plain[1], 0); err != nil {
		t.Fatal(err)
	}
	wantMessage(t, ctx, sc.a1, sc.bob, plain[1], false)
	wantMessage(t, ctx, sc.a2, sc.bob, plain[1], false)
	wantMessage(t, ctx, sc.b1, sc.ann, plain[1], true)

	// A file from Ann's second device opens on every device.
	file := bytes.Repeat([]byte("secret file body, "), 10_000) // 180 KB: three chunks
	plain = append(plain, "secret file body")
	if _, err := sc.a2.SendFile(ctx, sc.bob, "notes.txt", file, plain[2], 0); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*client.SecretChats{sc.a1, sc.b1, sc.b2} {
		chat := sc.bob
		if d.UserID() == sc.bob {
			chat = sc.ann
		}
		m := wantMessage(t, ctx, d, chat, plain[2], d.UserID() == sc.ann)
		if m.File == nil || m.File.Name != "notes.txt" || m.File.Size != int64(len(file)) {
			t.Fatalf("the file message: %+v", m.File)
		}
		got, err := d.OpenFile(ctx, &m)
		if err != nil || !bytes.Equal(got, file) {
			t.Fatalf("device %d opened the file: %d bytes, %v", d.DeviceID(), len(got), err)
		}
		m.File.Key[0] ^= 1
		if _, err := d.OpenFile(ctx, &m); err == nil {
			t.Fatal("a file opened with a wrong key")
		}
	}

	// Search runs on the device: Bob's first device finds the file by
	// its name and Ann's words by one of them, in any case.
	found, err := sc.b1.Search("NOTES")
	if err != nil || len(found) != 1 || found[0].File == nil || found[0].File.Name != "notes.txt" {
		t.Fatalf("searching a file name: %+v, %v", found, err)
	}
	if found, _ = sc.b1.Search("only we can"); len(found) != 1 || found[0].Text != plain[0] {
		t.Fatalf("searching text: %+v", found)
	}
	if found, _ = sc.b1.Search("nowhere to be found"); len(found) != 0 {
		t.Fatalf("searching what nobody wrote: %+v", found)
	}

	// Safety numbers: the same 60 digits on all four devices.
	var digits []string
	for _, d := range all {
		other := sc.bob
		if d.UserID() == sc.bob {
			other = sc.ann
		}
		sn, err := d.SafetyNumber(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		digits = append(digits, sn.Digits())
	}
	if len(digits[0]) != 60 || strings.Trim(digits[0], "0123456789") != "" || slices.Compact(slices.Clone(digits))[0] != digits[0] || len(slices.Compact(slices.Clone(digits))) != 1 {
		t.Fatalf("safety numbers differ or are not 60 digits: %q", digits)
	}

	// A third device of Bob's, linked now, gets none of the past; Ann's
	// devices are warned that Bob's devices changed, and it gets what
	// comes next.
	bob3, _, err := sc.srv.SignIn(ctx, "bob@example.org", "")
	if err != nil {
		t.Fatal(err)
	}
	b3, err := client.LinkSecretDevice(ctx, bob3, sc.path("b3"), sc.b1.AccountSeed())
	if err != nil {
		t.Fatal(err)
	}
	if evs := receive(t, ctx, b3); len(evs) != 0 {
		t.Fatalf("a new device received the past: %+v", evs)
	}
	if _, err := sc.a1.SendText(ctx, sc.bob, plain[3], 0); err != nil {
		t.Fatal(err)
	}
	ws, err := sc.a1.Warnings()
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].Kind != client.WarningDevicesChanged || ws[0].User != sc.bob || !slices.Equal(ws[0].Added, []uint32{b3.DeviceID()}) {
		t.Fatalf("Ann's warnings after Bob added a device: %+v", ws)
	}
	if ms := texts(t, b3, sc.ann); len(ms) != 0 {
		t.Fatalf("the new device has past messages: %q", ms)
	}
	wantMessage(t, ctx, b3, sc.ann, plain[3], false)
	for _, d := range []*client.SecretChats{sc.a2, sc.b1} {
		receive(t, ctx, d)
	}

	// A replayed envelope is refused: Ann's client sends Bob's first
	// device, again, the body of a message it already read.
	if _, err := sc.a1.SendText(ctx, sc.bob, "read twice?", 0); err != nil {
		t.Fatal(err)
	}
	plain = append(plain, "read twice?")
	in, err := sc.bobC[0].FetchSecretEnvelopes(ctx, 0, 10)
	if err != nil || len(in.Envelopes) != 1 {
		t.Fatalf("Bob's queue: %+v, %v", in, err)
	}
	env, err := e2ee.ParseEnvelope(in.Envelopes[0].Envelope)
	if err != nil {
		t.Fatal(err)
	}
	wantMessage(t, ctx, sc.b1, sc.ann, "read twice?", false)
	if _, err := sc.annC[0].SendSecretEnvelopes(ctx, []client.SecretEnvelopeOut{{UserID: sc.bob, DeviceID: sc.b1.DeviceID(), RandomID: 777, Body: env.Body}}); err != nil {
		t.Fatal(err)
	}
	evs := receive(t, ctx, sc.b1)
	if len(evs) != 1 || evs[0].Kind != "rejected" || !errors.Is(evs[0].Err, e2ee.ErrReplay) {
		t.Fatalf("a replayed envelope gave %+v, want one rejected with ErrReplay", evs)
	}
	if n := strings.Count(strings.Join(texts(t, sc.b1, sc.ann), "\n"), "read twice?"); n != 1 {
		t.Fatalf("Bob's device has the replayed message %d times", n)
	}
	for _, d := range []*client.SecretChats{sc.a2, sc.b2, b3} {
		receive(t, ctx, d)
	}

	// Self-destruct: a message with a one-minute timer disappears on
	// every device a minute after Bob read it, not before.
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	everyone := []*client.SecretChats{sc.a1, sc.a2, sc.b1, sc.b2, b3}
	for _, d := range everyone {
		secret.SetClock(d, clock)
	}
	m, err := sc.a1.SendText(ctx, sc.bob, plain[4], time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range everyone[1:] {
		receive(t, ctx, d)
	}
	if err := sc.b1.MarkRead(ctx, sc.ann); err != nil {
		t.Fatal(err)
	}
	for _, d := range everyone {
		receive(t, ctx, d)
		if !slices.Contains(texts(t, d, chatOf(d, sc)), plain[4]) {
			t.Fatalf("device %d lost the message before its timer ran out", d.DeviceID())
		}
	}
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	for _, d := range everyone {
		if slices.Contains(texts(t, d, chatOf(d, sc)), plain[4]) {
			t.Fatalf("device %d of %d still has message %d a minute after it was read", d.DeviceID(), d.UserID(), m.ID)
		}
	}

	// Deleting on one side deletes on every device of both.
	del, err := sc.a2.SendText(ctx, sc.bob, plain[5], 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range everyone {
		receive(t, ctx, d)
	}
	if err := sc.b1.Delete(ctx, sc.ann, del.ID); err != nil {
		t.Fatal(err)
	}
	for _, d := range everyone {
		receive(t, ctx, d)
		if slices.Contains(texts(t, d, chatOf(d, sc)), plain[5]) {
			t.Fatalf("device %d of %d kept a message deleted for both sides", d.DeviceID(), d.UserID())
		}
	}
	if err := sc.b1.Forward(ctx, sc.ann, m.ID, 1); !errors.Is(err, client.ErrForwardRefused) {
		t.Fatalf("forwarding a secret message: %v", err)
	}

	// A changed identity (Bob starts over with a new account key) warns
	// Ann and stops her sends until she accepts it.
	nb, err := client.CreateSecretDevice(ctx, sc.bobC[0], sc.path("b1-new"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.a1.SendText(ctx, sc.bob, "after the reset", 0); !errors.Is(err, client.ErrIdentityChanged) {
		t.Fatalf("sending after Bob's identity changed: %v, want ErrIdentityChanged", err)
	}
	ws, _ = sc.a1.Warnings()
	if len(ws) != 1 || ws[0].Kind != client.WarningIdentityChanged {
		t.Fatalf("warnings after Bob's new identity: %+v", ws)
	}
	if err := sc.a1.AcceptIdentity(sc.bob); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.a1.SendText(ctx, sc.bob, "after the reset", 0); err != nil {
		t.Fatal(err)
	}
	wantMessage(t, ctx, nb, sc.ann, "after the reset", false)

	// The server's data directory (database, write-ahead log, search
	// index, blobs) holds none of the plaintexts.
	scanned := 0
	err = filepath.WalkDir(sc.srv.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		scanned++
		for _, p := range append(plain, "after the reset") {
			if bytes.Contains(b, []byte(p)) {
				t.Errorf("%s holds the plaintext %q", path, p)
			}
		}
		return nil
	})
	if err != nil || scanned < 2 {
		t.Fatalf("scanning the server's data: %v, %d files", err, scanned)
	}
}

// chatOf is the chat d holds with the other person of the cast.
func chatOf(d *client.SecretChats, sc *secretCast) int64 {
	if d.UserID() == sc.ann {
		return sc.bob
	}
	return sc.ann
}

// TestSecretReceiveKeepsWhatItCannotOpenYet: when the server cannot
// answer for the sender's device list (here a proxy answers UNAVAILABLE
// once), Receive returns the error and leaves the envelope queued; the
// next Receive opens it. Nothing is lost.
func TestSecretReceiveKeepsWhatItCannotOpenYet(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := testserver.Start(t)
	ann, annU := srv.SignUp(t, "ann.q@example.org", "Ann")
	bob, bobU := srv.SignUp(t, "bob.q@example.org", "Bob")
	srv.Befriend(t, ann, bob)
	target, _ := url.Parse(srv.URL)
	var armed, failed atomic.Bool
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/secret.getDevices" && armed.Load() && failed.CompareAndSwap(false, true) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"ok":false,"error":{"code":"UNAVAILABLE","message":"shutting down"}}`)
			return
		}
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	}))
	defer proxy.Close()
	dir := t.TempDir()
	a, err := client.CreateSecretDevice(ctx, ann, filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.CreateSecretDevice(ctx, client.New(proxy.URL, client.WithToken(bob.Token())), filepath.Join(dir, "b"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SendText(ctx, bobU.ID, "kept for later", 0); err != nil {
		t.Fatal(err)
	}
	armed.Store(true)
	if evs, err := b.Receive(ctx); !client.IsCode(err, "UNAVAILABLE") || len(evs) != 0 {
		t.Fatalf("Receive while the sender's list cannot be had: %+v, %v; want UNAVAILABLE and nothing", evs, err)
	}
	evs, err := b.Receive(ctx)
	if err != nil || len(evs) != 1 || evs[0].Kind != "message" || evs[0].Message.Text != "kept for later" || evs[0].Chat != annU.ID {
		t.Fatalf("the next Receive: %+v, %v", evs, err)
	}
}
