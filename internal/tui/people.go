package tui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/msgtext"
)

// peopleOverlay is the "new chat" screen: people found by name or
// @username as they are typed (users.search: contacts first, then
// people of shared chats, then public usernames); Enter opens a private
// chat with the one picked.
type peopleOverlay struct {
	input   textinput.Model
	seq     int // the query typed last; answers to older ones are dropped
	asked   string
	results []client.User
	sel     int
	err     string
}

// peopleQueryMsg fires a moment after typing stops; peopleFoundMsg
// carries the answer.
type (
	peopleQueryMsg struct {
		seq   int
		query string
	}
	peopleFoundMsg struct {
		seq   int
		users []client.User
		err   error
	}
	// personMsg opens a private chat with a person.
	personMsg client.User
)

// peopleDelay is how long typing must pause before a search is sent.
const peopleDelay = 200 * time.Millisecond

func (m *model) askPerson() {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = "a name or @username"
	in.Focus()
	m.overlay = &peopleOverlay{input: in}
}

func (o *peopleOverlay) key(m *model, k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "esc":
		m.overlay = nil
		return nil
	case "enter":
		if o.sel < len(o.results) {
			m.overlay = nil
			return m.openPerson(o.results[o.sel])
		}
		return nil
	case "up", "ctrl+p":
		o.sel = max(o.sel-1, 0)
		return nil
	case "down", "ctrl+n", "tab":
		o.sel = min(o.sel+1, max(len(o.results)-1, 0))
		return nil
	}
	var cmd tea.Cmd
	o.input, cmd = o.input.Update(k)
	return tea.Batch(cmd, o.changed())
}

// changed schedules a search for what is typed now.
func (o *peopleOverlay) changed() tea.Cmd {
	q := strings.TrimSpace(o.input.Value())
	if q == o.asked {
		return nil
	}
	o.asked = q
	o.seq++
	seq := o.seq
	if q == "" {
		o.results, o.sel, o.err = nil, 0, ""
		return nil
	}
	return tea.Tick(peopleDelay, func(time.Time) tea.Msg { return peopleQueryMsg{seq, q} })
}

func (o *peopleOverlay) update(m *model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case peopleQueryMsg:
		if msg.seq != o.seq {
			return nil
		}
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(m.ctx, callTimeout)
			defer cancel()
			us, err := m.c.SearchPeople(ctx, msg.query, 20)
			return peopleFoundMsg{msg.seq, us, err}
		}
	case peopleFoundMsg:
		if msg.seq != o.seq {
			return nil
		}
		o.results, o.sel, o.err = msg.users, 0, ""
		if msg.err != nil {
			o.results, o.err = nil, errorText(msg.err)
		}
		for i := range msg.users {
			u := msg.users[i]
			if known := m.users[u.ID]; known == nil {
				m.users[u.ID] = &u
			}
		}
		return nil
	}
	var cmd tea.Cmd
	o.input, cmd = o.input.Update(msg)
	return cmd
}

func (o *peopleOverlay) paste(m *model, s string) tea.Cmd {
	o.input.SetValue(o.input.Value() + msgtext.OneLine(s))
	o.input.CursorEnd()
	return o.changed()
}

func (o *peopleOverlay) view(m *model, w, h int) string {
	const label = "New chat with:"
	o.input.SetWidth(max(w-len(label)-2, 5))
	lines := []string{promptStyle.Render(label) + " " + o.input.View()}
	switch {
	case o.err != "":
		lines = append(lines, errStyle.Render(oneLine(o.err, w)))
	case o.asked == "":
		lines = append(lines, dimStyle.Render(oneLine("Your contacts and the people of your chats by name; anyone by @username", w)))
	case len(o.results) == 0:
		lines = append(lines, dimStyle.Render("Nobody found yet"))
	}
	rows := max(h-3, 1)
	top := max(o.sel-rows+1, 0)
	for i := top; i < len(o.results) && i < top+rows; i++ {
		u := &o.results[i]
		line := msgtext.FullName(u)
		if u.Username != "" {
			line += " · @" + msgtext.Inert(u.Username)
		}
		if u.Contact {
			line += " · contact"
		}
		line = pad(oneLine(line, w-2), w-2)
		if i == o.sel {
			lines = append(lines, selStyle.Render("> "+line))
		} else {
			lines = append(lines, "  "+line)
		}
	}
	for len(lines) < h-1 {
		lines = append(lines, "")
	}
	lines = append(lines[:h-1], dimStyle.Render(oneLine("Type to search · ↑↓ choose · Enter opens the chat · Esc cancels", w)))
	return strings.Join(lines, "\n")
}

// openPerson opens the private chat with u: the one there is, or a new
// one that the first message starts.
func (m *model) openPerson(u client.User) tea.Cmd {
	if known := m.users[u.ID]; known == nil || known.Status == nil {
		m.users[u.ID] = &u
	}
	for _, d := range m.dialogs {
		if d.Chat.Kind == "private" && d.Chat.PeerID == u.ID {
			return m.openChat(d.Chat.ID, 0)
		}
	}
	m.chat = &chatView{peer: u.ID, complete: true}
	m.compose.Reset()
	m.setFocus(focusCompose)
	m.layout()
	return nil
}

// adopt makes the open new chat the chat its first message made.
func (m *model) adopt(msg client.Message) tea.Cmd {
	cv := m.chat
	if cv == nil || cv.id != 0 || cv.peer == 0 || msg.ChatID == 0 {
		return nil
	}
	cv.id = msg.ChatID
	return m.loadDialogs()
}
