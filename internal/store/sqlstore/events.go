package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// AppendEvent stores an event (ChatID and Seq already set), setting e.GID,
// which the database gives: on SQLite the events table's AUTOINCREMENT
// (one writer, so gids grow in commit order), on PostgreSQL the
// transaction's id (its migration 0007).
func (t *Tx) AppendEvent(ctx context.Context, e *haven.Event) error {
	newID, err := t.insertID(ctx, `INSERT INTO events (chat_id, seq, kind, message_id, user_id, date, data)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING gid`,
		e.ChatID, e.Seq, string(e.Kind), e.MessageID, e.UserID, millis(e.Date), e.Data)
	if err != nil {
		return fmt.Errorf("append event %d/%d: %w", e.ChatID, e.Seq, err)
	}
	e.GID = newID
	t.AppendedEvents = true
	return nil
}

// AppendUserEvent stores an event of a person's own log, setting e.Pts.
// Errors: haven.ErrNotFound when the user does not exist.
func (t *Tx) AppendUserEvent(ctx context.Context, e *haven.UserEvent) error {
	err := t.queryRow(ctx, `UPDATE users SET pts = pts + 1 WHERE id = ? RETURNING pts`, e.UserID).Scan(&e.Pts)
	if err != nil {
		return fmt.Errorf("append event of user %d: %w", e.UserID, noRows(err))
	}
	_, err = t.exec(ctx, `INSERT INTO user_events (user_id, pts, kind, chat_id, date, data) VALUES (?, ?, ?, ?, ?, ?)`,
		e.UserID, e.Pts, string(e.Kind), e.ChatID, millis(e.Date), e.Data)
	if err != nil {
		return fmt.Errorf("append event of user %d: %w", e.UserID, err)
	}
	return nil
}

// Events returns a chat's events with seq > afterSeq, in order, at most
// limit.
func (q Queries) Events(ctx context.Context, chatID, afterSeq int64, limit int) ([]*haven.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	es, err := queryAll(ctx, q.DB, func(sc scanner) (*haven.Event, error) {
		var (
			e    haven.Event
			kind string
			date int64
		)
		if err := sc.Scan(&e.GID, &e.ChatID, &e.Seq, &kind, &e.MessageID, &e.UserID, &date, &e.Data); err != nil {
			return nil, err
		}
		e.Kind, e.Date = haven.EventKind(kind), fromMillis(date)
		return &e, nil
	}, `SELECT gid, chat_id, seq, kind, message_id, user_id, date, data FROM events
		WHERE chat_id = ? AND seq > ? ORDER BY seq LIMIT ?`, chatID, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("events of chat %d: %w", chatID, err)
	}
	return es, nil
}

// chatEventsQuery reads a chat's events with the messages they name, as
// they are now, in one pass over the chat's (chat_id, seq) index: each
// event's message is a lookup of the messages table's primary key. A
// message.delete event names a message that is gone, and reads none.
// The columns are as few as can be: the modernc driver takes a lock for
// each column of each row, which was a third of the read.
const chatEventsQuery = `SELECT e.seq, e.kind, e.message_id, e.user_id, e.date, e.data,
		m.sender_id, m.date, m.reply_to_id, m.edit_date, m.silent, m.pinned, m.views, m.expires_at,
		m.text, m.entities, m.forward, m.service, m.media
	FROM events e LEFT JOIN messages m ON m.chat_id = e.chat_id AND m.id = e.message_id AND e.kind <> ?
	WHERE e.chat_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?`

// ChatEvents returns a chat's events with seq > afterSeq, in order, at
// most limit, each with the message it names as it is now (see
// core.EventMessage). The events' GIDs are not read.
func (q Queries) ChatEvents(ctx context.Context, chatID, viewer, afterSeq int64, limit int) ([]core.EventMessage, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := q.DB.Query(ctx, chatEventsQuery, string(haven.EventMessageDelete), chatID, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("events of chat %d: %w", chatID, err)
	}
	defer rows.Close()
	out := make([]core.EventMessage, 0, min(limit, 1024))
	// An event naming the same message as the one before it (an edit
	// right after the send) shares its copy.
	var last *haven.Message
	lo, hi := int64(haven.MaxID), int64(0) // the messages' ids
	for rows.Next() {
		var (
			e                          core.EventMessage
			kind                       string
			date                       int64
			sender, mdate, reply       sql.NullInt64
			editDate, views, expires   sql.NullInt64
			silent, pinned             sql.NullBool
			text                       sql.NullString
			entities, forward, service []byte
			media                      []byte
		)
		err := rows.Scan(&e.Seq, &kind, &e.MessageID, &e.UserID, &date, &e.Data,
			&sender, &mdate, &reply, &editDate, &silent, &pinned, &views, &expires,
			&text, &entities, &forward, &service, &media)
		if err != nil {
			return nil, fmt.Errorf("events of chat %d: %w", chatID, err)
		}
		e.ChatID, e.Kind, e.Date = chatID, haven.EventKind(kind), fromMillis(date)
		if sender.Valid { // a NOT NULL column: the message is there
			if last != nil && last.ID == e.MessageID {
				e.Message = last
			} else {
				m := &haven.Message{ChatID: chatID, ID: e.MessageID, SenderID: sender.Int64, Date: fromMillis(mdate.Int64),
					ReplyToID: reply.Int64, EditDate: fromOptMillis(editDate), Silent: silent.Bool, Pinned: pinned.Bool,
					Views: int(views.Int64), ExpiresAt: fromOptMillis(expires), Text: text.String}
				if err := decodeMessageJSON(m, entities, forward, service, media); err != nil {
					return nil, err
				}
				e.Message, last = m, m
			}
			lo, hi = min(lo, e.MessageID), max(hi, e.MessageID)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events of chat %d: %w", chatID, err)
	}
	if hi == 0 {
		return out, nil
	}
	// What the viewer hid among them: one range of the hidden table's
	// key, empty for most people.
	hidden, err := q.ids(ctx, `SELECT msg_id FROM hidden WHERE user_id = ? AND chat_id = ? AND msg_id >= ? AND msg_id <= ?`,
		viewer, chatID, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("hidden messages of chat %d: %w", chatID, err)
	}
	if len(hidden) > 0 {
		set := make(map[int64]bool, len(hidden))
		for _, id := range hidden {
			set[id] = true
		}
		for i := range out {
			out[i].Hidden = out[i].Message != nil && set[out[i].MessageID]
		}
	}
	return out, nil
}

// UserEvents returns a person's events with pts > afterPts, in order, at
// most limit.
func (q Queries) UserEvents(ctx context.Context, userID, afterPts int64, limit int) ([]*haven.UserEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	es, err := queryAll(ctx, q.DB, func(sc scanner) (*haven.UserEvent, error) {
		var (
			e    haven.UserEvent
			kind string
			date int64
		)
		if err := sc.Scan(&e.UserID, &e.Pts, &kind, &e.ChatID, &date, &e.Data); err != nil {
			return nil, err
		}
		e.Kind, e.Date = haven.UserEventKind(kind), fromMillis(date)
		return &e, nil
	}, `SELECT user_id, pts, kind, chat_id, date, data FROM user_events
		WHERE user_id = ? AND pts > ? ORDER BY pts LIMIT ?`, userID, afterPts, limit)
	if err != nil {
		return nil, fmt.Errorf("events of user %d: %w", userID, err)
	}
	return es, nil
}

// UserPts returns a person's current pts. Errors: haven.ErrNotFound.
func (q Queries) UserPts(ctx context.Context, userID int64) (int64, error) {
	var pts int64
	if err := q.DB.QueryRow(ctx, `SELECT pts FROM users WHERE id = ?`, userID).Scan(&pts); err != nil {
		return 0, fmt.Errorf("pts of user %d: %w", userID, noRows(err))
	}
	return pts, nil
}

// LastGID returns the GID of the newest event (0 when there is none):
// the end of the rowid B-tree, one descent. With one writer, what
// commits later has a larger gid. (PostgreSQL's store has its own.)
func (q Queries) LastGID(ctx context.Context) (int64, error) {
	var gid int64
	if err := q.DB.QueryRow(ctx, `SELECT coalesce(max(gid), 0) FROM events`).Scan(&gid); err != nil {
		return 0, fmt.Errorf("last gid: %w", err)
	}
	return gid, nil
}
