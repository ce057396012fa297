package api

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gobwas/ws"

	"github.com/havenchat/haven"
)

// ConnLimits bound what one client may hold open on a node, and how long
// it may take over what it started. Zero fields take the value of
// DefaultConnLimits.
type ConnLimits struct {
	// SocketsPerIP caps the WebSockets open from one client address (an
	// IPv6 /64, see clientaddr.Group), and UnauthorizedSocketsPerIP
	// those of them not yet bound to a session.
	SocketsPerIP             int
	UnauthorizedSocketsPerIP int
	// SocketsPerUser caps one person's sockets, over all their sessions.
	// A sign-in made on a socket binds it even at the cap: it needed a
	// code, which is rate limited, and its token must reach the client.
	SocketsPerUser int
	// AuthTimeout is how long a socket may stay open unauthorized.
	AuthTimeout time.Duration
	// PingInterval is how long a socket may be quiet (no frame read, no
	// request running) before it is pinged; PingTimeout how long the
	// pong may take before the peer is taken for dead.
	PingInterval time.Duration
	PingTimeout  time.Duration
	// BodyTimeout is how long a request body may take to arrive. A file
	// part gets BodyTimeout plus one second for every PartMinRate bytes
	// received, so a slow link may take its time while a client that
	// trickles bytes to hold the connection is cut.
	BodyTimeout time.Duration
	PartMinRate int64
}

// DefaultConnLimits are the limits of a node configured with nothing:
// room for a household or a classroom behind one address, and little
// for anyone who opens sockets only to hold them.
func DefaultConnLimits() ConnLimits {
	return ConnLimits{
		SocketsPerIP:             256,
		UnauthorizedSocketsPerIP: 32,
		SocketsPerUser:           32,
		AuthTimeout:              30 * time.Second,
		PingInterval:             30 * time.Second,
		PingTimeout:              20 * time.Second,
		BodyTimeout:              30 * time.Second,
		PartMinRate:              1 << 10,
	}
}

func (l ConnLimits) withDefaults() ConnLimits {
	d := DefaultConnLimits()
	fill := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	fillD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&l.SocketsPerIP, d.SocketsPerIP)
	fill(&l.UnauthorizedSocketsPerIP, d.UnauthorizedSocketsPerIP)
	fill(&l.SocketsPerUser, d.SocketsPerUser)
	fillD(&l.AuthTimeout, d.AuthTimeout)
	fillD(&l.PingInterval, d.PingInterval)
	fillD(&l.PingTimeout, d.PingTimeout)
	fillD(&l.BodyTimeout, d.BodyTimeout)
	if l.PartMinRate <= 0 {
		l.PartMinRate = d.PartMinRate
	}
	return l
}

// sweepEvery is how often the keeper looks at the sockets: often enough
// that no deadline is overrun by more than a quarter of itself, and at
// most once a second, which keeps the walk over all sockets cheap.
func (l ConnLimits) sweepEvery() time.Duration {
	d := min(l.AuthTimeout, l.PingInterval, l.PingTimeout) / 4
	return min(max(d, 10*time.Millisecond), time.Second)
}

// closeAuthTimeout: the socket was not authorized within AuthTimeout.
const closeAuthTimeout ws.StatusCode = 4002

// tooMany is the refusal of a socket beyond one of the caps.
func tooMany(format string, args ...any) error {
	return haven.Errorf(haven.CodeConnectionsTooMany, format, args...)
}

// keep is the one goroutine that watches every socket of the node: it
// closes those not authorized in time and pings those that have been
// quiet. No socket has a timer or a goroutine of its own for this.
func (h *hub) keep() {
	defer h.wg.Done()
	t := time.NewTicker(h.limits.sweepEvery())
	defer t.Stop()
	for {
		select {
		case <-h.done:
			return
		case now := <-t.C:
			h.sweep(now)
		}
	}
}

// sweep makes one round of keep.
func (h *hub) sweep(now time.Time) {
	authBefore := now.Add(-h.limits.AuthTimeout).UnixNano()
	quietBefore := now.Add(-h.limits.PingInterval).UnixNano()
	pongBefore := now.Add(-h.limits.PingTimeout).UnixNano()
	var late, quiet, dead []*socket
	h.mu.RLock()
	for s := range h.all {
		ping := s.pingAt.Load()
		switch {
		case s.closed.Load():
		case s.actor.Load() == nil && s.opened <= authBefore:
			late = append(late, s)
		case ping != 0 && s.alive.Load() >= ping:
			// Answered: a pong, or any frame.
			s.pingAt.CompareAndSwap(ping, 0)
		case ping != 0 && ping <= pongBefore:
			dead = append(dead, s)
		case ping == 0 && s.alive.Load() <= quietBefore && s.inflight() == 0:
			quiet = append(quiet, s)
		}
	}
	h.mu.RUnlock()
	for _, s := range late {
		h.metrics.timedOut.WithLabelValues("auth").Inc()
		s.closeNow(closeAuthTimeout, fmt.Sprintf("%s: not authorized within %s", haven.CodeAuthRequired, h.limits.AuthTimeout))
	}
	for _, s := range quiet {
		s.ping(now)
	}
	for _, s := range dead {
		h.metrics.timedOut.WithLabelValues("ping").Inc()
		s.drop()
	}
}

// ping checks that the peer of a quiet socket still answers: the
// sweep drops the connection if no pong (nor any frame) comes within
// PingTimeout. No goroutine nor timer waits for the pong.
func (k *socket) ping(now time.Time) {
	if !k.pingAt.CompareAndSwap(0, now.UnixNano()) {
		return
	}
	k.send(outFrame{framed: pingFrame})
}

// bodyClock bounds how long a request body may take to arrive: all of
// it within grace, plus, when rate is above 0, one second for every rate
// bytes received so far. It moves the connection's read deadline before
// each read, and clears it once the body has been read, so that the
// deadline does not outlive the body (the server's read that watches for
// the client going away would otherwise cancel the request).
type bodyClock struct {
	rc    *http.ResponseController
	body  io.Reader
	start time.Time
	grace time.Duration
	rate  int64
	n     int64
	// late is set once a read missed its deadline.
	late bool
}

func newBodyClock(w http.ResponseWriter, r *http.Request, grace time.Duration, rate int64) *bodyClock {
	return &bodyClock{rc: http.NewResponseController(w), body: r.Body, start: time.Now(), grace: grace, rate: rate}
}

func (b *bodyClock) Read(p []byte) (int, error) {
	allowed := b.grace
	if b.rate > 0 {
		allowed += time.Duration(float64(b.n) / float64(b.rate) * float64(time.Second))
	}
	// A writer that cannot move the deadline (none of Haven's) leaves the
	// body unbounded in time but still bounded in size.
	_ = b.rc.SetReadDeadline(b.start.Add(allowed))
	n, err := b.body.Read(p)
	b.n += int64(n)
	switch {
	case err == io.EOF:
		_ = b.rc.SetReadDeadline(time.Time{})
	case isTimeout(err):
		b.late = true
		return n, b.err()
	}
	return n, err
}

// err is the error of a body that did not arrive in time.
func (b *bodyClock) err() error {
	if b.rate > 0 {
		return haven.Errorf(haven.CodeBodyTimeout, "the body arrived slower than %d bytes per second", b.rate)
	}
	return haven.Errorf(haven.CodeBodyTimeout, "the body did not arrive within %s", b.grace)
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
