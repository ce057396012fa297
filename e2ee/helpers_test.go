package e2ee

import (
	"bytes"
	"fmt"
	"testing"
)

// person is one user with an account key, devices and their signed list.
type person struct {
	user int64
	acct *AccountKey
	devs []*Device
	list *DeviceList
}

func newPerson(t testing.TB, user int64, devices int) *person {
	t.Helper()
	acct, err := NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	p := &person{user: user, acct: acct}
	for i := range devices {
		p.addDevice(t, DeviceID(i+1))
	}
	return p
}

// addDevice makes a device and signs a new list with it.
func (p *person) addDevice(t testing.TB, id DeviceID) *Device {
	t.Helper()
	d, err := NewDevice(p.user, p.acct.Public(), id)
	if err != nil {
		t.Fatal(err)
	}
	p.devs = append(p.devs, d)
	p.resign(t)
	return d
}

func (p *person) resign(t testing.TB) {
	t.Helper()
	var entries []DeviceEntry
	for _, d := range p.devs {
		entries = append(entries, DeviceEntry{ID: d.ID(), Key: d.Key()})
	}
	var v uint64 = 1
	if p.list != nil {
		v = p.list.Version + 1
	}
	l, err := SignDeviceList(p.acct, p.user, v, entries)
	if err != nil {
		t.Fatal(err)
	}
	// Every list a test uses went through the wire.
	b, _ := l.MarshalBinary()
	if p.list, err = ParseDeviceList(b); err != nil {
		t.Fatal(err)
	}
}

// bundle publishes prekeys of device i and returns the bundle the server
// would hand out, through the wire, with a one-time X25519 key or not and
// a one-time ML-KEM key or the last-resort one.
func (p *person) bundle(t testing.TB, i int, oneTime, oneTimeKEM bool) *Bundle {
	t.Helper()
	u, err := p.devs[i].NewPreKeys(1)
	if err != nil {
		t.Fatal(err)
	}
	ub, _ := u.MarshalBinary()
	if u, err = ParseUpload(ub); err != nil {
		t.Fatal(err)
	}
	ot, otk := -1, -1
	if oneTime {
		ot = 0
	}
	if oneTimeKEM {
		otk = 0
	}
	b, _ := u.Bundle(p.user, ot, otk).MarshalBinary()
	bundle, err := ParseBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	return bundle
}

// pair is a session between device 0 of alice and device 0 of bob, Alice
// having sent the first message and Bob accepted it.
type pair struct {
	alice, bob *person
	a, b       *Session
}

func newPair(t testing.TB) *pair {
	t.Helper()
	p := &pair{alice: newPerson(t, 1, 1), bob: newPerson(t, 2, 1)}
	var err error
	if p.a, err = Initiate(p.alice.devs[0], p.bob.list, p.bob.bundle(t, 0, true, true)); err != nil {
		t.Fatal(err)
	}
	m := mustEncrypt(t, p.a, "hello")
	var pt []byte
	if p.b, pt, err = p.bob.devs[0].Accept(p.alice.list, m); err != nil {
		t.Fatal(err)
	}
	if string(pt) != "hello" {
		t.Fatalf("first message %q", pt)
	}
	return p
}

func mustEncrypt(t testing.TB, s *Session, text string) []byte {
	t.Helper()
	m, err := s.Encrypt([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustDecrypt(t testing.TB, s *Session, m []byte, want string) {
	t.Helper()
	pt, err := s.Decrypt(m)
	if err != nil {
		t.Fatalf("decrypting %q: %v", want, err)
	}
	if !bytes.Equal(pt, []byte(want)) {
		t.Fatalf("decrypted %q, want %q", pt, want)
	}
}

// clone copies a session through its encoding.
func clone(t testing.TB, s *Session) *Session {
	t.Helper()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	c, err := UnmarshalSession(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func msg(i int) string { return fmt.Sprintf("message %d", i) }
