package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Schema is one set of migrations, one file per version named
// NNNN_title.sql in Dir of FS (embedded in the binary). A released file
// is never edited: a change is a new file. Each migration runs in a
// transaction of its own together with its row in schema_migrations, and
// is skipped if that row already exists.
type Schema struct {
	FS   fs.FS
	Dir  string
	What string // for messages: "database", "search index"

	// What differs between databases: the log's prefix, the statement
	// that begins a migration's transaction, and the SQL type of
	// schema_migrations' columns.
	DB      string
	Begin   string
	IntType string
}

// Migration is one schema version.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the schema's migrations in version order. Versions
// must be positive and distinct.
func (sc Schema) Migrations() ([]Migration, error) {
	names, err := fs.Glob(sc.FS, sc.Dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
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
		b, err := fs.ReadFile(sc.FS, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// Versions lists the versions of the schema's migrations, in order: those
// a database migrated by this binary records.
func (sc Schema) Versions() ([]int, error) {
	ms, err := sc.Migrations()
	if err != nil {
		return nil, err
	}
	vs := make([]int, len(ms))
	for i, m := range ms {
		vs[i] = m.Version
	}
	return vs, nil
}

// Migrate brings the schema on conn up to the newest version. A database
// that records a version this binary does not know is refused: it was
// written by a newer Haven. Whatever lock keeps two processes from
// migrating at once is the caller's; failing that, each migration's
// transaction checks that its row is not there yet.
func (sc Schema) Migrate(ctx context.Context, conn *sql.Conn, log *slog.Logger) error {
	ms, err := sc.Migrations()
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version    %[1]s PRIMARY KEY,
		applied_at %[1]s NOT NULL
	)`, sc.IntType)); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var newest sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].Version
	}
	if newest.Valid && int(newest.Int64) > known {
		return fmt.Errorf("%s schema version %d is newer than this binary knows (%d); run a newer Haven", sc.What, newest.Int64, known)
	}
	for _, m := range ms {
		applied, err := sc.apply(ctx, conn, m)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if applied {
			log.Info(sc.DB+": applied migration", "schema", sc.What, "version", m.Version, "name", m.Name)
		}
	}
	return nil
}

// apply applies m unless it is already recorded, and reports whether it
// did. The statements carry no parameters (the version and the time are
// numbers written into them), so that the migration's many statements run
// as one script on either database.
func (sc Schema) apply(ctx context.Context, conn *sql.Conn, m Migration) (applied bool, err error) {
	if _, err := conn.ExecContext(ctx, sc.Begin); err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		}
	}()
	var n int
	if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM schema_migrations WHERE version = %d`, m.Version)).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		_, err := conn.ExecContext(ctx, `COMMIT`)
		return false, err
	}
	if _, err := conn.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`INSERT INTO schema_migrations (version, applied_at) VALUES (%d, %d)`,
		m.Version, time.Now().UnixMilli())); err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return false, err
	}
	return true, nil
}

// Check reports whether the schema on conn is exactly this binary's:
// every migration applied, none unknown. It changes nothing.
func (sc Schema) Check(ctx context.Context, conn *sql.Conn) error {
	ms, err := sc.Migrations()
	if err != nil {
		return err
	}
	rows, err := conn.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("not a Haven %s (no schema_migrations): %w", sc.What, err)
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
		known[m.Version] = true
		if !applied[m.Version] {
			return fmt.Errorf("%s schema is older than this binary's (migration %s is not applied): use the haven binary the server runs, or start the server with this one, which migrates it", sc.What, m.Name)
		}
	}
	for v := range applied {
		if !known[v] {
			return fmt.Errorf("%s schema version %d is newer than this binary knows; run a newer Haven", sc.What, v)
		}
	}
	return nil
}
