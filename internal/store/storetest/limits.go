package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// take runs TakeToken in its own Update.
func take(t *testing.T, s core.Store, key string, r core.Rate, now time.Time) (bool, time.Duration) {
	t.Helper()
	var ok bool
	var wait time.Duration
	update(t, s, func(tx core.Tx) error {
		var err error
		ok, wait, err = tx.TakeToken(context.Background(), hash(key), r, now)
		return err
	})
	return ok, wait
}

func testTokenBuckets(t *testing.T, s core.Store) {
	ctx := context.Background()
	r := core.Rate{Count: 3, Per: time.Hour} // one back every 20 minutes
	for i := range 3 {
		if ok, _ := take(t, s, "a", r, t0); !ok {
			t.Fatalf("token %d of a full bucket refused", i+1)
		}
	}
	ok, wait := take(t, s, "a", r, t0)
	if ok || wait != 20*time.Minute {
		t.Fatalf("fourth token at once = %v, wait %v; want refused, 20m", ok, wait)
	}
	// A refusal takes nothing: the wait only shrinks with time.
	if ok, wait := take(t, s, "a", r, t0.Add(5*time.Minute)); ok || wait != 15*time.Minute {
		t.Fatalf("five minutes later = %v, %v; want refused, 15m", ok, wait)
	}
	if ok, _ := take(t, s, "b", r, t0); !ok {
		t.Fatal("another key shares the bucket")
	}
	if ok, _ := take(t, s, "a", r, t0.Add(20*time.Minute)); !ok {
		t.Fatal("a token did not come back after the interval")
	}
	if ok, wait := take(t, s, "a", r, t0.Add(20*time.Minute)); ok || wait != 20*time.Minute {
		t.Fatalf("right after = %v, %v; want refused, 20m", ok, wait)
	}

	// TokenWait reads what TakeToken would answer, and takes nothing.
	for _, c := range []struct {
		key  string
		at   time.Time
		want time.Duration
	}{
		{"a", t0.Add(20 * time.Minute), 20 * time.Minute}, // empty
		{"a", t0.Add(30 * time.Minute), 10 * time.Minute},
		{"a", t0.Add(40 * time.Minute), 0}, // one back
		{"b", t0, 0},                       // two of three left
		{"never", t0, 0},                   // a bucket not seen is full
	} {
		for range 2 {
			var wait time.Duration
			update(t, s, func(tx core.Tx) error {
				var err error
				wait, err = tx.TokenWait(ctx, hash(c.key), r, c.at)
				return err
			})
			if wait != c.want {
				t.Fatalf("TokenWait(%s) at %v = %v, want %v", c.key, c.at.Sub(t0), wait, c.want)
			}
		}
	}

	// A token given back can be taken again at once.
	update(t, s, func(tx core.Tx) error { return tx.ReturnToken(ctx, hash("a"), r) })
	if ok, _ := take(t, s, "a", r, t0.Add(20*time.Minute)); !ok {
		t.Fatal("a returned token could not be taken")
	}
	// Giving back to a full or unknown bucket keeps it full, not fuller.
	update(t, s, func(tx core.Tx) error { return tx.ReturnToken(ctx, hash("c"), r) })
	for i := range 4 {
		ok, _ := take(t, s, "c", r, t0)
		if ok != (i < 3) {
			t.Fatalf("token %d of an unknown bucket given back to: %v", i+1, ok)
		}
	}

	// A failed Update keeps nothing of what it took.
	errStop := errors.New("stop")
	if err := s.Update(ctx, func(tx core.Tx) error {
		if _, _, err := tx.TakeToken(ctx, hash("d"), core.Rate{Count: 1, Per: time.Hour}, t0); err != nil {
			return err
		}
		return errStop
	}); !errors.Is(err, errStop) {
		t.Fatalf("Update = %v", err)
	}
	if ok, _ := take(t, s, "d", core.Rate{Count: 1, Per: time.Hour}, t0); !ok {
		t.Fatal("a rolled-back take was kept")
	}

	// Full buckets are deleted; others stay with their state.
	var n int
	update(t, s, func(tx core.Tx) error {
		var err error
		n, err = tx.DeleteFullBuckets(ctx, t0.Add(30*time.Minute))
		return err
	})
	if n != 1 { // b: one token taken at t0, full again at t0+20m
		t.Fatalf("DeleteFullBuckets removed %d, want 1", n)
	}
	if ok, _ := take(t, s, "a", r, t0.Add(30*time.Minute)); ok {
		t.Fatal("DeleteFullBuckets emptied a bucket that was not full")
	}
}

func testLookups(t *testing.T, s core.Store) {
	ctx := context.Background()
	owner, other := createUser(t, s), createUser(t, s)
	record := func(owner int64, keys []string, now time.Time, max int) (bool, time.Duration) {
		t.Helper()
		var ks [][]byte
		for _, k := range keys {
			ks = append(ks, hash(k))
		}
		var ok bool
		var wait time.Duration
		update(t, s, func(tx core.Tx) error {
			var err error
			ok, wait, err = tx.RecordLookups(ctx, owner, ks, now, 24*time.Hour, max)
			return err
		})
		return ok, wait
	}
	lookedUp := func(owner int64, key string, since time.Time) bool {
		t.Helper()
		ok, err := s.LookedUp(ctx, owner, [][]byte{hash("nothing"), hash(key)}, since)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	if ok, _ := record(owner.ID, []string{"a", "b", "a"}, t0, 3); !ok {
		t.Fatal("two new keys under a cap of three refused")
	}
	if ok, _ := record(owner.ID, []string{"a", "b", "c"}, t0.Add(time.Hour), 3); !ok {
		t.Fatal("keys already looked up counted again")
	}
	if ok, wait := record(owner.ID, []string{"d"}, t0.Add(2*time.Hour), 3); ok || wait != 22*time.Hour {
		t.Fatalf("a fourth key = %v, wait %v; want refused until a and b leave the window (22h)", ok, wait)
	}
	if ok, wait := record(owner.ID, []string{"d", "e", "f", "g"}, t0.Add(2*time.Hour), 3); ok || wait != 0 {
		t.Fatalf("more new keys than the cap = %v, wait %v; want refused for good (0)", ok, wait)
	}
	if lookedUp(owner.ID, "d", t0.Add(-time.Hour)) {
		t.Fatal("a refused lookup was noted")
	}
	if ok, _ := record(other.ID, []string{"d", "e", "f"}, t0, 3); !ok {
		t.Fatal("another owner shares the cap")
	}
	if !lookedUp(owner.ID, "c", t0) || lookedUp(owner.ID, "c", t0.Add(time.Hour)) || lookedUp(other.ID, "a", t0.Add(-time.Hour)) {
		t.Fatal("LookedUp does not follow the keys, owners and times noted")
	}
	// After the window, a and b are forgotten for the count (and a
	// lookup of a again counts it anew, at its new time).
	if ok, _ := record(owner.ID, []string{"a", "d"}, t0.Add(24*time.Hour), 3); !ok {
		t.Fatal("keys did not leave the window")
	}
	if !lookedUp(owner.ID, "a", t0.Add(23*time.Hour)) {
		t.Fatal("a key looked up again after the window keeps its old time")
	}
	var n int
	update(t, s, func(tx core.Tx) error {
		var err error
		n, err = tx.ForgetLookups(ctx, t0.Add(time.Hour+time.Minute))
		return err
	})
	if n != 5 { // owner's b (t0) and c (t0+1h); other's d, e and f (t0)
		t.Fatalf("ForgetLookups removed %d, want 5", n)
	}
	if lookedUp(owner.ID, "b", t0.Add(-48*time.Hour)) || !lookedUp(owner.ID, "d", t0) {
		t.Fatal("ForgetLookups removed the wrong lookups")
	}
}

func testVisibleUsers(t *testing.T, s core.Store) {
	ctx := context.Background()
	v := createUser(t, s)
	contact, blocked, found, groupmate, leaver, stranger := createUser(t, s), createUser(t, s), createUser(t, s), createUser(t, s), createUser(t, s), createUser(t, s)
	chOwner, subscriber, pubMember, pubLeft, formerGroup := createUser(t, s), createUser(t, s), createUser(t, s), createUser(t, s), createUser(t, s)
	reverse := createUser(t, s) // has v as a contact: shows them to v

	update(t, s, func(tx core.Tx) error {
		for _, err := range []error{
			tx.PutContact(ctx, v.ID, haven.Contact{UserID: contact.ID, FirstName: "C"}),
			tx.PutContact(ctx, reverse.ID, haven.Contact{UserID: v.ID, FirstName: "V"}),
			tx.Block(ctx, v.ID, blocked.ID, t0),
			tx.MarkFound(ctx, v.ID, []int64{found.ID, v.ID}, t0),
			tx.MarkFound(ctx, v.ID, []int64{found.ID}, t0.Add(time.Second)), // again: no error
		} {
			if err != nil {
				return err
			}
		}
		return nil
	})
	g := createChat(t, s, groupmate.ID)
	join(t, s, g.ID, v.ID, haven.RoleMember)
	join(t, s, g.ID, leaver.ID, haven.RoleLeft)
	old := createChat(t, s, formerGroup.ID) // v left it: no reason any more
	join(t, s, old.ID, v.ID, haven.RoleLeft)
	ch := createChat(t, s, chOwner.ID, func(c *haven.Chat) { c.Kind = haven.ChatChannel })
	join(t, s, ch.ID, v.ID, haven.RoleMember)
	join(t, s, ch.ID, subscriber.ID, haven.RoleMember)
	pub := createChat(t, s, pubMember.ID, func(c *haven.Chat) { c.Username = "PublicGroup1" })
	join(t, s, pub.ID, pubLeft.ID, haven.RoleLeft)

	all := []int64{v.ID, contact.ID, blocked.ID, found.ID, groupmate.ID, leaver.ID, stranger.ID, chOwner.ID,
		subscriber.ID, pubMember.ID, pubLeft.ID, formerGroup.ID, reverse.ID, haven.MaxID - 1}
	got, err := s.VisibleUsers(ctx, v.ID, all)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]bool{v.ID: true, contact.ID: true, reverse.ID: true, blocked.ID: true, found.ID: true,
		groupmate.ID: true, leaver.ID: true, chOwner.ID: true, pubMember.ID: true}
	seen := map[int64]bool{}
	for _, id := range got {
		seen[id] = true
		if !want[id] {
			t.Errorf("VisibleUsers shows %d, which v has no reason to see", id)
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("VisibleUsers hides %d", id)
		}
	}
	// A channel's owner sees its subscribers.
	got, err = s.VisibleUsers(ctx, chOwner.ID, []int64{subscriber.ID, v.ID, stranger.ID})
	if err != nil || len(got) != 2 {
		t.Errorf("the channel owner sees %v, %v; want the two subscribers", got, err)
	}
	// Many ids at once (more than one chunk of a SQL IN list).
	many := make([]int64, 0, 1500)
	for i := range 1500 {
		many = append(many, int64(i+1))
	}
	many = append(many, contact.ID)
	if got, err := s.VisibleUsers(ctx, v.ID, many); err != nil || !containsID(got, contact.ID) {
		t.Errorf("VisibleUsers of 1,501 ids = %d ids, %v; want the contact among them", len(got), err)
	}
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func testEmailConfirmations(t *testing.T, s core.Store) {
	ctx := context.Background()
	u, other := createUser(t, s), createUser(t, s)
	if _, err := s.EmailConfirmation(ctx, u.ID); !errors.Is(err, haven.ErrNotFound) {
		t.Fatalf("EmailConfirmation of nobody = %v, want ErrNotFound", err)
	}
	c := &haven.EmailConfirmation{UserID: u.ID, Email: "a@example.org", CodeHash: hash("code1"), ExpiresAt: t0.Add(time.Hour)}
	update(t, s, func(tx core.Tx) error { return tx.PutEmailConfirmation(ctx, c) })
	c2 := &haven.EmailConfirmation{UserID: u.ID, Email: "b@example.org", CodeHash: hash("code2"), Attempts: 2, ExpiresAt: t0.Add(2 * time.Hour)}
	update(t, s, func(tx core.Tx) error {
		if err := tx.PutEmailConfirmation(ctx, c2); err != nil {
			return err
		}
		return tx.PutEmailConfirmation(ctx, &haven.EmailConfirmation{UserID: other.ID, Email: "o@example.org", CodeHash: hash("o"), ExpiresAt: t0})
	})
	got, err := s.EmailConfirmation(ctx, u.ID)
	if err != nil || !same(got, c2) {
		t.Fatalf("EmailConfirmation = %+v, %v; want %+v (replaced)", got, err, c2)
	}
	var n int
	update(t, s, func(tx core.Tx) error {
		var err error
		n, err = tx.DeleteExpiredEmailConfirmations(ctx, t0.Add(time.Minute))
		return err
	})
	if n != 1 {
		t.Fatalf("DeleteExpiredEmailConfirmations removed %d, want 1", n)
	}
	if _, err := s.EmailConfirmation(ctx, other.ID); !errors.Is(err, haven.ErrNotFound) {
		t.Fatalf("an expired confirmation survives: %v", err)
	}
	update(t, s, func(tx core.Tx) error { return tx.DeleteEmailConfirmation(ctx, u.ID) })
	update(t, s, func(tx core.Tx) error { return tx.DeleteEmailConfirmation(ctx, u.ID) }) // missing: no error
	if _, err := s.EmailConfirmation(ctx, u.ID); !errors.Is(err, haven.ErrNotFound) {
		t.Fatalf("a deleted confirmation survives: %v", err)
	}
}

// testEraseForgetsFinding checks that EraseUser removes what the guessing
// defences keep of a person: whom they found and who found them, the
// lookups they made, and their pending email confirmation.
func testEraseForgetsFinding(t *testing.T, s core.Store) {
	ctx := context.Background()
	u, friend, seen := createUser(t, s), createUser(t, s), createUser(t, s)
	update(t, s, func(tx core.Tx) error {
		for _, err := range []error{
			tx.MarkFound(ctx, u.ID, []int64{seen.ID}, t0),
			tx.MarkFound(ctx, friend.ID, []int64{u.ID, seen.ID}, t0),
			tx.PutEmailConfirmation(ctx, &haven.EmailConfirmation{UserID: u.ID, Email: "u@example.org", CodeHash: hash("c"), ExpiresAt: t0.Add(time.Hour)}),
		} {
			if err != nil {
				return err
			}
		}
		if _, _, err := tx.RecordLookups(ctx, u.ID, [][]byte{hash("k")}, t0, 24*time.Hour, 10); err != nil {
			return err
		}
		_, err := tx.EraseUser(ctx, u.ID)
		return err
	})
	if got, err := s.VisibleUsers(ctx, u.ID, []int64{seen.ID}); err != nil || len(got) != 0 {
		t.Errorf("whom the erased user found: %v, %v; want forgotten", got, err)
	}
	if got, err := s.VisibleUsers(ctx, friend.ID, []int64{u.ID, seen.ID}); err != nil || len(got) != 1 || got[0] != seen.ID {
		t.Errorf("friend sees %v, %v; want only %d (the erased user forgotten, the rest kept)", got, err, seen.ID)
	}
	if ok, err := s.LookedUp(ctx, u.ID, [][]byte{hash("k")}, t0.Add(-time.Hour)); err != nil || ok {
		t.Errorf("the erased user's lookups: %v, %v; want forgotten", ok, err)
	}
	if _, err := s.EmailConfirmation(ctx, u.ID); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("the erased user's email confirmation: %v; want ErrNotFound", err)
	}
}
