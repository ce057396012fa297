package postgres_test

import (
	"testing"

	"github.com/havenchat/haven/internal/store/postgres"
)

func TestRewriteSQL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT a FROM t WHERE x = ? AND y = ?`, `SELECT a FROM t WHERE x = $1 AND y = $2`},
		{`INSERT INTO r (k, v) VALUES (?1, ?2 + ?3) ON CONFLICT (k) DO UPDATE SET v = max(r.v, ?2) + ?3`,
			`INSERT INTO r (k, v) VALUES ($1, $2 + $3) ON CONFLICT (k) DO UPDATE SET v = GREATEST(r.v, $2) + $3`},
		// A question mark or a keyword in quotes is text.
		{`SELECT '?', 'a LIKE b', x FROM t WHERE y LIKE ? ESCAPE '\'`, `SELECT '?', 'a LIKE b', x FROM t WHERE y ILIKE $1 ESCAPE '\'`},
		{`DELETE FROM h WHERE c = ? AND m IN (SELECT CAST(value AS BIGINT) FROM json_each(?))`,
			`DELETE FROM h WHERE c = $1 AND m IN (SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST($2 AS json)) AS json_each(value))`},
		// The aggregate max stays.
		{`SELECT coalesce(max(gid), 0) FROM events`, `SELECT coalesce(max(gid), 0) FROM events`},
		{`SELECT max(id) + 1 FROM sends`, `SELECT max(id) + 1 FROM sends`},
		// CROSS JOIN with ON is SQLite's; without, it is everyone's.
		{`FROM members mb CROSS JOIN chats c ON c.id = mb.chat_id`, `FROM members mb JOIN chats c ON c.id = mb.chat_id`},
		{`FROM members mb CROSS JOIN push_subscriptions p WHERE p.user_id = mb.user_id`, `FROM members mb CROSS JOIN push_subscriptions p WHERE p.user_id = mb.user_id`},
	} {
		if got := postgres.RewriteSQL(tc.in); got != tc.want {
			t.Errorf("RewriteSQL(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
