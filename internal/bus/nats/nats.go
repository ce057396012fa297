// Package nats is the bus of a node that is one of many: events go
// through a NATS server or cluster (github.com/nats-io/nats.go), so a
// message committed on one node reaches the sockets of every node.
//
// It keeps the in-process bus's promises (internal/bus/local): every
// subscriber of a subject gets what is published to it after it
// subscribed, in the order it was published, and the handlers of one
// node run one after the other on one goroutine, in the order the node
// received the messages. A node's own events do not make the round trip
// through the server (the connection asks for no echo): they join the
// same queue as they are published, and their subscribers are looked up
// when their turn comes, as the in-process bus does. So a handler that
// subscribes (the hub, on a person's "dialog added") gets the events the
// node published after the one it handles (the first message of the
// chat they joined), which a subscription sent to the server after
// those events were published would miss.
//
// Core NATS delivers at most once and the bus interface carries no event
// id, so nothing is redelivered: a node that may have missed events is
// told instead (Options.OnGap), and its clients resync from the log,
// which is the truth (DESIGN.md, Realtime). Core NATS keeps a
// publisher's order only while its connection lasts: when a server of a
// cluster dies, what it still held can reach a subscriber after what the
// publisher sent next through another server, or twice. So each node
// numbers what it publishes (HeaderFrom, HeaderSeq), and a subscription
// drops a message older than one already handled from the same node,
// telling the node (ErrOutOfOrder) when that may have lost it one.
// A node misses events when its handlers fall behind (its delivery
// queue, bounded, overflows: the NATS client drops what does not fit
// rather than slow the server or the other nodes) and while its
// connection is down (it reconnects by itself, to any server of the
// cluster).
package nats

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/havenchat/haven/internal/core"
)

// DefaultQueue is the number of received messages a node holds for its
// handlers when Options.Queue is 0.
const DefaultQueue = 1 << 16

// ErrFellBehind is given to Options.OnGap when the node's handlers fell
// behind and messages were dropped.
var ErrFellBehind = errors.New("nats bus: the node fell behind; messages were dropped")

// ErrReconnected is given to Options.OnGap when the connection came
// back: what was published meanwhile did not reach this node.
var ErrReconnected = errors.New("nats bus: reconnected; messages published while disconnected were missed")

// ErrOutOfOrder is given to Options.OnGap when a message came after a
// newer one from the same node (a cluster's server died with it in
// flight) and was dropped, to keep the order.
var ErrOutOfOrder = errors.New("nats bus: a message came after newer ones from its node and was dropped")

// The headers with which a node numbers its messages: a random id of
// the node's connection, and the message's number among those it
// published, from 1.
const (
	HeaderFrom = "Haven-From"
	HeaderSeq  = "Haven-Seq"
)

// ErrBadURL is returned by Connect for an address that is not a NATS URL.
var ErrBadURL = errors.New("nats bus: bad URL")

// Options configure Connect.
type Options struct {
	// URL is one NATS server's address, or several separated by commas
	// (nats://host:4222). The client learns the rest of a cluster from
	// the server.
	URL string
	// Name tells the server who this node is (in its monitoring pages).
	Name string
	// Queue bounds the messages received and not yet handled
	// (DefaultQueue if 0).
	Queue int
	// OnGap is called when the node may have missed messages, with
	// ErrFellBehind or ErrReconnected. It runs on a goroutine of the
	// client's; nil ignores gaps.
	OnGap func(error)
	// Log receives connection changes (discarded if nil).
	Log *slog.Logger
	// ConnectTimeout bounds the first connection (5 s if 0).
	ConnectTimeout time.Duration
}

// Bus is a core.Bus over one NATS connection.
type Bus struct {
	nc   *nats.Conn
	msgs chan *nats.Msg
	log  *slog.Logger

	gap    func(error)
	id     string      // HeaderFrom of this node's messages
	pubMu  sync.Mutex  // numbers and sends one message at a time, so numbers go out in order
	seq    uint64      // the last HeaderSeq sent
	behind atomic.Bool // the node's own events were dropped since the queue was last empty

	mu        sync.RWMutex
	subs      map[*nats.Subscription]*sub // by the client's subscription
	bySubject map[string]map[*sub]struct{}
	wild      map[*sub]struct{} // subscriptions with * or > in the subject

	closeOnce sync.Once
	stop      chan struct{} // closed by Close
	done      chan struct{} // closed when the dispatching goroutine ends
}

var _ core.Bus = (*Bus)(nil)

// Connect dials the NATS server(s) of opt.URL and starts the goroutine
// that calls the handlers; Close stops both. It fails when no server
// answers in time: a node that cannot reach its bus must not serve.
func Connect(ctx context.Context, opt Options) (*Bus, error) {
	if err := CheckURL(opt.URL); err != nil {
		return nil, err
	}
	if opt.Queue <= 0 {
		opt.Queue = DefaultQueue
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.ConnectTimeout <= 0 {
		opt.ConnectTimeout = 5 * time.Second
	}
	if d, ok := ctx.Deadline(); ok && time.Until(d) < opt.ConnectTimeout {
		opt.ConnectTimeout = max(time.Until(d), time.Millisecond)
	}
	b := &Bus{
		msgs:      make(chan *nats.Msg, opt.Queue),
		log:       opt.Log,
		subs:      make(map[*nats.Subscription]*sub),
		bySubject: make(map[string]map[*sub]struct{}),
		wild:      make(map[*sub]struct{}),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
		id:        rand.Text(),
	}
	gap := func(err error) {
		if opt.OnGap != nil {
			opt.OnGap(err)
		}
	}
	b.gap = gap
	log := opt.Log
	nc, err := nats.Connect(opt.URL,
		nats.Name(opt.Name),
		nats.Timeout(opt.ConnectTimeout),
		nats.NoEcho(),          // the node's own events are queued as published
		nats.MaxReconnects(-1), // a node keeps trying (haven_bus_connected)
		nats.ReconnectWait(250*time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.DisconnectErrHandler(func(c *nats.Conn, err error) {
			if c.IsClosed() {
				return // Close, not a failure
			}
			log.Warn("bus disconnected; reconnecting", "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("bus reconnected", "server", c.ConnectedUrlRedacted())
			gap(ErrReconnected)
		}),
		nats.ErrorHandler(func(_ *nats.Conn, s *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrSlowConsumer) {
				subject := ""
				if s != nil {
					subject = s.Subject
				}
				log.Warn("bus handlers fell behind; messages dropped", "subject", subject)
				gap(ErrFellBehind)
				return
			}
			log.Warn("bus error", "err", err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("nats bus: connecting to %s: %w", redact(opt.URL), err)
	}
	b.nc = nc
	go b.dispatch()
	return b, nil
}

// CheckURL tells whether s names NATS servers: one URL or several
// separated by commas, each nats:// or tls:// with a host.
func CheckURL(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%w: empty", ErrBadURL)
	}
	for part := range strings.SplitSeq(s, ",") {
		u, err := url.Parse(strings.TrimSpace(part))
		if err != nil {
			return fmt.Errorf("%w: %q", ErrBadURL, redact(part))
		}
		if (u.Scheme != "nats" && u.Scheme != "tls") || !goodHost(u.Host) {
			return fmt.Errorf("%w: %q (want nats://host:port or tls://host:port)", ErrBadURL, redact(part))
		}
	}
	return nil
}

// goodHost tells whether host is a name or an address, with maybe a
// port number.
func goodHost(host string) bool {
	if h, port, err := net.SplitHostPort(host); err == nil {
		n, err := strconv.Atoi(port)
		return h != "" && err == nil && n > 0 && n < 1<<16
	}
	// No port: a name, an IPv4 address or a bracketed IPv6 address.
	return host != "" && (!strings.Contains(host, ":") || strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]"))
}

// redact hides the passwords and tokens of URLs, for errors and logs.
func redact(s string) string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if u, err := url.Parse(strings.TrimSpace(part)); err == nil && u.User != nil {
			u.User = url.User("redacted")
			part = u.String()
		} else if err != nil && strings.Contains(part, "@") {
			part = "(unparsable)" // it may hold a password
		}
		out = append(out, part)
	}
	return strings.Join(out, ",")
}

// Publish hands data to the connection's buffer, and to this node's
// own queue, and returns; it does not wait for the server. While the
// connection is down the client buffers what is published (8 MiB) and
// sends it on reconnecting; beyond that Publish fails, and clients catch
// up from the log.
func (b *Bus) Publish(ctx context.Context, subject string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.pubMu.Lock()
	b.seq++
	err := b.nc.PublishMsg(&nats.Msg{Subject: subject, Data: data, Header: nats.Header{
		HeaderFrom: {b.id}, HeaderSeq: {strconv.FormatUint(b.seq, 10)}}})
	b.pubMu.Unlock()
	if errors.Is(err, nats.ErrConnectionClosed) {
		return err
	}
	select {
	case b.msgs <- &nats.Msg{Subject: subject, Data: data}:
	default:
		if !b.behind.Swap(true) { // once until the queue empties
			b.log.Warn("bus handlers fell behind; the node's own events dropped", "subject", subject)
			b.gap(ErrFellBehind)
		}
	}
	return err
}

// Subscribe calls h for every message published to subject from now on
// (NATS wildcards * and > allowed).
func (b *Bus) Subscribe(subject string, h func(data []byte)) (core.Subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ns, err := b.nc.ChanSubscribe(subject, b.msgs)
	if err != nil {
		return nil, fmt.Errorf("nats bus: subscribing to %s: %w", subject, err)
	}
	s := &sub{b: b, s: ns, subject: subject, h: h}
	b.subs[ns] = s
	if wildcard(subject) {
		b.wild[s] = struct{}{}
	} else {
		set := b.bySubject[subject]
		if set == nil {
			set = make(map[*sub]struct{})
			b.bySubject[subject] = set
		}
		set[s] = struct{}{}
	}
	return s, nil
}

type sub struct {
	b       *Bus
	s       *nats.Subscription
	subject string
	h       func([]byte)
	// last is the HeaderSeq last handled from each node; only the
	// dispatching goroutine uses it.
	last map[string]uint64
}

// Unsubscribe stops deliveries to this subscription, including those
// already received and not yet handled; it is idempotent.
func (s *sub) Unsubscribe() error {
	b := s.b
	b.mu.Lock()
	_, live := b.subs[s.s]
	delete(b.subs, s.s)
	delete(b.wild, s)
	if set := b.bySubject[s.subject]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(b.bySubject, s.subject)
		}
	}
	b.mu.Unlock()
	if !live {
		return nil
	}
	if err := s.s.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
		return err
	}
	return nil
}

// handlers returns whom m goes to: the subscription it came for, from
// the server; every subscription of its subject now, for the node's own.
func (b *Bus) handlers(m *nats.Msg, hs []func([]byte)) []func([]byte) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if m.Sub != nil {
		if s := b.subs[m.Sub]; s != nil && b.inOrder(s, m) {
			hs = append(hs, s.h)
		}
		return hs
	}
	for s := range b.bySubject[m.Subject] {
		hs = append(hs, s.h)
	}
	for s := range b.wild {
		if matches(s.subject, m.Subject) {
			hs = append(hs, s.h)
		}
	}
	return hs
}

// inOrder tells whether m, from the server for s, is newer than what s
// handled from m's node, and notes it; a message without the headers
// (not from this package) is let through.
func (b *Bus) inOrder(s *sub, m *nats.Msg) bool {
	from := m.Header.Get(HeaderFrom)
	seq, err := strconv.ParseUint(m.Header.Get(HeaderSeq), 10, 64)
	if from == "" || err != nil {
		return true
	}
	last := s.last[from]
	if seq > last {
		if s.last == nil {
			s.last = make(map[string]uint64)
		}
		s.last[from] = seq
		return true
	}
	if seq < last {
		b.log.Warn("bus message came after newer ones from its node; dropped", "subject", m.Subject)
		b.gap(ErrOutOfOrder)
	}
	return false // seq == last: a repeat
}

func wildcard(subject string) bool {
	for tok := range strings.SplitSeq(subject, ".") {
		if tok == "*" || tok == ">" {
			return true
		}
	}
	return false
}

// matches tells whether subject falls under pattern, NATS's way: * is
// one token, a final > one or more.
func matches(pattern, subject string) bool {
	p, s := strings.Split(pattern, "."), strings.Split(subject, ".")
	for i, tok := range p {
		if tok == ">" {
			return i == len(p)-1 && len(s) > i
		}
		if i >= len(s) || (tok != "*" && tok != s[i]) {
			return false
		}
	}
	return len(p) == len(s)
}

// dispatch calls the handlers, in the order the messages came, until
// Close.
func (b *Bus) dispatch() {
	defer close(b.done)
	var hs []func([]byte)
	for {
		var m *nats.Msg
		select {
		case m = <-b.msgs:
		case <-b.stop:
			return
		}
		if len(b.msgs) == 0 {
			b.behind.Store(false)
		}
		hs = b.handlers(m, hs[:0])
		for _, h := range hs {
			h(m.Data)
		}
		clear(hs)
	}
}

// Flush waits until the server has everything this node sent so far, or
// ctx ends.
func (b *Bus) Flush(ctx context.Context) error { return b.nc.FlushWithContext(ctx) }

// Server is the address of the server the node is connected to now
// ("" while disconnected).
func (b *Bus) Server() string { return b.nc.ConnectedUrlRedacted() }

// Connected tells whether the connection is up now.
func (b *Bus) Connected() bool { return b.nc.IsConnected() }

// Close sends what is buffered (until ctx ends), closes the connection
// and stops the handlers. It is idempotent.
func (b *Bus) Close(ctx context.Context) error {
	var err error
	b.closeOnce.Do(func() {
		if b.nc.IsConnected() {
			err = b.nc.FlushWithContext(ctx)
		}
		b.nc.Close()
		close(b.stop)
	})
	select {
	case <-b.done:
	case <-ctx.Done():
		if err == nil {
			err = ctx.Err()
		}
	}
	return err
}
