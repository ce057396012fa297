package postgres

import (
	"context"
	"database/sql"
	"fmt"
)

// One writer at a time. events.gid orders the events of every chat
// together, in commit order: a client that has seen gid N has seen every
// event committed before it (core's sync rests on this). A sequence alone
// does not give that: two transactions may commit in the other order than
// they drew their numbers. And core's use cases are written for SQLite's
// single writer: they read a chat, change it and write it back, which
// concurrent transactions on PostgreSQL turn into lost updates,
// serialization failures or deadlocks (two joins of one chat lock its row
// in opposite orders).
//
// So every write transaction (a batch of Updates, see writer.go) takes
// the transaction advisory lock writeLock as its first statement, which
// PostgreSQL releases when the transaction ends: the cluster has one
// writer at a time, on every node alike, as SQLite has, and gids follow
// commits. The transactions are READ COMMITTED: each statement sees what
// was committed before it, so a batch that waited for the lock reads
// what the writer before it left. With one
// writer at a time, that is as good as serializable for writes; reads
// never take the lock. The schema's insert trigger on events takes the
// same lock, so that no other writer can break the order of gids.
//
// The cost is that writes do not scale with nodes: see
// docs/decisions/0007 for how that is to be relaxed.

// writeLock is the key of the advisory lock; the trigger events_next_gid
// in migrations/0001_init.sql names the same number.
const writeLock = 7236321985520697715

// lockWrites takes writeLock for the transaction tx, waiting for it as
// long as it takes: the node's writer has nothing else to do meanwhile.
func lockWrites(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(writeLock)); err != nil {
		return fmt.Errorf("postgres: take the write lock: %w", err)
	}
	return nil
}
