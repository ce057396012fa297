package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/havenchat/haven/client"
)

// tx is one write transaction of the cache, with the rules that apply
// the sync engine's steps to the dialogs and messages.
type tx struct {
	ctx  context.Context
	tx   *sql.Tx
	keep int
	self int64 // the person; 0 until known
}

// dialogRow is a cached dialog with its columns.
type dialogRow struct {
	d        client.Dialog
	seq      int64 // the chat's seq that d reflects
	infoSeq  int64 // the chat's seq when its description and settings were fetched
	pinRank  int64
	activity int64
}

func (t *tx) apply(ch *client.Change) error {
	if ch.Reset {
		if err := t.reset(ch.State.Seqs); err != nil {
			return err
		}
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO state (id, pts, gid) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET pts = excluded.pts, gid = excluded.gid`, ch.State.Pts, ch.State.Gid); err != nil {
		return err
	}
	for id, seq := range ch.State.Seqs {
		if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO seqs (chat_id, seq) VALUES (?, ?)
			ON CONFLICT (chat_id) DO UPDATE SET seq = excluded.seq`, id, seq); err != nil {
			return err
		}
	}
	switch ev := ch.Event; {
	case ev.Chat != nil:
		if err := t.chatEvent(ev.Chat); err != nil {
			return err
		}
	case ev.User != nil:
		if err := t.userEvent(ev.User); err != nil {
			return err
		}
	case ev.ReloadChatID != 0:
		if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM messages WHERE chat_id = ?", ev.ReloadChatID); err != nil {
			return err
		}
	}
	return t.putDialogs(ch.Dialogs, ch.Reset)
}

// reset makes seqs the whole state: it forgets the chats not in it, and
// the messages of those whose seq moved, which may have missed events.
func (t *tx) reset(seqs map[int64]int64) error {
	old := make(map[int64]int64)
	rows, err := t.tx.QueryContext(t.ctx, "SELECT chat_id, seq FROM seqs")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			rows.Close()
			return err
		}
		old[id] = seq
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var cached []int64
	rows, err = t.tx.QueryContext(t.ctx, "SELECT chat_id FROM dialogs UNION SELECT DISTINCT chat_id FROM messages")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		cached = append(cached, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range cached {
		seq, ok := seqs[id]
		if ok && old[id] == seq {
			continue
		}
		if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM messages WHERE chat_id = ?", id); err != nil {
			return err
		}
		if !ok {
			if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM dialogs WHERE chat_id = ?", id); err != nil {
				return err
			}
		}
	}
	_, err = t.tx.ExecContext(t.ctx, "DELETE FROM seqs")
	return err
}

// putDialogs stores dialogs the server sent. Each replaces the cached
// one unless that one reflects a later event of the chat (or always,
// with force).
func (t *tx) putDialogs(ds []client.Dialog, force bool) error {
	// From the end, so that of the dialogs newly pinned, the first
	// listed gets the highest rank, as dialogs.list orders them.
	for i := len(ds) - 1; i >= 0; i-- {
		d := ds[i]
		if err := t.learnSelf(&d, d.TopMessage); err != nil {
			return err
		}
		row, err := t.dialog(d.Chat.ID)
		if err != nil {
			return err
		}
		if row == nil {
			row = &dialogRow{}
		} else if !force && row.seq > d.Chat.Seq {
			continue
		}
		wasPinned := row.pinRank > 0
		row.d, row.seq, row.infoSeq = d, d.Chat.Seq, d.Chat.Seq
		if d.TopMessage != nil {
			row.activity = max(row.activity, d.TopMessage.Date)
		}
		if err := t.pin(row, d.Pinned, wasPinned); err != nil {
			return err
		}
		if err := t.putDialog(row); err != nil {
			return err
		}
	}
	return nil
}

// pin gives row the rank of a dialog pinned now, keeps it, or clears it.
func (t *tx) pin(row *dialogRow, pinned, wasPinned bool) error {
	row.d.Pinned = pinned
	switch {
	case !pinned:
		row.pinRank = 0
	case !wasPinned:
		var top int64
		if err := t.tx.QueryRowContext(t.ctx, "SELECT coalesce(max(pin_rank), 0) FROM dialogs").Scan(&top); err != nil {
			return err
		}
		row.pinRank = top + 1
	}
	return nil
}

func (t *tx) chatEvent(ev *client.ChatEvent) error {
	row, err := t.dialog(ev.ChatID)
	if err != nil {
		return err
	}
	if row == nil {
		row = &dialogRow{d: client.Dialog{Chat: client.Chat{ID: ev.ChatID}}}
	}
	m := ev.Message
	if err := t.learnSelf(&row.d, m); err != nil {
		return err
	}

	// The messages: keyed by chat and id, so applying twice does no harm.
	switch ev.Kind {
	case "message.new", "message.edit", "message.pin", "message.reaction":
		if m == nil {
			break
		}
		if ev.Kind == "message.reaction" && m.Reactions == nil {
			// A pushed message has no reaction counts: keep the cached ones.
			if old, err := t.message(ev.ChatID, m.ID); err != nil {
				return err
			} else if old != nil {
				m.Reactions = old.Reactions
			}
		}
		if err := t.putMessage(m); err != nil {
			return err
		}
		if err := t.trim(ev.ChatID); err != nil {
			return err
		}
	case "message.delete":
		if err := t.deleteMessages(row, ev.Data, ev.Seq > row.seq); err != nil {
			return err
		}
	}

	// The dialog: only for events after those it reflects.
	if ev.Seq <= row.seq {
		return nil
	}
	d := &row.d
	row.seq, d.Chat.Seq = ev.Seq, ev.Seq
	row.activity = max(row.activity, ev.Date)
	switch ev.Kind {
	case "message.new":
		if m == nil {
			break
		}
		if d.TopMessage == nil || m.ID >= d.TopMessage.ID {
			d.TopMessage, d.Chat.TopMessageID = m, m.ID
		}
		if t.fromOther(d, m) && m.ID > d.ReadInboxMaxID {
			d.UnreadCount++
		}
		if m.Service != nil && m.Service.Type == "title_changed" && m.Service.Title != "" {
			d.Chat.Title = m.Service.Title
		}
	case "message.edit", "message.pin", "message.reaction":
		if m != nil && d.TopMessage != nil && d.TopMessage.ID == m.ID {
			top := *m
			top.Reactions = nil // a dialog's top message has none
			d.TopMessage = &top
		}
		if ev.Kind == "message.pin" && ev.MessageID != 0 {
			var p struct{ Pinned bool }
			if json.Unmarshal(ev.Data, &p) == nil {
				if p.Pinned {
					d.Chat.PinnedMessageID = ev.MessageID
				} else if d.Chat.PinnedMessageID == ev.MessageID {
					d.Chat.PinnedMessageID = 0
				}
			}
		}
	case "chat.read":
		var r struct {
			MaxID int64 `json:"max_id"`
		}
		if json.Unmarshal(ev.Data, &r) == nil && (t.self == 0 || ev.UserID != t.self) {
			d.Chat.ReadOutboxMaxID = max(d.Chat.ReadOutboxMaxID, r.MaxID)
		}
	}
	return t.putDialog(row)
}

func (t *tx) userEvent(ev *client.UserEvent) error {
	row, err := t.dialog(ev.ChatID)
	if err != nil {
		return err
	}
	switch ev.Kind {
	case "dialog.added":
		if row == nil {
			return t.putDialog(&dialogRow{d: client.Dialog{Chat: client.Chat{ID: ev.ChatID}}})
		}
	case "dialog.removed":
		if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM messages WHERE chat_id = ?", ev.ChatID); err != nil {
			return err
		}
		_, err := t.tx.ExecContext(t.ctx, "DELETE FROM dialogs WHERE chat_id = ?", ev.ChatID)
		return err
	case "dialog.update":
		if row == nil {
			return nil
		}
		var u struct {
			Pinned     *bool  `json:"pinned"`
			Archived   *bool  `json:"archived"`
			MutedUntil *int64 `json:"muted_until"`
		}
		if json.Unmarshal(ev.Data, &u) != nil {
			return nil
		}
		if u.Pinned != nil {
			if err := t.pin(row, *u.Pinned, row.pinRank > 0); err != nil {
				return err
			}
		}
		if u.Archived != nil {
			row.d.Archived = *u.Archived
		}
		if u.MutedUntil != nil {
			row.d.MutedUntil = *u.MutedUntil
		}
		return t.putDialog(row)
	case "dialog.read":
		var r struct {
			MaxID int64 `json:"max_id"`
		}
		if row == nil || json.Unmarshal(ev.Data, &r) != nil || r.MaxID <= row.d.ReadInboxMaxID {
			return nil
		}
		row.d.ReadInboxMaxID = r.MaxID
		if err := t.recountUnread(row); err != nil {
			return err
		}
		return t.putDialog(row)
	case "messages.hidden":
		if row == nil {
			return nil
		}
		if err := t.deleteMessages(row, ev.Data, true); err != nil {
			return err
		}
		return t.putDialog(row)
	}
	return nil
}

// recountUnread counts the unread messages of row again after its read
// position moved. The cached messages give the count when they reach
// back to the read position; otherwise only "none" is certain.
func (t *tx) recountUnread(row *dialogRow) error {
	d := &row.d
	if d.TopMessage != nil && d.ReadInboxMaxID >= d.TopMessage.ID {
		d.UnreadCount = 0
		return nil
	}
	var oldest int64
	if err := t.tx.QueryRowContext(t.ctx, "SELECT coalesce(min(id), 0) FROM messages WHERE chat_id = ?", d.Chat.ID).Scan(&oldest); err != nil {
		return err
	}
	if oldest == 0 || oldest > d.ReadInboxMaxID+1 {
		return nil // the cache does not reach back: keep the count
	}
	ms, err := t.messagesAfter(d.Chat.ID, d.ReadInboxMaxID)
	if err != nil {
		return err
	}
	n := 0
	for i := range ms {
		if t.fromOther(d, &ms[i]) {
			n++
		}
	}
	d.UnreadCount = n
	return nil
}

// deleteMessages deletes the messages listed in data ({"ids": […]})
// and, when adjust is set, moves the dialog's unread count and top
// message accordingly.
func (t *tx) deleteMessages(row *dialogRow, data json.RawMessage, adjust bool) error {
	var del struct{ IDs []int64 }
	if json.Unmarshal(data, &del) != nil {
		return nil
	}
	d := &row.d
	topGone := false
	for _, id := range del.IDs {
		m, err := t.message(d.Chat.ID, id)
		if err != nil {
			return err
		}
		if adjust && m != nil && t.fromOther(d, m) && id > d.ReadInboxMaxID && d.UnreadCount > 0 {
			d.UnreadCount--
		}
		if d.TopMessage != nil && d.TopMessage.ID == id {
			topGone = true
		}
		if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM messages WHERE chat_id = ? AND id = ?", d.Chat.ID, id); err != nil {
			return err
		}
	}
	if adjust && topGone {
		d.TopMessage = nil
		ms, err := t.messagesAfter(d.Chat.ID, 0)
		if err != nil {
			return err
		}
		if len(ms) > 0 {
			top := ms[len(ms)-1]
			top.Reactions = nil
			d.TopMessage = &top
		}
	}
	return nil
}

// fromOther says whether m is from someone other than the person, as
// far as the cache knows who they are.
func (t *tx) fromOther(d *client.Dialog, m *client.Message) bool {
	switch {
	case t.self != 0:
		return m.SenderID != t.self
	case d.Peer != nil && d.Peer.Self:
		return false
	case d.Peer != nil && d.Chat.Kind == "private":
		return m.SenderID == d.Peer.ID
	}
	return true
}

// learnSelf learns who the person is from a private chat: its peer is
// the other person, so a message not from them is the person's own.
func (t *tx) learnSelf(d *client.Dialog, m *client.Message) error {
	if t.self != 0 || d.Peer == nil {
		return nil
	}
	switch {
	case d.Peer.Self:
		return t.setSelf(d.Peer.ID)
	case d.Chat.Kind == "private" && m != nil && m.SenderID != 0 && m.SenderID != d.Peer.ID:
		return t.setSelf(m.SenderID)
	}
	return nil
}

func (t *tx) setSelf(id int64) error {
	t.self = id
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO meta (key, value) VALUES ('self', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, id)
	return err
}

func (t *tx) loadSelf() error {
	err := t.tx.QueryRowContext(t.ctx, "SELECT value FROM meta WHERE key = 'self'").Scan(&t.self)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

func (t *tx) dialog(chatID int64) (*dialogRow, error) {
	row := &dialogRow{}
	var data []byte
	err := t.tx.QueryRowContext(t.ctx, "SELECT seq, info_seq, pin_rank, activity, data FROM dialogs WHERE chat_id = ?", chatID).
		Scan(&row.seq, &row.infoSeq, &row.pinRank, &row.activity, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &row.d); err != nil {
		return nil, err
	}
	return row, nil
}

func (t *tx) putDialog(row *dialogRow) error {
	data, err := json.Marshal(&row.d)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO dialogs (chat_id, seq, info_seq, pin_rank, activity, data) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (chat_id) DO UPDATE SET seq = excluded.seq, info_seq = excluded.info_seq, pin_rank = excluded.pin_rank,
			activity = excluded.activity, data = excluded.data`,
		row.d.Chat.ID, row.seq, row.infoSeq, row.pinRank, row.activity, data)
	return err
}

func (t *tx) message(chatID, id int64) (*client.Message, error) {
	var data []byte
	err := t.tx.QueryRowContext(t.ctx, "SELECT data FROM messages WHERE chat_id = ? AND id = ?", chatID, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m client.Message
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// messagesAfter returns the cached messages of a chat above afterID,
// oldest first.
func (t *tx) messagesAfter(chatID, afterID int64) ([]client.Message, error) {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT data FROM messages WHERE chat_id = ? AND id > ? ORDER BY id", chatID, afterID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ms []client.Message
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var m client.Message
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

func (t *tx) putMessage(m *client.Message) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO messages (chat_id, id, sender_id, data) VALUES (?, ?, ?, ?)
		ON CONFLICT (chat_id, id) DO UPDATE SET sender_id = excluded.sender_id, data = excluded.data`,
		m.ChatID, m.ID, m.SenderID, data)
	return err
}

// trim keeps the newest messages of a chat.
func (t *tx) trim(chatID int64) error {
	_, err := t.tx.ExecContext(t.ctx, `DELETE FROM messages WHERE chat_id = ? AND id < (
		SELECT coalesce(min(id), 0) FROM (SELECT id FROM messages WHERE chat_id = ? ORDER BY id DESC LIMIT ?))`,
		chatID, chatID, t.keep)
	return err
}

var _ client.Store = (*Cache)(nil)
