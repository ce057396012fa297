// Package nats is the bus of a node that is one of many: events go
// through a NATS server or cluster (github.com/nats-io/nats.go), so a
// message committed on one node reaches the sockets of every node.
//
// It keeps the in-process bus's promises (internal/bus/local): every
// subscriber of a subject gets what is published to it after it
// subscribed, in the order it was published, and the handlers of one
// node run one after the other on one goroutine, in the order the
// node's connection received the messages. One connection carries a
// node's subscriptions and publishes, so a node's own events reach it in
// the order it published them, across subjects too (a person's "dialog
// added" before the first event of the chat they joined).
//
// Core NATS delivers at most once and the bus interface carries no event
// id, so nothing is de-duplicated and nothing is redelivered: a node
// that may have missed events is told instead (Options.OnGap), and its
// clients resync from the log, which is the truth (DESIGN.md, Realtime).
// A node misses events when its handlers fall behind (its delivery
// queue, bounded, overflows: the NATS client drops what does not fit
// rather than slow the server or the other nodes) and while its
// connection is down (it reconnects by itself, to any server of the
// cluster).
package nats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
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

	mu   sync.RWMutex
	subs map[*nats.Subscription]func([]byte)

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
		msgs: make(chan *nats.Msg, opt.Queue),
		log:  opt.Log,
		subs: make(map[*nats.Subscription]func([]byte)),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	gap := func(err error) {
		if opt.OnGap != nil {
			opt.OnGap(err)
		}
	}
	log := opt.Log
	nc, err := nats.Connect(opt.URL,
		nats.Name(opt.Name),
		nats.Timeout(opt.ConnectTimeout),
		nats.MaxReconnects(-1), // a node keeps trying; /ready tells the balancer
		nats.ReconnectWait(250*time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
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
		if (u.Scheme != "nats" && u.Scheme != "tls") || u.Host == "" {
			return fmt.Errorf("%w: %q (want nats://host:port or tls://host:port)", ErrBadURL, redact(part))
		}
	}
	return nil
}

// redact hides the passwords and tokens of URLs, for errors and logs.
func redact(s string) string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if u, err := url.Parse(strings.TrimSpace(part)); err == nil && u.User != nil {
			u.User = url.User("redacted")
			part = u.String()
		} else if err != nil {
			part = "(unparsable)"
		}
		out = append(out, part)
	}
	return strings.Join(out, ",")
}

// Publish hands data to the connection's buffer and returns; it does
// not wait for the server. While the connection is down the client
// buffers what is published (8 MiB) and sends it on reconnecting;
// beyond that Publish fails, and clients catch up from the log.
func (b *Bus) Publish(ctx context.Context, subject string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.nc.Publish(subject, data)
}

// Subscribe calls h for every message published to subject from now on.
// The server has the interest before any message this node publishes
// afterwards (one connection keeps its order).
func (b *Bus) Subscribe(subject string, h func(data []byte)) (core.Subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, err := b.nc.ChanSubscribe(subject, b.msgs)
	if err != nil {
		return nil, fmt.Errorf("nats bus: subscribing to %s: %w", subject, err)
	}
	b.subs[s] = h
	return &sub{b: b, s: s}, nil
}

type sub struct {
	b *Bus
	s *nats.Subscription
}

// Unsubscribe stops deliveries to this subscription, including those
// already received and not yet handled; it is idempotent.
func (s *sub) Unsubscribe() error {
	s.b.mu.Lock()
	_, live := s.b.subs[s.s]
	delete(s.b.subs, s.s)
	s.b.mu.Unlock()
	if !live {
		return nil
	}
	if err := s.s.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
		return err
	}
	return nil
}

// dispatch calls the handlers, in the order the messages came, until
// Close.
func (b *Bus) dispatch() {
	defer close(b.done)
	for {
		var m *nats.Msg
		select {
		case m = <-b.msgs:
		case <-b.stop:
			return
		}
		b.mu.RLock()
		h := b.subs[m.Sub]
		b.mu.RUnlock()
		if h != nil {
			h(m.Data)
		}
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
