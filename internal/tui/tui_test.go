package tui_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/client/cache"
	"github.com/havenchat/haven/internal/cli"
	"github.com/havenchat/haven/internal/ptytest"
	"github.com/havenchat/haven/internal/testserver"
)

var update = flag.Bool("update", false, "rewrite the golden screens in testdata/")

// haven is the binary under test, built once by TestMain.
var haven string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "haven-tui-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	haven = filepath.Join(dir, "haven")
	build := exec.Command("go", "build", "-o", haven, "github.com/havenchat/haven/cmd/haven")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building haven:", err)
		return 1
	}
	return m.Run()
}

const wait = 15 * time.Second

// app is "haven chat" running for one person on a pseudo-terminal.
type app struct {
	t    *testing.T
	term *ptytest.Term
	quit func() // Ctrl+C, and wait for the app to end
}

// startApp signs the haven command in as c and runs haven chat on a
// w×h terminal until the test ends, in a working directory that
// downloads go to.
func startApp(t *testing.T, srv *testserver.Server, c *client.Client, w, h int, workDir string) *app {
	t.Helper()
	return startChat(t, signedIn(t, srv, c), w, h, workDir)
}

// annAndBob starts a server with two people signed up who have each
// other in their contacts: Ann, as whom the tests run the app, and Bob,
// who writes to her.
func annAndBob(t *testing.T) (srv *testserver.Server, ann *client.Client, annU *client.User, bob *client.Client) {
	t.Helper()
	srv = testserver.Start(t)
	ann, annU = srv.SignUp(t, "ann@example.org", "Ann")
	bob, _ = srv.SignUp(t, "bob@example.org", "Bob")
	srv.Befriend(t, ann, bob)
	return srv, ann, annU, bob
}

// keptDialogs opens the cache the app keeps beside the session in cfg
// and returns its dialogs.
func keptDialogs(t *testing.T, cfg string, userID int64) (*cache.Cache, []client.Dialog) {
	t.Helper()
	kept, err := cache.Open(cli.CachePath(cfg, userID))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kept.Close() })
	ds, err := kept.Dialogs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return kept, ds
}

// signedIn writes c's session into a new config directory, as haven
// login would, and returns the directory.
func signedIn(t *testing.T, srv *testserver.Server, c *client.Client) (cfg string) {
	t.Helper()
	me, err := c.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg = t.TempDir()
	if err := cli.SaveSession(cfg, &cli.Session{Server: srv.URL, Token: c.Token(), UserID: me.ID, Name: me.FirstName}); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// havenEnv is the environment of the haven command, with its config
// (session) in cfg.
func havenEnv(cfg string) []string {
	// Golden screens hold times: the same zone on every machine.
	return append(os.Environ(), "HAVEN_CONFIG_DIR="+cfg, "TERM=xterm-256color", "TZ=UTC", "HOME="+cfg)
}

// startChat runs haven chat with the session in cfg, and env added to
// its environment.
func startChat(t *testing.T, cfg string, w, h int, workDir string, env ...string) *app {
	t.Helper()
	term, err := ptytest.New(w, h)
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	cmd := exec.Command(haven, "chat")
	cmd.Dir = workDir
	if cmd.Dir == "" {
		cmd.Dir = t.TempDir()
	}
	cmd.Env = append(havenEnv(cfg), env...)
	if err := term.Start(cmd); err != nil {
		t.Fatalf("starting haven chat: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	a := &app{t: t, term: term}
	a.quit = sync.OnceFunc(func() {
		term.Type(ptytest.CtrlC)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("haven chat ended with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("haven chat did not quit on Ctrl+C")
			cmd.Process.Kill()
			<-exited
		}
		term.Close()
	})
	t.Cleanup(a.quit)
	return a
}

// see waits until the screen shows every text, and returns the screen.
func (a *app) see(texts ...string) string {
	a.t.Helper()
	s, err := a.term.WaitText(wait, texts...)
	if err != nil {
		a.t.Fatal(err)
	}
	return s
}

// seeNot waits until the screen no longer shows text.
func (a *app) seeNot(text string) string {
	a.t.Helper()
	s, err := a.term.WaitFor(wait, func(s string) bool { return !strings.Contains(s, text) })
	if err != nil {
		a.t.Fatal(err)
	}
	return s
}

// seeWidth waits until the screen is drawn w cells wide (its rule
// under the history spans the chat pane) and returns it.
func (a *app) seeWidth(w int) string {
	a.t.Helper()
	s, err := a.term.WaitFor(wait, func(s string) bool {
		widest := 0
		for _, l := range strings.Split(s, "\n") {
			widest = max(widest, utf8.RuneCountInString(l))
		}
		return widest == w && strings.Contains(s, "─────")
	})
	if err != nil {
		a.t.Fatal(err)
	}
	return s
}

func (a *app) typ(keys ...string) { a.term.Type(keys...) }

// resize changes the terminal's size; the kernel tells the app.
func (a *app) resize(w, h int) {
	a.t.Helper()
	if err := a.term.Resize(w, h); err != nil {
		a.t.Fatal(err)
	}
}

var (
	clockRe = regexp.MustCompile(`\b\d{2}:\d{2}\b`)
	// The day line, with the spaces that centre it (they vary with the
	// length of the date).
	dayRe = regexp.MustCompile(` *── [A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2}, \d{4} ──`)
)

// normalize writes clock times and days as HH:MM and DAY, so that
// golden screens hold on any day.
func normalize(screen string) string {
	screen = dayRe.ReplaceAllString(screen, " ── DAY ──")
	return clockRe.ReplaceAllString(screen, "HH:MM")
}

// golden waits until the screen, normalized, is testdata/name.golden,
// and fails with both when it never is: a frame drawn while an answer
// is on its way is not the screen. screen is what the caller waited
// for; with -update, it is written as the golden screen.
func (a *app) golden(name, screen string) {
	a.t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(normalize(screen)), 0o644); err != nil {
			a.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		a.t.Fatalf("%v (run go test -update to write it)", err)
	}
	got, err := a.term.WaitFor(5*time.Second, func(s string) bool { return normalize(s) == string(want) })
	if err != nil {
		a.t.Errorf("screen %s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, normalize(got), want)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestConversation: the list with an unread message, and the chat it
// opens to, as golden screens.
func TestConversation(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	send(t, bob, client.SendParams{UserID: annU.ID, Text: "Hi Ann, coffee at 10?"})
	a := startApp(t, srv, ann, 80, 24, "")
	s := a.see("Bob", "coffee at 10?")
	a.golden("list", s)
	// The window title counts what is unread.
	waitFor(t, func() bool { return a.term.Title() == "Haven (1)" }, "the title Haven (1)")
	a.typ(ptytest.Enter)
	s = a.see("│  Hi Ann, coffee at 10?", "Write a message")
	a.golden("chat", s)
}

func TestMessaging(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	c := ctx(t)
	first := send(t, bob, client.SendParams{UserID: annU.ID, Text: "Hi Ann, coffee at 10?"})
	chatID := first.ChatID
	a := startApp(t, srv, ann, 80, 24, "")
	a.see("Bob", "coffee at 10?")
	a.typ(ptytest.Enter)
	a.see("│  Hi Ann, coffee at 10?", "Write a message")

	// Opening the chat read it: Bob sees ✓✓ through read_outbox_max_id.
	waitFor(t, func() bool {
		ch, err := bob.Chat(c, chatID)
		return err == nil && ch.ReadOutboxMaxID >= first.ID
	}, "Bob's message shown as read")

	// Ann answers on two lines; the message reaches Bob with its line break.
	a.typ("Sure!", ptytest.AltEnter, "See you there")
	a.typ(ptytest.Enter)
	a.see("You  ", "Sure!", "See you there", "✓")
	last := sentMessage(t, bob, chatID, func(m client.Message) bool { return m.SenderID == annU.ID })
	if last.Text != "Sure!\nSee you there" || last.SenderID != annU.ID {
		t.Fatalf("Bob got %+v", last)
	}
	// Bob reads it: Ann's ✓ becomes ✓✓.
	if err := bob.Read(c, chatID, 0); err != nil {
		t.Fatal(err)
	}
	a.see("✓✓")
	// Bob types, then writes: Ann sees both.
	if err := bob.SetTyping(c, chatID, false); err != nil {
		t.Fatal(err)
	}
	a.see("typing…")
	send(t, bob, client.SendParams{ChatID: chatID, Text: "Great, the usual place"})
	a.see("Great, the usual place")
	a.seeNot("typing…")
	a.golden("conversation", a.see("Great, the usual place"))

	// Reply: pick Bob's last message with ↑, r, write.
	a.typ(ptytest.Up, "r")
	a.see("Replying to Bob: Great, the usual place")
	a.typ("Perfect", ptytest.Enter)
	a.see("┃ Bob: Great, the usual place", "Perfect")
	reply := sentMessage(t, bob, chatID, func(m client.Message) bool { return m.Text == "Perfect" })
	if reply.Text != "Perfect" || reply.ReplyToID == 0 {
		t.Fatalf("reply: %+v", reply)
	}

	// Edit: pick it (the newest), e, change the text.
	a.typ(ptytest.Up, "e")
	a.see("Editing your message")
	a.typ(" :)", ptytest.Enter)
	a.see("Perfect :)", "edited")
	waitFor(t, func() bool { return lastMessage(t, bob, chatID).Text == "Perfect :)" }, "the edit to reach Bob")

	// React to Bob's message: ↑ twice, +, Enter takes the first reaction.
	a.typ(ptytest.Up, ptytest.Up, "+")
	a.see("React with:")
	a.typ(ptytest.Enter)
	a.see("[👍 1]")
	waitFor(t, func() bool {
		ms, err := bob.Messages(c, chatID, []int64{reply.ReplyToID})
		return err == nil && len(ms) == 1 && len(ms[0].Reactions) == 1 && ms[0].Reactions[0].Emoji == "👍"
	}, "the reaction on Bob's message")

	// Forward Bob's message to Saved Messages.
	a.typ(ptytest.Esc, ptytest.Up, ptytest.Up, "f")
	a.see("Forward to:", "Saved Messages")
	a.typ("saved")
	a.typ(ptytest.Enter)
	a.see("Forwarded", "Saved Messages")
	waitFor(t, func() bool {
		ds, err := ann.Dialogs(c)
		for _, d := range ds {
			if d.Chat.PeerID == annU.ID && d.TopMessage != nil && d.TopMessage.Forward != nil && d.TopMessage.Text == "Great, the usual place" {
				return true
			}
		}
		return err == nil && false
	}, "the forward in Saved Messages")

	// Delete Ann's reply for everyone.
	a.typ(ptytest.Esc, ptytest.Up, "d")
	a.see("Delete this message")
	a.typ("e")
	a.seeNot("Perfect :)")
	waitFor(t, func() bool { return lastMessage(t, bob, chatID).ID != reply.ID }, "the deletion to reach Bob")
}

// send posts p as c, failing the test if the server refuses it.
func send(t *testing.T, c *client.Client, p client.SendParams) client.Message {
	t.Helper()
	m, err := c.Send(ctx(t), &p)
	if err != nil {
		t.Fatalf("send %q: %v", p.Text, err)
	}
	return *m
}

// waitFor waits until ok holds.
func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// sentMessage is the newest message of a chat as c sees it, once it is
// one ok accepts (or, after the wait, whatever it is, for the caller to
// report): the app shows a message as soon as it is typed, before the
// server has it.
func sentMessage(t *testing.T, c *client.Client, chatID int64, ok func(client.Message) bool) client.Message {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		m := lastMessage(t, c, chatID)
		if ok(m) || time.Now().After(deadline) {
			return m
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// lastMessage is the newest message of a chat as c sees it.
func lastMessage(t *testing.T, c *client.Client, chatID int64) client.Message {
	t.Helper()
	ms, err := c.History(context.Background(), client.HistoryParams{ChatID: chatID, Limit: 1})
	if err != nil || len(ms) == 0 {
		t.Fatalf("history of %d: %v, %v", chatID, ms, err)
	}
	return ms[0]
}

func TestGroupsChannelsFiles(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	c := ctx(t)
	if _, err := bob.UpdateUsername(c, "bob_lee"); err != nil {
		t.Fatal(err)
	}
	downloads := t.TempDir()
	a := startApp(t, srv, ann, 80, 24, downloads)
	a.see("No chats yet")

	// A group with Bob in it.
	a.typ(ptytest.CtrlN)
	a.see("a (g)roup or a (c)hannel?")
	a.typ("g")
	a.see("Group title:")
	a.typ("Climbing", ptytest.Enter)
	a.see("Add people")
	a.typ("@bob_lee", ptytest.Enter)
	a.see("Climbing", "group · 2 members", `You created the chat "Climbing"`)
	group := findDialog(t, bob, "Climbing")
	send(t, bob, client.SendParams{ChatID: group.Chat.ID, Text: "Who's in for Saturday?"})
	a.see("Bob: Who's in", "  Who's in for Saturday?")

	// The group's info: its members; an invite link that works; adding
	// someone by @username.
	a.typ(ptytest.CtrlG)
	a.see("Members", "You · owner", "  Bob")
	a.typ("i")
	s := a.see("Invite link:", "/join/")
	// The whole link, on the server's address.
	hash := regexp.MustCompile(`Invite link:[\s│]+` + regexp.QuoteMeta(srv.URL) + `/join/([A-Za-z0-9_-]+)`).FindStringSubmatch(s)
	if hash == nil {
		t.Fatalf("no invite link on %s on screen:\n%s", srv.URL, s)
	}
	cat, _ := srv.SignUp(t, "cat@example.org", "Cat")
	if _, err := cat.JoinByInvite(c, hash[1]); err != nil {
		t.Fatalf("joining by the link shown (%q): %v", hash[1], err)
	}
	dan, _ := srv.SignUp(t, "dan@example.org", "Dan")
	if _, err := dan.UpdateUsername(c, "dan_k"); err != nil {
		t.Fatal(err)
	}
	// Dan lets anyone add him to groups (by default only his contacts).
	if _, err := dan.SetPrivacy(c, "add_to_groups", "everybody"); err != nil {
		t.Fatal(err)
	}
	a.typ("a")
	a.see("Add people")
	a.typ("@dan_k", ptytest.Enter)
	a.see("Added 1 person", "group · 4 members")
	if ms, err := bob.Members(c, group.Chat.ID, 0, 10); err != nil || len(ms) != 4 {
		t.Fatalf("members after the invite and the add: %d, %v", len(ms), err)
	}

	// Send a file: Tab completes its name.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "route-topo.txt"), []byte("6a, 6b+, 7a"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.typ(ptytest.CtrlO)
	a.see("Send file:")
	a.typ(dir+"/route-t", ptytest.Tab)
	a.see("route-topo.txt")
	a.typ(ptytest.Enter)
	a.see("[document: route-topo.txt] 11 B")
	got := sentMessage(t, bob, group.Chat.ID, func(m client.Message) bool { return m.Media != nil })
	if got.Media == nil || got.Media.Name != "route-topo.txt" || got.SenderID != annU.ID {
		t.Fatalf("Bob got %+v", got)
	}

	// Download the file Bob sends.
	guide := []byte("Fontainebleau: bring a brush.\n")
	f, err := bob.UploadBytes(c, guide, "guide.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SendMedia(c, &client.MediaParams{ChatID: group.Chat.ID, Kind: "document", FileID: f.ID}); err != nil {
		t.Fatal(err)
	}
	a.see("[document: guide.txt]")
	a.typ(ptytest.Up, "s")
	a.see("Save to:", "guide.txt")
	a.typ(ptytest.Enter)
	a.see("Saved")
	data, err := os.ReadFile(filepath.Join(downloads, "guide.txt"))
	if err != nil || string(data) != string(guide) {
		t.Fatalf("downloaded %q, %v", data, err)
	}
	a.typ(ptytest.Esc)

	// A public channel.
	a.typ(ptytest.CtrlN, "c")
	a.see("Channel title:")
	a.typ("Crag News", ptytest.Enter)
	a.see("Public @username")
	a.typ("crag_news", ptytest.Enter)
	a.see("Crag News", "channel · 1 subscriber")
	a.typ("Dry all week", ptytest.Enter)
	a.see("  Dry all week")

	// Join Bob's group by its invite link.
	readers, err := bob.CreateGroup(c, "Readers", nil)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := bob.CreateInvite(c, readers.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	a.typ(ptytest.Esc, ptytest.CtrlL)
	a.see("Invite link, or @username")
	a.typ("https://haven.example.org/join/"+inv.Hash, ptytest.Enter)
	a.see("Join Readers (group · 1 member)?")
	a.typ("y")
	a.see("Readers", "group · 2 members")
	ms, err := bob.Members(c, readers.ID, 0, 10)
	if err != nil || len(ms) != 2 {
		t.Fatalf("members of Readers: %+v, %v", ms, err)
	}
}

// findDialog waits until c has a chat titled title.
func findDialog(t *testing.T, c *client.Client, title string) client.Dialog {
	t.Helper()
	var found client.Dialog
	waitFor(t, func() bool {
		ds, _ := c.Dialogs(context.Background())
		for _, d := range ds {
			if d.Chat.Title == title {
				found = d
				return true
			}
		}
		return false
	}, "the chat "+title)
	return found
}

func TestSearchHelpAndLayout(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	cat, _ := srv.SignUp(t, "cat@example.org", "Cat")
	srv.Befriend(t, ann, cat)
	c := ctx(t)
	for _, text := range []string{"Are you free on Saturday?", "The crux is at the third bolt", "Bring the long slings"} {
		send(t, bob, client.SendParams{UserID: annU.ID, Text: text})
	}
	send(t, cat, client.SendParams{UserID: annU.ID, Text: "Lunch tomorrow?"})
	a := startApp(t, srv, ann, 80, 24, "")
	a.see("Cat", "Lunch tomorrow?", "Bob", "Bring the long slings")

	// The help screen lists the keys; any key closes it.
	a.typ(ptytest.F1)
	a.golden("help", a.see("Haven — keys", "Picked message"))
	a.typ("x")
	a.seeNot("Haven — keys")

	// Search everywhere; picking the result opens the chat at it.
	waitFor(t, func() bool {
		ms, err := ann.Search(c, client.SearchParams{Query: "crux"})
		return err == nil && len(ms) == 1
	}, "the search index")
	a.typ(ptytest.CtrlF)
	a.see("Search all chats:")
	a.typ("crux", ptytest.Enter)
	a.see(`1 found for "crux"`, "Bob · ")
	a.typ(ptytest.Enter)
	s := a.see("Bob", "r reply")
	if !strings.Contains(s, "The crux is at the third bolt") {
		t.Fatalf("the result is not shown:\n%s", s)
	}

	// A click on Cat's row (the list's first) opens that chat.
	a.typ(ptytest.Esc)
	a.typ("\x1b[<0;5;2M", "\x1b[<0;5;2m")
	a.see("Lunch tomorrow?", "Write a message")
	a.see("Cat\n")

	// Wide and narrow terminals.
	a.resize(120, 30)
	a.golden("wide", a.seeWidth(120))
	a.resize(60, 20)
	a.golden("narrow", a.seeWidth(60))
	a.typ(ptytest.Esc)
	a.golden("narrow-list", a.see("Chats", "Bring the long slings"))
	// On 60×20 the help is taller than the screen: it scrolls.
	a.typ(ptytest.F1)
	a.see("Haven — keys", "↑↓ scroll")
	for i := 0; i < 30; i++ {
		a.typ(ptytest.Down)
	}
	a.see("back to writing")
	a.typ("q")
	a.see("Bring the long slings")
	// Pin, mute and archive Cat's chat from the list.
	a.typ(ptytest.Home, "p")
	a.see("Pinned: Cat", "Cat ^")
	a.typ("m")
	a.see("Muted: Cat", "Cat ~ ^")
	a.typ("a")
	s = a.see("Archived: Cat")
	if strings.Index(s, "Bob") > strings.Index(s, "Cat") {
		t.Fatalf("the archived chat is not last:\n%s", s)
	}
	waitFor(t, func() bool {
		ds, _ := ann.Dialogs(c)
		for _, d := range ds {
			if d.Peer != nil && d.Peer.FirstName == "Cat" {
				return d.Pinned && d.Archived && d.MutedUntil > time.Now().Unix()
			}
		}
		return false
	}, "Cat's chat pinned, muted and archived on the server")
	a.typ("a")
	a.see("Back from the archive: Cat")
	// Questions show on a narrow screen too.
	a.typ(ptytest.CtrlN)
	a.see("a (g)roup or a (c)hannel?")
	a.typ(ptytest.Esc)
	a.see("Bring the long slings")
}

func TestScrollback(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	for i := 1; i <= 120; i++ {
		send(t, bob, client.SendParams{UserID: annU.ID, Text: "note " + pad3(i)})
	}
	a := startApp(t, srv, ann, 80, 24, "")
	a.see("note 120")
	a.typ(ptytest.Enter)
	a.see("│  note 120", "Write a message")
	// Page up until the first message: older pages load on the way.
	deadline := time.Now().Add(wait)
	for !strings.Contains(a.term.Screen(), "the beginning of the chat") {
		if time.Now().After(deadline) {
			t.Fatalf("never reached the beginning:\n%s", a.term.Screen())
		}
		a.typ(ptytest.PgUp)
		time.Sleep(30 * time.Millisecond)
	}
	a.see("│  note 001")
	// And back down.
	for i := 0; i < 60 && !strings.Contains(a.term.Screen(), "│  note 120"); i++ {
		a.typ(ptytest.PgDown)
	}
	a.see("│  note 120")
	// The mouse wheel over the chat scrolls it too.
	a.typ("\x1b[<64;50;10M", "\x1b[<64;50;10M")
	a.seeNot("│  note 120")
	for i := 0; i < 10 && !strings.Contains(a.term.Screen(), "│  note 120"); i++ {
		a.typ("\x1b[<65;50;10M")
	}
	a.see("│  note 120")
}

func pad3(i int) string {
	s := "00" + strconv.Itoa(i)
	return s[len(s)-3:]
}

// TestLoginAndChat is a person's first minutes: haven login at its
// prompts, then haven chat, where a message from someone else arrives
// and is answered.
func TestLoginAndChat(t *testing.T) {
	srv := testserver.Start(t)
	bob, _ := srv.SignUp(t, "bob@example.org", "Bob")
	cfg := t.TempDir()

	term, err := ptytest.New(80, 24)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	login := exec.Command(haven, "login", "--server", srv.URL)
	login.Env = havenEnv(cfg)
	if err := term.Start(login); err != nil {
		t.Fatal(err)
	}
	steps := []struct{ prompt, answer string }{
		{"Phone number or email:", "ann@example.org"},
		{"Code:", ""}, // the code the server sent
		{"First name:", "Ann"},
		{"Last name (optional):", ""},
	}
	for _, st := range steps {
		if _, err := term.WaitText(wait, st.prompt); err != nil {
			t.Fatal(err)
		}
		answer := st.answer
		if st.prompt == "Code:" {
			answer = srv.Code(t, "ann@example.org")
		}
		term.Type(answer + ptytest.Enter)
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := term.WaitText(wait, "Signed in as Ann"); err != nil {
		t.Fatal(err)
	}
	if err := login.Wait(); err != nil {
		t.Fatalf("haven login: %v", err)
	}
	session, err := cli.LoadSession(cfg)
	if err != nil {
		t.Fatal(err)
	}

	srv.Befriend(t, bob, client.New(srv.URL, client.WithToken(session.Token)))
	a := startChat(t, cfg, 80, 24, "")
	a.see("No chats yet")
	sent := send(t, bob, client.SendParams{UserID: session.UserID, Text: "Welcome to Haven, Ann!"})
	a.see("Bob", "Welcome to Haven, Ann!")
	a.typ(ptytest.Enter)
	a.see("│  Welcome to Haven, Ann!", "Write a message")
	a.typ("Thanks Bob, it works from my terminal", ptytest.Enter)
	a.golden("login-chat", a.see("│  Thanks Bob, it works from my terminal"))
	got := sentMessage(t, bob, sent.ChatID, func(m client.Message) bool { return m.ID != sent.ID })
	if got.Text != "Thanks Bob, it works from my terminal" || got.SenderID != session.UserID {
		t.Fatalf("Bob got %+v", got)
	}
}

// TestCacheRestart: the app keeps its chats in a cache beside the
// session, and a restarted app catches up with what happened while it
// was closed.
func TestCacheRestart(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	c := ctx(t)
	cfg := signedIn(t, srv, ann)
	first := send(t, bob, client.SendParams{UserID: annU.ID, Text: "Before you closed it"})
	a := startChat(t, cfg, 80, 24, "")
	a.see("Before you closed it")
	a.typ(ptytest.Enter)
	// The list's top message shows at once; the end of the chat is
	// marked when the server's page, which the app keeps, has come.
	a.see("│  Before you closed it", "the beginning of the chat")
	a.quit()
	if ds, err := ann.Dialogs(c); err != nil || len(ds) != 1 || ds[0].UnreadCount != 0 {
		t.Fatalf("opening the chat did not read it: %+v, %v", ds, err)
	}

	// What the app kept, for Ann's eyes only.
	path := cli.CachePath(cfg, annU.ID)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("the cache file has mode %v, want 0600", st.Mode().Perm())
	}
	kept, ds := keptDialogs(t, cfg, annU.ID)
	if len(ds) != 1 || ds[0].TopMessage == nil || ds[0].TopMessage.ID != first.ID {
		t.Fatalf("cached dialogs: %+v", ds)
	}
	ms, err := kept.History(c, first.ChatID, 0, 10)
	if err != nil || len(ms) != 1 || ms[0].Text != "Before you closed it" {
		t.Fatalf("cached history: %+v, %v", ms, err)
	}
	kept.Close()

	send(t, bob, client.SendParams{UserID: annU.ID, Text: "While you were away"})
	a = startChat(t, cfg, 80, 24, "")
	a.see("While you were away", " 1")
	a.typ(ptytest.Enter)
	a.see("│  Before you closed it", "│  While you were away")
	a.quit()

	// haven logout forgets what the app kept.
	logout := exec.Command(haven, "logout")
	logout.Env = havenEnv(cfg)
	if out, err := logout.CombinedOutput(); err != nil {
		t.Fatalf("haven logout: %v\n%s", err, out)
	}
	if left, _ := filepath.Glob(filepath.Join(cfg, "*")); len(left) != 0 {
		t.Fatalf("left after logout: %v", left)
	}
}

// TestPresence: an online dot and "online" while Bob has the app open,
// a typing hint in the list and the header, and "last seen" after.
func TestPresence(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	c := ctx(t)
	sent := send(t, bob, client.SendParams{UserID: annU.ID, Text: "Ping"})
	a := startApp(t, srv, ann, 80, 24, "")
	a.see("Bob", "Ping")
	a.typ(ptytest.Enter)
	a.see("│  Ping", "last seen")

	conn, err := bob.Connect(c)
	if err != nil {
		t.Fatal(err)
	}
	s := a.see("│online")
	if !strings.Contains(s, "● Bob") {
		t.Fatalf("no online dot:\n%s", s)
	}
	if err := bob.SetTyping(c, sent.ChatID, false); err != nil {
		t.Fatal(err)
	}
	a.see("  typing…", "│typing…")
	conn.Close()
	a.see("│last seen")
	a.seeNot("● Bob")
}

// TestOffline: with the server down, haven chat opens with the chats its
// cache holds and says it is offline; when the server is back, it
// connects and what was sent meanwhile arrives.
func TestOffline(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	cfg := signedIn(t, srv, ann)
	first := send(t, bob, client.SendParams{UserID: annU.ID, Text: "Before the outage"})
	a := startChat(t, cfg, 80, 24, "")
	a.see("Before the outage")
	a.quit()

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	a = startChat(t, cfg, 80, 24, "")
	a.see("Bob", "Before the outage", "Offline: showing saved chats")
	// The chat opens from the cache; what Ann writes waits for the server.
	a.typ(ptytest.Enter)
	a.see("│  Before the outage")
	a.typ("Written while offline", ptytest.Enter)
	s := a.see("You  sending…", "│  Written while offline")
	if strings.Contains(s, "dial tcp") {
		t.Errorf("network errors are shown besides the offline line:\n%s", s)
	}

	back, err := testserver.New(testserver.Options{Addr: srv.Addr, DataDir: srv.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Stop()
	a.seeNot("sending…")
	waitFor(t, func() bool { return lastMessage(t, bob, first.ChatID).Text == "Written while offline" }, "the message written offline")
	send(t, bob, client.SendParams{UserID: annU.ID, Text: "After the outage"})
	a.see("│  After the outage")
	a.seeNot("Offline")
}

// TestLoginPasswordRecovery: at haven login's password prompt, an empty
// password sends a recovery code to the recovery email, which signs the
// person in and removes the password.
func TestLoginPasswordRecovery(t *testing.T) {
	srv := testserver.Start(t)
	cid, _ := srv.SignUp(t, "cid@example.org", "Cid")
	c := ctx(t)
	if _, err := cid.SetPassword(c, client.SetPasswordParams{NewPassword: "a long forgotten passphrase", RecoveryEmail: "cid.recovery@example.org"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cid.ConfirmRecoveryEmail(c, srv.Code(t, "cid.recovery@example.org")); err != nil {
		t.Fatal(err)
	}
	signUpCode := srv.Code(t, "cid@example.org")
	cfg := t.TempDir()
	term, err := ptytest.New(80, 24)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	login := exec.Command(haven, "login", "--server", srv.URL)
	login.Env = havenEnv(cfg)
	if err := term.Start(login); err != nil {
		t.Fatal(err)
	}
	step := func(prompt, answer string) {
		t.Helper()
		if _, err := term.WaitText(wait, prompt); err != nil {
			t.Fatal(err)
		}
		term.Type(answer + ptytest.Enter)
	}
	step("Phone number or email:", "cid@example.org")
	var code string
	waitFor(t, func() bool { code = srv.Code(t, "cid@example.org"); return code != signUpCode }, "the sign-in code")
	step("Code:", code)
	step("Password:", "") // forgotten
	if _, err := term.WaitText(wait, "A recovery code was sent to"); err != nil {
		t.Fatal(err)
	}
	step("Recovery code:", srv.Code(t, "cid.recovery@example.org"))
	if _, err := term.WaitText(wait, "Signed in as Cid", "The password is removed"); err != nil {
		t.Fatal(err)
	}
	if err := login.Wait(); err != nil {
		t.Fatalf("haven login: %v", err)
	}
	s, err := cli.LoadSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := client.New(srv.URL, client.WithToken(s.Token)).GetPassword(c)
	if err != nil || ps.HasPassword {
		t.Fatalf("after recovery: %+v, %v", ps, err)
	}
}

// TestRichText: entities show as styles: bold, and links (detected by
// the server) underlined.
func TestRichText(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	text := "Please read the whole guide, mostly this part: https://example.org/guide"
	ents := []client.Entity{{Type: "bold", Offset: strings.Index(text, "this"), Length: 4}}
	send(t, bob, client.SendParams{UserID: annU.ID, Text: text, Entities: ents})
	a := startApp(t, srv, ann, 80, 24, "")
	a.see("Bob")
	a.typ(ptytest.Enter)
	a.see("mostly this part:", "https://example.org/guide")
	if st, ok := a.term.StyleAt("this part"); !ok || !st.Bold {
		t.Errorf("the bold entity is drawn %+v", st)
	}
	if st, ok := a.term.StyleAt("part:"); !ok || st.Bold {
		t.Errorf("the text after the bold entity is drawn %+v", st)
	}
	if st, ok := a.term.StyleAt("https://example.org/guide"); !ok || !st.Underline {
		t.Errorf("the link is drawn %+v", st)
	}
}

// TestFormatting: markers typed in the compose box become entities, and
// an edit starts from the markers of the message.
func TestFormatting(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	sent := send(t, bob, client.SendParams{UserID: annU.ID, Text: "Ready?"})
	a := startApp(t, srv, ann, 80, 24, "")
	a.see("Ready?")
	a.typ(ptytest.Enter)
	a.see("│  Ready?")
	a.typ("Start at **nine** sharp, `gate B`", ptytest.Enter)
	a.see("│  Start at nine sharp, gate B")
	if st, _ := a.term.StyleAt("nine sharp"); !st.Bold {
		t.Errorf("nine is drawn %+v", st)
	}
	got := sentMessage(t, bob, sent.ChatID, func(m client.Message) bool { return m.ID != sent.ID })
	want := []client.Entity{{Type: "bold", Offset: 9, Length: 4}, {Type: "code", Offset: 21, Length: 6}}
	if got.Text != "Start at nine sharp, gate B" || !sameEntities(got.Entities, want) {
		t.Fatalf("Bob got %q %+v", got.Text, got.Entities)
	}
	// Editing shows the markers again; the bold survives the edit.
	a.typ(ptytest.Up, "e")
	a.see("Start at **nine** sharp, `gate B`")
	a.typ("!", ptytest.Enter)
	a.see("│  Start at nine sharp, gate B!", "edited")
	waitFor(t, func() bool {
		m := lastMessage(t, bob, sent.ChatID)
		return m.Text == "Start at nine sharp, gate B!" && sameEntities(m.Entities, want)
	}, "the edit with its entities")
}

func sameEntities(got, want []client.Entity) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || (g.Type == w.Type && g.Offset == w.Offset && g.Length == w.Length)
		}
		if !found {
			return false
		}
	}
	return true
}

// TestCacheFollowsChatUpdate: a chat's description changed while the app
// runs (a chat.update event, which carries no data) reaches the cache
// too, not only the screen.
func TestCacheFollowsChatUpdate(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	c := ctx(t)
	group, err := bob.CreateGroup(c, "Book club", []int64{annU.ID})
	if err != nil {
		t.Fatal(err)
	}
	cfg := signedIn(t, srv, ann)
	a := startChat(t, cfg, 80, 24, "")
	a.see("Book club")
	about := "Tuesdays at eight"
	if _, err := bob.UpdateChat(c, client.ChatUpdate{ChatID: group.ID, About: &about}); err != nil {
		t.Fatal(err)
	}
	a.typ(ptytest.Enter)
	a.typ(ptytest.CtrlG)
	a.see(about)
	a.quit()

	_, ds := keptDialogs(t, cfg, annU.ID)
	if len(ds) != 1 || ds[0].Chat.About != about || ds[0].Chat.Title != "Book club" {
		t.Fatalf("cached dialogs: %+v", ds)
	}
}
