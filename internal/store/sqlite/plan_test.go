package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havenchat/haven/internal/store/sqlstore"
)

// TestQueryPlans pins the plans of the statements on which the
// performance targets rest: each must seek its index, never scan a table
// that grows with the messages, and never sort what an index already
// orders. A schema or query change that loses an index fails here rather
// than in a benchmark.
func TestQueryPlans(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "haven.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hot := sqlstore.HotStatements
	for _, tc := range []struct {
		name, query string
		want        []string // each must appear in the plan
		sorts       bool     // the plan may use a temporary B-tree
	}{
		{"history newest", hot["history newest"], []string{
			"SEARCH m USING PRIMARY KEY (chat_id=? AND id>? AND id<?)",
			"SEARCH h USING PRIMARY KEY (user_id=? AND chat_id=? AND msg_id=?)"}, false},
		{"history oldest", hot["history oldest"], []string{"SEARCH m USING PRIMARY KEY (chat_id=? AND id>? AND id<?)"}, false},
		{"count unread", hot["count unread"], []string{"SEARCH m USING PRIMARY KEY (chat_id=? AND id>? AND id<?)"}, false},
		{"dialogs", hot["dialogs"], []string{
			"SEARCH mb USING INDEX members_user (user_id=?)",
			"SEARCH c USING INTEGER PRIMARY KEY (rowid=?)",
			"SEARCH e USING COVERING INDEX"}, true},
		{"dialogs since", hot["dialogs since"], []string{"SEARCH mb USING INDEX members_user (user_id=?)"}, true},
		// The search index is attached from its own file: the MATCH and
		// the rowid bounds must reach FTS5 (M1 >< : a match within a
		// rowid range; M1 < : below a rowid), and the main database's
		// tables be sought from its rowids.
		{"search a chat", searchChatQuery, []string{
			"SCAN s VIRTUAL TABLE INDEX 192:M1><",
			"SEARCH m USING PRIMARY KEY (chat_id=? AND id=?)"}, false},
		{"search my chats", searchMemberQuery, []string{
			"SCAN s VIRTUAL TABLE INDEX 192:M1<",
			"SEARCH mb USING PRIMARY KEY (chat_id=? AND user_id=?)",
			"SEARCH m USING PRIMARY KEY (chat_id=? AND id=?)"}, false},
		{"index the log", indexReadQuery, []string{
			"SEARCH e USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)",
			"SEARCH m USING PRIMARY KEY (chat_id=? AND id=?)"}, false},
		{"events", `SELECT gid, chat_id, seq, kind, message_id, user_id, date, data FROM events
			WHERE chat_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
			[]string{"sqlite_autoindex_events_1 (chat_id=? AND seq>?)"}, false},
		{"expired", `SELECT chat_id, id FROM messages WHERE expires_at < ? ORDER BY expires_at, chat_id, id LIMIT ?`,
			[]string{"USING COVERING INDEX messages_expires_at (expires_at<?)"}, false},
		{"senior member", hot["senior member"], []string{
			"SEARCH mb USING INDEX members_seniority (chat_id=? AND role=?)",
			"SEARCH u USING INTEGER PRIMARY KEY (rowid=?)"}, false},
		// A message's push fan-out walks the chat's members and seeks
		// each one's subscriptions, in the order the page resumes from.
		{"push targets", hot["push targets"], []string{
			"SEARCH mb USING PRIMARY KEY (chat_id=? AND user_id>?)",
			"SEARCH p USING INDEX push_subscriptions_user (user_id=?)",
			"SEARCH b USING PRIMARY KEY (owner=? AND user_id=?)"}, false},
		{"active invites", hot["active invites"], []string{"SEARCH invites USING INDEX invites_creator (chat_id=? AND creator_id=?)"}, false},
		{"storage usage", hot["storage usage"], []string{
			"USING COVERING INDEX files_uploader (uploader_id=?)",
			"USING INDEX uploads_open_user (user_id=? AND expires_at>?)"}, false},
		{"delete hidden marks", `DELETE FROM hidden WHERE chat_id = ? AND msg_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))`,
			[]string{"hidden_message (chat_id=? AND msg_id=?)"}, false},
		{"visible users", fmt.Sprintf(hot["visible users"], "?2, ?3"), []string{
			"SEARCH u USING INTEGER PRIMARY KEY (rowid=?)",
			"SEARCH contacts USING PRIMARY KEY (owner=? AND user_id=?)",
			"SEARCH found_users USING PRIMARY KEY (viewer=? AND user_id=?)",
			"SEARCH t USING INDEX members_user (user_id=?)",
			"SEARCH v USING PRIMARY KEY (chat_id=? AND user_id=?)"}, false},
		{"delete mentions", `DELETE FROM mentions WHERE chat_id = ? AND msg_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))`,
			[]string{"mentions_message (chat_id=? AND msg_id=?)"}, false},
	} {
		args := make([]any, strings.Count(tc.query, "?"))
		for i := range args {
			args[i] = 1
		}
		rows, err := s.read.Query(`EXPLAIN QUERY PLAN `+tc.query, args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		all := strings.Join(plan, "\n")
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: plan lacks %q:\n%s", tc.name, w, all)
			}
		}
		if !tc.sorts && strings.Contains(all, "TEMP B-TREE") {
			t.Errorf("%s: plan sorts:\n%s", tc.name, all)
		}
		for _, line := range plan {
			if strings.HasPrefix(line, "SCAN") && !strings.HasPrefix(line, "SCAN s VIRTUAL") &&
				!strings.HasPrefix(line, "SCAN json_each") && !strings.HasPrefix(line, "SCAN (subquery") &&
				line != "SCAN unread" && line != "SCAN blobs" && // subqueries, named
				line != "SCAN CONSTANT ROW" { // a SELECT of subqueries only
				t.Errorf("%s: plan scans a table: %q\n%s", tc.name, line, all)
			}
		}
	}
}
