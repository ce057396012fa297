package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/havenchat/haven"
)

// Presence: a person is online while at least one of their WebSockets is
// open, on any node. Nothing of it is stored. Each node knows its own
// people (the transport says when a person's first socket on the node
// opens and their last one closes) and learns everyone else's from the
// other nodes' notices on SubjectPresence: a notice when a person comes
// or goes, and a heartbeat every PresenceEvery that re-announces all of a
// node's people in a few messages. An entry a node has not renewed
// expires after presenceTTL, so the people of a node that died go
// offline. Only the time a person went offline is written, once, as
// their last activity.

// SubjectPresence is the bus subject on which nodes tell each other who
// is online on them. The payload is a JSON PresenceNotice.
const SubjectPresence = "haven.presence"

const (
	// presenceTTL is how long a node's word that a person is online on
	// it lasts unless renewed.
	presenceTTL        = 75 * time.Second
	presenceTTLSeconds = int64(presenceTTL / time.Second) // as notices carry it
	// PresenceEvery is how often a node re-announces its people.
	PresenceEvery = 30 * time.Second
	// presenceBatch bounds the people of one notice.
	presenceBatch = 4096
	// presenceFanOut bounds the watchers told of one change.
	presenceFanOut = 500
	// presenceQueue bounds the changes waiting for the presence worker;
	// past it a change is told to no one (the heartbeat repairs what
	// other nodes know).
	presenceQueue = 1 << 17
	// presenceDrain bounds the work done when the presence loop stops.
	presenceDrain = 5 * time.Second
)

// PresenceNotice is the payload of SubjectPresence.
type PresenceNotice struct {
	// Node is the sender (a random id per process).
	Node string `json:"node"`
	// UserIDs came online on Node (Online) or left it.
	UserIDs []int64 `json:"user_ids,omitempty"`
	Online  bool    `json:"online,omitempty"`
	// ExpiresIn is how many seconds an online entry lasts unless renewed.
	ExpiresIn int64 `json:"expires_in,omitempty"`
	// Told, on an offline notice, says the sender saw the people go
	// offline everywhere and told their watchers; without it, a node
	// that finds them offline everywhere tells them (see leaderLocked).
	Told bool `json:"told,omitempty"`
	// Hello: the sender just started; every node re-announces its people.
	Hello bool `json:"hello,omitempty"`
	// Bye: the sender is stopping; all its people left it.
	Bye bool `json:"bye,omitempty"`
}

// UserStatusView is the data of a user.status push.
type UserStatusView struct {
	UserID int64
	Status UserStatus
}

// presence is a node's in-memory picture of who is online.
type presence struct {
	node string

	mu     sync.Mutex
	local  map[int64]struct{}      // people with a socket on this node
	remote map[int64][]remoteEntry // people online on other nodes
	nodes  map[string]time.Time    // other nodes heard from → until
	queue  []presenceJob           // changes for the worker, in order
	shout  bool                    // a node said hello: re-announce soon
	wrote  map[int64]time.Time     // user → last last-seen write
	wake   chan struct{}
	drops  int
}

type remoteEntry struct {
	node  string
	seen  time.Time // when the node last said so
	until time.Time
}

// presenceJob is one change of a person's presence for the worker.
type presenceJob struct {
	user   int64
	online bool
	at     time.Time
	notify bool // tell the other nodes (a change on this node)
	told   bool // the offline notice says the watchers were told
	push   bool // tell the watchers
	write  bool // store at as the person's last activity
	// from and to, when set, are a change of the last_seen setting.
	from, to haven.Audience
}

func newPresence() *presence {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &presence{
		node:   hex.EncodeToString(b[:]),
		local:  make(map[int64]struct{}),
		remote: make(map[int64][]remoteEntry),
		nodes:  make(map[string]time.Time),
		wrote:  make(map[int64]time.Time),
		wake:   make(chan struct{}, 1),
	}
}

// SocketOpened records that a person's first socket on this node opened.
// It does not wait: the other nodes and the person's watchers are told
// by the presence loop (RunPresence).
func (s *Service) SocketOpened(userID int64) {
	p := s.presence
	now := s.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.has(userID) {
		return
	}
	elsewhere := p.remoteOnlineLocked(userID, now)
	p.local[userID] = struct{}{}
	p.enqueueLocked(presenceJob{user: userID, online: true, at: now, notify: true, push: !elsewhere})
}

// SocketClosed records that a person's last socket on this node closed.
// When they have no socket left anywhere, their watchers are told and the
// time is stored as their last activity. It does not wait.
func (s *Service) SocketClosed(userID int64) {
	p := s.presence
	now := s.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.has(userID) {
		return
	}
	delete(p.local, userID)
	gone := !p.remoteOnlineLocked(userID, now)
	p.enqueueLocked(presenceJob{user: userID, at: now, notify: true, told: gone, push: gone, write: gone})
}

// lastSeenChanged records that a person's last_seen setting went from
// one audience to another, for the presence loop to tell the watchers.
func (s *Service) lastSeenChanged(userID int64, from, to haven.Audience) {
	if from == to {
		return
	}
	p := s.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	p.enqueueLocked(presenceJob{user: userID, at: s.now(), from: from, to: to})
}

// Online reports whether a person has a socket open on some node, as far
// as this node knows.
func (s *Service) Online(userID int64) bool {
	p := s.presence
	now := s.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.onlineLocked(userID, now)
}

func (p *presence) has(userID int64) bool {
	_, ok := p.local[userID]
	return ok
}

func (p *presence) onlineLocked(userID int64, now time.Time) bool {
	return p.has(userID) || p.remoteOnlineLocked(userID, now)
}

func (p *presence) remoteOnlineLocked(userID int64, now time.Time) bool {
	for _, e := range p.remote[userID] {
		if now.Before(e.until) {
			return true
		}
	}
	return false
}

func (p *presence) enqueueLocked(j presenceJob) {
	if len(p.queue) >= presenceQueue {
		p.drops++
		return
	}
	p.queue = append(p.queue, j)
	p.wakeUp()
}

// wakeUp tells the presence loop there is work, without waiting.
func (p *presence) wakeUp() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// leaderLocked reports whether this node is the one that tells watchers
// of changes no single node saw happen: a node that stopped answering,
// or people who left two nodes at once. It is the live node with the
// smallest id; while nodes come and go two may act, or none for a
// heartbeat, which costs a duplicate or a late push, never a wrong one.
func (p *presence) leaderLocked(now time.Time) bool {
	for n, until := range p.nodes {
		if n < p.node && now.Before(until) {
			return false
		}
	}
	return true
}

// onPresence applies another node's notice.
func (s *Service) onPresence(data []byte) {
	var n PresenceNotice
	if err := json.Unmarshal(data, &n); err != nil {
		s.log.Warn("bad presence notice", "err", err)
		return
	}
	p := s.presence
	if n.Node == "" || n.Node == p.node {
		return // our own, applied when it happened
	}
	now := s.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if n.Bye {
		delete(p.nodes, n.Node)
		for u, es := range p.remote {
			if i := entryOf(es, n.Node); i >= 0 {
				p.leaveLocked(u, i, now, es[i].seen, false)
			}
		}
		return
	}
	ttl := time.Duration(n.ExpiresIn) * time.Second
	if ttl <= 0 || ttl > 10*presenceTTL {
		ttl = presenceTTL
	}
	p.nodes[n.Node] = now.Add(ttl)
	if n.Hello {
		p.shout = true
		p.wakeUp()
	}
	for _, u := range n.UserIDs {
		es := p.remote[u]
		i := entryOf(es, n.Node)
		switch {
		case n.Online && i >= 0:
			es[i].seen, es[i].until = now, now.Add(ttl)
		case n.Online:
			p.remote[u] = append(es, remoteEntry{node: n.Node, seen: now, until: now.Add(ttl)})
		case i >= 0:
			p.leaveLocked(u, i, now, now, n.Told)
		}
	}
}

func entryOf(es []remoteEntry, node string) int {
	for i := range es {
		if es[i].node == node {
			return i
		}
	}
	return -1
}

// leaveLocked drops entry i of a person. If that leaves them offline
// everywhere and nobody told their watchers, the leader does, with at as
// the last time they were known online.
func (p *presence) leaveLocked(u int64, i int, now, at time.Time, told bool) {
	es := p.remote[u]
	was := p.onlineLocked(u, now)
	es = append(es[:i], es[i+1:]...)
	if len(es) == 0 {
		delete(p.remote, u)
	} else {
		p.remote[u] = es
	}
	if was && !told && !p.onlineLocked(u, now) && p.leaderLocked(now) {
		p.enqueueLocked(presenceJob{user: u, at: at, push: true, write: true})
	}
}

// sweepLocked drops expired entries and nodes. People it leaves offline
// everywhere went with a node that stopped answering: the leader tells
// their watchers, with the node's last word as their last activity.
func (p *presence) sweepLocked(now time.Time) {
	for n, until := range p.nodes {
		if !now.Before(until) {
			delete(p.nodes, n)
		}
	}
	leader := p.leaderLocked(now)
	for u, es := range p.remote {
		var last time.Time
		kept := es[:0]
		for _, e := range es {
			if now.Before(e.until) {
				kept = append(kept, e)
			} else if e.seen.After(last) {
				last = e.seen
			}
		}
		if last.IsZero() {
			continue
		}
		if len(kept) == 0 {
			delete(p.remote, u)
		} else {
			p.remote[u] = kept
		}
		if leader && !p.onlineLocked(u, now) {
			p.enqueueLocked(presenceJob{user: u, at: last, push: true, write: true})
		}
	}
}

// RunPresence follows the other nodes' presence notices, tells other
// nodes and watchers of this node's changes, and re-announces this
// node's people every interval (PresenceEvery in production), until ctx
// ends. When it ends it finishes the changes waiting, then tells the
// other nodes this node's people left it.
func (s *Service) RunPresence(ctx context.Context, every time.Duration) {
	p := s.presence
	if s.bus != nil {
		sub, err := s.bus.Subscribe(SubjectPresence, s.onPresence)
		if err != nil {
			s.log.Error("presence: subscribing failed; other nodes' people will look offline", "err", err)
		} else {
			defer func() { _ = sub.Unsubscribe() }()
		}
		s.notify(ctx, PresenceNotice{Node: p.node, Hello: true, Online: true, ExpiresIn: presenceTTLSeconds})
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), presenceDrain)
			s.presenceWork(dctx)
			s.notify(dctx, PresenceNotice{Node: p.node, Bye: true})
			cancel()
			return
		case <-p.wake:
			s.presenceWork(ctx)
		case <-tick.C:
			p.mu.Lock()
			p.sweepLocked(s.now())
			p.mu.Unlock()
			s.heartbeat(ctx)
			s.presenceWork(ctx)
		}
	}
}

// presenceWork handles the waiting changes: one notice per kind of
// change for the other nodes, then the pushes, then one write.
func (s *Service) presenceWork(ctx context.Context) {
	p := s.presence
	p.mu.Lock()
	jobs := p.queue
	p.queue = nil
	shout := p.shout
	p.shout = false
	if p.drops > 0 {
		s.log.Warn("presence: changes dropped, the node is behind", "count", p.drops)
		p.drops = 0
	}
	p.mu.Unlock()
	if shout {
		s.heartbeat(ctx)
	}
	if len(jobs) == 0 {
		return
	}
	// The other nodes need only each person's last state.
	last := make(map[int64]int, len(jobs))
	for i, j := range jobs {
		if j.notify {
			last[j.user] = i
		}
	}
	var on, offTold, off []int64
	for i, j := range jobs {
		if !j.notify || last[j.user] != i {
			continue
		}
		switch {
		case j.online:
			on = append(on, j.user)
		case j.told:
			offTold = append(offTold, j.user)
		default:
			off = append(off, j.user)
		}
	}
	s.announce(ctx, PresenceNotice{Node: p.node, Online: true, ExpiresIn: presenceTTLSeconds}, on)
	s.announce(ctx, PresenceNotice{Node: p.node, Told: true}, offTold)
	s.announce(ctx, PresenceNotice{Node: p.node}, off)

	writes := make(map[int64]time.Time)
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		if j.to != "" {
			if u, err := s.store.UserByID(ctx, j.user); err == nil && !u.Deleted {
				s.restatus(ctx, u, j.from, j.to)
			}
			continue
		}
		if j.online {
			// A deleted account has no session, hence no socket.
			if j.push {
				s.pushStatus(ctx, j.user, true, j.at)
			}
			continue
		}
		if !j.push && !j.write {
			continue
		}
		u, err := s.store.UserByID(ctx, j.user)
		if err != nil {
			if !errors.Is(err, haven.ErrNotFound) {
				s.log.Warn("presence: loading a user failed", "err", err)
			}
			continue
		}
		if u.Deleted {
			continue // shown "long_ago" to all; nothing to tell
		}
		if j.push {
			s.pushStatus(ctx, u.ID, false, j.at)
		}
		if j.write && j.at.After(u.LastActiveAt) {
			writes[u.ID] = j.at
		}
	}
	s.writeLastSeen(ctx, writes)
}

// writeLastSeen stores when people went offline, in one transaction, at
// most once per TouchInterval per person (a client that reconnects in a
// loop costs no write per loop).
func (s *Service) writeLastSeen(ctx context.Context, at map[int64]time.Time) {
	p := s.presence
	now := s.now()
	p.mu.Lock()
	for u := range at {
		if w, ok := p.wrote[u]; ok && now.Sub(w) < s.touchEvery {
			delete(at, u)
			continue
		}
		p.wrote[u] = now
	}
	if len(p.wrote) > 100_000 {
		clear(p.wrote)
	}
	p.mu.Unlock()
	if len(at) == 0 {
		return
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		for u, t := range at {
			if err := tx.TouchUser(ctx, u, t); err != nil && !errors.Is(err, haven.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Warn("presence: recording last seen failed", "err", err)
	}
}

// heartbeat re-announces every person online on this node, many per
// notice; with nobody online it still says the node is alive.
func (s *Service) heartbeat(ctx context.Context) {
	p := s.presence
	p.mu.Lock()
	ids := make([]int64, 0, len(p.local))
	for u := range p.local {
		ids = append(ids, u)
	}
	p.mu.Unlock()
	n := PresenceNotice{Node: p.node, Online: true, ExpiresIn: presenceTTLSeconds}
	if len(ids) == 0 {
		s.notify(ctx, n)
		return
	}
	s.announce(ctx, n, ids)
}

// announce publishes n for ids, presenceBatch people per notice.
func (s *Service) announce(ctx context.Context, n PresenceNotice, ids []int64) {
	for len(ids) > 0 {
		k := min(len(ids), presenceBatch)
		n.UserIDs = ids[:k]
		s.notify(ctx, n)
		ids = ids[k:]
	}
}

func (s *Service) notify(ctx context.Context, n PresenceNotice) {
	if s.bus == nil {
		return
	}
	b, err := json.Marshal(n)
	if err != nil {
		s.log.Error("encoding a presence notice", "err", err)
		return
	}
	s.send(ctx, SubjectPresence, b)
}

// pushStatus tells the people likely to be looking at a person (their
// private-chat peers and their contacts) who are online and whom the
// person's last_seen setting admits, that the person came online or went
// offline at at. Everyone told sees the same thing, so the frame is
// encoded once. Those the setting does not admit are told nothing: to
// them the person stays "recently" or coarser.
func (s *Service) pushStatus(ctx context.Context, userID int64, online bool, at time.Time) {
	if s.bus == nil {
		return
	}
	priv, err := s.store.Privacy(ctx, userID)
	if err != nil {
		s.log.Warn("presence: loading privacy failed", "err", err)
		return
	}
	aud := priv.Get(haven.PrivacyLastSeen)
	if aud != haven.Everybody && aud != haven.Contacts {
		return
	}
	ws, err := s.watchers(ctx, userID, aud == haven.Everybody)
	if err != nil {
		s.log.Warn("presence: finding watchers failed", "err", err)
		return
	}
	var to []int64
	for _, w := range ws {
		if len(to) == presenceFanOut {
			break
		}
		if admits(aud, w.contact) {
			to = append(to, w.id)
		}
	}
	st := UserStatus{Kind: "online"}
	if !online {
		st = UserStatus{Kind: "exact", LastSeen: at.Unix()}
	}
	s.pushStatusTo(ctx, userID, st, to)
}

// restatus follows a change of a person's last_seen setting from one
// audience to another: the watchers it lets in now learn whether the
// person is online, and those it shuts out get the coarse kind they see
// from now on (so that an "online" they were shown does not linger).
// The others are told nothing.
func (s *Service) restatus(ctx context.Context, u *haven.User, from, to haven.Audience) {
	if s.bus == nil {
		return
	}
	ws, err := s.watchers(ctx, u.ID, true)
	if err != nil {
		s.log.Warn("presence: finding watchers failed", "err", err)
		return
	}
	var in, out []int64
	for _, w := range ws {
		if len(in)+len(out) == presenceFanOut {
			break
		}
		switch was, is := admits(from, w.contact), admits(to, w.contact); {
		case is && !was:
			in = append(in, w.id)
		case was && !is:
			out = append(out, w.id)
		}
	}
	admitted := s.status(u.LastActiveAt, true, false, s.Online(u.ID))
	s.pushStatusTo(ctx, u.ID, admitted, in)
	s.pushStatusTo(ctx, u.ID, s.status(u.LastActiveAt, false, false, false), out)
}

// admits reports whether a last_seen audience lets a watcher in, as
// relation.allows decides for someone the person does not block.
func admits(a haven.Audience, contact bool) bool {
	return a == haven.Everybody || a == haven.Contacts && contact
}

// pushStatusTo publishes one user.status push, encoded once, on the
// subject of each of to.
func (s *Service) pushStatusTo(ctx context.Context, userID int64, st UserStatus, to []int64) {
	if len(to) == 0 {
		return
	}
	b, err := s.encodeNotice(Notice{Kind: PushUserStatus, UserID: userID}, UserStatusView{UserID: userID, Status: st})
	if err != nil {
		s.log.Error("encoding a push", "err", err)
		return
	}
	for _, w := range to {
		s.send(ctx, userSubject(w), b)
	}
}

// watcher is someone a person's status matters to; contact: the person
// has them in their contacts.
type watcher struct {
	id      int64
	contact bool
}

// watchers are the online people likely to be looking at a person: the
// peers of their private chats (with peers set; the most recent chat
// first), then their contacts, then those who have them in contacts,
// leaving out those the person blocks.
func (s *Service) watchers(ctx context.Context, userID int64, peers bool) ([]watcher, error) {
	p := s.presence
	p.mu.Lock()
	alone := len(p.remote) == 0 && (len(p.local) == 0 || len(p.local) == 1 && p.has(userID))
	p.mu.Unlock()
	if alone {
		return nil, nil // nobody else is online: no reads
	}
	blocked, err := s.store.Blocked(ctx, userID)
	if err != nil {
		return nil, err
	}
	contacts, err := s.store.Contacts(ctx, userID)
	if err != nil {
		return nil, err
	}
	isContact := make(map[int64]bool, len(contacts))
	for _, c := range contacts {
		isContact[c.UserID] = true
	}
	var cands []int64
	if peers {
		ds, err := s.store.Dialogs(ctx, userID, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			if d.Chat.Kind == haven.ChatPrivate && !d.Chat.Saved() {
				cands = append(cands, d.Chat.Other(userID))
			}
		}
	}
	for _, c := range contacts {
		cands = append(cands, c.UserID)
	}
	// People who keep the person in their own contacts look at them too.
	owners, err := s.store.ContactOwners(ctx, userID, presenceFanOut)
	if err != nil {
		return nil, err
	}
	cands = append(cands, owners...)
	skip := make(map[int64]bool, len(blocked)+1)
	skip[userID] = true
	for _, b := range blocked {
		skip[b] = true
	}
	now := s.now()
	var out []watcher
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range cands {
		if skip[w] || !p.onlineLocked(w, now) {
			continue
		}
		skip[w] = true
		out = append(out, watcher{id: w, contact: isContact[w]})
	}
	return out, nil
}
