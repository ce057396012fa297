package postgres

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"
)

// A statement's error reaches fn in many ways: from Exec, from Scan,
// from rows.Next or rows.Err halfway through a result (a serialization
// failure may come at any row), and fn may turn it into an error of its
// own ("not found") or carry on. Whatever fn makes of it, a conflict with
// another writer undid its run, which must run again (writer.go, Run);
// and a failed statement has aborted the transaction up to fn's
// savepoint, so fn cannot have succeeded. So the errors are noted below
// fn, by pgx itself: every statement of a batch's transaction, however
// it ends, ends in tracer.TraceQueryEnd, which writes its error into the
// notes of the run it belongs to, found in the statement's context.

// runNotes are the statement errors of one run of an Update's fn.
type runNotes struct {
	// mu guards the errors: database/sql may close a result, and so end
	// its statement, on a goroutine of its own when the caller's context
	// ends.
	mu       sync.Mutex
	conflict error // the first conflict with another writer (writelock.go)
	failed   error // the first error of any kind
}

type notesKey struct{}

// on returns ctx carrying n, for a statement of n's run.
func (n *runNotes) on(ctx context.Context) context.Context {
	return context.WithValue(ctx, notesKey{}, n)
}

// note records a statement's error.
func (n *runNotes) note(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.failed == nil {
		n.failed = err
	}
	if n.conflict == nil && conflict(err) {
		n.conflict = err
	}
}

// errors returns what note recorded.
func (n *runNotes) errors() (conflict, failed error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.conflict, n.failed
}

// tracer is the pgx tracer of the store's connections.
type tracer struct{}

func (tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (tracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	if data.Err == nil {
		return
	}
	if n, ok := ctx.Value(notesKey{}).(*runNotes); ok {
		n.note(data.Err)
	}
}
