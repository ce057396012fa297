package server_test

import (
	"bytes"
	"cmp"
	"crypto/ecdh"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/server"
)

// This file drives Web Push end to end: a device subscribes through the
// API, and a real push service on loopback (pushservice_test.go) checks
// the server's VAPID signature and decrypts what each device gets.

// pushWorld is a node with Web Push on, allowed to reach the push service
// on loopback, and two people: Ann Lee, and Bob, whose first session
// subscribed the device phone.
type pushWorld struct {
	n     *node
	ps    *pushService
	ph    *phones
	ann   *pushUser
	bob   *pushUser
	phone *pushDevice
}

// pushUser is one signed-up person and their first session.
type pushUser struct {
	api   *httpCaller
	token string
	id    int64
	phone string
}

func newPushWorld(t *testing.T, args ...string) *pushWorld {
	t.Helper()
	ps := newPushService(t)
	all := append(append([]string{"--push-allow-private", "--metrics-listen", "127.0.0.1:0"}, generous...), args...)
	w := &pushWorld{n: startNodeWith(t, server.Options{PushRootCAs: ps.roots()}, all...), ps: ps, ph: &phones{}}
	w.ann = w.signUp(t, "Ann", "Lee")
	w.bob = w.signUp(t, "Bob", "")
	// Ann finds Bob by his username: an id alone reaches nobody.
	meet(t, w.ann.api, w.bob.api, w.bob.id)
	w.ps.setVAPID(vapidKey(t, w.bob.api))
	w.phone = ps.device(t)
	w.subscribe(t, w.bob.api, w.phone, false)
	t.Cleanup(func() { w.checkClean(t) })
	return w
}

// vapidKey asks push.getConfig for the server's public key and checks
// that it is an uncompressed P-256 point.
func vapidKey(t *testing.T, c caller) []byte {
	t.Helper()
	var cfg struct {
		Key string `json:"vapid_public_key"`
	}
	c.call("push.getConfig", nil).into(t, &cfg)
	key, err := base64.RawURLEncoding.DecodeString(cfg.Key)
	if err == nil {
		_, err = ecdh.P256().NewPublicKey(key)
	}
	if err != nil || len(key) != 65 {
		t.Fatalf("push.getConfig gave %q: %v; want an uncompressed P-256 point in base64url", cfg.Key, err)
	}
	return key
}

// checkClean fails the test for every request the push service refused,
// and for any endpoint that reached the log.
func (w *pushWorld) checkClean(t *testing.T) {
	w.ps.check(t)
	logs := w.n.logs.String()
	w.ps.mu.Lock()
	defer w.ps.mu.Unlock()
	for tok := range w.ps.devices {
		if strings.Contains(logs, tok) {
			t.Errorf("the log shows a push endpoint (%s)", tok)
		}
	}
}

func (w *pushWorld) signUp(t *testing.T, first, last string) *pushUser {
	t.Helper()
	u := &pushUser{api: &httpCaller{t: t, base: w.n.url}, phone: w.ph.next()}
	u.token, u.id = signUp(t, w.n, u.api, u.phone, first)
	if last != "" {
		u.api.call("account.updateProfile", map[string]any{"last_name": last}).into(t, new(any))
	}
	return u
}

// subscribe makes c's session subscribe d, with private notifications
// or not.
func (w *pushWorld) subscribe(t *testing.T, c caller, d *pushDevice, private bool) {
	t.Helper()
	p := d.subscription(w.ps.srv.URL)
	p["private"] = private
	var ok bool
	c.call("push.subscribe", p).into(t, &ok)
	if !ok {
		t.Fatal("push.subscribe answered false")
	}
}

// idle waits until every message committed so far has been pushed (or
// found no one to push to): the server's push backlog is empty.
func (w *pushWorld) idle(t *testing.T) {
	t.Helper()
	waitMetric(t, w.n, "haven_push_backlog", func(v float64) bool { return v == 0 })
}

// expect waits for the pushes in flight, then checks that d got exactly
// want: each notification once, none missing, none more. Not in order:
// the server's push workers send concurrently, and Web Push promises no
// order (a notification names its message).
func (w *pushWorld) expect(t *testing.T, d *pushDevice, want ...pushPayload) {
	t.Helper()
	w.idle(t)
	got, _ := w.ps.received(d)
	got, want = byMessage(got), byMessage(want)
	if !slices.Equal(got, want) {
		t.Fatalf("the device got\n%s\nwant\n%s", payloads(got), payloads(want))
	}
}

// byMessage returns ps sorted by chat and message, then by text.
func byMessage(ps []pushPayload) []pushPayload {
	ps = slices.Clone(ps)
	slices.SortStableFunc(ps, func(a, b pushPayload) int {
		return cmp.Or(cmp.Compare(a.ChatID, b.ChatID), cmp.Compare(a.MessageID, b.MessageID),
			cmp.Compare(a.Title, b.Title), cmp.Compare(a.Body, b.Body))
	})
	return ps
}

func payloads(ps []pushPayload) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  %+v\n", p)
	}
	if b.Len() == 0 {
		return "  nothing\n"
	}
	return b.String()
}

// note is the payload of a notification of m.
func note(m messageView, title, body string) pushPayload {
	return pushPayload{ChatID: m.ChatID, MessageID: m.ID, Title: title, Body: body}
}

// metricValue reads one series of the node's /metrics, served on its
// metrics listener (the node must be started with --metrics-listen): 0
// when the series is absent, as a counter is before its first count.
func metricValue(t *testing.T, n *node, series string) float64 {
	t.Helper()
	addr := n.srv.MetricsAddr()
	if addr == "" {
		t.Fatal("metrics: the node has no metrics listener (start it with --metrics-listen)")
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics: %s", resp.Status)
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	for _, line := range strings.Split(buf.String(), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == series {
			var v float64
			fmt.Sscan(f[1], &v)
			return v
		}
	}
	return 0
}

// waitMetric waits, generously, until a series satisfies ok.
func waitMetric(t *testing.T, n *node, series string, ok func(float64) bool) float64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v := metricValue(t, n, series)
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s stayed at %v", series, v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func pushCount(t *testing.T, n *node, result string) float64 {
	t.Helper()
	return metricValue(t, n, `haven_push_notifications_total{result="`+result+`"}`)
}

// TestWebPush: with no socket open, Bob's device is woken for what Ann
// sends him (a private message, a group message, a channel post, a photo,
// a long text cut short), each signed for with the server's VAPID key and
// decrypted by the device; and for nothing else: not Ann's silent message,
// not Bob's own, not a service message.
func TestWebPush(t *testing.T) {
	w := newPushWorld(t)
	ann, bob := w.ann, w.bob
	var want []pushPayload

	m := send(t, ann.api, map[string]any{"user_id": bob.id}, "Hi Bob!")
	want = append(want, note(m, "Ann Lee", "Hi Bob!"))
	w.expect(t, w.phone, want...)

	// A group: Bob lets Ann add him (she is his contact).
	knows(t, ann.api, ann.phone, ann.id, bob.api, bob.phone)
	var g chatInfo
	ann.api.call("chats.createGroup", map[string]any{"title": "Climbers", "user_ids": []int64{bob.id}}).into(t, &g)
	m = send(t, ann.api, map[string]any{"chat_id": g.ID}, "Hi")
	want = append(want, note(m, "Climbers", "Ann: Hi"))

	// A channel Bob subscribed to: the post is the channel's.
	var ch chatInfo
	ann.api.call("chats.createChannel", map[string]any{"title": "Route news", "username": "route_news"}).into(t, &ch)
	bob.api.call("chats.join", map[string]any{"chat_id": ch.ID}).into(t, new(any))
	m = send(t, ann.api, map[string]any{"chat_id": ch.ID}, "New route on the north face")
	want = append(want, note(m, "Route news", "New route on the north face"))

	// Media: a word for the kind, and the caption.
	fc := newFileClient(t, w.n.url, ann.token)
	for _, caption := range []string{"Sunset", ""} {
		var pm messageView
		ann.api.call("messages.sendMedia", map[string]any{"user_id": bob.id, "kind": "photo", "caption": caption, "random_id": safeRID(),
			"file_id": uploadBytes(t, ann.api, fc, "sunset.png", testPNG(t, 40, 30))}).into(t, &pm)
		want = append(want, note(pm, "Ann Lee", strings.TrimSuffix("Photo: "+caption, ": ")))
	}

	// A long text is cut for the lock screen.
	long := strings.Repeat("climb ", 600)
	m = send(t, ann.api, map[string]any{"user_id": bob.id}, long)
	want = append(want, note(m, "Ann Lee", strings.TrimSpace(long[:199])+"…"))

	// Nothing for a silent message, Bob's own, or a service message.
	ann.api.call("messages.send", map[string]any{"user_id": bob.id, "text": "shh", "silent": true, "random_id": safeRID()}).into(t, new(any))
	send(t, bob.api, map[string]any{"chat_id": g.ID}, "my own")
	ann.api.call("chats.update", map[string]any{"chat_id": g.ID, "title": "Climbers 2026"}).into(t, new(any))
	w.expect(t, w.phone, want...)
	if n := pushCount(t, w.n, "sent"); n != float64(len(want)) {
		t.Errorf("haven_push_notifications_total{result=\"sent\"} = %v, want %d", n, len(want))
	}
}

// TestWebPushMutedAndBlocked: a chat Bob muted wakes nothing until the
// mute ends, and someone Bob blocks never wakes him, even in a group.
func TestWebPushMutedAndBlocked(t *testing.T) {
	w := newPushWorld(t)
	ann, bob := w.ann, w.bob
	carol := w.signUp(t, "Carol", "")
	knows(t, ann.api, ann.phone, ann.id, bob.api, bob.phone)
	var g chatInfo
	ann.api.call("chats.createGroup", map[string]any{"title": "Climbers", "user_ids": []int64{bob.id}}).into(t, &g)
	knows(t, ann.api, ann.phone, ann.id, carol.api, carol.phone)
	ann.api.call("chats.addMembers", map[string]any{"chat_id": g.ID, "user_ids": []int64{carol.id}}).into(t, new(any))

	mute := func(until int64) {
		bob.api.call("dialogs.update", map[string]any{"chat_id": g.ID, "muted_until": until}).into(t, new(any))
	}
	mute(w.n.clock.Now().Add(time.Hour).Unix())
	send(t, ann.api, map[string]any{"chat_id": g.ID}, "while muted")
	pm := send(t, ann.api, map[string]any{"user_id": bob.id}, "a private chat is not muted")
	want := []pushPayload{note(pm, "Ann Lee", "a private chat is not muted")}
	w.expect(t, w.phone, want...)

	// The mute runs out.
	w.n.clock.Advance(2 * time.Hour)
	m := send(t, ann.api, map[string]any{"chat_id": g.ID}, "mute over")
	want = append(want, note(m, "Climbers", "Ann: mute over"))
	w.expect(t, w.phone, want...)

	// Unmuted by hand, but Carol is blocked.
	mute(w.n.clock.Now().Add(time.Hour).Unix())
	mute(0)
	bob.api.call("contacts.block", map[string]any{"user_id": carol.id}).into(t, new(any))
	send(t, carol.api, map[string]any{"chat_id": g.ID}, "from someone blocked")
	m = send(t, ann.api, map[string]any{"chat_id": g.ID}, "unmuted")
	want = append(want, note(m, "Climbers", "Ann: unmuted"))
	w.expect(t, w.phone, want...)
}

// TestWebPushNotWhileConnected: a session with a socket open sees
// messages live and gets no push; Bob's other session, without one, does;
// once the socket closes, the first session gets pushes again.
func TestWebPushNotWhileConnected(t *testing.T) {
	w := newPushWorld(t)
	ann, bob := w.ann, w.bob
	laptopAPI := &httpCaller{t: t, base: w.n.url}
	_, a := codeSignIn(t, w.n, laptopAPI, bob.phone, "Laptop")
	laptopAPI.setToken(a.Token)
	laptop := w.ps.device(t)
	w.subscribe(t, laptopAPI, laptop, false)

	ws := dialWS(t, w.n.url, bob.token)
	m := send(t, ann.api, map[string]any{"user_id": bob.id}, "you are here")
	if _, _, ok := awaitPush(t, ws, "chat.event", 10*time.Second); !ok {
		t.Fatal("the open socket got no push")
	}
	w.expect(t, w.phone)
	w.expect(t, laptop, note(m, "Ann Lee", "you are here"))
	if n := pushCount(t, w.n, "awake"); n != 1 {
		t.Errorf("haven_push_notifications_total{result=\"awake\"} = %v, want 1", n)
	}

	ws.conn.Close(1000, "tab closed")
	waitMetric(t, w.n, "haven_websockets_open", func(v float64) bool { return v == 0 })
	m2 := send(t, ann.api, map[string]any{"user_id": bob.id}, "you left")
	w.expect(t, w.phone, note(m2, "Ann Lee", "you left"))
	w.expect(t, laptop, note(m, "Ann Lee", "you are here"), note(m2, "Ann Lee", "you left"))
}

// TestWebPushPrivateNotifications: private notifications (the default
// when a subscription does not say) show only "New message"; subscribing
// the same endpoint again changes the choice without a second push.
func TestWebPushPrivateNotifications(t *testing.T) {
	w := newPushWorld(t)
	ann, bob := w.ann, w.bob
	tablet := w.ps.device(t)
	var ok bool
	bob.api.call("push.subscribe", tablet.subscription(w.ps.srv.URL)).into(t, &ok) // "private" left out
	if !ok {
		t.Fatal("push.subscribe answered false")
	}

	// Each push is waited for before the choice changes: a push reads
	// the subscription as it is when it goes.
	m1 := send(t, ann.api, map[string]any{"user_id": bob.id}, "the code is 1234")
	w.idle(t)
	w.subscribe(t, bob.api, tablet, false)
	m2 := send(t, ann.api, map[string]any{"user_id": bob.id}, "see you at 6")
	w.idle(t)
	w.subscribe(t, bob.api, tablet, true)
	m3 := send(t, ann.api, map[string]any{"user_id": bob.id}, "bring the rope")
	w.expect(t, tablet,
		note(m1, "Haven", "New message"),
		note(m2, "Ann Lee", "see you at 6"),
		note(m3, "Haven", "New message"))
	w.expect(t, w.phone, note(m1, "Ann Lee", "the code is 1234"), note(m2, "Ann Lee", "see you at 6"), note(m3, "Ann Lee", "bring the rope"))
}

// TestWebPushGoneSubscriptionDeleted: a subscription the push service
// answers 410 Gone for is deleted: the next message does not try it.
func TestWebPushGoneSubscriptionDeleted(t *testing.T) {
	w := newPushWorld(t)
	w.ps.setStatus(w.phone, http.StatusGone)
	send(t, w.ann.api, map[string]any{"user_id": w.bob.id}, "first")
	w.idle(t)
	if _, n := w.ps.received(w.phone); n != 1 {
		t.Fatalf("the device got %d requests, want 1", n)
	}
	if n := pushCount(t, w.n, "gone"); n != 1 {
		t.Errorf("haven_push_notifications_total{result=\"gone\"} = %v, want 1", n)
	}
	send(t, w.ann.api, map[string]any{"user_id": w.bob.id}, "second")
	w.idle(t)
	if _, n := w.ps.received(w.phone); n != 1 {
		t.Errorf("after 410 Gone the device got %d requests in all, want still 1", n)
	}
}

// TestWebPushEndsWithSession: ending a session (logging out, or being
// terminated from another device) deletes its subscriptions.
func TestWebPushEndsWithSession(t *testing.T) {
	w := newPushWorld(t)
	ann, bob := w.ann, w.bob
	laptopAPI := &httpCaller{t: t, base: w.n.url}
	_, a := codeSignIn(t, w.n, laptopAPI, bob.phone, "Laptop")
	laptopAPI.setToken(a.Token)
	laptop := w.ps.device(t)
	w.subscribe(t, laptopAPI, laptop, false)

	var sessions []struct {
		ID      int64 `json:"id"`
		Current bool  `json:"current"`
	}
	laptopAPI.call("sessions.list", nil).into(t, &sessions)
	for _, s := range sessions {
		if !s.Current {
			laptopAPI.call("sessions.terminate", map[string]any{"session_id": s.ID}).into(t, new(any))
		}
	}
	m := send(t, ann.api, map[string]any{"user_id": bob.id}, "after terminate")
	w.expect(t, laptop, note(m, "Ann Lee", "after terminate"))
	w.expect(t, w.phone)

	laptopAPI.call("auth.logOut", nil).into(t, new(any))
	send(t, ann.api, map[string]any{"user_id": bob.id}, "after logout")
	w.expect(t, laptop, note(m, "Ann Lee", "after terminate"))
	if _, n := w.ps.received(w.phone); n != 0 {
		t.Errorf("the terminated session's device got %d requests", n)
	}
}

// TestWebPushSubscribeRefused: bad subscriptions are refused with named
// errors and store nothing; a session's subscriptions are capped.
func TestWebPushSubscribeRefused(t *testing.T) {
	w := newPushWorld(t, "--push-per-session", "2")
	ann, bob := w.ann, w.bob
	d := w.ps.device(t)
	with := func(k string, v any) map[string]any {
		p := d.subscription(w.ps.srv.URL)
		p[k] = v
		return p
	}
	offCurve := append([]byte{4}, bytes.Repeat([]byte{1}, 64)...)
	for _, tc := range []struct {
		what   string
		params map[string]any
		code   string
	}{
		{"http", with("endpoint", "http://push.example.org/x"), "PUSH_ENDPOINT_INVALID"},
		{"no host", with("endpoint", "https:///x"), "PUSH_ENDPOINT_INVALID"},
		{"credentials", with("endpoint", "https://user:pw@push.example.org/x"), "PUSH_ENDPOINT_INVALID"},
		{"not a URL", with("endpoint", "push service"), "PUSH_ENDPOINT_INVALID"},
		{"too long", with("endpoint", "https://push.example.org/"+strings.Repeat("x", 1024)), "PUSH_ENDPOINT_INVALID"},
		{"p256dh not base64url", with("p256dh", "a+b/c"), "PUSH_KEY_INVALID"},
		{"p256dh compressed", with("p256dh", base64.RawURLEncoding.EncodeToString(d.key.PublicKey().Bytes()[:33])), "PUSH_KEY_INVALID"},
		{"p256dh off the curve", with("p256dh", base64.RawURLEncoding.EncodeToString(offCurve)), "PUSH_KEY_INVALID"},
		{"auth short", with("auth", base64.RawURLEncoding.EncodeToString(d.auth[:15])), "PUSH_KEY_INVALID"},
		{"auth missing", with("auth", ""), "PARAM_MISSING"},
	} {
		wantCode(t, bob.api.call("push.subscribe", tc.params), tc.code, tc.what)
	}
	anon := &httpCaller{t: t, base: w.n.url}
	wantCode(t, anon.call("push.subscribe", d.subscription(w.ps.srv.URL)), "AUTH_REQUIRED", "no session")
	wantCode(t, anon.call("push.getConfig", nil), "AUTH_REQUIRED", "no session")

	// Bob's session has the phone; one more fits, a third does not, the
	// same endpoint again does (it is an update).
	w.subscribe(t, bob.api, d, false)
	third := w.ps.device(t)
	wantCode(t, bob.api.call("push.subscribe", third.subscription(w.ps.srv.URL)), "PUSH_SUBSCRIPTIONS_TOO_MANY", "a third")
	w.subscribe(t, bob.api, d, false)
	var ok bool
	bob.api.call("push.unsubscribe", map[string]any{"endpoint": d.endpoint(w.ps.srv.URL)}).into(t, &ok)
	bob.api.call("push.unsubscribe", map[string]any{"endpoint": d.endpoint(w.ps.srv.URL)}).into(t, &ok) // again: still true
	w.subscribe(t, bob.api, third, false)

	// Only the phone and the third device get pushes: refused
	// subscriptions and the unsubscribed one store nothing.
	m := send(t, ann.api, map[string]any{"user_id": bob.id}, "who gets this?")
	w.expect(t, w.phone, note(m, "Ann Lee", "who gets this?"))
	w.expect(t, third, note(m, "Ann Lee", "who gets this?"))
	if w.ps.total() != 2 {
		t.Errorf("the push service got %d requests, want 2", w.ps.total())
	}
}

// TestWebPushRefusesPrivateAddresses: by default the server never calls
// into its own network: an endpoint on loopback, by address or by name,
// gets nothing, and the log does not show it.
func TestWebPushRefusesPrivateAddresses(t *testing.T) {
	ps := newPushService(t)
	n := startNodeWith(t, server.Options{PushRootCAs: ps.roots()}, append([]string{"--metrics-listen", "127.0.0.1:0"}, generous...)...)
	ph := &phones{}
	annAPI, _, _ := signUpHTTP(t, n, ph, "Ann")
	bobAPI, _, bobID := signUpHTTP(t, n, ph, "Bob")
	meet(t, annAPI, bobAPI, bobID)
	ps.setVAPID(vapidKey(t, bobAPI))
	byAddr, byName := ps.device(t), ps.device(t)
	port := ps.srv.URL[strings.LastIndex(ps.srv.URL, ":"):]
	for _, sub := range []map[string]any{byAddr.subscription(ps.srv.URL), byName.subscription("https://localhost" + port)} {
		var ok bool
		bobAPI.call("push.subscribe", sub).into(t, &ok)
	}
	send(t, annAPI, map[string]any{"user_id": bobID}, "into the server's network?")
	waitMetric(t, n, "haven_push_backlog", func(v float64) bool { return v == 0 })
	if got := ps.total(); got != 0 {
		t.Errorf("the loopback push service got %d requests", got)
	}
	if f := pushCount(t, n, "failed"); f != 2 {
		t.Errorf("haven_push_notifications_total{result=\"failed\"} = %v, want 2", f)
	}
	logs := n.logs.String()
	for _, d := range []*pushDevice{byAddr, byName} {
		if strings.Contains(logs, d.token) {
			t.Errorf("the log shows a push endpoint")
		}
	}
}

// TestWebPushFanOutBounded: a post to a channel of 300 subscribed people
// reaches each device once, in more than one page of subscriptions,
// with never more pushes in flight than push-workers while the push
// service is slow.
func TestWebPushFanOutBounded(t *testing.T) {
	ps := newPushService(t)
	ps.delay = 5 * time.Millisecond
	n := startNodeWith(t, server.Options{PushRootCAs: ps.roots()}, append(lavish(), "--push-allow-private", "--push-workers", "3", "--metrics-listen", "127.0.0.1:0")...)
	ph := &phones{}
	annAPI, _, _ := signUpHTTP(t, n, ph, "Ann")
	var ch chatInfo
	annAPI.call("chats.createChannel", map[string]any{"title": "Route news", "username": "route_news"}).into(t, &ch)
	const people = 300
	devices := make([]*pushDevice, people)
	for i := range devices {
		c, _, _ := signUpHTTP(t, n, ph, fmt.Sprintf("Reader%d", i))
		if i == 0 {
			ps.setVAPID(vapidKey(t, c))
		}
		c.call("chats.join", map[string]any{"chat_id": ch.ID}).into(t, new(any))
		devices[i] = ps.device(t)
		sub := devices[i].subscription(ps.srv.URL)
		sub["private"] = false
		c.call("push.subscribe", sub).into(t, new(bool))
	}
	m := send(t, annAPI, map[string]any{"chat_id": ch.ID}, "Crag closed for nesting")
	waitMetric(t, n, "haven_push_backlog", func(v float64) bool { return v == 0 })
	ps.check(t)
	want := pushPayload{ChatID: ch.ID, MessageID: m.ID, Title: "Route news", Body: "Crag closed for nesting"}
	for i, d := range devices {
		if got, _ := ps.received(d); len(got) != 1 || got[0] != want {
			t.Fatalf("reader %d got %s", i, payloads(got))
		}
	}
	t.Logf("at most %d pushes in flight", ps.most.Load())
	if most := ps.most.Load(); most > 3 {
		t.Errorf("%d pushes were in flight at once; push-workers is 3", most)
	}
}

// TestWebPushSlowServiceNeverSlowsSending: while the push service holds
// every request, messages are still sent and answered; the queue of
// messages waiting to be pushed is bounded (push-queue), and one that
// finds it full notifies no one, which the metrics count. Once the
// service answers, the others are pushed.
func TestWebPushSlowServiceNeverSlowsSending(t *testing.T) {
	w := newPushWorld(t, "--push-workers", "1", "--push-queue", "1", "--push-timeout", "2m")
	w.ps.gate = make(chan struct{})
	released := false
	release := func() {
		if !released {
			released = true
			close(w.ps.gate)
		}
	}
	defer release()
	to := map[string]any{"user_id": w.bob.id}
	first := send(t, w.ann.api, to, "one")
	deadline := time.Now().Add(30 * time.Second)
	for w.ps.inflight.Load() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the first push never reached the push service")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The worker waits on the service, the fan-out on the worker with
	// the second message, the queue holds one more: of the next three
	// messages, one finds the queue full.
	var rest []messageView
	for _, text := range []string{"two", "three", "four"} {
		rest = append(rest, send(t, w.ann.api, to, text))
	}
	waitMetric(t, w.n, "haven_push_dropped_total", func(v float64) bool { return v >= 1 })
	release()
	w.idle(t)
	got, _ := w.ps.received(w.phone)
	if len(got) != 3 || got[0] != note(first, "Ann Lee", "one") || got[1] != note(rest[0], "Ann Lee", "two") {
		t.Fatalf("the device got\n%s\nwant one, two, and three or four", payloads(got))
	}
	if last := got[2]; last != note(rest[1], "Ann Lee", "three") && last != note(rest[2], "Ann Lee", "four") {
		t.Errorf("the third push is %+v, want three or four", last)
	}
	if d := metricValue(t, w.n, "haven_push_dropped_total"); d != 1 {
		t.Errorf("haven_push_dropped_total = %v, want 1", d)
	}
	// Every message was kept: Bob reads all four.
	if h := historyOf(t, w.bob.api, map[string]any{"chat_id": first.ChatID}); len(h) != 4 {
		t.Errorf("Bob's history has %d messages, want 4", len(h))
	}
}
