package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

func testSignupInvites(t *testing.T, s core.Store) {
	ctx := context.Background()
	member := createUser(t, s)
	hash := func(code string) []byte { h := sha256.Sum256([]byte(code)); return h[:] }
	invs := []*haven.SignupInvite{
		{CodeHash: hash("a"), CreatorID: 0, CreatedAt: t0, UsageLimit: 30},
		{CodeHash: hash("b"), CreatorID: member.ID, CreatedAt: t0.Add(time.Second), ExpiresAt: t0.Add(7 * 24 * time.Hour), UsageLimit: 1},
		{CodeHash: hash("c"), CreatorID: 0, CreatedAt: t0.Add(2 * time.Second), Revoked: true},
		{CodeHash: hash("d"), CreatorID: member.ID, CreatedAt: t0.Add(3 * time.Second), UsageLimit: 1, Usage: 1},
	}
	update(t, s, func(tx core.Tx) error {
		for _, inv := range invs {
			if err := tx.CreateSignupInvite(ctx, inv); err != nil {
				return err
			}
		}
		return nil
	})
	for i, inv := range invs {
		if inv.ID == 0 || i > 0 && inv.ID <= invs[i-1].ID {
			t.Fatalf("CreateSignupInvite set ids %d after %d; want increasing ids", inv.ID, invs[max(i-1, 0)].ID)
		}
	}
	for _, want := range invs {
		got, err := s.SignupInviteByHash(ctx, want.CodeHash)
		if err != nil || !same(got, want) {
			t.Errorf("SignupInviteByHash = %+v, %v; want %+v", got, err, want)
		}
		got, err = s.SignupInviteByID(ctx, want.ID)
		if err != nil || !same(got, want) {
			t.Errorf("SignupInviteByID(%d) = %+v, %v; want %+v", want.ID, got, err, want)
		}
	}
	if _, err := s.SignupInviteByHash(ctx, hash("missing")); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("SignupInviteByHash(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.SignupInviteByID(ctx, invs[3].ID+100); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("SignupInviteByID(missing) = %v, want ErrNotFound", err)
	}

	// A second invite with the same code hash is refused.
	err := s.Update(ctx, func(tx core.Tx) error {
		return tx.CreateSignupInvite(ctx, &haven.SignupInvite{CodeHash: hash("a"), CreatedAt: t0})
	})
	if err == nil {
		t.Errorf("CreateSignupInvite with a code hash already stored succeeded")
	}

	// UpdateSignupInvite writes usage and revoked, nothing else.
	changed := *invs[0]
	changed.Usage, changed.Revoked = 7, true
	update(t, s, func(tx core.Tx) error { return tx.UpdateSignupInvite(ctx, &changed) })
	if got, err := s.SignupInviteByID(ctx, changed.ID); err != nil || !same(got, &changed) {
		t.Errorf("after UpdateSignupInvite: %+v, %v; want %+v", got, err, changed)
	}
	err = s.Update(ctx, func(tx core.Tx) error {
		return tx.UpdateSignupInvite(ctx, &haven.SignupInvite{ID: invs[3].ID + 100})
	})
	if !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("UpdateSignupInvite(missing) = %v, want ErrNotFound", err)
	}

	ids := func(list []*haven.SignupInvite, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, inv := range list {
			out = append(out, inv.ID)
		}
		return out
	}
	if got, want := ids(s.SignupInvites(ctx, member.ID)), []int64{invs[3].ID, invs[1].ID}; !slices.Equal(got, want) {
		t.Errorf("SignupInvites(member) = %v, want %v (newest first)", got, want)
	}
	if got, want := ids(s.SignupInvites(ctx, 0)), []int64{invs[2].ID, invs[0].ID}; !slices.Equal(got, want) {
		t.Errorf("SignupInvites(operator) = %v, want %v (newest first)", got, want)
	}
	if got, want := ids(s.AllSignupInvites(ctx)), []int64{invs[3].ID, invs[2].ID, invs[1].ID, invs[0].ID}; !slices.Equal(got, want) {
		t.Errorf("AllSignupInvites = %v, want %v (newest first)", got, want)
	}
	for creator, want := range map[int64]int{member.ID: 2, 0: 2, member.ID + 1000: 0} {
		if n, err := s.CountSignupInvites(ctx, creator); err != nil || n != want {
			t.Errorf("CountSignupInvites(%d) = %d, %v; want %d", creator, n, err, want)
		}
	}
	// Reads inside a transaction see its own writes.
	update(t, s, func(tx core.Tx) error {
		inv := &haven.SignupInvite{CodeHash: hash("e"), CreatorID: member.ID, CreatedAt: t0.Add(4 * time.Second), UsageLimit: 1}
		if err := tx.CreateSignupInvite(ctx, inv); err != nil {
			return err
		}
		if n, err := tx.CountSignupInvites(ctx, member.ID); err != nil || n != 3 {
			t.Errorf("CountSignupInvites in the transaction that made a third = %d, %v; want 3", n, err)
		}
		got, err := tx.SignupInviteByHash(ctx, hash("e"))
		if err != nil || got.ID != inv.ID {
			t.Errorf("SignupInviteByHash in its transaction = %+v, %v; want id %d", got, err, inv.ID)
		}
		return nil
	})
}
