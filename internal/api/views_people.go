package api

import (
	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// The wire views of people and chats: core shapes a person or a chat for
// one viewer (privacy applied: what a setting hides is empty), and these
// are their JSON shapes, field for field.

// userJSON is the wire view of core.UserView.
type userJSON struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	Username  string `json:"username,omitempty"`
	Bio       string `json:"bio,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
	Deleted   bool   `json:"deleted,omitempty"`
	// Self is set on the viewer's own account.
	Self bool `json:"self,omitempty"`
	// Contact: the viewer has this user in their contacts; Mutual: and
	// the other way round too.
	Contact bool `json:"contact,omitempty"`
	Mutual  bool `json:"mutual_contact,omitempty"`
	// Blocked: the viewer blocks this user.
	Blocked bool           `json:"blocked,omitempty"`
	Status  userStatusJSON `json:"status"`
	// Photo is the profile photo, shown as the profile_photo setting
	// allows.
	Photo *haven.Photo `json:"photo,omitempty"`
}

// userStatusJSON is the wire view of core.UserStatus.
type userStatusJSON struct {
	// Kind is "online" (a socket of theirs is open now), "exact"
	// (LastSeen is set), "recently" (within 3 days), "within_week",
	// "within_month", or "long_ago" (also what a blocked viewer and
	// deleted accounts get). "online" and "exact" are shown only to those
	// the last_seen setting admits; the others get the coarse kinds,
	// online or not.
	Kind     string `json:"kind"`
	LastSeen int64  `json:"last_seen,omitempty"` // unix seconds
}

// chatJSON is the wire view of core.ChatView.
type chatJSON struct {
	ID              int64        `json:"id"`
	Kind            string       `json:"kind"`
	Title           string       `json:"title,omitempty"`
	About           string       `json:"about,omitempty"`
	Username        string       `json:"username,omitempty"`
	MemberCount     int          `json:"member_count"`
	Seq             int64        `json:"seq"`
	TopMessageID    int64        `json:"top_message_id"`
	ReadOutboxMaxID int64        `json:"read_outbox_max_id,omitempty"` // your messages up to this id were read by someone else
	SlowModeSeconds int          `json:"slow_mode_seconds,omitempty"`
	HistoryHidden   bool         `json:"history_hidden,omitempty"`
	Signatures      bool         `json:"signatures,omitempty"`
	TTLSeconds      int          `json:"ttl_seconds,omitempty"`
	Reactions       []string     `json:"reactions"`
	PinnedMessageID int64        `json:"pinned_message_id,omitempty"`
	DefaultRights   []string     `json:"member_rights,omitempty"`
	Photo           *haven.Photo `json:"photo,omitempty"`
	// PeerID is the other person of a private chat (yourself in Saved
	// Messages).
	PeerID int64 `json:"peer_id,omitempty"`
	// Your membership.
	Role   string   `json:"role,omitempty"`
	Rights []string `json:"rights,omitempty"`
}

// memberJSON is the wire view of core.MemberView.
type memberJSON struct {
	User     userJSON `json:"user"`
	Role     string   `json:"role"`
	Rights   []string `json:"rights,omitempty"`
	JoinedAt int64    `json:"joined_at"`
}

// contactJSON is the wire view of core.ContactView.
type contactJSON struct {
	FirstName string   `json:"first_name"`
	LastName  string   `json:"last_name,omitempty"`
	User      userJSON `json:"user"`
}

// importedContactJSON is the wire view of core.ImportedContact.
type importedContactJSON struct {
	Index int      `json:"index"` // position in the request
	User  userJSON `json:"user"`
}

// importResultJSON is the wire view of core.ImportResult.
type importResultJSON struct {
	Imported []importedContactJSON `json:"imported"`
	// Unmatched counts inputs that found nobody (or nobody who lets
	// themselves be found). Haven keeps nothing of them.
	Unmatched int `json:"unmatched"`
}

// authorizationJSON is the wire view of core.Authorization (its
// SessionID stays on the server).
type authorizationJSON struct {
	Status         string    `json:"status"`
	Token          string    `json:"token,omitempty"`
	User           *userJSON `json:"user,omitempty"`
	Hint           string    `json:"password_hint,omitempty"`
	InviteRequired bool      `json:"invite_required,omitempty"`
}

// globalResultJSON is the wire view of core.GlobalResult.
type globalResultJSON struct {
	Users []userJSON `json:"users"`
	Chats []chatJSON `json:"chats"`
}

// userStatusPushJSON is the data of a user.status push (core.UserStatusView).
type userStatusPushJSON struct {
	UserID int64          `json:"user_id"`
	Status userStatusJSON `json:"status"`
}

func userOut(u *core.UserView) userJSON {
	return userJSON{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, Bio: u.Bio,
		Phone: u.Phone, Email: u.Email, Deleted: u.Deleted, Self: u.Self, Contact: u.Contact, Mutual: u.Mutual,
		Blocked: u.Blocked, Status: userStatusOut(&u.Status), Photo: u.Photo}
}

func userStatusOut(s *core.UserStatus) userStatusJSON {
	return userStatusJSON{Kind: s.Kind, LastSeen: s.LastSeen}
}

func chatOut(c *core.ChatView) chatJSON {
	return chatJSON{ID: c.ID, Kind: c.Kind, Title: c.Title, About: c.About, Username: c.Username,
		MemberCount: c.MemberCount, Seq: c.Seq, TopMessageID: c.TopMessageID, ReadOutboxMaxID: c.ReadOutboxMaxID,
		SlowModeSeconds: c.SlowModeSeconds, HistoryHidden: c.HistoryHidden, Signatures: c.Signatures,
		TTLSeconds: c.TTLSeconds, Reactions: c.Reactions, PinnedMessageID: c.PinnedMessageID,
		DefaultRights: c.DefaultRights, Photo: c.Photo, PeerID: c.PeerID, Role: c.Role, Rights: c.Rights}
}

func memberOut(m *core.MemberView) memberJSON {
	return memberJSON{User: userOut(&m.User), Role: m.Role, Rights: m.Rights, JoinedAt: m.JoinedAt}
}

func contactOut(c *core.ContactView) contactJSON {
	return contactJSON{FirstName: c.FirstName, LastName: c.LastName, User: userOut(&c.User)}
}

func importedContactOut(c *core.ImportedContact) importedContactJSON {
	return importedContactJSON{Index: c.Index, User: userOut(&c.User)}
}

func importResultOut(r *core.ImportResult) importResultJSON {
	return importResultJSON{Imported: mapSlice(r.Imported, importedContactOut), Unmatched: r.Unmatched}
}

func authorizationOut(a *core.Authorization) authorizationJSON {
	return authorizationJSON{Status: a.Status, Token: a.Token, User: mapPtr(a.User, userOut), Hint: a.Hint, InviteRequired: a.InviteRequired}
}

func globalResultOut(r *core.GlobalResult) globalResultJSON {
	return globalResultJSON{Users: mapSlice(r.Users, userOut), Chats: mapSlice(r.Chats, chatOut)}
}

func userStatusPushOut(s *core.UserStatusView) userStatusPushJSON {
	return userStatusPushJSON{UserID: s.UserID, Status: userStatusOut(&s.Status)}
}
