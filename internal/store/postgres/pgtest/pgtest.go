// Package pgtest gives tests fresh PostgreSQL databases with Haven's
// schema, on the server named by HAVEN_TEST_POSTGRES (a postgres:// URL of
// a role that may create databases), by default the postgres role on
// 127.0.0.1:5432. Where no server answers, the tests that need one are
// skipped with a message saying so; where HAVEN_TEST_POSTGRES is set, they
// fail instead, so that CI, which sets it, never skips them unnoticed.
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

var (
	serverOnce sync.Once
	server     *Server
	serverErr  error
)

// Get returns the server, or skips (or, with EnvURL set, fails) t when
// none answers. The connection lasts as long as the test process.
func Get(t testing.TB) *Server {
	t.Helper()
	serverOnce.Do(func() { server, serverErr = connect() })
	if serverErr != nil {
		if os.Getenv(EnvURL) != "" {
			t.Fatalf("PostgreSQL at $%s: %v", EnvURL, serverErr)
		}
		t.Skipf("no PostgreSQL (%v): set %s to a postgres:// URL of a role that may create databases to run this test", serverErr, EnvURL)
	}
	return server
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

// ConnString returns a postgres:// URL of database name, for a process
// other than this one (haven serve --db).
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
	name := fmt.Sprintf("%s_%d", s.run, s.n.Add(1))
	s.create(t, name, "")
	return name
}

// New creates a database with Haven's schema (a copy of a template
// migrated once per run) and drops it when t ends; it returns its URL for
// postgres.Open.
func (s *Server) New(t testing.TB) string {
	t.Helper()
	s.once.Do(func() { s.template, s.tmplErr = s.makeTemplate() })
	if s.tmplErr != nil {
		t.Fatalf("PostgreSQL template database: %v", s.tmplErr)
	}
	name := fmt.Sprintf("%s_%d", s.run, s.n.Add(1))
	s.create(t, name, s.template)
	return s.ConnString(name)
}

func (s *Server) create(t testing.TB, name, template string) {
	t.Helper()
	q := `CREATE DATABASE ` + quote(name)
	if template != "" {
		q += ` TEMPLATE ` + quote(template)
	}
	if _, err := s.admin.Exec(q); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() { s.drop(t, name) })
}

func (s *Server) drop(t testing.TB, name string) {
	if _, err := s.admin.Exec(`DROP DATABASE IF EXISTS ` + quote(name) + ` WITH (FORCE)`); err != nil {
		t.Errorf("drop database %s: %v", name, err)
	}
}

// makeTemplate creates and migrates the run's template database. It is
// dropped by the first test process's exit only if the run's tests drop
// it: see Cleanup.
func (s *Server) makeTemplate() (string, error) {
	name := s.run + "_template"
	if _, err := s.admin.Exec(`CREATE DATABASE ` + quote(name)); err != nil {
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
// from TestMain after the tests have run.
func Cleanup() {
	if server == nil || server.template == "" {
		return
	}
	server.admin.Exec(`DROP DATABASE IF EXISTS ` + quote(server.template) + ` WITH (FORCE)`)
	server.admin.Close()
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
