package core

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/havenchat/haven"
)

// SearchQuery is a full-text search of messages: in one chat, or across
// all of the actor's chats. Before continues a previous page.
type SearchQuery struct {
	Query  string
	ChatID int64
	Before MessageRef
	Limit  int
}

// SearchMessages finds messages by words (and word prefixes), newest
// first. The index follows the log just after each commit, so a message
// is found a moment after it is acknowledged. Errors: CodeQueryTooShort,
// CodeChatNotFound, CodeNotMember.
func (s *Service) SearchMessages(ctx context.Context, a *Actor, q SearchQuery) ([]MessageView, error) {
	query := strings.TrimSpace(q.Query)
	if query == "" || len(query) > 256 {
		return nil, haven.Errorf(haven.CodeQueryTooShort, "give 1 to 256 characters to search for")
	}
	limit := q.Limit
	if limit <= 0 || limit > s.limits.HistoryPage {
		limit = s.limits.HistoryPage
	}
	var chats []int64
	if q.ChatID != 0 {
		if _, _, err := s.readable(ctx, s.store, a, q.ChatID); err != nil {
			return nil, s.internal(ctx, "messages.search", err)
		}
		chats = []int64{q.ChatID}
	}
	msgs, err := s.store.SearchMessages(ctx, a.UserID, chats, query, q.Before, limit)
	if err != nil {
		return nil, s.internal(ctx, "messages.search", err)
	}
	out := make([]MessageView, 0, len(msgs))
	cache := map[int64]*haven.Chat{}
	for _, m := range msgs {
		c := cache[m.ChatID]
		if c == nil {
			if c, err = s.store.ChatByID(ctx, m.ChatID); err != nil {
				return nil, s.internal(ctx, "messages.search", err)
			}
			cache[m.ChatID] = c
		}
		out = append(out, messageView(c, m))
	}
	return out, nil
}

// EverywhereQuery is a search of messages across all of a person's
// chats, newest first. A page after the first starts below the last
// result of the one before: its date (unix seconds), chat and id.
type EverywhereQuery struct {
	Query        string
	BeforeDate   int64
	BeforeChatID int64
	BeforeID     int64
	Limit        int
}

// FoundMessages answers SearchEverywhere: the messages, newest first, and
// what a client needs to show each with its chat (its title, or for a
// private chat the other person) and its sender.
type FoundMessages struct {
	Messages []MessageView
	Chats    []ChatView
	Users    []UserView
}

// SearchEverywhere finds messages by words across every chat the actor
// is an active member of, ordered by date (then chat, then id), newest
// first. Each chat is searched for its newest matches below the cursor;
// chats are taken the most recently active first, and the search stops
// at the first chat whose last activity is older than a full page's
// oldest result, so a page costs the chats that can still contribute.
// Errors: CodeQueryTooShort, CodeParamInvalid (a negative cursor).
func (s *Service) SearchEverywhere(ctx context.Context, a *Actor, q EverywhereQuery) (*FoundMessages, error) {
	query := strings.TrimSpace(q.Query)
	if query == "" || len(query) > 256 {
		return nil, haven.Errorf(haven.CodeQueryTooShort, "give 1 to 256 characters to search for")
	}
	if q.BeforeDate < 0 || q.BeforeChatID < 0 || q.BeforeID < 0 {
		return nil, haven.Errorf(haven.CodeParamInvalid, "the cursor (before_date, before_chat_id, before_id) cannot be negative")
	}
	limit := q.Limit
	if limit <= 0 || limit > s.limits.HistoryPage {
		limit = s.limits.HistoryPage
	}
	ds, err := s.store.Dialogs(ctx, a.UserID, 0)
	if err != nil {
		return nil, s.internal(ctx, "messages.searchGlobal", err)
	}
	type hit struct {
		m *haven.Message
		d *Dialog
	}
	// later says whether x comes before y: newer, then higher chat, then
	// higher id.
	later := func(x, y hit) int {
		if c := cmp.Compare(y.m.Date.Unix(), x.m.Date.Unix()); c != 0 {
			return c
		}
		if c := cmp.Compare(y.m.ChatID, x.m.ChatID); c != 0 {
			return c
		}
		return cmp.Compare(y.m.ID, x.m.ID)
	}
	var hits []hit
	for i := range ds {
		d := &ds[i]
		if len(hits) == limit && d.Chat.LastEventAt.Unix() < hits[limit-1].m.Date.Unix() {
			break // this chat and the quieter ones hold nothing newer
		}
		var beforeID int64
		var before time.Time
		if q.BeforeDate > 0 {
			switch c := d.Chat.ID; {
			case c == q.BeforeChatID:
				beforeID, before = q.BeforeID, time.Unix(q.BeforeDate+1, 0)
			case c < q.BeforeChatID:
				before = time.Unix(q.BeforeDate+1, 0)
			default:
				before = time.Unix(q.BeforeDate, 0)
			}
		}
		ms, err := s.store.SearchChatBefore(ctx, a.UserID, d.Chat.ID, query, beforeID, before, limit)
		if err != nil {
			return nil, s.internal(ctx, "messages.searchGlobal", err)
		}
		for _, m := range ms {
			hits = append(hits, hit{m, d})
		}
		slices.SortStableFunc(hits, later)
		hits = hits[:min(len(hits), limit)]
	}
	res := &FoundMessages{Messages: make([]MessageView, 0, len(hits)), Chats: []ChatView{}}
	chats := map[int64]bool{}
	var people []int64
	for _, h := range hits {
		v := messageView(h.d.Chat, h.m)
		res.Messages = append(res.Messages, v)
		// The sender the message shows: an unsigned channel post's
		// author is not given away by the people that come with it.
		people = append(people, v.SenderID)
		if !chats[h.d.Chat.ID] {
			chats[h.d.Chat.ID] = true
			res.Chats = append(res.Chats, chatView(h.d.Chat, h.d.Member, a.UserID))
			if h.d.Chat.Kind == haven.ChatPrivate {
				people = append(people, h.d.Chat.PeerA, h.d.Chat.PeerB)
			}
		}
	}
	slices.Sort(people)
	people = slices.Compact(people)
	if len(people) > 0 && people[0] == 0 {
		people = people[1:] // unsigned channel posts have no sender
	}
	// Only people the actor may see, as users.get gives them: a signed
	// post's author who is no longer a channel's admin is not.
	vis, err := s.visibleIDs(ctx, s.store, a.UserID, people)
	if err != nil {
		return nil, s.internal(ctx, "messages.searchGlobal", err)
	}
	people = slices.DeleteFunc(people, func(id int64) bool { return !vis[id] })
	us, err := s.store.UsersByIDs(ctx, people)
	if err != nil {
		return nil, s.internal(ctx, "messages.searchGlobal", err)
	}
	slices.SortFunc(us, func(x, y *haven.User) int { return cmp.Compare(x.ID, y.ID) })
	if res.Users, err = s.views(ctx, a.UserID, us); err != nil {
		return nil, err
	}
	return res, nil
}

// GlobalResult is what a global search finds: public users by username
// and public groups and channels by username or title.
type GlobalResult struct {
	Users []UserView
	Chats []ChatView
}

// SearchGlobal finds public users and chats. Errors: CodeQueryTooShort.
func (s *Service) SearchGlobal(ctx context.Context, a *Actor, query string, limit int) (*GlobalResult, error) {
	query = strings.TrimPrefix(strings.TrimSpace(query), "@")
	if len(query) < 2 || len(query) > 64 {
		return nil, haven.Errorf(haven.CodeQueryTooShort, "give 2 to 64 characters to search for")
	}
	if limit <= 0 || limit > 50 {
		limit = 50
	}
	// The people found by their username may be seen from now on.
	us, err := s.byUsername(ctx, a.UserID, query, limit, nil)
	if err != nil {
		return nil, s.internal(ctx, "search.global", err)
	}
	uv, err := s.views(ctx, a.UserID, us)
	if err != nil {
		return nil, err
	}
	cs, err := s.store.SearchChats(ctx, query, limit)
	if err != nil {
		return nil, s.internal(ctx, "search.global", err)
	}
	res := &GlobalResult{Users: uv, Chats: make([]ChatView, 0, len(cs))}
	for _, c := range cs {
		m, err := s.member(ctx, s.store, c.ID, a.UserID)
		if err != nil {
			return nil, s.internal(ctx, "search.global", err)
		}
		res.Chats = append(res.Chats, chatView(c, m, a.UserID))
	}
	return res, nil
}

// ResolveChat finds a public group or channel by username. Errors:
// CodeUsernameInvalid, CodeUsernameNotFound.
func (s *Service) ResolveChat(ctx context.Context, a *Actor, username string) (*ChatView, error) {
	username = trimAt(username)
	if !haven.ValidUsername(username) {
		return nil, usernameInvalid()
	}
	c, err := s.store.ChatByUsername(ctx, username)
	if err != nil {
		if haven.ErrorCode(err) == haven.CodeNotFound {
			return nil, haven.Errorf(haven.CodeUsernameNotFound, "no chat has the username %s", username)
		}
		return nil, s.internal(ctx, "chats.resolve", err)
	}
	m, err := s.member(ctx, s.store, c.ID, a.UserID)
	if err != nil {
		return nil, s.internal(ctx, "chats.resolve", err)
	}
	v := chatView(c, m, a.UserID)
	return &v, nil
}

// ExpireMessages deletes, for everyone, messages whose auto-delete time
// has passed, and reports how many. Safe to run on many nodes at once.
func (s *Service) ExpireMessages(ctx context.Context) (int, error) {
	total := 0
	for {
		refs, err := s.store.ExpiredMessages(ctx, s.now(), 500)
		if err != nil || len(refs) == 0 {
			return total, err
		}
		byChat := map[int64][]int64{}
		for _, r := range refs {
			byChat[r.ChatID] = append(byChat[r.ChatID], r.ID)
		}
		for chatID, ids := range byChat {
			n := 0 // of the run that commits: fn may run more than once
			err := s.store.Update(ctx, func(tx Tx) error {
				n = 0
				c, err := tx.ChatByID(ctx, chatID)
				if err != nil {
					return err
				}
				gone, err := tx.DeleteMessages(ctx, chatID, ids)
				if err != nil || len(gone) == 0 {
					return err
				}
				n = len(gone)
				_, err = s.chatEvent(ctx, tx, c, haven.EventMessageDelete, 0, nil, map[string]any{"ids": gone, "expired": true})
				return err
			})
			if err != nil {
				return total, err
			}
			total += n
		}
		if len(refs) < 500 {
			return total, nil
		}
	}
}
