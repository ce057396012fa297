// Package msgtext words messages for people reading them in a terminal:
// names, service messages, attachments and one-line previews. The plain
// commands (internal/cli) and the full-screen app (internal/tui) both
// use it, so a message reads the same in either.
package msgtext

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/havenchat/haven/client"
)

// FullName is a person's first and last name; "Deleted Account" for a
// deleted account without one; "@username" for a person with no name.
func FullName(u *client.User) string {
	if u == nil {
		return ""
	}
	if u.Deleted && u.FirstName == "" {
		return "Deleted Account"
	}
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return OneLine(n)
	}
	if u.Username != "" {
		return "@" + Inert(u.Username)
	}
	return ""
}

// Media shows a message's attachment: "[photo]", "[document: a.pdf]",
// "[voice: v.ogg 1:15]".
func Media(md *client.Media) string {
	s := md.Kind
	if md.Kind != "photo" && md.Name != "" {
		s += ": " + md.Name
	}
	if md.Duration > 0 {
		s += fmt.Sprintf(" %d:%02d", md.Duration/60, md.Duration%60)
	}
	return "[" + Inert(s) + "]"
}

// Service words a service message; sender names who acted and name
// names the people it concerns.
func Service(m *client.Message, sender string, name func(id int64) string) string {
	a := m.Service
	var people []string
	for _, id := range a.UserIDs {
		people = append(people, name(id))
	}
	who := strings.Join(people, ", ")
	title := OneLine(a.Title)
	switch a.Type {
	case "chat_created":
		return fmt.Sprintf("%s created the chat \"%s\"", sender, title)
	case "members_added":
		return fmt.Sprintf("%s added %s", sender, who)
	case "member_joined":
		return fmt.Sprintf("%s joined", who)
	case "member_left":
		return fmt.Sprintf("%s left", who)
	case "member_removed":
		return fmt.Sprintf("%s removed %s", sender, who)
	case "title_changed":
		return fmt.Sprintf("%s changed the title to \"%s\"", sender, title)
	case "ttl_changed":
		if a.Seconds == 0 {
			return sender + " turned off the auto-delete timer"
		}
		return fmt.Sprintf("%s set the auto-delete timer to %s", sender, time.Duration(a.Seconds)*time.Second)
	case "owner_changed":
		return fmt.Sprintf("%s made %s the owner", sender, who)
	case "photo_changed":
		return sender + " changed the chat photo"
	case "photo_removed":
		return sender + " removed the chat photo"
	case "message_pinned":
		return sender + " pinned a message"
	}
	// A type this version does not know, shown as it is.
	return fmt.Sprintf("%s: %s", sender, Inert(a.Type))
}

// Preview is a message's text, or what stands for it, on one line.
func Preview(m *client.Message) string {
	var s string
	switch {
	case m.Service != nil:
		s = "(" + strings.ReplaceAll(Inert(m.Service.Type), "_", " ") + ")"
	case m.Media != nil && m.Text == "":
		s = Media(m.Media)
	case m.Media != nil:
		s = Media(m.Media) + " " + HideSpoilers(m.Text, m.Entities)
	default:
		s = HideSpoilers(m.Text, m.Entities)
	}
	return OneLine(s)
}

// HideSpoilers blots out the text under spoiler entities (offsets in
// UTF-16 units): a preview shows that something is hidden, not what.
func HideSpoilers(text string, ents []client.Entity) string {
	var spans [][2]int
	for _, e := range ents {
		if e.Type == "spoiler" && e.Length > 0 {
			spans = append(spans, [2]int{e.Offset, e.Offset + e.Length})
		}
	}
	if len(spans) == 0 {
		return text
	}
	var b strings.Builder
	u := 0 // UTF-16 offset of r
	for _, r := range text {
		hidden := false
		for _, sp := range spans {
			hidden = hidden || (u >= sp[0] && u < sp[1])
		}
		switch {
		case hidden && r != ' ' && r != '\n':
			b.WriteRune('░')
		default:
			b.WriteRune(r)
		}
		u++
		if r >= 0x10000 {
			u++
		}
	}
	return b.String()
}

// OneLine joins the lines of s with single spaces; its control
// characters are shown inert (see [Inert]).
func OneLine(s string) string { return Inert(strings.Join(strings.Fields(s), " ")) }

// Inert makes text that others wrote safe to print on a terminal, which
// would otherwise act on the escape sequences and control characters in
// it (retitle the window, clear the screen, rewrite what was shown
// before it, answer back with input): each control character but line
// breaks and tabs is shown by a visible stand-in, a C0 character by its
// Unicode control picture (ESC as ␛, BEL as ␇), DEL as ␡, a C1
// character (U+0080 to U+009F) and invalid UTF-8 as �. Every stand-in is
// one UTF-16 unit, like what it replaces, so entity offsets still hold.
func Inert(s string) string {
	if !needsInert(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20:
			b.WriteRune(0x2400 + r)
		case r == 0x7f:
			b.WriteRune('␡')
		case r >= 0x80 && r <= 0x9f:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsInert reports whether s has anything Inert would change.
func needsInert(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) {
			return true
		}
		i += size
	}
	return false
}

// CodeSent says where a sign-in code went, from auth.sendCode's answer:
// to tells whom it was for (the phone number or email typed).
func CodeSent(sent *client.SentCode, to string) string {
	digits := fmt.Sprintf("A %d-digit code", sent.CodeLength)
	switch sent.Delivery {
	case client.DeliveryLog:
		return fmt.Sprintf("%s for %s was written to the server's log (this server sends no SMS or email): "+
			"ask whoever runs it, or, if that is you, find the line \"LOGIN CODE\" in its output.", digits, to)
	case client.DeliveryWebhook:
		return fmt.Sprintf("%s was sent to %s through the server's code gateway (usually by SMS).", digits, to)
	case client.DeliveryEmail:
		return fmt.Sprintf("%s was emailed to %s.", digits, to)
	}
	how := "by SMS"
	if sent.Kind == "email" {
		how = "by email"
	}
	if sent.Delivery != "" {
		how = "by " + Inert(sent.Delivery)
	}
	return fmt.Sprintf("%s was sent %s to %s.", digits, how, to)
}
