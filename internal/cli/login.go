package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/msgtext"
)

const loginHelp = `Usage: haven login [--server URL] [--invite CODE] [INVITE_LINK]

Signs in to a Haven server, or creates an account, and stores the
session for the other commands.

It asks, on the terminal or from standard input (one answer a line):
  - your phone number (international form, +447400123456) or email;
  - the 5-digit code the server sent there (asked again if wrong);
  - if there is no account yet: an invite code, when the server takes
    new people only by invitation (unless one was given), then your
    first and last name;
  - your password, if the account has two-step verification (not shown
    as you type it on a terminal).

An invite link (https://chat.example.org/join/hvi-…), given as the
argument, names both the server and the invite code.

The session is stored in session.json (mode 0600) in $HAVEN_CONFIG_DIR,
or else in "haven" in your config directory (~/.config/haven on Linux).
The token in it is a password to your account: keep the file to
yourself. Use a different HAVEN_CONFIG_DIR for each account to use
several.

Flags:
  --server URL    the server (default $HAVEN_SERVER, else ` + DefaultServer + `)
  --invite CODE   an invite code, for a server that needs one to sign up
`

// maxDeviceName is the longest device name auth.sendCode takes.
const maxDeviceName = 64

// Login is "haven login": it signs a person in interactively and stores
// the session.
func Login(ctx context.Context, args []string, env Env) int {
	c := newCommand("login", loginHelp, env)
	server := c.fs.String("server", "", "")
	invite := c.fs.String("invite", "", "")
	pos, code, done := c.parse(args)
	if done {
		return code
	}
	if len(pos) > 1 {
		return c.usage(fmt.Errorf("unexpected argument %q: the answers are asked for, not given on the command line", pos[1]))
	}
	raw := *server
	if len(pos) == 1 {
		linkServer, linkCode, err := parseInviteLink(pos[0])
		if err != nil {
			return c.usage(err)
		}
		if raw != "" {
			if s, err := checkServerURL(raw); err != nil || s != linkServer {
				return c.usage(fmt.Errorf("--server %s and the invite link's server %s differ: give one of them", raw, linkServer))
			}
		}
		if *invite != "" && *invite != linkCode {
			return c.usage(fmt.Errorf("--invite and the invite link give two codes: give one of them"))
		}
		raw, *invite = linkServer, linkCode
	}
	if raw == "" {
		raw = env.Getenv(EnvServer)
	}
	if raw == "" {
		raw = DefaultServer
	}
	base, err := checkServerURL(raw)
	if err != nil {
		return c.usage(err)
	}
	dir, err := ConfigDir(env.Getenv)
	if err != nil {
		return c.fail(err)
	}
	if s, err := LoadSession(dir); err == nil {
		return c.fail(fmt.Errorf("already signed in as %s on %s: run haven logout first (or set %s to another directory for a second account)", s.Name, s.Server, EnvConfigDir))
	}
	l := &login{cmd: c, in: newLineReader(env.Stdin), cl: newClient(base, ""), invite: inviteCodeOf(*invite)}
	auth, err := l.run(ctx)
	if err != nil {
		return c.fail(err)
	}
	s := &Session{Server: base, Token: auth.Token, UserID: auth.User.ID, Name: msgtext.FullName(auth.User)}
	if err := SaveSession(dir, s); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.env.Stdout, "Signed in as %s (user:%d) on %s.\nThe session is in %s.\n", s.Name, s.UserID, base, SessionPath(dir))
	return 0
}

// login is one interactive sign-in.
type login struct {
	cmd    *command
	in     *lineReader
	cl     *client.Client
	invite string // the invite code given, if any
}

// inviteMarker starts the path of an invite link, after the server's
// address (and any path prefix it is served under).
const inviteMarker = "/join/"

// parseInviteLink splits an invite link into the server's address and
// the code: "https://chat.example.org/join/hvi-…" is the server
// https://chat.example.org and the code hvi-…. A link to a chat (whose
// code is no sign-up code) is refused with what to do with it.
func parseInviteLink(link string) (server, code string, err error) {
	i := strings.LastIndex(link, inviteMarker)
	if i < 0 || !strings.Contains(link, "://") {
		return "", "", usagef("%q is not an invite link such as https://chat.example.org/join/hvi-abcd-efgh-ijkl-mnop", link)
	}
	server, err = checkServerURL(link[:i])
	if err != nil {
		return "", "", usagef("%q is not an invite link: %v", link, err)
	}
	code = strings.TrimRight(link[i+len(inviteMarker):], "/")
	if !isSignupCode(code) {
		return "", "", usagef("%q leads to a chat, not to an account: sign in with haven login --server %s, then open haven chat, press Ctrl+L and paste the link", link, server)
	}
	return server, code, nil
}

// isSignupCode tells a sign-up invite code (hvi-…) from a chat invite's
// hash by its prefix; the server checks the rest.
func isSignupCode(code string) bool {
	return len(code) > 3 && strings.EqualFold(code[:3], "hvi")
}

// inviteCodeOf is the code in an answer that may be a code or a whole
// invite link.
func inviteCodeOf(answer string) string {
	answer = strings.TrimSpace(answer)
	if i := strings.LastIndex(answer, inviteMarker); i >= 0 {
		return strings.TrimRight(answer[i+len(inviteMarker):], "/")
	}
	return answer
}

// ask prints prompt on stderr (so that stdout keeps only the result)
// and reads a non-empty answer, asking again after an empty one.
func (l *login) ask(ctx context.Context, prompt string, secret, optional bool) (string, error) {
	for {
		fmt.Fprint(l.cmd.env.Stderr, prompt)
		var s string
		var err error
		if secret {
			s, err = l.in.secret(ctx, l.cmd.env.Stderr)
		} else {
			s, err = l.in.line(ctx)
		}
		if err != nil {
			return "", err
		}
		if !secret {
			s = strings.TrimSpace(s)
		}
		if s != "" || optional {
			return s, nil
		}
	}
}

func (l *login) note(format string, a ...any) {
	fmt.Fprintf(l.cmd.env.Stderr, format+"\n", a...)
}

func (l *login) run(ctx context.Context) (*client.Authorization, error) {
	sent, who, err := l.sendCode(ctx)
	if err != nil {
		return nil, err
	}
	l.note("%s", msgtext.CodeSent(sent, who))
	auth, err := l.signIn(ctx, sent.LoginToken)
	if errors.Is(err, client.ErrSignupClosed) {
		return nil, fmt.Errorf("there is no account for %s on this server, and it makes none by sign-up: ask its operator to make one for you (haven admin user create)", who)
	}
	if err != nil {
		return nil, err
	}
	switch auth.Status {
	case client.StatusSignUpRequired:
		auth, err = l.signUp(ctx, sent.LoginToken, who, auth.InviteRequired)
	case client.StatusPasswordRequired:
		auth, err = l.checkPassword(ctx, sent.LoginToken, auth.PasswordHint)
	}
	if err != nil {
		return nil, err
	}
	if auth.Status != client.StatusAuthorized || auth.Token == "" || auth.User == nil {
		return nil, fmt.Errorf("the server answered %q instead of signing in", auth.Status)
	}
	return auth, nil
}

// sendCode asks for the phone number or email until the server takes it.
func (l *login) sendCode(ctx context.Context) (*client.SentCode, string, error) {
	device := deviceName()
	for {
		who, err := l.ask(ctx, "Phone number or email: ", false, false)
		if err != nil {
			return nil, "", err
		}
		sent, err := l.cl.SendCode(ctx, who, device)
		if client.IsCode(err, "PHONE_INVALID") || client.IsCode(err, "EMAIL_INVALID") {
			l.note("%s: write a phone number in international form (+447400123456) or an email address.", describe(err))
			continue
		}
		if err != nil {
			return nil, "", err
		}
		return sent, who, nil
	}
}

// signIn asks for the code until it is right or the attempt ends.
func (l *login) signIn(ctx context.Context, loginToken string) (*client.Authorization, error) {
	for {
		code, err := l.ask(ctx, "Code: ", false, false)
		if err != nil {
			return nil, err
		}
		auth, err := l.cl.SignIn(ctx, loginToken, code)
		if client.IsCode(err, "CODE_INVALID") {
			l.note("Wrong code: %s", describe(err))
			continue
		}
		if err != nil {
			return nil, restart(err)
		}
		return auth, nil
	}
}

// signUp asks a new person's invite code, when the server needs one,
// and name, and makes the account.
func (l *login) signUp(ctx context.Context, loginToken, who string, inviteRequired bool) (*client.Authorization, error) {
	l.note("There is no account for %s yet: making one.", who)
	code := ""
	if inviteRequired {
		code = l.invite
		if code == "" {
			l.note("This server takes new people by invitation: ask someone on it for an invite code.")
		}
	}
	var first, last string
	for {
		var err error
		if inviteRequired && code == "" {
			answer, err := l.ask(ctx, "Invite code (or invite link): ", false, false)
			if err != nil {
				return nil, err
			}
			code = inviteCodeOf(answer)
		}
		if first == "" {
			if first, err = l.ask(ctx, "First name: ", false, false); err != nil {
				return nil, err
			}
			if last, err = l.ask(ctx, "Last name (optional): ", false, true); err != nil {
				return nil, err
			}
		}
		auth, err := l.cl.SignUpWithInvite(ctx, loginToken, first, last, code)
		switch {
		case client.IsCode(err, "FIRST_NAME_INVALID") || client.IsCode(err, "LAST_NAME_INVALID"):
			l.note("%s", describe(err))
			first = ""
			continue
		case errors.Is(err, client.ErrInviteCodeRequired), errors.Is(err, client.ErrInviteCodeInvalid),
			errors.Is(err, client.ErrInviteCodeExpired), errors.Is(err, client.ErrInviteCodeUsedUp):
			l.note("That invite code does not let you in: %s. Try another.", describe(err))
			inviteRequired, code = true, ""
			continue
		case errors.Is(err, client.ErrSignupClosed):
			return nil, fmt.Errorf("this server stopped making accounts by sign-up: ask its operator to make one for you")
		case err != nil:
			return nil, restart(err)
		}
		return auth, nil
	}
}

// checkPassword asks for the cloud password until it is right or the
// attempt ends.
func (l *login) checkPassword(ctx context.Context, loginToken, hint string) (*client.Authorization, error) {
	l.note("This account has two-step verification.")
	if hint != "" {
		l.note("Password hint: %s", hint)
	}
	l.note("Forgot it? Press Enter on an empty password for a recovery code by email.")
	for {
		pw, err := l.ask(ctx, "Password: ", true, true)
		if err != nil {
			return nil, err
		}
		if pw == "" {
			auth, err := l.recover(ctx, loginToken)
			if errors.Is(err, errNoRecovery) {
				continue
			}
			return auth, err
		}
		auth, err := l.cl.CheckPassword(ctx, loginToken, pw)
		if client.IsCode(err, "PASSWORD_INVALID") {
			l.note("Wrong password: %s", describe(err))
			continue
		}
		if err != nil {
			return nil, restart(err)
		}
		return auth, nil
	}
}

// errNoRecovery: the account cannot recover its password by email.
var errNoRecovery = errors.New("no recovery email")

// recover signs in with a code sent to the account's recovery email,
// which removes the password.
func (l *login) recover(ctx context.Context, loginToken string) (*client.Authorization, error) {
	rs, err := l.cl.RequestPasswordRecovery(ctx, loginToken)
	if client.IsCode(err, "PASSWORD_RECOVERY_UNAVAILABLE") {
		l.note("This account has no confirmed recovery email: only its password signs it in.")
		return nil, errNoRecovery
	}
	if err != nil {
		return nil, restart(err)
	}
	l.note("A recovery code was sent to %s. Signing in with it removes the password.", rs.EmailPattern)
	for {
		code, err := l.ask(ctx, "Recovery code: ", false, false)
		if err != nil {
			return nil, err
		}
		auth, err := l.cl.RecoverPassword(ctx, loginToken, code)
		if client.IsCode(err, "CODE_INVALID") {
			l.note("Wrong code: %s", describe(err))
			continue
		}
		if err != nil {
			return nil, restart(err)
		}
		l.note("The password is removed: set a new one from a signed-in device.")
		return auth, nil
	}
}

// restart words the errors that end a sign-in attempt.
func restart(err error) error {
	for _, code := range []string{"CODE_ATTEMPTS_EXCEEDED", "CODE_EXPIRED", "LOGIN_TOKEN_INVALID", "LOGIN_STEP_INVALID"} {
		if client.IsCode(err, code) {
			return fmt.Errorf("%s: run haven login again", describe(err))
		}
	}
	return err
}

// deviceName names this sign-in in the person's list of sessions.
func deviceName() string {
	name := "haven terminal"
	if h, err := os.Hostname(); err == nil && h != "" {
		name += " on " + h
	}
	for len(name) > 0 && utf8.RuneCountInString(name) > maxDeviceName {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}
