package core

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/havenchat/haven"
)

// PeopleQuery is a search for people to write to: by name or username
// among the searcher's contacts and the people they share chats with,
// and by public username beyond them.
type PeopleQuery struct {
	Query string
	Limit int
}

// PeopleLimit is how many people SearchPeople returns at most, and by
// default.
const (
	PeopleLimitMax     = 50
	PeopleLimitDefault = 20
)

// SearchPeople finds people for a "new chat" screen, ranked: the actor's
// contacts first (matched on the name the actor gave them as well as
// their own), then the people they share a private chat or group with
// (the most recently active chats first), then people whose public
// username starts with the query. A name matches when every word of the
// query starts a word of it, in any case and ignoring accents; a
// username when it starts with the query. Only people the actor may see
// are matched by name; strangers come only by username, and are then
// found (byUsername), as by SearchGlobal. Each person comes once, as the
// actor may see them; the actor is left out. In groups, at most
// limits.PeopleSearchScan members are looked at per search, so a search
// costs the same in a group of 200,000. Errors: CodeQueryTooShort.
func (s *Service) SearchPeople(ctx context.Context, a *Actor, q PeopleQuery) ([]UserView, error) {
	query := strings.TrimSpace(q.Query)
	words := nameWords(strings.TrimPrefix(query, "@"))
	if len(words) == 0 || len(query) > 64 {
		return nil, haven.Errorf(haven.CodeQueryTooShort, "give 1 to 64 characters, with a letter or digit, to search for")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = PeopleLimitDefault
	}
	limit = min(limit, PeopleLimitMax)
	uname := haven.CanonicalUsername(strings.TrimSpace(query))

	found := make([]*haven.User, 0, limit)
	seen := map[int64]bool{a.UserID: true}
	// take keeps the users among ids that match, in the order of ids,
	// until limit; also names the actor's own names for contacts.
	take := func(ids []int64, alias map[int64][]string) error {
		for len(ids) > 0 && len(found) < limit {
			batch := ids[:min(len(ids), s.limits.UsersPerRequest)]
			ids = ids[len(batch):]
			us, err := s.store.UsersByIDs(ctx, batch)
			if err != nil {
				return err
			}
			byID := make(map[int64]*haven.User, len(us))
			for _, u := range us {
				byID[u.ID] = u
			}
			for _, id := range batch {
				u := byID[id]
				if u == nil || u.Deleted || seen[id] || len(found) == limit {
					continue
				}
				names := append([]string{u.FirstName + " " + u.LastName}, alias[id]...)
				if matchesName(words, names) || (uname != "" && u.Username != "" && strings.HasPrefix(haven.CanonicalUsername(u.Username), uname)) {
					seen[id] = true
					found = append(found, u)
				}
			}
		}
		return nil
	}

	// Contacts, under the names the actor knows them by too.
	contacts, err := s.store.Contacts(ctx, a.UserID)
	if err != nil {
		return nil, s.internal(ctx, "users.search", err)
	}
	ids := make([]int64, 0, len(contacts))
	alias := make(map[int64][]string, len(contacts))
	for _, c := range contacts {
		ids = append(ids, c.UserID)
		alias[c.UserID] = []string{c.FirstName + " " + c.LastName}
	}
	if err := take(ids, alias); err != nil {
		return nil, s.internal(ctx, "users.search", err)
	}

	// People of shared private chats and groups, most recent chats first.
	if len(found) < limit {
		ids, err := s.chatPeers(ctx, a.UserID)
		if err != nil {
			return nil, s.internal(ctx, "users.search", err)
		}
		if err := take(ids, nil); err != nil {
			return nil, s.internal(ctx, "users.search", err)
		}
	}

	// Public usernames: the one way to strangers, who are then found
	// (may be seen by id), as by search.global, so that the chat a
	// result starts reaches them.
	if len(found) < limit && uname != "" {
		us, err := s.byUsername(ctx, a.UserID, uname, limit-len(found), seen)
		if err != nil {
			return nil, s.internal(ctx, "users.search", err)
		}
		found = append(found, us...)
	}
	return s.views(ctx, a.UserID, found)
}

// chatPeers lists the people userID shares a private chat or group with
// (active members), each once, the most recently active chats first;
// at most limits.PeopleSearchScan group members are read.
func (s *Service) chatPeers(ctx context.Context, userID int64) ([]int64, error) {
	ds, err := s.store.Dialogs(ctx, userID, 0)
	if err != nil {
		return nil, err
	}
	var ids []int64
	seen := map[int64]bool{userID: true}
	add := func(id int64) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	// Private chats first: they are who one writes to.
	for _, d := range ds {
		if d.Chat.Kind == haven.ChatPrivate {
			add(d.Chat.PeerA)
			add(d.Chat.PeerB)
		}
	}
	budget := s.limits.PeopleSearchScan
	roles := []haven.Role{haven.RoleOwner, haven.RoleAdmin, haven.RoleMember}
	for _, d := range ds {
		if d.Chat.Kind != haven.ChatGroup {
			continue
		}
		var after int64
		for budget > 0 {
			ms, err := s.store.Members(ctx, d.Chat.ID, roles, after, min(budget, 1000))
			if err != nil {
				return nil, err
			}
			budget -= len(ms)
			for _, m := range ms {
				add(m.UserID)
				after = m.UserID
			}
			if len(ms) < 1000 {
				break
			}
		}
	}
	return ids, nil
}

// matchesName reports whether every query word starts a word of one of
// names.
func matchesName(words []string, names []string) bool {
	for _, n := range names {
		have := nameWords(n)
		all := len(have) > 0
		for _, w := range words {
			all = all && slices.ContainsFunc(have, func(h string) bool { return strings.HasPrefix(h, w) })
		}
		if all {
			return true
		}
	}
	return false
}

// nameWords cuts s into its words (runs of letters and digits), lower
// case and without accents.
func nameWords(s string) []string {
	// Accents come off letters (é → e), as the message search index
	// takes them off (unicode61 remove_diacritics). A chain has state:
	// one per call.
	fold := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	folded, _, err := transform.String(fold, s)
	if err != nil {
		folded = s
	}
	return strings.FieldsFunc(strings.ToLower(folded), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
}
