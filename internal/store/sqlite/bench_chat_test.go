package sqlite_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlite"
)

// The messaging benchmarks run on databases of a stated size (DESIGN.md:
// a figure means nothing without it). Each database is built once per
// process, in bulk (one transaction of INSERT ... SELECT through the
// writer), as a template that every benchmark run copies, so that b.N
// rounds and -count repetitions start from the same state.

var templates struct {
	dir  string
	mu   sync.Mutex
	made map[string]string // name -> path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if templates.dir != "" {
		os.RemoveAll(templates.dir)
	}
	os.Exit(code)
}

// template returns the path of the named template database, building it
// with fill on first use.
func template(b *testing.B, name string, fill func(s *sqlite.Store) error) string {
	b.Helper()
	templates.mu.Lock()
	defer templates.mu.Unlock()
	if p, ok := templates.made[name]; ok {
		return p
	}
	if templates.dir == "" {
		dir, err := os.MkdirTemp("", "haven-bench-")
		if err != nil {
			b.Fatal(err)
		}
		templates.dir, templates.made = dir, map[string]string{}
	}
	p := filepath.Join(templates.dir, name+".db")
	start := time.Now()
	s, err := sqlite.Open(context.Background(), p, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := fill(s); err != nil {
		s.Close()
		b.Fatalf("fill %s: %v", name, err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %s (%.0f MB) in %v", name, fileMB(p), time.Since(start).Round(time.Millisecond))
	if name == "sends" {
		b.Logf("indexing its %d messages took %v", sendMessages, indexTime.Round(time.Millisecond))
	}
	templates.made[name] = p
	return p
}

// dbFiles are the files of a store at path: the database and its search
// index, each with its WAL.
func dbFiles(path string) []string {
	search := sqlite.SearchPath(path)
	return []string{path, path + "-wal", search, search + "-wal"}
}

// openCopy opens a copy of a template in the benchmark's directory.
func openCopy(b *testing.B, template string) (*sqlite.Store, float64) {
	b.Helper()
	dst := filepath.Join(b.TempDir(), "haven.db")
	for i, from := range dbFiles(template) {
		to := dbFiles(dst)[i]
		in, err := os.Open(from)
		if os.IsNotExist(err) && from != template {
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		out, err := os.Create(to)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			b.Fatal(err)
		}
		in.Close()
		if err := out.Close(); err != nil {
			b.Fatal(err)
		}
	}
	s := open(b, dst)
	b.Cleanup(func() { s.Close() })
	return s, fileMB(dst)
}

// fileMB is the size of the store at path: the database and its search
// index.
func fileMB(path string) float64 {
	var n int64
	for _, f := range dbFiles(path) {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return float64(n) / (1 << 20)
}

// benchT0 is the fixtures' time origin, in unix milliseconds.
const benchT0 = 1_700_000_000_000

// series is a recursive CTE of i = 0 .. n-1, to INSERT ... SELECT from.
func series(n int) string {
	return fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %d) `, n-1)
}

// The send benchmark's database: DESIGN.md's calibration state, 1,000
// groups (user i owns chat i) holding 200,000 messages sent round-robin,
// each with its message.new event and its send record, all indexed for
// search.
const (
	sendChats    = 1000
	sendMessages = 200_000
)

func fillSends(s *sqlite.Store) error {
	ctx := context.Background()
	text := `'message ' || i || ' in chat ' || (i % 1000 + 1) || ': lorem ipsum dolor sit amet, consectetur adipiscing'`
	err := s.Exec(ctx,
		series(sendChats)+fmt.Sprintf(`INSERT INTO users (id, first_name, username, username_canon, created_at,
			last_active_at, account_ttl_days) SELECT i + 1, 'User', 'bench_' || i, 'bench_' || i, %d, %d, 365 FROM n`, benchT0, benchT0),
		series(sendChats)+`INSERT INTO usernames (username_canon, user_id) SELECT 'bench_' || i, i + 1 FROM n`,
		series(sendChats)+fmt.Sprintf(`INSERT INTO chats (id, kind, title, creator_id, created_at, seq, top_message_id,
			last_event_at, member_count) SELECT i + 1, 'group', 'Chat ' || i, i + 1, %d, %d, %d, %d, 1 FROM n`,
			benchT0, sendMessages/sendChats, sendMessages/sendChats, benchT0+sendMessages),
		fmt.Sprintf(`INSERT INTO members (chat_id, user_id, role, rights, joined_at)
			SELECT id, id, 'owner', %d, %d FROM chats`, haven.AllAdminRights, benchT0),
		series(sendMessages)+fmt.Sprintf(`INSERT INTO messages (chat_id, id, sender_id, date, text)
			SELECT i %% 1000 + 1, i / 1000 + 1, i %% 1000 + 1, %d + i, %s FROM n`, benchT0, text),
		series(sendMessages)+fmt.Sprintf(`INSERT INTO events (chat_id, seq, kind, message_id, user_id, date)
			SELECT i %% 1000 + 1, i / 1000 + 1, 'message.new', i / 1000 + 1, i %% 1000 + 1, %d + i FROM n`, benchT0),
		series(sendMessages)+fmt.Sprintf(`INSERT INTO sends (sender_id, random_id, chat_id, msg_id, created_at)
			SELECT i %% 1000 + 1, random(), i %% 1000 + 1, i / 1000 + 1, %d + i FROM n`, benchT0),
	)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := s.WaitSearchIndexed(ctx); err != nil {
		return err
	}
	indexTime = time.Since(start)
	return nil
}

// indexTime is how long the indexer took to index the send fixture.
var indexTime time.Duration

// BenchmarkSendMessage measures the write of one message as the core
// makes it: NextSeq, InsertMessage, AppendEvent and RememberSend in one
// Update, from many concurrent senders (so in group-commit batches), over
// 1,000 chats holding 200,000 messages. "indexed" includes the search
// indexing that follows (the timer stops once the index has caught up);
// "unindexed" has the indexer stopped.
func BenchmarkSendMessage(b *testing.B) {
	for _, indexed := range []bool{true, false} {
		name := "unindexed"
		if indexed {
			name = "indexed"
		}
		b.Run(name, func(b *testing.B) { benchSend(b, indexed) })
	}
}

func benchSend(b *testing.B, indexed bool) {
	s, mb := openCopy(b, template(b, "sends", fillSends))
	if !indexed {
		s.StopIndexer()
	}
	ctx := context.Background()
	var (
		randomID atomic.Int64
		seeds    atomic.Uint64
	)
	// The fixture's random_ids are random 64-bit numbers: a collision
	// with these is as likely as with a client's.
	randomID.Store(1 << 40)
	commits := s.Commits()
	b.SetParallelism(64) // 64 senders per GOMAXPROCS
	cpu := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(seeds.Add(1), 42))
		for pb.Next() {
			chatID := int64(rng.IntN(sendChats)) + 1
			r := randomID.Add(1)
			now := time.Now()
			m := &haven.Message{ChatID: chatID, SenderID: chatID, Date: now,
				Text: fmt.Sprintf("bench message %d: lorem ipsum dolor sit amet", r)}
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
					MessageID: id, UserID: chatID, Date: now}); err != nil {
					return err
				}
				return tx.RememberSend(ctx, chatID, r, chatID, id, now)
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	if indexed {
		if err := s.WaitSearchIndexed(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// The process's CPU time per message is steadier than the rate on a
	// machine shared with other work, and the write path is CPU-bound.
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(mb, "MB-db")
	if c := s.Commits() - commits; c > 0 {
		b.ReportMetric(float64(b.N)/float64(c), "updates/commit")
	}
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The history benchmark's database: one chat of 1,000,000 messages.
const historyMessages = 1_000_000

func fillHistory(s *sqlite.Store) error {
	ctx := context.Background()
	return s.Exec(ctx,
		fmt.Sprintf(`INSERT INTO users (id, first_name, created_at, last_active_at, account_ttl_days)
			VALUES (1, 'Reader', %d, %d, 365), (2, 'Writer', %d, %d, 365)`, benchT0, benchT0, benchT0, benchT0),
		fmt.Sprintf(`INSERT INTO chats (id, kind, title, creator_id, created_at, seq, top_message_id, last_event_at)
			VALUES (1, 'group', 'Big', 2, %d, %d, %d, %d)`, benchT0, historyMessages, historyMessages, benchT0),
		fmt.Sprintf(`INSERT INTO members (chat_id, user_id, role, joined_at) VALUES (1, 1, 'member', %d), (1, 2, 'owner', %d)`, benchT0, benchT0),
		series(historyMessages)+fmt.Sprintf(`INSERT INTO messages (chat_id, id, sender_id, date, text)
			SELECT 1, i + 1, 2, %d + i * 1000,
				'message ' || (i + 1) || ': the quick brown fox jumps over the lazy dog, again and again' FROM n`, benchT0),
	)
}

// BenchmarkHistoryPage measures the page a client opens a chat with: 50
// messages of a chat of 1,000,000, as the reader sees them (hidden ones
// skipped). "newest" is the top of the chat; "random" pages anywhere in
// it. p50 and p99 are of single calls.
func BenchmarkHistoryPage(b *testing.B) {
	for _, random := range []bool{false, true} {
		name := "newest"
		if random {
			name = "random"
		}
		b.Run(name, func(b *testing.B) {
			s, mb := openCopy(b, template(b, "history", fillHistory))
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(1, 2))
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				maxID := int64(historyMessages)
				if random {
					maxID = 50 + rng.Int64N(historyMessages-50)
				}
				start := time.Now()
				ms, err := s.History(ctx, 1, 1, 1, maxID, 50, true)
				lat = append(lat, time.Since(start))
				if err != nil || len(ms) != 50 {
					b.Fatalf("History = %d messages, %v", len(ms), err)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(mb, "MB-db")
		})
	}
}

// The dialogs benchmark's database: 10,000 groups of three events each;
// user 1 is in chats 1 to 1,000, user 2 in all 10,000.
const dialogChats = 10_000

func fillDialogs(s *sqlite.Store) error {
	ctx := context.Background()
	return s.Exec(ctx,
		fmt.Sprintf(`INSERT INTO users (id, first_name, created_at, last_active_at, account_ttl_days)
			VALUES (1, 'Some', %d, %d, 365), (2, 'Many', %d, %d, 365), (3, 'Owner', %d, %d, 365)`,
			benchT0, benchT0, benchT0, benchT0, benchT0, benchT0),
		// Activity times are shuffled, so that the order is not the ids'.
		series(dialogChats)+fmt.Sprintf(`INSERT INTO chats (id, kind, title, creator_id, created_at, seq, top_message_id,
			last_event_at, member_count) SELECT i + 1, 'group', 'Chat ' || i, 3, %d, 3, 3, %d + (i * 7919) %% 100000, 3 FROM n`,
			benchT0, benchT0),
		series(3*dialogChats)+fmt.Sprintf(`INSERT INTO events (chat_id, seq, kind, message_id, user_id, date)
			SELECT i %% %d + 1, i / %d + 1, 'message.new', i / %d + 1, 3, %d + i FROM n`,
			dialogChats, dialogChats, dialogChats, benchT0),
		fmt.Sprintf(`INSERT INTO members (chat_id, user_id, role, joined_at, read_inbox_max_id)
			SELECT id, 2, 'member', %d, 2 FROM chats`, benchT0),
		fmt.Sprintf(`INSERT INTO members (chat_id, user_id, role, joined_at, read_inbox_max_id)
			SELECT id, 1, 'member', %d, 2 FROM chats WHERE id <= 1000`, benchT0),
		fmt.Sprintf(`INSERT INTO members (chat_id, user_id, role, joined_at) SELECT id, 3, 'owner', %d FROM chats`, benchT0),
	)
}

// BenchmarkDialogs measures the dialog list a client loads on start
// (since 0) and on resync (since a recent GID: few chats changed), for a
// person in 1,000 chats and one in 10,000.
func BenchmarkDialogs(b *testing.B) {
	for _, tc := range []struct {
		name  string
		user  int64
		chats int
	}{{"1000chats", 1, 1000}, {"10000chats", 2, dialogChats}} {
		for _, since := range []string{"all", "recent"} {
			b.Run(tc.name+"/"+since, func(b *testing.B) {
				s, mb := openCopy(b, template(b, "dialogs", fillDialogs))
				ctx := context.Background()
				var sinceGID int64
				want := tc.chats
				if since == "recent" {
					last, err := s.LastGID(ctx)
					if err != nil {
						b.Fatal(err)
					}
					// The last 100 events, of the 100 highest chats.
					sinceGID, want = last-100, min(100, max(0, tc.chats-(dialogChats-100)))
				}
				b.ResetTimer()
				for range b.N {
					ds, err := s.Dialogs(ctx, tc.user, sinceGID)
					if err != nil || len(ds) != want {
						b.Fatalf("Dialogs = %d, %v; want %d", len(ds), err, want)
					}
				}
				b.StopTimer()
				b.ReportMetric(mb, "MB-db")
			})
		}
	}
}
