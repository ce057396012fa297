package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/havenchat/haven/client"
)

const logoutHelp = `Usage: haven logout

Ends the stored session on the server (its token stops working at once)
and removes the session file, the cache of haven chat (the chats and
messages it kept) and the device's secret-chat keys (the server deletes
the device's keys and waiting messages with the session).

The file is removed even when the server cannot be reached or the
session had already ended. When the server cannot be reached the
session may still be active there: haven logout says so and exits with
status 1; end it from another device's list of sessions.
`

// Logout is "haven logout": it ends the stored session and removes it.
func Logout(ctx context.Context, args []string, env Env) int {
	c := newCommand("logout", logoutHelp, env)
	if _, code, done := c.parseArgs(args, 0, ""); done {
		return code
	}
	dir, err := ConfigDir(env.Getenv)
	if err != nil {
		return c.fail(err)
	}
	s, loadErr := LoadSession(dir)
	if errors.Is(loadErr, ErrNotSignedIn) {
		return c.fail(errors.New("not signed in: there is no session to end"))
	}
	status := 0
	switch {
	case loadErr != nil:
		// A damaged file: nothing to tell the server, but remove it.
		fmt.Fprintf(c.env.Stderr, "haven logout: %v\n", loadErr)
	default:
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		err := newClient(s.Server, s.Token).LogOut(cctx)
		cancel()
		switch {
		case err == nil:
		case client.IsCode(err, "AUTH_TOKEN_INVALID"), client.IsCode(err, "SESSION_NOT_FOUND"):
			fmt.Fprintf(c.env.Stderr, "haven logout: the session had already ended on the server.\n")
		default:
			fmt.Fprintf(c.env.Stderr, "haven logout: %s\nThe session may still be active on the server: end it from another device.\n", describe(err))
			status = ExitFailure
		}
	}
	if err := RemoveSession(dir); err != nil {
		return c.fail(err)
	}
	if err := RemoveCaches(dir); err != nil {
		return c.fail(err)
	}
	if s != nil {
		fmt.Fprintf(c.env.Stdout, "Signed out %s from %s; removed %s.\n", s.Name, s.Server, SessionPath(dir))
	} else {
		fmt.Fprintf(c.env.Stdout, "Removed %s.\n", SessionPath(dir))
	}
	return status
}
