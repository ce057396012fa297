// Package pgtest gives tests fresh PostgreSQL databases with Haven's
// schema, on the server named by HAVEN_TEST_POSTGRES (a postgres:// URL of
// a role that may create databases), by default the postgres role on
// 127.0.0.1:5432. Where no server answers, the tests that need one are
// skipped with a message saying so; where HAVEN_TEST_POSTGRES (or
// HAVEN_TEST_STORE) is set, they fail instead, so that CI, which sets it,
// never skips them unnoticed.
//
// HAVEN_TEST_STORE=postgres moves the servers that end-to-end tests start
// (internal/testserver, internal/server's nodes) onto PostgreSQL, a fresh
// database each (ServeArgs), so that the same tests run on both stores.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/store/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// EnvURL names the environment variable with the server's URL.
const EnvURL = "HAVEN_TEST_POSTGRES"

// DefaultURL is the server tried when EnvURL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=3"

// EnvStore names the environment variable that, set to "postgres", runs
// the servers of end-to-end tests on PostgreSQL.
const EnvStore = "HAVEN_TEST_STORE"

// OnPostgres reports whether EnvStore asks for PostgreSQL.
func OnPostgres() bool { return os.Getenv(EnvStore) == "postgres" }

// ServeArgs returns the haven serve flags that keep a test server's data
// in a fresh PostgreSQL database, dropped when t ends, when OnPostgres;
// else none (SQLite in the data directory).
func ServeArgs(t testing.TB) []string {
	t.Helper()
	if !OnPostgres() {
		return nil
	}
	// An empty database: the server migrates it, as in production.
	srv := Get(t)
	return []string{"--db", srv.ConnString(srv.NewEmpty(t))}
}

// Server is a PostgreSQL server on which a test run makes databases.
type Server struct {
	admin *sql.DB
	cfg   *pgx.ConnConfig
	run   string // this run's prefix of database names

	once     sync.Once
	template string
	tmplErr  error
	n        atomic.Int64
}

// The server of this test process, connected to once.
var (
	serverOnce sync.Once
	server     *Server
	serverErr  error
)

// Get returns the server, or skips (or, with EnvURL or EnvStore set,
// fails) t when none answers.
func Get(t testing.TB) *Server {
	t.Helper()
	s, err := Connect()
	if err != nil {
		if os.Getenv(EnvURL) != "" || OnPostgres() {
			t.Fatalf("PostgreSQL at $%s (default %s): %v", EnvURL, DefaultURL, err)
		}
		t.Skipf("no PostgreSQL (%v): set %s to a postgres:// URL of a role that may create databases to run this test", err, EnvURL)
	}
	return s
}

// Connect returns the server, for code without a testing.TB. The
// connection lasts as long as the test process.
func Connect() (*Server, error) {
	serverOnce.Do(func() { server, serverErr = connect() })
	return server, serverErr
}

func connect() (*Server, error) {
	url := os.Getenv(EnvURL)
	if url == "" {
		url = DefaultURL
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	admin := stdlib.OpenDB(*cfg)
	admin.SetMaxOpenConns(2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		return nil, err
	}
	b := make([]byte, 4)
	rand.Read(b)
	return &Server{admin: admin, cfg: cfg, run: "haven_test_" + hex.EncodeToString(b)}, nil
}

// ConnString returns a postgres:// URL of database name.
func (s *Server) ConnString(name string) string {
	c := s.cfg
	user := c.User
	if c.Password != "" {
		user += ":" + c.Password
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", user, c.Host, c.Port, name)
}

// NewEmpty creates a database with no schema and drops it when t ends; it
// returns its name.
func (s *Server) NewEmpty(t testing.TB) string {
	t.Helper()
	return dropAtEnd(t, s.CreateEmpty)
}

// dropAtEnd calls create, failing t on an error, drops what it made when
// t ends, and returns its name or URL.
func dropAtEnd(t testing.TB, create func() (string, func() error, error)) string {
	t.Helper()
	v, drop, err := create()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return v
}

// CreateEmpty is NewEmpty for code without a testing.TB: it returns the
// name and the function that drops the database.
func (s *Server) CreateEmpty() (name string, drop func() error, err error) {
	name = s.name()
	if err := s.exec(`CREATE DATABASE ` + quote(name)); err != nil {
		return "", nil, err
	}
	return name, func() error { return s.drop(name) }, nil
}

// New creates a database with Haven's schema (a copy of a template
// migrated once per run), dropped when t ends, and returns its URL.
func (s *Server) New(t testing.TB) string {
	t.Helper()
	return dropAtEnd(t, s.Create)
}

// Create is New for code without a testing.TB: it returns the URL and
// the function that drops the database.
func (s *Server) Create() (url string, drop func() error, err error) {
	s.once.Do(func() { s.template, s.tmplErr = s.makeTemplate() })
	if s.tmplErr != nil {
		return "", nil, fmt.Errorf("PostgreSQL template database: %w", s.tmplErr)
	}
	name := s.name()
	if err := s.exec(`CREATE DATABASE ` + quote(name) + ` TEMPLATE ` + quote(s.template)); err != nil {
		return "", nil, err
	}
	return s.ConnString(name), func() error { return s.drop(name) }, nil
}

func (s *Server) name() string { return fmt.Sprintf("%s_%d", s.run, s.n.Add(1)) }

func (s *Server) exec(q string) error {
	if _, err := s.admin.Exec(q); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	return nil
}

func (s *Server) drop(name string) error {
	return s.exec(`DROP DATABASE IF EXISTS ` + quote(name) + ` WITH (FORCE)`)
}

// makeTemplate creates and migrates the run's template database, which
// Cleanup drops.
func (s *Server) makeTemplate() (string, error) {
	name := s.run + "_template"
	if err := s.exec(`CREATE DATABASE ` + quote(name)); err != nil {
		return "", err
	}
	st, err := postgres.Open(context.Background(), s.ConnString(name), nil)
	if err != nil {
		return "", err
	}
	if err := st.Close(); err != nil {
		return "", err
	}
	return name, nil
}

// Cleanup drops the run's template database, if it made one. Call it
// from TestMain once the tests have run; a test process without one
// leaves it (its name starts with haven_test_).
func Cleanup() {
	if server == nil || server.template == "" {
		return
	}
	_ = server.drop(server.template)
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
