package secret_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// TestSecretLinkIn: an account without secret-chat devices needs no
// link; once it has one, a new session does (NeedsSecretLink), and links
// a device kept in a store of the program's with the account key as the
// first device shows it (AccountKeyText, read back in any case and
// spacing by ParseAccountKey); a wrong or mistyped key is refused and
// adds no device; the linked device gets what the person's contact
// sends, as the first device does.
func TestSecretLinkIn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := testserver.Start(t)
	annC, annU := srv.SignUp(t, "ann@example.org", "Ann")
	bobC, bobU := srv.SignUp(t, "bob@example.org", "Bob")
	srv.Befriend(t, annC, bobC)

	if need, err := client.NeedsSecretLink(ctx, annC, annU.ID); err != nil || need {
		t.Fatalf("an account without devices: NeedsSecretLink = %v, %v; want false", need, err)
	}
	phone, err := client.CreateSecretDevice(ctx, annC, t.TempDir()+"/phone.secret")
	if err != nil {
		t.Fatal(err)
	}
	laptopC, _, err := srv.SignIn(ctx, "ann@example.org", "")
	if err != nil {
		t.Fatal(err)
	}
	if need, err := client.NeedsSecretLink(ctx, laptopC, annU.ID); err != nil || !need {
		t.Fatalf("an account with a device: NeedsSecretLink = %v, %v; want true", need, err)
	}

	text := phone.AccountKeyText()
	if f := strings.Fields(text); len(f) != 8 || len(f[0]) != 8 {
		t.Fatalf("the account key reads %q, want eight groups of eight digits", text)
	}
	for _, bad := range []string{"", "not a key", text[:len(text)-1], text + "00"} {
		if _, err := client.ParseAccountKey(bad); !errors.Is(err, client.ErrAccountKeyFormat) {
			t.Errorf("ParseAccountKey(%q) = %v, want ErrAccountKeyFormat", bad, err)
		}
	}
	seed, err := client.ParseAccountKey("  " + strings.ToUpper(strings.ReplaceAll(text, " ", "")) + "\n")
	if err != nil || !bytes.Equal(seed, phone.AccountSeed()) {
		t.Fatalf("ParseAccountKey of the key typed without spaces: %x, %v", seed, err)
	}

	// Another account's key is refused and changes nothing.
	bob, err := client.CreateSecretDevice(ctx, bobC, t.TempDir()+"/bob.secret")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.LinkSecretDeviceIn(ctx, laptopC, &memStore{}, bob.AccountSeed()); err == nil {
		t.Fatal("linked Ann's laptop with Bob's account key")
	}
	if l, err := laptopC.SecretDeviceList(ctx, annU.ID); err != nil || len(l.Active) != 1 {
		t.Fatalf("Ann's devices after a refused link: %+v, %v", l, err)
	}

	st := &memStore{}
	laptop, err := client.LinkSecretDeviceIn(ctx, laptopC, st, seed)
	if err != nil {
		t.Fatal(err)
	}
	if laptop.AccountKeyText() != text {
		t.Fatalf("the linked device's account key %q, the first's %q", laptop.AccountKeyText(), text)
	}
	if _, err := bob.SendText(ctx, annU.ID, "to both", 0); err != nil {
		t.Fatal(err)
	}
	wantMessage(t, ctx, phone, bobU.ID, "to both", false)
	reopened, err := client.OpenSecretChatsIn(laptopC, st)
	if err != nil {
		t.Fatal(err)
	}
	wantMessage(t, ctx, reopened, bobU.ID, "to both", false)
}
