package codesend

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestRouterDispatch(t *testing.T) {
	var phoneLog, emailLog bytes.Buffer
	r := Router{
		Phone: NewLog(slog.New(slog.NewTextHandler(&phoneLog, nil))),
		Email: NewLog(slog.New(slog.NewTextHandler(&emailLog, nil))),
	}
	ctx := context.Background()

	if err := r.SendCode(ctx, "+447700900123", "11111", "sign_in"); err != nil {
		t.Fatal(err)
	}
	if err := r.SendCode(ctx, "alice@example.org", "22222", "password_recovery"); err != nil {
		t.Fatal(err)
	}

	if got := phoneLog.String(); !strings.Contains(got, "code=11111") || strings.Contains(got, "22222") {
		t.Errorf("phone sender got %q", got)
	}
	if got := emailLog.String(); !strings.Contains(got, "code=22222") || strings.Contains(got, "11111") {
		t.Errorf("email sender got %q", got)
	}
}

func TestRouterNoSender(t *testing.T) {
	var buf bytes.Buffer
	ctx := context.Background()

	onlyPhone := Router{Phone: NewLog(slog.New(slog.NewTextHandler(&buf, nil)))}
	if err := onlyPhone.SendCode(ctx, "alice@example.org", "12345", "sign_in"); !errors.Is(err, ErrNoSender) {
		t.Errorf("email with no Email sender: got %v, want ErrNoSender", err)
	}
	onlyEmail := Router{Email: NewLog(slog.New(slog.NewTextHandler(&buf, nil)))}
	if err := onlyEmail.SendCode(ctx, "+447700900123", "12345", "sign_in"); !errors.Is(err, ErrNoSender) {
		t.Errorf("phone with no Phone sender: got %v, want ErrNoSender", err)
	}
	if buf.Len() != 0 {
		t.Errorf("something was sent: %q", buf.String())
	}
}

// TestRouterPassesErrors checks that the routed sender's error comes back
// unchanged: a Webhook whose gateway refuses.
func TestRouterPassesErrors(t *testing.T) {
	gw := newGateway(t, 503)
	w, err := NewWebhook(WebhookConfig{URL: gw.URL})
	if err != nil {
		t.Fatal(err)
	}
	r := Router{Phone: w}
	err = r.SendCode(context.Background(), "+447700900123", "12345", "sign_in")
	if err == nil || !strings.Contains(err.Error(), "status 503") {
		t.Fatalf("got %v, want the webhook's status error", err)
	}
}

// TestRouterDelivery: the router says how a code to an address would
// travel, by the sender it picks.
func TestRouterDelivery(t *testing.T) {
	hook, err := NewWebhook(WebhookConfig{URL: "https://sms.example.org/send"})
	if err != nil {
		t.Fatal(err)
	}
	mail, err := NewSMTP(SMTPConfig{Host: "smtp.example.org", Port: 587, From: "noreply@example.org", TLS: TLSStartTLS})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r        Router
		to, want string
	}{
		{Router{Phone: hook, Email: mail}, "+447700900123", "webhook"},
		{Router{Phone: hook, Email: mail}, "alice@example.org", "email"},
		{Router{Phone: NewLog(slog.New(slog.DiscardHandler))}, "+447700900123", "log"},
		{Router{Phone: hook}, "alice@example.org", ""},
	} {
		if got := c.r.Delivery(c.to); got != c.want {
			t.Errorf("Delivery(%q) = %q, want %q", c.to, got, c.want)
		}
	}
}
