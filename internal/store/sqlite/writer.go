package sqlite

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlstore"
)

// Group commit. One goroutine owns the only write connection. Update
// queues a request; the writer takes the first request and whatever else is
// already waiting (up to maxBatch), and runs them all in one IMMEDIATE
// transaction, each inside its own savepoint, so that one fn's failure
// undoes only that fn's writes. One COMMIT (one fsync of the WAL) then makes
// the whole batch durable. While it is being synced, the next batch
// gathers in the queue: the busier the store, the bigger the batches.
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
	err    error
	after  []func()
	events bool // fn appended chat events: the search indexer has work
	erased bool // fn deleted or overwrote text: a checkpoint is due (erase.go)
	reach  bool // fn may have changed who sees or reaches whom (reach.go)
}

// Update runs fn in a read-write transaction and commits it durably before
// returning. fn may share the physical transaction with other Updates; its
// own writes are kept or undone as a unit. If ctx ends before the writer
// takes the request, Update returns ctx.Err() and fn never runs; once fn
// has run, Update waits for the commit so that what it returns is true.
// A panic in fn is recovered and returned as an error. After Close, Update
// returns ErrClosed.
func (s *Store) Update(ctx context.Context, fn func(tx core.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &request{ctx: ctx, fn: fn, done: make(chan error, 1)}

	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	select {
	case s.queue <- req:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}

	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		if req.state.CompareAndSwap(stateQueued, stateAbandoned) {
			return ctx.Err()
		}
		// The writer has it: its answer is coming, and is the truth.
		return <-req.done
	}
}

// writer is the goroutine that owns the write connection. It ends when
// Close has closed the queue and every queued request has been answered.
// Between batches it checkpoints the WAL when a batch that erased text
// asked for it (see erase.go).
func (s *Store) writer() {
	defer close(s.writerDone)
	var erase eraseTimer
	defer erase.stop()
	batch := make([]*request, 0, maxBatch)
	for {
		var req *request
		select {
		case r, ok := <-s.queue:
			if !ok {
				return
			}
			req = r
		case <-erase.C:
			erase.erase(s, "main", s.wconn.truncateWAL)
			continue
		}
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
		if s.runBatch(batch) {
			erase.arm(eraseDelay)
		}
		clear(batch) // let the requests be collected
	}
}

// runBatch runs one batch of requests in one transaction and answers each.
// It reports whether a committed request erased text.
func (s *Store) runBatch(batch []*request) (erased bool) {
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
		return false
	}

	if err := s.wconn.begin(s.log); err != nil {
		err = fmt.Errorf("sqlite: begin: %w", err)
		for _, r := range live {
			r.done <- err
		}
		return false
	}
	// abort ends the transaction without committing and answers everyone:
	// requests whose fn failed get their own error, the others err.
	abort := func(err error) {
		if rbErr := s.wconn.exec(`ROLLBACK`); rbErr != nil {
			s.log.Warn("sqlite: rollback after failed batch", "err", rbErr)
		}
		for _, r := range live {
			if r.err == nil {
				r.err = err
			}
			r.done <- r.err
		}
	}
	for _, r := range live {
		if err := s.wconn.exec(`SAVEPOINT u`); err != nil {
			abort(fmt.Errorf("sqlite: savepoint: %w", err))
			return false
		}
		r.err = s.call(r)
		if r.err != nil {
			// If SQLite already rolled back the whole transaction (it does
			// on some I/O errors), ROLLBACK TO fails: give up on the batch.
			if err := s.wconn.exec(`ROLLBACK TO u`); err != nil {
				abort(fmt.Errorf("sqlite: transaction lost after a failed update: %w", err))
				return false
			}
		}
		if err := s.wconn.exec(`RELEASE u`); err != nil {
			abort(fmt.Errorf("sqlite: release savepoint: %w", err))
			return false
		}
	}
	if err := s.wconn.exec(`COMMIT`); err != nil {
		abort(fmt.Errorf("sqlite: commit: %w", err))
		return false
	}
	s.commits.Add(1)
	kicked, reached := false, false
	for _, r := range live {
		if r.err == nil && r.reach && !reached {
			s.reach.Add(1)
			reached = true
		}
		if r.err == nil && r.events && !kicked {
			s.idx.kick()
			kicked = true
		}
		erased = erased || r.err == nil && r.erased
	}

	// Callbacks run here, in commit order, before each caller is answered:
	// events are published in the order they were committed, and when
	// Update returns, its callbacks have run.
	for _, r := range live {
		if r.err == nil {
			for _, f := range r.after {
				s.afterCommit(f)
			}
		}
		r.done <- r.err
	}
	return erased
}

// call runs r.fn on a Tx bound to the write connection, turning a panic
// into an error.
func (s *Store) call(r *request) (err error) {
	mark := &reachMark{s: s}
	tx := &txn{Tx: sqlstore.NewTx(writerConn{&s.wconn, mark}, dialect{})}
	tx.fts = fts{db: tx.Tx.Queries.DB}
	defer func() {
		tx.Finish()
		if p := recover(); p != nil {
			s.log.Error("sqlite: panic in Update", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("sqlite: panic in Update: %v", p)
		}
		if err == nil {
			r.after, r.events, r.erased, r.reach = tx.After, tx.AppendedEvents, tx.Erased, mark.hit
		}
	}()
	return r.fn(tx)
}

// afterCommit runs one AfterCommit callback; a panic in it is logged and
// does not stop the writer.
func (s *Store) afterCommit(f func()) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("sqlite: panic in AfterCommit callback", "panic", p, "stack", string(debug.Stack()))
		}
	}()
	f()
}

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
