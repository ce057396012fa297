// Package server assembles a Haven node from its configuration: storage,
// bus, code delivery, the core, the API, TLS and the HTTP listener. The
// haven command and the end-to-end tests both start Haven through it, so
// the tests run exactly what ships.
package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/api"
	"github.com/havenchat/haven/internal/bus/local"
	"github.com/havenchat/haven/internal/codesend"
	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/flood"
	"github.com/havenchat/haven/internal/password"
	"github.com/havenchat/haven/internal/store/sqlite"
	"github.com/havenchat/haven/internal/web"
)

// Options are what the caller of New may supply besides the settings.
type Options struct {
	Log *slog.Logger
	// Codes replaces the configured code delivery (tests read codes
	// from it).
	Codes core.CodeSender
	// Clock replaces the system clock.
	Clock core.Clock
	// ACMEHTTPClient, if set, is the HTTP client used to talk to the ACME
	// certificate authority (tests use it to trust a test CA).
	ACMEHTTPClient *http.Client
}

// Server is one running Haven node.
type Server struct {
	cfg   *config.Serve
	log   *slog.Logger
	store *sqlite.Store
	core  *core.Service
	api   *api.Server
	http  *http.Server
	ln    net.Listener
	tls   *tls.Config
	stop  context.CancelFunc
	bg    sync.WaitGroup
}

// New opens the store and builds every part of the node; nothing listens
// until Start.
func New(ctx context.Context, cfg *config.Serve, opt Options) (*Server, error) {
	log := opt.Log
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	secret, err := loadSecret(secretPath(cfg))
	if err != nil {
		return nil, err
	}
	codes := opt.Codes
	if codes == nil {
		if codes, err = codeSender(cfg, log); err != nil {
			return nil, err
		}
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "haven.db"), log)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, store: st}
	limits := haven.DefaultLimits()
	limits.MaxBodyBytes = cfg.MaxBody
	limits.InviteLinksAlive = cfg.InviteLinksMax
	if cfg.MaxFileSize > 0 {
		limits.FileMax = cfg.MaxFileSize
	}
	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("opening the blob store: %w", err)
	}
	bus := local.New()
	clock := opt.Clock
	if clock == nil {
		clock = core.SystemClock{}
	}
	now := clock.Now
	perID := flood.NewLimiter(flood.Rule{Rate: float64(cfg.SigninCodePerIdentifier) / 3600, Burst: cfg.SigninCodePerIdentifier}, now)
	perIP := flood.NewLimiter(flood.Rule{Rate: float64(cfg.SigninCodePerIP) / 3600, Burst: cfg.SigninCodePerIP}, now)
	s.core, err = core.New(core.Config{
		Store:              st,
		Bus:                bus,
		Codes:              codes,
		Passwords:          password.NewHasher(password.DefaultParams, 0),
		Clock:              clock,
		Log:                log,
		Limits:             limits,
		Secret:             secret,
		IPLogging:          cfg.IPLogging,
		CodesPerIdentifier: perID,
		CodesPerIP:         perIP,
		Blobs:              blobs,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.api, err = api.New(api.Config{
		Core:       s.core,
		Bus:        bus,
		Log:        log,
		Flood:      floodLimits(cfg, now),
		Registerer: reg,
		Ready: func(ctx context.Context) error {
			_, err := st.UserByID(ctx, 0)
			if errors.Is(err, haven.ErrNotFound) {
				return nil
			}
			return err
		},
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	app, err := web.New()
	if err != nil {
		st.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// The API keeps its paths; every other path is the web app's, which
	// answers its page, its files, and 404 for the rest.
	for _, p := range []string{"/api/", "/files/", "/healthz", "/readyz"} {
		mux.Handle(p, s.api)
	}
	mux.Handle("/", app)
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if s.tls, err = tlsConfig(cfg, opt.ACMEHTTPClient); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// floodLimits are the per-user, per-method limits: the configured rule for
// every method, and stricter ones where abuse is cheap for the caller and
// costly for others.
func floodLimits(cfg *config.Serve, now func() time.Time) *flood.Limits {
	def := flood.Rule{Rate: cfg.FloodRate, Burst: cfg.FloodBurst}
	strict := flood.Rule{Rate: cfg.FloodRate / 6, Burst: max(cfg.FloodBurst/6, 1)}
	return flood.NewLimits(def, map[string]flood.Rule{
		"auth.sendCode":                strict,
		"auth.signIn":                  strict,
		"auth.signUp":                  strict,
		"auth.checkPassword":           strict,
		"auth.requestPasswordRecovery": strict,
		"auth.recoverPassword":         strict,
		"auth.useToken":                strict,
		"contacts.import":              strict,
		// Parts of a file have their own bucket, four times the default,
		// so an upload does not starve the user's other calls.
		"files.putPart": {Rate: 4 * cfg.FloodRate, Burst: 4 * cfg.FloodBurst},
	}, now)
}

func codeSender(cfg *config.Serve, log *slog.Logger) (core.CodeSender, error) {
	spec := cfg.CodeSender
	if cfg.WebhookURL != "" {
		spec = "webhook=" + cfg.WebhookURL
	}
	phone, err := codesend.Parse(spec, codesend.ParseOptions{Logger: log, WebhookAuthorization: cfg.WebhookAuth})
	if err != nil {
		return nil, err
	}
	if cfg.SMTPHost == "" {
		return phone, nil
	}
	mail, err := codesend.NewSMTP(codesend.SMTPConfig{
		Host:     cfg.SMTPHost,
		Port:     cfg.SMTPPort,
		Username: cfg.SMTPUsername,
		Password: cfg.SMTPPassword,
		From:     cfg.SMTPFrom,
		TLS:      codesend.TLSMode(cfg.SMTPTLS),
	})
	if err != nil {
		return nil, err
	}
	return codesend.Router{Phone: phone, Email: mail}, nil
}

func tlsConfig(cfg *config.Serve, acmeHTTP *http.Client) (*tls.Config, error) {
	switch {
	case cfg.TLSCert != "":
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("loading the TLS certificate: %w", err)
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
	case len(cfg.ACMEDomains) > 0:
		m := &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			HostPolicy: autocert.HostWhitelist(cfg.ACMEDomains...),
			Cache:      autocert.DirCache(cfg.ACMECacheDir),
			Email:      cfg.ACMEEmail,
		}
		if cfg.ACMEDirectoryURL != "" || acmeHTTP != nil {
			m.Client = &acme.Client{DirectoryURL: cfg.ACMEDirectoryURL, HTTPClient: acmeHTTP}
		}
		// TLS-ALPN-01 challenges are answered on the same port, so no
		// plain-HTTP listener is needed.
		c := m.TLSConfig()
		c.MinVersion = tls.VersionTLS12
		return c, nil
	}
	return nil, nil
}

// Start listens and serves in the background, and starts the janitor
// and the presence loop.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return err
	}
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	s.ln = ln
	bgctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = cancel
	s.bg.Add(3)
	go func() {
		defer s.bg.Done()
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serving stopped", "err", err)
		}
	}()
	go func() {
		defer s.bg.Done()
		s.core.RunJanitor(bgctx, time.Hour)
	}()
	go func() {
		defer s.bg.Done()
		s.core.RunPresence(bgctx, core.PresenceEvery)
	}()
	scheme := "http"
	if s.tls != nil {
		scheme = "https"
	}
	s.log.Info("haven is serving", "url", scheme+"://"+ln.Addr().String(), "data", s.cfg.DataDir)
	return nil
}

// Addr is the address the server listens on (useful with port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the server's base URL.
func (s *Server) URL() string {
	if s.tls != nil {
		return "https://" + s.Addr()
	}
	return "http://" + s.Addr()
}

// Core exposes the use cases (for tests and tools in the same process).
func (s *Server) Core() *core.Service { return s.core }

// Shutdown stops accepting, lets requests in flight finish, closes the
// sockets, stops the janitor and the presence loop (which tells the
// other nodes this node's people left it) and closes the store (which
// flushes every pending write), all within ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.api.StartClosing()
	var errs []error
	if err := s.http.Shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := s.api.Shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	if s.stop != nil {
		s.stop()
	}
	s.bg.Wait()
	if err := s.store.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func secretPath(cfg *config.Serve) string {
	if cfg.SecretFile != "" {
		return cfg.SecretFile
	}
	return filepath.Join(cfg.DataDir, "secret.key")
}

// loadSecret reads the server's secret key, making one on first start.
// It keys the hashes of login codes, so every node of a cluster must
// share it and it must survive restarts.
func loadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) < 32 {
			return nil, fmt.Errorf("the secret in %s is shorter than 32 bytes", path)
		}
		return b, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading the secret: %w", err)
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating the secret: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return b, f.Close()
}
