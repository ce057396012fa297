package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlstore"
	"github.com/jackc/pgx/v5/stdlib"
)

// Group commit, as on SQLite (sqlstore.Writer): one goroutine per node
// writes; it runs a batch of queued Updates in one transaction, each
// inside its own savepoint, and one COMMIT makes the whole batch durable.
// The batches of different nodes run beside each other (writelock.go).

// writer is the Store's sqlstore.Writer.
type writer = sqlstore.Writer[*batch, struct{}]

// committer is the Store's sqlstore.Committer: a batch's transaction is
// one of the pool's connections, holding the write lock.
type committer struct{ s *Store }

// batch is the transaction of one batch, on a connection of its own.
type batch struct {
	s     *Store
	conn  *sql.Conn
	tx    *sql.Tx
	alone bool // holds the write lock exclusively
}

// Statements run without the callers' contexts: cancelling one would
// cost the connection, and with it everyone's transaction. A Tx checks
// its caller's context before each statement instead.

func (b *batch) Exec(query string) error {
	_, err := b.tx.ExecContext(context.Background(), query)
	return err
}

// Commit commits, releases the write lock and gives the connection back
// to the pool, for the callbacks' reads.
func (b *batch) Commit() error {
	err := b.tx.Commit()
	b.release()
	return err
}

func (b *batch) Rollback() error {
	err := b.tx.Rollback()
	b.release()
	return err
}

// release releases the write lock and the connection. A connection whose
// lock could not be released is closed, which releases it.
func (b *batch) release() {
	if err := unlockWrites(context.Background(), b.conn, b.alone); err != nil {
		b.s.log.Warn("postgres: closing a connection", "err", err)
		if err := b.conn.Raw(func(dc any) error { return dc.(interface{ Close() error }).Close() }); err != nil {
			b.s.log.Warn("postgres: close", "err", err)
		}
	}
	b.conn.Close()
}

// aborted reports whether the batch's transaction is in the failed
// state: a statement failed since the last savepoint was rolled back to.
func (b *batch) aborted() bool {
	var status byte
	if err := b.conn.Raw(func(dc any) error {
		status = dc.(*stdlib.Conn).Conn().PgConn().TxStatus()
		return nil
	}); err != nil {
		return true
	}
	return status == 'E'
}

func (c committer) Begin(alone bool) (*batch, error) {
	ctx := context.Background()
	conn, err := c.s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := lockWrites(ctx, conn, alone); err != nil {
		conn.Close() // a failed lock statement leaves none held
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		b := &batch{s: c.s, conn: conn, alone: alone}
		b.release()
		return nil, fmt.Errorf("postgres: begin: %w", err)
	}
	b := &batch{s: c.s, conn: conn, tx: tx, alone: alone}
	if !alone {
		// A row another batch holds is one it is changing: once it
		// commits, this transaction fails on it anyway (SERIALIZABLE).
		// Waiting for that only holds this batch's rows longer, and two
		// batches waiting for each other's rows wait a deadlock_timeout
		// (a second) before either gives up. So an Update gives up at
		// once and runs again (writelock.go).
		if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '`+lockWait+`'`); err != nil {
			if rbErr := b.Rollback(); rbErr != nil {
				c.s.log.Warn("postgres: rollback after failed batch", "err", rbErr)
			}
			return nil, fmt.Errorf("postgres: begin: %w", err)
		}
	}
	return b, nil
}

// errConflict is what Run returns for an Update whose statements met a
// conflict, whatever fn made of that statement's error (tracer.go).
var errConflict = errors.New("postgres: a conflict with another writer")

// errWentOn is what Run returns for an Update whose fn returned nil
// after one of its statements failed: the failure aborted the
// transaction up to the Update's savepoint, so nothing after it ran.
var errWentOn = errors.New("postgres: the update went on after a failed statement")

// Run runs fn on a Tx bound to the batch's transaction.
func (c committer) Run(b *batch, fn func(core.Tx) error) ([]func(), struct{}, error) {
	t := &txn{}
	notes := &runNotes{}
	conn := txConn{s: c.s, tx: b.tx, notes: notes}
	t.Tx = sqlstore.NewTx(conn, dialect{})
	t.fts = fts{db: t.Tx.Queries.DB}
	defer t.Finish()
	err := fn(t)
	conflicted, failed := notes.errors()
	if conflicted != nil {
		// fn may have turned the statement's error into one of its own,
		// or even carried on: either way its work is undone.
		return nil, struct{}{}, fmt.Errorf("%w: %w", errConflict, conflicted)
	}
	if err != nil {
		return nil, struct{}{}, err
	}
	if failed != nil && b.aborted() {
		// Its savepoint is rolled back, not the batch.
		return nil, struct{}{}, fmt.Errorf("%w: %w", errWentOn, failed)
	}
	return t.After, struct{}{}, nil
}

// Retry: a conflict, met by a statement or at COMMIT.
func (committer) Retry(err error) bool { return errors.Is(err, errConflict) || conflict(err) }

func (committer) Committed([]struct{}) {}

func (committer) Due() <-chan time.Time { return nil }

func (committer) Tend() {}
