package core

import (
	"context"

	"github.com/havenchat/haven"
)

// Who may see whom. Ids are sequential, so a method that answered for
// any id would let anyone walk them and collect every profile. A person
// is shown only to those with a reason to see them (see
// PeopleQueries.VisibleUsers): a contact, a shared chat, a public group
// they are in, or having found them by username, phone number, email or
// search, which MarkFound records for good. To anyone else an account
// that exists is answered exactly as one that does not: users.get leaves
// it out, and every method that takes a user id answers USER_NOT_FOUND,
// so that no method is an oracle.

// visibleIDs returns which of ids viewer may see.
func (s *Service) visibleIDs(ctx context.Context, q Queries, viewer int64, ids []int64) (map[int64]bool, error) {
	got, err := q.VisibleUsers(ctx, viewer, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(got)+1)
	out[viewer] = true
	for _, id := range got {
		out[id] = true
	}
	return out, nil
}

// canSee reports whether viewer may see target.
func (s *Service) canSee(ctx context.Context, q Queries, viewer, target int64) (bool, error) {
	if viewer == target {
		return true, nil
	}
	vis, err := s.visibleIDs(ctx, q, viewer, []int64{target})
	return vis[target], err
}

// knownUser loads a live account that viewer may see. Errors:
// CodeUserNotFound, alike for an account that does not exist, is deleted
// or that viewer has no reason to see. The visibility is asked first, so
// that a missing and a hidden account take the same path (one query,
// which finds neither) and not even the time of the answer differs.
func (s *Service) knownUser(ctx context.Context, q Queries, viewer, id int64) (*haven.User, error) {
	ok, err := s.canSee(ctx, q, viewer, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, userNotFound(id)
	}
	return s.liveUser(ctx, q, id)
}

func userNotFound(id int64) error {
	return haven.Errorf(haven.CodeUserNotFound, "there is no user %d", id)
}

// byUsername returns up to limit live people whose username starts with
// prefix, leaving out those in skip, and records that viewer found them.
// It is the one rule for searches by username (search.global and
// users.search's strangers): whoever such a search shows may be reached
// by id afterwards, as after users.resolveUsername, so that a person
// found in a "new chat" search can be written to.
func (s *Service) byUsername(ctx context.Context, viewer int64, prefix string, limit int, skip map[int64]bool) ([]*haven.User, error) {
	if limit <= 0 {
		return nil, nil
	}
	// Those skipped may be among the first; asking for as many more
	// leaves limit others if there are.
	us, err := s.store.SearchUsers(ctx, prefix, limit+len(skip))
	if err != nil {
		return nil, err
	}
	out := make([]*haven.User, 0, min(len(us), limit))
	for _, u := range us {
		if !skip[u.ID] && len(out) < limit {
			out = append(out, u)
		}
	}
	if len(out) > 0 {
		if err := s.store.Update(ctx, func(tx Tx) error { return s.markFound(ctx, tx, viewer, out) }); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// markFound records that viewer found the people us (by username, phone
// number, email or search): from then on viewer may see them.
func (s *Service) markFound(ctx context.Context, tx Tx, viewer int64, us []*haven.User) error {
	ids := make([]int64, 0, len(us))
	for _, u := range us {
		if u.ID != viewer && !u.Deleted {
			ids = append(ids, u.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return tx.MarkFound(ctx, viewer, ids, s.now())
}
