// Package api is Haven's native API: one method table served over
// POST /api/METHOD (JSON) and over one WebSocket at /api/ws. It translates
// between the wire and package core and holds no business rule of its
// own: authentication, the {"ok":...} envelope, the JSON views of core's
// values (views*.go), the push frames (frames.go), error statuses, flood
// control, metrics and pushes live here; everything else is core's.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/clientaddr"
	"github.com/havenchat/haven/internal/core"
)

// Limiter is flood control per method and key (internal/flood).
type Limiter interface {
	Allow(method, key string) (ok bool, retryAfter time.Duration)
}

// Config is what a Server needs. Core is required.
type Config struct {
	Core *core.Service
	Bus  core.Bus
	Log  *slog.Logger
	// Flood limits each signed-in user (or, before sign-in, each client
	// address) per method. Nil disables flood control.
	Flood Limiter
	// Registerer receives the metrics; nil keeps them unregistered.
	Registerer prometheus.Registerer
	// Ready reports whether the server can serve (its store reachable).
	Ready func(ctx context.Context) error
	// WSQueue is how many bytes of outgoing frames a socket may have
	// waiting before it is cut as too slow (DefaultWSQueueBytes if 0).
	WSQueue int
	// WSInflight is how many requests one socket may have running at
	// once (32 by default); more wait for a free slot.
	WSInflight int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (see package clientaddr); none by default.
	TrustedProxies []netip.Prefix
	// Conns bound the sockets one client may hold and how long request
	// bodies may take; zero fields take DefaultConnLimits' values.
	Conns ConnLimits
}

// Server serves the native API, health checks and metrics. Create it
// with New; it is an http.Handler.
type Server struct {
	core    *core.Service
	log     *slog.Logger
	flood   Limiter
	ready   func(ctx context.Context) error
	maxBody int64
	addrs   *clientaddr.Resolver
	conns   ConnLimits
	methods map[string]*method
	metrics *metrics
	mux     *http.ServeMux

	wsQueue, wsInflight int
	sockets             *hub
	sub                 core.Subscription
	closing             atomic.Bool
}

// New returns a Server and subscribes it to the bus for ended sessions.
func New(cfg Config) (*Server, error) {
	if cfg.Core == nil {
		return nil, errors.New("api: Config.Core is required")
	}
	s := &Server{
		core:       cfg.Core,
		log:        cfg.Log,
		flood:      cfg.Flood,
		ready:      cfg.Ready,
		maxBody:    cfg.Core.Limits().MaxBodyBytes,
		addrs:      clientaddr.New(cfg.TrustedProxies),
		conns:      cfg.Conns.withDefaults(),
		metrics:    newMetrics(cfg.Registerer),
		wsQueue:    cfg.WSQueue,
		wsInflight: cfg.WSInflight,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.wsQueue <= 0 {
		s.wsQueue = DefaultWSQueueBytes
	}
	if s.wsInflight <= 0 {
		s.wsInflight = 32
	}
	s.methods = make(map[string]*method)
	for _, m := range s.allMethods() {
		s.methods[m.name] = m
	}
	s.sockets = newHub(cfg.Bus, s.core, s.log, s.metrics, s.conns)
	if cfg.Bus != nil {
		sub, err := cfg.Bus.Subscribe(core.SubjectSessionsEnded, s.onSessionsEnded)
		if err != nil {
			return nil, err
		}
		s.sub = sub
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /api/{method}", s.serveHTTP)
	s.mux.HandleFunc("/api/{method}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST")
		writeJSON(w, http.StatusMethodNotAllowed, envelope{Error: &wireError{Code: haven.CodeMethodNotFound, Message: "API methods are called with POST"}})
	})
	s.mux.HandleFunc("GET /api/ws", s.serveWS)
	s.mux.HandleFunc("PUT /api/files/{upload_id}/{part}", s.servePart)
	s.mux.HandleFunc("GET /files/{id}", s.serveFile)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, envelope{OK: true, Result: "alive"})
	})
	s.mux.HandleFunc("GET /readyz", s.serveReady)
	return s, nil
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Shutdown marks the server not ready and closes every WebSocket with
// "going away" once its running requests finish (or ctx ends). Call it
// after http.Server.Shutdown has stopped new connections.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	if s.sub != nil {
		_ = s.sub.Unsubscribe()
	}
	err := s.sockets.closeAll(ctx)
	s.sockets.stop()
	return err
}

// Resync closes every signed-in socket with 4009 once the pushes already
// queued to it are written: the node may have missed events on the bus,
// for any chat and any person, and each client then fetches what it
// missed from the log (sync.getDifference), quiet chats included.
func (s *Server) Resync() {
	s.sockets.resync()
}

// StartClosing makes /readyz fail so a load balancer stops sending work
// while the server drains.
func (s *Server) StartClosing() { s.closing.Store(true) }

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if s.closing.Load() {
		writeJSON(w, http.StatusServiceUnavailable, envelope{Error: &wireError{Code: haven.CodeUnavailable, Message: "shutting down"}})
		return
	}
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			s.log.Warn("not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, envelope{Error: &wireError{Code: haven.CodeUnavailable, Message: "storage unavailable"}})
			return
		}
	}
	writeJSON(w, http.StatusOK, envelope{OK: true, Result: "ready"})
}

// envelope is every answer: {"ok":true,"result":...} or
// {"ok":false,"error":{...}}.
type envelope struct {
	OK     bool       `json:"ok"`
	Result any        `json:"result,omitempty"`
	Error  *wireError `json:"error,omitempty"`
}

// writeError answers err in the envelope, with its HTTP status and, for
// a wait, Retry-After; it returns the error's code.
func writeError(w http.ResponseWriter, err error) string {
	we, status := toWire(err)
	if we.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(we.RetryAfter))
	}
	writeJSON(w, status, envelope{Error: &we})
	return we.Code
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"ok":false,"error":{"code":"INTERNAL","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// call is one request on its way through the table.
type call struct {
	actor *core.Actor // nil before sign-in
	ip    string
	// token is the bearer token the request presented, if any.
	token string
	// bind, on a WebSocket, attaches the socket to a new session;
	// signedIn when a sign-in step made it (see hub.bind).
	bind func(ctx context.Context, a *core.Actor, signedIn bool) error
}

// serveHTTP is POST /api/{method}.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	name := r.PathValue("method")
	c := &call{ip: s.clientIP(r), token: bearer(r)}
	var res any
	var err error
	if err = checkContentType(r); err != nil {
		w.Header().Set("Accept-Post", "application/json")
	} else if body, rerr := readBody(w, r, s.maxBody, s.conns.BodyTimeout); rerr != nil {
		err = rerr
	} else {
		res, err = s.invoke(r.Context(), name, c, body)
	}
	if err != nil {
		s.writeError(w, s.metricName(name), err, start)
		return
	}
	writeJSON(w, http.StatusOK, envelope{OK: true, Result: res})
	s.metrics.observe(name, "OK", time.Since(start))
}

// metricName keeps unknown method names out of metric labels.
func (s *Server) metricName(name string) string {
	if _, ok := s.methods[name]; ok {
		return name
	}
	return "unknown"
}

// checkContentType accepts only a body declared as JSON, which a
// browser sends across sites only after a CORS preflight that Haven
// never grants: a form on another site can POST text/plain,
// multipart/form-data or application/x-www-form-urlencoded without
// asking, and would otherwise reach methods that need no session
// (auth.sendCode, sending codes to anyone's phone from a visitor's
// address). Errors: CodeUnsupportedMediaType.
func checkContentType(r *http.Request) error {
	if v := r.Header.Values("Content-Type"); len(v) == 1 {
		mt, params, err := mime.ParseMediaType(v[0])
		ok := err == nil && mt == "application/json"
		for k, p := range params {
			ok = ok && k == "charset" && strings.EqualFold(p, "utf-8")
		}
		if ok {
			return nil
		}
	}
	return haven.Errorf(haven.CodeUnsupportedMediaType, "API methods take a JSON body: send Content-Type: application/json")
}

// readBody reads a JSON request body of at most limit bytes, which must
// arrive within timeout.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, timeout time.Duration) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	clock := newBodyClock(w, r, timeout, 0)
	b, err := io.ReadAll(http.MaxBytesReader(w, io.NopCloser(clock), limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
		}
		if clock.late {
			return nil, clock.err()
		}
		return nil, haven.Errorf(haven.CodeMalformedJSON, "the request body could not be read")
	}
	return b, nil
}

func tooLarge(limit int64) error {
	return haven.Errorf(haven.CodeBodyTooLarge, "the request is larger than %d bytes", limit)
}

// invoke runs one method for a call from either transport: the method
// must exist, the session must be valid where one is needed, flood
// control must allow it, and the params must decode.
func (s *Server) invoke(ctx context.Context, name string, c *call, params []byte) (any, error) {
	m, ok := s.methods[name]
	if !ok {
		return nil, haven.Errorf(haven.CodeMethodNotFound, "there is no method %q", truncate(name, 64))
	}
	if m.auth && c.actor == nil {
		if c.token == "" {
			return nil, haven.Errorf(haven.CodeAuthRequired, "%s needs a signed-in session", name)
		}
		a, err := s.core.Authenticate(ctx, c.token, c.ip)
		if err != nil {
			return nil, err
		}
		c.actor = a
	}
	if s.flood != nil {
		key := "ip:" + c.ip
		if c.actor != nil {
			key = "u:" + strconv.FormatInt(c.actor.UserID, 10)
		}
		if ok, wait := s.flood.Allow(name, key); !ok {
			return nil, haven.FloodWait(int(math.Ceil(wait.Seconds())))
		}
	}
	if c.actor == nil {
		c.actor = &core.Actor{IP: c.ip}
	}
	return m.run(ctx, c, params)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// clientAddr is the address of the client that sent r: the peer, or,
// behind a trusted proxy, the address it forwarded (package clientaddr).
func (s *Server) clientAddr(r *http.Request) netip.Addr { return s.addrs.Client(r) }

// clientIP is the client's address as every per-address decision keys
// it (flood control, sign-in code limits, IP logging).
func (s *Server) clientIP(r *http.Request) string { return ipString(s.clientAddr(r), r) }

// ipString writes a client address; a peer that is not an IP address (a
// Unix socket) is named as the connection names it.
func ipString(a netip.Addr, r *http.Request) string {
	if !a.IsValid() {
		return r.RemoteAddr
	}
	return a.String()
}

// addrGroup is the key of the per-address caps for a client address.
func addrGroup(a netip.Addr, r *http.Request) string {
	if !a.IsValid() {
		return r.RemoteAddr
	}
	return clientaddr.Group(a)
}

// onSessionsEnded cuts the sockets of ended sessions, on every node.
func (s *Server) onSessionsEnded(data []byte) {
	var ev core.SessionsEnded
	if err := json.Unmarshal(data, &ev); err != nil {
		s.log.Warn("bad sessions-ended event", "err", err)
		return
	}
	for _, id := range ev.SessionIDs {
		for _, sock := range s.sockets.ofSession(id) {
			sock.endSession(id)
		}
	}
}
