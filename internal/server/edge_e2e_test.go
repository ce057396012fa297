package server_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestBadInput sends every kind of malformed request over both transports
// and checks the named error, and that nothing changed.
func TestBadInput(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	transports(t, n, func(t *testing.T, newCaller func() caller) {
		c := newCaller()
		tok, uid := signUp(t, n, c, ph.next(), "Kim")
		cases := []struct {
			name, method, params, code string
			status                     int
		}{
			{"malformed JSON", "account.updateProfile", `{"first_name":`, "MALFORMED_JSON", 400},
			{"not an object", "account.updateProfile", `[1,2]`, "WRONG_TYPE", 400},
			{"unknown field", "account.updateProfile", `{"first_name":"X","nick":"y"}`, "UNKNOWN_FIELD", 400},
			{"wrong type", "account.updateProfile", `{"first_name":5}`, "WRONG_TYPE", 400},
			{"wrong type in array", "users.get", `{"ids":["1"]}`, "WRONG_TYPE", 400},
			{"lone surrogate", "account.updateProfile", `{"first_name":"X\ud800"}`, "INVALID_UTF8", 400},
			{"missing param", "account.setTTL", `{}`, "PARAM_MISSING", 400},
			{"unknown method", "account.fly", `{}`, "METHOD_NOT_FOUND", 404},
			{"over-long name", "account.updateProfile", `{"first_name":"` + strings.Repeat("x", 65) + `"}`, "FIRST_NAME_INVALID", 400},
			{"invalid username", "account.updateUsername", `{"username":"no"}`, "USERNAME_INVALID", 400},
			{"trailing data", "account.updateProfile", `{"first_name":"X"} {}`, "MALFORMED_JSON", 400},
		}
		for _, tc := range cases {
			r := c.call(tc.method, rawJSON(tc.params))
			if r.code() != tc.code || (r.Status != 0 && r.Status != tc.status) {
				t.Errorf("%s: got %s (HTTP %d), want %s (%d)", tc.name, r.code(), r.Status, tc.code, tc.status)
			}
			if r.Error != nil && r.Error.Message == "" {
				t.Errorf("%s: no message", tc.name)
			}
		}
		// Invalid UTF-8 bytes, which JSON text cannot be.
		r := c.call("account.updateProfile", rawJSON("{\"first_name\":\"\xff\xfe\"}"))
		if r.code() != "INVALID_UTF8" {
			// Over the WebSocket a text frame must be UTF-8 as well; the
			// server may answer with an error or the library may refuse.
			t.Errorf("invalid UTF-8: %s", r.code())
		}
		if got := getUser(t, c, uid); got.FirstName != "Kim" {
			t.Fatalf("a refused request changed the profile: %+v", got)
		}
		// No token, and a revoked one.
		anon := newCaller()
		if r := anon.call("users.getMe", nil); r.code() != "AUTH_REQUIRED" || (r.Status != 0 && r.Status != 401) {
			t.Errorf("no token: %s %d", r.code(), r.Status)
		}
		c.call("auth.logOut", nil).into(t, new(bool))
		revoked := &httpCaller{t: t, base: n.url, token: tok}
		if r := revoked.call("users.getMe", nil); r.code() != "AUTH_TOKEN_INVALID" || r.Status != 401 {
			t.Errorf("revoked token: %s %d", r.code(), r.Status)
		}
		if r := anon.call("auth.useToken", map[string]string{"token": tok}); r.code() != "AUTH_TOKEN_INVALID" {
			t.Errorf("useToken with a revoked token: %s", r.code())
		}
		if r := (&httpCaller{t: t, base: n.url, token: "hvn_garbage"}).call("users.getMe", nil); r.code() != "AUTH_TOKEN_INVALID" {
			t.Errorf("garbage token: %s", r.code())
		}
	})
}

func TestBodyTooLarge(t *testing.T) {
	n := startNode(t, generous...)
	big := `{"first_name":"` + strings.Repeat("x", 1<<20) + `"}`
	// HTTP: 413 with the named error.
	c := &httpCaller{t: t, base: n.url}
	signUp(t, n, c, "+442079460001", "Lu")
	if r := c.call("account.updateProfile", rawJSON(big)); r.code() != "BODY_TOO_LARGE" || r.Status != 413 {
		t.Fatalf("HTTP body over 1 MiB: %s %d", r.code(), r.Status)
	}
	// A chunked body with no length is cut at the limit too.
	req, _ := http.NewRequest("POST", n.url+"/api/auth.sendCode", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var r reply
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if r.code() != "BODY_TOO_LARGE" || resp.StatusCode != 413 {
		t.Fatalf("chunked body over 1 MiB: %s %d", r.code(), resp.StatusCode)
	}
	// WebSocket: a frame over the limit closes the socket with 1009.
	ws := dialWS(t, n.url, "")
	if err := ws.conn.Write(context.Background(), websocket.MessageText, []byte(`{"id":1,"method":"auth.sendCode","params":`+big+`}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-ws.closed:
		if code != websocket.StatusMessageTooBig {
			t.Fatalf("oversized frame closed with %d, want 1009", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("oversized frame did not close the socket")
	}
}

func TestWebSocketFrames(t *testing.T) {
	n := startNode(t, generous...)
	ws := dialWS(t, n.url, "")
	for frame, code := range map[string]string{
		`{"id":1,"method":"auth.sendCode","params":{"identifier":"+442079460001"},"extra":1}`: "UNKNOWN_FIELD",
		`{"method":"auth.sendCode","params":{}}`:                                              "PARAM_INVALID",
		`{"id":{"a":1},"method":"x"}`:                                                         "PARAM_INVALID",
		`{"id":7}`:                                                                            "PARAM_MISSING",
		`{"id":8,"method":"users.getMe"}`:                                                     "AUTH_REQUIRED",
		`not json`:                                                                            "MALFORMED_JSON",
	} {
		if r := ws.send([]byte(frame)); r.code() != code {
			t.Errorf("%s: %s, want %s", frame, r.code(), code)
		}
	}
	// String ids are echoed.
	var sent sentCode
	ws.send([]byte(`{"id":"abc","method":"auth.sendCode","params":{"identifier":"+442079460002"}}`)).into(t, &sent)
	// auth.useToken binds a socket after the fact.
	h := &httpCaller{t: t, base: n.url}
	tok, uid := signUp(t, n, h, "+442079460003", "Mo")
	var me userView
	ws.call("auth.useToken", map[string]string{"token": tok}).into(t, &me)
	ws.call("users.getMe", nil).into(t, &me)
	if me.ID != uid {
		t.Fatalf("socket bound to %d, want %d", me.ID, uid)
	}
	// An upgrade with a bad token is refused before the upgrade.
	_, resp, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(n.url, "http")+"/api/ws", &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer hvn_nope"}}})
	if err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("upgrade with a bad token: %v %v", err, resp)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	n := startNode(t, generous...)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		resp, err := http.Get(n.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	c := &httpCaller{t: t, base: n.url}
	signUp(t, n, c, "+442079460001", "Ned")
	c.call("account.fly", nil)
	ws := dialWS(t, n.url, "")
	ws.call("auth.sendCode", map[string]string{"identifier": "bad"})
	resp, err := http.Get(n.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`haven_api_requests_total{code="OK",method="auth.signUp"} 1`,
		`haven_api_requests_total{code="METHOD_NOT_FOUND",method="unknown"} 1`,
		`haven_api_requests_total{code="PHONE_INVALID",method="auth.sendCode"} 1`,
		`haven_api_request_duration_seconds_count{method="auth.signIn"} 1`,
		`haven_websockets_open 1`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if bytes.Contains(body, []byte("account.fly")) {
		t.Error("an unknown method name became a metric label")
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	n := startNode(t, append([]string{"--tls-cert", certFile, "--tls-key", keyFile}, generous...)...)
	if !strings.HasPrefix(n.url, "https://") {
		t.Fatalf("url %s", n.url)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Post(n.url+"/api/auth.sendCode", "application/json", strings.NewReader(`{"identifier":"+442079460001"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("over TLS: %d", resp.StatusCode)
	}
}

func selfSigned(t *testing.T, dir string) (string, string, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestWebSocketBatch: a socket opened with ?batch=1 may get several
// frames in one message, one per line; read that way, a burst of pushes
// arrives whole and in order. Any other batch value is refused before
// the upgrade.
func TestWebSocketBatch(t *testing.T) {
	n := startNode(t, generous...)
	wsBase := "ws" + strings.TrimPrefix(n.url, "http") + "/api/ws"
	for _, q := range []string{"?batch=2", "?batch=yes"} {
		_, resp, err := websocket.Dial(context.Background(), wsBase+q, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("upgrade with %s: %v %v", q, err, resp)
		}
		body, _ := io.ReadAll(resp.Body)
		if !bytes.Contains(body, []byte(`"PARAM_INVALID"`)) {
			t.Fatalf("upgrade with %s answered %s", q, body)
		}
	}

	ann := &httpCaller{t: t, base: n.url}
	annTok, annID := signUp(t, n, ann, "+442079460011", "Ann")
	bob := &httpCaller{t: t, base: n.url}
	bobTok, _ := signUp(t, n, bob, "+442079460012", "Bob")
	bob.token = bobTok
	meet(t, bob, ann, annID)
	conn, _, err := websocket.Dial(context.Background(), wsBase+"?batch=1", &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + annTok}}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()

	// Four senders at once, so that pushes queue up behind each other.
	const each, senders = 100, 4
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := bob.call("messages.send", map[string]any{"user_id": annID, "text": fmt.Sprintf("%d/%d", s, i), "random_id": s*each + i + 1})
				if r.code() != "OK" {
					t.Errorf("send: %s", r.code())
					return
				}
			}
		}()
	}
	wg.Wait()

	var seqs []int64
	var messages, batched int
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(seqs) < each*senders {
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("after %d pushes: %v", len(seqs), err)
		}
		messages++
		lines := bytes.Split(data, []byte{'\n'})
		if len(lines) > 1 {
			batched++
		}
		for _, line := range lines {
			var f struct {
				Push string `json:"push"`
				Data struct {
					Seq  int64  `json:"seq"`
					Kind string `json:"kind"`
				} `json:"data"`
			}
			if err := json.Unmarshal(line, &f); err != nil {
				t.Fatalf("a line is not a frame: %v: %q", err, line)
			}
			if f.Push == "chat.event" && f.Data.Kind == "message.new" {
				seqs = append(seqs, f.Data.Seq)
			}
		}
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("push %d has seq %d after %d", i, seqs[i], seqs[i-1])
		}
	}
	t.Logf("%d pushes in %d messages, %d of them batched", len(seqs), messages, batched)
}
