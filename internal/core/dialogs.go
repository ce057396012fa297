package core

import (
	"context"
	"sort"
	"time"

	"github.com/havenchat/haven"
)

// DialogView is one chat in a person's list.
type DialogView struct {
	Chat           ChatView
	TopMessage     *MessageView
	ReadInboxMaxID int64
	UnreadCount    int
	UnreadMentions int
	Pinned         bool
	Archived       bool
	MutedUntil     int64
	// Peer is the other person of a private chat, as privacy shows them.
	Peer *UserView
}

// unreadCap bounds how far unread messages are counted: past it a client
// shows "999+".
const unreadCap = 1000

// Dialogs lists the actor's chats: pinned ones first (in their order),
// then by last activity. Own messages never count as unread.
func (s *Service) Dialogs(ctx context.Context, a *Actor) ([]DialogView, error) {
	return s.dialogs(ctx, a, 0)
}

func (s *Service) dialogs(ctx context.Context, a *Actor, sinceGID int64) ([]DialogView, error) {
	ds, err := s.store.Dialogs(ctx, a.UserID, sinceGID)
	if err != nil {
		return nil, s.internal(ctx, "dialogs.list", err)
	}
	out := make([]DialogView, 0, len(ds))
	for _, d := range ds {
		v, err := s.dialogView(ctx, a, d.Chat, d.Member)
		if err != nil {
			return nil, s.internal(ctx, "dialogs.list", err)
		}
		out = append(out, v)
	}
	return sortDialogs(ds, out), nil
}

// sortDialogs puts pinned dialogs first, highest rank first, keeping the
// store's order (by last activity) otherwise.
func sortDialogs(ds []Dialog, vs []DialogView) []DialogView {
	idx := make([]int, len(ds))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(x, y int) bool { return ds[idx[x]].Member.PinnedRank > ds[idx[y]].Member.PinnedRank })
	out := make([]DialogView, len(vs))
	for i, k := range idx {
		out[i] = vs[k]
	}
	return out
}

func (s *Service) dialogView(ctx context.Context, a *Actor, c *haven.Chat, m *haven.Member) (DialogView, error) {
	v := DialogView{
		Chat:           chatView(c, m, a.UserID),
		ReadInboxMaxID: m.ReadInboxMaxID,
		Pinned:         m.PinnedRank > 0,
		Archived:       m.Archived,
		MutedUntil:     unix(m.MutedUntil),
	}
	// The dialog is the chat as read (c, m), at its seq: its top message
	// and counts stop at the chat's newest message then. A message sent
	// since is an event after that seq, which the client counts itself;
	// counted here too, it would be counted twice.
	top, err := s.store.History(ctx, c.ID, a.UserID, max(1, m.MinMessageID), c.TopMessageID, 1, true)
	if err != nil {
		return v, err
	}
	if len(top) == 1 {
		mv := s.viewFor(c, m, top[0])
		v.TopMessage = &mv
	}
	after := max(m.ReadInboxMaxID, m.MinMessageID-1)
	if c.TopMessageID > after {
		if v.UnreadCount, err = s.store.CountUnread(ctx, c.ID, a.UserID, after, c.TopMessageID, unreadCap); err != nil {
			return v, err
		}
		if c.Kind == haven.ChatGroup && v.UnreadCount > 0 {
			if v.UnreadMentions, err = s.store.CountMentions(ctx, c.ID, a.UserID, after, c.TopMessageID); err != nil {
				return v, err
			}
		}
	}
	if c.Kind == haven.ChatPrivate {
		u, err := s.store.UserByID(ctx, c.Other(a.UserID))
		if err != nil {
			return v, err
		}
		pv, err := s.view(ctx, s.store, a.UserID, u)
		if err != nil {
			return v, err
		}
		v.Peer = &pv
	}
	return v, nil
}

// DialogSettings are changes to the actor's own view of a chat; nil
// fields stay.
type DialogSettings struct {
	Pinned     *bool
	Archived   *bool
	MutedUntil *time.Time // zero time: unmute
}

// UpdateDialog pins, archives or mutes a chat for the actor, on all their
// devices. At most Limits.PinnedDialogs chats are pinned. Errors:
// CodePinnedTooMany, CodeNotMember.
func (s *Service) UpdateDialog(ctx context.Context, a *Actor, chatID int64, in DialogSettings) (*DialogView, error) {
	var c *haven.Chat
	var m *haven.Member
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		c, m, err = s.access(ctx, tx, a, chatID, ActRead)
		if err != nil {
			return err
		}
		if in.Pinned != nil && *in.Pinned != (m.PinnedRank > 0) {
			if !*in.Pinned {
				m.PinnedRank = 0
			} else {
				ds, err := tx.Dialogs(ctx, a.UserID, 0)
				if err != nil {
					return err
				}
				pinned, top := 0, 0
				for _, d := range ds {
					if d.Member.PinnedRank > 0 {
						pinned++
						top = max(top, d.Member.PinnedRank)
					}
				}
				if pinned >= s.limits.PinnedDialogs {
					return haven.Errorf(haven.CodePinnedTooMany, "at most %d chats can be pinned", s.limits.PinnedDialogs)
				}
				m.PinnedRank = top + 1
			}
		}
		if in.Archived != nil {
			m.Archived = *in.Archived
		}
		if in.MutedUntil != nil {
			m.MutedUntil = *in.MutedUntil
		}
		if err := tx.PutMember(ctx, m); err != nil {
			return err
		}
		return s.userEvent(ctx, tx, a.UserID, haven.UserDialogUpdate, chatID, map[string]any{
			"pinned": m.PinnedRank > 0, "archived": m.Archived, "muted_until": unix(m.MutedUntil),
		})
	})
	if err != nil {
		return nil, s.internal(ctx, "dialogs.update", err)
	}
	v, err := s.dialogView(ctx, a, c, m)
	if err != nil {
		return nil, s.internal(ctx, "dialogs.update", err)
	}
	return &v, nil
}
