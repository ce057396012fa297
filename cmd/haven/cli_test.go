package main

// These tests run the terminal commands (haven login, logout, send,
// history, chats, chat) of the real binary against a real server, with
// answers piped into standard input, one config directory per person.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	sdk "github.com/havenchat/haven/client"
	_ "modernc.org/sqlite" // to write a name the server would refuse
)

// person is someone using the terminal commands: their own config
// directory and environment.
type person struct {
	t   *testing.T
	dir string // HAVEN_CONFIG_DIR
	env []string
}

func newPerson(t *testing.T, server string) *person {
	dir := filepath.Join(t.TempDir(), "config")
	return &person{t: t, dir: dir, env: cleanEnv("HAVEN_CONFIG_DIR="+dir, "HAVEN_SERVER="+server, "TZ=UTC")}
}

// run runs "haven args..." as the person with stdin as standard input.
func (pe *person) run(stdin string, args ...string) result {
	pe.t.Helper()
	return runIn(pe.t, pe.env, strings.NewReader(stdin), args...)
}

// runIn runs the binary to completion (at most 20 s) with env and stdin.
func runIn(t *testing.T, env []string, stdin io.Reader, args ...string) result {
	t.Helper()
	return runTalking(t, t.TempDir(), env, func(w io.Writer) { io.Copy(w, stdin) }, args...)
}

// login runs "haven login" as the person: it types phone, waits for the
// n-th code p logs, then types what answers(code) gives, one a line.
func (pe *person) login(p *proc, phone string, n int, answers func(code string) []string) result {
	pe.t.Helper()
	return runTalking(pe.t, pe.t.TempDir(), pe.env, func(stdin io.Writer) {
		fmt.Fprintln(stdin, phone)
		code := p.code(phone, n)
		for _, a := range answers(code) {
			fmt.Fprintln(stdin, a)
		}
	}, "login")
}

// storedSession is the session file as the tests read it.
type storedSession struct {
	Server string `json:"server"`
	Token  string `json:"token"`
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
}

// session reads the person's session file and checks its modes.
func (pe *person) session() storedSession {
	pe.t.Helper()
	path := filepath.Join(pe.dir, "session.json")
	fi, err := os.Stat(path)
	if err != nil {
		pe.t.Fatalf("session file: %v", err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		pe.t.Errorf("session file mode %o, want 600", m)
	}
	di, err := os.Stat(pe.dir)
	if err != nil {
		pe.t.Fatal(err)
	}
	if m := di.Mode().Perm(); m != 0o700 {
		pe.t.Errorf("config directory mode %o, want 700", m)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		pe.t.Fatal(err)
	}
	var s storedSession
	if err := json.Unmarshal(data, &s); err != nil {
		pe.t.Fatalf("session file %q: %v", data, err)
	}
	if !strings.HasPrefix(s.Token, "hvn_") {
		pe.t.Fatalf("session file has no session token: %q", data)
	}
	return s
}

// hasSession reports whether the person's session file exists.
func (pe *person) hasSession() bool {
	_, err := os.Stat(filepath.Join(pe.dir, "session.json"))
	return err == nil
}

// wantRun checks a result's exit status and that its stdout and stderr
// contain the given strings.
func wantRun(t *testing.T, what string, r result, code int, stdout, stderr []string) {
	t.Helper()
	ok := r.code == code
	for _, s := range stdout {
		ok = ok && strings.Contains(r.stdout, s)
	}
	for _, s := range stderr {
		ok = ok && strings.Contains(r.stderr, s)
	}
	if !ok {
		t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q", what, r.code, r.stdout, r.stderr, code, stdout, stderr)
	}
}

// noSecret fails the test if the token appears in r's output.
func noSecret(t *testing.T, what string, r result, token string) {
	t.Helper()
	if strings.Contains(r.stdout, token) || strings.Contains(r.stderr, token) || strings.Contains(r.stdout+r.stderr, "hvn_") {
		t.Errorf("%s printed a token", what)
	}
}

// wrong is a code that is not code.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestTerminalCommands(t *testing.T) {
	t.Parallel()
	p := startServing(t, t.TempDir())
	ctx := context.Background()
	const annPhone, bobPhone = "+442079460201", "+442079460202"

	ann, bob := newPerson(t, p.url), newPerson(t, p.url)
	r := ann.login(p, annPhone, 1, func(code string) []string { return []string{wrong(code), code, "Ann", "Lee"} })
	wantRun(t, "ann: haven login", r, 0, []string{"Signed in as Ann Lee"}, []string{"Wrong code", "CODE_INVALID", "no account", "First name"})
	annS := ann.session()
	noSecret(t, "haven login", r, annS.Token)
	if annS.Server != p.url || annS.Name != "Ann Lee" || annS.UserID == 0 {
		t.Errorf("ann's session: server %q, name %q, user %d", annS.Server, annS.Name, annS.UserID)
	}
	r = bob.login(p, bobPhone, 2, func(code string) []string { return []string{code, "Bob", ""} })
	wantRun(t, "bob: haven login", r, 0, []string{"Signed in as Bob "}, nil)
	bobS := bob.session()
	noSecret(t, "haven login", r, bobS.Token)

	// The stored tokens are the people's sessions.
	annC, bobC := sdk.New(p.url, sdk.WithToken(annS.Token)), sdk.New(p.url, sdk.WithToken(bobS.Token))
	if me, err := annC.Me(ctx); err != nil || me.ID != annS.UserID {
		t.Fatalf("users.getMe with ann's stored token: %+v, %v", me, err)
	}
	if _, err := bobC.UpdateUsername(ctx, "bobby"); err != nil {
		t.Fatal(err)
	}
	// Ann takes her username, and a new last name, with haven profile.
	r = ann.run("", "profile", "--username", "@ann_lee", "--last", "Lee-Park")
	wantRun(t, "haven profile --username @ann_lee --last Lee-Park", r, 0,
		[]string{"Name:      Ann Lee-Park", "Username:  @ann_lee", fmt.Sprintf("Id:        user:%d", annS.UserID)}, nil)
	if s := ann.session(); s.Name != "Ann Lee-Park" {
		t.Errorf("the session still names %q", s.Name)
	}
	r = ann.run("", "profile", "--last", "Lee")
	wantRun(t, "haven profile --last Lee", r, 0, []string{"Name:      Ann Lee\n"}, nil)
	r = bob.run("", "profile", "--username", "9lives")
	wantRun(t, "haven profile with a bad username", r, 1, nil, []string{"haven profile: ", "USERNAME_INVALID"})
	r = bob.run("", "profile", "--username", "ann_lee")
	wantRun(t, "haven profile with a taken username", r, 1, nil, []string{"USERNAME_OCCUPIED"})
	r = bob.run("", "profile", "--json")
	var bobMe sdk.User
	if err := json.Unmarshal([]byte(r.stdout), &bobMe); err != nil || bobMe.Username != "bobby" || bobMe.ID != bobS.UserID {
		t.Errorf("haven profile --json: %+v, %v\n%s", bobMe, err, r.stdout)
	}

	// A second login is refused while signed in.
	r = ann.run("", "login")
	wantRun(t, "haven login while signed in", r, 1, nil, []string{"already signed in as Ann Lee", "haven logout"})

	// The full-screen app wants a terminal, and says so to a pipe.
	r = ann.run("", "chat")
	wantRun(t, "haven chat without a terminal", r, 1, nil, []string{"haven chat: needs a terminal"})

	r = ann.run("", "send", "@bobby", "hi")
	wantRun(t, "haven send @bobby hi", r, 0, []string{"Sent message 1 to Bob"}, nil)
	r = bob.run("", "history", "@ann_lee")
	if !regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d  Ann Lee: hi$`).MatchString(r.stdout) || r.code != 0 {
		t.Errorf("bob: haven history @ann_lee: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = bob.run("", "history", "--json", "@ann_lee")
	var ms []sdk.Message
	if err := json.Unmarshal([]byte(r.stdout), &ms); err != nil || r.code != 0 {
		t.Fatalf("haven history --json: exit %d, %v: %q", r.code, err, r.stdout)
	}
	if len(ms) != 1 || ms[0].Text != "hi" || ms[0].SenderID != annS.UserID {
		t.Errorf("haven history --json: %+v", ms)
	}
	chatID := ms[0].ChatID

	r = bob.run("", "chats", "--json")
	var ds []sdk.Dialog
	if err := json.Unmarshal([]byte(r.stdout), &ds); err != nil || r.code != 0 {
		t.Fatalf("haven chats --json: exit %d, %v: %q", r.code, err, r.stdout)
	}
	if len(ds) != 1 || ds[0].Chat.ID != chatID || ds[0].UnreadCount != 1 || ds[0].Peer == nil || ds[0].Peer.ID != annS.UserID {
		t.Errorf("bob: haven chats --json: %+v", ds)
	}
	// Flags may follow the chat; text may come from stdin; a reply is marked.
	r = bob.run("hello Ann\nsecond line\n", "send", "user:"+fmt.Sprint(annS.UserID), "-", "--json")
	var sent sdk.Message
	if err := json.Unmarshal([]byte(r.stdout), &sent); err != nil || r.code != 0 {
		t.Fatalf("haven send - --json: exit %d, %v: %q %q", r.code, err, r.stdout, r.stderr)
	}
	if sent.Text != "hello Ann\nsecond line" || sent.ChatID != chatID || sent.ID != 2 {
		t.Errorf("haven send - --json: %+v", sent)
	}
	if _, err := annC.Send(ctx, &sdk.SendParams{ChatID: chatID, Text: "yes?", ReplyToID: 2}); err != nil {
		t.Fatal(err)
	}
	r = ann.run("", "history", "--limit", "2", "chat:"+fmt.Sprint(chatID))
	want := "2026-XX  Bob: hello Ann\n                  second line\n2026-XX  Ann Lee: [reply to Bob: \"hello Ann second line\"] yes?\n"
	if got := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d`).ReplaceAllString(r.stdout, "2026-XX"); got != want || r.code != 0 {
		t.Errorf("haven history --limit 2: exit %d, stdout\n%s\nwant\n%s\nstderr %q", r.code, got, want, r.stderr)
	}

	r = bob.run("", "chats")
	if !regexp.MustCompile(`(?m)^@ann_lee +Ann Lee +\d+ +yes\?$`).MatchString(r.stdout) || r.code != 0 {
		t.Errorf("bob: haven chats: exit %d, stdout %q", r.code, r.stdout)
	}

	// Flags anywhere; after --, everything is the text, flags included.
	r = bob.run("", "send", "--json", "user:"+fmt.Sprint(annS.UserID), "--", "--json")
	var dashed sdk.Message
	if err := json.Unmarshal([]byte(r.stdout), &dashed); err != nil || r.code != 0 || dashed.Text != "--json" {
		t.Fatalf("haven send --json CHAT -- --json: exit %d, %v: %q %q", r.code, err, r.stdout, r.stderr)
	}
	// A @username that is no person's is looked up as a public chat; a
	// channel signs its posts.
	if _, err := annC.CreateChannel(ctx, "Ann's News", "", "ann_news"); err != nil {
		t.Fatal(err)
	}
	r = ann.run("", "send", "@ann_news", "first post")
	wantRun(t, "haven send @ann_news", r, 0, []string{"Sent message 2 to Ann's News"}, nil)
	r = bob.run("", "history", "@ann_news")
	if !regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d  Ann's News: first post$`).MatchString(r.stdout) || r.code != 0 {
		t.Errorf("bob: haven history @ann_news: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	// Mistakes get a clear message and the right status.
	nobody := newPerson(t, p.url)
	for _, c := range []struct {
		who    *person
		args   []string
		stdin  string
		code   int
		stderr string
	}{
		{ann, []string{"send", "@nobody_here", "hi"}, "", 1, "no person or public chat has the username @nobody_here"},
		{ann, []string{"send", "@bobby", ""}, "", 2, "the message text is empty"},
		{ann, []string{"send", "@bobby", "-"}, " \n", 2, "the message text is empty"},
		{ann, []string{"send", "@bobby"}, "", 2, "want a chat and a text"},
		{ann, []string{"send", "42", "hi"}, "", 2, `"42" is ambiguous: write user:42 for a person or chat:42 for a chat`},
		{ann, []string{"send", "chat:x", "hi"}, "", 2, "must be followed by a positive number"},
		{ann, []string{"send", "--bogus", "@bobby", "hi"}, "", 2, "flag provided but not defined: -bogus"},
		{ann, []string{"history", "--limit", "0", "@bobby"}, "", 2, "--limit 0: must be from 1 to 1000"},
		{ann, []string{"history", "user:999999"}, "", 1, "you have no chat with user:999999 yet"},
		{ann, []string{"chats", "extra"}, "", 2, `unexpected argument "extra"`},
		{nobody, []string{"send", "@bobby", "hi"}, "", 1, "not signed in: run haven login"},
		{nobody, []string{"history", "@bobby"}, "", 1, "not signed in: run haven login"},
		{nobody, []string{"chats"}, "", 1, "not signed in: run haven login"},
		{nobody, []string{"chat"}, "", 1, "not signed in: run haven login"},
		{nobody, []string{"logout"}, "", 1, "not signed in"},
		{nobody, []string{"login", "--server", "ftp://x"}, "", 2, `server "ftp://x" is not an http:// or https:// URL`},
		{nobody, []string{"login"}, "", 1, "no answer: the input ended"},
	} {
		r := runIn(t, c.who.env, strings.NewReader(c.stdin), c.args...)
		wantRun(t, "haven "+strings.Join(c.args, " "), r, c.code, nil, []string{"haven " + c.args[0] + ": ", c.stderr})
	}
	if nobody.hasSession() {
		t.Errorf("a failed login left a session file")
	}
	for _, cmd := range []string{"login", "logout", "send", "history", "chats", "chat", "profile"} {
		r := nobody.run("", cmd, "--help")
		wantRun(t, "haven "+cmd+" --help", r, 0, []string{"Usage: haven " + cmd}, nil)
	}

	// haven logout ends the session on the server and removes the file.
	r = ann.run("", "logout")
	wantRun(t, "haven logout", r, 0, []string{"Signed out Ann Lee"}, nil)
	if ann.hasSession() {
		t.Errorf("haven logout left the session file")
	}
	if _, err := annC.Me(ctx); !sdk.IsCode(err, "AUTH_TOKEN_INVALID") {
		t.Errorf("users.getMe after haven logout: %v, want AUTH_TOKEN_INVALID", err)
	}

	// A session already ended elsewhere: the file still goes.
	if err := bobC.LogOut(ctx); err != nil {
		t.Fatal(err)
	}
	r = bob.run("", "send", "@ann_lee", "hi")
	wantRun(t, "haven send with an ended session", r, 1, nil, []string{"AUTH_TOKEN_INVALID", "haven login"})
	r = bob.run("", "chat")
	wantRun(t, "haven chat with an ended session", r, 1, nil, []string{"AUTH_TOKEN_INVALID", "haven login"})
	r = bob.run("", "logout")
	wantRun(t, "haven logout of an ended session", r, 0, []string{"Signed out"}, []string{"already ended"})
	if bob.hasSession() {
		t.Errorf("haven logout of an ended session left the file")
	}
}

// TestLoginPassword signs in to an account with two-step verification:
// haven login asks for the password, shows the hint, and asks again
// after a wrong one.
func TestLoginPassword(t *testing.T) {
	t.Parallel()
	p := startServing(t, t.TempDir())
	const phone = "+442079460203"
	cid := newPerson(t, p.url)
	r := cid.login(p, phone, 1, func(code string) []string { return []string{code, "Cid", ""} })
	wantRun(t, "haven login", r, 0, nil, nil)
	s := cid.session()
	c := sdk.New(p.url, sdk.WithToken(s.Token))
	const password = "correct horse battery"
	if _, err := c.SetPassword(context.Background(), sdk.SetPasswordParams{NewPassword: password, Hint: "the staple one"}); err != nil {
		t.Fatal(err)
	}
	wantRun(t, "haven logout", cid.run("", "logout"), 0, nil, nil)

	r = cid.login(p, phone, 2, func(code string) []string { return []string{code, "not the password", password} })
	wantRun(t, "haven login with a password", r, 0, []string{"Signed in as Cid"},
		[]string{"two-step verification", "Password hint: the staple one", "Password: ", "Wrong password", "PASSWORD_INVALID"})
	if strings.Contains(r.stdout+r.stderr, password) {
		t.Errorf("haven login printed the password")
	}
	s2 := cid.session()
	noSecret(t, "haven login", r, s2.Token)
	if s2.UserID != s.UserID || s2.Token == s.Token {
		t.Errorf("second sign-in: user %d (want %d), same token %v", s2.UserID, s.UserID, s2.Token == s.Token)
	}
}

// TestLogoutServerDown: haven logout removes the file when the server
// cannot be reached, and says that the session may still be active.
func TestLogoutServerDown(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	l.Close()
	pe := newPerson(t, down)
	if err := os.MkdirAll(pe.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	data := `{"server": "` + down + `", "token": "hvn_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "user_id": 7, "name": "Dee"}`
	if err := os.WriteFile(filepath.Join(pe.dir, "session.json"), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	r := pe.run("", "chats")
	wantRun(t, "haven chats with the server down", r, 1, nil, []string{"cannot reach the server at " + down})
	// With no cache to open offline, haven chat says so too.
	r = pe.run("", "chat")
	wantRun(t, "haven chat with the server down", r, 1, nil, []string{"cannot reach the server at " + down})
	r = pe.run("", "logout")
	wantRun(t, "haven logout with the server down", r, 1, []string{"Signed out Dee"}, []string{"cannot reach the server", "may still be active"})
	if pe.hasSession() {
		t.Errorf("haven logout left the session file")
	}
	r = pe.run("+442079460204\n", "login")
	wantRun(t, "haven login with the server down", r, 1, nil, []string{"cannot reach the server at " + down})
}

// TestServeIgnoresClientEnv: HAVEN_SERVER and HAVEN_CONFIG_DIR, set for
// the terminal commands, do not stop "haven serve" (which rejects the
// HAVEN_* variables it does not know).
func TestServeIgnoresClientEnv(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(havenBin, "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	cmd.Env = cleanEnv("HAVEN_SERVER=http://127.0.0.1:1", "HAVEN_CONFIG_DIR="+t.TempDir())
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() { _ = cmd.Process.Kill(); <-exited }()
	deadline := time.After(15 * time.Second)
	for !servingLine.MatchString(stderr.String()) {
		select {
		case <-exited:
			t.Fatalf("haven serve exited: %s", stderr.String())
		case <-deadline:
			t.Fatalf("haven serve did not serve: %s", stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestInterruptedExit: Ctrl-C at a prompt ends the command with status
// 130, as a shell reports an interrupted program, and says so.
func TestInterruptedExit(t *testing.T) {
	t.Parallel()
	pe := newPerson(t, "http://127.0.0.1:1")
	cmd := exec.Command(havenBin, "login")
	cmd.Env = pe.env
	stdin, err := cmd.StdinPipe() // open, and never written: login waits at its prompt
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String()+stderr.String(), ":") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("haven login did not end on SIGINT")
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.Contains(stderr.String(), "interrupted") {
		t.Fatalf("haven login after SIGINT: exit %d, stderr %q; want 130 and \"interrupted\"", code, stderr.String())
	}
}

// TestTextFromOthersIsInert: escape sequences and control characters in
// what others wrote (a message, a caption, a name) reach the terminal
// as visible stand-ins from every command that prints them, never as
// the sequences a terminal would act on.
func TestTextFromOthersIsInert(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	p := startServing(t, dataDir)
	ctx := context.Background()
	ann, bob := newPerson(t, p.url), newPerson(t, p.url)
	r := ann.login(p, "+442079460301", 1, func(code string) []string { return []string{code, "Ann", ""} })
	wantRun(t, "ann: haven login", r, 0, []string{"Signed in as Ann"}, []string{"was written to the server's log", `"LOGIN CODE"`})
	bob.login(p, "+442079460302", 2, func(code string) []string { return []string{code, "Bob", ""} })
	bobC := sdk.New(p.url, sdk.WithToken(bob.session().Token))
	if _, err := bobC.UpdateUsername(ctx, "bob_evil"); err != nil {
		t.Fatal(err)
	}
	const evil = "\x1b]0;pwned\x07\x1b[2J"
	const shown = "␛]0;pwned␇␛[2J"
	annID := ann.session().UserID
	// Bob finds Ann by her username: an id alone reaches nobody.
	annC := sdk.New(p.url, sdk.WithToken(ann.session().Token))
	if _, err := annC.UpdateUsername(ctx, "ann_inert"); err != nil {
		t.Fatal(err)
	}
	if _, err := bobC.ResolveUsername(ctx, "ann_inert"); err != nil {
		t.Fatal(err)
	}
	if _, err := bobC.Send(ctx, &sdk.SendParams{UserID: annID, Text: "hello " + evil}); err != nil {
		t.Fatal(err)
	}
	f, err := bobC.UploadBytes(ctx, []byte("notes"), "notes.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bobC.SendMedia(ctx, &sdk.MediaParams{UserID: annID, Kind: "document", FileID: f.ID, Caption: "caption " + evil}); err != nil {
		t.Fatal(err)
	}
	// The server refuses control characters in names; a name stored
	// before it did (or by another program) is written to the database.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "haven.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE users SET first_name = ? WHERE username_canon = 'bob_evil'`, "Bob"+evil); err != nil {
		t.Fatal(err)
	}
	if me, err := bobC.Me(ctx); err != nil || me.FirstName != "Bob"+evil {
		t.Fatalf("the stored name: %+v, %v", me, err)
	}
	for _, c := range []struct {
		who  *person
		args []string
		want []string
	}{
		{ann, []string{"history", "@bob_evil"}, []string{"Bob" + shown + ": hello " + shown, "caption " + shown}},
		{ann, []string{"chats"}, []string{"Bob" + shown, "caption " + shown}},
		{ann, []string{"send", "@bob_evil", "hi"}, []string{"to Bob" + shown}},
		{bob, []string{"profile"}, []string{"Name:      Bob" + shown}},
	} {
		r := c.who.run("", c.args...)
		if r.code != 0 || strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07") {
			t.Errorf("haven %s: exit %d, printed escapes:\nstdout %q\nstderr %q", strings.Join(c.args, " "), r.code, r.stdout, r.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("haven %s: stdout %q lacks %q", strings.Join(c.args, " "), r.stdout, w)
			}
		}
	}
	// JSON stays JSON: its escapes are JSON's.
	r = ann.run("", "history", "--json", "@bob_evil")
	if !strings.Contains(r.stdout, `\u001b]0;pwned\u0007`) || strings.ContainsAny(r.stdout, "\x1b\x07") {
		t.Errorf("haven history --json: %q", r.stdout)
	}
}
