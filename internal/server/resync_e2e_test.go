package server_test

// Resynchronisation: the log is the truth and pushes are hints. A client
// that misses pushes (its socket dropped, or pushes lost on purpose)
// recovers every message in order, with no gap and no duplicate, through
// sync.getDifference and sync.getChatDifference. The model client here
// (syncClient) is also the one the seeded simulation (sim_test.go) drives.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// resyncArgs lift the flood limits: these tests send and sync a lot from
// few accounts, on a clock that stands still. They serve metrics too,
// which tell how many sockets were cut.
var resyncArgs = []string{"--signin-code-per-ip", "100000", "--signin-code-per-identifier", "1000", "--flood-rate", "100000", "--flood-burst", "100000",
	"--metrics-listen", "127.0.0.1:0"}

// ---------------------------------------------------------------------
// An HTTP client of the native API that returns errors instead of
// failing the test, so that it can run on any goroutine.

type apiClient struct {
	base  func() string
	token string
	hc    *http.Client
}

func newHTTPClient(t *testing.T) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Timeout: 20 * time.Second, Transport: tr}
}

func fixedBase(url string) func() string { return func() string { return url } }

func (c *apiClient) do(method string, params any) (reply, error) {
	body := []byte("{}")
	if params != nil {
		var err error
		if body, err = json.Marshal(params); err != nil {
			return reply{}, err
		}
	}
	req, err := http.NewRequest("POST", c.base()+"/api/"+method, bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	var r reply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return reply{}, fmt.Errorf("%s: HTTP %d: decoding the answer: %w", method, resp.StatusCode, err)
	}
	r.Status = resp.StatusCode
	return r, nil
}

// must calls method and decodes its result into out (if not nil); any
// failure fails the test. Only on the test's goroutine.
func (c *apiClient) must(t *testing.T, method string, params, out any) {
	t.Helper()
	r, err := c.do(method, params)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	if !r.OK {
		t.Fatalf("%s %s: %s: %s", method, marshal(t, params), r.code(), r.Error.Message)
	}
	if out != nil {
		if err := json.Unmarshal(r.Result, out); err != nil {
			t.Fatalf("%s: decoding %s: %v", method, r.Result, err)
		}
	}
}

// ---------------------------------------------------------------------
// pushSocket is a WebSocket that collects every frame the server sends,
// however many, so that the server never finds it slow (unless the test
// holds its reads on purpose). It can also make requests, whose answers
// it routes by id.

type pushSocket struct {
	conn *websocket.Conn
	gate sync.RWMutex // held (Lock) by the test to stop reading

	mu      sync.Mutex
	queue   []json.RawMessage
	waiters map[string]chan json.RawMessage
	done    bool
	code    websocket.StatusCode
	nextID  int
	ready   chan struct{} // a token when something was queued or the socket closed
}

// dialOptions may shrink the socket's receive buffer, so that a client
// that stops reading fills the server's queue quickly.
func dialPushSocket(ctx context.Context, base, token string, rcvBuf int) (*pushSocket, error) {
	opts := &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}}
	if rcvBuf > 0 {
		d := &net.Dialer{Timeout: 5 * time.Second}
		opts.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err == nil {
				_ = c.(*net.TCPConn).SetReadBuffer(rcvBuf)
			}
			return c, err
		}}}
	}
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/ws", opts)
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(16 << 20)
	p := &pushSocket{conn: conn, waiters: make(map[string]chan json.RawMessage), ready: make(chan struct{}, 1)}
	go p.read()
	return p, nil
}

func (p *pushSocket) notify() {
	select {
	case p.ready <- struct{}{}:
	default:
	}
}

func (p *pushSocket) read() {
	for {
		p.gate.RLock()
		p.gate.RUnlock()
		_, data, err := p.conn.Read(context.Background())
		if err != nil {
			p.mu.Lock()
			p.done, p.code = true, websocket.CloseStatus(err)
			for id, ch := range p.waiters {
				close(ch)
				delete(p.waiters, id)
			}
			p.mu.Unlock()
			p.notify()
			return
		}
		var probe struct {
			ID   json.RawMessage `json:"id"`
			Push string          `json:"push"`
		}
		_ = json.Unmarshal(data, &probe)
		p.mu.Lock()
		if probe.Push == "" && p.waiters[string(probe.ID)] != nil {
			p.waiters[string(probe.ID)] <- data
			delete(p.waiters, string(probe.ID))
		} else {
			p.queue = append(p.queue, data)
		}
		p.mu.Unlock()
		p.notify()
	}
}

// take returns the frames received so far and whether the socket has
// closed (after them).
func (p *pushSocket) take() ([]json.RawMessage, bool, websocket.StatusCode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.queue
	p.queue = nil
	return q, p.done, p.code
}

// wait waits up to d for a frame or the close.
func (p *pushSocket) wait(d time.Duration) {
	select {
	case <-p.ready:
	case <-time.After(d):
	}
}

// request makes a call over the socket and waits for its answer.
func (p *pushSocket) request(method string, params any) (reply, error) {
	b, err := json.Marshal(params)
	if err != nil {
		return reply{}, err
	}
	ch := make(chan json.RawMessage, 1)
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return reply{}, errors.New("socket closed")
	}
	p.nextID++
	id := fmt.Sprint(p.nextID)
	p.waiters[id] = ch
	p.mu.Unlock()
	frame := fmt.Appendf(nil, `{"id":%s,"method":%q,"params":%s}`, id, method, b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.conn.Write(ctx, websocket.MessageText, frame); err != nil {
		return reply{}, err
	}
	select {
	case data, ok := <-ch:
		if !ok {
			return reply{}, errors.New("socket closed while waiting for an answer")
		}
		var r reply
		err := json.Unmarshal(data, &r)
		return r, err
	case <-ctx.Done():
		return reply{}, fmt.Errorf("no answer to %s", method)
	}
}

func (p *pushSocket) close() { p.conn.CloseNow() }

// ---------------------------------------------------------------------
// What clients receive.

type syncService struct {
	Type string `json:"type"`
}

type syncMessage struct {
	ChatID   int64        `json:"chat_id"`
	ID       int64        `json:"id"`
	SenderID int64        `json:"sender_id"`
	Date     int64        `json:"date"`
	Text     string       `json:"text"`
	EditDate int64        `json:"edit_date"`
	Service  *syncService `json:"service"`
}

// state is what a replica keeps of a message, comparable with ==.
func (m *syncMessage) state() msgState {
	s := msgState{ID: m.ID, Sender: m.SenderID, Date: m.Date, Text: m.Text, EditDate: m.EditDate}
	if m.Service != nil {
		s.Service = m.Service.Type
	}
	return s
}

type msgState struct {
	ID, Sender, Date, EditDate int64
	Text, Service              string
}

type syncEvent struct {
	ChatID    int64           `json:"chat_id"`
	Seq       int64           `json:"seq"`
	Kind      string          `json:"kind"`
	Date      int64           `json:"date"`
	UserID    int64           `json:"user_id"`
	MessageID int64           `json:"message_id"`
	Message   *syncMessage    `json:"message"`
	Data      json.RawMessage `json:"data"`
}

type syncUserEvent struct {
	Pts    int64           `json:"pts"`
	Kind   string          `json:"kind"`
	ChatID int64           `json:"chat_id"`
	Data   json.RawMessage `json:"data"`
}

type syncState struct {
	Pts int64 `json:"pts"`
	GID int64 `json:"gid"`
}

type syncDifference struct {
	UserEvents []syncUserEvent `json:"user_events"`
	Dialogs    []struct {
		Chat struct {
			ID  int64 `json:"id"`
			Seq int64 `json:"seq"`
		} `json:"chat"`
	} `json:"dialogs"`
	State syncState `json:"state"`
	More  bool      `json:"more"`
}

type syncChatDifference struct {
	Events  []syncEvent `json:"events"`
	Seq     int64       `json:"seq"`
	More    bool        `json:"more"`
	TooLong bool        `json:"too_long"`
}

// ---------------------------------------------------------------------
// syncClient is one device of one person, as a careful client is built:
// it keeps a replica of each of its chats made only from pushes and
// differences, applies each chat's events strictly in seq order (an
// event past the next seq is a gap, filled from getChatDifference; one
// at or below it was already applied and is ignored), follows its
// person's log by pts the same way, and after each (re)connection asks
// getDifference for what it missed. Everything runs on the test's
// goroutine except the socket's reader.

type replica struct {
	seq      int64
	applied  []int64 // seqs in the order they were applied
	newOrder []int64 // ids in the order their message.new was applied
	msgs     map[int64]msgState
	deleted  map[int64]bool
}

type syncStats struct {
	pushes, applied, stale, dropped       int // chat pushes
	gaps, chatDiffs, diffEvents, more     int // chat gaps seen, getChatDifference calls, events they gave, pages with more
	userPushes, userGaps, diffs, connects int
	closes                                map[websocket.StatusCode]int
}

type syncClient struct {
	t      *testing.T
	name   string
	api    *apiClient
	userID int64
	gen    func() int // the server's generation: a socket from an older one is dead

	sock    *pushSocket
	sockGen int
	rcvBuf  int

	pts, gid int64
	chats    map[int64]*replica
	readMax  map[int64]int64
	pinned   map[int64]bool

	diffLimit int // getChatDifference page (0: the server's)
	dropNext  int // drop the next chat and user pushes
	dropIf    func(kind string, data json.RawMessage) bool
	stats     syncStats
}

func newSyncClient(t *testing.T, name string, api *apiClient, userID int64) *syncClient {
	return &syncClient{
		t: t, name: name, api: api, userID: userID, gen: func() int { return 0 },
		chats: make(map[int64]*replica), readMax: make(map[int64]int64), pinned: make(map[int64]bool),
		stats: syncStats{closes: make(map[websocket.StatusCode]int)},
	}
}

func (c *syncClient) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("%s (user %d, pts %d): %s", c.name, c.userID, c.pts, fmt.Sprintf(format, args...))
}

func (c *syncClient) replica(chatID int64) *replica {
	r := c.chats[chatID]
	if r == nil {
		r = &replica{msgs: make(map[int64]msgState), deleted: make(map[int64]bool)}
		c.chats[chatID] = r
	}
	return r
}

// connect opens a socket and makes one request over it: its answer comes
// after the server has subscribed the socket to the person's chats, so
// that whatever commits afterwards is pushed. Then it catches up.
func (c *syncClient) connect() {
	c.t.Helper()
	if c.sock != nil {
		c.sock.close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sock, err := dialPushSocket(ctx, c.api.base(), c.api.token, c.rcvBuf)
	if err != nil {
		c.fatalf("connecting: %v", err)
	}
	c.t.Cleanup(sock.close)
	c.sock, c.sockGen = sock, c.gen()
	c.stats.connects++
	if r, err := sock.request("sync.getState", struct{}{}); err != nil || !r.OK {
		c.fatalf("sync.getState over the new socket: %v %+v", err, r.Error)
	}
	c.catchUp()
}

// cut closes the socket from the client's side, as a lost connection
// would; the client notices at its next pump.
func (c *syncClient) cut() {
	if c.sock != nil {
		c.sock.close()
	}
}

// pump applies what the socket has received, and reconnects (then
// catches up) if it has closed or belongs to a server that has gone.
func (c *syncClient) pump() {
	c.t.Helper()
	if c.sock == nil {
		c.connect()
		return
	}
	frames, closed, code := c.sock.take()
	for _, f := range frames {
		c.handle(f)
	}
	if closed || c.sockGen != c.gen() {
		if closed {
			c.stats.closes[code]++
		}
		c.connect()
	}
}

// pumpUntil pumps until done() holds, failing after timeout.
func (c *syncClient) pumpUntil(what string, timeout time.Duration, done func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c.pump()
		if done() {
			return
		}
		if time.Now().After(deadline) {
			c.fatalf("timed out waiting for %s", what)
		}
		c.sock.wait(20 * time.Millisecond)
	}
}

func (c *syncClient) handle(raw json.RawMessage) {
	c.t.Helper()
	var f struct {
		Push string          `json:"push"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		c.fatalf("bad frame %s", raw)
	}
	if f.Push != "chat.event" && f.Push != "user.event" {
		return
	}
	if c.dropNext > 0 || (c.dropIf != nil && c.dropIf(f.Push, f.Data)) {
		if c.dropNext > 0 {
			c.dropNext--
		}
		c.stats.dropped++
		return
	}
	if f.Push == "user.event" {
		var e syncUserEvent
		if err := json.Unmarshal(f.Data, &e); err != nil {
			c.fatalf("bad user event %s", f.Data)
		}
		c.userPush(e)
		return
	}
	var e syncEvent
	if err := json.Unmarshal(f.Data, &e); err != nil {
		c.fatalf("bad chat event %s", f.Data)
	}
	c.chatPush(e)
}

func (c *syncClient) chatPush(e syncEvent) {
	c.t.Helper()
	c.stats.pushes++
	if e.ChatID == 0 || e.Seq <= 0 {
		c.fatalf("push without chat or seq: %+v", e)
	}
	r := c.replica(e.ChatID)
	switch {
	case e.Seq <= r.seq:
		c.stats.stale++ // already applied (from a difference)
	case e.Seq == r.seq+1:
		c.apply(r, e)
	default:
		c.stats.gaps++
		c.fillChat(e.ChatID)
		if r.seq < e.Seq {
			c.fatalf("chat %d: the difference ends at seq %d, before the pushed seq %d", e.ChatID, r.seq, e.Seq)
		}
	}
}

// fillChat brings a chat's replica to the chat's current seq.
func (c *syncClient) fillChat(chatID int64) {
	c.t.Helper()
	r := c.replica(chatID)
	for {
		var d syncChatDifference
		c.api.must(c.t, "sync.getChatDifference", map[string]any{"chat_id": chatID, "seq": r.seq, "limit": c.diffLimit}, &d)
		c.stats.chatDiffs++
		if d.TooLong {
			c.fatalf("chat %d: difference from seq %d is too long", chatID, r.seq)
		}
		for _, e := range d.Events {
			if e.ChatID != chatID || e.Seq != r.seq+1 {
				c.fatalf("chat %d: the difference after seq %d gave event %d of chat %d", chatID, r.seq, e.Seq, e.ChatID)
			}
			c.stats.diffEvents++
			c.apply(r, e)
		}
		if d.Seq != r.seq {
			c.fatalf("chat %d: the difference says seq %d, its events end at %d", chatID, d.Seq, r.seq)
		}
		if !d.More {
			return
		}
		c.stats.more++
		if len(d.Events) == 0 {
			c.fatalf("chat %d: an empty difference page with more", chatID)
		}
	}
}

// apply applies one chat event, the next in seq order, to the replica.
func (c *syncClient) apply(r *replica, e syncEvent) {
	c.t.Helper()
	if e.Seq != r.seq+1 {
		c.fatalf("chat %d: applying seq %d after %d", e.ChatID, e.Seq, r.seq)
	}
	r.seq = e.Seq
	r.applied = append(r.applied, e.Seq)
	c.stats.applied++
	m := e.Message
	if m != nil && (m.ID != e.MessageID || m.ChatID != e.ChatID) {
		c.fatalf("chat %d seq %d: event about message %d carries message %d of chat %d", e.ChatID, e.Seq, e.MessageID, m.ID, m.ChatID)
	}
	switch e.Kind {
	case "message.new":
		if m == nil {
			if e.MessageID != 0 {
				c.fatalf("chat %d seq %d: a new message %d without the message", e.ChatID, e.Seq, e.MessageID)
			}
			return // deleted since, or hidden
		}
		if _, dup := r.msgs[m.ID]; dup || r.deleted[m.ID] {
			c.fatalf("chat %d seq %d: message %d is new a second time", e.ChatID, e.Seq, m.ID)
		}
		r.msgs[m.ID] = m.state()
		r.newOrder = append(r.newOrder, m.ID)
	case "message.edit", "message.pin", "message.reaction":
		if m == nil {
			return
		}
		if _, ok := r.msgs[m.ID]; !ok {
			if r.deleted[m.ID] {
				c.fatalf("chat %d seq %d: %s of message %d, deleted before", e.ChatID, e.Seq, e.Kind, m.ID)
			}
			c.fatalf("chat %d seq %d: %s of message %d, never received", e.ChatID, e.Seq, e.Kind, m.ID)
		}
		r.msgs[m.ID] = m.state()
	case "message.delete":
		var d struct {
			IDs []int64 `json:"ids"`
		}
		if err := json.Unmarshal(e.Data, &d); err != nil || len(d.IDs) == 0 {
			c.fatalf("chat %d seq %d: bad delete data %s", e.ChatID, e.Seq, e.Data)
		}
		for _, id := range d.IDs {
			delete(r.msgs, id)
			r.deleted[id] = true
		}
	}
}

func (c *syncClient) userPush(e syncUserEvent) {
	c.t.Helper()
	c.stats.userPushes++
	switch {
	case e.Pts <= c.pts:
	case e.Pts == c.pts+1:
		c.applyUser(e)
	default:
		c.stats.userGaps++
		c.catchUp()
		if c.pts < e.Pts {
			c.fatalf("the difference ends at pts %d, before the pushed pts %d", c.pts, e.Pts)
		}
	}
}

func (c *syncClient) applyUser(e syncUserEvent) {
	c.t.Helper()
	if e.Pts != c.pts+1 {
		c.fatalf("applying pts %d after %d", e.Pts, c.pts)
	}
	c.pts = e.Pts
	switch e.Kind {
	case "dialog.added":
		c.fillChat(e.ChatID)
	case "dialog.removed":
		delete(c.chats, e.ChatID)
	case "dialog.read":
		var d struct {
			MaxID int64 `json:"max_id"`
		}
		if err := json.Unmarshal(e.Data, &d); err != nil || d.MaxID <= 0 {
			c.fatalf("bad dialog.read data %s", e.Data)
		}
		if d.MaxID <= c.readMax[e.ChatID] {
			c.fatalf("chat %d: read pointer moved back from %d to %d", e.ChatID, c.readMax[e.ChatID], d.MaxID)
		}
		c.readMax[e.ChatID] = d.MaxID
	case "dialog.update":
		var d struct {
			Pinned bool `json:"pinned"`
		}
		if err := json.Unmarshal(e.Data, &d); err != nil {
			c.fatalf("bad dialog.update data %s", e.Data)
		}
		c.pinned[e.ChatID] = d.Pinned
	}
}

// catchUp asks getDifference for what changed since (pts, gid), applies
// the person's events and brings every changed chat up to date.
func (c *syncClient) catchUp() {
	c.t.Helper()
	for {
		var d syncDifference
		from := c.pts
		c.api.must(c.t, "sync.getDifference", map[string]int64{"pts": c.pts, "gid": c.gid}, &d)
		c.stats.diffs++
		for _, e := range d.UserEvents {
			if e.Pts <= c.pts {
				c.fatalf("getDifference from pts %d gave pts %d", c.pts, e.Pts)
			}
			c.applyUser(e)
		}
		if c.pts != d.State.Pts {
			c.fatalf("getDifference from pts %d: state pts %d, but the events end at %d", from, d.State.Pts, c.pts)
		}
		for _, dl := range d.Dialogs {
			if dl.Chat.Seq > c.replica(dl.Chat.ID).seq {
				c.fillChat(dl.Chat.ID)
			}
		}
		if d.State.GID < c.gid {
			c.fatalf("getDifference moved gid back from %d to %d", c.gid, d.State.GID)
		}
		c.gid = d.State.GID
		if !d.More {
			return
		}
	}
}

// history is a chat's whole history as the person sees it, oldest first.
func (c *syncClient) history(chatID int64) []syncMessage {
	c.t.Helper()
	var all []syncMessage
	before := int64(0)
	for {
		var page []syncMessage
		c.api.must(c.t, "messages.history", map[string]int64{"chat_id": chatID, "before_id": before, "limit": 100}, &page)
		all = append(all, page...)
		if len(page) < 100 {
			break
		}
		before = page[len(page)-1].ID
	}
	slices.Reverse(all)
	for i := 1; i < len(all); i++ {
		if all[i].ID <= all[i-1].ID {
			c.fatalf("chat %d: history not ordered by id: %d then %d", chatID, all[i-1].ID, all[i].ID)
		}
	}
	return all
}

// chatSeq is a chat's current seq on the server.
func (c *syncClient) chatSeq(chatID int64) int64 {
	c.t.Helper()
	var ch struct {
		Seq int64 `json:"seq"`
	}
	c.api.must(c.t, "chats.get", map[string]int64{"chat_id": chatID}, &ch)
	return ch.Seq
}

// verifyChat checks that the replica of a chat is the server's: the same
// messages (ids, senders, dates, texts, edit dates), none that was
// deleted, and every seq up to the chat's applied once, in order.
func (c *syncClient) verifyChat(chatID int64) {
	c.t.Helper()
	r := c.chats[chatID]
	if r == nil {
		c.fatalf("no replica of chat %d", chatID)
	}
	if seq := c.chatSeq(chatID); r.seq != seq {
		c.fatalf("chat %d: replica at seq %d, the server at %d", chatID, r.seq, seq)
	}
	for i, s := range r.applied {
		if s != int64(i+1) {
			c.fatalf("chat %d: applied seqs %v are not 1..%d", chatID, r.applied, r.seq)
		}
	}
	hist := c.history(chatID)
	if len(hist) != len(r.msgs) {
		c.fatalf("chat %d: the server has %d messages, the replica %d", chatID, len(hist), len(r.msgs))
	}
	for _, m := range hist {
		got, ok := r.msgs[m.ID]
		if !ok {
			c.fatalf("chat %d: message %d (%q) missing from the replica", chatID, m.ID, m.Text)
		}
		if want := m.state(); got != want {
			c.fatalf("chat %d: message %d: replica %+v, server %+v", chatID, m.ID, got, want)
		}
		if r.deleted[m.ID] {
			c.fatalf("chat %d: message %d is on the server but the replica saw it deleted", chatID, m.ID)
		}
	}
	seen := map[int64]bool{}
	for _, id := range r.newOrder {
		if seen[id] {
			c.fatalf("chat %d: message %d applied as new twice", chatID, id)
		}
		seen[id] = true
	}
}

// verifyDialogs checks the person's read pointers and pins, as the
// replica learnt them from the person's log, against dialogs.list, and
// pts against the server's.
func (c *syncClient) verifyDialogs() {
	c.t.Helper()
	var ds []struct {
		Chat struct {
			ID int64 `json:"id"`
		} `json:"chat"`
		ReadInboxMaxID int64 `json:"read_inbox_max_id"`
		Pinned         bool  `json:"pinned"`
	}
	c.api.must(c.t, "dialogs.list", nil, &ds)
	for _, d := range ds {
		if _, ok := c.chats[d.Chat.ID]; !ok {
			c.fatalf("dialog %d is unknown to the client", d.Chat.ID)
		}
		if c.readMax[d.Chat.ID] != d.ReadInboxMaxID {
			c.fatalf("chat %d: the client has read up to %d, the server says %d", d.Chat.ID, c.readMax[d.Chat.ID], d.ReadInboxMaxID)
		}
		if c.pinned[d.Chat.ID] != d.Pinned {
			c.fatalf("chat %d: the client has pinned=%v, the server %v", d.Chat.ID, c.pinned[d.Chat.ID], d.Pinned)
		}
	}
	if len(ds) != len(c.chats) {
		c.fatalf("%d dialogs on the server, %d chats in the client", len(ds), len(c.chats))
	}
	var st syncState
	c.api.must(c.t, "sync.getState", nil, &st)
	if st.Pts != c.pts {
		c.fatalf("pts %d, the server's %d", c.pts, st.Pts)
	}
}

// ---------------------------------------------------------------------
// The tests.

// sentMsg is one acknowledged send.
type sentMsg struct {
	chatID, id int64
	text       string
}

// burstSender sends numbered messages over HTTP, round robin over its
// targets, until stopped; every answer must be ok.
type burstSender struct {
	api     *apiClient
	targets []int64 // chat ids
	mu      sync.Mutex
	sent    []sentMsg
	err     error
	count   atomic.Int64
	stop    atomic.Bool
	done    chan struct{}
}

func startBurst(api *apiClient, targets []int64, ridBase int64, pause time.Duration, pad string) *burstSender {
	return startBurstN(api, targets, ridBase, pause, pad, 1)
}

// startBurstN sends with several workers at once; their messages
// interleave.
func startBurstN(api *apiClient, targets []int64, ridBase int64, pause time.Duration, pad string, workers int) *burstSender {
	b := &burstSender{api: api, targets: targets, done: make(chan struct{})}
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !b.stop.Load() {
				i := next.Add(1) - 1
				chat := targets[i%int64(len(targets))]
				text := fmt.Sprintf("burst %04d%s", i, pad)
				p := map[string]any{"chat_id": chat, "text": text, "random_id": ridBase + i}
				r, err := api.do("messages.send", p)
				if err == nil && !r.OK {
					err = fmt.Errorf("send %d: %s: %s", i, r.code(), r.Error.Message)
				}
				var m syncMessage
				if err == nil {
					err = json.Unmarshal(r.Result, &m)
				}
				b.mu.Lock()
				if err != nil {
					b.err = err
					b.mu.Unlock()
					b.stop.Store(true)
					return
				}
				b.sent = append(b.sent, sentMsg{chatID: chat, id: m.ID, text: text})
				b.mu.Unlock()
				b.count.Add(1)
				if pause > 0 {
					time.Sleep(pause)
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(b.done)
	}()
	return b
}

// waitCount waits until n messages have been acknowledged.
func (b *burstSender) waitCount(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for b.count.Load() < n {
		select {
		case <-b.done:
			t.Fatalf("the sender stopped after %d messages: %v", b.count.Load(), b.err)
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sender made only %d of %d messages", b.count.Load(), n)
		}
	}
}

func (b *burstSender) finish(t *testing.T) []sentMsg {
	t.Helper()
	b.stop.Store(true)
	<-b.done
	if b.err != nil {
		t.Fatalf("sender: %v", b.err)
	}
	return b.sent
}

// resyncWorld is two people with a private chat and a group of three.
type resyncWorld struct {
	n                   *node
	hc                  *http.Client
	ann, bob, cat       *apiClient
	annID, bobID, catID int64
	private, group      int64
}

func newResyncWorld(t *testing.T, extra ...string) *resyncWorld {
	w := &resyncWorld{n: startNode(t, append(slices.Clone(resyncArgs), extra...)...), hc: newHTTPClient(t)}
	var ph phones
	var callers []*httpCaller
	var numbers []string
	person := func(first string) (*apiClient, int64) {
		c := &httpCaller{t: t, base: w.n.url}
		phone := ph.next()
		tok, id := signUp(t, w.n, c, phone, first)
		callers, numbers = append(callers, c), append(numbers, phone)
		return &apiClient{base: fixedBase(w.n.url), token: tok, hc: w.hc}, id
	}
	w.ann, w.annID = person("Ann")
	w.bob, w.bobID = person("Bob")
	w.cat, w.catID = person("Cat")
	// Bob and Cat have Ann in their contacts: she may write to them and
	// add them to groups.
	for i := 1; i <= 2; i++ {
		knows(t, callers[0], numbers[0], w.annID, callers[i], numbers[i])
	}
	var m syncMessage
	w.ann.must(t, "messages.send", map[string]any{"user_id": w.bobID, "text": "hello Bob", "random_id": 1}, &m)
	w.private = m.ChatID
	var g struct {
		ID int64 `json:"id"`
	}
	w.ann.must(t, "chats.createGroup", map[string]any{"title": "Three", "user_ids": []int64{w.bobID, w.catID}}, &g)
	w.group = g.ID
	return w
}

// checkSent checks that a replica holds exactly the acknowledged
// messages of its chat (besides those made before the burst), each once,
// applied in the order they were sent.
func checkSent(t *testing.T, c *syncClient, chatID int64, sent []sentMsg) {
	t.Helper()
	r := c.chats[chatID]
	byText := map[string]int64{}
	var want []int64
	for _, s := range sent {
		if s.chatID != chatID {
			continue
		}
		want = append(want, s.id)
		byText[s.text] = s.id
		if !strings.HasPrefix(s.text, "burst ") {
			t.Fatalf("not a burst message: %q", s.text)
		}
		got, ok := r.msgs[s.id]
		if !ok || got.Text != s.text {
			t.Fatalf("chat %d: sent message %d %q, the replica has %+v", chatID, s.id, s.text, got)
		}
	}
	slices.Sort(want) // several senders: their messages interleave
	var order []int64
	for _, id := range r.newOrder {
		if m := r.msgs[id]; strings.HasPrefix(m.Text, "burst ") {
			if byText[m.Text] != id {
				t.Fatalf("chat %d: replica message %d %q was not sent (or under another id)", chatID, id, m.Text)
			}
			order = append(order, id)
		}
	}
	if !slices.Equal(order, want) {
		t.Fatalf("chat %d: the replica applied %d burst messages in the order %v, want %v", chatID, len(order), order, want)
	}
}

// TestResyncAfterDroppedSocket drops a receiver's socket in the middle of
// a burst of sends to a private chat and a group; on reconnecting it
// recovers everything from the difference methods, in order, with no
// gap and no duplicate.
func TestResyncAfterDroppedSocket(t *testing.T) {
	w := newResyncWorld(t)
	bob := newSyncClient(t, "bob", w.bob, w.bobID)
	bob.diffLimit = 7 // page through the differences
	bob.connect()
	if bob.chats[w.private] == nil || bob.chats[w.group] == nil {
		t.Fatalf("the first catch-up did not find both chats: %v", bob.chats)
	}

	burst := startBurst(w.ann, []int64{w.private, w.group}, 1000, 0, "")
	// Bob follows the pushes for a while ...
	bob.pumpUntil("40 pushed messages", 20*time.Second, func() bool { return bob.stats.applied >= 40 })
	pushedBefore := bob.stats.applied
	// ... his socket drops while Ann keeps sending ...
	bob.cut()
	// The one send in flight at the cut may have been pushed before it
	// and counted after it: 61 more make 60 sent while disconnected.
	at := burst.count.Load()
	burst.waitCount(t, at+61)
	// ... and he reconnects (and catches up) with the burst still going.
	before := bob.stats
	bob.pump()
	if bob.stats.connects != before.connects+1 || bob.stats.diffs == before.diffs {
		t.Fatalf("the client did not reconnect and ask for the difference: %+v", bob.stats)
	}
	caught := bob.stats.diffEvents - before.diffEvents
	if caught < 60 || bob.stats.more == before.more {
		t.Fatalf("the catch-up brought %d events (want at least the 60 sent while disconnected) in pages of 7 (want some with more): %+v", caught, bob.stats)
	}
	burst.waitCount(t, burst.count.Load()+40)
	sent := burst.finish(t)
	// What was sent after the reconnection arrives by push alone.
	gapsBefore := bob.stats.gaps
	for _, chat := range []int64{w.private, w.group} {
		seq := bob.chatSeq(chat)
		bob.pumpUntil(fmt.Sprintf("chat %d at seq %d", chat, seq), 10*time.Second, func() bool { return bob.chats[chat].seq >= seq })
	}
	if bob.stats.gaps != gapsBefore {
		t.Errorf("pushes were lost after the reconnection: %d gaps", bob.stats.gaps-gapsBefore)
	}
	for _, chat := range []int64{w.private, w.group} {
		checkSent(t, bob, chat, sent)
		bob.verifyChat(chat)
	}
	bob.verifyDialogs()
	t.Logf("%d messages sent; %d applied from pushes before the drop, %d events caught up in %d getChatDifference calls; stats %+v",
		len(sent), pushedBefore, bob.stats.diffEvents, bob.stats.chatDiffs, bob.stats)
}

// TestResyncAfterDroppedPushes loses pushes on purpose (some single, some
// in a run): each gap is seen at the next push of the chat and filled
// from getChatDifference, without any reconnection. The sender waits for
// each push to be handled before sending on, so the count of gaps is
// exact.
func TestResyncAfterDroppedPushes(t *testing.T) {
	w := newResyncWorld(t)
	bob := newSyncClient(t, "bob", w.bob, w.bobID)
	bob.connect()
	// Message i goes to the private chat when i is even, the group when
	// odd. Lost: 5, 17, 61 and 31, 33 in the group (four gaps, as 31 and
	// 33 are one run there), and 30, 32, 34 in the private chat (one).
	lost := map[string]bool{}
	for _, i := range []int{5, 17, 30, 31, 32, 33, 34, 61} {
		lost[fmt.Sprintf("burst %04d", i)] = true
	}
	const wantGaps = 5
	initialDiffs := bob.stats.chatDiffs
	handled := ""
	bob.dropIf = func(kind string, data json.RawMessage) bool {
		if kind != "chat.event" {
			return false
		}
		var e syncEvent
		_ = json.Unmarshal(data, &e)
		if e.Message != nil && lost[e.Message.Text] {
			handled = e.Message.Text
			return true
		}
		return false
	}
	var sent []sentMsg
	for i := range 80 {
		chat := []int64{w.private, w.group}[i%2]
		text := fmt.Sprintf("burst %04d", i)
		var m syncMessage
		w.ann.must(t, "messages.send", map[string]any{"chat_id": chat, "text": text, "random_id": 1000 + i}, &m)
		sent = append(sent, sentMsg{chatID: chat, id: m.ID, text: text})
		bob.pumpUntil(text, 10*time.Second, func() bool {
			_, ok := bob.chats[chat].msgs[m.ID]
			return ok || handled == text
		})
		if _, ok := bob.chats[chat].msgs[m.ID]; ok == lost[text] {
			t.Fatalf("%s: in the replica %v, lost %v", text, ok, lost[text])
		}
	}
	if bob.stats.dropped != len(lost) || bob.stats.gaps != wantGaps {
		t.Fatalf("%d pushes lost: %d gaps seen, want %d", bob.stats.dropped, bob.stats.gaps, wantGaps)
	}
	if bob.stats.connects != 1 || bob.stats.diffs != 1 || bob.stats.chatDiffs != initialDiffs+wantGaps {
		t.Fatalf("the client reconnected or asked getDifference: %+v", bob.stats)
	}
	for _, chat := range []int64{w.private, w.group} {
		checkSent(t, bob, chat, sent)
		bob.verifyChat(chat)
	}
	bob.verifyDialogs()
	t.Logf("stats %+v", bob.stats)
}

// TestResyncUserLog follows a person's own log across devices: reads and
// pins made on another device reach the first one by push, and through
// getDifference when its socket was down or a push was lost.
func TestResyncUserLog(t *testing.T) {
	w := newResyncWorld(t)
	bob := newSyncClient(t, "bob phone", w.bob, w.bobID)
	bob.connect()
	// Bob's second device: a new session of the same person.
	var me struct {
		Phone string `json:"phone"`
	}
	w.bob.must(t, "users.getMe", nil, &me)
	_, auth := codeSignIn(t, w.n, &httpCaller{t: t, base: w.n.url}, me.Phone, "tablet")
	if auth.Status != "authorized" {
		t.Fatalf("second device: %+v", auth)
	}
	tablet := &apiClient{base: fixedBase(w.n.url), token: auth.Token, hc: w.hc}

	send := func(chat int64, text string) int64 {
		var m syncMessage
		w.ann.must(t, "messages.send", map[string]any{"chat_id": chat, "text": text, "random_id": rid()}, &m)
		return m.ID
	}
	waitPts := func(what string) {
		t.Helper()
		var st syncState
		tablet.must(t, "sync.getState", nil, &st)
		bob.pumpUntil(what, 10*time.Second, func() bool { return bob.pts >= st.Pts })
	}

	// Live: the tablet reads and pins; the phone learns by push.
	top := send(w.private, "one")
	tablet.must(t, "messages.read", map[string]any{"chat_id": w.private}, nil)
	tablet.must(t, "dialogs.update", map[string]any{"chat_id": w.group, "pinned": true}, nil)
	waitPts("the tablet's read and pin")
	if bob.readMax[w.private] != top || !bob.pinned[w.group] || bob.stats.diffs != 1 {
		t.Fatalf("live: read %d (want %d), group pinned %v, %d differences", bob.readMax[w.private], top, bob.pinned[w.group], bob.stats.diffs)
	}

	// The phone's socket is down while the tablet reads both chats and
	// moves the pin: the phone catches up by getDifference.
	bob.cut()
	top = send(w.private, "two")
	gtop := send(w.group, "three")
	tablet.must(t, "messages.read", map[string]any{"chat_id": w.private}, nil)
	tablet.must(t, "messages.read", map[string]any{"chat_id": w.group}, nil)
	tablet.must(t, "dialogs.update", map[string]any{"chat_id": w.group, "pinned": false}, nil)
	tablet.must(t, "dialogs.update", map[string]any{"chat_id": w.private, "pinned": true}, nil)
	diffs := bob.stats.diffs
	waitPts("the catch-up")
	if bob.stats.diffs == diffs {
		t.Fatalf("no getDifference after the reconnection")
	}
	if bob.readMax[w.private] != top || bob.readMax[w.group] != gtop || bob.pinned[w.group] || !bob.pinned[w.private] {
		t.Fatalf("after the catch-up: read %v (want %d, %d), pinned %v", bob.readMax, top, gtop, bob.pinned)
	}

	// A lost user push: the gap shows at the next one, and getDifference
	// fills it.
	bob.dropIf = func(kind string, _ json.RawMessage) bool { return kind == "user.event" && bob.stats.dropped == 0 }
	top = send(w.private, "four")
	tablet.must(t, "messages.read", map[string]any{"chat_id": w.private}, nil)
	tablet.must(t, "dialogs.update", map[string]any{"chat_id": w.group, "pinned": true}, nil)
	diffs, gaps := bob.stats.diffs, bob.stats.userGaps
	waitPts("the user gap")
	if bob.stats.dropped != 1 || bob.stats.userGaps != gaps+1 || bob.stats.diffs != diffs+1 {
		t.Fatalf("lost user push: %+v", bob.stats)
	}
	if bob.readMax[w.private] != top || !bob.pinned[w.group] {
		t.Fatalf("after the user gap: read %v, pinned %v", bob.readMax, bob.pinned)
	}
	bob.verifyDialogs()
	for _, chat := range []int64{w.private, w.group} {
		bob.verifyChat(chat)
	}
	t.Logf("stats %+v", bob.stats)
}

// TestDifferenceStateCoversItsEvents asks for the difference while the
// person's log grows: the state a difference returns must cover the
// events it returns, or a client that adopts the state (as it should)
// gets those events twice.
func TestDifferenceStateCoversItsEvents(t *testing.T) {
	w := newResyncWorld(t)
	var stop atomic.Bool
	done := make(chan error, 1)
	go func() {
		for i := 0; !stop.Load(); i++ {
			r, err := w.bob.do("dialogs.update", map[string]any{"chat_id": w.group, "pinned": i%2 == 0})
			if err == nil && !r.OK {
				err = fmt.Errorf("%s", r.code())
			}
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	var pts int64
	seen := map[int64]bool{}
	for range 150 {
		var d syncDifference
		w.bob.must(t, "sync.getDifference", map[string]int64{"pts": pts}, &d)
		for _, e := range d.UserEvents {
			if seen[e.Pts] || e.Pts > d.State.Pts {
				stop.Store(true)
				t.Fatalf("getDifference from pts %d: event pts %d again or past the state's %d", pts, e.Pts, d.State.Pts)
			}
			seen[e.Pts] = true
		}
		pts = d.State.Pts
	}
	stop.Store(true)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestResyncAfterSlowSocketCut stops reading a socket during a burst: the
// server cuts it (4008) rather than wait, and the client, reconnecting,
// recovers everything from the log.
func TestResyncAfterSlowSocketCut(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 5 MB of pushes")
	}
	w := newResyncWorld(t)
	bob := newSyncClient(t, "bob", w.bob, w.bobID)
	bob.rcvBuf = 64 << 10
	bob.connect()
	bob.sock.gate.Lock()
	held := bob.sock
	// Big messages (4,096 characters of 3 bytes each) fill the server's
	// socket buffers soon.
	burst := startBurstN(w.ann, []int64{w.private, w.group}, 1000, 0, " "+strings.Repeat("€", 4000), 4)
	// Wait for the cut: the server closes the TCP connection, which the
	// reader sees once let go. It comes once the kernel's buffers and the
	// socket's queue are full, which on a slow machine may be late in the
	// burst (12 MB in all): wait for the burst to end, and a little more.
	hardStop := time.Now().Add(3 * time.Minute)
	var cut bool
	var ended time.Time
	for !cut && time.Now().Before(hardStop) && (ended.IsZero() || time.Since(ended) < 10*time.Second) {
		time.Sleep(50 * time.Millisecond)
		cut = socketsCut(t, w.n) > 0
		select {
		case <-burst.done:
			if ended.IsZero() {
				ended = time.Now()
			}
		default:
		}
	}
	held.gate.Unlock()
	if !cut {
		burst.finish(t)
		t.Fatalf("the server did not cut a socket that stopped reading (%d messages sent)", burst.count.Load())
	}
	at := burst.count.Load()
	bob.pumpUntil("the cut socket to close", 10*time.Second, func() bool { return bob.sock != held })
	burst.waitCount(t, burst.count.Load()+20)
	sent := burst.finish(t)
	for _, chat := range []int64{w.private, w.group} {
		seq := bob.chatSeq(chat)
		bob.pumpUntil(fmt.Sprintf("chat %d at seq %d", chat, seq), 10*time.Second, func() bool { return bob.chats[chat].seq >= seq })
		checkSent(t, bob, chat, sent)
		bob.verifyChat(chat)
	}
	if bob.stats.closes[4008] != 1 {
		t.Fatalf("close codes %v, want one 4008", bob.stats.closes)
	}
	t.Logf("cut after %d messages; %d sent in all; stats %+v", at, len(sent), bob.stats)
}

// socketsCut reads the server's count of sockets cut for being slow.
func socketsCut(t *testing.T, n *node) int {
	t.Helper()
	resp, err := http.Get("http://" + n.srv.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	for _, line := range strings.Split(buf.String(), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "haven_websockets_cut_slow_total" {
			var v float64
			fmt.Sscan(f[1], &v)
			return int(v)
		}
	}
	return 0
}

// TestConcurrentIdempotentSend sends the same random_id from ten
// goroutines at once: one message, and every answer is that message.
func TestConcurrentIdempotentSend(t *testing.T) {
	w := newResyncWorld(t)
	for round, to := range []map[string]any{
		{"chat_id": w.group},
		{"chat_id": w.private},
		{"user_id": w.catID}, // the first message makes the chat: the race is in making it too
	} {
		const n = 10
		rid := int64(777_000 + round)
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			answers [n]syncMessage
			errs    [n]error
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := map[string]any{"text": fmt.Sprintf("once %d", round), "random_id": rid}
				for k, v := range to {
					p[k] = v
				}
				<-start
				r, err := w.ann.do("messages.send", p)
				if err == nil && !r.OK {
					err = fmt.Errorf("%s: %s", r.code(), r.Error.Message)
				}
				if err == nil {
					err = json.Unmarshal(r.Result, &answers[i])
				}
				errs[i] = err
			}()
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d, sender %d: %v", round, i, errs[i])
			}
			if answers[i].ID != answers[0].ID || answers[i].ChatID != answers[0].ChatID || answers[i].ID == 0 {
				t.Fatalf("round %d: answers differ: %+v and %+v", round, answers[0], answers[i])
			}
		}
		chat := answers[0].ChatID
		c := newSyncClient(t, "ann", w.ann, w.annID)
		var copies int
		for _, m := range c.history(chat) {
			if m.Text == fmt.Sprintf("once %d", round) {
				copies++
			}
		}
		if copies != 1 {
			t.Fatalf("round %d: %d copies of the message in the history", round, copies)
		}
		// The log has one message.new for it too.
		var d syncChatDifference
		w.ann.must(t, "sync.getChatDifference", map[string]int64{"chat_id": chat}, &d)
		news := 0
		for _, e := range d.Events {
			if e.Kind == "message.new" && e.MessageID == answers[0].ID {
				news++
			}
		}
		if news != 1 {
			t.Fatalf("round %d: %d message.new events for message %d", round, news, answers[0].ID)
		}
	}
}

// TestPushesStartWhenSocketOpens: docs/api.md ("After a reconnect") has
// a client open its socket, then call sync.getDifference, then apply the
// pushes held meanwhile. That is sound only if every event committed
// after the socket opened is pushed to it. A socket authorized by the
// bearer token of its upgrade request is subscribed to its person's
// chats only after the handshake completes (internal/api/ws.go,
// serveWS: websocket.Accept, then bind): an event committed in between
// is neither in the difference (if that ran first) nor pushed, and the
// client learns of it only at the chat's next event. Known bug, not yet
// fixed: run with HAVEN_KNOWN_BUGS=1 (with -race it misses about 2% of
// the pushes here). syncClient avoids it by making one request over the
// socket before catching up: its answer comes after the subscription.
func TestPushesStartWhenSocketOpens(t *testing.T) {
	w := newResyncWorld(t)
	const tries = 200
	missed := 0
	for i := range tries {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		sock, err := dialPushSocket(ctx, w.n.url, w.bob.token, 0)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		// The socket is open: whatever Ann sends now must reach it.
		w.ann.must(t, "messages.send", map[string]any{"chat_id": w.private, "text": fmt.Sprintf("now %d", i), "random_id": 5000 + i}, nil)
		got := false
		for deadline := time.Now().Add(time.Second); !got && time.Now().Before(deadline); sock.wait(10 * time.Millisecond) {
			frames, _, _ := sock.take()
			got = len(frames) > 0
		}
		if !got {
			missed++
		}
		sock.close()
	}
	if missed > 0 {
		t.Fatalf("%d of %d messages sent right after the socket opened were not pushed to it", missed, tries)
	}
}
