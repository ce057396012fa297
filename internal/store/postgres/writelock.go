package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"time"
)

// One writer at a time. events.gid orders the events of every chat
// together, in commit order: a client that has seen gid N has seen every
// event committed before it (core's sync rests on this). A sequence alone
// does not give that: two transactions may commit in the other order than
// they drew their numbers. And core's use cases are written for SQLite's
// single writer: they read a chat, change it and write it back, which
// concurrent transactions on PostgreSQL turn into serialization failures
// and deadlocks (two joins of one chat lock its row in opposite orders),
// each costing a retry or a second of deadlock detection.
//
// So every Update runs under the session advisory lock writeLock, taken
// before its transaction begins and released after it ends, on every node
// alike: the cluster has one writer at a time, as SQLite has, and gids
// follow commits. Taking the lock before BEGIN matters: the transaction's
// snapshot is then taken after the previous writer committed, so it sees
// the rows as that one left them rather than failing to serialize with
// it. The schema's insert trigger on events takes the same lock, as a
// transaction lock, so that no other writer can break the order of gids.
//
// Reads never take it. The cost is that writes do not scale with nodes:
// see docs/decisions/0007 for how that is to be relaxed.

// writeLock is the key of the advisory lock; the trigger events_next_gid
// in migrations/0001_init.sql names the same number.
const writeLock = 7236321985520697715

// lockWrites takes writeLock on conn, waiting for it (first among this
// node's Updates, on writeMu, so that they do not each hold a connection
// while they wait), and returns the function that releases both.
func (s *Store) lockWrites(ctx context.Context, conn *sql.Conn) (unlock func(), err error) {
	s.writeMu.Lock()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(writeLock)); err != nil {
		s.writeMu.Unlock()
		return nil, fmt.Errorf("postgres: take the write lock: %w", err)
	}
	return func() {
		defer s.writeMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, int64(writeLock)); err != nil {
			// The connection must not go back to the pool still holding
			// the lock: drop it, and its session with it, which releases
			// the lock.
			s.log.Warn("postgres: release the write lock", "err", err)
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}, nil
}
