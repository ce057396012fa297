package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/server"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// inbox is an operator's code gateway: a real HTTP server that the
// webhook code sender posts to.
type inbox struct {
	mu    sync.Mutex
	codes map[string][]string // "to|purpose" → codes, oldest first
	srv   *httptest.Server
}

func newInbox(t *testing.T) *inbox {
	b := &inbox{codes: make(map[string][]string)}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ To, Code, Purpose string }
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		b.mu.Lock()
		k := m.To + "|" + m.Purpose
		b.codes[k] = append(b.codes[k], m.Code)
		b.mu.Unlock()
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// last returns the newest code sent to `to` for purpose.
func (b *inbox) last(t *testing.T, to, purpose string) string {
	t.Helper()
	code, ok := b.newest(to, purpose)
	if !ok {
		t.Fatalf("no %s code was sent to %s", purpose, to)
	}
	return code
}

// newest is last without failing, for any goroutine: ok is false if no
// code was sent.
func (b *inbox) newest(to, purpose string) (code string, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cs := b.codes[to+"|"+purpose]
	if len(cs) == 0 {
		return "", false
	}
	return cs[len(cs)-1], true
}

func (b *inbox) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, cs := range b.codes {
		out = append(out, cs...)
	}
	return out
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// node is a Haven server started for one test on a random loopback port.
type node struct {
	srv   *server.Server
	url   string
	codes *inbox
	clock *testClock
	logs  *syncBuffer
	dir   string
	db    []string // the settings of its PostgreSQL database (pgtest.ServeArgs), if any
}

// generous are limits that let a test sign many people up from one
// address; tests of flood control pass their own.
var generous = []string{"--signin-code-per-ip", "100000", "--signin-code-per-identifier", "1000", "--flood-rate", "1000", "--flood-burst", "1000"}

// sqliteOnly skips a test that looks into SQLite's files, when the
// servers run on PostgreSQL (HAVEN_TEST_STORE=postgres).
func sqliteOnly(t *testing.T, why string) {
	t.Helper()
	if pgtest.OnPostgres() {
		t.Skipf("SQLite only (%s); the servers run on PostgreSQL", why)
	}
}

func startNode(t *testing.T, args ...string) *node {
	t.Helper()
	return startNodeWith(t, server.Options{}, args...)
}

// startNodeWith is startNode with options beyond the settings (Log and
// Clock are the node's own).
func startNodeWith(t *testing.T, opt server.Options, args ...string) *node {
	t.Helper()
	n := &node{codes: newInbox(t), clock: &testClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}, logs: &syncBuffer{}, dir: t.TempDir(), db: pgtest.ServeArgs(t)}
	all := append([]string{"--listen", "127.0.0.1:0", "--data-dir", n.dir, "--code-sender", "webhook=" + n.codes.srv.URL, "--log-level", "debug"}, n.db...)
	all = append(all, args...)
	cfg, err := config.LoadServe(all, nil, io.Discard)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	log := slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	opt.Log, opt.Clock = log, n.clock
	n.srv, err = server.New(ctx, cfg, opt)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	if err := n.srv.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	n.url = n.srv.URL()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return n
}

// reply is one answer of the API, from either transport.
type reply struct {
	Status int // HTTP status; 0 over the WebSocket
	OK     bool
	Result json.RawMessage
	Error  *struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		RetryAfter int    `json:"retry_after"`
	}
}

func (r reply) code() string {
	if r.Error == nil {
		return "OK"
	}
	return r.Error.Code
}

// into decodes the result into v.
func (r reply) into(t *testing.T, v any) {
	t.Helper()
	if !r.OK {
		t.Fatalf("call failed: %s: %s", r.code(), r.Error.Message)
	}
	if err := json.Unmarshal(r.Result, v); err != nil {
		t.Fatalf("decoding %s: %v", r.Result, err)
	}
}

// caller is a client of the native API over one transport.
type caller interface {
	// call sends params (marshalled to JSON, or sent as is when they are
	// json.RawMessage) and returns the answer.
	call(method string, params any) reply
	// setToken makes later calls act as a session.
	setToken(token string)
	transport() string
}

// httpCaller calls POST /api/METHOD.
type httpCaller struct {
	t     *testing.T
	base  string
	token string
}

func (c *httpCaller) transport() string { return "http" }

func (c *httpCaller) setToken(tok string) { c.token = tok }

func (c *httpCaller) call(method string, params any) reply {
	c.t.Helper()
	body := marshal(c.t, params)
	req, _ := http.NewRequest("POST", c.base+"/api/"+method, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", method, err)
	}
	defer resp.Body.Close()
	var r reply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		c.t.Fatalf("%s: decoding the answer: %v", method, err)
	}
	r.Status = resp.StatusCode
	return r
}

func marshal(t *testing.T, params any) []byte {
	switch p := params.(type) {
	case nil:
		return nil
	case json.RawMessage:
		return p
	case []byte:
		return p
	}
	b, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pending holds a socket's requests that wait for their answers, by id.
type pending struct {
	mu   sync.Mutex
	wait map[string]chan reply
}

// add registers a request with id (as written in its frame); its answer
// comes on the channel.
func (p *pending) add(id string) chan reply {
	ch := make(chan reply, 1)
	p.mu.Lock()
	if p.wait == nil {
		p.wait = make(map[string]chan reply)
	}
	p.wait[id] = ch
	p.mu.Unlock()
	return ch
}

// answer hands the answer frame data, whose id is id, to the request
// that waits for it, if any.
func (p *pending) answer(id json.RawMessage, data []byte) {
	var r reply
	_ = json.Unmarshal(data, &r)
	p.mu.Lock()
	ch := p.wait[string(id)]
	delete(p.wait, string(id))
	p.mu.Unlock()
	if ch != nil {
		ch <- r
	}
}

// wsCaller speaks the WebSocket transport: requests with ids, answers
// matched by id, pushes kept aside.
type wsCaller struct {
	t       *testing.T
	base    string
	conn    *websocket.Conn
	mu      sync.Mutex
	nextID  int
	answers pending
	pushes  chan json.RawMessage
	closed  chan websocket.StatusCode
}

func (c *wsCaller) transport() string { return "ws" }

func dialWS(t *testing.T, base, token string) *wsCaller {
	t.Helper()
	c := &wsCaller{t: t, base: base, pushes: make(chan json.RawMessage, 100), closed: make(chan websocket.StatusCode, 1)}
	c.connect(token)
	return c
}

func (c *wsCaller) connect(token string) {
	c.t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.base, "http")+"/api/ws", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		c.t.Fatalf("dial: %v", err)
	}
	conn.SetReadLimit(16 << 20)
	c.conn = conn
	c.t.Cleanup(func() { conn.CloseNow() })
	go c.read(conn)
}

func (c *wsCaller) read(conn *websocket.Conn) {
	for {
		_, data, err := conn.Read(context.Background())
		if err != nil {
			c.closed <- websocket.CloseStatus(err)
			return
		}
		var probe struct {
			ID   json.RawMessage `json:"id"`
			Push string          `json:"push"`
		}
		if err := json.Unmarshal(data, &probe); err != nil {
			continue
		}
		if probe.Push != "" {
			c.pushes <- data
			continue
		}
		c.answers.answer(probe.ID, data)
	}
}

// setToken reconnects with the token in the upgrade request.
func (c *wsCaller) setToken(tok string) {
	c.conn.CloseNow()
	<-c.closed
	c.connect(tok)
}

func (c *wsCaller) call(method string, params any) reply {
	c.t.Helper()
	p := marshal(c.t, params)
	if p == nil {
		p = []byte("{}")
	}
	frame := []byte(fmt.Sprintf(`{"id":%d,"method":%q,"params":%s}`, c.next(), method, p))
	return c.send(frame)
}

func (c *wsCaller) next() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	return c.nextID
}

// send writes a raw frame and waits for the answer with the frame's id
// (or with a null id, for frames whose id could not be read).
func (c *wsCaller) send(frame []byte) reply {
	c.t.Helper()
	var probe struct {
		ID json.RawMessage `json:"id"`
	}
	_ = json.Unmarshal(frame, &probe)
	id := string(probe.ID)
	if id == "" || id[0] == '{' || id[0] == '[' {
		id = "null" // the server cannot answer to an id it cannot read
	}
	return c.sendAs(frame, id)
}

// sendAs writes a raw frame and waits for the answer whose id is id, as
// written ("null" for an answer to a frame whose id the server could
// not read).
func (c *wsCaller) sendAs(frame []byte, id string) reply {
	c.t.Helper()
	ch := c.answers.add(id)
	if err := c.conn.Write(context.Background(), websocket.MessageText, frame); err != nil {
		c.t.Fatalf("write: %v", err)
	}
	select {
	case r := <-ch:
		return r
	case code := <-c.closed:
		c.closed <- code
		c.t.Fatalf("socket closed (%d) while waiting for an answer", code)
	case <-time.After(10 * time.Second):
		c.t.Fatalf("no answer to %s", frame)
	}
	return reply{}
}

// transports runs f once over HTTP and once over the WebSocket.
func transports(t *testing.T, n *node, f func(t *testing.T, newCaller func() caller)) {
	t.Run("http", func(t *testing.T) {
		f(t, func() caller { return &httpCaller{t: t, base: n.url} })
	})
	t.Run("ws", func(t *testing.T) {
		f(t, func() caller { return dialWS(t, n.url, "") })
	})
}

// signUp walks a new person through sign-up and returns their session
// token and user id; c acts as them afterwards.
func signUp(t *testing.T, n *node, c caller, identifier, first string) (string, int64) {
	t.Helper()
	var sent struct {
		LoginToken string `json:"login_token"`
	}
	c.call("auth.sendCode", map[string]string{"identifier": identifier, "device": "Test " + c.transport()}).into(t, &sent)
	var auth struct {
		Status string `json:"status"`
		Token  string `json:"token"`
		User   struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	c.call("auth.signIn", map[string]string{"login_token": sent.LoginToken, "code": n.codes.last(t, identifier, "sign_in")}).into(t, &auth)
	if auth.Status != "sign_up_required" {
		t.Fatalf("signIn of a new person: status %q, want sign_up_required", auth.Status)
	}
	c.call("auth.signUp", map[string]string{"login_token": sent.LoginToken, "first_name": first}).into(t, &auth)
	if auth.Status != "authorized" || auth.Token == "" || auth.User.ID == 0 {
		t.Fatalf("signUp: %+v", auth)
	}
	if _, ok := c.(*httpCaller); ok {
		c.setToken(auth.Token)
	}
	return auth.Token, auth.User.ID
}

// signUpHTTP signs a new person up over HTTP with the next of ph's
// numbers, and returns a caller that acts as them, their token and id.
func signUpHTTP(t *testing.T, n *node, ph *phones, first string) (*httpCaller, string, int64) {
	t.Helper()
	c := &httpCaller{t: t, base: n.url}
	tok, id := signUp(t, n, c, ph.next(), first)
	return c, tok, id
}

// phones hands out distinct valid numbers in London's drama range.
type phones struct {
	mu sync.Mutex
	n  int
}

func (p *phones) next() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	return fmt.Sprintf("+44207946%04d", p.n)
}

// rawJSON sends params exactly as written.
func rawJSON(s string) json.RawMessage { return json.RawMessage(s) }
