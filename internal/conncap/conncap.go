// Package conncap caps the TCP connections a listener holds open from
// one address, so that one client cannot take every file descriptor of
// the server with connections it never uses. It counts by the address
// group of package clientaddr (an IPv6 /64), exempts the reverse proxies
// the operator trusts (their connections carry many clients, which the
// API counts one by one after resolving them), and closes a connection
// over the cap as soon as it is accepted, before TLS or HTTP.
package conncap

import (
	"errors"
	"io"
	"maps"
	"net"
	"net/netip"
	"sync"
	"syscall"

	"github.com/havenchat/haven/internal/clientaddr"
)

// Listener is a net.Listener that holds at most Max connections open
// from one address group at once. It is safe for concurrent use.
type Listener struct {
	net.Listener
	max    int
	exempt func(netip.Addr) bool
	// refused, if set, is called for each connection closed on arrival.
	refused func()

	mu   sync.Mutex
	open map[string]int
	// shared, if set, counts the connections other nodes hold and
	// hears of this node's changes (SetShared).
	shared Shared
}

// Shared is what other nodes hold open, for a cap across a cluster
// (package nodeshare).
type Shared interface {
	// Others returns the connections other nodes hold from group key.
	Others(key string) int
	// Changed tells that this node now holds n connections from group
	// key. It is called under the Listener's lock: it must not block.
	Changed(key string, n int)
}

// SetShared makes the cap count the connections sh says other nodes
// hold, and tells sh of this node's. Call it before Accept.
func (l *Listener) SetShared(sh Shared) { l.shared = sh }

// Counts returns the connections counted now, per address group.
func (l *Listener) Counts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.open)
}

// New wraps ln. exempt, when not nil, names the peers that are never
// counted (trusted proxies); onRefuse, when not nil, is called for each
// connection closed over the cap.
func New(ln net.Listener, max int, exempt func(netip.Addr) bool, onRefuse func()) *Listener {
	return &Listener{Listener: ln, max: max, exempt: exempt, refused: onRefuse, open: make(map[string]int)}
}

// Accept returns the next connection within the cap, closing those over
// it on the way.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		a := clientaddr.Peer(c.RemoteAddr().String())
		if !a.IsValid() || (l.exempt != nil && l.exempt(a)) {
			return c, nil
		}
		key := clientaddr.Group(a)
		others := 0
		if l.shared != nil {
			others = l.shared.Others(key)
		}
		l.mu.Lock()
		if l.open[key]+others >= l.max {
			l.mu.Unlock()
			if l.refused != nil {
				l.refused()
			}
			c.Close()
			continue
		}
		l.open[key]++
		if l.shared != nil {
			l.shared.Changed(key, l.open[key])
		}
		l.mu.Unlock()
		return &conn{Conn: c, l: l, key: key}, nil
	}
}

// Open returns how many connections are counted for a's group now.
func (l *Listener) Open(a netip.Addr) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open[clientaddr.Group(a)]
}

func (l *Listener) release(key string) {
	l.mu.Lock()
	if l.open[key]--; l.open[key] <= 0 {
		delete(l.open, key)
	}
	if l.shared != nil {
		l.shared.Changed(key, l.open[key])
	}
	l.mu.Unlock()
}

// conn is a counted connection; closing it frees its place.
type conn struct {
	net.Conn
	l    *Listener
	key  string
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.key) })
	return err
}

// CloseWrite half-closes the connection when the wrapped one can, as
// net/http does to end a response gracefully.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// SyscallConn gives the wrapped connection's file descriptor, when it
// has one, to writers that must not wait (the WebSocket fan-out writes
// without blocking); closing still goes through Close. Errors:
// errors.ErrUnsupported when the wrapped connection has none.
func (c *conn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

// ReadFrom lets net/http hand a file to the wrapped connection, which
// may send it without copying it through user space (sendfile).
func (c *conn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }
