// Package sqlstore is the part of core.Store that every SQL database
// shares: the queries, the mapping of rows to domain values, the writes
// of a transaction, and the writer that group-commits Updates
// (writer.go). It is written once; each database's package
// (internal/store/sqlite, internal/store/postgres) supplies only what
// differs: the connections and transactions, the schema and its
// migrations, full-text search, and a Dialect.
//
// The statements here are written in one SQL that both databases run: ?
// placeholders (?N where a value is used twice), unix milliseconds for
// times, 0/1 integers for flags, INSERT ... RETURNING for new ids,
// ON CONFLICT for upserts, IS DISTINCT FROM, an alias on every subquery
// in FROM, and a CAST on each value whose type PostgreSQL cannot infer (a
// parameter in a SELECT list or added to another, a value read from
// json_each). A backend rewrites, once per distinct
// statement when it prepares it, the few forms its database spells
// otherwise: PostgreSQL numbers its placeholders ($1, $2), reads a list
// from JSON with its own functions, and knows no CROSS JOIN ... ON (see
// internal/store/postgres's rewriter).
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"

	"github.com/havenchat/haven"
)

// DB is where reads run: a backend's read pool, or the connection of a
// transaction, whose reads see its own writes. The statements given are
// in this package's SQL; the backend rewrites them for its database.
type DB interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Scanner
}

// Conn is a transaction's connection: reads and writes.
type Conn interface {
	DB
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Dialect is what the shared code must ask of the database underneath.
type Dialect interface {
	// UniqueViolation reports whether err is the failure of a UNIQUE
	// constraint (or unique index) on table.column: the first column of
	// the constraint, for one on several.
	UniqueViolation(err error, table, column string) bool
	// BlobKeyColumns is a query that lists, as (table, column) rows, every
	// column named blob_key or ending in _blob_key in the schema.
	BlobKeyColumns() string
}

// Scanner is a *sql.Row or *sql.Rows.
type Scanner interface {
	Scan(dest ...any) error
}

// scanner is the name the row mappers use.
type scanner = Scanner

// ErrScanner reports, from Scan, an error met before the query ran.
type ErrScanner struct{ Err error }

// Scan returns the error.
func (e ErrScanner) Scan(...any) error { return e.Err }

// Queries implements core.Queries, but for full-text search, which each
// database does its own way, on a DB.
type Queries struct {
	DB DB
	D  Dialect
}

// ErrTxDone is returned by a Tx used after its Update function returned.
var ErrTxDone = errors.New("store: Tx used after its Update function returned")

// Tx implements core.Tx, but for full-text search, on the connection of a
// transaction. A backend makes one for each run of an Update's function,
// and reads back what the function asked for (AfterCommit callbacks) and
// did (AppendedEvents, Erased) once it returns.
type Tx struct {
	Queries
	c Conn

	// After holds the AfterCommit callbacks, in order.
	After []func()
	// AppendedEvents is set when the function appended chat events: derived data
	// (the search index) has work.
	AppendedEvents bool
	// Erased is set when text was deleted or overwritten: a backend that
	// keeps old pages (SQLite's WAL) has some to wipe.
	Erased   bool
	finished bool
}

// NewTx returns a Tx on c, a connection inside a transaction.
func NewTx(c Conn, d Dialect) *Tx {
	t := &Tx{c: c}
	t.Queries = Queries{DB: txDB{t}, D: d}
	return t
}

// txDB is a Tx's reads, checked like its writes.
type txDB struct{ t *Tx }

func (d txDB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.t.query(ctx, query, args...)
}

func (d txDB) QueryRow(ctx context.Context, query string, args ...any) Scanner {
	return d.t.queryRow(ctx, query, args...)
}

// Finish marks the Tx used up: every later statement fails with ErrTxDone.
func (t *Tx) Finish() { t.finished = true }

// check reports why a statement may not run: the Tx is finished or the
// caller's context has ended.
func (t *Tx) check(ctx context.Context) error {
	if t.finished {
		return ErrTxDone
	}
	return ctx.Err()
}

func (t *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.c.Query(ctx, query, args...)
}

func (t *Tx) queryRow(ctx context.Context, query string, args ...any) Scanner {
	if err := t.check(ctx); err != nil {
		return ErrScanner{err}
	}
	return t.c.QueryRow(ctx, query, args...)
}

func (t *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.c.Exec(ctx, query, args...)
}

// Exec runs one statement in the transaction: for a backend's own
// writes and for tests that fill a database in bulk.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.exec(ctx, query, args...)
}

// QueryRow runs a query that returns one row in the transaction.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) Scanner {
	return t.queryRow(ctx, query, args...)
}

// insertID runs an INSERT ... RETURNING id and returns the id.
func (t *Tx) insertID(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	if err := t.queryRow(ctx, query, args...).Scan(&id); err != nil {
		return 0, err
	}
	return id, nil
}

// execOne runs a statement that must touch a row, else haven.ErrNotFound.
func (t *Tx) execOne(ctx context.Context, query string, args ...any) error {
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return haven.ErrNotFound
	}
	return nil
}

// AfterCommit registers f to run once the transaction has committed
// durably, and never if it does not. Callbacks run in commit order,
// before Update returns, on the backend's writer; they must be quick (a
// node queues its events for the bus there and returns).
func (t *Tx) AfterCommit(f func()) {
	t.After = append(t.After, f)
}

// scanAll reads every row of rows with scan, then closes rows.
func scanAll[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryAll runs a query on db and reads every row it returns with scan.
func queryAll[T any](ctx context.Context, db DB, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scan)
}

// QueryAll runs a query on db and reads every row it returns with scan.
func QueryAll[T any](ctx context.Context, db DB, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
	return queryAll(ctx, db, scan, query, args...)
}

// Logger is log, or one that discards when log is nil (a store's Open
// takes nil for no log).
func Logger(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
