package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/postgres"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
)

// commitsFor runs n Updates at once on a store opened with opt, the
// first holding the writer until the others have queued behind it, and
// returns how many transactions they took.
func commitsFor(t *testing.T, opt postgres.Options, n int) int64 {
	t.Helper()
	ctx := context.Background()
	s, err := postgres.OpenWith(ctx, pgtest.Get(t).New(t), nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := s.Commits()
	release, running := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	wg.Go(func() {
		errs <- s.Update(ctx, func(core.Tx) error { close(running); <-release; return nil })
	})
	// Its batch is formed once it runs: the others queue behind it.
	<-running
	for range n - 1 {
		wg.Go(func() { errs <- s.Update(ctx, func(tx core.Tx) error { return nil }) })
	}
	deadline := time.Now().Add(time.Minute)
	for s.Queued() < n-1 {
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("after a minute %d of %d Updates are queued", s.Queued(), n-1)
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return s.Commits() - before
}

// TestMaxBatch: by default a node's writer groups the Updates waiting for
// it into one transaction; with MaxBatch 1 each has its own, so that a
// transaction spans two chats only when one Update writes two.
func TestMaxBatch(t *testing.T) {
	const n = 20
	if c := commitsFor(t, postgres.Options{}, n); c >= n {
		t.Errorf("default: %d Updates took %d transactions, want them grouped", n, c)
	}
	if c := commitsFor(t, postgres.Options{MaxBatch: 1}, n); c != n {
		t.Errorf("MaxBatch 1: %d Updates took %d transactions, want one each", n, c)
	}
	if _, err := postgres.OpenWith(context.Background(), "postgres://unused", nil, postgres.Options{MaxBatch: 1000}); err == nil {
		t.Error("MaxBatch 1000 was taken")
	}
}
