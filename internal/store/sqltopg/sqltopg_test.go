package sqltopg_test

// The refusals of Copy, on a real SQLite file and a real PostgreSQL
// database (HAVEN_TEST_POSTGRES; skipped without one). The whole move,
// populated through the API, is cmd/haven's TestMigrateToPostgres.

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havenchat/haven/internal/store/postgres/pgtest"
	"github.com/havenchat/haven/internal/store/sqlite"
	"github.com/havenchat/haven/internal/store/sqltopg"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Cleanup()
	os.Exit(code)
}

// newSource makes an empty SQLite installation and returns its path.
func newSource(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "haven.db")
	st, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func exec(t *testing.T, driver, dsn, query string) {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query); err != nil {
		t.Fatal(err)
	}
}

func countUsers(t *testing.T, url string) (n int) {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT count(*) FROM users`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A database a server wrote to, not made by a copy, is refused, and
// left as it was.
func TestCopyRefusesAnInstallationItDidNotMake(t *testing.T) {
	t.Parallel()
	url := pgtest.Get(t).New(t)
	exec(t, "pgx", url, `INSERT INTO users (first_name, created_at, last_active_at, account_ttl_days) VALUES ('Zoe', 1, 1, 365)`)
	_, err := sqltopg.Copy(context.Background(), newSource(t), url, nil)
	if !errors.Is(err, sqltopg.ErrDifferentInstallation) || !strings.Contains(err.Error(), "users") {
		t.Fatalf("Copy into a database with a person: %v; want ErrDifferentInstallation naming users", err)
	}
	if n := countUsers(t, url); n != 1 {
		t.Fatalf("the refused copy left %d people; want the 1 there was", n)
	}
}

// A column SQLite has and PostgreSQL has not stops the copy before it
// writes anything: nothing is left behind unnoticed.
func TestCopyRefusesSchemasThatDiffer(t *testing.T) {
	t.Parallel()
	url := pgtest.Get(t).New(t)
	src := newSource(t)
	exec(t, "sqlite", src, `ALTER TABLE chats ADD COLUMN colour TEXT`)
	_, err := sqltopg.Copy(context.Background(), src, url, nil)
	if err == nil || !strings.Contains(err.Error(), "the schemas differ") || !strings.Contains(err.Error(), "chats") {
		t.Fatalf("Copy with an extra SQLite column: %v; want the schemas differ, naming chats", err)
	}
}

// Sequences go on after SQLite's sqlite_sequence when it is ahead of the
// rows (the newest rows were deleted): an id is never given twice.
func TestCopySequencesFollowSQLite(t *testing.T) {
	t.Parallel()
	url := pgtest.Get(t).New(t)
	src := newSource(t)
	exec(t, "sqlite", src, `INSERT INTO users (id, first_name, created_at, last_active_at, account_ttl_days) VALUES (41, 'Gone', 1, 1, 365)`)
	exec(t, "sqlite", src, `DELETE FROM users WHERE id = 41`)
	rep, err := sqltopg.Copy(context.Background(), src, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Sequences["users_id_seq"]; got != 41 {
		t.Fatalf("users_id_seq set to %d; want 41 (sequences: %v)", got, rep.Sequences)
	}
	exec(t, "pgx", url, `INSERT INTO users (first_name, created_at, last_active_at, account_ttl_days) VALUES ('New', 1, 1, 365)`)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id int64
	if err := db.QueryRow(`SELECT id FROM users WHERE first_name = 'New'`).Scan(&id); err != nil || id != 42 {
		t.Fatalf("the first person made after the copy has id %d (%v); want 42", id, err)
	}
}
