package haven

import "time"

// ChatKind says what a chat is.
type ChatKind string

// The chat kinds.
const (
	// ChatPrivate is two people and one shared history, or one person
	// with themselves (Saved Messages).
	ChatPrivate ChatKind = "private"
	// ChatGroup is a group whose members post; up to Limits.GroupMembers.
	ChatGroup ChatKind = "group"
	// ChatChannel is a channel: admins post, subscribers read.
	ChatChannel ChatKind = "channel"
)

// Chat is a conversation as stored. Seq counts the events of its log and
// TopMessageID the messages; both only grow.
type Chat struct {
	ID        int64
	Kind      ChatKind
	Title     string
	About     string
	Username  string // public groups and channels; compared case-insensitively
	CreatorID int64
	CreatedAt time.Time

	Seq          int64     // the last event's seq
	TopMessageID int64     // the last message's id (messages may since be deleted)
	LastEventAt  time.Time // when the last event happened

	MemberCount int
	// Read receipts: MaxReadID is the furthest any member has read and
	// MaxReadBy that member; MaxReadID2 the furthest read by anyone else.
	// So "read by someone other than me" is one comparison (ReadByOthers)
	// with no per-member fan-out, in private chats and groups alike.
	MaxReadID  int64
	MaxReadBy  int64
	MaxReadID2 int64

	// Settings.
	DefaultRights   Rights   // what plain members may do (groups)
	SlowModeSeconds int      // 0 = off
	HistoryHidden   bool     // new members do not see earlier messages
	TTLSeconds      int      // auto-delete timer for new messages; 0 = off
	Reactions       []string // allowed reactions; nil = DefaultReactions
	PinnedMessageID int64    // the latest pinned message, 0 = none
	// Signatures makes a channel's posts and service messages carry
	// their author, as Telegram's signatures do; off, the channel signs
	// them (channels only).
	Signatures bool
	Photo      *Photo // nil when none is set; written by SetChatPhoto, not UpdateChat

	// Private chats only: the two people (equal for Saved Messages).
	PeerA, PeerB int64
}

// ReadByOthers returns the highest message id that someone other than me
// has read: my messages up to it show as read.
func (c *Chat) ReadByOthers(me int64) int64 {
	if c.MaxReadBy != me {
		return c.MaxReadID
	}
	return c.MaxReadID2
}

// NoteRead moves the read receipts for reader having read up to maxID,
// and reports whether they changed.
func (c *Chat) NoteRead(reader, maxID int64) bool {
	switch {
	case reader == c.MaxReadBy:
		if maxID <= c.MaxReadID {
			return false
		}
		c.MaxReadID = maxID
	case maxID > c.MaxReadID:
		c.MaxReadID2, c.MaxReadID, c.MaxReadBy = c.MaxReadID, maxID, reader
	case maxID > c.MaxReadID2:
		c.MaxReadID2 = maxID
	default:
		return false
	}
	return true
}

// Saved reports whether a private chat is a person's Saved Messages.
func (c *Chat) Saved() bool { return c.Kind == ChatPrivate && c.PeerA == c.PeerB }

// Other returns, for a private chat, the person who is not me.
func (c *Chat) Other(me int64) int64 {
	if c.PeerA == me {
		return c.PeerB
	}
	return c.PeerA
}

// DefaultReactions is the set of reactions a chat allows unless its admins
// choose another.
var DefaultReactions = []string{"👍", "👎", "❤️", "🔥", "🎉", "😁", "😢", "😮", "🤔", "🙏", "👏", "💯"}

// SlowModeValues are the allowed slow-mode intervals in seconds.
var SlowModeValues = []int{0, 10, 30, 60, 300, 900, 3600}

// ChatTTLValues are the allowed auto-delete timers in seconds: off, one
// day, one week, one month.
var ChatTTLValues = []int{0, 86400, 7 * 86400, 31 * 86400}

// Role is a member's standing in a chat.
type Role string

// The roles. RoleLeft and RoleBanned are kept as rows so that a ban
// holds and a left member's read state survives a return.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
	RoleLeft   Role = "left"
	RoleBanned Role = "banned"
)

// Active reports whether the role belongs to a current member.
func (r Role) Active() bool { return r == RoleOwner || r == RoleAdmin || r == RoleMember }

// Rights is a set of permissions: what an admin may do, or what plain
// members of a group may do.
type Rights uint32

// The rights. The first group are admin rights; the second are what a
// group may allow its plain members (the owner and admins with the
// matching admin right may always do them).
const (
	RightChangeInfo Rights = 1 << iota
	RightDeleteMessages
	RightBanUsers
	RightInviteUsers
	RightPinMessages
	RightAddAdmins
	RightPostMessages // channels: post; groups: always allowed to members unless restricted
	RightEditMessages // channels: edit others' posts

	// RightSendMessages lets plain members of a group post.
	RightSendMessages
)

// AllAdminRights is what the owner has.
const AllAdminRights = RightChangeInfo | RightDeleteMessages | RightBanUsers | RightInviteUsers | RightPinMessages | RightAddAdmins | RightPostMessages | RightEditMessages

// DefaultMemberRights is what plain members of a new group may do.
const DefaultMemberRights = RightSendMessages | RightInviteUsers | RightPinMessages | RightChangeInfo

// Has reports whether r includes every right of want.
func (r Rights) Has(want Rights) bool { return r&want == want }

// Member is a person's place in a chat, and their own state of it.
type Member struct {
	ChatID    int64
	UserID    int64
	Role      Role
	Rights    Rights // admin rights (owner: AllAdminRights)
	InviterID int64
	JoinedAt  time.Time
	// MinMessageID is the first message the member may see: set on join
	// when the chat hides history; 0 = all.
	MinMessageID int64
	// MinSeq is the chat's seq when the member joined a chat that hides
	// its history: the member is handed only the events after it. 0 = all.
	MinSeq int64
	// ReadInboxMaxID: the member has read every message up to this id.
	ReadInboxMaxID int64
	// LastPostAt is when the member last posted (slow mode).
	LastPostAt time.Time
	// BannedUntil ends a ban; zero = for ever (RoleBanned only).
	BannedUntil time.Time

	// The member's own dialog settings.
	PinnedRank int // 0 = not pinned; higher ranks come first
	Archived   bool
	MutedUntil time.Time // zero = not muted
}

// Invite is an invite link to a group or channel.
type Invite struct {
	Hash       string
	ChatID     int64
	CreatorID  int64
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero = never
	UsageLimit int       // 0 = unlimited
	Usage      int
	Revoked    bool
}
