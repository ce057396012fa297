package e2ee

import (
	"bytes"
	"testing"
)

// flip returns b with byte i changed.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

// TestTamperInitialMessage: every byte of an initial message, changed,
// makes Accept fail, and a failed Accept uses up no prekey: the genuine
// message still opens after all of them.
func TestTamperInitialMessage(t *testing.T) {
	alice, bob := newPerson(t, 1, 1), newPerson(t, 2, 1)
	a, err := Initiate(alice.devs[0], bob.list, bob.bundle(t, 0, true, true))
	if err != nil {
		t.Fatal(err)
	}
	m := mustEncrypt(t, a, "genuine")
	for i := range m {
		if s, pt, err := bob.devs[0].Accept(alice.list, flip(m, i)); err == nil {
			t.Fatalf("byte %d of %d changed: accepted %q (%v)", i, len(m), pt, s != nil)
		}
	}
	for _, n := range []int{0, 1, len(m) / 2, len(m) - 1} {
		if _, _, err := bob.devs[0].Accept(alice.list, m[:n]); err == nil {
			t.Fatalf("cut to %d bytes: accepted", n)
		}
	}
	if _, _, err := bob.devs[0].Accept(alice.list, append(bytes.Clone(m), 0)); err == nil {
		t.Fatal("a trailing byte: accepted")
	}
	b, pt, err := bob.devs[0].Accept(alice.list, m)
	if err != nil || string(pt) != "genuine" {
		t.Fatalf("the genuine message after the forgeries: %q, %v", pt, err)
	}
	// The same message again within the session it made: every changed
	// byte fails there too.
	m2 := mustEncrypt(t, a, "second")
	for i := range m2 {
		if _, err := clone(t, b).Decrypt(flip(m2, i)); err == nil {
			t.Fatalf("byte %d of the second initial message changed: opened", i)
		}
	}
	mustDecrypt(t, b, m2, "second")
}

// TestTamperRatchetMessage: every byte of a ratchet message, changed, fails
// and leaves the state as it was.
func TestTamperRatchetMessage(t *testing.T) {
	p := newPair(t)
	mustDecrypt(t, p.a, mustEncrypt(t, p.b, "answer"), "answer")
	for _, turn := range []string{"same chain", "new chain"} {
		m := mustEncrypt(t, p.a, turn)
		if m[0] != tagMessage {
			t.Fatal("not a ratchet message")
		}
		before, _ := p.b.MarshalBinary()
		for i := range m {
			if pt, err := p.b.Decrypt(flip(m, i)); err == nil {
				t.Fatalf("%s: byte %d of %d changed: opened %q", turn, i, len(m), pt)
			}
			if i < messageHdrSz {
				if _, err := p.b.Decrypt(m[:i]); err == nil {
					t.Fatalf("%s: cut to %d bytes: opened", turn, i)
				}
			}
		}
		if after, _ := p.b.MarshalBinary(); !bytes.Equal(before, after) {
			t.Fatalf("%s: forgeries changed the state", turn)
		}
		mustDecrypt(t, p.b, m, turn)
		mustDecrypt(t, p.a, mustEncrypt(t, p.b, "ack"), "ack")
	}
}

// TestTamperEnvelope: every byte of an envelope, changed, fails parsing,
// routing or decryption.
func TestTamperEnvelope(t *testing.T) {
	alice, bob := newPerson(t, 1, 1), newPerson(t, 2, 1)
	as := NewSessions(alice.devs[0].Identity())
	bs := NewSessions(bob.devs[0].Identity())
	a, err := Initiate(alice.devs[0], bob.list, bob.bundle(t, 0, true, true))
	if err != nil {
		t.Fatal(err)
	}
	as.Put(a)
	for _, text := range []string{"initial", "ratchet"} {
		envs, err := as.Encrypt([]Address{{User: 2, Device: 1}}, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		wire, _ := envs[0].MarshalBinary()
		for i := range wire {
			e, err := ParseEnvelope(flip(wire, i))
			if err != nil {
				continue
			}
			if pt, err := bs.Decrypt(bob.devs[0], alice.list, e); err == nil {
				t.Fatalf("%s: byte %d of %d changed: opened %q", text, i, len(wire), pt)
			}
		}
		e, err := ParseEnvelope(wire)
		if err != nil {
			t.Fatal(err)
		}
		pt, err := bs.Decrypt(bob.devs[0], alice.list, e)
		if err != nil || string(pt) != text {
			t.Fatalf("%s: genuine envelope: %q, %v", text, pt, err)
		}
		// Bob answers so that Alice's next message is a ratchet message.
		back, err := bs.Encrypt([]Address{{User: 1, Device: 1}}, []byte("ok"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := as.Decrypt(alice.devs[0], nil, &back[0]); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTamperBundle: every byte of a bundle, changed, fails parsing or
// verification, so Alice never starts a session from an altered one.
func TestTamperBundle(t *testing.T) {
	bob := newPerson(t, 2, 2)
	for _, withOneTime := range []bool{true, false} {
		b, _ := bob.bundle(t, 1, withOneTime, withOneTime).MarshalBinary()
		for i := range b {
			if bb, err := ParseBundle(flip(b, i)); err == nil {
				if _, err := bb.Verify(bob.list); err == nil {
					t.Fatalf("byte %d of %d changed: verified", i, len(b))
				}
			}
		}
		bb, err := ParseBundle(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bb.Verify(bob.list); err != nil {
			t.Fatal(err)
		}
		// Another person's list does not vouch for it.
		if _, err := bb.Verify(newPerson(t, 2, 2).list); err == nil {
			t.Fatal("verified against another account's list")
		}
	}
}

// TestTamperUpload: every byte of an upload, changed, fails parsing or its
// signatures.
func TestTamperUpload(t *testing.T) {
	bob := newPerson(t, 2, 1)
	u, err := bob.devs[0].NewPreKeys(2)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := u.MarshalBinary()
	for i := range b {
		if _, err := ParseUpload(flip(b, i)); err == nil {
			t.Fatalf("byte %d of %d changed: parsed", i, len(b))
		}
	}
	if _, err := ParseUpload(b); err != nil {
		t.Fatal(err)
	}
}

// TestTamperDeviceList: every byte of a device list, changed, fails
// parsing or its signature.
func TestTamperDeviceList(t *testing.T) {
	bob := newPerson(t, 2, 3)
	b, _ := bob.list.MarshalBinary()
	for i := range b {
		if _, err := ParseDeviceList(flip(b, i)); err == nil {
			t.Fatalf("byte %d of %d changed: parsed", i, len(b))
		}
	}
	for n := range len(b) {
		if _, err := ParseDeviceList(b[:n]); err == nil {
			t.Fatalf("cut to %d bytes: parsed", n)
		}
	}
}
