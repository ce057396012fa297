package postgres

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
)

// dialect is what PostgreSQL says differently from the shared SQL's view.
type dialect struct{}

// uniqueViolation is PostgreSQL's SQLSTATE for a broken UNIQUE.
const uniqueViolation = "23505"

// UniqueViolation reports whether err is the failure of a unique
// constraint or index on table whose first column is column: the schema
// names each one <table>_<column>... (migrations/0001_init.sql).
func (dialect) UniqueViolation(err error, table, column string) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == uniqueViolation && e.TableName == table &&
		strings.HasPrefix(e.ConstraintName, table+"_"+column+"_")
}

// BlobKeyColumns reads the catalogue of the current schema.
func (dialect) BlobKeyColumns() string {
	return `SELECT c.table_name, c.column_name FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
			AND (c.column_name = 'blob_key' OR c.column_name LIKE '%\_blob\_key' ESCAPE '\')
		ORDER BY c.table_name, c.column_name`
}

// rewriter turns the shared SQL (see package sqlstore) into PostgreSQL's,
// once per distinct statement:
//
//   - placeholders: ? becomes $1, $2 ... in order, and ?N becomes $N;
//   - json_each(?), which reads a JSON array of ids or names from one
//     parameter, becomes json_array_elements_text over it, named so that
//     its column is still "value" (text: the shared SQL casts it where it
//     compares it with a number);
//   - the two-argument scalar max(a, b) becomes GREATEST(a, b);
//   - LIKE becomes ILIKE, which ignores case as SQLite's LIKE does;
//   - CROSS JOIN ... ON, SQLite's way of fixing the order of a join,
//     becomes JOIN ... ON: PostgreSQL's planner chooses its own order.
//
// Text in single quotes is left alone.
type rewriter struct {
	done sync.Map // shared SQL -> PostgreSQL's
}

func newRewriter() *rewriter { return &rewriter{} }

var (
	jsonEach  = regexp.MustCompile(`json_each\((\?\d*)\)`)
	scalarMax = regexp.MustCompile(`\bmax\(([^(),]+),`)
	like      = regexp.MustCompile(`\bLIKE\b`)
	crossJoin = regexp.MustCompile(`\bCROSS JOIN(\s+\w+\s+\w+\s+ON\b)`)
)

func (r *rewriter) rewrite(query string) string {
	if q, ok := r.done.Load(query); ok {
		return q.(string)
	}
	q := rewriteSQL(query)
	r.done.Store(query, q)
	return q
}

// rewriteSQL does the rewriting of one statement.
func rewriteSQL(query string) string {
	q := outsideQuotes(query, func(s string) string {
		s = jsonEach.ReplaceAllString(s, `json_array_elements_text(CAST($1 AS json)) AS json_each(value)`)
		s = scalarMax.ReplaceAllString(s, `GREATEST($1,`)
		s = crossJoin.ReplaceAllString(s, `JOIN$1`)
		return like.ReplaceAllString(s, `ILIKE`)
	})
	return placeholders(q)
}

// outsideQuotes applies f to the parts of query outside single quotes.
func outsideQuotes(query string, f func(string) string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(query, '\'')
		if i < 0 {
			b.WriteString(f(query))
			return b.String()
		}
		b.WriteString(f(query[:i]))
		j := strings.IndexByte(query[i+1:], '\'')
		if j < 0 {
			b.WriteString(query[i:])
			return b.String()
		}
		b.WriteString(query[i : i+j+2])
		query = query[i+j+2:]
	}
}

// placeholders numbers the ? placeholders outside quotes.
func placeholders(query string) string {
	var b strings.Builder
	n := 0
	quoted := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
			b.WriteByte(c)
		case c == '?' && !quoted:
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			b.WriteByte('$')
			if j > i+1 {
				b.WriteString(query[i+1 : j])
				i = j - 1
			} else {
				n++
				b.WriteString(strconv.Itoa(n))
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
