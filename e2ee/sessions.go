package e2ee

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// MaxPreviousSessions is how many superseded sessions with one device are
// kept besides the current one (as Signal keeps "previous session
// states"), so that messages an old session sent before a new one began
// still open. They only decrypt; the current session encrypts.
const MaxPreviousSessions = 4

// record is the sessions with one device: the current one, which
// encrypts, and the superseded ones, newest first, which only decrypt.
type record struct {
	cur  *Session
	prev []*Session
}

// Sessions is one device's sessions with the devices it talks with: a
// secret chat between two people is the set of sessions between all their
// devices, and each message is encrypted once per device of the other
// person and once per other device of one's own (Encrypt). A device added
// later has no session with anyone's past, so it reads only what is sent
// after it joined.
type Sessions struct {
	local Identity
	recs  map[Address]*record
}

// NewSessions returns an empty set for the local device.
func NewSessions(local Identity) *Sessions {
	return &Sessions{local: local, recs: map[Address]*record{}}
}

// Get returns the current session with a device, or nil.
func (ss *Sessions) Get(a Address) *Session {
	if r := ss.recs[a]; r != nil {
		return r.cur
	}
	return nil
}

// Put makes s the current session with its device: a new PQXDH session
// with a device supersedes the old one, which is kept for a while to open
// what it sent before (MaxPreviousSessions).
func (ss *Sessions) Put(s *Session) {
	a := s.peer.Address()
	r := ss.recs[a]
	if r == nil {
		ss.recs[a] = &record{cur: s}
		return
	}
	r.prev = append([]*Session{r.cur}, r.prev...)
	if len(r.prev) > MaxPreviousSessions {
		r.prev = r.prev[:MaxPreviousSessions]
	}
	r.cur = s
}

// Remove forgets every session with a device.
func (ss *Sessions) Remove(a Address) { delete(ss.recs, a) }

// Len returns how many devices there are sessions with.
func (ss *Sessions) Len() int { return len(ss.recs) }

// Recipients returns every device a message from local goes to: each
// device of each list (the other person's and one's own), but local itself.
func Recipients(local Address, lists ...*DeviceList) []Address {
	var to []Address
	for _, l := range lists {
		for _, a := range l.Addresses() {
			if a != local && !slices.Contains(to, a) {
				to = append(to, a)
			}
		}
	}
	return to
}

// Missing returns the devices of to that have no session yet: the caller
// fetches their bundles and calls Initiate.
func (ss *Sessions) Missing(to []Address) []Address {
	var out []Address
	for _, a := range to {
		if ss.recs[a] == nil {
			out = append(out, a)
		}
	}
	return out
}

// Sync drops the sessions with devices of list's user that the list no
// longer has, or that now have another key (a reinstalled device must
// start a new session), and returns their addresses.
func (ss *Sessions) Sync(list *DeviceList) []Address {
	var dropped []Address
	for _, a := range slices.SortedFunc(maps.Keys(ss.recs), compareAddress) {
		if a.User != list.User {
			continue
		}
		r := ss.recs[a]
		id, err := list.Identity(a.Device)
		if err != nil || id != r.cur.peer {
			delete(ss.recs, a)
			dropped = append(dropped, a)
			continue
		}
		// Previous sessions with the device's former key go too.
		r.prev = slices.DeleteFunc(r.prev, func(s *Session) bool { return s.peer != id })
	}
	return dropped
}

func compareAddress(a, b Address) int {
	return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Device, b.Device))
}

// Encrypt encrypts one plaintext for each device of to, under each one's
// current session, and returns the envelopes in to's order. If a device
// has no session it encrypts nothing and returns ErrNoSession naming the
// devices (Missing lists them first).
func (ss *Sessions) Encrypt(to []Address, plaintext []byte) ([]Envelope, error) {
	if missing := ss.Missing(to); len(missing) > 0 {
		return nil, fmt.Errorf("%w: %v", ErrNoSession, missing)
	}
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(plaintext), MaxPlaintext)
	}
	envs := make([]Envelope, 0, len(to))
	for _, a := range to {
		body, err := ss.recs[a].cur.Encrypt(plaintext)
		if err != nil {
			return nil, fmt.Errorf("e2ee: encrypting for %v: %w", a, err)
		}
		envs = append(envs, Envelope{From: ss.local.Address(), To: a, Body: body})
	}
	return envs, nil
}

// Decrypt opens an envelope for the local device. The sender device's
// current session is tried first, then its previous ones. An initial
// message that belongs to none of them starts a new session through
// dev.Accept, which becomes current once the message authenticates (a
// session reset: the sender lost its state, or started over). One case
// differs: if the current session is one this device started and the peer
// has not answered yet, and the new one comes from the same device key,
// both devices started a session with each other at once; then both keep as current the session whose base key (Alice's
// ephemeral key) is lower, and the other stays as a previous one, so that
// both end on the same session. senderList is the sender's signed device
// list, needed only for initial messages (nil otherwise). The caller then
// keeps the Sessions, and the device after an initial message.
func (ss *Sessions) Decrypt(dev *Device, senderList *DeviceList, e *Envelope) ([]byte, error) {
	if e.To != ss.local.Address() {
		return nil, fmt.Errorf("%w: envelope for %v", ErrNoSession, e.To)
	}
	if len(e.Body) == 0 {
		return nil, malformed("empty message")
	}
	initial := e.Body[0] == tagPreKeyMessage
	r := ss.recs[e.From]
	if r != nil {
		pt, err := r.cur.Decrypt(e.Body)
		if err == nil {
			return pt, nil
		}
		for _, p := range r.prev {
			if pt, perr := p.Decrypt(e.Body); perr == nil {
				return pt, nil
			}
		}
		if !initial || !errors.Is(err, ErrNoSession) {
			return nil, err
		}
	} else if !initial {
		return nil, fmt.Errorf("%w: %v", ErrNoSession, e.From)
	}
	if senderList == nil || senderList.User != e.From.User {
		return nil, fmt.Errorf("%w: no device list of %d", ErrUnknownDevice, e.From.User)
	}
	p, _, _, err := parsePreKeyMessage(e.Body)
	if err != nil {
		return nil, err
	}
	if p.sender.Address() != e.From {
		return nil, fmt.Errorf("%w: initial message of %v relayed as from %v", ErrUnknownDevice, p.sender.Address(), e.From)
	}
	ns, pt, err := dev.Accept(senderList, e.Body)
	if err != nil {
		return nil, err
	}
	if r != nil && r.cur.pending != nil && r.cur.peer == ns.peer && bytes.Compare(r.cur.base[:], ns.base[:]) < 0 {
		r.prev = append([]*Session{ns}, r.prev...)
		if len(r.prev) > MaxPreviousSessions {
			r.prev = r.prev[:MaxPreviousSessions]
		}
	} else {
		ss.Put(ns)
	}
	return pt, nil
}

// MarshalBinary encodes every session, current and previous, for the
// client to keep.
func (ss *Sessions) MarshalBinary() ([]byte, error) {
	w := newWriter(tagSessions, 0)
	ss.local.encode(w)
	addrs := slices.SortedFunc(maps.Keys(ss.recs), compareAddress)
	w.u32(uint32(len(addrs)))
	for _, a := range addrs {
		r := ss.recs[a]
		w.u8(byte(len(r.prev)))
		for _, s := range append([]*Session{r.cur}, r.prev...) {
			b, err := s.MarshalBinary()
			if err != nil {
				return nil, err
			}
			w.bytes32(b)
		}
	}
	return w.b, nil
}

// UnmarshalSessions restores what MarshalBinary encoded.
func UnmarshalSessions(b []byte) (*Sessions, error) {
	rd := newReader(b, tagSessions, "sessions")
	ss := NewSessions(readIdentity(rd))
	n := rd.u32()
	var last Address
	for i := uint32(0); i < n && rd.err == nil; i++ {
		np := int(rd.u8())
		if np > MaxPreviousSessions {
			rd.fail("%d previous sessions", np)
		}
		r := &record{}
		for j := 0; j <= np && rd.err == nil; j++ {
			s, err := UnmarshalSession(rd.bytes32(MaxSessionSize))
			if err != nil {
				return nil, err
			}
			if s.local != ss.local || (j > 0 && s.peer.Address() != r.cur.peer.Address()) {
				return nil, malformed("sessions: a session of other devices")
			}
			if j == 0 {
				r.cur = s
			} else {
				r.prev = append(r.prev, s)
			}
		}
		if rd.err != nil {
			break
		}
		a := r.cur.peer.Address()
		if i > 0 && compareAddress(last, a) >= 0 {
			return nil, malformed("sessions: devices repeated or out of order")
		}
		last = a
		ss.recs[a] = r
	}
	if err := rd.done(); err != nil {
		return nil, err
	}
	return ss, nil
}
