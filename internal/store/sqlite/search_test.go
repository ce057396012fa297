package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
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

// copyStore copies the files of the closed store at from (the database,
// its search index, or both) over those at to.
func copyStore(t *testing.T, from, to string, main, search bool) {
	t.Helper()
	var files [][2]string // from, to
	if main {
		files = append(files, [2]string{from, to})
	}
	if search {
		files = append(files, [2]string{sqlite.SearchPath(from), sqlite.SearchPath(to)})
	}
	for _, ft := range files {
		removeDB(t, ft[1])
		for _, f := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(ft[0] + f)
			if os.IsNotExist(err) && f != "" {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(ft[1]+f, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestSearchIndexOwnFile: the index is written to its own file, not the
// main database, and is found by the store's searches.
func TestSearchIndexOwnFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "haven.db")
	if want := path + "-search.db"; sqlite.SearchPath(path) != want {
		t.Fatalf("SearchPath(%q) = %q, want %q", path, sqlite.SearchPath(path), want)
	}
	s := open(t, path)
	userID, chatID := searchFixture(t, s)
	sendTexts(t, s, userID, chatID, "separately indexed words")
	if err := s.WaitSearchIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := searchCount(t, s, userID, "separately"); n != 1 {
		t.Errorf("%d messages found, want 1", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, sqlite.SearchPath(path))
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM search WHERE search MATCH 'separately'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the search file holds %d entries for the message (%v), want 1", n, err)
	}
	// FTS5's secure-delete is on: a deletion takes the words out of the
	// index's pages (erase.go).
	var secure string
	if err := db.QueryRow(`SELECT v FROM search_config WHERE k = 'secure-delete'`).Scan(&secure); err != nil || secure != "1" {
		t.Errorf("the search table's secure-delete = %q, %v; want 1", secure, err)
	}
}

// TestSearchIndexRebuiltWhenDeleted: an index file that is gone is made
// again from the whole log.
func TestSearchIndexRebuiltWhenDeleted(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "haven.db")
	s := open(t, path)
	userID, chatID := searchFixture(t, s)
	texts := make([]string, sqlite.IndexBatch+10)
	for i := range texts {
		texts[i] = fmt.Sprint("rebuilt message ", i)
	}
	sendTexts(t, s, userID, chatID, texts...)
	if err := s.WaitSearchIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	removeDB(t, sqlite.SearchPath(path))
	s = open(t, path)
	defer s.Close()
	if err := s.WaitSearchIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := searchCount(t, s, userID, "rebuilt"); n != len(texts) {
		t.Errorf("after deleting the index, %d messages found, want %d", n, len(texts))
	}
}

// TestSearchIndexRebuiltWhenAhead: a database restored from an older copy
// beside a newer index has the index rebuilt, rather than answering with
// messages it no longer has and failing on the ids it gives again.
func TestSearchIndexRebuiltWhenAhead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, backup := filepath.Join(dir, "haven.db"), filepath.Join(dir, "backup.db")
	s := open(t, path)
	userID, chatID := searchFixture(t, s)
	sendTexts(t, s, userID, chatID, "from before the backup")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	copyStore(t, path, backup, true, false)

	s = open(t, path)
	sendTexts(t, s, userID, chatID, "lost with the restore", "also lost")
	if err := s.WaitSearchIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	copyStore(t, backup, path, true, false) // the database only

	s = open(t, path)
	defer s.Close()
	if err := s.WaitSearchIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := searchCount(t, s, userID, "lost"); n != 0 {
		t.Errorf("%d messages of the newer index found", n)
	}
	if n := searchCount(t, s, userID, "before"); n != 1 {
		t.Errorf("the restored database's message found %d times, want 1", n)
	}
	// The message ids the lost messages had are given again, and indexed.
	sendTexts(t, s, userID, chatID, "sent after the restore", "and another")
	if err := s.WaitSearchIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := searchCount(t, s, userID, "restore"); n != 1 {
		t.Errorf("a message sent after the restore found %d times, want 1", n)
	}
	if n := searchCount(t, s, userID, "another"); n != 1 {
		t.Errorf("a message sent after the restore found %d times, want 1", n)
	}
}

// TestSearchIndexOfAnotherDatabase: an index made from another database's
// log, even one that is behind this one's, is rebuilt from this one's,
// and the other's words leave the file.
func TestSearchIndexOfAnotherDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, other := filepath.Join(dir, "haven.db"), filepath.Join(dir, "other.db")
	s := open(t, other)
	userID, chatID := searchFixture(t, s)
	sendTexts(t, s, userID, chatID, "foreign wordsofanotherdatabase")
	if err := s.WaitSearchIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	userID, chatID = searchFixture(t, s)
	sendTexts(t, s, userID, chatID, "native one", "native two", "native three")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	copyStore(t, other, path, false, true) // the other's index, behind this log

	s = open(t, path)
	defer s.Close()
	if err := s.WaitSearchIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := searchCount(t, s, userID, "native"); n != 3 {
		t.Errorf("%d of this database's messages found, want 3", n)
	}
	if n := searchCount(t, s, userID, "foreign"); n != 0 {
		t.Errorf("%d messages of the other database's index found", n)
	}
	// Once the index's WAL is checkpointed, a moment after the rebuild.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var in []string
		for _, f := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(sqlite.SearchPath(path) + f)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte("wordsofanotherdatabase")) {
				in = append(in, "search"+f)
			}
		}
		if len(in) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other database's words are still in %v 30s after the rebuild", in)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
