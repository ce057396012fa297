package core

import (
	"context"

	"github.com/havenchat/haven"
)

// State is where a client stands: Pts in its person's own log and GID,
// the store-wide position of the last chat event it has accounted for.
// A client keeps both and asks for the difference after a gap or a
// reconnect.
type State struct {
	Pts  int64
	GID  int64
	Date int64
}

// GetState returns the actor's current state.
func (s *Service) GetState(ctx context.Context, a *Actor) (*State, error) {
	pts, err := s.store.UserPts(ctx, a.UserID)
	if err != nil {
		return nil, s.internal(ctx, "sync.getState", err)
	}
	gid, err := s.store.LastGID(ctx)
	if err != nil {
		return nil, s.internal(ctx, "sync.getState", err)
	}
	return &State{Pts: pts, GID: gid, Date: s.now().Unix()}, nil
}

// Difference is what changed for a person since a State: their own log's
// events, and the dialogs whose chats changed (with each chat's seq, so
// the client can ask each chat for its events). State is where the
// client stands after applying it; with More set, ask again from there.
type Difference struct {
	UserEvents []UserEventView
	Dialogs    []DialogView
	State      State
	More       bool
}

// userEventsPage bounds one difference's personal events.
const userEventsPage = 1000

// GetDifference returns what changed since pts and gid. Errors:
// CodeParamInvalid (a state from the future).
func (s *Service) GetDifference(ctx context.Context, a *Actor, pts, gid int64) (*Difference, error) {
	// Take the state first: whatever commits meanwhile is reported again
	// next time rather than missed.
	st, err := s.GetState(ctx, a)
	if err != nil {
		return nil, err
	}
	if pts < 0 || gid < 0 || pts > st.Pts || gid > st.GID {
		return nil, haven.Errorf(haven.CodeParamInvalid, "pts and gid must come from this server's state")
	}
	evs, err := s.store.UserEvents(ctx, a.UserID, pts, userEventsPage+1)
	if err != nil {
		return nil, s.internal(ctx, "sync.getDifference", err)
	}
	// Events committed after the state was taken are past st.Pts: a
	// client that adopts the state would get them again next time, so
	// they are left for then.
	for len(evs) > 0 && evs[len(evs)-1].Pts > st.Pts {
		evs = evs[:len(evs)-1]
	}
	d := &Difference{UserEvents: make([]UserEventView, 0, len(evs)), State: *st}
	if len(evs) > userEventsPage {
		evs, d.More = evs[:userEventsPage], true
		d.State.Pts = evs[len(evs)-1].Pts
	}
	for _, e := range evs {
		d.UserEvents = append(d.UserEvents, userEventView(e))
	}
	// Asked even when the state's gid has not moved: on PostgreSQL it is
	// a horizon, held where it is by a transaction still running while
	// later ones commit above it (docs/decisions/0017).
	if gid <= st.GID {
		if d.Dialogs, err = s.dialogs(ctx, a, gid); err != nil {
			return nil, err
		}
	}
	if d.Dialogs == nil {
		d.Dialogs = []DialogView{}
	}
	return d, nil
}

// ChatDifference is a chat's events after a seq, with the messages they
// concern as they are now. TooLong means the client is so far behind
// that it should drop its copy and reload the chat's history; Seq is
// then the chat's current seq.
type ChatDifference struct {
	Events  []ChatEventView
	Seq     int64
	More    bool
	TooLong bool
}

// tooLongAfter is how far behind a chat a client may be before it is
// told to reload instead.
const tooLongAfter = 100_000

// GetChatDifference returns a chat's events after seq (or after the
// member's MinSeq, when later), up to limit. Errors: CodeChatNotFound, CodeNotMember, CodeParamInvalid.
func (s *Service) GetChatDifference(ctx context.Context, a *Actor, chatID, seq int64, limit int) (*ChatDifference, error) {
	if limit <= 0 || limit > s.limits.DifferencePage {
		limit = s.limits.DifferencePage
	}
	c, m, err := s.readable(ctx, s.store, a, chatID)
	if err != nil {
		return nil, s.internal(ctx, "sync.getChatDifference", err)
	}
	if seq < 0 || seq > c.Seq {
		return nil, haven.Errorf(haven.CodeParamInvalid, "seq %d is beyond the chat's %d", seq, c.Seq)
	}
	if m != nil && seq < m.MinSeq {
		// A member who joined a group hiding its history gets the
		// events from their join on: the answer starts there, and its
		// seq moves the client past the hidden range, which it then
		// never asks for again.
		seq = m.MinSeq
	}
	if c.Seq-seq > tooLongAfter {
		return &ChatDifference{Events: []ChatEventView{}, Seq: c.Seq, TooLong: true}, nil
	}
	// The events and the messages they name, as they are now, in one
	// read.
	evs, err := s.store.ChatEvents(ctx, chatID, a.UserID, seq, limit+1)
	if err != nil {
		return nil, s.internal(ctx, "sync.getChatDifference", err)
	}
	d := &ChatDifference{Events: make([]ChatEventView, 0, min(len(evs), limit)), Seq: c.Seq}
	if len(evs) > limit {
		evs, d.More = evs[:limit], true
	}
	if len(evs) > 0 {
		d.Seq = evs[len(evs)-1].Seq
	}
	// Each message the member may see, once, even when several events
	// name it. A message hidden by the member, or before their history,
	// is not shown.
	var msgs []*haven.Message
	for i := range evs {
		e := &evs[i]
		if e.Message == nil || e.Hidden || (m != nil && e.Message.ID < m.MinMessageID) {
			e.Message = nil
			continue
		}
		msgs = append(msgs, e.Message)
	}
	msgs = dedupeMessages(msgs)
	vs, err := s.messageViews(ctx, c, m, a.UserID, msgs)
	if err != nil {
		return nil, err
	}
	views := make(map[int64]*MessageView, len(vs))
	for i := range vs {
		views[vs[i].ID] = &vs[i]
	}
	outsider := !s.seesActors(c, m)
	for i := range evs {
		e := &evs[i]
		var mv *MessageView
		if e.Message != nil {
			mv = views[e.Message.ID]
		}
		ev := eventView(&e.Event, mv)
		if e.MessageID != 0 && e.Kind != haven.EventMessageDelete && ev.Message == nil {
			// Deleted since, hidden, or before the member's history:
			// keep the seq so the client sees no gap, without content.
			ev.MessageID = 0
		}
		if outsider {
			ev.forOutsider(c)
		}
		d.Events = append(d.Events, ev)
	}
	return d, nil
}

// dedupeMessages leaves out messages named again (by pointer or id).
func dedupeMessages(msgs []*haven.Message) []*haven.Message {
	seen := make(map[int64]bool, len(msgs))
	out := msgs[:0]
	for _, x := range msgs {
		if !seen[x.ID] {
			seen[x.ID] = true
			out = append(out, x)
		}
	}
	return out
}

// typingTTL is how long a typing notice lasts unless renewed.
const typingTTL = 6

// SetTyping tells the chat's other members the actor is typing (or, with
// cancel, has stopped). It is never stored. Errors: those of Send's
// access checks.
func (s *Service) SetTyping(ctx context.Context, a *Actor, chatID int64, cancel bool) error {
	c, _, err := s.access(ctx, s.store, a, chatID, ActSend)
	if err != nil {
		return s.internal(ctx, "messages.setTyping", err)
	}
	if s.bus == nil || c.Saved() {
		return nil
	}
	expires := typingTTL
	if cancel {
		expires = 0
	}
	data := Typing{ChatID: chatID, UserID: a.UserID, ExpiresIn: expires}
	b, err := s.encodeNotice(Notice{Kind: PushTyping, ChatID: chatID, UserID: a.UserID}, data)
	if err != nil {
		return s.internal(ctx, "messages.setTyping", err)
	}
	s.send(ctx, chatSubject(chatID), b)
	return nil
}

// ChatSub is a chat whose pushes a person's sockets receive, and the
// first message they may see in it.
type ChatSub struct {
	ChatID       int64
	MinMessageID int64
}

// Subscriptions lists the chats whose pushes a person's sockets need.
func (s *Service) Subscriptions(ctx context.Context, userID int64) ([]ChatSub, error) {
	ms, err := s.store.Memberships(ctx, userID)
	if err != nil {
		return nil, s.internal(ctx, "subscriptions", err)
	}
	out := make([]ChatSub, len(ms))
	for i, m := range ms {
		out[i] = ChatSub{ChatID: m.ChatID, MinMessageID: m.MinMessageID}
	}
	return out, nil
}
