package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/havenchat/haven/internal/core"
)

// Commits reports how many physical transactions the writer has committed.
func (s *Store) Commits() int64 { return s.w.Commits() }

// Queued reports how many Updates wait in the queue.
func (s *Store) Queued() int { return s.w.Queued() }

// ReadPool is the pool the Queries methods read through.
func (s *Store) ReadPool() *sql.DB { return s.read }

// WriterPragma reads a pragma on the write connection, from inside an
// Update so that it runs on the writer goroutine.
func (s *Store) WriterPragma(name string) (string, error) {
	var v string
	err := s.Update(context.Background(), func(tx core.Tx) error {
		return tx.(*txn).QueryRow(context.Background(), "PRAGMA "+name).Scan(&v)
	})
	return v, err
}

// SearchPragma reads a pragma on the search index's write connection.
func (s *Store) SearchPragma(name string) (string, error) {
	var v string
	err := s.sconn.conn.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v)
	return v, err
}

// Migrations lists the embedded migration versions of the main database.
func Migrations() ([]int, error) { return mainSchema.Versions() }

// SearchMigrations lists those of the search index's database.
func SearchMigrations() ([]int, error) { return searchSchema.Versions() }

// SearchPath is where the search index of the database at path lives.
var SearchPath = searchPath

// MaxBatch is the most Updates one transaction holds.
const MaxBatch = maxBatch

// StopIndexer stops the search indexer, as a crash right after the
// acknowledgements would: what is committed stays unindexed until the
// store is opened again.
func (s *Store) StopIndexer() { s.idx.stop() }

// SearchCursor reads the gid up to which the index is stored as applied.
func (s *Store) SearchCursor() (int64, error) {
	var gid int64
	err := s.read.QueryRow(`SELECT gid FROM ` + searchSchemaName + `.search_cursor WHERE id = 1`).Scan(&gid)
	return gid, err
}

// FTSQuery is the query sanitiser.
var FTSQuery = ftsQuery

// IndexBatch is how many events one indexing Update applies at most.
const IndexBatch = indexBatch

// Exec runs statements in one Update, on the writer: for filling a
// database in bulk, in one transaction.
func (s *Store) Exec(ctx context.Context, stmts ...string) error {
	return s.Update(ctx, func(tx core.Tx) error {
		for _, q := range stmts {
			if _, err := tx.(*txn).Exec(ctx, q); err != nil {
				return fmt.Errorf("%.80s: %w", q, err)
			}
		}
		return nil
	})
}
