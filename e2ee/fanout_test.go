package e2ee

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// client is one device with its sessions, as a client app would hold it.
type client struct {
	owner *person
	dev   *Device
	ss    *Sessions
}

func newClient(p *person, i int) *client {
	return &client{owner: p, dev: p.devs[i], ss: NewSessions(p.devs[i].Identity())}
}

func (c *client) addr() Address { return c.dev.Identity().Address() }

// connect starts sessions with every device in to that has none, as a
// client does before sending: fetch each bundle, Initiate.
func (c *client) connect(t *testing.T, to []Address, people ...*person) {
	t.Helper()
	for _, a := range c.ss.Missing(to) {
		for _, p := range people {
			if p.user != a.User {
				continue
			}
			i := slices.IndexFunc(p.devs, func(d *Device) bool { return d.ID() == a.Device })
			s, err := Initiate(c.dev, p.list, p.bundle(t, i, true, true))
			if err != nil {
				t.Fatal(err)
			}
			c.ss.Put(s)
		}
	}
}

// send fans a text out to every device of the people, through the wire.
func (c *client) send(t *testing.T, text string, people ...*person) map[Address]*Envelope {
	t.Helper()
	var lists []*DeviceList
	for _, p := range people {
		lists = append(lists, p.list)
	}
	to := Recipients(c.addr(), lists...)
	c.connect(t, to, people...)
	envs, err := c.ss.Encrypt(to, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	out := map[Address]*Envelope{}
	for _, e := range envs {
		b, err := e.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		pe, err := ParseEnvelope(b)
		if err != nil {
			t.Fatal(err)
		}
		out[e.To] = pe
	}
	return out
}

func (c *client) receive(t *testing.T, e *Envelope, from *person, want string) {
	t.Helper()
	pt, err := c.ss.Decrypt(c.dev, from.list, e)
	if err != nil {
		t.Fatalf("%v receiving %q: %v", c.addr(), want, err)
	}
	if string(pt) != want {
		t.Fatalf("%v received %q, want %q", c.addr(), pt, want)
	}
}

// TestFanOut: a message goes once to each device of the other person and
// to the sender's other devices; a device added later reads what is sent
// after it joined, and none of what was sent before.
func TestFanOut(t *testing.T) {
	alice, bob := newPerson(t, 1, 2), newPerson(t, 2, 2)
	a1, a2 := newClient(alice, 0), newClient(alice, 1)
	b1, b2 := newClient(bob, 0), newClient(bob, 1)
	envs := a1.send(t, "hi from a1", bob, alice)
	if len(envs) != 3 || envs[a1.addr()] != nil {
		t.Fatalf("%d envelopes (to itself: %v)", len(envs), envs[a1.addr()] != nil)
	}
	for _, c := range []*client{a2, b1, b2} {
		c.receive(t, envs[c.addr()], alice, "hi from a1")
	}
	// An envelope for one device does not open on another.
	if _, err := b2.ss.Decrypt(b2.dev, alice.list, envs[b1.addr()]); err == nil {
		t.Fatal("b2 opened b1's envelope")
	}
	envs = b2.send(t, "hi from b2", alice, bob)
	for _, c := range []*client{a1, a2, b1} {
		c.receive(t, envs[c.addr()], bob, "hi from b2")
	}
	before := envs

	// Bob links a third device. Alice's client sees it in the new list.
	old := bob.list
	bob.addDevice(t, 3)
	b3 := newClient(bob, 2)
	change, err := CompareDeviceLists(old, bob.list)
	if err != nil || !slices.Equal(change.Added, []DeviceID{3}) {
		t.Fatalf("list change %+v, %v", change, err)
	}
	// b3 reads none of the past: no envelope was made for it, and none of
	// the others' opens on it.
	for _, e := range before {
		e2 := *e
		e2.To = b3.addr()
		if _, err := b3.ss.Decrypt(b3.dev, bob.list, &e2); err == nil {
			t.Fatal("the new device read a message sent before it joined")
		}
	}
	envs = a1.send(t, "after b3 joined", bob, alice)
	if len(envs) != 4 {
		t.Fatalf("%d envelopes after b3 joined, want 4", len(envs))
	}
	for _, c := range []*client{a2, b1, b2, b3} {
		c.receive(t, envs[c.addr()], alice, "after b3 joined")
	}

	// Bob removes device 1: Alice's client drops its session, and her
	// next message goes to b2 and b3 only.
	bob.devs = bob.devs[1:]
	bob.resign(t)
	if dropped := a1.ss.Sync(bob.list); !slices.Equal(dropped, []Address{b1.addr()}) {
		t.Fatalf("Sync dropped %v", dropped)
	}
	envs = a1.send(t, "b1 is gone", bob, alice)
	if envs[b1.addr()] != nil || len(envs) != 3 {
		t.Fatalf("sent to the removed device, or %d envelopes", len(envs))
	}
	// Without a session for every device, nothing is encrypted.
	if _, err := a2.ss.Encrypt([]Address{{User: 2, Device: 42}}, []byte("x")); !errors.Is(err, ErrNoSession) {
		t.Fatalf("no session: %v", err)
	}
}

// TestSessionReset: a new PQXDH session with a device replaces the old one
// on both sides: the new one carries every later message; the old one is
// kept only to open what it sent before the reset; a forged initial message
// replaces nothing.
func TestSessionReset(t *testing.T) {
	alice, bob := newPerson(t, 1, 1), newPerson(t, 2, 1)
	a, b := newClient(alice, 0), newClient(bob, 0)
	b.receive(t, a.send(t, "one", bob)[b.addr()], alice, "one")
	a.receive(t, b.send(t, "two", alice)[a.addr()], bob, "two")
	late := a.send(t, "sent before the reset, delivered after", bob)[b.addr()]
	oldBase := b.ss.Get(a.addr()).base

	// Alice's app lost its sessions (restored from an old backup, say)
	// and starts over with Bob's device.
	a.ss = NewSessions(a.dev.Identity())
	fresh := a.send(t, "new session", bob)[b.addr()]
	if fresh.Body[0] != tagPreKeyMessage {
		t.Fatal("the new session does not start with an initial message")
	}
	// A forged initial message first: the old session must survive it.
	forged := *fresh
	forged.Body = flip(fresh.Body, len(fresh.Body)-1)
	if _, err := b.ss.Decrypt(b.dev, alice.list, &forged); err == nil {
		t.Fatal("forged initial message opened")
	}
	if b.ss.Get(a.addr()).base != oldBase {
		t.Fatal("a forged initial message replaced the session")
	}
	b.receive(t, fresh, alice, "new session")
	if b.ss.Get(a.addr()).base == oldBase {
		t.Fatal("the new session is not the current one")
	}
	// Bob answers on the new session; Alice, who has only it, reads it.
	a.receive(t, b.send(t, "answer on the new session", alice)[a.addr()], bob, "answer on the new session")
	b.receive(t, a.send(t, "and back", bob)[b.addr()], alice, "and back")
	// The old session's late message still opens, once.
	b.receive(t, late, alice, "sent before the reset, delivered after")
	if _, err := b.ss.Decrypt(b.dev, alice.list, late); err == nil {
		t.Fatal("a late message opened twice")
	}
	// And the conversation goes on on the new session.
	a.receive(t, b.send(t, "still new", alice)[a.addr()], bob, "still new")
	if b.ss.Len() != 1 || a.ss.Len() != 1 {
		t.Fatalf("%d and %d devices with sessions, want one each", a.ss.Len(), b.ss.Len())
	}
	// Bob's sessions, previous ones included, survive serialisation.
	raw, err := b.ss.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if b.ss, err = UnmarshalSessions(raw); err != nil {
		t.Fatal(err)
	}
	if again, _ := b.ss.MarshalBinary(); !bytes.Equal(raw, again) {
		t.Fatal("sessions encoding not stable")
	}
	for n := range len(raw) {
		if n%13 == 0 || n > len(raw)-100 {
			if _, err := UnmarshalSessions(raw[:n]); err == nil {
				t.Fatalf("sessions cut to %d of %d bytes: restored", n, len(raw))
			}
		}
	}
	b.receive(t, a.send(t, "after restoring", bob)[b.addr()], alice, "after restoring")
}

// TestSimultaneousInitiation: two devices that start sessions with each
// other at the same moment converge on one and talk on.
func TestSimultaneousInitiation(t *testing.T) {
	alice, bob := newPerson(t, 1, 1), newPerson(t, 2, 1)
	a, b := newClient(alice, 0), newClient(bob, 0)
	fromA := a.send(t, "hi Bob", bob)[b.addr()]
	fromB := b.send(t, "hi Alice", alice)[a.addr()]
	b.receive(t, fromA, alice, "hi Bob")
	a.receive(t, fromB, bob, "hi Alice")
	if a.ss.Get(b.addr()).base != b.ss.Get(a.addr()).base {
		t.Fatal("the two devices kept different sessions as current")
	}
	for i := range 4 {
		b.receive(t, a.send(t, msg(i), bob)[b.addr()], alice, msg(i))
		a.receive(t, b.send(t, msg(10+i), alice)[a.addr()], bob, msg(10+i))
	}
}

// TestInitialMessageChecks: Bob refuses an initial message whose sender is
// not in the sender's signed device list, or is relayed as from another
// device.
func TestInitialMessageChecks(t *testing.T) {
	alice, bob, eve := newPerson(t, 1, 2), newPerson(t, 2, 1), newPerson(t, 1, 1)
	a, b := newClient(alice, 0), newClient(bob, 0)
	e := a.send(t, "hi", bob)[b.addr()]
	if _, err := b.ss.Decrypt(b.dev, eve.list, e); !errors.Is(err, ErrUnknownDevice) {
		t.Errorf("sender checked against another account's list: %v", err)
	}
	relabelled := *e
	relabelled.From.Device = 2
	if _, err := b.ss.Decrypt(b.dev, alice.list, &relabelled); !errors.Is(err, ErrUnknownDevice) {
		t.Errorf("initial message relayed as from another device: %v", err)
	}
	if _, err := b.ss.Decrypt(b.dev, nil, e); !errors.Is(err, ErrUnknownDevice) {
		t.Errorf("no sender list: %v", err)
	}
	b.receive(t, e, alice, "hi")
}

// TestSyncDropsFormerKeys: when a device is reinstalled (same id, new key)
// and starts a new session while the peer's own session with its former key
// is still unanswered, the new session becomes current whatever the base
// keys (this is no simultaneous initiation), and Sync then drops the
// superseded session with the former key. The scenario repeats until it has
// run with the former session's base key the lower one, the case a
// base-key tie-break would get wrong.
func TestSyncDropsFormerKeys(t *testing.T) {
	for tries := 1; ; tries++ {
		alice, bob := newPerson(t, 1, 1), newPerson(t, 2, 1)
		a, b := newClient(alice, 0), newClient(bob, 0)
		b.receive(t, a.send(t, "before", bob)[b.addr()], alice, "before")
		formerBase := a.ss.Get(b.addr()).base

		// Bob reinstalls device 1: new key, new list, new session to Alice.
		d, err := NewDevice(2, bob.acct.Public(), 1)
		if err != nil {
			t.Fatal(err)
		}
		bob.devs = []*Device{d}
		bob.resign(t)
		b = newClient(bob, 0)
		a.receive(t, b.send(t, "reinstalled", alice)[a.addr()], bob, "reinstalled")
		newBase := b.ss.Get(a.addr()).base
		if a.ss.Get(b.addr()).base != newBase {
			t.Fatal("the reinstalled device's session is not current")
		}
		if n := len(a.ss.recs[b.addr()].prev); n != 1 {
			t.Fatalf("%d previous sessions, want the one with the former key", n)
		}
		if dropped := a.ss.Sync(bob.list); len(dropped) != 0 {
			t.Fatalf("Sync dropped the current session: %v", dropped)
		}
		if n := len(a.ss.recs[b.addr()].prev); n != 0 {
			t.Fatalf("%d previous sessions with the former key kept", n)
		}
		b.receive(t, a.send(t, "after", bob)[b.addr()], alice, "after")
		if bytes.Compare(formerBase[:], newBase[:]) < 0 {
			return
		}
		if tries == 64 {
			t.Fatal("64 runs without the former base key the lower")
		}
	}
}
