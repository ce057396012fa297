package api

// SetSharedSockets makes the per-address WebSocket cap (SocketsPerIP)
// count the sockets sh says the other nodes hold, and tells sh of this
// node's (ADR 0012). Call it before the server serves.
func (s *Server) SetSharedSockets(sh SharedCounts) { s.sockets.sharedIP = sh }

// SocketsPerGroup returns the WebSockets open on this node now, per
// client address group (see clientaddr.Group), for SetSharedSockets.
func (s *Server) SocketsPerGroup() map[string]int { return s.sockets.socketsPerGroup() }
