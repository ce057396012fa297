package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// What must be unique across people and chats (a phone number, an email
// address, a username, a private chat's pair) is kept so by the store
// itself (on PostgreSQL, lookup tables keyed by the value: ADR 0016, amended):
// these tests hold it to that, one at a time and at once.

// testPhoneEmailUnique: a phone number or an email address belongs to
// one account; a sign-up or a change to one held is refused with
// CodeAccountExists and leaves nothing behind; one given up, by a change
// or by erasing the account, is anyone's.
func testPhoneEmailUnique(t *testing.T, s core.Store) {
	ctx := context.Background()
	a := createUser(t, s)
	for name, mod := range map[string]func(*haven.User){
		"phone": func(u *haven.User) { u.Phone = a.Phone },
		"email": func(u *haven.User) { u.Email = a.Email },
	} {
		b := newUser(mod)
		if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, b) }); !isCode(err, haven.CodeAccountExists) {
			t.Fatalf("sign-up with a taken %s = %v, want %s", name, err, haven.CodeAccountExists)
		}
		// Nothing of the failed sign-up is left: its other values are free.
		if _, err := s.UserByUsername(ctx, b.Username); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("user of the failed sign-up (%s) found: %v", name, err)
		}
		again := newUser(func(u *haven.User) { u.Username, u.Phone, u.Email = b.Username, b.Phone, b.Email })
		if name == "phone" {
			again.Phone = newUser().Phone
		} else {
			again.Email = newUser().Email
		}
		update(t, s, func(tx core.Tx) error { return tx.CreateUser(ctx, again) })

		// A change to a taken value is refused and changes nothing.
		changed := *again
		mod(&changed)
		changed.FirstName = "Changed"
		if err := s.Update(ctx, func(tx core.Tx) error { return tx.UpdateUser(ctx, &changed) }); !isCode(err, haven.CodeAccountExists) {
			t.Errorf("change to a taken %s = %v, want %s", name, err, haven.CodeAccountExists)
		}
		if got, err := s.UserByID(ctx, again.ID); err != nil || got.FirstName != again.FirstName || got.Phone != again.Phone || got.Email != again.Email {
			t.Errorf("after the refused change of %s: %+v, %v", name, got, err)
		}
		if got, err := s.UserByPhone(ctx, a.Phone); err != nil || got.ID != a.ID {
			t.Errorf("UserByPhone(a) after the refused change of %s = %+v, %v", name, got, err)
		}
	}

	// A phone number and an email address given up by a change are free;
	// the new ones are the account's.
	oldPhone, oldEmail := a.Phone, a.Email
	fresh := newUser()
	a.Phone, a.Email = fresh.Phone, fresh.Email
	update(t, s, func(tx core.Tx) error { return tx.UpdateUser(ctx, a) })
	if got, err := s.UserByPhone(ctx, a.Phone); err != nil || got.ID != a.ID {
		t.Errorf("UserByPhone(new phone) = %+v, %v; want user %d", got, err, a.ID)
	}
	if got, err := s.UserByEmail(ctx, a.Email); err != nil || got.ID != a.ID {
		t.Errorf("UserByEmail(new email) = %+v, %v; want user %d", got, err, a.ID)
	}
	for _, lookup := range []func() (*haven.User, error){
		func() (*haven.User, error) { return s.UserByPhone(ctx, oldPhone) },
		func() (*haven.User, error) { return s.UserByEmail(ctx, oldEmail) },
	} {
		if got, err := lookup(); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("a value given up still finds %+v, %v", got, err)
		}
	}
	heir := createUser(t, s, func(u *haven.User) { u.Phone, u.Email = oldPhone, oldEmail })
	if got, err := s.UserByPhone(ctx, oldPhone); err != nil || got.ID != heir.ID {
		t.Errorf("UserByPhone(given up, taken again) = %+v, %v; want user %d", got, err, heir.ID)
	}

	// A deleted account holds its values until it is erased.
	dead := createUser(t, s, func(u *haven.User) { u.Deleted = true })
	if err := s.Update(ctx, func(tx core.Tx) error {
		return tx.CreateUser(ctx, newUser(func(u *haven.User) { u.Phone = dead.Phone }))
	}); !isCode(err, haven.CodeAccountExists) {
		t.Errorf("sign-up with a deleted account's phone = %v, want %s", err, haven.CodeAccountExists)
	}
	update(t, s, func(tx core.Tx) error {
		_, err := tx.EraseUser(ctx, dead.ID)
		return err
	})
	createUser(t, s, func(u *haven.User) { u.Phone, u.Email, u.Username = dead.Phone, dead.Email, dead.Username })
}

// testConcurrentSignups: sign-ups with the same phone number, email
// address or username at once make one account; the others fail with
// the named error.
func testConcurrentSignups(t *testing.T, s core.Store) {
	ctx := context.Background()
	const n = 8
	for name, tc := range map[string]struct {
		mod  func(shared *haven.User) func(*haven.User)
		code string
	}{
		"phone":    {func(x *haven.User) func(*haven.User) { return func(u *haven.User) { u.Phone = x.Phone } }, haven.CodeAccountExists},
		"email":    {func(x *haven.User) func(*haven.User) { return func(u *haven.User) { u.Email = x.Email } }, haven.CodeAccountExists},
		"username": {func(x *haven.User) func(*haven.User) { return func(u *haven.User) { u.Username = x.Username } }, haven.CodeUsernameOccupied},
	} {
		shared := newUser()
		users := make([]*haven.User, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			users[i] = newUser(tc.mod(shared))
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, users[i]) })
			}()
		}
		wg.Wait()
		var made []int64
		for i, err := range errs {
			switch {
			case err == nil:
				made = append(made, users[i].ID)
			case !isCode(err, tc.code):
				t.Errorf("%s: sign-up %d = %v, want success or %s", name, i, err, tc.code)
			}
		}
		if len(made) != 1 {
			t.Fatalf("%s: %d concurrent sign-ups with one value made %d accounts (%v), want 1", name, n, len(made), made)
		}
		var got *haven.User
		var err error
		switch name {
		case "phone":
			got, err = s.UserByPhone(ctx, shared.Phone)
		case "email":
			got, err = s.UserByEmail(ctx, shared.Email)
		default:
			got, err = s.UserByUsername(ctx, shared.Username)
		}
		if err != nil || got.ID != made[0] {
			t.Errorf("%s: lookup = %+v, %v; want the one account %d", name, got, err, made[0])
		}
	}
}

// testConcurrentPrivateChats: two people (or more requests) opening
// their private chat at once get one chat: each request finds it or
// makes it, and a request that lost the race is refused with
// CodeChatExists, never given a second chat. Half the requests create
// without looking first, as one that looked before the other committed
// would: the store alone must refuse them.
func testConcurrentPrivateChats(t *testing.T, s core.Store) {
	ctx := context.Background()
	a, b := createUser(t, s), createUser(t, s)
	const n = 8
	ids := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			me, other := a.ID, b.ID
			if i%2 == 1 {
				me, other = other, me
			}
			errs[i] = s.Update(ctx, func(tx core.Tx) error {
				if i < n/2 {
					id, err := tx.PrivateChatID(ctx, me, other)
					if err == nil {
						ids[i] = id
						return nil
					}
					if !errors.Is(err, haven.ErrNotFound) {
						return err
					}
				}
				c := &haven.Chat{Kind: haven.ChatPrivate, CreatorID: me, CreatedAt: t0, PeerA: me, PeerB: other, MemberCount: 2}
				if err := tx.CreateChat(ctx, c); err != nil {
					return err
				}
				ids[i] = c.ID
				return nil
			})
		}()
	}
	wg.Wait()
	want, err := s.PrivateChatID(ctx, a.ID, b.ID)
	if err != nil {
		t.Fatalf("PrivateChatID after the race: %v", err)
	}
	for i := range n {
		switch {
		case errs[i] == nil && ids[i] != want:
			t.Errorf("request %d got chat %d, want the one chat %d", i, ids[i], want)
		case errs[i] != nil && !isCode(errs[i], haven.CodeChatExists):
			t.Errorf("request %d = %v, want the chat or %s", i, errs[i], haven.CodeChatExists)
		}
	}
	if c, err := s.ChatByID(ctx, want); err != nil || c.Kind != haven.ChatPrivate || c.Other(a.ID) != b.ID {
		t.Errorf("the private chat = %+v, %v", c, err)
	}
}
