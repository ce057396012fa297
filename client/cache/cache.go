// Package cache keeps, in one SQLite file, what a Haven client needs to
// start again where it stopped: the state of the sync engine, the
// person's dialogs and the recent messages of each chat.
//
// A [*Cache] is a [client.Store]: pass it to
// [client.Client.UpdatesWithStore], and a restarted program resumes from
// the cache and asks the server only for the difference. Each event of
// the stream is applied to the cached dialogs and messages in the same
// transaction as the state that follows it, so the two always agree.
//
// The package is apart from client so that programs that keep no cache
// do not link SQLite.
package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/havenchat/haven/client"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

// DefaultKeep is how many messages per chat a cache keeps by default.
const DefaultKeep = 500

// schemaVersion is the PRAGMA user_version of the schema below.
const schemaVersion = 2

// schema is the whole schema. Dialogs and messages are kept as the
// server's JSON, with the columns the queries need beside it.
const schema = `
CREATE TABLE state (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	pts INTEGER NOT NULL,
	gid INTEGER NOT NULL
);
-- The seq of the last event the sync engine applied, per chat.
CREATE TABLE seqs (
	chat_id INTEGER PRIMARY KEY,
	seq     INTEGER NOT NULL
);
-- seq: the chat's seq that data reflects; info_seq: the chat's seq when
-- its description and settings (what only a fetch brings) were fetched;
-- activity: the date of its last event; pin_rank: 0 when not pinned,
-- higher for the ones pinned later.
CREATE TABLE dialogs (
	chat_id  INTEGER PRIMARY KEY,
	seq      INTEGER NOT NULL,
	pin_rank INTEGER NOT NULL,
	activity INTEGER NOT NULL,
	data     TEXT NOT NULL,
	info_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX dialogs_order ON dialogs (pin_rank DESC, activity DESC, chat_id DESC);
CREATE TABLE messages (
	chat_id   INTEGER NOT NULL,
	id        INTEGER NOT NULL,
	sender_id INTEGER NOT NULL,
	data      TEXT NOT NULL,
	PRIMARY KEY (chat_id, id)
) WITHOUT ROWID;
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
`

// Cache is a cache on disk. It is safe for concurrent use.
type Cache struct {
	db   *sql.DB
	keep int
}

// Option configures a [Cache] opened by [Open].
type Option func(*Cache)

// KeepMessages sets how many of the newest messages of each chat the
// cache keeps (DefaultKeep by default; at least 1).
func KeepMessages(n int) Option { return func(c *Cache) { c.keep = max(n, 1) } }

// Open opens the cache at path, creating the file when there is none.
// It fails if the file is not a cache, or one of a later version.
func Open(path string, opts ...Option) (*Cache, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("cache: open %s: %w", path, err)
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(5000)"} {
		q.Add("_pragma", p)
	}
	dsn := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("cache: open %s: %w", path, err)
	}
	// One connection: a client's cache sees little traffic, and its
	// writes are then never refused for a lock held by another of ours.
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	c := &Cache{db: db, keep: DefaultKeep}
	for _, o := range opts {
		o(c)
	}
	if err := c.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("cache: %s: %w", path, err)
	}
	return c, nil
}

func (c *Cache) migrate(ctx context.Context) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	switch v {
	case schemaVersion:
		return nil
	case 1:
		// Version 1 had no info_seq: a chat fetched at any seq updates
		// the dialog until it is fetched again.
		if _, err := tx.ExecContext(ctx, "ALTER TABLE dialogs ADD COLUMN info_seq INTEGER NOT NULL DEFAULT 0"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
			return err
		}
		return tx.Commit()
	case 0:
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errors.New("not a Haven cache (it has tables but no schema version)")
		}
	default:
		return fmt.Errorf("schema version %d, this version knows %d: written by a later version?", v, schemaVersion)
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

// Close closes the cache. Stop the stream that saves into it first (wait
// for its channel to close).
func (c *Cache) Close() error { return c.db.Close() }

// LoadState returns the stored state of the sync engine, or
// client.ErrNoState when none was saved yet. It implements
// [client.Store].
func (c *Cache) LoadState(ctx context.Context) (*client.SyncState, error) {
	st := &client.SyncState{Seqs: make(map[int64]int64)}
	err := c.db.QueryRowContext(ctx, "SELECT pts, gid FROM state WHERE id = 1").Scan(&st.Pts, &st.Gid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, client.ErrNoState
	}
	if err != nil {
		return nil, fmt.Errorf("cache: loading the state: %w", err)
	}
	rows, err := c.db.QueryContext(ctx, "SELECT chat_id, seq FROM seqs")
	if err != nil {
		return nil, fmt.Errorf("cache: loading the state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, fmt.Errorf("cache: loading the state: %w", err)
		}
		st.Seqs[id] = seq
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cache: loading the state: %w", err)
	}
	return st, nil
}

// Dialogs returns the cached dialogs in the order of dialogs.list: the
// pinned ones first (the one pinned last first), then by last activity,
// newest first. A dialog's unread count is derived from the events since
// the server last sent it (see [Cache.Save]).
func (c *Cache) Dialogs(ctx context.Context) ([]client.Dialog, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT data FROM dialogs ORDER BY pin_rank DESC, activity DESC, chat_id DESC")
	if err != nil {
		return nil, fmt.Errorf("cache: dialogs: %w", err)
	}
	defer rows.Close()
	ds := []client.Dialog{}
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("cache: dialogs: %w", err)
		}
		var d client.Dialog
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("cache: dialogs: %w", err)
		}
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cache: dialogs: %w", err)
	}
	return ds, nil
}

// History returns up to limit (100 when limit <= 0) cached messages of
// a chat with ids below beforeID (0: from the newest), newest first, as
// messages.history does. The cache holds the messages that came on the
// stream since it started to follow the chat, and those saved with
// [Cache.SaveHistory], at most the newest KeepMessages of each chat.
func (c *Cache) History(ctx context.Context, chatID, beforeID int64, limit int) ([]client.Message, error) {
	if limit <= 0 {
		limit = 100
	}
	if beforeID <= 0 {
		beforeID = 1<<63 - 1
	}
	rows, err := c.db.QueryContext(ctx, "SELECT data FROM messages WHERE chat_id = ? AND id < ? ORDER BY id DESC LIMIT ?", chatID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("cache: history of %d: %w", chatID, err)
	}
	defer rows.Close()
	ms := []client.Message{}
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("cache: history of %d: %w", chatID, err)
		}
		var m client.Message
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("cache: history of %d: %w", chatID, err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cache: history of %d: %w", chatID, err)
	}
	return ms, nil
}

// SaveDialogs stores dialogs the program fetched (dialogs.list,
// chats.get, dialogs.update …). A dialog replaces the cached one unless
// the cached one reflects a later event of the chat. It does not touch
// the state of the sync engine.
func (c *Cache) SaveDialogs(ctx context.Context, ds []client.Dialog) error {
	return c.update(ctx, "saving dialogs", func(t *tx) error { return t.putDialogs(ds, false) })
}

// SaveHistory stores messages of a chat the program fetched
// (messages.history, messages.get …). Call it after the stream has
// started: a start from scratch drops the messages of the chats it may
// have missed events of.
func (c *Cache) SaveHistory(ctx context.Context, chatID int64, ms []client.Message) error {
	return c.update(ctx, "saving history", func(t *tx) error {
		for i := range ms {
			m := ms[i]
			m.ChatID = chatID
			if err := t.putMessage(&m); err != nil {
				return err
			}
		}
		return t.trim(chatID)
	})
}

// SaveChat stores a chat the program fetched (chats.get), as a
// "chat.update" or "member.update" event asks it to: its title,
// description, username, photo, settings and the person's role. The
// dialog keeps its place in the log (its seq and top message move with
// the events only). A chat older than the one the cache last had (from
// a fetch or a dialog list), or one it has no dialog of, is ignored.
//
// A fetch may cross events the cache applies meanwhile (a read, a pin):
// what those events carry (title, pinned message, read position) stays
// as they left it, and the rest, which changes only with a chat.update
// or member.update that asks for the chat again, comes from the fetch.
func (c *Cache) SaveChat(ctx context.Context, ch client.Chat) error {
	return c.update(ctx, "saving a chat", func(t *tx) error {
		row, err := t.dialog(ch.ID)
		if err != nil || row == nil || ch.Seq < row.infoSeq {
			return err
		}
		old := row.d.Chat
		row.infoSeq = ch.Seq
		if ch.Seq < row.seq {
			ch.Title, ch.PinnedMessageID = old.Title, old.PinnedMessageID
		}
		ch.ReadOutboxMaxID = max(ch.ReadOutboxMaxID, old.ReadOutboxMaxID)
		ch.Seq, ch.TopMessageID = old.Seq, old.TopMessageID
		row.d.Chat = ch
		return t.putDialog(row)
	})
}

// SetSelf tells the cache who the person is, so that their own messages
// do not count as unread. The cache also learns it from private chats;
// it is kept in the file.
func (c *Cache) SetSelf(ctx context.Context, userID int64) error {
	return c.update(ctx, "saving the person", func(t *tx) error { return t.setSelf(userID) })
}

// Save applies one step of the sync engine in one transaction: the
// event to the cached dialogs and messages, and the state. It
// implements [client.Store].
//
// Chat events add, edit and delete cached messages and move the
// dialog's top message and unread count; chat.read moves
// read_outbox_max_id; message.pin the chat's pinned message; a title
// change (service message) its title. User events move the read
// position (unread count recounted from the cached messages when they
// cover it), pin, archive and mute dialogs, add and remove them, and
// delete messages for the person. A ReloadChatID event drops the chat's
// messages. Dialogs the server sent replace the derived ones.
func (c *Cache) Save(ctx context.Context, ch *client.Change) error {
	return c.update(ctx, "saving a sync step", func(t *tx) error { return t.apply(ch) })
}

// update runs f in a write transaction.
func (c *Cache) update(ctx context.Context, what string, f func(*tx) error) error {
	sqlTx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cache: %s: %w", what, err)
	}
	defer sqlTx.Rollback()
	t := &tx{ctx: ctx, tx: sqlTx, keep: c.keep}
	if err := t.loadSelf(); err != nil {
		return fmt.Errorf("cache: %s: %w", what, err)
	}
	if err := f(t); err != nil {
		return fmt.Errorf("cache: %s: %w", what, err)
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("cache: %s: %w", what, err)
	}
	return nil
}
