package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlite"
)

// blockWriter starts an Update whose fn waits until the returned function
// is called, so that the Updates sent meanwhile pile up in the queue. The
// returned function releases the writer and waits for that Update.
func blockWriter(t *testing.T, s *sqlite.Store) (release func()) {
	t.Helper()
	started, unblock := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Update(context.Background(), func(core.Tx) error {
			close(started)
			<-unblock
			return nil
		})
	}()
	<-started
	return func() {
		close(unblock)
		if err := <-done; err != nil {
			t.Errorf("blocking Update: %v", err)
		}
	}
}

// waitQueued waits until n Updates are queued.
func waitQueued(t *testing.T, s *sqlite.Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Queued() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d Updates queued after 10 s, want %d", s.Queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGroupCommitBatches(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	release := blockWriter(t, s)
	before := s.Commits()

	const n = 200
	errs := make([]error, n)
	users := make([]*haven.User, n)
	var wg sync.WaitGroup
	for i := range n {
		users[i] = testUser(i)
		wg.Go(func() { errs[i] = s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, users[i]) }) })
	}
	waitQueued(t, s, n)
	release()
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Fatalf("Update %d: %v", i, err)
		}
	}
	// The blocking Update, then all 200 in one transaction.
	if got := s.Commits() - before; got != 2 {
		t.Errorf("%d Updates took %d commits, want 2", n, got)
	}
	for _, u := range users {
		if got, err := s.UserByPhone(ctx, u.Phone); err != nil || got.ID != u.ID {
			t.Errorf("user %s: %+v, %v", u.Phone, got, err)
		}
	}
}

func TestGroupCommitBatchesUnblocked(t *testing.T) {
	// Without any help, concurrent Updates share commits.
	s := openTemp(t)
	ctx := context.Background()
	before := s.Commits()
	const n = 200
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range n {
		wg.Go(func() {
			u := testUser(i)
			if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d Updates failed", failed.Load())
	}
	commits := s.Commits() - before
	t.Logf("%d concurrent Updates, %d commits", n, commits)
	if commits >= n/2 {
		t.Errorf("%d concurrent Updates took %d commits, want far fewer", n, commits)
	}
}

// TestBatchIsolation puts succeeding, failing and panicking Updates in one
// batch and checks that each gets its own result.
func TestBatchIsolation(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	taken := testUser(0)
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, taken) }); err != nil {
		t.Fatal(err)
	}

	release := blockWriter(t, s)
	before := s.Commits()
	sentinel := errors.New("fails")
	var afterRan [6]atomic.Bool
	kinds := []string{"ok", "error", "panic", "duplicate", "ok", "ok after panic"}
	users := make([]*haven.User, len(kinds))
	errs := make([]error, len(kinds))
	var wg sync.WaitGroup
	for i, kind := range kinds {
		users[i] = testUser(i + 1)
		if kind == "duplicate" {
			users[i].Username = strings.ToUpper(taken.Username)
		}
		wg.Go(func() {
			errs[i] = s.Update(ctx, func(tx core.Tx) error {
				tx.AfterCommit(func() { afterRan[i].Store(true) })
				if err := tx.CreateUser(ctx, users[i]); err != nil {
					return err
				}
				switch kind {
				case "error":
					return sentinel
				case "panic":
					panic("boom")
				}
				return nil
			})
		})
		waitQueued(t, s, i+1) // keep the queue in this order
	}
	release()
	wg.Wait()

	// The blocking Update, then the whole batch.
	if got := s.Commits() - before; got != 2 {
		t.Errorf("batch took %d commits, want 2", got)
	}
	for i, kind := range kinds {
		_, lookupErr := s.UserByPhone(ctx, users[i].Phone)
		ok := kind == "ok" || kind == "ok after panic"
		switch {
		case ok && (errs[i] != nil || lookupErr != nil || !afterRan[i].Load()):
			t.Errorf("%s: Update = %v, lookup = %v, AfterCommit ran %v", kind, errs[i], lookupErr, afterRan[i].Load())
		case !ok && (errs[i] == nil || !errors.Is(lookupErr, haven.ErrNotFound) || afterRan[i].Load()):
			t.Errorf("%s: Update = %v, lookup = %v, AfterCommit ran %v", kind, errs[i], lookupErr, afterRan[i].Load())
		}
	}
	if errs[1] != sentinel {
		t.Errorf("failing Update returned %v, want its own error", errs[1])
	}
	if errs[2] == nil || !strings.Contains(errs[2].Error(), "boom") {
		t.Errorf("panicking Update returned %v, want an error naming the panic", errs[2])
	}
	if haven.ErrorCode(errs[3]) != haven.CodeUsernameOccupied {
		t.Errorf("duplicate username: %v", errs[3])
	}
}

func TestCancelWhileQueued(t *testing.T) {
	s := openTemp(t)
	release := blockWriter(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Bool
	done := make(chan error, 1)
	go func() {
		done <- s.Update(ctx, func(core.Tx) error { ran.Store(true); return nil })
	}()
	waitQueued(t, s, 1)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled queued Update = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled Update still waiting for the busy writer")
	}
	release()
	// The writer skips the abandoned request and goes on.
	if err := s.Update(context.Background(), func(core.Tx) error { return nil }); err != nil {
		t.Fatalf("Update after the cancelled one: %v", err)
	}
	if ran.Load() {
		t.Error("fn of the cancelled Update ran")
	}
}

func TestPanicsDoNotStopWriter(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	if err := s.Update(ctx, func(core.Tx) error { panic("in fn") }); err == nil {
		t.Error("panicking fn: Update returned nil")
	}
	u := testUser(1)
	err := s.Update(ctx, func(tx core.Tx) error {
		tx.AfterCommit(func() { panic("in AfterCommit") })
		return tx.CreateUser(ctx, u)
	})
	if err != nil {
		t.Errorf("Update with a panicking AfterCommit = %v; it committed, want nil", err)
	}
	v := testUser(2)
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, v) }); err != nil {
		t.Fatalf("Update after panics: %v", err)
	}
	for _, x := range []*haven.User{u, v} {
		if _, err := s.UserByID(ctx, x.ID); err != nil {
			t.Errorf("user %d: %v", x.ID, err)
		}
	}
}

func TestTxUnusableAfterFn(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	var kept core.Tx
	if err := s.Update(ctx, func(tx core.Tx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := kept.CreateUser(ctx, testUser(1)); err == nil {
		t.Error("CreateUser on a finished Tx succeeded")
	}
	if _, err := kept.UserByID(ctx, 1); err == nil {
		t.Error("UserByID on a finished Tx succeeded")
	}
}

func TestCloseDrainsQueue(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "haven.db")
	s := open(t, path)
	release := blockWriter(t, s)
	const n = 50
	users := make([]*haven.User, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		users[i] = testUser(i)
		wg.Go(func() { errs[i] = s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, users[i]) }) })
	}
	waitQueued(t, s, n)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v before the queued Updates ran", err)
	case <-time.After(50 * time.Millisecond):
	}
	release()
	wg.Wait()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("queued Update %d: %v", i, err)
		}
	}
	if err := s.Update(ctx, func(core.Tx) error { return nil }); !errors.Is(err, sqlite.ErrClosed) {
		t.Errorf("Update after Close = %v, want ErrClosed", err)
	}

	s = open(t, path)
	defer s.Close()
	for _, u := range users {
		if _, err := s.UserByPhone(ctx, u.Phone); err != nil {
			t.Errorf("user %s lost across Close: %v", u.Phone, err)
		}
	}
}

// TestCheckWritable: the write probe really writes (another connection
// sees the database change), fails while another connection holds the
// write lock past the busy timeout, as a second process or a stuck
// backup would, and passes again once the lock is let go.
func TestCheckWritable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "haven.db")
	s := open(t, path)
	defer s.Close()
	db := rawDB(t, path)
	defer db.Close()
	other, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	version := func() int64 {
		t.Helper()
		var v int64
		if err := other.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := version()
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatalf("CheckWritable on a writable database: %v", err)
	}
	if version() == before {
		t.Fatal("the probe committed nothing to the database file")
	}

	if _, err := other.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckWritable(ctx); err == nil {
		t.Fatal("CheckWritable passed while another connection held the write lock")
	}
	if _, err := other.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatalf("CheckWritable after the lock was let go: %v", err)
	}
}
