package postgres_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/postgres"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
)

// BenchmarkCreateSessionParallel is the SQLite store's benchmark of the
// same name on PostgreSQL: durable session inserts, one per Update, from
// many concurrent callers, grouped by the node's writer (writer.go): a
// node's write rate for the smallest write. BenchmarkCreateSessionNodes
// spreads them over two nodes.
func BenchmarkCreateSessionParallel(b *testing.B) {
	s, err := postgres.Open(context.Background(), pgtest.Get(b).New(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	now := time.Now().UTC()
	u := &haven.User{FirstName: "bench", CreatedAt: now, LastActiveAt: now}
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
		b.Fatal(err)
	}
	var n atomic.Uint64
	commits := s.Commits()
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var k [8]byte
			binary.BigEndian.PutUint64(k[:], n.Add(1))
			h := sha256.Sum256(k[:])
			ss := &haven.Session{UserID: u.ID, TokenHash: h[:], Device: "bench", CreatedAt: now, LastActiveAt: now}
			if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateSession(ctx, ss) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	if c := s.Commits() - commits; c > 0 {
		b.ReportMetric(float64(b.N)/float64(c), "updates/commit")
	}
}
