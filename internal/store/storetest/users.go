package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

func equalUser(t *testing.T, got, want *haven.User) {
	t.Helper()
	if got.ID != want.ID || got.FirstName != want.FirstName || got.LastName != want.LastName ||
		got.Username != want.Username || got.Bio != want.Bio || got.Phone != want.Phone ||
		got.Email != want.Email || got.Deleted != want.Deleted || !got.CreatedAt.Equal(want.CreatedAt) ||
		!got.LastActiveAt.Equal(want.LastActiveAt) || got.AccountTTLDays != want.AccountTTLDays ||
		got.Password != want.Password {
		t.Errorf("user:\n got %+v\nwant %+v", got, want)
	}
}

func testCreateAndGetUser(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s, func(u *haven.User) {
		u.Password = haven.Password{Hash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", Hint: "cat", RecoveryEmail: "r@example.org"}
	})
	if u.ID <= 0 || u.ID >= haven.MaxID {
		t.Fatalf("CreateUser set ID %d, want 0 < id < 2^53", u.ID)
	}
	got, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	equalUser(t, got, u)
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt in %v, want UTC", got.CreatedAt.Location())
	}

	// Accounts without phone, email or username do not collide on "".
	a := createUser(t, s, func(u *haven.User) { u.Phone, u.Email, u.Username = "", "", "" })
	b := createUser(t, s, func(u *haven.User) { u.Phone, u.Email, u.Username = "", "", "" })
	if a.ID == b.ID || a.ID == u.ID {
		t.Errorf("ids not distinct: %d %d %d", u.ID, a.ID, b.ID)
	}
	got, err = s.UserByID(ctx, b.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	equalUser(t, got, b)

	if _, err := s.UserByID(ctx, b.ID+1000); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("UserByID(missing) = %v, want ErrNotFound", err)
	}
}

func testUsersByIDs(t *testing.T, s core.Store) {
	ctx := context.Background()
	var want []int64
	for range 3 {
		want = append(want, createUser(t, s).ID)
	}
	users, err := s.UsersByIDs(ctx, []int64{want[2], 999_999, want[0], want[1]})
	if err != nil {
		t.Fatalf("UsersByIDs: %v", err)
	}
	var got []int64
	for _, u := range users {
		got = append(got, u.ID)
		if u.FirstName == "" {
			t.Errorf("user %d returned without its fields", u.ID)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("UsersByIDs ids = %v, want %v", got, want)
	}
	users, err = s.UsersByIDs(ctx, nil)
	if err != nil || len(users) != 0 {
		t.Errorf("UsersByIDs(nil) = %v, %v; want none", users, err)
	}

	// More ids than fit one SQL parameter list, mostly missing.
	many := make([]int64, 0, 2000)
	for i := range 2000 {
		many = append(many, int64(1_000_000+i))
	}
	many = append(many, want[1])
	users, err = s.UsersByIDs(ctx, many)
	if err != nil {
		t.Fatalf("UsersByIDs(2001 ids): %v", err)
	}
	if len(users) != 1 || users[0].ID != want[1] {
		t.Errorf("UsersByIDs(2001 ids) returned %d users, want just %d", len(users), want[1])
	}
}

func testUserLookups(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s, func(u *haven.User) { u.Username = "Alice_Smith" })
	other := createUser(t, s)

	for name, lookup := range map[string]func() (*haven.User, error){
		"phone":            func() (*haven.User, error) { return s.UserByPhone(ctx, u.Phone) },
		"email":            func() (*haven.User, error) { return s.UserByEmail(ctx, u.Email) },
		"username":         func() (*haven.User, error) { return s.UserByUsername(ctx, "Alice_Smith") },
		"username lower":   func() (*haven.User, error) { return s.UserByUsername(ctx, "alice_smith") },
		"username upper":   func() (*haven.User, error) { return s.UserByUsername(ctx, "ALICE_SMITH") },
		"username with @":  func() (*haven.User, error) { return s.UserByUsername(ctx, "@alice_SMITH") },
		"username mixed 2": func() (*haven.User, error) { return s.UserByUsername(ctx, "aLiCe_sMiTh") },
	} {
		got, err := lookup()
		if err != nil {
			t.Errorf("by %s: %v", name, err)
			continue
		}
		equalUser(t, got, u)
	}

	for name, lookup := range map[string]func() (*haven.User, error){
		"phone":          func() (*haven.User, error) { return s.UserByPhone(ctx, "+15550000000") },
		"email":          func() (*haven.User, error) { return s.UserByEmail(ctx, "nobody@example.org") },
		"username":       func() (*haven.User, error) { return s.UserByUsername(ctx, "nobody_here") },
		"empty phone":    func() (*haven.User, error) { return s.UserByPhone(ctx, "") },
		"empty email":    func() (*haven.User, error) { return s.UserByEmail(ctx, "") },
		"empty username": func() (*haven.User, error) { return s.UserByUsername(ctx, "") },
	} {
		if got, err := lookup(); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("by missing %s = %v, %v; want ErrNotFound", name, got, err)
		}
	}

	got, err := s.UserByPhone(ctx, other.Phone)
	if err != nil || got.ID != other.ID {
		t.Errorf("UserByPhone(other) = %v, %v; want user %d", got, err, other.ID)
	}

	// Only live accounts are found by phone, email and username; UserByID
	// finds deleted ones too.
	dead := createUser(t, s, func(u *haven.User) { u.Deleted = true })
	for name, lookup := range map[string]func() (*haven.User, error){
		"phone":    func() (*haven.User, error) { return s.UserByPhone(ctx, dead.Phone) },
		"email":    func() (*haven.User, error) { return s.UserByEmail(ctx, dead.Email) },
		"username": func() (*haven.User, error) { return s.UserByUsername(ctx, dead.Username) },
	} {
		if got, err := lookup(); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("deleted account by %s = %+v, %v; want ErrNotFound", name, got, err)
		}
	}
	if got, err := s.UserByID(ctx, dead.ID); err != nil || !got.Deleted {
		t.Errorf("UserByID(deleted) = %+v, %v; want the Deleted account", got, err)
	}
}

func testUsernameUnique(t *testing.T, s core.Store) {
	ctx := context.Background()
	a := createUser(t, s, func(u *haven.User) { u.Username = "Taken_Name" })

	// Another account cannot take it in any case, and the failed Update
	// leaves nothing behind.
	b := newUser(func(u *haven.User) { u.Username = "taken_NAME" })
	err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, b) })
	if !isCode(err, haven.CodeUsernameOccupied) {
		t.Fatalf("CreateUser with taken username = %v, want %s", err, haven.CodeUsernameOccupied)
	}
	if _, err := s.UserByPhone(ctx, b.Phone); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("user of the failed CreateUser: %v, want ErrNotFound", err)
	}

	b = createUser(t, s)
	b.Username = "TAKEN_name"
	err = s.Update(ctx, func(tx core.Tx) error { return tx.UpdateUser(ctx, b) })
	if !isCode(err, haven.CodeUsernameOccupied) {
		t.Fatalf("UpdateUser to a taken username = %v, want %s", err, haven.CodeUsernameOccupied)
	}

	// The owner may change the case of their own username.
	a.Username = "TAKEN_NAME"
	update(t, s, func(tx core.Tx) error { return tx.UpdateUser(ctx, a) })
	if got, err := s.UserByUsername(ctx, "taken_name"); err != nil || got.ID != a.ID || got.Username != "TAKEN_NAME" {
		t.Errorf("after recasing: %+v, %v", got, err)
	}

	// Once freed, the name is anyone's.
	a.Username = ""
	update(t, s, func(tx core.Tx) error { return tx.UpdateUser(ctx, a) })
	if _, err := s.UserByUsername(ctx, "taken_name"); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("freed username still found: %v", err)
	}
	b.Username = "Taken_Name"
	update(t, s, func(tx core.Tx) error { return tx.UpdateUser(ctx, b) })
	if got, err := s.UserByUsername(ctx, "TAKEN_NAME"); err != nil || got.ID != b.ID {
		t.Errorf("UserByUsername after handover = %+v, %v; want user %d", got, err, b.ID)
	}
}

func testUpdateUser(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s)
	created := u.CreatedAt
	u.FirstName, u.LastName, u.Username, u.Bio = "Ann", "Lee", "ann_lee", "hello"
	u.Phone, u.Email = "+447700900123", "ann@example.net"
	u.LastActiveAt = t0.Add(time.Hour)
	u.AccountTTLDays = 90
	u.Password = haven.Password{Hash: "h", Hint: "hint", RecoveryEmail: "rec@example.net"}
	u.CreatedAt = t0.Add(24 * time.Hour) // must be ignored
	update(t, s, func(tx core.Tx) error { return tx.UpdateUser(ctx, u) })

	got, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	u.CreatedAt = created
	equalUser(t, got, u)

	// Clearing phone and email frees them.
	u.Phone, u.Email = "", ""
	update(t, s, func(tx core.Tx) error { return tx.UpdateUser(ctx, u) })
	if _, err := s.UserByPhone(ctx, "+447700900123"); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("cleared phone still found: %v", err)
	}
	createUser(t, s, func(x *haven.User) { x.Phone, x.Email = "+447700900123", "ann@example.net" })

	missing := newUser()
	missing.ID = u.ID + 1000
	err = s.Update(ctx, func(tx core.Tx) error { return tx.UpdateUser(ctx, missing) })
	if !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("UpdateUser(missing) = %v, want ErrNotFound", err)
	}
}

func testTouchUser(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s)
	at := t0.Add(90 * time.Minute)
	update(t, s, func(tx core.Tx) error { return tx.TouchUser(ctx, u.ID, at) })
	got, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	if !got.LastActiveAt.Equal(at) {
		t.Errorf("LastActiveAt = %v, want %v", got.LastActiveAt, at)
	}
	if got.FirstName != u.FirstName || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Errorf("TouchUser changed more than LastActiveAt: %+v", got)
	}
}

func testEraseUser(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s, func(u *haven.User) {
		u.Username = "Erase_Me"
		u.Password = haven.Password{Hash: "h", Hint: "hint", RecoveryEmail: "rec@example.org"}
	})
	friend := createUser(t, s)
	sess := []*haven.Session{
		createSession(t, s, u.ID, "erase-1", t0),
		createSession(t, s, u.ID, "erase-2", t0.Add(time.Second)),
	}
	fs := createSession(t, s, friend.ID, "friend", t0)
	byUser := &haven.LoginAttempt{TokenHash: hash("la-user"), Identifier: "+19990000000", Kind: haven.KindPhone,
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Step: haven.StepPasswordRequired, UserID: u.ID}
	byPhone := &haven.LoginAttempt{TokenHash: hash("la-phone"), Identifier: u.Phone, Kind: haven.KindPhone,
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Step: haven.StepCodeSent}
	byEmail := &haven.LoginAttempt{TokenHash: hash("la-email"), Identifier: u.Email, Kind: haven.KindEmail,
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Step: haven.StepCodeSent}
	friendLA := &haven.LoginAttempt{TokenHash: hash("la-friend"), Identifier: friend.Phone, Kind: haven.KindPhone,
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Step: haven.StepPasswordRequired, UserID: friend.ID}
	update(t, s, func(tx core.Tx) error {
		for _, a := range []*haven.LoginAttempt{byUser, byPhone, byEmail, friendLA} {
			if err := tx.CreateLoginAttempt(ctx, a); err != nil {
				return err
			}
		}
		for _, err := range []error{
			tx.PutContact(ctx, u.ID, haven.Contact{UserID: friend.ID, FirstName: "Friend"}),
			tx.PutContact(ctx, friend.ID, haven.Contact{UserID: u.ID, FirstName: "Erased"}),
			tx.Block(ctx, u.ID, friend.ID, t0),
			tx.Block(ctx, friend.ID, u.ID, t0),
			tx.SetPrivacy(ctx, u.ID, haven.PrivacyLastSeen, haven.Nobody),
			tx.SetPrivacy(ctx, friend.ID, haven.PrivacyLastSeen, haven.Contacts),
		} {
			if err != nil {
				return err
			}
		}
		return nil
	})

	var removed []int64
	update(t, s, func(tx core.Tx) error {
		var err error
		removed, err = tx.EraseUser(ctx, u.ID)
		return err
	})
	slices.Sort(removed)
	if want := []int64{sess[0].ID, sess[1].ID}; !slices.Equal(removed, want) {
		t.Errorf("EraseUser removed sessions %v, want %v", removed, want)
	}

	got, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID(erased): %v", err)
	}
	if !got.Deleted || got.ID != u.ID {
		t.Errorf("erased user: Deleted=%v ID=%d, want a Deleted row with id %d", got.Deleted, got.ID, u.ID)
	}
	if got.FirstName != "" || got.LastName != "" || got.Username != "" || got.Bio != "" || got.Phone != "" ||
		got.Email != "" || got.Password != (haven.Password{}) {
		t.Errorf("erased user keeps personal data: %+v", got)
	}
	for _, ss := range sess {
		if _, err := s.SessionByToken(ctx, ss.TokenHash); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("session %d survives: %v", ss.ID, err)
		}
	}
	if list, err := s.UserSessions(ctx, u.ID); err != nil || len(list) != 0 {
		t.Errorf("UserSessions(erased) = %v, %v", list, err)
	}
	for _, a := range []*haven.LoginAttempt{byUser, byPhone, byEmail} {
		if _, err := s.LoginAttemptByToken(ctx, a.TokenHash); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("login attempt for %q survives: %v", a.Identifier, err)
		}
	}
	if cs, err := s.Contacts(ctx, u.ID); err != nil || len(cs) != 0 {
		t.Errorf("erased user's contacts = %v, %v", cs, err)
	}
	if ok, err := s.IsContact(ctx, friend.ID, u.ID); err != nil || ok {
		t.Errorf("friend still has the erased user as a contact: %v, %v", ok, err)
	}
	if ok, err := s.IsBlocked(ctx, u.ID, friend.ID); err != nil || ok {
		t.Errorf("erased user's block survives: %v, %v", ok, err)
	}
	if ok, err := s.IsBlocked(ctx, friend.ID, u.ID); err != nil || ok {
		t.Errorf("block of the erased user survives: %v, %v", ok, err)
	}
	if p, err := s.Privacy(ctx, u.ID); err != nil || !mapsEqual(p, haven.DefaultPrivacy()) {
		t.Errorf("erased user's privacy = %v, %v; want defaults (no stored settings)", p, err)
	}

	// The friend keeps everything of their own.
	if _, err := s.SessionByID(ctx, fs.UserID, fs.ID); err != nil {
		t.Errorf("friend's session: %v", err)
	}
	if _, err := s.LoginAttemptByToken(ctx, friendLA.TokenHash); err != nil {
		t.Errorf("friend's login attempt: %v", err)
	}
	if p, err := s.Privacy(ctx, friend.ID); err != nil || p[haven.PrivacyLastSeen] != haven.Contacts {
		t.Errorf("friend's privacy = %v, %v", p, err)
	}

	// Lookups miss, and phone, email and username are free for others.
	if _, err := s.UserByPhone(ctx, u.Phone); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("UserByPhone(erased) = %v, want ErrNotFound", err)
	}
	if _, err := s.UserByEmail(ctx, u.Email); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("UserByEmail(erased) = %v, want ErrNotFound", err)
	}
	if _, err := s.UserByUsername(ctx, "erase_me"); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("UserByUsername(erased) = %v, want ErrNotFound", err)
	}
	heir := createUser(t, s, func(x *haven.User) { x.Phone, x.Email, x.Username = u.Phone, u.Email, "ERASE_ME" })
	for name, lookup := range map[string]func() (*haven.User, error){
		"phone":    func() (*haven.User, error) { return s.UserByPhone(ctx, u.Phone) },
		"email":    func() (*haven.User, error) { return s.UserByEmail(ctx, u.Email) },
		"username": func() (*haven.User, error) { return s.UserByUsername(ctx, "erase_me") },
	} {
		if got, err := lookup(); err != nil || got.ID != heir.ID {
			t.Errorf("by %s after reuse = %+v, %v; want user %d", name, got, err, heir.ID)
		}
	}

	if err := s.Update(ctx, func(tx core.Tx) error {
		_, err := tx.EraseUser(ctx, heir.ID+1000)
		return err
	}); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("EraseUser(missing) = %v, want ErrNotFound", err)
	}
}

func testInactiveUsers(t *testing.T, s core.Store) {
	ctx := context.Background()
	day := 24 * time.Hour
	now := t0
	active := func(lastActive time.Time, ttl int) func(*haven.User) {
		return func(u *haven.User) { u.LastActiveAt, u.AccountTTLDays = lastActive, ttl }
	}
	expired1 := createUser(t, s, active(now.Add(-31*day), 30))           // expired a day ago
	expired2 := createUser(t, s, active(now.Add(-400*day), 365))         // expired 35 days ago
	createUser(t, s, active(now.Add(-29*day), 30))                       // a day left
	createUser(t, s, active(now.Add(-31*day), 90))                       // longer TTL
	createUser(t, s, active(now.Add(-30*day), 30))                       // expires exactly now: not before
	createUser(t, s, active(now.Add(-30*day).Add(time.Millisecond), 30)) // a millisecond left
	gone := createUser(t, s, active(now.Add(-100*day), 30))
	update(t, s, func(tx core.Tx) error {
		_, err := tx.EraseUser(ctx, gone.ID)
		return err
	})

	ids, err := s.InactiveUsers(ctx, now, 10)
	if err != nil {
		t.Fatalf("InactiveUsers: %v", err)
	}
	slices.Sort(ids)
	if want := []int64{expired1.ID, expired2.ID}; !slices.Equal(ids, want) {
		t.Errorf("InactiveUsers = %v, want %v", ids, want)
	}
	ids, err = s.InactiveUsers(ctx, now, 1)
	if err != nil || len(ids) != 1 || (ids[0] != expired1.ID && ids[0] != expired2.ID) {
		t.Errorf("InactiveUsers(limit 1) = %v, %v", ids, err)
	}

	// Activity takes an account off the list.
	update(t, s, func(tx core.Tx) error { return tx.TouchUser(ctx, expired1.ID, now) })
	ids, err = s.InactiveUsers(ctx, now, 10)
	if err != nil || !slices.Equal(ids, []int64{expired2.ID}) {
		t.Errorf("InactiveUsers after touch = %v, %v; want [%d]", ids, err, expired2.ID)
	}
}
