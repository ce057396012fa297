package core

import (
	"context"
	"strings"

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

// GlobalResult is what a global search finds: public users by username
// and public groups and channels by username or title.
type GlobalResult struct {
	Users []UserView `json:"users"`
	Chats []ChatView `json:"chats"`
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
	us, err := s.store.SearchUsers(ctx, query, limit)
	if err != nil {
		return nil, s.internal(ctx, "search.global", err)
	}
	// The people found by their username may be seen from now on, as
	// with users.resolveUsername.
	if len(us) > 0 {
		if err := s.store.Update(ctx, func(tx Tx) error { return s.markFound(ctx, tx, a.UserID, us) }); err != nil {
			return nil, s.internal(ctx, "search.global", err)
		}
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
			err := s.store.Update(ctx, func(tx Tx) error {
				c, err := tx.ChatByID(ctx, chatID)
				if err != nil {
					return err
				}
				gone, err := tx.DeleteMessages(ctx, chatID, ids)
				if err != nil || len(gone) == 0 {
					return err
				}
				total += len(gone)
				_, err = s.chatEvent(ctx, tx, c, haven.EventMessageDelete, 0, nil, map[string]any{"ids": gone, "expired": true})
				return err
			})
			if err != nil {
				return total, err
			}
		}
		if len(refs) < 500 {
			return total, nil
		}
	}
}
