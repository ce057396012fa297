package testserver_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// TestRestart stops a server and starts another on its address and
// data: the account and the session made on the first work on the
// second.
func TestRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := testserver.Start(t)
	c, ann := srv.SignUp(t, "ann@example.org", "Ann")
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := c.Me(ctx); err == nil {
		t.Fatal("Me answered with the server stopped")
	}

	again := testserver.StartWith(t, testserver.Options{Addr: srv.Addr, DataDir: srv.DataDir})
	if again.URL != srv.URL {
		t.Fatalf("restarted on %s, want %s", again.URL, srv.URL)
	}
	if me, err := c.Me(ctx); err != nil || me.ID != ann.ID {
		t.Fatalf("Me after the restart: %+v, %v; want user %d", me, err, ann.ID)
	}
	// Signing in again finds the account rather than making one.
	_, u, err := again.SignIn(ctx, "ann@example.org", "Someone else")
	if err != nil || u.ID != ann.ID || u.FirstName != "Ann" {
		t.Fatalf("SignIn of an existing account: %+v, %v; want user %d, Ann", u, err, ann.ID)
	}
}

// TestNew checks the server New starts without a testing.TB: it works,
// and Stop removes the data directory New made.
func TestNew(t *testing.T) {
	srv, err := testserver.New(testserver.Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer srv.Stop()
	c, u, err := srv.SignIn(context.Background(), "+447400123456", "Cy")
	if err != nil || u.FirstName != "Cy" || c.Token() == "" {
		t.Fatalf("SignIn: %+v, %v", u, err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := os.Stat(srv.DataDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("data dir %s after Stop: %v, want it removed", srv.DataDir, err)
	}
	if err := client.New(srv.URL).Call(context.Background(), "users.getMe", nil, nil); err == nil {
		t.Error("the server answered after Stop")
	}
}
