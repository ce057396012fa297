// Package cli is Haven's terminal commands for people and scripts:
// "haven login", "logout", "send", "history", "chats" and the start of
// "haven chat". Each command is a function that takes its arguments and
// an [Env] and returns the process's exit status: 0 on success,
// [ExitFailure] when the work failed, [ExitUsage] when the command line
// is wrong, [ExitInterrupted] when Ctrl-C stopped it.
//
// The signed-in session lives in one file of the config directory (see
// [ConfigDir], [LoadSession], [SaveSession], [RemoveSession]), which the
// full-screen app may read as well.
package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/havenchat/haven/client"
)

// Exit statuses of the commands.
const (
	// ExitFailure: the command was well formed but failed (no session,
	// the server refused, the server is unreachable...).
	ExitFailure = 1
	// ExitUsage: the command line is wrong (an unknown flag, a missing or
	// malformed argument).
	ExitUsage = 2
	// ExitInterrupted: the command was stopped by Ctrl-C or SIGTERM
	// (128 + SIGINT, as shells report it).
	ExitInterrupted = 130
)

// errInterrupted: a prompt was stopped by Ctrl-C.
var errInterrupted = errors.New("interrupted")

// callTimeout bounds each call to the server, so that a server that
// does not answer does not hang a script.
const callTimeout = 30 * time.Second

// Env is what a command reads and writes besides its arguments.
type Env struct {
	// Stdin is where "haven login" reads answers and "haven send" reads
	// a text given as "-". When it is a terminal (*os.File), passwords
	// are read without echo.
	Stdin io.Reader
	// Stdout receives the results; Stderr the prompts' companions:
	// errors and notices.
	Stdout, Stderr io.Writer
	// Getenv reads an environment variable (os.Getenv in haven).
	Getenv func(string) string
}

// usageError is a wrong command line: the command prints it with a
// pointer to --help and exits with ExitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// command is the frame every command shares: its name, help text and
// flags.
type command struct {
	name string // "send", as in "haven send"
	help string // the whole --help text
	fs   *flag.FlagSet
	env  Env
}

func newCommand(name, help string, env Env) *command {
	fs := flag.NewFlagSet("haven "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &command{name: name, help: help, fs: fs, env: inert(env)}
}

// parse parses args, allowing flags after the positional arguments
// ("haven send @bob hi --json"); "--" ends the flags. It returns the
// positional arguments, or done with the exit status when the command
// must stop (--help, or a usage error already reported).
func (c *command) parse(args []string) (pos []string, code int, done bool) {
	for {
		err := c.fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(c.env.Stdout, c.help)
			return nil, 0, true
		}
		if err != nil {
			return nil, c.usage(err), true
		}
		rest := c.fs.Args()
		// Parse stops after "--" (all the rest is positional) or at the
		// first positional argument (flags may follow it).
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), 0, false
		}
		if len(rest) == 0 {
			return pos, 0, false
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseArgs is parse for a command that takes exactly n positional
// arguments, what in words ("a chat and a text"): other counts are
// usage errors. With n = 0, any positional argument is unexpected.
func (c *command) parseArgs(args []string, n int, what string) (pos []string, code int, done bool) {
	pos, code, done = c.parse(args)
	switch {
	case done:
		return nil, code, true
	case n == 0 && len(pos) > 0:
		return nil, c.usage(fmt.Errorf("unexpected argument %q", pos[0])), true
	case len(pos) != n:
		return nil, c.usage(fmt.Errorf("want %s, got %d arguments", what, len(pos))), true
	}
	return pos, 0, false
}

// usage reports a usage error and returns ExitUsage.
func (c *command) usage(err error) int {
	fmt.Fprintf(c.env.Stderr, "haven %s: %v\nRun \"haven %s --help\" for usage.\n", c.name, err, c.name)
	return ExitUsage
}

// fail reports err and returns its exit status: ExitUsage for a
// usageError, ExitInterrupted when Ctrl-C stopped the work, ExitFailure
// otherwise.
func (c *command) fail(err error) int {
	var u *usageError
	if errors.As(err, &u) {
		return c.usage(err)
	}
	fmt.Fprintf(c.env.Stderr, "haven %s: %s\n", c.name, describe(err))
	if errors.Is(err, errInterrupted) || errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	return ExitFailure
}

// describe words an error for a person: the server's own message and
// code for an API error, a plain sentence for an unreachable server.
func describe(err error) string {
	var e *client.Error
	if errors.As(err, &e) {
		switch e.Code {
		case "AUTH_TOKEN_INVALID", "AUTH_REQUIRED":
			return "the session has ended on the server (" + e.Code + "): run haven logout, then haven login"
		case "FLOOD_WAIT", "SLOWMODE_WAIT":
			return fmt.Sprintf("%s (%s): try again in %d seconds", e.Message, e.Code, e.RetryAfter)
		}
		if e.Message == "" {
			return e.Code
		}
		return e.Message + " (" + e.Code + ")"
	}
	if errors.Is(err, context.Canceled) {
		return errInterrupted.Error()
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) && (errors.As(err, &ne) || errors.Is(err, io.EOF)) {
		return fmt.Sprintf("cannot reach the server at %s: %v", serverOf(ue.URL), ue.Err)
	}
	return err.Error()
}

// serverOf is the base of an API URL (http://host:port/api/method).
func serverOf(u string) string {
	if i := strings.Index(u, "/api/"); i >= 0 {
		return u[:i]
	}
	return u
}

// newClient returns an SDK client of server, acting as token (if any),
// whose calls time out.
func newClient(server, token string) *client.Client {
	opts := []client.Option{client.WithHTTPClient(&http.Client{Timeout: callTimeout})}
	if token != "" {
		opts = append(opts, client.WithToken(token))
	}
	return client.New(server, opts...)
}

// session loads the stored session; dir is the config directory that
// holds it.
func (c *command) session() (dir string, s *Session, err error) {
	dir, err = ConfigDir(c.env.Getenv)
	if err != nil {
		return "", nil, err
	}
	s, err = LoadSession(dir)
	if err != nil {
		return "", nil, err
	}
	return dir, s, nil
}

// signedIn loads the stored session and returns a client acting as it.
func (c *command) signedIn() (*client.Client, *Session, error) {
	_, s, err := c.session()
	if err != nil {
		return nil, nil, err
	}
	return newClient(s.Server, s.Token), s, nil
}

// signedInTo loads the stored session and finds the chat that a names,
// as the signed-in person: it returns a client acting as them and the
// chat.
func (c *command) signedInTo(ctx context.Context, a address) (*client.Client, target, error) {
	cl, s, err := c.signedIn()
	if err != nil {
		return nil, target{}, err
	}
	t, err := resolve(ctx, cl, s, a)
	if err != nil {
		return nil, target{}, err
	}
	return cl, t, nil
}

// checkServerURL checks a server URL given by a person: http or https,
// a host, nothing after the path.
func checkServerURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("server %q is not an http:// or https:// URL such as %s", raw, DefaultServer)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// lineReader reads answers line by line from stdin; reads can be
// interrupted by the context (Ctrl-C), and secrets are read without
// echo on a terminal.
type lineReader struct {
	r  *bufio.Reader
	fd int // the terminal's descriptor, or -1
}

func newLineReader(in io.Reader) *lineReader {
	lr := &lineReader{r: bufio.NewReader(in), fd: -1}
	if f, ok := in.(*os.File); ok && isTerminal(int(f.Fd())) {
		lr.fd = int(f.Fd())
	}
	return lr
}

// errNoInput is the end of stdin before an answer.
var errNoInput = errors.New("no answer: the input ended")

// line reads one line without its line ending.
func (lr *lineReader) line(ctx context.Context) (string, error) {
	type answer struct {
		s   string
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		s, err := lr.r.ReadString('\n')
		ch <- answer{s, err}
	}()
	select {
	case <-ctx.Done():
		return "", errInterrupted
	case a := <-ch:
		if a.err != nil && !(errors.Is(a.err, io.EOF) && a.s != "") {
			if errors.Is(a.err, io.EOF) {
				return "", errNoInput
			}
			return "", a.err
		}
		return strings.TrimRight(a.s, "\r\n"), nil
	}
}

// secret reads one line without showing it when stdin is a terminal.
func (lr *lineReader) secret(ctx context.Context, w io.Writer) (string, error) {
	if lr.fd < 0 {
		return lr.line(ctx)
	}
	restore, err := echoOff(lr.fd)
	if err != nil {
		return "", fmt.Errorf("cannot hide the password as it is typed: %w", err)
	}
	defer restore()
	s, err := lr.line(ctx)
	fmt.Fprintln(w) // the newline the person typed was not echoed
	return s, err
}
