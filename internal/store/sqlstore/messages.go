package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// The large columns come last, as in the table.
const messageColumns = `m.chat_id, m.id, m.sender_id, m.date, m.reply_to_id, m.edit_date, m.silent, m.pinned,
	m.views, m.expires_at, m.text, m.entities, m.forward, m.service, m.media`

func scanMessage(sc scanner) (*haven.Message, error) {
	var (
		m                          haven.Message
		date                       int64
		editDate, expires          sql.NullInt64
		entities, forward, service []byte
		media                      []byte
	)
	err := sc.Scan(&m.ChatID, &m.ID, &m.SenderID, &date, &m.ReplyToID, &editDate, &m.Silent, &m.Pinned,
		&m.Views, &expires, &m.Text, &entities, &forward, &service, &media)
	if err != nil {
		return nil, noRows(err)
	}
	m.Date, m.EditDate, m.ExpiresAt = fromMillis(date), fromOptMillis(editDate), fromOptMillis(expires)
	if err := decodeMessageJSON(&m, entities, forward, service, media); err != nil {
		return nil, err
	}
	return &m, nil
}

// decodeMessageJSON sets a message's parts kept as JSON columns (nil:
// none).
func decodeMessageJSON(m *haven.Message, entities, forward, service, media []byte) error {
	if entities != nil {
		if err := json.Unmarshal(entities, &m.Entities); err != nil {
			return fmt.Errorf("message %d/%d entities: %w", m.ChatID, m.ID, err)
		}
	}
	if forward != nil {
		m.Forward = new(haven.Forward)
		if err := json.Unmarshal(forward, m.Forward); err != nil {
			return fmt.Errorf("message %d/%d forward: %w", m.ChatID, m.ID, err)
		}
	}
	if service != nil {
		m.Service = new(haven.ServiceAction)
		if err := json.Unmarshal(service, m.Service); err != nil {
			return fmt.Errorf("message %d/%d service: %w", m.ChatID, m.ID, err)
		}
	}
	if media != nil {
		m.Media = new(haven.Media)
		if err := json.Unmarshal(media, m.Media); err != nil {
			return fmt.Errorf("message %d/%d media: %w", m.ChatID, m.ID, err)
		}
	}
	return nil
}

// jsonOrNull encodes v as JSON text, or NULL when it is nil (or empty,
// for entities): most messages have none of these, and NULL costs a
// byte of the row's header.
func jsonOrNull(v any, none bool) (sql.NullString, error) {
	if none {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// InsertMessage stores a new message (ChatID and ID already set).
func (t *Tx) InsertMessage(ctx context.Context, m *haven.Message) error {
	entities, err := jsonOrNull(m.Entities, len(m.Entities) == 0)
	if err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	forward, err := jsonOrNull(m.Forward, m.Forward == nil)
	if err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	service, err := jsonOrNull(m.Service, m.Service == nil)
	if err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	media, err := jsonOrNull(m.Media, m.Media == nil)
	if err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO messages (chat_id, id, sender_id, date, reply_to_id, edit_date, silent, pinned,
			views, expires_at, text, entities, forward, service, media)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ChatID, m.ID, m.SenderID, millis(m.Date), m.ReplyToID, optMillis(m.EditDate), m.Silent, m.Pinned,
		m.Views, optMillis(m.ExpiresAt), m.Text, entities, forward, service, media)
	if err != nil {
		return fmt.Errorf("insert message %d/%d: %w", m.ChatID, m.ID, err)
	}
	return nil
}

// UpdateMessage writes Text, Entities, EditDate, Pinned, Views and
// ExpiresAt of an existing message. A new text or new entities (which may
// hold links) erase the old ones from disk soon after (erase.go).
// Errors: haven.ErrNotFound.
func (t *Tx) UpdateMessage(ctx context.Context, m *haven.Message) error {
	entities, err := jsonOrNull(m.Entities, len(m.Entities) == 0)
	if err != nil {
		return fmt.Errorf("update message: %w", err)
	}
	var changed bool
	err = t.queryRow(ctx, `SELECT text IS DISTINCT FROM ? OR entities IS DISTINCT FROM ? FROM messages WHERE chat_id = ? AND id = ?`,
		m.Text, entities, m.ChatID, m.ID).Scan(&changed)
	if err != nil {
		return fmt.Errorf("update message %d/%d: %w", m.ChatID, m.ID, noRows(err))
	}
	t.Erased = t.Erased || changed
	err = t.execOne(ctx, `UPDATE messages SET text = ?, entities = ?, edit_date = ?, pinned = ?, views = ?,
			expires_at = ?
		WHERE chat_id = ? AND id = ?`,
		m.Text, entities, optMillis(m.EditDate), m.Pinned, m.Views, optMillis(m.ExpiresAt), m.ChatID, m.ID)
	if err != nil {
		return fmt.Errorf("update message %d/%d: %w", m.ChatID, m.ID, err)
	}
	return nil
}

// DeleteMessages removes messages for everyone, with their reactions,
// views, mentions and hidden marks, and returns the ids that existed in
// ascending order. Their search entries go when the indexer reads the
// message.delete event the caller appends; their text leaves the disk
// soon after (erase.go).
func (t *Tx) DeleteMessages(ctx context.Context, chatID int64, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list := idList(ids)
	deleted, err := t.ids(ctx, `DELETE FROM messages WHERE chat_id = ? AND id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))
		RETURNING id`, chatID, list)
	if err != nil {
		return nil, fmt.Errorf("delete messages of chat %d: %w", chatID, err)
	}
	// The given ids, not only those deleted: rows left by a message
	// deleted earlier, should there be any, go too.
	for _, query := range []string{
		`DELETE FROM reactions WHERE chat_id = ? AND msg_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))`,
		`DELETE FROM views WHERE chat_id = ? AND msg_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))`,
		`DELETE FROM mentions WHERE chat_id = ? AND msg_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))`,
		`DELETE FROM hidden WHERE chat_id = ? AND msg_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))`,
		`DELETE FROM message_files WHERE chat_id = ? AND msg_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))`,
	} {
		if _, err := t.exec(ctx, query, chatID, list); err != nil {
			return nil, fmt.Errorf("delete messages of chat %d: %w", chatID, err)
		}
	}
	slices.Sort(deleted)
	t.Erased = t.Erased || len(deleted) > 0
	return deleted, nil
}

// HideMessages hides messages from one person only. Ids of messages that
// do not exist are ignored; hiding twice is not an error.
func (t *Tx) HideMessages(ctx context.Context, userID, chatID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := t.exec(ctx, `INSERT INTO hidden (user_id, chat_id, msg_id)
		SELECT CAST(? AS BIGINT), m.chat_id, m.id FROM messages m WHERE m.chat_id = ? AND m.id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))
		ON CONFLICT DO NOTHING`, userID, chatID, idList(ids))
	if err != nil {
		return fmt.Errorf("hide messages of chat %d: %w", chatID, err)
	}
	return nil
}

// AddMentions records that a message mentions users (idempotent).
func (t *Tx) AddMentions(ctx context.Context, chatID, msgID int64, userIDs []int64) error {
	if len(userIDs) == 0 {
		return nil
	}
	// "WHERE true" keeps ON CONFLICT from being read as part of the SELECT.
	_, err := t.exec(ctx, `INSERT INTO mentions (chat_id, user_id, msg_id)
		SELECT CAST(? AS BIGINT), CAST(value AS BIGINT), CAST(? AS BIGINT) FROM json_each(?) WHERE true ON CONFLICT DO NOTHING`, chatID, msgID, idList(userIDs))
	if err != nil {
		return fmt.Errorf("add mentions to %d/%d: %w", chatID, msgID, err)
	}
	return nil
}

// RememberSend records which message a sender's random_id made.
// Errors: CodeDuplicate.
func (t *Tx) RememberSend(ctx context.Context, senderID, randomID, chatID, msgID int64, at time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO sends (sender_id, random_id, chat_id, msg_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		senderID, randomID, chatID, msgID, millis(at))
	if t.D.UniqueViolation(err, "sends", "sender_id") {
		return &haven.Error{Code: haven.CodeDuplicate, Message: fmt.Sprintf("random_id %d already used", randomID)}
	}
	if err != nil {
		return fmt.Errorf("remember send: %w", err)
	}
	return nil
}

// ForgetSendsBefore drops the send records older than t. Rows are
// appended in commit order, and their times (taken by the callers just
// before) grow with the rowid all but for a few milliseconds: the rows
// before the first one at or after t are dropped, found by walking the
// oldest rows, which are the ones deleted anyway. A record a little older
// than t may survive until the next call; none newer is ever dropped.
func (t *Tx) ForgetSendsBefore(ctx context.Context, before time.Time) error {
	_, err := t.exec(ctx, `DELETE FROM sends WHERE id < coalesce(
			(SELECT id FROM sends WHERE created_at >= ? ORDER BY id LIMIT 1),
			(SELECT max(id) + 1 FROM sends))`, millis(before))
	if err != nil {
		return fmt.Errorf("forget sends: %w", err)
	}
	return nil
}

// SetReaction sets (emoji != "") or removes a person's reaction.
// Errors: haven.ErrNotFound when setting one on a missing message.
func (t *Tx) SetReaction(ctx context.Context, chatID, msgID, userID int64, emoji string) error {
	if emoji == "" {
		_, err := t.exec(ctx, `DELETE FROM reactions WHERE chat_id = ? AND msg_id = ? AND user_id = ?`, chatID, msgID, userID)
		if err != nil {
			return fmt.Errorf("remove reaction: %w", err)
		}
		return nil
	}
	err := t.execOne(ctx, `INSERT INTO reactions (chat_id, msg_id, user_id, emoji)
		SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE chat_id = ? AND id = ?)
		ON CONFLICT (chat_id, msg_id, user_id) DO UPDATE SET emoji = excluded.emoji`,
		chatID, msgID, userID, emoji, chatID, msgID)
	if err != nil {
		return fmt.Errorf("set reaction on %d/%d: %w", chatID, msgID, err)
	}
	return nil
}

// AddView counts a viewer of a message once and reports whether the
// viewer is new. Errors: haven.ErrNotFound.
func (t *Tx) AddView(ctx context.Context, chatID, msgID, userID int64) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO views (chat_id, msg_id, user_id)
		SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE chat_id = ? AND id = ?)
		ON CONFLICT DO NOTHING`, chatID, msgID, userID, chatID, msgID)
	if err != nil {
		return false, fmt.Errorf("add view to %d/%d: %w", chatID, msgID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("add view to %d/%d: %w", chatID, msgID, err)
	}
	if n == 1 {
		if err := t.execOne(ctx, `UPDATE messages SET views = views + 1 WHERE chat_id = ? AND id = ?`, chatID, msgID); err != nil {
			return false, fmt.Errorf("add view to %d/%d: %w", chatID, msgID, err)
		}
		return true, nil
	}
	// Seen before, or no such message.
	ok, err := t.exists(ctx, `SELECT 1 FROM messages WHERE chat_id = ? AND id = ?`, chatID, msgID)
	if err != nil {
		return false, fmt.Errorf("add view to %d/%d: %w", chatID, msgID, err)
	}
	if !ok {
		return false, fmt.Errorf("add view to %d/%d: %w", chatID, msgID, haven.ErrNotFound)
	}
	return false, nil
}

// Message returns one message. Errors: haven.ErrNotFound.
func (q Queries) Message(ctx context.Context, chatID, id int64) (*haven.Message, error) {
	m, err := scanMessage(q.DB.QueryRow(ctx, `SELECT `+messageColumns+` FROM messages m WHERE m.chat_id = ? AND m.id = ?`, chatID, id))
	if err != nil {
		return nil, fmt.Errorf("message %d/%d: %w", chatID, id, err)
	}
	return m, nil
}

// Messages returns the messages among ids that exist, by id.
func (q Queries) Messages(ctx context.Context, chatID int64, ids []int64) ([]*haven.Message, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ms, err := queryAll(ctx, q.DB, scanMessage, `SELECT `+messageColumns+` FROM messages m
		WHERE m.chat_id = ? AND m.id IN (SELECT CAST(value AS BIGINT) FROM json_each(?)) ORDER BY m.id`, chatID, idList(ids))
	if err != nil {
		return nil, fmt.Errorf("messages of chat %d: %w", chatID, err)
	}
	return ms, nil
}

// notHidden is the condition that viewer (the first parameter it takes)
// has not hidden message m: a lookup in a table that is empty for most
// people, so cheap next to reading the message.
const notHidden = `NOT EXISTS (SELECT 1 FROM hidden h WHERE h.user_id = ? AND h.chat_id = m.chat_id AND h.msg_id = m.id)`

// The history page: a range of the primary key, read in either direction.
const (
	historyQuery = `SELECT ` + messageColumns + ` FROM messages m
		WHERE m.chat_id = ? AND m.id >= ? AND m.id <= ? AND ` + notHidden
	historyNewestQuery = historyQuery + ` ORDER BY m.id DESC LIMIT ?`
	historyOldestQuery = historyQuery + ` ORDER BY m.id LIMIT ?`
)

// History returns up to limit messages with ids in [minID, maxID] that
// viewer has not hidden: a range of the primary key, read in either
// direction.
func (q Queries) History(ctx context.Context, chatID, viewer, minID, maxID int64, limit int, newest bool) ([]*haven.Message, error) {
	if limit <= 0 || minID > maxID {
		return nil, nil
	}
	query := historyOldestQuery
	if newest {
		query = historyNewestQuery
	}
	ms, err := queryAll(ctx, q.DB, scanMessage, query, chatID, minID, maxID, viewer, limit)
	if err != nil {
		return nil, fmt.Errorf("history of chat %d: %w", chatID, err)
	}
	return ms, nil
}

// HiddenIDs returns which of ids the viewer has hidden.
func (q Queries) HiddenIDs(ctx context.Context, viewer, chatID int64, ids []int64) (map[int64]bool, error) {
	hidden := map[int64]bool{}
	if len(ids) == 0 {
		return hidden, nil
	}
	found, err := q.ids(ctx, `SELECT msg_id FROM hidden WHERE user_id = ? AND chat_id = ?
		AND msg_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))`, viewer, chatID, idList(ids))
	if err != nil {
		return nil, fmt.Errorf("hidden messages of chat %d: %w", chatID, err)
	}
	for _, id := range found {
		hidden[id] = true
	}
	return hidden, nil
}

const countUnreadQuery = `SELECT count(*) FROM (SELECT 1 FROM messages m
	WHERE m.chat_id = ? AND m.id > ? AND m.id <= ? AND m.sender_id <> ? AND ` + notHidden + ` LIMIT ?) AS unread`

// CountUnread counts messages with ids in (afterID, upToID] not sent by
// userID nor hidden by them, stopping at limit: the count reads at most
// limit rows.
func (q Queries) CountUnread(ctx context.Context, chatID, userID, afterID, upToID int64, limit int) (int, error) {
	if limit <= 0 || upToID <= afterID {
		return 0, nil
	}
	var n int
	err := q.DB.QueryRow(ctx, countUnreadQuery, chatID, afterID, upToID, userID, userID, limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("unread in chat %d: %w", chatID, err)
	}
	return n, nil
}

// CountMentions counts messages with ids in (afterID, upToID] that
// mention userID and that they have not hidden.
func (q Queries) CountMentions(ctx context.Context, chatID, userID, afterID, upToID int64) (int, error) {
	if upToID <= afterID {
		return 0, nil
	}
	var n int
	err := q.DB.QueryRow(ctx, `SELECT count(*) FROM mentions mn
		WHERE mn.chat_id = ? AND mn.user_id = ? AND mn.msg_id > ? AND mn.msg_id <= ?
			AND NOT EXISTS (SELECT 1 FROM hidden h WHERE h.user_id = mn.user_id AND h.chat_id = mn.chat_id AND h.msg_id = mn.msg_id)`,
		chatID, userID, afterID, upToID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("mentions in chat %d: %w", chatID, err)
	}
	return n, nil
}

// Reactions returns the reactions to messages, by message id; each
// message's reactions are ordered by user id.
func (q Queries) Reactions(ctx context.Context, chatID int64, msgIDs []int64) (map[int64][]haven.Reaction, error) {
	out := map[int64][]haven.Reaction{}
	if len(msgIDs) == 0 {
		return out, nil
	}
	rows, err := q.DB.Query(ctx, `SELECT msg_id, user_id, emoji FROM reactions
		WHERE chat_id = ? AND msg_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?)) ORDER BY msg_id, user_id`, chatID, idList(msgIDs))
	if err != nil {
		return nil, fmt.Errorf("reactions in chat %d: %w", chatID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			msgID int64
			r     haven.Reaction
		)
		if err := rows.Scan(&msgID, &r.UserID, &r.Emoji); err != nil {
			return nil, fmt.Errorf("reactions in chat %d: %w", chatID, err)
		}
		out[msgID] = append(out[msgID], r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reactions in chat %d: %w", chatID, err)
	}
	return out, nil
}

// SentMessage finds what a sender's random_id made.
// Errors: haven.ErrNotFound.
func (q Queries) SentMessage(ctx context.Context, senderID, randomID int64) (chatID, msgID int64, err error) {
	err = q.DB.QueryRow(ctx, `SELECT chat_id, msg_id FROM sends WHERE sender_id = ? AND random_id = ?`,
		senderID, randomID).Scan(&chatID, &msgID)
	if err != nil {
		return 0, 0, fmt.Errorf("sent message: %w", noRows(err))
	}
	return chatID, msgID, nil
}

// ExpiredMessages lists up to limit messages whose ExpiresAt is before
// now, the longest expired first.
func (q Queries) ExpiredMessages(ctx context.Context, now time.Time, limit int) ([]core.MessageRef, error) {
	if limit <= 0 {
		return nil, nil
	}
	refs, err := queryAll(ctx, q.DB, func(sc scanner) (r core.MessageRef, err error) {
		err = sc.Scan(&r.ChatID, &r.ID)
		return r, err
	}, `SELECT chat_id, id FROM messages WHERE expires_at < ?
		ORDER BY expires_at, chat_id, id LIMIT ?`, millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("expired messages: %w", err)
	}
	return refs, nil
}
