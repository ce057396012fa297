// Package sqlite is the embedded Store: one SQLite database file in WAL
// mode, written durably (synchronous=FULL) by a single writer goroutine
// that group-commits concurrent Updates, and read through a pool of
// connections that WAL lets run beside the writer.
//
// The queries and writes that any SQL database shares live in
// internal/store/sqlstore; this package supplies what only SQLite does:
// the connections and the group-commit writer, the schema (migrations/*.sql,
// embedded in the binary and applied in order when the store is opened),
// the search index (FTS5), and the dialect (its errors, its catalogue).
//
// Message search is derived data: a background indexer (indexer.go)
// follows the events log and fills an FTS5 table after the sends are
// acknowledged, never inside their transaction. That table lives in a
// database file of its own beside the main one (searchPath), written by
// the indexer's own connection, so that indexing costs the single writer
// nothing; every read connection ATTACHes it as schema "fts", so that a
// search joins the index with the messages and memberships in one query.
//
// Deleted text is erased from both files, not only unlinked: see
// erase.go.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlstore"

	msqlite "modernc.org/sqlite" // also registers the "sqlite" driver
)

var _ core.Store = (*Store)(nil)

// ErrClosed is returned by Update once Close has been called.
var ErrClosed = sqlstore.ErrClosed

// busyTimeoutMS is how long a connection waits for a lock held by another
// connection (a checkpoint, another process) before failing.
const busyTimeoutMS = 5000

// Store is the SQLite implementation of core.Store. Its Queries methods read
// through the read pool; Update goes through the writer. It is safe for
// concurrent use.
type Store struct {
	sqlstore.Queries // reads, on the read pool
	fts              // full-text search, on the read pool

	log   *slog.Logger
	path  string
	read  *sql.DB // the pool of read-only connections, the search index attached
	write *sql.DB // holds exactly one connection: wconn's
	// wconn is the writer's connection, with its prepared statements; only
	// the writer goroutine (and Open, before it starts) touches it.
	wconn connStmts

	// The search index's database (searchPath): one connection, the
	// indexer's, which alone writes it.
	spath  string
	search *sql.DB
	sconn  connStmts

	// w runs the Updates on wconn (writer.go); erase is its checkpoint
	// timer, which only its goroutine touches.
	w         *writer
	erase     eraseTimer
	closeOnce sync.Once
	closeErr  error

	// reach is ReachVersion; reachOf remembers what touchesReach said of
	// each statement the writer prepared (writer goroutine only).
	reach   atomic.Uint64
	reachOf map[string]bool
	sole    bool // see SoleWriter

	// idx keeps the search index in step with the events log.
	idx *indexer
}

// Open opens (creating it if need be) the database at path, brings its
// schema up to date and starts the writer. A database whose schema is
// newer than this binary knows is refused. log may be nil.
func Open(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	s, err := newStore(path, log)
	if err != nil {
		return nil, err
	}
	s.sole = true
	if err := s.open(ctx, true); err != nil {
		s.closeDBs()
		return nil, err
	}
	s.setReaders()
	// The indexer is set before the writer starts, which kicks it.
	if err := s.startIndexer(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	s.startWriter()
	return s, nil
}

// OpenExisting opens the database at path beside a server that may be
// running on it, for the operator's commands (haven admin). The file
// must exist, and its schema must be exactly this binary's: it is never
// migrated here, as the server on it may be of another version (the
// server migrates at its start). No indexer runs: the server's keeps the
// search index. Writes go through a writer of their own, and wait for
// the server's transactions (the busy timeout) rather than fail.
func OpenExisting(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	s, err := newStore(path, log)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(s.path); err != nil {
		return nil, fmt.Errorf("sqlite: no database: %w", err)
	}
	if err := s.open(ctx, false); err != nil {
		s.closeDBs()
		return nil, err
	}
	s.setReaders()
	s.startWriter()
	return s, nil
}

// newStore is the Store of the database at path, opened by neither Open
// nor OpenExisting yet.
func newStore(path string, log *slog.Logger) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return &Store{
		log:     sqlstore.Logger(log),
		path:    abs,
		spath:   searchPath(abs),
		reachOf: map[string]bool{},
	}, nil
}

// startWriter starts the goroutine that runs the Updates.
func (s *Store) startWriter() {
	s.w = sqlstore.StartWriter("sqlite", s.log, committer{s: s, erase: &s.erase})
}

// setReaders points the reads at the read pool.
func (s *Store) setReaders() {
	rdb := &readDB{db: s.read}
	s.Queries = sqlstore.Queries{DB: rdb, D: dialect{}}
	s.fts = fts{db: rdb}
}

// open opens the writer's connection and the read pool. With migrate,
// it brings both schemas up to date; without, it checks that the main
// one is this binary's and leaves the search index as it is.
func (s *Store) open(ctx context.Context, migrate bool) error {
	var err error
	// The writer: one connection, which also creates the file, switches it
	// to WAL (a persistent setting) and runs the migrations before any
	// reader connects.
	s.write, s.wconn.conn, err = openConn(ctx, s.path,
		"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "secure_delete(1)", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	if err != nil {
		return err
	}
	if !migrate {
		if err := mainSchema.Check(ctx, s.wconn.conn); err != nil {
			return fmt.Errorf("sqlite: %s: %w", s.path, err)
		}
		return s.openReaders(ctx)
	}
	if err := mainSchema.Migrate(ctx, s.wconn.conn, s.log); err != nil {
		return fmt.Errorf("sqlite: %s: %w", s.path, err)
	}
	if err := s.cutWAL(&s.wconn, s.path); err != nil {
		return err
	}

	// The search index, which the readers attach: it must exist, with its
	// schema, before the first of them connects.
	if err := s.openSearch(ctx); err != nil {
		return err
	}
	return s.openReaders(ctx)
}

// openReaders opens the read pool, which attaches the search index.
func (s *Store) openReaders(ctx context.Context) error {
	// The readers. query_only makes a stray write through the pool fail
	// instead of racing a writer for the lock; it covers the attached
	// search index too.
	base, err := msqlite.NewConnector(dsn(s.path,
		"synchronous(FULL)", "foreign_keys(1)", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS), "query_only(1)"))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	s.read = sql.OpenDB(attachSearch{Connector: base, path: s.spath})
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

// searchPath is where the search index of the database at path lives:
// beside it, under a name that starts with the main file's, as its -wal
// and -shm do, so that whatever is done to "haven.db*" (permissions,
// backups, clean-ups) reaches the index too.
func searchPath(path string) string { return path + "-search.db" }

// openSearch opens (creating it if need be) the search index's database
// and brings its schema up to date. Its one connection is the indexer's.
//
// synchronous=NORMAL: in WAL mode a commit then skips the fsync, and a
// power cut may lose the last transactions, never corrupt the file. That
// is acceptable here, unlike in the main database, because the index is
// derived data: it records, in the same transactions, the gid of the log
// it has applied, so whatever a crash loses of it is applied again from
// the events log when the store next opens (and a lost or foreign file is
// rebuilt from the log; see startIndexer).
func (s *Store) openSearch(ctx context.Context) error {
	var err error
	s.search, s.sconn.conn, err = openConn(ctx, s.spath,
		"journal_mode(WAL)", "synchronous(NORMAL)", "secure_delete(1)", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	if err != nil {
		return err
	}
	if err := searchSchema.Migrate(ctx, s.sconn.conn, s.log); err != nil {
		return fmt.Errorf("sqlite: %s: %w (it holds only the search index: delete it to have it rebuilt)", s.spath, err)
	}
	if err := s.sconn.exec(ftsSecureDelete); err != nil {
		return fmt.Errorf("sqlite: %s: turn on secure-delete: %w", s.spath, err)
	}
	return s.cutWAL(&s.sconn, s.spath)
}

// cutWAL checkpoints the WAL of a database just opened (before any
// reader) and truncates it: a process that stopped between a deletion
// and the checkpoint that follows it (erase.go) left the deleted text's
// old pages there.
func (s *Store) cutWAL(c *connStmts, path string) error {
	done, err := c.truncateWAL()
	if err != nil {
		return fmt.Errorf("sqlite: %s: checkpoint: %w", path, err)
	}
	if !done {
		// Another process has the database open; the next deletion's
		// checkpoint will cut it.
		s.log.Warn("sqlite: could not truncate the write-ahead log at open: the database is in use", "db", path)
	}
	return nil
}

// ftsSecureDelete turns on FTS5's secure-delete option of the search
// table (see erase.go). The option is stored in the table's own config;
// setting it on each open keeps it on whatever made the table (a
// migration, the indexer's reset).
const ftsSecureDelete = `INSERT INTO search (search, rank) VALUES ('secure-delete', 1)`

// searchSchemaName is the schema the read connections attach the search
// index as: its table is fts.search.
const searchSchemaName = "fts"

// attachSearch opens the read pool's connections, each with the search
// index attached. It returns the driver's own connection, not a wrapper,
// so that none of the driver's optional interfaces is hidden.
type attachSearch struct {
	driver.Connector
	path string
}

func (a attachSearch) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := a.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("sqlite: the driver's connection cannot attach the search index")
	}
	// A plain file name, not a URI (it does not start with "file:"), so
	// that no character in the path needs escaping.
	_, err = ex.ExecContext(ctx, `ATTACH DATABASE ? AS `+searchSchemaName,
		[]driver.NamedValue{{Ordinal: 1, Value: a.path}})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("sqlite: attach the search index %s: %w", a.path, err)
	}
	return conn, nil
}

// dsn builds the data source name for path: a file: URI (so that any
// character in the path is escaped) carrying one _pragma parameter per
// pragma, which the driver runs on every new connection of the pool.
func dsn(path string, pragmas ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	// A relative path would read as the URL's host ("file://haven-data/…").
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String()
}

// Close stops accepting Updates, waits for the queued ones to finish and
// closes both databases. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		// The indexer first: it may be in a transaction of the index.
		if s.idx != nil {
			s.idx.stop()
		}
		s.w.Close()
		s.erase.stop()
		s.closeErr = s.closeDBs()
	})
	return s.closeErr
}

func (s *Store) closeDBs() error {
	var errs []error
	if s.Queries.DB != nil {
		errs = append(errs, s.Queries.DB.(*readDB).close())
	}
	// The readers before the writers, so that each database's last
	// connection to close, which checkpoints its WAL into it, is its
	// writer.
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	errs = append(errs, s.wconn.close())
	if s.write != nil {
		errs = append(errs, s.write.Close())
	}
	errs = append(errs, s.sconn.close())
	if s.search != nil {
		errs = append(errs, s.search.Close())
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

func (r *readDB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := r.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (r *readDB) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Scanner {
	st, err := r.stmt(ctx, query)
	if err != nil {
		return sqlstore.ErrScanner{Err: err}
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

// connStmts is one connection, the only one of its database handle, with
// its prepared statements, for the one goroutine that uses it: the
// writer's (Store.writer) and the search index's (the indexer's).
type connStmts struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

// stmt returns the connection's prepared statement for query.
func (c *connStmts) stmt(query string) (*sql.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	// A background context: cancelling a statement interrupts it, and an
	// interrupted write makes SQLite roll back the whole transaction, which
	// on the writer is a whole batch of other people's Updates.
	st, err := c.conn.PrepareContext(context.Background(), query)
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = make(map[string]*sql.Stmt)
	}
	c.stmts[query] = st
	return st, nil
}

// exec runs a statement on the connection outside any Tx (transaction
// control, the indexer's writes), prepared once like the rest.
func (c *connStmts) exec(query string, args ...any) error {
	st, err := c.stmt(query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(context.Background(), args...)
	return err
}

// begin starts an IMMEDIATE transaction. Should an earlier failure have
// left one open on the connection (a ROLLBACK that failed too), it is
// rolled back and BEGIN tried once more, rather than failing every
// transaction from then on.
func (c *connStmts) begin(log *slog.Logger) error {
	err := c.exec(`BEGIN IMMEDIATE`)
	if err == nil {
		return nil
	}
	if rbErr := c.exec(`ROLLBACK`); rbErr != nil {
		return err
	}
	log.Warn("sqlite: rolled back a transaction left open", "err", err)
	return c.exec(`BEGIN IMMEDIATE`)
}

// close closes the prepared statements and then the connection.
func (c *connStmts) close() error {
	var errs []error
	for _, st := range c.stmts {
		errs = append(errs, st.Close())
	}
	if c.conn != nil {
		errs = append(errs, c.conn.Close())
	}
	return errors.Join(errs...)
}

// openConn opens the database at path with one connection, which it
// returns; the handle holds no other. Whoever gets them closes the
// connection, then the handle.
func openConn(ctx context.Context, path string, pragmas ...string) (*sql.DB, *sql.Conn, error) {
	db, err := sql.Open("sqlite", dsn(path, pragmas...))
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, conn, nil
}
