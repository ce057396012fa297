// Package secret is the Go SDK's secret chats: end-to-end encrypted
// conversations between every device of two people (docs/e2ee.md).
// [Chats] is one device's side: its keys and sessions, kept in a
// [Store] (a file of mode 0600, or the web app's IndexedDB), and the
// messages it sent and received. The server relays envelopes it cannot
// read; files go up encrypted under a random key carried in the message.
//
// The package reaches the server only through a [Transport]: Go
// programs use the client package's (client.CreateSecretDevice and the
// rest), and the web app's WebAssembly its page's, so that it links no
// HTTP client of its own.
package secret

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/havenchat/haven/e2ee"
)

// Errors of secret chats.
var (
	// ErrIdentityChanged: the person's account key changed since it was
	// pinned (a reinstall, or someone in the middle): sends to them are
	// refused until AcceptIdentity, ideally after comparing safety
	// numbers again.
	ErrIdentityChanged = errors.New("haven: the person's secret-chat identity changed; compare safety numbers, then accept it")
	// ErrForwardRefused: secret messages cannot be forwarded.
	ErrForwardRefused = errors.New("haven: secret messages cannot be forwarded")
	// ErrNoSecretDevices: the person has no device that can receive
	// secret messages.
	ErrNoSecretDevices = errors.New("haven: the person has no secret-chat devices")
	// ErrMessageNotFound: no such message in the secret chat.
	ErrMessageNotFound = errors.New("haven: no such secret message")
)

// Message is one message of a secret chat, as this device keeps it.
type Message struct {
	// ID is the sender's random id, the same on every device.
	ID int64 `json:"id"`
	// Chat is the other person of the conversation.
	Chat int64 `json:"chat"`
	// From is the author's user id and device; Out is true for one's own.
	From   int64  `json:"from"`
	Device uint32 `json:"device"`
	Out    bool   `json:"out"`
	Date   int64  `json:"date"`
	Text   string `json:"text,omitempty"`
	// File is an attachment: the server has only its ciphertext.
	File *File `json:"file,omitempty"`
	// TTL is the self-destruct timer in seconds (0: none): the message
	// disappears on every device TTL seconds after the recipient read it.
	TTL int64 `json:"ttl,omitempty"`
	// ReadAt is when the recipient read it (unix seconds, 0 if not yet);
	// ExpiresAt when it disappears (0: never).
	ReadAt    int64 `json:"read_at,omitempty"`
	ExpiresAt int64 `json:"expires_at,omitempty"`
}

// File is an encrypted attachment: where its ciphertext is, and
// the key and digest that open it.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	URL    string `json:"url"`
	Key    []byte `json:"key"`
	Digest []byte `json:"digest"`
}

// Warning tells the person that a contact's keys changed.
type Warning struct {
	User int64 `json:"user"`
	// Kind is "identity_changed" (the account key: every safety number
	// with them changes; sends wait for AcceptIdentity) or
	// "devices_changed" (a device added, removed or reinstalled).
	Kind    string   `json:"kind"`
	Added   []uint32 `json:"added,omitempty"`
	Removed []uint32 `json:"removed,omitempty"`
	Date    int64    `json:"date"`
}

// The kinds of Warning.
const (
	WarningIdentityChanged = "identity_changed"
	WarningDevicesChanged  = "devices_changed"
)

// Event is one thing Receive found.
type Event struct {
	// Kind is "message" (Message is new), "deleted" (IDs were deleted
	// from Chat by the other side or another own device), "read" (IDs of
	// Chat were read; their timers run) or "rejected" (an envelope that
	// did not open: Err says why, such as e2ee.ErrReplay).
	Kind    string
	Chat    int64
	Message *Message
	IDs     []int64
	Err     error
}

// payload is what a ratchet message carries.
type payload struct {
	Kind string  `json:"k"` // "msg", "delete", "read"
	Chat int64   `json:"c"` // the conversation's other person, as the sender sees it
	ID   int64   `json:"i,omitempty"`
	IDs  []int64 `json:"ids,omitempty"`
	Date int64   `json:"d"`
	Text string  `json:"t,omitempty"`
	File *File   `json:"f,omitempty"`
	TTL  int64   `json:"ttl,omitempty"`
}

// Chats is one device's secret chats. It is safe for concurrent
// use; calls run one at a time.
type Chats struct {
	api   API
	store Store

	mu   sync.Mutex
	st   *state
	acct *e2ee.AccountKey
	dev  *e2ee.Device
	ss   *e2ee.Sessions
	now  func() time.Time
}

// preKeys is how many one-time prekeys of each kind a device
// uploads at a time.
const preKeys = 100

// Create makes the session that t speaks for the first secret-chat device of
// the account: a new account key (any earlier one, and the devices it
// vouched for, are replaced: contacts are warned), a device key, and
// prekeys on the server. The state goes to path (mode 0600).
func Create(ctx context.Context, t Transport, path string) (*Chats, error) {
	return CreateIn(ctx, t, FileStore(path))
}

// CreateIn is Create keeping the state in store
// (the web app's IndexedDB, for one) rather than in a file.
func CreateIn(ctx context.Context, t Transport, store Store) (*Chats, error) {
	acct, err := e2ee.NewAccountKey()
	if err != nil {
		return nil, err
	}
	return newSecretDevice(ctx, t, store, acct, false)
}

// Link makes the session that t speaks for another secret-chat device of an
// account that has one: seed is the account key, from
// [Chats.AccountSeed] on an existing device (carried by the
// person, never through the server). The device adds itself to the
// account's signed device list; it receives messages sent from then on,
// none from before.
func Link(ctx context.Context, t Transport, path string, seed []byte) (*Chats, error) {
	acct, err := e2ee.AccountKeyFromSeed(seed)
	if err != nil {
		return nil, err
	}
	return newSecretDevice(ctx, t, FileStore(path), acct, true)
}

func newSecretDevice(ctx context.Context, t Transport, store Store, acct *e2ee.AccountKey, link bool) (*Chats, error) {
	api := API{t}
	me, err := api.me(ctx)
	if err != nil {
		return nil, err
	}
	sc := &Chats{api: api, store: store, acct: acct, now: time.Now,
		st: &state{Version: stateVersion, User: me, AccountSeed: acct.Seed(),
			Peers: map[int64]*peer{}, Chats: map[int64][]*Message{}}}
	for attempt := 0; ; attempt++ {
		id, err := randomDeviceID()
		if err != nil {
			return nil, err
		}
		if sc.dev, err = e2ee.NewDevice(me, acct.Public(), id); err != nil {
			return nil, err
		}
		up, err := sc.dev.NewPreKeys(preKeys)
		if err != nil {
			return nil, err
		}
		b, _ := up.MarshalBinary()
		if _, err = api.UploadKeys(ctx, b); api.is(err, "SECRET_DEVICE_TAKEN") && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	sc.ss = e2ee.NewSessions(sc.dev.Identity())
	for attempt := 0; ; attempt++ {
		var (
			version uint64 = 1
			devices        = []e2ee.DeviceEntry{{ID: sc.dev.ID(), Key: sc.dev.Key()}}
		)
		cur, err := api.DeviceList(ctx, me)
		switch {
		case err == nil:
			l, err := e2ee.ParseDeviceList(cur.List)
			if err != nil {
				return nil, err
			}
			version = l.Version + 1
			if link {
				if l.Account != acct.Public() {
					return nil, errors.New("haven: the account key given is not the one the account's devices list")
				}
				for _, d := range l.Devices {
					if slices.Contains(cur.Active, uint32(d.ID)) && d.ID != sc.dev.ID() {
						devices = append(devices, d)
					}
				}
			}
		case api.is(err, "SECRET_DEVICE_NOT_FOUND") && !link:
		default:
			return nil, err
		}
		l, err := e2ee.SignDeviceList(acct, me, version, devices)
		if err != nil {
			return nil, err
		}
		b, _ := l.MarshalBinary()
		if err = api.SetDeviceList(ctx, b); api.is(err, "SECRET_DEVICE_LIST_OLD") && attempt < 5 {
			continue // another device changed it meanwhile
		}
		if err != nil {
			return nil, err
		}
		sc.st.OwnList = b
		break
	}
	if err := sc.saveLocked(); err != nil {
		return nil, err
	}
	return sc, nil
}

// Open opens the secret chats kept at path by
// Create or Link, for the same session's client.
func Open(t Transport, path string) (*Chats, error) {
	return OpenIn(t, FileStore(path))
}

// OpenIn is Open for a state kept in store.
func OpenIn(t Transport, store Store) (*Chats, error) {
	st, err := loadState(store)
	if err != nil {
		return nil, err
	}
	sc := &Chats{api: API{t}, store: store, st: st, now: time.Now}
	if sc.acct, err = e2ee.AccountKeyFromSeed(st.AccountSeed); err != nil {
		return nil, err
	}
	if sc.dev, err = e2ee.UnmarshalDevice(st.Device); err != nil {
		return nil, err
	}
	if sc.ss, err = e2ee.UnmarshalSessions(st.Sessions); err != nil {
		return nil, err
	}
	return sc, nil
}

func randomDeviceID() (e2ee.DeviceID, error) {
	var b [4]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, err
		}
		if id := binary.BigEndian.Uint32(b[:]) >> 1; id != 0 {
			return e2ee.DeviceID(id), nil
		}
	}
}

// randomID returns a random id from 1 to 2^53 − 1.
func randomID() int64 {
	var b [8]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic(err) // crypto/rand does not fail on supported systems
		}
		if id := int64(binary.BigEndian.Uint64(b[:]) >> 11); id != 0 {
			return id
		}
	}
}

// saveLocked writes the state with the current device and sessions.
func (sc *Chats) saveLocked() error {
	var err error
	if sc.st.Device, err = sc.dev.MarshalBinary(); err != nil {
		return err
	}
	if sc.ss == nil {
		sc.ss = e2ee.NewSessions(sc.dev.Identity())
	}
	if sc.st.Sessions, err = sc.ss.MarshalBinary(); err != nil {
		return err
	}
	return sc.st.save(sc.store)
}

// UserID returns the account's user id.
func (sc *Chats) UserID() int64 { return sc.st.User }

// DeviceID returns this device's id within the account.
func (sc *Chats) DeviceID() uint32 { return uint32(sc.dev.ID()) }

// AccountSeed returns the account's private key, to link another device
// of the person's (Link). Whoever has it can add devices to
// the account: show it only to its owner.
func (sc *Chats) AccountSeed() []byte { return slices.Clone(sc.st.AccountSeed) }

// deviceList fetches a person's (or one's own) device list, checks it
// against the one pinned, pins it, and syncs the sessions with it. It
// returns the list and the devices that can receive now.
func (sc *Chats) deviceList(ctx context.Context, user int64) (*e2ee.DeviceList, []uint32, error) {
	got, err := sc.api.DeviceList(ctx, user)
	if sc.api.is(err, "SECRET_DEVICE_NOT_FOUND") {
		return nil, nil, ErrNoSecretDevices
	}
	if err != nil {
		return nil, nil, err
	}
	l, err := e2ee.ParseDeviceList(got.List)
	if err != nil {
		return nil, nil, err
	}
	if l.User != user {
		return nil, nil, fmt.Errorf("haven: the server answered the device list of %d for %d", l.User, user)
	}
	var pinned []byte
	if user == sc.st.User {
		if l.Account != sc.acct.Public() {
			return nil, nil, errors.New("haven: the account's device list is signed by another account key: this device was replaced")
		}
		pinned = sc.st.OwnList
	} else if p := sc.st.Peers[user]; p != nil {
		pinned = p.List
	}
	if pinned != nil {
		old, err := e2ee.ParseDeviceList(pinned)
		if err != nil {
			return nil, nil, err
		}
		change, err := e2ee.CompareDeviceLists(old, l)
		if err != nil {
			return nil, nil, err // a rollback: keep the pinned one
		}
		if change.Changed() && user != sc.st.User {
			w := Warning{User: user, Kind: WarningDevicesChanged, Date: sc.now().Unix()}
			if change.AccountChanged {
				w.Kind = WarningIdentityChanged
				sc.st.Peers[user].IdentityChanged = true
			}
			for _, d := range change.Added {
				w.Added = append(w.Added, uint32(d))
			}
			for _, d := range change.Removed {
				w.Removed = append(w.Removed, uint32(d))
			}
			for _, d := range change.Rekeyed {
				w.Added, w.Removed = append(w.Added, uint32(d)), append(w.Removed, uint32(d))
			}
			sc.st.Warnings = append(sc.st.Warnings, w)
		}
	}
	if user == sc.st.User {
		sc.st.OwnList = got.List
	} else {
		if sc.st.Peers[user] == nil {
			sc.st.Peers[user] = &peer{}
		}
		sc.st.Peers[user].List = got.List
	}
	sc.ss.Sync(l)
	return l, got.Active, nil
}
