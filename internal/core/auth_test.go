package core_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// TestSecretsStoredHashed checks that the store never holds a code, a
// login token or a session token as given to the person.
func TestSecretsStoredHashed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := &core.Actor{}
	sent, err := f.svc.SendCode(ctx, a, "+442079460001", "")
	if err != nil {
		t.Fatal(err)
	}
	code := f.codes.last["+442079460001|sign_in"]
	h := sha256.Sum256([]byte(sent.LoginToken))
	at, err := f.store.LoginAttemptByToken(ctx, h[:])
	if err != nil {
		t.Fatalf("the attempt is not found by its token's hash: %v", err)
	}
	if bytes.Contains(at.CodeHash, []byte(code)) || bytes.Equal(at.TokenHash, []byte(sent.LoginToken)) {
		t.Fatal("a secret is stored in the clear")
	}
	// Another server secret would not accept the same code: the hash is
	// keyed, so a stolen database does not give codes away.
	if len(at.CodeHash) != sha256.Size {
		t.Fatalf("code hash of %d bytes", len(at.CodeHash))
	}
	other, err := core.New(core.Config{Store: f.store, Codes: f.codes, Passwords: fastPasswords(), Clock: f.clock, Secret: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.SignIn(ctx, a, sent.LoginToken, code); haven.ErrorCode(err) != haven.CodeCodeInvalid {
		t.Fatalf("a server with another secret answered the right code with %v; want %s", err, haven.CodeCodeInvalid)
	}
	if _, err := f.svc.SignIn(ctx, a, sent.LoginToken, code); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.SignUp(ctx, a, sent.LoginToken, "Ann", "", "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.store.SessionByID(ctx, res.User.ID, res.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	th := sha256.Sum256([]byte(res.Token))
	if !bytes.Equal(s.TokenHash, th[:]) {
		t.Fatal("the session keeps something other than the token's SHA-256")
	}
}

// TestCodesAreUniform draws many codes and checks each digit position is
// spread evenly (a biased generator would fail this).
func TestCodesAreUniform(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var counts [5][10]int
	const n = 400
	for i := range n {
		phone := "+44207946" + string(rune('0'+i/1000%10)) + string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
		if _, err := f.svc.SendCode(ctx, &core.Actor{}, phone, ""); err != nil {
			t.Fatal(err)
		}
		code := f.codes.last[phone+"|sign_in"]
		if len(code) != 5 {
			t.Fatalf("code %q", code)
		}
		for p, c := range code {
			if c < '0' || c > '9' {
				t.Fatalf("code %q", code)
			}
			counts[p][c-'0']++
		}
	}
	for p := range counts {
		for d, c := range counts[p] {
			// Expect 40 each; 15 and 70 are over 4 standard deviations out.
			if c < 15 || c > 70 {
				t.Errorf("digit %d at position %d drawn %d times of %d", d, p, c, n)
			}
		}
	}
}

func TestSweepKeepsActiveAccounts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.user(t, "+442079460001", "A")
	b := f.user(t, "+442079460002", "B")
	if _, err := f.svc.SetAccountTTL(ctx, a, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetAccountTTL(ctx, b, 1); err != nil {
		t.Fatal(err)
	}
	start := f.clock.t
	// B comes back after 20 days; A never does.
	f.clock.t = start.Add(20 * 24 * time.Hour)
	if _, err := f.svc.Authenticate(ctx, f.tokens[b.UserID], ""); err != nil {
		t.Fatal(err)
	}
	f.clock.t = start.Add(35 * 24 * time.Hour)
	n, err := f.svc.Sweep(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1", n, err)
	}
	ua, _ := f.store.UserByID(ctx, a.UserID)
	ub, _ := f.store.UserByID(ctx, b.UserID)
	if !ua.Deleted || ub.Deleted {
		t.Fatalf("after the sweep: A deleted=%v, B deleted=%v", ua.Deleted, ub.Deleted)
	}
	if ua.Phone != "" || ua.FirstName != "" {
		t.Fatalf("personal data kept: %+v", ua)
	}
	if _, err := f.svc.Authenticate(ctx, f.tokens[a.UserID], ""); haven.ErrorCode(err) != haven.CodeTokenInvalid {
		t.Fatalf("the swept account's session: %v", err)
	}
}
