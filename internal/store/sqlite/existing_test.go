package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlite"
)

// TestOpenExisting: the operator's commands open the database beside a
// running server: both write, each sees the other's writes, and nothing
// is made or migrated.
func TestOpenExisting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "haven.db")
	if _, err := sqlite.OpenExisting(ctx, path, nil); err == nil {
		t.Fatal("OpenExisting of a missing file succeeded")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("OpenExisting of a missing file made it (%v)", err)
	}

	server := open(t, path)
	defer server.Close()
	tool, err := sqlite.OpenExisting(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, s := range []core.Store{server, tool} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 50 {
				err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, testUser(1000*(i+1)+k)) })
				if err != nil {
					t.Errorf("store %d: CreateUser: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	u, err := server.UserByPhone(ctx, testUser(2049).Phone)
	if err != nil {
		t.Fatalf("the server does not see the tool's write: %v", err)
	}
	if got, err := tool.UserByID(ctx, u.ID); err != nil || got.Phone != u.Phone {
		t.Fatalf("the tool reads %+v, %v", got, err)
	}
	if err := tool.Close(); err != nil {
		t.Fatal(err)
	}

	// A schema other than this binary's is refused, not migrated.
	db := rawDB(t, path)
	defer db.Close()
	for _, c := range []struct {
		change, undo, want string
	}{
		{`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`, `DELETE FROM schema_migrations WHERE version = 9999`, "newer than this binary"},
		{`DELETE FROM schema_migrations WHERE version = 13`, `INSERT INTO schema_migrations (version, applied_at) VALUES (13, 0)`, "older than this binary"},
	} {
		if _, err := db.Exec(c.change); err != nil {
			t.Fatal(err)
		}
		_, err := sqlite.OpenExisting(ctx, path, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("OpenExisting after %q: %v, want an error saying %q", c.change, err, c.want)
		}
		if _, err := db.Exec(c.undo); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSnapshot copies the database while it is written: the copy is one
// moment of it, a whole number of transactions.
func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "haven.db")
	s := open(t, path)
	defer s.Close()
	// Each transaction makes two users; a copy holds an even number.
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := 0; ; k += 2 {
			select {
			case <-done:
				return
			default:
			}
			err := s.Update(ctx, func(tx core.Tx) error {
				if err := tx.CreateUser(ctx, testUser(k)); err != nil {
					return err
				}
				return tx.CreateUser(ctx, testUser(k+1))
			})
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range 3 {
		dest := filepath.Join(dir, "copy"+string(rune('a'+i))+".db")
		if err := sqlite.Snapshot(ctx, path, dest); err != nil {
			t.Fatal(err)
		}
		if err := sqlite.Snapshot(ctx, path, dest); err == nil {
			t.Errorf("a snapshot over an existing file succeeded")
		}
		copyDB := rawDB(t, dest)
		var n int
		if err := copyDB.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		copyDB.Close()
		if n%2 != 0 {
			t.Errorf("snapshot %d holds %d users: half a transaction", i, n)
		}
		cs, err := sqlite.Open(ctx, dest, nil)
		if err != nil {
			t.Fatalf("the snapshot does not open as a store: %v", err)
		}
		if n > 0 {
			if _, err := cs.UserByPhone(ctx, testUser(0).Phone); err != nil {
				t.Errorf("the snapshot lacks the first user: %v", err)
			}
		}
		cs.Close()
	}
	close(done)
	wg.Wait()
	if err := sqlite.Snapshot(ctx, filepath.Join(dir, "missing.db"), filepath.Join(dir, "x.db")); err == nil {
		t.Error("a snapshot of a missing database succeeded")
	}
}

// TestSnapshotRelativePaths copies a database named relative to the
// working directory, as `haven admin backup` is given the default
// ./haven-data.
func TestSnapshotRelativePaths(t *testing.T) {
	ctx := context.Background()
	t.Chdir(t.TempDir())
	if err := os.Mkdir("haven-data", 0o700); err != nil {
		t.Fatal(err)
	}
	s := open(t, filepath.Join("haven-data", "haven.db"))
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, testUser(0)) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := sqlite.Snapshot(ctx, filepath.Join("haven-data", "haven.db"), "copy.db"); err != nil {
		t.Fatalf("snapshot of a relative path: %v", err)
	}
	cs, err := sqlite.Open(ctx, "copy.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if _, err := cs.UserByPhone(ctx, testUser(0).Phone); err != nil {
		t.Errorf("the copy lacks the user: %v", err)
	}
}
