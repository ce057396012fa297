package server_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/hkdf"
)

// pushService is a push service and the browsers behind it, in one: a
// real HTTPS server on loopback that takes the server's Web Push
// requests for its devices. For each it checks the VAPID token (RFC 8292:
// an ES256 JWT signed by the server's key, for this service's origin, not
// expired) and decrypts the payload (RFC 8291, aes128gcm) with the
// device's private key and auth secret, as a browser would, then answers
// with the device's status. Anything wrong is kept in problems.
type pushService struct {
	srv *httptest.Server

	// inflight and most count the requests being served at once.
	inflight, most atomic.Int64
	// delay makes every answer that much slower, and a gate holds every
	// answer until it is closed (set before use).
	delay time.Duration
	gate  chan struct{}

	mu       sync.Mutex
	vapid    []byte // the server's public key, as push.getConfig gave it
	devices  map[string]*pushDevice
	problems []string
	requests int
}

// pushDevice is one browser's subscription.
type pushDevice struct {
	token string // the endpoint's last segment: a capability
	key   *ecdh.PrivateKey
	auth  []byte

	// under pushService.mu:
	status   int // the answer to a push (201 Created by default)
	requests int
	got      []pushPayload
}

// pushPayload is what a device decrypts (docs/api.md, "Web Push").
type pushPayload struct {
	ChatID    int64  `json:"chat_id"`
	MessageID int64  `json:"message_id"`
	Title     string `json:"title"`
	Body      string `json:"body"`
}

func newPushService(t *testing.T) *pushService {
	ps := &pushService{devices: make(map[string]*pushDevice)}
	ps.srv = httptest.NewTLSServer(http.HandlerFunc(ps.serve))
	t.Cleanup(ps.srv.Close)
	return ps
}

// roots trusts the service's certificate.
func (ps *pushService) roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ps.srv.Certificate())
	return pool
}

// device makes a new browser subscription, with its own keys and a
// random endpoint.
func (ps *pushService) device(t *testing.T) *pushDevice {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tok := make([]byte, 16)
	auth := make([]byte, 16)
	_, _ = rand.Read(tok)
	_, _ = rand.Read(auth)
	d := &pushDevice{token: "cap" + hex.EncodeToString(tok), key: key, auth: auth, status: http.StatusCreated}
	ps.mu.Lock()
	ps.devices[d.token] = d
	ps.mu.Unlock()
	return d
}

// endpoint is the device's push endpoint at base (the service's URL, or
// another name for it).
func (d *pushDevice) endpoint(base string) string { return base + "/push/" + d.token }

// subscription is push.subscribe's params for the device at base.
func (d *pushDevice) subscription(base string) map[string]any {
	return map[string]any{
		"endpoint": d.endpoint(base),
		"p256dh":   base64.RawURLEncoding.EncodeToString(d.key.PublicKey().Bytes()),
		"auth":     base64.RawURLEncoding.EncodeToString(d.auth),
	}
}

func (ps *pushService) setVAPID(key []byte) {
	ps.mu.Lock()
	ps.vapid = key
	ps.mu.Unlock()
}

func (ps *pushService) setStatus(d *pushDevice, status int) {
	ps.mu.Lock()
	d.status = status
	ps.mu.Unlock()
}

// received returns what the device got, and how many requests came for it.
func (ps *pushService) received(d *pushDevice) ([]pushPayload, int) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]pushPayload(nil), d.got...), d.requests
}

// total is how many requests came at all.
func (ps *pushService) total() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.requests
}

// check fails the test for every problem a request had.
func (ps *pushService) check(t *testing.T) {
	t.Helper()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, p := range ps.problems {
		t.Error(p)
	}
}

func (ps *pushService) serve(w http.ResponseWriter, r *http.Request) {
	now := ps.inflight.Add(1)
	defer ps.inflight.Add(-1)
	for m := ps.most.Load(); now > m && !ps.most.CompareAndSwap(m, now); m = ps.most.Load() {
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	time.Sleep(ps.delay)
	if ps.gate != nil {
		<-ps.gate
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.requests++
	d := ps.devices[strings.TrimPrefix(r.URL.Path, "/push/")]
	if d == nil || r.Method != http.MethodPost || err != nil {
		ps.problems = append(ps.problems, fmt.Sprintf("a %s to %s, which is no device's endpoint (%v)", r.Method, r.URL.Path, err))
		w.WriteHeader(http.StatusNotFound)
		return
	}
	d.requests++
	p, err := ps.open(r, d, body)
	if err != nil {
		ps.problems = append(ps.problems, "push refused: "+err.Error())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	d.got = append(d.got, p)
	w.WriteHeader(d.status)
}

// open checks a push request as a push service and a browser would, and
// returns the payload.
func (ps *pushService) open(r *http.Request, d *pushDevice, body []byte) (pushPayload, error) {
	var p pushPayload
	if err := ps.checkVAPID(r); err != nil {
		return p, fmt.Errorf("VAPID: %w", err)
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "aes128gcm" {
		return p, fmt.Errorf("Content-Encoding %q, want aes128gcm", ce)
	}
	if ttl, err := strconv.Atoi(r.Header.Get("TTL")); err != nil || ttl <= 0 {
		return p, fmt.Errorf("TTL header %q, want a positive number of seconds", r.Header.Get("TTL"))
	}
	// RFC 8030: a push service need accept no more than 4096 bytes; and
	// every push is padded to that size, so that its length tells the
	// push service nothing of the text (docs/security.md).
	if len(body) != 4096 {
		return p, fmt.Errorf("a body of %d bytes, want every push padded to 4096", len(body))
	}
	plain, err := d.decrypt(body)
	if err != nil {
		return p, fmt.Errorf("decrypting: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("the payload %q: %w", plain, err)
	}
	return p, nil
}

// checkVAPID verifies the Authorization header "vapid t=JWT, k=KEY": k is
// the server's public key, and the JWT is signed with it (ES256), for
// this service's origin (aud), expiring within a day (exp), with a
// contact (sub).
func (ps *pushService) checkVAPID(r *http.Request) error {
	h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "vapid ")
	if !ok {
		return fmt.Errorf("Authorization %q is not vapid", r.Header.Get("Authorization"))
	}
	params := map[string]string{}
	for _, part := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		params[k] = v
	}
	k, err := base64.RawURLEncoding.DecodeString(params["k"])
	if err != nil || ps.vapid == nil || !bytes.Equal(k, ps.vapid) {
		return errors.New("k is not the server's public key (push.getConfig)")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), k)
	if err != nil {
		return err
	}
	parts := strings.Split(params["t"], ".")
	if len(parts) != 3 {
		return errors.New("t is not a JWT")
	}
	var header struct{ Alg string }
	var claims struct {
		Aud string
		Exp int64
		Sub string
	}
	for i, v := range []any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return err
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 || header.Alg != "ES256" {
		return fmt.Errorf("alg %q with a %d-byte signature, want ES256 and 64", header.Alg, len(sig))
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return errors.New("the JWT's signature does not verify with the server's key")
	}
	if want := "https://" + r.Host; claims.Aud != want {
		return fmt.Errorf("aud %q, want %q", claims.Aud, want)
	}
	now := time.Now().Unix()
	if claims.Exp <= now || claims.Exp > now+24*3600 {
		return fmt.Errorf("exp %d is not within a day of now (%d)", claims.Exp, now)
	}
	if !strings.HasPrefix(claims.Sub, "mailto:") && !strings.HasPrefix(claims.Sub, "https:") {
		return fmt.Errorf("sub %q is neither mailto: nor https:", claims.Sub)
	}
	return nil
}

// decrypt opens an aes128gcm body (RFC 8188) encrypted to the device
// (RFC 8291): the header names the salt, the record size and the
// server's one-time public key; the key and nonce come from the ECDH
// secret, the auth secret and both public keys.
func (d *pushDevice) decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("no header")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen {
		return nil, errors.New("a short header")
	}
	asPub, records := body[21:21+idlen], body[21+idlen:]
	if uint32(len(records)) > rs || rs < 18 {
		return nil, fmt.Errorf("%d bytes of records with a record size of %d: want one record", len(records), rs)
	}
	as, err := ecdh.P256().NewPublicKey(asPub)
	if err != nil {
		return nil, fmt.Errorf("the key id is not a P-256 point: %w", err)
	}
	secret, err := d.key.ECDH(as)
	if err != nil {
		return nil, err
	}
	info := append(append([]byte("WebPush: info\x00"), d.key.PublicKey().Bytes()...), asPub...)
	ikm := derive(secret, d.auth, info, 32)
	block, err := aes.NewCipher(derive(ikm, salt, []byte("Content-Encoding: aes128gcm\x00"), 16))
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, derive(ikm, salt, []byte("Content-Encoding: nonce\x00"), 12), records, nil)
	if err != nil {
		return nil, err
	}
	// The record ends with its padding: a delimiter (2 for the last
	// record) then zeros.
	end := len(plain) - 1
	for end >= 0 && plain[end] == 0 {
		end--
	}
	if end < 0 || plain[end] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:end], nil
}

// derive is HKDF-SHA-256.
func derive(secret, salt, info []byte, n int) []byte {
	out := make([]byte, n)
	if _, err := io.ReadFull(hkdf.New(sha256.New, secret, salt, info), out); err != nil {
		panic(err)
	}
	return out
}
