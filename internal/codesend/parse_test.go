package codesend

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	opts := ParseOptions{Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}
	good := []struct {
		spec string
		want string // type of the sender
	}{
		{"", "log"},
		{"log", "log"},
		{"webhook=https://sms.example.org/send", "webhook"},
		{"webhook=http://127.0.0.1:8080/codes?token=a=b", "webhook"},
	}
	for _, tc := range good {
		s, err := Parse(tc.spec, opts)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.spec, err)
			continue
		}
		var got string
		switch s.(type) {
		case *Log:
			got = "log"
		case *Webhook:
			got = "webhook"
		default:
			got = "other"
		}
		if got != tc.want {
			t.Errorf("Parse(%q) = %T, want %s", tc.spec, s, tc.want)
		}
	}
}

func TestParseWebhookAuthorization(t *testing.T) {
	s, err := Parse("webhook=https://sms.example.org/send", ParseOptions{WebhookAuthorization: "Bearer t0ken"})
	if err != nil {
		t.Fatal(err)
	}
	if w := s.(*Webhook); w.authorization != "Bearer t0ken" {
		t.Errorf("authorization = %q", w.authorization)
	}
}

func TestParseRejects(t *testing.T) {
	opts := ParseOptions{Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}
	bad := []struct {
		spec    string
		wantErr string
	}{
		{"sms", `unknown code sender "sms"`},
		{"LOG", `unknown code sender "LOG"`},
		{"smtp=mail.example.org", `unknown code sender "smtp"`},
		{"log=verbose", `"log" takes no value`},
		{"webhook", "needs a URL"},
		{"webhook=", "needs a URL"},
		{"webhook=ftp://example.org/x", "http:// or https://"},
		{"webhook=/codes", "http:// or https://"},
		{"webhook=sms.example.org/send", "http:// or https://"},
		{"webhook=https:///send", "no host"},
		{"webhook=http://[::1", "does not parse"},
		{"https://sms.example.org/send?token=s3cret", "unknown code sender (want"},
	}
	for _, tc := range bad {
		s, err := Parse(tc.spec, opts)
		if err == nil {
			t.Errorf("Parse(%q) = %T, want an error", tc.spec, s)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("Parse(%q) error %q, want it to contain %q", tc.spec, err, tc.wantErr)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Parse(%q) error repeats the token: %q", tc.spec, err)
		}
	}

	if _, err := Parse("log", ParseOptions{}); err == nil {
		t.Error(`Parse("log") with no logger succeeded`)
	}
}
