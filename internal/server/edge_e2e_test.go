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
	"database/sql"
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

	"github.com/havenchat/haven"
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
			{"NUL in a message", "messages.send", `{"user_id":1,"random_id":7,"text":"a\u0000b"}`, "PARAM_INVALID", 400},
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
		// Names are matched exactly and once, at every depth, and every
		// integer is one a JavaScript client holds exactly (within
		// ±2^53); the refusal names the field.
		for _, tc := range []struct{ name, method, params, code, field string }{
			{"field in another case", "account.updateProfile", `{"First_Name":"Eve"}`, "UNKNOWN_FIELD", "First_Name"},
			{"fields in upper case", "messages.send", fmt.Sprintf(`{"USER_ID":%d,"TEXT":"x","RANDOM_ID":1}`, uid), "UNKNOWN_FIELD", "USER_ID"},
			{"duplicate field", "account.updateProfile", `{"first_name":"Eve","first_name":"Kim"}`, "DUPLICATE_FIELD", "first_name"},
			{"nested field in another case", "contacts.import", `{"contacts":[{"phone":"+442079469999","First_Name":"Eve"}]}`, "UNKNOWN_FIELD", "contacts[0].First_Name"},
			{"duplicate nested field", "contacts.import", `{"contacts":[{"phone":"+442079469999","first_name":"Eve","first_name":"Bo"}]}`, "DUPLICATE_FIELD", "contacts[0].first_name"},
			{"duplicate in an album item", "messages.sendAlbum", fmt.Sprintf(`{"user_id":%d,"items":[{"kind":"photo","file_id":1,"random_id":5,"random_id":6}]}`, uid), "DUPLICATE_FIELD", "items[0].random_id"},
			{"id beyond 2^53", "users.get", `{"ids":[9007199254740993]}`, "PARAM_INVALID", "ids[0]"},
			{"id at 2^53", "users.get", `{"ids":[1,9007199254740992]}`, "PARAM_INVALID", "ids[1]"},
			{"random_id beyond 2^53", "messages.send", fmt.Sprintf(`{"user_id":%d,"text":"x","random_id":9007199254740993}`, uid), "PARAM_INVALID", "random_id"},
			{"random_id below -2^53", "messages.send", fmt.Sprintf(`{"user_id":%d,"text":"x","random_id":-9007199254740993}`, uid), "PARAM_INVALID", "random_id"},
			{"random_ids beyond 2^53", "messages.forward", `{"from_chat_id":1,"ids":[1],"user_id":1,"random_ids":[18014398509481984]}`, "PARAM_INVALID", "random_ids[0]"},
			{"entity user_id beyond 2^53", "messages.send", fmt.Sprintf(`{"user_id":%d,"text":"x","random_id":3,"entities":[{"type":"text_mention","offset":0,"length":1,"user_id":9007199254740993}]}`, uid), "PARAM_INVALID", "entities[0].user_id"},
		} {
			r := c.call(tc.method, rawJSON(tc.params))
			if r.code() != tc.code || (r.Status != 0 && r.Status != 400) || !strings.Contains(r.Error.Message, tc.field) {
				t.Errorf("%s: got %s (HTTP %d) %+v, want %s (400) naming %s", tc.name, r.code(), r.Status, r.Error, tc.code, tc.field)
			}
		}
		var dialogs []json.RawMessage
		c.call("dialogs.list", nil).into(t, &dialogs)
		if len(dialogs) != 0 {
			t.Errorf("a refused send made a chat: %d dialogs", len(dialogs))
		}
		var contacts []json.RawMessage
		c.call("contacts.list", nil).into(t, &contacts)
		if len(contacts) != 0 {
			t.Errorf("a refused import kept %d contacts", len(contacts))
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
	req.Header.Set("Content-Type", "application/json")
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
	// Keys are matched exactly and once, in the frame and in its params;
	// ids are strings or whole numbers from 0 to 2^53-1. The answer
	// carries the frame's id when one can be told, null otherwise.
	for _, tc := range []struct{ frame, id, code string }{
		{`{"id":9,"Method":"users.getMe"}`, "9", "UNKNOWN_FIELD"},
		{`{"ID":10,"method":"users.getMe"}`, "null", "UNKNOWN_FIELD"},
		{`{"id":11,"method":"users.getMe","method":"auth.sendCode"}`, "11", "DUPLICATE_FIELD"},
		{`{"id":12,"id":13,"method":"users.getMe"}`, "null", "DUPLICATE_FIELD"},
		{`{"id":14,"method":"auth.sendCode","params":{"Identifier":"+442079460001"}}`, "14", "UNKNOWN_FIELD"},
		{`{"id":15,"method":"auth.sendCode","params":{"identifier":"+442079460001","identifier":"x"}}`, "15", "DUPLICATE_FIELD"},
		{`{"id":-1,"method":"users.getMe"}`, "null", "PARAM_INVALID"},
		{`{"id":-0,"method":"users.getMe"}`, "null", "PARAM_INVALID"},
		{`{"id":1.5,"method":"users.getMe"}`, "null", "PARAM_INVALID"},
		{`{"id":1e3,"method":"users.getMe"}`, "null", "PARAM_INVALID"},
		{`{"id":9007199254740992,"method":"users.getMe"}`, "null", "PARAM_INVALID"},
		{`{"id":9007199254740991,"method":"users.getMe"}`, "9007199254740991", "AUTH_REQUIRED"},
		{`{"id":0,"method":"users.getMe"}`, "0", "AUTH_REQUIRED"},
	} {
		if r := ws.sendAs([]byte(tc.frame), tc.id); r.code() != tc.code {
			t.Errorf("%s: %s, want %s", tc.frame, r.code(), tc.code)
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

// get fetches url and returns its status and body.
func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestHealthReadyMetrics(t *testing.T) {
	n := startNode(t, append([]string{"--metrics-listen", "127.0.0.1:0"}, generous...)...)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		if status, _ := get(t, n.url+path); status != want {
			t.Errorf("%s: %d", path, status)
		}
	}
	c := &httpCaller{t: t, base: n.url}
	signUp(t, n, c, "+442079460001", "Ned")
	c.call("account.fly", nil)
	ws := dialWS(t, n.url, "")
	ws.call("auth.sendCode", map[string]string{"identifier": "bad"})
	ops := "http://" + n.srv.MetricsAddr()
	status, body := get(t, ops+"/metrics")
	if status != 200 {
		t.Fatalf("/metrics on the metrics listener: %d", status)
	}
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
	// Go's profiles are beside the metrics, but for the command line,
	// which may hold secrets given as flags.
	for path, want := range map[string]int{"/debug/pprof/": 200, "/debug/pprof/heap?debug=1": 200, "/debug/pprof/goroutine?debug=1": 200, "/debug/pprof/cmdline": 404} {
		if status, _ := get(t, ops+path); status != want {
			t.Errorf("metrics listener %s: %d, want %d", path, status, want)
		}
	}
	// The API's port serves neither.
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
		if status, body := get(t, n.url+path); status != 404 || bytes.Contains(body, []byte("haven_api")) {
			t.Errorf("API port %s: %d, want 404", path, status)
		}
	}
}

// TestMetricsOffByDefault: without metrics-listen nothing serves
// metrics or profiles, on any port.
func TestMetricsOffByDefault(t *testing.T) {
	n := startNode(t, generous...)
	if addr := n.srv.MetricsAddr(); addr != "" {
		t.Fatalf("metrics served on %s without metrics-listen", addr)
	}
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap"} {
		if status, _ := get(t, n.url+path); status != 404 {
			t.Errorf("API port %s: %d, want 404", path, status)
		}
	}
}

// TestReadyNeedsWrites: /readyz answers 503 while the database cannot be
// written, though it can still be read. Another connection holds
// SQLite's write lock (BEGIN EXCLUSIVE), as a second process or a stuck
// backup tool would; the node's writer then fails after its busy
// timeout. Once the lock is let go, the node is ready again.
func TestReadyNeedsWrites(t *testing.T) {
	sqliteOnly(t, "it locks the SQLite file to make writes fail")
	n := startNode(t, generous...)
	ready := func() int {
		status, _ := get(t, n.url+"/readyz")
		return status
	}
	if s := ready(); s != 200 {
		t.Fatalf("/readyz of a fresh node: %d", s)
	}
	// busy_timeout: the node may be writing (its own housekeeping) when
	// the test asks for the lock; wait for it instead of failing at once.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(n.dir, "haven.db")+"?_pragma=busy_timeout(20000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	lock, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	waitStatus := func(want int) {
		t.Helper()
		last := 0
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if last = ready(); last == want {
				return
			}
		}
		t.Fatalf("/readyz stayed %d, want %d", last, want)
	}
	waitStatus(503)
	// Reads still work meanwhile: the node is alive, only not ready.
	if status, _ := get(t, n.url+"/healthz"); status != 200 {
		t.Errorf("/healthz while the database is locked: %d", status)
	}
	if _, err := lock.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	waitStatus(200)
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
	// A WebSocket over TLS: its frames cannot be written to the bare
	// connection, and go through the TLS one, whole and in order.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "wss"+strings.TrimPrefix(n.url, "https")+"/api/ws", &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	const calls = 50
	for i := range calls {
		if err := conn.Write(ctx, websocket.MessageText, fmt.Appendf(nil, `{"id":%d,"method":"users.getMe","params":{}}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range calls {
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("answer %d over wss: %v", i, err)
		}
		var r struct {
			ID    int
			OK    bool
			Error struct{ Code string }
		}
		if err := json.Unmarshal(data, &r); err != nil || r.OK || r.Error.Code != haven.CodeAuthRequired {
			t.Fatalf("answer %d over wss: %s", i, data)
		}
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

// TestContentType: POST /api/METHOD takes only a body declared as JSON.
// A form on another site can POST text/plain (or a form encoding)
// without a CORS preflight; such a request must not reach the method:
// here, auth.sendCode would send a code to anyone's phone.
func TestContentType(t *testing.T) {
	n := startNode(t, generous...)
	post := func(header []string, body string) (*http.Response, reply) {
		t.Helper()
		req, _ := http.NewRequest("POST", n.url+"/api/auth.sendCode", strings.NewReader(body))
		for _, h := range header {
			req.Header.Add("Content-Type", h)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r reply
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatalf("%q: decoding the answer: %v", header, err)
		}
		return resp, r
	}
	body := `{"identifier":"+442079460001"}`
	for _, h := range [][]string{
		{"text/plain"},
		{"text/plain; charset=utf-8"},
		{"application/x-www-form-urlencoded"},
		{"multipart/form-data; boundary=x"},
		nil,
		{""},
		{"application/json; charset=iso-8859-1"},
		{"application/json; foo=bar"},
		{"application/jsonp"},
		{"application/json, text/plain"},
		{"application/json", "text/plain"},
	} {
		resp, r := post(h, body)
		if resp.StatusCode != http.StatusUnsupportedMediaType || r.code() != "UNSUPPORTED_MEDIA_TYPE" || resp.Header.Get("Accept-Post") != "application/json" {
			t.Errorf("Content-Type %q: %d %s (Accept-Post %q), want 415 UNSUPPORTED_MEDIA_TYPE", h, resp.StatusCode, r.code(), resp.Header.Get("Accept-Post"))
		}
	}
	if codes := n.codes.all(); len(codes) != 0 {
		t.Fatalf("a refused request sent %d codes", len(codes))
	}
	for _, h := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON; Charset=UTF-8"} {
		if resp, r := post([]string{h}, body); resp.StatusCode != 200 || !r.OK {
			t.Errorf("Content-Type %q: %d %s, want 200", h, resp.StatusCode, r.code())
		}
	}
	if codes := n.codes.all(); len(codes) != 3 {
		t.Fatalf("%d codes sent for 3 accepted requests", len(codes))
	}
}

// TestLogCodeSenderWarning: with the log code sender, a server that
// listens beyond loopback warns at start that sign-in codes go to its
// log; on loopback (a laptop), or with a real code sender, it does not.
func TestLogCodeSenderWarning(t *testing.T) {
	const warning = "SIGN-IN CODES ARE WRITTEN TO THIS LOG"
	for _, tc := range []struct {
		args []string
		warn bool
	}{
		{[]string{"--code-sender", "log", "--listen", "0.0.0.0:0"}, true},
		{[]string{"--code-sender", "log", "--listen", ":0"}, true},
		{[]string{"--code-sender", "log", "--listen", "127.0.0.1:0"}, false},
		{[]string{"--code-sender", "log", "--listen", "localhost:0"}, false},
		{[]string{"--listen", "0.0.0.0:0"}, false}, // startNode's webhook sender
	} {
		n := startNode(t, tc.args...)
		logs := n.logs.String()
		warned := strings.Contains(logs, warning)
		if warned != tc.warn {
			t.Errorf("%q: warned %v, want %v; log:\n%s", tc.args, warned, tc.warn, logs)
		}
		if warned && !strings.Contains(logs, "level=WARN msg=\""+warning) {
			t.Errorf("%q: the warning is not at level WARN:\n%s", tc.args, logs)
		}
	}
}
