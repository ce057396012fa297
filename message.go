package haven

import "time"

// Message is one message of a chat as stored. IDs are per chat: 1, 2, 3...
type Message struct {
	ChatID    int64
	ID        int64
	SenderID  int64
	Date      time.Time
	Text      string
	Entities  []Entity
	ReplyToID int64
	Forward   *Forward  // set on forwarded messages
	EditDate  time.Time // zero = never edited
	Silent    bool      // sent without notification
	Pinned    bool
	Views     int       // channels: distinct viewers
	ExpiresAt time.Time // auto-delete time; zero = never
	// Service is set on messages the system writes into the history
	// (member joined, title changed ...); Text is then empty.
	Service *ServiceAction
	// Media is the file of a media message; Text is then its caption.
	Media *Media
}

// Forward says where a forwarded message came from. FromUserID is zero
// when the original author hides it (their forwards privacy); FromName
// is then the name shown instead.
type Forward struct {
	FromUserID int64     `json:"from_user_id,omitempty"`
	FromName   string    `json:"from_name,omitempty"`
	FromChatID int64     `json:"from_chat_id,omitempty"` // channels: the source channel
	MessageID  int64     `json:"message_id,omitempty"`   // in the source channel
	Date       time.Time `json:"date"`                   // of the original
}

// ServiceAction is what a service message records.
type ServiceAction struct {
	Type    string  `json:"type"` // see the Action constants
	UserIDs []int64 `json:"user_ids,omitempty"`
	Title   string  `json:"title,omitempty"`
	Seconds int     `json:"seconds,omitempty"` // ttl and slow mode changes
	// MessageID is the message a pin refers to.
	MessageID int64 `json:"message_id,omitempty"`
}

// The service actions.
const (
	ActionChatCreated   = "chat_created"
	ActionMembersAdded  = "members_added"
	ActionMemberJoined  = "member_joined" // by link or a public username
	ActionMemberLeft    = "member_left"
	ActionMemberRemoved = "member_removed"
	ActionTitleChanged  = "title_changed"
	ActionMessagePinned = "message_pinned"
	ActionTTLChanged    = "ttl_changed"
	ActionOwnerChanged  = "owner_changed"
	ActionPhotoChanged  = "photo_changed"
	ActionPhotoRemoved  = "photo_removed"
)

// EditWindow is how long after sending a person may edit a message.
const EditWindow = 48 * time.Hour

// Reaction is one person's reaction to a message.
type Reaction struct {
	UserID int64
	Emoji  string
}

// ReactionCount is how many people reacted to a message with one emoji.
type ReactionCount struct {
	Emoji string `json:"emoji"`
	Count int    `json:"count"`
	Mine  bool   `json:"mine,omitempty"`
}
