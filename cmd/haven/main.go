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
	"syscall"

	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/server"
)

const usage = `Haven: a self-hosted, privacy-first messenger.

Usage:
  haven serve [flags]   run the server (haven serve --help lists the flags)
  haven version         print the version
  haven help            show this help
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

func run(args, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], environ, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "haven", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "haven: unknown command %q\n\n%s", args[0], usage)
	return 2
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
