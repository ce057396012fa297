package cache_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/server"
)

// The example runs against a real server that TestMain starts in the
// test binary.
var (
	// serverURL is the address of the examples' server.
	serverURL string
	// examplesInbox holds the login codes the server sent.
	examplesInbox = &codeInbox{codes: make(map[string]string)}
)

func TestMain(m *testing.M) {
	stop, err := startExamplesServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the examples' server:", err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// codeInbox receives the login codes that the server posts to its
// webhook code sender.
type codeInbox struct {
	mu    sync.Mutex
	codes map[string]string // to → newest code
}

func (b *codeInbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m struct{ To, Code string }
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	b.codes[m.To] = m.Code
	b.mu.Unlock()
}

// startExamplesServer starts the examples' server and sets serverURL.
func startExamplesServer() (stop func(), err error) {
	hook := httptest.NewServer(examplesInbox)
	dir, err := os.MkdirTemp("", "haven-cache-examples-")
	if err != nil {
		hook.Close()
		return nil, err
	}
	cleanup := func() { hook.Close(); os.RemoveAll(dir) }
	args := []string{"--listen", "127.0.0.1:0", "--data-dir", dir, "--code-sender", "webhook=" + hook.URL,
		"--signin-code-per-ip", "100000", "--flood-rate", "1000", "--flood-burst", "1000"}
	cfg, err := config.LoadServe(args, nil, io.Discard)
	if err != nil {
		cleanup()
		return nil, err
	}
	ctx := context.Background()
	srv, err := server.New(ctx, cfg, server.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		cleanup()
		return nil, err
	}
	if err := srv.Start(ctx); err != nil {
		cleanup()
		return nil, err
	}
	serverURL = srv.URL()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		cleanup()
	}, nil
}

// signedInClient returns a client signed in as a new person (see the
// package client's Example), and that person. In a real program the
// person types the code they received.
func signedInClient(email, firstName string) (*client.Client, *client.User) {
	ctx := context.Background()
	c := client.New(serverURL)
	sent, err := c.SendCode(ctx, email, "Example")
	if err != nil {
		log.Fatal(err)
	}
	examplesInbox.mu.Lock()
	code := examplesInbox.codes[email]
	examplesInbox.mu.Unlock()
	auth, err := c.SignIn(ctx, sent.LoginToken, code)
	if err != nil {
		log.Fatal(err)
	}
	if auth.Status == client.StatusSignUpRequired {
		if auth, err = c.SignUp(ctx, sent.LoginToken, firstName, ""); err != nil {
			log.Fatal(err)
		}
	}
	return c, auth.User
}
