// Package postgres is the Store on PostgreSQL, for a cluster of stateless
// Haven nodes that share one database. The queries and writes are the
// shared ones of internal/store/sqlstore; this package supplies the
// connections and transactions, the schema (migrations/*.sql, embedded and
// applied under an advisory lock, so that nodes starting together are
// safe), full-text search on PostgreSQL's own text search, and the
// dialect.
//
// It talks to PostgreSQL through pgx's database/sql adapter (pgx/v5/stdlib),
// which keeps one code path for both databases: sqlstore reads *sql.Rows.
// pgx caches each connection's prepared statements itself.
//
// Each node groups its concurrent Updates into one transaction
// (writer.go), as the SQLite store does; the nodes' transactions run
// beside each other, SERIALIZABLE, so that fn sees the world as on
// SQLite's single writer, and those that conflict run again
// (writelock.go). Catch-up reads gids up to a horizon
// (migrations/0007_gid_horizon.sql). Reads run on the pool.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

var _ core.Store = (*Store)(nil)

// ErrClosed is returned by Update once Close has been called.
var ErrClosed = sqlstore.ErrClosed

// Store is the PostgreSQL implementation of core.Store. It is safe for
// concurrent use.
type Store struct {
	sqlstore.Queries // reads, on the pool
	fts              // full-text search, on the pool

	log *slog.Logger
	db  *sql.DB
	sql *rewriter

	w         *writer // runs the Updates (writer.go)
	closeOnce sync.Once
	closeErr  error
}

// Options are the choices of a Store beyond its database.
type Options struct {
	// MaxBatch is the most Updates the node's writer groups into one
	// transaction (writer.go): 0 is sqlstore.MaxBatch; 1 runs each
	// Update in a transaction of its own, so that a transaction spans
	// two chats only when one Update writes two (a forward). On one
	// PostgreSQL server grouping is faster; a distributed one (Citus)
	// commits a transaction over several machines' shards with two-phase
	// commit (docs/operations.md).
	MaxBatch int
}

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string), brings its schema up to date and returns the store.
// A database whose schema is newer than this binary knows is refused.
// log may be nil.
func Open(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
	return OpenWith(ctx, url, log, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, url string, log *slog.Logger, opt Options) (*Store, error) {
	log = sqlstore.Logger(log)
	if opt.MaxBatch == 0 {
		opt.MaxBatch = sqlstore.MaxBatch
	}
	if opt.MaxBatch < 1 || opt.MaxBatch > sqlstore.MaxBatch {
		return nil, fmt.Errorf("postgres: a batch of %d updates: must be 1 to %d", opt.MaxBatch, sqlstore.MaxBatch)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	cfg.Tracer = tracer{}
	db := stdlib.OpenDB(*cfg)
	n := max(8, 4*runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect to %s@%s:%d/%s: %w", cfg.User, cfg.Host, cfg.Port, cfg.Database, err)
	}
	if err := migrate(ctx, db, log); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{log: log, db: db, sql: newRewriter()}
	pool := poolDB{s}
	s.Queries = sqlstore.Queries{DB: pool, D: dialect{}}
	s.fts = fts{db: pool}
	s.w = sqlstore.StartWriterBatch("postgres", log, committer{s}, opt.MaxBatch)
	return s, nil
}

// Close stops accepting Updates, waits for the queued ones to finish and
// closes the pool. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.w.Close()
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("postgres: close: %w", err)
		}
	})
	return s.closeErr
}

// Update runs fn in a read-write transaction and commits it before
// returning; with PostgreSQL's default synchronous_commit, a commit is on
// disk when it returns. fn may share the transaction with other Updates
// of this node (group commit, see writer.go): see sqlstore.Writer.Update.
func (s *Store) Update(ctx context.Context, fn func(tx core.Tx) error) error {
	return s.w.Update(ctx, fn)
}

// CheckWritable reports whether the database can be written now, which a
// node's /readyz must know: a standby, a database gone read-only, or an
// unreachable server fail it. It runs an Update that takes a transaction
// id, which a read-only database refuses.
func (s *Store) CheckWritable(ctx context.Context) error {
	return s.Update(ctx, func(tx core.Tx) error {
		var xid string
		if err := tx.(*txn).QueryRow(ctx, `SELECT pg_current_xact_id()::text`).Scan(&xid); err != nil {
			return fmt.Errorf("postgres: write probe: %w", err)
		}
		return nil
	})
}

// WaitSearchIndexed returns at once: the search index is a column of the
// messages, written with them.
func (s *Store) WaitSearchIndexed(ctx context.Context) error { return ctx.Err() }

// txn is the core.Tx handed to an Update's fn.
type txn struct {
	*sqlstore.Tx
	fts
}

var _ core.Tx = (*txn)(nil)

// poolDB runs reads on the pool.
type poolDB struct{ s *Store }

func (p poolDB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.s.db.QueryContext(ctx, p.s.sql.rewrite(query), bindArgs(args)...)
}

func (p poolDB) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Scanner {
	return p.s.db.QueryRowContext(ctx, p.s.sql.rewrite(query), bindArgs(args)...)
}

// txConn runs statements in a transaction, on behalf of one run of an
// Update's fn. Each statement carries the run's notes in its context,
// where the tracer (tracer.go) writes its error.
type txConn struct {
	s     *Store
	tx    *sql.Tx
	notes *runNotes
}

func (c txConn) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.tx.QueryContext(c.notes.on(ctx), c.s.sql.rewrite(query), bindArgs(args)...)
}

func (c txConn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Scanner {
	return c.tx.QueryRowContext(c.notes.on(ctx), c.s.sql.rewrite(query), bindArgs(args)...)
}

func (c txConn) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.tx.ExecContext(c.notes.on(ctx), c.s.sql.rewrite(query), bindArgs(args)...)
}

// bindArgs binds Go's bool as the 0 or 1 the schema's flag columns hold
// (see migrations/0001_init.sql).
func bindArgs(args []any) []any {
	var out []any // a copy, made at the first bool: the caller's slice stays as it was
	for i, a := range args {
		v, ok := a.(bool)
		if !ok {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = int64(0)
		if v {
			out[i] = int64(1)
		}
	}
	if out == nil {
		return args
	}
	return out
}

// LastGID returns the gid horizon (migrations/0007_gid_horizon.sql): an
// event committed after it was read has a larger gid, which is what
// sync.getDifference needs of a state's gid. It never goes down.
func (s *Store) LastGID(ctx context.Context) (int64, error) {
	var gid int64
	if err := s.db.QueryRowContext(ctx, `SELECT gid_horizon()`).Scan(&gid); err != nil {
		return 0, fmt.Errorf("postgres: gid horizon: %w", err)
	}
	return gid, nil
}

// LastGID is Store.LastGID, in the transaction.
func (t *txn) LastGID(ctx context.Context) (int64, error) {
	var gid int64
	if err := t.Tx.Queries.DB.QueryRow(ctx, `SELECT gid_horizon()`).Scan(&gid); err != nil {
		return 0, fmt.Errorf("postgres: gid horizon: %w", err)
	}
	return gid, nil
}

// ReachVersion is always 0: see SoleWriter.
func (s *Store) ReachVersion() uint64 { return 0 }

// SoleWriter is false: other nodes may write the same database, so
// nothing read from it may be kept in memory across requests.
func (s *Store) SoleWriter() bool { return false }
