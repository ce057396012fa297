package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/havenchat/haven/internal/core"
)

// MarkFound records that viewer found each of ids.
func (t *Tx) MarkFound(ctx context.Context, viewer int64, ids []int64, at time.Time) error {
	for _, id := range ids {
		if id == viewer {
			continue
		}
		if _, err := t.exec(ctx, `INSERT INTO found_users (viewer, user_id, at) VALUES (?, ?, ?)
			ON CONFLICT (viewer, user_id) DO NOTHING`, viewer, id, millis(at)); err != nil {
			return fmt.Errorf("mark found: %w", err)
		}
	}
	return nil
}

// visibleQuery selects, among the ids bound after the viewer (?1, the
// ids numbered from ?2 since they come first in the text), those
// the viewer may see; see core.PeopleQueries for the rule. Each branch is
// an indexed probe from the target's side: contacts (both ways), blocks
// and found_users by primary key, the target's memberships
// (members_user) each checked against the viewer's row in the same chat
// and against the chat.
const visibleQuery = `SELECT u.id FROM users u WHERE u.id IN (%s) AND (
	u.id = ?1
	OR EXISTS (SELECT 1 FROM contacts WHERE owner = ?1 AND user_id = u.id)
	OR EXISTS (SELECT 1 FROM contacts WHERE owner = u.id AND user_id = ?1)
	OR EXISTS (SELECT 1 FROM blocks WHERE owner = ?1 AND user_id = u.id)
	OR EXISTS (SELECT 1 FROM found_users WHERE viewer = ?1 AND user_id = u.id)
	OR EXISTS (SELECT 1 FROM members t
		JOIN members v ON v.chat_id = t.chat_id AND v.user_id = ?1
		JOIN chats c ON c.id = t.chat_id
		WHERE t.user_id = u.id AND v.role IN ('owner', 'admin', 'member')
			AND (c.kind <> 'channel' OR v.role IN ('owner', 'admin') OR t.role IN ('owner', 'admin')))
	OR EXISTS (SELECT 1 FROM members t JOIN chats c ON c.id = t.chat_id
		WHERE t.user_id = u.id AND t.role IN ('owner', 'admin', 'member')
			AND c.kind = 'group' AND c.username_canon IS NOT NULL))`

// VisibleUsers returns those of ids viewer has a stored reason to see.
func (q Queries) VisibleUsers(ctx context.Context, viewer int64, ids []int64) ([]int64, error) {
	var out []int64
	for len(ids) > 0 {
		n := min(len(ids), usersChunk)
		padded := paddedIDs(ids[:n])
		ids = ids[n:]
		args := append([]any{viewer}, padded...)
		params := make([]string, len(padded))
		for i := range params {
			params[i] = "?" + strconv.Itoa(i+2)
		}
		got, err := q.ids(ctx, fmt.Sprintf(visibleQuery, strings.Join(params, ", ")), args...)
		if err != nil {
			return nil, fmt.Errorf("visible users: %w", err)
		}
		out = append(out, got...)
	}
	return out, nil
}

var _ core.PeopleQueries = Queries{}
