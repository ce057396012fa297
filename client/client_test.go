package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// signUp signs a new person up on srv through the SDK, checking each
// step of the flow: SignIn asks for a sign-up, SignUp authorizes the
// client (from a device named "SDK test"), and Me is that person.
func signUp(t *testing.T, ctx context.Context, srv *testserver.Server, email, name string) (*client.Client, *client.User) {
	t.Helper()
	c := client.New(srv.URL)
	sent, err := c.SendCode(ctx, email, "SDK test")
	if err != nil {
		t.Fatalf("SendCode: %v", err)
	}
	auth, err := c.SignIn(ctx, sent.LoginToken, srv.Code(t, email))
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if auth.Status != client.StatusSignUpRequired {
		t.Fatalf("SignIn status %q", auth.Status)
	}
	auth, err = c.SignUp(ctx, sent.LoginToken, name, "")
	if err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	if auth.Status != client.StatusAuthorized || c.Token() == "" {
		t.Fatalf("SignUp: %+v", auth)
	}
	me, err := c.Me(ctx)
	if err != nil || me.ID != auth.User.ID || !me.Self {
		t.Fatalf("Me: %+v, %v", me, err)
	}
	return c, me
}

// nextMessage returns the next message.new of the stream, skipping other events.
func nextMessage(t *testing.T, evs <-chan client.Event) *client.ChatEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatal("the Updates stream ended")
			}
			if ev.Chat != nil && ev.Chat.Kind == "message.new" {
				return ev.Chat
			}
		case <-timeout:
			t.Fatal("no message.new within 10s")
		}
	}
}

func TestConverse(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := testserver.Start(t)
	ann, annMe := signUp(t, ctx, srv, "ann@example.org", "Ann")
	bob, bobMe := signUp(t, ctx, srv, "bob@example.org", "Bob")
	srv.Befriend(t, ann, bob)

	// A typed error for a bad call.
	_, err := ann.Send(ctx, &client.SendParams{UserID: annMe.ID})
	var herr *client.Error
	if !errors.As(err, &herr) || herr.Code != "PARAM_MISSING" && herr.Code != "MESSAGE_EMPTY" || herr.Status != 400 {
		t.Fatalf("Send without text: %v", err)
	}
	if err := client.New(srv.URL).Call(ctx, "no.such", nil, nil); !client.IsCode(err, "METHOD_NOT_FOUND") {
		t.Fatalf("unknown method: %v", err)
	}
	if _, err := client.New(srv.URL, client.WithToken("hvn_nope")).Me(ctx); !client.IsCode(err, "AUTH_TOKEN_INVALID") {
		t.Fatalf("bad token: %v", err)
	}

	// Bob listens.
	uctx, ucancel := context.WithCancel(ctx)
	defer ucancel()
	evs := bob.Updates(uctx)

	// Ann writes first, which makes the private chat.
	p := &client.SendParams{UserID: bobMe.ID, Text: "hi bob 0"}
	m0, err := ann.Send(ctx, p)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if p.RandomID == 0 {
		t.Fatal("Send did not keep its random_id")
	}
	// A retry with the same params answers the same message.
	again, err := ann.Send(ctx, p)
	if err != nil || again.ID != m0.ID || again.ChatID != m0.ChatID {
		t.Fatalf("retry: %+v, %v (first %+v)", again, err, m0)
	}
	chatID := m0.ChatID

	reply, err := bob.Send(ctx, &client.SendParams{ChatID: chatID, Text: "hi ann"})
	if err != nil {
		t.Fatalf("bob Send: %v", err)
	}
	hist, err := ann.History(ctx, client.HistoryParams{ChatID: chatID})
	if err != nil || len(hist) != 2 || hist[0].ID != reply.ID || hist[1].Text != "hi bob 0" {
		t.Fatalf("History: %+v, %v", hist, err)
	}
	ds, err := bob.Dialogs(ctx)
	if err != nil || len(ds) == 0 {
		t.Fatalf("Dialogs: %+v, %v", ds, err)
	}
	var found *client.Dialog
	for i := range ds {
		if ds[i].Chat.ID == chatID {
			found = &ds[i]
		}
	}
	if found == nil || found.UnreadCount != 1 || found.Peer == nil || found.Peer.ID != annMe.ID {
		t.Fatalf("bob's dialog: %+v", found)
	}
	if err := bob.Read(ctx, chatID, 0); err != nil {
		t.Fatalf("Read: %v", err)
	}
	ds, _ = bob.Dialogs(ctx)
	for _, d := range ds {
		if d.Chat.ID == chatID && d.UnreadCount != 0 {
			t.Fatalf("unread after Read: %d", d.UnreadCount)
		}
	}

	// Bob's stream has the first message and his reply, in order.
	if ev := nextMessage(t, evs); ev.Message == nil || ev.Message.ID != m0.ID {
		t.Fatalf("first event: %+v", ev)
	}
	if ev := nextMessage(t, evs); ev.Message == nil || ev.Message.ID != reply.ID {
		t.Fatalf("second event: %+v", ev)
	}

	// More messages, with the socket dropped in the middle.
	const n = 30
	var want []int64
	var mu sync.Mutex
	var seqs []int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for len(seqs) < n {
			ev, ok := <-evs
			if !ok {
				return
			}
			if ev.Chat == nil || ev.Chat.Kind != "message.new" || ev.Chat.Message == nil {
				continue
			}
			mu.Lock()
			seqs = append(seqs, ev.Chat.Message.ID)
			mu.Unlock()
		}
	}()
	// waitCount waits until the stream has delivered k messages, so that
	// the engine is connected again.
	waitCount := func(k int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			got := len(seqs)
			mu.Unlock()
			if got >= k {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("the stream did not deliver %d messages", k)
	}
	for i := 1; i <= n; i++ {
		if i%10 == 0 {
			// Drop the socket; the messages sent until the engine is
			// back come from the catch-up.
			waitCount(i - 1)
			time.Sleep(50 * time.Millisecond) // let the socket settle
			bob.Reconnect()
		}
		m, err := ann.Send(ctx, &client.SendParams{ChatID: chatID, Text: fmt.Sprintf("hi bob %d", i)})
		if err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		want = append(want, m.ID)
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("stream stalled")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seqs) != len(want) {
		t.Fatalf("stream message ids %v, want %v", seqs, want)
	}
	for i := range want {
		if seqs[i] != want[i] {
			t.Fatalf("stream message ids %v, want %v", seqs, want)
		}
	}
	// Nothing more (no duplicate) arrives.
	select {
	case ev := <-evs:
		if ev.Chat != nil && ev.Chat.Kind == "message.new" {
			t.Fatalf("extra event: %+v", ev.Chat)
		}
	case <-time.After(300 * time.Millisecond):
	}
}

func TestFloodWaitRetried(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer hvn_x" {
			t.Errorf("Authorization %q", r.Header.Get("Authorization"))
		}
		if n == 1 {
			w.WriteHeader(429)
			io.WriteString(w, `{"ok":false,"error":{"code":"FLOOD_WAIT","message":"slow down","retry_after":1}}`)
			return
		}
		io.WriteString(w, `{"ok":true,"result":{"pts":3,"gid":4,"date":5}}`)
	}))
	defer srv.Close()
	c := client.New(srv.URL, client.WithToken("hvn_x"), client.WithHTTPClient(srv.Client()))
	start := time.Now()
	st, err := c.GetState(context.Background())
	if err != nil || st.Pts != 3 || st.Gid != 4 || calls != 2 || time.Since(start) < time.Second {
		t.Fatalf("GetState: %+v, %v after %d calls", st, err, calls)
	}
	// A wait longer than the context allows ends with the context.
	calls = 0
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.GetState(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GetState with a short context: %v", err)
	}
}

func TestConnCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := testserver.Start(t)
	c, me := signUp(t, ctx, srv, "+447400123456", "Cy")
	cn, err := c.Connect(ctx)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	defer cn.Close()
	var u client.User
	if err := cn.Call(ctx, "users.getMe", nil, &u); err != nil || u.ID != me.ID {
		t.Fatalf("users.getMe over the socket: %+v, %v", u, err)
	}
	if err := cn.Call(ctx, "users.resolveUsername", map[string]string{"username": "nobody_here"}, nil); !client.IsCode(err, "USERNAME_NOT_FOUND") {
		t.Fatalf("resolveUsername: %v", err)
	}
	if _, err := client.New(srv.URL, client.WithToken("hvn_bad")).Connect(ctx); !client.IsCode(err, "AUTH_TOKEN_INVALID") {
		t.Fatalf("Connect with a bad token: %v", err)
	}
}

// TestConnectRefusedNamesTheCap: an upgrade refused for too many sockets
// (32 per person by default) comes back as the server's error code.
func TestConnectRefusedNamesTheCap(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := testserver.Start(t)
	c, _ := signUp(t, ctx, srv, "+447400123457", "Di")
	for i := range 32 {
		cn, err := c.Connect(ctx)
		if err != nil {
			t.Fatalf("Connect %d: %v", i+1, err)
		}
		defer cn.Close()
	}
	_, err := c.Connect(ctx)
	var e *client.Error
	if !errors.As(err, &e) || e.Code != "CONNECTIONS_TOO_MANY" || e.Status != 429 || e.Message == "" {
		t.Fatalf("the 33rd Connect: %v, want CONNECTIONS_TOO_MANY (429)", err)
	}
}
