package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlstore"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// txn is the core.Tx handed to an Update's fn: the shared writes, on the
// writer's connection inside the batch transaction and the fn's
// savepoint, and only ever on the writer goroutine.
type txn struct {
	*sqlstore.Tx
	fts
}

var _ core.Tx = (*txn)(nil)

// writerConn runs a Tx's statements on the writer's connection, each
// prepared once. They run without the caller's context (see
// connStmts.stmt); sqlstore.Tx checks it before each.
// It notes in r what the statements may do to reach (reach.go).
type writerConn struct {
	c *connStmts
	r *reachMark
}

func (w writerConn) Query(_ context.Context, query string, args ...any) (*sql.Rows, error) {
	w.r.mark(query)
	st, err := w.c.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(context.Background(), args...)
}

func (w writerConn) QueryRow(_ context.Context, query string, args ...any) sqlstore.Scanner {
	w.r.mark(query)
	st, err := w.c.stmt(query)
	if err != nil {
		return sqlstore.ErrScanner{Err: err}
	}
	return st.QueryRowContext(context.Background(), args...)
}

func (w writerConn) Exec(_ context.Context, query string, args ...any) (sql.Result, error) {
	w.r.mark(query)
	st, err := w.c.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(context.Background(), args...)
}

// dialect is what SQLite says differently from the shared SQL's view.
type dialect struct{}

// UniqueViolation reports whether err is a UNIQUE constraint failure on
// table.column.
func (dialect) UniqueViolation(err error, table, column string) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE &&
		strings.Contains(e.Error(), table+"."+column)
}

// BlobKeyColumns reads the schema; sqlite_master is tiny and cached by
// SQLite.
func (dialect) BlobKeyColumns() string {
	return `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND (p.name = 'blob_key' OR p.name LIKE '%\_blob\_key' ESCAPE '\')
		ORDER BY m.name, p.name`
}
