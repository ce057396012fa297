package e2ee

import (
	"bytes"
	"crypto/hkdf"
	"crypto/mlkem"
	"crypto/sha256"
	"fmt"
)

// infoPQXDH is PQXDH's info parameter (§2.1): the application, curve, hash
// and KEM, so that keys of this protocol can never equal another's.
const infoPQXDH = "Haven_E2EE_v1_X25519_SHA-256_ML-KEM-768"

// pqxdhKDF is PQXDH's KDF(KM) (§2.2): HKDF-SHA-256 over F || KM, F being 32
// 0xFF bytes (which sets the input apart from any X25519 output, for
// XEdDSA's sake in the specification, kept here as written), with a salt of
// 32 zero bytes and the protocol's info. The parts are KM's pieces in order.
func pqxdhKDF(info string, size int, parts ...[]byte) []byte {
	km := bytes.Repeat([]byte{0xFF}, 32)
	for _, p := range parts {
		km = append(km, p...)
	}
	out, err := hkdf.Key(sha256.New, km, make([]byte, sha256.Size), info, size)
	if err != nil {
		panic("e2ee: HKDF: " + err.Error())
	}
	clear(km)
	return out
}

// preKeyHeader is what an initial message carries besides the first ratchet
// message (§3.3): the identity of Alice's device, which of Bob's prekeys she
// used, her ephemeral key EK and the KEM ciphertext CT.
type preKeyHeader struct {
	sender    Identity
	signedID  uint32
	oneTimeID uint32 // 0: no one-time prekey was left
	kemID     uint32
	ephemeral key32
	kemCT     [kemCiphertextSize]byte
}

const preKeyHeaderSize = 2 + identitySize + 12 + PublicKeySize + kemCiphertextSize

func (p *preKeyHeader) encode() []byte {
	w := newWriter(tagPreKeyMessage, preKeyHeaderSize)
	p.sender.encode(w)
	w.u32(p.signedID)
	w.u32(p.oneTimeID)
	w.u32(p.kemID)
	w.raw(p.ephemeral[:])
	w.raw(p.kemCT[:])
	return w.b
}

// parsePreKeyMessage splits an initial message into its header (and that
// header's bytes) and the ratchet message it carries.
func parsePreKeyMessage(b []byte) (p preKeyHeader, hdr, inner []byte, err error) {
	r := newReader(b, tagPreKeyMessage, "initial message")
	p.sender = readIdentity(r)
	p.signedID = r.u32()
	p.oneTimeID = r.u32()
	p.kemID = r.u32()
	r.array(p.ephemeral[:])
	r.array(p.kemCT[:])
	inner = r.rest()
	if r.err != nil {
		return p, nil, nil, r.err
	}
	return p, b[:preKeyHeaderSize], inner, nil
}

// associatedData is PQXDH's AD (§3.3): Alice's identity then Bob's.
func associatedData(alice, bob Identity) []byte {
	return append(alice.bytes(), bob.bytes()...)
}

// Initiate starts a session with one of a person's devices, as Alice in
// PQXDH §3.3: it verifies the device's bundle against the person's signed
// device list (whose account key the caller trusts: pinned at first
// contact, compared with CompareDeviceLists, confirmed with safety numbers)
// and derives the session's first keys. Every message the session sends
// carries the initial-message header until the peer answers.
func Initiate(local *Device, peerList *DeviceList, bundle *Bundle) (*Session, error) {
	peer, err := bundle.Verify(peerList)
	if err != nil {
		return nil, err
	}
	ek, err := newX25519()
	if err != nil {
		return nil, err
	}
	pq, err := mlkem.NewEncapsulationKey768(bundle.KEM.Public[:])
	if err != nil {
		return nil, fmt.Errorf("%w: ML-KEM key: %v", ErrMalformed, err)
	}
	ss, ct := pq.Encapsulate()
	dh1, err := dh(local.identity.dh, bundle.Signed.Public[:])
	if err != nil {
		return nil, err
	}
	dh2, err := dh(ek, bundle.Key.DH[:])
	if err != nil {
		return nil, err
	}
	dh3, err := dh(ek, bundle.Signed.Public[:])
	if err != nil {
		return nil, err
	}
	var dh4 []byte
	h := preKeyHeader{sender: local.Identity(), signedID: bundle.Signed.ID, kemID: bundle.KEM.ID}
	if bundle.HasOneTime {
		if dh4, err = dh(ek, bundle.OneTime.Public[:]); err != nil {
			return nil, err
		}
		h.oneTimeID = bundle.OneTime.ID
	}
	var sk key32
	copy(sk[:], pqxdhKDF(infoPQXDH, 32, dh1, dh2, dh3, dh4, ss))
	clear(ss)
	copy(h.ephemeral[:], ek.PublicKey().Bytes())
	copy(h.kemCT[:], ct)
	r, err := initAlice(sk, bundle.Signed.Public[:])
	if err != nil {
		return nil, err
	}
	return &Session{
		local: h.sender, peer: peer, initiator: true,
		base: h.ephemeral, pending: h.encode(), r: r,
	}, nil
}

// Accept opens an initial message from another device, as Bob in PQXDH
// §3.4, and returns the new session and the message's plaintext. The
// sender's device must be in senderList, their signed device list (whose
// account key the caller trusts). Only when the message authenticates does
// the device delete the one-time prekeys it used (§3.4); the caller then
// keeps both the device and the session.
func (d *Device) Accept(senderList *DeviceList, msg []byte) (*Session, []byte, error) {
	p, hdr, inner, err := parsePreKeyMessage(msg)
	if err != nil {
		return nil, nil, err
	}
	listed, err := senderList.Identity(p.sender.Device)
	if err != nil {
		return nil, nil, err
	}
	if listed != p.sender {
		return nil, nil, fmt.Errorf("%w: sender %v is not as listed", ErrUnknownDevice, p.sender.Address())
	}
	spk := d.signedPreKey(p.signedID)
	kem := d.kemPreKey(p.kemID)
	var opk = d.oneTime[p.oneTimeID]
	if spk == nil || kem == nil || (p.oneTimeID != 0 && opk == nil) {
		return nil, nil, fmt.Errorf("%w: signed %d, KEM %d, one-time %d", ErrUnknownPreKey, p.signedID, p.kemID, p.oneTimeID)
	}
	// ML-KEM decapsulation never fails on a well-sized ciphertext: an
	// altered one gives another secret (implicit rejection), and the
	// first message's authentication fails below.
	ss, err := kem.priv.Decapsulate(p.kemCT[:])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: ML-KEM: %v", ErrMalformed, err)
	}
	dh1, err := dh(spk.priv, p.sender.Key.DH[:])
	if err != nil {
		return nil, nil, err
	}
	dh2, err := dh(d.identity.dh, p.ephemeral[:])
	if err != nil {
		return nil, nil, err
	}
	dh3, err := dh(spk.priv, p.ephemeral[:])
	if err != nil {
		return nil, nil, err
	}
	var dh4 []byte
	if opk != nil {
		if dh4, err = dh(opk, p.ephemeral[:]); err != nil {
			return nil, nil, err
		}
	}
	var sk key32
	copy(sk[:], pqxdhKDF(infoPQXDH, 32, dh1, dh2, dh3, dh4, ss))
	clear(ss)
	s := &Session{local: d.Identity(), peer: p.sender, base: p.ephemeral, r: initBob(sk, spk.priv)}
	pt, err := s.open(hdr, inner)
	if err != nil {
		return nil, nil, err
	}
	delete(d.oneTime, p.oneTimeID)
	if !kem.pub.LastResort {
		delete(d.oneTimeKEM, p.kemID)
	}
	return s, pt, nil
}
