package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlite"
)

func TestFTSQuery(t *testing.T) {
	for in, want := range map[string]string{
		"":                "",
		"   \t\n":         "",
		"!!! ☕ 🎉":         "",
		"hello":           `"hello"*`,
		"Hello, World!":   `"Hello"* "World"*`,
		`he said "hi"`:    `"he"* "said"* "hi"*`,
		`NEAR(a b) OR c*`: `"NEAR"* "a"* "b"* "OR"* "c"*`,
		`col:x ^y -z +w`:  `"col"* "x"* "y"* "z"* "w"*`,
		"Café naïve":      `"Café"* "naïve"*`,
		"e\u0301t\u00e9":  "\"e\u0301t\u00e9\"*", // combining marks stay in the term
		"日本語のテキスト":        `"日本語のテキスト"*`,
		"x_y":             `"x"* "y"*`,
		"1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17": `"1"* "2"* "3"* "4"* "5"* "6"* "7"* "8"* "9"* "10"* "11"* "12"* "13"* "14"* "15"* "16"*`,
		"\xff\xfeok": `"ok"*`,
	} {
		if got := sqlite.FTSQuery(in); got != want {
			t.Errorf("FTSQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzFTSQuery checks that whatever a person types, the query built from
// it is valid FTS5 syntax: it never fails in MATCH.
func FuzzFTSQuery(f *testing.F) {
	for _, s := range []string{"hello", `"`, `""*`, "NEAR(", "a OR", "*", "^", "(", ")", "a:b", "-", "\x00", "é", "\u0301"} {
		f.Add(s)
	}
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	defer db.Close()
	if _, err := db.Exec(`CREATE VIRTUAL TABLE search USING fts5 (text, content = '', contentless_delete = 1,
		tokenize = 'unicode61 remove_diacritics 2');
		INSERT INTO search (rowid, text) VALUES (1, 'hello world'), (2, 'Café naïve');`); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		q := sqlite.FTSQuery(in)
		if q == "" {
			return
		}
		rows, err := db.Query(`SELECT rowid FROM search WHERE search MATCH ?`, q)
		if err != nil {
			t.Fatalf("FTSQuery(%q) = %q: %v", in, q, err)
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("FTSQuery(%q) = %q: %v", in, q, err)
		}
		rows.Close()
	})
}

// searchFixture stores a user and a group they own.
func searchFixture(t *testing.T, s *sqlite.Store) (userID, chatID int64) {
	t.Helper()
	ctx := context.Background()
	u := testUser(1)
	c := &haven.Chat{Kind: haven.ChatGroup, Title: "g", CreatedAt: time.Now()}
	err := s.Update(ctx, func(tx core.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		c.CreatorID = u.ID
		if err := tx.CreateChat(ctx, c); err != nil {
			return err
		}
		return tx.PutMember(ctx, &haven.Member{ChatID: c.ID, UserID: u.ID, Role: haven.RoleOwner, JoinedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID, c.ID
}

// sendTexts stores one message per text, each with its message.new event,
// and between them chat.read events the indexer has nothing to do with;
// all in one Update.
func sendTexts(t *testing.T, s *sqlite.Store, userID, chatID int64, texts ...string) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx core.Tx) error {
		for _, text := range texts {
			seq, id, err := tx.NextSeq(ctx, chatID, true, time.Now())
			if err != nil {
				return err
			}
			if err := tx.InsertMessage(ctx, &haven.Message{ChatID: chatID, ID: id, SenderID: userID, Date: time.Now(), Text: text}); err != nil {
				return err
			}
			if err := tx.AppendEvent(ctx, &haven.Event{ChatID: chatID, Seq: seq, Kind: haven.EventMessageNew, MessageID: id, Date: time.Now()}); err != nil {
				return err
			}
			seq, _, err = tx.NextSeq(ctx, chatID, false, time.Now())
			if err != nil {
				return err
			}
			if err := tx.AppendEvent(ctx, &haven.Event{ChatID: chatID, Seq: seq, Kind: haven.EventRead, Date: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func searchCount(t *testing.T, s core.Queries, userID int64, query string) int {
	t.Helper()
	ms, err := s.SearchMessages(context.Background(), userID, nil, query, core.MessageRef{}, 10_000)
	if err != nil {
		t.Fatalf("SearchMessages: %v", err)
	}
	return len(ms)
}

// TestIndexerCatchesUpAfterCrash: messages acknowledged but not yet
// indexed when the process died are indexed when the store opens again.
func TestIndexerCatchesUpAfterCrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "haven.db")
	s := open(t, path)
	userID, chatID := searchFixture(t, s)
	sendTexts(t, s, userID, chatID, "indexed before")
	if err := s.WaitSearchIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	s.StopIndexer()
	sendTexts(t, s, userID, chatID, "written after", "also after")
	if n := searchCount(t, s, userID, "after"); n != 0 {
		t.Fatalf("%d messages found with the indexer stopped", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	defer s.Close()
	if err := s.WaitSearchIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := searchCount(t, s, userID, "after"); n != 2 {
		t.Errorf("after reopening, %d messages found, want 2", n)
	}
	if n := searchCount(t, s, userID, "indexed"); n != 1 {
		t.Errorf("the message indexed before is found %d times, want 1", n)
	}
	last, err := s.LastGID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cursor, err := s.SearchCursor(); err != nil || cursor != last {
		t.Errorf("stored search cursor = %d, %v; want %d", cursor, err, last)
	}
}

// TestIndexerWakesOnCommit: a message is searchable a moment after it is
// sent, well before the indexer's timer would fire.
func TestIndexerWakesOnCommit(t *testing.T) {
	s := openTemp(t)
	userID, chatID := searchFixture(t, s)
	sendTexts(t, s, userID, chatID, "quickly found")
	deadline := time.Now().Add(3 * time.Second)
	for searchCount(t, s, userID, "quickly") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a message was not searchable 3 s after it was sent")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestIndexerBatches indexes more events than one batch holds, mixed with
// events it skips.
func TestIndexerBatches(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	userID, chatID := searchFixture(t, s)
	n := 2*sqlite.IndexBatch + 100
	texts := make([]string, n)
	for i := range texts {
		texts[i] = fmt.Sprintf("batched message number%d", i)
	}
	sendTexts(t, s, userID, chatID, texts...)
	if err := s.WaitSearchIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if got := searchCount(t, s, userID, "batched"); got != n {
		t.Errorf("%d messages found, want %d", got, n)
	}
	if got := searchCount(t, s, userID, fmt.Sprint("number", n-1)); got != 1 {
		t.Errorf("the last message found %d times, want 1", got)
	}
	// Events the indexer skips move its cursor too.
	err := s.Update(ctx, func(tx core.Tx) error {
		seq, _, err := tx.NextSeq(ctx, chatID, false, time.Now())
		if err != nil {
			return err
		}
		return tx.AppendEvent(ctx, &haven.Event{ChatID: chatID, Seq: seq, Kind: haven.EventRead, Date: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.WaitSearchIndexed(waitCtx); err != nil {
		t.Errorf("WaitSearchIndexed after a chat.read event: %v", err)
	}
}

// TestWaitSearchIndexedAfterClose does not hang.
func TestWaitSearchIndexedAfterClose(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "haven.db"))
	userID, chatID := searchFixture(t, s)
	s.StopIndexer()
	sendTexts(t, s, userID, chatID, "never indexed")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.WaitSearchIndexed(ctx); err != sqlite.ErrClosed {
		t.Errorf("WaitSearchIndexed with the indexer stopped = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
