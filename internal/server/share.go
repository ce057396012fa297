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
	if s.net == nil {
		return ln, nil
	}
	c, err := nodeshare.NewConns(nodeshare.ConnsSubject, ln.Counts, s.net, s.log)
	if err != nil {
		return nil, err
	}
	ln.SetShared(c)
	s.shared = append(s.shared, c)
	return ln, nil
}

// shareSockets makes the API's per-address WebSocket cap count those of
// the other nodes when there is a NATS bus.
func (s *Server) shareSockets() error {
	if s.net == nil {
		return nil
	}
	c, err := nodeshare.NewConns(nodeshare.SocketsSubject, s.api.SocketsPerGroup, s.net, s.log)
	if err != nil {
		return err
	}
	s.api.SetSharedSockets(c)
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
