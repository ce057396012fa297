package haven

import "time"

// Secret chats (end-to-end encrypted; the protocol is package e2ee). The
// server keeps only what delivery needs: each device's public prekeys,
// each account's signed device list, and opaque envelopes queued per
// device until that device acknowledges them.

// SecretDevice is the public key material of one secret-chat device: a
// session that uploaded keys. Keys are the fixed-size fields of
// e2ee.Upload, kept as they came.
type SecretDevice struct {
	SessionID int64 // the session the device belongs to; ending it deletes the device
	UserID    int64
	DeviceID  uint32 // e2ee.DeviceID, chosen by the device, unique per account
	SignKey   []byte // Ed25519 half of the device key, 32 bytes
	DHKey     []byte // X25519 half of the device key (PQXDH's IK), 32 bytes
	// Signed is the signed X25519 prekey; LastResort the last-resort
	// ML-KEM prekey.
	Signed     SecretPreKey
	LastResort SecretPreKey
	UpdatedAt  time.Time
}

// SecretPreKey is one signed public prekey.
type SecretPreKey struct {
	Kind      SecretPreKeyKind
	ID        uint32
	Public    []byte
	Signature []byte
}

// SecretPreKeyKind tells an X25519 prekey from an ML-KEM-768 one.
type SecretPreKeyKind int

// The kinds of one-time prekeys.
const (
	PreKeyX25519 SecretPreKeyKind = 0
	PreKeyKEM    SecretPreKeyKind = 1
)

// SecretEnvelope is one queued envelope for one device: an encoded
// e2ee.Envelope whose sender the server set. The server cannot read it.
type SecretEnvelope struct {
	ID        int64
	SessionID int64 // the recipient device's session
	UserID    int64 // the recipient device's user
	RandomID  int64 // the sender's, so that a retried send queues it once
	Envelope  []byte
	CreatedAt time.Time // to the hour: enough to expire it
}
