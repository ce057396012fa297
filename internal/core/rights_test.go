package core

import (
	"testing"
	"time"

	"github.com/havenchat/haven"
)

// TestPermissions is the roles × actions table of every chat kind: each
// cell says which error code (or "" for allowed) the action gets.
func TestPermissions(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	group := &haven.Chat{Kind: haven.ChatGroup, DefaultRights: haven.RightSendMessages | haven.RightInviteUsers}
	readOnlyGroup := &haven.Chat{Kind: haven.ChatGroup, DefaultRights: 0}
	channel := &haven.Chat{Kind: haven.ChatChannel}
	private := &haven.Chat{Kind: haven.ChatPrivate}

	owner := &haven.Member{UserID: 1, Role: haven.RoleOwner, Rights: haven.AllAdminRights}
	pinAdmin := &haven.Member{UserID: 2, Role: haven.RoleAdmin, Rights: haven.RightPinMessages}
	banAdmin := &haven.Member{UserID: 3, Role: haven.RoleAdmin, Rights: haven.RightBanUsers | haven.RightDeleteMessages}
	poster := &haven.Member{UserID: 4, Role: haven.RoleAdmin, Rights: haven.RightPostMessages | haven.RightEditMessages}
	member := &haven.Member{UserID: 5, Role: haven.RoleMember}
	left := &haven.Member{UserID: 6, Role: haven.RoleLeft}
	banned := &haven.Member{UserID: 7, Role: haven.RoleBanned}
	bannedOver := &haven.Member{UserID: 8, Role: haven.RoleBanned, BannedUntil: now.Add(-time.Hour)}

	const (
		ok   = ""
		nm   = haven.CodeNotMember
		ban  = haven.CodeUserBanned
		wf   = haven.CodeChatWriteForbidden
		rf   = haven.CodeRightForbidden
		kind = haven.CodeChatKindInvalid
		edit = haven.CodeMessageEditForbidden
	)
	acts := []Action{ActRead, ActSend, ActEditOwn, ActEditAny, ActDeleteOwn, ActDeleteAny, ActPin, ActChangeInfo, ActInvite, ActBan, ActAddAdmins, ActListMembers, ActReact, ActSetTimer, ActSeeActors}
	table := []struct {
		name string
		c    *haven.Chat
		m    *haven.Member
		want []string // one per action, in the order of acts
	}{
		//                                  read send editOwn editAny delOwn delAny pin changeInfo invite ban addAdmins list react timer seeActors
		{"group owner", group, owner, []string{ok, ok, ok, edit, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"group pin admin", group, pinAdmin, []string{ok, ok, ok, edit, ok, rf, ok, rf, ok, rf, rf, ok, ok, rf, ok}},
		{"group ban admin", group, banAdmin, []string{ok, ok, ok, edit, ok, ok, rf, rf, ok, ok, rf, ok, ok, rf, ok}},
		{"group member", group, member, []string{ok, ok, ok, edit, ok, rf, rf, rf, ok, rf, rf, ok, ok, rf, ok}},
		{"read-only group member", readOnlyGroup, member, []string{ok, wf, ok, edit, ok, rf, rf, rf, rf, rf, rf, ok, ok, rf, ok}},
		{"group: left", group, left, []string{nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm}},
		{"group: no row", group, nil, []string{nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm}},
		{"group: banned", group, banned, []string{ban, ban, ban, ban, ban, ban, ban, ban, ban, ban, ban, ban, ban, ban, ban}},
		{"group: ban over", group, bannedOver, []string{nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm}},
		{"channel owner", channel, owner, []string{ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"channel poster", channel, poster, []string{ok, ok, ok, ok, ok, rf, rf, rf, rf, rf, rf, ok, ok, rf, ok}},
		{"channel ban admin", channel, banAdmin, []string{ok, wf, wf, rf, wf, ok, rf, rf, rf, ok, rf, ok, ok, rf, ok}},
		{"channel subscriber", channel, member, []string{ok, wf, wf, rf, wf, rf, rf, rf, rf, rf, rf, rf, ok, rf, rf}},
		{"channel: no row", channel, nil, []string{nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm, nm}},
		{"private member", private, member, []string{ok, ok, ok, kind, ok, ok, ok, kind, kind, kind, kind, ok, ok, ok, ok}},
	}
	for _, row := range table {
		for i, act := range acts {
			got := ""
			if err := can(row.c, row.m, act, now); err != nil {
				got = haven.ErrorCode(err)
			}
			if got != row.want[i] {
				t.Errorf("%s may %s: got %q, want %q", row.name, act, got, row.want[i])
			}
		}
	}
}

func TestOutranks(t *testing.T) {
	owner := &haven.Member{UserID: 1, Role: haven.RoleOwner}
	admin := &haven.Member{UserID: 2, Role: haven.RoleAdmin}
	admin2 := &haven.Member{UserID: 3, Role: haven.RoleAdmin}
	member := &haven.Member{UserID: 4, Role: haven.RoleMember}
	for _, c := range []struct {
		a, b *haven.Member
		want bool
	}{
		{owner, admin, true}, {owner, member, true}, {admin, member, true},
		{admin, admin2, false}, {admin, owner, false}, {member, member, false}, {owner, owner, false},
	} {
		if got := outranks(c.a, c.b); got != c.want {
			t.Errorf("outranks(%s %d, %s %d) = %v", c.a.Role, c.a.UserID, c.b.Role, c.b.UserID, got)
		}
	}
}

func TestReadReceipts(t *testing.T) {
	c := &haven.Chat{}
	steps := []struct {
		reader, max int64
		changed     bool
		byOthersOf1 int64 // what user 1 sees as read by others
		byOthersOf2 int64
	}{
		{1, 5, true, 0, 5},
		{1, 7, true, 0, 7},
		{2, 6, true, 6, 7},
		{2, 9, true, 9, 7},
		{3, 8, true, 9, 8},
		{3, 4, false, 9, 8},
		{1, 9, true, 9, 9},
	}
	for i, s := range steps {
		if got := c.NoteRead(s.reader, s.max); got != s.changed {
			t.Errorf("step %d: changed = %v", i, got)
		}
		if got := c.ReadByOthers(1); got != s.byOthersOf1 {
			t.Errorf("step %d: read by others than 1 = %d, want %d", i, got, s.byOthersOf1)
		}
		if got := c.ReadByOthers(2); got != s.byOthersOf2 {
			t.Errorf("step %d: read by others than 2 = %d, want %d", i, got, s.byOthersOf2)
		}
	}
}
