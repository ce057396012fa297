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
// Each Update is one transaction of its own, and Updates run one at a
// time across the cluster, under an advisory lock (writelock.go): fn sees
// the same world as on SQLite's single writer, and the events' gids follow
// commits. Reads run beside them, on the pool. There is no group commit
// here (yet): one commit at a time. Should PostgreSQL still abort a
// transaction for a conflict (a serialization failure, a deadlock), the
// whole fn runs again on a fresh one.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

var _ core.Store = (*Store)(nil)

// ErrClosed is returned by Update once Close has been called.
var ErrClosed = &haven.Error{Code: haven.CodeUnavailable, Message: "store is closed"}

// maxAttempts bounds the runs of one Update that PostgreSQL aborts for a
// conflict with another; the last one's error is returned.
const maxAttempts = 20

// Store is the PostgreSQL implementation of core.Store. It is safe for
// concurrent use.
type Store struct {
	sqlstore.Queries // reads, on the pool
	fts              // full-text search, on the pool

	log *slog.Logger
	db  *sql.DB
	sql *rewriter

	// mu guards closed; an Update holds it shared while it registers in
	// pending, so that Close knows no new one starts after it.
	mu      sync.RWMutex
	closed  bool
	pending sync.WaitGroup

	order orderer
	// writeMu lets one Update of this node at a time wait for writeLock,
	// so that the others wait here rather than each on a connection.
	writeMu sync.Mutex
}

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string), brings its schema up to date and returns the store.
// A database whose schema is newer than this binary knows is refused.
// log may be nil.
func Open(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
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
	s.order.run = s.afterCommit
	pool := poolDB{s}
	s.Queries = sqlstore.Queries{DB: pool, D: dialect{}}
	s.fts = fts{db: pool}
	return s, nil
}

// Close waits for the Updates under way and closes the pool. It is safe
// to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if already {
		return nil
	}
	s.pending.Wait()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("postgres: close: %w", err)
	}
	return nil
}

// Update runs fn in a transaction, under the write lock, and commits it before
// returning; with PostgreSQL's default synchronous_commit, a commit is on
// disk when it returns. fn may run more than once: when PostgreSQL aborts
// the transaction for a conflict with a concurrent one (a serialization
// failure, a deadlock), the whole fn runs again on a fresh transaction.
// If ctx has ended before fn runs, Update returns ctx.Err(). A panic in
// fn is recovered and returned as an error. After Close, Update returns
// ErrClosed.
func (s *Store) Update(ctx context.Context, fn func(tx core.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	s.pending.Add(1)
	s.mu.RUnlock()
	defer s.pending.Done()

	for attempt := 1; ; attempt++ {
		err := s.try(ctx, fn)
		if !retryable(err) || attempt == maxAttempts {
			return err
		}
		// Back off a little, more each time, at random so that the
		// transactions that collided do not collide again.
		wait := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 8)))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
	}
}

// try runs fn once in a transaction of its own, under writeLock.
func (s *Store) try(ctx context.Context, fn func(tx core.Tx) error) (err error) {
	// This node's Updates wait for the lock one at a time, here, before
	// they take a connection: one waiting on a connection each could take
	// the whole pool, which the AfterCommit callbacks of the Update ahead
	// of them may need to read.
	s.writeMu.Lock()
	locked := true
	unlock := func() {
		if locked {
			locked = false
			s.writeMu.Unlock()
		}
	}
	defer unlock()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close()
	// The transaction does not end with ctx: once fn has run, the commit
	// goes through, so that what Update returns is true. The statements
	// themselves run with ctx, and fail when it ends.
	stx, err := conn.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	var tk *ticket
	t := &txn{s: s}
	t.Tx = sqlstore.NewTx(txConn{s: s, tx: stx}, dialect{})
	t.fts = fts{db: t.Tx.Queries.DB}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("postgres: panic in Update", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("postgres: panic in Update: %v", p)
		}
		if err != nil {
			t.Finish()
			if rbErr := stx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
				s.log.Warn("postgres: rollback", "err", rbErr)
			}
			// However it failed, the tickets behind wait for this one.
			s.order.done(tk, nil)
		}
	}()
	if err := lockWrites(ctx, stx); err != nil {
		return err
	}
	// The lock orders the commits of the whole cluster: the ticket taken
	// now orders this node's callbacks the same way (see orderer).
	tk = s.order.take()
	if err := fn(t); err != nil {
		return err
	}
	t.Finish()
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	// The commit let the lock go: the next writer may go on while this
	// one's callbacks run (its own wait for these: its ticket is behind),
	// and the connection goes back to the pool, for the callbacks' reads.
	unlock()
	conn.Close()
	s.order.done(tk, t.After)
	<-tk.ran
	return nil
}

// retryable reports whether err is PostgreSQL aborting a transaction for
// a conflict with another, which running it again may not meet.
func retryable(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && (e.Code == "40001" || e.Code == "40P01")
}

// afterCommit runs one AfterCommit callback; a panic in it is logged.
func (s *Store) afterCommit(f func()) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("postgres: panic in AfterCommit callback", "panic", p, "stack", string(debug.Stack()))
		}
	}()
	f()
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
	s *Store
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

// txConn runs statements in a transaction.
type txConn struct {
	s  *Store
	tx *sql.Tx
}

func (c txConn) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.tx.QueryContext(ctx, c.s.sql.rewrite(query), bindArgs(args)...)
}

func (c txConn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Scanner {
	return c.tx.QueryRowContext(ctx, c.s.sql.rewrite(query), bindArgs(args)...)
}

func (c txConn) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.tx.ExecContext(ctx, c.s.sql.rewrite(query), bindArgs(args)...)
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
