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

// lockWrites takes writeLock on a connection of the pool, which it
// returns with the function that releases both. This node's Updates wait
// for it one at a time, on writeMu, before they take a connection: one
// waiting on a connection each could take the whole pool, which the
// AfterCommit callbacks of the Update ahead of them may need to read.
func (s *Store) lockWrites(ctx context.Context) (conn *sql.Conn, unlock func(), err error) {
	s.writeMu.Lock()
	conn, err = s.db.Conn(ctx)
	if err != nil {
		s.writeMu.Unlock()
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(writeLock)); err != nil {
		// Cancelled just as it got the lock, the session may hold it:
		// drop the connection rather than let it go back to the pool.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
		s.writeMu.Unlock()
		return nil, nil, fmt.Errorf("postgres: take the write lock: %w", err)
	}
	return conn, func() {
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
		conn.Close()
	}, nil
}
