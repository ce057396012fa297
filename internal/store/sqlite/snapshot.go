package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Snapshot writes a consistent copy of the database at path into dest, a
// file that must not exist yet, while a server may be writing the
// database: VACUUM INTO reads one snapshot of it (in WAL mode the
// server's writes go on meanwhile, into the log) and writes that,
// compacted, to dest. The copy is synced to disk and checked before
// Snapshot returns. The search index is not part of it: it is derived
// from the events log, and a server rebuilds a missing one as it starts.
func Snapshot(ctx context.Context, path, dest string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("sqlite: snapshot: %w", err)
	}
	abs, err := filepath.Abs(dest)
	if err != nil {
		return fmt.Errorf("sqlite: snapshot: %w", err)
	}
	db, conn, err := openConn(ctx, path, fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, `VACUUM INTO ?`, abs)
	conn.Close()
	db.Close()
	if err != nil {
		return fmt.Errorf("sqlite: snapshot of %s: %w", path, err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return fmt.Errorf("sqlite: snapshot: %w", err)
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return fmt.Errorf("sqlite: snapshot: syncing %s: %w", abs, err)
	}
	return check(ctx, abs)
}

// check runs SQLite's quick_check on the database at path.
func check(ctx context.Context, path string) error {
	db, conn, err := openConn(ctx, path, "query_only(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	defer conn.Close()
	var res string
	if err := conn.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&res); err != nil {
		return fmt.Errorf("sqlite: checking %s: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("sqlite: %s is damaged: %s", path, res)
	}
	return nil
}
