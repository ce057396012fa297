package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// upgrade opens a WebSocket with the given upgrade headers ("Authorization",
// "X-Forwarded-For" ...). On success it returns a caller reading the
// socket; on a refusal, the refusal's status and envelope.
func upgrade(t *testing.T, n *node, hdr http.Header) (*wsCaller, reply) {
	t.Helper()
	c := &wsCaller{t: t, base: n.url, pushes: make(chan json.RawMessage, 100), closed: make(chan websocket.StatusCode, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.url, "http")+"/api/ws", &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		var r reply
		if resp.Body != nil {
			if derr := json.NewDecoder(resp.Body).Decode(&r); derr != nil {
				t.Fatalf("upgrade refused with %d and no envelope: %v", resp.StatusCode, derr)
			}
		}
		r.Status = resp.StatusCode
		return nil, r
	}
	conn.SetReadLimit(16 << 20)
	c.conn = conn
	t.Cleanup(func() { conn.CloseNow() })
	go c.read(conn)
	return c, reply{Status: http.StatusSwitchingProtocols, OK: true}
}

// bearerHdr is the upgrade header of a session token.
func bearerHdr(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// mustUpgrade opens a socket that must be accepted.
func mustUpgrade(t *testing.T, n *node, hdr http.Header, what string) *wsCaller {
	t.Helper()
	c, r := upgrade(t, n, hdr)
	if c == nil {
		t.Fatalf("%s: refused with %d %s", what, r.Status, r.code())
	}
	return c
}

// wantRefused checks that an upgrade is refused with 429
// CONNECTIONS_TOO_MANY in the envelope.
func wantRefused(t *testing.T, n *node, hdr http.Header, what string) {
	t.Helper()
	c, r := upgrade(t, n, hdr)
	if c != nil {
		t.Fatalf("%s: the socket was accepted", what)
	}
	if r.Status != http.StatusTooManyRequests || r.code() != "CONNECTIONS_TOO_MANY" || r.Error.Message == "" {
		t.Fatalf("%s: refused with %d %s, want 429 CONNECTIONS_TOO_MANY and a message", what, r.Status, r.code())
	}
}

// eventuallyUpgrade retries an upgrade until it is accepted: a closed
// socket frees its place once the server has seen it close.
func eventuallyUpgrade(t *testing.T, n *node, hdr http.Header, what string) *wsCaller {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, r := upgrade(t, n, hdr)
		if c != nil {
			return c
		}
		if r.code() != "CONNECTIONS_TOO_MANY" || time.Now().After(deadline) {
			t.Fatalf("%s: still refused with %d %s", what, r.Status, r.code())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWebSocketsPerAddress: one address may hold ws-per-ip sockets, of
// which ws-unauthorized-per-ip not yet signed in; the next is refused
// with CONNECTIONS_TOO_MANY before the upgrade, and a socket that signs
// in or closes frees its place.
func TestWebSocketsPerAddress(t *testing.T) {
	n := startNode(t, append([]string{"--ws-per-ip", "4", "--ws-unauthorized-per-ip", "2"}, generous...)...)
	var ph phones
	_, tok, _ := signUpHTTP(t, n, &ph, "Ann")

	u1 := mustUpgrade(t, n, nil, "first unauthorized socket")
	mustUpgrade(t, n, nil, "second unauthorized socket")
	wantRefused(t, n, nil, "third unauthorized socket")
	a1 := mustUpgrade(t, n, bearerHdr(tok), "authorized socket beside two unauthorized ones")

	// Signing in on a socket makes room for another unauthorized one.
	var me struct{ ID int64 }
	u1.call("auth.useToken", map[string]string{"token": tok}).into(t, &me)
	mustUpgrade(t, n, nil, "unauthorized socket after one signed in")

	// Four open: the address is full, signed in or not.
	wantRefused(t, n, bearerHdr(tok), "fifth socket")
	wantRefused(t, n, nil, "fifth socket, unauthorized")

	// A refusal changed nothing: the open sockets still work.
	if r := a1.call("users.getMe", nil); !r.OK {
		t.Fatalf("an open socket after the refusals: %s", r.code())
	}
	closeWS(t, a1)
	a2 := eventuallyUpgrade(t, n, bearerHdr(tok), "socket after one closed")
	if r := a2.call("users.getMe", nil); !r.OK {
		t.Fatalf("the new socket: %s", r.code())
	}
}

// TestWebSocketsPerPerson: one person may hold ws-per-user sockets; more
// are refused at the upgrade and by auth.useToken, which then leaves the
// socket as it was. A sign-in made on a socket is never refused.
func TestWebSocketsPerPerson(t *testing.T) {
	n := startNode(t, append([]string{"--ws-per-user", "2"}, generous...)...)
	var ph phones
	bobPhone := ph.next()
	bobTok, _ := signUp(t, n, &httpCaller{t: t, base: n.url}, bobPhone, "Bob")
	_, eveTok, _ := signUpHTTP(t, n, &ph, "Eve")

	b1 := mustUpgrade(t, n, bearerHdr(bobTok), "Bob's first socket")
	mustUpgrade(t, n, bearerHdr(bobTok), "Bob's second socket")
	wantRefused(t, n, bearerHdr(bobTok), "Bob's third socket")
	// Another person from the same address is not affected.
	eve := mustUpgrade(t, n, bearerHdr(eveTok), "Eve's socket")

	// auth.useToken to a person at the cap is refused and changes nothing.
	u := mustUpgrade(t, n, nil, "unauthorized socket")
	wantCode(t, u.call("auth.useToken", map[string]string{"token": bobTok}), "CONNECTIONS_TOO_MANY", "useToken at the cap")
	wantCode(t, u.call("users.getMe", nil), "AUTH_REQUIRED", "the refused socket")
	// Nor may Eve's socket switch to Bob.
	wantCode(t, eve.call("auth.useToken", map[string]string{"token": bobTok}), "CONNECTIONS_TOO_MANY", "switching to a person at the cap")
	var me struct {
		FirstName string `json:"first_name"`
	}
	eve.call("users.getMe", nil).into(t, &me)
	if me.FirstName != "Eve" {
		t.Fatalf("a refused switch changed the socket's person to %q", me.FirstName)
	}

	// Signing in on a socket is not refused at the cap: the sign-in
	// needed a code, and its token must reach the client.
	signing := mustUpgrade(t, n, nil, "socket to sign Bob in on")
	if _, a := codeSignIn(t, n, signing, bobPhone, "Tablet"); a.Status != "authorized" {
		t.Fatalf("sign-in on a socket at the cap: %+v", a)
	}
	me.FirstName = ""
	signing.call("users.getMe", nil).into(t, &me)
	if me.FirstName != "Bob" {
		t.Fatalf("the socket Bob signed in on acts as %q", me.FirstName)
	}

	closeWS(t, b1)
	closeWS(t, signing)
	eventuallyUpgrade(t, n, bearerHdr(bobTok), "Bob's socket after some closed")
}

// TestUnauthorizedSocketClosed: a socket that is not authorized within
// ws-auth-timeout is closed with 4002; authorized ones stay.
func TestUnauthorizedSocketClosed(t *testing.T) {
	// 3 s leaves time to sign in on a socket on a loaded machine.
	n := startNode(t, append([]string{"--ws-auth-timeout", "3s"}, generous...)...)
	var ph phones
	_, tok, _ := signUpHTTP(t, n, &ph, "Cy")

	idle := mustUpgrade(t, n, nil, "idle socket")
	byHeader := mustUpgrade(t, n, bearerHdr(tok), "socket authorized at the upgrade")
	byToken := mustUpgrade(t, n, nil, "socket to authorize")
	byToken.call("auth.useToken", map[string]string{"token": tok}).into(t, new(json.RawMessage))
	bySignIn := mustUpgrade(t, n, nil, "socket to sign in on")
	signUp(t, n, bySignIn, ph.next(), "Dee")
	// Opened last: once it is closed, every socket above that was still
	// unauthorized would have been closed as well.
	canary := mustUpgrade(t, n, nil, "canary")

	for _, c := range []*wsCaller{idle, canary} {
		select {
		case code := <-c.closed:
			if code != 4002 {
				t.Fatalf("an unauthorized socket closed with %d, want 4002", code)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("an unauthorized socket is still open long after ws-auth-timeout")
		}
	}
	for what, c := range map[string]*wsCaller{"authorized at the upgrade": byHeader, "by auth.useToken": byToken, "by sign-in": bySignIn} {
		if r := c.call("users.getMe", nil); !r.OK {
			t.Errorf("socket %s: %s", what, r.code())
		}
	}
}

// rawUpgrade completes a WebSocket handshake over a plain TCP connection
// and returns it, with the reader positioned after the handshake. The
// caller then plays a peer that has gone: it never writes again.
func rawUpgrade(t *testing.T, n *node, token string) (net.Conn, *bufio.Reader) {
	t.Helper()
	return rawUpgradeWith(t, n, token, nil)
}

// rawUpgradeWith is rawUpgrade that writes early (frames, say) in the
// same write as the handshake, before its answer; no token, no
// Authorization header.
func rawUpgradeWith(t *testing.T, n *node, token string, early []byte) (net.Conn, *bufio.Reader) {
	t.Helper()
	host := strings.TrimPrefix(n.url, "http://")
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	auth := ""
	if token != "" {
		auth = "Authorization: Bearer " + token + "\r\n"
	}
	req := fmt.Appendf(nil, "GET /api/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n", host, auth)
	if _, err := c.Write(append(req, early...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the handshake: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake answered %d", resp.StatusCode)
	}
	return c, br
}

// TestDeadPeerClosedByPing: the server pings a quiet socket, and closes
// it when no pong comes within ws-ping-timeout; a peer that answers
// stays connected through many pings.
func TestDeadPeerClosedByPing(t *testing.T) {
	n := startNode(t, append([]string{"--ws-ping-interval", "300ms", "--ws-ping-timeout", "1s"}, generous...)...)
	var ph phones
	_, tok, _ := signUpHTTP(t, n, &ph, "Flo")

	// A live peer: the client library answers pings while it reads.
	var pings atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	live, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.url, "http")+"/api/ws", &websocket.DialOptions{
		HTTPHeader:     bearerHdr(tok),
		OnPingReceived: func(context.Context, []byte) bool { pings.Add(1); return true },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer live.CloseNow()
	liveCaller := &wsCaller{t: t, base: n.url, conn: live, pushes: make(chan json.RawMessage, 100), closed: make(chan websocket.StatusCode, 1)}
	go liveCaller.read(live)

	// A dead peer: handshake done, then silence; it reads what comes.
	dead, br := rawUpgrade(t, n, tok)
	dead.SetReadDeadline(time.Now().Add(30 * time.Second))
	sawPing := false
	for {
		b0, err := br.ReadByte()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the server did not close a peer that never answered its pings")
			}
			break // closed by the server
		}
		b1, err := br.ReadByte()
		if err != nil {
			break
		}
		// Server frames are unmasked; pings and closes are short.
		size := int(b1 & 0x7f)
		if size >= 126 {
			t.Fatalf("unexpected long frame (opcode %#x)", b0&0x0f)
		}
		if _, err := io.CopyN(io.Discard, br, int64(size)); err != nil {
			break
		}
		if b0&0x0f == 0x9 {
			sawPing = true
		}
	}
	if !sawPing {
		t.Fatal("the dead peer was closed without being pinged")
	}

	// The live peer answered its pings and is still there.
	deadline := time.Now().Add(20 * time.Second)
	for pings.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the live peer got %d pings, want 3 or more", pings.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := liveCaller.call("users.getMe", nil); !r.OK {
		t.Fatalf("the live peer after %d pings: %s", pings.Load(), r.code())
	}
}

// rawHTTP sends a request head over a new TCP connection, then feeds the
// body from send on its own goroutine (which stops at the first failed
// write), and returns the answer's status and envelope.
func rawHTTP(t *testing.T, n *node, head string, send func(w io.Writer) error) reply {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(n.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		_ = send(stopWriter{c, stop})
	}()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a trickled body: %v", err)
	}
	defer resp.Body.Close()
	var r reply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("answer %d without an envelope: %v", resp.StatusCode, err)
	}
	r.Status = resp.StatusCode
	return r
}

// stopWriter fails once the test has its answer.
type stopWriter struct {
	w    io.Writer
	stop chan struct{}
}

func (s stopWriter) Write(p []byte) (int, error) {
	select {
	case <-s.stop:
		return 0, io.ErrClosedPipe
	default:
	}
	return s.w.Write(p)
}

// trickle writes size bytes of b, chunk bytes every pause.
func trickle(b byte, size, chunk int, pause time.Duration) func(w io.Writer) error {
	return func(w io.Writer) error {
		for sent := 0; sent < size; sent += chunk {
			if _, err := w.Write([]byte(strings.Repeat(string(b), min(chunk, size-sent)))); err != nil {
				return err
			}
			time.Sleep(pause)
		}
		return nil
	}
}

// TestTrickledBodyCut: a JSON body must arrive within body-timeout, and
// a file part no slower than part-min-rate after it; a client that
// trickles bytes to hold the connection is answered 408 BODY_TIMEOUT.
// A part on a slow link that keeps above the rate takes longer than
// body-timeout and is accepted.
func TestTrickledBodyCut(t *testing.T) {
	n := startNode(t, append([]string{"--body-timeout", "1s", "--part-min-rate", "64KiB"}, generous...)...)
	var ph phones
	alice, tok, _ := signUpHTTP(t, n, &ph, "Alice")

	// 2,000 bytes at 20 per 100 ms would take 10 s.
	r := rawHTTP(t, n, "POST /api/users.getMe HTTP/1.1\r\nHost: haven\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n",
		trickle(' ', 2000, 20, 100*time.Millisecond))
	if r.Status != http.StatusRequestTimeout || r.code() != "BODY_TIMEOUT" {
		t.Fatalf("trickled JSON body: %d %s, want 408 BODY_TIMEOUT", r.Status, r.code())
	}

	const size = 512 << 10
	var up struct {
		UploadID int64 `json:"upload_id"`
	}
	alice.call("files.startUpload", map[string]any{"size": size, "name": "slow.bin"}).into(t, &up)
	head := fmt.Sprintf("PUT /api/files/%d/0 HTTP/1.1\r\nHost: haven\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", up.UploadID, tok, size)
	// 2 KiB every 100 ms: 20 KiB/s, under the 64 KiB/s floor.
	r = rawHTTP(t, n, head, trickle('x', size, 2<<10, 100*time.Millisecond))
	if r.Status != http.StatusRequestTimeout || r.code() != "BODY_TIMEOUT" {
		t.Fatalf("trickled part: %d %s, want 408 BODY_TIMEOUT", r.Status, r.code())
	}
	var st struct {
		Received []int `json:"received"`
	}
	alice.call("files.uploadStatus", map[string]any{"upload_id": up.UploadID}).into(t, &st)
	if len(st.Received) != 0 {
		t.Fatalf("a cut part was kept: %v", st.Received)
	}

	// 32 KiB every 100 ms: about 320 KiB/s, five times the floor, so
	// the part takes some 1.6 s, past body-timeout, and is accepted.
	r = rawHTTP(t, n, head, trickle('x', size, 32<<10, 100*time.Millisecond))
	if !r.OK {
		t.Fatalf("a part above the minimum rate: %d %s", r.Status, r.code())
	}
	alice.call("files.uploadStatus", map[string]any{"upload_id": up.UploadID}).into(t, &st)
	if fmt.Sprint(st.Received) != "[0]" {
		t.Fatalf("parts received %v, want [0]", st.Received)
	}
}

// xff is the upgrade header a proxy adds.
func xff(addrs string) http.Header { return http.Header{"X-Forwarded-For": {addrs}} }

// TestForwardedForIgnoredByDefault: with no trusted proxy, a client
// cannot choose its address with X-Forwarded-For: the caps and the
// sign-in limits count its connection's peer.
func TestForwardedForIgnoredByDefault(t *testing.T) {
	n := startNode(t, "--ws-per-ip", "2", "--ws-unauthorized-per-ip", "2", "--signin-code-per-ip", "1")
	mustUpgrade(t, n, xff("203.0.113.1"), "first socket")
	mustUpgrade(t, n, xff("203.0.113.2"), "second socket")
	wantRefused(t, n, xff("203.0.113.3"), "third socket, claiming another address")

	wantCode(t, sendCodeFrom(t, n, "203.0.113.1", "+442079460101"), "OK", "first code")
	wantCode(t, sendCodeFrom(t, n, "203.0.113.2", "+442079460102"), "FLOOD_WAIT", "second code, claiming another address")

}

// sendCodeFrom calls auth.sendCode over HTTP as a proxy would forward it
// for client.
func sendCodeFrom(t *testing.T, n *node, client, identifier string) reply {
	t.Helper()
	req, _ := http.NewRequest("POST", n.url+"/api/auth.sendCode", strings.NewReader(fmt.Sprintf(`{"identifier":%q}`, identifier)))
	req.Header.Set("X-Forwarded-For", client)
	return do(t, req)
}

// do sends req, as JSON when it is an API call, and decodes the answer.
func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	if req.Method == http.MethodPost && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r reply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	r.Status = resp.StatusCode
	return r
}

// rawConn opens a TCP connection to the node.
func rawConn(t *testing.T, n *node) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(n.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// healthy reports whether c carries an HTTP request and its answer.
func healthy(t *testing.T, c net.Conn, br *bufio.Reader) bool {
	t.Helper()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: haven\r\n\r\n"); err != nil {
		return false
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestConnectionsPerAddress: one address may hold conns-per-ip TCP
// connections; the next is closed on arrival, and a closed one frees
// its place. A trusted proxy is exempt: it carries many clients.
func TestConnectionsPerAddress(t *testing.T) {
	n := startNode(t, "--conns-per-ip", "2")
	a, b := rawConn(t, n), rawConn(t, n)
	ar, br := bufio.NewReader(a), bufio.NewReader(b)
	if !healthy(t, a, ar) || !healthy(t, b, br) {
		t.Fatal("a connection within the cap does not work")
	}
	over := rawConn(t, n)
	if healthy(t, over, bufio.NewReader(over)) {
		t.Fatal("a connection over conns-per-ip was served")
	}
	a.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c := rawConn(t, n)
		if healthy(t, c, bufio.NewReader(c)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed connection did not free its place")
		}
		time.Sleep(20 * time.Millisecond)
	}

	proxied := startNode(t, "--conns-per-ip", "1", "--trusted-proxies", "127.0.0.1")
	for i := range 4 {
		c := rawConn(t, proxied)
		if !healthy(t, c, bufio.NewReader(c)) {
			t.Fatalf("connection %d of a trusted proxy was refused", i+1)
		}
	}
}

// TestTrustedProxies: behind a trusted proxy, each client counts by the
// address the proxy forwarded (the right-most one that is not a trusted
// proxy): its sockets, its sign-in codes, its flood control before
// sign-in and the address logged with its session; the proxy's own
// connections are not capped.
func TestTrustedProxies(t *testing.T) {
	n := startNode(t, "--trusted-proxies", "127.0.0.1,10.0.0.0/8", "--ws-per-ip", "2", "--ws-unauthorized-per-ip", "2",
		"--signin-code-per-ip", "1", "--signin-code-per-identifier", "100", "--conns-per-ip", "2",
		"--flood-rate", "1", "--flood-burst", "1", "--ip-logging")

	mustUpgrade(t, n, xff("203.0.113.1"), "first socket of .1")
	mustUpgrade(t, n, xff("198.51.100.9, 203.0.113.1"), "second socket of .1, behind a spoofed address")
	wantRefused(t, n, xff("203.0.113.1"), "third socket of .1")
	wantRefused(t, n, xff("203.0.113.5, 203.0.113.1, 10.1.2.3"), "third socket of .1 through two proxies")
	// Other clients of the same proxy are not lumped together with .1.
	mustUpgrade(t, n, xff("203.0.113.2"), "socket of .2")
	mustUpgrade(t, n, xff("2001:db8:1:2::1"), "socket of an IPv6 client")
	mustUpgrade(t, n, xff("2001:db8:1:2::2"), "second socket of the same /64")
	wantRefused(t, n, xff("2001:db8:1:2::3"), "third socket of the same /64")
	// Six sockets, and the TCP cap is 2: the proxy is exempt.

	wantCode(t, sendCodeFrom(t, n, "203.0.113.1", "+442079460201"), "OK", "code for .1")
	wantCode(t, sendCodeFrom(t, n, "203.0.113.1", "+442079460202"), "FLOOD_WAIT", "second code for .1")
	wantCode(t, sendCodeFrom(t, n, "203.0.113.2", "+442079460203"), "OK", "code for .2")

	// Flood control before sign-in keys on the forwarded address too.
	signIn := func(client string) reply {
		req, _ := http.NewRequest("POST", n.url+"/api/auth.signIn", strings.NewReader(`{"login_token":"hvn_nope","code":"12345"}`))
		req.Header.Set("X-Forwarded-For", client)
		return do(t, req)
	}
	wantCode(t, signIn("203.0.113.3"), "LOGIN_TOKEN_INVALID", "first sign-in of .3")
	wantCode(t, signIn("203.0.113.3"), "FLOOD_WAIT", "second sign-in of .3")
	wantCode(t, signIn("203.0.113.4"), "LOGIN_TOKEN_INVALID", "first sign-in of .4")

	// The session logs the forwarded address.
	var sent struct {
		LoginToken string `json:"login_token"`
	}
	const who = "+442079460204"
	sendCodeFrom(t, n, "198.51.100.20", who).into(t, &sent)
	req, _ := http.NewRequest("POST", n.url+"/api/auth.signIn",
		strings.NewReader(fmt.Sprintf(`{"login_token":%q,"code":%q}`, sent.LoginToken, n.codes.last(t, who, "sign_in"))))
	req.Header.Set("X-Forwarded-For", "198.51.100.20")
	wantCode(t, do(t, req), "OK", "sign-in")
	req, _ = http.NewRequest("POST", n.url+"/api/auth.signUp",
		strings.NewReader(fmt.Sprintf(`{"login_token":%q,"first_name":"Gil"}`, sent.LoginToken)))
	req.Header.Set("X-Forwarded-For", "198.51.100.20")
	var auth struct{ Token string }
	do(t, req).into(t, &auth)
	var sessions []struct {
		IP string `json:"ip"`
	}
	req, _ = http.NewRequest("POST", n.url+"/api/sessions.list", nil)
	req.Header.Set("Authorization", "Bearer "+auth.Token)
	req.Header.Set("X-Forwarded-For", "198.51.100.20")
	do(t, req).into(t, &sessions)
	if len(sessions) != 1 || sessions[0].IP != "198.51.100.20" {
		t.Fatalf("sessions behind the proxy: %+v, want the forwarded address", sessions)
	}
}
