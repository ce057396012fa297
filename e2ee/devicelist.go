package e2ee

import (
	"cmp"
	"fmt"
	"slices"
)

// MaxDevices is the most devices one account may list. Each is a session
// to keep and an encryption per message, so it is bounded.
const MaxDevices = 100

// DeviceEntry is one device of a DeviceList.
type DeviceEntry struct {
	ID  DeviceID
	Key DeviceKey
}

// DeviceList is an account's signed list of its devices. The account key
// signs it, so the server that relays it can neither add a device nor drop
// one: a sender encrypts to exactly the devices listed. Version grows with
// every change, and a client refuses a list older than one it has seen
// (CompareDeviceLists), so an old list cannot be replayed to hide a device
// added since or to bring back one removed.
type DeviceList struct {
	User    int64
	Account AccountPublic
	Version uint64
	Devices []DeviceEntry // in increasing ID order, no duplicates
	sig     [SignatureSize]byte
	raw     []byte
}

// SignDeviceList makes and signs a device list. devices may be in any
// order; it is sorted. A device may appear once, with a non-zero id.
func SignDeviceList(key *AccountKey, user int64, version uint64, devices []DeviceEntry) (*DeviceList, error) {
	ds := slices.Clone(devices)
	slices.SortFunc(ds, func(a, b DeviceEntry) int { return cmp.Compare(a.ID, b.ID) })
	l := &DeviceList{User: user, Account: key.Public(), Version: version, Devices: ds}
	if err := l.check(); err != nil {
		return nil, err
	}
	body := l.body()
	l.sig = sign(key.priv, ctxDeviceList, body)
	l.raw = append(body, l.sig[:]...)
	return l, nil
}

func (l *DeviceList) check() error {
	if len(l.Devices) == 0 || len(l.Devices) > MaxDevices {
		return malformed("device list: %d devices", len(l.Devices))
	}
	for i, d := range l.Devices {
		if d.ID == 0 {
			return malformed("device list: device 0")
		}
		if i > 0 && d.ID <= l.Devices[i-1].ID {
			return malformed("device list: device %d repeated or out of order", d.ID)
		}
	}
	return nil
}

// body is the signed part: everything but the signature.
func (l *DeviceList) body() []byte {
	w := newWriter(tagDeviceList, 8+PublicKeySize+8+2+len(l.Devices)*(4+DeviceKeySize))
	w.u64(uint64(l.User))
	w.raw(l.Account[:])
	w.u64(l.Version)
	w.u16(uint16(len(l.Devices)))
	for _, d := range l.Devices {
		w.u32(uint32(d.ID))
		w.raw(d.Key.Sign[:])
		w.raw(d.Key.DH[:])
	}
	return w.b
}

// MarshalBinary returns the signed list's encoding.
func (l *DeviceList) MarshalBinary() ([]byte, error) { return slices.Clone(l.raw), nil }

// ParseDeviceList parses a device list and verifies its signature under
// the account key it names. Whether that account key is the right one for
// the person is the caller's to check: against the key it saw before
// (CompareDeviceLists), or in person with safety numbers.
func ParseDeviceList(b []byte) (*DeviceList, error) {
	r := newReader(b, tagDeviceList, "device list")
	l := &DeviceList{}
	l.User = int64(r.u64())
	r.array(l.Account[:])
	l.Version = r.u64()
	n := int(r.u16())
	if r.err == nil && (n == 0 || n > MaxDevices) {
		r.fail("%d devices", n)
	}
	for i := 0; i < n && r.err == nil; i++ {
		var d DeviceEntry
		d.ID = DeviceID(r.u32())
		r.array(d.Key.Sign[:])
		r.array(d.Key.DH[:])
		l.Devices = append(l.Devices, d)
	}
	r.array(l.sig[:])
	if err := r.done(); err != nil {
		return nil, err
	}
	if err := l.check(); err != nil {
		return nil, err
	}
	if err := verify(l.Account, ctxDeviceList, b[:len(b)-SignatureSize], l.sig); err != nil {
		return nil, err
	}
	l.raw = slices.Clone(b)
	return l, nil
}

// Device returns the entry of a device, or ErrUnknownDevice.
func (l *DeviceList) Device(id DeviceID) (DeviceEntry, error) {
	i, ok := slices.BinarySearchFunc(l.Devices, id, func(e DeviceEntry, id DeviceID) int {
		return cmp.Compare(e.ID, id)
	})
	if !ok {
		return DeviceEntry{}, fmt.Errorf("%w: %d.%d", ErrUnknownDevice, l.User, id)
	}
	return l.Devices[i], nil
}

// Identity returns the full identity of one listed device.
func (l *DeviceList) Identity(id DeviceID) (Identity, error) {
	e, err := l.Device(id)
	if err != nil {
		return Identity{}, err
	}
	return Identity{User: l.User, Account: l.Account, Device: e.ID, Key: e.Key}, nil
}

// Addresses returns the address of every listed device.
func (l *DeviceList) Addresses() []Address {
	as := make([]Address, len(l.Devices))
	for i, d := range l.Devices {
		as[i] = Address{User: l.User, Device: d.ID}
	}
	return as
}

// ListChange is how a person's device list changed between two versions a
// client saw: what it must tell the person (a new identity: the safety
// number changed; a new device) and which sessions to start or drop.
type ListChange struct {
	// AccountChanged: the account key itself changed. Every safety number
	// with this person changes; a client says so and treats every device
	// as new. Added, Removed and Rekeyed are then empty.
	AccountChanged bool
	// Added are devices listed now and not before; Removed the reverse.
	Added, Removed []DeviceID
	// Rekeyed are devices still listed under the same id with a different
	// key: a reinstall, as good as a new device (its old sessions must go).
	Rekeyed []DeviceID
}

// Changed reports whether anything a person should know of changed.
func (c ListChange) Changed() bool {
	return c.AccountChanged || len(c.Added)+len(c.Removed)+len(c.Rekeyed) > 0
}

// CompareDeviceLists compares a newly fetched device list of a person with
// the one the client kept (old may be nil: a first contact). It returns
// ErrRollback for a list of the same account older than old, or with old's
// version but other contents (either is the server replaying or forging
// history), and an error when the two lists are of different users.
func CompareDeviceLists(old, cur *DeviceList) (ListChange, error) {
	if old == nil {
		ids := make([]DeviceID, len(cur.Devices))
		for i, d := range cur.Devices {
			ids[i] = d.ID
		}
		return ListChange{Added: ids}, nil
	}
	if old.User != cur.User {
		return ListChange{}, fmt.Errorf("e2ee: device lists of users %d and %d compared", old.User, cur.User)
	}
	if old.Account != cur.Account {
		return ListChange{AccountChanged: true}, nil
	}
	if cur.Version < old.Version {
		return ListChange{}, fmt.Errorf("%w: version %d after %d", ErrRollback, cur.Version, old.Version)
	}
	if cur.Version == old.Version && !slices.Equal(cur.raw, old.raw) {
		return ListChange{}, fmt.Errorf("%w: two different lists of version %d", ErrRollback, cur.Version)
	}
	var c ListChange
	for _, d := range cur.Devices {
		o, err := old.Device(d.ID)
		switch {
		case err != nil:
			c.Added = append(c.Added, d.ID)
		case o.Key != d.Key:
			c.Rekeyed = append(c.Rekeyed, d.ID)
		}
	}
	for _, d := range old.Devices {
		if _, err := cur.Device(d.ID); err != nil {
			c.Removed = append(c.Removed, d.ID)
		}
	}
	return c, nil
}
