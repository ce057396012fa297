package sqlstore

import (
	"context"
	"fmt"

	"github.com/havenchat/haven"
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
