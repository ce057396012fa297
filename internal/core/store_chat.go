package core

import (
	"context"
	"time"

	"github.com/havenchat/haven"
)

// ChatTx are the messaging writes of a transaction.
type ChatTx interface {
	// CreateChat inserts c, setting c.ID. For a private chat it also
	// records the pair, stored (and set in c) with PeerA <= PeerB. A zero
	// LastEventAt is set to CreatedAt. Errors: CodeUsernameOccupied when
	// c.Username is taken (by a chat or a user); CodeChatExists when the
	// private pair already has a chat.
	CreateChat(ctx context.Context, c *haven.Chat) error
	// UpdateChat writes a chat's descriptive fields and settings: Title,
	// About, Username, DefaultRights, SlowModeSeconds, HistoryHidden,
	// TTLSeconds, Reactions, PinnedMessageID, MemberCount, MaxReadID,
	// MaxReadBy, MaxReadID2, CreatorID, Signatures. Seq and TopMessageID are moved only by NextSeq.
	// Errors: haven.ErrNotFound, CodeUsernameOccupied.
	UpdateChat(ctx context.Context, c *haven.Chat) error
	// NextSeq takes the chat's next event seq and, when newMessage is
	// set, its next message id, and records at as the last activity
	// (which never moves back). It
	// returns both new values (msgID is the current top when newMessage
	// is false). Errors: haven.ErrNotFound.
	NextSeq(ctx context.Context, chatID int64, newMessage bool, at time.Time) (seq, msgID int64, err error)

	// PutMember inserts or replaces a membership row.
	PutMember(ctx context.Context, m *haven.Member) error
	// SetReadInbox moves a member's read pointer to maxID (never back).
	// Errors: haven.ErrNotFound when there is no membership row.
	SetReadInbox(ctx context.Context, chatID, userID, maxID int64) error

	// InsertMessage stores a new message (ChatID and ID already set).
	InsertMessage(ctx context.Context, m *haven.Message) error
	// UpdateMessage writes Text, Entities, EditDate, Pinned, Views and
	// ExpiresAt of an existing message; a replaced text or entities leave
	// the store's files within seconds (docs/security.md, "Deleted data").
	// Errors: haven.ErrNotFound.
	UpdateMessage(ctx context.Context, m *haven.Message) error
	// DeleteMessages removes messages for everyone (with their reactions,
	// views, mentions and hidden marks) and returns the ids that existed,
	// ascending. Their text leaves the store's files, search index
	// included, within seconds (docs/security.md, "Deleted data").
	DeleteMessages(ctx context.Context, chatID int64, ids []int64) ([]int64, error)
	// HideMessages hides messages from one person only ("delete for me").
	// Ids of missing messages are ignored; hiding again is not an error.
	HideMessages(ctx context.Context, userID, chatID int64, ids []int64) error
	// AddMentions records that the messages mention (or reply to) users,
	// for the unread-mentions count (idempotent).
	AddMentions(ctx context.Context, chatID, msgID int64, userIDs []int64) error

	// AppendEvent stores an event (ChatID and Seq already set), setting
	// e.GID.
	AppendEvent(ctx context.Context, e *haven.Event) error
	// AppendUserEvent stores an event of a person's own log, setting
	// e.Pts to the person's next pts. Errors: haven.ErrNotFound when the
	// user does not exist.
	AppendUserEvent(ctx context.Context, e *haven.UserEvent) error

	// RememberSend records which message a sender's random_id made.
	// Errors: CodeDuplicate when the sender already used randomID.
	RememberSend(ctx context.Context, senderID, randomID, chatID, msgID int64, at time.Time) error
	// ForgetSendsBefore drops send records older than t.
	ForgetSendsBefore(ctx context.Context, t time.Time) error

	// SetReaction sets (emoji != "") or removes a person's reaction.
	// Errors: haven.ErrNotFound when setting one on a missing message.
	SetReaction(ctx context.Context, chatID, msgID, userID int64, emoji string) error
	// AddView counts a viewer of a message once; it reports whether this
	// viewer is new (and the message's Views grew by one).
	// Errors: haven.ErrNotFound when the message does not exist.
	AddView(ctx context.Context, chatID, msgID, userID int64) (bool, error)

	// PutInvite inserts or replaces an invite link.
	PutInvite(ctx context.Context, inv *haven.Invite) error
}

// ChatQueries are the messaging reads.
type ChatQueries interface {
	// ChatByID returns a chat. Errors: haven.ErrNotFound.
	ChatByID(ctx context.Context, id int64) (*haven.Chat, error)
	// ChatByUsername finds a public chat by username in any case.
	// Errors: haven.ErrNotFound.
	ChatByUsername(ctx context.Context, username string) (*haven.Chat, error)
	// PrivateChatID returns the private chat of two people (a == b for
	// Saved Messages), in either order. Errors: haven.ErrNotFound.
	PrivateChatID(ctx context.Context, a, b int64) (int64, error)

	// Member returns a membership row, whatever its role.
	// Errors: haven.ErrNotFound.
	Member(ctx context.Context, chatID, userID int64) (*haven.Member, error)
	// Members lists a chat's rows with the given roles (all when empty),
	// by user id after afterUserID, at most limit.
	Members(ctx context.Context, chatID int64, roles []haven.Role, afterUserID int64, limit int) ([]*haven.Member, error)
	// SeniorMember returns the active member of a chat with role, on a
	// live (not deleted) account, who joined first (ties: the lower user
	// id), leaving out except. Errors: haven.ErrNotFound when there is
	// none.
	SeniorMember(ctx context.Context, chatID int64, role haven.Role, except int64) (*haven.Member, error)
	// Memberships returns a person's active membership rows (owner,
	// admin or member), by chat id.
	Memberships(ctx context.Context, userID int64) ([]*haven.Member, error)
	// Dialogs returns a person's active memberships with their chats,
	// most recent activity first (ties: the higher chat id first); with
	// sinceGID > 0, only those whose
	// chat's last event has a GID above it.
	Dialogs(ctx context.Context, userID int64, sinceGID int64) ([]Dialog, error)

	// Message returns one message. Errors: haven.ErrNotFound.
	Message(ctx context.Context, chatID, id int64) (*haven.Message, error)
	// Messages returns the messages among ids that exist, by id.
	Messages(ctx context.Context, chatID int64, ids []int64) ([]*haven.Message, error)
	// History returns up to limit messages of a chat that viewer has not
	// hidden, with ids in [minID, maxID]: the newest first when newest is
	// set, else the oldest first.
	History(ctx context.Context, chatID, viewer, minID, maxID int64, limit int, newest bool) ([]*haven.Message, error)
	// HiddenIDs returns which of ids the viewer has hidden.
	HiddenIDs(ctx context.Context, viewer, chatID int64, ids []int64) (map[int64]bool, error)
	// CountUnread counts messages with ids in (afterID, upToID] not sent
	// by userID nor hidden by them, stopping at limit.
	CountUnread(ctx context.Context, chatID, userID, afterID, upToID int64, limit int) (int, error)
	// CountMentions counts messages with ids in (afterID, upToID] that
	// mention userID and that they have not hidden.
	CountMentions(ctx context.Context, chatID, userID, afterID, upToID int64) (int, error)
	// Reactions returns the reactions to messages, by message id; each
	// message's ordered by user id.
	Reactions(ctx context.Context, chatID int64, msgIDs []int64) (map[int64][]haven.Reaction, error)
	// SentMessage finds what a sender's random_id made.
	// Errors: haven.ErrNotFound.
	SentMessage(ctx context.Context, senderID, randomID int64) (chatID, msgID int64, err error)
	// ExpiredMessages lists up to limit messages whose ExpiresAt is
	// before now, the longest expired first.
	ExpiredMessages(ctx context.Context, now time.Time, limit int) ([]MessageRef, error)

	// Events returns a chat's events with seq > afterSeq, in order, at
	// most limit.
	Events(ctx context.Context, chatID, afterSeq int64, limit int) ([]*haven.Event, error)
	// ChatEvents returns a chat's events with seq > afterSeq, in order,
	// at most limit, each with the message it names as it is now and
	// whether viewer hid it: one read for a chat difference. The
	// events' GIDs are not read (0).
	ChatEvents(ctx context.Context, chatID, viewer, afterSeq int64, limit int) ([]EventMessage, error)
	// UserEvents returns a person's events with pts > afterPts, in
	// order, at most limit.
	UserEvents(ctx context.Context, userID, afterPts int64, limit int) ([]*haven.UserEvent, error)
	// UserPts returns a person's current pts. Errors: haven.ErrNotFound.
	UserPts(ctx context.Context, userID int64) (int64, error)
	// LastGID returns the position a client's state keeps: every event
	// committed after it was read has a larger GID. It never goes down.
	// On SQLite it is the newest event's GID (0 when there is none); on
	// PostgreSQL, a horizon below the transactions still running
	// (docs/decisions/0017).
	LastGID(ctx context.Context) (int64, error)

	// InviteByHash returns an invite link. Errors: haven.ErrNotFound.
	InviteByHash(ctx context.Context, hash string) (*haven.Invite, error)
	// ActiveInvites counts the links creatorID made to a chat that still
	// work at now: not revoked, not expired (ExpiresAt zero or after
	// now), not used up (UsageLimit zero or Usage below it).
	ActiveInvites(ctx context.Context, chatID, creatorID int64, now time.Time) (int, error)
	// Invites lists a chat's links, newest first.
	Invites(ctx context.Context, chatID int64) ([]*haven.Invite, error)

	// SearchMessages finds messages whose text matches every word of
	// query (each as a word prefix, in any case, Latin accents ignored) in
	// the chats given (the chats where userID is an active member when
	// chatIDs is empty), skipping those userID has hidden and those below
	// their MinMessageID. Results are ordered by (chat, id) descending:
	// newest first within a chat, chats by descending id; with before not
	// zero, only (chat, id) < (before.ChatID, before.ID). The index may
	// follow the log a moment after the commit.
	SearchMessages(ctx context.Context, userID int64, chatIDs []int64, query string, before MessageRef, limit int) ([]*haven.Message, error)
	// SearchChatBefore is SearchMessages in one chat, newest first, for
	// messages with an id below beforeID (0: any) and a date before
	// before (zero: any).
	SearchChatBefore(ctx context.Context, userID, chatID int64, query string, beforeID int64, before time.Time, limit int) ([]*haven.Message, error)
	// SearchChats finds public groups and channels (those with a
	// username) whose username starts with query in any case, or whose
	// title has a word that does; the most members first.
	SearchChats(ctx context.Context, query string, limit int) ([]*haven.Chat, error)
	// SearchUsers finds live users whose username starts with query in
	// any case, ordered by username.
	SearchUsers(ctx context.Context, query string, limit int) ([]*haven.User, error)
}

// Dialog is one of a person's chats with their membership in it, and the
// GID of the chat's last event.
type Dialog struct {
	Chat    *haven.Chat
	Member  *haven.Member
	LastGID int64
}

// MessageRef names a message.
type MessageRef struct {
	ChatID int64
	ID     int64
}

// EventMessage is a chat event with the message it names as it is now:
// Message is nil when the event names none, deletes it, or the message
// is gone since. Hidden reports whether the viewer hid the message for
// themselves. Events naming the same message may share one Message.
type EventMessage struct {
	haven.Event
	Message *haven.Message
	Hidden  bool
}
