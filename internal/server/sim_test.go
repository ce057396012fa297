package server_test

// TestSimulation is a seeded, reproducible simulation: many people on
// several devices send, edit, delete and read in groups and private
// chats, while the driver loses pushes, cuts sockets and restarts the
// server. Each device is a model client (syncClient, resync_e2e_test.go)
// whose replica of every chat is built only from pushes and differences.
// At the end each must equal the server's history, with every seq
// applied once, in order.
//
// The driver is deterministic given the seed: it chooses from its own
// record of what the server acknowledged, never from what the clients
// happen to have received (that depends on goroutine timing, and pushes
// are only hints). A failing seed replays the same run:
//
//	go test ./internal/server -race -run 'TestSimulation' -seed 42 -v
//	HAVEN_SIM_SEED=42 go test ./internal/server -race -run TestSimulation -v
//
// HAVEN_SIM_STEPS sets the number of steps (default 400).

import (
	"context"
	"flag"
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/server"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
)

var simSeedFlag = flag.Uint64("seed", 0, "TestSimulation: run only this seed (or set HAVEN_SIM_SEED)")

// simDefaultSeeds run when no seed is given.
var simDefaultSeeds = []uint64{1, 42, 20260101}

func simSeeds(t *testing.T) []uint64 {
	if *simSeedFlag != 0 {
		return []uint64{*simSeedFlag}
	}
	if v := os.Getenv("HAVEN_SIM_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("HAVEN_SIM_SEED=%q: %v", v, err)
		}
		return []uint64{s}
	}
	return simDefaultSeeds
}

func simSteps(t *testing.T) int {
	if v := os.Getenv("HAVEN_SIM_STEPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("HAVEN_SIM_STEPS=%q", v)
		}
		return n
	}
	return 400
}

// ---------------------------------------------------------------------
// A node that can be stopped and started again on the same data
// directory, keeping its code inbox and clock.

type simNode struct {
	t     *testing.T
	dir   string
	codes *inbox
	clock *testClock
	logs  *syncBuffer
	srv   *server.Server
	url   string
	gen   int      // how many times it has started
	db    []string // the settings of its PostgreSQL database, if any
}

func newSimNode(t *testing.T) *simNode {
	n := &simNode{t: t, dir: t.TempDir(), codes: newInbox(t), clock: &testClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}, logs: &syncBuffer{}, db: pgtest.ServeArgs(t)}
	n.start()
	t.Cleanup(func() {
		if n.srv != nil {
			n.stop()
		}
	})
	return n
}

func (n *simNode) start() {
	n.t.Helper()
	args := append([]string{"--listen", "127.0.0.1:0", "--data-dir", n.dir, "--code-sender", "webhook=" + n.codes.srv.URL, "--log-level", "info"}, n.db...)
	args = append(args, resyncArgs...)
	cfg, err := config.LoadServe(args, nil, io.Discard)
	if err != nil {
		n.t.Fatalf("config: %v", err)
	}
	log := slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx := context.Background()
	if n.srv, err = server.New(ctx, cfg, server.Options{Log: log, Clock: n.clock}); err != nil {
		n.t.Fatalf("server.New (start %d): %v", n.gen+1, err)
	}
	if err := n.srv.Start(ctx); err != nil {
		n.t.Fatalf("Start: %v", err)
	}
	n.url = n.srv.URL()
	n.gen++
}

func (n *simNode) stop() {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := n.srv.Shutdown(ctx)
	n.srv = nil
	if err != nil {
		n.t.Fatalf("Shutdown: %v", err)
	}
}

func (n *simNode) restart() {
	n.t.Helper()
	n.stop()
	n.start()
}

// asNode is the node as the harness's helpers (signUp) take it.
func (n *simNode) asNode() *node {
	return &node{srv: n.srv, url: n.url, codes: n.codes, clock: n.clock, logs: n.logs, dir: n.dir, db: n.db}
}

// ---------------------------------------------------------------------
// The driver's record of what the server acknowledged.

type simPerson struct {
	idx     int
	id      int64
	phone   string
	devices []*syncClient
}

type simMsg struct {
	id      int64
	sender  int // person
	text    string
	edited  bool
	deleted bool
}

type simChat struct {
	id      int64
	group   bool
	members []int             // people, ascending
	msgs    []*simMsg         // the people's messages (not service ones), by id
	byID    map[int64]*simMsg // the same
}

type simCounts struct {
	sends, overSocket, retries, edits, deletes, reads, pins, drops, cuts, restarts, idle int
}

type sim struct {
	t       *testing.T
	seed    uint64
	steps   int
	rng     *rand.Rand
	node    *simNode
	hc      *http.Client
	people  []*simPerson
	clients []*syncClient
	chats   []*simChat // in the order they were made
	private map[[2]int]*simChat
	pinned  map[[2]int64]bool // (person, chat) → pinned
	rid     int64
	step    int
	// socketRetries counts sends retried over HTTP after their socket
	// failed; it depends on timing, so it is kept out of counts.
	socketRetries int
	counts        simCounts
	trace         []string    // the last actions, shown on failure
	print         hash.Hash64 // of every action: equal runs have equal prints
}

func (s *sim) tracef(format string, args ...any) {
	line := fmt.Sprintf("step %d: ", s.step) + fmt.Sprintf(format, args...)
	fmt.Fprintln(s.print, line)
	s.trace = append(s.trace, line)
	if len(s.trace) > 40 {
		s.trace = s.trace[1:]
	}
}

func (s *sim) nextRID() int64 {
	s.rid++
	return int64(s.seed%1000)*1_000_000 + s.rid
}

func (s *sim) member(c *simChat, p int) bool { return slices.Contains(c.members, p) }

// chatsOf lists the chats person p is in, in the order they were made.
func (s *sim) chatsOf(p int) []*simChat {
	var out []*simChat
	for _, c := range s.chats {
		if s.member(c, p) {
			out = append(out, c)
		}
	}
	return out
}

func (s *sim) device(p int) *syncClient {
	ds := s.people[p].devices
	return ds[s.rng.IntN(len(ds))]
}

// randomOwn picks a person at random and one of their messages that are
// not deleted; ok is false if they have none.
func (s *sim) randomOwn() (p int, c *simChat, m *simMsg, ok bool) {
	p = s.rng.IntN(len(s.people))
	type own struct {
		c *simChat
		m *simMsg
	}
	var live []own // in a fixed order
	for _, c := range s.chatsOf(p) {
		for _, m := range c.msgs {
			if m.sender == p && !m.deleted {
				live = append(live, own{c, m})
			}
		}
	}
	if len(live) == 0 {
		return p, nil, nil, false
	}
	o := live[s.rng.IntN(len(live))]
	return p, o.c, o.m, true
}

// randomChat picks a device at random and one of its person's chats; ok
// is false if they are in none.
func (s *sim) randomChat() (c *syncClient, p int, ch *simChat, ok bool) {
	c = s.clients[s.rng.IntN(len(s.clients))]
	p = s.personOf(c)
	chats := s.chatsOf(p)
	if len(chats) == 0 {
		return c, p, nil, false
	}
	return c, p, chats[s.rng.IntN(len(chats))], true
}

// ---------------------------------------------------------------------

func TestSimulation(t *testing.T) {
	steps := simSteps(t)
	for _, seed := range simSeeds(t) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runSimulation(t, seed, steps)
		})
	}
}

func runSimulation(t *testing.T, seed uint64, steps int) {
	start := time.Now()
	s := &sim{
		t: t, seed: seed, steps: steps, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		node: newSimNode(t), hc: newHTTPClient(t),
		private: make(map[[2]int]*simChat), pinned: make(map[[2]int64]bool), print: fnv.New64a(),
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the last actions:\n\t%s", strings.Join(s.trace, "\n\t"))
			t.Logf("server log (tail):\n%s", tail(s.node.logs.String(), 3000))
			t.Logf("SIMULATION FAILED with seed %d at step %d; replay it with:\n\tgo test ./internal/server -race -run 'TestSimulation' -seed %d -v\n\t(or HAVEN_SIM_SEED=%d)", seed, s.step, seed, seed)
		}
	})
	s.setUp()
	for s.step = 1; s.step <= steps; s.step++ {
		s.act()
		s.node.clock.Advance(time.Second)
		for _, c := range s.clients {
			if s.rng.IntN(100) < 30 {
				c.pump()
			}
		}
	}
	s.step = steps + 1
	s.finish()
	var st syncStats
	for _, c := range s.clients {
		st.pushes += c.stats.pushes
		st.applied += c.stats.applied
		st.stale += c.stats.stale
		st.dropped += c.stats.dropped
		st.gaps += c.stats.gaps
		st.chatDiffs += c.stats.chatDiffs
		st.diffEvents += c.stats.diffEvents
		st.userPushes += c.stats.userPushes
		st.userGaps += c.stats.userGaps
		st.diffs += c.stats.diffs
		st.connects += c.stats.connects
	}
	msgs := 0
	for _, c := range s.chats {
		msgs += len(c.msgs)
	}
	t.Logf("seed %d: %d steps in %v, actions' fingerprint %016x; %d people, %d devices, %d chats, %d messages; actions %+v", seed, steps, time.Since(start).Round(time.Millisecond), s.print.Sum64(), len(s.people), len(s.clients), len(s.chats), msgs, s.counts)
	t.Logf("%d sends over a socket, %d of them retried over HTTP after the socket failed", s.counts.overSocket, s.socketRetries)
	t.Logf("clients: %d chat pushes (%d stale, %d lost on purpose), %d events applied (%d from %d getChatDifference calls), %d gaps; %d user pushes, %d user gaps, %d getDifference calls, %d connections",
		st.pushes, st.stale, st.dropped, st.applied, st.diffEvents, st.chatDiffs, st.gaps, st.userPushes, st.userGaps, st.diffs, st.connects)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// setUp signs up six people (the first three with a second device) and
// makes three groups.
func (s *sim) setUp() {
	t := s.t
	base := func() string { return s.node.url }
	gen := func() int { return s.node.gen }
	var callers []*httpCaller
	for i := range 6 {
		p := &simPerson{idx: i, phone: fmt.Sprintf("+44207946%04d", 100+i)}
		c := &httpCaller{t: t, base: s.node.url}
		callers = append(callers, c)
		tok, id := signUp(t, s.node.asNode(), c, p.phone, fmt.Sprintf("P%d", i))
		p.id = id
		tokens := []string{tok}
		if i < 3 {
			_, auth := codeSignIn(t, s.node.asNode(), &httpCaller{t: t, base: s.node.url}, p.phone, "tablet")
			if auth.Status != "authorized" {
				t.Fatalf("second device of P%d: %+v", i, auth)
			}
			tokens = append(tokens, auth.Token)
		}
		for d, tok := range tokens {
			c := newSyncClient(t, fmt.Sprintf("P%d/dev%d", i, d), &apiClient{base: base, token: tok, hc: s.hc}, id)
			c.gen = gen
			c.diffLimit = 1 + s.rng.IntN(8) // small pages: "more" is followed
			p.devices = append(p.devices, c)
			s.clients = append(s.clients, c)
		}
		s.people = append(s.people, p)
	}
	// Everyone has everyone's number: each imports the others' twice
	// (the first round finds those who looked one up before; the second
	// all), so that anyone may write to anyone and add them to groups.
	for range 2 {
		for i, c := range callers {
			var book []map[string]string
			for j, q := range s.people {
				if j != i {
					book = append(book, map[string]string{"phone": q.phone, "first_name": fmt.Sprintf("P%d", j)})
				}
			}
			c.call("contacts.import", map[string]any{"contacts": book}).into(t, new(importResult))
		}
	}
	for _, c := range s.clients {
		c.connect()
	}
	for g := range 3 {
		members := []int{g}
		var ids []int64
		for _, q := range s.rng.Perm(6) {
			if q != g && len(members) < 2+s.rng.IntN(3) {
				members = append(members, q)
				ids = append(ids, s.people[q].id)
			}
		}
		slices.Sort(members)
		var ch struct {
			ID int64 `json:"id"`
		}
		s.device(g).api.must(t, "chats.createGroup", map[string]any{"title": fmt.Sprintf("G%d", g), "user_ids": ids}, &ch)
		s.chats = append(s.chats, &simChat{id: ch.ID, group: true, members: members, byID: map[int64]*simMsg{}})
		s.tracef("P%d made group %d with %v", g, ch.ID, members)
	}
}

// act takes one step.
func (s *sim) act() {
	t := s.t
	r := s.rng.IntN(100)
	switch {
	case r < 40:
		s.send()
	case r < 52:
		p, c, m, ok := s.randomOwn()
		if !ok {
			s.send()
			return
		}
		text := fmt.Sprintf("edit %d by P%d", s.step, p)
		var edited syncMessage
		s.device(p).api.must(t, "messages.edit", map[string]any{"chat_id": c.id, "id": m.id, "text": text}, &edited)
		if edited.EditDate == 0 || edited.Text != text {
			t.Fatalf("edit answered %+v", edited)
		}
		m.text, m.edited = text, true
		s.counts.edits++
		s.tracef("P%d edited %d/%d", p, c.id, m.id)
	case r < 60:
		p, c, m, ok := s.randomOwn()
		if !ok {
			s.send()
			return
		}
		var d struct {
			Count int `json:"count"`
		}
		s.device(p).api.must(t, "messages.delete", map[string]any{"chat_id": c.id, "ids": []int64{m.id}, "for_everyone": true}, &d)
		if d.Count != 1 {
			t.Fatalf("deleting %d/%d: count %d", c.id, m.id, d.Count)
		}
		m.deleted = true
		s.counts.deletes++
		s.tracef("P%d deleted %d/%d", p, c.id, m.id)
	case r < 70:
		c, _, ch, ok := s.randomChat()
		if !ok {
			s.send()
			return
		}
		c.api.must(t, "messages.read", map[string]any{"chat_id": ch.id}, nil)
		s.counts.reads++
		s.tracef("%s read %d", c.name, ch.id)
	case r < 75:
		c, p, ch, ok := s.randomChat()
		if !ok {
			s.send()
			return
		}
		key := [2]int64{int64(p), ch.id}
		pin := !s.pinned[key]
		if pin && s.pinnedCount(p) >= 5 {
			return
		}
		c.api.must(t, "dialogs.update", map[string]any{"chat_id": ch.id, "pinned": pin}, nil)
		s.pinned[key] = pin
		s.counts.pins++
		s.tracef("%s pinned %d: %v", c.name, ch.id, pin)
	case r < 82:
		c := s.clients[s.rng.IntN(len(s.clients))]
		k := 1 + s.rng.IntN(5)
		c.dropNext += k
		s.counts.drops++
		s.tracef("%s will lose its next %d pushes", c.name, k)
	case r < 88:
		c := s.clients[s.rng.IntN(len(s.clients))]
		c.cut()
		s.counts.cuts++
		s.tracef("%s cut", c.name)
	case r < 91:
		if s.counts.restarts >= 2+s.steps/100 {
			s.counts.idle++
			return
		}
		s.node.restart()
		s.counts.restarts++
		s.tracef("server restarted")
	default:
		s.counts.idle++
	}
}

func (s *sim) personOf(c *syncClient) int {
	for _, p := range s.people {
		if slices.Contains(p.devices, c) {
			return p.idx
		}
	}
	s.t.Fatalf("no person has %s", c.name)
	return 0
}

func (s *sim) pinnedCount(p int) int {
	n := 0
	for _, c := range s.chatsOf(p) {
		if s.pinned[[2]int64{int64(p), c.id}] {
			n++
		}
	}
	return n
}

// send posts a message from a random person to one of their groups or
// to another person (making their private chat on the first message);
// sometimes it retries with the same random_id, which must answer the
// same message.
func (s *sim) send() {
	t := s.t
	p := s.rng.IntN(len(s.people))
	var groups []*simChat
	for _, c := range s.chatsOf(p) {
		if c.group {
			groups = append(groups, c)
		}
	}
	k := s.rng.IntN(len(groups) + len(s.people) - 1)
	params := map[string]any{"random_id": s.nextRID(), "text": fmt.Sprintf("msg %d by P%d", s.step, p)}
	var ch *simChat
	q := -1
	if k < len(groups) {
		ch = groups[k]
		params["chat_id"] = ch.id
	} else {
		q = k - len(groups)
		if q >= p {
			q++
		}
		params["user_id"] = s.people[q].id
		ch = s.private[[2]int{min(p, q), max(p, q)}]
	}
	dev := s.device(p)
	var m syncMessage
	// Some sends go over the device's socket. The socket may have been
	// cut or its server restarted: then the client retries over HTTP
	// with the same random_id, and gets the one message either way.
	if s.rng.IntN(100) < 40 {
		s.counts.overSocket++
		r, err := dev.sock.request("messages.send", params)
		if err == nil && r.OK {
			r.into(t, &m)
		} else if err == nil && r.code() != "UNAVAILABLE" {
			t.Fatalf("send %v over the socket: %s", params, r.code())
		} else {
			s.socketRetries++
			dev.api.must(t, "messages.send", params, &m)
		}
	} else {
		dev.api.must(t, "messages.send", params, &m)
	}
	if ch == nil {
		ch = &simChat{id: m.ChatID, members: []int{min(p, q), max(p, q)}, byID: map[int64]*simMsg{}}
		s.private[[2]int{min(p, q), max(p, q)}] = ch
		s.chats = append(s.chats, ch)
	}
	if m.ChatID != ch.id || m.Text != params["text"] || m.SenderID != s.people[p].id {
		t.Fatalf("send %v answered %+v (chat %d)", params, m, ch.id)
	}
	if ch.byID[m.ID] != nil {
		t.Fatalf("send %v: message id %d given twice", params, m.ID)
	}
	msg := &simMsg{id: m.ID, sender: p, text: m.Text}
	ch.msgs = append(ch.msgs, msg)
	ch.byID[m.ID] = msg
	s.counts.sends++
	s.tracef("P%d (%s) sent %d/%d", p, dev.name, ch.id, m.ID)
	if s.rng.IntN(100) < 15 {
		var again syncMessage
		s.device(p).api.must(t, "messages.send", params, &again)
		if again.ID != m.ID || again.ChatID != m.ChatID {
			t.Fatalf("retrying send %v: answered %d/%d, first %d/%d", params, again.ChatID, again.ID, m.ChatID, m.ID)
		}
		s.counts.retries++
	}
}

// finish lets every client catch up, then checks every replica against
// the server, and the server against the driver's record.
func (s *sim) finish() {
	t := s.t
	for _, c := range s.clients {
		c.pump()
		c.catchUp()
	}
	for _, ch := range s.chats {
		// The server has what was acknowledged: the people's messages,
		// edited texts, none deleted.
		viewer := s.people[ch.members[0]].devices[0]
		var got []msgState
		for _, m := range viewer.history(ch.id) {
			if m.Service == nil {
				got = append(got, msgState{ID: m.ID, Sender: m.SenderID, Text: m.Text, EditDate: min(m.EditDate, 1)})
			}
		}
		var want []msgState
		for _, m := range ch.msgs {
			if !m.deleted {
				e := int64(0)
				if m.edited {
					e = 1
				}
				want = append(want, msgState{ID: m.id, Sender: s.people[m.sender].id, Text: m.text, EditDate: e})
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("chat %d on the server:\n%v\nacknowledged:\n%v", ch.id, got, want)
		}
	}
	for _, p := range s.people {
		for _, c := range p.devices {
			for _, ch := range s.chatsOf(p.idx) {
				c.verifyChat(ch.id)
				if c.pinned[ch.id] != s.pinned[[2]int64{int64(p.idx), ch.id}] {
					t.Fatalf("%s: chat %d pinned %v, set %v", c.name, ch.id, c.pinned[ch.id], !c.pinned[ch.id])
				}
			}
			if len(c.chats) != len(s.chatsOf(p.idx)) {
				t.Fatalf("%s knows %d chats, is in %d", c.name, len(c.chats), len(s.chatsOf(p.idx)))
			}
			c.verifyDialogs()
		}
	}
}
