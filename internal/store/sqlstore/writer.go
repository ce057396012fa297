package sqlstore

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// ErrClosed is returned by Update once the store has been closed.
var ErrClosed = &haven.Error{Code: haven.CodeUnavailable, Message: "store is closed"}

// Group commit. One goroutine per store writes: Update queues a request;
// the writer takes the first request and whatever else is already
// waiting (up to MaxBatch), and runs them all in one transaction, each
// inside its own savepoint, so that one fn's failure (a failed statement
// included, which on PostgreSQL would otherwise end the transaction)
// undoes only that fn's writes. One COMMIT then makes the whole batch
// durable. While it commits, the next batch gathers in the queue: the
// busier the store, the bigger the batches. How a batch's transaction
// begins, takes its lock and commits is the database's (Committer).
// Where other writers share the database (PostgreSQL's nodes), an Update
// undone by a conflict with them runs again in a later batch (Retry).
const (
	MaxBatch  = 256
	queueSize = 4 * MaxBatch
)

// Batch is the transaction of one batch of Updates.
type Batch interface {
	// Exec runs a statement of the batch's own (a savepoint's).
	Exec(query string) error
	// Commit commits. When it fails, the transaction is over: the
	// backend rolls back whatever it must.
	Commit() error
	// Rollback ends the transaction without committing.
	Rollback() error
}

// Committer is what a database supplies to its Writer. B is its batch
// transaction; M is what one fn leaves for after the commit, besides its
// AfterCommit callbacks. The writer goroutine alone calls its methods.
type Committer[B Batch, M any] interface {
	// Begin starts a batch's transaction, with whatever lock its writes
	// take. alone asks for a transaction that no other writer of the
	// database runs beside: the batch holds Updates that Retry has sent
	// back more than once. Its error is returned to the callers as it is.
	Begin(alone bool) (B, error)
	// Run runs fn on a Tx bound to b, and returns fn's AfterCommit
	// callbacks and marks. A panic in fn may pass through it.
	Run(b B, fn func(core.Tx) error) (after []func(), mark M, err error)
	// Retry reports whether err, from Run or Commit, says the work was
	// undone by a conflict with another writer of the database (a
	// serialization failure, a deadlock) and is to run again. A database
	// with one writer never says so.
	Retry(err error) bool
	// Committed is given the marks of a committed batch's Updates that
	// succeeded, in order, before their callbacks run.
	Committed(marks []M)
	// Due, when it fires between batches, has the writer call Tend. A
	// nil channel never fires.
	Due() <-chan time.Time
	Tend()
}

// A request's state moves from queued to exactly one of taken (by the
// writer) or abandoned (by its caller, whose context ended first).
const (
	stateQueued int32 = iota
	stateTaken
	stateAbandoned
)

// request is one Update waiting for the writer.
type request[M any] struct {
	ctx   context.Context
	fn    func(core.Tx) error
	state atomic.Int32
	done  chan error // buffered: the writer never waits for the caller

	// Set by the writer while it runs fn.
	err   error
	after []func()
	mark  M
	tries int  // the times fn ran and was undone by a conflict (Retry)
	again bool // fn's work in this batch was undone by a conflict
}

// Writer runs a store's Updates, grouped into batches, on one goroutine.
type Writer[B Batch, M any] struct {
	name     string // the database's, for messages
	log      *slog.Logger
	c        Committer[B, M]
	maxBatch int // the most Updates in one transaction

	// mu guards closed; Update holds it shared while it enqueues so that
	// Close, which takes it exclusively, knows no one is about to send on
	// queue when it closes it.
	mu     sync.RWMutex
	closed bool
	queue  chan *request[M]
	done   chan struct{}

	// commits counts the transactions committed; tests use it to see
	// that Updates are batched.
	commits atomic.Int64
	// retries counts the Updates sent back by a conflict (Retry).
	retries atomic.Int64
}

// StartWriter starts the writer goroutine of a store on database name,
// with batches of up to MaxBatch Updates.
func StartWriter[B Batch, M any](name string, log *slog.Logger, c Committer[B, M]) *Writer[B, M] {
	return StartWriterBatch(name, log, c, MaxBatch)
}

// StartWriterBatch is StartWriter with batches of up to maxBatch Updates
// (1 to MaxBatch; 1 runs each Update in a transaction of its own).
func StartWriterBatch[B Batch, M any](name string, log *slog.Logger, c Committer[B, M], maxBatch int) *Writer[B, M] {
	w := &Writer[B, M]{
		name:     name,
		log:      log,
		c:        c,
		maxBatch: min(max(maxBatch, 1), MaxBatch),
		queue:    make(chan *request[M], queueSize),
		done:     make(chan struct{}),
	}
	go w.run()
	return w
}

// Update runs fn in a read-write transaction and commits it before
// returning. fn may share the transaction with other Updates; its own
// writes are kept or undone as a unit. If ctx ends before the writer
// takes the request, Update returns ctx.Err() and fn never runs; once fn
// has run, Update waits for the commit so that what it returns is true.
// A panic in fn is recovered and returned as an error. After Close,
// Update returns ErrClosed.
func (w *Writer[B, M]) Update(ctx context.Context, fn func(tx core.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &request[M]{ctx: ctx, fn: fn, done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return ErrClosed
	}
	select {
	case w.queue <- req:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
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

// Close stops accepting Updates and waits until every queued one has
// been answered and the writer goroutine has ended. It is safe to call
// more than once.
func (w *Writer[B, M]) Close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	<-w.done
}

// Commits reports how many transactions the writer has committed.
func (w *Writer[B, M]) Commits() int64 { return w.commits.Load() }

// Retries reports how many times a conflict with another writer sent an
// Update back to run again.
func (w *Writer[B, M]) Retries() int64 { return w.retries.Load() }

// Queued reports how many Updates wait in the queue.
func (w *Writer[B, M]) Queued() int { return len(w.queue) }

// run is the writer goroutine. It ends when Close has closed the queue
// and every queued request has been answered.
func (w *Writer[B, M]) run() {
	defer close(w.done)
	batch := make([]*request[M], 0, MaxBatch)
	var carry []*request[M] // sent back by a conflict: they go first
	for {
		batch = append(batch[:0], carry...)
		carry = carry[:0]
		if len(batch) == 0 {
			select {
			case r, ok := <-w.queue:
				if !ok {
					return
				}
				batch = append(batch, r)
			case <-w.c.Due():
				w.c.Tend()
				continue
			}
		}
	gather:
		for len(batch) < w.maxBatch {
			select {
			case r, ok := <-w.queue:
				if !ok {
					break gather
				}
				batch = append(batch, r)
			default:
				break gather
			}
		}
		carry = append(carry, w.runBatch(batch)...)
		clear(batch) // let the requests be collected
	}
}

// maxTries bounds how often a conflict may send one Update back. From
// the third try on, its batch runs alone (Committer.Begin), where no
// conflict can arise; the bound only guards against a database that
// reports conflicts anyway.
const maxTries = 8

// runBatch runs one batch of requests in one transaction and answers
// each, but for those whose work a conflict with another writer undid
// (Committer.Retry): it returns them, to run again in the next batch.
func (w *Writer[B, M]) runBatch(batch []*request[M]) (again []*request[M]) {
	live := batch[:0]
	alone := false
	for _, r := range batch {
		if r.tries == 0 && !r.state.CompareAndSwap(stateQueued, stateTaken) {
			continue // abandoned; its caller has gone
		}
		if err := r.ctx.Err(); err != nil {
			r.done <- err // nothing of its fn was committed
			continue
		}
		r.err, r.after, r.again = nil, nil, false
		alone = alone || r.tries >= 2
		live = append(live, r)
	}
	if len(live) == 0 {
		return nil
	}
	// fail answers everyone: requests whose fn failed get their own
	// error, the others err.
	fail := func(err error) {
		for _, r := range live {
			if r.err == nil || r.again {
				r.err = err
			}
			r.done <- r.err
		}
	}
	// retry sends back the requests marked again, or answers them with
	// their error once they have had their tries.
	retry := func(rs []*request[M]) []*request[M] {
		var out []*request[M]
		for _, r := range rs {
			if !r.again {
				continue
			}
			w.retries.Add(1)
			if r.tries++; r.tries >= maxTries {
				r.done <- fmt.Errorf("%s: gave up after %d conflicts with other writers: %w", w.name, r.tries, r.err)
				continue
			}
			out = append(out, r)
		}
		return out
	}
	tx, err := w.c.Begin(alone)
	if err != nil {
		fail(err)
		return nil
	}
	// abort ends the transaction without committing and answers everyone.
	abort := func(err error) {
		if rbErr := tx.Rollback(); rbErr != nil {
			w.log.Warn(w.name+": rollback after failed batch", "err", rbErr)
		}
		fail(err)
	}
	for _, r := range live {
		if err := tx.Exec(`SAVEPOINT u`); err != nil {
			abort(fmt.Errorf("%s: savepoint: %w", w.name, err))
			return nil
		}
		r.err = w.call(tx, r)
		if r.err != nil {
			r.again = w.c.Retry(r.err)
			// If the database already ended the whole transaction (SQLite
			// does on some I/O errors), ROLLBACK TO fails: give up on the
			// batch.
			if err := tx.Exec(`ROLLBACK TO SAVEPOINT u`); err != nil {
				abort(fmt.Errorf("%s: transaction lost after a failed update: %w", w.name, err))
				return nil
			}
		}
		if err := tx.Exec(`RELEASE SAVEPOINT u`); err != nil {
			abort(fmt.Errorf("%s: release savepoint: %w", w.name, err))
			return nil
		}
	}
	if err := tx.Commit(); err != nil {
		if w.c.Retry(err) {
			// Nothing was committed and no one answered: the whole batch
			// runs again, those that failed on their own included (their
			// failure may have come from what the conflict undid).
			for _, r := range live {
				r.again, r.err = true, err
			}
			return retry(live)
		}
		// Whether a COMMIT that failed on the way back committed is not
		// known; the callers get the error, and their retries (random_id)
		// find out.
		fail(fmt.Errorf("%s: commit: %w", w.name, err))
		return nil
	}
	w.commits.Add(1)
	var marks []M
	for _, r := range live {
		if r.err == nil {
			marks = append(marks, r.mark)
		}
	}
	w.c.Committed(marks)
	// Callbacks run here, in commit order, before each caller is answered:
	// events are published in the order they were committed, and when
	// Update returns, its callbacks have run.
	for _, r := range live {
		if r.again {
			continue
		}
		if r.err == nil {
			for _, f := range r.after {
				w.afterCommit(f)
			}
		}
		r.done <- r.err
	}
	return retry(live)
}

// call runs r.fn in the batch's transaction, turning a panic into an
// error.
func (w *Writer[B, M]) call(tx B, r *request[M]) (err error) {
	defer func() {
		if p := recover(); p != nil {
			w.log.Error(w.name+": panic in Update", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("%s: panic in Update: %v", w.name, p)
		}
	}()
	after, mark, err := w.c.Run(tx, r.fn)
	if err == nil {
		r.after, r.mark = after, mark
	}
	return err
}

// afterCommit runs one AfterCommit callback; a panic in it is logged and
// does not stop the writer.
func (w *Writer[B, M]) afterCommit(f func()) {
	defer func() {
		if p := recover(); p != nil {
			w.log.Error(w.name+": panic in AfterCommit callback", "panic", p, "stack", string(debug.Stack()))
		}
	}()
	f()
}
