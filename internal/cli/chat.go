package cli

import (
	"context"
	"fmt"

	"github.com/havenchat/haven/client"
)

const chatHelp = `Usage: haven chat

Opens Haven's full-screen app in the terminal, as the person signed in
by haven login. Its cache is kept in the config directory, beside the
session.
`

// App runs the full-screen app for the signed-in client c, keeping its
// cache in cacheDir, until the person quits or ctx ends. The haven
// command passes one that runs internal/tui (which may itself use this
// package, so this package does not import it).
type App func(ctx context.Context, c *client.Client, cacheDir string) error

// Chat is "haven chat": it checks the stored session with the server
// and runs app with it.
func Chat(ctx context.Context, args []string, env Env, app App) int {
	c := newCommand("chat", chatHelp, env)
	pos, code, done := c.parse(args)
	if done {
		return code
	}
	if len(pos) > 0 {
		return c.usage(fmt.Errorf("unexpected argument %q", pos[0]))
	}
	dir, err := ConfigDir(env.Getenv)
	if err != nil {
		return c.fail(err)
	}
	s, err := LoadSession(dir)
	if err != nil {
		return c.fail(err)
	}
	// The app's client has no overall timeout: it holds a WebSocket open.
	cl := client.New(s.Server, client.WithToken(s.Token))
	mctx, cancel := context.WithTimeout(ctx, callTimeout)
	_, err = cl.Me(mctx)
	cancel()
	if err != nil {
		return c.fail(err)
	}
	if err := app(ctx, cl, dir); err != nil && ctx.Err() == nil {
		return c.fail(err)
	}
	return 0
}
