package server_test

import (
	"testing"

	"github.com/havenchat/haven/internal/server"
)

// TestWebPushFollowsSubscriptions: the server skips the store for
// messages nobody can be notified of, and that shortcut follows every
// change: a device that unsubscribes gets nothing, one that subscribes
// again is notified at once, one of two devices ending leaves the other
// notified, and the subscriptions stored before a restart notify after
// it.
func TestWebPushFollowsSubscriptions(t *testing.T) {
	w := newPushWorld(t)
	ann, bob := w.ann, w.bob
	to := map[string]any{"user_id": bob.id}
	var want []pushPayload

	var ok bool
	bob.api.call("push.unsubscribe", map[string]any{"endpoint": w.phone.endpoint(w.ps.srv.URL)}).into(t, &ok)
	send(t, ann.api, to, "while unsubscribed")
	w.expect(t, w.phone)

	w.subscribe(t, bob.api, w.phone, false)
	m := send(t, ann.api, to, "subscribed again")
	want = append(want, note(m, "Ann Lee", "subscribed again"))
	w.expect(t, w.phone, want...)

	// A second device in a second session; the first one's session ends.
	laptopAPI := &httpCaller{t: t, base: w.n.url}
	_, a := codeSignIn(t, w.n, laptopAPI, bob.phone, "Laptop")
	laptopAPI.setToken(a.Token)
	laptop := w.ps.device(t)
	w.subscribe(t, laptopAPI, laptop, false)
	bob.api.call("auth.logOut", nil).into(t, new(any))
	m = send(t, ann.api, to, "to the laptop")
	w.expect(t, laptop, note(m, "Ann Lee", "to the laptop"))
	w.expect(t, w.phone, want...)

	// The laptop's subscription is in the store only, after a restart.
	restartPush(t, w)
	laptopAPI.base = w.n.url
	ann.api.base = w.n.url
	m2 := send(t, ann.api, to, "after the restart")
	w.expect(t, laptop, note(m, "Ann Lee", "to the laptop"), note(m2, "Ann Lee", "after the restart"))
}

// restartPush shuts w's node down and starts it again on the same data,
// reaching the same push service.
func restartPush(t *testing.T, w *pushWorld) {
	t.Helper()
	w.n.restartWith(t, server.Options{PushRootCAs: w.ps.roots()},
		append([]string{"--push-allow-private", "--metrics-listen", "127.0.0.1:0"}, generous...)...)
}
