package e2ee

import (
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"math"
	"slices"

	"golang.org/x/crypto/chacha20poly1305"
)

// MaxSkip is the Double Ratchet's MAX_SKIP (§3.5): the most message keys one
// message may make a chain skip, and the most skipped keys a session keeps
// for messages that arrive out of order. A message that would skip more is
// refused (ErrTooManySkipped); past the bound the oldest kept keys are
// forgotten (§8.4), their messages then unreadable.
const MaxSkip = 1000

// HKDF info strings (the specifications' application-specific "info").
const (
	infoRatchet  = "Haven_E2EE_v1_Ratchet"
	infoMessage  = "Haven_E2EE_v1_MessageKeys"
	messageHdrSz = 2 + PublicKeySize + 4 + 4
	aeadOverhead = chacha20poly1305.Overhead
)

type key32 = [32]byte

// kdfRK is KDF_RK (§7.2 / §5.2 in revision 1): HKDF-SHA-256 with the root
// key as salt and the DH output as input key material, 64 bytes out: the
// new root key and a chain key.
func kdfRK(rk key32, dhOut []byte) (newRK, ck key32) {
	out, err := hkdf.Key(sha256.New, dhOut, rk[:], infoRatchet, 64)
	if err != nil {
		panic("e2ee: HKDF: " + err.Error()) // only for lengths over 255*32
	}
	copy(newRK[:], out[:32])
	copy(ck[:], out[32:])
	return newRK, ck
}

// kdfCK is KDF_CK (§7.2): HMAC-SHA-256 keyed by the chain key, of the byte
// 0x01 for the message key and of 0x02 for the next chain key.
func kdfCK(ck key32) (next, mk key32) {
	m := hmac.New(sha256.New, ck[:])
	m.Write([]byte{0x01})
	m.Sum(mk[:0])
	m.Reset()
	m.Write([]byte{0x02})
	m.Sum(next[:0])
	return next, mk
}

// messageAEAD is ENCRYPT's key schedule (§7.2 allows any AEAD; see
// docs/e2ee.md): HKDF-SHA-256 of the message key with a zero salt gives a
// ChaCha20-Poly1305 key and nonce. Each message key is used once, so a
// nonce derived from it never repeats under its key.
func messageAEAD(mk key32) (aead cipher.AEAD, nonce []byte) {
	out := messageKeyMaterial(mk)
	a, err := chacha20poly1305.New(out[:chacha20poly1305.KeySize])
	if err != nil {
		panic("e2ee: ChaCha20-Poly1305: " + err.Error())
	}
	return a, out[chacha20poly1305.KeySize:]
}

// messageKeyMaterial is the AEAD key then nonce derived from a message key.
func messageKeyMaterial(mk key32) []byte {
	out, err := hkdf.Key(sha256.New, mk[:], make([]byte, sha256.Size), infoMessage, chacha20poly1305.KeySize+chacha20poly1305.NonceSize)
	if err != nil {
		panic("e2ee: HKDF: " + err.Error())
	}
	return out
}

func seal(mk key32, plaintext, ad []byte, dst []byte) []byte {
	a, nonce := messageAEAD(mk)
	return a.Seal(dst, nonce, plaintext, ad)
}

func open(mk key32, ciphertext, ad []byte) ([]byte, error) {
	a, nonce := messageAEAD(mk)
	pt, err := a.Open(nil, nonce, ciphertext, ad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// header is a ratchet message's HEADER (§3.4): the sender's current ratchet
// public key, the length of its previous sending chain and the message's
// number in the current one.
type header struct {
	dh     key32
	pn, n  uint32
	raw    []byte // the encoded header, authenticated as part of AD
	cipher []byte
}

// parseMessage splits a ratchet message into header and ciphertext. The
// ciphertext is bounded by the caller's maximum.
func parseMessage(b []byte, maxCiphertext int) (header, error) {
	r := newReader(b, tagMessage, "message")
	var h header
	r.array(h.dh[:])
	h.pn = r.u32()
	h.n = r.u32()
	h.cipher = r.rest()
	if r.err != nil {
		return header{}, r.err
	}
	if len(h.cipher) < aeadOverhead || len(h.cipher) > maxCiphertext {
		return header{}, malformed("message: ciphertext of %d bytes", len(h.cipher))
	}
	h.raw = b[:messageHdrSz]
	return h, nil
}

type skippedID struct {
	dh key32
	n  uint32
}

type skippedKey struct {
	id skippedID
	mk key32
}

// ratchet is the Double Ratchet's state (§3.2).
type ratchet struct {
	dhs      *ecdh.PrivateKey // DHs
	dhr      key32            // DHr
	hasDHr   bool
	rk       key32 // RK
	cks, ckr key32 // CKs, CKr
	hasCKs   bool
	hasCKr   bool
	ns, nr   uint32 // Ns, Nr
	pn       uint32 // PN
	// skipped is MKSKIPPED, in the order the keys were stored, so that
	// the oldest go first when the bound is reached.
	skipped []skippedKey
}

// initAlice is RatchetInitAlice (§3.3): SK from PQXDH, Bob's signed prekey
// as his first ratchet public key.
func initAlice(sk key32, bobDH []byte) (*ratchet, error) {
	dhs, err := newX25519()
	if err != nil {
		return nil, err
	}
	out, err := dh(dhs, bobDH)
	if err != nil {
		return nil, err
	}
	r := &ratchet{dhs: dhs, hasDHr: true, hasCKs: true}
	copy(r.dhr[:], bobDH)
	r.rk, r.cks = kdfRK(sk, out)
	return r, nil
}

// initBob is RatchetInitBob (§3.3): Bob's signed prekey pair is his first
// ratchet key pair.
func initBob(sk key32, spk *ecdh.PrivateKey) *ratchet {
	return &ratchet{dhs: spk, rk: sk}
}

// encrypt is RatchetEncrypt (§3.4): it returns the ratchet message.
func (r *ratchet) encrypt(plaintext, ad []byte) ([]byte, error) {
	if !r.hasCKs {
		return nil, fmt.Errorf("%w: no sending chain yet", ErrNoSession)
	}
	if r.ns == math.MaxUint32 {
		return nil, fmt.Errorf("e2ee: sending chain exhausted")
	}
	var mk key32
	r.cks, mk = kdfCK(r.cks)
	w := newWriter(tagMessage, messageHdrSz+len(plaintext)+aeadOverhead)
	w.raw(r.dhs.PublicKey().Bytes())
	w.u32(r.pn)
	w.u32(r.ns)
	r.ns++
	hdr := w.b
	return seal(mk, plaintext, concat(ad, hdr), hdr), nil
}

// concat is CONCAT(ad, header) (§3.4): ad has a fixed length per session,
// so the split is unambiguous.
func concat(ad, hdr []byte) []byte {
	return append(slices.Clip(ad), hdr...)
}

// decrypt is RatchetDecrypt (§3.5). Like the specification's, it changes
// nothing unless the message authenticates: every step works on a copy
// that is committed only after the AEAD check.
func (r *ratchet) decrypt(h header, ad []byte) ([]byte, error) {
	// TrySkippedMessageKeys
	id := skippedID{dh: h.dh, n: h.n}
	if i := slices.IndexFunc(r.skipped, func(k skippedKey) bool { return k.id == id }); i >= 0 {
		pt, err := open(r.skipped[i].mk, h.cipher, concat(ad, h.raw))
		if err != nil {
			return nil, err
		}
		// A used key is deleted (§8.4): a replay of this message fails.
		r.skipped = slices.Delete(r.skipped, i, i+1)
		return pt, nil
	}
	st := *r
	st.skipped = nil // the keys this message makes us skip
	if !st.hasDHr || h.dh != st.dhr {
		if err := st.skip(h.pn); err != nil {
			return nil, err
		}
		if err := st.dhRatchet(h); err != nil {
			return nil, err
		}
	} else if h.n < st.nr {
		return nil, ErrReplay
	}
	if err := st.skip(h.n); err != nil {
		return nil, err
	}
	if len(st.skipped) > MaxSkip {
		return nil, fmt.Errorf("%w: %d keys", ErrTooManySkipped, len(st.skipped))
	}
	var mk key32
	st.ckr, mk = kdfCK(st.ckr)
	st.nr++
	pt, err := open(mk, h.cipher, concat(ad, h.raw))
	if err != nil {
		return nil, err
	}
	newSkipped := st.skipped
	st.skipped = append(slices.Clip(r.skipped), newSkipped...)
	if over := len(st.skipped) - MaxSkip; over > 0 {
		st.skipped = slices.Delete(st.skipped, 0, over)
	}
	*r = st
	return pt, nil
}

// skip is SkipMessageKeys (§3.5).
func (r *ratchet) skip(until uint32) error {
	if uint64(r.nr)+MaxSkip < uint64(until) {
		return fmt.Errorf("%w: message %d, chain at %d", ErrTooManySkipped, until, r.nr)
	}
	if !r.hasCKr {
		return nil
	}
	for r.nr < until {
		var mk key32
		r.ckr, mk = kdfCK(r.ckr)
		r.skipped = append(r.skipped, skippedKey{id: skippedID{dh: r.dhr, n: r.nr}, mk: mk})
		r.nr++
	}
	return nil
}

// dhRatchet is DHRatchet (§3.5).
func (r *ratchet) dhRatchet(h header) error {
	r.pn = r.ns
	r.ns, r.nr = 0, 0
	r.dhr, r.hasDHr = h.dh, true
	out, err := dh(r.dhs, r.dhr[:])
	if err != nil {
		return err
	}
	r.rk, r.ckr = kdfRK(r.rk, out)
	r.hasCKr = true
	if r.dhs, err = newX25519(); err != nil {
		return err
	}
	if out, err = dh(r.dhs, r.dhr[:]); err != nil {
		return err
	}
	r.rk, r.cks = kdfRK(r.rk, out)
	r.hasCKs = true
	return nil
}

func (r *ratchet) encode(w *writer) {
	w.raw(r.dhs.Bytes())
	w.bool(r.hasDHr)
	w.raw(r.dhr[:])
	w.raw(r.rk[:])
	w.bool(r.hasCKs)
	w.raw(r.cks[:])
	w.bool(r.hasCKr)
	w.raw(r.ckr[:])
	w.u32(r.ns)
	w.u32(r.nr)
	w.u32(r.pn)
	w.u16(uint16(len(r.skipped)))
	for _, k := range r.skipped {
		w.raw(k.id.dh[:])
		w.u32(k.id.n)
		w.raw(k.mk[:])
	}
}

func readRatchet(rd *reader) *ratchet {
	r := &ratchet{}
	dhs := rd.take(32)
	r.hasDHr = rd.bool()
	rd.array(r.dhr[:])
	rd.array(r.rk[:])
	r.hasCKs = rd.bool()
	rd.array(r.cks[:])
	r.hasCKr = rd.bool()
	rd.array(r.ckr[:])
	r.ns = rd.u32()
	r.nr = rd.u32()
	r.pn = rd.u32()
	n := int(rd.u16())
	if n > MaxSkip {
		rd.fail("%d skipped keys", n)
	}
	seen := make(map[skippedID]bool, n)
	for i := 0; i < n && rd.err == nil; i++ {
		var k skippedKey
		rd.array(k.id.dh[:])
		k.id.n = rd.u32()
		rd.array(k.mk[:])
		if seen[k.id] {
			rd.fail("skipped key repeated")
		}
		seen[k.id] = true
		r.skipped = append(r.skipped, k)
	}
	if rd.err != nil {
		return nil
	}
	var err error
	if r.dhs, err = x25519Private(dhs); err != nil {
		rd.err = err
		return nil
	}
	// Absent keys are encoded as zeros, so that each state has one encoding.
	var zero key32
	if (!r.hasDHr && r.dhr != zero) || (!r.hasCKs && r.cks != zero) || (!r.hasCKr && r.ckr != zero) {
		rd.fail("absent key not zero")
		return nil
	}
	return r
}
