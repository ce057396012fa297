package e2ee

import (
	"bytes"
	"io"
	"testing"
)

// Fuzz targets for every parser of outside input. Each checks that a
// parser never panics, and that what it accepts re-encodes to the very
// bytes it read (one encoding per value: nothing malleable slips through).
// Run one with, e.g.: go test ./e2ee -run '^$' -fuzz '^FuzzParseEnvelope$' -fuzztime 60s

func FuzzParseEnvelope(f *testing.F) {
	alice, bob := newPerson(f, 1, 1), newPerson(f, 2, 1)
	a, err := Initiate(alice.devs[0], bob.list, bob.bundle(f, 0, true, true))
	if err != nil {
		f.Fatal(err)
	}
	ss := NewSessions(alice.devs[0].Identity())
	ss.Put(a)
	envs, err := ss.Encrypt([]Address{{User: 2, Device: 1}}, []byte("seed"))
	if err != nil {
		f.Fatal(err)
	}
	b, _ := envs[0].MarshalBinary()
	f.Add(b)
	small, _ := (&Envelope{From: Address{1, 1}, To: Address{2, 1}, Body: []byte{tagMessage, version, 1, 2, 3}}).MarshalBinary()
	f.Add(small)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEnvelope(b)
		if err != nil {
			return
		}
		again, err := e.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-encoded differently: %v", err)
		}
	})
}

func FuzzParseBundle(f *testing.F) {
	bob := newPerson(f, 2, 1)
	for _, ot := range []bool{true, false} {
		b, _ := bob.bundle(f, 0, ot, ot).MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		bu, err := ParseBundle(b)
		if err != nil {
			return
		}
		again, _ := bu.MarshalBinary()
		if !bytes.Equal(again, b) {
			t.Fatal("re-encoded differently")
		}
		bu.Verify(bob.list) // must not panic
	})
}

func FuzzParseDeviceList(f *testing.F) {
	bob := newPerson(f, 2, 3)
	b, _ := bob.list.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseDeviceList(b)
		if err != nil {
			return
		}
		if again, _ := l.MarshalBinary(); !bytes.Equal(again, b) {
			t.Fatal("re-encoded differently")
		}
		CompareDeviceLists(bob.list, l)
	})
}

func FuzzParseUpload(f *testing.F) {
	bob := newPerson(f, 2, 1)
	u, err := bob.devs[0].NewPreKeys(1)
	if err != nil {
		f.Fatal(err)
	}
	b, _ := u.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := ParseUpload(b)
		if err != nil {
			return
		}
		if again, _ := u.MarshalBinary(); !bytes.Equal(again, b) {
			t.Fatal("re-encoded differently")
		}
	})
}

// FuzzDecrypt feeds arbitrary messages to a live session and to a device
// accepting initial messages: nothing panics, nothing unauthenticated
// opens, and a failure leaves the state as it was.
func FuzzDecrypt(f *testing.F) {
	p := newPair(f)
	f.Add(mustEncrypt(f, p.a, "initial"))
	mustDecrypt(f, p.a, mustEncrypt(f, p.b, "answer"), "answer")
	f.Add(mustEncrypt(f, p.a, "ratchet"))
	before, _ := p.b.MarshalBinary()
	dev, _ := p.bob.devs[0].MarshalBinary()
	f.Fuzz(func(t *testing.T, m []byte) {
		s, err := UnmarshalSession(before)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Decrypt(m); err == nil {
			// Only a seed itself may open (a fuzzer cannot forge one).
			return
		}
		if after, _ := s.MarshalBinary(); !bytes.Equal(before, after) {
			t.Fatal("a failed decryption changed the session")
		}
		d, err := UnmarshalDevice(dev)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.Accept(p.alice.list, m); err != nil {
			if after, _ := d.MarshalBinary(); !bytes.Equal(dev, after) {
				t.Fatal("a failed Accept changed the device")
			}
		}
	})
}

func FuzzUnmarshalSession(f *testing.F) {
	p := newPair(f)
	for _, s := range []*Session{p.a, p.b} {
		b, _ := s.MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := UnmarshalSession(b)
		if err != nil {
			return
		}
		if again, _ := s.MarshalBinary(); !bytes.Equal(again, b) {
			t.Fatal("re-encoded differently")
		}
		s.Encrypt([]byte("x"))
	})
}

func FuzzUnmarshalSessions(f *testing.F) {
	p := newPair(f)
	ss := NewSessions(p.bob.devs[0].Identity())
	ss.Put(p.b)
	b, _ := ss.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		ss, err := UnmarshalSessions(b)
		if err != nil {
			return
		}
		if again, _ := ss.MarshalBinary(); !bytes.Equal(again, b) {
			t.Fatal("re-encoded differently")
		}
	})
}

func FuzzUnmarshalDevice(f *testing.F) {
	bob := newPerson(f, 2, 1)
	bob.devs[0].NewPreKeys(1)
	b, _ := bob.devs[0].MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := UnmarshalDevice(b)
		if err != nil {
			return
		}
		if again, _ := d.MarshalBinary(); !bytes.Equal(again, b) {
			t.Fatal("re-encoded differently")
		}
	})
}

func FuzzDecryptAttachment(f *testing.F) {
	ct, key, digest, err := SealAttachment([]byte("seed"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ct)
	f.Fuzz(func(t *testing.T, b []byte) {
		var out bytes.Buffer
		if err := DecryptAttachment(&out, bytes.NewReader(b), key, digest); err == nil && !bytes.Equal(b, ct) {
			t.Fatal("a forged attachment decrypted")
		}
		DecryptAttachment(io.Discard, bytes.NewReader(b), AttachmentKey{}, Digest{})
	})
}

func FuzzMatchQR(f *testing.F) {
	sn := NewSafetyNumber(1, AccountPublic{1}, 2, AccountPublic{2})
	f.Add(sn.QR())
	f.Fuzz(func(t *testing.T, b []byte) { sn.MatchQR(b) })
}
