package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/msgtext"
)

const chatsHelp = `Usage: haven chats [--json]

Lists your chats, as the apps show them (pinned first, then by the
newest message), one a line with:
  CHAT      the name to give haven send and haven history (@username,
            user:ID, chat:ID, or "me" for Saved Messages)
  NAME      the person's name, or the group's or channel's title
  UNREAD    how many messages you have not read
  FLAGS     pinned, muted, archived
  LAST      the newest message, shortened

Flags:
  --json   print the list as a JSON array of the API's Dialog objects
           (docs/api.md): chat, top_message, unread_count, pinned,
           muted_until, peer...
`

// previewLength is how much of the last message "haven chats" shows.
const previewLength = 50

// Chats is "haven chats": it lists the signed-in person's chats.
func Chats(ctx context.Context, args []string, env Env) int {
	c := newCommand("chats", chatsHelp, env)
	asJSON := c.fs.Bool("json", false, "")
	if _, code, done := c.parseArgs(args, 0, ""); done {
		return code
	}
	cl, s, err := c.signedIn()
	if err != nil {
		return c.fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*callTimeout)
	defer cancel()
	ds, err := cl.Dialogs(ctx)
	if err != nil {
		return c.fail(err)
	}
	if *asJSON {
		return printList(c, ds)
	}
	n := newNames(cl)
	var ids []int64
	for i := range ds {
		n.add(ds[i].Peer)
		if m := ds[i].TopMessage; m != nil {
			ids = append(ids, m.SenderID)
		}
	}
	if err := n.load(ctx, ids); err != nil {
		return c.fail(err)
	}
	if len(ds) == 0 {
		fmt.Fprintln(c.env.Stdout, "No chats yet: haven send starts one.")
		return 0
	}
	now := time.Now().Unix()
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHAT\tNAME\tUNREAD\tFLAGS\tLAST")
	for i := range ds {
		d := &ds[i]
		var flags []string
		if d.Pinned {
			flags = append(flags, "pinned")
		}
		if d.MutedUntil > now {
			flags = append(flags, "muted")
		}
		if d.Archived {
			flags = append(flags, "archived")
		}
		last := ""
		if m := d.TopMessage; m != nil {
			last = msgtext.Preview(m)
			switch {
			case m.Service != nil:
			case m.SenderID == s.UserID:
				last = "You: " + last
			case m.SenderID != 0 && d.Chat.Kind == "group":
				last = firstWord(n.user(m.SenderID)) + ": " + last
			}
			last = clip(last, previewLength)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", dialogAddress(d, s), dialogName(d, s), d.UnreadCount, strings.Join(flags, ","), last)
	}
	if err := tw.Flush(); err != nil {
		return c.fail(err)
	}
	return 0
}

// dialogAddress is the name of a dialog's chat by the rule of addressHelp.
func dialogAddress(d *client.Dialog, s *Session) string {
	ch := &d.Chat
	if ch.Kind == "private" {
		switch {
		case ch.PeerID == s.UserID:
			return "me"
		case d.Peer != nil && d.Peer.Username != "":
			return "@" + d.Peer.Username
		case ch.PeerID != 0:
			return fmt.Sprintf("user:%d", ch.PeerID)
		}
	}
	if ch.Username != "" {
		return "@" + ch.Username
	}
	return fmt.Sprintf("chat:%d", ch.ID)
}

// dialogName is the title of a dialog's chat, or its person's name.
func dialogName(d *client.Dialog, s *Session) string {
	if d.Chat.Kind == "private" {
		if d.Chat.PeerID == s.UserID {
			return "Saved Messages"
		}
		if name := msgtext.FullName(d.Peer); name != "" {
			return name
		}
		return fmt.Sprintf("user:%d", d.Chat.PeerID)
	}
	return d.Chat.Title
}

// firstWord is the first name of a full name.
func firstWord(s string) string {
	first, _, _ := strings.Cut(s, " ")
	return first
}
