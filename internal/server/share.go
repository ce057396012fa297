package server

import (
	"net"

	"github.com/havenchat/haven/internal/api"
	"github.com/havenchat/haven/internal/conncap"
	"github.com/havenchat/haven/internal/flood"
	"github.com/havenchat/haven/internal/nodeshare"
)

// Limits that hold across the nodes of a cluster (ADR 0012): on a NATS
// bus, flood control and the per-address caps of TCP connections and
// WebSockets are shared
// with the other nodes (package nodeshare); a single node keeps them in
// its memory alone, at no new cost.

// sharedFlood returns l, shared with the other nodes when there is a
// NATS bus and flood control is on.
func (s *Server) sharedFlood(l *flood.Limits) (api.Limiter, error) {
	if s.net == nil || s.cfg.FloodOff() {
		return l, nil
	}
	f, err := nodeshare.NewFlood(l, s.net, s.log)
	if err != nil {
		return nil, err
	}
	s.shared = append(s.shared, f)
	return f, nil
}

// sharedConnCap caps ln's connections per address group, counting
// those of the other nodes when there is a NATS bus.
func (s *Server) sharedConnCap(ln *conncap.Listener) (net.Listener, error) {
	if err := s.shareConns(nodeshare.ConnsSubject, ln.Counts, ln.SetShared); err != nil {
		return nil, err
	}
	return ln, nil
}

// shareSockets makes the API's per-address WebSocket cap count those of
// the other nodes when there is a NATS bus.
func (s *Server) shareSockets() error {
	return s.shareConns(nodeshare.SocketsSubject, s.api.SocketsPerGroup, s.api.SetSharedSockets)
}

// shareConns shares the counts per address group on subject, when there
// is a NATS bus, and hands the cap what the other nodes hold (set).
func (s *Server) shareConns(subject string, counts func() map[string]int, set func(conncap.Shared)) error {
	if s.net == nil {
		return nil
	}
	c, err := nodeshare.NewConns(subject, counts, s.net, s.log)
	if err != nil {
		return err
	}
	set(c)
	s.shared = append(s.shared, c)
	return nil
}

// closeShared sends the last reports and stops sharing.
func (s *Server) closeShared() error {
	var err error
	for _, c := range s.shared {
		if e := c.Close(); e != nil && err == nil {
			err = e
		}
	}
	s.shared = nil
	return err
}
