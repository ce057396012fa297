package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

func secretDevice(sessionID, userID int64, deviceID uint32, key string) *haven.SecretDevice {
	return &haven.SecretDevice{SessionID: sessionID, UserID: userID, DeviceID: deviceID,
		SignKey: hash("sign " + key), DHKey: hash("dh " + key),
		Signed:     haven.SecretPreKey{Kind: haven.PreKeyX25519, ID: 1, Public: hash("spk " + key), Signature: bytes.Repeat([]byte("s"), 64)},
		LastResort: haven.SecretPreKey{Kind: haven.PreKeyKEM, ID: 2, Public: bytes.Repeat([]byte("k"), 1184), Signature: bytes.Repeat([]byte("t"), 64)},
		UpdatedAt:  t0}
}

func preKeys(kind haven.SecretPreKeyKind, ids ...uint32) []haven.SecretPreKey {
	var out []haven.SecretPreKey
	for _, id := range ids {
		out = append(out, haven.SecretPreKey{Kind: kind, ID: id, Public: hash(string(rune('a' + id))), Signature: hash("sig")})
	}
	return out
}

func testSecretKeys(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s)
	s1 := createSession(t, s, u.ID, "secret-1", t0)
	s2 := createSession(t, s, u.ID, "secret-2", t0)

	if _, _, err := s.SecretDeviceList(ctx, u.ID); !errors.Is(err, haven.ErrNotFound) {
		t.Fatalf("SecretDeviceList of none = %v, want ErrNotFound", err)
	}
	update(t, s, func(tx core.Tx) error { return tx.PutSecretDeviceList(ctx, u.ID, 1, []byte("v1")) })
	update(t, s, func(tx core.Tx) error { return tx.PutSecretDeviceList(ctx, u.ID, 2, []byte("v2")) })
	if v, l, err := s.SecretDeviceList(ctx, u.ID); err != nil || v != 2 || string(l) != "v2" {
		t.Fatalf("SecretDeviceList = %d %q %v, want 2 v2", v, l, err)
	}

	d1 := secretDevice(s1.ID, u.ID, 5, "one")
	update(t, s, func(tx core.Tx) error { return tx.PutSecretDevice(ctx, d1) })
	got, err := s.SecretDeviceOf(ctx, s1.UserID, s1.ID)
	if err != nil || got.DeviceID != 5 || !bytes.Equal(got.LastResort.Public, d1.LastResort.Public) || got.Signed.ID != 1 || got.LastResort.ID != 2 || !got.UpdatedAt.Equal(t0) {
		t.Fatalf("SecretDeviceOf = %+v, %v", got, err)
	}
	err = s.Update(ctx, func(tx core.Tx) error { return tx.PutSecretDevice(ctx, secretDevice(s2.ID, u.ID, 5, "two")) })
	if !isCode(err, haven.CodeSecretDeviceTaken) {
		t.Fatalf("another session with the same device id: %v, want %s", err, haven.CodeSecretDeviceTaken)
	}
	update(t, s, func(tx core.Tx) error { return tx.PutSecretDevice(ctx, secretDevice(s2.ID, u.ID, 6, "two")) })
	if ds, err := s.SecretDevices(ctx, u.ID); err != nil || len(ds) != 2 || ds[0].DeviceID != 5 || ds[1].DeviceID != 6 {
		t.Fatalf("SecretDevices = %+v, %v", ds, err)
	}

	// One-time prekeys: duplicates kept once, the newest kept past the
	// bound, taken oldest first and each once.
	update(t, s, func(tx core.Tx) error {
		return tx.AddSecretPreKeys(ctx, s1.UserID, s1.ID, append(preKeys(haven.PreKeyX25519, 10, 11, 12), preKeys(haven.PreKeyKEM, 20)...), 3)
	})
	update(t, s, func(tx core.Tx) error {
		return tx.AddSecretPreKeys(ctx, s1.UserID, s1.ID, preKeys(haven.PreKeyX25519, 12, 13), 3)
	})
	if x, kem, err := s.SecretPreKeyCounts(ctx, s1.UserID, s1.ID); err != nil || x != 3 || kem != 1 {
		t.Fatalf("counts = %d, %d, %v; want 3 and 1", x, kem, err)
	}
	var taken []uint32
	for range 4 {
		err := s.Update(ctx, func(tx core.Tx) error {
			k, err := tx.TakeSecretPreKey(ctx, s1.UserID, s1.ID, haven.PreKeyX25519)
			if err == nil {
				taken = append(taken, k.ID)
			}
			return err
		})
		if len(taken) < 3 && err != nil || len(taken) == 3 && err != nil && !errors.Is(err, haven.ErrNotFound) {
			t.Fatalf("TakeSecretPreKey: %v", err)
		}
	}
	if len(taken) != 3 || taken[0] != 11 || taken[1] != 12 || taken[2] != 13 {
		t.Fatalf("taken %v, want 11 12 13 (10 dropped past the bound of 3)", taken)
	}

	// New device keys in the same session drop the old one-time prekeys.
	update(t, s, func(tx core.Tx) error { return tx.PutSecretDevice(ctx, secretDevice(s1.ID, u.ID, 5, "reinstalled")) })
	if x, kem, _ := s.SecretPreKeyCounts(ctx, s1.UserID, s1.ID); x != 0 || kem != 0 {
		t.Fatalf("after new device keys: %d, %d prekeys left", x, kem)
	}

	// Envelopes: queued once per random id, listed in order, acknowledged
	// up to an id, expired by age.
	for i, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour)} {
		e := &haven.SecretEnvelope{SessionID: s2.ID, UserID: s2.UserID, RandomID: int64(100 + i), Envelope: []byte{byte(i)}, CreatedAt: at}
		var ok bool
		update(t, s, func(tx core.Tx) (err error) { ok, err = tx.PutSecretEnvelope(ctx, e); return err })
		if !ok || e.ID == 0 {
			t.Fatalf("PutSecretEnvelope %d: queued %v, id %d", i, ok, e.ID)
		}
	}
	var again bool
	update(t, s, func(tx core.Tx) (err error) {
		again, err = tx.PutSecretEnvelope(ctx, &haven.SecretEnvelope{SessionID: s2.ID, UserID: s2.UserID, RandomID: 100, Envelope: []byte("x"), CreatedAt: t0})
		return err
	})
	if again {
		t.Fatal("a repeated random id queued again")
	}
	es, err := s.SecretEnvelopes(ctx, s2.UserID, s2.ID, 0, 2)
	if err != nil || len(es) != 2 || es[0].Envelope[0] != 0 || es[1].Envelope[0] != 1 || !es[0].CreatedAt.Equal(t0) {
		t.Fatalf("SecretEnvelopes = %+v, %v", es, err)
	}
	if n, _ := s.SecretQueueLength(ctx, s2.UserID, s2.ID, 2); n != 2 {
		t.Fatalf("SecretQueueLength up to 2 = %d", n)
	}
	var n int
	update(t, s, func(tx core.Tx) (err error) {
		n, err = tx.DeleteSecretEnvelopes(ctx, s2.UserID, s2.ID, es[0].ID)
		return err
	})
	if n != 1 {
		t.Fatalf("DeleteSecretEnvelopes = %d, want 1", n)
	}
	update(t, s, func(tx core.Tx) (err error) {
		n, err = tx.DeleteSecretEnvelopesBefore(ctx, t0.Add(90*time.Minute), 10)
		return err
	})
	if n != 1 {
		t.Fatalf("DeleteSecretEnvelopesBefore = %d, want 1", n)
	}
	if n, _ := s.SecretQueueLength(ctx, s2.UserID, s2.ID, 100); n != 1 {
		t.Fatalf("queue length = %d, want 1", n)
	}

	// Ending a session deletes its device, prekeys and queue; erasing
	// the account its list.
	update(t, s, func(tx core.Tx) error {
		return tx.AddSecretPreKeys(ctx, s2.UserID, s2.ID, preKeys(haven.PreKeyKEM, 1), 10)
	})
	update(t, s, func(tx core.Tx) error { return tx.DeleteSession(ctx, s2.UserID, s2.ID) })
	if _, err := s.SecretDeviceOf(ctx, s2.UserID, s2.ID); !errors.Is(err, haven.ErrNotFound) {
		t.Fatalf("the device of an ended session: %v", err)
	}
	if x, kem, _ := s.SecretPreKeyCounts(ctx, s2.UserID, s2.ID); x+kem != 0 {
		t.Fatal("prekeys of an ended session are left")
	}
	if n, _ := s.SecretQueueLength(ctx, s2.UserID, s2.ID, 100); n != 0 {
		t.Fatal("the queue of an ended session is left")
	}
	update(t, s, func(tx core.Tx) error { _, err := tx.EraseUser(ctx, u.ID); return err })
	if _, _, err := s.SecretDeviceList(ctx, u.ID); !errors.Is(err, haven.ErrNotFound) {
		t.Fatalf("the device list of an erased account: %v", err)
	}
	if ds, _ := s.SecretDevices(ctx, u.ID); len(ds) != 0 {
		t.Fatalf("devices of an erased account: %+v", ds)
	}
}
