package sqlite

import (
	"regexp"
	"strings"
)

// Who may see and reach whom (core.Store.ReachVersion) is read from a few
// tables. Rather than trust every use case to say when it changes them,
// the writer looks at each statement a transaction prepares: a write to
// one of these tables moves the version, unless it can only add reach (a
// plain INSERT: a new account, chat, contact, person found) or is an
// UPDATE that sets only columns known not to matter (a chat's sequence as
// a message is posted, a read pointer). A statement this cannot read
// counts as a change: an unneeded move costs a cache miss, a missed one a
// wrong answer.

// reachTables decide visibility, contact and the right to post.
var reachTables = map[string]bool{
	"users": true, "contacts": true, "blocks": true, "found_users": true,
	"members": true, "chats": true, "privacy": true,
}

// reachTakers are the tables where even a new row may take reach away.
var reachTakers = map[string]bool{"blocks": true, "privacy": true}

// reachNeutral are the columns of reachTables an UPDATE may set without
// changing who may see or reach whom.
var reachNeutral = map[string]bool{
	"seq": true, "top_message_id": true, "last_event_at": true, // a chat's next event
	"pts": true, "last_active_at": true, // a person's next event, their activity
	"read_inbox_max_id": true, // a member's read pointer
}

var (
	reachTarget = regexp.MustCompile(`^(?:insert(?:\s+or\s+\w+)?\s+into|replace\s+into|delete\s+from|update(?:\s+or\s+\w+)?)\s+"?(\w+)"?\s+set\s+|^(?:insert(?:\s+or\s+\w+)?\s+into|replace\s+into|delete\s+from)\s+"?(\w+)"?`)
	reachColumn = regexp.MustCompile(`^\s*"?(\w+)"?\s*$`)
)

// touchesReach reports whether query may change who may see or reach
// whom.
func touchesReach(query string) bool {
	q := strings.ToLower(strings.Join(strings.Fields(query), " "))
	if strings.HasPrefix(q, "select ") {
		return false
	}
	m := reachTarget.FindStringSubmatchIndex(q)
	if m == nil {
		return true // not a plain write: count it
	}
	table := q[max(m[2], m[4]):max(m[3], m[5])]
	if !reachTables[table] {
		return false
	}
	if strings.HasPrefix(q, "insert into ") && !strings.Contains(q, " do update ") && !reachTakers[table] {
		return false
	}
	if m[2] < 0 {
		return true // an INSERT that may update, a REPLACE or a DELETE
	}
	for _, target := range assignments(q[m[1]:]) {
		c := reachColumn.FindStringSubmatch(target)
		if c == nil || !reachNeutral[c[1]] {
			return true
		}
	}
	return false
}

// assignments returns the targets (what is left of "=") of the SET
// clause set starts with, which ends at a WHERE, RETURNING or FROM
// outside parentheses. A target that is not a single column (a row
// value) comes back as it is, which touchesReach counts as a change.
func assignments(set string) []string {
	var out []string
	depth, start, eq := 0, 0, -1
	end := func(i int) {
		if eq < 0 {
			out = append(out, set[start:i]) // no "=": unreadable
		} else {
			out = append(out, set[start:eq])
		}
	}
	for i := 0; i < len(set); i++ {
		switch c := set[i]; {
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && c == '=' && eq < 0:
			eq = i
		case depth == 0 && c == ',':
			end(i)
			start, eq = i+1, -1
		case depth == 0 && c == ' ' && (strings.HasPrefix(set[i:], " where ") || strings.HasPrefix(set[i:], " returning ") || strings.HasPrefix(set[i:], " from ")):
			end(i)
			return out
		}
	}
	end(len(set))
	return out
}

// ReachVersion changes whenever a write may take away someone's right to
// see or reach someone: when the statement runs (so that an Update later in the same
// batch sees it moved) and again when it commits (so that an answer read
// before the commit, under the first move, is not kept).
func (s *Store) ReachVersion() uint64 {
	return s.reach.Load()
}

// SoleWriter reports whether this Store's writer is the database's only
// one: true for Open (haven serve), false for OpenExisting (beside a
// running server).
func (s *Store) SoleWriter() bool {
	return s.sole
}

// reachMark is what one Update's statements may have done to reach.
type reachMark struct {
	s   *Store
	hit bool // a statement may have taken reach away
}

// mark notes the statement's effect: once per Update it moves the
// version. The writer goroutine alone calls it.
func (r *reachMark) mark(query string) {
	if r == nil || r.hit {
		return
	}
	touches, ok := r.s.reachOf[query]
	if !ok {
		touches = touchesReach(query)
		if len(r.s.reachOf) < reachOfMax {
			r.s.reachOf[query] = touches
		}
	}
	if touches {
		r.hit = true
		r.s.reach.Add(1)
	}
}

// reachOfMax bounds the remembered statements; there are a few hundred.
const reachOfMax = 4096
