package core

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/havenchat/haven"
)

// HistoryQuery pages through a chat. With AroundID the page is centred
// on that message; otherwise it holds messages older than BeforeID (0:
// the newest) or, with AfterID, newer than AfterID, oldest first.
type HistoryQuery struct {
	BeforeID int64
	AfterID  int64
	AroundID int64
	Limit    int
}

// History returns a page of messages the actor may see, always ordered
// by id descending (newest first), with reactions. Errors:
// CodeChatNotFound, CodeNotMember, CodeParamInvalid.
func (s *Service) History(ctx context.Context, a *Actor, chatID int64, q HistoryQuery) ([]MessageView, error) {
	limit := q.Limit
	if limit <= 0 || limit > s.limits.HistoryPage {
		limit = s.limits.HistoryPage
	}
	set := 0
	for _, x := range []int64{q.BeforeID, q.AfterID, q.AroundID} {
		if x < 0 {
			return nil, haven.Errorf(haven.CodeParamInvalid, "message ids are positive")
		}
		if x > 0 {
			set++
		}
	}
	if set > 1 {
		return nil, haven.Errorf(haven.CodeParamInvalid, "give at most one of before_id, after_id and around_id")
	}
	c, m, err := s.readable(ctx, s.store, a, chatID)
	if err != nil {
		return nil, s.internal(ctx, "messages.history", err)
	}
	var minID int64 = 1
	if m != nil && m.MinMessageID > minID {
		minID = m.MinMessageID
	}
	const top = haven.MaxID
	var msgs []*haven.Message
	switch {
	case q.AfterID > 0:
		msgs, err = s.store.History(ctx, chatID, a.UserID, max(minID, q.AfterID+1), top, limit, false)
		slices.Reverse(msgs)
	case q.AroundID > 0:
		var older, newer []*haven.Message
		newer, err = s.store.History(ctx, chatID, a.UserID, max(minID, q.AroundID), top, limit/2, false)
		if err == nil {
			older, err = s.store.History(ctx, chatID, a.UserID, minID, q.AroundID-1, limit-len(newer), true)
		}
		slices.Reverse(newer)
		msgs = append(newer, older...)
	default:
		hi := top
		if q.BeforeID > 0 {
			hi = q.BeforeID - 1
		}
		msgs, err = s.store.History(ctx, chatID, a.UserID, minID, hi, limit, true)
	}
	if err != nil {
		return nil, s.internal(ctx, "messages.history", err)
	}
	return s.messageViews(ctx, c, m, a.UserID, msgs)
}

// messageViews shapes messages with their reactions for a viewer whose
// row in c is m (nil: a visitor).
func (s *Service) messageViews(ctx context.Context, c *haven.Chat, m *haven.Member, viewer int64, msgs []*haven.Message) ([]MessageView, error) {
	out := make([]MessageView, len(msgs))
	if len(msgs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	rs, err := s.store.Reactions(ctx, c.ID, ids)
	if err != nil {
		return nil, s.internal(ctx, "messages", err)
	}
	for i, msg := range msgs {
		out[i] = s.viewFor(c, m, msg)
		out[i].Reactions = countReactions(rs[msg.ID], viewer)
	}
	return out, nil
}

// GetMessages returns the messages among ids that the actor may see.
// Errors: CodeTooManyIDs and those of History.
func (s *Service) GetMessages(ctx context.Context, a *Actor, chatID int64, ids []int64) ([]MessageView, error) {
	if len(ids) == 0 || len(ids) > s.limits.HistoryPage {
		return nil, haven.Errorf(haven.CodeTooManyIDs, "give 1 to %d message ids", s.limits.HistoryPage)
	}
	c, m, err := s.readable(ctx, s.store, a, chatID)
	if err != nil {
		return nil, s.internal(ctx, "messages.get", err)
	}
	msgs, err := s.visible(ctx, s.store, c, m, a.UserID, ids)
	if err != nil {
		return nil, s.internal(ctx, "messages.get", err)
	}
	return s.messageViews(ctx, c, m, a.UserID, msgs)
}

// visible loads the messages among ids a member (nil: a visitor) may see.
func (s *Service) visible(ctx context.Context, q Queries, c *haven.Chat, m *haven.Member, viewer int64, ids []int64) ([]*haven.Message, error) {
	msgs, err := q.Messages(ctx, c.ID, ids)
	if err != nil {
		return nil, err
	}
	hidden, err := q.HiddenIDs(ctx, viewer, c.ID, ids)
	if err != nil {
		return nil, err
	}
	out := msgs[:0]
	for _, x := range msgs {
		if hidden[x.ID] || (m != nil && x.ID < m.MinMessageID) {
			continue
		}
		out = append(out, x)
	}
	return out, nil
}

// View counts the actor as a viewer of channel posts (once per person
// and post) and returns the posts' view counts, by id.
func (s *Service) View(ctx context.Context, a *Actor, chatID int64, ids []int64) (map[int64]int, error) {
	if len(ids) == 0 || len(ids) > s.limits.HistoryPage {
		return nil, haven.Errorf(haven.CodeTooManyIDs, "give 1 to %d message ids", s.limits.HistoryPage)
	}
	out := make(map[int64]int, len(ids))
	err := s.store.Update(ctx, func(tx Tx) error {
		clear(out)
		c, _, err := s.readable(ctx, tx, a, chatID)
		if err != nil {
			return err
		}
		if c.Kind != haven.ChatChannel {
			return haven.Errorf(haven.CodeChatKindInvalid, "views are counted in channels")
		}
		msgs, err := tx.Messages(ctx, chatID, ids)
		if err != nil {
			return err
		}
		for _, msg := range msgs {
			added, err := tx.AddView(ctx, chatID, msg.ID, a.UserID)
			if err != nil {
				return err
			}
			if added {
				msg.Views++
			}
			out[msg.ID] = msg.Views
		}
		return nil
	})
	if err != nil {
		return nil, s.internal(ctx, "messages.view", err)
	}
	return out, nil
}

// Forward copies messages from one chat to another, keeping where they
// came from. randomIDs, one per message, make a retry idempotent.
// Errors: those of Send, CodeMessageNotFound, CodeTooManyIDs.
func (s *Service) Forward(ctx context.Context, a *Actor, fromChatID int64, ids []int64, to Peer, randomIDs []int64, silent bool) ([]MessageView, error) {
	if len(ids) == 0 || len(ids) > s.limits.ForwardBatch || len(randomIDs) != len(ids) {
		return nil, haven.Errorf(haven.CodeTooManyIDs, "give 1 to %d message ids and as many random_ids", s.limits.ForwardBatch)
	}
	for _, r := range randomIDs {
		if r == 0 {
			return nil, haven.Errorf(haven.CodeRandomIDInvalid, "each random_id must be a non-zero number")
		}
	}
	if v, err := s.alreadySent(ctx, a, randomIDs[0]); v != nil || err != nil {
		// The batch was sent before: answer with what it made.
		return s.sentMessages(ctx, a, randomIDs)
	}
	var out []MessageView
	err := s.store.Update(ctx, func(tx Tx) error {
		out = out[:0]
		src, sm, err := s.readable(ctx, tx, a, fromChatID)
		if err != nil {
			return err
		}
		c, m, err := s.postable(ctx, tx, a, to)
		if errors.Is(err, errNoChatYet) {
			if c, err = s.privateChat(ctx, tx, a.UserID, to.UserID); err == nil {
				m, err = s.member(ctx, tx, c.ID, a.UserID)
			}
		}
		if err != nil {
			return err
		}
		for i, id := range ids {
			orig, err := s.visibleMessage(ctx, tx, a.UserID, src, sm, id)
			if err != nil {
				return err
			}
			if orig.Service != nil {
				return haven.Errorf(haven.CodeMessageNotFound, "service message %d cannot be forwarded", id)
			}
			fwd := orig.Forward
			if fwd == nil {
				fwd = &haven.Forward{Date: orig.Date}
				if src.Kind == haven.ChatChannel {
					fwd.FromChatID, fwd.MessageID = src.ID, orig.ID
				} else if fwd, err = s.forwardedFrom(ctx, tx, a.UserID, orig); err != nil {
					return err
				}
			}
			msg := &haven.Message{SenderID: a.UserID, Text: orig.Text, Entities: orig.Entities, Forward: fwd, Silent: silent}
			if orig.Media != nil {
				// The copy carries the same files: its readers may fetch them.
				md := *orig.Media
				md.AlbumID = 0
				msg.Media = &md
			}
			if c.TTLSeconds > 0 {
				msg.ExpiresAt = s.now().Add(time.Duration(c.TTLSeconds) * time.Second)
			}
			var mentions []int64
			if c.Kind == haven.ChatGroup {
				mentions = s.mentioned(ctx, tx, c, msg)
			}
			if err := s.post(ctx, tx, c, m, msg, randomIDs[i], mentions); err != nil {
				return err
			}
			out = append(out, messageView(c, msg))
		}
		return nil
	})
	if haven.ErrorCode(err) == haven.CodeDuplicate {
		return nil, haven.Errorf(haven.CodeRandomIDInvalid, "a random_id of this forward was already used for another message; use fresh, distinct ids")
	}
	if err != nil {
		return nil, s.internal(ctx, "messages.forward", err)
	}
	return out, nil
}

// forwardedFrom says who wrote a message being forwarded by forwarder: a
// link to the author when their forwards privacy allows it, otherwise
// only their name.
func (s *Service) forwardedFrom(ctx context.Context, q Queries, forwarder int64, orig *haven.Message) (*haven.Forward, error) {
	fwd := &haven.Forward{Date: orig.Date, FromUserID: orig.SenderID}
	author, err := q.UserByID(ctx, orig.SenderID)
	if err != nil {
		return nil, err
	}
	if author.Deleted {
		return &haven.Forward{Date: orig.Date, FromName: haven.DeletedName}, nil
	}
	r, err := s.relation(ctx, q, forwarder, author.ID)
	if err != nil {
		return nil, err
	}
	p, err := q.Privacy(ctx, author.ID)
	if err != nil {
		return nil, err
	}
	if !r.allows(p.Get(haven.PrivacyForwards)) {
		name := author.FirstName
		if author.LastName != "" {
			name += " " + author.LastName
		}
		return &haven.Forward{Date: orig.Date, FromName: name}, nil
	}
	return fwd, nil
}
