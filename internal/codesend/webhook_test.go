package codesend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// gatewayRequest is what a test gateway saw of one request.
type gatewayRequest struct {
	method        string
	path          string
	contentType   string
	authorization string
	body          []byte
}

// gateway is a real HTTP server standing in for an operator's SMS or email
// gateway. It answers every request with status and echoes the request
// body back, so tests can check that errors do not repeat it.
type gateway struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []gatewayRequest
}

func newGateway(t *testing.T, status int) *gateway {
	t.Helper()
	g := &gateway{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		g.reqs = append(g.reqs, gatewayRequest{
			method:        r.Method,
			path:          r.URL.Path,
			contentType:   r.Header.Get("Content-Type"),
			authorization: r.Header.Get("Authorization"),
			body:          body,
		})
		g.mu.Unlock()
		if status >= 300 && status < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *gateway) requests() []gatewayRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]gatewayRequest(nil), g.reqs...)
}

func TestWebhookPosts(t *testing.T) {
	for _, status := range []int{200, 202, 204} {
		gw := newGateway(t, status)
		w, err := NewWebhook(WebhookConfig{URL: gw.URL + "/send", Authorization: "Bearer t0ken"})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.SendCode(context.Background(), "+447700900123", "12345", "sign_in"); err != nil {
			t.Fatalf("status %d: %v", status, err)
		}

		reqs := gw.requests()
		if len(reqs) != 1 {
			t.Fatalf("gateway got %d requests, want 1", len(reqs))
		}
		r := reqs[0]
		if r.method != http.MethodPost || r.path != "/send" {
			t.Errorf("request %s %s, want POST /send", r.method, r.path)
		}
		if r.contentType != "application/json" {
			t.Errorf("Content-Type %q", r.contentType)
		}
		if r.authorization != "Bearer t0ken" {
			t.Errorf("Authorization %q", r.authorization)
		}
		var got struct{ To, Code, Purpose string }
		dec := json.NewDecoder(bytes.NewReader(r.body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("body %q: %v", r.body, err)
		}
		if got.To != "+447700900123" || got.Code != "12345" || got.Purpose != "sign_in" {
			t.Errorf("body %q", r.body)
		}
		if !bytes.Contains(r.body, []byte(`"to":`)) || !bytes.Contains(r.body, []byte(`"purpose":`)) {
			t.Errorf("body %q lacks lower-case keys", r.body)
		}
	}
}

func TestWebhookNoAuthorizationHeader(t *testing.T) {
	gw := newGateway(t, 200)
	w, err := NewWebhook(WebhookConfig{URL: gw.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SendCode(context.Background(), "a@example.org", "12345", "password_recovery"); err != nil {
		t.Fatal(err)
	}
	if a := gw.requests()[0].authorization; a != "" {
		t.Errorf("Authorization %q sent although none was configured", a)
	}
}

func TestWebhookNon2xx(t *testing.T) {
	for _, status := range []int{302, 400, 401, 429, 500, 503} {
		gw := newGateway(t, status)
		w, err := NewWebhook(WebhookConfig{URL: gw.URL + "/send"})
		if err != nil {
			t.Fatal(err)
		}
		err = w.SendCode(context.Background(), "+447700900123", "98765", "sign_in")
		if err == nil {
			t.Errorf("status %d: no error", status)
			continue
		}
		if strings.Contains(err.Error(), "98765") {
			t.Errorf("status %d: error %q contains the code", status, err)
		}
		if !strings.Contains(err.Error(), "status") {
			t.Errorf("status %d: error %q does not say the status", status, err)
		}
		// A redirect is not followed: the POST body would be lost.
		if n := len(gw.requests()); n != 1 {
			t.Errorf("status %d: gateway got %d requests, want 1", status, n)
		}
	}
}

func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })

	w, err := NewWebhook(WebhookConfig{URL: slow.URL, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = w.SendCode(context.Background(), "+447700900123", "12345", "sign_in")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if strings.Contains(err.Error(), "12345") || strings.Contains(err.Error(), slow.URL) {
		t.Errorf("error %q contains the code or the URL", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v for a 100ms timeout", d)
	}

	// The caller's context bounds the call too.
	w, err = NewWebhook(WebhookConfig{URL: slow.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := w.SendCode(ctx, "+447700900123", "12345", "sign_in"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("caller deadline: got %v, want context.DeadlineExceeded", err)
	}
}

// TestWebhookCallerClient shows the caller's client is used: only it
// trusts the test server's certificate.
func TestWebhookCallerClient(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)

	def, err := NewWebhook(WebhookConfig{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := def.SendCode(context.Background(), "+447700900123", "12345", "sign_in"); err == nil {
		t.Fatal("default client accepted the test server's self-signed certificate")
	}

	own, err := NewWebhook(WebhookConfig{URL: srv.URL, Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := own.SendCode(context.Background(), "+447700900123", "12345", "sign_in"); err != nil {
		t.Fatal(err)
	}
}

func TestNewWebhookRejects(t *testing.T) {
	_, err := NewWebhook(WebhookConfig{
		URL:           "ftp://example.org/x",
		Timeout:       -time.Second,
		Authorization: "Bearer x\r\nX-Evil: 1",
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"http:// or https://", "negative", "control characters"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not report %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "Bearer") {
		t.Errorf("error %q repeats the Authorization value", err)
	}
}
