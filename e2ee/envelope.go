package e2ee

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Envelope is what the server relays: one message for one device. The
// server sees who sends to whom and the message's size, never its content.
// It sets From from the sender's authenticated connection; a wrong From
// sends the message to a session that cannot open it.
type Envelope struct {
	From, To Address
	Body     []byte // an initial message or a ratchet message
}

// MarshalBinary encodes the envelope.
func (e *Envelope) MarshalBinary() ([]byte, error) {
	if len(e.Body) > MaxMessageSize {
		return nil, fmt.Errorf("%w: body of %d bytes", ErrTooLarge, len(e.Body))
	}
	w := newWriter(tagEnvelope, 24+4+len(e.Body))
	w.u64(uint64(e.From.User))
	w.u32(uint32(e.From.Device))
	w.u64(uint64(e.To.User))
	w.u32(uint32(e.To.Device))
	w.bytes32(e.Body)
	return w.b, nil
}

// ParseEnvelope parses an envelope. Its body is parsed when decrypted.
func ParseEnvelope(b []byte) (*Envelope, error) {
	r := newReader(b, tagEnvelope, "envelope")
	e := &Envelope{}
	e.From = Address{User: int64(r.u64()), Device: DeviceID(r.u32())}
	e.To = Address{User: int64(r.u64()), Device: DeviceID(r.u32())}
	e.Body = r.bytes32(MaxMessageSize)
	if err := r.done(); err != nil {
		return nil, err
	}
	if e.From.Device == 0 || e.To.Device == 0 {
		return nil, malformed("envelope: device 0")
	}
	if len(e.Body) == 0 || (e.Body[0] != tagMessage && e.Body[0] != tagPreKeyMessage) {
		return nil, malformed("envelope: body is no message")
	}
	return e, nil
}

// Sessions is one device's sessions with the devices it talks with, one
// per device: a secret chat between two people is the set of sessions
// between all their devices, and each message is encrypted once per device
// of the other person and once per other device of one's own (Encrypt).
// A device added later has no session with anyone's past, so it reads
// only what is sent after it joined.
type Sessions struct {
	local Identity
	byDev map[Address]*Session
}

// NewSessions returns an empty set for the local device.
func NewSessions(local Identity) *Sessions {
	return &Sessions{local: local, byDev: map[Address]*Session{}}
}

// Get returns the session with a device, or nil.
func (ss *Sessions) Get(a Address) *Session { return ss.byDev[a] }

// Put keeps a session, replacing any other with the same device: a new
// PQXDH session with a device supersedes the old one.
func (ss *Sessions) Put(s *Session) { ss.byDev[s.peer.Address()] = s }

// Remove forgets the session with a device.
func (ss *Sessions) Remove(a Address) { delete(ss.byDev, a) }

// Len returns how many sessions there are.
func (ss *Sessions) Len() int { return len(ss.byDev) }

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
		if ss.byDev[a] == nil {
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
	for _, a := range slices.SortedFunc(maps.Keys(ss.byDev), compareAddress) {
		if a.User != list.User {
			continue
		}
		id, err := list.Identity(a.Device)
		if err != nil || id != ss.byDev[a].peer {
			delete(ss.byDev, a)
			dropped = append(dropped, a)
		}
	}
	return dropped
}

func compareAddress(a, b Address) int {
	return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Device, b.Device))
}

// Encrypt encrypts one plaintext for each device of to, under each one's
// session, and returns the envelopes in to's order. If a device has no
// session it encrypts nothing and returns ErrNoSession naming the devices
// (Missing lists them first).
func (ss *Sessions) Encrypt(to []Address, plaintext []byte) ([]Envelope, error) {
	if missing := ss.Missing(to); len(missing) > 0 {
		return nil, fmt.Errorf("%w: %v", ErrNoSession, missing)
	}
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(plaintext), MaxPlaintext)
	}
	envs := make([]Envelope, 0, len(to))
	for _, a := range to {
		body, err := ss.byDev[a].Encrypt(plaintext)
		if err != nil {
			return nil, fmt.Errorf("e2ee: encrypting for %v: %w", a, err)
		}
		envs = append(envs, Envelope{From: ss.local.Address(), To: a, Body: body})
	}
	return envs, nil
}

// Decrypt opens an envelope for the local device. A ratchet message goes to
// the sender device's session. An initial message goes to it too if it
// belongs to it (the sender sends several until answered); otherwise it
// starts a new session through dev.Accept, which replaces the old one only
// once the message authenticates (a session reset: the sender lost its
// state, or started over). senderList is the sender's signed device list,
// needed only for initial messages (nil otherwise). The caller keeps the
// changed session, and the device after an initial message.
func (ss *Sessions) Decrypt(dev *Device, senderList *DeviceList, e *Envelope) ([]byte, error) {
	if e.To != ss.local.Address() {
		return nil, fmt.Errorf("%w: envelope for %v", ErrNoSession, e.To)
	}
	s := ss.byDev[e.From]
	if s != nil {
		pt, err := s.Decrypt(e.Body)
		if err == nil || e.Body[0] != tagPreKeyMessage || !errors.Is(err, ErrNoSession) {
			return pt, err
		}
	} else if e.Body[0] != tagPreKeyMessage {
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
	ss.Put(ns)
	return pt, nil
}
