// Command haven is Haven in one binary. "haven serve" runs the server;
// with no flags it listens on 127.0.0.1:8080 and keeps its data in
// ./haven-data, with nothing else to install.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	// Named so: the tests of this package have a variable called client.
	havenclient "github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/admin"
	"github.com/havenchat/haven/internal/bench"
	"github.com/havenchat/haven/internal/cli"
	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/server"
	"github.com/havenchat/haven/internal/tui"
)

const usage = `Haven: a self-hosted, privacy-first messenger.

Usage:
  haven serve [flags]   run the server (haven serve --help lists the flags)
  haven admin COMMAND   the operator's commands: sign-up invites, accounts,
                        backup and restore, the move to PostgreSQL
                        (haven admin --help)
  haven bench SCENARIO  measure a server over real sockets (haven bench --help)
  haven login           sign in to a server (or make an account) and keep the session
  haven logout          end the session and forget it
  haven chat            open the full-screen app
  haven chats           list your chats
  haven send CHAT TEXT  send a message (CHAT: @username, user:ID, chat:ID or me)
  haven history CHAT    print a chat's latest messages
  haven profile         show or change your name, @username and bio
  haven version         print the version
  haven help            show this help

"haven COMMAND --help" tells more about each command. The session is kept
in $HAVEN_CONFIG_DIR, or else in "haven" in your config directory.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr))
}

// terminalCommands are the commands of people and scripts (internal/cli).
var terminalCommands = map[string]func(context.Context, []string, cli.Env) int{
	"login":   cli.Login,
	"logout":  cli.Logout,
	"send":    cli.Send,
	"history": cli.History,
	"chats":   cli.Chats,
	"profile": cli.Profile,
	"chat": func(ctx context.Context, args []string, env cli.Env) int {
		return cli.Chat(ctx, args, env, func(ctx context.Context, c *havenclient.Client, me *havenclient.User, cachePath string) error {
			secretPath := cli.SecretPath(filepath.Dir(cachePath), me.ID)
			return tui.Run(ctx, c, tui.Options{In: os.Stdin, Out: os.Stdout, Me: me, CachePath: cachePath, SecretPath: secretPath})
		})
	},
}

func run(args, environ []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], withoutClientEnv(environ), stdout, stderr)
	case "admin":
		// What admin writes (backups, a restored data directory) holds
		// secrets: for the operator's user alone, as serve's files.
		restrictFileModes()
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return admin.Main(ctx, args[1:], withoutClientEnv(environ), stdout, stderr)
	case "bench":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintf(stderr, "haven bench: %v\n", err)
			return 1
		}
		return bench.Main(ctx, args[1:], self, stdout, stderr, stderr == io.Writer(os.Stderr) && bench.IsTerminal(os.Stderr))
	case "version", "--version":
		fmt.Fprintln(stdout, "haven", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	if cmd, ok := terminalCommands[args[0]]; ok {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return cmd(ctx, args[1:], cli.Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: getenv(environ)})
	}
	fmt.Fprintf(stderr, "haven: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// getenv looks a variable up in environ ("KEY=value" entries; the last
// one wins, as with os.Getenv).
func getenv(environ []string) func(string) string {
	return func(key string) string {
		v := ""
		for _, kv := range environ {
			if k, val, ok := strings.Cut(kv, "="); ok && k == key {
				v = val
			}
		}
		return v
	}
}

// withoutClientEnv drops the variables of the terminal commands
// (HAVEN_SERVER, HAVEN_CONFIG_DIR) from environ: "haven serve" rejects
// HAVEN_* variables it does not know, and a person who set them for
// haven login may run a server from the same shell.
func withoutClientEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(cli.EnvNames(), k) {
			out = append(out, kv)
		}
	}
	return out
}

func serve(args, environ []string, stdout, stderr io.Writer) int {
	// LoadServe writes usage only when asked for it (--help), so it goes
	// to stdout like "haven help"; errors go to stderr below.
	cfg, err := config.LoadServe(args, environ, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "haven serve: %v\n", err)
		return 2
	}
	// Every file Haven makes (the database and its journals, keys,
	// certificates) is for its own user alone, even in a data directory
	// others can enter.
	restrictFileModes()
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg, server.Options{Log: log})
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	if err := srv.Start(ctx); err != nil {
		log.Error("cannot listen", "err", err)
		return 1
	}
	<-ctx.Done()
	stop() // a second signal kills at once
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

func newLogger(cfg *config.Serve, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
