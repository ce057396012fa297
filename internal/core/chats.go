package core

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/havenchat/haven"
)

// privateChat returns the private chat of me and other, making it (and
// both memberships) on first use. other == me is Saved Messages.
// Errors: CodeUserNotFound.
func (s *Service) privateChat(ctx context.Context, tx Tx, me, other int64) (*haven.Chat, error) {
	id, err := tx.PrivateChatID(ctx, me, other)
	if err == nil {
		return tx.ChatByID(ctx, id)
	}
	if !errors.Is(err, haven.ErrNotFound) {
		return nil, err
	}
	if _, err := s.knownUser(ctx, tx, me, other); err != nil {
		return nil, err
	}
	now := s.now()
	c := &haven.Chat{Kind: haven.ChatPrivate, CreatorID: me, CreatedAt: now, LastEventAt: now, PeerA: me, PeerB: other, MemberCount: 2}
	if me == other {
		c.MemberCount = 1
	}
	if err := tx.CreateChat(ctx, c); err != nil {
		return nil, err
	}
	for _, uid := range uniq(me, other) {
		if err := tx.PutMember(ctx, &haven.Member{ChatID: c.ID, UserID: uid, Role: haven.RoleMember, JoinedAt: now}); err != nil {
			return nil, err
		}
		if err := s.dialogAdded(ctx, tx, uid, c, 0); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func uniq(a, b int64) []int64 {
	if a == b {
		return []int64{a}
	}
	return []int64{a, b}
}

// checkTitle validates a group or channel title.
func (s *Service) checkTitle(title string) (string, error) {
	t, ok := haven.CleanText(title)
	if !ok || t == "" || haven.UTF16Len(t) > s.limits.TitleMax {
		return "", haven.Errorf(haven.CodeTitleInvalid, "a title has 1 to %d characters of printable text", s.limits.TitleMax)
	}
	return t, nil
}

func (s *Service) checkAbout(about string) (string, error) {
	if haven.UTF16Len(about) > s.limits.AboutMax {
		return "", haven.Errorf(haven.CodeAboutTooLong, "a description has at most %d characters", s.limits.AboutMax)
	}
	return about, nil
}

// CreateGroup makes a group with the actor as owner and adds the people
// given whose privacy lets the actor add them. Errors: CodeTitleInvalid,
// CodeTooManyIDs, CodeUserNotFound.
func (s *Service) CreateGroup(ctx context.Context, a *Actor, title string, userIDs []int64) (*ChatView, error) {
	t, err := s.checkTitle(title)
	if err != nil {
		return nil, err
	}
	if len(userIDs) > 200 {
		return nil, haven.Errorf(haven.CodeTooManyIDs, "add at most 200 people at creation; invite the rest")
	}
	var out ChatView
	err = s.store.Update(ctx, func(tx Tx) error {
		now := s.now()
		c := &haven.Chat{Kind: haven.ChatGroup, Title: t, CreatorID: a.UserID, CreatedAt: now, LastEventAt: now, DefaultRights: haven.DefaultMemberRights}
		if err := tx.CreateChat(ctx, c); err != nil {
			return err
		}
		owner := &haven.Member{ChatID: c.ID, UserID: a.UserID, Role: haven.RoleOwner, Rights: haven.AllAdminRights, JoinedAt: now}
		if err := s.join(ctx, tx, c, owner); err != nil {
			return err
		}
		if _, err := s.service(ctx, tx, c, a.UserID, &haven.ServiceAction{Type: haven.ActionChatCreated, Title: t}); err != nil {
			return err
		}
		if _, err := s.addMembers(ctx, tx, c, owner, userIDs); err != nil {
			return err
		}
		out = chatView(c, owner, a.UserID)
		return nil
	})
	if err != nil {
		return nil, s.internal(ctx, "chats.createGroup", err)
	}
	return &out, nil
}

// CreateChannel makes a channel with the actor as owner; with a username
// it is public. Errors: CodeTitleInvalid, CodeAboutTooLong,
// CodeUsernameInvalid, CodeUsernameOccupied.
func (s *Service) CreateChannel(ctx context.Context, a *Actor, title, about, username string) (*ChatView, error) {
	t, err := s.checkTitle(title)
	if err != nil {
		return nil, err
	}
	if about, err = s.checkAbout(about); err != nil {
		return nil, err
	}
	username = trimAt(username)
	if username != "" && !haven.ValidUsername(username) {
		return nil, usernameInvalid()
	}
	var out ChatView
	err = s.store.Update(ctx, func(tx Tx) error {
		now := s.now()
		c := &haven.Chat{Kind: haven.ChatChannel, Title: t, About: about, Username: username, CreatorID: a.UserID, CreatedAt: now, LastEventAt: now}
		if err := tx.CreateChat(ctx, c); err != nil {
			return err
		}
		owner := &haven.Member{ChatID: c.ID, UserID: a.UserID, Role: haven.RoleOwner, Rights: haven.AllAdminRights, JoinedAt: now}
		if err := s.join(ctx, tx, c, owner); err != nil {
			return err
		}
		if _, err := s.service(ctx, tx, c, a.UserID, &haven.ServiceAction{Type: haven.ActionChatCreated, Title: t}); err != nil {
			return err
		}
		out = chatView(c, owner, a.UserID)
		return nil
	})
	if err != nil {
		return nil, s.internal(ctx, "chats.createChannel", err)
	}
	return &out, nil
}

// join makes m an active member of c: the row, the count, the dialog on
// the person's devices, and the member event.
func (s *Service) join(ctx context.Context, tx Tx, c *haven.Chat, m *haven.Member) error {
	if err := s.enrol(ctx, tx, c, m); err != nil {
		return err
	}
	return s.memberEvent(ctx, tx, c, m)
}

// enrol is join without the chat's member event, for adding many people
// at once under one event.
func (s *Service) enrol(ctx context.Context, tx Tx, c *haven.Chat, m *haven.Member) error {
	if c.MemberCount >= s.limits.GroupMembers && c.Kind == haven.ChatGroup {
		return haven.Errorf(haven.CodeMembersTooMany, "the group has reached %d members", s.limits.GroupMembers)
	}
	if c.HistoryHidden && m.Role == haven.RoleMember {
		// Neither the messages nor the events from before the join:
		// who came and went, reacted or read is history too.
		m.MinMessageID, m.MinSeq = c.TopMessageID+1, c.Seq
	}
	if err := tx.PutMember(ctx, m); err != nil {
		return err
	}
	c.MemberCount++
	if err := tx.UpdateChat(ctx, c); err != nil {
		return err
	}
	return s.dialogAdded(ctx, tx, m.UserID, c, m.MinMessageID)
}

// memberEvent logs a change of membership in the chat, except for plain
// subscribers of a channel: they have no member list to keep up to date,
// and a channel of millions must not log (and push) every join.
func (s *Service) memberEvent(ctx context.Context, tx Tx, c *haven.Chat, m *haven.Member) error {
	if c.Kind == haven.ChatChannel && (m.Role == haven.RoleMember || m.Role == haven.RoleLeft) {
		return nil
	}
	_, err := s.chatEvent(ctx, tx, c, haven.EventMemberUpdate, m.UserID, nil, map[string]string{"role": string(m.Role)})
	return err
}

// leave ends m's active membership with role (left or banned).
func (s *Service) leave(ctx context.Context, tx Tx, c *haven.Chat, m *haven.Member, role haven.Role, until time.Time) error {
	m.Role, m.Rights, m.PinnedRank, m.BannedUntil = role, 0, 0, until
	if err := tx.PutMember(ctx, m); err != nil {
		return err
	}
	c.MemberCount--
	if err := tx.UpdateChat(ctx, c); err != nil {
		return err
	}
	if err := s.userEvent(ctx, tx, m.UserID, haven.UserDialogRemoved, c.ID, nil); err != nil {
		return err
	}
	return s.memberEvent(ctx, tx, c, m)
}

// service writes a service message into the history.
func (s *Service) service(ctx context.Context, tx Tx, c *haven.Chat, actor int64, act *haven.ServiceAction) (*haven.Message, error) {
	msg := &haven.Message{SenderID: actor, Service: act, Silent: c.Kind == haven.ChatChannel}
	_, err := s.chatEvent(ctx, tx, c, haven.EventMessageNew, actor, msg, nil)
	return msg, err
}

// addMembers adds people to a group (or channel) on behalf of adder,
// honouring each person's add-to-groups privacy and bans. It returns the
// ids added; people who do not allow it are skipped silently when more
// than one is added, refused with CodeUserPrivacyRestricted when alone.
func (s *Service) addMembers(ctx context.Context, tx Tx, c *haven.Chat, adder *haven.Member, ids []int64) ([]int64, error) {
	var added []int64
	for _, id := range ids {
		if id == adder.UserID {
			continue
		}
		if _, err := s.knownUser(ctx, tx, adder.UserID, id); err != nil {
			return nil, err
		}
		old, err := s.member(ctx, tx, c.ID, id)
		if err != nil {
			return nil, err
		}
		if old != nil && old.Role.Active() {
			if len(ids) == 1 {
				return nil, haven.Errorf(haven.CodeAlreadyMember, "user %d is already a member", id)
			}
			continue
		}
		// Adding a banned person lifts the ban: only for those who may ban.
		if old != nil && old.Role == haven.RoleBanned && (!outranks(adder, old) || can(c, adder, ActBan, s.now()) != nil) {
			return nil, haven.Errorf(haven.CodeUserBanned, "user %d is banned from this chat", id)
		}
		r, err := s.relation(ctx, tx, adder.UserID, id)
		if err != nil {
			return nil, err
		}
		p, err := tx.Privacy(ctx, id)
		if err != nil {
			return nil, err
		}
		if !r.allows(p.Get(haven.PrivacyAddToGroups)) {
			if len(ids) == 1 {
				return nil, haven.Errorf(haven.CodeUserPrivacyRestricted, "user %d does not let you add them to groups", id)
			}
			continue
		}
		m := &haven.Member{ChatID: c.ID, UserID: id, Role: haven.RoleMember, InviterID: adder.UserID, JoinedAt: s.now()}
		if old != nil {
			m.ReadInboxMaxID = old.ReadInboxMaxID
		}
		if err := s.enrol(ctx, tx, c, m); err != nil {
			return nil, err
		}
		added = append(added, id)
	}
	if len(added) > 0 && c.Kind != haven.ChatChannel {
		// One event for the whole batch: a group made with hundreds of
		// people must not push hundreds of events to each member.
		if _, err := s.chatEvent(ctx, tx, c, haven.EventMemberUpdate, 0, nil, map[string]any{"role": haven.RoleMember, "user_ids": added}); err != nil {
			return nil, err
		}
	}
	if len(added) > 0 {
		if _, err := s.service(ctx, tx, c, adder.UserID, &haven.ServiceAction{Type: haven.ActionMembersAdded, UserIDs: added}); err != nil {
			return nil, err
		}
	}
	return added, nil
}

// AddMembers adds people to a group or channel. Errors: CodeRightForbidden,
// CodeUserPrivacyRestricted, CodeAlreadyMember, CodeMembersTooMany,
// CodeUserNotFound, CodeTooManyIDs.
func (s *Service) AddMembers(ctx context.Context, a *Actor, chatID int64, ids []int64) ([]int64, error) {
	if len(ids) == 0 || len(ids) > 200 {
		return nil, haven.Errorf(haven.CodeTooManyIDs, "give 1 to 200 user ids")
	}
	var added []int64
	err := s.store.Update(ctx, func(tx Tx) error {
		c, m, err := s.access(ctx, tx, a, chatID, ActInvite)
		if err != nil {
			return err
		}
		added, err = s.addMembers(ctx, tx, c, m, ids)
		return err
	})
	return added, s.internal(ctx, "chats.addMembers", err)
}

// Leave takes the actor out of a group or channel. The owner must hand
// ownership on first. Errors: CodeOwnerCannotLeave, CodeChatKindInvalid.
func (s *Service) Leave(ctx context.Context, a *Actor, chatID int64) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		c, m, err := s.access(ctx, tx, a, chatID, ActRead)
		if err != nil {
			return err
		}
		if c.Kind == haven.ChatPrivate {
			return haven.Errorf(haven.CodeChatKindInvalid, "a private chat cannot be left; delete its history instead")
		}
		if m.Role == haven.RoleOwner {
			return haven.Errorf(haven.CodeOwnerCannotLeave, "transfer ownership before leaving")
		}
		if err := s.leave(ctx, tx, c, m, haven.RoleLeft, time.Time{}); err != nil {
			return err
		}
		if c.Kind == haven.ChatGroup {
			_, err = s.service(ctx, tx, c, a.UserID, &haven.ServiceAction{Type: haven.ActionMemberLeft, UserIDs: []int64{a.UserID}})
		}
		return err
	})
	return s.internal(ctx, "chats.leave", err)
}

// Ban removes a member and keeps them out until `until` (zero: for ever,
// until unbanned). Errors: CodeRightForbidden, CodeUserNotFound.
func (s *Service) Ban(ctx context.Context, a *Actor, chatID, userID int64, until time.Time) error {
	return s.removeMember(ctx, a, chatID, userID, haven.RoleBanned, until, "chats.ban")
}

// Remove removes a member, who may come back (by link or being added).
func (s *Service) Remove(ctx context.Context, a *Actor, chatID, userID int64) error {
	return s.removeMember(ctx, a, chatID, userID, haven.RoleLeft, time.Time{}, "chats.removeMember")
}

func (s *Service) removeMember(ctx context.Context, a *Actor, chatID, userID int64, role haven.Role, until time.Time, op string) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		c, m, err := s.access(ctx, tx, a, chatID, ActBan)
		if err != nil {
			return err
		}
		target, err := s.member(ctx, tx, chatID, userID)
		if err != nil {
			return err
		}
		if target == nil {
			if role != haven.RoleBanned {
				return haven.Errorf(haven.CodeUserNotFound, "user %d is not in this chat", userID)
			}
			if _, err := s.knownUser(ctx, tx, a.UserID, userID); err != nil {
				return err
			}
			// Ban someone not (yet) in the chat: keep them out.
			return tx.PutMember(ctx, &haven.Member{ChatID: chatID, UserID: userID, Role: haven.RoleBanned, BannedUntil: until, JoinedAt: s.now()})
		}
		if !outranks(m, target) {
			return haven.Errorf(haven.CodeRightForbidden, "you may not remove this member")
		}
		if !target.Role.Active() {
			target.Role, target.BannedUntil = role, until
			return tx.PutMember(ctx, target)
		}
		if err := s.leave(ctx, tx, c, target, role, until); err != nil {
			return err
		}
		if c.Kind == haven.ChatGroup {
			_, err = s.service(ctx, tx, c, a.UserID, &haven.ServiceAction{Type: haven.ActionMemberRemoved, UserIDs: []int64{userID}})
		}
		return err
	})
	return s.internal(ctx, op, err)
}

// Unban lifts a ban; the person may join again. Errors: CodeRightForbidden.
func (s *Service) Unban(ctx context.Context, a *Actor, chatID, userID int64) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		_, m, err := s.access(ctx, tx, a, chatID, ActBan)
		if err != nil {
			return err
		}
		target, err := s.member(ctx, tx, chatID, userID)
		if err != nil || target == nil || target.Role != haven.RoleBanned {
			return err
		}
		if !outranks(m, target) {
			return haven.Errorf(haven.CodeRightForbidden, "you may not unban this person")
		}
		target.Role, target.BannedUntil = haven.RoleLeft, time.Time{}
		return tx.PutMember(ctx, target)
	})
	return s.internal(ctx, "chats.unban", err)
}

// SetAdmin makes a member an admin with the given rights, or (with no
// rights) a plain member again. Errors: CodeRightForbidden,
// CodeUserNotFound, CodeChatKindInvalid.
func (s *Service) SetAdmin(ctx context.Context, a *Actor, chatID, userID int64, rights haven.Rights) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		c, m, err := s.access(ctx, tx, a, chatID, ActAddAdmins)
		if err != nil {
			return err
		}
		if c.Kind == haven.ChatPrivate {
			return haven.Errorf(haven.CodeChatKindInvalid, "a private chat has no admins")
		}
		target, err := s.member(ctx, tx, chatID, userID)
		if err != nil {
			return err
		}
		if target == nil || !target.Role.Active() {
			return haven.Errorf(haven.CodeUserNotFound, "user %d is not a member", userID)
		}
		if target.Role == haven.RoleOwner || (m.Role != haven.RoleOwner && (target.Role == haven.RoleAdmin || !m.Rights.Has(rights))) {
			// An admin grants only rights they hold, and only to plain members.
			return haven.Errorf(haven.CodeRightForbidden, "you may not change this member's rights so")
		}
		if rights == 0 {
			target.Role, target.Rights = haven.RoleMember, 0
		} else {
			target.Role, target.Rights = haven.RoleAdmin, rights&haven.AllAdminRights
		}
		if err := tx.PutMember(ctx, target); err != nil {
			return err
		}
		_, err = s.chatEvent(ctx, tx, c, haven.EventMemberUpdate, userID, nil, map[string]any{"role": target.Role, "rights": RightsNames(target.Rights)})
		return err
	})
	return s.internal(ctx, "chats.setAdmin", err)
}

// TransferOwnership hands a group or channel to another member, who
// becomes owner; the actor stays as an admin with every right. When the
// actor has a cloud password it must be given. Errors:
// CodeRightForbidden, CodeUserNotFound, CodePasswordRequired,
// CodePasswordInvalid.
func (s *Service) TransferOwnership(ctx context.Context, a *Actor, chatID, userID int64, password string) error {
	if _, err := s.checkCurrentPassword(ctx, a, password, false); err != nil {
		return err
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		c, m, err := s.access(ctx, tx, a, chatID, ActRead)
		if err != nil {
			return err
		}
		if m.Role != haven.RoleOwner {
			return haven.Errorf(haven.CodeRightForbidden, "only the owner can transfer ownership")
		}
		target, err := s.member(ctx, tx, chatID, userID)
		if err != nil {
			return err
		}
		if target == nil || !target.Role.Active() || target.UserID == a.UserID {
			return haven.Errorf(haven.CodeUserNotFound, "user %d is not another member", userID)
		}
		return s.passOwnership(ctx, tx, c, m, target, haven.RoleAdmin, haven.AllAdminRights)
	})
	return s.internal(ctx, "chats.transferOwnership", err)
}

// passOwnership makes heir the owner of c in place of owner, who keeps
// role with rights: the rows, the chat's creator, a member event for
// each, and the owner_changed service message from the old owner.
func (s *Service) passOwnership(ctx context.Context, tx Tx, c *haven.Chat, owner, heir *haven.Member, role haven.Role, rights haven.Rights) error {
	heir.Role, heir.Rights = haven.RoleOwner, haven.AllAdminRights
	owner.Role, owner.Rights = role, rights
	if err := tx.PutMember(ctx, heir); err != nil {
		return err
	}
	if err := tx.PutMember(ctx, owner); err != nil {
		return err
	}
	c.CreatorID = heir.UserID
	if err := tx.UpdateChat(ctx, c); err != nil {
		return err
	}
	for _, x := range []*haven.Member{heir, owner} {
		if _, err := s.chatEvent(ctx, tx, c, haven.EventMemberUpdate, x.UserID, nil, map[string]any{"role": x.Role, "rights": RightsNames(x.Rights)}); err != nil {
			return err
		}
	}
	_, err := s.service(ctx, tx, c, owner.UserID, &haven.ServiceAction{Type: haven.ActionOwnerChanged, UserIDs: []int64{heir.UserID}})
	return err
}

// handOver passes the chats a deleted account owned to the longest
// serving admin, else the longest serving member, on live accounts
// (seniority is the time of joining the chat). The deleted account stays
// a plain member, as it does in the chats it did not own, so that what
// it wrote keeps its author. A chat with no one else keeps no heir.
func (s *Service) handOver(ctx context.Context, tx Tx, userID int64) error {
	ms, err := tx.Memberships(ctx, userID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Role != haven.RoleOwner {
			continue
		}
		c, err := tx.ChatByID(ctx, m.ChatID)
		if err != nil {
			return err
		}
		if c.Kind == haven.ChatPrivate {
			continue
		}
		heir, err := tx.SeniorMember(ctx, c.ID, haven.RoleAdmin, userID)
		if errors.Is(err, haven.ErrNotFound) {
			heir, err = tx.SeniorMember(ctx, c.ID, haven.RoleMember, userID)
		}
		if errors.Is(err, haven.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := s.passOwnership(ctx, tx, c, m, heir, haven.RoleMember, 0); err != nil {
			return err
		}
	}
	return nil
}

// ChatSettings are the changes to a chat's info and settings; nil fields
// stay as they are.
type ChatSettings struct {
	Title           *string
	About           *string
	Username        *string
	MemberRights    *haven.Rights
	SlowModeSeconds *int
	HistoryHidden   *bool
	Signatures      *bool
	TTLSeconds      *int
	Reactions       *[]string
}

// UpdateChat changes a chat's info and settings. Errors:
// CodeRightForbidden, CodeTitleInvalid, CodeAboutTooLong,
// CodeUsernameInvalid, CodeUsernameOccupied, CodeSlowModeInvalid,
// CodeTTLInvalid, CodeReactionInvalid, CodeChatKindInvalid, CodeUserBlocked
// (the timer of a private chat whose other person blocks the actor).
func (s *Service) UpdateChat(ctx context.Context, a *Actor, chatID int64, in ChatSettings) (*ChatView, error) {
	var out ChatView
	err := s.store.Update(ctx, func(tx Tx) error {
		c, m, err := s.membership(ctx, tx, a, chatID)
		if err != nil {
			return err
		}
		// Any member of a private chat may set its auto-delete timer;
		// everything else is the admins' (or permitted members').
		if c.Kind == haven.ChatPrivate {
			if in.Title != nil || in.About != nil || in.Username != nil || in.MemberRights != nil || in.SlowModeSeconds != nil || in.HistoryHidden != nil || in.Signatures != nil || in.Reactions != nil {
				return haven.Errorf(haven.CodeChatKindInvalid, "a private chat has only an auto-delete timer to set")
			}
			if err := s.may(ctx, tx, c, m, a.UserID, ActSetTimer); err != nil {
				return err
			}
		} else if err := can(c, m, ActChangeInfo, s.now()); err != nil {
			return err
		} else if (in.Username != nil || in.MemberRights != nil || in.SlowModeSeconds != nil || in.HistoryHidden != nil || in.Signatures != nil || in.Reactions != nil || in.TTLSeconds != nil) &&
			!adminWith(m, haven.RightChangeInfo) {
			// Members a group lets change its info may change the title
			// and description; the rules of the group stay with admins.
			return haven.Errorf(haven.CodeRightForbidden, "only admins with the change_info right change a chat's settings")
		}
		var acts []*haven.ServiceAction
		if in.Title != nil {
			t, err := s.checkTitle(*in.Title)
			if err != nil {
				return err
			}
			if t != c.Title {
				c.Title = t
				acts = append(acts, &haven.ServiceAction{Type: haven.ActionTitleChanged, Title: t})
			}
		}
		if in.About != nil {
			if c.About, err = s.checkAbout(*in.About); err != nil {
				return err
			}
		}
		if in.Username != nil {
			u := trimAt(*in.Username)
			if u != "" && !haven.ValidUsername(u) {
				return usernameInvalid()
			}
			c.Username = u
		}
		if in.MemberRights != nil {
			if c.Kind != haven.ChatGroup {
				return haven.Errorf(haven.CodeChatKindInvalid, "member permissions are for groups")
			}
			c.DefaultRights = *in.MemberRights & (haven.RightSendMessages | haven.RightPinMessages | haven.RightChangeInfo | haven.RightInviteUsers)
		}
		if in.SlowModeSeconds != nil {
			if c.Kind != haven.ChatGroup || !slices.Contains(haven.SlowModeValues, *in.SlowModeSeconds) {
				return haven.Errorf(haven.CodeSlowModeInvalid, "slow mode is for groups: 0, 10, 30, 60, 300, 900 or 3600 seconds")
			}
			c.SlowModeSeconds = *in.SlowModeSeconds
		}
		if in.HistoryHidden != nil {
			if c.Kind != haven.ChatGroup {
				return haven.Errorf(haven.CodeChatKindInvalid, "hiding history from new members is for groups")
			}
			c.HistoryHidden = *in.HistoryHidden
		}
		if in.Signatures != nil {
			if c.Kind != haven.ChatChannel {
				return haven.Errorf(haven.CodeChatKindInvalid, "signatures are for channels: in a group every message names its sender")
			}
			c.Signatures = *in.Signatures
		}
		if in.TTLSeconds != nil {
			if !slices.Contains(haven.ChatTTLValues, *in.TTLSeconds) {
				return haven.Errorf(haven.CodeTTLInvalid, "the auto-delete timer is off (0), one day, one week or one month")
			}
			if *in.TTLSeconds != c.TTLSeconds {
				c.TTLSeconds = *in.TTLSeconds
				acts = append(acts, &haven.ServiceAction{Type: haven.ActionTTLChanged, Seconds: c.TTLSeconds})
			}
		}
		if in.Reactions != nil {
			for _, e := range *in.Reactions {
				if !slices.Contains(haven.DefaultReactions, e) {
					return haven.Errorf(haven.CodeReactionInvalid, "%q is not a reaction Haven offers", e)
				}
			}
			c.Reactions = append([]string{}, *in.Reactions...)
		}
		if err := tx.UpdateChat(ctx, c); err != nil {
			return err
		}
		if _, err := s.chatEvent(ctx, tx, c, haven.EventChatUpdate, a.UserID, nil, nil); err != nil {
			return err
		}
		for _, act := range acts {
			if _, err := s.service(ctx, tx, c, a.UserID, act); err != nil {
				return err
			}
		}
		out = chatView(c, m, a.UserID)
		return nil
	})
	if err != nil {
		return nil, s.internal(ctx, "chats.update", err)
	}
	return &out, nil
}

// GetChat returns a chat as the actor sees it. Public chats can be seen
// by anyone. Errors: CodeChatNotFound, CodeNotMember.
func (s *Service) GetChat(ctx context.Context, a *Actor, chatID int64) (*ChatView, error) {
	c, m, err := s.readable(ctx, s.store, a, chatID)
	if err != nil {
		return nil, s.internal(ctx, "chats.get", err)
	}
	v := chatView(c, m, a.UserID)
	return &v, nil
}

// readable loads a chat the actor may read: as a member, or as a visitor
// of a public channel or group. m is nil for visitors.
func (s *Service) readable(ctx context.Context, q Queries, a *Actor, chatID int64) (*haven.Chat, *haven.Member, error) {
	c, m, err := s.membership(ctx, q, a, chatID)
	if err != nil {
		return nil, nil, err
	}
	err = can(c, m, ActRead, s.now())
	if err != nil && c.Username != "" && haven.ErrorCode(err) == haven.CodeNotMember {
		return c, nil, nil
	}
	return c, m, err
}

// MemberView is one member of a chat.
type MemberView struct {
	User     UserView
	Role     string
	Rights   []string
	JoinedAt int64
}

// ListMembers pages through a chat's members by user id. In channels only
// admins see subscribers. Errors: CodeRightForbidden.
func (s *Service) ListMembers(ctx context.Context, a *Actor, chatID, afterUserID int64, limit int) ([]MemberView, error) {
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	c, _, err := s.access(ctx, s.store, a, chatID, ActListMembers)
	if err != nil {
		return nil, s.internal(ctx, "chats.members", err)
	}
	ms, err := s.store.Members(ctx, c.ID, []haven.Role{haven.RoleOwner, haven.RoleAdmin, haven.RoleMember}, afterUserID, limit)
	if err != nil {
		return nil, s.internal(ctx, "chats.members", err)
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.UserID
	}
	us, err := s.GetUsers(ctx, a, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]UserView, len(us))
	for _, u := range us {
		byID[u.ID] = u
	}
	out := make([]MemberView, 0, len(ms))
	for _, m := range ms {
		v := MemberView{User: byID[m.UserID], Role: string(m.Role), JoinedAt: unix(m.JoinedAt)}
		if m.Role != haven.RoleMember {
			v.Rights = RightsNames(m.Rights)
		}
		out = append(out, v)
	}
	return out, nil
}

// InviteView is an invite link as its chat's admins see it. Link is the
// link to share: a full URL on the server's public address (a path
// when the server does not know it).
type InviteView struct {
	Hash       string
	Link       string
	ChatID     int64
	CreatorID  int64
	CreatedAt  int64
	ExpiresAt  int64
	UsageLimit int
	Usage      int
	Revoked    bool
}

func (s *Service) inviteView(i *haven.Invite) InviteView {
	return InviteView{Hash: i.Hash, Link: s.link(JoinPath + i.Hash), ChatID: i.ChatID, CreatorID: i.CreatorID, CreatedAt: unix(i.CreatedAt), ExpiresAt: unix(i.ExpiresAt), UsageLimit: i.UsageLimit, Usage: i.Usage, Revoked: i.Revoked}
}

// CreateInvite makes an invite link, optionally expiring after expiresIn
// and limited to usageLimit joins. One person may have at most
// Limits.InviteLinksAlive working links to a chat. Errors:
// CodeRightForbidden, CodeChatKindInvalid, CodeParamInvalid,
// CodeInvitesTooMany.
func (s *Service) CreateInvite(ctx context.Context, a *Actor, chatID int64, expiresIn time.Duration, usageLimit int) (*InviteView, error) {
	if expiresIn < 0 || usageLimit < 0 || usageLimit > 100_000 {
		return nil, haven.Errorf(haven.CodeParamInvalid, "expiry and usage limit must be positive (usage limit at most 100000)")
	}
	var b [12]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return nil, s.internal(ctx, "chats.createInvite", err)
	}
	var out InviteView
	err := s.store.Update(ctx, func(tx Tx) error {
		c, _, err := s.access(ctx, tx, a, chatID, ActInvite)
		if err != nil {
			return err
		}
		if c.Kind == haven.ChatPrivate {
			return haven.Errorf(haven.CodeChatKindInvalid, "private chats have no invite links")
		}
		now := s.now()
		// Each link is a way in that its maker answers for: a bounded
		// number per person, so that they can be reviewed and revoked.
		n, err := tx.ActiveInvites(ctx, chatID, a.UserID, now)
		if err != nil {
			return err
		}
		if n >= s.limits.InviteLinksAlive {
			return haven.Errorf(haven.CodeInvitesTooMany, "you have %d working invite links to this chat; revoke one first", n)
		}
		inv := &haven.Invite{Hash: base64.RawURLEncoding.EncodeToString(b[:]), ChatID: chatID, CreatorID: a.UserID, CreatedAt: now, UsageLimit: usageLimit}
		if expiresIn > 0 {
			inv.ExpiresAt = now.Add(expiresIn)
		}
		if err := tx.PutInvite(ctx, inv); err != nil {
			return err
		}
		out = s.inviteView(inv)
		return nil
	})
	if err != nil {
		return nil, s.internal(ctx, "chats.createInvite", err)
	}
	return &out, nil
}

// RevokeInvite makes a link stop working. Errors: CodeInviteInvalid,
// CodeRightForbidden.
func (s *Service) RevokeInvite(ctx context.Context, a *Actor, hash string) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		inv, err := s.invite(ctx, tx, hash)
		if err != nil {
			return err
		}
		_, m, err := s.access(ctx, tx, a, inv.ChatID, ActInvite)
		if err != nil {
			return err
		}
		// Members a group lets invite manage their own links; others'
		// are for admins with the right.
		if inv.CreatorID != a.UserID && !adminWith(m, haven.RightInviteUsers) {
			return haven.Errorf(haven.CodeRightForbidden, "only admins may revoke others' invite links")
		}
		inv.Revoked = true
		return tx.PutInvite(ctx, inv)
	})
	return s.internal(ctx, "chats.revokeInvite", err)
}

// ListInvites lists a chat's links. Errors: CodeRightForbidden.
// Plain members see only their own links.
func (s *Service) ListInvites(ctx context.Context, a *Actor, chatID int64) ([]InviteView, error) {
	_, m, err := s.access(ctx, s.store, a, chatID, ActInvite)
	if err != nil {
		return nil, s.internal(ctx, "chats.invites", err)
	}
	is, err := s.store.Invites(ctx, chatID)
	if err != nil {
		return nil, s.internal(ctx, "chats.invites", err)
	}
	out := make([]InviteView, 0, len(is))
	for _, x := range is {
		if x.CreatorID == a.UserID || adminWith(m, haven.RightInviteUsers) {
			out = append(out, s.inviteView(x))
		}
	}
	return out, nil
}

// adminWith reports whether m is the owner, or an admin holding r.
func adminWith(m *haven.Member, r haven.Rights) bool {
	return m != nil && (m.Role == haven.RoleOwner || (m.Role == haven.RoleAdmin && m.Rights.Has(r)))
}

func (s *Service) invite(ctx context.Context, q Queries, hash string) (*haven.Invite, error) {
	inv, err := q.InviteByHash(ctx, hash)
	if errors.Is(err, haven.ErrNotFound) {
		return nil, haven.Errorf(haven.CodeInviteInvalid, "this invite link does not exist")
	}
	return inv, err
}

// usable reports why an invite link cannot be used now, if it cannot.
func (s *Service) usable(inv *haven.Invite) error {
	switch {
	case inv.Revoked:
		return haven.Errorf(haven.CodeInviteExpired, "this invite link was revoked")
	case !inv.ExpiresAt.IsZero() && !s.now().Before(inv.ExpiresAt):
		return haven.Errorf(haven.CodeInviteExpired, "this invite link has expired")
	case inv.UsageLimit > 0 && inv.Usage >= inv.UsageLimit:
		return haven.Errorf(haven.CodeInviteExpired, "this invite link has been used up")
	}
	return nil
}

// makerMayInvite refuses a link whose maker may no longer invite people
// to c: they left, were removed or banned, lost the right (an admin
// demoted, a group that stopped letting members invite), or deleted
// their account. A link is only as good as its maker's right, checked
// each time it is used rather than revoked when the right goes, so that
// the right coming back brings the links back too. Errors:
// CodeInviteExpired.
func (s *Service) makerMayInvite(ctx context.Context, q Queries, c *haven.Chat, inv *haven.Invite) error {
	m, err := s.member(ctx, q, c.ID, inv.CreatorID)
	if err != nil {
		return err
	}
	if can(c, m, ActInvite, s.now()) != nil {
		return haven.Errorf(haven.CodeInviteExpired, "the person who made this link may no longer invite people")
	}
	if _, err := s.liveUser(ctx, q, inv.CreatorID); haven.ErrorCode(err) == haven.CodeUserNotFound {
		return haven.Errorf(haven.CodeInviteExpired, "the person who made this link deleted their account")
	} else if err != nil {
		return err
	}
	return nil
}

// CheckInvite shows what chat a link leads to. Errors: CodeInviteInvalid,
// CodeInviteExpired.
func (s *Service) CheckInvite(ctx context.Context, a *Actor, hash string) (*ChatView, error) {
	inv, err := s.invite(ctx, s.store, hash)
	if err != nil {
		return nil, s.internal(ctx, "chats.checkInvite", err)
	}
	if err := s.usable(inv); err != nil {
		return nil, err
	}
	c, m, err := s.membership(ctx, s.store, a, inv.ChatID)
	if err != nil {
		return nil, s.internal(ctx, "chats.checkInvite", err)
	}
	if err := s.makerMayInvite(ctx, s.store, c, inv); err != nil {
		return nil, s.internal(ctx, "chats.checkInvite", err)
	}
	v := chatView(c, m, a.UserID)
	return &v, nil
}

// JoinByInvite joins the chat of an invite link. Errors:
// CodeInviteInvalid, CodeInviteExpired, CodeUserBanned, CodeAlreadyMember,
// CodeMembersTooMany.
func (s *Service) JoinByInvite(ctx context.Context, a *Actor, hash string) (*ChatView, error) {
	var out ChatView
	err := s.store.Update(ctx, func(tx Tx) error {
		inv, err := s.invite(ctx, tx, hash)
		if err != nil {
			return err
		}
		if err := s.usable(inv); err != nil {
			return err
		}
		c, err := s.chat(ctx, tx, inv.ChatID)
		if err != nil {
			return err
		}
		if err := s.makerMayInvite(ctx, tx, c, inv); err != nil {
			return err
		}
		m, err := s.joinChat(ctx, tx, a, c, inv.CreatorID)
		if err != nil {
			return err
		}
		inv.Usage++
		if err := tx.PutInvite(ctx, inv); err != nil {
			return err
		}
		out = chatView(c, m, a.UserID)
		return nil
	})
	if err != nil {
		return nil, s.internal(ctx, "chats.joinByInvite", err)
	}
	return &out, nil
}

// JoinPublic joins a public group or channel by its id. Errors:
// CodeChatNotFound (also for chats that are not public), CodeUserBanned,
// CodeAlreadyMember.
func (s *Service) JoinPublic(ctx context.Context, a *Actor, chatID int64) (*ChatView, error) {
	var out ChatView
	err := s.store.Update(ctx, func(tx Tx) error {
		c, err := s.chat(ctx, tx, chatID)
		if err != nil {
			return err
		}
		if c.Username == "" || c.Kind == haven.ChatPrivate {
			return haven.Errorf(haven.CodeChatNotFound, "there is no public chat %d", chatID)
		}
		m, err := s.joinChat(ctx, tx, a, c, 0)
		if err != nil {
			return err
		}
		out = chatView(c, m, a.UserID)
		return nil
	})
	if err != nil {
		return nil, s.internal(ctx, "chats.join", err)
	}
	return &out, nil
}

// joinChat makes the actor a member by their own action.
func (s *Service) joinChat(ctx context.Context, tx Tx, a *Actor, c *haven.Chat, inviter int64) (*haven.Member, error) {
	old, err := s.member(ctx, tx, c.ID, a.UserID)
	if err != nil {
		return nil, err
	}
	if old != nil {
		if old.Role.Active() {
			return nil, haven.Errorf(haven.CodeAlreadyMember, "you are already a member")
		}
		if old.Role == haven.RoleBanned && (old.BannedUntil.IsZero() || s.now().Before(old.BannedUntil)) {
			return nil, haven.Errorf(haven.CodeUserBanned, "you are banned from this chat")
		}
	}
	m := &haven.Member{ChatID: c.ID, UserID: a.UserID, Role: haven.RoleMember, InviterID: inviter, JoinedAt: s.now()}
	if old != nil {
		m.ReadInboxMaxID = old.ReadInboxMaxID
	}
	if err := s.join(ctx, tx, c, m); err != nil {
		return nil, err
	}
	if c.Kind == haven.ChatGroup {
		if _, err := s.service(ctx, tx, c, a.UserID, &haven.ServiceAction{Type: haven.ActionMemberJoined, UserIDs: []int64{a.UserID}}); err != nil {
			return nil, err
		}
	}
	return m, nil
}
