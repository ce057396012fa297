package core_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/password"
	"github.com/havenchat/haven/internal/store/sqlite"
)

type fixedClock struct{ t time.Time }

// fastPasswords hashes with cheap argon2id parameters: tests need the
// real hasher, not its cost.
func fastPasswords() core.PasswordHasher {
	return password.NewHasher(password.Params{Time: 1, MemoryKiB: 8 * 1024, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
}

// openStore opens a fresh SQLite store for one test.
func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/core.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func (c *fixedClock) Now() time.Time { return c.t }

// codeBox keeps the codes a service sends, as an operator's gateway would.
type codeBox struct{ last map[string]string }

func (b *codeBox) SendCode(_ context.Context, to, code, purpose string) error {
	b.last[to+"|"+purpose] = code
	return nil
}

type fixture struct {
	svc    *core.Service
	store  *sqlite.Store
	clock  *fixedClock
	codes  *codeBox
	tokens map[int64]string // user id → session token
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := openStore(t)
	var err error
	f := &fixture{store: st, clock: &fixedClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, codes: &codeBox{last: map[string]string{}}, tokens: map[int64]string{}}
	f.svc, err = core.New(core.Config{
		Store:     st,
		Codes:     f.codes,
		Passwords: fastPasswords(),
		Clock:     f.clock,
		Secret:    make([]byte, 32),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// user signs a person up through the use cases and returns their actor.
func (f *fixture) user(t *testing.T, phone, name string) *core.Actor {
	t.Helper()
	ctx := context.Background()
	a := &core.Actor{IP: "192.0.2.1"}
	sent, err := f.svc.SendCode(ctx, a, phone, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SignIn(ctx, a, sent.LoginToken, f.codes.last[phone+"|sign_in"]); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.SignUp(ctx, a, sent.LoginToken, name, "", "")
	if err != nil {
		t.Fatal(err)
	}
	f.tokens[res.User.ID] = res.Token
	return &core.Actor{UserID: res.User.ID, SessionID: res.SessionID}
}

// meet lets viewer see target as looking up a username does: target
// takes a username and viewer resolves it.
func meet(t *testing.T, svc *core.Service, viewer, target *core.Actor) {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("user%d", target.UserID)
	if _, err := svc.SetUsername(ctx, target, name); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ResolveUsername(ctx, viewer, name); err != nil {
		t.Fatal(err)
	}
}

// findable opens the find_by_phone setting of each to everybody, so that
// anyone's contacts.import finds them.
func findable(t *testing.T, svc *core.Service, as ...*core.Actor) {
	t.Helper()
	for _, a := range as {
		if _, err := svc.SetPrivacy(context.Background(), a, haven.PrivacyFindByPhone, haven.Everybody); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPrivacyMatrix checks every audience against every relation between
// viewer and owner, for the phone number and the last-seen time.
func TestPrivacyMatrix(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner := f.user(t, "+442079460001", "Owner")
	inContacts := f.user(t, "+442079460002", "Friend") // the owner has them in contacts
	hasOwner := f.user(t, "+442079460003", "Admirer")  // has the owner in their contacts, not back
	stranger := f.user(t, "+442079460004", "Stranger") // no relation
	blocked := f.user(t, "+442079460005", "Blocked")   // the owner blocks them, though a contact
	findable(t, f.svc, owner, inContacts, blocked)
	// Each viewer has a reason to see the owner: the admirer has them
	// in contacts, the owner has the friend and the blocked one in
	// theirs, the stranger looked up their username.
	meet(t, f.svc, stranger, owner)
	if _, err := f.svc.ImportContacts(ctx, owner, []core.ContactInput{{Phone: "+442079460002", FirstName: "F"}, {Phone: "+442079460005", FirstName: "B"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ImportContacts(ctx, hasOwner, []core.ContactInput{{Phone: "+442079460001", FirstName: "O"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Block(ctx, owner, blocked.UserID); err != nil {
		t.Fatal(err)
	}
	viewers := []struct {
		name string
		a    *core.Actor
		// what each audience lets this viewer see
		sees map[haven.Audience]bool
	}{
		{"self", owner, map[haven.Audience]bool{haven.Everybody: true, haven.Contacts: true, haven.Nobody: true}},
		{"owner's contact", inContacts, map[haven.Audience]bool{haven.Everybody: true, haven.Contacts: true, haven.Nobody: false}},
		{"has owner as contact", hasOwner, map[haven.Audience]bool{haven.Everybody: true, haven.Contacts: false, haven.Nobody: false}},
		{"stranger", stranger, map[haven.Audience]bool{haven.Everybody: true, haven.Contacts: false, haven.Nobody: false}},
		{"blocked contact", blocked, map[haven.Audience]bool{haven.Everybody: false, haven.Contacts: false, haven.Nobody: false}},
	}
	for _, aud := range []haven.Audience{haven.Everybody, haven.Contacts, haven.Nobody} {
		for _, key := range []haven.PrivacyKey{haven.PrivacyPhoneNumber, haven.PrivacyLastSeen} {
			if _, err := f.svc.SetPrivacy(ctx, owner, key, aud); err != nil {
				t.Fatal(err)
			}
		}
		for _, v := range viewers {
			us, err := f.svc.GetUsers(ctx, v.a, []int64{owner.UserID})
			if err != nil || len(us) != 1 {
				t.Fatalf("GetUsers: %v %v", us, err)
			}
			u := us[0]
			want := v.sees[aud]
			if got := u.Phone != ""; got != want {
				t.Errorf("phone %s, viewer %s: shown=%v, want %v", aud, v.name, got, want)
			}
			if got := u.Status.Kind == "exact"; got != want {
				t.Errorf("last seen %s, viewer %s: exact=%v (%s), want %v", aud, v.name, got, u.Status.Kind, want)
			}
			if !want && u.Status.LastSeen != 0 {
				t.Errorf("last seen %s, viewer %s: time leaked", aud, v.name)
			}
			if v.name == "blocked contact" && u.Status.Kind != "long_ago" {
				t.Errorf("a blocked viewer sees status %q", u.Status.Kind)
			}
		}
	}
}

func TestCoarseLastSeen(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner := f.user(t, "+442079460001", "Owner")
	viewer := f.user(t, "+442079460002", "Viewer")
	meet(t, f.svc, viewer, owner)
	if _, err := f.svc.SetPrivacy(ctx, owner, haven.PrivacyLastSeen, haven.Nobody); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		after time.Duration
		kind  string
	}{{time.Hour, "recently"}, {4 * 24 * time.Hour, "within_week"}, {10 * 24 * time.Hour, "within_month"}, {40 * 24 * time.Hour, "long_ago"}} {
		f.clock.t = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).Add(step.after)
		us, err := f.svc.GetUsers(ctx, viewer, []int64{owner.UserID})
		if err != nil {
			t.Fatal(err)
		}
		if us[0].Status.Kind != step.kind {
			t.Errorf("after %v: %q, want %q", step.after, us[0].Status.Kind, step.kind)
		}
	}
}

func TestCanContact(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.user(t, "+442079460001", "A")
	b := f.user(t, "+442079460002", "B")
	c := f.user(t, "+442079460003", "C")
	meet(t, f.svc, a, b)
	meet(t, f.svc, b, a)
	if err := f.svc.CanContact(ctx, f.store, a.UserID, b.UserID); err != nil {
		t.Fatalf("before blocking: %v", err)
	}
	// Someone a has no reason to see is answered as someone missing.
	if code := haven.ErrorCode(f.svc.CanContact(ctx, f.store, a.UserID, c.UserID)); code != haven.CodeUserNotFound {
		t.Fatalf("a recipient the sender may not see: %s", code)
	}
	if err := f.svc.Block(ctx, b, a.UserID); err != nil {
		t.Fatal(err)
	}
	if code := haven.ErrorCode(f.svc.CanContact(ctx, f.store, a.UserID, b.UserID)); code != haven.CodeUserBlocked {
		t.Fatalf("blocked sender: %s", code)
	}
	// The blocker may still write to the person they block.
	if err := f.svc.CanContact(ctx, f.store, b.UserID, a.UserID); err != nil {
		t.Fatalf("blocker writing: %v", err)
	}
	if code := haven.ErrorCode(f.svc.CanContact(ctx, f.store, a.UserID, 424242)); code != haven.CodeUserNotFound {
		t.Fatalf("unknown recipient: %s", code)
	}
}
