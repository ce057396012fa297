package client

import "encoding/json"

// Status says when a person was last seen.
type Status struct {
	// Kind is "online", "exact", "recently", "within_week", "within_month" or "long_ago".
	Kind string `json:"kind"`
	// LastSeen is set with "exact" (Unix seconds).
	LastSeen int64 `json:"last_seen,omitempty"`
}

// User is a person as the caller may see them. Its fields mirror the
// JSON fields of the User type of docs/api.md; what privacy hides is empty.
type User struct {
	ID            int64   `json:"id"`
	FirstName     string  `json:"first_name"`
	LastName      string  `json:"last_name,omitempty"`
	Username      string  `json:"username,omitempty"`
	Bio           string  `json:"bio,omitempty"`
	Phone         string  `json:"phone,omitempty"`
	Email         string  `json:"email,omitempty"`
	Deleted       bool    `json:"deleted,omitempty"`
	Self          bool    `json:"self,omitempty"`
	Contact       bool    `json:"contact,omitempty"`
	MutualContact bool    `json:"mutual_contact,omitempty"`
	Blocked       bool    `json:"blocked,omitempty"`
	Status        *Status `json:"status,omitempty"`
	Photo         *Photo  `json:"photo,omitempty"`
}

// SentCode is the answer of auth.sendCode: the login token that names
// the attempt, where the code went ("phone" or "email"), how it travels
// (Delivery), its length and the seconds until the attempt expires.
type SentCode struct {
	LoginToken string `json:"login_token"`
	Kind       string `json:"kind"`
	// Delivery is how the code travels: DeliveryLog, DeliveryWebhook,
	// DeliveryEmail, or "" when the server cannot tell.
	Delivery   string `json:"delivery"`
	CodeLength int    `json:"code_length"`
	ExpiresIn  int    `json:"expires_in"`
}

// How a sign-in code travels (SentCode.Delivery).
const (
	// DeliveryLog: the code was written to the server's log.
	DeliveryLog = "log"
	// DeliveryWebhook: the code went to the operator's gateway (an SMS
	// service, say).
	DeliveryWebhook = "webhook"
	// DeliveryEmail: the code was emailed.
	DeliveryEmail = "email"
)

// Authorization statuses.
const (
	StatusAuthorized       = "authorized"
	StatusPasswordRequired = "password_required"
	StatusSignUpRequired   = "sign_up_required"
)

// Authorization is the answer of a sign-in step.
type Authorization struct {
	// Status is StatusAuthorized, StatusPasswordRequired or StatusSignUpRequired.
	Status       string `json:"status"`
	Token        string `json:"token,omitempty"`
	User         *User  `json:"user,omitempty"`
	PasswordHint string `json:"password_hint,omitempty"`
	// InviteRequired, with StatusSignUpRequired, says that the server
	// takes this new person only with an invite code: ask for it with
	// the name, and sign up with [Client.SignUpWithInvite].
	InviteRequired bool `json:"invite_required,omitempty"`
}

// Entity is a formatted or detected span of a message's text (the Entity
// type of docs/api.md); Offset and Length count UTF-16 code units.
type Entity struct {
	Type     string `json:"type"`
	Offset   int    `json:"offset"`
	Length   int    `json:"length"`
	URL      string `json:"url,omitempty"`
	UserID   int64  `json:"user_id,omitempty"`
	Language string `json:"language,omitempty"`
}

// Message is one message of a chat, keyed by ChatID and ID; its fields
// mirror the Message type of docs/api.md.
type Message struct {
	ChatID    int64           `json:"chat_id"`
	ID        int64           `json:"id"`
	SenderID  int64           `json:"sender_id,omitempty"`
	Date      int64           `json:"date"`
	Text      string          `json:"text,omitempty"`
	Entities  []Entity        `json:"entities,omitempty"`
	ReplyToID int64           `json:"reply_to_id,omitempty"`
	EditDate  int64           `json:"edit_date,omitempty"`
	Silent    bool            `json:"silent,omitempty"`
	Pinned    bool            `json:"pinned,omitempty"`
	Views     int64           `json:"views,omitempty"`
	ExpiresAt int64           `json:"expires_at,omitempty"`
	Forward   *Forward        `json:"forward,omitempty"`
	Service   *ServiceAction  `json:"service,omitempty"`
	Media     *Media          `json:"media,omitempty"`
	Reactions []ReactionCount `json:"reactions,omitempty"`
}

// Chat is a chat as the caller sees it. Its fields mirror the Chat type
// of docs/api.md; Seq is the seq of the chat's last event.
type Chat struct {
	ID              int64    `json:"id"`
	Kind            string   `json:"kind"`
	Title           string   `json:"title,omitempty"`
	About           string   `json:"about,omitempty"`
	Username        string   `json:"username,omitempty"`
	MemberCount     int64    `json:"member_count"`
	Seq             int64    `json:"seq"`
	TopMessageID    int64    `json:"top_message_id"`
	ReadOutboxMaxID int64    `json:"read_outbox_max_id,omitempty"`
	SlowModeSeconds int      `json:"slow_mode_seconds,omitempty"`
	HistoryHidden   bool     `json:"history_hidden,omitempty"`
	Signatures      bool     `json:"signatures,omitempty"`
	TTLSeconds      int      `json:"ttl_seconds,omitempty"`
	Reactions       []string `json:"reactions,omitempty"`
	PinnedMessageID int64    `json:"pinned_message_id,omitempty"`
	MemberRights    []string `json:"member_rights,omitempty"`
	PeerID          int64    `json:"peer_id,omitempty"`
	Role            string   `json:"role,omitempty"`
	Rights          []string `json:"rights,omitempty"`
	Photo           *Photo   `json:"photo,omitempty"`
}

// Dialog is one chat in the caller's list, with their own state of it
// (the Dialog type of docs/api.md).
type Dialog struct {
	Chat           Chat     `json:"chat"`
	TopMessage     *Message `json:"top_message,omitempty"`
	ReadInboxMaxID int64    `json:"read_inbox_max_id"`
	UnreadCount    int      `json:"unread_count"`
	UnreadMentions int      `json:"unread_mentions,omitempty"`
	Pinned         bool     `json:"pinned,omitempty"`
	Archived       bool     `json:"archived,omitempty"`
	MutedUntil     int64    `json:"muted_until,omitempty"`
	Peer           *User    `json:"peer,omitempty"`
}

// ChatEvent is one event of a chat's log (the ChatEvent type of
// docs/api.md): pushed as "chat.event" or returned by GetChatDifference.
// Data holds the kind's details as raw JSON.
type ChatEvent struct {
	ChatID    int64           `json:"chat_id"`
	Seq       int64           `json:"seq"`
	Kind      string          `json:"kind"`
	Date      int64           `json:"date"`
	UserID    int64           `json:"user_id,omitempty"`
	MessageID int64           `json:"message_id,omitempty"`
	Message   *Message        `json:"message,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// UserEvent is one event of the caller's own log (the UserEvent type of
// docs/api.md), numbered by Pts. Data holds the kind's details as raw JSON.
type UserEvent struct {
	Pts    int64           `json:"pts"`
	Kind   string          `json:"kind"`
	ChatID int64           `json:"chat_id"`
	Date   int64           `json:"date"`
	Data   json.RawMessage `json:"data,omitempty"`
}

// State is where a client stands in its logs: Pts in its own log, Gid
// among all chat events, and the server's time (Unix seconds).
type State struct {
	Pts  int64 `json:"pts"`
	Gid  int64 `json:"gid"`
	Date int64 `json:"date"`
}

// Difference is the answer of sync.getDifference: the user events after
// the pts given, the dialogs that moved after the gid given, the state
// to store, and More when another call is needed.
type Difference struct {
	UserEvents []UserEvent `json:"user_events"`
	Dialogs    []Dialog    `json:"dialogs"`
	State      State       `json:"state"`
	More       bool        `json:"more,omitempty"`
}

// ChatDifference is the answer of sync.getChatDifference: the chat's
// events after the seq given, the seq to store, More when another call
// is needed, and TooLong when the history must be reloaded instead.
type ChatDifference struct {
	Events  []ChatEvent `json:"events"`
	Seq     int64       `json:"seq"`
	More    bool        `json:"more,omitempty"`
	TooLong bool        `json:"too_long,omitempty"`
}
