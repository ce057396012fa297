package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlstore"
)

// Group commit, as on SQLite (sqlstore.Writer). Updates run one at a time
// across the cluster (writelock.go), so a commit per Update would cap the
// cluster at one commit's latency per write. Instead one goroutine per
// node writes: it runs a batch of queued Updates in one transaction,
// under the write lock, each inside its own savepoint, and one COMMIT
// makes the whole batch durable.

// writer is the Store's sqlstore.Writer.
type writer = sqlstore.Writer[*batch, struct{}]

// committer is the Store's sqlstore.Committer: a batch's transaction is
// one of the pool's connections, under the write lock.
type committer struct{ s *Store }

// batch is the transaction of one batch, on a connection of its own.
type batch struct {
	conn *sql.Conn
	tx   *sql.Tx
}

// Statements run without the callers' contexts: cancelling one would
// cost the connection, and with it everyone's transaction. A Tx checks
// its caller's context before each statement instead.

func (b *batch) Exec(query string) error {
	_, err := b.tx.ExecContext(context.Background(), query)
	return err
}

// Commit commits, and gives the connection back to the pool, for the
// callbacks' reads.
func (b *batch) Commit() error {
	defer b.conn.Close()
	return b.tx.Commit()
}

func (b *batch) Rollback() error {
	defer b.conn.Close()
	return b.tx.Rollback()
}

func (c committer) Begin() (*batch, error) {
	ctx := context.Background()
	conn, err := c.s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("postgres: begin: %w", err)
	}
	b := &batch{conn: conn, tx: tx}
	if err := lockWrites(ctx, tx); err != nil {
		if rbErr := b.Rollback(); rbErr != nil {
			c.s.log.Warn("postgres: rollback after failed batch", "err", rbErr)
		}
		return nil, err
	}
	return b, nil
}

// Run runs fn on a Tx bound to the batch's transaction.
func (c committer) Run(b *batch, fn func(core.Tx) error) ([]func(), struct{}, error) {
	t := &txn{}
	t.Tx = sqlstore.NewTx(txConn{s: c.s, tx: b.tx}, dialect{})
	t.fts = fts{db: t.Tx.Queries.DB}
	defer t.Finish()
	if err := fn(t); err != nil {
		return nil, struct{}{}, err
	}
	return t.After, struct{}{}, nil
}

func (committer) Committed([]struct{}) {}

func (committer) Due() <-chan time.Time { return nil }

func (committer) Tend() {}
