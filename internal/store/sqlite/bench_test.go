package sqlite_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// benchUser stores one user for the sessions to belong to.
func benchUser(b *testing.B, s core.Store) int64 {
	b.Helper()
	u := testUser(1)
	if err := s.Update(context.Background(), func(tx core.Tx) error { return tx.CreateUser(context.Background(), u) }); err != nil {
		b.Fatal(err)
	}
	return u.ID
}

func token(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	h := sha256.Sum256(b[:])
	return h[:]
}

// BenchmarkCreateSessionParallel measures durable session inserts, one per
// Update, from many concurrent callers (as a server under load has), so
// that group commit can batch them.
func BenchmarkCreateSessionParallel(b *testing.B) {
	s := openTemp(b)
	userID := benchUser(b, s)
	var n atomic.Uint64
	now := time.Now().UTC()
	commits := s.Commits()
	b.SetParallelism(64) // 64 callers per GOMAXPROCS
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			ss := &haven.Session{UserID: userID, TokenHash: token(n.Add(1)), Device: "bench", CreatedAt: now, LastActiveAt: now}
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

// BenchmarkCreateSessionSerial is the same insert from one caller at a
// time: one Update per commit, so one WAL fsync each; the baseline that
// group commit improves on.
func BenchmarkCreateSessionSerial(b *testing.B) {
	s := openTemp(b)
	userID := benchUser(b, s)
	ctx := context.Background()
	now := time.Now().UTC()
	b.ResetTimer()
	for i := range b.N {
		ss := &haven.Session{UserID: userID, TokenHash: token(uint64(i)), Device: "bench", CreatedAt: now, LastActiveAt: now}
		if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateSession(ctx, ss) }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkSessionByToken measures the lookup every authenticated request
// makes, from concurrent readers, in a table of 100,000 sessions.
func BenchmarkSessionByToken(b *testing.B) {
	s := openTemp(b)
	userID := benchUser(b, s)
	ctx := context.Background()
	const sessions = 100_000
	now := time.Now().UTC()
	for i := uint64(0); i < sessions; i += 1000 {
		err := s.Update(ctx, func(tx core.Tx) error {
			for j := i; j < i+1000; j++ {
				if err := tx.CreateSession(ctx, &haven.Session{UserID: userID, TokenHash: token(j), CreatedAt: now, LastActiveAt: now}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(7919) % sessions
			if _, err := s.SessionByToken(ctx, token(i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
