package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/msgtext"
)

// keyHelp is every key of the app, by where it works: the help screen
// shows it, and the bottom bar's hints come from it.
var keyHelp = []struct {
	title string
	keys  [][2]string
}{
	{"Anywhere", [][2]string{
		{"F1", "this help"},
		{"Tab", "chat list ⇄ open chat"},
		{"Ctrl+F", "search all chats"},
		{"F2 Ctrl+T", "settings, profile"},
		{"Ctrl+N", "new chat, group, channel"},
		{"Ctrl+G", "chat info, invite link, add"},
		{"Ctrl+L", "join by link; open @name"},
		{"Ctrl+O", "send a file"},
		{"Ctrl+E", "secret chat (end-to-end)"},
		{"Ctrl+C", "quit"},
	}},
	{"Chat list", [][2]string{
		{"↑ ↓ k j", "move (or the mouse wheel)"},
		{"Enter", "open (or click)"},
		{"PgUp PgDn", "move a page"},
		{"p m a", "pin ^, mute ~, archive"},
	}},
	{"Writing", [][2]string{
		{"Enter", "send"},
		{"Alt+Enter", "new line (or Ctrl+J)"},
		{"**bold**", "formats; so do __ ~~ || `"},
		{"↑", "pick a message"},
		{"PgUp PgDn", "scroll; older ones load"},
		{"Esc", "cancel reply or edit"},
	}},
	{"Picked message", [][2]string{
		{"↑ ↓ k j", "pick another"},
		{"r", "reply"},
		{"e", "edit (your own)"},
		{"d", "delete"},
		{"f", "forward"},
		{"+", "react"},
		{"p", "pin or unpin"},
		{"s Enter", "save its file"},
		{"o v b", "open file, spoiler, block"},
		{"Esc", "back to writing"},
	}},
}

// key handles one key press.
func (m *model) key(k tea.KeyPressMsg) tea.Cmd {
	s := k.String()
	if s == "ctrl+c" {
		return tea.Quit
	}
	if m.overlay != nil {
		return m.overlay.key(m, k)
	}
	m.notice = ""
	switch s {
	case "f1":
		m.overlay = &helpOverlay{}
		return nil
	case "ctrl+f":
		m.askSearch()
		return nil
	case "f2", "ctrl+t":
		m.showSettings()
		return nil
	case "ctrl+n":
		m.askNewChat()
		return nil
	case "ctrl+g":
		return m.showInfo()
	case "ctrl+e":
		return m.openSecret()
	case "ctrl+l":
		m.overlay = newPrompt("Invite link, or @username of a chat or person:", "", func(v string) tea.Cmd {
			if strings.TrimSpace(v) == "" {
				return nil
			}
			return m.join(v)
		})
		return nil
	case "ctrl+o":
		if m.chat == nil {
			m.say("Open a chat first")
			return nil
		}
		p := newPrompt("Send file:", "", func(v string) tea.Cmd {
			if strings.TrimSpace(v) == "" {
				return nil
			}
			return m.askSendFile(strings.TrimSpace(v))
		})
		p.files = true
		m.overlay = p
		return nil
	case "tab":
		if m.focus == focusList && m.chat != nil {
			m.setFocus(focusCompose)
		} else if m.chat != nil {
			m.setFocus(focusList)
		}
		return nil
	}
	switch m.focus {
	case focusList:
		return m.listKey(s)
	case focusHistory:
		return m.historyKey(s)
	}
	return m.composeKey(k)
}

func (m *model) setFocus(f focus) {
	m.focus = f
	if f == focusCompose {
		m.compose.Focus()
	} else {
		m.compose.Blur()
	}
	m.layout()
}

func (m *model) listKey(s string) tea.Cmd {
	switch s {
	case "up", "k":
		m.sel--
	case "down", "j":
		m.sel++
	case "pgup":
		m.sel -= m.listRows()
	case "pgdown":
		m.sel += m.listRows()
	case "home", "g":
		m.sel = 0
	case "end", "G":
		m.sel = len(m.dialogs) - 1
	case "enter", "right", "l":
		if m.sel < len(m.dialogs) {
			return m.openChat(m.dialogs[m.sel].Chat.ID, 0)
		}
	case "?":
		m.overlay = &helpOverlay{}
	case "q":
		return tea.Quit
	case "p", "m", "a":
		if m.sel < len(m.dialogs) {
			return m.toggleDialog(*m.dialogs[m.sel], s)
		}
	}
	m.clampList()
	return nil
}

func (m *model) composeKey(k tea.KeyPressMsg) tea.Cmd {
	cv := m.chat
	if cv == nil {
		m.setFocus(focusList)
		return nil
	}
	switch k.String() {
	case "enter":
		return m.sendCompose()
	case "esc":
		switch {
		case cv.editing != 0:
			cv.editing = 0
			m.compose.Reset()
		case cv.replyTo != 0:
			cv.replyTo = 0
		default:
			m.setFocus(focusList)
		}
		m.layout()
		return nil
	case "up":
		if m.compose.Value() == "" && len(cv.msgs) > 0 {
			cv.cursor = len(cv.msgs) - 1
			m.setFocus(focusHistory)
			m.keepCursorVisible()
			return nil
		}
	case "pgup":
		return m.scrollBy(m.historyRows() - 1)
	case "pgdown":
		return m.scrollBy(-(m.historyRows() - 1))
	}
	var cmd tea.Cmd
	m.compose, cmd = m.compose.Update(k)
	m.layout()
	return tea.Batch(cmd, m.typed())
}

func (m *model) historyKey(s string) tea.Cmd {
	cv := m.chat
	if cv == nil || len(cv.msgs) == 0 {
		m.setFocus(focusCompose)
		return nil
	}
	cv.cursor = min(max(cv.cursor, 0), len(cv.msgs)-1)
	msg := cv.msgs[cv.cursor]
	switch s {
	case "up", "k":
		if cv.cursor > 0 {
			cv.cursor--
		} else {
			m.keepCursorVisible()
			return m.loadOlder()
		}
	case "down", "j":
		if cv.cursor < len(cv.msgs)-1 {
			cv.cursor++
		} else {
			m.setFocus(focusCompose)
			cv.scroll = 0
			return nil
		}
	case "pgup":
		cv.cursor = max(cv.cursor-10, 0)
	case "pgdown":
		cv.cursor = min(cv.cursor+10, len(cv.msgs)-1)
	case "esc", "i":
		m.setFocus(focusCompose)
		cv.scroll = 0
		return nil
	case "?":
		m.overlay = &helpOverlay{}
	case "r":
		if msg.Service == nil {
			cv.replyTo, cv.editing = msg.ID, 0
			m.setFocus(focusCompose)
			cv.scroll = 0
		}
	case "e":
		if msg.SenderID == m.me.ID && msg.Service == nil && msg.Media == nil {
			cv.editing, cv.replyTo = msg.ID, 0
			m.compose.SetValue(toMarkup(msg.Text, msg.Entities))
			m.setFocus(focusCompose)
			cv.scroll = 0
		} else {
			m.say("You can edit only your own text messages")
		}
	case "d":
		id := msg.ID
		m.overlay = &choiceOverlay{
			question: "Delete this message: for (e)veryone, for (m)e, or (n)ot?",
			choices: map[string]func() tea.Cmd{
				"e": func() tea.Cmd { return m.deleteMessage(id, true) },
				"m": func() tea.Cmd { return m.deleteMessage(id, false) },
				"n": func() tea.Cmd { return nil },
			},
		}
	case "f":
		if msg.Service == nil {
			m.askForward(msg)
		}
	case "+", "=":
		if msg.Service == nil {
			m.askReaction(msg)
		}
	case "p":
		return m.togglePin(cv.id, msg)
	case "b":
		if msg.SenderID != 0 && msg.SenderID != m.me.ID {
			u := m.users[msg.SenderID]
			return m.setBlocked(msg.SenderID, m.name(msg.SenderID), u == nil || !u.Blocked)
		}
	case "v":
		k := msgKey{cv.id, msg.ID}
		m.revealed[k] = !m.revealed[k]
	case "o":
		if msg.Media != nil {
			return m.openFile(*msg.Media)
		}
		m.say("That message has no file")
	case "s", "enter":
		if msg.Media != nil {
			md := *msg.Media
			p := newPrompt("Save to:", saveName(md), func(v string) tea.Cmd {
				if strings.TrimSpace(v) == "" {
					return nil
				}
				return m.download(md, strings.TrimSpace(v))
			})
			p.files = true
			m.overlay = p
		} else {
			m.say("That message has no file")
		}
	}
	m.keepCursorVisible()
	return nil
}

// askSearch asks what to search for: in all chats (Ctrl+F), or, with
// Tab, in the open chat only.
func (m *model) askSearch() {
	var chatID int64
	all := "Search all chats:"
	p := newPrompt(all, "", func(v string) tea.Cmd {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		m.say("Searching…")
		return m.search(chatID, strings.TrimSpace(v))
	})
	if m.chat != nil && m.chat.id != 0 {
		if d := m.dialog(m.chat.id); d != nil {
			here, id := "Search in "+m.title(d)+":", m.chat.id
			p.hint = "Tab: only in " + m.title(d)
			p.onTab = func(o *promptOverlay) {
				if chatID == 0 {
					chatID, o.label, o.hint = id, here, "Tab: all chats"
				} else {
					chatID, o.label, o.hint = 0, all, "Tab: only in "+m.title(d)
				}
			}
		}
	}
	m.overlay = p
}

// showResults lists what a search found; picking one opens its chat
// at that message.
func (m *model) showResults(r searchResultsMsg) {
	m.notice = ""
	for i := range r.users {
		u := r.users[i]
		if known := m.users[u.ID]; known == nil {
			m.users[u.ID] = &u
		}
	}
	titles := map[int64]string{}
	for i := range r.chats {
		d := client.Dialog{Chat: r.chats[i]}
		titles[d.Chat.ID] = m.title(&d)
	}
	var items []pickItem
	for _, msg := range r.msgs {
		where := ""
		if m.chat == nil || m.chat.id != msg.ChatID || r.everywhere {
			if d := m.dialog(msg.ChatID); d != nil {
				where = m.title(d) + " · "
			} else if t := titles[msg.ChatID]; t != "" {
				where = t + " · "
			}
		}
		label := fmt.Sprintf("%s%s  %s: %s", where, stamp(msg.Date, m.now()), m.name(msg.SenderID), msgtext.Preview(&msg))
		items = append(items, pickItem{label: label, id: msg.ChatID, aux: msg.ID})
	}
	title := fmt.Sprintf("%d found for %q", len(items), r.query)
	if r.everywhere {
		title += " in all chats"
	}
	m.overlay = &pickerOverlay{
		title: title,
		items: items,
		onPick: func(it pickItem) tea.Cmd {
			return m.openChat(it.id, it.aux)
		},
	}
}

func (m *model) askNewChat() {
	m.overlay = &choiceOverlay{
		question: "New chat: a (p)erson, a (g)roup or a (c)hannel?",
		choices: map[string]func() tea.Cmd{
			"p": func() tea.Cmd { m.askPerson(); return nil },
			"g": func() tea.Cmd {
				m.overlay = newPrompt("Group title:", "", func(title string) tea.Cmd {
					if strings.TrimSpace(title) == "" {
						return nil
					}
					m.overlay = newPrompt("Add people (@username, space-separated; may be empty):", "", func(people string) tea.Cmd {
						return m.createChat("group", strings.TrimSpace(title), people)
					})
					return nil
				})
				return nil
			},
			"c": func() tea.Cmd {
				m.overlay = newPrompt("Channel title:", "", func(title string) tea.Cmd {
					if strings.TrimSpace(title) == "" {
						return nil
					}
					m.overlay = newPrompt("Public @username (empty for a private channel):", "", func(name string) tea.Cmd {
						return m.createChat("channel", strings.TrimSpace(title), name)
					})
					return nil
				})
				return nil
			},
		},
	}
}

func (m *model) askForward(msg client.Message) {
	var items []pickItem
	saved := false
	for _, d := range m.dialogs {
		items = append(items, pickItem{label: m.title(d), id: d.Chat.ID})
		saved = saved || (d.Chat.Kind == "private" && d.Chat.PeerID == m.me.ID)
	}
	if !saved {
		// Saved Messages exists once something is in it.
		items = append(items, pickItem{label: "Saved Messages", aux: m.me.ID})
	}
	from := m.chat.id
	m.overlay = &pickerOverlay{
		title: "Forward to:",
		items: items,
		onPick: func(it pickItem) tea.Cmd {
			return m.forward(from, msg.ID, it.id, it.aux)
		},
	}
}

// defaultReactions is the server's default set, for a chat not yet
// loaded with its own.
var defaultReactions = []string{"👍", "👎", "❤️", "🔥", "🎉", "😁", "😢", "😮", "🤔", "🙏", "👏", "💯"}

func (m *model) askReaction(msg client.Message) {
	set := defaultReactions
	if d := m.dialog(m.chat.id); d != nil && d.Chat.Reactions != nil {
		set = d.Chat.Reactions
	}
	if len(set) == 0 {
		m.say("Reactions are off in this chat")
		return
	}
	var items []pickItem
	for _, e := range set {
		items = append(items, pickItem{label: e, text: e})
	}
	for _, r := range msg.Reactions {
		if r.Mine {
			items = append(items, pickItem{label: "take mine back", text: ""})
		}
	}
	chatID := m.chat.id
	m.overlay = &pickerOverlay{
		title: "React with:",
		items: items,
		onPick: func(it pickItem) tea.Cmd {
			return m.react(chatID, msg.ID, it.text)
		},
	}
}

// click handles a mouse click: a dialog opens, the chat pane focuses
// writing.
func (m *model) click(ms tea.Mouse) tea.Cmd {
	if m.overlay != nil || ms.Button != tea.MouseLeft {
		return nil
	}
	lw := m.listWidth()
	if m.showList() && ms.X < lw {
		i := m.listTop + (ms.Y-1)/2
		if ms.Y >= 1 && i < len(m.dialogs) {
			m.sel = i
			return m.openChat(m.dialogs[i].Chat.ID, 0)
		}
		return nil
	}
	if m.chat != nil {
		m.setFocus(focusCompose)
	}
	return nil
}

func (m *model) wheel(ms tea.Mouse) tea.Cmd {
	if m.overlay != nil {
		return nil
	}
	up := ms.Button == tea.MouseWheelUp
	if m.showList() && ms.X < m.listWidth() {
		if up {
			m.sel--
		} else {
			m.sel++
		}
		m.clampList()
		return nil
	}
	if up {
		return m.scrollBy(3)
	}
	return m.scrollBy(-3)
}
