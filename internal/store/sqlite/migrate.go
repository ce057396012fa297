package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrationFiles holds the schemas, one file per version, named
// NNNN_title.sql: the main database's in migrations, the search index's
// (a database file of its own, see indexer.go) in migrations/search, each
// with its own versions. A released file is never edited: a change is a
// new file.
//
//go:embed migrations/*.sql migrations/search/*.sql
var migrationFiles embed.FS

// The two schemas.
var (
	mainSchema   = schema{dir: "migrations", what: "database"}
	searchSchema = schema{dir: "migrations/search", what: "search index"}
)

// schema is one set of migrations.
type schema struct {
	dir  string // in migrationFiles
	what string // for messages
}

// migration is one schema version.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the schema's embedded migrations in version order.
// Versions must be positive and distinct.
func (sc schema) migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, sc.dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	seen := map[int]string{}
	for _, name := range names {
		base := path.Base(name)
		prefix, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version and '_'", base)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", other, base, v)
		}
		seen[v] = base
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate brings the schema on conn up to the newest embedded version.
// Each migration runs in its own IMMEDIATE transaction together with its
// row in schema_migrations, and is skipped if that row already exists, so
// two processes opening the same new file cannot both apply it. A database
// that records a version this binary does not know is refused: it was
// written by a newer Haven.
func (sc schema) migrate(ctx context.Context, conn *sql.Conn, log *slog.Logger) error {
	ms, err := sc.migrations()
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var newest sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].version
	}
	if newest.Valid && int(newest.Int64) > known {
		return fmt.Errorf("%s schema version %d is newer than this binary knows (%d); run a newer Haven", sc.what, newest.Int64, known)
	}
	for _, m := range ms {
		applied, err := applyMigration(ctx, conn, m)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if applied {
			log.Info("sqlite: applied migration", "schema", sc.what, "version", m.version, "name", m.name)
		}
	}
	return nil
}

// check reports whether the schema on conn is exactly this binary's:
// every embedded migration applied, none unknown. It changes nothing.
func (sc schema) check(ctx context.Context, conn *sql.Conn) error {
	ms, err := sc.migrations()
	if err != nil {
		return err
	}
	rows, err := conn.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("not a Haven %s (no schema_migrations): %w", sc.what, err)
	}
	applied := make(map[int]bool)
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	if err := rows.Close(); err != nil {
		return err
	}
	known := make(map[int]bool, len(ms))
	for _, m := range ms {
		known[m.version] = true
		if !applied[m.version] {
			return fmt.Errorf("%s schema is older than this binary's (migration %s is not applied): use the haven binary the server runs, or start the server with this one, which migrates it", sc.what, m.name)
		}
	}
	for v := range applied {
		if !known[v] {
			return fmt.Errorf("%s schema version %d is newer than this binary knows; run a newer Haven", sc.what, v)
		}
	}
	return nil
}

// applyMigration applies m unless it is already recorded, and reports
// whether it did.
func applyMigration(ctx context.Context, conn *sql.Conn, m migration) (applied bool, err error) {
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.Background(), `ROLLBACK`)
		}
	}()
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		_, err := conn.ExecContext(ctx, `COMMIT`)
		return false, err
	}
	if _, err := conn.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.version, time.Now().UnixMilli()); err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return false, err
	}
	return true, nil
}
