package server_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/server"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
)

// tryServe runs server.New with args and returns its error; a server
// that starts is shut down at once.
func tryServe(t *testing.T, args ...string) error {
	t.Helper()
	cfg, err := config.LoadServe(append([]string{"--listen", "127.0.0.1:0"}, args...), nil, io.Discard)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	srv, err := server.New(context.Background(), cfg, server.Options{})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	return nil
}

// TestClusterKeysMustMatch: two nodes on one PostgreSQL database with
// different secret keys: the second refuses to start, with
// ErrKeyMismatch naming the key and its file, and leaves the first's
// record as it was (the first starts again).
func TestClusterKeysMustMatch(t *testing.T) {
	pg := pgtest.Get(t)
	db := pg.ConnString(pg.NewEmpty(t))
	shared := t.TempDir()
	a, b := filepath.Join(shared, "a.key"), filepath.Join(shared, "b.key")
	for path, fill := range map[string]string{a: "a", b: "b"} {
		if err := os.WriteFile(path, []byte(strings.Repeat(fill, 32)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	vapid := filepath.Join(shared, "vapid.key")
	first := startNode(t, "--db", db, "--secret-file", a, "--push-key-file", vapid)

	err := tryServe(t, "--data-dir", t.TempDir(), "--db", db, "--secret-file", b, "--push-key-file", vapid)
	if !errors.Is(err, server.ErrKeyMismatch) {
		t.Fatalf("a node with another secret key: %v, want ErrKeyMismatch", err)
	}
	for _, w := range []string{"secret.key", b, "--secret-file"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not name %q: %v", w, err)
		}
	}
	if strings.Contains(err.Error(), strings.Repeat("b", 32)) {
		t.Errorf("the error shows the key: %v", err)
	}
	// The refused node changed nothing: a node with the first's keys
	// starts, and the first goes on serving.
	if err := tryServe(t, "--data-dir", t.TempDir(), "--db", db, "--secret-file", a, "--push-key-file", vapid); err != nil {
		t.Fatalf("a node with the same keys: %v", err)
	}
	signUpHTTP(t, first, &phones{}, "Ann")
}

// TestSecretKeyReplacedRefused: on one data directory (SQLite, or its
// PostgreSQL database), a start with a replaced secret.key is refused:
// the codes and phone hashes made with the old key would never match.
func TestSecretKeyReplacedRefused(t *testing.T) {
	dir := t.TempDir()
	db := pgtest.ServeArgs(t)
	args := append([]string{"--data-dir", dir}, db...)
	if err := tryServe(t, args...); err != nil {
		t.Fatalf("first start: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.key"), []byte(strings.Repeat("n", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	err := tryServe(t, args...)
	if !errors.Is(err, server.ErrKeyMismatch) || !strings.Contains(err.Error(), filepath.Join(dir, "secret.key")) {
		t.Fatalf("start with a replaced secret.key: %v, want ErrKeyMismatch naming it", err)
	}
}
