package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/msgtext"
)

const profileHelp = `Usage: haven profile [--json] [--username NAME] [--first NAME] [--last NAME] [--bio TEXT]

Shows your profile: your name, username, id, phone or email (as only you
see them) and bio. With flags, changes them first:

  --username NAME   your public @username, by which people find you and
                    "haven send @NAME" reaches you (5-32 letters, digits
                    and _, starting with a letter); "" removes it
  --first NAME      your first name
  --last NAME       your last name ("" removes it)
  --bio TEXT        a few words about you ("" removes them)
  --json            print the profile as the API's User object
`

// Profile is "haven profile": it shows the signed-in person's profile,
// after changing what its flags give.
func Profile(ctx context.Context, args []string, env Env) int {
	c := newCommand("profile", profileHelp, env)
	asJSON := c.fs.Bool("json", false, "")
	var username, first, last, bio *string
	set := func(p **string) func(string) error {
		return func(v string) error { *p = &v; return nil }
	}
	c.fs.Func("username", "", set(&username))
	c.fs.Func("first", "", set(&first))
	c.fs.Func("last", "", set(&last))
	c.fs.Func("bio", "", set(&bio))
	if _, code, done := c.parseArgs(args, 0, ""); done {
		return code
	}
	dir, s, err := c.session()
	if err != nil {
		return c.fail(err)
	}
	cl := newClient(s.Server, s.Token)
	ctx, cancel := context.WithTimeout(ctx, 2*callTimeout)
	defer cancel()
	if first != nil || last != nil || bio != nil {
		if _, err := cl.UpdateProfile(ctx, client.ProfileParams{FirstName: first, LastName: last, Bio: bio}); err != nil {
			return c.fail(err)
		}
	}
	if username != nil {
		if _, err := cl.UpdateUsername(ctx, strings.TrimPrefix(*username, "@")); err != nil {
			return c.fail(err)
		}
	}
	me, err := cl.Me(ctx)
	if err != nil {
		return c.fail(err)
	}
	// The session names the person in haven's messages: keep it current.
	if name := msgtext.FullName(me); name != s.Name {
		s.Name = name
		if err := SaveSession(dir, s); err != nil {
			return c.fail(err)
		}
	}
	if *asJSON {
		return c.printJSON(me)
	}
	w := c.env.Stdout
	fmt.Fprintf(w, "Name:      %s\n", msgtext.FullName(me))
	if me.Username != "" {
		fmt.Fprintf(w, "Username:  @%s\n", me.Username)
	} else {
		fmt.Fprintf(w, "Username:  none (set one with haven profile --username NAME)\n")
	}
	fmt.Fprintf(w, "Id:        user:%d\n", me.ID)
	if me.Phone != "" {
		fmt.Fprintf(w, "Phone:     %s\n", me.Phone)
	}
	if me.Email != "" {
		fmt.Fprintf(w, "Email:     %s\n", me.Email)
	}
	if me.Bio != "" {
		fmt.Fprintf(w, "Bio:       %s\n", me.Bio)
	}
	return 0
}
