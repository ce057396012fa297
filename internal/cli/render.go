package cli

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/msgtext"
)

// maxUsersPerCall is the most ids users.get takes.
const maxUsersPerCall = 200

// names finds people's names (users.get), each once.
type names struct {
	cl    *client.Client
	users map[int64]string
}

func newNames(cl *client.Client) *names { return &names{cl: cl, users: map[int64]string{}} }

// add records a name already known.
func (n *names) add(u *client.User) {
	if u != nil && u.ID != 0 {
		n.users[u.ID] = msgtext.FullName(u)
	}
}

// load looks up the names of ids not known yet.
func (n *names) load(ctx context.Context, ids []int64) error {
	var missing []int64
	seen := map[int64]bool{}
	for _, id := range ids {
		if _, ok := n.users[id]; !ok && id > 0 && !seen[id] {
			seen[id] = true
			missing = append(missing, id)
		}
	}
	for len(missing) > 0 {
		batch := missing[:min(len(missing), maxUsersPerCall)]
		missing = missing[len(batch):]
		us, err := n.cl.Users(ctx, batch)
		if err != nil {
			return err
		}
		for i := range us {
			n.add(&us[i])
		}
	}
	return nil
}

// user is the name of the person id, or "user:ID" when unknown.
func (n *names) user(id int64) string {
	if s, ok := n.users[id]; ok && s != "" {
		return s
	}
	return fmt.Sprintf("user:%d", id)
}

// peopleOf lists the ids a message names: its sender, a forward's
// author, a service action's people.
func peopleOf(m *client.Message) []int64 {
	ids := []int64{m.SenderID}
	if m.Forward != nil {
		ids = append(ids, m.Forward.FromUserID)
	}
	if m.Service != nil {
		ids = append(ids, m.Service.UserIDs...)
	}
	return ids
}

// dateFormat is how the history shows a message's date.
const dateFormat = "2006-01-02 15:04"

// messageLine writes one message as "2026-11-25 14:03  Ann: text", with
// its markers; continuation lines of the text are indented. chatTitle
// signs channel posts; byID holds the other messages of the page, to
// quote what a reply answers.
func messageLine(b *strings.Builder, m *client.Message, n *names, chatTitle string, byID map[int64]*client.Message) {
	b.WriteString(time.Unix(m.Date, 0).Format(dateFormat))
	b.WriteString("  ")
	sender := chatTitle
	if m.SenderID != 0 {
		sender = n.user(m.SenderID)
	}
	if m.Service != nil {
		b.WriteString("* " + msgtext.Service(m, sender, n.user) + "\n")
		return
	}
	b.WriteString(sender + ":")
	var marks []string
	if f := m.Forward; f != nil {
		from := f.FromName
		switch {
		case f.FromUserID != 0:
			from = n.user(f.FromUserID)
		case f.FromChatID != 0 && from == "":
			from = fmt.Sprintf("chat:%d", f.FromChatID)
		}
		marks = append(marks, "[forwarded from "+from+"]")
	}
	if m.ReplyToID != 0 {
		if r, ok := byID[m.ReplyToID]; ok {
			who := chatTitle
			if r.SenderID != 0 {
				who = n.user(r.SenderID)
			}
			marks = append(marks, fmt.Sprintf("[reply to %s: %q]", who, clip(msgtext.Preview(r), 30)))
		} else {
			marks = append(marks, fmt.Sprintf("[reply to message %d]", m.ReplyToID))
		}
	}
	if m.Media != nil {
		marks = append(marks, msgtext.Media(m.Media))
	}
	for _, s := range marks {
		b.WriteString(" " + s)
	}
	if m.Text != "" {
		lines := strings.Split(m.Text, "\n")
		b.WriteString(" " + lines[0])
		for _, l := range lines[1:] {
			b.WriteString("\n" + strings.Repeat(" ", len(dateFormat)+2) + l)
		}
	}
	if m.EditDate != 0 {
		b.WriteString(" (edited)")
	}
	b.WriteString("\n")
}

// clip shortens s to at most n characters, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
