package core

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/havenchat/haven"
)

// Bus subjects: one per chat and one per person. A node subscribes once
// per chat or person its sockets need and fans out locally.
func chatSubject(chatID int64) string { return "haven.chat." + strconv.FormatInt(chatID, 10) }
func userSubject(userID int64) string { return "haven.user." + strconv.FormatInt(userID, 10) }

// ChatSubject and UserSubject name the bus subjects transports subscribe to.
func ChatSubject(chatID int64) string { return chatSubject(chatID) }

// UserSubject names a person's bus subject.
func UserSubject(userID int64) string { return userSubject(userID) }

// The push kinds of Notice.Kind and of the frames clients receive.
const (
	PushChatEvent  = "chat.event"  // a committed chat event; data is a ChatEventView
	PushUserEvent  = "user.event"  // a committed event of the person's own log; data is a UserEventView
	PushTyping     = "chat.typing" // someone is typing; never stored
	PushUserStatus = "user.status" // someone came online or went offline; data is a UserStatusView; never stored, no pts
	PushSessionEnd = "session.ended"
)

// Notice is what core publishes on the bus (see AppendNotice for its
// encoding): Frame, encoded once by the transport's Frames, goes to
// every socket as it is; the other fields let a node route it without
// decoding the frame.
type Notice struct {
	Kind      string
	ChatID    int64
	UserID    int64
	MessageID int64
	// SessionID, when set, limits a person's push to that session's
	// sockets (secret chats' per-device pushes).
	SessionID int64
	// Event is the user event kind, so that a node can follow a person
	// joining or leaving chats.
	Event string
	// MinMessageID, on a dialog.added, is the first message of the chat
	// the person may see: a node routes the chat's pushes to their
	// sockets from there without reading the store.
	MinMessageID int64
	// Seq is a chat event's seq; on a dialog.added, the chat's seq
	// before the person joined: a node that learns of the new chat late
	// reads the events after it from the log (the chat's first events
	// may have passed it before it subscribed).
	Seq   int64
	Frame []byte
}

// Typing is a chat.typing push: UserID is typing in ChatID, for
// ExpiresIn more seconds unless renewed (0: they stopped).
type Typing struct {
	ChatID    int64
	UserID    int64
	ExpiresIn int
}

// ChatEventView is one chat event as its viewers may see it, pushed or
// in a difference (internal/api encodes it).
type ChatEventView struct {
	ChatID    int64
	Seq       int64
	Kind      haven.EventKind
	Date      int64
	UserID    int64
	MessageID int64
	// Message is the message as it is after the event, for new, edited
	// and pinned messages and reactions.
	Message *MessageView
	Data    json.RawMessage
}

// UserEventView is one event of a person's own log.
type UserEventView struct {
	Pts    int64
	Kind   haven.UserEventKind
	ChatID int64
	Date   int64
	Data   json.RawMessage
}

func eventView(e *haven.Event, m *MessageView) ChatEventView {
	return ChatEventView{ChatID: e.ChatID, Seq: e.Seq, Kind: e.Kind, Date: unix(e.Date), UserID: e.UserID, MessageID: e.MessageID, Message: m, Data: e.Data}
}

func userEventView(e *haven.UserEvent) UserEventView {
	return UserEventView{Pts: e.Pts, Kind: e.Kind, ChatID: e.ChatID, Date: unix(e.Date), Data: e.Data}
}

// chatEvent appends an event to chat c's log inside tx (taking the next
// seq, and the next message id when m is a new message) and publishes it
// after the commit. c is updated in place.
func (s *Service) chatEvent(ctx context.Context, tx Tx, c *haven.Chat, kind haven.EventKind, userID int64, m *haven.Message, data any) (*haven.Event, error) {
	now := s.now()
	isNew := kind == haven.EventMessageNew
	seq, top, err := tx.NextSeq(ctx, c.ID, isNew, now)
	if err != nil {
		return nil, err
	}
	c.Seq, c.TopMessageID, c.LastEventAt = seq, top, now
	e := &haven.Event{ChatID: c.ID, Seq: seq, Kind: kind, UserID: userID, Date: now}
	if m != nil {
		if isNew {
			m.ID, m.ChatID, m.Date = top, c.ID, now
			if err := tx.InsertMessage(ctx, m); err != nil {
				return nil, err
			}
		}
		e.MessageID = m.ID
	}
	if data != nil {
		if e.Data, err = json.Marshal(data); err != nil {
			return nil, err
		}
	}
	if err := tx.AppendEvent(ctx, e); err != nil {
		return nil, err
	}
	if isNew && m != nil {
		s.queuePush(tx, c, m)
	}
	var mv *MessageView
	if m != nil && kind != haven.EventMessageDelete {
		v := messageView(c, m)
		mv = &v
	}
	ev := eventView(e, mv)
	if c.Kind == haven.ChatChannel {
		// One push, encoded once, goes to every socket of the chat: in
		// a channel most are subscribers', who may not see which admin
		// acted nor whom a change of membership is about. The log keeps
		// it all, for the admins' differences.
		ev.forOutsider(c)
	}
	s.publish(ctx, tx, Notice{Kind: PushChatEvent, ChatID: c.ID, UserID: userID, MessageID: e.MessageID, Seq: e.Seq}, chatSubject(c.ID), ev)
	return e, nil
}

// userEvent appends an event to a person's own log and publishes it after
// the commit.
func (s *Service) userEvent(ctx context.Context, tx Tx, userID int64, kind haven.UserEventKind, chatID int64, data any) error {
	return s.userEventNotice(ctx, tx, userID, kind, chatID, data, Notice{})
}

// dialogAdded logs that a person joined chatID, where the first message
// they may see is minID.
func (s *Service) dialogAdded(ctx context.Context, tx Tx, userID int64, c *haven.Chat, minID int64) error {
	return s.userEventNotice(ctx, tx, userID, haven.UserDialogAdded, c.ID, nil, Notice{MinMessageID: minID, Seq: c.Seq})
}

// userEventNotice is userEvent with routing fields for the notice.
func (s *Service) userEventNotice(ctx context.Context, tx Tx, userID int64, kind haven.UserEventKind, chatID int64, data any, n Notice) error {
	e := &haven.UserEvent{UserID: userID, Kind: kind, ChatID: chatID, Date: s.now()}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return err
		}
		e.Data = b
	}
	if err := tx.AppendUserEvent(ctx, e); err != nil {
		return err
	}
	n.Kind, n.UserID, n.ChatID, n.Event = PushUserEvent, userID, chatID, string(kind)
	s.publish(ctx, tx, n, userSubject(userID), userEventView(e))
	return nil
}

// publish encodes a push once and sends it on the bus after tx commits.
// A failed publish loses nothing: clients recover from the log.
func (s *Service) publish(ctx context.Context, tx Tx, n Notice, subject string, data any) {
	if s.bus == nil {
		return
	}
	b, err := s.encodeNotice(n, data)
	if err != nil {
		s.log.ErrorContext(ctx, "encoding a push", "err", err)
		return
	}
	tx.AfterCommit(func() { s.send(ctx, subject, b) })
}

// send publishes now, outside any transaction (typing, presence).
func (s *Service) send(ctx context.Context, subject string, b []byte) {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.bus.Publish(pctx, subject, b); err != nil {
		s.log.Warn("publishing failed; clients will catch up from the log", "subject", subject, "err", err)
	}
}
