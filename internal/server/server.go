// Package server assembles a Haven node from its configuration: storage,
// bus, code delivery, the core, the API, TLS and the HTTP listener. The
// haven command and the end-to-end tests both start Haven through it, so
// the tests run exactly what ships.
package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/api"
	natsbus "github.com/havenchat/haven/internal/bus/nats"
	"github.com/havenchat/haven/internal/bus/ordered"
	"github.com/havenchat/haven/internal/clientaddr"
	"github.com/havenchat/haven/internal/codesend"
	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/conncap"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/flood"
	"github.com/havenchat/haven/internal/password"
	"github.com/havenchat/haven/internal/store/postgres"
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
	// PushRootCAs, if set, replaces the system's roots for the push
	// services' certificates (tests trust their own push service).
	PushRootCAs *x509.CertPool
}

// Server is one running Haven node.
type Server struct {
	cfg   *config.Serve
	log   *slog.Logger
	store store
	// bus queues what the store's writer publishes after each commit,
	// so that the writer never waits for the fan-out.
	bus *ordered.Bus
	// net is the NATS bus behind bus (nil for the in-process bus).
	net     *natsbus.Bus
	busGaps prometheus.Counter
	// apiReady is the API once made, for the bus's gaps (Resync).
	apiReady atomic.Pointer[api.Server]
	core     *core.Service
	api      *api.Server
	http     *http.Server
	ln       net.Listener
	tls      *tls.Config

	connsRefused prometheus.Counter
	// shared are the limits shared with the other nodes (share.go).
	shared []io.Closer

	// metrics serves /metrics and /debug/pprof/ on cfg.MetricsListen;
	// nil when that is off.
	metrics   *http.Server
	metricsLn net.Listener
	// codesToLog: sign-in codes are written to the log (the log code
	// sender), which Start warns of on a non-loopback address.
	codesToLog bool
	// public is the base of the links the node hands out
	// (config.Serve.PublicBase), "" for paths.
	public string
	stop   context.CancelFunc
	bg     sync.WaitGroup
}

// New takes the listening address, then opens the store and builds every
// part of the node; nothing is served until Start. The address comes
// first: a port already in use fails before the data directory is made
// or its database migrated.
func New(ctx context.Context, cfg *config.Serve, opt Options) (s *Server, err error) {
	log := opt.Log
	if log == nil {
		log = slog.Default()
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, listenError(cfg.Listen, err)
	}
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	secret, err := loadSecret(secretPath(cfg))
	if err != nil {
		return nil, err
	}
	codes := opt.Codes
	codesToLog := false
	if codes == nil {
		if codes, err = codeSender(cfg, log); err != nil {
			return nil, err
		}
		codesToLog = cfg.CodeSender == config.CodeSenderLog && cfg.WebhookURL == ""
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	s = &Server{cfg: cfg, log: log, store: st, ln: ln, public: cfg.PublicBase(ln.Addr().String()), codesToLog: codesToLog}
	limits := haven.DefaultLimits()
	limits.MaxBodyBytes = cfg.MaxBody
	limits.InviteLinksAlive = cfg.InviteLinksMax
	if cfg.FileURLTTL > 0 {
		limits.FileURLTTL = cfg.FileURLTTL
	}
	if cfg.MaxFileSize > 0 {
		limits.FileMax = cfg.MaxFileSize
	}
	limits.StorageQuota = cfg.StorageQuota
	if cfg.MaxOpenUploads > 0 {
		limits.OpenUploadsMax = cfg.MaxOpenUploads
	}
	if cfg.UploadTTL > 0 {
		limits.UploadTTL = cfg.UploadTTL
	}
	if cfg.PhotoMaxPixels > 0 {
		limits.PhotoMaxPixels = int64(cfg.PhotoMaxPixels)
	}
	if cfg.PhotoMaxSide > 0 {
		limits.PhotoMaxSide = cfg.PhotoMaxSide
	}
	if cfg.PeopleSearchScan > 0 {
		limits.PeopleSearchScan = cfg.PeopleSearchScan
	}
	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("opening the blob store: %w", err)
	}
	pushSender, err := pushSender(cfg, opt)
	if err != nil {
		st.Close()
		return nil, err
	}
	keys, err := sharedKeys(cfg, secret)
	if err == nil {
		now := time.Now
		if opt.Clock != nil {
			now = opt.Clock.Now
		}
		err = checkKeys(ctx, st, keys, now())
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	limits.PushPerSession = cfg.PushPerSession
	limits.SecretQueueMax, limits.SecretTTL = cfg.SecretQueue, cfg.SecretTTL
	s.busGaps = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "haven_bus_gaps_total",
		Help: "Times this node may have missed events from the NATS bus (it fell behind, or its connection was restored).",
	})
	inner, nb, err := openBus(ctx, cfg, log, s.busGaps, func() {
		if a := s.apiReady.Load(); a != nil {
			a.Resync()
		}
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	s.net = nb
	bus := ordered.New(inner, ordered.Options{Log: log})
	s.bus = bus
	defer func() {
		if err != nil {
			_ = s.closeBus(context.WithoutCancel(ctx))
		}
	}()
	clock := opt.Clock
	if clock == nil {
		clock = core.SystemClock{}
	}
	now := clock.Now
	s.core, err = core.New(core.Config{
		Store:              st,
		Bus:                bus,
		Frames:             api.AppendFrame,
		Codes:              codes,
		Passwords:          password.NewHasher(password.DefaultParams, 0),
		Clock:              clock,
		Log:                log,
		Limits:             limits,
		Secret:             secret,
		IPLogging:          cfg.IPLogging,
		CodesPerIdentifier: core.Rate{Count: cfg.SigninCodePerIdentifier, Per: time.Hour},
		CodesPerIP:         core.Rate{Count: cfg.SigninCodePerIP, Per: time.Hour},
		Guesses:            core.Rate{Count: cfg.SigninGuessesPerDay, Per: 24 * time.Hour},
		LookupsPerDay:      cfg.ContactLookupsPerDay,
		Blobs:              blobs,
		ImageMemory:        cfg.ImageMemory,
		ImageWait:          cfg.ImageWait,
		Signup: core.SignupPolicy{
			Mode:            core.SignupMode(cfg.Signup),
			PhonePrefixes:   cfg.SignupPhonePrefixes,
			EmailDomains:    cfg.SignupEmailDomains,
			MemberInvites:   cfg.SignupMemberInvites,
			MemberInviteTTL: cfg.SignupMemberInviteTTL,
		},
		PublicURL: s.public,
		Push: core.PushConfig{
			Sender:  pushSender,
			Workers: cfg.PushWorkers,
			Queue:   cfg.PushQueue,
			Timeout: cfg.PushTimeout,
		},
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerPushMetrics(reg, s.core)
	registerBusMetrics(reg, bus, s.busGaps, s.net)
	fl, err := s.sharedFlood(floodLimits(cfg, now))
	if err != nil {
		st.Close()
		return nil, err
	}
	s.api, err = api.New(api.Config{
		Core:           s.core,
		Bus:            bus,
		Log:            log,
		Flood:          fl,
		Registerer:     reg,
		TrustedProxies: cfg.TrustedProxies,
		Conns: api.ConnLimits{
			SocketsPerIP:             cfg.WSPerIP,
			UnauthorizedSocketsPerIP: cfg.WSUnauthorizedPerIP,
			SocketsPerUser:           cfg.WSPerUser,
			AuthTimeout:              cfg.WSAuthTimeout,
			PingInterval:             cfg.WSPingInterval,
			PingTimeout:              cfg.WSPingTimeout,
			BodyTimeout:              cfg.BodyTimeout,
			PartMinRate:              cfg.PartMinRate,
		},
		// Ready when a real write commits: reads alone pass on a full
		// disk or a database another process holds locked.
		Ready: newWriteProbe(st.CheckWritable, time.Second).ready,
	})
	if err == nil {
		err = s.shareSockets()
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	s.apiReady.Store(s.api)
	app, err := web.New()
	if err != nil {
		st.Close()
		return nil, err
	}
	s.connsRefused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "haven_tcp_refused_total",
		Help: "TCP connections closed on arrival: their address had conns-per-ip open already.",
	})
	reg.MustRegister(s.connsRefused)
	// The routes of the node: the API keeps its paths; every other path
	// is the web app's, which answers its page (at / and at /join/CODE,
	// where every invite link leads: core.JoinPath), its files, and 404
	// for the rest. The API's port serves no metrics: metrics and
	// profiles tell whoever asks how busy the node is and what it runs,
	// so they have a listener of their own, off unless asked for. Bodies
	// have their own deadlines (api.ConnLimits); no ReadTimeout, which
	// would also cut WebSockets, and no WriteTimeout, which would cut
	// large downloads on slow links.
	mux := http.NewServeMux()
	for _, p := range []string{"/api/", "/files/", "/healthz", "/readyz"} {
		mux.Handle(p, s.api)
	}
	mux.Handle("/", app)
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: cfg.HeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.MetricsListen != "" {
		s.metrics = &http.Server{
			Handler:           opsMux(reg),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       120 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
	}
	if s.tls, err = tlsConfig(cfg, opt.ACMEHTTPClient); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// opsMux serves the operator's endpoints of the metrics listener:
// Prometheus metrics, and Go's profiles (net/http/pprof) but for
// /debug/pprof/cmdline, which would show the command line and so any
// secret given as a flag (--smtp-password, --s3-secret-key ...).
func opsMux(reg *prometheus.Registry) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// Index serves the named profiles (heap, goroutine ...) too; it
	// answers 404 for cmdline, which is not a runtime/pprof profile.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// floodLimits are the per-user, per-method limits: the configured rule for
// every method, and stricter ones where abuse is cheap for the caller and
// costly for others.
func floodLimits(cfg *config.Serve, now func() time.Time) *flood.Limits {
	if cfg.FloodOff() {
		// The zero Rule is no limit: every method, the stricter ones too.
		return flood.NewLimits(flood.Rule{}, nil, now)
	}
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

// listenError words the failure to listen on addr, the commonest
// mistake at start.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("cannot listen on %s: the address is already in use (is another server running on it? choose another with --listen): %w", addr, err)
	}
	return fmt.Errorf("cannot listen on %s: %w", addr, err)
}

// Start serves in the background, and starts the janitor and the
// presence loop.
func (s *Server) Start(ctx context.Context) error {
	// The cap counts peers before TLS: a connection over it costs no
	// handshake. Trusted proxies are exempt; the API counts their
	// clients one by one.
	ln, err := s.sharedConnCap(conncap.New(s.ln, s.cfg.ConnsPerIP, clientaddr.New(s.cfg.TrustedProxies).Trusted, s.connsRefused.Inc))
	if err != nil {
		return err
	}
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	s.ln = ln
	if s.metrics != nil {
		ml, err := net.Listen("tcp", s.cfg.MetricsListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("metrics-listen: %w", err)
		}
		s.metricsLn = ml
		s.bg.Go(func() {
			if err := s.metrics.Serve(s.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("serving metrics stopped", "err", err)
			}
		})
		s.log.Info("metrics and profiles are served", "url", "http://"+s.metricsLn.Addr().String()+"/metrics")
	}
	bgctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = cancel
	s.bg.Add(4)
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
	go func() {
		defer s.bg.Done()
		s.core.RunPush(bgctx, s.api)
	}()
	scheme := "http"
	if s.tls != nil {
		scheme = "https"
	}
	s.log.Info("haven is serving", "url", scheme+"://"+ln.Addr().String(), "data", s.cfg.DataDir)
	if s.codesToLog && !loopback(ln.Addr()) {
		s.log.Warn("SIGN-IN CODES ARE WRITTEN TO THIS LOG while the server listens beyond this machine: "+
			"whoever reads the log can sign in as anyone. The log code sender is for trying Haven on a laptop; "+
			"for other people use --code-sender webhook=URL (and --smtp-host for email), or --listen 127.0.0.1:PORT",
			"listen", ln.Addr().String())
	}
	if s.cfg.FloodOff() {
		s.log.Warn("FLOOD CONTROL IS OFF (flood-rate 0): any signed-in person may call every method as fast as they can. " +
			"This is for benchmarks only; never serve people so")
	}
	s.log.Info("sign-up", "mode", s.cfg.Signup, "public_url", s.public)
	return nil
}

// loopback reports whether addr can be reached only from this machine.
func loopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// Addr is the address the server listens on (useful with port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// MetricsAddr is the address metrics and profiles are served on, or ""
// when metrics-listen is off.
func (s *Server) MetricsAddr() string {
	if s.metricsLn == nil {
		return ""
	}
	return s.metricsLn.Addr().String()
}

// URL is the server's base URL.
func (s *Server) URL() string {
	if s.tls != nil {
		return "https://" + s.Addr()
	}
	return "http://" + s.Addr()
}

// Core exposes the use cases (for tests and tools in the same process).
func (s *Server) Core() *core.Service { return s.core }

// Bus exposes the node's bus (for tests and tools in the same process):
// publishing on it queues, as the store's writer does after a commit.
func (s *Server) Bus() core.Bus { return s.bus }

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
	if s.metrics != nil {
		// A profile being taken (up to its seconds) is cut, not waited for.
		if err := s.metrics.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	// Shutdown closed it if Start served it; if not, it is closed here.
	if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
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
	// The last commits' events, published to whoever still listens.
	if err := s.closeBus(ctx); err != nil {
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

// store is what the server needs of its database: the Store, and a probe
// of whether it can be written, for /readyz.
type store interface {
	core.Store
	CheckWritable(ctx context.Context) error
}

// openStore opens the database the configuration names: PostgreSQL at
// cfg.DB, else SQLite in the data directory.
func openStore(ctx context.Context, cfg *config.Serve, log *slog.Logger) (store, error) {
	if cfg.DB != "" {
		st, err := postgres.OpenWith(ctx, cfg.DB, log, postgres.Options{MaxBatch: cfg.DBBatch})
		if err != nil {
			// The error names the host and database, never the URL: it
			// may hold a password.
			return nil, fmt.Errorf("opening the PostgreSQL database: %w", err)
		}
		return st, nil
	}
	return sqlite.Open(ctx, filepath.Join(cfg.DataDir, "haven.db"), log)
}
