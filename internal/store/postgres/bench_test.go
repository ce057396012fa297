package postgres_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
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

// BenchmarkUserLookups measures finding an account among 10,000 by id
// (one read) and by phone number or username (its lookup table, then
// the account by id: two reads, ADR 0016 as amended), from concurrent
// readers.
func BenchmarkUserLookups(b *testing.B) {
	s, err := postgres.Open(context.Background(), pgtest.Get(b).New(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	now := time.Now().UTC()
	const users = 10_000
	ids := make([]int64, 0, users)
	for i := 0; i < users; i += 500 {
		if err := s.Update(ctx, func(tx core.Tx) error {
			for j := i; j < i+500; j++ {
				u := &haven.User{FirstName: "bench", Username: fmt.Sprintf("bench_%d", j), Phone: fmt.Sprintf("+1555%07d", j),
					CreatedAt: now, LastActiveAt: now, AccountTTLDays: 365}
				if err := tx.CreateUser(ctx, u); err != nil {
					return err
				}
				ids = append(ids, u.ID)
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	for name, find := range map[string]func(i int) (*haven.User, error){
		"id":       func(i int) (*haven.User, error) { return s.UserByID(ctx, ids[i]) },
		"phone":    func(i int) (*haven.User, error) { return s.UserByPhone(ctx, fmt.Sprintf("+1555%07d", i)) },
		"username": func(i int) (*haven.User, error) { return s.UserByUsername(ctx, fmt.Sprintf("bench_%d", i)) },
	} {
		b.Run(name, func(b *testing.B) {
			var n atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := find(int(n.Add(7919) % users)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
		})
	}
}
