package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// rerunStore runs every Update's fn twice, as a store that retries does
// (core.Store.Update; PostgreSQL's writers, ADR 0017): first in a
// transaction that is then undone, its AfterCommit callbacks dropped,
// then for real. A use case whose fn leaves a trace outside its
// transaction (a count, a slice appended to, a message sent) shows it
// twice here.
type rerunStore struct {
	core.Store
	reruns int // the first runs undone
}

var errUndone = errors.New("rerunStore: first run undone")

func (s *rerunStore) Update(ctx context.Context, fn func(tx core.Tx) error) error {
	err := s.Store.Update(ctx, func(tx core.Tx) error {
		fn(tx) // whatever it says, the run is undone
		return errUndone
	})
	if !errors.Is(err, errUndone) {
		return err
	}
	s.reruns++
	return s.Store.Update(ctx, fn)
}

// newRerunFixture is newFixture on a store that runs each fn twice.
func newRerunFixture(t *testing.T) (*fixture, *rerunStore) {
	t.Helper()
	st := openStore(t)
	rs := &rerunStore{Store: st}
	f := &fixture{store: st, clock: &fixedClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, codes: &codeBox{last: map[string]string{}}, tokens: map[int64]string{}}
	var err error
	f.svc, err = core.New(core.Config{Store: rs, Codes: f.codes, Passwords: fastPasswords(), Clock: f.clock, Secret: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return f, rs
}

// TestExpireMessagesRunTwice: the count ExpireMessages reports is of
// the deletions committed, not of every run of its Update.
func TestExpireMessagesRunTwice(t *testing.T) {
	ctx := context.Background()
	f, rs := newRerunFixture(t)
	ann := f.user(t, "+442079460001", "Ann")
	g, err := f.svc.CreateGroup(ctx, ann, "Timed", nil)
	if err != nil {
		t.Fatal(err)
	}
	day := 86400
	if _, err := f.svc.UpdateChat(ctx, ann, g.ID, core.ChatSettings{TTLSeconds: &day}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := f.svc.Send(ctx, ann, core.Peer{ChatID: g.ID}, core.SendInput{Text: "soon gone", RandomID: int64(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.t = f.clock.t.Add(2 * 24 * time.Hour)
	before := rs.reruns
	n, err := f.svc.ExpireMessages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rs.reruns == before {
		t.Fatal("ExpireMessages ran no Update")
	}
	if n != 3 {
		t.Fatalf("ExpireMessages reported %d messages deleted, want 3", n)
	}
	hist, err := f.store.ExpiredMessages(ctx, f.clock.t, 10)
	if err != nil || len(hist) != 0 {
		t.Fatalf("expired messages left: %v, %v", hist, err)
	}
}

// TestImportContactsRunTwice: a re-run ImportContacts reports each
// person once.
func TestImportContactsRunTwice(t *testing.T) {
	ctx := context.Background()
	f, rs := newRerunFixture(t)
	ann := f.user(t, "+442079460001", "Ann")
	bob := f.user(t, "+442079460002", "Bob")
	if _, err := f.svc.SetPrivacy(ctx, bob, haven.PrivacyFindByPhone, haven.Everybody); err != nil {
		t.Fatal(err)
	}
	before := rs.reruns
	res, err := f.svc.ImportContacts(ctx, ann, []core.ContactInput{{Phone: "+442079460002", FirstName: "Bob"}, {Phone: "+442079460009", FirstName: "Nobody"}})
	if err != nil {
		t.Fatal(err)
	}
	if rs.reruns == before {
		t.Fatal("ImportContacts ran no Update")
	}
	if len(res.Imported) != 1 || res.Unmatched != 1 {
		t.Fatalf("imported %d, unmatched %d; want 1 and 1", len(res.Imported), res.Unmatched)
	}
}
