package e2ee

import (
	"bytes"
	"fmt"
)

// Plaintext limits.
const (
	// MaxPlaintext is the largest plaintext one message carries. Files go
	// as attachments (attachment.go), so a message is text and pointers.
	MaxPlaintext = 64 << 10
	// padBlock: plaintexts are padded to a multiple of it before
	// encryption, so that a ciphertext's length tells little of its text's.
	padBlock = 160
	// maxCiphertext bounds a ratchet message's ciphertext.
	maxCiphertext = MaxPlaintext + padBlock + aeadOverhead
	// MaxMessageSize bounds any message a session makes or reads.
	MaxMessageSize = preKeyHeaderSize + messageHdrSz + maxCiphertext
	// MaxSessionSize bounds a session's encoding (MaxSkip kept keys).
	MaxSessionSize = 2*identitySize + 64 + preKeyHeaderSize + 4*PublicKeySize + 20 + MaxSkip*(PublicKeySize+4+32)
)

// Session is a Double Ratchet session with one device of another person,
// or with another device of one's own. A client keeps one per device it
// talks with (Sessions) and stores it after every Encrypt and Decrypt.
type Session struct {
	local, peer Identity
	initiator   bool
	// base is Alice's ephemeral key EK: it names the PQXDH run that
	// started the session, so that Bob can tell a repeat of an initial
	// message from a new session.
	base key32
	// pending is the initial-message header Alice sends with every message
	// until Bob answers (PQXDH §3.3); nil after.
	pending []byte
	r       *ratchet
}

// Peer returns the identity of the device at the other end.
func (s *Session) Peer() Identity { return s.peer }

// Local returns the identity of this end.
func (s *Session) Local() Identity { return s.local }

// ad is the session's associated data: Alice's identity then Bob's.
func (s *Session) ad() []byte {
	if s.initiator {
		return associatedData(s.local, s.peer)
	}
	return associatedData(s.peer, s.local)
}

// Encrypt encrypts a plaintext of at most MaxPlaintext bytes for the peer.
// The result is an initial message while the peer has not answered yet,
// a ratchet message after.
func (s *Session) Encrypt(plaintext []byte) ([]byte, error) {
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(plaintext), MaxPlaintext)
	}
	padded := pad(plaintext)
	ad := s.ad()
	if s.pending != nil {
		ad = append(ad, s.pending...)
	}
	m, err := s.r.encrypt(padded, ad)
	if err != nil {
		return nil, err
	}
	if s.pending != nil {
		return append(bytes.Clone(s.pending), m...), nil
	}
	return m, nil
}

// Decrypt decrypts a message from the peer: a ratchet message, or an
// initial message of this very session (Alice sends several until Bob
// answers). An initial message that starts another session is for
// Device.Accept; Sessions.Decrypt routes it there.
func (s *Session) Decrypt(msg []byte) ([]byte, error) {
	if len(msg) > MaxMessageSize {
		return nil, malformed("message of %d bytes", len(msg))
	}
	if len(msg) > 0 && msg[0] == tagPreKeyMessage {
		p, hdr, inner, err := parsePreKeyMessage(msg)
		if err != nil {
			return nil, err
		}
		if s.initiator || p.ephemeral != s.base {
			return nil, fmt.Errorf("%w: initial message of another session", ErrNoSession)
		}
		return s.open(hdr, inner)
	}
	pt, err := s.open(nil, msg)
	if err != nil {
		return nil, err
	}
	// The peer answered: it has the session, so the initial-message
	// header can stop (PQXDH §3.3, Double Ratchet §7.1).
	s.pending = nil
	return pt, nil
}

// open decrypts a ratchet message, with the initial-message header it came
// in (if any) authenticated too.
func (s *Session) open(preKeyHdr, msg []byte) ([]byte, error) {
	h, err := parseMessage(msg, maxCiphertext)
	if err != nil {
		return nil, err
	}
	ad := s.ad()
	if preKeyHdr != nil {
		ad = append(ad, preKeyHdr...)
	}
	padded, err := s.r.decrypt(h, ad)
	if err != nil {
		return nil, err
	}
	return unpad(padded)
}

// pad appends 0x80 then zeros up to a multiple of padBlock (ISO/IEC
// 7816-4 padding), always at least one byte.
func pad(p []byte) []byte {
	n := (len(p)/padBlock + 1) * padBlock
	out := make([]byte, n)
	copy(out, p)
	out[len(p)] = 0x80
	return out
}

func unpad(p []byte) ([]byte, error) {
	if len(p) == 0 || len(p)%padBlock != 0 {
		return nil, malformed("padding: %d bytes", len(p))
	}
	i := len(p) - 1
	for i >= 0 && p[i] == 0 {
		i--
	}
	if i < 0 || p[i] != 0x80 || len(p)-i > padBlock {
		return nil, malformed("padding")
	}
	return p[:i], nil
}

// MarshalBinary encodes the session's state, secrets included, for the
// client to keep (encrypted at rest by the platform's means).
func (s *Session) MarshalBinary() ([]byte, error) {
	w := newWriter(tagSession, 2*identitySize+64+len(s.pending)+len(s.r.skipped)*68+200)
	s.local.encode(w)
	s.peer.encode(w)
	w.bool(s.initiator)
	w.raw(s.base[:])
	w.bool(s.pending != nil)
	if s.pending != nil {
		w.raw(s.pending)
	}
	s.r.encode(w)
	return w.b, nil
}

// UnmarshalSession restores a session from MarshalBinary's bytes.
func UnmarshalSession(b []byte) (*Session, error) {
	rd := newReader(b, tagSession, "session")
	s := &Session{}
	s.local = readIdentity(rd)
	s.peer = readIdentity(rd)
	s.initiator = rd.bool()
	rd.array(s.base[:])
	if rd.bool() {
		s.pending = bytes.Clone(rd.take(preKeyHeaderSize))
	}
	s.r = readRatchet(rd)
	if err := rd.done(); err != nil {
		return nil, err
	}
	if s.pending != nil {
		p, _, _, err := parsePreKeyMessage(s.pending)
		if err != nil || !s.initiator || p.sender != s.local || p.ephemeral != s.base {
			return nil, malformed("session: pending initial message")
		}
	}
	return s, nil
}
