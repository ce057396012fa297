package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlstore"
)

// Group commit, as on SQLite (internal/store/sqlite/writer.go). Updates
// run one at a time across the cluster (writelock.go), so a commit per
// Update would cap the cluster at one commit's latency per write. Instead
// one goroutine per node writes: it takes the first queued Update and
// whatever else is already waiting (up to maxBatch), and runs them all in
// one transaction, under the write lock, each inside its own savepoint, so
// that one fn's failure (a failed statement included, which on PostgreSQL
// would otherwise end the transaction) undoes only that fn's writes. One
// COMMIT then makes the whole batch durable. While it commits, the next
// batch gathers in the queue.
const (
	maxBatch  = 256
	queueSize = 4 * maxBatch
)

// A request's state moves from queued to exactly one of taken (by the
// writer) or abandoned (by its caller, whose context ended first).
const (
	stateQueued int32 = iota
	stateTaken
	stateAbandoned
)

// request is one Update waiting for the writer.
type request struct {
	ctx   context.Context
	fn    func(core.Tx) error
	state atomic.Int32
	done  chan error // buffered: the writer never waits for the caller

	// Set by the writer while it runs fn.
	err   error
	after []func()
}

// writer is the goroutine that runs the Updates of this node. It ends
// when Close has closed the queue and every queued request has been
// answered.
func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]*request, 0, maxBatch)
	for req := range s.queue {
		batch = append(batch[:0], req)
	gather:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-s.queue:
				if !ok {
					break gather
				}
				batch = append(batch, r)
			default:
				break gather
			}
		}
		s.runBatch(batch)
		clear(batch) // let the requests be collected
	}
}

// runBatch runs one batch of requests in one transaction and answers each.
func (s *Store) runBatch(batch []*request) {
	live := batch[:0]
	for _, r := range batch {
		if !r.state.CompareAndSwap(stateQueued, stateTaken) {
			continue // abandoned; its caller has gone
		}
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	fail := func(err error) {
		for _, r := range live {
			if r.err == nil {
				r.err = err
			}
			r.done <- r.err
		}
	}
	// Statements run without the callers' contexts: cancelling one would
	// cost the connection, and with it everyone's transaction. A Tx checks
	// its caller's context before each statement instead.
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		fail(fmt.Errorf("postgres: %w", err))
		return
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("postgres: begin: %w", err))
		return
	}
	abort := func(err error) {
		if rbErr := tx.Rollback(); rbErr != nil {
			s.log.Warn("postgres: rollback after failed batch", "err", rbErr)
		}
		fail(err)
	}
	if err := lockWrites(ctx, tx); err != nil {
		abort(err)
		return
	}
	for _, r := range live {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT u`); err != nil {
			abort(fmt.Errorf("postgres: savepoint: %w", err))
			return
		}
		r.err = s.call(r, tx)
		if r.err != nil {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT u`); err != nil {
				abort(fmt.Errorf("postgres: transaction lost after a failed update: %w", err))
				return
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT u`); err != nil {
			abort(fmt.Errorf("postgres: release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		// Whether a COMMIT that failed on the way back committed is not
		// known; the callers get the error, and their retries (random_id)
		// find out.
		fail(fmt.Errorf("postgres: commit: %w", err))
		return
	}
	s.commits.Add(1)
	// The connection goes back to the pool, for the callbacks' reads.
	conn.Close()
	// Callbacks run here, in commit order, before each caller is
	// answered: events are published in the order they were committed.
	for _, r := range live {
		if r.err == nil {
			for _, f := range r.after {
				s.afterCommit(f)
			}
		}
		r.done <- r.err
	}
}

// call runs r.fn on a Tx bound to the batch's transaction, turning a panic
// into an error.
func (s *Store) call(r *request, tx *sql.Tx) (err error) {
	t := &txn{}
	t.Tx = sqlstore.NewTx(txConn{s: s, tx: tx}, dialect{})
	t.fts = fts{db: t.Tx.Queries.DB}
	defer func() {
		t.Finish()
		if p := recover(); p != nil {
			s.log.Error("postgres: panic in Update", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("postgres: panic in Update: %v", p)
		}
		if err == nil {
			r.after = t.After
		}
	}()
	return r.fn(t)
}
