// Package admin is the operator's command, "haven admin": sign-up
// invites, accounts made by hand, backups and restores, and the move
// of an installation from SQLite to PostgreSQL (migrate.go). It works on the
// data directory of a server, while that server runs or not: SQLite in
// WAL mode lets another process read and write beside the server, and
// every write waits for the server's transactions (the busy timeout)
// rather than fail.
//
// Its settings are those of "haven serve" (internal/config): the same
// TOML file (--config or HAVEN_CONFIG), HAVEN_* variables and defaults,
// and the flags --config, --data-dir, --secret-file and --public-url. So
// "haven admin" given what "haven serve" was given acts on the same
// data, and prints links on the same address.
package admin

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/password"
	"github.com/havenchat/haven/internal/store/sqlite"
)

// Exit statuses.
const (
	exitFailure = 1
	exitUsage   = 2
)

const usage = `Usage: haven admin COMMAND [flags] [arguments]

The operator's commands. They act on the data directory of a server,
which may be running.

Commands:
  invite create [--uses N] [--expires D]
                          make a sign-up invite: its code and link are
                          shown this once (D: 12h, 7d, or 0 for never)
  invite list             list the sign-up invites, the members' too
  invite revoke ID|CODE   make an invite stop working
  user create PHONE_OR_EMAIL FIRST_NAME [LAST_NAME]
                          make an account (on a server whose sign-up is
                          closed, the only way); its owner signs in with
                          haven login
  backup DIR              copy the database, uploaded files and keys into
                          DIR (new or empty), consistently, while the
                          server runs
  restore DIR             put a backup into the data directory, which must
                          be new or empty; then start the server on it
  migrate --to URL [--from DIR] [--live]
                          copy the installation in DIR (default: the
                          data directory) to the PostgreSQL database URL,
                          verify every table and keep ids going on after
                          the copied ones; stop the server first (--live
                          copies a snapshot of a running one). Safe to
                          run again: an interrupted run changes nothing

Flags of every command (as for haven serve, whose TOML file and HAVEN_*
variables apply too; give the same as the server was given):
  --config FILE       the server's TOML file of settings
  --data-dir DIR      the server's data directory (default ./haven-data)
  --secret-file FILE  the server's secret key (default <data-dir>/secret.key)
  --public-url URL    the server's public address, for links
`

// Main runs "haven admin" with args (after "admin") and returns the
// exit status. environ is the process's environment ("KEY=value").
func Main(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	name := args[0]
	rest := args[1:]
	if name == "invite" || name == "user" {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			fmt.Fprintf(stderr, "haven admin %s: which? (see haven admin --help)\n", name)
			return exitUsage
		}
		name += " " + rest[0]
		rest = rest[1:]
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "haven admin: unknown command %q\n\n%s", name, usage)
		return exitUsage
	}
	r := &run{name: name, environ: environ, stdout: stdout, stderr: stderr}
	r.fs = flag.NewFlagSet("haven admin "+name, flag.ContinueOnError)
	r.fs.SetOutput(io.Discard)
	for _, f := range []string{"config", "data-dir", "secret-file", "public-url"} {
		r.fs.Func(f, "", func(v string) error {
			r.serveArgs = append(r.serveArgs, "--"+f+"="+v)
			return nil
		})
	}
	return cmd(ctx, r, rest)
}

// commands are the subcommands by name.
var commands = map[string]func(context.Context, *run, []string) int{
	"invite create": inviteCreate,
	"invite list":   inviteList,
	"invite revoke": inviteRevoke,
	"user create":   userCreate,
	"backup":        backupCmd,
	"restore":       restoreCmd,
	"migrate":       migrateCmd,
}

// run is one command being run: its flags and output.
type run struct {
	name           string
	fs             *flag.FlagSet
	serveArgs      []string // the flags that are haven serve's, to load its settings
	environ        []string
	stdout, stderr io.Writer
}

// parse parses args, flags anywhere among the arguments, and checks that
// there are between least and most arguments. done is set with the exit
// status when the command must stop.
func (r *run) parse(args []string, least, most int, what string) (pos []string, code int, done bool) {
	for {
		err := r.fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(r.stdout, usage)
			return nil, 0, true
		}
		if err != nil {
			return nil, r.usage(err), true
		}
		rest := r.fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) < least || len(pos) > most {
		return nil, r.usage(fmt.Errorf("want %s", what)), true
	}
	return pos, 0, false
}

// usage reports a wrong command line.
func (r *run) usage(err error) int {
	fmt.Fprintf(r.stderr, "haven admin %s: %v\nRun \"haven admin --help\" for usage.\n", r.name, err)
	return exitUsage
}

// fail reports err.
func (r *run) fail(err error) int {
	fmt.Fprintf(r.stderr, "haven admin %s: %v\n", r.name, err)
	return exitFailure
}

// settings loads the settings of haven serve as the command was given
// them.
func (r *run) settings() (*config.Serve, error) {
	cfg, err := config.LoadServe(r.serveArgs, r.environ, io.Discard)
	if err != nil {
		return nil, fmt.Errorf("the server's settings: %w", err)
	}
	return cfg, nil
}

// service opens the server's store beside the server and returns the use
// cases on it, and a function that closes them.
func (r *run) service(ctx context.Context, cfg *config.Serve) (*core.Service, func(), error) {
	dbPath := filepath.Join(cfg.DataDir, dbFile)
	if _, err := os.Stat(dbPath); err != nil {
		return nil, nil, fmt.Errorf("no Haven database in %s (%v): give the server's --data-dir or --config", cfg.DataDir, err)
	}
	secret, err := os.ReadFile(cfg.SecretFile)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the server's secret key: %w (give the server's --secret-file or --config)", err)
	}
	st, err := sqlite.OpenExisting(ctx, dbPath, nil)
	if err != nil {
		return nil, nil, err
	}
	svc, err := core.New(core.Config{
		Store:     st,
		Codes:     noCodes{},
		Passwords: password.NewHasher(password.DefaultParams, 0),
		Log:       slog.New(slog.DiscardHandler),
		Secret:    secret,
		PublicURL: cfg.PublicBase(cfg.Listen),
		Signup: core.SignupPolicy{
			Mode:            core.SignupMode(cfg.Signup),
			PhonePrefixes:   cfg.SignupPhonePrefixes,
			EmailDomains:    cfg.SignupEmailDomains,
			MemberInvites:   cfg.SignupMemberInvites,
			MemberInviteTTL: cfg.SignupMemberInviteTTL,
		},
	})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, func() { st.Close() }, nil
}

// dbFile is the database's name in the data directory and in a backup.
const dbFile = "haven.db"

// noCodes is the code sender of the admin commands, which send none.
type noCodes struct{}

func (noCodes) SendCode(context.Context, string, string, string) error {
	return errors.New("haven admin sends no codes")
}

// describe words an error of the use cases for the operator.
func describe(err error) string {
	var he *haven.Error
	if errors.As(err, &he) {
		return he.Message + " (" + he.Code + ")"
	}
	return err.Error()
}
