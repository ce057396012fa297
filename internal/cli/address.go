package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/msgtext"
)

// addressHelp is the rule for naming a chat, shared by the --help texts.
const addressHelp = `A chat is named by one of:
  @username   a person or a public group or channel with that username
              (people are looked up first)
  user:ID     the private chat with the person whose id is ID
  chat:ID     the chat whose id is ID (a group, a channel, or a private
              chat by its chat id)
  me          your Saved Messages
A bare number is refused, as it could be a person's id or a chat's:
write user:ID or chat:ID. "haven chats" lists the names of your chats.
`

// address is a chat as written on the command line.
type address struct {
	raw      string
	username string // @username, without the @
	userID   int64  // user:ID; the caller's id for "me"
	chatID   int64  // chat:ID
	me       bool
}

// parseAddress reads an address by the rule of addressHelp; its errors
// are usage errors.
func parseAddress(s string) (address, error) {
	a := address{raw: s}
	switch {
	case s == "me":
		a.me = true
		return a, nil
	case strings.HasPrefix(s, "@"):
		a.username = s[1:]
		if a.username == "" {
			return a, usagef("%q: a username must follow the @", s)
		}
		return a, nil
	case strings.HasPrefix(s, "user:"), strings.HasPrefix(s, "chat:"):
		kind, num, _ := strings.Cut(s, ":")
		id, err := strconv.ParseInt(num, 10, 64)
		if err != nil || id <= 0 {
			return a, usagef("%q: %s: must be followed by a positive number", s, kind)
		}
		if kind == "user" {
			a.userID = id
		} else {
			a.chatID = id
		}
		return a, nil
	}
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return a, usagef("%q is ambiguous: write user:%s for a person or chat:%s for a chat", s, s, s)
	}
	if s == "" {
		return a, usagef("the chat is empty: write @username, user:ID, chat:ID or me")
	}
	return a, usagef("cannot tell which chat %q is: write @username, user:ID, chat:ID or me", s)
}

// target is an address resolved on the server: a chat, or a person
// whose private chat may not exist yet.
type target struct {
	chatID int64 // 0 for a person until a chat is known
	userID int64 // a person; 0 for a chat given or found as a chat
	name   string
}

// resolve finds what a names: a @username is looked up as a person
// first, then as a public chat.
func resolve(ctx context.Context, cl *client.Client, s *Session, a address) (target, error) {
	switch {
	case a.me:
		return target{userID: s.UserID, name: "Saved Messages"}, nil
	case a.userID != 0:
		return target{userID: a.userID, name: a.raw}, nil
	case a.chatID != 0:
		return target{chatID: a.chatID, name: a.raw}, nil
	}
	u, err := cl.ResolveUsername(ctx, a.username)
	if err == nil {
		return target{userID: u.ID, name: msgtext.FullName(u)}, nil
	}
	if client.IsCode(err, "USERNAME_INVALID") {
		return target{}, fmt.Errorf("%s is not a valid username: %s", a.raw, describe(err))
	}
	if !client.IsCode(err, "USERNAME_NOT_FOUND") {
		return target{}, err
	}
	ch, err := cl.ResolveChat(ctx, a.username)
	if client.IsCode(err, "USERNAME_NOT_FOUND") {
		return target{}, fmt.Errorf("no person or public chat has the username %s", a.raw)
	}
	if err != nil {
		return target{}, err
	}
	return target{chatID: ch.ID, name: ch.Title}, nil
}

// chatOf returns the chat of t: a person's private chat is looked up in
// the caller's dialogs (it exists once a message was sent).
func chatOf(ctx context.Context, cl *client.Client, t target) (int64, error) {
	if t.chatID != 0 {
		return t.chatID, nil
	}
	ds, err := cl.Dialogs(ctx)
	if err != nil {
		return 0, err
	}
	for _, d := range ds {
		if d.Chat.Kind == "private" && d.Chat.PeerID == t.userID {
			return d.Chat.ID, nil
		}
	}
	return 0, fmt.Errorf("you have no chat with %s yet", t.name)
}
