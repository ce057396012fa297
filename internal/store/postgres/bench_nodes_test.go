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
)

func commits(nodes []*postgres.Store) int64 {
	var n int64
	for _, s := range nodes {
		n += s.Commits()
	}
	return n
}

func retries(nodes []*postgres.Store) int64 {
	var n int64
	for _, s := range nodes {
		n += s.Retries()
	}
	return n
}

// BenchmarkCreateSessionNodes is BenchmarkCreateSessionParallel with the
// callers spread over one or two stores on one database (two nodes):
// what a second node adds to the cluster's write rate.
func BenchmarkCreateSessionNodes(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			_, nodes := openNodes(b, n)
			ctx := context.Background()
			now := time.Now().UTC()
			u := &haven.User{FirstName: "bench", CreatedAt: now, LastActiveAt: now}
			if err := nodes[0].Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
				b.Fatal(err)
			}
			var k, caller atomic.Uint64
			c0, r0 := commits(nodes), retries(nodes)
			b.SetParallelism(64)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				s := nodes[int(caller.Add(1))%len(nodes)]
				for pb.Next() {
					var key [8]byte
					binary.BigEndian.PutUint64(key[:], k.Add(1))
					h := sha256.Sum256(key[:])
					ss := &haven.Session{UserID: u.ID, TokenHash: h[:], Device: "bench", CreatedAt: now, LastActiveAt: now}
					if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateSession(ctx, ss) }); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			if c := commits(nodes) - c0; c > 0 {
				b.ReportMetric(float64(b.N)/float64(c), "updates/commit")
			}
			b.ReportMetric(float64(retries(nodes)-r0)/float64(b.N), "retries/op")
		})
	}
}

// BenchmarkSendMessageNodes writes messages as core sends one (NextSeq,
// InsertMessage, AppendEvent, RememberSend in one Update) into 200 or
// 10,000 chats, from callers spread over one or two stores on one
// database. With few chats, nearly every two batches of the two nodes
// write a chat in common, and one of them runs again.
func BenchmarkSendMessageNodes(b *testing.B) {
	for _, chats := range []int64{200, 10_000} {
		for _, n := range []int{1, 2} {
			b.Run(fmt.Sprintf("chats=%d/nodes=%d", chats, n), func(b *testing.B) { benchSendNodes(b, chats, n) })
		}
	}
}

func benchSendNodes(b *testing.B, chats int64, n int) {
	_, nodes := openNodes(b, n)
	ctx := context.Background()
	now := time.Now().UTC()
	u := &haven.User{FirstName: "bench", CreatedAt: now, LastActiveAt: now}
	var ids []int64
	err := nodes[0].Update(ctx, func(tx core.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		for range chats {
			c := &haven.Chat{Kind: haven.ChatGroup, Title: "bench", CreatorID: u.ID, CreatedAt: now}
			if err := tx.CreateChat(ctx, c); err != nil {
				return err
			}
			ids = append(ids, c.ID)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var k, caller atomic.Int64
	c0, r0 := commits(nodes), retries(nodes)
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		s := nodes[int(caller.Add(1))%len(nodes)]
		for pb.Next() {
			r := k.Add(1)
			chatID := ids[r%chats]
			m := &haven.Message{ChatID: chatID, SenderID: u.ID, Date: now, Text: fmt.Sprintf("bench message %d", r)}
			err := s.Update(ctx, func(tx core.Tx) error {
				seq, id, err := tx.NextSeq(ctx, chatID, true, now)
				if err != nil {
					return err
				}
				m.ID = id
				if err := tx.InsertMessage(ctx, m); err != nil {
					return err
				}
				if err := tx.AppendEvent(ctx, &haven.Event{ChatID: chatID, Seq: seq, Kind: haven.EventMessageNew,
					MessageID: id, UserID: u.ID, Date: now}); err != nil {
					return err
				}
				return tx.RememberSend(ctx, u.ID, r, chatID, id, now)
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if c := commits(nodes) - c0; c > 0 {
		b.ReportMetric(float64(b.N)/float64(c), "updates/commit")
	}
	b.ReportMetric(float64(retries(nodes)-r0)/float64(b.N), "retries/op")
}
