package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// subscriber is a light client for load: a signed-in socket that answers
// requests by id and notes when the awaited post arrives, without
// failing the test from its own goroutine.
type subscriber struct {
	id    int64
	token string
	conn  *websocket.Conn
	want  []byte // the post's text as it appears in a frame

	mu      sync.Mutex
	nextID  int
	answers pending

	added     chan struct{} // closed on the first dialog.added
	addedOnce sync.Once
	got       chan struct{} // closed when the post arrives
	gotAt     atomic.Int64  // unix nanoseconds of its arrival
	dead      chan struct{} // closed when the connection ends
	deadErr   error
}

func dialSubscriber(ctx context.Context, base, token string, id int64, want string) (*subscriber, error) {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/ws", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	wantJSON, _ := json.Marshal(want)
	s := &subscriber{id: id, token: token, conn: conn, want: wantJSON[1 : len(wantJSON)-1],
		added: make(chan struct{}), got: make(chan struct{}), dead: make(chan struct{})}
	go s.read()
	return s, nil
}

func (s *subscriber) read() {
	defer close(s.dead)
	gotOnce := false
	for {
		_, data, err := s.conn.Read(context.Background())
		if err != nil {
			s.deadErr = err
			return
		}
		switch {
		case bytes.HasPrefix(data, []byte(`{"push":"chat.event"`)):
			if gotOnce || !bytes.Contains(data, s.want) {
				continue
			}
			var f struct {
				Data chatEvent `json:"data"`
			}
			if json.Unmarshal(data, &f) == nil && f.Data.Kind == "message.new" && f.Data.Message != nil && string(s.want) == f.Data.Message.Text {
				s.gotAt.Store(time.Now().UnixNano())
				gotOnce = true
				close(s.got)
			}
		case bytes.HasPrefix(data, []byte(`{"push":"user.event"`)):
			if bytes.Contains(data, []byte(`"dialog.added"`)) {
				s.addedOnce.Do(func() { close(s.added) })
			}
		case bytes.HasPrefix(data, []byte(`{"push"`)):
		default:
			var probe struct {
				ID json.RawMessage `json:"id"`
			}
			if json.Unmarshal(data, &probe) != nil {
				continue
			}
			s.answers.answer(probe.ID, data)
		}
	}
}

// call sends a request on the socket and waits for its answer.
func (s *subscriber) call(method string, params any, v any) error {
	p, err := json.Marshal(params)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.nextID++
	id := fmt.Sprint(s.nextID)
	s.mu.Unlock()
	ch := s.answers.add(id)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.conn.Write(ctx, websocket.MessageText, []byte(fmt.Sprintf(`{"id":%s,"method":%q,"params":%s}`, id, method, p))); err != nil {
		return err
	}
	select {
	case r := <-ch:
		if !r.OK {
			return fmt.Errorf("%s: %s: %s", method, r.code(), r.Error.Message)
		}
		if v != nil {
			return json.Unmarshal(r.Result, v)
		}
		return nil
	case <-s.dead:
		return fmt.Errorf("%s: socket closed: %v", method, s.deadErr)
	case <-ctx.Done():
		return fmt.Errorf("%s: no answer within 10s", method)
	}
}

// TestChannel2000: a public channel with 2,000 subscribers, each signed
// up through the API and online on a socket of its own; one post reaches
// them all.
func TestChannel2000(t *testing.T) {
	const subscribers, workers = 2000, 64
	start := time.Now()
	n := startNode(t, lavish()...)
	var ph phones
	owner := &person{name: "Owner", api: &httpCaller{t: t, base: n.url}}
	owner.token, owner.id = signUp(t, n, owner.api, ph.next(), "Owner")
	owner.ws = openSock(t, n, owner.token, "Owner")

	var ch chatInfo
	owner.api.call("chats.createChannel", map[string]string{"title": "Haven News", "about": "What is new", "username": "haven_news"}).into(t, &ch)
	if ch.Kind != "channel" || ch.Username != "haven_news" || ch.Role != "owner" || ch.MemberCount != 1 {
		t.Fatalf("new channel %+v", ch)
	}
	wantCode(t, owner.api.call("chats.createChannel", map[string]string{"title": "Copy", "username": "Haven_News"}), "USERNAME_OCCUPIED", "a taken channel username")
	wantCode(t, owner.api.call("chats.createChannel", map[string]string{"title": "Bad", "username": "x!"}), "USERNAME_INVALID", "a bad channel username")
	const postText = "Hello, 2,000 subscribers of Haven News!"

	// 2,000 people sign up and subscribe, 64 at a time: one in ten finds
	// the channel by its username first, the others join by id; each
	// waits until its socket learns of the new dialog.
	subs := make([]*subscriber, subscribers)
	t.Cleanup(func() { // before the node's shutdown, which would drain each
		for _, s := range subs {
			if s != nil {
				s.conn.CloseNow()
			}
		}
	})
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				phone := ph.next()
				token, id, err := trySignUp(n, phone, fmt.Sprintf("Sub%04d", i))
				if err != nil {
					fail(err)
					continue
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				s, err := dialSubscriber(ctx, n.url, token, id, postText)
				cancel()
				if err != nil {
					fail(fmt.Errorf("subscriber %d: dial: %w", i, err))
					continue
				}
				subs[i] = s
				chatID := ch.ID
				if i%10 == 0 {
					var found chatInfo
					if err := s.call("chats.resolve", map[string]string{"username": "@Haven_News"}, &found); err != nil {
						fail(err)
						continue
					}
					if found.Role != "" || found.Kind != "channel" {
						fail(fmt.Errorf("resolved by a stranger: %+v", found))
					}
					chatID = found.ID
				}
				var joined chatInfo
				if err := s.call("chats.join", map[string]int64{"chat_id": chatID}, &joined); err != nil {
					fail(err)
					continue
				}
				if joined.Role != "member" || joined.ID != ch.ID {
					fail(fmt.Errorf("joined as %+v", joined))
				}
				select {
				case <-s.added:
				case <-time.After(10 * time.Second):
					fail(fmt.Errorf("subscriber %d: no dialog.added push", i))
				}
			}
		}()
	}
	for i := range subscribers {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d subscriptions failed; first: %v", len(errs), subscribers, errs[0])
	}
	t.Logf("%d sign-ups, sockets and joins in %v", subscribers, time.Since(start))
	if c := chatOf(t, owner.api, ch.ID); c.MemberCount != subscribers+1 {
		t.Fatalf("member count %d, want %d", c.MemberCount, subscribers+1)
	}

	// The owner posts; every subscriber's socket gets it.
	m0 := owner.ws.mark()
	t0 := time.Now()
	post := send(t, owner.api, map[string]any{"chat_id": ch.ID}, postText)
	ack := time.Since(t0)
	if post.SenderID != 0 || post.ChatID != ch.ID {
		t.Fatalf("a channel post shows its author: %+v", post)
	}
	deadline := time.After(10 * time.Second)
	for i, s := range subs {
		select {
		case <-s.got:
		case <-s.dead:
			t.Fatalf("subscriber %d's socket closed before the post came: %v", i, s.deadErr)
		case <-deadline:
			missing := 0
			for _, s := range subs {
				select {
				case <-s.got:
				default:
					missing++
				}
			}
			t.Fatalf("%d of %d subscribers had no post 10 s after it was sent", missing, subscribers)
		}
	}
	lat := make([]time.Duration, len(subs))
	for i, s := range subs {
		lat[i] = time.Unix(0, s.gotAt.Load()).Sub(t0)
	}
	slices.Sort(lat)
	t.Logf("fan-out to %d online subscribers: ack %v, first %v, p50 %v, p99 %v, all %v", subscribers, ack, lat[0], lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
	owner.ws.waitEvent(t, m0, "its own post", isMsg(ch.ID, postText))

	// Subscribers read but do not post, edit or list the members.
	a, b := &httpCaller{t: t, base: n.url, token: subs[1].token}, &httpCaller{t: t, base: n.url, token: subs[2].token}
	before := chatOf(t, owner.api, ch.ID)
	wantCode(t, a.call("messages.send", map[string]any{"chat_id": ch.ID, "text": "me too", "random_id": rid()}), "CHAT_WRITE_FORBIDDEN", "a subscriber posting")
	wantCode(t, a.call("messages.edit", map[string]any{"chat_id": ch.ID, "id": post.ID, "text": "edited"}), "MESSAGE_EDIT_FORBIDDEN", "a subscriber editing a post")
	wantCode(t, a.call("messages.delete", map[string]any{"chat_id": ch.ID, "ids": []int64{post.ID}, "for_everyone": true}), "MESSAGE_DELETE_FORBIDDEN", "a subscriber deleting a post")
	wantCode(t, a.call("messages.pin", map[string]any{"chat_id": ch.ID, "id": post.ID}), "RIGHT_FORBIDDEN", "a subscriber pinning")
	wantCode(t, a.call("chats.members", map[string]int64{"chat_id": ch.ID}), "RIGHT_FORBIDDEN", "a subscriber listing members")
	wantCode(t, a.call("chats.update", map[string]any{"chat_id": ch.ID, "title": "Mine"}), "RIGHT_FORBIDDEN", "a subscriber renaming")
	if after := chatOf(t, owner.api, ch.ID); after.Seq != before.Seq || after.Title != "Haven News" {
		t.Fatalf("refused actions changed the channel: %+v → %+v", before, after)
	}
	if ms := allMembers(t, owner.api, ch.ID); len(ms) != subscribers+1 {
		t.Fatalf("the owner lists %d members, want %d", len(ms), subscribers+1)
	}
	if h := historyOf(t, a, map[string]any{"chat_id": ch.ID}); len(h) == 0 || h[0].Text != postText || h[0].SenderID != 0 {
		t.Fatalf("a subscriber's history: %+v", h)
	}

	// Views: each viewer counts once.
	views := func(c caller) int {
		var v map[string]int
		c.call("messages.view", map[string]any{"chat_id": ch.ID, "ids": []int64{post.ID}}).into(t, &v)
		return v[fmt.Sprint(post.ID)]
	}
	if v := views(a); v != 1 {
		t.Fatalf("views after one viewer: %d", v)
	}
	if v := views(a); v != 1 {
		t.Fatalf("views after the same viewer again: %d", v)
	}
	if v := views(b); v != 2 {
		t.Fatalf("views after a second viewer: %d", v)
	}
	var got []messageView
	owner.api.call("messages.get", map[string]any{"chat_id": ch.ID, "ids": []int64{post.ID}}).into(t, &got)
	if len(got) != 1 || got[0].Views != 2 {
		t.Fatalf("the post as fetched: %+v", got)
	}

	// Anyone finds the public channel, and may read it before joining.
	stranger := &httpCaller{t: t, base: n.url}
	signUp(t, n, stranger, ph.next(), "Stranger")
	var found struct {
		Chats []chatInfo `json:"chats"`
	}
	for _, q := range []string{"haven_n", "@haven_news", "Haven", "News"} {
		stranger.call("search.global", map[string]string{"query": q}).into(t, &found)
		if len(found.Chats) != 1 || found.Chats[0].ID != ch.ID || found.Chats[0].MemberCount != subscribers+1 {
			t.Fatalf("search.global %q: %+v", q, found.Chats)
		}
	}
	if h := historyOf(t, stranger, map[string]any{"chat_id": ch.ID}); len(h) == 0 || h[0].Text != postText {
		t.Fatalf("a visitor's view of a public channel: %+v", h)
	}
	wantCode(t, stranger.call("chats.resolve", map[string]string{"username": "no_such_channel"}), "USERNAME_NOT_FOUND", "resolving an unknown name")

	// A private channel: no username, joined only by a link.
	var priv chatInfo
	owner.api.call("chats.createChannel", map[string]string{"title": "Backstage"}).into(t, &priv)
	wantCode(t, a.call("chats.join", map[string]int64{"chat_id": priv.ID}), "CHAT_NOT_FOUND", "joining a private channel by id")
	wantCode(t, a.call("messages.history", map[string]any{"chat_id": priv.ID}), "NOT_MEMBER", "reading a private channel from outside")
	stranger.call("search.global", map[string]string{"query": "Backstage"}).into(t, &found)
	if len(found.Chats) != 0 {
		t.Fatalf("a private channel was found: %+v", found.Chats)
	}
	var inv inviteInfo
	owner.api.call("chats.createInvite", map[string]any{"chat_id": priv.ID}).into(t, &inv)
	var joined chatInfo
	a.call("chats.joinByInvite", map[string]string{"hash": inv.Hash}).into(t, &joined)
	if joined.ID != priv.ID || joined.Role != "member" {
		t.Fatalf("joined the private channel as %+v", joined)
	}
	if err := subs[1].call("users.getMe", nil, nil); err != nil { // the socket has taken the join in
		t.Fatal(err)
	}
	send(t, owner.api, map[string]any{"chat_id": priv.ID}, "backstage news")
	var page []messageView
	a.call("messages.history", map[string]any{"chat_id": priv.ID}).into(t, &page)
	if len(page) == 0 || page[0].Text != "backstage news" {
		t.Fatalf("a subscriber's view of the private channel: %+v", page)
	}
	wantCode(t, a.call("chats.members", map[string]int64{"chat_id": priv.ID}), "RIGHT_FORBIDDEN", "a subscriber listing a private channel's members")

	// No subscriber's socket was cut along the way.
	for i, s := range subs {
		select {
		case <-s.dead:
			t.Fatalf("subscriber %d's socket closed: %v", i, s.deadErr)
		default:
		}
	}
	t.Logf("channel of %d done in %v", subscribers, time.Since(start))
}

// TestChannelAdmins: the owner appoints admins who post, edit and see the
// subscribers as their rights say; ownership passes only with the
// owner's cloud password.
func TestChannelAdmins(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Olga", "Pete", "Quin", "Rae"}, 4)
	olga, pete, quin, rae := ps[0], ps[1], ps[2], ps[3]
	var ch chatInfo
	olga.api.call("chats.createChannel", map[string]string{"title": "Olga's", "username": "olgas_posts"}).into(t, &ch)
	for _, p := range ps[1:] {
		var found chatInfo
		p.api.call("chats.resolve", map[string]string{"username": "olgas_posts"}).into(t, &found)
		p.api.call("chats.join", map[string]int64{"chat_id": found.ID}).into(t, new(chatInfo))
	}
	// Plain subscribers joining log nothing in the channel.
	if c := chatOf(t, olga.api, ch.ID); c.MemberCount != 4 || c.Seq != 2 {
		t.Fatalf("after three joins: %+v", c)
	}
	olga.api.call("chats.setAdmin", map[string]any{"chat_id": ch.ID, "user_id": pete.id, "rights": []string{"post_messages", "edit_messages", "delete_messages"}}).into(t, new(bool))
	olga.api.call("chats.setAdmin", map[string]any{"chat_id": ch.ID, "user_id": quin.id, "rights": []string{"pin_messages"}}).into(t, new(bool))

	live := socketsOf(ps...)
	ms := markAll(live)
	post := send(t, pete.api, map[string]any{"chat_id": ch.ID}, "Pete posts for Olga's")
	allSee(t, live, ms, "an admin's post", isMsg(ch.ID, "Pete posts for Olga's"))
	if post.SenderID != 0 {
		t.Fatalf("a channel post shows its author: %+v", post)
	}
	wantCode(t, quin.api.call("messages.send", map[string]any{"chat_id": ch.ID, "text": "Quin too", "random_id": rid()}), "CHAT_WRITE_FORBIDDEN", "an admin without post_messages posting")
	wantCode(t, rae.api.call("messages.send", map[string]any{"chat_id": ch.ID, "text": "Rae too", "random_id": rid()}), "CHAT_WRITE_FORBIDDEN", "a subscriber posting")
	quin.api.call("messages.pin", map[string]any{"chat_id": ch.ID, "id": post.ID}).into(t, new(bool))
	own := send(t, olga.api, map[string]any{"chat_id": ch.ID}, "Olga's own post")
	var ed messageView
	pete.api.call("messages.edit", map[string]any{"chat_id": ch.ID, "id": own.ID, "text": "Olga's own post, tidied"}).into(t, &ed)
	if ed.EditDate == 0 {
		t.Fatalf("edit %+v", ed)
	}
	wantCode(t, quin.api.call("messages.edit", map[string]any{"chat_id": ch.ID, "id": own.ID, "text": "Quin's version"}), "MESSAGE_EDIT_FORBIDDEN", "an admin without edit_messages editing a post")
	// Admins see the subscribers; subscribers do not.
	if m := allMembers(t, quin.api, ch.ID); len(m) != 4 || m[pete.id].Role != "admin" {
		t.Fatalf("members as an admin sees them: %+v", m)
	}
	wantCode(t, rae.api.call("chats.members", map[string]int64{"chat_id": ch.ID}), "RIGHT_FORBIDDEN", "a subscriber listing members")
	// Channels have no slow mode or member permissions.
	wantCode(t, olga.api.call("chats.update", map[string]any{"chat_id": ch.ID, "slow_mode_seconds": 10}), "SLOWMODE_INVALID", "slow mode in a channel")
	wantCode(t, olga.api.call("chats.update", map[string]any{"chat_id": ch.ID, "member_rights": []string{}}), "CHAT_KIND_INVALID", "member permissions in a channel")

	// Ownership passes with the cloud password only.
	olga.api.call("account.setPassword", map[string]string{"new_password": "correct horse battery"}).into(t, new(any))
	wantCode(t, olga.api.call("chats.transferOwnership", map[string]any{"chat_id": ch.ID, "user_id": pete.id}), "PASSWORD_REQUIRED", "a transfer without the password")
	wantCode(t, olga.api.call("chats.transferOwnership", map[string]any{"chat_id": ch.ID, "user_id": pete.id, "password": "wrong horse"}), "PASSWORD_INVALID", "a transfer with a wrong password")
	olga.api.call("chats.transferOwnership", map[string]any{"chat_id": ch.ID, "user_id": pete.id, "password": "correct horse battery"}).into(t, new(bool))
	if c := chatOf(t, pete.api, ch.ID); c.Role != "owner" {
		t.Fatalf("Pete after the transfer: %+v", c)
	}
	olga.api.call("chats.leave", map[string]int64{"chat_id": ch.ID}).into(t, new(bool))
	rae.api.call("chats.leave", map[string]int64{"chat_id": ch.ID}).into(t, new(bool))
	if c := chatOf(t, pete.api, ch.ID); c.MemberCount != 2 {
		t.Fatalf("member count after two left: %d", c.MemberCount)
	}
	// A subscriber who left reads the public channel as a visitor.
	if h := historyOf(t, rae.api, map[string]any{"chat_id": ch.ID}); len(h) == 0 {
		t.Fatal("a visitor sees nothing of a public channel")
	}
	wantCode(t, rae.api.call("messages.send", map[string]any{"chat_id": ch.ID, "text": "back?", "random_id": rid()}), "NOT_MEMBER", "posting after leaving a channel")
}
