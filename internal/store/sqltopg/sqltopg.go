// Package sqltopg moves an installation from SQLite to PostgreSQL: it
// copies every table of a SQLite database (a snapshot, read only) into a
// PostgreSQL database that has Haven's schema, verifies each table's row
// count and checksum on both sides, and sets the target's sequences to
// go on after the copied ids.
//
// The copy is one PostgreSQL transaction: interrupted, it leaves the
// target as it was, and running it again starts it over. The target must
// be empty, or hold an earlier copy of the same installation (the same
// instance uid) that nothing has changed since (its checksums are those
// the copy recorded in haven_migrated_from); that copy is then replaced.
// Anything else (another installation, or a copy a server has since
// written to) is refused, and nothing is changed.
//
// The two schemas hold the same tables and columns (see
// internal/store/postgres/migrations); Copy reads the list from
// PostgreSQL's catalogue and refuses to run if SQLite's differs, so that
// a table added to one and not the other cannot be left behind.
package sqltopg

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// stateTable records, in the target, which installation was copied into
// it and the checksums of what was copied.
const stateTable = "haven_migrated_from"

// freeSequences names the column each sequence that no column owns
// feeds (the events' gid is drawn by a trigger, see the schema).
var freeSequences = map[string][2]string{"events_gid": {"events", "gid"}}

// ErrDifferentInstallation is returned when the target holds data that
// is not an untouched copy of the source.
var ErrDifferentInstallation = errors.New("the PostgreSQL database already holds another installation")

// ErrChangedSinceCopy is returned when the target holds a copy of the
// source that has been written to since it was made.
var ErrChangedSinceCopy = errors.New("the PostgreSQL database holds a copy of this installation that has changed since it was made (a server has run on it)")

// Progress is what Copy reports as it goes.
type Progress struct {
	Phase  string // "copy" or "verify"
	Table  string
	Index  int   // the table's place, from 1
	Tables int   // how many tables
	Rows   int64 // rows of Table done so far
	Total  int64 // rows of Table in all
}

// Table is one table copied, with its figures on both sides (equal, or
// Copy fails).
type Table struct {
	Name string `json:"-"`
	Rows int64  `json:"rows"`
	Sum  string `json:"sum"` // order-independent SHA-256 based checksum of the rows
}

// Report is what Copy did.
type Report struct {
	Tables []Table
	// Replaced is set when the target held an earlier, untouched copy of
	// the same installation, made at ReplacedCopyAt.
	Replaced       bool
	ReplacedCopyAt time.Time
	// Sequences maps each sequence to the value it was set to: the next
	// id drawn is greater.
	Sequences map[string]int64
}

// Copy copies the SQLite database at srcPath (which nothing else may
// write while it runs: give it a snapshot) into the PostgreSQL database
// at dstURL, whose schema must be this binary's (open it with
// postgres.Open first). progress, if not nil, is called as the copy
// goes.
func Copy(ctx context.Context, srcPath, dstURL string, progress func(Progress)) (rep *Report, err error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	abs, err := filepath.Abs(srcPath)
	if err != nil {
		return nil, err
	}
	src, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "mode=ro&_pragma=query_only(1)"}).String())
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	defer src.Close()
	src.SetMaxOpenConns(1)

	dst, err := pgx.Connect(ctx, dstURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer dst.Close(context.WithoutCancel(ctx))
	if _, err := dst.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+stateTable+` (
		id          BIGINT PRIMARY KEY CHECK (id = 1),
		source_uid  BYTEA  NOT NULL,
		migrated_at BIGINT NOT NULL,
		sums        TEXT   NOT NULL
	)`); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}

	tx, err := dst.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	// One migration at a time, and no server writes meanwhile: the
	// triggers are turned off below under ACCESS EXCLUSIVE locks.
	if _, err := tx.Exec(ctx, `LOCK TABLE `+stateTable+` IN ACCESS EXCLUSIVE MODE`); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	tables, err := readSchema(ctx, tx, src)
	if err != nil {
		return nil, err
	}
	var uid []byte
	if err := src.QueryRowContext(ctx, `SELECT uid FROM instance WHERE id = 1`).Scan(&uid); err != nil {
		return nil, fmt.Errorf("sqlite: the installation's uid: %w", err)
	}
	rep = &Report{Sequences: map[string]int64{}}
	if rep.Replaced, rep.ReplacedCopyAt, err = checkTarget(ctx, tx, tables, uid); err != nil {
		return nil, err
	}

	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.ident()
	}
	if _, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(names, ", ")); err != nil {
		return nil, fmt.Errorf("postgres: emptying the tables: %w", err)
	}
	// The triggers check what the SQLite database already guarantees
	// (usernames unique across users and chats) or draw what is copied
	// (the events' gids); foreign keys stay checked.
	for _, t := range tables {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+t.ident()+` DISABLE TRIGGER USER`); err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
	}
	for i, t := range tables {
		got, err := copyTable(ctx, tx, src, t, func(done, total int64) {
			progress(Progress{Phase: "copy", Table: t.name, Index: i + 1, Tables: len(tables), Rows: done, Total: total})
		})
		if err != nil {
			return nil, fmt.Errorf("copying %s: %w", t.name, err)
		}
		rep.Tables = append(rep.Tables, got)
	}
	for _, t := range tables {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+t.ident()+` ENABLE TRIGGER USER`); err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
	}
	// Verify: read every table back and compare.
	sums := map[string]Table{}
	for i, t := range tables {
		progress(Progress{Phase: "verify", Table: t.name, Index: i + 1, Tables: len(tables), Total: rep.Tables[i].Rows})
		got, err := sumTarget(ctx, tx, t)
		if err != nil {
			return nil, fmt.Errorf("verifying %s: %w", t.name, err)
		}
		if want := rep.Tables[i]; got.Rows != want.Rows || got.Sum != want.Sum {
			return nil, fmt.Errorf("verifying %s: PostgreSQL holds %d rows (checksum %s), SQLite %d (%s): nothing was changed", t.name, got.Rows, got.Sum, want.Rows, want.Sum)
		}
		sums[t.name] = got
	}
	if err := setSequences(ctx, tx, src, rep.Sequences); err != nil {
		return nil, err
	}
	b, err := json.Marshal(sums)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+stateTable+` (id, source_uid, migrated_at, sums) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET source_uid = excluded.source_uid, migrated_at = excluded.migrated_at, sums = excluded.sums`,
		uid, time.Now().UnixMilli(), string(b)); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("postgres: commit: %w", err)
	}
	return rep, nil
}

// table is a table of the schema and the columns copied.
type table struct {
	name  string
	cols  []string
	kinds []byte // per column: 'i' bigint, 's' text, 'b' bytea
}

func (t table) ident() string { return pgx.Identifier{t.name}.Sanitize() }

func (t table) colList() string {
	q := make([]string, len(t.cols))
	for i, c := range t.cols {
		q[i] = pgx.Identifier{c}.Sanitize()
	}
	return strings.Join(q, ", ")
}

// readSchema lists PostgreSQL's tables in an order that lets foreign
// keys be checked as rows arrive (a referenced table before the tables
// referring to it), with their copied columns (not the generated ones),
// and checks that SQLite has the same tables and columns.
func readSchema(ctx context.Context, tx pgx.Tx, src *sql.DB) ([]table, error) {
	rows, err := tx.Query(ctx, `
		SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated <> ''
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname NOT IN ('schema_migrations', $1)
		ORDER BY c.relname, a.attnum`, stateTable)
	if err != nil {
		return nil, fmt.Errorf("postgres: reading the schema: %w", err)
	}
	byName := map[string]*table{}
	var order []string
	for rows.Next() {
		var name, col, typ string
		var generated bool
		if err := rows.Scan(&name, &col, &typ, &generated); err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgres: reading the schema: %w", err)
		}
		t := byName[name]
		if t == nil {
			t = &table{name: name}
			byName[name] = t
			order = append(order, name)
		}
		if generated {
			continue // derived by PostgreSQL from the other columns
		}
		kind, ok := map[string]byte{"bigint": 'i', "text": 's', "bytea": 'b'}[typ]
		if !ok {
			rows.Close()
			return nil, fmt.Errorf("postgres: %s.%s is of type %s, which the migration does not know how to copy", name, col, typ)
		}
		t.cols = append(t.cols, col)
		t.kinds = append(t.kinds, kind)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: reading the schema: %w", err)
	}
	if len(order) == 0 {
		return nil, errors.New("postgres: the database has no Haven tables: open it with Haven first")
	}

	// SQLite's tables and columns must be the same.
	srcTables, err := sqliteColumns(ctx, src)
	if err != nil {
		return nil, err
	}
	for _, name := range order {
		cols, ok := srcTables[name]
		if !ok {
			return nil, fmt.Errorf("the schemas differ: PostgreSQL has a table %s that SQLite has not", name)
		}
		want := slices.Clone(byName[name].cols)
		slices.Sort(want)
		if !slices.Equal(cols, want) {
			return nil, fmt.Errorf("the schemas differ: table %s has columns %v on SQLite, %v on PostgreSQL", name, cols, want)
		}
		delete(srcTables, name)
	}
	if len(srcTables) > 0 {
		return nil, fmt.Errorf("the schemas differ: SQLite has tables %v that PostgreSQL has not", slices.Sorted(maps.Keys(srcTables)))
	}

	// Referenced tables first.
	deps := map[string][]string{}
	frows, err := tx.Query(ctx, `
		SELECT c.conrelid::regclass::text, c.confrelid::regclass::text
		FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, fmt.Errorf("postgres: reading the foreign keys: %w", err)
	}
	var from, to string
	if _, err := pgx.ForEachRow(frows, []any{&from, &to}, func() error {
		if from != to {
			deps[from] = append(deps[from], to)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("postgres: reading the foreign keys: %w", err)
	}
	var out []table
	placed := map[string]bool{}
	var place func(name string, depth int) error
	place = func(name string, depth int) error {
		if placed[name] {
			return nil
		}
		if depth > len(order) {
			return fmt.Errorf("postgres: the foreign keys of %s form a cycle", name)
		}
		for _, d := range deps[name] {
			if err := place(d, depth+1); err != nil {
				return err
			}
		}
		placed[name] = true
		out = append(out, *byName[name])
		return nil
	}
	for _, name := range order {
		if err := place(name, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sqliteColumns returns SQLite's tables (not its own, nor the
// migrations' record) with their columns, sorted.
func sqliteColumns(ctx context.Context, src *sql.DB) (map[string][]string, error) {
	rows, err := src.QueryContext(ctx, `
		SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'schema_migrations'
		ORDER BY m.name, p.name`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: reading the schema: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, fmt.Errorf("sqlite: reading the schema: %w", err)
		}
		out[t] = append(out[t], c)
	}
	return out, rows.Err()
}

// checkTarget tells whether the target may receive the copy: it is
// empty (but for the instance row its schema made), or it holds an
// earlier copy of the installation uid that nothing has changed since
// (replaced is then set, with when it was made).
func checkTarget(ctx context.Context, tx pgx.Tx, tables []table, uid []byte) (replaced bool, at time.Time, err error) {
	var (
		prevUID  []byte
		prevAt   int64
		prevSums string
	)
	err = tx.QueryRow(ctx, `SELECT source_uid, migrated_at, sums FROM `+stateTable+` WHERE id = 1`).Scan(&prevUID, &prevAt, &prevSums)
	if errors.Is(err, pgx.ErrNoRows) {
		for _, t := range tables {
			if t.name == "instance" {
				continue
			}
			var any bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+t.ident()+`)`).Scan(&any); err != nil {
				return false, time.Time{}, fmt.Errorf("postgres: %w", err)
			}
			if any {
				return false, time.Time{}, fmt.Errorf("%w (its table %s has rows, and it was not made by haven admin migrate): give an empty database", ErrDifferentInstallation, t.name)
			}
		}
		return false, time.Time{}, nil
	}
	if err != nil {
		return false, time.Time{}, fmt.Errorf("postgres: %w", err)
	}
	at = time.UnixMilli(prevAt).UTC()
	if string(prevUID) != string(uid) {
		return false, at, fmt.Errorf("%w (copied at %s from another SQLite database): give an empty database", ErrDifferentInstallation, at.Format(time.RFC3339))
	}
	var want map[string]Table
	if err := json.Unmarshal([]byte(prevSums), &want); err != nil {
		return false, at, fmt.Errorf("postgres: %s: %w", stateTable, err)
	}
	for _, t := range tables {
		got, err := sumTarget(ctx, tx, t)
		if err != nil {
			return false, at, err
		}
		if w, ok := want[t.name]; !ok || w.Rows != got.Rows || w.Sum != got.Sum {
			return false, at, fmt.Errorf("%w: its table %s differs from the copy made at %s; it is yours now, nothing was changed", ErrChangedSinceCopy, t.name, at.Format(time.RFC3339))
		}
	}
	return true, at, nil
}

// copyTable copies a table's rows with COPY, and returns their count
// and checksum.
func copyTable(ctx context.Context, tx pgx.Tx, src *sql.DB, t table, progress func(done, total int64)) (Table, error) {
	var total int64
	if err := src.QueryRowContext(ctx, `SELECT count(*) FROM "`+t.name+`"`).Scan(&total); err != nil {
		return Table{}, fmt.Errorf("sqlite: %w", err)
	}
	rows, err := src.QueryContext(ctx, `SELECT `+t.colList()+` FROM "`+t.name+`"`)
	if err != nil {
		return Table{}, fmt.Errorf("sqlite: %w", err)
	}
	defer rows.Close()
	r := &rowSource{t: t, rows: rows, vals: make([]any, len(t.cols)), ptrs: make([]any, len(t.cols)), progress: func(n int64) { progress(n, total) }}
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, r)
	if err != nil {
		return Table{}, err
	}
	if n != r.sum.rows {
		return Table{}, fmt.Errorf("PostgreSQL took %d rows of %d", n, r.sum.rows)
	}
	progress(n, total)
	return Table{Name: t.name, Rows: n, Sum: r.sum.String()}, nil
}

// rowSource feeds COPY with SQLite's rows, each value in the type of its
// PostgreSQL column, and sums them on the way.
type rowSource struct {
	t        table
	rows     *sql.Rows
	vals     []any
	ptrs     []any
	out      []any
	err      error
	sum      checksum
	progress func(int64)
}

func (r *rowSource) Next() bool {
	if !r.rows.Next() {
		r.err = r.rows.Err()
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = err
		return false
	}
	out := make([]any, len(r.vals))
	for i, v := range r.vals {
		c, err := convert(r.t.kinds[i], v)
		if err != nil {
			r.err = fmt.Errorf("column %s: %w", r.t.cols[i], err)
			return false
		}
		out[i] = c
	}
	r.out = out
	r.sum.add(out)
	if r.sum.rows%10000 == 0 {
		r.progress(r.sum.rows)
	}
	return true
}

func (r *rowSource) Values() ([]any, error) { return r.out, nil }
func (r *rowSource) Err() error             { return r.err }

// convert gives a value read from SQLite the Go type of its PostgreSQL
// column: SQLite keeps whatever type it was given.
func convert(kind byte, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64:
		if kind == 'i' {
			return x, nil
		}
	case string:
		switch kind {
		case 's':
			return x, nil
		case 'b':
			return []byte(x), nil
		}
	case []byte:
		switch kind {
		case 's':
			return string(x), nil
		case 'b':
			return x, nil
		}
	}
	return nil, fmt.Errorf("a value of type %T where PostgreSQL keeps %s", v, map[byte]string{'i': "integers", 's': "text", 'b': "bytes"}[kind])
}

// sumTarget counts and sums a table's rows on PostgreSQL.
func sumTarget(ctx context.Context, tx pgx.Tx, t table) (Table, error) {
	rows, err := tx.Query(ctx, `SELECT `+t.colList()+` FROM `+t.ident())
	if err != nil {
		return Table{}, fmt.Errorf("postgres: %w", err)
	}
	defer rows.Close()
	var sum checksum
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return Table{}, fmt.Errorf("postgres: %w", err)
		}
		sum.add(vals)
	}
	if err := rows.Err(); err != nil {
		return Table{}, fmt.Errorf("postgres: %w", err)
	}
	return Table{Name: t.name, Rows: sum.rows, Sum: sum.String()}, nil
}

// checksum sums rows independently of their order: each row's SHA-256,
// as four 64-bit numbers, added to the total.
type checksum struct {
	rows  int64
	lanes [4]uint64
	buf   []byte
}

func (c *checksum) add(vals []any) {
	b := c.buf[:0]
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			b = append(b, 0)
		case int64:
			b = binary.BigEndian.AppendUint64(append(b, 1), uint64(x))
		case string:
			b = append(binary.AppendUvarint(append(b, 2), uint64(len(x))), x...)
		case []byte:
			b = append(binary.AppendUvarint(append(b, 3), uint64(len(x))), x...)
		default:
			// A type the schema check lets through but this does not
			// know: sum its printed form, which still differs on change.
			s := fmt.Sprintf("%T:%v", v, v)
			b = append(binary.AppendUvarint(append(b, 4), uint64(len(s))), s...)
		}
	}
	c.buf = b
	h := sha256.Sum256(b)
	for i := range c.lanes {
		c.lanes[i] += binary.BigEndian.Uint64(h[8*i:])
	}
	c.rows++
}

func (c *checksum) String() string {
	var b []byte
	for _, l := range c.lanes {
		b = binary.BigEndian.AppendUint64(b, l)
	}
	return hex.EncodeToString(b)
}

// setSequences sets every sequence of the schema to go on after the
// greatest id copied into its column, or after the greatest SQLite
// ever gave (its sqlite_sequence: ids of deleted rows are not reused),
// whichever is greater.
func setSequences(ctx context.Context, tx pgx.Tx, src *sql.DB, set map[string]int64) error {
	rows, err := tx.Query(ctx, `
		SELECT s.relname, coalesce(t.relname, ''), coalesce(a.attname, '')
		FROM pg_class s
		JOIN pg_namespace n ON n.oid = s.relnamespace
		LEFT JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
			AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
		LEFT JOIN pg_class t ON t.oid = d.refobjid
		LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
		WHERE s.relkind = 'S' AND n.nspname = current_schema()
		ORDER BY s.relname`)
	if err != nil {
		return fmt.Errorf("postgres: reading the sequences: %w", err)
	}
	type seq struct{ name, table, col string }
	var seqs []seq
	for rows.Next() {
		var s seq
		if err := rows.Scan(&s.name, &s.table, &s.col); err != nil {
			rows.Close()
			return err
		}
		if s.table == "" {
			fed, ok := freeSequences[s.name]
			if !ok {
				rows.Close()
				return fmt.Errorf("postgres: the sequence %s feeds no column the migration knows of", s.name)
			}
			s.table, s.col = fed[0], fed[1]
		}
		seqs = append(seqs, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: reading the sequences: %w", err)
	}
	for _, s := range seqs {
		var last int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(`+pgx.Identifier{s.col}.Sanitize()+`), 0) FROM `+pgx.Identifier{s.table}.Sanitize()).Scan(&last); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		var given sql.NullInt64
		err := src.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = ?`, s.table).Scan(&given)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlite: %w", err)
		}
		last = max(last, given.Int64)
		// setval(s, 1, false): the next value is 1.
		if _, err := tx.Exec(ctx, `SELECT setval($1::regclass, $2, $3)`, pgx.Identifier{s.name}.Sanitize(), max(last, 1), last > 0); err != nil {
			return fmt.Errorf("postgres: setting %s: %w", s.name, err)
		}
		set[s.name] = last
	}
	return nil
}
