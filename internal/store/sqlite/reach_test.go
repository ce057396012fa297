package sqlite

import "testing"

// TestTouchesReach: the reading of statements errs towards "changes
// reach": anything not a plain write, an upsert, a write to blocks or an
// UPDATE setting a column not known to be neutral.
func TestTouchesReach(t *testing.T) {
	for _, c := range []struct {
		query string
		want  bool
	}{
		{`SELECT id FROM users WHERE id = ?`, false},
		{`INSERT INTO messages (chat_id, id) VALUES (?, ?)`, false},
		{`INSERT INTO users (first_name) VALUES (?)`, false},
		{`INSERT INTO blocks (owner, user_id, created_at) VALUES (?, ?, ?)`, true},
		{`INSERT INTO members (chat_id, user_id, role) VALUES (?, ?, ?) ON CONFLICT (chat_id, user_id) DO UPDATE SET role = excluded.role`, true},
		{`INSERT OR REPLACE INTO contacts (owner, user_id) VALUES (?, ?)`, true},
		{`REPLACE INTO members (chat_id, user_id) VALUES (?, ?)`, true},
		{`DELETE FROM found_users WHERE viewer = ?`, true},
		{`DELETE FROM sends WHERE at < ?`, false},
		{"UPDATE chats SET seq = seq + 1, top_message_id = top_message_id + ?,\n\t\tlast_event_at = max(last_event_at, ?)\n\tWHERE id = ? RETURNING seq", false},
		{`UPDATE members SET read_inbox_max_id = max(read_inbox_max_id, ?) WHERE chat_id = ? AND user_id = ?`, false},
		{`UPDATE members SET role = ? WHERE chat_id = ?`, true},
		{`UPDATE members SET read_inbox_max_id = ?, role = ? WHERE chat_id = ?`, true},
		{`UPDATE users SET deleted = 1 WHERE id = ?`, true},
		{`WITH x AS (SELECT 1) DELETE FROM blocks`, true},
		{`UPDATE chats SET (seq, kind) = (1, 'group')`, true},
		{`UPDATE members SET read_inbox_max_id = (SELECT max(id) FROM messages WHERE chat_id = 1), role = ? WHERE chat_id = ?`, true},
		{`UPDATE members SET read_inbox_max_id = (SELECT max(id) FROM messages WHERE role = 1) WHERE chat_id = ?`, false},
		{`UPDATE users SET pts = pts + 1 WHERE id = ? RETURNING pts`, false},
		{`UPDATE users SET last_active_at = ?, deleted = 1`, true},
		{`UPDATE sessions SET last_active_at = ?`, false},
	} {
		if got := touchesReach(c.query); got != c.want {
			t.Errorf("touchesReach(%q) = %v, want %v", c.query, got, c.want)
		}
	}
}
