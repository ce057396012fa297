package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

func testUpdateErrorRollsBack(t *testing.T, s core.Store) {
	ctx := context.Background()
	keep := createUser(t, s)
	sentinel := errors.New("fn failed")
	u := newUser()
	var sess *haven.Session
	err := s.Update(ctx, func(tx core.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		sess = &haven.Session{UserID: u.ID, TokenHash: hash("rolled back"), CreatedAt: t0, LastActiveAt: t0}
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		keep.FirstName = "Changed"
		if err := tx.UpdateUser(ctx, keep); err != nil {
			return err
		}
		if err := tx.Block(ctx, keep.ID, u.ID, t0); err != nil {
			return err
		}
		return sentinel
	})
	if err != sentinel {
		t.Fatalf("Update returned %v, want fn's error unchanged", err)
	}
	if _, err := s.UserByPhone(ctx, u.Phone); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("user created by a failed fn: %v", err)
	}
	if _, err := s.SessionByToken(ctx, sess.TokenHash); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("session created by a failed fn: %v", err)
	}
	got, err := s.UserByID(ctx, keep.ID)
	if err != nil || got.FirstName == "Changed" {
		t.Errorf("update by a failed fn kept: %+v, %v", got, err)
	}
	if ids, err := s.Blocked(ctx, keep.ID); err != nil || len(ids) != 0 {
		t.Errorf("block by a failed fn kept: %v, %v", ids, err)
	}

	// A store error inside fn, passed on, also undoes fn's earlier writes.
	v := newUser(func(x *haven.User) { x.Username = keep.Username })
	w := newUser()
	err = s.Update(ctx, func(tx core.Tx) error {
		if err := tx.CreateUser(ctx, w); err != nil {
			return err
		}
		return tx.CreateUser(ctx, v)
	})
	if !isCode(err, haven.CodeUsernameOccupied) {
		t.Fatalf("Update = %v, want %s", err, haven.CodeUsernameOccupied)
	}
	if _, err := s.UserByPhone(ctx, w.Phone); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("user created before the failing call survives: %v", err)
	}
}

func testConcurrentUpdates(t *testing.T, s core.Store) {
	ctx := context.Background()
	owner := createUser(t, s)
	const n = 200
	sentinel := errors.New("odd ones fail")
	users := make([]*haven.User, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		users[i] = newUser()
		wg.Go(func() {
			errs[i] = s.Update(ctx, func(tx core.Tx) error {
				if err := tx.CreateUser(ctx, users[i]); err != nil {
					return err
				}
				if err := tx.PutContact(ctx, owner.ID, haven.Contact{UserID: users[i].ID, FirstName: "c"}); err != nil {
					return err
				}
				if err := tx.SetPrivacy(ctx, owner.ID, haven.PrivacyKeys[(i/2)%len(haven.PrivacyKeys)], haven.Contacts); err != nil {
					return err
				}
				if i%2 == 1 {
					return sentinel
				}
				return nil
			})
		})
	}
	wg.Wait()

	var wantContacts []int64
	for i, u := range users {
		got, lookupErr := s.UserByPhone(ctx, u.Phone)
		if i%2 == 1 {
			if errs[i] != sentinel {
				t.Errorf("Update %d = %v, want its own error", i, errs[i])
			}
			if !errors.Is(lookupErr, haven.ErrNotFound) {
				t.Errorf("user of failed Update %d exists: %v", i, lookupErr)
			}
			continue
		}
		if errs[i] != nil {
			t.Errorf("Update %d = %v, want nil", i, errs[i])
			continue
		}
		if lookupErr != nil || got.ID != u.ID {
			t.Errorf("user of Update %d = %+v, %v; want id %d", i, got, lookupErr, u.ID)
		}
		wantContacts = append(wantContacts, u.ID)
	}
	cs, err := s.Contacts(ctx, owner.ID)
	if err != nil {
		t.Fatalf("Contacts: %v", err)
	}
	var gotContacts []int64
	for _, c := range cs {
		gotContacts = append(gotContacts, c.UserID)
	}
	slices.Sort(wantContacts)
	if !slices.Equal(gotContacts, wantContacts) {
		t.Errorf("contacts = %v,\nwant %v", gotContacts, wantContacts)
	}
	// Only the successful Updates (even i) set privacy; (i/2) runs through
	// every key among the even i, so every key is set.
	p, err := s.Privacy(ctx, owner.ID)
	if err != nil {
		t.Fatalf("Privacy: %v", err)
	}
	for _, k := range haven.PrivacyKeys {
		if p[k] != haven.Contacts {
			t.Errorf("privacy %s = %s, want %s", k, p[k], haven.Contacts)
		}
	}
}

func testAfterCommit(t *testing.T, s core.Store) {
	ctx := context.Background()
	var (
		mu    sync.Mutex
		order []string
	)
	record := func(what string) func() {
		return func() {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, what)
		}
	}
	u := newUser()
	var sawCommitted bool
	err := s.Update(ctx, func(tx core.Tx) error {
		tx.AfterCommit(record("first"))
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		tx.AfterCommit(func() {
			// By now the write is visible to readers outside the Tx.
			_, err := s.UserByID(context.Background(), u.ID)
			sawCommitted = err == nil
			record("second")()
		})
		mu.Lock()
		defer mu.Unlock()
		if len(order) != 0 {
			t.Errorf("AfterCommit callback ran before fn returned: %v", order)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	mu.Lock()
	got := slices.Clone(order)
	mu.Unlock()
	if !slices.Equal(got, []string{"first", "second"}) {
		t.Errorf("callbacks ran %v by the time Update returned, want [first second]", got)
	}
	if !sawCommitted {
		t.Error("AfterCommit ran before the write was visible outside the Tx")
	}

	// Not on error, not for an error from the store either.
	mu.Lock()
	order = nil
	mu.Unlock()
	failed := s.Update(ctx, func(tx core.Tx) error {
		tx.AfterCommit(record("failed"))
		return errors.New("no")
	})
	if failed == nil {
		t.Fatal("failing Update returned nil")
	}
	dup := newUser(func(x *haven.User) { x.Username = u.Username })
	failed = s.Update(ctx, func(tx core.Tx) error {
		tx.AfterCommit(record("failed too"))
		return tx.CreateUser(ctx, dup)
	})
	if failed == nil {
		t.Fatal("Update with a duplicate username returned nil")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 0 {
		t.Errorf("AfterCommit of failed Updates ran: %v", order)
	}
}

func testTxReadsOwnWrites(t *testing.T, s core.Store) {
	ctx := context.Background()
	owner := createUser(t, s)
	u := newUser(func(x *haven.User) { x.Username = "Own_Writes" })
	err := s.Update(ctx, func(tx core.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		checks := []struct {
			what string
			err  error
		}{}
		add := func(what string, ok bool, err error) {
			if err == nil && !ok {
				err = errors.New("not seen")
			}
			checks = append(checks, struct {
				what string
				err  error
			}{what, err})
		}
		got, err := tx.UserByID(ctx, u.ID)
		add("UserByID", err == nil && got.Phone == u.Phone, err)
		got, err = tx.UserByUsername(ctx, "own_writes")
		add("UserByUsername", err == nil && got.ID == u.ID, err)
		got, err = tx.UserByPhone(ctx, u.Phone)
		add("UserByPhone", err == nil && got.ID == u.ID, err)
		got, err = tx.UserByEmail(ctx, u.Email)
		add("UserByEmail", err == nil && got.ID == u.ID, err)
		users, err := tx.UsersByIDs(ctx, []int64{u.ID})
		add("UsersByIDs", len(users) == 1, err)

		ss := &haven.Session{UserID: u.ID, TokenHash: hash("own"), CreatedAt: t0, LastActiveAt: t0}
		if err := tx.CreateSession(ctx, ss); err != nil {
			return err
		}
		gs, err := tx.SessionByToken(ctx, ss.TokenHash)
		add("SessionByToken", err == nil && gs.ID == ss.ID, err)
		gs, err = tx.SessionByID(ctx, ss.UserID, ss.ID)
		add("SessionByID", err == nil && gs.UserID == u.ID, err)
		list, err := tx.UserSessions(ctx, u.ID)
		add("UserSessions", len(list) == 1, err)

		la := &haven.LoginAttempt{TokenHash: hash("own-la"), Identifier: u.Phone, Kind: haven.KindPhone,
			CreatedAt: t0, ExpiresAt: t0.Add(time.Minute), Step: haven.StepCodeSent}
		if err := tx.CreateLoginAttempt(ctx, la); err != nil {
			return err
		}
		gla, err := tx.LoginAttemptByToken(ctx, la.TokenHash)
		add("LoginAttemptByToken", err == nil && gla.ID == la.ID, err)

		if err := tx.PutContact(ctx, owner.ID, haven.Contact{UserID: u.ID, FirstName: "Own"}); err != nil {
			return err
		}
		ok, err := tx.IsContact(ctx, owner.ID, u.ID)
		add("IsContact", ok, err)
		cs, err := tx.Contacts(ctx, owner.ID)
		add("Contacts", len(cs) == 1, err)
		if err := tx.Block(ctx, owner.ID, u.ID, t0); err != nil {
			return err
		}
		ok, err = tx.IsBlocked(ctx, owner.ID, u.ID)
		add("IsBlocked", ok, err)
		bl, err := tx.Blocked(ctx, owner.ID)
		add("Blocked", len(bl) == 1, err)
		if err := tx.SetPrivacy(ctx, u.ID, haven.PrivacyFindByPhone, haven.Nobody); err != nil {
			return err
		}
		p, err := tx.Privacy(ctx, u.ID)
		add("Privacy", p[haven.PrivacyFindByPhone] == haven.Nobody, err)
		if err := tx.TouchUser(ctx, u.ID, t0.Add(-400*24*time.Hour)); err != nil {
			return err
		}
		ids, err := tx.InactiveUsers(ctx, t0, 10)
		add("InactiveUsers", slices.Contains(ids, u.ID), err)

		for _, c := range checks {
			if c.err != nil {
				t.Errorf("inside the Tx, %s: %v", c.what, c.err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func testCancelledContext(t *testing.T, s core.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := s.Update(ctx, func(tx core.Tx) error {
		ran = true
		return tx.CreateUser(context.Background(), newUser())
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a cancelled context = %v, want context.Canceled", err)
	}
	if ran {
		t.Error("fn ran although the context was cancelled before Update")
	}

	// The store still works.
	u := createUser(t, s)
	if _, err := s.UserByID(context.Background(), u.ID); err != nil {
		t.Errorf("UserByID after a cancelled Update: %v", err)
	}

	// A context that ends inside fn fails the store calls after it; the
	// Update then fails and keeps nothing.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	v := newUser()
	err = s.Update(ctx, func(tx core.Tx) error {
		if err := tx.CreateUser(ctx, v); err != nil {
			return err
		}
		cancel()
		return tx.TouchUser(ctx, v.ID, t0)
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update whose context ended inside fn = %v, want context.Canceled", err)
	}
	if _, err := s.UserByPhone(context.Background(), v.Phone); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("user of the cancelled Update: %v, want ErrNotFound", err)
	}
}

// testAfterCommitReadsUnderLoad runs many concurrent Updates whose
// callbacks read the store, as core's do (a publish looks up who may see
// an event): the reads must not wait for the Updates queued behind, which
// themselves wait for the callbacks ahead of them (a store whose queued
// Updates held every read connection would never finish).
func testAfterCommitReadsUnderLoad(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s)
	const n = 200
	var (
		wg   sync.WaitGroup
		read atomic.Int64
	)
	for i := range n {
		wg.Go(func() {
			err := s.Update(ctx, func(tx core.Tx) error {
				if err := tx.TouchUser(ctx, u.ID, t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
					return err
				}
				tx.AfterCommit(func() {
					if _, err := s.UserByID(ctx, u.ID); err != nil {
						t.Errorf("UserByID in a callback: %v", err)
						return
					}
					read.Add(1)
				})
				return nil
			})
			if err != nil {
				t.Errorf("Update %d: %v", i, err)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("after 2 minutes, %d of %d callbacks had read the store: the Updates are stuck", read.Load(), n)
	}
	if got := read.Load(); got != n {
		t.Errorf("%d callbacks read the store, want %d", got, n)
	}
}

// testFailedStatementAmongOthers runs Updates whose statements fail (a
// username already held) beside Updates that succeed, concurrently, so
// that a store which groups Updates into one transaction has them in the
// same one: the failures must cost only their own Update.
func testFailedStatementAmongOthers(t *testing.T, s core.Store) {
	ctx := context.Background()
	taken := createUser(t, s)
	const n = 60
	users := make([]*haven.User, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		users[i] = newUser()
		if i%3 == 0 {
			users[i].Username = taken.Username
		}
		wg.Go(func() {
			errs[i] = s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, users[i]) })
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i%3 == 0 {
			if !isCode(err, haven.CodeUsernameOccupied) {
				t.Errorf("user %d with a taken username: %v, want %s", i, err, haven.CodeUsernameOccupied)
			}
			continue
		}
		if err != nil {
			t.Errorf("user %d: %v", i, err)
			continue
		}
		got, err := s.UserByID(ctx, users[i].ID)
		if err != nil || got.Username != users[i].Username {
			t.Errorf("user %d after commit: %+v, %v", i, got, err)
		}
	}
}
