package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"

	"github.com/havenchat/haven/internal/store/sqlstore"
)

// migrationFiles holds the schema, one file per version, named
// NNNN_title.sql. Its versions are PostgreSQL's own, not SQLite's: the
// two schemas hold the same tables but reach them by different steps. A
// released file is never edited: a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// schema is the database's set of migrations.
var schema = sqlstore.Schema{FS: migrationFiles, Dir: "migrations", What: "database",
	DB: "postgres", Begin: `BEGIN`, IntType: "BIGINT"}

// migrateLock is the key of the session advisory lock under which a node
// migrates: of several nodes starting at once on a new database, one
// applies the migrations while the others wait, then find them applied.
const migrateLock = 7236321985520697714

// Migrations lists the versions of the embedded migrations, in order:
// those a database migrated by this binary records.
func Migrations() ([]int, error) { return schema.Versions() }

// migrate brings the schema up to the newest embedded version (see
// sqlstore.Schema.Migrate), under the advisory lock migrateLock.
func migrate(ctx context.Context, db *sql.DB, log *slog.Logger) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLock)); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	defer func() {
		if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrateLock)); uerr != nil && err == nil {
			err = fmt.Errorf("release the migration lock: %w", uerr)
		}
	}()
	if err := schema.Migrate(ctx, conn, log); err != nil {
		return err
	}
	// A database restored or copied into this cluster may hold gids
	// above its transaction ids: lift the gids to come above them
	// (migrations/0007_gid_horizon.sql).
	if _, err := conn.ExecContext(ctx, `SELECT gid_rebase()`); err != nil {
		return fmt.Errorf("rebase gids: %w", err)
	}
	return nil
}
