package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlite"
	"github.com/havenchat/haven/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) core.Store { return open(t, filepath.Join(t.TempDir(), "haven.db")) })
}

// open opens the store at path; the caller closes it.
func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// openTemp opens a store in a new temporary directory and closes it when
// the test ends.
func openTemp(t testing.TB) *sqlite.Store {
	t.Helper()
	s := open(t, filepath.Join(t.TempDir(), "haven.db"))
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// rawDB opens the database file at path (the main one or the search
// index) with a plain database/sql handle, beside or without the store,
// to read or change it behind the store's back; the caller closes it.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// removeDB deletes the database file at path with its -wal and -shm.
func removeDB(t testing.TB, path string) {
	t.Helper()
	for _, f := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + f); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

func testUser(n int) *haven.User {
	return &haven.User{
		FirstName:      fmt.Sprint("User ", n),
		Username:       fmt.Sprintf("user_%d", n),
		Phone:          fmt.Sprintf("+1555%07d", n),
		CreatedAt:      time.UnixMilli(1_700_000_000_000).UTC(),
		LastActiveAt:   time.UnixMilli(1_700_000_000_000).UTC(),
		AccountTTLDays: haven.DefaultAccountTTLDays,
	}
}

func TestPragmas(t *testing.T) {
	s := openTemp(t)
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "5000"}
	for name, v := range want {
		got, err := s.WriterPragma(name)
		if err != nil || got != v {
			t.Errorf("writer: PRAGMA %s = %q, %v; want %q", name, got, err, v)
		}
	}
	// Deleted content is overwritten with zeros, free-list pages too
	// (1, not FAST's 2): see erase.go. Only the writers delete.
	if got, err := s.WriterPragma("secure_delete"); err != nil || got != "1" {
		t.Errorf("writer: PRAGMA secure_delete = %q, %v; want 1", got, err)
	}

	// Hold several read connections at once so that each is a different
	// one, and check every one of them.
	ctx := context.Background()
	var conns []*sql.Conn
	for range 4 {
		c, err := s.ReadPool().Conn(ctx)
		if err != nil {
			t.Fatalf("read conn: %v", err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	want["query_only"] = "1"
	for i, c := range conns {
		for name, v := range want {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+name).Scan(&got); err != nil || got != v {
				t.Errorf("reader %d: PRAGMA %s = %q, %v; want %q", i, name, got, err, v)
			}
		}
	}
	if _, err := conns[0].ExecContext(ctx, `DELETE FROM users`); err == nil {
		t.Error("a read connection accepted a write")
	}

	// The search index: its own file, WAL, synchronous=NORMAL (it is
	// rebuilt from the log), attached to every reader, read-only there.
	for name, v := range map[string]string{"journal_mode": "wal", "synchronous": "1", "busy_timeout": "5000", "secure_delete": "1"} {
		got, err := s.SearchPragma(name)
		if err != nil || got != v {
			t.Errorf("search index writer: PRAGMA %s = %q, %v; want %q", name, got, err, v)
		}
	}
	for i, c := range conns {
		var mode string
		if err := c.QueryRowContext(ctx, "PRAGMA fts.journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("reader %d: PRAGMA fts.journal_mode = %q, %v; want the search index attached, in WAL", i, mode, err)
		}
	}
	if _, err := conns[0].ExecContext(ctx, `UPDATE fts.search_cursor SET gid = gid + 1`); err == nil {
		t.Error("a read connection accepted a write to the search index")
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "haven.db")
	s := open(t, path)
	var ids []int64
	for i := range 10 {
		u := testUser(i)
		if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
			t.Fatalf("Update: %v", err)
		}
		ids = append(ids, u.ID)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Update(ctx, func(core.Tx) error { return nil }); !errors.Is(err, sqlite.ErrClosed) {
		t.Errorf("Update after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	s = open(t, path)
	defer s.Close()
	for i, id := range ids {
		u, err := s.UserByID(ctx, id)
		if err != nil || u.Phone != testUser(i).Phone {
			t.Errorf("user %d after reopen: %+v, %v", id, u, err)
		}
	}
	// Ids keep counting up after a reopen.
	u := testUser(100)
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if u.ID <= ids[len(ids)-1] {
		t.Errorf("new id %d not above %d", u.ID, ids[len(ids)-1])
	}
}

// TestReadersDoNotWaitForWriter checks that reads go on, and see only
// committed data, while a write transaction is open.
func TestReadersDoNotWaitForWriter(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	u := testUser(1)
	written, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	var err error
	wg.Go(func() {
		err = s.Update(ctx, func(tx core.Tx) error {
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			close(written)
			<-release
			return nil
		})
	})
	<-written
	readCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := s.UserByPhone(readCtx, u.Phone); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("read during the write = %v, want ErrNotFound (uncommitted)", err)
	}
	close(release)
	wg.Wait()
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if _, err := s.UserByPhone(ctx, u.Phone); err != nil {
		t.Errorf("read after commit: %v", err)
	}
}
