package core

// RemoteOnline reports whether this node knows a person to be online on
// another node.
func (s *Service) RemoteOnline(userID int64) bool {
	p := s.presence
	now := s.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.remoteOnlineLocked(userID, now)
}
