package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/client/cache"
	"github.com/havenchat/haven/internal/testserver"
)

// countingTransport counts the requests by path; real HTTP otherwise.
type countingTransport struct {
	mu    sync.Mutex
	paths map[string]int
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ct.mu.Lock()
	if ct.paths == nil {
		ct.paths = make(map[string]int)
	}
	ct.paths[r.URL.Path]++
	ct.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (ct *countingTransport) count(method string) int {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	return ct.paths["/api/"+method]
}

// countingClient returns a client acting as the session of token whose
// HTTP requests ct counts.
func countingClient(base, token string, ct *countingTransport) *client.Client {
	return client.New(base, client.WithToken(token), client.WithHTTPClient(&http.Client{Transport: ct}))
}

// stopStream cancels a stream and waits for its channel to close, so
// that nothing more is saved in its store.
func stopStream(t *testing.T, cancel context.CancelFunc, evs <-chan client.Event) {
	t.Helper()
	cancel()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				return
			}
			if ev.Err != nil {
				t.Errorf("stream error: %v", ev.Err)
			}
		case <-timeout:
			t.Fatal("the stream did not end")
		}
	}
}

// eventLog records the events of a stream as comparable strings.
type eventLog struct {
	mu      sync.Mutex
	chat    []client.ChatEvent
	user    []client.UserEvent
	reloads []int64
	errs    []error
}

func (l *eventLog) run(evs <-chan client.Event) {
	for ev := range evs {
		l.mu.Lock()
		switch {
		case ev.Chat != nil:
			l.chat = append(l.chat, *ev.Chat)
		case ev.User != nil:
			l.user = append(l.user, *ev.User)
		case ev.ReloadChatID != 0:
			l.reloads = append(l.reloads, ev.ReloadChatID)
		case ev.Err != nil:
			l.errs = append(l.errs, ev.Err)
		}
		l.mu.Unlock()
	}
}

// waitFor waits until the log holds chat's event seq and user event pts.
func (l *eventLog) waitFor(t *testing.T, chatID, seq, pts int64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		l.mu.Lock()
		gotSeq := slices.ContainsFunc(l.chat, func(e client.ChatEvent) bool { return e.ChatID == chatID && e.Seq >= seq })
		gotPts := pts == 0 || slices.ContainsFunc(l.user, func(e client.UserEvent) bool { return e.Pts >= pts })
		errs := l.errs
		l.mu.Unlock()
		if len(errs) > 0 {
			t.Fatalf("stream errors: %v", errs)
		}
		if gotSeq && gotPts {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stream did not reach seq %d of chat %d and pts %d", seq, chatID, pts)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (l *eventLog) snapshot() ([]client.ChatEvent, []client.UserEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.chat), slices.Clone(l.user)
}

// describeHistory renders messages as "id:text" for comparison.
func describeHistory(ms []client.Message) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%d:%s ", m.ID, m.Text)
	}
	return b.String()
}

// describeDialogs renders what the cache derives of dialogs.
func describeDialogs(ds []client.Dialog) string {
	var b strings.Builder
	for _, d := range ds {
		top := "none"
		if d.TopMessage != nil {
			top = fmt.Sprintf("%d:%s", d.TopMessage.ID, d.TopMessage.Text)
		}
		fmt.Fprintf(&b, "chat %d seq %d top %s read %d unread %d pinned %v; ",
			d.Chat.ID, d.Chat.Seq, top, d.ReadInboxMaxID, d.UnreadCount, d.Pinned)
	}
	return b.String()
}

// TestCacheResume stops a program that keeps a cache, lets the
// conversation go on, and starts it again on the same cache: the new
// stream holds exactly the events missed, in order, found with
// sync.getDifference alone, and the cache agrees with the server.
func TestCacheResume(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv := testserver.Start(t)
	ann, _ := signUp(t, ctx, srv, "ann@example.org", "Ann")
	bob, bobMe := signUp(t, ctx, srv, "bob@example.org", "Bob")
	srv.Befriend(t, ann, bob)
	m0, err := ann.Send(ctx, &client.SendParams{UserID: bobMe.ID, Text: "m0"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	chatID := m0.ChatID
	path := filepath.Join(t.TempDir(), "bob.cache")
	send := func(text string) *client.Message {
		t.Helper()
		m, err := ann.Send(ctx, &client.SendParams{ChatID: chatID, Text: text})
		if err != nil {
			t.Fatalf("Send %q: %v", text, err)
		}
		return m
	}

	// The first run starts from scratch, seeds the history, and receives
	// three messages live.
	var ct1 countingTransport
	c1, err := cache.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	bob1 := countingClient(srv.URL, bob.Token(), &ct1)
	uctx1, ucancel1 := context.WithCancel(ctx)
	defer ucancel1()
	evs1 := bob1.UpdatesWithStore(uctx1, c1)
	if ct1.count("sync.getState") != 1 || ct1.count("dialogs.list") != 1 {
		t.Fatalf("a first start calls sync.getState and dialogs.list once each: %v", ct1.paths)
	}
	hist, err := bob1.History(ctx, client.HistoryParams{ChatID: chatID})
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	if err := c1.SaveHistory(ctx, chatID, hist); err != nil {
		t.Fatalf("SaveHistory: %v", err)
	}
	var before []*client.ChatEvent
	m1, m2, m3 := send("m1"), send("m2"), send("m3")
	for _, want := range []*client.Message{m1, m2, m3} {
		ev := nextMessage(t, evs1)
		if ev.Message.ID != want.ID {
			t.Fatalf("got message %d, want %d", ev.Message.ID, want.ID)
		}
		before = append(before, ev)
	}
	stopStream(t, ucancel1, evs1)
	ds, err := c1.Dialogs(ctx)
	if err != nil {
		t.Fatalf("Dialogs: %v", err)
	}
	if got, want := describeDialogs(ds), fmt.Sprintf("chat %d seq %d top %d:m3 read 0 unread 4 pinned false; ", chatID, before[2].Seq, m3.ID); got != want {
		t.Fatalf("cached dialogs after the first run\n got %s\nwant %s", got, want)
	}
	if err := c1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	lastSeq := before[2].Seq

	// While the program is away: new messages, an edit, a deletion, and
	// Bob reads on another device.
	m4, m5 := send("m4"), send("m5")
	if _, err := ann.Edit(ctx, chatID, m4.ID, "m4 edited", nil); err != nil {
		t.Fatalf("Edit: %v", err)
	}
	if _, err := ann.Delete(ctx, chatID, []int64{m1.ID}, true); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := bob.Read(ctx, chatID, m5.ID); err != nil {
		t.Fatalf("Read: %v", err)
	}
	m6 := send("m6")
	chat, err := bob.Chat(ctx, chatID)
	if err != nil {
		t.Fatalf("Chat: %v", err)
	}
	st, err := bob.GetState(ctx)
	if err != nil {
		t.Fatalf("GetState: %v", err)
	}

	// The second run resumes from the cache.
	var ct2 countingTransport
	c2, err := cache.Open(path)
	if err != nil {
		t.Fatalf("Open again: %v", err)
	}
	defer c2.Close()
	bob2 := countingClient(srv.URL, bob.Token(), &ct2)
	uctx2, ucancel2 := context.WithCancel(ctx)
	defer ucancel2()
	evs2 := bob2.UpdatesWithStore(uctx2, c2)
	var log eventLog
	done := make(chan struct{})
	go func() { defer close(done); log.run(evs2) }()
	log.waitFor(t, chatID, chat.Seq, st.Pts)
	time.Sleep(300 * time.Millisecond) // room for a duplicate to show
	chatEvs, userEvs := log.snapshot()

	var got []string
	for i, ev := range chatEvs {
		if ev.ChatID != chatID || ev.Seq != lastSeq+1+int64(i) {
			t.Fatalf("chat events %+v: want seqs %d.. of chat %d, each once", chatEvs, lastSeq+1, chatID)
		}
		text := ""
		if ev.Message != nil {
			text = ev.Message.Text
		}
		got = append(got, fmt.Sprintf("%s %d %s", ev.Kind, ev.MessageID, text))
	}
	want := []string{
		fmt.Sprintf("message.new %d m4 edited", m4.ID), // as it is now
		fmt.Sprintf("message.new %d m5", m5.ID),
		fmt.Sprintf("message.edit %d m4 edited", m4.ID),
		"message.delete 0 ",
		"chat.read 0 ", // Bob's read receipt
		fmt.Sprintf("message.new %d m6", m6.ID),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("missed chat events\n got %q\nwant %q", got, want)
	}
	if len(userEvs) != 1 || userEvs[0].Kind != "dialog.read" || userEvs[0].Pts != st.Pts {
		t.Fatalf("missed user events: %+v, want one dialog.read at pts %d", userEvs, st.Pts)
	}

	// It asked only for the difference.
	if n := ct2.count("dialogs.list"); n != 0 {
		t.Errorf("the resumed stream called dialogs.list %d times", n)
	}
	if n := ct2.count("sync.getState"); n != 0 {
		t.Errorf("the resumed stream called sync.getState %d times", n)
	}
	if n := ct2.count("sync.getDifference"); n == 0 {
		t.Errorf("the resumed stream never called sync.getDifference: %v", ct2.paths)
	}

	// The cache holds what the server shows.
	serverHist, err := bob.History(ctx, client.HistoryParams{ChatID: chatID})
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	cachedHist, err := c2.History(ctx, chatID, 0, 0)
	if err != nil {
		t.Fatalf("cached History: %v", err)
	}
	if g, w := describeHistory(cachedHist), describeHistory(serverHist); g != w || len(serverHist) != 6 {
		t.Fatalf("cached history\n got %s\nwant %s", g, w)
	}
	page, err := c2.History(ctx, chatID, m4.ID, 2)
	if err != nil || describeHistory(page) != fmt.Sprintf("%d:m3 %d:m2 ", m3.ID, m2.ID) {
		t.Fatalf("cached History before m4, 2: %s, %v", describeHistory(page), err)
	}
	serverDs, err := bob.Dialogs(ctx)
	if err != nil {
		t.Fatalf("Dialogs: %v", err)
	}
	cachedDs, err := c2.Dialogs(ctx)
	if err != nil {
		t.Fatalf("cached Dialogs: %v", err)
	}
	if g, w := describeDialogs(cachedDs), describeDialogs(serverDs); g != w || !strings.Contains(w, "unread 1") {
		t.Fatalf("cached dialogs\n got %s\nwant %s", g, w)
	}

	// The state agrees too: nothing comes again at the next start.
	stopStream(t, ucancel2, evs2)
	<-done
	saved, err := c2.LoadState(ctx)
	if err != nil || saved.Seqs[chatID] != chat.Seq || saved.Pts != st.Pts {
		t.Fatalf("stored state %+v, %v; want seq %d, pts %d", saved, err, chat.Seq, st.Pts)
	}
}

// TestCacheUnknownState starts a stream on a cache whose state the
// server never had (another server's, or one restored from an older
// backup): the engine starts over, forgets what it kept, and delivers
// the new events.
func TestCacheUnknownState(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := testserver.Start(t)
	ann, _ := signUp(t, ctx, srv, "ann@example.org", "Ann")
	bob, bobMe := signUp(t, ctx, srv, "bob@example.org", "Bob")
	srv.Befriend(t, ann, bob)

	// A state from elsewhere, far ahead of this fresh server's.
	c, err := cache.Open(filepath.Join(t.TempDir(), "bob.cache"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer c.Close()
	const foreign = 1 << 40
	// A gid no server has given yet: on PostgreSQL gids are transaction
	// ids (ADR 0017), so a long-lived database is past any small number.
	const foreignGid = 1 << 50
	err = c.Save(ctx, &client.Change{
		Reset:   true,
		State:   client.SyncState{Pts: 5000, Gid: foreignGid, Seqs: map[int64]int64{foreign: 7}},
		Dialogs: []client.Dialog{{Chat: client.Chat{ID: foreign, Kind: "group", Title: "elsewhere", Seq: 7}}},
	})
	if err != nil {
		t.Fatalf("Save: %v", err)
	}
	if err := c.SaveHistory(ctx, foreign, []client.Message{{ID: 3, Text: "old"}}); err != nil {
		t.Fatalf("SaveHistory: %v", err)
	}

	var ct countingTransport
	bob2 := countingClient(srv.URL, bob.Token(), &ct)
	uctx, ucancel := context.WithCancel(ctx)
	defer ucancel()
	evs := bob2.UpdatesWithStore(uctx, c)
	// Starting over takes the server's state anew: what happens before
	// that is not on the stream, so wait for it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if st, err := c.LoadState(ctx); err == nil && st.Gid < foreignGid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the engine did not start over")
		}
	}
	m, err := ann.Send(ctx, &client.SendParams{UserID: bobMe.ID, Text: "hello"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if ev := nextMessage(t, evs); ev.Message.ID != m.ID || ev.ChatID != m.ChatID {
		t.Fatalf("got %+v, want message %d of chat %d", ev, m.ID, m.ChatID)
	}
	if ct.count("sync.getDifference") == 0 || ct.count("sync.getState") == 0 || ct.count("dialogs.list") == 0 {
		t.Fatalf("the engine did not try the stored state and start over: %v", ct.paths)
	}
	stopStream(t, ucancel, evs)

	st, err := c.LoadState(ctx)
	if err != nil {
		t.Fatalf("LoadState: %v", err)
	}
	if _, ok := st.Seqs[foreign]; ok || st.Seqs[m.ChatID] == 0 || st.Gid >= foreignGid {
		t.Fatalf("stored state after the start over: %+v", st)
	}
	ds, err := c.Dialogs(ctx)
	if err != nil || len(ds) != 1 || ds[0].Chat.ID != m.ChatID || ds[0].TopMessage == nil || ds[0].TopMessage.ID != m.ID {
		t.Fatalf("cached dialogs after the start over: %s, %v", describeDialogs(ds), err)
	}
	if old, err := c.History(ctx, foreign, 0, 0); err != nil || len(old) != 0 {
		t.Fatalf("the foreign chat's messages were kept: %+v, %v", old, err)
	}
}

// TestClientDoesNotLinkSQLite checks that the cache stays apart: a
// program that imports client alone does not link SQLite.
func TestClientDoesNotLinkSQLite(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(gobin, "list", "-deps", "github.com/havenchat/haven/client").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "modernc.org/") || dep == "database/sql" {
			t.Errorf("package client depends on %s", dep)
		}
	}
}

// brokenStore is a Store whose disk has failed.
type brokenStore struct{ loadErr error }

var errDiskFull = errors.New("disk full")

func (s brokenStore) LoadState(context.Context) (*client.SyncState, error) {
	return nil, s.loadErr
}

func (brokenStore) Save(context.Context, *client.Change) error { return errDiskFull }

// TestStoreFailureEndsStream: a store that cannot load or save ends the
// stream with an event carrying the error, rather than losing state.
func TestStoreFailureEndsStream(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := testserver.Start(t)
	bob, _ := signUp(t, ctx, srv, "bob@example.org", "Bob")
	for name, s := range map[string]brokenStore{
		"load": {loadErr: errDiskFull},
		"save": {loadErr: client.ErrNoState},
	} {
		t.Run(name, func(t *testing.T) {
			var last client.Event
			n := 0
			for ev := range bob.UpdatesWithStore(ctx, s) {
				last = ev
				n++
			}
			if n != 1 || !errors.Is(last.Err, errDiskFull) {
				t.Fatalf("the stream ended after %d events, the last %+v", n, last)
			}
		})
	}
}
