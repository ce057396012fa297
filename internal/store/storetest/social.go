package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

func testContacts(t *testing.T, s core.Store) {
	ctx := context.Background()
	owner := createUser(t, s)
	a, b, c := createUser(t, s), createUser(t, s), createUser(t, s)

	update(t, s, func(tx core.Tx) error {
		for _, x := range []*haven.User{c, a, b} {
			if err := tx.PutContact(ctx, owner.ID, haven.Contact{UserID: x.ID, FirstName: "F" + x.FirstName, LastName: "L"}); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx core.Tx) error {
		return tx.PutContact(ctx, owner.ID, haven.Contact{UserID: b.ID, FirstName: "Bee", LastName: ""})
	})
	got, err := s.Contacts(ctx, owner.ID)
	if err != nil {
		t.Fatalf("Contacts: %v", err)
	}
	want := []haven.Contact{
		{UserID: a.ID, FirstName: "F" + a.FirstName, LastName: "L"},
		{UserID: b.ID, FirstName: "Bee"},
		{UserID: c.ID, FirstName: "F" + c.FirstName, LastName: "L"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Contacts = %+v, want %+v", got, want)
	}

	if ok, err := s.IsContact(ctx, owner.ID, a.ID); err != nil || !ok {
		t.Errorf("IsContact(owner, a) = %v, %v; want true", ok, err)
	}
	if ok, err := s.IsContact(ctx, a.ID, owner.ID); err != nil || ok {
		t.Errorf("IsContact(a, owner) = %v, %v; want false (contacts are one-way)", ok, err)
	}
	if got, err := s.Contacts(ctx, a.ID); err != nil || len(got) != 0 {
		t.Errorf("Contacts(a) = %v, %v; want none", got, err)
	}
	update(t, s, func(tx core.Tx) error {
		return tx.PutContact(ctx, c.ID, haven.Contact{UserID: a.ID, FirstName: "A"})
	})
	if got, err := s.ContactOwners(ctx, a.ID, 10); err != nil || !slices.Equal(got, []int64{owner.ID, c.ID}) {
		t.Errorf("ContactOwners(a) = %v, %v; want [%d %d]", got, err, owner.ID, c.ID)
	}
	if got, err := s.ContactOwners(ctx, a.ID, 1); err != nil || !slices.Equal(got, []int64{owner.ID}) {
		t.Errorf("ContactOwners(a, limit 1) = %v, %v; want [%d]", got, err, owner.ID)
	}
	if got, err := s.ContactOwners(ctx, owner.ID, 10); err != nil || len(got) != 0 {
		t.Errorf("ContactOwners(owner) = %v, %v; want none", got, err)
	}
	update(t, s, func(tx core.Tx) error { return tx.DeleteContact(ctx, c.ID, a.ID) })

	update(t, s, func(tx core.Tx) error { return tx.DeleteContact(ctx, owner.ID, a.ID) })
	update(t, s, func(tx core.Tx) error { return tx.DeleteContact(ctx, owner.ID, a.ID) }) // missing: no error
	if ok, err := s.IsContact(ctx, owner.ID, a.ID); err != nil || ok {
		t.Errorf("IsContact after delete = %v, %v; want false", ok, err)
	}
	got, err = s.Contacts(ctx, owner.ID)
	if err != nil || !slices.Equal(got, want[1:]) {
		t.Errorf("Contacts after delete = %+v, %v; want %+v", got, err, want[1:])
	}
}

func testBlocks(t *testing.T, s core.Store) {
	ctx := context.Background()
	owner := createUser(t, s)
	a, b := createUser(t, s), createUser(t, s)

	update(t, s, func(tx core.Tx) error {
		if err := tx.Block(ctx, owner.ID, b.ID, t0); err != nil {
			return err
		}
		if err := tx.Block(ctx, owner.ID, a.ID, t0); err != nil {
			return err
		}
		return tx.Block(ctx, owner.ID, a.ID, t0.Add(time.Second)) // idempotent
	})
	got, err := s.Blocked(ctx, owner.ID)
	if err != nil || !slices.Equal(got, []int64{a.ID, b.ID}) {
		t.Errorf("Blocked = %v, %v; want [%d %d]", got, err, a.ID, b.ID)
	}
	if ok, err := s.IsBlocked(ctx, owner.ID, a.ID); err != nil || !ok {
		t.Errorf("IsBlocked(owner, a) = %v, %v; want true", ok, err)
	}
	if ok, err := s.IsBlocked(ctx, a.ID, owner.ID); err != nil || ok {
		t.Errorf("IsBlocked(a, owner) = %v, %v; want false (blocks are one-way)", ok, err)
	}

	update(t, s, func(tx core.Tx) error { return tx.Unblock(ctx, owner.ID, a.ID) })
	update(t, s, func(tx core.Tx) error { return tx.Unblock(ctx, owner.ID, a.ID) }) // idempotent
	if ok, err := s.IsBlocked(ctx, owner.ID, a.ID); err != nil || ok {
		t.Errorf("IsBlocked after Unblock = %v, %v; want false", ok, err)
	}
	got, err = s.Blocked(ctx, owner.ID)
	if err != nil || !slices.Equal(got, []int64{b.ID}) {
		t.Errorf("Blocked after Unblock = %v, %v; want [%d]", got, err, b.ID)
	}
	if got, err := s.Blocked(ctx, a.ID); err != nil || len(got) != 0 {
		t.Errorf("Blocked(a) = %v, %v; want none", got, err)
	}
}

func testPrivacy(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s)
	other := createUser(t, s)
	p, err := s.Privacy(ctx, u.ID)
	if err != nil {
		t.Fatalf("Privacy: %v", err)
	}
	if !mapsEqual(p, haven.DefaultPrivacy()) {
		t.Errorf("new user's privacy = %v, want the defaults %v", p, haven.DefaultPrivacy())
	}

	update(t, s, func(tx core.Tx) error {
		if err := tx.SetPrivacy(ctx, u.ID, haven.PrivacyLastSeen, haven.Contacts); err != nil {
			return err
		}
		return tx.SetPrivacy(ctx, u.ID, haven.PrivacyPhoneNumber, haven.Everybody)
	})
	update(t, s, func(tx core.Tx) error { return tx.SetPrivacy(ctx, u.ID, haven.PrivacyLastSeen, haven.Nobody) })
	want := haven.DefaultPrivacy()
	want[haven.PrivacyLastSeen] = haven.Nobody
	want[haven.PrivacyPhoneNumber] = haven.Everybody
	p, err = s.Privacy(ctx, u.ID)
	if err != nil || !mapsEqual(p, want) {
		t.Errorf("Privacy after set = %v, %v; want %v", p, err, want)
	}
	p, err = s.Privacy(ctx, other.ID)
	if err != nil || !mapsEqual(p, haven.DefaultPrivacy()) {
		t.Errorf("another user's privacy = %v, %v; want the defaults", p, err)
	}
}

func mapsEqual(a, b haven.Privacy) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
