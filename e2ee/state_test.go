package e2ee

import (
	"bytes"
	"errors"
	"testing"
)

// TestSessionSerialisation: a session goes to bytes and back at any point
// (pending initial message, kept skipped keys) and goes on working; its
// encoding is canonical (bytes → session → the same bytes), and every cut
// or extended encoding is refused.
func TestSessionSerialisation(t *testing.T) {
	p := newPair(t)
	pendingA, _ := p.a.MarshalBinary() // Alice still sends initial messages
	ms := [][]byte{mustEncrypt(t, p.a, "0"), mustEncrypt(t, p.a, "1"), mustEncrypt(t, p.a, "2")}
	mustDecrypt(t, p.b, ms[2], "2") // two keys kept as skipped
	for _, s := range []*Session{p.a, p.b} {
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		c, err := UnmarshalSession(b)
		if err != nil {
			t.Fatal(err)
		}
		if b2, _ := c.MarshalBinary(); !bytes.Equal(b, b2) {
			t.Fatal("encoding not stable")
		}
		for n := range len(b) {
			if _, err := UnmarshalSession(b[:n]); err == nil {
				t.Fatalf("cut to %d of %d bytes: restored", n, len(b))
			}
		}
		if _, err := UnmarshalSession(append(bytes.Clone(b), 0)); err == nil {
			t.Fatal("trailing byte: restored")
		}
	}
	if _, err := UnmarshalSession(pendingA); err != nil {
		t.Fatal(err)
	}
	b := clone(t, p.b)
	mustDecrypt(t, b, ms[0], "0")
	mustDecrypt(t, b, ms[1], "1")
	a := clone(t, p.a)
	mustDecrypt(t, a, mustEncrypt(t, b, "reply"), "reply")
	mustDecrypt(t, b, mustEncrypt(t, a, "again"), "again")
}

// TestDeviceSerialisation: a device restored from its bytes opens initial
// messages made from the bundles it published before, and keeps the
// one-time keys it had.
func TestDeviceSerialisation(t *testing.T) {
	alice, bob := newPerson(t, 1, 1), newPerson(t, 2, 1)
	bundle := bob.bundle(t, 0, true, true)
	if err := bob.devs[0].RotateSignedPreKey(); err != nil { // the bundle's key is now the previous one
		t.Fatal(err)
	}
	raw, err := bob.devs[0].MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(raw) {
		if n%97 != 0 && n < len(raw)-200 {
			continue // every cut near the end, a sample before (ML-KEM seeds make it long)
		}
		if _, err := UnmarshalDevice(raw[:n]); err == nil {
			t.Fatalf("cut to %d of %d bytes: restored", n, len(raw))
		}
	}
	d, err := UnmarshalDevice(raw)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := d.MarshalBinary(); !bytes.Equal(raw, again) {
		t.Fatal("device encoding not stable")
	}
	if d.Identity() != bob.devs[0].Identity() {
		t.Fatal("identity changed")
	}
	a, err := Initiate(alice.devs[0], bob.list, bundle)
	if err != nil {
		t.Fatal(err)
	}
	if _, pt, err := d.Accept(alice.list, mustEncrypt(t, a, "to the restored device")); err != nil || string(pt) != "to the restored device" {
		t.Fatalf("restored device: %q, %v", pt, err)
	}
	// A second rotation forgets the bundle's signed prekey.
	if err := d.RotateSignedPreKey(); err != nil {
		t.Fatal(err)
	}
	a2, err := Initiate(alice.devs[0], bob.list, bundle)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Accept(alice.list, mustEncrypt(t, a2, "late")); !errors.Is(err, ErrUnknownPreKey) {
		t.Fatalf("signed prekey two rotations old: %v", err)
	}
}

// TestOneTimePreKeyBound: a device keeps at most MaxOneTimePreKeys of each
// kind, forgetting the oldest.
func TestOneTimePreKeyBound(t *testing.T) {
	bob := newPerson(t, 2, 1)
	d := bob.devs[0]
	var first *Upload
	for i := range MaxOneTimePreKeys/MaxPreKeysPerUpload + 1 {
		u, err := d.NewPreKeys(MaxPreKeysPerUpload)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = u
		}
	}
	if len(d.oneTime) != MaxOneTimePreKeys || len(d.oneTimeKEM) != MaxOneTimePreKeys {
		t.Fatalf("%d and %d one-time keys kept", len(d.oneTime), len(d.oneTimeKEM))
	}
	if d.oneTime[first.OneTime[0].ID] != nil {
		t.Fatal("the oldest one-time key was kept")
	}
	if _, err := d.NewPreKeys(MaxPreKeysPerUpload + 1); err == nil {
		t.Fatal("an upload over the bound made")
	}
}
