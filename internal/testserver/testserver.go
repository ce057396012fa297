// Package testserver starts a real Haven server inside a test, with the
// sign-in codes it sends caught by a webhook, and signs people up
// through the SDK. Tests of the clients (the terminal app, the command
// line) use it.
package testserver

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/server"
)

// Server is a running server and the codes it has sent.
type Server struct {
	URL string

	mu    sync.Mutex
	codes map[string]string // to → newest code
}

// Start starts a server on a free loopback port with its data in a
// temporary directory, stopped when the test ends. Rate limits are
// raised so that tests are not slowed by them.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{codes: make(map[string]string)}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ To, Code string }
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.codes[m.To] = m.Code
		s.mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	args := []string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--code-sender", "webhook=" + hook.URL,
		"--signin-code-per-ip", "100000", "--signin-code-per-identifier", "1000", "--flood-rate", "1000", "--flood-burst", "1000"}
	cfg, err := config.LoadServe(args, nil, io.Discard)
	if err != nil {
		t.Fatalf("testserver: config: %v", err)
	}
	ctx := context.Background()
	srv, err := server.New(ctx, cfg, server.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatalf("testserver: start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("testserver: shutdown: %v", err)
		}
	})
	s.URL = srv.URL()
	return s
}

// Code returns the newest code sent to (a normalised phone number or an
// email), waiting up to 5 seconds for it.
func (s *Server) Code(t testing.TB, to string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		c := s.codes[to]
		s.mu.Unlock()
		if c != "" {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("testserver: no code was sent to %s", to)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// SignUp makes a new account for email named first, and returns a
// client signed in as it.
func (s *Server) SignUp(t testing.TB, email, first string) (*client.Client, *client.User) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := client.New(s.URL)
	sent, err := c.SendCode(ctx, email, "test")
	if err != nil {
		t.Fatalf("SendCode: %v", err)
	}
	auth, err := c.SignIn(ctx, sent.LoginToken, s.Code(t, email))
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if auth.Status == client.StatusSignUpRequired {
		if auth, err = c.SignUp(ctx, sent.LoginToken, first, ""); err != nil {
			t.Fatalf("SignUp: %v", err)
		}
	}
	if auth.Status != client.StatusAuthorized || auth.User == nil {
		t.Fatalf("sign-up of %s ended with %+v", email, auth)
	}
	return c, auth.User
}
