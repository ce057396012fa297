// Command sqlitedrivers compares the two SQLite drivers for Go at
// Haven's write path: the pure-Go modernc.org/sqlite, which Haven uses,
// and the cgo github.com/mattn/go-sqlite3. Each posts messages the way
// Haven's writer does (a messages row, an events row, a sends row and the
// chat's sequence per message, WAL, synchronous=FULL, statements
// prepared once), in transactions of --batch messages, and prints
// messages per second. See docs/decisions/0010-sqlite-driver.md.
//
// It is its own module so that Haven's build never needs cgo:
//
//	cd tools/sqlitedrivers && go run . --messages 20000 --batch 1,16,64
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/mattn/go-sqlite3" // "sqlite3", cgo
	_ "modernc.org/sqlite"          // "sqlite", pure Go
)

const schema = `
CREATE TABLE chats (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL DEFAULT 0, top_message_id INTEGER NOT NULL DEFAULT 0, last_event_at INTEGER NOT NULL DEFAULT 0);
CREATE TABLE messages (chat_id INTEGER NOT NULL, id INTEGER NOT NULL, sender_id INTEGER NOT NULL, date INTEGER NOT NULL,
	reply_to_id INTEGER NOT NULL DEFAULT 0, expires_at INTEGER, text TEXT NOT NULL DEFAULT '', entities TEXT,
	PRIMARY KEY (chat_id, id)) WITHOUT ROWID;
CREATE INDEX messages_expires_at ON messages (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE events (gid INTEGER PRIMARY KEY AUTOINCREMENT, chat_id INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
	user_id INTEGER NOT NULL, data BLOB, at INTEGER NOT NULL);
CREATE UNIQUE INDEX events_chat_seq ON events (chat_id, seq);
CREATE TABLE sends (user_id INTEGER NOT NULL, random_id INTEGER NOT NULL, chat_id INTEGER NOT NULL, message_id INTEGER NOT NULL,
	at INTEGER NOT NULL, PRIMARY KEY (user_id, random_id)) WITHOUT ROWID;
`

func main() {
	messages := flag.Int("messages", 20000, "messages per run")
	batches := flag.String("batch", "1,16,64", "messages per transaction, comma-separated")
	runs := flag.Int("runs", 3, "runs per driver and batch (the median is printed)")
	chats := flag.Int("chats", 50, "chats the messages go to, in turn")
	flag.Parse()
	fmt.Printf("%-8s %6s %12s %14s   (medians of %d runs of %d messages, WAL, synchronous=FULL)\n", "driver", "batch", "messages/s", "CPU µs/message", *runs, *messages)
	for _, driver := range []string{"sqlite", "sqlite3"} {
		db, err := sql.Open(driver, ":memory:")
		if err != nil {
			fail(err)
		}
		var v string
		if err := db.QueryRow(`SELECT sqlite_version()`).Scan(&v); err != nil {
			fail(err)
		}
		db.Close()
		fmt.Printf("%s: SQLite %s\n", driver, v)
	}
	for _, b := range strings.Split(*batches, ",") {
		batch, err := strconv.Atoi(b)
		if err != nil || batch < 1 {
			fail(fmt.Errorf("bad --batch %q", b))
		}
		for _, driver := range []string{"sqlite", "sqlite3"} {
			var rates, cpus []float64
			for range *runs {
				before := cpuTime()
				r, err := run(driver, *messages, batch, *chats)
				if err != nil {
					fail(err)
				}
				rates = append(rates, r)
				cpus = append(cpus, float64((cpuTime()-before).Microseconds())/float64(*messages))
			}
			slices.Sort(rates)
			slices.Sort(cpus)
			name := map[string]string{"sqlite": "modernc", "sqlite3": "mattn"}[driver]
			fmt.Printf("%-8s %6d %12.0f %14.1f   (runs: %s)\n", name, batch, rates[len(rates)/2], cpus[len(cpus)/2], fmtRates(rates))
		}
	}
}

func fmtRates(rs []float64) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = strconv.FormatFloat(r, 'f', 0, 64)
	}
	return strings.Join(s, " ")
}

// run posts n messages through driver in transactions of batch and
// returns messages per second.
func run(driver string, n, batch, chats int) (float64, error) {
	dir, err := os.MkdirTemp("", "sqlitedrivers")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "bench.db")
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	if driver == "sqlite3" {
		dsn = "file:" + path + "?_journal_mode=WAL&_synchronous=FULL"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		return 0, fmt.Errorf("%s: schema: %w", driver, err)
	}
	for c := 1; c <= chats; c++ {
		if _, err := db.Exec(`INSERT INTO chats (id) VALUES (?)`, c); err != nil {
			return 0, err
		}
	}
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		return 0, fmt.Errorf("%s: journal_mode %q, %v", driver, mode, err)
	}
	var sync int
	if err := db.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil || sync != 2 {
		return 0, fmt.Errorf("%s: synchronous %d, %v", driver, sync, err)
	}
	seq, err := db.Prepare(`UPDATE chats SET seq = seq + 1, top_message_id = top_message_id + 1, last_event_at = max(last_event_at, ?) WHERE id = ? RETURNING seq, top_message_id`)
	if err != nil {
		return 0, err
	}
	msg, err := db.Prepare(`INSERT INTO messages (chat_id, id, sender_id, date, text) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	ev, err := db.Prepare(`INSERT INTO events (chat_id, seq, kind, user_id, data, at) VALUES (?, ?, 'message.new', ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	snd, err := db.Prepare(`INSERT INTO sends (user_id, random_id, chat_id, message_id, at) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	data := []byte(`{"id":0,"chat_id":0,"sender_id":0,"date":0,"text":"a message of some forty characters here"}`)
	start := time.Now()
	for i := 0; i < n; {
		tx, err := db.Begin()
		if err != nil {
			return 0, err
		}
		for j := 0; j < batch && i < n; j, i = j+1, i+1 {
			chat := int64(i%chats + 1)
			at := time.Now().UnixMilli()
			var s, id int64
			if err := tx.Stmt(seq).QueryRow(at, chat).Scan(&s, &id); err != nil {
				return 0, err
			}
			if _, err := tx.Stmt(msg).Exec(chat, id, chat, at, "a message of some forty characters here"); err != nil {
				return 0, err
			}
			if _, err := tx.Stmt(ev).Exec(chat, s, chat, data, at); err != nil {
				return 0, err
			}
			if _, err := tx.Stmt(snd).Exec(chat, int64(i)+1, chat, id, at); err != nil {
				return 0, err
			}
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fail(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sqlitedrivers:", err)
	os.Exit(1)
}
