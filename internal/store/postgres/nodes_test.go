package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/havenchat/haven/internal/store/postgres"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// openNodes opens n stores on one fresh database, as n nodes would, and
// returns the database's URL with them; each closes when tb ends.
func openNodes(tb testing.TB, n int) (string, []*postgres.Store) {
	tb.Helper()
	url := pgtest.Get(tb).New(tb)
	nodes := make([]*postgres.Store, n)
	for i := range nodes {
		s, err := postgres.Open(context.Background(), url, nil)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		nodes[i] = s
	}
	return url, nodes
}

// rawDB opens a plain pool on the database at url, beside its stores:
// for a transaction of the test's own, or a look at the tables. It
// closes when tb ends.
func rawDB(tb testing.TB, url string) *sql.DB {
	tb.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		tb.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	tb.Cleanup(func() { db.Close() })
	return db
}
