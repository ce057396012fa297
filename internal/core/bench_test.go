package core_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/api"
	"github.com/havenchat/haven/internal/bus/local"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlite"
)

// benchDir holds databases that benchmarks share across runs in one
// process (a million-message chat takes a while to build).
var benchDir = sync.OnceValue(func() string {
	d, err := os.MkdirTemp("", "haven-core-bench-")
	if err != nil {
		panic(err)
	}
	return d
})

func TestMain(m *testing.M) {
	code := m.Run()
	if d := benchDirIfMade(); d != "" {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

var benchDirMade atomic.Bool

func benchDirIfMade() string {
	if !benchDirMade.Load() {
		return ""
	}
	return benchDir()
}

func sharedDir() string {
	benchDirMade.Store(true)
	return benchDir()
}

// benchService opens a service on the database at path.
func benchService(b *testing.B, path string) (*core.Service, *sqlite.Store) {
	b.Helper()
	st, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := core.New(core.Config{
		Store:     st,
		Bus:       local.New(),
		Frames:    api.AppendFrame,
		Codes:     &codeBox{last: map[string]string{}},
		Passwords: fastPasswords(),
		Secret:    make([]byte, 32),
	})
	if err != nil {
		b.Fatal(err)
	}
	return svc, st
}

// seedUsers creates n users directly in the store.
func seedUsers(b *testing.B, st core.Store, n int) []int64 {
	ids := make([]int64, n)
	err := st.Update(context.Background(), func(tx core.Tx) error {
		now := time.Now()
		for i := range ids {
			u := &haven.User{FirstName: fmt.Sprintf("U%d", i), Phone: fmt.Sprintf("+4420794%05d", i), CreatedAt: now, LastActiveAt: now, AccountTTLDays: 365}
			if err := tx.CreateUser(context.Background(), u); err != nil {
				return err
			}
			ids[i] = u.ID
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

// BenchmarkSendPrivate measures durable sends through the use case: each
// op is one message in one of 1,000 private chats, acknowledged only
// after its group commit, with its push published. Database: 1,000 chats
// plus what the benchmark adds.
func BenchmarkSendPrivate(b *testing.B) {
	svc, st := benchService(b, filepath.Join(b.TempDir(), "send.db"))
	defer st.Close()
	users := seedUsers(b, st, 2000)
	ctx := context.Background()
	// Each sender found their peer (as by username), then opens the chat.
	if err := st.Update(ctx, func(tx core.Tx) error {
		for i := 0; i < 1000; i++ {
			if err := tx.MarkFound(ctx, users[2*i], []int64{users[2*i+1]}, time.Now()); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		a := &core.Actor{UserID: users[2*i]}
		if _, err := svc.Send(ctx, a, core.Peer{UserID: users[2*i+1]}, core.SendInput{Text: "hi", RandomID: int64(i + 1)}); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	next.Store(10_000)
	var chat atomic.Int64
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(chat.Add(1)) % 1000
		a := &core.Actor{UserID: users[2*i]}
		to := core.Peer{UserID: users[2*i+1]}
		for pb.Next() {
			if _, err := svc.Send(ctx, a, to, core.SendInput{Text: "a message of ordinary length, say forty chars", RandomID: next.Add(1)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// bigChat builds (once per process) a group with n messages, written
// straight through the store in large transactions.
func bigChat(b *testing.B, n int) (path string, chatID, member int64) {
	path = filepath.Join(sharedDir(), fmt.Sprintf("big-%d.db", n))
	meta := path + ".meta"
	if data, err := os.ReadFile(meta); err == nil {
		fmt.Sscan(string(data), &chatID, &member)
		return path, chatID, member
	}
	st, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	member = seedUsers(b, st, 1)[0]
	now := time.Now().Add(-time.Hour)
	err = st.Update(ctx, func(tx core.Tx) error {
		c := &haven.Chat{Kind: haven.ChatGroup, Title: "big", CreatorID: member, CreatedAt: now, LastEventAt: now, MemberCount: 1, DefaultRights: haven.DefaultMemberRights}
		if err := tx.CreateChat(ctx, c); err != nil {
			return err
		}
		chatID = c.ID
		return tx.PutMember(ctx, &haven.Member{ChatID: c.ID, UserID: member, Role: haven.RoleOwner, Rights: haven.AllAdminRights, JoinedAt: now})
	})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 50_000
	for done := 0; done < n; done += batch {
		err := st.Update(ctx, func(tx core.Tx) error {
			for i := 0; i < batch && done+i < n; i++ {
				seq, id, err := tx.NextSeq(ctx, chatID, true, now)
				if err != nil {
					return err
				}
				m := &haven.Message{ChatID: chatID, ID: id, SenderID: member, Date: now, Text: fmt.Sprintf("message number %d with some words", id)}
				if err := tx.InsertMessage(ctx, m); err != nil {
					return err
				}
				if err := tx.AppendEvent(ctx, &haven.Event{ChatID: chatID, Seq: seq, Kind: haven.EventMessageNew, MessageID: id, UserID: member, Date: now}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(meta, []byte(fmt.Sprintf("%d %d", chatID, member)), 0o600); err != nil {
		b.Fatal(err)
	}
	return path, chatID, member
}

// BenchmarkHistoryPage reads 50 messages (with reactions) at random depths
// of a chat of 1,000,000 messages, through the use case.
func BenchmarkHistoryPage(b *testing.B) {
	path, chatID, member := bigChat(b, 1_000_000)
	svc, st := benchService(b, path)
	defer st.Close()
	a := &core.Actor{UserID: member}
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		before := int64(1_000_000 - (i*7919)%999_000)
		ms, err := svc.History(ctx, a, chatID, core.HistoryQuery{BeforeID: before, Limit: 50})
		if err != nil || len(ms) != 50 {
			b.Fatalf("%d messages, %v", len(ms), err)
		}
	}
}

// BenchmarkChatDifference10k fetches the 10,000 events a client missed
// in one call, messages included, from the chat of 1,000,000 messages.
func BenchmarkChatDifference10k(b *testing.B) {
	path, chatID, member := bigChat(b, 1_000_000)
	svc, st := benchService(b, path)
	defer st.Close()
	a := &core.Actor{UserID: member}
	ctx := context.Background()
	c, err := st.ChatByID(ctx, chatID)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		d, err := svc.GetChatDifference(ctx, a, chatID, c.Seq-10_000, 10_000)
		if err != nil || len(d.Events) != 10_000 || d.More {
			b.Fatalf("%d events, more=%v, %v", len(d.Events), d.More, err)
		}
	}
}
