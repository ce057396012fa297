package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/msgtext"
)

var (
	titleStyle   = lipgloss.NewStyle().Bold(true)
	sectionStyle = lipgloss.NewStyle().Bold(true).Underline(true)
	dimStyle     = lipgloss.NewStyle().Faint(true)
	selStyle     = lipgloss.NewStyle().Reverse(true)
	promptStyle  = lipgloss.NewStyle().Bold(true)
	errStyle     = lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true)
	onlineStyle  = lipgloss.NewStyle().Foreground(lipgloss.Color("2"))
	badgeStyle   = lipgloss.NewStyle().Reverse(true).Bold(true)
	mineStyle    = lipgloss.NewStyle().Foreground(lipgloss.Color("4")).Bold(true)
	nameColors   = []string{"1", "2", "3", "5", "6", "9", "10", "11", "13", "14"}
)

func nameStyle(id int64) lipgloss.Style {
	return lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color(nameColors[id%int64(len(nameColors))]))
}

// narrow is the width below which one pane shows at a time.
const narrow = 70

func (m *model) listWidth() int {
	if m.width < narrow {
		return m.width
	}
	return min(max(m.width/3, 22), 34)
}

// showList says whether the dialog list is on screen. On a narrow
// screen it gives way to the chat pane, which also shows questions and
// lists to pick from.
func (m *model) showList() bool {
	if m.width >= narrow {
		return true
	}
	if m.overlay != nil {
		return false
	}
	return m.chat == nil || m.focus == focusList
}

// chatWidth is the width of the chat pane.
func (m *model) chatWidth() int {
	if m.width < narrow {
		return m.width
	}
	return m.width - m.listWidth() - 1
}

// listRows is how many dialogs fit (two lines each, under the header).
func (m *model) listRows() int { return max((m.height-2)/2, 1) }

// inputRows is the height of what is under the history: the compose box
// and the reply/edit bar.
func (m *model) inputRows() int {
	n := m.compose.Height()
	if m.chat != nil && (m.chat.replyTo != 0 || m.chat.editing != 0) {
		n++
	}
	return n + 1 // the rule above it
}

// historyRows is the height of the history, between the header (two
// lines) and the compose box, above the bottom bar.
func (m *model) historyRows() int { return max(m.height-1-2-m.inputRows(), 1) }

func (m *model) layout() {
	m.compose.SetWidth(max(m.chatWidth()-1, 10))
	m.clampList()
}

func (m *model) clampList() {
	m.sel = min(max(m.sel, 0), max(len(m.dialogs)-1, 0))
	rows := m.listRows()
	if m.sel < m.listTop {
		m.listTop = m.sel
	}
	if m.sel >= m.listTop+rows {
		m.listTop = m.sel - rows + 1
	}
	m.listTop = max(min(m.listTop, len(m.dialogs)-rows), 0)
}

// scrollBy moves the history up (n > 0) or down; reaching the top
// loads older messages.
func (m *model) scrollBy(n int) tea.Cmd {
	cv := m.chat
	if cv == nil {
		return nil
	}
	rows := m.historyRows()
	lines, _, all := m.historyTail(m.chatWidth(), cv.scroll+n+rows, -1)
	top := len(lines) - rows // the furthest one can scroll
	if !all {
		top = max(top, cv.scroll+n)
	}
	cv.scroll = min(max(cv.scroll+n, 0), max(top, 0))
	if all && cv.scroll >= top {
		return m.loadOlder()
	}
	return nil
}

// keepCursorVisible scrolls so the picked message shows.
func (m *model) keepCursorVisible() {
	cv := m.chat
	if cv == nil || m.focus != focusHistory {
		return
	}
	rows := m.historyRows()
	lines, owner, _ := m.historyTail(m.chatWidth(), cv.scroll+rows, cv.cursor)
	first, last := -1, -1
	for i, o := range owner {
		if o == cv.cursor {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return
	}
	end := len(lines) - cv.scroll // one past the last line shown
	start := end - rows
	switch {
	case first < start:
		cv.scroll = len(lines) - (first + rows)
	case last >= end:
		cv.scroll = len(lines) - (last + 1)
	}
	cv.scroll = max(cv.scroll, 0)
}

// View draws the screen.
func (m *model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "Haven"
	if n := m.unmutedUnread(); n > 0 {
		v.WindowTitle = fmt.Sprintf("Haven (%d)", n)
	}
	return v
}

// unmutedUnread counts the unread messages of the chats not muted, for
// the terminal's title.
func (m *model) unmutedUnread() int {
	now, n := m.now().Unix(), 0
	for _, d := range m.dialogs {
		if d.MutedUntil <= now {
			n += d.UnreadCount
		}
	}
	return n
}

func (m *model) render() string {
	if _, ok := m.overlay.(*helpOverlay); ok {
		return fitScreen(m.overlay.view(m, m.width, m.height), m.width, m.height)
	}
	h := m.height - 1
	var rows []string
	switch {
	case m.width < narrow && m.showList():
		rows = fitLines(m.listLines(m.width, h), m.width)
	case m.width < narrow:
		rows = fitLines(m.chatLines(m.width, h), m.width)
	default:
		lw, cw := m.listWidth(), m.chatWidth()
		left, right := m.listLines(lw, h), m.chatLines(cw, h)
		sep := dimStyle.Render("│")
		for i := 0; i < h; i++ {
			rows = append(rows, pad(left[i], lw)+sep+pad(right[i], cw))
		}
	}
	rows = append(rows, m.bottomBar())
	return strings.Join(rows, "\n")
}

// fitLines cuts each line to at most w cells.
func fitLines(lines []string, w int) []string {
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "")
		}
	}
	return lines
}

// fitScreen makes s exactly w×h cells.
func fitScreen(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i := range lines {
		lines[i] = pad(lines[i], w)
	}
	return strings.Join(lines, "\n")
}

func (m *model) bottomBar() string {
	if m.deleted {
		return pad(errStyle.Render(oneLine("Your account is deleted. Goodbye.", m.width)), m.width)
	}
	if m.notice != "" {
		if m.isError {
			return pad(errStyle.Render(oneLine(m.notice, m.width)), m.width)
		}
		return pad(oneLine(m.notice, m.width), m.width)
	}
	if m.offline {
		return pad(errStyle.Render(oneLine("Offline: showing saved chats; reconnecting…", m.width)), m.width)
	}
	var hint string
	switch {
	case m.focus == focusHistory:
		hint = "r reply  e edit  d delete  f forward  + react  p pin  s save  Esc back  F1 help"
	case m.focus == focusCompose && m.chat != nil:
		hint = "Enter send  Alt+Enter new line  ↑ pick  Ctrl+O file  Tab chats  F1 help"
	default:
		hint = "Enter open  Ctrl+N new  Ctrl+L join  Ctrl+F search  F1 help  Ctrl+C quit"
	}
	return pad(dimStyle.Render(pad(hint, m.width)), m.width)
}

// listLines draws the dialog list, h lines of width w.
func (m *model) listLines(w, h int) []string {
	out := make([]string, 0, h)
	head := titleStyle.Render("Chats")
	if m.focus == focusList {
		head = titleStyle.Render("▸ Chats")
	}
	out = append(out, head)
	if !m.loaded && len(m.dialogs) == 0 {
		out = append(out, dimStyle.Render(" Loading…"))
	} else if len(m.dialogs) == 0 {
		out = append(out, dimStyle.Render(" No chats yet."), dimStyle.Render(" Ctrl+N: new chat"))
	}
	for i := m.listTop; i < len(m.dialogs) && len(out)+2 <= h; i++ {
		a, b := m.dialogRows(m.dialogs[i], w)
		if i == m.sel {
			if m.focus == focusList {
				a, b = selStyle.Render(pad(a, w)), selStyle.Render(pad(b, w))
			} else {
				a = titleStyle.Render(pad(a, w))
			}
		}
		out = append(out, a, b)
	}
	for len(out) < h {
		out = append(out, "")
	}
	return out[:max(h, 0)]
}

// dialogRows is a dialog as two lines: "● Name   3" and a preview.
func (m *model) dialogRows(d *client.Dialog, w int) (string, string) {
	dot := " "
	if d.Chat.Kind == "private" {
		if u := m.users[d.Chat.PeerID]; u != nil && u.Status != nil && u.Status.Kind == "online" && u.ID != m.me.ID {
			dot = onlineStyle.Render("●")
		}
	}
	badge := ""
	if d.UnreadCount > 0 {
		n := fmt.Sprint(d.UnreadCount)
		if d.UnreadCount > 999 {
			n = "999+"
		}
		badge = " " + n
		if d.UnreadMentions > 0 {
			badge = " @" + n
		}
	}
	marks := ""
	if d.MutedUntil > m.now().Unix() {
		marks += " ~"
	}
	if d.Pinned {
		marks += " ^"
	}
	name := oneLine(m.title(d), w-2-len(badge)-len(marks))
	if d.Archived {
		name = dimStyle.Render(name)
	}
	first := dot + " " + name + marks
	first += strings.Repeat(" ", max(w-lipgloss.Width(first)-len(badge), 0))
	if badge != "" {
		first += badgeStyle.Render(badge)
	}
	var second string
	if t := m.typers(d.Chat.ID); t != "" {
		second = onlineStyle.Render("  " + oneLine(t, w-2))
	} else if d.TopMessage != nil {
		p := msgtext.Preview(d.TopMessage)
		if d.TopMessage.Service != nil {
			p = msgtext.Service(d.TopMessage, m.name(d.TopMessage.SenderID), m.name)
		} else if d.Chat.Kind == "group" {
			p = m.name(d.TopMessage.SenderID) + ": " + p
		} else if d.TopMessage.SenderID == m.me.ID && d.Chat.PeerID != m.me.ID {
			p = "You: " + p
		}
		second = dimStyle.Render("  " + oneLine(p, w-2))
	}
	return first, second
}

// chatLines draws the chat pane, h lines of width w.
func (m *model) chatLines(w, h int) []string {
	out := make([]string, 0, h)
	cv := m.chat
	var d *client.Dialog
	if cv != nil {
		d = m.dialog(cv.id)
	}
	// The header: the title and who they are, or who is typing.
	if d != nil {
		title, sub := m.title(d), m.subtitle(d)
		out = append(out, titleStyle.Render(oneLine(title, w)), dimStyle.Render(oneLine(sub, w)))
	} else if cv != nil && cv.peer != 0 {
		out = append(out, titleStyle.Render(oneLine(m.name(cv.peer), w)), dimStyle.Render(oneLine("new chat: your first message starts it", w)))
	} else {
		out = append(out, "", "")
	}
	input := m.inputLines(w)
	rows := max(h-len(out)-len(input), 1)
	if p, ok := m.overlay.(*pickerOverlay); ok {
		out = append(out, strings.Split(fitScreen(p.view(m, w, rows), w, rows), "\n")...)
	} else if p, ok := m.overlay.(*peopleOverlay); ok {
		out = append(out, strings.Split(fitScreen(p.view(m, w, rows+len(input)), w, rows+len(input)), "\n")...)
		input = nil
	} else if o, ok := m.overlay.(*secretOverlay); ok {
		out = append(out, strings.Split(fitScreen(o.view(m, w, rows+len(input)), w, rows+len(input)), "\n")...)
		input = nil
	} else if o, ok := m.overlay.(*infoOverlay); ok {
		out = append(out, strings.Split(fitScreen(o.view(m, w, rows+len(input)), w, rows+len(input)), "\n")...)
		input = nil
	} else if cv == nil {
		blank := (rows - 3) / 2
		for i := 0; i < blank; i++ {
			out = append(out, "")
		}
		out = append(out,
			center("Select a chat to start messaging", w),
			center(dimStyle.Render("or press Ctrl+N for a new chat"), w),
			center(dimStyle.Render("F1 lists every key"), w))
	} else {
		lines, owner, _ := m.historyTail(w, cv.scroll+rows, -1)
		cv.scroll = min(cv.scroll, max(len(lines)-rows, 0))
		end := len(lines) - cv.scroll
		start := max(end-rows, 0)
		shown := lines[start:end]
		if cv.loading && len(cv.msgs) == 0 {
			shown = []string{dimStyle.Render("Loading…")}
		} else if len(cv.msgs) == 0 {
			shown = []string{dimStyle.Render("No messages here yet.")}
		}
		for i := len(shown); i < rows; i++ {
			out = append(out, "")
		}
		for i, l := range shown {
			if m.focus == focusHistory && len(owner) > start+i && owner[start+i] == cv.cursor {
				l = selStyle.Render(pad(plain(l), w))
			}
			out = append(out, l)
		}
	}
	out = append(out, input...)
	if len(out) > h {
		out = out[len(out)-h:]
	}
	for len(out) < h {
		out = append(out, "")
	}
	return out
}

func center(s string, w int) string {
	n := lipgloss.Width(s)
	if n >= w {
		return s
	}
	return strings.Repeat(" ", (w-n)/2) + s
}

// subtitle says who the chat is: online, members, or who is typing.
func (m *model) subtitle(d *client.Dialog) string {
	if t := m.typers(d.Chat.ID); t != "" {
		return t
	}
	switch d.Chat.Kind {
	case "private":
		if d.Chat.PeerID == m.me.ID {
			return "your notes and forwards"
		}
		if u := m.users[d.Chat.PeerID]; u != nil {
			return statusText(u.Status, m.now())
		}
	case "group":
		return "group · " + plural(d.Chat.MemberCount, "member")
	case "channel":
		return "channel · " + plural(d.Chat.MemberCount, "subscriber")
	}
	return ""
}

// inputLines draws what is under the history: the compose box, a
// prompt, or nothing.
func (m *model) inputLines(w int) []string {
	rule := dimStyle.Render(strings.Repeat("─", w))
	switch o := m.overlay.(type) {
	case *promptOverlay, *choiceOverlay:
		return append([]string{rule}, strings.Split(o.view(m, w, 3), "\n")...)
	}
	cv := m.chat
	if cv == nil {
		return nil
	}
	out := []string{rule}
	if d := m.dialog(cv.id); d != nil && d.Chat.Kind == "channel" && d.Chat.Role != "owner" && d.Chat.Role != "admin" {
		return append(out, dimStyle.Render(oneLine("Only admins post here. ↑ picks a post to forward or react.", w)))
	}
	switch {
	case cv.editing != 0:
		out = append(out, mineStyle.Render(oneLine("Editing your message · Esc cancels", w)))
	case cv.replyTo != 0:
		who := "a message"
		if i := m.indexOf(cv.replyTo); i >= 0 {
			who = m.name(cv.msgs[i].SenderID) + ": " + msgtext.Preview(&cv.msgs[i])
		}
		out = append(out, mineStyle.Render(oneLine("Replying to "+who, w-14))+dimStyle.Render(" · Esc cancels"))
	}
	return append(out, strings.Split(m.compose.View(), "\n")...)
}

func (m *model) indexOf(id int64) int {
	if m.chat == nil {
		return -1
	}
	for i := range m.chat.msgs {
		if m.chat.msgs[i].ID == id {
			return i
		}
	}
	return -1
}

// historyTail draws the open chat's history for width w from the
// newest message back, until it has want lines and has drawn message
// stop (-1: any), so a frame costs what is on screen, not what is
// loaded. owner[i] is the index of the message line i belongs to (-1
// for separators); all says whether it reached the oldest message.
func (m *model) historyTail(w, want, stop int) (lines []string, owner []int, all bool) {
	cv := m.chat
	if cv == nil {
		return nil, nil, true
	}
	d := m.dialog(cv.id)
	now := m.now()
	var blocks [][]string
	var owners [][]int
	n := 0
	// Sends on their way come last, marked as such.
	for j := len(cv.pending) - 1; j >= 0; j-- {
		p := cv.pending[j]
		l := []string{mineStyle.Render("You") + "  " + dimStyle.Render("sending…")}
		for _, t := range richWrap(p.Text, p.Entities, w-2, true) {
			l = append(l, "  "+t)
		}
		o := make([]int, len(l))
		for k := range o {
			o[k] = -1
		}
		blocks, owners = append(blocks, l), append(owners, o)
		n += len(l)
	}
	i := len(cv.msgs) - 1
	for ; i >= 0 && (n < want || (stop >= 0 && i >= stop)); i-- {
		l, o := m.messageBlock(i, w, d, now)
		blocks, owners = append(blocks, l), append(owners, o)
		n += len(l)
	}
	all = i < 0
	if all {
		switch {
		case cv.complete && len(cv.msgs) > 0:
			blocks = append(blocks, []string{dimStyle.Render(center("· the beginning of the chat ·", w))})
			owners = append(owners, []int{-1})
		case cv.loading && len(cv.msgs) > 0:
			blocks = append(blocks, []string{dimStyle.Render(center("loading…", w))})
			owners = append(owners, []int{-1})
		}
	}
	for j := len(blocks) - 1; j >= 0; j-- {
		lines = append(lines, blocks[j]...)
		owner = append(owner, owners[j]...)
	}
	return lines, owner, all
}

// messageBlock draws message i of the open chat, under a day separator
// when it starts a day.
func (m *model) messageBlock(i, w int, d *client.Dialog, now time.Time) (lines []string, owner []int) {
	cv := m.chat
	add := func(i int, s string) {
		lines = append(lines, s)
		owner = append(owner, i)
	}
	msg := &cv.msgs[i]
	t := time.Unix(msg.Date, 0)
	if i == 0 || !sameDay(t, time.Unix(cv.msgs[i-1].Date, 0)) {
		add(-1, dimStyle.Render(center("── "+t.Format("Monday, January 2, 2006")+" ──", w)))
	}
	if msg.Service != nil {
		add(i, dimStyle.Render(center("· "+msgtext.Service(msg, m.name(msg.SenderID), m.name)+" ·", w)))
		return lines, owner
	}
	// The header: name, time and marks.
	var name string
	switch {
	case msg.SenderID == 0 && d != nil:
		name = titleStyle.Render(m.title(d))
	case msg.SenderID == m.me.ID:
		name = mineStyle.Render("You")
	default:
		name = nameStyle(msg.SenderID).Render(m.name(msg.SenderID))
	}
	head := name + "  " + dimStyle.Render(stamp(msg.Date, now))
	if msg.EditDate != 0 {
		head += dimStyle.Render(" edited")
	}
	if msg.Pinned {
		head += dimStyle.Render(" pinned")
	}
	if msg.Views > 0 {
		head += dimStyle.Render(fmt.Sprintf(" %d views", msg.Views))
	}
	if msg.SenderID == m.me.ID && d != nil && d.Chat.Kind != "channel" && d.Chat.PeerID != m.me.ID {
		if msg.ID <= d.Chat.ReadOutboxMaxID {
			head += " " + onlineStyle.Render("✓✓")
		} else {
			head += " " + dimStyle.Render("✓")
		}
	}
	add(i, head)
	if f := msg.Forward; f != nil {
		from := msgtext.OneLine(f.FromName)
		if f.FromUserID != 0 {
			from = m.name(f.FromUserID)
		}
		if from == "" {
			from = "a chat"
		}
		add(i, "  "+dimStyle.Render(oneLine("↪ forwarded from "+from, w-2)))
	}
	if msg.ReplyToID != 0 {
		quote := "a message"
		if j := m.indexOf(msg.ReplyToID); j >= 0 {
			quote = m.name(cv.msgs[j].SenderID) + ": " + msgtext.Preview(&cv.msgs[j])
		}
		add(i, "  "+dimStyle.Render(oneLine("┃ "+quote, w-2)))
	}
	if md := msg.Media; md != nil {
		line := msgtext.Media(md) + " " + humanSize(md.Size)
		if md.Width > 0 && md.Height > 0 {
			line += fmt.Sprintf(" · %d×%d px", md.Width, md.Height)
		}
		add(i, "  "+oneLine(line, w-2))
	}
	if msg.Text != "" {
		for _, l := range richWrap(msg.Text, msg.Entities, w-2, m.revealed[msgKey{cv.id, msg.ID}]) {
			add(i, "  "+l)
		}
	}
	if len(msg.Reactions) > 0 {
		var rs []string
		for _, r := range msg.Reactions {
			s := fmt.Sprintf("%s %d", msgtext.OneLine(r.Emoji), r.Count)
			if r.Mine {
				s = "[" + s + "]"
			}
			rs = append(rs, s)
		}
		add(i, "  "+strings.Join(rs, "  "))
	}
	return lines, owner
}
