package sqlite

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/havenchat/haven"
)

// The search index follows the events log. Indexing a message in the
// transaction that sends it would halve the send rate (DESIGN.md), so a
// background goroutine applies the committed message.new, message.edit
// and message.delete events a moment later, batched. It reads the log and
// the messages' text through the read pool, and writes the index into its
// own database file (searchPath) through its own connection, in its own
// transactions: the single writer of the main database never spends a
// moment on the index. The gid it has reached is kept in search_cursor in
// the same transaction as the index changes, so after a crash it goes on
// from there; the index can always be rebuilt by resetting the cursor and
// emptying the table, which startIndexer does when the index is not that
// of the main database as it is now.
//
// The writer wakes it after each commit that appended events; a slow
// timer wakes it too, should a pass have failed. A pass that took text
// out of the index (a deletion, an edit) has the index's WAL
// checkpointed a moment later, as the writer does for the main database
// (erase.go).
const (
	indexBatch = 1024 // events per indexing transaction, at most: bounds the text held in memory
	indexEvery = 10 * time.Second
	// indexPause is the least time between two passes: at most ~10
	// transactions a second, however many commits wake the indexer. It is
	// also about the longest a message waits to become searchable on a
	// busy server. At 20 ms the indexer took 17-19 % of the server's CPU
	// in the 50-pair direct bench, at 100 ms 12-14 % while the server
	// posted more (docs/benchmarks.md, "The write path, round two").
	indexPause = 100 * time.Millisecond
	// indexPersistGap: a pass that meets only other kinds of events moves
	// its cursor in memory only (there is nothing to write), but writes it
	// once it is this far ahead of the stored one, so that a restart does
	// not rescan a long stretch of the log.
	indexPersistGap = 1 << 16
)

// indexer keeps the search table in step with the events log.
type indexer struct {
	s        *Store
	log      *slog.Logger
	kickc    chan struct{} // buffered: a wake-up waiting to be seen
	stopc    chan struct{}
	stopOnce sync.Once
	done     chan struct{}

	// erased is set by apply when a batch took text out of the index;
	// only the indexer's goroutine uses it.
	erased bool

	mu        sync.Mutex
	cursor    int64         // events up to this gid are applied
	persisted int64         // the cursor as stored
	err       error         // of the last pass
	passed    chan struct{} // closed when a pass ends, then replaced
}

// startIndexer reads the stored cursor and starts the indexer, which
// catches up with the log at once. An index that was not made from this
// database's log (another database's, by its instance uid), or that is
// ahead of it (the database was restored from an older copy), is emptied
// first, and rebuilt from the whole log; so is a new, empty one, which is
// where an index deleted or never made starts.
func (s *Store) startIndexer(ctx context.Context) error {
	x := &indexer{
		s:      s,
		log:    s.log,
		kickc:  make(chan struct{}, 1),
		stopc:  make(chan struct{}),
		done:   make(chan struct{}),
		passed: make(chan struct{}),
	}
	s.idx = x
	var (
		uid, indexed []byte
		cursor       int64
	)
	if err := s.read.QueryRowContext(ctx, `SELECT uid FROM instance WHERE id = 1`).Scan(&uid); err != nil {
		return fmt.Errorf("sqlite: read database instance: %w", err)
	}
	last, err := s.LastGID(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if err := s.sconn.conn.QueryRowContext(ctx, `SELECT gid, instance FROM search_cursor WHERE id = 1`).Scan(&cursor, &indexed); err != nil {
		return fmt.Errorf("sqlite: read search cursor: %w", err)
	}
	if cursor > last || !bytes.Equal(indexed, uid) {
		switch {
		case cursor > 0:
			s.log.Warn("sqlite: the search index does not match the database; rebuilding it from the log",
				"index", s.spath, "index_gid", cursor, "last_gid", last, "same_database", bytes.Equal(indexed, uid))
		case last > 0:
			s.log.Info("sqlite: building the search index from the log", "index", s.spath, "last_gid", last)
		}
		if err := x.reset(uid); err != nil {
			return fmt.Errorf("sqlite: reset search index: %w", err)
		}
		cursor = 0
	}
	x.cursor, x.persisted = cursor, cursor
	x.kick()
	go x.run()
	return nil
}

// kick wakes the indexer without ever waiting: the writer calls it.
func (x *indexer) kick() {
	if x == nil {
		return // a store of OpenExisting: the server's indexer follows the log
	}
	select {
	case x.kickc <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// stop ends the indexer and waits for it. A transaction of the index it
// is in is finished first.
func (x *indexer) stop() {
	x.stopOnce.Do(func() { close(x.stopc) })
	<-x.done
}

func (x *indexer) run() {
	defer close(x.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-x.stopc:
			cancel()
		case <-ctx.Done():
		}
	}()
	tick := time.NewTicker(indexEvery)
	defer tick.Stop()
	pause := time.NewTimer(indexPause)
	defer pause.Stop()
	var erase eraseTimer
	defer erase.stop()
	for {
		select {
		case <-x.stopc:
			return
		case <-x.kickc:
		case <-tick.C:
		case <-erase.C:
			erase.erase(x.s, "search", x.s.sconn.truncateWAL)
			continue
		}
		err := x.pass(ctx)
		if x.erased {
			x.erased = false
			erase.arm(eraseDelay)
		}
		if err != nil && ctx.Err() == nil {
			x.log.Warn("sqlite: search indexing failed; will retry", "err", err)
		}
		x.mu.Lock()
		x.err = err
		close(x.passed)
		x.passed = make(chan struct{})
		x.mu.Unlock()

		// Let the log grow before the next pass (a kick meanwhile waits
		// for it): under load, each pass then applies a batch worth its
		// commit and its FTS5 segment, not the few events of one group
		// commit.
		pause.Reset(indexPause)
		select {
		case <-x.stopc:
			return
		case <-pause.C:
		}
	}
}

// indexEvent is an event the indexer applies, with the message's current
// text (NULL when the message is gone).
type indexEvent struct {
	gid, chatID, msgID int64
	kind               haven.EventKind
	data               []byte
	text               sql.NullString
}

// pass applies the log up to its newest event, one batch per Update.
func (x *indexer) pass(ctx context.Context) error {
	for {
		last, err := x.s.LastGID(ctx)
		if err != nil {
			return err
		}
		x.mu.Lock()
		cursor, persisted := x.cursor, x.persisted
		x.mu.Unlock()
		if cursor >= last {
			return nil
		}
		batch, err := x.read(ctx, cursor, last)
		if err != nil {
			return err
		}
		upto := last
		if len(batch) == indexBatch {
			upto = batch[len(batch)-1].gid
		}
		if len(batch) > 0 || upto-persisted >= indexPersistGap {
			if err := x.apply(batch, upto); err != nil {
				return err
			}
			persisted = upto
		}
		x.mu.Lock()
		x.cursor, x.persisted = upto, persisted
		x.mu.Unlock()
	}
}

const indexReadQuery = `SELECT e.gid, e.chat_id, e.message_id, e.kind, e.data, m.text
	FROM events e LEFT JOIN messages m ON m.chat_id = e.chat_id AND m.id = e.message_id
	WHERE e.gid > ? AND e.gid <= ? AND e.kind IN ('message.new', 'message.edit', 'message.delete')
	ORDER BY e.gid LIMIT ?`

// read returns up to indexBatch events to apply with gid in (after, upto],
// from the read pool: the writer is not held while the log is read.
func (x *indexer) read(ctx context.Context, after, upto int64) ([]indexEvent, error) {
	rows, err := x.s.Queries.DB.Query(ctx, indexReadQuery, after, upto, indexBatch)
	if err != nil {
		return nil, fmt.Errorf("read events to index: %w", err)
	}
	defer rows.Close()
	var batch []indexEvent
	for rows.Next() {
		var (
			e    indexEvent
			kind string
		)
		if err := rows.Scan(&e.gid, &e.chatID, &e.msgID, &kind, &e.data, &e.text); err != nil {
			return nil, fmt.Errorf("read events to index: %w", err)
		}
		e.kind = haven.EventKind(kind)
		batch = append(batch, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events to index: %w", err)
	}
	return batch, nil
}

// indexOp is one change to the search table.
type indexOp struct {
	docID  int64
	delete bool
	text   string // to index (replacing what is there) unless delete
	// erases: the op takes text out of the index (a deletion, an edit).
	erases bool
}

// ops turns a batch of events into changes of the search table, sorted
// by rowid. FTS5 keeps pending inserts in memory only while rowids
// ascend, and writes a new segment whenever one goes down; in log order
// the rowids of a busy server jump from chat to chat, which would write
// (and later merge) a segment per message. The sort is stable, so the
// changes to one message keep their order.
func (x *indexer) ops(batch []indexEvent) []indexOp {
	ops := make([]indexOp, 0, len(batch))
	for _, e := range batch {
		switch e.kind {
		case haven.EventMessageNew, haven.EventMessageEdit:
			id, ok := docID(e.chatID, e.msgID)
			if !ok {
				continue
			}
			switch {
			case !e.text.Valid || e.text.String == "":
				// Gone since, or nothing to index. After an edit, what
				// was indexed goes.
				if e.kind == haven.EventMessageEdit {
					ops = append(ops, indexOp{docID: id, delete: true, erases: true})
				}
			default:
				ops = append(ops, indexOp{docID: id, text: e.text.String, erases: e.kind == haven.EventMessageEdit})
			}
		case haven.EventMessageDelete:
			var d struct {
				IDs []int64 `json:"ids"`
			}
			if len(e.data) > 0 {
				if err := json.Unmarshal(e.data, &d); err != nil {
					x.log.Warn("sqlite: message.delete event with unreadable data", "chat", e.chatID, "gid", e.gid, "err", err)
				}
			}
			if e.msgID != 0 {
				d.IDs = append(d.IDs, e.msgID)
			}
			for _, msgID := range d.IDs {
				if id, ok := docID(e.chatID, msgID); ok {
					ops = append(ops, indexOp{docID: id, delete: true, erases: true})
				}
			}
		}
	}
	slices.SortStableFunc(ops, func(a, b indexOp) int { return cmp.Compare(a.docID, b.docID) })
	return ops
}

// apply writes a batch into the search table and moves the stored
// cursor to upto, in one transaction of the search database. The text was
// read a moment before: should the message have changed since, its own
// later event sets it right. REPLACE takes the words of an edited
// message's old text out of the index (the table keeps the text it
// indexed, see migrations/search/0002) and costs a new message one seek.
func (x *indexer) apply(batch []indexEvent, upto int64) error {
	erased := false
	err := x.inTx(func() error {
		for _, op := range x.ops(batch) {
			var err error
			if op.delete {
				err = x.exec(`DELETE FROM search WHERE rowid = ?`, op.docID)
			} else {
				err = x.exec(`INSERT OR REPLACE INTO search (rowid, text) VALUES (?, ?)`, op.docID, op.text)
			}
			if err != nil {
				return fmt.Errorf("index message %d/%d: %w", op.docID>>docIDShift, op.docID&maxDocMsg, err)
			}
			erased = erased || op.erases
		}
		if err := x.exec(`UPDATE search_cursor SET gid = ? WHERE id = 1`, upto); err != nil {
			return fmt.Errorf("move search cursor: %w", err)
		}
		return nil
	})
	if err == nil && erased {
		x.erased = true
	}
	return err
}

// reset empties the index and sets its cursor to the start of the log of
// the database named uid. The table is dropped and made again from its
// own definition: dropping frees its pages, which secure_delete zeroes,
// where deleting each row would take time in proportion to the text.
func (x *indexer) reset(uid []byte) error {
	var ddl string
	if err := x.s.sconn.conn.QueryRowContext(context.Background(),
		`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'search'`).Scan(&ddl); err != nil {
		return fmt.Errorf("read the search table's definition: %w", err)
	}
	err := x.inTx(func() error {
		if err := x.exec(`DROP TABLE search`); err != nil {
			return err
		}
		if err := x.exec(ddl); err != nil {
			return err
		}
		if err := x.exec(ftsSecureDelete); err != nil {
			return err
		}
		return x.exec(`UPDATE search_cursor SET gid = 0, instance = ? WHERE id = 1`, uid)
	})
	if err != nil {
		return err
	}
	// The dropped index's pages, zeroed, replace the old ones in the file.
	x.erased = true
	return nil
}

// inTx runs fn in an IMMEDIATE transaction of the search database (see
// connStmts.begin), and commits it unless fn fails.
func (x *indexer) inTx(fn func() error) (err error) {
	if err := x.s.sconn.begin(x.log); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			if rbErr := x.exec(`ROLLBACK`); rbErr != nil {
				x.log.Warn("sqlite: rollback of the search index", "err", rbErr)
			}
		}
	}()
	if err := fn(); err != nil {
		return err
	}
	if err := x.exec(`COMMIT`); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// exec runs a statement on the search database's connection, which only
// the indexer's goroutine (and startIndexer, before it starts) uses. A
// background context: the indexer finishes the transaction it is in
// rather than have it interrupted (it is bounded by indexBatch).
func (x *indexer) exec(query string, args ...any) error {
	return x.s.sconn.exec(query, args...)
}

// WaitSearchIndexed returns once the search index has caught up with the
// events log as it was when called: for tests and tools, since searches
// may otherwise miss the newest messages for a moment. Errors: the
// indexer's own, ctx's, ErrClosed.
func (s *Store) WaitSearchIndexed(ctx context.Context) error {
	last, err := s.LastGID(ctx)
	if err != nil {
		return err
	}
	x := s.idx
	for {
		x.mu.Lock()
		cursor, passed := x.cursor, x.passed
		x.mu.Unlock()
		if cursor >= last {
			return nil
		}
		x.kick()
		select {
		case <-passed:
			x.mu.Lock()
			err := x.err
			x.mu.Unlock()
			if err != nil {
				return fmt.Errorf("sqlite: search indexing: %w", err)
			}
		case <-x.done:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
