package e2ee

import (
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"strings"
)

// fingerprintIterations is how many times each half of a safety number is
// hashed, as Signal's (5,200): it makes finding a key whose safety number
// resembles another's costly.
const fingerprintIterations = 5200

// fingerprintVersion is the version of the hash construction and of the
// scannable payload.
const fingerprintVersion = 0

// SafetyNumber is what two people compare to know that no one stands
// between them: a fingerprint of both account keys, each bound to its
// user id. It changes when either account key changes, not when a device
// is added (devices are vouched for by the account key's signed list).
type SafetyNumber struct {
	local, remote [32]byte
	localDigits   string
	remoteDigits  string
}

// NewSafetyNumber computes the safety number of local (this person) and
// remote (the other). Both sides get the same digits.
func NewSafetyNumber(localUser int64, local AccountPublic, remoteUser int64, remote AccountPublic) SafetyNumber {
	l := fingerprintHalf(accountKeyBytes(local), userBytes(localUser), fingerprintIterations)
	r := fingerprintHalf(accountKeyBytes(remote), userBytes(remoteUser), fingerprintIterations)
	var sn SafetyNumber
	copy(sn.local[:], l)
	copy(sn.remote[:], r)
	sn.localDigits, sn.remoteDigits = digits30(l), digits30(r)
	return sn
}

// accountKeyBytes is the key's encoding in the fingerprint: a type byte
// (Ed25519) then the key.
func accountKeyBytes(k AccountPublic) []byte { return append([]byte{signTypeEd25519}, k[:]...) }

func userBytes(u int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(u)) }

// fingerprintHalf is Signal's numeric fingerprint of one party (libsignal
// fingerprint.rs): SHA-512 of a two-byte version, the key, the stable id
// and the key again, then iterations-1 times SHA-512 of the previous
// digest and the key.
func fingerprintHalf(key, stableID []byte, iterations int) []byte {
	h := sha512.New()
	h.Write([]byte{0, fingerprintVersion})
	h.Write(key)
	h.Write(stableID)
	h.Write(key)
	buf := h.Sum(nil)
	for i := 1; i < iterations; i++ {
		h.Reset()
		h.Write(buf)
		h.Write(key)
		buf = h.Sum(buf[:0])
	}
	return buf
}

// digits30 turns the first 30 bytes into 30 digits: six 5-byte big-endian
// numbers, each modulo 100,000.
func digits30(f []byte) string {
	var b strings.Builder
	for i := range 6 {
		var x uint64
		for _, c := range f[i*5 : i*5+5] {
			x = x<<8 | uint64(c)
		}
		fmt.Fprintf(&b, "%05d", x%100000)
	}
	return b.String()
}

// Digits returns the 60 digits to show, the same on both sides: the two
// halves in sorted order.
func (sn SafetyNumber) Digits() string {
	if sn.localDigits < sn.remoteDigits {
		return sn.localDigits + sn.remoteDigits
	}
	return sn.remoteDigits + sn.localDigits
}

// Grouped returns Digits in twelve groups of five, as people read them.
func (sn SafetyNumber) Grouped() string {
	d := sn.Digits()
	parts := make([]string, 0, 12)
	for i := 0; i < len(d); i += 5 {
		parts = append(parts, d[i:i+5])
	}
	return strings.Join(parts, " ")
}

// QR returns the payload of the QR code this side shows: tag, version, its
// own half then the other's (32 bytes each). A client renders it.
func (sn SafetyNumber) QR() []byte {
	w := newWriter(tagFingerprint, 64)
	w.raw(sn.local[:])
	w.raw(sn.remote[:])
	return w.b
}

// MatchQR checks a payload scanned from the other person's screen: it
// matches when their own half is our remote half and their remote half is
// our own, compared in constant time. A malformed payload is an error; a
// well-formed one of other keys is false (someone stands between, or a key
// changed and one side has not caught up).
func (sn SafetyNumber) MatchQR(scanned []byte) (bool, error) {
	r := newReader(scanned, tagFingerprint, "safety number")
	theirs, ours := r.take(32), r.take(32)
	if err := r.done(); err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(theirs, sn.remote[:])&subtle.ConstantTimeCompare(ours, sn.local[:]) == 1, nil
}
