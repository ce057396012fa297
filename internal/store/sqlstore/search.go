package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/havenchat/haven"
)

// Query sanitising: what a person types is never passed to a database's
// text search as query syntax. It is cut into the runs of characters that
// SQLite's unicode61 tokenizer keeps as words (letters, digits, marks and
// private-use characters), at most maxSearchTerms of them; each backend
// makes each run a prefix query and ANDs them.
const maxSearchTerms = 16

// SearchTerms returns the words of a search query, as above.
func SearchTerms(text string) []string {
	terms := strings.FieldsFunc(text, func(r rune) bool { return !searchRune(r) })
	return terms[:min(len(terms), maxSearchTerms)]
}

func searchRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || unicode.Is(unicode.Co, r)
}

// likeEscaper escapes a string for LIKE ... ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// likePrefix escapes s for LIKE ... ESCAPE '\' and appends the wildcard.
func likePrefix(s string) string {
	return likeEscaper.Replace(s) + "%"
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
func (q Queries) SearchChats(ctx context.Context, query string, limit int) ([]*haven.Chat, error) {
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
	like := likePrefix(title)
	cs, err := queryAll(ctx, q.DB, scanChat, `SELECT `+chatColumns+` FROM chats c
		WHERE c.username_canon IS NOT NULL AND c.kind IN ('group', 'channel')
			AND (c.username_canon >= ? AND c.username_canon < ?
				OR c.title LIKE ? ESCAPE '\' OR c.title LIKE ? ESCAPE '\')
		ORDER BY c.member_count DESC, c.id LIMIT ?`, lo, hi, like, "% "+like, limit)
	if err != nil {
		return nil, fmt.Errorf("search chats: %w", err)
	}
	return cs, nil
}

// SearchUsers finds live users whose username starts with query, in any
// case, by username: a range of the username index.
func (q Queries) SearchUsers(ctx context.Context, query string, limit int) ([]*haven.User, error) {
	lo, hi, ok := usernamePrefix(query)
	if !ok || limit <= 0 {
		return nil, nil
	}
	us, err := queryAll(ctx, q.DB, scanUser, `SELECT `+userColumns+` FROM users
		WHERE username_canon >= ? AND username_canon < ? AND deleted = 0
		ORDER BY username_canon LIMIT ?`, lo, hi, limit)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	return us, nil
}
