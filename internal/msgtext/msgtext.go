// Package msgtext words messages for people reading them in a terminal:
// names, service messages, attachments and one-line previews. The plain
// commands (internal/cli) and the full-screen app (internal/tui) both
// use it, so a message reads the same in either.
package msgtext

import (
	"fmt"
	"strings"
	"time"

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
		return n
	}
	if u.Username != "" {
		return "@" + u.Username
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
	return "[" + s + "]"
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
	switch a.Type {
	case "chat_created":
		return fmt.Sprintf("%s created the chat %q", sender, a.Title)
	case "members_added":
		return fmt.Sprintf("%s added %s", sender, who)
	case "member_joined":
		return fmt.Sprintf("%s joined", who)
	case "member_left":
		return fmt.Sprintf("%s left", who)
	case "member_removed":
		return fmt.Sprintf("%s removed %s", sender, who)
	case "title_changed":
		return fmt.Sprintf("%s changed the title to %q", sender, a.Title)
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
	return fmt.Sprintf("%s: %s", sender, a.Type)
}

// Preview is a message's text, or what stands for it, on one line.
func Preview(m *client.Message) string {
	var s string
	switch {
	case m.Service != nil:
		s = "(" + strings.ReplaceAll(m.Service.Type, "_", " ") + ")"
	case m.Media != nil && m.Text == "":
		s = Media(m.Media)
	case m.Media != nil:
		s = Media(m.Media) + " " + m.Text
	default:
		s = m.Text
	}
	return OneLine(s)
}

// OneLine joins the lines of s with single spaces.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
