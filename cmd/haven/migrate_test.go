package main

// The move from SQLite to PostgreSQL, with the real binary: an
// installation populated through the public API is copied with haven
// admin migrate (a snapshot of the running server), copied again after
// it changed (a run interrupted midway first, which changes nothing),
// and a server on the PostgreSQL database serves the same history,
// dialogs, search, files, sessions, sign-ins and secret-chat envelopes,
// and goes on with new ids after the copied ones.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/admin"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
	"github.com/havenchat/haven/internal/store/sqlite"
	"github.com/havenchat/haven/internal/store/sqltopg"
	"github.com/havenchat/haven/internal/testserver"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// chatState is what a person sees of a chat: its whole history, as the
// API gives it, and its dialog.
type chatState struct {
	History []sdk.Message
	Top     int64
	Unread  int
	ReadMax int64
	Title   string
}

func seeChats(t *testing.T, ctx context.Context, c *sdk.Client) map[int64]chatState {
	t.Helper()
	ds, err := c.Dialogs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]chatState{}
	for _, d := range ds {
		s := chatState{Unread: d.UnreadCount, ReadMax: d.ReadInboxMaxID, Title: d.Chat.Title}
		if d.TopMessage != nil {
			s.Top = d.TopMessage.ID
		}
		for before := int64(0); ; {
			page, err := c.History(ctx, sdk.HistoryParams{ChatID: d.Chat.ID, BeforeID: before, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			s.History = append(s.History, page...)
			if len(page) < 100 {
				break
			}
			before = page[len(page)-1].ID
		}
		out[d.Chat.ID] = s
	}
	return out
}

func TestMigrateToPostgres(t *testing.T) {
	t.Parallel()
	srv := pgtest.Get(t)
	target := srv.ConnString(srv.NewEmpty(t))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	data := t.TempDir()
	flags := []string{"--flood-rate", "100000", "--flood-burst", "100000"}
	p := startServing(t, data, flags...)

	// Three people; Ann and Bob are contacts.
	tokA, _ := signUp(t, p, "+442079460051", "Ann", 1)
	tokB, bob := signUp(t, p, "+442079460052", "Bob", 2)
	tokC, cat := signUp(t, p, "+442079460053", "Cat", 3)
	a := sdk.New(p.url, sdk.WithToken(tokA))
	b := sdk.New(p.url, sdk.WithToken(tokB))
	c := sdk.New(p.url, sdk.WithToken(tokC))
	if err := testserver.Befriend(ctx, a, b); err != nil {
		t.Fatal(err)
	}

	// A private chat: texts, an edit, a reaction, a reply, a file.
	var private int64
	for i := range 12 {
		m, err := a.Send(ctx, &sdk.SendParams{UserID: bob.ID, Text: "private " + string(rune('a'+i))})
		if err != nil {
			t.Fatal(err)
		}
		private = m.ChatID
	}
	if _, err := a.Edit(ctx, private, 3, "private c, edited", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.React(ctx, private, 2, "👍"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Send(ctx, &sdk.SendParams{ChatID: private, Text: "a reply", ReplyToID: 1}); err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, 700<<10) // two parts
	rand.Read(blob)
	f, err := a.UploadFile(ctx, bytes.NewReader(blob), int64(len(blob)), "notes.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SendMedia(ctx, &sdk.MediaParams{ChatID: private, Kind: "document", FileID: f.ID, Caption: "the notes"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Read(ctx, private, 5); err != nil {
		t.Fatal(err)
	}

	// A group, joined by an invite link, and a channel with a username.
	group, err := a.CreateGroup(ctx, "Movers", nil)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := a.CreateInvite(ctx, group.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []*sdk.Client{b, c} {
		if _, err := x.JoinByInvite(ctx, inv.Hash); err != nil {
			t.Fatal(err)
		}
	}
	for i, x := range []*sdk.Client{a, b, c, a} {
		if _, err := x.Send(ctx, &sdk.SendParams{ChatID: group.ID, Text: "group " + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.React(ctx, group.ID, 2, "🔥"); err != nil {
		t.Fatal(err)
	}
	channel, err := a.CreateChannel(ctx, "Moving news", "about the move", "moving_news")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Join(ctx, channel.ID); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := a.Send(ctx, &sdk.SendParams{ChatID: channel.ID, Text: "post " + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}

	// A secret chat: Ann's envelope waits on the server for Bob's device.
	secrets := t.TempDir()
	as, err := sdk.CreateSecretDevice(ctx, a, filepath.Join(secrets, "a.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdk.CreateSecretDevice(ctx, b, filepath.Join(secrets, "b.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := as.SendText(ctx, bob.ID, "a secret across the move", 0); err != nil {
		t.Fatal(err)
	}

	// A sign-in begun before the move, finished after it.
	var pending sentCode
	call(t, p.url, "auth.sendCode", "", map[string]string{"identifier": "+442079460053", "device": "moved"}, &pending)
	pendingCode := p.code("+442079460053", 4)

	beforeA, beforeB := seeChats(t, ctx, a), seeChats(t, ctx, b)
	if len(beforeA) != 3 || len(beforeB) != 3 {
		t.Fatalf("Ann sees %d chats, Bob %d; want 3 each", len(beforeA), len(beforeB))
	}

	// Not while the server runs, unless asked.
	if r := runAdmin(t, "migrate", "--from", data, "--to", target); r.code != 1 || !strings.Contains(r.stderr, "running") {
		t.Fatalf("haven admin migrate beside a running server: exit %d, stderr %q; want 1 and a word that it runs", r.code, r.stderr)
	}

	// The first copy, a snapshot of the running server, as an operator
	// trying the move would take it.
	r := runAdmin(t, "migrate", "--live", "--from", data, "--to", target)
	p.stop()
	if r.code != 0 || !strings.Contains(r.stdout, "count and checksum match") || !strings.Contains(r.stdout, "messages") {
		t.Fatalf("haven admin migrate: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("haven admin migrate:\n%s", r.stdout)
	if strings.Contains(r.stdout, " 1 rows") {
		t.Errorf("haven admin migrate says \"1 rows\":\n%s", r.stdout)
	}

	// Another installation is refused, and changes nothing.
	other := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(other, "haven.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if r := runAdmin(t, "migrate", "--from", other, "--to", target); r.code != 1 || !strings.Contains(r.stderr, "another installation") {
		t.Fatalf("haven admin migrate of another installation: exit %d, stderr %q; want 1 and \"another installation\"", r.code, r.stderr)
	}

	// The SQLite server goes on a little: one more message.
	p = startServing(t, data, flags...)
	late, err := sdk.New(p.url, sdk.WithToken(tokA)).Send(ctx, &sdk.SendParams{ChatID: private, Text: "after the first copy"})
	if err != nil {
		t.Fatal(err)
	}
	beforeA, beforeB = seeChats(t, ctx, sdk.New(p.url, sdk.WithToken(tokA))), seeChats(t, ctx, sdk.New(p.url, sdk.WithToken(tokB)))
	p.stop()

	// A second copy, interrupted midway, changes nothing.
	db, err := sql.Open("pgx", target)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func() (n int64) {
		t.Helper()
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM messages`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	copied := count()
	ictx, interrupt := context.WithCancel(ctx)
	var sawCopy, sawMessages bool
	_, err = admin.Migrate(ictx, admin.MigrateOptions{From: data, To: target, Progress: func(pr sqltopg.Progress) {
		sawCopy = sawCopy || pr.Phase == "copy" && pr.Index > 1
		if pr.Table == "messages" {
			sawMessages = true
			interrupt()
		}
	}})
	interrupt()
	if !errors.Is(err, context.Canceled) || !sawCopy || !sawMessages {
		t.Fatalf("the interrupted copy: %v (copied tables before messages: %v)", err, sawCopy)
	}
	if n := count(); n != copied {
		t.Fatalf("after an interrupted copy PostgreSQL holds %d messages; want the first copy's %d", n, copied)
	}

	// Run again: it replaces the first copy, which nothing changed.
	r = runAdmin(t, "migrate", "--from", data, "--to", target)
	if r.code != 0 || !strings.Contains(r.stdout, "Replaced the copy made at") {
		t.Fatalf("haven admin migrate, again: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if n := count(); n != copied+1 {
		t.Fatalf("after the second copy PostgreSQL holds %d messages; want %d", n, copied+1)
	}

	// The SQLite database leaves the data directory (the keys and the
	// blobs stay): the server below can only be reading PostgreSQL.
	moved := t.TempDir()
	for _, name := range []string{"haven.db", "haven.db-search.db"} {
		if err := os.Rename(filepath.Join(data, name), filepath.Join(moved, name)); err != nil {
			t.Fatal(err)
		}
	}
	q := startServing(t, data, append(flags, "--db", target)...)
	a2, b2 := sdk.New(q.url, sdk.WithToken(tokA)), sdk.New(q.url, sdk.WithToken(tokB))
	afterA, afterB := seeChats(t, ctx, a2), seeChats(t, ctx, b2)
	for _, w := range []struct {
		who           string
		before, after map[int64]chatState
	}{{"Ann", beforeA, afterA}, {"Bob", beforeB, afterB}} {
		bj, _ := json.Marshal(w.before)
		aj, _ := json.Marshal(w.after)
		if !bytes.Equal(bj, aj) {
			t.Fatalf("%s's chats on PostgreSQL differ from SQLite's:\nbefore %s\nafter  %s", w.who, bj, aj)
		}
	}
	if got := afterA[private].History[0]; got.ID != late.ID || got.Text != "after the first copy" {
		t.Fatalf("the newest private message on PostgreSQL is %+v, want %+v", got, late)
	}

	// Search: PostgreSQL made the words of the copied messages.
	if hits, err := a2.Search(ctx, sdk.SearchParams{Query: "edited", ChatID: private, Limit: 5}); err != nil || len(hits) != 1 || hits[0].ID != 3 {
		t.Fatalf("searching the moved chat for \"edited\": %+v, %v; want message 3", hits, err)
	}

	// Files, sessions, a pending sign-in, the secret envelope.
	var buf bytes.Buffer
	if _, err := b2.Download(ctx, f.ID, &buf); err != nil || !bytes.Equal(buf.Bytes(), blob) {
		t.Fatalf("the file on PostgreSQL: %d bytes, %v; want the %d uploaded", buf.Len(), err, len(blob))
	}
	if me, err := b2.Me(ctx); err != nil || me.ID != bob.ID {
		t.Fatalf("Bob's session on PostgreSQL: %+v, %v", me, err)
	}
	var auth authorization
	call(t, q.url, "auth.signIn", "", map[string]string{"login_token": pending.LoginToken, "code": pendingCode}, &auth)
	if auth.Status != "authorized" || auth.User.ID != cat.ID {
		t.Fatalf("finishing on PostgreSQL a sign-in begun on SQLite: %+v", auth)
	}
	bs, err := sdk.OpenSecretChats(b2, filepath.Join(secrets, "b.json"))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := bs.Receive(ctx)
	if err != nil || len(evs) != 1 || evs[0].Message == nil || evs[0].Message.Text != "a secret across the move" {
		t.Fatalf("Bob's device on PostgreSQL received %+v, %v; want Ann's secret message", evs, err)
	}

	// New ids go on after the copied ones.
	m, err := a2.Send(ctx, &sdk.SendParams{ChatID: private, Text: "on PostgreSQL"})
	if err != nil || m.ID != late.ID+1 {
		t.Fatalf("a message sent on PostgreSQL: %+v, %v; want id %d", m, err, late.ID+1)
	}
	g2, err := a2.CreateGroup(ctx, "After the move", nil)
	if err != nil || g2.ID <= channel.ID {
		t.Fatalf("a group made on PostgreSQL: %+v, %v; want an id after %d", g2, err, channel.ID)
	}
	tokD, dan := signUp(t, q, "+442079460054", "Dan", 1)
	if dan.ID <= cat.ID || tokD == "" {
		t.Fatalf("a person signed up on PostgreSQL has id %d; want one after %d", dan.ID, cat.ID)
	}

	// What is unique came with its lookup tables: Bob signs in by his
	// phone number to his own account, and Ann writing to Bob reaches
	// their private chat, not a new one.
	wantAuthorized(t, q, "+442079460052", 2, bob)
	if m, err := a2.Send(ctx, &sdk.SendParams{UserID: bob.ID, Text: "the same chat"}); err != nil || m.ChatID != private {
		t.Fatalf("Ann writing to Bob on PostgreSQL: %+v, %v; want their private chat %d", m, err, private)
	}

	// Now a server has written to it: the copy is the installation, and
	// copying the SQLite database over it again is refused.
	q.stop()
	written := count()
	if r := runAdmin(t, "migrate", "--from", moved, "--to", target); r.code != 1 || !strings.Contains(r.stderr, "changed since it was made") {
		t.Fatalf("haven admin migrate over a copy a server has written to: exit %d, stderr %q; want 1 and \"changed since it was made\"", r.code, r.stderr)
	}
	if n := count(); n != written || n < copied+2 {
		t.Fatalf("after the refused copy PostgreSQL holds %d messages; want the %d the server left", n, written)
	}
}
