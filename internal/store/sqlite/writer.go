package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlstore"
)

// Group commit (sqlstore.Writer): one goroutine owns the only write
// connection and runs each batch of Updates in one IMMEDIATE transaction;
// one COMMIT (one fsync of the WAL) makes the whole batch durable.
// Between batches it checkpoints the WAL when a batch that erased text
// asked for it (see erase.go).
const maxBatch = sqlstore.MaxBatch

// writer is the Store's sqlstore.Writer.
type writer = sqlstore.Writer[batch, mark]

// mark is what one Update left for after its commit.
type mark struct {
	events bool // fn appended chat events: the search indexer has work
	erased bool // fn deleted or overwrote text: a checkpoint is due (erase.go)
	reach  bool // fn may have changed who sees or reaches whom (reach.go)
}

// Update runs fn in a read-write transaction and commits it durably before
// returning: see sqlstore.Writer.Update.
func (s *Store) Update(ctx context.Context, fn func(tx core.Tx) error) error {
	return s.w.Update(ctx, fn)
}

// committer is the Store's sqlstore.Committer, on the write connection.
// Only the writer goroutine uses it.
type committer struct {
	s     *Store
	erase *eraseTimer
}

// batch is the transaction of one batch, on the write connection.
type batch struct{ s *Store }

func (b batch) Exec(query string) error { return b.s.wconn.exec(query) }

// Commit commits; a COMMIT that fails is rolled back.
func (b batch) Commit() error {
	err := b.s.wconn.exec(`COMMIT`)
	if err != nil {
		if rbErr := b.Rollback(); rbErr != nil {
			b.s.log.Warn("sqlite: rollback after failed batch", "err", rbErr)
		}
	}
	return err
}

func (b batch) Rollback() error { return b.s.wconn.exec(`ROLLBACK`) }

// Begin begins; the write connection is the only writer of the
// database, so every batch runs alone.
func (c committer) Begin(bool) (batch, error) {
	if err := c.s.wconn.begin(c.s.log); err != nil {
		return batch{}, fmt.Errorf("sqlite: begin: %w", err)
	}
	return batch{c.s}, nil
}

// Run runs fn on a Tx bound to the write connection.
func (c committer) Run(_ batch, fn func(core.Tx) error) ([]func(), mark, error) {
	reach := &reachMark{s: c.s}
	tx := &txn{Tx: sqlstore.NewTx(writerConn{&c.s.wconn, reach}, dialect{})}
	tx.fts = fts{db: tx.Tx.Queries.DB}
	defer tx.Finish()
	if err := fn(tx); err != nil {
		return nil, mark{}, err
	}
	return tx.After, mark{events: tx.AppendedEvents, erased: tx.Erased, reach: reach.hit}, nil
}

// Committed moves reach on, wakes the indexer and arms the checkpoint,
// each once for the batch, as its Updates ask.
func (c committer) Committed(marks []mark) {
	kicked, reached, erased := false, false, false
	for _, m := range marks {
		if m.reach && !reached {
			c.s.reach.Add(1)
			reached = true
		}
		if m.events && !kicked {
			c.s.idx.kick()
			kicked = true
		}
		erased = erased || m.erased
	}
	if erased {
		c.erase.arm(eraseDelay)
	}
}

// Retry is false: a single writer meets no conflicts.
func (committer) Retry(error) bool { return false }

func (c committer) Due() <-chan time.Time { return c.erase.C }

func (c committer) Tend() { c.erase.erase(c.s, "main", c.s.wconn.truncateWAL) }

// CheckWritable reports whether the database can be written now, which
// a node's /readyz must know: a full disk, a file system gone read-only,
// or another process holding the write lock past the busy timeout all
// fail it. It goes through the writer like any Update (it waits its turn
// and may share a commit) and rewrites the database header's
// user_version with the value it already holds: nothing changes, but the
// header page is appended to the WAL and synced at commit, the write
// every Update needs. (An UPDATE that sets a row to its own value would
// not do: SQLite skips a cell whose bytes do not change, and a
// transaction that changes nothing writes nothing.) Haven keeps its
// schema versions in schema_migrations, not in user_version.
func (s *Store) CheckWritable(ctx context.Context) error {
	return s.Update(ctx, func(tx core.Tx) error {
		t := tx.(*txn)
		var v int64
		if err := t.QueryRow(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
			return fmt.Errorf("sqlite: write probe: %w", err)
		}
		if _, err := t.Exec(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v)); err != nil {
			return fmt.Errorf("sqlite: write probe: %w", err)
		}
		return nil
	})
}
