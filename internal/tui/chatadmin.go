package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/msgtext"
)

// What a chat's info (Ctrl+G) offers its owner and admins besides
// inviting and adding: its title, description and public username, its
// settings and photo, its members (remove, ban, admin, owner), unbans
// and invite links. The server checks the rights; the app asks.

// adminKey handles the info overlay's keys for managing a chat; ok is
// false when k is none of them.
func (m *model) adminKey(o *infoOverlay, d *client.Dialog, k string) (tea.Cmd, bool) {
	if d == nil {
		return nil, false
	}
	chatID := d.Chat.ID
	switch k {
	case "s":
		m.chatSettings(*d)
		return nil, true
	}
	if d.Chat.Kind == "private" {
		return nil, false
	}
	switch k {
	case "e":
		return m.wizard([]step{
			{label: "Title:", value: d.Chat.Title},
			{label: "Description (may be empty):", value: d.Chat.About},
			{label: "Public @username (empty: private):", value: d.Chat.Username},
		}, func(a []string) tea.Cmd {
			title, about := strings.TrimSpace(a[0]), strings.TrimSpace(a[1])
			name := strings.TrimPrefix(strings.TrimSpace(a[2]), "@")
			return m.updateChat(client.ChatUpdate{ChatID: chatID, Title: &title, About: &about, Username: &name}, "Saved")
		}), true
	case "P":
		return m.wizard([]step{{label: "Chat photo file (empty removes it):", files: true}}, func(a []string) tea.Cmd {
			path := expandHome(strings.TrimSpace(a[0]))
			return m.write(func(ctx context.Context) (tea.Msg, error) {
				if path == "" {
					ch, err := m.c.RemoveChatPhoto(ctx, chatID)
					if err != nil {
						return nil, err
					}
					return batchMsg{chatMsg(*ch), noticeMsg("Chat photo removed")}, nil
				}
				data, err := os.ReadFile(path)
				if err != nil {
					return nil, err
				}
				f, err := m.c.UploadBytes(ctx, data, filepath.Base(path))
				if err != nil {
					return nil, err
				}
				ch, err := m.c.SetChatPhoto(ctx, chatID, f.ID)
				if err != nil {
					return nil, err
				}
				return batchMsg{chatMsg(*ch), noticeMsg("Chat photo set")}, nil
			})
		}), true
	case "m":
		var items []pickItem
		for _, mb := range o.members {
			if mb.User.ID != m.me.ID {
				items = append(items, pickItem{label: msgtext.FullName(&mb.User) + " · " + mb.Role, id: mb.User.ID, text: msgtext.FullName(&mb.User)})
			}
		}
		m.overlay = &pickerOverlay{title: "Manage a member:", items: items, onPick: func(it pickItem) tea.Cmd {
			m.manageMember(*d, it.id, it.text)
			return nil
		}}
		return nil, true
	case "u":
		return m.wizard([]step{{label: "Unban (@username):"}}, func(a []string) tea.Cmd {
			return m.write(func(ctx context.Context) (tea.Msg, error) {
				u, err := m.c.ResolveUsername(ctx, strings.TrimPrefix(strings.TrimSpace(a[0]), "@"))
				if err != nil {
					return nil, err
				}
				return noticeMsg("Unbanned " + msgtext.FullName(u)), m.c.Unban(ctx, chatID, u.ID)
			})
		}), true
	case "L":
		return m.call(func(ctx context.Context) (tea.Msg, error) {
			invs, err := m.c.Invites(ctx, chatID)
			return invitesMsg{chatID, invs}, err
		}), true
	}
	return nil, false
}

// invitesMsg carries a chat's invite links to their list.
type invitesMsg struct {
	chatID  int64
	invites []client.Invite
}

func (m *model) inviteList(r invitesMsg) {
	var items []pickItem
	for _, inv := range r.invites {
		if inv.Revoked {
			continue
		}
		items = append(items, pickItem{label: fmt.Sprintf("%s · %s", msgtext.Inert(inv.Hash), plural(int64(inv.Usage), "join")), text: inv.Hash})
	}
	m.overlay = &pickerOverlay{title: "Invite links: Enter revokes one", items: items, onPick: func(it pickItem) tea.Cmd {
		return m.confirm("Revoke this link? Nobody joins with it any more.", func() tea.Cmd {
			return m.write(func(ctx context.Context) (tea.Msg, error) {
				return noticeMsg("Link revoked"), m.c.RevokeInvite(ctx, it.text)
			})
		})
	}}
}

// adminRights are the rights "make admin" gives: all an admin may
// hold in the kind of chat, but adding admins.
func adminRights(kind string) []string {
	if kind == "channel" {
		return []string{"change_info", "delete_messages", "ban_users", "invite_users", "pin_messages", "post_messages", "edit_messages"}
	}
	return []string{"change_info", "delete_messages", "ban_users", "invite_users", "pin_messages"}
}

func (m *model) manageMember(d client.Dialog, userID int64, name string) {
	chatID := d.Chat.ID
	do := func(done string, f func(ctx context.Context) error) func() tea.Cmd {
		return func() tea.Cmd {
			return m.write(func(ctx context.Context) (tea.Msg, error) {
				return noticeMsg(done), f(ctx)
			})
		}
	}
	m.overlay = &choiceOverlay{
		question: name + ": (r)emove, (b)an, make (a)dmin, make a plain (m)ember, make (o)wner, or (n)othing?",
		choices: map[string]func() tea.Cmd{
			"r": do("Removed "+name, func(ctx context.Context) error { return m.c.RemoveMember(ctx, chatID, userID) }),
			"b": do("Banned "+name, func(ctx context.Context) error { return m.c.Ban(ctx, chatID, userID, 0) }),
			"a": do(name+" is an admin", func(ctx context.Context) error {
				return m.c.SetAdmin(ctx, chatID, userID, adminRights(string(d.Chat.Kind)))
			}),
			"m": do(name+" is a plain member", func(ctx context.Context) error { return m.c.SetAdmin(ctx, chatID, userID, nil) }),
			"o": func() tea.Cmd {
				return m.wizard([]step{{label: "Make " + name + " the owner: your two-step password (empty if none):", secret: true}}, func(a []string) tea.Cmd {
					return do(name+" is the owner", func(ctx context.Context) error { return m.c.TransferOwnership(ctx, chatID, userID, a[0]) })()
				})
			},
			"n": func() tea.Cmd { return nil },
		},
	}
}

// updateChat applies a change to a chat and says done.
func (m *model) updateChat(u client.ChatUpdate, done string) tea.Cmd {
	return m.write(func(ctx context.Context) (tea.Msg, error) {
		ch, err := m.c.UpdateChat(ctx, u)
		if err != nil {
			return nil, err
		}
		return batchMsg{chatMsg(*ch), noticeMsg(done)}, nil
	})
}

// chatSettings lists a chat's settings, each changed by picking it.
func (m *model) chatSettings(d client.Dialog) {
	chatID := d.Chat.ID
	choose := func(title string, opts []pickItem, apply func(it pickItem) client.ChatUpdate) tea.Cmd {
		m.overlay = &pickerOverlay{title: title, items: opts, onPick: func(it pickItem) tea.Cmd {
			u := apply(it)
			u.ChatID = chatID
			return m.updateChat(u, title+" "+it.label)
		}}
		return nil
	}
	durations := func(vals []int) []pickItem {
		var out []pickItem
		for _, v := range vals {
			label := "off"
			if v > 0 {
				label = (fmtDuration(v))
			}
			out = append(out, pickItem{label: label, id: int64(v)})
		}
		return out
	}
	items := []pickItem{{label: fmt.Sprintf("Auto-delete new messages after: %s", fmtDuration(d.Chat.TTLSeconds)), id: 0}}
	if d.Chat.Kind != "private" {
		items = append(items,
			pickItem{label: fmt.Sprintf("Slow mode: %s", fmtDuration(d.Chat.SlowModeSeconds)), id: 1},
			pickItem{label: fmt.Sprintf("New members see earlier messages: %v", !d.Chat.HistoryHidden), id: 2},
			pickItem{label: fmt.Sprintf("Reactions: %s", reactionsWord(d.Chat.Reactions)), id: 3},
		)
		if d.Chat.Kind == "group" {
			items = append(items, pickItem{label: "Members may: " + strings.Join(d.Chat.MemberRights, ", "), id: 4})
		}
	}
	m.overlay = &pickerOverlay{title: "Chat settings: Enter changes one", items: items, onPick: func(it pickItem) tea.Cmd {
		switch it.id {
		case 0:
			return choose("Auto-delete after:", durations([]int{0, 86400, 7 * 86400, 30 * 86400}), func(v pickItem) client.ChatUpdate {
				s := int(v.id)
				return client.ChatUpdate{TTLSeconds: &s}
			})
		case 1:
			return choose("Slow mode:", durations([]int{0, 10, 30, 60, 300, 900, 3600}), func(v pickItem) client.ChatUpdate {
				s := int(v.id)
				return client.ChatUpdate{SlowModeSeconds: &s}
			})
		case 2:
			return choose("New members see earlier messages:", []pickItem{{label: "yes", id: 1}, {label: "no"}}, func(v pickItem) client.ChatUpdate {
				hidden := v.id == 0
				return client.ChatUpdate{HistoryHidden: &hidden}
			})
		case 3:
			return choose("Reactions:", []pickItem{{label: "the usual set", id: 1}, {label: "none"}}, func(v pickItem) client.ChatUpdate {
				set := []string{}
				if v.id == 1 {
					set = slices.Clone(defaultReactions)
				}
				return client.ChatUpdate{Reactions: &set}
			})
		case 4:
			var opts []pickItem
			for _, r := range []string{"send_messages", "invite_users", "pin_messages", "change_info"} {
				label := "allow " + r
				if slices.Contains(d.Chat.MemberRights, r) {
					label = "forbid " + r
				}
				opts = append(opts, pickItem{label: label, text: r})
			}
			return choose("Members:", opts, func(v pickItem) client.ChatUpdate {
				rights := slices.Clone(d.Chat.MemberRights)
				if i := slices.Index(rights, v.text); i >= 0 {
					rights = slices.Delete(rights, i, i+1)
				} else {
					rights = append(rights, v.text)
				}
				if rights == nil {
					rights = []string{}
				}
				return client.ChatUpdate{MemberRights: &rights}
			})
		}
		return nil
	}}
}

// fmtDuration words a number of seconds: "off", "30s", "1 day".
func fmtDuration(s int) string {
	switch {
	case s <= 0:
		return "off"
	case s%86400 == 0:
		return plural(int64(s/86400), "day")
	case s%3600 == 0:
		return plural(int64(s/3600), "hour")
	case s%60 == 0:
		return plural(int64(s/60), "minute")
	}
	return fmt.Sprintf("%ds", s)
}

func reactionsWord(set []string) string {
	switch {
	case set == nil:
		return "the usual set"
	case len(set) == 0:
		return "none"
	}
	return msgtext.OneLine(strings.Join(set, " "))
}
