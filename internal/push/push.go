// Package push sends Web Push notifications (RFC 8030) to the browsers
// that subscribed: each payload encrypted to its device (RFC 8291,
// aes128gcm) and padded to one fixed size, each request signed for with
// the server's VAPID key (RFC 8292). It implements core.PushSender; which
// messages notify whom is core's rule.
//
// The endpoints are URLs that clients give, so every request is one the
// server makes on a stranger's behalf: only https is spoken, no proxy or
// redirect is followed, and the address actually dialled (after DNS, so a
// name that changes its answer cannot slip past) must be public unless
// the operator allows private ones. Endpoints are capability URLs: no
// error or log line of this package contains one.
package push

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"code.dny.dev/ssrf"
	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// TTL is how long a push service keeps a notification for a device that
// is offline: past a day, news of a message is stale (the app shows it
// anyway when opened).
const TTL = 24 * time.Hour

// defaultContact is the VAPID contact when the operator gives none: an
// address that reaches no one and tells nothing.
const defaultContact = "noreply@haven.invalid"

// Options configure a Sender. Keys is required.
type Options struct {
	Keys *Keys
	// Contact is how a push service may reach the operator, in the VAPID
	// token's "sub": an email address (with or without "mailto:") or an
	// https URL. Empty: an address that reaches no one.
	Contact string
	// AllowPrivate lets pushes reach loopback, private, link-local and
	// other non-public addresses: only for a push service on the
	// operator's own network (or a test).
	AllowPrivate bool
	// RootCAs, if set, replaces the system's roots for the push
	// services' certificates (tests).
	RootCAs *x509.CertPool
	// Conns is how many idle connections are kept per push service
	// (the number of workers is a good value).
	Conns int
}

// Sender delivers pushes. It is safe for concurrent use.
type Sender struct {
	keys    *Keys
	pub     string // base64url, as webpush-go takes them
	priv    string
	contact string
	client  *http.Client
}

var _ core.PushSender = (*Sender)(nil)

// New returns a Sender.
func New(opt Options) (*Sender, error) {
	if opt.Keys == nil {
		return nil, errors.New("push: Options.Keys is required")
	}
	contact := opt.Contact
	if contact == "" {
		contact = defaultContact
	}
	// webpush-go writes "mailto:" before anything that is not an https URL.
	if len(contact) > 7 && contact[:7] == "mailto:" {
		contact = contact[7:]
	}
	return &Sender{
		keys:    opt.Keys,
		pub:     base64.RawURLEncoding.EncodeToString(opt.Keys.pub),
		priv:    base64.RawURLEncoding.EncodeToString(opt.Keys.raw),
		contact: contact,
		client:  newClient(opt),
	}, nil
}

// newClient is the HTTP client of every push: TLS only, no proxy, no
// redirect, and, unless private addresses are allowed, a dialler that
// refuses every address that is not public (ssrf's deny list: the IANA
// special-purpose registries, loopback, private, link-local, shared,
// multicast, documentation ...).
func newClient(opt Options) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !opt.AllowPrivate {
		d.Control = ssrf.New(ssrf.WithAnyPort()).Safe
	}
	conns := max(opt.Conns, 2)
	tr := &http.Transport{
		Proxy:                  nil, // the guard checks the address dialled: it must be the push service's
		DialContext:            d.DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: opt.RootCAs, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  10 * time.Second,
		MaxIdleConns:           4 * conns,
		MaxIdleConnsPerHost:    conns,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 16 << 10,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// PublicKey is the server's VAPID public key, an uncompressed P-256 point.
func (s *Sender) PublicKey() []byte { return s.keys.PublicKey() }

// payload is what the device decrypts: the contract of docs/api.md
// ("Web Push").
type payload struct {
	ChatID    int64  `json:"chat_id"`
	MessageID int64  `json:"message_id"`
	Title     string `json:"title"`
	Body      string `json:"body"`
}

// Push encrypts n to sub's keys and posts it to sub's endpoint. Errors:
// core.ErrPushGone when the push service answers 404 or 410; otherwise
// an error that names the push service's host, never the endpoint.
func (s *Sender) Push(ctx context.Context, sub *haven.PushSubscription, n core.PushNotification) error {
	u, err := url.Parse(sub.Endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return errors.New("push: the endpoint is not an https URL")
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(payload{ChatID: n.ChatID, MessageID: n.MessageID, Title: n.Title, Body: n.Body}); err != nil {
		return err
	}
	resp, err := webpush.SendNotificationWithContext(ctx, bytes.TrimSpace(body.Bytes()), &webpush.Subscription{
		Endpoint: sub.Endpoint,
		Keys: webpush.Keys{
			Auth:   base64.RawURLEncoding.EncodeToString(sub.Auth),
			P256dh: base64.RawURLEncoding.EncodeToString(sub.P256dh),
		},
	}, &webpush.Options{
		HTTPClient:      s.client,
		Subscriber:      s.contact,
		TTL:             int(TTL / time.Second),
		Urgency:         webpush.UrgencyHigh,
		VAPIDPublicKey:  s.pub,
		VAPIDPrivateKey: s.priv,
	})
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// Its text would show the whole endpoint.
			return fmt.Errorf("push to %s: %w", u.Hostname(), ue.Err)
		}
		return fmt.Errorf("push to %s: %w", u.Hostname(), err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // so the connection is reused
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return core.ErrPushGone
	}
	return fmt.Errorf("push to %s: the push service answered %s", u.Hostname(), resp.Status)
}
