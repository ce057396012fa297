package push

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"code.dny.dev/ssrf"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// TestLoadKeys makes the VAPID keys on first start, private to the
// user, and reads the same keys back on the next.
func TestLoadKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vapid.key")
	k, err := LoadKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("vapid.key has mode %v, want -rw-------", fi.Mode().Perm())
	}
	if _, err := ecdh.P256().NewPublicKey(k.PublicKey()); err != nil || len(k.PublicKey()) != 65 {
		t.Errorf("public key %x is not an uncompressed P-256 point: %v", k.PublicKey(), err)
	}
	again, err := LoadKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.PublicKey(), k.PublicKey()) {
		t.Error("the keys changed on the second load")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("the directory holds %d files, want only vapid.key", len(entries))
	}

	bad := filepath.Join(t.TempDir(), "vapid.key")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(bad); err == nil {
		t.Error("LoadKeys accepted a file that is not a key")
	}
}

// device is a subscription's keys, as a browser makes them.
func device(t *testing.T, endpoint string) *haven.PushSubscription {
	t.Helper()
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	_, _ = rand.Read(auth)
	return &haven.PushSubscription{ID: 1, SessionID: 1, Endpoint: endpoint, P256dh: priv.PublicKey().Bytes(), Auth: auth}
}

// service is a push service on loopback that answers every request
// with status and counts them.
func service(t *testing.T, status int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if status == http.StatusFound {
			http.Redirect(w, r, "/elsewhere", status)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func sender(t *testing.T, srv *httptest.Server, allowPrivate bool) *Sender {
	t.Helper()
	k, err := LoadKeys(filepath.Join(t.TempDir(), "vapid.key"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Keys: k, AllowPrivate: allowPrivate, RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const token = "capability-token-1234"

// TestRefusesPrivateAddresses: a push to an endpoint that is, or whose
// name resolves to, a loopback address never leaves the server, and the
// error does not show the endpoint.
func TestRefusesPrivateAddresses(t *testing.T) {
	srv, hits := service(t, http.StatusCreated)
	s := sender(t, srv, false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	for _, endpoint := range []string{srv.URL + "/" + token, "https://localhost" + port + "/" + token} {
		err := s.Push(ctx, device(t, endpoint), core.PushNotification{ChatID: 1, MessageID: 1, Title: "t", Body: "b"})
		if !errors.Is(err, ssrf.ErrProhibitedIP) {
			t.Errorf("push to %s: %v, want the address refused", endpoint, err)
		}
		if err != nil && strings.Contains(err.Error(), token) {
			t.Errorf("the error shows the endpoint: %v", err)
		}
	}
	if err := s.Push(ctx, device(t, "http://example.org/"+token), core.PushNotification{}); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("push to an http endpoint: %v, want refused without the endpoint", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback service got %d requests", n)
	}
}

// TestPushStatuses maps the push service's answers: success, gone
// (404, 410), and failures, a redirect included (never followed).
func TestPushStatuses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		status   int
		gone, ok bool
	}{
		{http.StatusCreated, false, true},
		{http.StatusNotFound, true, false},
		{http.StatusGone, true, false},
		{http.StatusTooManyRequests, false, false},
		{http.StatusInternalServerError, false, false},
		{http.StatusFound, false, false},
	} {
		srv, hits := service(t, tc.status)
		s := sender(t, srv, true)
		err := s.Push(ctx, device(t, srv.URL+"/"+token), core.PushNotification{ChatID: 1, MessageID: 2, Title: "Ann", Body: "Hi"})
		if (err == nil) != tc.ok || errors.Is(err, core.ErrPushGone) != tc.gone {
			t.Errorf("status %d: %v", tc.status, err)
		}
		if err != nil && strings.Contains(err.Error(), token) {
			t.Errorf("status %d: the error shows the endpoint: %v", tc.status, err)
		}
		if n := hits.Load(); n != 1 {
			t.Errorf("status %d: the service got %d requests, want 1", tc.status, n)
		}
	}
}
