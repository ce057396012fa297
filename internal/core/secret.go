package core

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/e2ee"
)

// Secret chats: the server's side (docs/e2ee.md has the protocol). The
// server stores each device's public prekeys and hands each one-time
// prekey out once, keeps each account's newest signed device list, and
// relays envelopes it cannot read to a queue per device. A device is a
// session that uploaded keys: ending the session deletes its keys and
// its queue. The server never logs an envelope or a key.

// Secret-chat limits. They bound what one client can make the server
// store; the protocol's own bounds are e2ee's.
const (
	// SecretEnvelopesPerSend is the most envelopes one secret.send
	// carries: one per device of two full accounts.
	SecretEnvelopesPerSend = 2 * e2ee.MaxDevices
	// SecretPreKeysLow is the count of one-time prekeys (of either kind)
	// below which a device is told to upload more.
	SecretPreKeysLow = 20
	// SecretFetchMax is the most envelopes secret.fetch returns at once.
	SecretFetchMax = 100
)

// The pushes of secret chats; both go to one session only.
const (
	// PushSecretEnvelope: an envelope was queued for the device; fetch.
	// Data is SecretQueuedView.
	PushSecretEnvelope = "secret.envelope"
	// PushSecretPreKeysLow: the device's one-time prekeys are running
	// out; upload more. Data is PreKeyCounts.
	PushSecretPreKeysLow = "secret.preKeysLow"
)

// secretQueueMax is the most envelopes waiting for one device
// (Limits.SecretQueueMax, 10,000 by default): past it sends to the
// device answer SECRET_QUEUE_FULL until it fetches and acknowledges.
func (s *Service) secretQueueMax() int {
	if s.limits.SecretQueueMax > 0 {
		return s.limits.SecretQueueMax
	}
	return haven.DefaultLimits().SecretQueueMax
}

// secretTTL is how long an envelope or a shared file waits at most
// (Limits.SecretTTL, 30 days by default).
func (s *Service) secretTTL() time.Duration {
	if s.limits.SecretTTL > 0 {
		return s.limits.SecretTTL
	}
	return haven.DefaultLimits().SecretTTL
}

// PreKeyCounts is how many one-time prekeys of each kind the server
// still holds for a device, and whether it wants more.
type PreKeyCounts struct {
	OneTime    int
	OneTimeKEM int
	Low        bool
}

// SecretQueuedView is the data of a secret.envelope push.
type SecretQueuedView struct {
	ID int64
}

// SecretDevicesView is a person's signed device list and which of its
// devices can receive now (have keys on the server).
type SecretDevicesView struct {
	List   []byte
	Active []uint32
}

// SecretBundlesView is a person's device list and a bundle for each
// device asked for that can receive.
type SecretBundlesView struct {
	SecretDevicesView
	Bundles [][]byte
}

// OutgoingEnvelope is one envelope of a send: for one device.
type OutgoingEnvelope struct {
	UserID   int64
	DeviceID uint32
	RandomID int64
	Body     []byte // an e2ee initial or ratchet message
}

// QueuedEnvelope is one envelope as its device fetches it.
type QueuedEnvelope struct {
	ID       int64
	Envelope []byte
	Date     int64
}

// SecretInbox is what secret.fetch returns.
type SecretInbox struct {
	Envelopes []QueuedEnvelope
	PreKeys   PreKeyCounts
}

func counts(x, kem int) PreKeyCounts {
	return PreKeyCounts{OneTime: x, OneTimeKEM: kem, Low: x < SecretPreKeysLow || kem < SecretPreKeysLow}
}

// SetSecretDeviceList stores the actor's signed device list. Errors:
// CodeSecretDeviceListInvalid (does not parse, bad signature, another
// person's), CodeSecretDeviceListOld (version not above the stored one).
func (s *Service) SetSecretDeviceList(ctx context.Context, a *Actor, list []byte) error {
	l, err := e2ee.ParseDeviceList(list)
	if err != nil {
		return haven.Errorf(haven.CodeSecretDeviceListInvalid, "the device list does not parse or its signature fails")
	}
	if l.User != a.UserID {
		return haven.Errorf(haven.CodeSecretDeviceListInvalid, "the device list is another person's")
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		v, _, err := tx.SecretDeviceList(ctx, a.UserID)
		switch {
		case err == nil && l.Version <= v:
			return haven.Errorf(haven.CodeSecretDeviceListOld, "the stored device list has version %d; a new one must be above it", v)
		case err != nil && !errors.Is(err, haven.ErrNotFound):
			return err
		}
		return tx.PutSecretDeviceList(ctx, a.UserID, l.Version, list)
	})
	return s.internal(ctx, "secret.setDeviceList", err)
}

// UploadSecretKeys stores the actor's session's device keys and adds its
// one-time prekeys (an e2ee.Upload), and returns how many the server now
// holds. Errors: CodeSecretKeysInvalid, CodeSecretDeviceTaken.
func (s *Service) UploadSecretKeys(ctx context.Context, a *Actor, upload []byte) (PreKeyCounts, error) {
	u, err := e2ee.ParseUpload(upload)
	if err != nil {
		return PreKeyCounts{}, haven.Errorf(haven.CodeSecretKeysInvalid, "the keys do not parse or a signature fails")
	}
	d := &haven.SecretDevice{SessionID: a.SessionID, UserID: a.UserID, DeviceID: uint32(u.Device),
		SignKey: u.Key.Sign[:], DHKey: u.Key.DH[:],
		Signed:     haven.SecretPreKey{Kind: haven.PreKeyX25519, ID: u.Signed.ID, Public: u.Signed.Public[:], Signature: u.Signed.Signature[:]},
		LastResort: haven.SecretPreKey{Kind: haven.PreKeyKEM, ID: u.LastResort.ID, Public: u.LastResort.Public[:], Signature: u.LastResort.Signature[:]},
		UpdatedAt:  s.now()}
	keys := make([]haven.SecretPreKey, 0, len(u.OneTime)+len(u.OneTimeKEM))
	for _, k := range u.OneTime {
		keys = append(keys, haven.SecretPreKey{Kind: haven.PreKeyX25519, ID: k.ID, Public: k.Public[:], Signature: k.Signature[:]})
	}
	for _, k := range u.OneTimeKEM {
		keys = append(keys, haven.SecretPreKey{Kind: haven.PreKeyKEM, ID: k.ID, Public: k.Public[:], Signature: k.Signature[:]})
	}
	var c PreKeyCounts
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.PutSecretDevice(ctx, d); err != nil {
			return err
		}
		if err := tx.AddSecretPreKeys(ctx, a.UserID, a.SessionID, keys, e2ee.MaxOneTimePreKeys); err != nil {
			return err
		}
		x, kem, err := tx.SecretPreKeyCounts(ctx, a.UserID, a.SessionID)
		c = counts(x, kem)
		return err
	})
	return c, s.internal(ctx, "secret.uploadKeys", err)
}

// secretPeer checks that the actor may reach userID's devices: their own,
// or those of a person they could start a private chat with. Errors:
// CodeUserNotFound, CodeUserBlocked.
func (s *Service) secretPeer(ctx context.Context, q Queries, a *Actor, userID int64) error {
	if userID == a.UserID {
		return nil
	}
	return s.CanContact(ctx, q, a.UserID, userID)
}

// secretLists remembers device lists whose signature was checked, by
// the SHA-256 of their encoding, so that a send does not verify the same
// list again: a signature check is most of a send's CPU. It holds at most
// secretListsMax lists and starts over when full.
type secretLists struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]*e2ee.DeviceList
}

const secretListsMax = 4096

// parse returns the verified list encoded as b.
func (c *secretLists) parse(b []byte) (*e2ee.DeviceList, error) {
	k := sha256.Sum256(b)
	c.mu.Lock()
	l := c.m[k]
	c.mu.Unlock()
	if l != nil {
		return l, nil
	}
	l, err := e2ee.ParseDeviceList(b)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= secretListsMax {
		c.m = make(map[[sha256.Size]byte]*e2ee.DeviceList)
	}
	c.m[k] = l
	c.mu.Unlock()
	return l, nil
}

// devicesOf loads userID's list and the devices that can receive: those
// the list names, with the keys it names, that have keys on the server.
// A device not (or not yet) listed gets no envelope and hands out no
// prekey. Errors: CodeSecretDeviceNotFound when the person has no list.
func (s *Service) devicesOf(ctx context.Context, q Queries, userID int64) ([]byte, []*haven.SecretDevice, error) {
	_, list, err := q.SecretDeviceList(ctx, userID)
	if errors.Is(err, haven.ErrNotFound) {
		return nil, nil, haven.Errorf(haven.CodeSecretDeviceNotFound, "the person has no secret-chat devices")
	}
	if err != nil {
		return nil, nil, err
	}
	l, err := s.lists.parse(list)
	if err != nil {
		return nil, nil, fmt.Errorf("the stored device list of %d: %w", userID, err)
	}
	ds, err := q.SecretDevices(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	listed := ds[:0]
	for _, d := range ds {
		e, err := l.Device(e2ee.DeviceID(d.DeviceID))
		if err == nil && bytes.Equal(e.Key.Sign[:], d.SignKey) && bytes.Equal(e.Key.DH[:], d.DHKey) {
			listed = append(listed, d)
		}
	}
	return list, listed, nil
}

func activeIDs(ds []*haven.SecretDevice) []uint32 {
	out := make([]uint32, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.DeviceID)
	}
	return out
}

// SecretDevices returns a person's signed device list and which devices
// can receive; it hands out no prekey. Errors: CodeUserNotFound,
// CodeUserBlocked, CodeSecretDeviceNotFound.
func (s *Service) SecretDevices(ctx context.Context, a *Actor, userID int64) (*SecretDevicesView, error) {
	if err := s.secretPeer(ctx, s.store, a, userID); err != nil {
		return nil, s.internal(ctx, "secret.getDevices", err)
	}
	list, ds, err := s.devicesOf(ctx, s.store, userID)
	if err != nil {
		return nil, s.internal(ctx, "secret.getDevices", err)
	}
	return &SecretDevicesView{List: list, Active: activeIDs(ds)}, nil
}

// SecretBundles returns a person's device list and a prekey bundle for
// each of deviceIDs (every device when empty) that can receive, but the
// actor's own session's. Each bundle takes one one-time prekey of each
// kind while the device has some, so it is handed out once; a device
// left with few is pushed secret.preKeysLow. Errors: CodeUserNotFound,
// CodeUserBlocked, CodeSecretDeviceNotFound, CodeTooManyIDs.
func (s *Service) SecretBundles(ctx context.Context, a *Actor, userID int64, deviceIDs []uint32) (*SecretBundlesView, error) {
	if len(deviceIDs) > e2ee.MaxDevices {
		return nil, haven.Errorf(haven.CodeTooManyIDs, "at most %d devices at once", e2ee.MaxDevices)
	}
	want := make(map[uint32]bool, len(deviceIDs))
	for _, id := range deviceIDs {
		want[id] = true
	}
	// Who may fetch and which devices are checked from committed state
	// (the list's signature verified) outside the writer; the writer only
	// takes the one-time prekeys.
	if err := s.secretPeer(ctx, s.store, a, userID); err != nil {
		return nil, s.internal(ctx, "secret.getBundles", err)
	}
	list, ds, err := s.devicesOf(ctx, s.store, userID)
	if err != nil {
		return nil, s.internal(ctx, "secret.getBundles", err)
	}
	out := &SecretBundlesView{SecretDevicesView: SecretDevicesView{List: list, Active: activeIDs(ds)}}
	err = s.store.Update(ctx, func(tx Tx) error {
		out.Bundles = [][]byte{}
		for _, d := range ds {
			if d.SessionID == a.SessionID || len(want) > 0 && !want[d.DeviceID] {
				continue
			}
			// The device as it is now: it may have gone, or uploaded
			// other keys, since the check.
			cur, err := tx.SecretDeviceOf(ctx, d.UserID, d.SessionID)
			if errors.Is(err, haven.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if cur.DeviceID != d.DeviceID || !bytes.Equal(cur.SignKey, d.SignKey) || !bytes.Equal(cur.DHKey, d.DHKey) {
				continue
			}
			b, err := s.bundle(ctx, tx, cur)
			if err != nil {
				return err
			}
			out.Bundles = append(out.Bundles, b)
		}
		return nil
	})
	if err != nil {
		return nil, s.internal(ctx, "secret.getBundles", err)
	}
	return out, nil
}

// bundle makes a device's bundle, taking one one-time prekey of each kind
// if it has one.
func (s *Service) bundle(ctx context.Context, tx Tx, d *haven.SecretDevice) ([]byte, error) {
	b := &e2ee.Bundle{User: d.UserID, Device: e2ee.DeviceID(d.DeviceID)}
	copy(b.Key.Sign[:], d.SignKey)
	copy(b.Key.DH[:], d.DHKey)
	b.Signed.ID = d.Signed.ID
	copy(b.Signed.Public[:], d.Signed.Public)
	copy(b.Signed.Signature[:], d.Signed.Signature)
	b.KEM.ID, b.KEM.LastResort = d.LastResort.ID, true
	copy(b.KEM.Public[:], d.LastResort.Public)
	copy(b.KEM.Signature[:], d.LastResort.Signature)
	if k, err := tx.TakeSecretPreKey(ctx, d.UserID, d.SessionID, haven.PreKeyKEM); err == nil {
		b.KEM = e2ee.KEMPreKey{ID: k.ID}
		copy(b.KEM.Public[:], k.Public)
		copy(b.KEM.Signature[:], k.Signature)
	} else if !errors.Is(err, haven.ErrNotFound) {
		return nil, err
	}
	if k, err := tx.TakeSecretPreKey(ctx, d.UserID, d.SessionID, haven.PreKeyX25519); err == nil {
		b.OneTime, b.HasOneTime = e2ee.OneTimePreKey{ID: k.ID}, true
		copy(b.OneTime.Public[:], k.Public)
		copy(b.OneTime.Signature[:], k.Signature)
	} else if !errors.Is(err, haven.ErrNotFound) {
		return nil, err
	}
	x, kem, err := tx.SecretPreKeyCounts(ctx, d.UserID, d.SessionID)
	if err != nil {
		return nil, err
	}
	if c := counts(x, kem); c.Low {
		s.pushSession(ctx, tx, d.UserID, d.SessionID, PushSecretPreKeysLow, c)
	}
	return b.MarshalBinary()
}

// SendSecret queues envelopes from the actor's device, one per recipient
// device, all or none, and returns how many it queued (a retried send
// queues none again). Errors: CodeSecretNoDevice, CodeSecretEnvelopesTooMany,
// CodeSecretEnvelopeInvalid, CodeSecretEnvelopeTooLarge, CodeParamMissing
// (random_id 0), CodeUserNotFound, CodeUserBlocked,
// CodeSecretDeviceNotFound, CodeSecretQueueFull.
func (s *Service) SendSecret(ctx context.Context, a *Actor, out []OutgoingEnvelope) (int, error) {
	if len(out) == 0 {
		return 0, haven.Errorf(haven.CodeParamMissing, "no envelopes")
	}
	if len(out) > SecretEnvelopesPerSend {
		return 0, haven.Errorf(haven.CodeSecretEnvelopesTooMany, "at most %d envelopes in one send", SecretEnvelopesPerSend)
	}
	for i, o := range out {
		switch {
		case len(o.Body) > e2ee.MaxMessageSize:
			return 0, haven.Errorf(haven.CodeSecretEnvelopeTooLarge, "envelope %d is over %d bytes", i, e2ee.MaxMessageSize)
		case len(o.Body) == 0 || o.Body[0] != 'M' && o.Body[0] != 'P':
			return 0, haven.Errorf(haven.CodeSecretEnvelopeInvalid, "envelope %d is not an e2ee message", i)
		case o.RandomID == 0:
			return 0, haven.Errorf(haven.CodeParamMissing, "envelope %d has no random_id", i)
		case o.DeviceID == 0:
			return 0, haven.Errorf(haven.CodeSecretDeviceNotFound, "envelope %d is for device 0", i)
		}
	}
	// Everything is read and checked from committed state first (as a
	// cloud send does, ADR 0004): who may write to whom, their devices
	// (which verifies each list's signature), the envelopes. The writer
	// only checks that each device is still there and its queue has room,
	// and queues.
	me, err := s.store.SecretDeviceOf(ctx, a.UserID, a.SessionID)
	if errors.Is(err, haven.ErrNotFound) {
		return 0, haven.Errorf(haven.CodeSecretNoDevice, "upload keys with secret.uploadKeys first")
	}
	if err != nil {
		return 0, s.internal(ctx, "secret.send", err)
	}
	devices := map[int64]map[uint32]int64{} // user → device → session
	var found []int64                       // recipients to let see the sender
	envs := make([]*haven.SecretEnvelope, len(out))
	for i, o := range out {
		byID, ok := devices[o.UserID]
		if !ok {
			if err := s.secretPeer(ctx, s.store, a, o.UserID); err != nil {
				return 0, s.internal(ctx, "secret.send", err)
			}
			if o.UserID != a.UserID {
				sees, err := s.canSee(ctx, s.store, o.UserID, a.UserID)
				if err != nil {
					return 0, s.internal(ctx, "secret.send", err)
				}
				if !sees {
					found = append(found, o.UserID)
				}
			}
			_, ds, err := s.devicesOf(ctx, s.store, o.UserID)
			if err != nil {
				return 0, s.internal(ctx, "secret.send", err)
			}
			byID = make(map[uint32]int64, len(ds))
			for _, d := range ds {
				byID[d.DeviceID] = d.SessionID
			}
			devices[o.UserID] = byID
		}
		sess, ok := byID[o.DeviceID]
		if !ok || sess == a.SessionID {
			return 0, haven.Errorf(haven.CodeSecretDeviceNotFound, "user %d has no device %d; fetch the device list again", o.UserID, o.DeviceID)
		}
		env := e2ee.Envelope{From: e2ee.Address{User: a.UserID, Device: e2ee.DeviceID(me.DeviceID)},
			To: e2ee.Address{User: o.UserID, Device: e2ee.DeviceID(o.DeviceID)}, Body: o.Body}
		b, err := env.MarshalBinary()
		if err != nil {
			return 0, s.internal(ctx, "secret.send", err)
		}
		envs[i] = &haven.SecretEnvelope{SessionID: sess, UserID: o.UserID, RandomID: o.RandomID, Envelope: b, CreatedAt: s.now().Truncate(time.Hour)}
	}
	queued := 0
	err = s.store.Update(ctx, func(tx Tx) error {
		queued = 0
		lengths := map[int64]int{} // session → envelopes queued, counted once
		for i, e := range envs {
			n, counted := lengths[e.SessionID]
			if !counted {
				// The device may have gone since the check: its session
				// ended (the queue went with it).
				if _, err := tx.SecretDeviceOf(ctx, e.UserID, e.SessionID); errors.Is(err, haven.ErrNotFound) {
					return haven.Errorf(haven.CodeSecretDeviceNotFound, "user %d has no device %d; fetch the device list again", out[i].UserID, out[i].DeviceID)
				} else if err != nil {
					return err
				}
				if n, err = tx.SecretQueueLength(ctx, e.UserID, e.SessionID, s.secretQueueMax()); err != nil {
					return err
				}
			}
			if n >= s.secretQueueMax() {
				return haven.Errorf(haven.CodeSecretQueueFull, "device %d of user %d has %d envelopes waiting", out[i].DeviceID, out[i].UserID, n)
			}
			e.ID = 0
			ok, err := tx.PutSecretEnvelope(ctx, e)
			if err != nil {
				return err
			}
			lengths[e.SessionID] = n
			if ok {
				lengths[e.SessionID] = n + 1
				queued++
				s.pushSession(ctx, tx, out[i].UserID, e.SessionID, PushSecretEnvelope, SecretQueuedView{ID: e.ID})
			}
		}
		// An envelope lets its recipient see its sender (a found_users
		// row), as a private message does through the chat it makes, so
		// that they can fetch the sender's bundles and answer. It is the
		// one record a secret chat leaves beyond its queue, and the least
		// that lets it work both ways: that one may see the other, not
		// that they wrote.
		for _, r := range found {
			if err := tx.MarkFound(ctx, r, []int64{a.UserID}, s.now()); err != nil {
				return err
			}
		}
		return nil
	})
	return queued, s.internal(ctx, "secret.send", err)
}

// FetchSecret returns up to limit of the actor's device's envelopes
// after afterID, oldest first, and its prekey counts. Errors:
// CodeSecretNoDevice.
func (s *Service) FetchSecret(ctx context.Context, a *Actor, afterID int64, limit int) (*SecretInbox, error) {
	if limit <= 0 || limit > SecretFetchMax {
		limit = SecretFetchMax
	}
	if _, err := s.store.SecretDeviceOf(ctx, a.UserID, a.SessionID); errors.Is(err, haven.ErrNotFound) {
		return nil, haven.Errorf(haven.CodeSecretNoDevice, "upload keys with secret.uploadKeys first")
	} else if err != nil {
		return nil, s.internal(ctx, "secret.fetch", err)
	}
	es, err := s.store.SecretEnvelopes(ctx, a.UserID, a.SessionID, afterID, limit)
	if err != nil {
		return nil, s.internal(ctx, "secret.fetch", err)
	}
	x, kem, err := s.store.SecretPreKeyCounts(ctx, a.UserID, a.SessionID)
	if err != nil {
		return nil, s.internal(ctx, "secret.fetch", err)
	}
	in := &SecretInbox{Envelopes: make([]QueuedEnvelope, 0, len(es)), PreKeys: counts(x, kem)}
	for _, e := range es {
		in.Envelopes = append(in.Envelopes, QueuedEnvelope{ID: e.ID, Envelope: e.Envelope, Date: unix(e.CreatedAt)})
	}
	return in, nil
}

// AckSecret deletes the actor's device's envelopes up to and including
// upTo, and reports how many.
func (s *Service) AckSecret(ctx context.Context, a *Actor, upTo int64) (int, error) {
	var n int
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		n, err = tx.DeleteSecretEnvelopes(ctx, a.UserID, a.SessionID, upTo)
		return err
	})
	return n, s.internal(ctx, "secret.ack", err)
}

// ShareSecretFile keeps a file the actor uploaded (an attachment's
// ciphertext) for the secret TTL (30 days) and returns a signed URL of it valid
// as long, for the message that carries its key: every device of the
// chat, however late it comes online, can fetch it while the envelope
// could wait. Errors: FILE_NOT_FOUND (not the actor's upload), UNAVAILABLE.
func (s *Service) ShareSecretFile(ctx context.Context, a *Actor, fileID int64) (*FileURLView, error) {
	if s.blobs == nil {
		return nil, errNoBlobs()
	}
	f, err := s.store.FileByID(ctx, fileID)
	if errors.Is(err, haven.ErrNotFound) || err == nil && f.UploaderID != a.UserID {
		return nil, errFileNotFound(fileID)
	}
	if err != nil {
		return nil, s.internal(ctx, "secret.shareFile", err)
	}
	until := s.now().Add(s.secretTTL())
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.KeepSecretFile(ctx, fileID, until) }); err != nil {
		return nil, s.internal(ctx, "secret.shareFile", err)
	}
	return s.signFileURL(ctx, a.UserID, fileID, until.Unix())
}

// ExpireSecretEnvelopes deletes envelopes older than the secret TTL
// and reports how many.
func (s *Service) ExpireSecretEnvelopes(ctx context.Context) (int, error) {
	before := s.now().Add(-s.secretTTL())
	total := 0
	for {
		var n int
		if err := s.store.Update(ctx, func(tx Tx) error {
			var err error
			n, err = tx.DeleteSecretEnvelopesBefore(ctx, before, 1000)
			return err
		}); err != nil {
			return total, err
		}
		total += n
		if n < 1000 {
			return total, nil
		}
	}
}

// pushSession publishes a push for one session of userID after tx
// commits. It is a hint: the device finds the same in secret.fetch.
func (s *Service) pushSession(ctx context.Context, tx Tx, userID, sessionID int64, kind string, data any) {
	s.publish(ctx, tx, Notice{Kind: kind, UserID: userID, SessionID: sessionID}, userSubject(userID), data)
}
