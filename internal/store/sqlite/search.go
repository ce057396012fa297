package sqlite

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// Search rowids. A message's entry in the search table has the rowid
// chat_id << 31 | msg_id: a chat's messages are one rowid range, which
// FTS5 can seek to, and rowid order is (chat, id) order, the order
// SearchMessages returns. Messages outside these bounds (more than 2^32
// chats, or 2^31 messages in a chat; Telegram's own message ids are 32-bit)
// are not indexed.
const (
	docIDShift = 31
	maxDocMsg  = 1<<docIDShift - 1
	maxDocChat = 1<<32 - 1
)

// docID returns the search rowid of a message, and whether it has one.
func docID(chatID, msgID int64) (int64, bool) {
	if chatID <= 0 || chatID > maxDocChat || msgID <= 0 || msgID > maxDocMsg {
		return 0, false
	}
	return chatID<<docIDShift | msgID, true
}

// Query sanitising: what a person types is never passed to FTS5 as query
// syntax. It is cut into the runs of characters the unicode61 tokenizer
// keeps (letters, digits, marks and private-use characters); each run is
// quoted as a string and made a prefix query, and the terms are ANDed.
const maxSearchTerms = 16

// ftsQuery turns text into a safe FTS5 query, or "" when it holds no
// searchable term.
func ftsQuery(text string) string {
	var b strings.Builder
	terms := 0
	for _, term := range strings.FieldsFunc(text, func(r rune) bool { return !searchRune(r) }) {
		if terms == maxSearchTerms {
			break
		}
		if terms > 0 {
			b.WriteByte(' ')
		}
		// A run of searchRunes holds no '"'; doubling it anyway keeps this
		// safe whatever searchRune becomes.
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(term, `"`, `""`))
		b.WriteString(`"*`)
		terms++
	}
	return b.String()
}

func searchRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || unicode.Is(unicode.Co, r)
}

// SearchMessages finds messages whose text matches query, ordered by
// (chat, id) descending, with (chat, id) below before when before is not
// zero. Without chatIDs it searches the chats where userID is an active
// member; either way it skips the messages userID has hidden and those
// below their membership's MinMessageID.
//
// The index is derived data, in a database of its own: it follows the
// committed log a moment after each write (see indexer.go).
func (q queries) SearchMessages(ctx context.Context, userID int64, chatIDs []int64, query string, before core.MessageRef, limit int) ([]*haven.Message, error) {
	match := ftsQuery(query)
	if match == "" || limit <= 0 {
		return nil, nil
	}
	// upper is the exclusive bound on rowids.
	upper := int64(math.MaxInt64)
	if before != (core.MessageRef{}) {
		switch {
		case before.ChatID <= 0:
			return nil, nil
		case before.ChatID <= maxDocChat:
			upper = before.ChatID<<docIDShift + min(max(before.ID, 0), maxDocMsg+1)
		}
	}
	if len(chatIDs) == 0 {
		return q.searchMember(ctx, userID, match, upper, limit)
	}

	// One range query per chat, highest chat first, until limit.
	chats := slices.Clone(chatIDs)
	slices.Sort(chats)
	chats = slices.Compact(chats)
	var out []*haven.Message
	for _, chatID := range slices.Backward(chats) {
		lo, ok := docID(chatID, 1)
		if !ok {
			continue
		}
		hi := min(lo|maxDocMsg, upper-1)
		if hi < lo {
			continue
		}
		ms, err := q.searchChat(ctx, userID, chatID, match, lo, hi, limit-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
		if len(out) >= limit {
			break
		}
	}
	return out, nil
}

// The search statements. The index is the search table of the attached
// search database (searchSchemaName). CROSS JOIN makes it drive, in rowid
// order, so that LIMIT stops the scan early; the shifts decode the rowid
// (see docIDShift).
const (
	searchChatQuery = `SELECT ` + messageColumns + ` FROM ` + searchSchemaName + `.search s
		CROSS JOIN messages m ON m.chat_id = ? AND m.id = (s.rowid & 2147483647)
		LEFT JOIN members mb ON mb.chat_id = m.chat_id AND mb.user_id = ?
		WHERE s.search MATCH ? AND s.rowid BETWEEN ? AND ?
			AND m.id >= coalesce(mb.min_message_id, 0) AND ` + notHidden + `
		ORDER BY s.rowid DESC LIMIT ?`
	searchChatBeforeQuery = `SELECT ` + messageColumns + ` FROM ` + searchSchemaName + `.search s
		CROSS JOIN messages m ON m.chat_id = ? AND m.id = (s.rowid & 2147483647)
		LEFT JOIN members mb ON mb.chat_id = m.chat_id AND mb.user_id = ?
		WHERE s.search MATCH ? AND s.rowid BETWEEN ? AND ? AND m.date < ?
			AND m.id >= coalesce(mb.min_message_id, 0) AND ` + notHidden + `
		ORDER BY s.rowid DESC LIMIT ?`
	searchMemberQuery = `SELECT ` + messageColumns + ` FROM ` + searchSchemaName + `.search s
		CROSS JOIN members mb ON mb.chat_id = (s.rowid >> 31) AND mb.user_id = ?
		CROSS JOIN messages m ON m.chat_id = mb.chat_id AND m.id = (s.rowid & 2147483647)
		WHERE s.search MATCH ? AND s.rowid < ? AND mb.role IN ` + activeRoles + `
			AND m.id >= mb.min_message_id AND ` + notHidden + `
		ORDER BY s.rowid DESC LIMIT ?`
)

// SearchChatBefore searches one chat for messages with an id below
// beforeID (0: any) and a date before before (zero: any), newest first.
// The rowid range seeks to beforeID; the date bound is checked on each
// match, newest first, so it costs the newer matches it skips.
func (q queries) SearchChatBefore(ctx context.Context, userID, chatID int64, query string, beforeID int64, before time.Time, limit int) ([]*haven.Message, error) {
	match := ftsQuery(query)
	lo, ok := docID(chatID, 1)
	if match == "" || limit <= 0 || !ok {
		return nil, nil
	}
	hi := lo | maxDocMsg
	if beforeID > 0 {
		hi = min(hi, lo+min(beforeID, maxDocMsg+1)-2)
	}
	if hi < lo {
		return nil, nil
	}
	until := int64(math.MaxInt64)
	if !before.IsZero() {
		until = millis(before)
	}
	ms, err := queryAll(ctx, q.db, scanMessage, searchChatBeforeQuery, chatID, userID, match, lo, hi, until, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("search chat %d: %w", chatID, err)
	}
	return ms, nil
}

// searchChat searches one chat, whose rowids are [lo, hi].
func (q queries) searchChat(ctx context.Context, userID, chatID int64, match string, lo, hi int64, limit int) ([]*haven.Message, error) {
	rows, err := q.db.query(ctx, searchChatQuery, chatID, userID, match, lo, hi, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("search chat %d: %w", chatID, err)
	}
	ms, err := scanAll(rows, scanMessage)
	if err != nil {
		return nil, fmt.Errorf("search chat %d: %w", chatID, err)
	}
	return ms, nil
}

// searchMember searches every chat where userID is an active member: the
// matches of the whole index, newest chat first, kept when the person's
// membership (one primary-key lookup) lets them see the message.
func (q queries) searchMember(ctx context.Context, userID int64, match string, upper int64, limit int) ([]*haven.Message, error) {
	rows, err := q.db.query(ctx, searchMemberQuery, userID, match, upper, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("search chats of %d: %w", userID, err)
	}
	ms, err := scanAll(rows, scanMessage)
	if err != nil {
		return nil, fmt.Errorf("search chats of %d: %w", userID, err)
	}
	return ms, nil
}

// likePrefix escapes s for LIKE ... ESCAPE '\' and appends the wildcard.
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

// usernamePrefix returns the bounds [lo, hi) of the canonical usernames
// that start with query, and false when no username can (usernames are
// a-z, 0-9 and '_', all below '{').
func usernamePrefix(query string) (lo, hi string, ok bool) {
	canon := haven.CanonicalUsername(strings.TrimSpace(query))
	if canon == "" {
		return "", "", false
	}
	for i := 0; i < len(canon); i++ {
		c := canon[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return "", "", false
		}
	}
	return canon, canon + "{", true
}

// SearchChats finds public groups and channels (those with a username)
// whose username starts with query, in any case, or whose title has a
// word that does (case-insensitively for ASCII letters), the most members
// first. Public chats are few next to messages: they are scanned.
func (q queries) SearchChats(ctx context.Context, query string, limit int) ([]*haven.Chat, error) {
	query = strings.TrimSpace(query)
	if query == "" || limit <= 0 {
		return nil, nil
	}
	lo, hi, ok := usernamePrefix(query)
	if !ok {
		lo, hi = "", "" // no username matches; the titles still may
	}
	title := strings.TrimPrefix(query, "@")
	if title == "" {
		return nil, nil
	}
	cs, err := queryAll(ctx, q.db, scanChat, `SELECT `+chatColumns+` FROM chats c
		WHERE c.username_canon IS NOT NULL AND c.kind IN ('group', 'channel')
			AND (c.username_canon >= ? AND c.username_canon < ?
				OR c.title LIKE ? ESCAPE '\' OR c.title LIKE ? ESCAPE '\')
		ORDER BY c.member_count DESC, c.id LIMIT ?`, lo, hi, likePrefix(title), "% "+likePrefix(title), limit)
	if err != nil {
		return nil, fmt.Errorf("search chats: %w", err)
	}
	return cs, nil
}

// SearchUsers finds live users whose username starts with query, in any
// case, by username: a range of the username index.
func (q queries) SearchUsers(ctx context.Context, query string, limit int) ([]*haven.User, error) {
	lo, hi, ok := usernamePrefix(query)
	if !ok || limit <= 0 {
		return nil, nil
	}
	us, err := queryAll(ctx, q.db, scanUser, `SELECT `+userColumns+` FROM users
		WHERE username_canon >= ? AND username_canon < ? AND deleted = 0
		ORDER BY username_canon LIMIT ?`, lo, hi, limit)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	return us, nil
}
