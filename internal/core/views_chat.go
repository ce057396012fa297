package core

import (
	"time"

	"github.com/havenchat/haven"
)

// MessageView is a message as one viewer may see it (see viewFor). It
// is a domain value: internal/api gives it its wire shape.
type MessageView struct {
	ChatID    int64
	ID        int64
	SenderID  int64 // 0 on channel posts (signed by the channel) unless it signs them
	Date      int64 // unix seconds
	Text      string
	Entities  []haven.Entity
	ReplyToID int64
	Forward   *ForwardView
	EditDate  int64
	Silent    bool
	Pinned    bool
	Views     int
	ExpiresAt int64
	Service   *haven.ServiceAction
	Media     *haven.Media
	Reactions []haven.ReactionCount
}

// ForwardView is where a forwarded message came from.
type ForwardView struct {
	FromUserID int64
	FromName   string
	FromChatID int64
	MessageID  int64
	Date       int64
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// messageView shapes a stored message for clients; reactions are added
// by the caller where they matter. Channel posts show no sender unless
// the channel signs them. This is the view of people who may see who did
// what (ActSeeActors); forOutsider shapes it for the others.
func messageView(c *haven.Chat, m *haven.Message) MessageView {
	v := MessageView{
		ChatID:    m.ChatID,
		ID:        m.ID,
		SenderID:  m.SenderID,
		Date:      unix(m.Date),
		Text:      m.Text,
		Entities:  m.Entities,
		ReplyToID: m.ReplyToID,
		EditDate:  unix(m.EditDate),
		Silent:    m.Silent,
		Pinned:    m.Pinned,
		Views:     m.Views,
		ExpiresAt: unix(m.ExpiresAt),
		Service:   m.Service,
		Media:     m.Media,
	}
	if c != nil && c.Kind == haven.ChatChannel && m.Service == nil && !c.Signatures {
		v.SenderID = 0
	}
	if f := m.Forward; f != nil {
		v.Forward = &ForwardView{FromUserID: f.FromUserID, FromName: f.FromName, FromChatID: f.FromChatID, MessageID: f.MessageID, Date: unix(f.Date)}
	}
	return v
}

// forOutsider shapes v for someone who may not see who did what in c (a
// visitor of a public chat, a channel's subscriber): a service message is
// signed by the chat, not the admin or member who caused it (unless a
// channel signs with authors), and never names whom a change of
// membership is about. Posts are left as they are: in a group the sender
// is part of the post, and a channel's posts are signed by messageView.
func forOutsider(c *haven.Chat, v *MessageView) {
	if v.Service == nil {
		return
	}
	if !c.Signatures {
		v.SenderID = 0
	}
	if len(v.Service.UserIDs) > 0 {
		sa := *v.Service // shared with the stored message
		sa.UserIDs = nil
		v.Service = &sa
	}
}

// forOutsider shapes an event for someone who may not see who did what
// in c: no user id (who acted, or whom a change of membership is about),
// no member data, and its message shaped by forOutsider. The event keeps
// its seq and kind, so that the client sees no gap.
func (e *ChatEventView) forOutsider(c *haven.Chat) {
	e.UserID = 0
	if e.Kind == haven.EventMemberUpdate {
		e.Data = nil
	}
	if e.Message != nil {
		forOutsider(c, e.Message)
	}
}

// seesActors reports whether member m (nil: a visitor) may see who did
// what in c.
func (s *Service) seesActors(c *haven.Chat, m *haven.Member) bool {
	return can(c, m, ActSeeActors, s.now()) == nil
}

// viewFor shapes a message for a viewer whose row in c is m.
func (s *Service) viewFor(c *haven.Chat, m *haven.Member, msg *haven.Message) MessageView {
	v := messageView(c, msg)
	if !s.seesActors(c, m) {
		forOutsider(c, &v)
	}
	return v
}

// countReactions summarises reactions for one viewer.
func countReactions(rs []haven.Reaction, viewer int64) []haven.ReactionCount {
	if len(rs) == 0 {
		return nil
	}
	var out []haven.ReactionCount
	idx := map[string]int{}
	for _, r := range rs {
		i, ok := idx[r.Emoji]
		if !ok {
			i = len(out)
			idx[r.Emoji] = i
			out = append(out, haven.ReactionCount{Emoji: r.Emoji})
		}
		out[i].Count++
		if r.UserID == viewer {
			out[i].Mine = true
		}
	}
	return out
}

// ChatView is a chat as one member (or visitor of a public chat) sees it.
type ChatView struct {
	ID              int64
	Kind            string
	Title           string
	About           string
	Username        string
	MemberCount     int
	Seq             int64
	TopMessageID    int64
	ReadOutboxMaxID int64 // your messages up to this id were read by someone else
	SlowModeSeconds int
	HistoryHidden   bool
	Signatures      bool
	TTLSeconds      int
	Reactions       []string
	PinnedMessageID int64
	DefaultRights   []string
	Photo           *haven.Photo
	// PeerID is the other person of a private chat (yourself in Saved
	// Messages).
	PeerID int64
	// Your membership.
	Role   string
	Rights []string
}

// rightNames are the wire names of Rights bits.
var rightNames = []struct {
	r    haven.Rights
	name string
}{
	{haven.RightChangeInfo, "change_info"},
	{haven.RightDeleteMessages, "delete_messages"},
	{haven.RightBanUsers, "ban_users"},
	{haven.RightInviteUsers, "invite_users"},
	{haven.RightPinMessages, "pin_messages"},
	{haven.RightAddAdmins, "add_admins"},
	{haven.RightPostMessages, "post_messages"},
	{haven.RightEditMessages, "edit_messages"},
	{haven.RightSendMessages, "send_messages"},
}

// RightsNames turns rights into their wire names.
func RightsNames(r haven.Rights) []string {
	var out []string
	for _, x := range rightNames {
		if r.Has(x.r) {
			out = append(out, x.name)
		}
	}
	return out
}

// ParseRights turns wire names into rights. Errors: CodeParamInvalid.
func ParseRights(names []string) (haven.Rights, error) {
	var r haven.Rights
next:
	for _, n := range names {
		for _, x := range rightNames {
			if x.name == n {
				r |= x.r
				continue next
			}
		}
		return 0, haven.Errorf(haven.CodeParamInvalid, "unknown right %q", n)
	}
	return r, nil
}

func chatView(c *haven.Chat, m *haven.Member, me int64) ChatView {
	v := ChatView{
		ID:              c.ID,
		Kind:            string(c.Kind),
		Title:           c.Title,
		About:           c.About,
		Username:        c.Username,
		Photo:           c.Photo,
		MemberCount:     c.MemberCount,
		Seq:             c.Seq,
		TopMessageID:    c.TopMessageID,
		SlowModeSeconds: c.SlowModeSeconds,
		HistoryHidden:   c.HistoryHidden,
		Signatures:      c.Signatures,
		TTLSeconds:      c.TTLSeconds,
		Reactions:       c.Reactions,
		PinnedMessageID: c.PinnedMessageID,
	}
	if v.Reactions == nil {
		v.Reactions = haven.DefaultReactions
	}
	if c.Kind != haven.ChatChannel {
		v.ReadOutboxMaxID = c.ReadByOthers(me)
	}
	if c.Kind == haven.ChatGroup {
		v.DefaultRights = RightsNames(c.DefaultRights)
	}
	if c.Kind == haven.ChatPrivate {
		v.PeerID = c.Other(me)
	}
	if m != nil {
		v.Role = string(m.Role)
		if m.Role == haven.RoleAdmin || m.Role == haven.RoleOwner {
			v.Rights = RightsNames(m.Rights)
		}
	}
	return v
}
