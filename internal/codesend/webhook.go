package codesend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/havenchat/haven/internal/core"
)

// DefaultWebhookTimeout bounds one webhook call when WebhookConfig.Timeout
// is zero.
const DefaultWebhookTimeout = 10 * time.Second

// WebhookConfig says where and how a Webhook posts codes.
type WebhookConfig struct {
	// URL is the gateway's absolute http or https URL. Required.
	URL string
	// Authorization, if not empty, is sent as the Authorization header
	// value, e.g. "Bearer s3cret".
	Authorization string
	// Timeout bounds one call, including reading the response status;
	// zero means DefaultWebhookTimeout.
	Timeout time.Duration
	// Client makes the requests; nil means a client that does not follow
	// redirects (a redirected POST would lose its body, so a 3xx is
	// reported as a failure instead).
	Client *http.Client
}

// Webhook is a core.CodeSender that hands each code to an operator's
// gateway (an SMS or email service, or a small script in front of one) by
// POSTing the JSON object
//
//	{"to": "+447700900123", "code": "12345", "purpose": "sign_in"}
//
// with Content-Type application/json. Any 2xx status means the gateway took
// the code; anything else is an error.
//
// A Webhook is safe for concurrent use.
type Webhook struct {
	url           string
	authorization string
	timeout       time.Duration
	client        *http.Client
}

var _ core.CodeSender = (*Webhook)(nil)

// webhookBody is the JSON a Webhook posts.
type webhookBody struct {
	To      string `json:"to"`
	Code    string `json:"code"`
	Purpose string `json:"purpose"`
}

// NewWebhook checks cfg and returns a Webhook. Errors (all reported at
// once): the URL is not an absolute http or https URL; the timeout is
// negative; the Authorization value contains control characters.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	var errs []error
	if err := checkWebhookURL(cfg.URL); err != nil {
		errs = append(errs, err)
	}
	if cfg.Timeout < 0 {
		errs = append(errs, errors.New("codesend: webhook timeout must not be negative"))
	}
	if strings.ContainsFunc(cfg.Authorization, isControl) {
		// Do not quote the value: it is a secret.
		errs = append(errs, errors.New("codesend: webhook Authorization value contains control characters"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	w := &Webhook{
		url:           cfg.URL,
		authorization: cfg.Authorization,
		timeout:       cfg.Timeout,
		client:        cfg.Client,
	}
	if w.timeout == 0 {
		w.timeout = DefaultWebhookTimeout
	}
	if w.client == nil {
		w.client = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	return w, nil
}

// checkWebhookURL accepts only absolute http and https URLs with a host.
// Its errors do not quote the URL, which may carry a token.
func checkWebhookURL(raw string) error {
	if raw == "" {
		return errors.New("codesend: webhook URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("codesend: webhook URL does not parse")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("codesend: webhook URL must start with http:// or https://")
	}
	if u.Host == "" {
		return errors.New("codesend: webhook URL has no host")
	}
	return nil
}

// Delivery says codes go to the operator's gateway.
func (*Webhook) Delivery(string) string { return core.DeliveryWebhook }

// SendCode posts the code to the gateway and waits for its status, for at
// most the configured timeout. Errors: ctx's error or
// context.DeadlineExceeded when the call did not finish in time (test with
// errors.Is); a connection error; "status N" when the gateway answered
// with a status outside 2xx. No error contains the code.
func (w *Webhook) SendCode(ctx context.Context, to, code, purpose string) error {
	body, err := json.Marshal(webhookBody{To: to, Code: code, Purpose: purpose})
	if err != nil {
		return fmt.Errorf("codesend: webhook: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return errors.New("codesend: webhook: cannot make the request")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Haven")
	if w.authorization != "" {
		req.Header.Set("Authorization", w.authorization)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		// *url.Error repeats the URL, which may carry a token; keep
		// only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("codesend: webhook: %w", err)
	}
	// Drain a little so the connection can be reused, but never put the
	// body in an error: a gateway may echo the request, code included.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("codesend: webhook: status %d", resp.StatusCode)
	}
	return nil
}

// isControl reports whether r is an ASCII control character (CR and LF
// among them).
func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f
}
