package sqlite

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlstore"
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

// ftsQuery turns text into a safe FTS5 query, or "" when it holds no
// searchable term: each of its terms (sqlstore.SearchTerms) is quoted as
// a string and made a prefix query, and the terms are ANDed.
func ftsQuery(text string) string {
	var b strings.Builder
	for i, term := range sqlstore.SearchTerms(text) {
		if i > 0 {
			b.WriteByte(' ')
		}
		// A term holds no '"'; doubling it anyway keeps this safe
		// whatever SearchTerms becomes.
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(term, `"`, `""`))
		b.WriteString(`"*`)
	}
	return b.String()
}

// search is full-text search on a DB that has the search index
// attached (the read pool).
type fts struct{ db sqlstore.DB }

// all runs a search statement and reads the messages it finds.
func (q fts) all(ctx context.Context, query string, args ...any) ([]*haven.Message, error) {
	return sqlstore.QueryAll(ctx, q.db, sqlstore.ScanMessage, query, args...)
}

// SearchMessages finds messages whose text matches query, ordered by
// (chat, id) descending, with (chat, id) below before when before is not
// zero. Without chatIDs it searches the chats where userID is an active
// member; either way it skips the messages userID has hidden and those
// below their membership's MinMessageID.
//
// The index is derived data, in a database of its own: it follows the
// committed log a moment after each write (see indexer.go).
func (q fts) SearchMessages(ctx context.Context, userID int64, chatIDs []int64, query string, before core.MessageRef, limit int) ([]*haven.Message, error) {
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
	searchChatQuery = `SELECT ` + sqlstore.MessageColumns + ` FROM ` + searchSchemaName + `.search s
		CROSS JOIN messages m ON m.chat_id = ? AND m.id = (s.rowid & 2147483647)
		LEFT JOIN members mb ON mb.chat_id = m.chat_id AND mb.user_id = ?
		WHERE s.search MATCH ? AND s.rowid BETWEEN ? AND ?
			AND m.id >= coalesce(mb.min_message_id, 0) AND ` + sqlstore.NotHidden + `
		ORDER BY s.rowid DESC LIMIT ?`
	searchChatBeforeQuery = `SELECT ` + sqlstore.MessageColumns + ` FROM ` + searchSchemaName + `.search s
		CROSS JOIN messages m ON m.chat_id = ? AND m.id = (s.rowid & 2147483647)
		LEFT JOIN members mb ON mb.chat_id = m.chat_id AND mb.user_id = ?
		WHERE s.search MATCH ? AND s.rowid BETWEEN ? AND ? AND m.date < ?
			AND m.id >= coalesce(mb.min_message_id, 0) AND ` + sqlstore.NotHidden + `
		ORDER BY s.rowid DESC LIMIT ?`
	searchMemberQuery = `SELECT ` + sqlstore.MessageColumns + ` FROM ` + searchSchemaName + `.search s
		CROSS JOIN members mb ON mb.chat_id = (s.rowid >> 31) AND mb.user_id = ?
		CROSS JOIN messages m ON m.chat_id = mb.chat_id AND m.id = (s.rowid & 2147483647)
		WHERE s.search MATCH ? AND s.rowid < ? AND mb.role IN ` + sqlstore.ActiveRoles + `
			AND m.id >= mb.min_message_id AND ` + sqlstore.NotHidden + `
		ORDER BY s.rowid DESC LIMIT ?`
)

// SearchChatBefore searches one chat for messages with an id below
// beforeID (0: any) and a date before before (zero: any), newest first.
// The rowid range seeks to beforeID; the date bound is checked on each
// match, newest first, so it costs the newer matches it skips.
func (q fts) SearchChatBefore(ctx context.Context, userID, chatID int64, query string, beforeID int64, before time.Time, limit int) ([]*haven.Message, error) {
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
		until = sqlstore.Millis(before)
	}
	ms, err := q.all(ctx, searchChatBeforeQuery, chatID, userID, match, lo, hi, until, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("search chat %d: %w", chatID, err)
	}
	return ms, nil
}

// searchChat searches one chat, whose rowids are [lo, hi].
func (q fts) searchChat(ctx context.Context, userID, chatID int64, match string, lo, hi int64, limit int) ([]*haven.Message, error) {
	ms, err := q.all(ctx, searchChatQuery, chatID, userID, match, lo, hi, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("search chat %d: %w", chatID, err)
	}
	return ms, nil
}

// searchMember searches every chat where userID is an active member: the
// matches of the whole index, newest chat first, kept when the person's
// membership (one primary-key lookup) lets them see the message.
func (q fts) searchMember(ctx context.Context, userID int64, match string, upper int64, limit int) ([]*haven.Message, error) {
	ms, err := q.all(ctx, searchMemberQuery, userID, match, upper, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("search chats of %d: %w", userID, err)
	}
	return ms, nil
}
