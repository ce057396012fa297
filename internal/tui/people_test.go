package tui_test

import (
	"bytes"
	"database/sql"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // to store a name the server would refuse

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/ptytest"
)

const (
	keyF2    = "\x1bOQ"
	keyCtrlT = "\x14"
)

// TestNewChatWithPerson: Ctrl+N, p is a people search; the person
// picked gets a new private chat that the first message starts. Ctrl+L
// opens a person by @username too.
func TestNewChatWithPerson(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	c := ctx(t)
	last := "Núñez"
	if _, err := bob.UpdateProfile(c, client.ProfileParams{LastName: &last}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.UpdateUsername(c, "bob_nunez"); err != nil {
		t.Fatal(err)
	}
	dan, _ := srv.SignUp(t, "dan@example.org", "Dan")
	if _, err := dan.UpdateUsername(c, "dan_k"); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, srv, ann, 80, 24, "")
	a.see("No chats yet")

	a.typ(ptytest.CtrlN)
	a.see("New chat: a (p)erson")
	a.typ("p")
	a.see("New chat with:")
	a.typ("@bob_n")
	a.see("Bob Núñez · @bob_nunez")
	a.typ(ptytest.Enter)
	a.see("Bob Núñez", "new chat: your first message starts it")
	a.typ("Hola Bob", ptytest.Enter)
	a.see("│  Hola Bob")
	var chatID int64
	waitFor(t, func() bool {
		ds, err := bob.Dialogs(c)
		if err == nil && len(ds) == 1 && ds[0].TopMessage != nil && ds[0].TopMessage.Text == "Hola Bob" && ds[0].TopMessage.SenderID == annU.ID {
			chatID = ds[0].Chat.ID
			return true
		}
		return false
	}, "Bob's new chat with Ann's message")
	// The chat is a chat like any other now: Bob's answer arrives in it.
	send(t, bob, client.SendParams{ChatID: chatID, Text: "Hola Ann"})
	a.see("│  Hola Ann")

	// The people of one's chats are found by name, any case, no accents.
	a.typ(ptytest.CtrlN, "p", "nun")
	a.see("Bob Núñez · @bob_nunez")
	a.typ(ptytest.Esc)

	// Ctrl+L with a person's @username opens a chat with them.
	a.typ(ptytest.CtrlL)
	a.see("@username of a chat or person")
	a.typ("@dan_k", ptytest.Enter)
	a.see("Dan", "new chat: your first message starts it")
	a.typ("Hi Dan", ptytest.Enter)
	waitFor(t, func() bool {
		ds, err := dan.Dialogs(c)
		return err == nil && len(ds) == 1 && ds[0].TopMessage != nil && ds[0].TopMessage.Text == "Hi Dan"
	}, "Dan's new chat")

	// A stranger found by username in the people search can be written
	// to: the search found him.
	eli, _ := srv.SignUp(t, "eli@example.org", "Eli")
	if _, err := eli.UpdateUsername(c, "eli_stranger"); err != nil {
		t.Fatal(err)
	}
	a.typ(ptytest.CtrlN, "p", "@eli_s")
	a.see("Eli · @eli_stranger")
	a.typ(ptytest.Enter)
	a.see("new chat: your first message starts it")
	a.typ("Hi Eli", ptytest.Enter)
	waitFor(t, func() bool {
		ds, err := eli.Dialogs(c)
		return err == nil && len(ds) == 1 && ds[0].TopMessage != nil && ds[0].TopMessage.Text == "Hi Eli"
	}, "Eli's new chat")
}

// TestSearchEverywhereKey: Ctrl+F searches all chats even with one open
// (Tab narrows it to the open chat), and a result opens at its place.
func TestSearchEverywhereKey(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	cat, _ := srv.SignUp(t, "cat@example.org", "Cat")
	srv.Befriend(t, cat, ann)
	c := ctx(t)
	send(t, bob, client.SendParams{UserID: annU.ID, Text: "The crux is at the third bolt"})
	for i := 0; i < 60; i++ {
		send(t, bob, client.SendParams{UserID: annU.ID, Text: "filler " + pad3(i)})
	}
	send(t, cat, client.SendParams{UserID: annU.ID, Text: "Lunch tomorrow?"})
	waitFor(t, func() bool {
		r, err := ann.SearchEverywhere(c, client.SearchGlobalParams{Query: "crux"})
		return err == nil && len(r.Messages) == 1
	}, "the search index")
	a := startApp(t, srv, ann, 80, 24, "")
	a.see("Cat", "Lunch tomorrow?")
	a.typ(ptytest.Enter) // Cat's chat, the newest, opens
	a.see("│  Lunch tomorrow?", "Write a message")

	a.typ(ptytest.CtrlF)
	a.see("Search all chats:", "Tab: only in Cat")
	a.typ(ptytest.Tab)
	a.see("Search in Cat:")
	a.typ("crux", ptytest.Enter)
	a.see(`0 found for "crux"`)
	a.typ(ptytest.Esc, ptytest.CtrlF)
	a.see("Search all chats:")
	a.typ("crux", ptytest.Enter)
	a.see(`1 found for "crux" in all chats`, "Bob · ")
	a.typ(ptytest.Enter)
	// Bob's chat, at the old message (60 newer ones come after it),
	// picked.
	s := a.see("r reply", "│  The crux is at the third bolt")
	if !strings.Contains(s, "Bob") {
		t.Fatalf("the result's chat is not open:\n%s", s)
	}
}

// TestInertText: escape sequences in a name and a message are shown as
// visible stand-ins; the terminal never acts on them (its title stays,
// its screen is not cleared).
func TestInertText(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	c := ctx(t)
	const evil = "\x1b]0;pwned\x07\x1b[2J"
	send(t, bob, client.SendParams{UserID: annU.ID, Text: "look " + evil + " here"})
	bobU, err := bob.Me(c)
	if err != nil {
		t.Fatal(err)
	}
	// The server refuses control characters in names; one stored before
	// it did (or by another program) is written to the database.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(srv.DataDir, "haven.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE users SET first_name = ? WHERE id = ?`, "Bob"+evil, bobU.ID); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, srv, ann, 80, 24, "")
	a.see("Bob␛]0;pwned␇␛[2J")
	a.typ(ptytest.Enter)
	a.see("look ␛]0;pwned␇␛[2J here")
	if title := a.term.Title(); strings.Contains(title, "pwned") || !strings.HasPrefix(title, "Haven") {
		t.Errorf("the terminal's title became %q", title)
	}
}

// pngBytes is a w×h PNG image.
func pngBytes(t *testing.T, w, h int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFilesAndSpoilers: a file saved where one of its name is gets a
// free name; photos show their size in pixels and open in the viewer
// HAVEN_OPEN names; text waiting in the compose box is sent as a caption
// or a message of its own only as the person says; spoilers stay hidden
// until v reveals them.
func TestFilesAndSpoilers(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	c := ctx(t)
	downloads := t.TempDir()
	if err := os.WriteFile(filepath.Join(downloads, "guide.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	opened := filepath.Join(t.TempDir(), "opened")
	viewer := filepath.Join(t.TempDir(), "viewer.sh")
	if err := os.WriteFile(viewer, []byte("#!/bin/sh\ncp \"$1\" "+opened+".tmp && mv "+opened+".tmp "+opened+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	first := send(t, bob, client.SendParams{UserID: annU.ID, Text: "The answer is 42, promise",
		Entities: []client.Entity{{Type: "spoiler", Offset: 14, Length: 2}}})
	guide := []byte("Fontainebleau: bring a brush.\n")
	f, err := bob.UploadBytes(c, guide, "guide.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SendMedia(c, &client.MediaParams{ChatID: first.ChatID, Kind: "document", FileID: f.ID}); err != nil {
		t.Fatal(err)
	}
	photo := pngBytes(t, 3, 2)
	pf, err := bob.UploadBytes(c, photo, "dot.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SendMedia(c, &client.MediaParams{ChatID: first.ChatID, Kind: "photo", FileID: pf.ID}); err != nil {
		t.Fatal(err)
	}
	a := startChat(t, signedIn(t, srv, ann), 80, 24, downloads, "HAVEN_OPEN="+viewer)
	a.see("Bob")
	a.typ(ptytest.Enter)
	s := a.see("The answer is ░░, promise", "[photo]", "3×2 px")
	if strings.Contains(s, "is 42") {
		t.Fatalf("the spoiler shows:\n%s", s)
	}

	// The photo opens in the viewer.
	a.typ(ptytest.Up, "o")
	a.see("Opened")
	waitFor(t, func() bool {
		got, err := os.ReadFile(opened)
		return err == nil && bytes.Equal(got, photo)
	}, "the viewer to get the photo")

	// The document is saved beside the file of its name, not over it.
	a.typ(ptytest.Up, "s")
	a.see("Save to:", "guide (1).txt")
	a.typ(ptytest.Enter)
	a.see("Saved")
	if got, _ := os.ReadFile(filepath.Join(downloads, "guide.txt")); string(got) != "mine" {
		t.Fatalf("guide.txt was overwritten: %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(downloads, "guide (1).txt")); !bytes.Equal(got, guide) {
		t.Fatalf("guide (1).txt: %q", got)
	}
	// Typed over the suggestion, an existing name still is not replaced.
	a.typ("s")
	a.see("Save to:")
	for range 20 {
		a.typ("\x7f")
	}
	a.typ("guide.txt", ptytest.Enter)
	a.see("guide (2).txt", "guide.txt was there already")
	if got, _ := os.ReadFile(filepath.Join(downloads, "guide.txt")); string(got) != "mine" {
		t.Fatalf("guide.txt was overwritten: %q", got)
	}

	// The spoiler is revealed on the picked message with v.
	a.typ(ptytest.Up, "v")
	a.see("The answer is 42, promise")
	a.typ(ptytest.Esc)

	// A file sent with text in the compose box: the person says how.
	dir := t.TempDir()
	for _, n := range []string{"a.txt", "b.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a.typ("the topo")
	a.typ(ptytest.CtrlO, filepath.Join(dir, "a.txt"), ptytest.Enter)
	a.see("(o)wn message after the file")
	a.typ("o")
	a.see("then your text as a message")
	waitFor(t, func() bool {
		ms, err := bob.History(c, client.HistoryParams{ChatID: first.ChatID, Limit: 2})
		return err == nil && len(ms) == 2 && ms[0].Text == "the topo" && ms[0].Media == nil && ms[1].Media != nil && ms[1].Text == ""
	}, "the file, then the text as its own message")
	a.typ("for Saturday")
	a.typ(ptytest.CtrlO, filepath.Join(dir, "b.txt"), ptytest.Enter)
	a.see("(c)aption, as its")
	a.typ("c")
	a.see("with your text as its caption")
	waitFor(t, func() bool {
		m := lastMessage(t, bob, first.ChatID)
		return m.Media != nil && m.Media.Name == "b.txt" && m.Text == "for Saturday"
	}, "the file with its caption")
}

// TestSettings: the settings screens reach the account's API: username,
// privacy, two-step password, sessions, blocking (from a chat's info
// too) and deleting the account.
func TestSettings(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	c := ctx(t)
	send(t, bob, client.SendParams{UserID: annU.ID, Text: "Hi"})
	// Another device of Ann's, to end from the app.
	other, _, err := srv.SignIn(c, "ann@example.org", "Ann")
	if err != nil {
		t.Fatal(err)
	}
	a := startApp(t, srv, ann, 100, 30, "")
	a.see("Bob")

	pick := func(item string) {
		t.Helper()
		a.typ(keyF2)
		a.see("Settings")
		a.typ(item)
		a.see(item)
		a.typ(ptytest.Enter)
	}
	// Username.
	pick("Username")
	a.see("Username (5-32")
	a.typ("ann_lee", ptytest.Enter)
	a.see("Username: @ann_lee")
	if me, err := ann.Me(c); err != nil || me.Username != "ann_lee" {
		t.Fatalf("username: %+v, %v", me, err)
	}
	// Privacy: last seen by nobody.
	pick("Privacy")
	a.see("Who sees when I was last online: ")
	a.typ("last online", ptytest.Enter)
	a.see("Who sees when I was last online:")
	a.typ("nobody", ptytest.Enter)
	a.see("Who sees when I was last online: nobody")
	if p, err := ann.GetPrivacy(c); err != nil || p["last_seen"] != "nobody" {
		t.Fatalf("privacy: %v, %v", p, err)
	}
	a.typ(ptytest.Esc)
	// Two-step password with a hint.
	pick("Two-step password")
	a.see("(s)et one")
	a.typ("s")
	a.typ("correct horse battery", ptytest.Enter)
	a.see("The new password again:")
	a.typ("correct horse battery", ptytest.Enter)
	a.see("Hint")
	a.typ("the horse", ptytest.Enter)
	a.see("Recovery email")
	a.typ(ptytest.Enter)
	a.see("Two-step password set")
	if ps, err := ann.GetPassword(c); err != nil || !ps.HasPassword || ps.Hint != "the horse" {
		t.Fatalf("password: %+v, %v", ps, err)
	}
	// Sessions: end the other device's.
	pick("Active sessions")
	a.see("2 sessions", "this app")
	// Move down to the other device's session, one key at a time, each
	// time waiting for the screen the key made (a screen read before the
	// app drew the key would pick the wrong line on a slow machine).
	s := a.see("> ")
	for i := 0; ; i++ {
		l := lineWith(s, "> ")
		if strings.Contains(l, "· active") && !strings.Contains(l, "this app") {
			break
		}
		if i == 4 {
			t.Fatalf("no other session to pick:\n%s", s)
		}
		before := s
		a.typ(ptytest.Down)
		var err error
		if s, err = a.term.WaitFor(wait, func(s string) bool { return s != before }); err != nil {
			t.Fatal(err)
		}
	}
	a.typ(ptytest.Enter)
	a.see("End the session of")
	a.typ("y")
	a.see("Ended the session of")
	waitFor(t, func() bool { _, err := other.Me(c); return client.IsCode(err, "AUTH_TOKEN_INVALID") }, "the other session to end")
	// Block Bob from his chat's info; unblock him from the settings.
	a.typ(ptytest.Enter)
	a.see("│  Hi")
	a.typ(ptytest.CtrlG)
	a.see("b block")
	a.typ("b")
	a.see("Block Bob?")
	a.typ("y")
	a.see("Blocked Bob")
	if bl, err := ann.Blocked(c); err != nil || len(bl) != 1 {
		t.Fatalf("blocked: %+v, %v", bl, err)
	}
	pick("Blocked people")
	a.see("1 person blocked")
	a.typ(ptytest.Enter)
	a.see("Unblock Bob?")
	a.typ("y")
	a.see("Unblocked Bob")
	if bl, err := ann.Blocked(c); err != nil || len(bl) != 0 {
		t.Fatalf("blocked after unblocking: %+v, %v", bl, err)
	}
	// Delete the account: it asks, then for the password.
	a.typ(keyCtrlT)
	a.see("Settings")
	a.typ("Delete my account", ptytest.Down)
	s = a.see("> ")
	if !strings.Contains(lineWith(s, "> "), "Delete my account\u00a0") && strings.Contains(lineWith(s, "> "), "away") {
		a.typ(ptytest.Up)
	}
	a.typ(ptytest.Enter)
	a.see("Delete your account for good?")
	a.typ("y")
	a.see("Your two-step password:")
	a.typ("correct horse battery", ptytest.Enter)
	a.see("Your account is deleted")
	if _, err := ann.Me(c); err == nil {
		t.Fatal("the account still answers")
	}
}

// lineWith is the first line of s that holds text.
func lineWith(s, text string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, text) {
			return l
		}
	}
	return ""
}

// TestChatAdmin: a chat's info (Ctrl+G) lets its owner edit it, change
// its settings, manage members and revoke invite links; an invite link
// says what it is for before joining; opening a channel counts its
// posts as viewed.
func TestChatAdmin(t *testing.T) {
	srv, ann, _, bob := annAndBob(t)
	c := ctx(t)
	bobU, err := bob.Me(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SetPrivacy(c, "add_to_groups", "everybody"); err != nil {
		t.Fatal(err)
	}
	group, err := ann.CreateGroup(c, "Climbing", []int64{bobU.ID})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := ann.CreateInvite(c, group.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	news, err := bob.CreateChannel(c, "Crag News", "", "crag_news")
	if err != nil {
		t.Fatal(err)
	}
	post := send(t, bob, client.SendParams{ChatID: news.ID, Text: "Dry all week"})
	a := startApp(t, srv, ann, 100, 30, "")
	a.see("Climbing")
	a.typ(ptytest.Enter, ptytest.CtrlG)
	a.see("e edit", "m members")

	// Title and description.
	a.typ("e")
	a.see("Title:")
	for range 10 {
		a.typ("\x7f")
	}
	a.typ("Bouldering", ptytest.Enter)
	a.see("Description")
	a.typ("Tuesdays", ptytest.Enter)
	a.see("Public @username")
	a.typ(ptytest.Enter)
	a.see("Saved")
	waitFor(t, func() bool {
		ch, err := bob.Chat(c, group.ID)
		return err == nil && ch.Title == "Bouldering" && ch.About == "Tuesdays"
	}, "the new title and description")
	// Slow mode.
	a.typ(ptytest.CtrlG, "s")
	a.see("Slow mode: off")
	a.typ("slow", ptytest.Enter)
	a.see("Slow mode:")
	a.typ("1 minute", ptytest.Enter)
	waitFor(t, func() bool { ch, err := bob.Chat(c, group.ID); return err == nil && ch.SlowModeSeconds == 60 }, "slow mode")
	// Bob made an admin.
	a.typ(ptytest.CtrlG)
	a.see("Members", "  Bob")
	a.typ("m")
	a.see("Manage a member:", "Bob · member")
	a.typ(ptytest.Enter)
	a.see("make (a)dmin")
	a.typ("a")
	a.see("Bob is an admin")
	waitFor(t, func() bool {
		ms, err := ann.Members(c, group.ID, 0, 10)
		for _, mb := range ms {
			if mb.User.ID == bobU.ID {
				return mb.Role == "admin"
			}
		}
		return err == nil && false
	}, "Bob an admin")
	// The invite link, revoked.
	a.typ(ptytest.CtrlG, "L")
	a.see("Invite links: Enter revokes one", inv.Hash)
	a.typ(ptytest.Enter)
	a.see("Revoke this link?")
	a.typ("y")
	a.see("Link revoked")
	if _, err := bob.CheckInvite(c, inv.Hash); err == nil {
		t.Error("the revoked link still works")
	}

	// An invite link says what it is for before one joins.
	readers, err := bob.CreateGroup(c, "Readers", nil)
	if err != nil {
		t.Fatal(err)
	}
	rinv, err := bob.CreateInvite(c, readers.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	a.typ(ptytest.Esc, ptytest.CtrlL)
	a.typ(rinv.Hash, ptytest.Enter)
	a.see("Join Readers (group · 1 member)?")
	a.typ("n")
	if ms, err := bob.Members(c, readers.ID, 0, 10); err != nil || len(ms) != 1 {
		t.Fatalf("declining joined: %+v, %v", ms, err)
	}

	// A public channel opened by @username counts its posts as viewed.
	a.typ(ptytest.CtrlL, "@crag_news", ptytest.Enter)
	a.see("Crag News", "Dry all week")
	waitFor(t, func() bool {
		ms, err := bob.Messages(c, news.ID, []int64{post.ID})
		return err == nil && len(ms) == 1 && ms[0].Views >= 1
	}, "the post's view")
}
