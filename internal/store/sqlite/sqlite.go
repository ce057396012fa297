// Package sqlite is the embedded Store: one SQLite database file in WAL
// mode, written durably (synchronous=FULL) by a single writer goroutine
// that group-commits concurrent Updates, and read through a pool of
// connections that WAL lets run beside the writer.
//
// The schema lives in migrations/*.sql, embedded in the binary and applied
// in order when the store is opened.
//
// Message search is derived data: a background indexer (indexer.go)
// follows the events log and fills an FTS5 table after the sends are
// acknowledged, never inside their transaction.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

var _ core.Store = (*Store)(nil)

// ErrClosed is returned by Update once Close has been called.
var ErrClosed = &haven.Error{Code: haven.CodeUnavailable, Message: "store is closed"}

// busyTimeoutMS is how long a connection waits for a lock held by another
// connection (a checkpoint, another process) before failing.
const busyTimeoutMS = 5000

// Store is the SQLite implementation of core.Store. Its Queries methods read
// through the read pool; Update goes through the writer. It is safe for
// concurrent use.
type Store struct {
	queries // reads, on the read pool

	log   *slog.Logger
	path  string
	read  *sql.DB // the pool of read-only connections
	write *sql.DB // holds exactly one connection: wconn
	wconn *sql.Conn

	// wstmts caches the writer's prepared statements; only the writer
	// goroutine (and Open, before it starts) touches it.
	wstmts map[string]*sql.Stmt

	// mu guards closed; Update holds it shared while it enqueues so that
	// Close, which takes it exclusively, knows no one is about to send on
	// queue when it closes it.
	mu         sync.RWMutex
	closed     bool
	queue      chan *request
	writerDone chan struct{}
	closeOnce  sync.Once
	closeErr   error

	// commits counts the physical transactions the writer committed; tests
	// use it to see that Updates are batched.
	commits atomic.Int64

	// idx keeps the search index in step with the events log.
	idx *indexer
}

// Open opens (creating it if need be) the database at path, brings its
// schema up to date and starts the writer. A database whose schema is
// newer than this binary knows is refused. log may be nil.
func Open(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	s := &Store{
		log:        log,
		path:       abs,
		wstmts:     make(map[string]*sql.Stmt),
		queue:      make(chan *request, queueSize),
		writerDone: make(chan struct{}),
	}
	if err := s.open(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	s.queries = queries{db: &readDB{db: s.read}}
	// The indexer is set before the writer starts, which kicks it.
	if err := s.startIndexer(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	go s.writer()
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	var err error
	// The writer: one connection, which also creates the file, switches it
	// to WAL (a persistent setting) and runs the migrations before any
	// reader connects.
	s.write, err = sql.Open("sqlite", dsn(s.path,
		"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS)))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	s.write.SetMaxOpenConns(1)
	s.write.SetMaxIdleConns(1)
	s.write.SetConnMaxLifetime(0)
	s.write.SetConnMaxIdleTime(0)
	if s.wconn, err = s.write.Conn(ctx); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	if err := migrate(ctx, s.wconn, s.log); err != nil {
		return fmt.Errorf("sqlite: %s: %w", s.path, err)
	}

	// The readers. query_only makes a stray write through the pool fail
	// instead of racing the writer for the lock.
	s.read, err = sql.Open("sqlite", dsn(s.path,
		"synchronous(FULL)", "foreign_keys(1)", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS), "query_only(1)"))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	s.read.SetMaxOpenConns(n)
	s.read.SetMaxIdleConns(n)
	s.read.SetConnMaxLifetime(0)
	s.read.SetConnMaxIdleTime(0)
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	return nil
}

// dsn builds the data source name for path: a file: URI (so that any
// character in the path is escaped) carrying one _pragma parameter per
// pragma, which the driver runs on every new connection of the pool.
func dsn(path string, pragmas ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String()
}

// Close stops accepting Updates, waits for the queued ones to finish and
// closes the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		// The indexer first: it may have an Update to finish.
		if s.idx != nil {
			s.idx.stop()
		}
		s.mu.Lock()
		s.closed = true
		close(s.queue)
		s.mu.Unlock()
		<-s.writerDone
		s.closeErr = s.closeDBs()
	})
	return s.closeErr
}

func (s *Store) closeDBs() error {
	var errs []error
	for _, st := range s.wstmts {
		errs = append(errs, st.Close())
	}
	if s.queries.db != nil {
		errs = append(errs, s.queries.db.(*readDB).close())
	}
	if s.wconn != nil {
		errs = append(errs, s.wconn.Close())
	}
	if s.write != nil {
		errs = append(errs, s.write.Close())
	}
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// readDB runs queries on the read pool, preparing each distinct query once
// (database/sql then prepares it again on each connection it lands on).
type readDB struct {
	db    *sql.DB
	stmts sync.Map // query string -> *sql.Stmt
	mu    sync.Mutex
}

func (r *readDB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := r.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := r.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	r.stmts.Store(query, st)
	return st, nil
}

func (r *readDB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := r.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (r *readDB) queryRow(ctx context.Context, query string, args ...any) scanner {
	st, err := r.stmt(ctx, query)
	if err != nil {
		return errScanner{err}
	}
	return st.QueryRowContext(ctx, args...)
}

func (r *readDB) close() error {
	var errs []error
	r.stmts.Range(func(_, v any) bool {
		errs = append(errs, v.(*sql.Stmt).Close())
		return true
	})
	return errors.Join(errs...)
}

// writeStmt returns the writer connection's prepared statement for query.
// Only the writer goroutine calls it.
func (s *Store) writeStmt(query string) (*sql.Stmt, error) {
	if st, ok := s.wstmts[query]; ok {
		return st, nil
	}
	// A background context: cancelling a statement interrupts it, and an
	// interrupted write makes SQLite roll back the whole transaction, which
	// here is a whole batch of other people's Updates.
	st, err := s.wconn.PrepareContext(context.Background(), query)
	if err != nil {
		return nil, err
	}
	s.wstmts[query] = st
	return st, nil
}

// wexec runs a statement on the writer connection outside any Tx: the
// transaction control of the writer loop, prepared once like the rest.
func (s *Store) wexec(query string) error {
	st, err := s.writeStmt(query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(context.Background())
	return err
}
