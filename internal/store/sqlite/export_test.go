package sqlite

import (
	"context"
	"database/sql"

	"github.com/havenchat/haven/internal/core"
)

// Commits reports how many physical transactions the writer has committed.
func (s *Store) Commits() int64 { return s.commits.Load() }

// Queued reports how many Updates wait in the queue.
func (s *Store) Queued() int { return len(s.queue) }

// ReadPool is the pool the Queries methods read through.
func (s *Store) ReadPool() *sql.DB { return s.read }

// WriterPragma reads a pragma on the write connection, from inside an
// Update so that it runs on the writer goroutine.
func (s *Store) WriterPragma(name string) (string, error) {
	var v string
	err := s.Update(context.Background(), func(tx core.Tx) error {
		return tx.(*txn).queryRow(context.Background(), "PRAGMA "+name).Scan(&v)
	})
	return v, err
}

// Migrations lists the embedded migration versions.
func Migrations() ([]int, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	var vs []int
	for _, m := range ms {
		vs = append(vs, m.version)
	}
	return vs, nil
}

// MaxBatch is the most Updates one transaction holds.
const MaxBatch = maxBatch
