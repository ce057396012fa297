package api

import (
	"encoding/json"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// The wire views of messages, chat events and the sync answers: core
// returns domain values (what one viewer may see, privacy applied), and
// these are their JSON shapes, field for field. docs/api.md describes
// each; the golden files of internal/server pin their bytes.

// messageJSON is a message as it travels to clients.
type messageJSON struct {
	ChatID    int64                 `json:"chat_id"`
	ID        int64                 `json:"id"`
	SenderID  int64                 `json:"sender_id,omitempty"` // 0 on channel posts (signed by the channel) unless it signs them
	Date      int64                 `json:"date"`                // unix seconds
	Text      string                `json:"text,omitempty"`
	Entities  []haven.Entity        `json:"entities,omitempty"`
	ReplyToID int64                 `json:"reply_to_id,omitempty"`
	Forward   *forwardJSON          `json:"forward,omitempty"`
	EditDate  int64                 `json:"edit_date,omitempty"`
	Silent    bool                  `json:"silent,omitempty"`
	Pinned    bool                  `json:"pinned,omitempty"`
	Views     int                   `json:"views,omitempty"`
	ExpiresAt int64                 `json:"expires_at,omitempty"`
	Service   *haven.ServiceAction  `json:"service,omitempty"`
	Media     *haven.Media          `json:"media,omitempty"`
	Reactions []haven.ReactionCount `json:"reactions,omitempty"`
}

// forwardJSON is where a forwarded message came from.
type forwardJSON struct {
	FromUserID int64  `json:"from_user_id,omitempty"`
	FromName   string `json:"from_name,omitempty"`
	FromChatID int64  `json:"from_chat_id,omitempty"`
	MessageID  int64  `json:"message_id,omitempty"`
	Date       int64  `json:"date"`
}

// chatEventJSON is one chat event, pushed or in a difference.
type chatEventJSON struct {
	ChatID    int64           `json:"chat_id"`
	Seq       int64           `json:"seq"`
	Kind      haven.EventKind `json:"kind"`
	Date      int64           `json:"date"`
	UserID    int64           `json:"user_id,omitempty"`
	MessageID int64           `json:"message_id,omitempty"`
	Message   *messageJSON    `json:"message,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// userEventJSON is one event of a person's own log.
type userEventJSON struct {
	Pts    int64               `json:"pts"`
	Kind   haven.UserEventKind `json:"kind"`
	ChatID int64               `json:"chat_id,omitempty"`
	Date   int64               `json:"date"`
	Data   json.RawMessage     `json:"data,omitempty"`
}

// chatDifferenceJSON answers sync.getChatDifference. The answer itself
// is written by chatDifferenceAnswer (views_json.go), byte for byte as
// json.Marshal writes this.
type chatDifferenceJSON struct {
	Events  []chatEventJSON `json:"events"`
	Seq     int64           `json:"seq"`
	More    bool            `json:"more,omitempty"`
	TooLong bool            `json:"too_long,omitempty"`
}

// stateJSON is where a client stands.
type stateJSON struct {
	Pts  int64 `json:"pts"`
	GID  int64 `json:"gid"`
	Date int64 `json:"date"`
}

// differenceJSON answers sync.getDifference.
type differenceJSON struct {
	UserEvents []userEventJSON `json:"user_events"`
	Dialogs    []dialogJSON    `json:"dialogs"`
	State      stateJSON       `json:"state"`
	More       bool            `json:"more,omitempty"`
}

// dialogJSON is one chat in a person's list.
type dialogJSON struct {
	Chat           chatJSON     `json:"chat"`
	TopMessage     *messageJSON `json:"top_message,omitempty"`
	ReadInboxMaxID int64        `json:"read_inbox_max_id"`
	UnreadCount    int          `json:"unread_count"`
	UnreadMentions int          `json:"unread_mentions,omitempty"`
	Pinned         bool         `json:"pinned,omitempty"`
	Archived       bool         `json:"archived,omitempty"`
	MutedUntil     int64        `json:"muted_until,omitempty"`
	Peer           *userJSON    `json:"peer,omitempty"`
}

// foundMessagesJSON answers messages.searchGlobal.
type foundMessagesJSON struct {
	Messages []messageJSON `json:"messages"`
	Chats    []chatJSON    `json:"chats"`
	Users    []userJSON    `json:"users"`
}

// mapSlice maps each element of in, keeping nil nil (null on the wire)
// and empty empty ([]).
func mapSlice[T, U any](in []T, f func(*T) U) []U {
	if in == nil {
		return nil
	}
	out := make([]U, len(in))
	for i := range in {
		out[i] = f(&in[i])
	}
	return out
}

// mapPtr maps a pointer, keeping nil nil.
func mapPtr[T, U any](in *T, f func(*T) U) *U {
	if in == nil {
		return nil
	}
	out := f(in)
	return &out
}

func messageOut(m *core.MessageView) messageJSON {
	return messageJSON{
		ChatID: m.ChatID, ID: m.ID, SenderID: m.SenderID, Date: m.Date, Text: m.Text, Entities: m.Entities,
		ReplyToID: m.ReplyToID, Forward: mapPtr(m.Forward, forwardOut), EditDate: m.EditDate, Silent: m.Silent,
		Pinned: m.Pinned, Views: m.Views, ExpiresAt: m.ExpiresAt, Service: m.Service, Media: m.Media, Reactions: m.Reactions,
	}
}

func forwardOut(f *core.ForwardView) forwardJSON {
	return forwardJSON{FromUserID: f.FromUserID, FromName: f.FromName, FromChatID: f.FromChatID, MessageID: f.MessageID, Date: f.Date}
}

func chatEventOut(e *core.ChatEventView) chatEventJSON {
	return chatEventJSON{ChatID: e.ChatID, Seq: e.Seq, Kind: e.Kind, Date: e.Date, UserID: e.UserID, MessageID: e.MessageID,
		Message: mapPtr(e.Message, messageOut), Data: e.Data}
}

func userEventOut(e *core.UserEventView) userEventJSON {
	return userEventJSON{Pts: e.Pts, Kind: e.Kind, ChatID: e.ChatID, Date: e.Date, Data: e.Data}
}

func chatDifferenceOut(d *core.ChatDifference) chatDifferenceJSON {
	return chatDifferenceJSON{Events: mapSlice(d.Events, chatEventOut), Seq: d.Seq, More: d.More, TooLong: d.TooLong}
}

func stateOut(s *core.State) stateJSON {
	return stateJSON{Pts: s.Pts, GID: s.GID, Date: s.Date}
}

func differenceOut(d *core.Difference) differenceJSON {
	return differenceJSON{UserEvents: mapSlice(d.UserEvents, userEventOut), Dialogs: mapSlice(d.Dialogs, dialogOut),
		State: stateOut(&d.State), More: d.More}
}

func dialogOut(d *core.DialogView) dialogJSON {
	return dialogJSON{Chat: chatOut(&d.Chat), TopMessage: mapPtr(d.TopMessage, messageOut), ReadInboxMaxID: d.ReadInboxMaxID,
		UnreadCount: d.UnreadCount, UnreadMentions: d.UnreadMentions, Pinned: d.Pinned, Archived: d.Archived,
		MutedUntil: d.MutedUntil, Peer: mapPtr(d.Peer, userOut)}
}

func foundMessagesOut(f *core.FoundMessages) foundMessagesJSON {
	return foundMessagesJSON{Messages: mapSlice(f.Messages, messageOut), Chats: mapSlice(f.Chats, chatOut), Users: mapSlice(f.Users, userOut)}
}
