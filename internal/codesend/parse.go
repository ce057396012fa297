package codesend

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/havenchat/haven/internal/core"
)

// ParseOptions are what Parse needs besides the flag value.
type ParseOptions struct {
	// Logger is where a Log sender writes; required for "log".
	Logger *slog.Logger
	// WebhookAuthorization is the Authorization header of a webhook
	// (kept out of the flag value, which shows up in process listings).
	WebhookAuthorization string
	// HTTPClient makes webhook requests; nil means NewWebhook's default.
	HTTPClient *http.Client
}

// Parse turns the operator's --code-sender value into a sender:
//
//	log            (also the empty string) a Log sender
//	webhook=URL    a Webhook posting to URL, an absolute http(s) URL
//
// Errors: any other value; a webhook URL that is not an absolute http or
// https URL; "log" without opts.Logger. Errors do not repeat the URL, which
// may carry a token.
func Parse(spec string, opts ParseOptions) (core.CodeSender, error) {
	kind, arg, hasArg := strings.Cut(spec, "=")
	switch {
	case spec == "" || spec == "log":
		if opts.Logger == nil {
			return nil, errors.New("codesend: the log code sender needs a logger")
		}
		return NewLog(opts.Logger), nil
	case kind == "webhook":
		if !hasArg || arg == "" {
			return nil, errors.New(`codesend: code sender "webhook" needs a URL: webhook=https://...`)
		}
		w, err := NewWebhook(WebhookConfig{
			URL:           arg,
			Authorization: opts.WebhookAuthorization,
			Client:        opts.HTTPClient,
		})
		if err != nil {
			return nil, err
		}
		return w, nil
	case kind == "log":
		return nil, errors.New(`codesend: code sender "log" takes no value`)
	}
	if !isWord(kind) {
		// Likely a URL without "webhook=": do not echo it.
		return nil, errors.New(`codesend: unknown code sender (want "log" or "webhook=URL")`)
	}
	return nil, fmt.Errorf(`codesend: unknown code sender %q (want "log" or "webhook=URL")`, kind)
}

// isWord reports whether s is a short run of letters, digits, '-' and '_'.
func isWord(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
