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
