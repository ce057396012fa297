package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// optMillis stores an optional time: the zero time is NULL.
func optMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// fromOptMillis reads an optional time back; NULL is the zero time.
func fromOptMillis(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return fromMillis(ms.Int64)
}

// idList encodes ids as a JSON array. Statements take a list of ids as one
// such parameter and read it with json_each, so that one prepared
// statement serves lists of any length.
func idList(ids []int64) string {
	b := make([]byte, 0, 2+8*len(ids))
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// activeRoles is the SQL list of the roles of current members.
const activeRoles = `('owner', 'admin', 'member')`

const chatColumns = `c.id, c.kind, c.title, c.about, c.username, c.creator_id, c.created_at, c.seq,
	c.top_message_id, c.last_event_at, c.member_count, c.max_read_id, c.max_read_by, c.max_read_id2,
	c.default_rights, c.slow_mode,
	c.history_hidden, c.ttl_seconds, c.reactions, c.pinned_message_id, c.peer_a, c.peer_b, c.photo, c.signatures`

// chatRow holds the scan targets of chatColumns.
type chatRow struct {
	c                  haven.Chat
	kind               string
	created, lastEvent int64
	rights             int64
	reactions          sql.NullString
	peerA, peerB       sql.NullInt64
	photo              sql.NullString
}

func (r *chatRow) dest() []any {
	c := &r.c
	return []any{&c.ID, &r.kind, &c.Title, &c.About, &c.Username, &c.CreatorID, &r.created, &c.Seq,
		&c.TopMessageID, &r.lastEvent, &c.MemberCount, &c.MaxReadID, &c.MaxReadBy, &c.MaxReadID2,
		&r.rights, &c.SlowModeSeconds,
		&c.HistoryHidden, &c.TTLSeconds, &r.reactions, &c.PinnedMessageID, &r.peerA, &r.peerB, &r.photo, &c.Signatures}
}

func (r *chatRow) chat() (*haven.Chat, error) {
	c := r.c
	c.Kind = haven.ChatKind(r.kind)
	c.CreatedAt, c.LastEventAt = fromMillis(r.created), fromMillis(r.lastEvent)
	c.DefaultRights = haven.Rights(r.rights)
	c.PeerA, c.PeerB = r.peerA.Int64, r.peerB.Int64
	var err error
	if c.Photo, err = photoFromJSON(r.photo); err != nil {
		return nil, fmt.Errorf("chat %d photo: %w", c.ID, err)
	}
	if r.reactions.Valid {
		c.Reactions = []string{}
		if err := json.Unmarshal([]byte(r.reactions.String), &c.Reactions); err != nil {
			return nil, fmt.Errorf("chat %d reactions: %w", c.ID, err)
		}
	}
	return &c, nil
}

func scanChat(sc scanner) (*haven.Chat, error) {
	var r chatRow
	if err := sc.Scan(r.dest()...); err != nil {
		return nil, noRows(err)
	}
	return r.chat()
}

// reactionsJSON stores the allowed reactions: nil (the default set) as
// NULL, an empty list (none allowed) as [].
func reactionsJSON(rs []string) (sql.NullString, error) {
	if rs == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(rs)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// CreateChat inserts c, setting c.ID. A private chat's pair is stored
// with PeerA <= PeerB, and c is changed to match; a zero LastEventAt
// becomes CreatedAt, so that a new chat sorts among the dialogs by its
// creation. Its username is claimed in usernames, a private chat's pair
// in private_pairs, which keep them unique (lookups.go).
// Errors: CodeUsernameOccupied, CodeChatExists.
func (t *Tx) CreateChat(ctx context.Context, c *haven.Chat) error {
	var peerA, peerB sql.NullInt64
	if c.Kind == haven.ChatPrivate {
		if c.PeerA > c.PeerB {
			c.PeerA, c.PeerB = c.PeerB, c.PeerA
		}
		peerA, peerB = sql.NullInt64{Int64: c.PeerA, Valid: true}, sql.NullInt64{Int64: c.PeerB, Valid: true}
	}
	if c.LastEventAt.IsZero() {
		c.LastEventAt = c.CreatedAt
	}
	reactions, err := reactionsJSON(c.Reactions)
	if err != nil {
		return fmt.Errorf("create chat: %w", err)
	}
	canon := haven.CanonicalUsername(c.Username)
	if held, err := t.taken(ctx, chatUsernames, canon); err != nil || held {
		return fmt.Errorf("create chat: %w", occupied(err, c.Username))
	}
	newID, err := t.insertID(ctx, `INSERT INTO chats (kind, title, about, username, username_canon, creator_id, created_at,
			seq, top_message_id, last_event_at, member_count, max_read_id, max_read_by, max_read_id2, default_rights,
			slow_mode, history_hidden, ttl_seconds, reactions, pinned_message_id, peer_a, peer_b, signatures)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		string(c.Kind), c.Title, c.About, c.Username, nullString(haven.CanonicalUsername(c.Username)), c.CreatorID,
		millis(c.CreatedAt), c.Seq, c.TopMessageID, millis(c.LastEventAt), c.MemberCount, c.MaxReadID,
		c.MaxReadBy, c.MaxReadID2, int64(c.DefaultRights), c.SlowModeSeconds, c.HistoryHidden, c.TTLSeconds, reactions, c.PinnedMessageID,
		peerA, peerB, c.Signatures)
	if err != nil {
		return fmt.Errorf("create chat: %w", err)
	}
	if canon != "" {
		if ok, err := t.claim(ctx, chatUsernames, canon, newID); err != nil || !ok {
			return fmt.Errorf("create chat: %w", occupied(err, c.Username))
		}
	}
	if c.Kind == haven.ChatPrivate {
		ok, err := t.claimPair(ctx, c.PeerA, c.PeerB, newID)
		if err != nil {
			return fmt.Errorf("create chat: %w", err)
		}
		if !ok {
			return &haven.Error{Code: haven.CodeChatExists, Message: fmt.Sprintf("users %d and %d already have a private chat", c.PeerA, c.PeerB)}
		}
	}
	c.ID = newID
	return nil
}

// UpdateChat writes a chat's descriptive fields and settings, and moves
// its username's row in usernames when the name changes.
// Errors: haven.ErrNotFound, CodeUsernameOccupied.
func (t *Tx) UpdateChat(ctx context.Context, c *haven.Chat) error {
	reactions, err := reactionsJSON(c.Reactions)
	if err != nil {
		return fmt.Errorf("update chat %d: %w", c.ID, err)
	}
	canon := haven.CanonicalUsername(c.Username)
	const set = `UPDATE chats SET title = ?, about = ?, username = ?, username_canon = ?,
			default_rights = ?, slow_mode = ?, history_hidden = ?, ttl_seconds = ?, reactions = ?,
			pinned_message_id = ?, member_count = ?, max_read_id = ?, max_read_by = ?, max_read_id2 = ?,
			creator_id = ?, signatures = ?
		WHERE id = ?`
	args := []any{c.Title, c.About, c.Username, nullString(canon),
		int64(c.DefaultRights), c.SlowModeSeconds, c.HistoryHidden, c.TTLSeconds, reactions,
		c.PinnedMessageID, c.MemberCount, c.MaxReadID, c.MaxReadBy, c.MaxReadID2, c.CreatorID, c.Signatures, c.ID}
	// Most updates (read receipts, member counts, pins) keep the
	// username: the update that finds it unchanged is the only
	// statement. One that changes it moves its lookup row first.
	res, err := t.exec(ctx, set+` AND username_canon IS NOT DISTINCT FROM ?`, append(args, nullString(canon))...)
	if err != nil {
		return fmt.Errorf("update chat %d: %w", c.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var old sql.NullString
	if err := t.queryRow(ctx, `SELECT username_canon FROM chats WHERE id = ?`, c.ID).Scan(&old); err != nil {
		return fmt.Errorf("update chat %d: %w", c.ID, noRows(err))
	}
	if ok, err := t.move(ctx, chatUsernames, c.ID, old.String, canon); err != nil || !ok {
		return fmt.Errorf("update chat %d: %w", c.ID, occupied(err, c.Username))
	}
	if err := t.execOne(ctx, set, args...); err != nil {
		return fmt.Errorf("update chat %d: %w", c.ID, err)
	}
	return nil
}

// NextSeq takes the chat's next seq (and message id) in one statement.
// The last activity never moves back: two sends that took their times
// in one order may reach the writer in the other.
func (t *Tx) NextSeq(ctx context.Context, chatID int64, newMessage bool, at time.Time) (seq, msgID int64, err error) {
	inc := 0
	if newMessage {
		inc = 1
	}
	err = t.queryRow(ctx, `UPDATE chats SET seq = seq + 1, top_message_id = top_message_id + ?,
			last_event_at = max(last_event_at, ?)
		WHERE id = ? RETURNING seq, top_message_id`, inc, millis(at), chatID).Scan(&seq, &msgID)
	if err != nil {
		return 0, 0, fmt.Errorf("next seq of chat %d: %w", chatID, noRows(err))
	}
	return seq, msgID, nil
}

// ChatByID returns a chat. Errors: haven.ErrNotFound.
func (q Queries) ChatByID(ctx context.Context, id int64) (*haven.Chat, error) {
	c, err := scanChat(q.DB.QueryRow(ctx, `SELECT `+chatColumns+` FROM chats c WHERE c.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("chat %d: %w", id, err)
	}
	return c, nil
}

// ChatByUsername finds a chat by username in any case.
// Errors: haven.ErrNotFound.
func (q Queries) ChatByUsername(ctx context.Context, username string) (*haven.Chat, error) {
	canon := haven.CanonicalUsername(username)
	if canon == "" {
		return nil, fmt.Errorf("chat @%s: %w", username, haven.ErrNotFound)
	}
	id, err := q.holderOf(ctx, chatUsernames, canon)
	if err != nil {
		return nil, fmt.Errorf("chat @%s: %w", username, err)
	}
	return q.ChatByID(ctx, id)
}

// PrivateChatID returns the private chat of a and b, in either order.
// Errors: haven.ErrNotFound.
func (q Queries) PrivateChatID(ctx context.Context, a, b int64) (int64, error) {
	if a > b {
		a, b = b, a
	}
	var id int64
	err := q.DB.QueryRow(ctx, `SELECT chat_id FROM private_pairs WHERE peer_a = ? AND peer_b = ?`, a, b).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("private chat of %d and %d: %w", a, b, noRows(err))
	}
	return id, nil
}

const memberColumns = `mb.chat_id, mb.user_id, mb.role, mb.rights, mb.inviter_id, mb.joined_at, mb.min_message_id,
	mb.read_inbox_max_id, mb.last_post_at, mb.banned_until, mb.pinned_rank, mb.archived, mb.muted_until, mb.min_seq`

// memberRow holds the scan targets of memberColumns.
type memberRow struct {
	m                          haven.Member
	role                       string
	rights, joined             int64
	lastPost, bannedTo, muteTo sql.NullInt64
}

func (r *memberRow) dest() []any {
	m := &r.m
	return []any{&m.ChatID, &m.UserID, &r.role, &r.rights, &m.InviterID, &r.joined, &m.MinMessageID,
		&m.ReadInboxMaxID, &r.lastPost, &r.bannedTo, &m.PinnedRank, &m.Archived, &r.muteTo, &m.MinSeq}
}

func (r *memberRow) member() *haven.Member {
	m := r.m
	m.Role, m.Rights = haven.Role(r.role), haven.Rights(r.rights)
	m.JoinedAt = fromMillis(r.joined)
	m.LastPostAt, m.BannedUntil, m.MutedUntil = fromOptMillis(r.lastPost), fromOptMillis(r.bannedTo), fromOptMillis(r.muteTo)
	return &m
}

func scanMember(sc scanner) (*haven.Member, error) {
	var r memberRow
	if err := sc.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.member(), nil
}

// PutMember inserts or replaces a membership row.
func (t *Tx) PutMember(ctx context.Context, m *haven.Member) error {
	_, err := t.exec(ctx, `INSERT INTO members (chat_id, user_id, role, rights, inviter_id, joined_at, min_message_id,
			read_inbox_max_id, last_post_at, banned_until, pinned_rank, archived, muted_until, min_seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (chat_id, user_id) DO UPDATE SET role = excluded.role, rights = excluded.rights,
			inviter_id = excluded.inviter_id, joined_at = excluded.joined_at,
			min_message_id = excluded.min_message_id, read_inbox_max_id = excluded.read_inbox_max_id,
			last_post_at = excluded.last_post_at, banned_until = excluded.banned_until,
			pinned_rank = excluded.pinned_rank, archived = excluded.archived, muted_until = excluded.muted_until,
			min_seq = excluded.min_seq`,
		m.ChatID, m.UserID, string(m.Role), int64(m.Rights), m.InviterID, millis(m.JoinedAt), m.MinMessageID,
		m.ReadInboxMaxID, optMillis(m.LastPostAt), optMillis(m.BannedUntil), m.PinnedRank, m.Archived,
		optMillis(m.MutedUntil), m.MinSeq)
	if err != nil {
		return fmt.Errorf("put member %d of chat %d: %w", m.UserID, m.ChatID, err)
	}
	return nil
}

// SetReadInbox moves a member's read pointer to maxID, never back.
// Errors: haven.ErrNotFound when there is no such membership row.
func (t *Tx) SetReadInbox(ctx context.Context, chatID, userID, maxID int64) error {
	// SQLite counts a matched row as changed even when max() leaves its
	// value as it was, so 0 rows means no such member.
	err := t.execOne(ctx, `UPDATE members SET read_inbox_max_id = max(read_inbox_max_id, ?)
		WHERE chat_id = ? AND user_id = ?`, maxID, chatID, userID)
	if err != nil {
		return fmt.Errorf("read inbox of %d in chat %d: %w", userID, chatID, err)
	}
	return nil
}

// Member returns a membership row, whatever its role.
// Errors: haven.ErrNotFound.
func (q Queries) Member(ctx context.Context, chatID, userID int64) (*haven.Member, error) {
	var r memberRow
	err := q.DB.QueryRow(ctx, `SELECT `+memberColumns+` FROM members mb WHERE mb.chat_id = ? AND mb.user_id = ?`,
		chatID, userID).Scan(r.dest()...)
	if err != nil {
		return nil, fmt.Errorf("member %d of chat %d: %w", userID, chatID, noRows(err))
	}
	return r.member(), nil
}

// Members lists a chat's rows with the given roles (all when empty), by
// user id after afterUserID, at most limit.
func (q Queries) Members(ctx context.Context, chatID int64, roles []haven.Role, afterUserID int64, limit int) ([]*haven.Member, error) {
	if limit <= 0 {
		return nil, nil
	}
	var (
		ms  []*haven.Member
		err error
	)
	if len(roles) == 0 {
		ms, err = queryAll(ctx, q.DB, scanMember, `SELECT `+memberColumns+` FROM members mb
			WHERE mb.chat_id = ? AND mb.user_id > ? ORDER BY mb.user_id LIMIT ?`, chatID, afterUserID, limit)
	} else {
		var list []byte
		if list, err = json.Marshal(roles); err != nil {
			return nil, fmt.Errorf("members of chat %d: %w", chatID, err)
		}
		ms, err = queryAll(ctx, q.DB, scanMember, `SELECT `+memberColumns+` FROM members mb
			WHERE mb.chat_id = ? AND mb.user_id > ? AND mb.role IN (SELECT value FROM json_each(?))
			ORDER BY mb.user_id LIMIT ?`, chatID, afterUserID, string(list), limit)
	}
	if err != nil {
		return nil, fmt.Errorf("members of chat %d: %w", chatID, err)
	}
	return ms, nil
}

// seniorQuery walks members_seniority in joining order (the index holds
// the user id too, which breaks ties) and stops at the first live account.
const seniorQuery = `SELECT ` + memberColumns + ` FROM members mb
	JOIN users u ON u.id = mb.user_id AND u.deleted = 0
	WHERE mb.chat_id = ? AND mb.role = ? AND mb.user_id != ?
	ORDER BY mb.joined_at, mb.user_id LIMIT 1`

// SeniorMember returns the active member of a chat with role, on a live
// account, who joined first (ties: the lower user id), leaving out
// except. Errors: haven.ErrNotFound.
func (q Queries) SeniorMember(ctx context.Context, chatID int64, role haven.Role, except int64) (*haven.Member, error) {
	m, err := scanMember(q.DB.QueryRow(ctx, seniorQuery, chatID, string(role), except))
	if err != nil {
		return nil, fmt.Errorf("senior %s of chat %d: %w", role, chatID, noRows(err))
	}
	return m, nil
}

// Memberships returns a person's active membership rows, by chat id.
func (q Queries) Memberships(ctx context.Context, userID int64) ([]*haven.Member, error) {
	ms, err := queryAll(ctx, q.DB, scanMember, `SELECT `+memberColumns+` FROM members mb
		WHERE mb.user_id = ? AND mb.role IN `+activeRoles+` ORDER BY mb.chat_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("memberships of %d: %w", userID, err)
	}
	return ms, nil
}

// The dialogs. CROSS JOIN keeps the person's memberships as the outer
// loop: the planner might otherwise scan chats.
const (
	dialogsBase = `SELECT ` + chatColumns + `, ` + memberColumns + `, coalesce(e.gid, 0)
		FROM members mb
		CROSS JOIN chats c ON c.id = mb.chat_id
		LEFT JOIN events e ON e.chat_id = c.id AND e.seq = c.seq
		WHERE mb.user_id = ? AND mb.role IN ` + activeRoles
	dialogsOrder      = ` ORDER BY c.last_event_at DESC, c.id DESC`
	dialogsQuery      = dialogsBase + dialogsOrder
	dialogsSinceQuery = dialogsBase + ` AND e.gid > ?` + dialogsOrder
)

// Dialogs returns a person's active memberships with their chats, the
// most recent activity first (ties: the higher chat id first). The GID of
// a chat's last event comes from the (chat_id, seq) index, which holds
// the gid itself: no read of the events table. The cost is a few index
// lookups per membership, whatever sinceGID.
func (q Queries) Dialogs(ctx context.Context, userID int64, sinceGID int64) ([]core.Dialog, error) {
	var (
		rows *sql.Rows
		err  error
	)
	if sinceGID > 0 {
		rows, err = q.DB.Query(ctx, dialogsSinceQuery, userID, sinceGID)
	} else {
		rows, err = q.DB.Query(ctx, dialogsQuery, userID)
	}
	if err != nil {
		return nil, fmt.Errorf("dialogs of %d: %w", userID, err)
	}
	defer rows.Close()
	var ds []core.Dialog
	for rows.Next() {
		var (
			cr  chatRow
			mr  memberRow
			gid int64
		)
		if err := rows.Scan(append(append(cr.dest(), mr.dest()...), &gid)...); err != nil {
			return nil, fmt.Errorf("dialogs of %d: %w", userID, err)
		}
		c, err := cr.chat()
		if err != nil {
			return nil, fmt.Errorf("dialogs of %d: %w", userID, err)
		}
		ds = append(ds, core.Dialog{Chat: c, Member: mr.member(), LastGID: gid})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dialogs of %d: %w", userID, err)
	}
	return ds, nil
}

// PutInvite inserts or replaces an invite link, and its hash's row in
// invite_links, where InviteByHash finds the link's chat. A hash belongs
// to one chat for good.
func (t *Tx) PutInvite(ctx context.Context, inv *haven.Invite) error {
	var chatID int64
	err := t.queryRow(ctx, `INSERT INTO invite_links (hash, chat_id) VALUES (?, ?)
		ON CONFLICT (hash) DO UPDATE SET chat_id = invite_links.chat_id RETURNING chat_id`, inv.Hash, inv.ChatID).Scan(&chatID)
	if err != nil {
		return fmt.Errorf("put invite: %w", err)
	}
	if chatID != inv.ChatID {
		return fmt.Errorf("put invite: the link is chat %d's, not %d's", chatID, inv.ChatID)
	}
	_, err = t.exec(ctx, `INSERT INTO invites (hash, chat_id, creator_id, created_at, expires_at, usage_limit, usage, revoked)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (chat_id, hash) DO UPDATE SET creator_id = excluded.creator_id,
			created_at = excluded.created_at, expires_at = excluded.expires_at, usage_limit = excluded.usage_limit,
			usage = excluded.usage, revoked = excluded.revoked`,
		inv.Hash, inv.ChatID, inv.CreatorID, millis(inv.CreatedAt), optMillis(inv.ExpiresAt), inv.UsageLimit,
		inv.Usage, inv.Revoked)
	if err != nil {
		return fmt.Errorf("put invite: %w", err)
	}
	return nil
}

const inviteColumns = `hash, chat_id, creator_id, created_at, expires_at, usage_limit, usage, revoked`

func scanInvite(sc scanner) (*haven.Invite, error) {
	var (
		inv     haven.Invite
		created int64
		expires sql.NullInt64
	)
	if err := sc.Scan(&inv.Hash, &inv.ChatID, &inv.CreatorID, &created, &expires, &inv.UsageLimit, &inv.Usage, &inv.Revoked); err != nil {
		return nil, noRows(err)
	}
	inv.CreatedAt, inv.ExpiresAt = fromMillis(created), fromOptMillis(expires)
	return &inv, nil
}

// InviteByHash returns an invite link: its chat from invite_links (keyed
// by the hash), then the link (keyed by chat). Errors: haven.ErrNotFound.
func (q Queries) InviteByHash(ctx context.Context, hash string) (*haven.Invite, error) {
	var chatID int64
	if err := q.DB.QueryRow(ctx, `SELECT chat_id FROM invite_links WHERE hash = ?`, hash).Scan(&chatID); err != nil {
		return nil, fmt.Errorf("invite: %w", noRows(err))
	}
	inv, err := scanInvite(q.DB.QueryRow(ctx, `SELECT `+inviteColumns+` FROM invites WHERE chat_id = ? AND hash = ?`, chatID, hash))
	if err != nil {
		return nil, fmt.Errorf("invite: %w", err)
	}
	return inv, nil
}

const activeInvitesQuery = `SELECT count(*) FROM invites
	WHERE chat_id = ? AND creator_id = ? AND revoked = 0
		AND (expires_at IS NULL OR expires_at > ?) AND (usage_limit = 0 OR usage < usage_limit)`

// ActiveInvites counts the links creatorID made to a chat that still
// work at now: not revoked, not expired, not used up.
func (q Queries) ActiveInvites(ctx context.Context, chatID, creatorID int64, now time.Time) (int, error) {
	var n int
	err := q.DB.QueryRow(ctx, activeInvitesQuery, chatID, creatorID, millis(now)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("active invites of %d in chat %d: %w", creatorID, chatID, err)
	}
	return n, nil
}

// Invites lists a chat's links, newest first (ties by hash, descending).
func (q Queries) Invites(ctx context.Context, chatID int64) ([]*haven.Invite, error) {
	invs, err := queryAll(ctx, q.DB, scanInvite, `SELECT `+inviteColumns+` FROM invites WHERE chat_id = ?
		ORDER BY created_at DESC, hash DESC`, chatID)
	if err != nil {
		return nil, fmt.Errorf("invites of chat %d: %w", chatID, err)
	}
	return invs, nil
}
