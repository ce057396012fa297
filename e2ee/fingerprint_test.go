package e2ee

import (
	"encoding/hex"
	"strings"
	"testing"
)

// TestFingerprintLibsignalVector: the safety number's construction against
// libsignal's fingerprint_test_v1 (rust/protocol/src/fingerprint.rs), fed
// libsignal's key encodings and stable ids.
func TestFingerprintLibsignalVector(t *testing.T) {
	aliceKey := unhex(t, "0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868")
	bobKey := unhex(t, "05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b")
	a := fingerprintHalf(aliceKey, []byte("+14152222222"), 5200)
	b := fingerprintHalf(bobKey, []byte("+14153333333"), 5200)
	if got, want := hex.EncodeToString(a[:32]), "1e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df"; got != want {
		t.Errorf("Alice's half %s, want %s", got, want)
	}
	if got, want := hex.EncodeToString(b[:32]), "d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d"; got != want {
		t.Errorf("Bob's half %s, want %s", got, want)
	}
	sn := SafetyNumber{localDigits: digits30(a), remoteDigits: digits30(b)}
	if got, want := sn.Digits(), "300354477692869396892869876765458257569162576843440918079131"; got != want {
		t.Errorf("digits %s, want %s", got, want)
	}
}

// TestSafetyNumber: both sides see the same 60 digits; each side's QR code
// matches on the other side; another key or another user id changes both.
func TestSafetyNumber(t *testing.T) {
	alice, bob, mallory := newPerson(t, 1, 1), newPerson(t, 2, 1), newPerson(t, 2, 1)
	sa := NewSafetyNumber(1, alice.acct.Public(), 2, bob.acct.Public())
	sb := NewSafetyNumber(2, bob.acct.Public(), 1, alice.acct.Public())
	if sa.Digits() != sb.Digits() {
		t.Fatalf("the two sides differ: %s and %s", sa.Digits(), sb.Digits())
	}
	if d := sa.Digits(); len(d) != 60 || strings.Trim(d, "0123456789") != "" {
		t.Fatalf("digits %q", d)
	}
	if g := sa.Grouped(); len(strings.Fields(g)) != 12 || strings.ReplaceAll(g, " ", "") != sa.Digits() {
		t.Fatalf("grouped %q", g)
	}
	for _, tc := range []struct {
		name string
		a, b SafetyNumber
		want bool
	}{
		{"the same keys", sa, sb, true},
		{"its own code", sa, sa, false},
		{"a key in between", sa, NewSafetyNumber(2, mallory.acct.Public(), 1, alice.acct.Public()), false},
		{"another user id", sa, NewSafetyNumber(3, bob.acct.Public(), 1, alice.acct.Public()), false},
	} {
		ok, err := tc.a.MatchQR(tc.b.QR())
		if err != nil || ok != tc.want {
			t.Errorf("%s: match %v, %v; want %v", tc.name, ok, err, tc.want)
		}
		if tc.name != "its own code" && tc.want != (tc.a.Digits() == tc.b.Digits()) {
			t.Errorf("%s: digits %s and %s", tc.name, tc.a.Digits(), tc.b.Digits())
		}
	}
	qr := sa.QR()
	for i := range qr {
		if ok, err := sb.MatchQR(flip(qr, i)); ok && err == nil {
			t.Fatalf("QR byte %d changed: matched", i)
		}
	}
	if _, err := sb.MatchQR(qr[:len(qr)-1]); err == nil {
		t.Error("a cut QR payload parsed")
	}
}

// TestCompareDeviceLists: a client learns of new, removed and reinstalled
// devices and of a new account key, and refuses an older or a forked list.
func TestCompareDeviceLists(t *testing.T) {
	bob := newPerson(t, 2, 2)
	first := bob.list
	c, err := CompareDeviceLists(nil, first)
	if err != nil || len(c.Added) != 2 || !c.Changed() {
		t.Fatalf("first contact: %+v, %v", c, err)
	}
	if c, err := CompareDeviceLists(first, first); err != nil || c.Changed() {
		t.Fatalf("the same list: %+v, %v", c, err)
	}
	bob.addDevice(t, 7)
	c, err = CompareDeviceLists(first, bob.list)
	if err != nil || len(c.Added) != 1 || c.Added[0] != 7 || len(c.Removed)+len(c.Rekeyed) != 0 || c.AccountChanged {
		t.Fatalf("a device added: %+v, %v", c, err)
	}
	second := bob.list
	// Device 1 reinstalled (new key, same id), device 2 removed.
	d1, err := NewDevice(2, bob.acct.Public(), 1)
	if err != nil {
		t.Fatal(err)
	}
	bob.devs = []*Device{d1, bob.devs[2]}
	bob.resign(t)
	c, err = CompareDeviceLists(second, bob.list)
	if err != nil || len(c.Rekeyed) != 1 || c.Rekeyed[0] != 1 || len(c.Removed) != 1 || c.Removed[0] != 2 || len(c.Added) != 0 {
		t.Fatalf("a device reinstalled and one removed: %+v, %v", c, err)
	}
	if _, err := CompareDeviceLists(bob.list, second); err == nil {
		t.Fatal("an older list accepted")
	}
	// The same version signed twice with other devices: a fork.
	fork, err := SignDeviceList(bob.acct, 2, bob.list.Version, []DeviceEntry{{ID: 9, Key: d1.Key()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CompareDeviceLists(bob.list, fork); err == nil {
		t.Fatal("two lists of one version accepted")
	}
	// A new account key: every safety number changes.
	other := newPerson(t, 2, 1)
	if c, err := CompareDeviceLists(bob.list, other.list); err != nil || !c.AccountChanged {
		t.Fatalf("a new account key: %+v, %v", c, err)
	}
	if _, err := CompareDeviceLists(bob.list, newPerson(t, 3, 1).list); err == nil {
		t.Fatal("lists of two users compared")
	}
}

// TestSignDeviceListChecks: SignDeviceList refuses what ParseDeviceList
// would refuse.
func TestSignDeviceListChecks(t *testing.T) {
	acct, err := NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	k := DeviceKey{}
	for _, devs := range [][]DeviceEntry{
		nil,
		{{ID: 0, Key: k}},
		{{ID: 1, Key: k}, {ID: 1, Key: k}},
		make([]DeviceEntry, MaxDevices+1),
	} {
		if _, err := SignDeviceList(acct, 1, 1, devs); err == nil {
			t.Errorf("%d devices %v: signed", len(devs), devs)
		}
	}
	restored, err := AccountKeyFromSeed(acct.Seed())
	if err != nil || restored.Public() != acct.Public() {
		t.Fatalf("account key from its seed: %v", err)
	}
}
