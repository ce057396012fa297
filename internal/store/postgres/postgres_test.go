package postgres_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/postgres"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
	"github.com/havenchat/haven/internal/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Cleanup()
	os.Exit(code)
}

// open opens a store on a fresh database, closed by the suite.
func open(t *testing.T) core.Store {
	url := pgtest.Get(t).New(t)
	s, err := postgres.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	pgtest.Get(t)
	storetest.Run(t, open)
}

// TestConcurrentStart starts three stores at once on a new, empty
// database, as three nodes of a cluster would: one migrates, the others
// wait for the advisory lock and find the schema there, and all three
// then work.
func TestConcurrentStart(t *testing.T) {
	srv := pgtest.Get(t)
	url := srv.ConnString(srv.NewEmpty(t))
	const nodes = 3
	stores := make([]*postgres.Store, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { stores[i], errs[i] = postgres.Open(context.Background(), url, nil) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: Open: %v", i, err)
		}
		defer stores[i].Close()
	}
	for i, s := range stores {
		if err := s.CheckWritable(context.Background()); err != nil {
			t.Errorf("node %d: CheckWritable: %v", i, err)
		}
	}
	v, err := postgres.SchemaVersions(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	want, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != len(want) {
		t.Fatalf("schema_migrations holds %v, want each of %v once", v, want)
	}
	for i := range v {
		if v[i] != want[i] {
			t.Fatalf("schema_migrations holds %v, want %v", v, want)
		}
	}
}
