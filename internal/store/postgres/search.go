package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlstore"
)

// Message search is PostgreSQL's text search: messages.words, a
// generated tsvector of the text in the haven configuration (simple, with
// accents removed), indexed by GIN (migrations/0001_init.sql). Unlike
// SQLite's index, which follows the log after the acknowledgement, it is
// written with the message: PostgreSQL keeps it in step, and nothing here
// needs to follow the log.

// tsQuery turns text into a safe tsquery (for to_tsquery), or "" when it
// holds no searchable term: each term quoted and made a prefix, the
// terms ANDed. A term is a run of letters, digits and marks, so it holds
// no quote; doubling them anyway keeps it safe whatever SearchTerms
// becomes.
func tsQuery(text string) string {
	terms := sqlstore.SearchTerms(text)
	for i, t := range terms {
		terms[i] = `'` + strings.ReplaceAll(t, `'`, `''`) + `':*`
	}
	return strings.Join(terms, ` & `)
}

// fts is full-text search on a DB.
type fts struct{ db sqlstore.DB }

const (
	// searchMemberQuery: the chats where the person is an active member,
	// from their first visible message on, below a (chat, id).
	searchMemberQuery = `SELECT ` + sqlstore.MessageColumns + ` FROM messages m
		JOIN members mb ON mb.chat_id = m.chat_id AND mb.user_id = ?
		WHERE m.words @@ to_tsquery('haven', ?) AND (m.chat_id, m.id) < (?, ?)
			AND mb.role IN ` + sqlstore.ActiveRoles + ` AND m.id >= mb.min_message_id AND ` + sqlstore.NotHidden + `
		ORDER BY m.chat_id DESC, m.id DESC LIMIT ?`
	// searchChatsQuery: the chats given (the core has checked that the
	// person may read them), from their first visible message on.
	searchChatsQuery = `SELECT ` + sqlstore.MessageColumns + ` FROM messages m
		LEFT JOIN members mb ON mb.chat_id = m.chat_id AND mb.user_id = ?
		WHERE m.chat_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))
			AND m.words @@ to_tsquery('haven', ?) AND (m.chat_id, m.id) < (?, ?)
			AND m.id >= coalesce(mb.min_message_id, 0) AND ` + sqlstore.NotHidden + `
		ORDER BY m.chat_id DESC, m.id DESC LIMIT ?`
	// searchChatBeforeQuery: one chat, below an id and a date.
	searchChatBeforeQuery = `SELECT ` + sqlstore.MessageColumns + ` FROM messages m
		LEFT JOIN members mb ON mb.chat_id = m.chat_id AND mb.user_id = ?
		WHERE m.chat_id = ? AND m.words @@ to_tsquery('haven', ?) AND m.id < ? AND m.date < ?
			AND m.id >= coalesce(mb.min_message_id, 0) AND ` + sqlstore.NotHidden + `
		ORDER BY m.id DESC LIMIT ?`
)

// SearchMessages finds messages whose text matches query, ordered by
// (chat, id) descending, with (chat, id) below before when before is not
// zero. Without chatIDs it searches the chats where userID is an active
// member; either way it skips the messages userID has hidden and those
// below their membership's MinMessageID.
func (q fts) SearchMessages(ctx context.Context, userID int64, chatIDs []int64, query string, before core.MessageRef, limit int) ([]*haven.Message, error) {
	match := tsQuery(query)
	if match == "" || limit <= 0 {
		return nil, nil
	}
	bChat, bID := int64(math.MaxInt64), int64(math.MaxInt64)
	if before != (core.MessageRef{}) {
		if before.ChatID <= 0 {
			return nil, nil
		}
		bChat, bID = before.ChatID, before.ID
	}
	var (
		ms  []*haven.Message
		err error
	)
	if len(chatIDs) == 0 {
		ms, err = q.all(ctx, searchMemberQuery, userID, match, bChat, bID, userID, limit)
	} else {
		chats := slices.Clone(chatIDs)
		slices.Sort(chats)
		list, jerr := json.Marshal(slices.Compact(chats))
		if jerr != nil {
			return nil, fmt.Errorf("search: %w", jerr)
		}
		ms, err = q.all(ctx, searchChatsQuery, userID, string(list), match, bChat, bID, userID, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("search messages of %d: %w", userID, err)
	}
	return ms, nil
}

// SearchChatBefore searches one chat for messages with an id below
// beforeID (0: any) and a date before before (zero: any), newest first.
func (q fts) SearchChatBefore(ctx context.Context, userID, chatID int64, query string, beforeID int64, before time.Time, limit int) ([]*haven.Message, error) {
	match := tsQuery(query)
	if match == "" || limit <= 0 {
		return nil, nil
	}
	if beforeID <= 0 {
		beforeID = math.MaxInt64
	}
	until := int64(math.MaxInt64)
	if !before.IsZero() {
		until = sqlstore.Millis(before)
	}
	ms, err := q.all(ctx, searchChatBeforeQuery, userID, chatID, match, beforeID, until, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("search chat %d: %w", chatID, err)
	}
	return ms, nil
}

// all runs a search statement and reads the messages it finds.
func (q fts) all(ctx context.Context, query string, args ...any) ([]*haven.Message, error) {
	return sqlstore.QueryAll(ctx, q.db, sqlstore.ScanMessage, query, args...)
}
