// Package testserver starts a real Haven server inside a test, with the
// sign-in codes it sends caught by a webhook, and signs people up
// through the SDK. Tests of the clients (the SDK, its cache, the
// terminal app, the command line) and runnable examples use it.
//
// [Start] and [StartWith] are for tests: they fail the test on error and
// stop the server when it ends. [New] is the same without a
// testing.TB, for TestMain and for goroutines other than the test's.
//
// With HAVEN_TEST_STORE=postgres, each data directory's server keeps its
// data in a fresh PostgreSQL database instead (see package pgtest), whose
// URL the directory remembers (dbFile), so that a server started again on
// the directory finds the data of the first.
package testserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/server"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
)

// Options choose where a server listens and keeps its data. The zero
// value is a free loopback port and a new temporary directory.
type Options struct {
	// Addr is the address to listen on, such as "127.0.0.1:8080"; empty
	// means a free loopback port. A fixed address may have been freed a
	// moment ago (by a stopped server, to restart on it): the server
	// retries binding it for up to 5 seconds.
	Addr string
	// DataDir is the server's data directory; empty means a new
	// temporary one. Another server started later on the same DataDir
	// finds the data of the first.
	DataDir string
	// Args are more settings of haven serve, as flags (such as
	// "--signup", "invite"), after the test server's own.
	Args []string
}

// Server is a running server and the codes it has sent.
type Server struct {
	// URL is the server's base URL, such as "http://127.0.0.1:41234".
	URL string
	// Addr is the address the server listens on: pass it as
	// Options.Addr to start another server in its place.
	Addr string
	// DataDir is the server's data directory: pass it as
	// Options.DataDir to start another server on the same data.
	DataDir string

	srv     *server.Server
	args    []string // Options.Args
	hook    *httptest.Server
	tempDir string       // removed on Stop: the DataDir New made, if any
	db      string       // the PostgreSQL database's URL, with HAVEN_TEST_STORE=postgres
	dropDB  func() error // drops it on Stop, when New made it

	mu    sync.Mutex
	codes map[string]string // to → newest code

	stopOnce sync.Once
	stopErr  error
}

// Start starts a server on a free loopback port with its data in a
// temporary directory, stopped when the test ends. Rate limits are
// raised so that tests are not slowed by them. It is StartWith with the
// zero Options.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith starts a server as opts say, failing the test if it cannot,
// and stops it when the test ends (unless Stop stopped it before). An
// empty opts.DataDir is a directory of t.TempDir. It must be called from
// the test's goroutine; elsewhere, use New.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if pgtest.OnPostgres() {
		if _, err := os.Stat(filepath.Join(opts.DataDir, dbFile)); errors.Is(err, fs.ErrNotExist) {
			// The database lives as long as the test.
			srv := pgtest.Get(t)
			if err := os.WriteFile(filepath.Join(opts.DataDir, dbFile), []byte(srv.ConnString(srv.NewEmpty(t))), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// New starts a server as opts say, with the same settings as Start,
// and returns it running; the caller stops it with Stop. It is for code
// without a testing.TB (TestMain, runnable examples) or outside the
// test's goroutine.
func New(opts Options) (*Server, error) {
	s := &Server{Addr: opts.Addr, DataDir: opts.DataDir, args: opts.Args, codes: make(map[string]string)}
	if s.Addr == "" {
		s.Addr = "127.0.0.1:0"
	}
	if s.DataDir == "" {
		dir, err := os.MkdirTemp("", "haven-testserver-")
		if err != nil {
			return nil, fmt.Errorf("testserver: %w", err)
		}
		s.DataDir, s.tempDir = dir, dir
	}
	if err := s.useDB(); err != nil {
		if s.tempDir != "" {
			os.RemoveAll(s.tempDir)
		}
		return nil, err
	}
	s.hook = httptest.NewServer(http.HandlerFunc(s.receiveCode))
	if err := s.start(opts.Addr != ""); err != nil {
		s.dropOwnDB()
		s.hook.Close()
		if s.tempDir != "" {
			os.RemoveAll(s.tempDir)
		}
		return nil, err
	}
	s.URL, s.Addr = s.srv.URL(), s.srv.Addr()
	return s, nil
}

// dbFile, in a data directory, holds the URL of the PostgreSQL database
// of its servers, with HAVEN_TEST_STORE=postgres.
const dbFile = "testserver-postgres-url"

// useDB points the server at the data directory's PostgreSQL database
// with HAVEN_TEST_STORE=postgres, creating one (dropped by Stop) if the
// directory has none yet.
func (s *Server) useDB() error {
	if !pgtest.OnPostgres() {
		return nil
	}
	path := filepath.Join(s.DataDir, dbFile)
	b, err := os.ReadFile(path)
	if err == nil {
		s.db = string(b)
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("testserver: %w", err)
	}
	srv, err := pgtest.Connect()
	if err != nil {
		return fmt.Errorf("testserver: %s=postgres: %w", pgtest.EnvStore, err)
	}
	name, drop, err := srv.CreateEmpty()
	if err != nil {
		return fmt.Errorf("testserver: %w", err)
	}
	s.db, s.dropDB = srv.ConnString(name), drop
	if err := os.WriteFile(path, []byte(s.db), 0o600); err != nil {
		s.dropOwnDB()
		return fmt.Errorf("testserver: %w", err)
	}
	return nil
}

// dropOwnDB drops the database useDB created, if it did.
func (s *Server) dropOwnDB() error {
	if s.dropDB == nil {
		return nil
	}
	err := s.dropDB()
	s.dropDB = nil
	return err
}

// Main is the TestMain of a package whose tests or runnable examples
// share one server (examples have no testing.T to start their own): it
// starts the server with New, stores it in *srv, runs the tests, stops
// the server and exits with the tests' status. It exits with status 1
// when the server cannot start.
func Main(m *testing.M, srv **Server) {
	s, err := New(Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the test server:", err)
		os.Exit(1)
	}
	*srv = s
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// start makes and starts the server, retrying to bind a fixed address
// (retry) that may linger after its last user closed it.
func (s *Server) start(retry bool) error {
	args := []string{"--listen", s.Addr, "--data-dir", s.DataDir, "--code-sender", "webhook=" + s.hook.URL,
		"--signin-code-per-ip", "100000", "--signin-code-per-identifier", "1000", "--flood-rate", "1000", "--flood-burst", "1000"}
	if s.db != "" {
		args = append(args, "--db", s.db)
	}
	cfg, err := config.LoadServe(append(args, s.args...), nil, io.Discard)
	if err != nil {
		return fmt.Errorf("testserver: config: %w", err)
	}
	ctx := context.Background()
	// New binds the address first, and fails before touching the data
	// directory while it is taken.
	var srv *server.Server
	deadline := time.Now().Add(5 * time.Second)
	for {
		srv, err = server.New(ctx, cfg, server.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err == nil || !retry || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("testserver: %w", err)
	}
	if err = srv.Start(ctx); err != nil {
		// The store is open: close it, so that the data dir is free.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return errors.Join(fmt.Errorf("testserver: start: %w", err), srv.Shutdown(ctx))
	}
	s.srv = srv
	return nil
}

// InviteCode makes a sign-up invite as the operator would (haven admin
// invite create), letting uses people in (0: any number), and returns
// its code.
func (s *Server) InviteCode(t testing.TB, uses int) string {
	t.Helper()
	inv, err := s.srv.Core().AdminCreateInvite(context.Background(), uses, 0)
	if err != nil {
		t.Fatal(err)
	}
	return inv.Code
}

// RevokeInvite makes a sign-up invite stop working, as the operator
// would (haven admin invite revoke); ref is its code or its id.
func (s *Server) RevokeInvite(t testing.TB, ref string) {
	t.Helper()
	if err := s.srv.Core().AdminRevokeInvite(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
}

// receiveCode is the webhook code sender's endpoint: it keeps the
// newest code sent to each recipient.
func (s *Server) receiveCode(w http.ResponseWriter, r *http.Request) {
	var m struct{ To, Code string }
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.codes[m.To] = m.Code
	s.mu.Unlock()
}

// Stop shuts the server down (within 10 seconds), closes its webhook
// and removes the data directory if New made it. Stopping a stopped
// server does nothing and returns the first Stop's error.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.stopErr = fmt.Errorf("testserver: shutdown: %w", err)
		}
		s.hook.Close()
		if err := s.dropOwnDB(); err != nil && s.stopErr == nil {
			s.stopErr = fmt.Errorf("testserver: %w", err)
		}
		if s.tempDir != "" {
			os.RemoveAll(s.tempDir)
		}
	})
	return s.stopErr
}

// Code returns the newest code sent to (a normalised phone number or an
// email), waiting up to 5 seconds for it.
func (s *Server) Code(t testing.TB, to string) string {
	t.Helper()
	code, err := s.CodeSentTo(to)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// CodeSentTo is Code without a testing.TB: it returns an error when no
// code was sent to within 5 seconds.
func (s *Server) CodeSentTo(to string) (string, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		c := s.codes[to]
		s.mu.Unlock()
		if c != "" {
			return c, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("testserver: no code was sent to %s", to)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// SignUp makes a new account for email named first, and returns a
// client signed in as it. It is SignIn within 20 seconds, failing the
// test on error.
func (s *Server) SignUp(t testing.TB, email, first string) (*client.Client, *client.User) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, u, err := s.SignIn(ctx, email, first)
	if err != nil {
		t.Fatal(err)
	}
	return c, u
}

// SignIn signs in as email through the SDK, with the code the server
// sent, and signs up as first when email has no account yet. It returns
// the signed-in client and its person.
func (s *Server) SignIn(ctx context.Context, email, first string) (*client.Client, *client.User, error) {
	c := client.New(s.URL)
	sent, err := c.SendCode(ctx, email, "test")
	if err != nil {
		return nil, nil, fmt.Errorf("SendCode: %w", err)
	}
	code, err := s.CodeSentTo(email)
	if err != nil {
		return nil, nil, err
	}
	auth, err := c.SignIn(ctx, sent.LoginToken, code)
	if err != nil {
		return nil, nil, fmt.Errorf("SignIn: %w", err)
	}
	if auth.Status == client.StatusSignUpRequired {
		if auth, err = c.SignUp(ctx, sent.LoginToken, first, ""); err != nil {
			return nil, nil, fmt.Errorf("SignUp: %w", err)
		}
	}
	if auth.Status != client.StatusAuthorized || auth.User == nil {
		return nil, nil, fmt.Errorf("sign-up of %s ended with %+v", email, auth)
	}
	return c, auth.User, nil
}

// Befriend makes each of a and b the other's contact, as two people who
// have each other's numbers or addresses do when both import them: a
// imports b's (which finds nobody yet: by default only the people one
// has in one's contacts find one, and that lets b find a), b imports
// a's, then a imports b's again. Afterwards each may see the other, write
// to them and add them to groups, and sees their last seen time (the
// privacy settings that default to "contacts"). It fails the test on
// error.
func (s *Server) Befriend(t testing.TB, a, b *client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := Befriend(ctx, a, b); err != nil {
		t.Fatal(err)
	}
}

// Befriend is Server.Befriend without a testing.TB.
func Befriend(ctx context.Context, a, b *client.Client) error {
	entry := func(c *client.Client) (client.ContactInput, int64, error) {
		me, err := c.Me(ctx)
		if err != nil {
			return client.ContactInput{}, 0, err
		}
		return client.ContactInput{Phone: me.Phone, Email: me.Email, FirstName: me.FirstName}, me.ID, nil
	}
	ae, aid, err := entry(a)
	if err != nil {
		return fmt.Errorf("testserver: befriend: %w", err)
	}
	be, bid, err := entry(b)
	if err != nil {
		return fmt.Errorf("testserver: befriend: %w", err)
	}
	if ae.Phone != "" && ae.Email != "" {
		ae.Email = ""
	}
	if be.Phone != "" && be.Email != "" {
		be.Email = ""
	}
	for i, step := range []struct {
		c    *client.Client
		in   client.ContactInput
		want int64
	}{{a, be, 0}, {b, ae, aid}, {a, be, bid}} {
		res, err := step.c.ImportContacts(ctx, []client.ContactInput{step.in})
		if err != nil {
			return fmt.Errorf("testserver: befriend: %w", err)
		}
		if step.want != 0 && (len(res.Imported) != 1 || res.Imported[0].User.ID != step.want) {
			return fmt.Errorf("testserver: befriend: import %d found %+v, want user %d", i+1, res, step.want)
		}
	}
	return nil
}
