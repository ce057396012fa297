package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

func testLoginAttempts(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s)
	a := &haven.LoginAttempt{
		TokenHash:  hash("login-token"),
		Identifier: "+15551230000",
		Kind:       haven.KindPhone,
		CodeHash:   hash("code"),
		Device:     "phone",
		CreatedAt:  t0,
		ExpiresAt:  t0.Add(5 * time.Minute),
		Step:       haven.StepCodeSent,
	}
	update(t, s, func(tx core.Tx) error { return tx.CreateLoginAttempt(ctx, a) })
	if a.ID <= 0 {
		t.Fatalf("CreateLoginAttempt set ID %d", a.ID)
	}
	check := func(want *haven.LoginAttempt) {
		t.Helper()
		got, err := s.LoginAttemptByToken(ctx, want.TokenHash)
		if err != nil {
			t.Fatalf("LoginAttemptByToken: %v", err)
		}
		if got.ID != want.ID || string(got.TokenHash) != string(want.TokenHash) || got.Identifier != want.Identifier ||
			got.Kind != want.Kind || string(got.CodeHash) != string(want.CodeHash) || got.Attempts != want.Attempts ||
			got.Device != want.Device || !got.CreatedAt.Equal(want.CreatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) ||
			got.Step != want.Step || got.UserID != want.UserID ||
			string(got.RecoveryCodeHash) != string(want.RecoveryCodeHash) {
			t.Errorf("login attempt:\n got %+v\nwant %+v", got, want)
		}
	}
	check(a)

	a.Attempts, a.Step, a.UserID, a.Device, a.RecoveryCodeHash = 2, haven.StepPasswordRequired, u.ID, "laptop", hash("recovery")
	changed := *a
	changed.Identifier, changed.CodeHash = "someone@else.org", hash("other") // not written by UpdateLoginAttempt
	update(t, s, func(tx core.Tx) error { return tx.UpdateLoginAttempt(ctx, &changed) })
	check(a)

	// Back to a sign-up: UserID 0 and no recovery code.
	a.UserID, a.Step, a.RecoveryCodeHash = 0, haven.StepSignUpRequired, nil
	update(t, s, func(tx core.Tx) error { return tx.UpdateLoginAttempt(ctx, a) })
	check(a)

	missing := *a
	missing.TokenHash = hash("another token") // attempts are found by their token
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.UpdateLoginAttempt(ctx, &missing) }); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("UpdateLoginAttempt(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.LoginAttemptByToken(ctx, hash("no such token")); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("LoginAttemptByToken(missing) = %v, want ErrNotFound", err)
	}

	update(t, s, func(tx core.Tx) error { return tx.DeleteLoginAttempt(ctx, a.TokenHash) })
	if _, err := s.LoginAttemptByToken(ctx, a.TokenHash); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("deleted attempt: %v, want ErrNotFound", err)
	}
	update(t, s, func(tx core.Tx) error { return tx.DeleteLoginAttempt(ctx, a.TokenHash) }) // missing: no error
}

func testDeleteExpiredLoginAttempts(t *testing.T, s core.Store) {
	ctx := context.Background()
	expires := []time.Duration{-time.Hour, -time.Millisecond, 0, time.Millisecond, time.Hour}
	var attempts []*haven.LoginAttempt
	update(t, s, func(tx core.Tx) error {
		for i, d := range expires {
			a := &haven.LoginAttempt{
				TokenHash: hash(fmt.Sprintf("token-%d", i)), Identifier: fmt.Sprintf("a%d@example.org", i),
				Kind: haven.KindEmail, CodeHash: hash("c"), CreatedAt: t0.Add(-time.Hour),
				ExpiresAt: t0.Add(d), Step: haven.StepCodeSent,
			}
			if err := tx.CreateLoginAttempt(ctx, a); err != nil {
				return err
			}
			attempts = append(attempts, a)
		}
		return nil
	})
	var n int
	update(t, s, func(tx core.Tx) error {
		var err error
		n, err = tx.DeleteExpiredLoginAttempts(ctx, t0)
		return err
	})
	if n != 2 {
		t.Errorf("DeleteExpiredLoginAttempts = %d, want 2", n)
	}
	for i, a := range attempts {
		_, err := s.LoginAttemptByToken(ctx, a.TokenHash)
		if expired := expires[i] < 0; expired != errors.Is(err, haven.ErrNotFound) {
			t.Errorf("attempt expiring at now%+v: lookup error %v (expired %v)", expires[i], err, expired)
		}
	}
	update(t, s, func(tx core.Tx) error {
		var err error
		n, err = tx.DeleteExpiredLoginAttempts(ctx, t0)
		return err
	})
	if n != 0 {
		t.Errorf("second DeleteExpiredLoginAttempts = %d, want 0", n)
	}
}

// createSession stores a session of userID created at the given time.
func createSession(t *testing.T, s core.Store, userID int64, token string, created time.Time) *haven.Session {
	t.Helper()
	ss := &haven.Session{UserID: userID, TokenHash: hash(token), Device: "dev " + token, CreatedAt: created, LastActiveAt: created}
	update(t, s, func(tx core.Tx) error { return tx.CreateSession(context.Background(), ss) })
	return ss
}

func equalSession(t *testing.T, got, want *haven.Session) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || string(got.TokenHash) != string(want.TokenHash) ||
		got.Device != want.Device || !got.CreatedAt.Equal(want.CreatedAt) ||
		!got.LastActiveAt.Equal(want.LastActiveAt) || got.IP != want.IP {
		t.Errorf("session:\n got %+v\nwant %+v", got, want)
	}
}

func testSessions(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s)
	other := createUser(t, s)
	s1 := createSession(t, s, u.ID, "one", t0)
	s2 := createSession(t, s, u.ID, "two", t0.Add(time.Minute))
	s3 := createSession(t, s, u.ID, "three", t0.Add(2*time.Minute))
	so := createSession(t, s, other.ID, "other", t0.Add(3*time.Minute))
	if s1.ID <= 0 || s1.ID == s2.ID || s2.ID == s3.ID {
		t.Fatalf("session ids %d %d %d", s1.ID, s2.ID, s3.ID)
	}

	got, err := s.SessionByToken(ctx, hash("two"))
	if err != nil {
		t.Fatalf("SessionByToken: %v", err)
	}
	equalSession(t, got, s2)
	got, err = s.SessionByID(ctx, s3.UserID, s3.ID)
	if err != nil {
		t.Fatalf("SessionByID: %v", err)
	}
	equalSession(t, got, s3)
	if _, err := s.SessionByToken(ctx, hash("nope")); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("SessionByToken(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.SessionByID(ctx, so.UserID, so.ID+1000); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("SessionByID(missing) = %v, want ErrNotFound", err)
	}

	list, err := s.UserSessions(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserSessions: %v", err)
	}
	if len(list) != 3 {
		t.Fatalf("UserSessions returned %d sessions, want 3", len(list))
	}
	for i, want := range []*haven.Session{s3, s2, s1} {
		equalSession(t, list[i], want)
	}

	at := t0.Add(time.Hour)
	update(t, s, func(tx core.Tx) error { return tx.TouchSession(ctx, s1.UserID, s1.ID, at, "192.0.2.7") })
	s1.LastActiveAt, s1.IP = at, "192.0.2.7"
	got, err = s.SessionByID(ctx, s1.UserID, s1.ID)
	if err != nil {
		t.Fatalf("SessionByID: %v", err)
	}
	equalSession(t, got, s1)
	update(t, s, func(tx core.Tx) error { return tx.TouchSession(ctx, s1.UserID, s1.ID, at.Add(time.Second), "") })
	s1.LastActiveAt, s1.IP = at.Add(time.Second), ""
	got, err = s.SessionByID(ctx, s1.UserID, s1.ID)
	if err != nil {
		t.Fatalf("SessionByID: %v", err)
	}
	equalSession(t, got, s1)
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.TouchSession(ctx, so.UserID, so.ID+1000, at, "") }); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("TouchSession(missing) = %v, want ErrNotFound", err)
	}

	update(t, s, func(tx core.Tx) error { return tx.DeleteSession(ctx, s2.UserID, s2.ID) })
	if _, err := s.SessionByToken(ctx, s2.TokenHash); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("deleted session: %v, want ErrNotFound", err)
	}
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.DeleteSession(ctx, s2.UserID, s2.ID) }); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("DeleteSession(deleted) = %v, want ErrNotFound", err)
	}
	// The store is keyed by user: a session is reached only with its
	// user's id.
	if _, err := s.SessionByID(ctx, other.ID, s1.ID); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("SessionByID(another user, %d) = %v, want ErrNotFound", s1.ID, err)
	}
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.DeleteSession(ctx, other.ID, s1.ID) }); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("DeleteSession(another user, %d) = %v, want ErrNotFound", s1.ID, err)
	}
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.TouchSession(ctx, other.ID, s1.ID, at, "") }); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("TouchSession(another user, %d) = %v, want ErrNotFound", s1.ID, err)
	}
	// A deleted session's token is gone from the lookup by token too: a
	// new session may hold the same token hash (were it left behind, the
	// token's unique key would refuse it).
	again := createSession(t, s, other.ID, "two", t0)
	if got, err := s.SessionByToken(ctx, hash("two")); err != nil || got.ID != again.ID || got.UserID != other.ID {
		t.Errorf("SessionByToken after the token was given again = %+v, %v; want session %d of %d", got, err, again.ID, other.ID)
	}
	update(t, s, func(tx core.Tx) error { return tx.DeleteSession(ctx, again.UserID, again.ID) })

	list, err = s.UserSessions(ctx, u.ID)
	if err != nil || len(list) != 2 || list[0].ID != s3.ID || list[1].ID != s1.ID {
		t.Errorf("UserSessions after delete = %v, %v; want [%d %d]", list, err, s3.ID, s1.ID)
	}
	if list, err := s.UserSessions(ctx, u.ID+1000); err != nil || len(list) != 0 {
		t.Errorf("UserSessions(no sessions) = %v, %v", list, err)
	}
}

func testDeleteUserSessions(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s)
	other := createUser(t, s)
	var ids []int64
	for i := range 4 {
		ids = append(ids, createSession(t, s, u.ID, fmt.Sprint("u", i), t0.Add(time.Duration(i)*time.Second)).ID)
	}
	so := createSession(t, s, other.ID, "other", t0)

	var removed []int64
	update(t, s, func(tx core.Tx) error {
		var err error
		removed, err = tx.DeleteUserSessions(ctx, u.ID, ids[1])
		return err
	})
	slices.Sort(removed)
	if want := []int64{ids[0], ids[2], ids[3]}; !slices.Equal(removed, want) {
		t.Errorf("DeleteUserSessions removed %v, want %v", removed, want)
	}
	list, err := s.UserSessions(ctx, u.ID)
	if err != nil || len(list) != 1 || list[0].ID != ids[1] {
		t.Errorf("sessions left = %v, %v; want just %d", list, err, ids[1])
	}
	if _, err := s.SessionByID(ctx, so.UserID, so.ID); err != nil {
		t.Errorf("another user's session was removed: %v", err)
	}

	update(t, s, func(tx core.Tx) error {
		var err error
		removed, err = tx.DeleteUserSessions(ctx, u.ID, 0)
		return err
	})
	if !slices.Equal(removed, []int64{ids[1]}) {
		t.Errorf("DeleteUserSessions(except 0) removed %v, want [%d]", removed, ids[1])
	}
	update(t, s, func(tx core.Tx) error {
		var err error
		removed, err = tx.DeleteUserSessions(ctx, u.ID, 0)
		return err
	})
	if len(removed) != 0 {
		t.Errorf("DeleteUserSessions with none left removed %v", removed)
	}
	// Their tokens went with them (see testSessions).
	for i := range 4 {
		if _, err := s.SessionByToken(ctx, hash(fmt.Sprint("u", i))); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("SessionByToken of removed session u%d = %v, want ErrNotFound", i, err)
		}
		createSession(t, s, other.ID, fmt.Sprint("u", i), t0)
	}
}
