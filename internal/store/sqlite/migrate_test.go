package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/havenchat/haven/internal/store/sqlite"
)

// schemaVersions reads schema_migrations straight from the file.
func schemaVersions(t *testing.T, path string) (versions []int, appliedAt []int64) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT version, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		var at int64
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
		appliedAt = append(appliedAt, at)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return versions, appliedAt
}

func TestMigrations(t *testing.T) {
	want, err := sqlite.Migrations()
	if err != nil {
		t.Fatalf("Migrations: %v", err)
	}
	if len(want) == 0 || want[0] != 1 || !slices.IsSorted(want) {
		t.Fatalf("embedded migrations %v: want 1, 2, ... in order", want)
	}

	path := filepath.Join(t.TempDir(), "haven.db")
	s := open(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	versions, applied := schemaVersions(t, path)
	if !slices.Equal(versions, want) {
		t.Fatalf("schema_migrations after first open = %v, want %v", versions, want)
	}

	// Reopening applies nothing: the rows, and their times, are unchanged.
	for range 2 {
		s = open(t, path)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	again, appliedAgain := schemaVersions(t, path)
	if !slices.Equal(again, versions) || !slices.Equal(appliedAgain, applied) {
		t.Errorf("reopening changed schema_migrations: %v %v, was %v %v", again, appliedAgain, versions, applied)
	}
}

func TestMigrationsRefuseNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "haven.db")
	s := open(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err = sqlite.Open(context.Background(), path, nil)
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a database with a schema newer than the binary")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open error = %v; want it to say the schema is newer", err)
	}
}
