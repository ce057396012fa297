package cli

import (
	"context"
	"errors"
	"os"

	"github.com/havenchat/haven/client"
)

const chatHelp = `Usage: haven chat

Opens Haven's full-screen app in the terminal, as the person signed in
by haven login. It keeps a cache of your chats and recent messages in
the config directory, beside the session (haven logout removes both).
When the server cannot be reached, it opens with what the cache holds
and connects as soon as the server answers.
`

// App runs the full-screen app for the signed-in client c, who is me,
// keeping its cache in the file cachePath, until the person quits or ctx
// ends. The haven
// command passes one that runs internal/tui (which may itself use this
// package, so this package does not import it).
type App func(ctx context.Context, c *client.Client, me *client.User, cachePath string) error

// Chat is "haven chat": it checks the stored session with the server
// and runs app with it.
func Chat(ctx context.Context, args []string, env Env, app App) int {
	c := newCommand("chat", chatHelp, env)
	if _, code, done := c.parseArgs(args, 0, ""); done {
		return code
	}
	dir, s, err := c.session()
	if err != nil {
		return c.fail(err)
	}
	// The app's client has no overall timeout: it holds a WebSocket open.
	cl := client.New(s.Server, client.WithToken(s.Token))
	mctx, cancel := context.WithTimeout(ctx, callTimeout)
	me, err := cl.Me(mctx)
	cancel()
	cache := CachePath(dir, s.UserID)
	if err != nil {
		// A server that cannot be reached (not one that answers no) is
		// no reason to keep a person from their cached chats.
		var answered *client.Error
		if _, serr := os.Stat(cache); errors.As(err, &answered) || serr != nil || ctx.Err() != nil {
			return c.fail(err)
		}
		me = &client.User{ID: s.UserID, FirstName: s.Name, Self: true}
	}
	if err := app(ctx, cl, me, cache); err != nil && ctx.Err() == nil {
		return c.fail(err)
	}
	return 0
}
