package sqlite

import (
	"fmt"
	"time"
)

// Erasing deleted text from disk. SQLite deletes a row by unlinking it:
// its bytes stay in the page, or in a page put on the free list, until
// something overwrites them; and in WAL mode every version of a page a
// transaction wrote stays in the -wal file until a checkpoint has copied
// the newest into the database and the log starts over. So that a message
// deleted for everyone, the old text of an edited one, one removed by its
// auto-delete timer, or an erased account's profile is gone from the
// files, not merely from the answers:
//
//   - Both writers' connections run with secure_delete on: SQLite
//     overwrites deleted content with zeros, in the pages it writes and in
//     the pages it frees (FAST would leave the free-list pages, where the
//     overflow pages of long texts go, as they were).
//   - The search index is an FTS5 table with its own secure-delete option
//     on (migrations/search/0002), so that a deletion or an edit takes the
//     words out of the index's pages at once.
//   - A transaction that erased text arms a timer; eraseDelay later the
//     database's WAL is checkpointed in TRUNCATE mode, which writes the
//     zeroed pages over the old ones in the database file and then cuts
//     the log, old page versions and all, to nothing. The main database's
//     writer does it for Updates that erased (txn.erased), the indexer for
//     index batches that did (on their own connections, between
//     transactions). Sends erase nothing and never pay for a checkpoint.
//
// What this does not reach (backups, copies, filesystem and device blocks
// SQLite no longer owns) is listed in docs/security.md.
const (
	// eraseDelay is how long after a transaction that erased text its
	// database's WAL is checkpointed. The erasures of that moment share
	// one checkpoint: one a second at most, however many deletions.
	eraseDelay = time.Second
	// eraseRetry is how long a checkpoint that could not finish (a reader
	// kept an old snapshot open past checkpointWaitMS) waits to try again.
	eraseRetry = time.Second
	// checkpointWaitMS bounds how long a checkpoint, which holds its
	// database's write lock, waits for the readers of older snapshots to
	// finish before giving up until eraseRetry later: the writer's other
	// work waits that long at most.
	checkpointWaitMS = 250
)

// truncateWAL checkpoints the connection's database in TRUNCATE mode:
// every frame of the WAL is copied into the database file and the WAL is
// truncated to zero bytes. It waits at most checkpointWaitMS for readers,
// and reports whether it finished; if not, what it could copy is copied
// and the log is left as it was. It must run outside any transaction.
func (c *connStmts) truncateWAL() (done bool, err error) {
	if err := c.exec(fmt.Sprintf(`PRAGMA busy_timeout = %d`, checkpointWaitMS)); err != nil {
		return false, err
	}
	defer func() {
		if rerr := c.exec(fmt.Sprintf(`PRAGMA busy_timeout = %d`, busyTimeoutMS)); rerr != nil && err == nil {
			err = rerr
		}
	}()
	st, err := c.stmt(`PRAGMA wal_checkpoint(TRUNCATE)`)
	if err != nil {
		return false, err
	}
	// busy is 1 when the checkpoint could not finish; frames and copied
	// are frame counts (-1 when the database is not in WAL mode).
	var busy, frames, copied int
	if err := st.QueryRow().Scan(&busy, &frames, &copied); err != nil {
		return false, err
	}
	return busy == 0, nil
}

// eraseTimer schedules the checkpoint that follows erasures, for a loop
// that selects on C. The first erasure arms it; later ones before it
// fires change nothing, so that they share one checkpoint.
type eraseTimer struct {
	t *time.Timer
	// C receives when the checkpoint is due; nil while not armed, so that
	// a select on it blocks.
	C <-chan time.Time
}

// arm makes C fire in d, unless it is armed already.
func (e *eraseTimer) arm(d time.Duration) {
	if e.C != nil {
		return
	}
	if e.t == nil {
		e.t = time.NewTimer(d)
	} else {
		e.t.Reset(d)
	}
	e.C = e.t.C
}

// fired records that C has been received from: the timer is disarmed.
func (e *eraseTimer) fired() { e.C = nil }

// stop releases the timer.
func (e *eraseTimer) stop() {
	if e.t != nil {
		e.t.Stop()
	}
}

// erase runs a due checkpoint with checkpoint, on the loop's goroutine,
// and arms the timer again should it not finish or fail: the erasure it
// owes is not forgotten.
func (e *eraseTimer) erase(s *Store, what string, checkpoint func() (bool, error)) {
	e.fired()
	done, err := checkpoint()
	switch {
	case err != nil:
		s.log.Warn("sqlite: checkpoint after a deletion failed; will retry", "db", what, "err", err)
	case !done:
		s.log.Debug("sqlite: checkpoint after a deletion waited for readers; will retry", "db", what)
	default:
		return
	}
	e.arm(eraseRetry)
}
