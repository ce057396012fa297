package core_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlite"
)

// sharedStore is a store whose database another process writes too.
type sharedStore struct{ *sqlite.Store }

func (sharedStore) SoleWriter() bool { return false }

// sharedFixture is a fixture on a database file of its own (returned,
// for another writer to open) whose store says it has other writers
// when shared is set.
func sharedFixture(t *testing.T, ctx context.Context, shared bool, push core.PushConfig) (*fixture, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "core.db")
	st, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var store core.Store = st
	if shared {
		store = sharedStore{st}
	}
	f := &fixture{store: st, clock: &fixedClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, codes: &codeBox{last: map[string]string{}}, tokens: map[int64]string{}}
	f.svc, err = core.New(core.Config{Store: store, Codes: f.codes, Passwords: fastPasswords(), Clock: f.clock, Secret: make([]byte, 32), Push: push})
	if err != nil {
		t.Fatal(err)
	}
	return f, path
}

// TestReachCacheOffBesideOtherWriters: when another writer shares the
// database (another node, another process), a block it writes refuses
// the very next send; the cache, which only sees this process's writes,
// is not used. As the sole writer the cache is used, and misses it.
func TestReachCacheOffBesideOtherWriters(t *testing.T) {
	for _, shared := range []bool{true, false} {
		ctx := context.Background()
		f, path := sharedFixture(t, ctx, shared, core.PushConfig{})
		ann, bob := f.user(t, "+442079460001", "Ann"), f.user(t, "+442079460002", "Bob")
		meet(t, f.svc, ann, bob)
		m, err := f.svc.Send(ctx, ann, core.Peer{UserID: bob.UserID}, core.SendInput{Text: "one", RandomID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Send(ctx, ann, core.Peer{ChatID: m.ChatID}, core.SendInput{Text: "two", RandomID: 2}); err != nil {
			t.Fatal(err)
		}

		other, err := sqlite.OpenExisting(ctx, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := other.Update(ctx, func(tx core.Tx) error { return tx.Block(ctx, bob.UserID, ann.UserID, f.clock.Now()) }); err != nil {
			t.Fatal(err)
		}
		other.Close()
		_, err = f.svc.Send(ctx, ann, core.Peer{ChatID: m.ChatID}, core.SendInput{Text: "three", RandomID: 3})
		if shared && err == nil {
			t.Error("beside another writer, a send right after its block was accepted")
		}
		if !shared && err != nil {
			t.Errorf("as the sole writer the cached answer was expected to stand (this test's control), got %v", err)
		}
		f.store.Close()
	}
}

// countingSender is the push services' end: it counts what reaches it.
type countingSender struct{ n atomic.Int64 }

func (c *countingSender) PublicKey() []byte { return make([]byte, 65) }
func (c *countingSender) Push(ctx context.Context, sub *haven.PushSubscription, n core.PushNotification) error {
	c.n.Add(1)
	return nil
}

// TestPushSubscribersReadBesideOtherWriters: a push subscription another
// writer stored notifies at once when the store says it has other
// writers; as the sole writer, the set of subscribers loaded at the start
// does not know it (this test's control: the set is in use).
func TestPushSubscribersReadBesideOtherWriters(t *testing.T) {
	for _, shared := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		sender := &countingSender{}
		f, path := sharedFixture(t, ctx, shared, core.PushConfig{Sender: sender})
		ann, bob := f.user(t, "+442079460001", "Ann"), f.user(t, "+442079460002", "Bob")
		meet(t, f.svc, ann, bob)
		done := make(chan struct{})
		go func() { f.svc.RunPush(ctx, nil); close(done) }()
		// RunPush reads who has a subscription before it takes the first
		// message: once one has been through, that read is behind us.
		if _, err := f.svc.Send(ctx, ann, core.Peer{UserID: bob.UserID}, core.SendInput{Text: "before", RandomID: 1}); err != nil {
			t.Fatal(err)
		}
		waitPushIdle(t, f.svc)

		other, err := sqlite.OpenExisting(ctx, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		sub := &haven.PushSubscription{SessionID: bob.SessionID, UserID: bob.UserID, Endpoint: "https://push.example/bob",
			P256dh: make([]byte, 65), Auth: make([]byte, 16), CreatedAt: f.clock.Now()}
		if err := other.Update(ctx, func(tx core.Tx) error { return tx.PutPushSubscription(ctx, sub) }); err != nil {
			t.Fatal(err)
		}
		other.Close()
		if _, err := f.svc.Send(ctx, ann, core.Peer{UserID: bob.UserID}, core.SendInput{Text: "hi", RandomID: 2}); err != nil {
			t.Fatal(err)
		}
		waitPushIdle(t, f.svc)
		got := sender.n.Load()
		if shared && got != 1 {
			t.Errorf("beside another writer, its subscription got %d pushes, want 1", got)
		}
		if !shared && got != 0 {
			t.Errorf("as the sole writer, the subscribers loaded at the start were expected to be used (this test's control), got %d pushes", got)
		}
		cancel()
		<-done
		f.store.Close()
	}
}

// waitPushIdle waits until every message committed so far has been
// pushed or found no one to push to.
func waitPushIdle(t *testing.T, svc *core.Service) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for svc.PushStats().Backlog != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the push backlog never emptied")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
