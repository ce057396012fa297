package postgres

import (
	"context"
	"database/sql"

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
