package core

import (
	"time"

	"github.com/havenchat/haven"
)

// Action is something a member may or may not do in a chat. Every
// permission decision of messaging goes through can, so the rules live in
// this one table-like function and its table-driven test.
type Action int

// The actions.
const (
	ActRead        Action = iota // read history, react, mark read
	ActSend                      // post a message
	ActEditOwn                   // edit one's own message
	ActEditAny                   // edit someone else's message (channel admins)
	ActDeleteOwn                 // delete one's own message for everyone
	ActDeleteAny                 // delete anyone's message for everyone
	ActPin                       // pin and unpin
	ActChangeInfo                // title, about, settings
	ActInvite                    // add members, make invite links
	ActBan                       // remove and ban members
	ActAddAdmins                 // promote and demote admins
	ActListMembers               // see the member list
	ActReact                     // react to a message
	ActSetTimer                  // set the auto-delete timer
	ActSeeActors                 // see who did what: who acted, whom a change of membership is about
)

var actionNames = map[Action]string{
	ActRead: "read", ActSend: "send messages", ActEditOwn: "edit messages", ActEditAny: "edit others' messages",
	ActDeleteOwn: "delete messages", ActDeleteAny: "delete others' messages", ActPin: "pin messages",
	ActChangeInfo: "change the chat's info", ActInvite: "invite people", ActBan: "ban people",
	ActAddAdmins: "appoint admins", ActListMembers: "see the members", ActReact: "react",
	ActSetTimer: "set the auto-delete timer", ActSeeActors: "see who did what",
}

func (a Action) String() string { return actionNames[a] }

// adminRight is the admin right that allows an action, if one does.
var adminRight = map[Action]haven.Rights{
	ActEditAny:    haven.RightEditMessages,
	ActDeleteAny:  haven.RightDeleteMessages,
	ActPin:        haven.RightPinMessages,
	ActChangeInfo: haven.RightChangeInfo,
	ActSetTimer:   haven.RightChangeInfo,
	ActInvite:     haven.RightInviteUsers,
	ActBan:        haven.RightBanUsers,
	ActAddAdmins:  haven.RightAddAdmins,
}

// memberRight is the group permission that lets plain members do an
// action, if one can.
var memberRight = map[Action]haven.Rights{
	ActSend:       haven.RightSendMessages,
	ActPin:        haven.RightPinMessages,
	ActChangeInfo: haven.RightChangeInfo,
	ActInvite:     haven.RightInviteUsers,
}

// can decides whether member m (nil when the person has no row) may do
// act in chat c at time now. Errors: CodeNotMember, CodeUserBanned,
// CodeChatWriteForbidden, CodeRightForbidden, CodeChatKindInvalid.
func can(c *haven.Chat, m *haven.Member, act Action, now time.Time) error {
	if m == nil || !m.Role.Active() {
		if m != nil && m.Role == haven.RoleBanned && (m.BannedUntil.IsZero() || now.Before(m.BannedUntil)) {
			return haven.Errorf(haven.CodeUserBanned, "you are banned from this chat")
		}
		return haven.Errorf(haven.CodeNotMember, "you are not a member of this chat")
	}
	switch c.Kind {
	case haven.ChatPrivate:
		switch act {
		case ActRead, ActSend, ActEditOwn, ActDeleteOwn, ActDeleteAny, ActPin, ActListMembers, ActReact, ActSetTimer, ActSeeActors:
			return nil
		}
		return haven.Errorf(haven.CodeChatKindInvalid, "a private chat has no one to %s", act)
	case haven.ChatGroup:
		switch {
		case act == ActRead || act == ActEditOwn || act == ActDeleteOwn || act == ActListMembers || act == ActReact || act == ActSeeActors:
			return nil
		case act == ActEditAny:
			return haven.Errorf(haven.CodeMessageEditForbidden, "in a group only the author edits a message")
		case m.Role == haven.RoleOwner:
			return nil
		case m.Role == haven.RoleAdmin:
			if act == ActSend {
				return nil
			}
			if r, ok := adminRight[act]; ok && m.Rights.Has(r) {
				return nil
			}
			if r, ok := memberRight[act]; ok && c.DefaultRights.Has(r) {
				return nil
			}
		default:
			if r, ok := memberRight[act]; ok && c.DefaultRights.Has(r) {
				return nil
			}
			if act == ActSend {
				return haven.Errorf(haven.CodeChatWriteForbidden, "members may not send messages in this group")
			}
		}
		return haven.Errorf(haven.CodeRightForbidden, "you may not %s in this group", act)
	case haven.ChatChannel:
		switch {
		case act == ActRead || act == ActReact:
			return nil
		case m.Role == haven.RoleOwner:
			return nil
		case m.Role == haven.RoleAdmin:
			switch act {
			case ActSend, ActEditOwn, ActDeleteOwn:
				if m.Rights.Has(haven.RightPostMessages) {
					return nil
				}
				return haven.Errorf(haven.CodeChatWriteForbidden, "you may not post in this channel")
			case ActListMembers, ActSeeActors:
				return nil
			}
			if r, ok := adminRight[act]; ok && m.Rights.Has(r) {
				return nil
			}
			return haven.Errorf(haven.CodeRightForbidden, "you may not %s in this channel", act)
		case act == ActSend || act == ActEditOwn || act == ActDeleteOwn:
			return haven.Errorf(haven.CodeChatWriteForbidden, "only admins post in a channel")
		}
		return haven.Errorf(haven.CodeRightForbidden, "subscribers may not %s", act)
	}
	return haven.Errorf(haven.CodeChatKindInvalid, "unknown chat kind %q", c.Kind)
}

// reachesPeer reports whether act, done in a private chat, shows itself
// to the other person (a message, a typing notice, a reaction, an edit,
// a pin, a deletion for everyone, a new timer): what someone the other
// person blocks may not do. Reading does not reach them; its read
// receipt is left out instead (see Service.Read).
func reachesPeer(act Action) bool {
	switch act {
	case ActRead, ActListMembers, ActSeeActors:
		return false
	}
	return true
}

// outranks reports whether actor may act on target's membership (ban,
// remove, change rights): the owner over everyone, an admin over plain
// members (and people who left or are banned).
func outranks(actor, target *haven.Member) bool {
	switch {
	case actor.UserID == target.UserID:
		return false
	case actor.Role == haven.RoleOwner:
		return true
	case actor.Role == haven.RoleAdmin:
		return target.Role == haven.RoleMember || target.Role == haven.RoleLeft || target.Role == haven.RoleBanned
	}
	return false
}
