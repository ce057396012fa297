package api

import (
	"context"
	"hash/maphash"
	"log/slog"
	"runtime"
	"slices"
	"sync"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/conncap"
	"github.com/havenchat/haven/internal/core"
)

// hub knows this node's open sockets: by session (to cut them when a
// session ends), by person and by chat (to fan pushes out). The node
// subscribes to the bus once per chat and once per person its sockets
// need, and encodes nothing per socket: each push's frame was encoded
// once by core and is handed to every socket as it is.
type hub struct {
	bus     core.Bus
	core    *core.Service
	log     *slog.Logger
	metrics *metrics
	limits  ConnLimits

	mu        sync.RWMutex
	all       map[*socket]struct{}
	bySession map[int64][]*socket
	users     map[int64]*interest
	chats     map[int64]*interest
	// people counts each person's bound sockets on this node: core
	// hears when the first opens and the last closes (presence), and
	// the per-person cap reads it.
	people map[int64]int
	// perIP counts the sockets of each client address group (see
	// clientaddr.Group), for the per-address caps.
	perIP map[string]*ipSockets
	// sharedIP, if set, counts the sockets other nodes hold per address
	// group, for SocketsPerIP across a cluster (SetSharedSockets).
	sharedIP SharedCounts

	// Chat pushes are fanned out by workers, one queue per shard of chat
	// ids: the bus's publisher never waits for sockets, and each chat's
	// pushes keep their order.
	// The queues are never closed (a bus delivery may still be on its
	// way when the hub stops): closing done ends the workers, each after
	// the pushes already queued.
	shards []chan *core.Notice
	seed   maphash.Seed
	done   chan struct{}
	wg     sync.WaitGroup
	// writes are the sockets a fan-out worker queued a push to and found
	// idle, in batches, for the writers (one per core) to write without
	// waiting (socket.flushNoWait): no goroutine is started per socket
	// per push, and a post to a large chat is written on every core.
	// Closed once the fan-out workers have ended.
	writes   chan []*socket
	writerWG sync.WaitGroup
}

// writeBatch is how many sockets a fan-out worker hands the writers at a
// time: small enough that the writers start while the worker goes on
// queueing, large enough that the hand-over costs little per socket.
const writeBatch = 128

// fanBatch collects, for one fan-out worker, the sockets the writers
// must write (see hub.writes).
type fanBatch struct {
	h     *hub
	socks []*socket
}

func (b *fanBatch) add(s *socket) {
	b.socks = append(b.socks, s)
	if len(b.socks) >= writeBatch {
		b.send()
	}
}

// send hands the sockets collected to the writers.
func (b *fanBatch) send() {
	if len(b.socks) == 0 {
		return
	}
	b.h.writes <- b.socks
	b.socks = make([]*socket, 0, writeBatch)
}

// ipSockets are the sockets open from one client address group: all of
// them, and those not yet bound to a session.
type ipSockets struct {
	all, unauthorized int
}

// interest is a bus subscription and the local sockets behind it. For a
// chat, each socket maps to the first message id its person may see.
type interest struct {
	sub     core.Subscription
	sockets socketSet
	// order puts a chat's pushes back in seq order (reorder.go); only
	// the chat's fan-out worker touches it.
	order reorder
}

// socketSet maps sockets to an int64. Most people have one socket, so
// the first is held in place and a map is made only for a second: a
// one-entry map costs ~190 B.
type socketSet struct {
	one    *socket
	oneVal int64
	more   map[*socket]int64
}

func (ss *socketSet) put(s *socket, v int64) {
	switch {
	case ss.one == s:
		ss.oneVal = v
	case ss.one == nil && !ss.inMore(s):
		ss.one, ss.oneVal = s, v
	default:
		if ss.more == nil {
			ss.more = make(map[*socket]int64)
		}
		ss.more[s] = v
	}
}

func (ss *socketSet) inMore(s *socket) bool {
	_, ok := ss.more[s]
	return ok
}

func (ss *socketSet) del(s *socket) {
	if ss.one == s {
		ss.one, ss.oneVal = nil, 0
		return
	}
	delete(ss.more, s)
}

func (ss *socketSet) len() int {
	n := len(ss.more)
	if ss.one != nil {
		n++
	}
	return n
}

// all yields each socket and its value. Like a map's range, a socket
// deleted meanwhile and not yet reached is not yielded.
func (ss *socketSet) all(yield func(*socket, int64) bool) {
	if s := ss.one; s != nil {
		if !yield(s, ss.oneVal) {
			return
		}
	}
	for s, v := range ss.more {
		if !yield(s, v) {
			return
		}
	}
}

func newHub(bus core.Bus, co *core.Service, log *slog.Logger, m *metrics, limits ConnLimits) *hub {
	h := &hub{
		bus:       bus,
		core:      co,
		log:       log,
		metrics:   m,
		limits:    limits,
		perIP:     make(map[string]*ipSockets),
		all:       make(map[*socket]struct{}),
		bySession: make(map[int64][]*socket),
		users:     make(map[int64]*interest),
		chats:     make(map[int64]*interest),
		people:    make(map[int64]int),
		seed:      maphash.MakeSeed(),
		done:      make(chan struct{}),
	}
	n := runtime.GOMAXPROCS(0)
	h.writes = make(chan []*socket, 1024)
	for range n {
		h.writerWG.Add(1)
		go func() {
			defer h.writerWG.Done()
			var frames []outFrame
			for socks := range h.writes {
				for _, s := range socks {
					frames = s.flushNoWait(frames)
				}
			}
		}()
	}
	for range n {
		q := make(chan *core.Notice, 4096)
		h.shards = append(h.shards, q)
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			b := &fanBatch{h: h, socks: make([]*socket, 0, writeBatch)}
			for {
				select {
				case n := <-q:
					h.fanOut(n, b)
				case <-h.done:
					for {
						select {
						case n := <-q:
							h.fanOut(n, b)
						default:
							return
						}
					}
				}
			}
		}()
	}
	h.wg.Add(1)
	go h.keep()
	return h
}

// stop ends the fan-out workers.
func (h *hub) stop() {
	h.mu.Lock()
	for _, in := range h.chats {
		_ = in.sub.Unsubscribe()
	}
	for _, in := range h.users {
		_ = in.sub.Unsubscribe()
	}
	clear(h.chats)
	clear(h.users)
	h.mu.Unlock()
	close(h.done)
	h.wg.Wait()
	close(h.writes)
	h.writerWG.Wait()
}

// add counts a new socket in, bound to a (nil: not yet authorized), or
// refuses it with CONNECTIONS_TOO_MANY when its address or its person
// already has as many as the caps allow.
func (h *hub) add(ctx context.Context, s *socket, a *core.Actor) error {
	h.mu.Lock()
	n := h.perIP[s.group]
	if n == nil {
		n = &ipSockets{}
	}
	others := 0
	if h.sharedIP != nil {
		others = h.sharedIP.Others(s.group)
	}
	var limit string
	var err error
	switch {
	case n.all+others >= h.limits.SocketsPerIP:
		limit, err = "ip", tooMany("%d WebSockets are open from your address already", n.all+others)
	case a == nil && n.unauthorized >= h.limits.UnauthorizedSocketsPerIP:
		limit, err = "unauthorized", tooMany("%d WebSockets not yet signed in are open from your address already", n.unauthorized)
	case a != nil && h.people[a.UserID] >= h.limits.SocketsPerUser:
		limit, err = "user", tooMany("you have %d WebSockets open already", h.people[a.UserID])
	}
	if err != nil {
		h.mu.Unlock()
		h.metrics.refused.WithLabelValues(limit).Inc()
		return err
	}
	h.perIP[s.group] = n
	n.all++
	if h.sharedIP != nil {
		h.sharedIP.Changed(s.group, n.all)
	}
	h.all[s] = struct{}{}
	if a == nil {
		n.unauthorized++
		h.mu.Unlock()
		return nil
	}
	s.actor.Store(a)
	h.sessionLocked(s, a)
	h.mu.Unlock()
	h.attach(ctx, s, a.UserID)
	return nil
}

// bind moves a socket from the session it served (none, if it was not
// authorized) to a new one, and from the old person's pushes to the new
// person's. Moving to another person is refused with
// CONNECTIONS_TOO_MANY when they have as many sockets as the cap allows,
// unless signedIn: the session was made on this socket, by a sign-in
// that needed a code, and the client must get its token.
func (h *hub) bind(ctx context.Context, s *socket, a *core.Actor, signedIn bool) error {
	h.mu.Lock()
	if _, open := h.all[s]; !open {
		h.mu.Unlock()
		return nil
	}
	old := s.actor.Load()
	newPerson := old == nil || old.UserID != a.UserID
	if newPerson && !signedIn && h.people[a.UserID] >= h.limits.SocketsPerUser {
		n := h.people[a.UserID]
		h.mu.Unlock()
		h.metrics.refused.WithLabelValues("user").Inc()
		return tooMany("you have %d WebSockets open already", n)
	}
	s.actor.Store(a)
	switch {
	case old == nil:
		h.perIP[s.group].unauthorized--
	case old.UserID == a.UserID:
		// Another session of the same person: keep their pushes.
		h.unsessionLocked(s, old.SessionID)
	default:
		h.unbindLocked(s, old)
	}
	h.sessionLocked(s, a)
	h.mu.Unlock()
	if newPerson {
		h.attach(ctx, s, a.UserID)
	}
	return nil
}

// sessionLocked files s under its session and counts it for its person.
func (h *hub) sessionLocked(s *socket, a *core.Actor) {
	// A slice, not a set: a session has few sockets (SocketsPerUser at
	// most), and most have one, which a map would hold in a few hundred
	// bytes.
	if set := h.bySession[a.SessionID]; !slices.Contains(set, s) {
		h.bySession[a.SessionID] = append(set, s)
	}
	h.presentLocked(s, a.UserID)
}

// presentLocked counts s as a socket of userID (0: of nobody) for
// presence, telling core when a person's first socket on this node opens
// or their last one closes. Core's calls do not wait, so they are made
// under the lock, which keeps them in order.
func (h *hub) presentLocked(s *socket, userID int64) {
	if s.present == userID {
		return
	}
	if old := s.present; old != 0 {
		if h.people[old]--; h.people[old] <= 0 {
			delete(h.people, old)
			h.core.SocketClosed(old)
		}
	}
	s.present = userID
	if userID != 0 {
		if h.people[userID]++; h.people[userID] == 1 {
			h.core.SocketOpened(userID)
		}
	}
}

// attach makes a socket receive its person's pushes and those of every
// chat they are in.
func (h *hub) attach(ctx context.Context, s *socket, userID int64) {
	if h.bus == nil {
		return
	}
	// Follow the person's own log first, then read their chats: a chat
	// they leave in between is noted in s.leftDuring and not watched.
	h.mu.Lock()
	h.watchLocked(h.users, userID, s, 0, func(data []byte) { h.onUser(userID, data) }, core.UserSubject(userID))
	s.leftDuring = make(map[int64]bool)
	h.mu.Unlock()
	subs, err := h.core.Subscriptions(ctx, userID)
	h.mu.Lock()
	defer h.mu.Unlock()
	left := s.leftDuring
	s.leftDuring = nil
	if err != nil {
		h.log.Warn("loading a socket's chats failed; it will catch up from the log", "err", err)
		return
	}
	for _, c := range subs {
		if !left[c.ChatID] {
			h.watchChatLocked(c.ChatID, s, c.MinMessageID)
		}
	}
}

// watchLocked adds s to the interest in key, subscribing on first use.
func (h *hub) watchLocked(set map[int64]*interest, key int64, s *socket, minID int64, handler func([]byte), subject string) {
	in := set[key]
	if in == nil {
		sub, err := h.bus.Subscribe(subject, handler)
		if err != nil {
			h.log.Warn("subscribing failed; sockets will catch up from the log", "subject", subject, "err", err)
			return
		}
		in = &interest{sub: sub}
		set[key] = in
	}
	in.sockets.put(s, minID)
}

func (h *hub) watchChatLocked(chatID int64, s *socket, minID int64) {
	h.watchLocked(h.chats, chatID, s, minID, func(data []byte) { h.onChat(chatID, data) }, core.ChatSubject(chatID))
	if s.chats == nil {
		s.chats = make(map[int64]struct{})
	}
	s.chats[chatID] = struct{}{}
}

func (h *hub) unwatchChatLocked(chatID int64, s *socket) {
	unwatchLocked(h.chats, chatID, s)
	delete(s.chats, chatID)
	delete(s.catching, chatID)
	delete(s.caughtUp, chatID)
}

// unwatchLocked removes s from the interest in key, unsubscribing when
// no socket is left.
func unwatchLocked(set map[int64]*interest, key int64, s *socket) {
	in := set[key]
	if in == nil {
		return
	}
	in.sockets.del(s)
	if in.sockets.len() == 0 {
		_ = in.sub.Unsubscribe()
		delete(set, key)
	}
}

func (h *hub) remove(s *socket) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, open := h.all[s]; !open {
		return
	}
	delete(h.all, s)
	n := h.perIP[s.group]
	n.all--
	if h.sharedIP != nil {
		h.sharedIP.Changed(s.group, n.all)
	}
	a := s.actor.Load()
	if a == nil {
		n.unauthorized--
	} else {
		h.unbindLocked(s, a)
	}
	if n.all == 0 {
		delete(h.perIP, s.group)
	}
}

// unbindLocked forgets a socket's session, person and chats.
func (h *hub) unbindLocked(s *socket, a *core.Actor) {
	h.unsessionLocked(s, a.SessionID)
	h.presentLocked(s, 0)
	unwatchLocked(h.users, a.UserID, s)
	for id := range s.chats {
		h.unwatchChatLocked(id, s)
	}
}

func (h *hub) unsessionLocked(s *socket, sessionID int64) {
	set := h.bySession[sessionID]
	if i := slices.Index(set, s); i >= 0 {
		set = slices.Delete(set, i, i+1)
		if len(set) == 0 {
			delete(h.bySession, sessionID)
		} else {
			h.bySession[sessionID] = set
		}
	}
}

func (h *hub) ofSession(id int64) []*socket {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return slices.Clone(h.bySession[id])
}

// connected returns the sessions among ids with a socket on this node.
func (h *hub) connected(ids []int64) map[int64]bool {
	out := make(map[int64]bool)
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, id := range ids {
		if len(h.bySession[id]) > 0 {
			out[id] = true
		}
	}
	return out
}

// resync closes the signed-in sockets with closeResync after what is
// queued to them (Server.Resync).
func (h *hub) resync() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for s := range h.all {
		if s.actor.Load() != nil && !s.closed.Load() {
			s.closeAfterQueue(closeResync, "RESYNC: this node may have missed pushes; reconnect and catch up")
			n++
		}
	}
	h.log.Warn("bus gap: sockets closed so that their clients catch up from the log", "sockets", n)
}

func (h *hub) closeAll(ctx context.Context) error {
	h.mu.RLock()
	all := make([]*socket, 0, len(h.all))
	for s := range h.all {
		all = append(all, s)
	}
	h.mu.RUnlock()
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.drainAndClose(ctx)
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// onChat takes a chat's notice off the bus and queues it for fan-out.
func (h *hub) onChat(chatID int64, data []byte) {
	n, err := core.DecodeNotice(data)
	if err != nil {
		h.log.Warn("bad chat notice", "err", err)
		return
	}
	n.ChatID = chatID
	// A full queue makes the bus's publisher wait (the ordered queue's
	// goroutine, not the store's writer): the whole node is behind, and
	// slowing it is better than dropping every socket's push. A stopped
	// hub takes nothing more.
	h.queue(&n)
}

// queue hands n to the fan-out worker of its chat's shard, waiting while
// that queue is full, unless the hub stops.
func (h *hub) queue(n *core.Notice) {
	select {
	case h.shards[maphash.Comparable(h.seed, n.ChatID)%uint64(len(h.shards))] <- n:
	case <-h.done:
	}
}

// fanOut hands a chat push to every local socket of the chat's members
// that may see it, in the chat's order (see reorder.go).
// The sockets that need a writer go to the writers, in batches, as they
// are found and once all are queued.
func (h *hub) fanOut(n *core.Notice, b *fanBatch) {
	h.mu.RLock()
	if in := h.chats[n.ChatID]; in != nil {
		h.inOrderLocked(in, n, b)
	}
	h.mu.RUnlock()
	b.send()
}

// deliverLocked queues a chat push to the interest's sockets; those
// whose outbox was idle are added to b for the writers.
func (h *hub) deliverLocked(in *interest, n *core.Notice, b *fanBatch) {
	// One frame for every socket, made once.
	f := outFrame{data: n.Frame, framed: textFrame(n.Frame)}
	for s, minID := range in.sockets.all {
		if n.MessageID != 0 && n.MessageID < minID {
			continue
		}
		if c := s.catching[n.ChatID]; c != nil {
			c.hold(s, n)
			continue
		}
		if n.Seq != 0 && n.Seq <= s.caughtUp[n.ChatID] {
			continue // sent from the log
		}
		if s.sendFanned(f) {
			b.add(s)
		}
	}
}

// onUser follows a person's own log: joining a chat adds the chat's
// pushes to their sockets, leaving removes them; then the push goes to
// each of their sockets. Pushes that are not of their log (user.status)
// go to the sockets as they are.
func (h *hub) onUser(userID int64, data []byte) {
	n, err := core.DecodeNotice(data)
	if err != nil {
		h.log.Warn("bad user notice", "err", err)
		return
	}
	if n.Kind != core.PushUserEvent {
		h.mu.RLock()
		defer h.mu.RUnlock()
		if in := h.users[userID]; in != nil {
			f := outFrame{data: n.Frame, framed: textFrame(n.Frame)}
			for s := range in.sockets.all {
				if n.SessionID != 0 {
					if a := s.actor.Load(); a == nil || a.SessionID != n.SessionID {
						continue
					}
				}
				s.send(f)
			}
		}
		return
	}
	minID := n.MinMessageID
	h.mu.Lock()
	defer h.mu.Unlock()
	in := h.users[userID]
	if in == nil {
		return
	}
	f := outFrame{data: n.Frame, framed: textFrame(n.Frame)}
	for s := range in.sockets.all {
		switch n.Event {
		case string(haven.UserDialogAdded):
			h.watchChatLocked(n.ChatID, s, minID)
			h.catchUpLocked(s, n.ChatID, n.Seq)
			if s.leftDuring != nil {
				delete(s.leftDuring, n.ChatID)
			}
		case string(haven.UserDialogRemoved):
			h.unwatchChatLocked(n.ChatID, s)
			if s.leftDuring != nil {
				s.leftDuring[n.ChatID] = true
			}
		}
		s.send(f)
	}
}

// SharedCounts are the sockets the other nodes of a cluster hold per
// address group (package nodeshare), for a cap across them: the same
// contract as conncap's for TCP connections (Changed is called under the
// hub's lock and must not block).
type SharedCounts = conncap.Shared

// socketsPerGroup returns the sockets open now, per address group.
func (h *hub) socketsPerGroup() map[string]int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	m := make(map[string]int, len(h.perIP))
	for k, n := range h.perIP {
		m[k] = n.all
	}
	return m
}
