package core

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"time"

	"github.com/havenchat/haven"
)

// SubjectSessionsEnded is the bus subject on which ended sessions are
// announced, so that every node closes their sockets at once. The payload
// is a JSON SessionsEnded.
const SubjectSessionsEnded = "haven.sessions.ended"

// SessionsEnded is the payload published on SubjectSessionsEnded.
type SessionsEnded struct {
	UserID     int64   `json:"user_id"`
	SessionIDs []int64 `json:"session_ids"`
}

// Authenticate resolves a bearer token to its session. It records the
// session's activity at most once per TouchInterval. Errors:
// CodeTokenInvalid for a malformed, unknown or ended session's token.
func (s *Service) Authenticate(ctx context.Context, token, ip string) (*Actor, error) {
	if !wellFormedToken(token) {
		return nil, haven.Errorf(haven.CodeTokenInvalid, "the session token is not valid")
	}
	sess, err := s.store.SessionByToken(ctx, hashToken(token))
	if errors.Is(err, haven.ErrNotFound) {
		return nil, haven.Errorf(haven.CodeTokenInvalid, "the session token is not valid or the session has ended")
	}
	if err != nil {
		return nil, s.internal(ctx, "authenticate", err)
	}
	a := &Actor{UserID: sess.UserID, SessionID: sess.ID, IP: ip}
	s.touch(ctx, sess, ip)
	return a, nil
}

// touch writes a session's and its user's activity time when the stored
// one is older than touchEvery. Activity is coarse by design: it is not
// worth a write per request, and a failure here fails no request.
func (s *Service) touch(ctx context.Context, sess *haven.Session, ip string) {
	now := s.now()
	s.touchMu.Lock()
	last, ok := s.touched[sess.ID]
	if !ok || last.Before(sess.LastActiveAt) {
		last = sess.LastActiveAt
	}
	due := now.Sub(last) >= s.touchEvery
	if due {
		s.touched[sess.ID] = now
	}
	if len(s.touched) > 100_000 { // forget everything rather than grow
		clear(s.touched)
	}
	s.touchMu.Unlock()
	if !due {
		return
	}
	if !s.ipLogging {
		ip = ""
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := tx.TouchSession(ctx, sess.UserID, sess.ID, now, ip); err != nil {
			return err
		}
		return tx.TouchUser(ctx, sess.UserID, now)
	})
	if err != nil && !errors.Is(err, haven.ErrNotFound) {
		s.log.WarnContext(ctx, "recording activity failed", "err", err)
	}
}

// SessionInfo is one of a person's sessions as they see it.
type SessionInfo struct {
	ID           int64
	Device       string
	CreatedAt    int64 // unix seconds
	LastActiveAt int64 // unix seconds
	Current      bool
	// IP and Location are set only when the operator enables IP logging.
	// Location is the address's network (a /24 or /48), an approximation
	// that needs no geolocation database.
	IP       string
	Location string
}

// ListSessions returns the actor's sessions, newest first.
func (s *Service) ListSessions(ctx context.Context, a *Actor) ([]SessionInfo, error) {
	ss, err := s.store.UserSessions(ctx, a.UserID)
	if err != nil {
		return nil, s.internal(ctx, "sessions.list", err)
	}
	out := make([]SessionInfo, 0, len(ss))
	for _, x := range ss {
		info := SessionInfo{
			ID:           x.ID,
			Device:       x.Device,
			CreatedAt:    x.CreatedAt.Unix(),
			LastActiveAt: x.LastActiveAt.Unix(),
			Current:      x.ID == a.SessionID,
		}
		if s.ipLogging && x.IP != "" {
			info.IP, info.Location = x.IP, network(x.IP)
		}
		out = append(out, info)
	}
	return out, nil
}

// network returns the /24 (IPv4) or /48 (IPv6) that holds ip.
func network(ip string) string {
	p := net.ParseIP(ip)
	if p == nil {
		return ""
	}
	if v4 := p.To4(); v4 != nil {
		return (&net.IPNet{IP: v4.Mask(net.CIDRMask(24, 32)), Mask: net.CIDRMask(24, 32)}).String()
	}
	return (&net.IPNet{IP: p.Mask(net.CIDRMask(48, 128)), Mask: net.CIDRMask(48, 128)}).String()
}

// TerminateSession ends one of the actor's sessions (their current one
// included). Errors: CodeSessionNotFound.
func (s *Service) TerminateSession(ctx context.Context, a *Actor, sessionID int64) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		sess, err := tx.SessionByID(ctx, a.UserID, sessionID)
		if errors.Is(err, haven.ErrNotFound) || (err == nil && sess.UserID != a.UserID) {
			return haven.Errorf(haven.CodeSessionNotFound, "you have no session %d", sessionID)
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteSession(ctx, a.UserID, sessionID); err != nil {
			return err
		}
		s.announceEnded(ctx, tx, a.UserID, []int64{sessionID})
		return nil
	})
	return s.internal(ctx, "sessions.terminate", err)
}

// LogOut ends the actor's current session.
func (s *Service) LogOut(ctx context.Context, a *Actor) error {
	return s.TerminateSession(ctx, a, a.SessionID)
}

// TerminateOtherSessions ends every session of the actor but the current
// one and reports how many ended.
func (s *Service) TerminateOtherSessions(ctx context.Context, a *Actor) (int, error) {
	var n int
	err := s.store.Update(ctx, func(tx Tx) error {
		ids, err := tx.DeleteUserSessions(ctx, a.UserID, a.SessionID)
		if err != nil {
			return err
		}
		n = len(ids)
		s.announceEnded(ctx, tx, a.UserID, ids)
		return nil
	})
	return n, s.internal(ctx, "sessions.terminateOthers", err)
}

// announceEnded publishes, once tx has committed, that sessions ended.
func (s *Service) announceEnded(ctx context.Context, tx Tx, userID int64, ids []int64) {
	if len(ids) > 0 && s.push != nil {
		// Their push subscriptions ended with them. Read off the writer,
		// which the callback must not hold up.
		tx.AfterCommit(func() {
			go func() {
				if err := s.push.users.recheck(context.WithoutCancel(ctx), s.store, userID); err != nil {
					s.log.Warn("push: rechecking a person's subscriptions failed", "err", err)
				}
			}()
		})
	}
	if s.bus == nil || len(ids) == 0 {
		return
	}
	data, _ := json.Marshal(SessionsEnded{UserID: userID, SessionIDs: ids})
	tx.AfterCommit(func() {
		// The request may be over by now; the announcement must still go.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.bus.Publish(pctx, SubjectSessionsEnded, data); err != nil {
			s.log.Warn("announcing ended sessions failed", "err", err)
		}
	})
	s.touchMu.Lock()
	for _, id := range ids {
		delete(s.touched, id)
	}
	s.touchMu.Unlock()
}
