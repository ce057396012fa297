package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/havenchat/haven"
)

// The order of the log. events.gid orders the events of every chat
// together, in commit order: a client that has seen gid N has seen every
// event committed before it (core's sync rests on this). A sequence alone
// does not give that: two transactions may commit in the other order than
// they drew their numbers. So the transactions that write a chat's log
// (NextSeq, then AppendEvent) run one at a time, under the session
// advisory lock gidLock, taken before the transaction begins and released
// after it ends. Taking it before BEGIN matters: the transaction's
// snapshot is then taken after the previous holder committed, so it sees
// the chat rows as that one left them rather than failing to serialize
// with it.
//
// An Update does not say beforehand whether it will write a log; its
// first run is without the lock, and the first NextSeq or AppendEvent of
// such a run ends it (errNeedGIDLock) and has it run again under the
// lock. The schema's insert trigger on events takes the same lock, as a
// transaction lock, so that no other writer can break the order.
//
// The cost: writes to chats' logs are serialised across the cluster, one
// commit at a time; see docs/decisions/0007.

// gidLock is the key of the advisory lock; the trigger events_next_gid in
// migrations/0001_init.sql names the same number.
const gidLock = 7236321985520697715

// errNeedGIDLock ends a run of an Update that writes a chat's log without
// holding gidLock.
var errNeedGIDLock = errors.New("postgres: the update writes a chat's log and must run under the gid lock")

// lockGID takes gidLock on conn, waiting for it (first among this node's
// Updates, on gidMu), and returns the function that releases both.
func (s *Store) lockGID(ctx context.Context, conn *sql.Conn) (unlock func(), err error) {
	s.gidMu.Lock()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(gidLock)); err != nil {
		s.gidMu.Unlock()
		return nil, fmt.Errorf("postgres: take the gid lock: %w", err)
	}
	return func() {
		defer s.gidMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, int64(gidLock)); err != nil {
			// The connection must not go back to the pool still holding
			// the lock: drop it, and its session with it, which releases
			// the lock.
			s.log.Warn("postgres: release the gid lock", "err", err)
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}, nil
}

// NextSeq moves a chat's log on: it needs gidLock.
func (t *txn) NextSeq(ctx context.Context, chatID int64, newMessage bool, at time.Time) (seq, msgID int64, err error) {
	if !t.locked {
		t.needLock = true
		return 0, 0, errNeedGIDLock
	}
	return t.Tx.NextSeq(ctx, chatID, newMessage, at)
}

// AppendEvent stores an event, under gidLock, and, the first time, takes
// the transaction's place in the commit order of this node (see
// orderer).
func (t *txn) AppendEvent(ctx context.Context, e *haven.Event) error {
	if !t.locked {
		t.needLock = true
		return errNeedGIDLock
	}
	if err := t.Tx.AppendEvent(ctx, e); err != nil {
		return err
	}
	if t.ticket == nil {
		t.ticket = t.s.order.take()
	}
	return nil
}
