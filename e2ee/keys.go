package e2ee

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"fmt"
)

// Key sizes on the wire.
const (
	// PublicKeySize is the size of an X25519 or Ed25519 public key.
	PublicKeySize = 32
	// SignatureSize is the size of an Ed25519 signature.
	SignatureSize = ed25519.SignatureSize
	// DeviceKeySize is the size of a DeviceKey: its Ed25519 key then its
	// X25519 key.
	DeviceKeySize = 2 * PublicKeySize
	// identitySize is the size of an Identity's encoding.
	identitySize = 2 + 8 + PublicKeySize + 4 + DeviceKeySize
)

// Type bytes of PQXDH's EncodeEC and EncodeKEM (PQXDH §2.4, §2.5): the
// encodings that are signed and mixed into keys carry what kind of key they
// are, so that an X25519 key and an ML-KEM key can never be taken one for
// the other.
const (
	ecTypeX25519    byte = 0x05
	kemTypeMLKEM768 byte = 0x07
	signTypeEd25519 byte = 0x06
)

// Signature contexts (Ed25519ctx, RFC 8032 §5.1): each kind of statement
// signed by a key has its own, so that a signature on one can never be
// presented as a signature on another.
const (
	ctxDeviceList    = "Haven E2EE device list v1"
	ctxSignedPreKey  = "Haven E2EE signed prekey v1"
	ctxKEMPreKey     = "Haven E2EE KEM prekey v1"
	ctxOneTimePreKey = "Haven E2EE one-time prekey v1"
)

// AccountPublic is the public identity key of a person's account: the key
// that signs the list of their devices and that safety numbers are made of.
type AccountPublic [PublicKeySize]byte

// AccountKey is the private identity key of an account (Ed25519). It signs
// the account's device lists and nothing else. Every device of the account
// that may add or remove devices holds a copy (a new device receives it
// when it is linked, as Signal's linked devices do).
type AccountKey struct {
	priv ed25519.PrivateKey
}

// NewAccountKey returns a new random account key.
func NewAccountKey() (*AccountKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("e2ee: generating account key: %w", err)
	}
	return &AccountKey{priv: priv}, nil
}

// AccountKeyFromSeed restores an account key from the 32 bytes that Seed
// returned.
func AccountKeyFromSeed(seed []byte) (*AccountKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, malformed("account key seed: %d bytes", len(seed))
	}
	return &AccountKey{priv: ed25519.NewKeyFromSeed(seed)}, nil
}

// Seed returns the private key's 32-byte seed, for the client to keep.
func (k *AccountKey) Seed() []byte { return k.priv.Seed() }

// Public returns the account's public identity key.
func (k *AccountKey) Public() AccountPublic {
	var p AccountPublic
	copy(p[:], k.priv.Public().(ed25519.PublicKey))
	return p
}

// DeviceID numbers a device within its account. Zero is not a device.
type DeviceID uint32

// Address is where an envelope goes or comes from: a device of a user.
// User is the server's user id; the protocol gives it no meaning beyond
// binding it into keys and signatures.
type Address struct {
	User   int64
	Device DeviceID
}

func (a Address) String() string { return fmt.Sprintf("%d.%d", a.User, a.Device) }

// DeviceKey is the public identity of one device: an Ed25519 key that signs
// its prekeys and an X25519 key that is its identity key (IK) in PQXDH.
// Each device makes its own; the account vouches for it by listing it in a
// signed DeviceList.
type DeviceKey struct {
	Sign [PublicKeySize]byte
	DH   [PublicKeySize]byte
}

// Identity is everything that names one end of a session: the user, the
// account key, the device and the device key. Its encoding is PQXDH's
// EncodeEC(IK) extended with what Haven must also bind (§3.3's AD "may
// append additional information").
type Identity struct {
	User    int64
	Account AccountPublic
	Device  DeviceID
	Key     DeviceKey
}

// Address returns where this identity's device is reached.
func (id Identity) Address() Address { return Address{User: id.User, Device: id.Device} }

func (id Identity) encode(w *writer) {
	w.u8(tagIdentity)
	w.u8(version)
	w.u64(uint64(id.User))
	w.raw(id.Account[:])
	w.u32(uint32(id.Device))
	w.raw(id.Key.Sign[:])
	w.raw(id.Key.DH[:])
}

func (id Identity) bytes() []byte {
	w := &writer{b: make([]byte, 0, identitySize)}
	id.encode(w)
	return w.b
}

func readIdentity(r *reader) Identity {
	var id Identity
	if t, v := r.u8(), r.u8(); r.err == nil && (t != tagIdentity || v != version) {
		r.fail("identity tag %#x version %d", t, v)
	}
	id.User = int64(r.u64())
	r.array(id.Account[:])
	id.Device = DeviceID(r.u32())
	r.array(id.Key.Sign[:])
	r.array(id.Key.DH[:])
	if r.err == nil && id.Device == 0 {
		r.fail("device 0")
	}
	return id
}

// deviceIdentity is the private half of a DeviceKey.
type deviceIdentity struct {
	sign ed25519.PrivateKey
	dh   *ecdh.PrivateKey
}

func newDeviceIdentity() (deviceIdentity, error) {
	_, sign, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return deviceIdentity{}, fmt.Errorf("e2ee: generating device key: %w", err)
	}
	dh, err := newX25519()
	if err != nil {
		return deviceIdentity{}, err
	}
	return deviceIdentity{sign: sign, dh: dh}, nil
}

func (d deviceIdentity) public() DeviceKey {
	var k DeviceKey
	copy(k.Sign[:], d.sign.Public().(ed25519.PublicKey))
	copy(k.DH[:], d.dh.PublicKey().Bytes())
	return k
}

func newX25519() (*ecdh.PrivateKey, error) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("e2ee: generating X25519 key: %w", err)
	}
	return k, nil
}

// x25519Private restores a private key from its 32 bytes.
func x25519Private(b []byte) (*ecdh.PrivateKey, error) {
	k, err := ecdh.X25519().NewPrivateKey(b)
	if err != nil {
		return nil, malformed("X25519 private key: %v", err)
	}
	return k, nil
}

// dh is PQXDH's and the Double Ratchet's DH(PK1, PK2): X25519, failing on
// a low-order public key (an all-zero output), which crypto/ecdh refuses.
func dh(priv *ecdh.PrivateKey, pub []byte) ([]byte, error) {
	p, err := ecdh.X25519().NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: X25519 public key: %v", ErrMalformed, err)
	}
	out, err := priv.ECDH(p)
	if err != nil {
		return nil, fmt.Errorf("%w: X25519: %v", ErrDecrypt, err)
	}
	return out, nil
}

// encodeEC is PQXDH's EncodeEC: a type byte then the u-coordinate.
func encodeEC(pub []byte) []byte { return append([]byte{ecTypeX25519}, pub...) }

// encodeKEM is PQXDH's EncodeKEM: a type byte then the encapsulation key.
func encodeKEM(pub []byte) []byte { return append([]byte{kemTypeMLKEM768}, pub...) }

// sign signs msg under a context (Ed25519ctx).
func sign(priv ed25519.PrivateKey, context string, msg []byte) [SignatureSize]byte {
	sig, err := priv.Sign(nil, msg, &ed25519.Options{Context: context})
	if err != nil {
		// Only a context over 255 bytes fails, and ours are constants.
		panic("e2ee: signing: " + err.Error())
	}
	var s [SignatureSize]byte
	copy(s[:], sig)
	return s
}

// verify checks a signature made by sign.
func verify(pub [PublicKeySize]byte, context string, msg []byte, sig [SignatureSize]byte) error {
	if err := ed25519.VerifyWithOptions(pub[:], msg, sig[:], &ed25519.Options{Context: context}); err != nil {
		return fmt.Errorf("%w: %s", ErrBadSignature, context)
	}
	return nil
}

// prekeyStatement is what a prekey's signature covers: the device's id and
// identity DH key (binding the two halves of its DeviceKey), the prekey's
// id, then its PQXDH encoding (and for KEM prekeys whether it is
// the last-resort one), so that the server can neither swap keys between
// ids or devices nor pass off a last-resort key as a one-time one.
func prekeyStatement(device DeviceID, key DeviceKey, id uint32, extra []byte, encoded []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(device))
	b = append(b, encodeEC(key.DH[:])...)
	b = binary.BigEndian.AppendUint32(b, id)
	b = append(b, extra...)
	return append(b, encoded...)
}

func deviceIdentityFromSeed(seed []byte) (deviceIdentity, error) {
	if len(seed) != ed25519.SeedSize {
		return deviceIdentity{}, malformed("device key seed: %d bytes", len(seed))
	}
	return deviceIdentity{sign: ed25519.NewKeyFromSeed(seed)}, nil
}
