package codesend

import (
	"bytes"
	"flag"
	"net/mail"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestMessageGolden pins the exact bytes of the mails, the wire format a
// person's mail program sees. Run with -update after a deliberate change.
func TestMessageGolden(t *testing.T) {
	from, err := mail.ParseAddress("Haven <noreply@haven.example>")
	if err != nil {
		t.Fatal(err)
	}
	for _, purpose := range []string{"sign_in", "password_recovery", "recovery_email"} {
		subject, body, err := emailText("12345", purpose, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		got := buildMessage(from, "alice@example.org", subject, body, testDate, "MESSAGEID@haven.example")

		golden := filepath.Join("testdata", purpose+".eml")
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got\n%s\nwant\n%s", purpose, got, want)
		}
	}
}

func TestEmailTextUnknownPurpose(t *testing.T) {
	if _, _, err := emailText("12345", "hello", time.Minute); err == nil {
		t.Error("unknown purpose accepted")
	}
}

func TestFormatTTL(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute:             "1 minute",
		5 * time.Minute:         "5 minutes",
		90 * time.Second:        "90 seconds",
		time.Second:             "1 second",
		2 * time.Hour:           "2 hours",
		1500 * time.Millisecond: "1.5s",
	} {
		if got := formatTTL(d); got != want {
			t.Errorf("formatTTL(%v) = %q, want %q", d, got, want)
		}
	}
}
