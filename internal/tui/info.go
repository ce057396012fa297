package tui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/msgtext"
)

// infoOverlay is the open chat's info (Ctrl+G): who it is, its members
// (who may see them), and what one can do with it: make an invite link,
// add people, leave.
type infoOverlay struct {
	chatID  int64
	members []client.Member
	invite  string // the link made here (its hash when the server has no address)
	top     int
}

// membersMsg carries a chat's members to its info.
type membersMsg struct {
	chatID  int64
	members []client.Member
}

// inviteMsg carries a new invite link to the chat's info.
type inviteMsg struct {
	chatID int64
	link   string // or its hash
}

func (m *model) showInfo() tea.Cmd {
	if m.chat == nil {
		m.say("Open a chat first")
		return nil
	}
	chatID := m.chat.id
	m.overlay = &infoOverlay{chatID: chatID}
	d := m.dialog(chatID)
	if d == nil || d.Chat.Kind == "private" {
		return nil
	}
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		ms, err := m.c.Members(ctx, chatID, 0, 100)
		if client.IsCode(err, "CHAT_ADMIN_REQUIRED") {
			return nil, nil // a channel's subscribers see no member list
		}
		return membersMsg{chatID, ms}, err
	})
}

func (o *infoOverlay) update(m *model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case membersMsg:
		if msg.chatID == o.chatID {
			o.members = msg.members
			for _, mb := range msg.members {
				u := mb.User
				m.users[u.ID] = &u
			}
		}
	case inviteMsg:
		if msg.chatID == o.chatID {
			o.invite = msg.link
		}
	}
	return nil
}

func (o *infoOverlay) paste(*model, string) tea.Cmd { return nil }

func (o *infoOverlay) key(m *model, k tea.KeyPressMsg) tea.Cmd {
	d := m.dialog(o.chatID)
	if cmd, ok := m.adminKey(o, d, k.String()); ok {
		return cmd
	}
	switch k.String() {
	case "esc", "q", "ctrl+g":
		m.overlay = nil
	case "up", "k":
		o.top = max(o.top-1, 0)
	case "down", "j":
		o.top++
	case "i":
		if d != nil && d.Chat.Kind != "private" {
			chatID := o.chatID
			return m.write(func(ctx context.Context) (tea.Msg, error) {
				inv, err := m.c.CreateInvite(ctx, chatID, 0, 0)
				if err != nil {
					return nil, err
				}
				// The full link when the server knows its address; the
				// hash alone works as well (Ctrl+L takes either).
				link := inv.Hash
				if strings.HasPrefix(inv.Link, "http") {
					link = inv.Link
				}
				return inviteMsg{chatID, link}, nil
			})
		}
	case "a":
		if d != nil && d.Chat.Kind != "private" {
			chatID := o.chatID
			m.overlay = newPrompt("Add people (@username, space-separated):", "", func(v string) tea.Cmd {
				if strings.TrimSpace(v) == "" {
					return nil
				}
				return m.addPeople(chatID, v)
			})
		}
	case "b":
		if d != nil && d.Chat.Kind == "private" && d.Chat.PeerID != m.me.ID {
			u := m.users[d.Chat.PeerID]
			return m.setBlocked(d.Chat.PeerID, m.title(d), u == nil || !u.Blocked)
		}
	case "l":
		if d != nil && d.Chat.Kind != "private" {
			chatID, title := o.chatID, m.title(d)
			m.overlay = &choiceOverlay{
				question: "Leave " + title + "? (y)es or (n)o",
				choices: map[string]func() tea.Cmd{
					"y": func() tea.Cmd {
						return m.write(func(ctx context.Context) (tea.Msg, error) {
							return noticeMsg("You left " + title), m.c.Leave(ctx, chatID)
						})
					},
					"n": func() tea.Cmd { return nil },
				},
			}
		}
	}
	return nil
}

// addPeople adds the people named by @username to a chat.
func (m *model) addPeople(chatID int64, names string) tea.Cmd {
	return m.write(func(ctx context.Context) (tea.Msg, error) {
		ids, err := m.people(ctx, names)
		if err != nil {
			return nil, err
		}
		added, err := m.c.AddMembers(ctx, chatID, ids)
		if err != nil {
			return nil, err
		}
		return noticeMsg(fmt.Sprintf("Added %s", plural(int64(len(added)), "person"))), nil
	})
}

func (o *infoOverlay) view(m *model, w, h int) string {
	d := m.dialog(o.chatID)
	if d == nil {
		return "This chat is gone."
	}
	var lines []string
	add := func(s string) { lines = append(lines, oneLine(s, w)) }
	lines = append(lines, titleStyle.Render(oneLine(m.title(d), w)))
	switch d.Chat.Kind {
	case "private":
		if u := m.users[d.Chat.PeerID]; u != nil {
			if u.Username != "" {
				add("@" + msgtext.Inert(u.Username))
			}
			if st := statusText(u.Status, m.now()); st != "" {
				add(st)
			}
			if u.Bio != "" {
				add(msgtext.OneLine(u.Bio))
			}
			add(fmt.Sprintf("user:%d", u.ID))
		}
		hint := "b block · s settings · Esc back"
		if u := m.users[d.Chat.PeerID]; u != nil && u.Blocked {
			add("you block them")
			hint = "b unblock · s settings · Esc back"
		}
		if d.Chat.PeerID == m.me.ID {
			hint = "Esc back"
		}
		lines = append(lines, "", dimStyle.Render(hint))
		return strings.Join(lines, "\n")
	case "group":
		add("group · " + plural(d.Chat.MemberCount, "member"))
	case "channel":
		add("channel · " + plural(d.Chat.MemberCount, "subscriber"))
	}
	if d.Chat.Username != "" {
		add("public: @" + msgtext.Inert(d.Chat.Username))
	}
	if d.Chat.About != "" {
		add(msgtext.OneLine(d.Chat.About))
	}
	if d.Chat.Role != "" && d.Chat.Role != "member" {
		add("you are the " + d.Chat.Role)
	}
	if o.invite != "" {
		// The link on lines of its own, whole (broken where the width
		// ends), so that it can be copied.
		lines = append(lines, "", promptStyle.Render(oneLine("Invite link:", w)))
		for rest := msgtext.Inert(o.invite); rest != ""; {
			n := min(len(rest), max(w, 1))
			lines = append(lines, rest[:n])
			rest = rest[n:]
		}
		add("(others join with Ctrl+L and this link)")
	}
	lines = append(lines, "", dimStyle.Render(oneLine("i invite link · a add people · l leave · Esc back", w)))
	if d.Chat.Role == "owner" || d.Chat.Role == "admin" {
		lines = append(lines, dimStyle.Render(oneLine("e edit · s settings · P photo · m members · u unban · L links", w)))
	}
	if len(o.members) > 0 {
		lines = append(lines, "", sectionStyle.Render("Members"))
		rows := max(h-len(lines), 1)
		o.top = min(o.top, max(len(o.members)-rows, 0))
		for _, mb := range o.members[o.top:min(o.top+rows, len(o.members))] {
			name := msgtext.FullName(&mb.User)
			if mb.User.ID == m.me.ID {
				name = "You"
			}
			if mb.Role != "member" {
				name += dimStyle.Render(" · " + mb.Role)
			}
			lines = append(lines, "  "+oneLine(name, w-2))
		}
	}
	return strings.Join(lines, "\n")
}
