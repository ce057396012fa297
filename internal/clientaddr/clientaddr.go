// Package clientaddr finds the address of the client behind an HTTP
// request: the connection's peer, or, when that peer is one of the
// reverse proxies the operator trusts, the address those proxies
// forwarded in X-Forwarded-For. Every decision Haven makes per client
// address (flood control before sign-in, sign-in code limits, connection
// caps, IP logging) keys on what it returns, so that clients behind a
// trusted proxy are told apart and a client elsewhere cannot pick its
// own address by sending the header.
package clientaddr

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/realclientip/realclientip-go"
)

// Resolver resolves client addresses. The zero value trusts no proxy:
// every client is its connection's peer. It is safe for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
	xff     realclientip.Strategy
}

// New returns a Resolver that believes X-Forwarded-For only from a peer
// in trusted.
func New(trusted []netip.Prefix) *Resolver {
	r := &Resolver{}
	if len(trusted) == 0 {
		return r
	}
	nets := make([]net.IPNet, 0, len(trusted))
	for _, p := range trusted {
		p = p.Masked()
		r.trusted = append(r.trusted, p)
		nets = append(nets, net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())})
	}
	// The right-most address that is not a trusted proxy is the one the
	// outermost trusted proxy saw connect; everything left of it was
	// written by the client and proves nothing.
	r.xff = realclientip.Must(realclientip.NewRightmostTrustedRangeStrategy("X-Forwarded-For", nets))
	return r
}

// Trusted reports whether a is one of the trusted proxies.
func (r *Resolver) Trusted(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Client returns the address of the client that sent req: the peer of
// the connection, unless the peer is a trusted proxy, in which case the
// right-most address of X-Forwarded-For that is not a trusted proxy.
// When the proxies forwarded no usable address (no header, a malformed
// entry, or only trusted addresses), the peer itself is the client.
// The address has no zone and IPv4 is never mapped into IPv6. It is the
// zero Addr only when the peer is not an IP address (a Unix socket).
func (r *Resolver) Client(req *http.Request) netip.Addr {
	peer := Peer(req.RemoteAddr)
	if r.xff == nil || !peer.IsValid() || !r.Trusted(peer) {
		return peer
	}
	if s := r.xff.ClientIP(req.Header, req.RemoteAddr); s != "" {
		if a, err := netip.ParseAddr(s); err == nil {
			return a.Unmap().WithZone("")
		}
	}
	return peer
}

// Peer parses a connection's remote address ("host:port", as in
// http.Request.RemoteAddr or net.Conn.RemoteAddr().String()), without
// zone and with IPv4 unmapped; the zero Addr if it is not an IP address.
func Peer(remoteAddr string) netip.Addr {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		a, err := netip.ParseAddr(remoteAddr)
		if err != nil {
			return netip.Addr{}
		}
		return a.Unmap().WithZone("")
	}
	return ap.Addr().Unmap().WithZone("")
}

// Group is the key under which per-address caps count a client: an
// IPv4 address as it is, an IPv6 address by its /64. One subscriber is
// usually given a whole /64 and may use any address in it, so counting
// IPv6 addresses one by one would let one household, or one attacker,
// open connections without limit.
func Group(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
	}
	return a.Unmap().String()
}
