package sqlite_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlite"
)

// schemaVersions reads schema_migrations straight from the file.
func schemaVersions(t *testing.T, path string) (versions []int, appliedAt []int64) {
	t.Helper()
	db := rawDB(t, path)
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

	// The search index's database has its own versions.
	wantSearch, err := sqlite.SearchMigrations()
	if err != nil || len(wantSearch) == 0 || wantSearch[0] != 1 {
		t.Fatalf("SearchMigrations = %v, %v; want 1, ...", wantSearch, err)
	}
	if got, _ := schemaVersions(t, sqlite.SearchPath(path)); !slices.Equal(got, wantSearch) {
		t.Errorf("schema_migrations of the search index = %v, want %v", got, wantSearch)
	}

	// The main database holds no search table any more.
	db := rawDB(t, path)
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name IN ('search', 'search_cursor')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the main database has %d search tables (%v), want none", n, err)
	}
}

// TestMigrationFromTwo opens a database made by the schema of version 2,
// whose search index was a table of the main database: the table goes,
// and the index is rebuilt in its own file from the log.
func TestMigrationFromTwo(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "haven.db")
	s := open(t, path)
	userID, chatID := searchFixture(t, s)
	sendTexts(t, s, userID, chatID, "kept across the migration", "and this one")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Back to version 2: the search tables in the main database, indexed
	// up to the end of the log, and no search file.
	db := rawDB(t, path)
	_, err := db.Exec(undo0021 + `DROP TABLE cluster_keys; DROP TABLE invite_links; DROP TABLE session_tokens; DROP INDEX invites_chat_id_hash;
		DROP TABLE secret_files; DROP TABLE secret_envelopes; DROP TABLE secret_prekeys; DROP TABLE secret_devices; DROP TABLE secret_device_lists;
		DROP TABLE push_subscriptions;
		DROP INDEX members_seniority; DROP INDEX invites_creator;
		ALTER TABLE members DROP COLUMN min_seq; ALTER TABLE chats DROP COLUMN signatures;
		DROP TABLE instance;
		DROP TABLE upload_parts; DROP TABLE uploads; DROP TABLE files;
		DROP TABLE message_files; ALTER TABLE messages DROP COLUMN media;
		DROP TABLE photo_files; ALTER TABLE users DROP COLUMN photo; ALTER TABLE chats DROP COLUMN photo;
		DROP TABLE signup_invites;
		DROP TABLE rate_limits; DROP TABLE contact_lookups; DROP TABLE found_users; DROP TABLE email_confirmations;
		CREATE VIRTUAL TABLE search USING fts5 (text, content = '', contentless_delete = 1,
			tokenize = 'unicode61 remove_diacritics 2');
		CREATE TABLE search_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), gid INTEGER NOT NULL);
		INSERT INTO search_cursor (id, gid) SELECT 1, max(gid) FROM events;
		DELETE FROM schema_migrations WHERE version > 2;`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	removeDB(t, sqlite.SearchPath(path))

	s = open(t, path)
	defer s.Close()
	if err := s.WaitSearchIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := searchCount(t, s, userID, "migration"); n != 1 {
		t.Errorf("after the migration, %d messages found, want 1", n)
	}
	want, _ := sqlite.Migrations()
	if got, _ := schemaVersions(t, path); !slices.Equal(got, want) {
		t.Errorf("schema_migrations = %v, want %v", got, want)
	}
}

func TestMigrationsRefuseNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "haven.db")
	s := open(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := sqlite.Open(context.Background(), path, nil)
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a database with a schema newer than the binary")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open error = %v; want it to say the schema is newer", err)
	}
}

// TestMigrationDropsUnconfirmedRecoveryEmails: before version 10 a
// recovery email was used without being confirmed; the migration removes
// those addresses (their owners set and confirm them again) and keeps
// the rest of the password.
func TestMigrationDropsUnconfirmedRecoveryEmails(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "haven.db")
	s := open(t, path)
	u := &haven.User{FirstName: "Old", Phone: "+442079460001", CreatedAt: time.Now(), LastActiveAt: time.Now(), AccountTTLDays: 365,
		Password: haven.Password{Hash: "h", Hint: "hint", RecoveryEmail: "old@example.org"}}
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Back to before version 10, with the address set as was allowed.
	db := rawDB(t, path)
	_, err := db.Exec(`DROP TABLE rate_limits; DROP TABLE contact_lookups; DROP TABLE found_users; DROP TABLE email_confirmations;
		UPDATE users SET recovery_email = 'old@example.org';
		DELETE FROM schema_migrations WHERE version = 10;`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	defer s.Close()
	got, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Password != (haven.Password{Hash: "h", Hint: "hint"}) {
		t.Fatalf("after the migration the password is %+v; want the unconfirmed address gone, the rest kept", got.Password)
	}
}
