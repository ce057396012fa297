package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/havenchat/haven/internal/store/postgres"
	"github.com/havenchat/haven/internal/store/sqlite"
	"github.com/havenchat/haven/internal/store/sqltopg"
)

// MigrateOptions says what Migrate moves where.
type MigrateOptions struct {
	From string // the data directory of the SQLite installation
	To   string // the PostgreSQL database's URL
	// Live copies a snapshot of a database a server is running on
	// rather than refuse it.
	Live bool
	// Progress, if not nil, is told how the copy goes.
	Progress func(sqltopg.Progress)
}

// ErrSourceInUse is returned when the source database seems to have a
// server running on it.
var ErrSourceInUse = errors.New("a server seems to be running on the SQLite database")

// Migrate copies the SQLite installation in opts.From into the
// PostgreSQL database opts.To (see package sqltopg): it takes a
// consistent snapshot of the database (VACUUM INTO, into a temporary
// directory), brings the snapshot's schema and the target's up to this
// binary's, and copies, verifies and commits in one transaction. The
// uploaded files (blobs) and the keys are not in the database and stay
// where they are: the new nodes need them (see docs/operations.md).
func Migrate(ctx context.Context, opts MigrateOptions) (*sqltopg.Report, error) {
	from, err := filepath.Abs(opts.From)
	if err != nil {
		return nil, err
	}
	src := filepath.Join(from, dbFile)
	if _, err := os.Stat(src); err != nil {
		return nil, fmt.Errorf("no Haven database in %s (%v): give the server's data directory", opts.From, err)
	}
	// A server (or any SQLite connection) keeps the write-ahead log while
	// it has the database open; a server that stopped removed it.
	if _, err := os.Stat(src + "-wal"); err == nil && !opts.Live {
		return nil, fmt.Errorf("%w (%s-wal exists): stop it first, so that nothing it writes afterwards is left behind, and run this again (after a crash: start and stop the server once); --live copies a consistent snapshot anyway", ErrSourceInUse, src)
	}
	tmp, err := os.MkdirTemp("", "haven-migrate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	snap := filepath.Join(tmp, dbFile)
	if err := sqlite.Snapshot(ctx, src, snap); err != nil {
		return nil, err
	}
	// The snapshot's schema up to this binary's (a database of a newer
	// Haven is refused), and the target's.
	st, err := sqlite.Open(ctx, snap, nil)
	if err != nil {
		return nil, err
	}
	if err := st.Close(); err != nil {
		return nil, err
	}
	pg, err := postgres.Open(ctx, opts.To, nil)
	if err != nil {
		return nil, err
	}
	if err := pg.Close(); err != nil {
		return nil, err
	}
	return sqltopg.Copy(ctx, snap, opts.To, opts.Progress)
}

func migrateCmd(ctx context.Context, r *run, args []string) int {
	from := r.fs.String("from", "", "")
	to := r.fs.String("to", "", "")
	live := r.fs.Bool("live", false, "")
	if _, code, done := r.parse(args, 0, 0, "no arguments: --from DIR --to URL"); done {
		return code
	}
	if *from == "" {
		cfg, err := r.settings()
		if err != nil {
			return r.fail(err)
		}
		*from = cfg.DataDir
	}
	if *to == "" {
		return r.usage(errors.New("--to: give the PostgreSQL database's URL (postgres://...)"))
	}
	start := time.Now()
	fmt.Fprintf(r.stdout, "Moving the installation in %s to PostgreSQL: a snapshot, then one transaction (interrupted, it changes nothing).\n", *from)
	rep, err := Migrate(ctx, MigrateOptions{From: *from, To: *to, Live: *live, Progress: progressPrinter(r.stdout)})
	if err != nil && (errors.Is(err, context.Canceled) || ctx.Err() != nil) {
		fmt.Fprintf(r.stderr, "haven admin %s: interrupted: nothing was changed in the PostgreSQL database; run it again\n", r.name)
		return exitFailure
	}
	if err != nil {
		return r.fail(err)
	}
	var rows int64
	for _, t := range rep.Tables {
		rows += t.Rows
	}
	if rep.Replaced {
		fmt.Fprintf(r.stdout, "Replaced the copy made at %s, which nothing had changed since.\n", rep.ReplacedCopyAt.Format(time.RFC3339))
	}
	fmt.Fprintf(r.stdout, "Moved %s in %d tables in %v; every table's count and checksum match.\n", fmt.Sprintf("%d %s", rows, plural(int(rows), "row", "rows")), len(rep.Tables), time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(r.stdout, "Next: give every node the keys (secret.key, vapid.key) and the uploaded files of %s (or the same S3 bucket), then start them with --db.\n", *from)
	return 0
}

// progressPrinter prints a line per table copied and per 100,000 rows of
// a long one, and one when the verification starts.
func progressPrinter(w io.Writer) func(sqltopg.Progress) {
	verifying := false
	return func(p sqltopg.Progress) {
		switch {
		case p.Phase == "verify" && !verifying:
			verifying = true
			fmt.Fprintf(w, "Verifying: reading every table back from PostgreSQL...\n")
		case p.Phase == "copy" && p.Rows == p.Total:
			fmt.Fprintf(w, "  [%2d/%d] %-20s %s\n", p.Index, p.Tables, p.Table, fmt.Sprintf("%d %s", p.Rows, plural(int(p.Rows), "row", "rows")))
		case p.Phase == "copy" && p.Rows > 0 && p.Rows%100000 == 0:
			fmt.Fprintf(w, "  [%2d/%d] %-20s %d of %d rows...\n", p.Index, p.Tables, p.Table, p.Rows, p.Total)
		}
	}
}
