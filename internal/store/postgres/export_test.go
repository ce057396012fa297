package postgres

import (
	"context"
	"database/sql"
	"testing/fstest"

	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// SchemaVersions lists the rows of schema_migrations of the database at
// url, in order, duplicates kept.
func SchemaVersions(ctx context.Context, url string) ([]int, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	return versionsOn(ctx, db)
}

func versionsOn(ctx context.Context, db *sql.DB) ([]int, error) {
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

// RewriteSQL is the rewriting of the shared SQL.
var RewriteSQL = rewriteSQL

// Commits reports how many transactions the writer has committed.
func (s *Store) Commits() int64 { return s.w.Commits() }

// Retries reports how many Updates a conflict sent back to run again.
func (s *Store) Retries() int64 { return s.w.Retries() }

// MigrateTo brings the database at url up to migration upTo only, as a
// binary of that time would have left it.
func MigrateTo(ctx context.Context, url string, upTo int) error {
	ms, err := schema.Migrations()
	if err != nil {
		return err
	}
	files := fstest.MapFS{}
	for _, m := range ms {
		if m.Version <= upTo {
			files["migrations/"+m.Name] = &fstest.MapFile{Data: []byte(m.SQL)}
		}
	}
	old := schema
	old.FS = files
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return err
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return old.Migrate(ctx, conn, sqlstore.Logger(nil))
}

// Queued reports how many Updates wait for the writer.
func (s *Store) Queued() int { return s.w.Queued() }

// TxQuery runs a query in an Update's transaction.
func TxQuery(ctx context.Context, tx core.Tx, query string, args ...any) (*sql.Rows, error) {
	return tx.(*txn).Tx.Queries.DB.Query(ctx, query, args...)
}

// Queued reports how many Updates wait for the store's writer.
func Queued(s *Store) int { return s.w.Queued() }

var ErrWentOn = errWentOn
