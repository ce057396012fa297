package e2ee

import (
	"bytes"
	"crypto/ecdh"
	"crypto/mlkem"
	"fmt"
	"maps"
	"slices"
)

// Prekey limits.
const (
	// MaxPreKeysPerUpload bounds the one-time prekeys of each kind in one
	// Upload (an ML-KEM-768 prekey is 1,254 bytes with its signature).
	MaxPreKeysPerUpload = 100
	// MaxOneTimePreKeys bounds the one-time prekeys of each kind a device
	// keeps the private halves of.
	MaxOneTimePreKeys = 1000
	// kemPublicSize and kemCiphertextSize are ML-KEM-768's.
	kemPublicSize     = mlkem.EncapsulationKeySize768
	kemCiphertextSize = mlkem.CiphertextSize768
)

// SignedPreKey is a device's signed X25519 prekey (PQXDH's SPK), replaced
// from time to time (Device.RotateSignedPreKey).
type SignedPreKey struct {
	ID        uint32
	Public    [PublicKeySize]byte
	Signature [SignatureSize]byte
}

// KEMPreKey is a device's signed ML-KEM-768 prekey: a one-time one
// (PQOPK) or the last-resort one (PQSPK) that serves when the server has
// no one-time one left.
type KEMPreKey struct {
	ID         uint32
	LastResort bool
	Public     [kemPublicSize]byte
	Signature  [SignatureSize]byte
}

// OneTimePreKey is a device's one-time X25519 prekey (PQXDH's OPK).
// PQXDH leaves it unsigned; here it is signed like the others, so that a
// bundle altered anywhere is refused by Alice before use rather than
// making a session that Bob cannot open (see docs/e2ee.md).
type OneTimePreKey struct {
	ID        uint32
	Public    [PublicKeySize]byte
	Signature [SignatureSize]byte
}

func (k *OneTimePreKey) statement(dev DeviceID, key DeviceKey) []byte {
	return prekeyStatement(dev, key, k.ID, nil, encodeEC(k.Public[:]))
}

func (k *SignedPreKey) statement(dev DeviceID, key DeviceKey) []byte {
	return prekeyStatement(dev, key, k.ID, nil, encodeEC(k.Public[:]))
}

func (k *KEMPreKey) statement(dev DeviceID, key DeviceKey) []byte {
	return prekeyStatement(dev, key, k.ID, []byte{boolByte(k.LastResort)}, encodeKEM(k.Public[:]))
}

func (k *SignedPreKey) encode(w *writer) {
	w.u32(k.ID)
	w.raw(k.Public[:])
	w.raw(k.Signature[:])
}

func readSignedPreKey(r *reader) SignedPreKey {
	var k SignedPreKey
	k.ID = r.u32()
	r.array(k.Public[:])
	r.array(k.Signature[:])
	return k
}

func (k *KEMPreKey) encode(w *writer) {
	w.u32(k.ID)
	w.bool(k.LastResort)
	w.raw(k.Public[:])
	w.raw(k.Signature[:])
}

func readKEMPreKey(r *reader) KEMPreKey {
	var k KEMPreKey
	k.ID = r.u32()
	k.LastResort = r.bool()
	r.array(k.Public[:])
	r.array(k.Signature[:])
	return k
}

func (k *OneTimePreKey) encode(w *writer) {
	w.u32(k.ID)
	w.raw(k.Public[:])
	w.raw(k.Signature[:])
}

func readOneTimePreKey(r *reader) OneTimePreKey {
	var k OneTimePreKey
	k.ID = r.u32()
	r.array(k.Public[:])
	r.array(k.Signature[:])
	return k
}

// Bundle is what Alice fetches from the server to start a session with one
// of Bob's devices (PQXDH §3.2): Bob's device key, its signed prekey, one
// ML-KEM prekey (a one-time one if the server had one, else the last-resort
// one) and, if the server had one, a one-time X25519 prekey. The server
// makes it from the device's Upload, handing each one-time key out once.
type Bundle struct {
	User       int64
	Device     DeviceID
	Key        DeviceKey
	Signed     SignedPreKey
	KEM        KEMPreKey
	OneTime    OneTimePreKey
	HasOneTime bool
}

// MarshalBinary encodes the bundle.
func (b *Bundle) MarshalBinary() ([]byte, error) {
	w := newWriter(tagBundle, 8+4+DeviceKeySize+100+1+kemPublicSize+68+1+100)
	w.u64(uint64(b.User))
	w.u32(uint32(b.Device))
	w.raw(b.Key.Sign[:])
	w.raw(b.Key.DH[:])
	b.Signed.encode(w)
	b.KEM.encode(w)
	w.bool(b.HasOneTime)
	if b.HasOneTime {
		b.OneTime.encode(w)
	}
	return w.b, nil
}

// ParseBundle parses a bundle. It checks the encoding only; Verify checks
// the bundle against its owner's device list and its signatures.
func ParseBundle(p []byte) (*Bundle, error) {
	r := newReader(p, tagBundle, "bundle")
	b := &Bundle{}
	b.User = int64(r.u64())
	b.Device = DeviceID(r.u32())
	r.array(b.Key.Sign[:])
	r.array(b.Key.DH[:])
	b.Signed = readSignedPreKey(r)
	b.KEM = readKEMPreKey(r)
	b.HasOneTime = r.bool()
	if b.HasOneTime {
		b.OneTime = readOneTimePreKey(r)
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	if b.Device == 0 {
		return nil, malformed("bundle: device 0")
	}
	return b, nil
}

// Verify checks that the bundle's device is in its owner's signed device
// list with the same key, and that the device signed both prekeys (PQXDH
// §3.3: "Alice verifies the signatures and aborts the protocol if
// verification fails").
func (b *Bundle) Verify(list *DeviceList) (Identity, error) {
	if list.User != b.User {
		return Identity{}, fmt.Errorf("%w: bundle of user %d, list of %d", ErrUnknownDevice, b.User, list.User)
	}
	id, err := list.Identity(b.Device)
	if err != nil {
		return Identity{}, err
	}
	if id.Key != b.Key {
		return Identity{}, fmt.Errorf("%w: bundle key of %d.%d differs from the list's", ErrUnknownDevice, b.User, b.Device)
	}
	if err := verify(b.Key.Sign, ctxSignedPreKey, b.Signed.statement(b.Device, b.Key), b.Signed.Signature); err != nil {
		return Identity{}, err
	}
	if err := verify(b.Key.Sign, ctxKEMPreKey, b.KEM.statement(b.Device, b.Key), b.KEM.Signature); err != nil {
		return Identity{}, err
	}
	if b.HasOneTime {
		if err := verify(b.Key.Sign, ctxOneTimePreKey, b.OneTime.statement(b.Device, b.Key), b.OneTime.Signature); err != nil {
			return Identity{}, err
		}
	}
	return id, nil
}

// Upload is what a device sends the server to publish or replenish its
// prekeys (PQXDH §3.2): its signed prekey, its last-resort ML-KEM prekey
// and batches of one-time prekeys of both kinds.
type Upload struct {
	Device     DeviceID
	Key        DeviceKey
	Signed     SignedPreKey
	LastResort KEMPreKey
	OneTime    []OneTimePreKey
	OneTimeKEM []KEMPreKey
}

// MarshalBinary encodes the upload.
func (u *Upload) MarshalBinary() ([]byte, error) {
	w := newWriter(tagUpload, 4+DeviceKeySize+100+1300+4+len(u.OneTime)*100+len(u.OneTimeKEM)*1300)
	w.u32(uint32(u.Device))
	w.raw(u.Key.Sign[:])
	w.raw(u.Key.DH[:])
	u.Signed.encode(w)
	u.LastResort.encode(w)
	w.u16(uint16(len(u.OneTime)))
	for i := range u.OneTime {
		u.OneTime[i].encode(w)
	}
	w.u16(uint16(len(u.OneTimeKEM)))
	for i := range u.OneTimeKEM {
		u.OneTimeKEM[i].encode(w)
	}
	return w.b, nil
}

// ParseUpload parses an upload and checks its signatures under the device
// key it carries (the server can check this much; whether the device key
// is the account's is for the device list and the clients).
func ParseUpload(p []byte) (*Upload, error) {
	r := newReader(p, tagUpload, "upload")
	u := &Upload{}
	u.Device = DeviceID(r.u32())
	r.array(u.Key.Sign[:])
	r.array(u.Key.DH[:])
	u.Signed = readSignedPreKey(r)
	u.LastResort = readKEMPreKey(r)
	n := int(r.u16())
	if n > MaxPreKeysPerUpload {
		r.fail("%d one-time prekeys", n)
	}
	for i := 0; i < n && r.err == nil; i++ {
		u.OneTime = append(u.OneTime, readOneTimePreKey(r))
	}
	n = int(r.u16())
	if n > MaxPreKeysPerUpload {
		r.fail("%d one-time KEM prekeys", n)
	}
	for i := 0; i < n && r.err == nil; i++ {
		u.OneTimeKEM = append(u.OneTimeKEM, readKEMPreKey(r))
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	if u.Device == 0 {
		return nil, malformed("upload: device 0")
	}
	if !u.LastResort.LastResort {
		return nil, malformed("upload: last-resort KEM prekey marked one-time")
	}
	if err := verify(u.Key.Sign, ctxSignedPreKey, u.Signed.statement(u.Device, u.Key), u.Signed.Signature); err != nil {
		return nil, err
	}
	if err := verify(u.Key.Sign, ctxKEMPreKey, u.LastResort.statement(u.Device, u.Key), u.LastResort.Signature); err != nil {
		return nil, err
	}
	for i := range u.OneTime {
		k := &u.OneTime[i]
		if err := verify(u.Key.Sign, ctxOneTimePreKey, k.statement(u.Device, u.Key), k.Signature); err != nil {
			return nil, err
		}
	}
	for i := range u.OneTimeKEM {
		k := &u.OneTimeKEM[i]
		if k.LastResort {
			return nil, malformed("upload: one-time KEM prekey %d marked last-resort", k.ID)
		}
		if err := verify(u.Key.Sign, ctxKEMPreKey, k.statement(u.Device, u.Key), k.Signature); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// Bundle makes the bundle the server hands out from this upload, with the
// one-time keys of the given indexes (-1: none of that kind left).
func (u *Upload) Bundle(user int64, oneTime, oneTimeKEM int) *Bundle {
	b := &Bundle{User: user, Device: u.Device, Key: u.Key, Signed: u.Signed, KEM: u.LastResort}
	if oneTimeKEM >= 0 {
		b.KEM = u.OneTimeKEM[oneTimeKEM]
	}
	if oneTime >= 0 {
		b.OneTime, b.HasOneTime = u.OneTime[oneTime], true
	}
	return b
}

// signedPreKeyPriv and kemPreKeyPriv are a device's private prekeys.
type signedPreKeyPriv struct {
	pub  SignedPreKey
	priv *ecdh.PrivateKey
}

type kemPreKeyPriv struct {
	pub  KEMPreKey
	priv *mlkem.DecapsulationKey768
}

// Device is one device's private key material: its identity and the
// private halves of the prekeys it published. A client keeps it (encrypted
// at rest, by the platform's means) with MarshalBinary, and calls
// UnmarshalDevice at start.
type Device struct {
	user     int64
	account  AccountPublic
	id       DeviceID
	identity deviceIdentity
	nextID   uint32
	// signed holds the current signed prekey last; the previous one is
	// kept so that initial messages made from a bundle fetched just before
	// a rotation still open.
	signed     []signedPreKeyPriv
	lastResort []kemPreKeyPriv // likewise
	oneTime    map[uint32]*ecdh.PrivateKey
	oneTimeKEM map[uint32]kemPreKeyPriv
}

// NewDevice makes the keys of a new device of an account: its identity, a
// signed prekey and a last-resort ML-KEM prekey. One-time prekeys come from
// NewPreKeys.
func NewDevice(user int64, account AccountPublic, id DeviceID) (*Device, error) {
	if id == 0 {
		return nil, malformed("device 0")
	}
	ident, err := newDeviceIdentity()
	if err != nil {
		return nil, err
	}
	d := &Device{
		user: user, account: account, id: id, identity: ident, nextID: 1,
		oneTime: map[uint32]*ecdh.PrivateKey{}, oneTimeKEM: map[uint32]kemPreKeyPriv{},
	}
	if err := d.RotateSignedPreKey(); err != nil {
		return nil, err
	}
	if err := d.RotateLastResortKEMPreKey(); err != nil {
		return nil, err
	}
	return d, nil
}

// ID returns the device's id.
func (d *Device) ID() DeviceID { return d.id }

// Key returns the device's public key, for its account's device list.
func (d *Device) Key() DeviceKey { return d.identity.public() }

// Identity returns the device's full public identity.
func (d *Device) Identity() Identity {
	return Identity{User: d.user, Account: d.account, Device: d.id, Key: d.Key()}
}

func (d *Device) newID() uint32 {
	id := d.nextID
	d.nextID++
	if d.nextID == 0 { // 2^32 prekeys later: wrap, skipping 0
		d.nextID = 1
	}
	return id
}

// RotateSignedPreKey makes a new signed prekey; the one before stays until
// the next rotation, for initial messages already on their way.
func (d *Device) RotateSignedPreKey() error {
	priv, err := newX25519()
	if err != nil {
		return err
	}
	k := SignedPreKey{ID: d.newID()}
	copy(k.Public[:], priv.PublicKey().Bytes())
	k.Signature = sign(d.identity.sign, ctxSignedPreKey, k.statement(d.id, d.Key()))
	d.signed = append(d.signed, signedPreKeyPriv{pub: k, priv: priv})
	if len(d.signed) > 2 {
		d.signed = d.signed[len(d.signed)-2:]
	}
	return nil
}

// RotateLastResortKEMPreKey makes a new last-resort ML-KEM prekey; the one
// before stays until the next rotation.
func (d *Device) RotateLastResortKEMPreKey() error {
	k, err := d.newKEMPreKey(true)
	if err != nil {
		return err
	}
	d.lastResort = append(d.lastResort, k)
	if len(d.lastResort) > 2 {
		d.lastResort = d.lastResort[len(d.lastResort)-2:]
	}
	return nil
}

func (d *Device) newKEMPreKey(lastResort bool) (kemPreKeyPriv, error) {
	dk, err := mlkem.GenerateKey768()
	if err != nil {
		return kemPreKeyPriv{}, fmt.Errorf("e2ee: generating ML-KEM key: %w", err)
	}
	k := KEMPreKey{ID: d.newID(), LastResort: lastResort}
	copy(k.Public[:], dk.EncapsulationKey().Bytes())
	k.Signature = sign(d.identity.sign, ctxKEMPreKey, k.statement(d.id, d.Key()))
	return kemPreKeyPriv{pub: k, priv: dk}, nil
}

// NewPreKeys makes n one-time prekeys of each kind (X25519 and ML-KEM),
// keeps their private halves and returns the Upload that publishes them
// with the current signed and last-resort prekeys. A device calls it at
// first and whenever the server says its supply runs low. n is at most
// MaxPreKeysPerUpload, and the device keeps at most MaxOneTimePreKeys of
// each kind: past that the oldest are forgotten (the server is told of
// the new ones only, and the oldest are those it most likely handed out
// already to initial messages that never came).
func (d *Device) NewPreKeys(n int) (*Upload, error) {
	if n < 0 || n > MaxPreKeysPerUpload {
		return nil, fmt.Errorf("e2ee: %d prekeys asked, at most %d", n, MaxPreKeysPerUpload)
	}
	u := &Upload{Device: d.id, Key: d.Key(), Signed: d.signed[len(d.signed)-1].pub, LastResort: d.lastResort[len(d.lastResort)-1].pub}
	for range n {
		priv, err := newX25519()
		if err != nil {
			return nil, err
		}
		k := OneTimePreKey{ID: d.newID()}
		copy(k.Public[:], priv.PublicKey().Bytes())
		k.Signature = sign(d.identity.sign, ctxOneTimePreKey, k.statement(d.id, d.Key()))
		d.oneTime[k.ID] = priv
		u.OneTime = append(u.OneTime, k)
		kk, err := d.newKEMPreKey(false)
		if err != nil {
			return nil, err
		}
		d.oneTimeKEM[kk.pub.ID] = kk
		u.OneTimeKEM = append(u.OneTimeKEM, kk.pub)
	}
	trimOldest(d.oneTime)
	trimOldest(d.oneTimeKEM)
	return u, nil
}

// trimOldest forgets the lowest ids past MaxOneTimePreKeys. Ids only grow
// (until they wrap after 2^32, which no device reaches), so lowest is oldest.
func trimOldest[V any](m map[uint32]V) {
	if len(m) <= MaxOneTimePreKeys {
		return
	}
	ids := slices.Sorted(maps.Keys(m))
	for _, id := range ids[:len(ids)-MaxOneTimePreKeys] {
		delete(m, id)
	}
}

func (d *Device) signedPreKey(id uint32) *signedPreKeyPriv {
	for i := range d.signed {
		if d.signed[i].pub.ID == id {
			return &d.signed[i]
		}
	}
	return nil
}

// kemPreKey finds a KEM prekey by id, one-time or last-resort.
func (d *Device) kemPreKey(id uint32) *kemPreKeyPriv {
	if k, ok := d.oneTimeKEM[id]; ok {
		return &k
	}
	for i := range d.lastResort {
		if d.lastResort[i].pub.ID == id {
			return &d.lastResort[i]
		}
	}
	return nil
}

// MarshalBinary encodes the device's private state, for the client to keep.
func (d *Device) MarshalBinary() ([]byte, error) {
	w := newWriter(tagDevice, 256+len(d.oneTime)*36+len(d.oneTimeKEM)*(4+64+kemPublicSize+64))
	w.u64(uint64(d.user))
	w.raw(d.account[:])
	w.u32(uint32(d.id))
	w.raw(d.identity.sign.Seed())
	w.raw(d.identity.dh.Bytes())
	w.u32(d.nextID)
	w.u8(byte(len(d.signed)))
	for _, k := range d.signed {
		k.pub.encode(w)
		w.raw(k.priv.Bytes())
	}
	w.u8(byte(len(d.lastResort)))
	for _, k := range d.lastResort {
		w.u32(k.pub.ID)
		w.raw(k.priv.Bytes())
		w.raw(k.pub.Signature[:])
	}
	ids := slices.Sorted(maps.Keys(d.oneTime))
	w.u16(uint16(len(ids)))
	for _, id := range ids {
		w.u32(id)
		w.raw(d.oneTime[id].Bytes())
	}
	ids = slices.Sorted(maps.Keys(d.oneTimeKEM))
	w.u16(uint16(len(ids)))
	for _, id := range ids {
		k := d.oneTimeKEM[id]
		w.u32(id)
		w.raw(k.priv.Bytes())
		w.raw(k.pub.Signature[:])
	}
	return w.b, nil
}

// UnmarshalDevice restores a device from MarshalBinary's bytes.
func UnmarshalDevice(p []byte) (*Device, error) {
	r := newReader(p, tagDevice, "device")
	d := &Device{oneTime: map[uint32]*ecdh.PrivateKey{}, oneTimeKEM: map[uint32]kemPreKeyPriv{}}
	d.user = int64(r.u64())
	r.array(d.account[:])
	d.id = DeviceID(r.u32())
	var seed [32]byte
	r.array(seed[:])
	dhPriv := r.take(32)
	d.nextID = r.u32()
	if r.err != nil {
		return nil, r.err
	}
	var err error
	if d.identity, err = restoreIdentity(seed[:], dhPriv); err != nil {
		return nil, err
	}
	n := int(r.u8())
	if r.err == nil && (n < 1 || n > 2) {
		r.fail("%d signed prekeys", n)
	}
	for i := 0; i < n && r.err == nil; i++ {
		k := signedPreKeyPriv{pub: readSignedPreKey(r)}
		if b := r.take(32); b != nil {
			if k.priv, err = x25519Private(b); err != nil {
				return nil, err
			}
			if !bytes.Equal(k.pub.Public[:], k.priv.PublicKey().Bytes()) {
				return nil, malformed("device: signed prekey %d does not match its private key", k.pub.ID)
			}
		}
		d.signed = append(d.signed, k)
	}
	n = int(r.u8())
	if r.err == nil && (n < 1 || n > 2) {
		r.fail("%d last-resort prekeys", n)
	}
	for i := 0; i < n && r.err == nil; i++ {
		k, err := readKEMPriv(r, true)
		if err != nil {
			return nil, err
		}
		d.lastResort = append(d.lastResort, k)
	}
	n = int(r.u16())
	if n > MaxOneTimePreKeys {
		r.fail("%d one-time prekeys", n)
	}
	prev := uint32(0)
	for i := 0; i < n && r.err == nil; i++ {
		id := r.u32()
		if id <= prev && r.err == nil {
			r.fail("one-time prekey %d repeated or out of order", id)
		}
		prev = id
		if b := r.take(32); b != nil {
			k, err := x25519Private(b)
			if err != nil {
				return nil, err
			}
			d.oneTime[id] = k
		}
	}
	n = int(r.u16())
	if n > MaxOneTimePreKeys {
		r.fail("%d one-time KEM prekeys", n)
	}
	prev = 0
	for i := 0; i < n && r.err == nil; i++ {
		k, err := readKEMPriv(r, false)
		if err != nil {
			return nil, err
		}
		if k.pub.ID <= prev {
			return nil, malformed("device: one-time KEM prekey %d repeated or out of order", k.pub.ID)
		}
		prev = k.pub.ID
		d.oneTimeKEM[k.pub.ID] = k
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	if d.id == 0 {
		return nil, malformed("device: id 0")
	}
	return d, nil
}

func restoreIdentity(seed, dhPriv []byte) (deviceIdentity, error) {
	dhk, err := x25519Private(dhPriv)
	if err != nil {
		return deviceIdentity{}, err
	}
	id, err := deviceIdentityFromSeed(seed)
	if err != nil {
		return deviceIdentity{}, err
	}
	id.dh = dhk
	return id, nil
}

func readKEMPriv(r *reader, lastResort bool) (kemPreKeyPriv, error) {
	k := kemPreKeyPriv{pub: KEMPreKey{ID: r.u32(), LastResort: lastResort}}
	seed := r.take(mlkem.SeedSize)
	r.array(k.pub.Signature[:])
	if r.err != nil {
		return k, r.err
	}
	dk, err := mlkem.NewDecapsulationKey768(seed)
	if err != nil {
		return k, malformed("ML-KEM seed: %v", err)
	}
	k.priv = dk
	copy(k.pub.Public[:], dk.EncapsulationKey().Bytes())
	return k, nil
}
