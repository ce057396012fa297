package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// Writers beside each other (docs/decisions/0017). Every node's writer
// runs its batches (writer.go) as SERIALIZABLE transactions, concurrently
// with the other nodes'. PostgreSQL then guarantees what core's use
// cases were written for, on SQLite's single writer: whatever commits is
// as if the transactions had run one at a time, so a use case that reads
// a chat, changes it and writes it back never loses another's change.
// Where two transactions cannot be put in such an order, PostgreSQL
// fails one of them with a serialization failure (or a deadlock), and
// the writer runs the Updates it undid again (sqlstore.Writer, Retry).
// A statement waiting for a row another batch holds gives up after
// lockWait and counts as a conflict too (writer.go, Begin).
//
// A chat's seq and a person's pts are counters in their rows, which each
// writer updates: a second writer of the same row waits for the first
// and, once it commits, fails and runs again; so a chat's events take
// their seqs in commit order, and a person's pts likewise. gids follow
// transaction ids, not commits; catch-up reads them up to a horizon
// (migrations/0007_gid_horizon.sql).
//
// The advisory lock writeLock stays, as a way to run alone: each batch
// holds it shared, so that batches of all nodes run beside each other;
// a batch holding Updates sent back more than once holds it exclusively,
// which waits for the batches running and keeps new ones out, so that it
// cannot conflict with anything and its Updates make progress. The lock
// is a session lock taken before BEGIN, so that a batch's snapshot (taken
// at its first statement) comes after the batches it waited for.

// lockWait is how long a statement of a batch running beside others
// waits for a row lock before it counts as a conflict.
const lockWait = "10ms"

// writeLock is the key of the advisory lock.
const writeLock = 7236321985520697715

// lockWrites takes writeLock on conn, shared or (alone) exclusively,
// waiting for it as long as it takes: the node's writer has nothing else
// to do meanwhile.
func lockWrites(ctx context.Context, conn *sql.Conn, alone bool) error {
	q := `SELECT pg_advisory_lock_shared($1)`
	if alone {
		q = `SELECT pg_advisory_lock($1)`
	}
	if _, err := conn.ExecContext(ctx, q, int64(writeLock)); err != nil {
		return fmt.Errorf("postgres: take the write lock: %w", err)
	}
	return nil
}

// unlockWrites releases what lockWrites took.
func unlockWrites(ctx context.Context, conn *sql.Conn, alone bool) error {
	q := `SELECT pg_advisory_unlock_shared($1)`
	if alone {
		q = `SELECT pg_advisory_unlock($1)`
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, q, int64(writeLock)).Scan(&ok); err != nil {
		return fmt.Errorf("postgres: release the write lock: %w", err)
	}
	if !ok {
		return errors.New("postgres: release the write lock: not held")
	}
	return nil
}

// conflict reports whether err says the transaction met another one it
// could not be ordered with: a serialization failure, a deadlock, or a
// lock held longer than lockWait.
func conflict(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "55P03"
}
