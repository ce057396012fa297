package haven

import "time"

// Event is one entry of a chat's log. Every change to a chat is an event
// with the chat's next Seq, written in the same transaction as the change.
// GID places the event among all the store's, for catch-up: an event
// committed after a reader took LastGID has a larger GID, so "changed
// since GID g" is well defined. The events of one commit may share it
// (docs/decisions/0003, 0017).
type Event struct {
	ChatID    int64
	Seq       int64
	GID       int64
	Kind      EventKind
	MessageID int64 // the message the event is about, if any
	UserID    int64 // who caused it (or whom it is about, for members)
	Date      time.Time
	// Data is a small JSON payload specific to the kind (a read pointer,
	// a reaction, the deleted ids ...).
	Data []byte
}

// EventKind names what an event records.
type EventKind string

// The chat event kinds.
const (
	EventMessageNew    EventKind = "message.new"
	EventMessageEdit   EventKind = "message.edit"
	EventMessageDelete EventKind = "message.delete"   // Data: {"ids":[...]}
	EventMessagePin    EventKind = "message.pin"      // Data: {"pinned":bool}
	EventReaction      EventKind = "message.reaction" // Data: {"emoji":"..."} ("" removed)
	EventRead          EventKind = "chat.read"        // Data: {"max_id":N}; UserID the reader (private chats) or 0 (groups)
	EventMemberUpdate  EventKind = "member.update"    // UserID the member; Data: {"role":...}
	EventChatUpdate    EventKind = "chat.update"      // settings or title changed
	EventViews         EventKind = "message.views"    // channels; Data: {"views":N}
)

// UserEvent is one entry of a person's own log: what concerns only them,
// on all their devices. Pts numbers a user's events 1, 2, 3 ...
type UserEvent struct {
	UserID int64
	Pts    int64
	Kind   UserEventKind
	ChatID int64
	Date   time.Time
	Data   []byte
}

// UserEventKind names what a user event records.
type UserEventKind string

// The user event kinds.
const (
	UserDialogAdded    UserEventKind = "dialog.added"    // joined or was added to a chat
	UserDialogRemoved  UserEventKind = "dialog.removed"  // left, removed, banned, or the chat is gone
	UserDialogUpdate   UserEventKind = "dialog.update"   // pinned, archived, muted changed
	UserReadInbox      UserEventKind = "dialog.read"     // read pointer moved (on another device)
	UserMessagesHidden UserEventKind = "messages.hidden" // deleted for me; Data: {"ids":[...]}
	UserProfile        UserEventKind = "profile"         // own profile or settings changed
)
