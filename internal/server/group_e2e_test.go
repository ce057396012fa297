package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// This file drives groups end to end through the public API: a group of
// 50 with admins, bans, slow mode, permissions and invite links, and the
// behaviour around it (unread counts, search, auto-delete, forwarding,
// pins, paging, refused actions). Every push is checked on live sockets.

// chatInfo is a chat as chats.* methods answer it.
type chatInfo struct {
	ID              int64    `json:"id"`
	Kind            string   `json:"kind"`
	Title           string   `json:"title"`
	About           string   `json:"about"`
	Username        string   `json:"username"`
	MemberCount     int      `json:"member_count"`
	Seq             int64    `json:"seq"`
	TopMessageID    int64    `json:"top_message_id"`
	SlowModeSeconds int      `json:"slow_mode_seconds"`
	HistoryHidden   bool     `json:"history_hidden"`
	TTLSeconds      int      `json:"ttl_seconds"`
	Reactions       []string `json:"reactions"`
	PinnedMessageID int64    `json:"pinned_message_id"`
	MemberRights    []string `json:"member_rights"`
	Role            string   `json:"role"`
	Rights          []string `json:"rights"`
}

type memberInfo struct {
	User struct {
		ID        int64  `json:"id"`
		FirstName string `json:"first_name"`
	} `json:"user"`
	Role   string   `json:"role"`
	Rights []string `json:"rights"`
}

type inviteInfo struct {
	Hash       string `json:"hash"`
	ChatID     int64  `json:"chat_id"`
	ExpiresAt  int64  `json:"expires_at"`
	UsageLimit int    `json:"usage_limit"`
	Usage      int    `json:"usage"`
	Revoked    bool   `json:"revoked"`
}

type dialogInfo struct {
	Chat           chatInfo     `json:"chat"`
	TopMessage     *messageView `json:"top_message"`
	ReadInboxMaxID int64        `json:"read_inbox_max_id"`
	UnreadCount    int          `json:"unread_count"`
	UnreadMentions int          `json:"unread_mentions"`
	Pinned         bool         `json:"pinned"`
}

type userEventInfo struct {
	Pts    int64           `json:"pts"`
	Kind   string          `json:"kind"`
	ChatID int64           `json:"chat_id"`
	Data   json.RawMessage `json:"data"`
}

// liveSock is a signed-in WebSocket whose pushes are all recorded as they
// arrive, so that its buffer never fills and a test can look back at
// everything it received (to check seq order, or that nothing came).
type liveSock struct {
	*wsCaller
	name string

	mu     sync.Mutex
	events []chatEvent
	users  []userEventInfo
	other  []json.RawMessage // pushes of other kinds, as they came
	wake   chan struct{}     // closed and replaced on every push
}

// openSock dials a socket for a session and waits until the server has
// bound it (a request answered on it), so no push can be missed.
func openSock(t *testing.T, n *node, token, name string) *liveSock {
	t.Helper()
	s := &liveSock{wsCaller: dialWS(t, n.url, token), name: name, wake: make(chan struct{})}
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case raw := <-s.pushes:
				var f pushFrame
				if json.Unmarshal(raw, &f) != nil {
					continue
				}
				s.mu.Lock()
				switch f.Push {
				case "chat.event":
					var e chatEvent
					if json.Unmarshal(f.Data, &e) == nil {
						s.events = append(s.events, e)
					}
				case "user.event":
					var e userEventInfo
					if json.Unmarshal(f.Data, &e) == nil {
						s.users = append(s.users, e)
					}
				default:
					s.other = append(s.other, raw)
				}
				close(s.wake)
				s.wake = make(chan struct{})
				s.mu.Unlock()
			case <-done:
				return
			}
		}
	}()
	var me userView
	s.call("users.getMe", nil).into(t, &me)
	return s
}

// sockMark is a position in a socket's record, to wait for what comes after.
type sockMark struct{ ev, us int }

func (s *liveSock) mark() sockMark {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sockMark{len(s.events), len(s.users)}
}

// find returns the first chat event after m that match accepts.
func (s *liveSock) find(m sockMark, match func(chatEvent) bool) (chatEvent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.events[m.ev:] {
		if match(e) {
			return e, true
		}
	}
	return chatEvent{}, false
}

// waitEvent waits for a chat event after m that match accepts.
func (s *liveSock) waitEvent(t *testing.T, m sockMark, what string, match func(chatEvent) bool) chatEvent {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		wake := s.wake
		s.mu.Unlock()
		if e, ok := s.find(m, match); ok {
			return e
		}
		select {
		case <-wake:
		case code := <-s.closed:
			s.closed <- code
			if e, ok := s.find(m, match); ok {
				return e
			}
			t.Fatalf("%s's socket was closed (%d) while waiting for %s", s.name, code, what)
		case <-deadline:
			t.Fatalf("%s's socket: no %s within 10s", s.name, what)
		}
	}
}

// waitUser waits for an event of the person's own log after m.
func (s *liveSock) waitUser(t *testing.T, m sockMark, kind string, chatID int64) userEventInfo {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		wake := s.wake
		for _, e := range s.users[m.us:] {
			if e.Kind == kind && (chatID == 0 || e.ChatID == chatID) {
				s.mu.Unlock()
				return e
			}
		}
		s.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("%s's socket: no user event %s for chat %d within 10s", s.name, kind, chatID)
		}
	}
}

// chatEvents returns the chat events of one chat the socket received.
func (s *liveSock) chatEvents(chatID int64) []chatEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []chatEvent
	for _, e := range s.events {
		if e.ChatID == chatID {
			out = append(out, e)
		}
	}
	return out
}

// checkGapless checks that a socket saw a chat's events with seq going
// up by exactly one, and returns the first and last seq it saw.
func checkGapless(t *testing.T, s *liveSock, chatID int64) (first, last int64) {
	t.Helper()
	evs := s.chatEvents(chatID)
	if len(evs) == 0 {
		t.Fatalf("%s's socket saw no event of chat %d", s.name, chatID)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq != evs[i-1].Seq+1 {
			t.Fatalf("%s's socket: seq %d came after seq %d (event %d of %d: %s)", s.name, evs[i].Seq, evs[i-1].Seq, i, len(evs), evs[i].Kind)
		}
	}
	return evs[0].Seq, evs[len(evs)-1].Seq
}

// checkIncreasing checks that a socket saw a chat's events in seq order,
// without repeats (gaps allowed: it was out of the chat for a while).
func checkIncreasing(t *testing.T, s *liveSock, chatID int64) []chatEvent {
	t.Helper()
	evs := s.chatEvents(chatID)
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq <= evs[i-1].Seq {
			t.Fatalf("%s's socket: seq %d came after seq %d", s.name, evs[i].Seq, evs[i-1].Seq)
		}
	}
	return evs
}

// isMsg matches the new message of a chat with a text.
func isMsg(chatID int64, text string) func(chatEvent) bool {
	return func(e chatEvent) bool {
		return e.ChatID == chatID && e.Kind == "message.new" && e.Message != nil && e.Message.Text == text
	}
}

// isService matches a new service message of a type.
func isService(chatID int64, typ string) func(chatEvent) bool {
	return func(e chatEvent) bool {
		return e.ChatID == chatID && e.Kind == "message.new" && e.Message != nil && e.Message.Service != nil && e.Message.Service.Type == typ
	}
}

func isKind(chatID int64, kind string) func(chatEvent) bool {
	return func(e chatEvent) bool { return e.ChatID == chatID && e.Kind == kind }
}

func markAll(socks []*liveSock) []sockMark {
	out := make([]sockMark, len(socks))
	for i, s := range socks {
		out[i] = s.mark()
	}
	return out
}

// allSee waits until every socket has the event after its mark.
func allSee(t *testing.T, socks []*liveSock, ms []sockMark, what string, match func(chatEvent) bool) {
	t.Helper()
	for i, s := range socks {
		s.waitEvent(t, ms[i], what, match)
	}
}

// noneSee checks that none of the sockets received a matching event
// after its mark. Call it once the event has reached others: the hub
// hands a push to all of a chat's sockets at once.
func noneSee(t *testing.T, socks []*liveSock, ms []sockMark, what string, match func(chatEvent) bool) {
	t.Helper()
	for i, s := range socks {
		// A round trip on the socket: anything queued for it before has
		// been written by the time the answer comes.
		s.call("users.getMe", nil)
		if e, ok := s.find(ms[i], match); ok {
			t.Fatalf("%s's socket received %s, which it must not: %+v", s.name, what, e)
		}
	}
}

// wantCode checks an answer's error code.
func wantCode(t *testing.T, r reply, code, what string) {
	t.Helper()
	if r.code() != code {
		msg := ""
		if r.Error != nil {
			msg = r.Error.Message
		}
		t.Fatalf("%s: %s (%s), want %s", what, r.code(), msg, code)
	}
}

func chatOf(t *testing.T, c caller, chatID int64) chatInfo {
	t.Helper()
	var ci chatInfo
	c.call("chats.get", map[string]int64{"chat_id": chatID}).into(t, &ci)
	return ci
}

func historyOf(t *testing.T, c caller, params map[string]any) []messageView {
	t.Helper()
	var hist []messageView
	c.call("messages.history", params).into(t, &hist)
	return hist
}

func msgIDs(ms []messageView) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func allMembers(t *testing.T, c caller, chatID int64) map[int64]memberInfo {
	t.Helper()
	out := map[int64]memberInfo{}
	var after int64
	for {
		var page []memberInfo
		c.call("chats.members", map[string]int64{"chat_id": chatID, "after_user_id": after, "limit": 200}).into(t, &page)
		for _, m := range page {
			out[m.User.ID] = m
			after = m.User.ID
		}
		if len(page) < 200 {
			return out
		}
	}
}

// --- callers safe for many goroutines ---

// apiHTTP is an HTTP client that keeps connections for many concurrent
// callers (the default keeps two per host).
var apiHTTP = &http.Client{
	Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second},
	Timeout:   30 * time.Second,
}

// tryCall calls a method over HTTP, returning transport errors instead of
// failing the test, so that it may run in any goroutine.
func tryCall(base, token, method string, params any) (reply, error) {
	var body []byte
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return reply{}, err
		}
		body = b
	}
	req, err := http.NewRequest("POST", base+"/api/"+method, bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := apiHTTP.Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("POST %s: %w", method, err)
	}
	defer resp.Body.Close()
	var r reply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return reply{}, fmt.Errorf("%s: decoding the answer: %w", method, err)
	}
	r.Status = resp.StatusCode
	return r, nil
}

// tryInto is tryCall that decodes a successful result into v.
func tryInto(base, token, method string, params, v any) error {
	r, err := tryCall(base, token, method, params)
	if err != nil {
		return err
	}
	if !r.OK {
		return fmt.Errorf("%s: %s: %s", method, r.code(), r.Error.Message)
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(r.Result, v)
}

// trySignUp is signUp for any goroutine.
func trySignUp(n *node, identifier, first string) (string, int64, error) {
	var sent struct {
		LoginToken string `json:"login_token"`
	}
	if err := tryInto(n.url, "", "auth.sendCode", map[string]string{"identifier": identifier, "device": "Load"}, &sent); err != nil {
		return "", 0, err
	}
	code, ok := n.codes.newest(identifier, "sign_in")
	if !ok {
		return "", 0, fmt.Errorf("no code was sent to %s", identifier)
	}
	var auth struct {
		Status string `json:"status"`
		Token  string `json:"token"`
		User   struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	if err := tryInto(n.url, "", "auth.signIn", map[string]string{"login_token": sent.LoginToken, "code": code}, &auth); err != nil {
		return "", 0, err
	}
	if auth.Status != "sign_up_required" {
		return "", 0, fmt.Errorf("signIn of %s: status %q", identifier, auth.Status)
	}
	if err := tryInto(n.url, "", "auth.signUp", map[string]string{"login_token": sent.LoginToken, "first_name": first}, &auth); err != nil {
		return "", 0, err
	}
	if auth.Status != "authorized" || auth.Token == "" || auth.User.ID == 0 {
		return "", 0, fmt.Errorf("signUp of %s: %+v", identifier, auth)
	}
	return auth.Token, auth.User.ID, nil
}

// lavish are the generous limits with flood control raised past the
// strict rule for sign-ups (a sixth of the burst), and the connection
// caps past the thousands of sockets, for tests that sign up and
// connect hundreds of people from one address.
func lavish() []string {
	return append(append([]string{}, generous...), "--flood-rate", "100000", "--flood-burst", "100000",
		"--ws-per-ip", "100000", "--conns-per-ip", "100000")
}

var safeRandomIDs atomic.Int64

// safeRID is rid for any goroutine.
func safeRID() int64 {
	return time.Now().UnixNano()%1_000_000_000*1000 + 500_000_000 + safeRandomIDs.Add(1)
}

// person is one member of a test's cast.
type person struct {
	name  string
	phone string
	id    int64
	token string
	api   *httpCaller
	ws    *liveSock // nil for people without a socket
}

// cast signs people up over HTTP, giving sockets to the first withSocket.
func cast(t *testing.T, n *node, ph *phones, names []string, withSocket int) []*person {
	t.Helper()
	out := make([]*person, len(names))
	for i, name := range names {
		p := &person{name: name, phone: ph.next()}
		p.api = &httpCaller{t: t, base: n.url}
		p.token, p.id = signUp(t, n, p.api, p.phone, name)
		if i < withSocket {
			p.ws = openSock(t, n, p.token, name)
		}
		out[i] = p
	}
	return out
}

func socketsOf(ps ...*person) []*liveSock {
	var out []*liveSock
	for _, p := range ps {
		if p.ws != nil {
			out = append(out, p.ws)
		}
	}
	return out
}

// idsOf lists the people's ids.
func idsOf(ps ...*person) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.id
	}
	return out
}

func TestGroupOf50(t *testing.T) {
	start := time.Now()
	n := startNode(t, generous...)
	var ph phones
	names := make([]string, 50)
	for i := range names {
		names[i] = fmt.Sprintf("P%02d", i)
	}
	names[0], names[1], names[2] = "Owner", "Ada", "Ben" // Ada and Ben become admins
	ps := cast(t, n, &ph, names, 10)
	owner, ada, ben := ps[0], ps[1], ps[2]
	outsiders := cast(t, n, &ph, []string{"Out1", "Out2", "Out3", "Out4"}, 2)
	o1, o2, o3, o4 := outsiders[0], outsiders[1], outsiders[2], outsiders[3]
	live := socketsOf(ps...) // the 10 group members with sockets
	t.Logf("50+4 sign-ups and 12 sockets in %v", time.Since(start))

	// The owner makes the group with the 49 others, who know them.
	befriend(t, owner, ps[1:]...)
	ms := markAll(live)
	var g chatInfo
	owner.api.call("chats.createGroup", map[string]any{"title": "The Fifty", "user_ids": idsOf(ps[1:]...)}).into(t, &g)
	if g.Kind != "group" || g.MemberCount != 50 || g.Role != "owner" || g.Title != "The Fifty" {
		t.Fatalf("new group %+v", g)
	}
	chat := g.ID
	for i, s := range live {
		if i > 0 {
			s.waitUser(t, ms[i], "dialog.added", chat)
		}
	}
	allSee(t, live, ms, "members_added", func(e chatEvent) bool {
		return isService(chat, "members_added")(e) && len(e.Message.Service.UserIDs) == 49
	})
	if got := allMembers(t, ps[30].api, chat); len(got) != 50 || got[owner.id].Role != "owner" || got[ps[49].id].Role != "member" {
		t.Fatalf("members as a member sees them: %d, owner %+v", len(got), got[owner.id])
	}

	// Two admins with different rights.
	ms = markAll(live)
	owner.api.call("chats.setAdmin", map[string]any{"chat_id": chat, "user_id": ada.id, "rights": []string{"change_info", "delete_messages", "ban_users", "invite_users", "pin_messages"}}).into(t, new(bool))
	owner.api.call("chats.setAdmin", map[string]any{"chat_id": chat, "user_id": ben.id, "rights": []string{"invite_users", "pin_messages"}}).into(t, new(bool))
	allSee(t, live, ms, "Ben's promotion", func(e chatEvent) bool {
		return e.ChatID == chat && e.Kind == "member.update" && e.UserID == ben.id && strings.Contains(string(e.Data), `"admin"`)
	})
	wantCode(t, owner.api.call("chats.setAdmin", map[string]any{"chat_id": chat, "user_id": ben.id, "rights": []string{"fly"}}), "PARAM_INVALID", "an unknown right")
	wantCode(t, ada.api.call("chats.setAdmin", map[string]any{"chat_id": chat, "user_id": ps[5].id, "rights": []string{"pin_messages"}}), "RIGHT_FORBIDDEN", "an admin without add_admins appointing")
	wantCode(t, ps[5].api.call("chats.setAdmin", map[string]any{"chat_id": chat, "user_id": ps[6].id, "rights": []string{"pin_messages"}}), "RIGHT_FORBIDDEN", "a member appointing")
	mem := allMembers(t, ps[7].api, chat)
	if mem[ada.id].Role != "admin" || len(mem[ada.id].Rights) != 5 || mem[ben.id].Role != "admin" || strings.Join(mem[ben.id].Rights, ",") != "invite_users,pin_messages" {
		t.Fatalf("admins as listed: Ada %+v, Ben %+v", mem[ada.id], mem[ben.id])
	}

	// Members chat, ten at once, three messages each; every socket gets
	// all thirty.
	ms = markAll(live)
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for _, p := range ps[3:13] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 3 {
				r, err := tryCall(n.url, p.token, "messages.send", map[string]any{"chat_id": chat, "text": fmt.Sprintf("%s says %d", p.name, k), "random_id": safeRID()})
				if err == nil && !r.OK {
					err = fmt.Errorf("%s: %s", p.name, r.code())
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, p := range ps[3:13] {
		for k := range 3 {
			allSee(t, live, ms, "a member's message", isMsg(chat, fmt.Sprintf("%s says %d", p.name, k)))
		}
	}
	var chatter messageView
	for _, e := range owner.ws.chatEvents(chat) {
		if isMsg(chat, "P03 says 0")(e) {
			chatter = *e.Message
		}
	}
	if chatter.SenderID != ps[3].id {
		t.Fatalf("P03's message as pushed: %+v", chatter)
	}

	// Deleting others' messages takes the right.
	wantCode(t, ben.api.call("messages.delete", map[string]any{"chat_id": chat, "ids": []int64{chatter.ID}, "for_everyone": true}), "MESSAGE_DELETE_FORBIDDEN", "Ben deleting a member's message")
	wantCode(t, ps[4].api.call("messages.delete", map[string]any{"chat_id": chat, "ids": []int64{chatter.ID}, "for_everyone": true}), "MESSAGE_DELETE_FORBIDDEN", "a member deleting another's message")
	ms = markAll(live)
	ada.api.call("messages.delete", map[string]any{"chat_id": chat, "ids": []int64{chatter.ID}, "for_everyone": true}).into(t, new(deletedCount))
	allSee(t, live, ms, "the deletion", func(e chatEvent) bool {
		return e.ChatID == chat && e.Kind == "message.delete" && strings.Contains(string(e.Data), fmt.Sprintf("[%d]", chatter.ID))
	})

	// A ban: P04 is out at once, their live socket stops getting the
	// group's pushes, and they can neither post nor read.
	banned := ps[4]
	wantCode(t, ben.api.call("chats.ban", map[string]any{"chat_id": chat, "user_id": banned.id}), "RIGHT_FORBIDDEN", "Ben banning without ban_users")
	wantCode(t, ps[5].api.call("chats.ban", map[string]any{"chat_id": chat, "user_id": banned.id}), "RIGHT_FORBIDDEN", "a member banning")
	wantCode(t, ada.api.call("chats.ban", map[string]any{"chat_id": chat, "user_id": ben.id}), "RIGHT_FORBIDDEN", "an admin banning another admin")
	wantCode(t, ada.api.call("chats.ban", map[string]any{"chat_id": chat, "user_id": owner.id}), "RIGHT_FORBIDDEN", "an admin banning the owner")
	ms = markAll(live)
	ada.api.call("chats.ban", map[string]any{"chat_id": chat, "user_id": banned.id}).into(t, new(bool))
	banned.ws.waitUser(t, ms[4], "dialog.removed", chat)
	stayed := socketsOf(append(append([]*person{}, ps[:4]...), ps[5:]...)...)
	stayedMarks := append(append([]sockMark{}, ms[:4]...), ms[5:]...)
	allSee(t, stayed, stayedMarks, "the ban", func(e chatEvent) bool {
		return e.ChatID == chat && e.Kind == "member.update" && e.UserID == banned.id && strings.Contains(string(e.Data), `"banned"`)
	})
	allSee(t, stayed, stayedMarks, "member_removed", isService(chat, "member_removed"))
	send(t, ps[3].api, map[string]any{"chat_id": chat}, "after the ban")
	allSee(t, stayed, stayedMarks, "a message after the ban", isMsg(chat, "after the ban"))
	noneSee(t, []*liveSock{banned.ws}, ms[4:5], "the group's pushes after being banned", func(e chatEvent) bool { return e.ChatID == chat })
	wantCode(t, banned.api.call("messages.send", map[string]any{"chat_id": chat, "text": "let me in", "random_id": rid()}), "USER_BANNED_IN_CHAT", "a banned member sending")
	wantCode(t, banned.api.call("messages.history", map[string]any{"chat_id": chat}), "USER_BANNED_IN_CHAT", "a banned member reading")
	if c := chatOf(t, owner.api, chat); c.MemberCount != 49 {
		t.Fatalf("member count after a ban: %d", c.MemberCount)
	}
	var link inviteInfo
	ben.api.call("chats.createInvite", map[string]any{"chat_id": chat}).into(t, &link)
	wantCode(t, banned.api.call("chats.joinByInvite", map[string]string{"hash": link.Hash}), "USER_BANNED_IN_CHAT", "a banned person joining by link")
	wantCode(t, ben.api.call("chats.addMembers", map[string]any{"chat_id": chat, "user_ids": []int64{banned.id}}), "USER_BANNED_IN_CHAT", "an admin adding a banned person")

	// Unbanned, they come back by the link, on the same socket.
	ada.api.call("chats.unban", map[string]any{"chat_id": chat, "user_id": banned.id}).into(t, new(bool))
	ms = markAll(live)
	var back chatInfo
	banned.api.call("chats.joinByInvite", map[string]string{"hash": link.Hash}).into(t, &back)
	if back.ID != chat || back.Role != "member" || back.MemberCount != 50 {
		t.Fatalf("rejoined %+v", back)
	}
	banned.ws.waitUser(t, ms[4], "dialog.added", chat)
	allSee(t, live, ms, "member_joined", isService(chat, "member_joined"))
	send(t, ps[5].api, map[string]any{"chat_id": chat}, "welcome back")
	allSee(t, live, ms, "welcome back", isMsg(chat, "welcome back"))
	wantCode(t, banned.api.call("chats.joinByInvite", map[string]string{"hash": link.Hash}), "USER_ALREADY_PARTICIPANT", "joining twice")

	// Removed (not banned), P05 stops getting pushes; added back by Ben,
	// the same socket gets them again.
	removed := ps[5]
	ms = markAll(live)
	ada.api.call("chats.removeMember", map[string]any{"chat_id": chat, "user_id": removed.id}).into(t, new(bool))
	removed.ws.waitUser(t, ms[5], "dialog.removed", chat)
	send(t, owner.api, map[string]any{"chat_id": chat}, "while P05 is out")
	others := socketsOf(append(append([]*person{}, ps[:5]...), ps[6:]...)...)
	othersMarks := append(append([]sockMark{}, ms[:5]...), ms[6:]...)
	allSee(t, others, othersMarks, "a message while P05 is out", isMsg(chat, "while P05 is out"))
	noneSee(t, []*liveSock{removed.ws}, ms[5:6], "pushes while removed", func(e chatEvent) bool { return e.ChatID == chat })
	ms = markAll(live)
	var added struct {
		Added []int64 `json:"added"`
	}
	befriend(t, ben, removed) // who may add P05 to groups
	ben.api.call("chats.addMembers", map[string]any{"chat_id": chat, "user_ids": []int64{removed.id}}).into(t, &added)
	if len(added.Added) != 1 || added.Added[0] != removed.id {
		t.Fatalf("added %+v", added)
	}
	removed.ws.waitUser(t, ms[5], "dialog.added", chat)
	send(t, owner.api, map[string]any{"chat_id": chat}, "P05 is back")
	allSee(t, live, ms, "P05 is back", isMsg(chat, "P05 is back"))

	// Slow mode: only the allowed intervals; members wait, admins do not.
	wantCode(t, ada.api.call("chats.update", map[string]any{"chat_id": chat, "slow_mode_seconds": 45}), "SLOWMODE_INVALID", "slow mode of 45 s")
	// Members whom the group lets change its info change the title, not
	// the rules; nor do admins without change_info.
	wantCode(t, ben.api.call("chats.update", map[string]any{"chat_id": chat, "slow_mode_seconds": 10}), "RIGHT_FORBIDDEN", "slow mode set by an admin without change_info")
	wantCode(t, ps[10].api.call("chats.update", map[string]any{"chat_id": chat, "slow_mode_seconds": 10}), "RIGHT_FORBIDDEN", "slow mode set by a member")
	ms = markAll(live)
	var retitled chatInfo
	ps[10].api.call("chats.update", map[string]any{"chat_id": chat, "title": "Fifty-ish"}).into(t, &retitled)
	allSee(t, live, ms, "a member's new title", isService(chat, "title_changed"))
	ps[10].api.call("chats.update", map[string]any{"chat_id": chat, "title": "The Fifty"}).into(t, &retitled)
	if retitled.Title != "The Fifty" || retitled.SlowModeSeconds != 0 {
		t.Fatalf("retitled by a member: %+v", retitled)
	}
	for _, v := range []int{60, 300, 900, 3600, 0, 10, 30} {
		var c chatInfo
		ada.api.call("chats.update", map[string]any{"chat_id": chat, "slow_mode_seconds": v}).into(t, &c)
		if c.SlowModeSeconds != v {
			t.Fatalf("slow mode set to %d: %+v", v, c)
		}
	}
	slow := ps[6]
	send(t, slow.api, map[string]any{"chat_id": chat}, "first under slow mode")
	before := chatOf(t, owner.api, chat)
	r := slow.api.call("messages.send", map[string]any{"chat_id": chat, "text": "too soon", "random_id": rid()})
	wantCode(t, r, "SLOWMODE_WAIT", "a second post within slow mode")
	if r.Error.RetryAfter != 30 {
		t.Fatalf("retry_after %d, want 30", r.Error.RetryAfter)
	}
	n.clock.Advance(10 * time.Second)
	r = slow.api.call("messages.send", map[string]any{"chat_id": chat, "text": "too soon", "random_id": rid()})
	if r.code() != "SLOWMODE_WAIT" || r.Error.RetryAfter != 20 {
		t.Fatalf("10 s later: %s %+v", r.code(), r.Error)
	}
	if after := chatOf(t, owner.api, chat); after.Seq != before.Seq || after.TopMessageID != before.TopMessageID {
		t.Fatalf("refused posts changed the chat: %+v → %+v", before, after)
	}
	for k := range 2 {
		send(t, ben.api, map[string]any{"chat_id": chat}, fmt.Sprintf("admin, no wait %d", k))
		send(t, owner.api, map[string]any{"chat_id": chat}, fmt.Sprintf("owner, no wait %d", k))
	}
	send(t, ps[7].api, map[string]any{"chat_id": chat}, "another member's first")
	n.clock.Advance(21 * time.Second)
	ms = markAll(live)
	send(t, slow.api, map[string]any{"chat_id": chat}, "second under slow mode")
	allSee(t, live, ms, "the post after waiting", isMsg(chat, "second under slow mode"))
	ada.api.call("chats.update", map[string]any{"chat_id": chat, "slow_mode_seconds": 0}).into(t, new(chatInfo))
	send(t, slow.api, map[string]any{"chat_id": chat}, "slow mode off 1")
	send(t, slow.api, map[string]any{"chat_id": chat}, "slow mode off 2")

	// Member permissions: with none, members cannot post, pin, change
	// the info or invite; admins still can what their rights allow.
	ms = markAll(live)
	var locked chatInfo
	ada.api.call("chats.update", map[string]any{"chat_id": chat, "member_rights": []string{}}).into(t, &locked)
	if len(locked.MemberRights) != 0 {
		t.Fatalf("member rights after clearing: %v", locked.MemberRights)
	}
	allSee(t, live, ms, "chat.update", isKind(chat, "chat.update"))
	member := ps[8]
	before = chatOf(t, owner.api, chat)
	wantCode(t, member.api.call("messages.send", map[string]any{"chat_id": chat, "text": "may I?", "random_id": rid()}), "CHAT_WRITE_FORBIDDEN", "a member sending with no rights")
	wantCode(t, member.api.call("messages.pin", map[string]any{"chat_id": chat, "id": 1}), "RIGHT_FORBIDDEN", "a member pinning with no rights")
	wantCode(t, member.api.call("chats.update", map[string]any{"chat_id": chat, "title": "Mine"}), "RIGHT_FORBIDDEN", "a member renaming with no rights")
	wantCode(t, member.api.call("chats.createInvite", map[string]any{"chat_id": chat}), "RIGHT_FORBIDDEN", "a member inviting with no rights")
	wantCode(t, ben.api.call("chats.update", map[string]any{"chat_id": chat, "title": "Ben's"}), "RIGHT_FORBIDDEN", "an admin without change_info renaming")
	wantCode(t, ada.api.call("chats.update", map[string]any{"chat_id": chat, "member_rights": []string{"fly"}}), "PARAM_INVALID", "an unknown member right")
	if after := chatOf(t, owner.api, chat); after.Seq != before.Seq || after.Title != "The Fifty" {
		t.Fatalf("refused actions changed the chat: %+v → %+v", before, after)
	}
	ms = markAll(live)
	send(t, ben.api, map[string]any{"chat_id": chat}, "admins still talk")
	allSee(t, live, ms, "an admin's message", isMsg(chat, "admins still talk"))
	ada.api.call("chats.update", map[string]any{"chat_id": chat, "member_rights": []string{"send_messages", "invite_users"}}).into(t, &locked)
	if strings.Join(locked.MemberRights, ",") != "invite_users,send_messages" {
		t.Fatalf("member rights %v", locked.MemberRights)
	}
	send(t, member.api, map[string]any{"chat_id": chat}, "members talk again")
	wantCode(t, member.api.call("chats.update", map[string]any{"chat_id": chat, "about": "x"}), "RIGHT_FORBIDDEN", "a member changing the description")

	// Title and description.
	ms = markAll(live)
	var renamed chatInfo
	ada.api.call("chats.update", map[string]any{"chat_id": chat, "title": "Fifty Strong", "about": "Fifty people, two admins"}).into(t, &renamed)
	if renamed.Title != "Fifty Strong" || renamed.About != "Fifty people, two admins" {
		t.Fatalf("renamed %+v", renamed)
	}
	allSee(t, live, ms, "title_changed", func(e chatEvent) bool {
		return isService(chat, "title_changed")(e)
	})
	wantCode(t, ada.api.call("chats.update", map[string]any{"chat_id": chat, "title": strings.Repeat("t", 129)}), "CHAT_TITLE_INVALID", "a title too long")
	wantCode(t, ada.api.call("chats.update", map[string]any{"chat_id": chat, "title": "  "}), "CHAT_TITLE_INVALID", "a blank title")
	wantCode(t, ada.api.call("chats.update", map[string]any{"chat_id": chat, "about": strings.Repeat("a", 256)}), "CHAT_ABOUT_TOO_LONG", "a description too long")
	if c := chatOf(t, ps[40].api, chat); c.Title != "Fifty Strong" || c.About != "Fifty people, two admins" {
		t.Fatalf("a member sees %+v", c)
	}

	// Hidden history: a newcomer sees only what comes after they joined.
	ada.api.call("chats.update", map[string]any{"chat_id": chat, "history_hidden": true}).into(t, new(chatInfo))
	topBefore := chatOf(t, owner.api, chat).TopMessageID
	m1 := o1.ws.mark()
	var joined chatInfo
	o1.api.call("chats.joinByInvite", map[string]string{"hash": link.Hash}).into(t, &joined)
	o1.ws.waitUser(t, m1, "dialog.added", chat)
	ms = markAll(live)
	send(t, ps[9].api, map[string]any{"chat_id": chat}, "hello newcomer")
	allSee(t, append(live, o1.ws), append(ms, m1), "hello newcomer", isMsg(chat, "hello newcomer"))
	seen := historyOf(t, o1.api, map[string]any{"chat_id": chat})
	if len(seen) != 2 || seen[1].Service == nil || seen[1].Service.Type != "member_joined" || seen[1].ID != topBefore+1 || seen[0].Text != "hello newcomer" {
		t.Fatalf("a newcomer's history when it is hidden: %+v", seen)
	}
	var got []messageView
	o1.api.call("messages.get", map[string]any{"chat_id": chat, "ids": []int64{1, topBefore}}).into(t, &got)
	if len(got) != 0 {
		t.Fatalf("a newcomer fetched hidden messages: %+v", got)
	}
	wantCode(t, o1.api.call("messages.send", map[string]any{"chat_id": chat, "text": "re", "reply_to_id": topBefore, "random_id": rid()}), "MESSAGE_NOT_FOUND", "replying to a hidden message")
	if e, ok := o1.ws.find(m1, func(e chatEvent) bool { return e.ChatID == chat && e.MessageID != 0 && e.MessageID <= topBefore }); ok {
		t.Fatalf("a newcomer's socket got an event about a hidden message: %+v", e)
	}
	ada.api.call("chats.update", map[string]any{"chat_id": chat, "history_hidden": false}).into(t, new(chatInfo))
	o2.api.call("chats.joinByInvite", map[string]string{"hash": link.Hash}).into(t, &joined)
	o2.api.call("messages.get", map[string]any{"chat_id": chat, "ids": []int64{1}}).into(t, &got)
	if len(got) != 1 || got[0].Service == nil || got[0].Service.Type != "chat_created" {
		t.Fatalf("a newcomer with history shown: %+v", got)
	}
	if old := historyOf(t, o2.api, map[string]any{"chat_id": chat, "around_id": 3, "limit": 6}); len(old) == 0 || old[len(old)-1].ID != 1 {
		t.Fatalf("a newcomer's view of the start: %v", msgIDs(old))
	}

	// Invite links: a use limit, an expiry, revocation.
	var once, soon, revoked inviteInfo
	ada.api.call("chats.createInvite", map[string]any{"chat_id": chat, "usage_limit": 1}).into(t, &once)
	ada.api.call("chats.createInvite", map[string]any{"chat_id": chat, "expires_in": 60}).into(t, &soon)
	ada.api.call("chats.createInvite", map[string]any{"chat_id": chat}).into(t, &revoked)
	if once.UsageLimit != 1 || soon.ExpiresAt == 0 {
		t.Fatalf("links %+v %+v", once, soon)
	}
	wantCode(t, ada.api.call("chats.createInvite", map[string]any{"chat_id": chat, "expires_in": -5}), "PARAM_INVALID", "a link expiring in the past")
	o3.api.call("chats.joinByInvite", map[string]string{"hash": once.Hash}).into(t, &joined)
	count := chatOf(t, owner.api, chat).MemberCount
	wantCode(t, o4.api.call("chats.checkInvite", map[string]string{"hash": once.Hash}), "INVITE_HASH_EXPIRED", "checking a used-up link")
	wantCode(t, o4.api.call("chats.joinByInvite", map[string]string{"hash": once.Hash}), "INVITE_HASH_EXPIRED", "joining by a used-up link")
	var peek chatInfo
	o4.api.call("chats.checkInvite", map[string]string{"hash": soon.Hash}).into(t, &peek)
	if peek.ID != chat || peek.Title != "Fifty Strong" || peek.Role != "" {
		t.Fatalf("checkInvite %+v", peek)
	}
	n.clock.Advance(61 * time.Second)
	wantCode(t, o4.api.call("chats.joinByInvite", map[string]string{"hash": soon.Hash}), "INVITE_HASH_EXPIRED", "joining by an expired link")
	ada.api.call("chats.revokeInvite", map[string]string{"hash": revoked.Hash}).into(t, new(bool))
	wantCode(t, o4.api.call("chats.joinByInvite", map[string]string{"hash": revoked.Hash}), "INVITE_HASH_EXPIRED", "joining by a revoked link")
	wantCode(t, o4.api.call("chats.joinByInvite", map[string]string{"hash": "nosuchlink"}), "INVITE_HASH_INVALID", "joining by a made-up link")
	wantCode(t, o4.api.call("messages.history", map[string]any{"chat_id": chat}), "NOT_MEMBER", "an outsider reading")
	if c := chatOf(t, owner.api, chat); c.MemberCount != count {
		t.Fatalf("refused joins changed the member count: %d → %d", count, c.MemberCount)
	}
	var links []inviteInfo
	ada.api.call("chats.invites", map[string]int64{"chat_id": chat}).into(t, &links)
	usage := map[string]inviteInfo{}
	for _, l := range links {
		usage[l.Hash] = l
	}
	if usage[once.Hash].Usage != 1 || usage[link.Hash].Usage != 3 || !usage[revoked.Hash].Revoked {
		t.Fatalf("links as listed: %+v", links)
	}

	// Ownership: only the owner hands it on, and only to a member; the
	// owner cannot leave; the old owner stays as an admin and may leave.
	wantCode(t, ada.api.call("chats.transferOwnership", map[string]any{"chat_id": chat, "user_id": ada.id}), "RIGHT_FORBIDDEN", "an admin taking ownership")
	wantCode(t, owner.api.call("chats.transferOwnership", map[string]any{"chat_id": chat, "user_id": o4.id}), "USER_NOT_FOUND", "handing ownership to an outsider")
	wantCode(t, owner.api.call("chats.leave", map[string]int64{"chat_id": chat}), "OWNER_CANNOT_LEAVE", "the owner leaving")
	ms = markAll(live)
	owner.api.call("chats.transferOwnership", map[string]any{"chat_id": chat, "user_id": ada.id}).into(t, new(bool))
	allSee(t, live, ms, "owner_changed", func(e chatEvent) bool {
		return isService(chat, "owner_changed")(e) && len(e.Message.Service.UserIDs) == 1 && e.Message.Service.UserIDs[0] == ada.id
	})
	mem = allMembers(t, ben.api, chat)
	if mem[ada.id].Role != "owner" || mem[owner.id].Role != "admin" {
		t.Fatalf("after the transfer: Ada %+v, old owner %+v", mem[ada.id], mem[owner.id])
	}
	wantCode(t, ada.api.call("chats.leave", map[string]int64{"chat_id": chat}), "OWNER_CANNOT_LEAVE", "the new owner leaving")
	ada.api.call("chats.ban", map[string]any{"chat_id": chat, "user_id": ben.id}).into(t, new(bool)) // the owner outranks admins...
	ben.ws.waitUser(t, ms[2], "dialog.removed", chat)
	ada.api.call("chats.unban", map[string]any{"chat_id": chat, "user_id": ben.id}).into(t, new(bool))
	mbm := ben.ws.mark()
	// Ben has Ada in his contacts, so she may add him back.
	befriend(t, ada, ben)
	ada.api.call("chats.addMembers", map[string]any{"chat_id": chat, "user_ids": []int64{ben.id}}).into(t, &added) // ...and lets Ben back
	ben.ws.waitUser(t, mbm, "dialog.added", chat)

	ms = markAll(live)
	owner.api.call("chats.leave", map[string]int64{"chat_id": chat}).into(t, new(bool))
	owner.ws.waitUser(t, ms[0], "dialog.removed", chat)
	allSee(t, live[1:], ms[1:], "member_left", func(e chatEvent) bool {
		return isService(chat, "member_left")(e) && e.Message.Service.UserIDs[0] == owner.id
	})
	wantCode(t, owner.api.call("messages.send", map[string]any{"chat_id": chat, "text": "bye?", "random_id": rid()}), "NOT_MEMBER", "posting after leaving")
	wantCode(t, o4.api.call("chats.leave", map[string]int64{"chat_id": chat}), "NOT_MEMBER", "leaving a chat one is not in")
	ms = markAll(live)
	send(t, ps[9].api, map[string]any{"chat_id": chat}, "the end")
	allSee(t, live[1:], ms[1:], "the end", isMsg(chat, "the end"))
	noneSee(t, live[:1], ms[:1], "pushes after leaving", func(e chatEvent) bool { return e.ChatID == chat })

	// Sequence: sockets that stayed in the chat throughout saw every
	// event, seq by seq; the others saw theirs in order.
	final := chatOf(t, ps[9].api, chat)
	for _, p := range []*person{ps[3], ps[6], ps[7], ps[9]} {
		first, last := checkGapless(t, p.ws, chat)
		if last != final.Seq {
			t.Fatalf("%s's socket ended at seq %d, the chat is at %d", p.name, last, final.Seq)
		}
		if first > 60 {
			t.Fatalf("%s's socket started at seq %d", p.name, first)
		}
	}
	// The log agrees with what the sockets saw.
	var diff struct {
		Events []chatEvent `json:"events"`
		Seq    int64       `json:"seq"`
	}
	evs := ps[3].ws.chatEvents(chat)
	ps[3].api.call("sync.getChatDifference", map[string]any{"chat_id": chat, "seq": evs[0].Seq - 1}).into(t, &diff)
	if len(diff.Events) != len(evs) || diff.Seq != final.Seq {
		t.Fatalf("difference has %d events to seq %d; the socket saw %d", len(diff.Events), diff.Seq, len(evs))
	}
	for i := range evs {
		if diff.Events[i].Seq != evs[i].Seq || diff.Events[i].Kind != evs[i].Kind {
			t.Fatalf("event %d: log %d %s, socket %d %s", i, diff.Events[i].Seq, diff.Events[i].Kind, evs[i].Seq, evs[i].Kind)
		}
	}
	// Owner (until leaving), Ben (until his ban), the banned and the
	// removed: in order, and nothing while out.
	checkGapless(t, owner.ws, chat)
	for _, p := range []*person{ben, banned, removed} {
		checkIncreasing(t, p.ws, chat)
	}
	t.Logf("group of 50: %d events, done in %v", final.Seq, time.Since(start))
}

type deletedCount struct {
	Count int `json:"count"`
}

// smallGroup signs people up (sockets for the first withSocket) and has
// the first make a group of them all, waiting until every socket knows.
func smallGroup(t *testing.T, n *node, ph *phones, names []string, withSocket int) ([]*person, int64) {
	t.Helper()
	ps := cast(t, n, ph, names, withSocket)
	live := socketsOf(ps...)
	befriend(t, ps[0], ps[1:]...)
	ms := markAll(live)
	var g chatInfo
	ps[0].api.call("chats.createGroup", map[string]any{"title": "Group of " + names[0], "user_ids": idsOf(ps[1:]...)}).into(t, &g)
	allSee(t, live, ms, "members_added", isService(g.ID, "members_added"))
	return ps, g.ID
}

func dialogOf(t *testing.T, c caller, chatID int64) dialogInfo {
	t.Helper()
	var ds []dialogInfo
	c.call("dialogs.list", nil).into(t, &ds)
	for _, d := range ds {
		if d.Chat.ID == chatID {
			return d
		}
	}
	t.Fatalf("chat %d is not among the dialogs", chatID)
	return dialogInfo{}
}

func TestGroupUnreadAndMentions(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps, chat := smallGroup(t, n, &ph, []string{"Ann", "Bob", "Cat", "Dan"}, 4)
	ann, bob, cat, dan := ps[0], ps[1], ps[2], ps[3]
	cat.api.call("account.updateUsername", map[string]string{"username": "cat_in_group"}).into(t, new(userView))

	own := send(t, cat.api, map[string]any{"chat_id": chat}, "Cat was here")
	cat.api.call("messages.read", map[string]any{"chat_id": chat}).into(t, new(bool))
	if d := dialogOf(t, cat.api, chat); d.UnreadCount != 0 || d.UnreadMentions != 0 || d.ReadInboxMaxID != own.ID {
		t.Fatalf("Cat's dialog after reading: %+v", d)
	}
	ms := markAll(socketsOf(ps...))
	send(t, bob.api, map[string]any{"chat_id": chat}, "one")
	mention := send(t, bob.api, map[string]any{"chat_id": chat}, "@cat_in_group look at this")
	send(t, dan.api, map[string]any{"chat_id": chat}, "two")
	ann.api.call("messages.send", map[string]any{"chat_id": chat, "text": "answering Cat", "reply_to_id": own.ID, "random_id": rid()}).into(t, new(messageView))
	// A mention by name, for someone with no username.
	var named messageView
	dan.api.call("messages.send", map[string]any{"chat_id": chat, "text": "Hey Cat!", "random_id": rid(),
		"entities": []map[string]any{{"type": "text_mention", "offset": 4, "length": 3, "user_id": cat.id}}}).into(t, &named)
	send(t, bob.api, map[string]any{"chat_id": chat}, "@nobody_by_that_name hello")
	allSee(t, socketsOf(ps...), ms, "the last message", isMsg(chat, "@nobody_by_that_name hello"))

	d := dialogOf(t, cat.api, chat)
	if d.UnreadCount != 6 || d.UnreadMentions != 3 || d.TopMessage == nil || d.TopMessage.Text != "@nobody_by_that_name hello" {
		t.Fatalf("Cat's dialog: unread %d, mentions %d, top %+v; want 6 and 3", d.UnreadCount, d.UnreadMentions, d.TopMessage)
	}
	// Own messages never count; Dan, who mentioned Cat, has no mention.
	if d := dialogOf(t, bob.api, chat); d.UnreadCount != 6 || d.UnreadMentions != 0 {
		// Bob has read nothing: the two service messages, Cat's, Dan's
		// two, and Ann's reply.
		t.Fatalf("Bob's dialog: %+v", d)
	}
	// Reading up to the first mention leaves the rest.
	ms = markAll(socketsOf(ps...))
	cat.api.call("messages.read", map[string]any{"chat_id": chat, "max_id": mention.ID}).into(t, new(bool))
	if d := dialogOf(t, cat.api, chat); d.UnreadCount != 4 || d.UnreadMentions != 2 {
		t.Fatalf("Cat's dialog after reading to the mention: unread %d, mentions %d; want 4 and 2", d.UnreadCount, d.UnreadMentions)
	}
	// The others see that someone read their messages.
	e := bob.ws.waitEvent(t, ms[1], "a read receipt", isKind(chat, "chat.read"))
	if !strings.Contains(string(e.Data), fmt.Sprintf(`"max_id":%d`, mention.ID)) {
		t.Fatalf("read receipt %+v", e)
	}
	cat.api.call("messages.read", map[string]any{"chat_id": chat}).into(t, new(bool))
	if d := dialogOf(t, cat.api, chat); d.UnreadCount != 0 || d.UnreadMentions != 0 {
		t.Fatalf("Cat's dialog after reading all: %+v", d)
	}
	// Reading never moves back.
	cat.api.call("messages.read", map[string]any{"chat_id": chat, "max_id": 1}).into(t, new(bool))
	if d := dialogOf(t, cat.api, chat); d.UnreadCount != 0 || d.ReadInboxMaxID < named.ID {
		t.Fatalf("Cat's dialog after reading back: %+v", d)
	}
	// Cat's other device learns of the read from her own log.
	cat.ws.waitUser(t, ms[2], "dialog.read", chat)
}

// pollSearch searches until the index has caught up with want results
// (the index follows the log just after the acknowledgement).
func pollSearch(t *testing.T, c caller, params map[string]any, want int) []messageView {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var found []messageView
		c.call("messages.search", params).into(t, &found)
		if len(found) == want || time.Now().After(deadline) {
			return found
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMessageSearch(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps, chat := smallGroup(t, n, &ph, []string{"Ann", "Bob"}, 0)
	ann, bob := ps[0], ps[1]
	others := cast(t, n, &ph, []string{"Cid", "Dee"}, 0)
	cid, dee := others[0], others[1]

	fox := send(t, ann.api, map[string]any{"chat_id": chat}, "The quick brown fox jumps")
	send(t, bob.api, map[string]any{"chat_id": chat}, "over the lazy dog")
	gone := send(t, bob.api, map[string]any{"chat_id": chat}, "quickly deleted words")
	meetP(t, ann, cid)
	priv := send(t, ann.api, map[string]any{"user_id": cid.id}, "Quick thinking, Cid")

	// Across chats: newest first, only the searcher's chats.
	found := pollSearch(t, ann.api, map[string]any{"query": "quick"}, 3)
	if len(found) != 3 || found[0].ID != priv.ID || found[0].ChatID != priv.ChatID || found[2].ID != fox.ID {
		t.Fatalf("Ann's search for quick: %+v", found)
	}
	if found := pollSearch(t, bob.api, map[string]any{"query": "quick"}, 2); len(found) != 2 || found[0].ChatID != chat || found[1].ChatID != chat {
		t.Fatalf("Bob's search must not reach Ann's private chat: %+v", found)
	}
	// Within one chat, with a word prefix; paging on.
	if found := pollSearch(t, ann.api, map[string]any{"query": "laz", "chat_id": chat}, 1); len(found) != 1 || found[0].Text != "over the lazy dog" {
		t.Fatalf("search in the group for laz: %+v", found)
	}
	page := pollSearch(t, ann.api, map[string]any{"query": "quick", "limit": 1}, 1)
	var next []messageView
	ann.api.call("messages.search", map[string]any{"query": "quick", "limit": 5, "before_chat_id": page[0].ChatID, "before_id": page[0].ID}).into(t, &next)
	if len(page) != 1 || len(next) != 2 || next[0].ID != gone.ID {
		t.Fatalf("paging: %+v then %+v", page, next)
	}
	if found := pollSearch(t, ann.api, map[string]any{"query": "quick", "chat_id": priv.ChatID}, 1); len(found) != 1 || found[0].ID != priv.ID {
		t.Fatalf("search in the private chat: %+v", found)
	}
	wantCode(t, dee.api.call("messages.search", map[string]any{"query": "quick", "chat_id": chat}), "NOT_MEMBER", "searching a chat one is not in")
	wantCode(t, ann.api.call("messages.search", map[string]any{"query": "  "}), "SEARCH_QUERY_EMPTY", "an empty query")
	wantCode(t, ann.api.call("messages.search", map[string]any{"query": "x", "chat_id": 987654}), "CHAT_NOT_FOUND", "searching a chat that is not there")
	if found := pollSearch(t, dee.api, map[string]any{"query": "quick"}, 0); len(found) != 0 {
		t.Fatalf("an outsider found %+v", found)
	}

	// Deleted messages leave the index.
	bob.api.call("messages.delete", map[string]any{"chat_id": chat, "ids": []int64{gone.ID}, "for_everyone": true}).into(t, new(deletedCount))
	if found := pollSearch(t, ann.api, map[string]any{"query": "quickly"}, 0); len(found) != 0 {
		t.Fatalf("a deleted message is still found: %+v", found)
	}
	// Edits are searched by their new text.
	ann.api.call("messages.edit", map[string]any{"chat_id": chat, "id": fox.ID, "text": "The slow brown fox"}).into(t, new(messageView))
	if found := pollSearch(t, ann.api, map[string]any{"query": "slow"}, 1); len(found) != 1 || found[0].ID != fox.ID {
		t.Fatalf("an edited message by its new text: %+v", found)
	}
	// A newcomer to a group that hides its history finds nothing from
	// before they joined.
	ann.api.call("chats.update", map[string]any{"chat_id": chat, "history_hidden": true}).into(t, new(chatInfo))
	befriend(t, ann, dee)
	ann.api.call("chats.addMembers", map[string]any{"chat_id": chat, "user_ids": []int64{dee.id}}).into(t, new(struct{}))
	send(t, bob.api, map[string]any{"chat_id": chat}, "a quick hello to Dee")
	found = pollSearch(t, dee.api, map[string]any{"query": "quick", "chat_id": chat}, 1)
	if len(found) != 1 || found[0].Text != "a quick hello to Dee" {
		t.Fatalf("a newcomer's search in a group with hidden history: %+v", found)
	}
	if found := pollSearch(t, dee.api, map[string]any{"query": "lazy"}, 0); len(found) != 0 {
		t.Fatalf("a newcomer's global search found hidden history: %+v", found)
	}
}

func TestAutoDeleteTimer(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Ann", "Bob"}, 2)
	ann, bob := ps[0], ps[1]
	meetP(t, ann, bob)
	kept := send(t, ann.api, map[string]any{"user_id": bob.id}, "before the timer")
	chat := kept.ChatID

	wantCode(t, bob.api.call("chats.update", map[string]any{"chat_id": chat, "ttl_seconds": 3600}), "TTL_PERIOD_INVALID", "an hour's timer")
	wantCode(t, bob.api.call("chats.update", map[string]any{"chat_id": chat, "title": "Us"}), "CHAT_KIND_INVALID", "naming a private chat")
	ms := markAll(socketsOf(ps...))
	var c chatInfo
	bob.api.call("chats.update", map[string]any{"chat_id": chat, "ttl_seconds": 86400}).into(t, &c)
	if c.TTLSeconds != 86400 {
		t.Fatalf("timer set %+v", c)
	}
	allSee(t, socketsOf(ps...), ms, "ttl_changed", isService(chat, "ttl_changed"))
	doomed := send(t, ann.api, map[string]any{"chat_id": chat}, "this goes in a day")
	var fetched []messageView
	bob.api.call("messages.get", map[string]any{"chat_id": chat, "ids": []int64{doomed.ID}}).into(t, &fetched)
	if len(fetched) != 1 {
		t.Fatalf("fetched %+v", fetched)
	}
	var exp []struct {
		ExpiresAt int64 `json:"expires_at"`
	}
	bob.api.call("messages.get", map[string]any{"chat_id": chat, "ids": []int64{doomed.ID}}).into(t, &exp)
	if want := n.clock.Now().Add(24 * time.Hour).Unix(); len(exp) != 1 || exp[0].ExpiresAt != want {
		t.Fatalf("expires_at %+v, want %d", exp, want)
	}

	// Nothing goes before its time.
	n.clock.Advance(23 * time.Hour)
	if k, err := n.srv.Core().ExpireMessages(t.Context()); err != nil || k != 0 {
		t.Fatalf("ExpireMessages before a day: %d, %v", k, err)
	}
	n.clock.Advance(time.Hour + time.Second)
	ms = markAll(socketsOf(ps...))
	k, err := n.srv.Core().ExpireMessages(t.Context())
	if err != nil || k != 1 {
		t.Fatalf("ExpireMessages after a day: %d, %v", k, err)
	}
	allSee(t, socketsOf(ps...), ms, "the expiry", func(e chatEvent) bool {
		return e.ChatID == chat && e.Kind == "message.delete" && strings.Contains(string(e.Data), fmt.Sprintf(`"ids":[%d]`, doomed.ID)) && strings.Contains(string(e.Data), `"expired":true`)
	})
	for _, p := range ps {
		for _, m := range historyOf(t, p.api, map[string]any{"chat_id": chat}) {
			if m.ID == doomed.ID {
				t.Fatalf("%s still sees the expired message", p.name)
			}
		}
	}
	if h := historyOf(t, ann.api, map[string]any{"chat_id": chat}); len(h) != 2 || h[len(h)-1].ID != kept.ID {
		t.Fatalf("history after expiry: %v", msgIDs(h))
	}
	// The log keeps the deletion for clients that were away.
	var diff struct {
		Events []chatEvent `json:"events"`
	}
	bob.api.call("sync.getChatDifference", map[string]any{"chat_id": chat, "seq": 0}).into(t, &diff)
	last := diff.Events[len(diff.Events)-1]
	if last.Kind != "message.delete" || !strings.Contains(string(last.Data), `"expired":true`) {
		t.Fatalf("last logged event %+v", last)
	}
	if k, _ := n.srv.Core().ExpireMessages(t.Context()); k != 0 {
		t.Fatalf("expired %d more on a second run", k)
	}
	// Turned off, new messages stay.
	bob.api.call("chats.update", map[string]any{"chat_id": chat, "ttl_seconds": 0}).into(t, &c)
	stays := send(t, ann.api, map[string]any{"chat_id": chat}, "this stays")
	n.clock.Advance(40 * 24 * time.Hour)
	n.srv.Core().ExpireMessages(t.Context())
	if h := historyOf(t, bob.api, map[string]any{"chat_id": chat}); h[0].ID != stays.ID {
		t.Fatalf("history after the timer was turned off: %v", msgIDs(h))
	}
}

func TestForwarding(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps, chat := smallGroup(t, n, &ph, []string{"Ann", "Bob", "Cid"}, 3)
	ann, bob, cid := ps[0], ps[1], ps[2]
	outsider := cast(t, n, &ph, []string{"Dee"}, 0)[0]
	orig := send(t, ann.api, map[string]any{"chat_id": chat}, "Ann's original words")

	// Forwarded with a link to the author.
	m := cid.ws.mark()
	var fw []messageView
	bob.api.call("messages.forward", map[string]any{"from_chat_id": chat, "ids": []int64{orig.ID}, "user_id": cid.id, "random_ids": []int64{rid()}}).into(t, &fw)
	if len(fw) != 1 || fw[0].Forward == nil || fw[0].Forward.FromUserID != ann.id || fw[0].Forward.FromName != "" || fw[0].Text != orig.Text || fw[0].SenderID != bob.id {
		t.Fatalf("forward %+v", fw)
	}
	e := cid.ws.waitEvent(t, m, "the forward", isMsg(fw[0].ChatID, orig.Text))
	if e.Message.Forward == nil || e.Message.Forward.FromUserID != ann.id {
		t.Fatalf("pushed forward %+v", e.Message)
	}
	// A forward of the forward still names Ann.
	var fw2 []messageView
	cid.api.call("messages.forward", map[string]any{"from_chat_id": fw[0].ChatID, "ids": []int64{fw[0].ID}, "chat_id": chat, "random_ids": []int64{rid()}}).into(t, &fw2)
	if fw2[0].Forward == nil || fw2[0].Forward.FromUserID != ann.id {
		t.Fatalf("forward of a forward %+v", fw2[0])
	}

	// Ann hides her account from forwards: only her name travels.
	var p map[string]string
	ann.api.call("privacy.set", map[string]string{"key": "forwards", "value": "nobody"}).into(t, &p)
	var fw3 []messageView
	bob.api.call("messages.forward", map[string]any{"from_chat_id": chat, "ids": []int64{orig.ID}, "user_id": cid.id, "random_ids": []int64{rid()}}).into(t, &fw3)
	if fw3[0].Forward == nil || fw3[0].Forward.FromUserID != 0 || fw3[0].Forward.FromName != "Ann" {
		t.Fatalf("forward of a private author %+v", fw3[0].Forward)
	}
	var seen []messageView
	cid.api.call("messages.get", map[string]any{"chat_id": fw3[0].ChatID, "ids": []int64{fw3[0].ID}}).into(t, &seen)
	if len(seen) != 1 || seen[0].Forward.FromUserID != 0 || seen[0].Forward.FromName != "Ann" {
		t.Fatalf("the private forward as fetched %+v", seen)
	}

	// Channel posts forward as the channel's.
	var ch chatInfo
	ann.api.call("chats.createChannel", map[string]string{"title": "Ann's channel", "username": "anns_channel"}).into(t, &ch)
	post := send(t, ann.api, map[string]any{"chat_id": ch.ID}, "a post")
	var fw4 []messageView
	bob.api.call("messages.forward", map[string]any{"from_chat_id": ch.ID, "ids": []int64{post.ID}, "chat_id": chat, "random_ids": []int64{rid()}}).into(t, &fw4)
	if f := fw4[0].Forward; f == nil || f.FromUserID != 0 {
		t.Fatalf("forward of a channel post %+v", fw4[0])
	}
	var raw []map[string]any
	bob.api.call("messages.get", map[string]any{"chat_id": chat, "ids": []int64{fw4[0].ID}}).into(t, &raw)
	if f, _ := raw[0]["forward"].(map[string]any); f == nil || f["from_chat_id"] != float64(ch.ID) || f["message_id"] != float64(post.ID) {
		t.Fatalf("forward of a channel post names %v", raw[0]["forward"])
	}

	// Refused forwards change nothing.
	before := chatOf(t, bob.api, chat)
	wantCode(t, bob.api.call("messages.forward", map[string]any{"from_chat_id": chat, "ids": []int64{9999}, "chat_id": chat, "random_ids": []int64{rid()}}), "MESSAGE_NOT_FOUND", "forwarding a message that is not there")
	wantCode(t, outsider.api.call("messages.forward", map[string]any{"from_chat_id": chat, "ids": []int64{orig.ID}, "user_id": ann.id, "random_ids": []int64{rid()}}), "NOT_MEMBER", "forwarding from a chat one is not in")
	wantCode(t, bob.api.call("messages.forward", map[string]any{"from_chat_id": chat, "ids": []int64{orig.ID}, "chat_id": ch.ID, "random_ids": []int64{rid()}}), "NOT_MEMBER", "forwarding into a channel one is not in")
	wantCode(t, bob.api.call("messages.forward", map[string]any{"from_chat_id": chat, "ids": []int64{1}, "chat_id": chat, "random_ids": []int64{rid()}}), "MESSAGE_NOT_FOUND", "forwarding a service message")
	if after := chatOf(t, bob.api, chat); after.Seq != before.Seq {
		t.Fatalf("refused forwards changed the chat: seq %d → %d", before.Seq, after.Seq)
	}
	// A retried forward returns the first result.
	r := rid()
	var a1, a2 []messageView
	bob.api.call("messages.forward", map[string]any{"from_chat_id": chat, "ids": []int64{orig.ID}, "chat_id": chat, "random_ids": []int64{r}}).into(t, &a1)
	bob.api.call("messages.forward", map[string]any{"from_chat_id": chat, "ids": []int64{orig.ID}, "chat_id": chat, "random_ids": []int64{r}}).into(t, &a2)
	if a1[0].ID != a2[0].ID {
		t.Fatalf("a retried forward made %d and %d", a1[0].ID, a2[0].ID)
	}
}

func TestPinAndUnpin(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps, chat := smallGroup(t, n, &ph, []string{"Ann", "Bob", "Cid"}, 3)
	ann, bob := ps[0], ps[1]
	live := socketsOf(ps...)
	msg := send(t, bob.api, map[string]any{"chat_id": chat}, "pin me")

	ms := markAll(live)
	ann.api.call("messages.pin", map[string]any{"chat_id": chat, "id": msg.ID}).into(t, new(bool))
	allSee(t, live, ms, "the pin", func(e chatEvent) bool {
		return e.ChatID == chat && e.Kind == "message.pin" && e.MessageID == msg.ID && e.Message != nil && e.Message.Pinned && strings.Contains(string(e.Data), `"pinned":true`)
	})
	allSee(t, live, ms, "the pin's service message", isService(chat, "message_pinned"))
	h := historyOf(t, bob.api, map[string]any{"chat_id": chat, "limit": 2})
	if h[0].Service == nil || h[0].Service.Type != "message_pinned" || !h[1].Pinned {
		t.Fatalf("history after pinning: %+v", h)
	}
	var raw []map[string]any
	bob.api.call("messages.history", map[string]any{"chat_id": chat, "limit": 1}).into(t, &raw)
	if s, _ := raw[0]["service"].(map[string]any); s == nil || s["message_id"] != float64(msg.ID) {
		t.Fatalf("the service message does not name the pinned message: %v", raw[0])
	}
	if c := chatOf(t, bob.api, chat); c.PinnedMessageID != msg.ID {
		t.Fatalf("pinned message id %d", c.PinnedMessageID)
	}
	// Pinning again changes nothing.
	before := chatOf(t, bob.api, chat)
	ann.api.call("messages.pin", map[string]any{"chat_id": chat, "id": msg.ID}).into(t, new(bool))
	wantCode(t, ann.api.call("messages.pin", map[string]any{"chat_id": chat, "id": 999}), "MESSAGE_NOT_FOUND", "pinning a message that is not there")
	if after := chatOf(t, bob.api, chat); after.Seq != before.Seq {
		t.Fatalf("a repeated or refused pin changed the chat: seq %d → %d", before.Seq, after.Seq)
	}

	ms = markAll(live)
	bob.api.call("messages.unpin", map[string]any{"chat_id": chat, "id": msg.ID}).into(t, new(bool))
	allSee(t, live, ms, "the unpin", func(e chatEvent) bool {
		return e.ChatID == chat && e.Kind == "message.pin" && e.MessageID == msg.ID && strings.Contains(string(e.Data), `"pinned":false`)
	})
	if c := chatOf(t, ann.api, chat); c.PinnedMessageID != 0 {
		t.Fatalf("pinned message id after unpinning: %d", c.PinnedMessageID)
	}
	var got []messageView
	ann.api.call("messages.get", map[string]any{"chat_id": chat, "ids": []int64{msg.ID}}).into(t, &got)
	if got[0].Pinned {
		t.Fatal("the message is still marked pinned")
	}
	// Deleting a pinned message unpins the chat.
	ann.api.call("messages.pin", map[string]any{"chat_id": chat, "id": msg.ID}).into(t, new(bool))
	bob.api.call("messages.delete", map[string]any{"chat_id": chat, "ids": []int64{msg.ID}, "for_everyone": true}).into(t, new(deletedCount))
	if c := chatOf(t, ann.api, chat); c.PinnedMessageID != 0 {
		t.Fatalf("pinned message id after deleting it: %d", c.PinnedMessageID)
	}
}

func TestHistoryPaging(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps, chat := smallGroup(t, n, &ph, []string{"Ann", "Bob"}, 0)
	ann, bob := ps[0], ps[1]
	// Ids 1 and 2 are the service messages; 3..42 are texts.
	for i := range 40 {
		send(t, ps[i%2].api, map[string]any{"chat_id": chat}, fmt.Sprintf("message %d", i+3))
	}
	want := func(what string, got []messageView, ids ...int64) {
		t.Helper()
		if fmt.Sprint(msgIDs(got)) != fmt.Sprint(ids) {
			t.Fatalf("%s: %v, want %v", what, msgIDs(got), ids)
		}
	}
	want("newest page", historyOf(t, ann.api, map[string]any{"chat_id": chat, "limit": 5}), 42, 41, 40, 39, 38)
	want("before 38", historyOf(t, ann.api, map[string]any{"chat_id": chat, "limit": 5, "before_id": 38}), 37, 36, 35, 34, 33)
	want("after 5", historyOf(t, ann.api, map[string]any{"chat_id": chat, "limit": 5, "after_id": 5}), 10, 9, 8, 7, 6)
	want("after 40", historyOf(t, ann.api, map[string]any{"chat_id": chat, "limit": 5, "after_id": 40}), 42, 41)
	want("around 20", historyOf(t, ann.api, map[string]any{"chat_id": chat, "limit": 6, "around_id": 20}), 22, 21, 20, 19, 18, 17)
	want("around 2", historyOf(t, ann.api, map[string]any{"chat_id": chat, "limit": 6, "around_id": 2}), 4, 3, 2, 1)
	want("before 3", historyOf(t, ann.api, map[string]any{"chat_id": chat, "before_id": 3}), 2, 1)
	want("before 1", historyOf(t, ann.api, map[string]any{"chat_id": chat, "before_id": 1}))

	// Deleted messages drop out of pages; hidden-for-me ones only for me.
	ann.api.call("messages.delete", map[string]any{"chat_id": chat, "ids": []int64{40, 41}, "for_everyone": true}).into(t, new(deletedCount))
	ann.api.call("messages.delete", map[string]any{"chat_id": chat, "ids": []int64{39}}).into(t, new(deletedCount))
	want("newest page after deletes", historyOf(t, ann.api, map[string]any{"chat_id": chat, "limit": 3}), 42, 38, 37)
	want("Bob's newest page", historyOf(t, bob.api, map[string]any{"chat_id": chat, "limit": 3}), 42, 39, 38)
	want("around a deleted message", historyOf(t, ann.api, map[string]any{"chat_id": chat, "limit": 4, "around_id": 40}), 42, 38, 37, 36)

	// Walking back from the newest reaches every message once.
	var all []int64
	before := int64(0)
	for {
		page := historyOf(t, bob.api, map[string]any{"chat_id": chat, "limit": 7, "before_id": before})
		if len(page) == 0 {
			break
		}
		all = append(all, msgIDs(page)...)
		before = page[len(page)-1].ID
	}
	if len(all) != 40 || all[0] != 42 || all[len(all)-1] != 1 {
		t.Fatalf("walking the history: %v", all)
	}
	// A default page is at most 100; bad cursors are refused.
	if h := historyOf(t, bob.api, map[string]any{"chat_id": chat, "limit": 1000}); len(h) != 40 {
		t.Fatalf("a large limit: %d messages", len(h))
	}
	wantCode(t, bob.api.call("messages.history", map[string]any{"chat_id": chat, "before_id": 10, "after_id": 5}), "PARAM_INVALID", "two cursors")
	wantCode(t, bob.api.call("messages.history", map[string]any{"chat_id": chat, "before_id": -1}), "PARAM_INVALID", "a negative cursor")
}

// chatState is what a refused action must leave as it was.
type chatState struct {
	seq, top int64
	members  int
}

func chatStateOf(t *testing.T, c caller, chatID int64) chatState {
	t.Helper()
	ci := chatOf(t, c, chatID)
	return chatState{ci.Seq, ci.TopMessageID, ci.MemberCount}
}

func TestRefusedActionsChangeNothing(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps, g := smallGroup(t, n, &ph, []string{"Ann", "Bob", "Cid"}, 2)
	ann, bob, cid := ps[0], ps[1], ps[2]
	outs := cast(t, n, &ph, []string{"Dee", "Eve"}, 0)
	dee, eve := outs[0], outs[1]
	var k chatInfo
	ann.api.call("chats.createChannel", map[string]string{"title": "Ann's news", "username": "anns_news"}).into(t, &k)
	bob.api.call("chats.join", map[string]int64{"chat_id": k.ID}).into(t, new(chatInfo))
	annMsg := send(t, ann.api, map[string]any{"chat_id": g}, "Ann's message")
	bobMsg := send(t, bob.api, map[string]any{"chat_id": g}, "Bob's message")

	// refused checks that a call is answered with code and changes
	// neither the group nor the channel.
	refused := func(c caller, method string, params map[string]any, code, what string) {
		t.Helper()
		g0, k0 := chatStateOf(t, ann.api, g), chatStateOf(t, ann.api, k.ID)
		wantCode(t, c.call(method, params), code, what)
		if g1, k1 := chatStateOf(t, ann.api, g), chatStateOf(t, ann.api, k.ID); g1 != g0 || k1 != k0 {
			t.Fatalf("%s changed the chats: group %+v → %+v, channel %+v → %+v", what, g0, g1, k0, k1)
		}
	}

	// A chat one is not in, and one that is not there.
	refused(dee.api, "messages.send", map[string]any{"chat_id": g, "text": "hi", "random_id": rid()}, "NOT_MEMBER", "posting in a chat one is not in")
	refused(dee.api, "messages.history", map[string]any{"chat_id": g}, "NOT_MEMBER", "reading a chat one is not in")
	refused(dee.api, "messages.react", map[string]any{"chat_id": g, "id": annMsg.ID, "emoji": "👍"}, "NOT_MEMBER", "reacting in a chat one is not in")
	refused(dee.api, "messages.read", map[string]any{"chat_id": g}, "NOT_MEMBER", "marking read a chat one is not in")
	refused(dee.api, "chats.get", map[string]any{"chat_id": g}, "NOT_MEMBER", "looking at a private group from outside")
	refused(dee.api, "chats.members", map[string]any{"chat_id": g}, "NOT_MEMBER", "listing a group from outside")
	refused(dee.api, "messages.edit", map[string]any{"chat_id": g, "id": annMsg.ID, "text": "x"}, "NOT_MEMBER", "editing in a chat one is not in")
	refused(dee.api, "messages.send", map[string]any{"chat_id": 987654, "text": "hi", "random_id": rid()}, "CHAT_NOT_FOUND", "posting in a chat that is not there")
	refused(dee.api, "messages.history", map[string]any{"chat_id": 987654}, "CHAT_NOT_FOUND", "reading a chat that is not there")
	refused(dee.api, "chats.join", map[string]any{"chat_id": g}, "CHAT_NOT_FOUND", "joining a private group by id")

	// A message that is not there.
	refused(bob.api, "messages.edit", map[string]any{"chat_id": g, "id": 999, "text": "x"}, "MESSAGE_NOT_FOUND", "editing a message that is not there")
	refused(bob.api, "messages.react", map[string]any{"chat_id": g, "id": 999, "emoji": "👍"}, "MESSAGE_NOT_FOUND", "reacting to a message that is not there")
	refused(bob.api, "messages.pin", map[string]any{"chat_id": g, "id": 999}, "MESSAGE_NOT_FOUND", "pinning a message that is not there")
	refused(bob.api, "messages.send", map[string]any{"chat_id": g, "text": "re", "reply_to_id": 999, "random_id": rid()}, "MESSAGE_NOT_FOUND", "replying to a message that is not there")
	var del deletedCount
	bob.api.call("messages.delete", map[string]any{"chat_id": g, "ids": []int64{999}, "for_everyone": true}).into(t, &del)
	if del.Count != 0 {
		t.Fatalf("deleting a message that is not there: %+v", del)
	}

	// Posting in a channel as a subscriber.
	refused(bob.api, "messages.send", map[string]any{"chat_id": k.ID, "text": "me too", "random_id": rid()}, "CHAT_WRITE_FORBIDDEN", "a subscriber posting")

	// Editing someone else's message, in a group even as its owner.
	refused(bob.api, "messages.edit", map[string]any{"chat_id": g, "id": annMsg.ID, "text": "Bob was here"}, "MESSAGE_EDIT_FORBIDDEN", "editing another's message")
	refused(ann.api, "messages.edit", map[string]any{"chat_id": g, "id": bobMsg.ID, "text": "Ann was here"}, "MESSAGE_EDIT_FORBIDDEN", "the owner editing a member's message")
	refused(bob.api, "messages.edit", map[string]any{"chat_id": g, "id": 1, "text": "created?"}, "MESSAGE_EDIT_FORBIDDEN", "editing a service message")
	refused(bob.api, "messages.edit", map[string]any{"chat_id": g, "id": bobMsg.ID, "text": "Bob's message"}, "MESSAGE_NOT_MODIFIED", "an edit that changes nothing")

	// Too long, or empty, text.
	long := strings.Repeat("a", 4097)
	refused(bob.api, "messages.send", map[string]any{"chat_id": g, "text": long, "random_id": rid()}, "MESSAGE_TOO_LONG", "a text of 4,097 characters")
	refused(bob.api, "messages.edit", map[string]any{"chat_id": g, "id": bobMsg.ID, "text": long}, "MESSAGE_TOO_LONG", "an edit of 4,097 characters")
	refused(bob.api, "messages.send", map[string]any{"chat_id": g, "text": " \n ", "random_id": rid()}, "MESSAGE_EMPTY", "a blank text")

	// Editing after 48 hours.
	n.clock.Advance(48*time.Hour - time.Minute)
	bob.api.call("messages.edit", map[string]any{"chat_id": g, "id": bobMsg.ID, "text": "Bob's message, edited"}).into(t, new(messageView))
	n.clock.Advance(2 * time.Minute)
	refused(bob.api, "messages.edit", map[string]any{"chat_id": g, "id": bobMsg.ID, "text": "too late"}, "MESSAGE_EDIT_TIME_EXPIRED", "an edit after 48 hours")
	var got []messageView
	bob.api.call("messages.get", map[string]any{"chat_id": g, "ids": []int64{bobMsg.ID}}).into(t, &got)
	if got[0].Text != "Bob's message, edited" || got[0].EditDate == 0 {
		t.Fatalf("the message after a late edit: %+v", got[0])
	}

	// A reaction the chat does not allow.
	refused(ann.api, "chats.update", map[string]any{"chat_id": g, "reactions": []string{"🦄"}}, "REACTION_INVALID", "allowing a reaction Haven does not offer")
	var c chatInfo
	ann.api.call("chats.update", map[string]any{"chat_id": g, "reactions": []string{"👍", "🔥"}}).into(t, &c)
	if strings.Join(c.Reactions, "") != "👍🔥" {
		t.Fatalf("reactions %v", c.Reactions)
	}
	refused(bob.api, "messages.react", map[string]any{"chat_id": g, "id": annMsg.ID, "emoji": "❤️"}, "REACTION_INVALID", "a reaction the group does not allow")
	m := ann.ws.mark()
	var rx messageView
	bob.api.call("messages.react", map[string]any{"chat_id": g, "id": annMsg.ID, "emoji": "🔥"}).into(t, &rx)
	if len(rx.Reactions) != 1 || rx.Reactions[0].Emoji != "🔥" || !rx.Reactions[0].Mine {
		t.Fatalf("reaction %+v", rx.Reactions)
	}
	ann.ws.waitEvent(t, m, "the reaction", func(e chatEvent) bool {
		return e.ChatID == g && e.Kind == "message.reaction" && e.UserID == bob.id && strings.Contains(string(e.Data), "🔥")
	})
	refused(bob.api, "chats.update", map[string]any{"chat_id": g, "reactions": []string{"👍"}}, "RIGHT_FORBIDDEN", "a member choosing the reactions")

	// Posting while banned, or in slow mode.
	ann.api.call("chats.ban", map[string]any{"chat_id": g, "user_id": cid.id}).into(t, new(bool))
	refused(cid.api, "messages.send", map[string]any{"chat_id": g, "text": "still here?", "random_id": rid()}, "USER_BANNED_IN_CHAT", "posting while banned")
	refused(cid.api, "messages.react", map[string]any{"chat_id": g, "id": annMsg.ID, "emoji": "👍"}, "USER_BANNED_IN_CHAT", "reacting while banned")
	refused(cid.api, "chats.leave", map[string]any{"chat_id": g}, "USER_BANNED_IN_CHAT", "leaving while banned")
	ann.api.call("chats.update", map[string]any{"chat_id": g, "slow_mode_seconds": 60}).into(t, new(chatInfo))
	send(t, bob.api, map[string]any{"chat_id": g}, "one a minute")
	refused(bob.api, "messages.send", map[string]any{"chat_id": g, "text": "two a minute", "random_id": rid()}, "SLOWMODE_WAIT", "posting in slow mode")
	refused(bob.api, "messages.forward", map[string]any{"from_chat_id": g, "ids": []int64{annMsg.ID}, "chat_id": g, "random_ids": []int64{rid()}}, "SLOWMODE_WAIT", "forwarding in slow mode")

	// An exhausted, an expired and a revoked invite link.
	var once, day, gone inviteInfo
	ann.api.call("chats.createInvite", map[string]any{"chat_id": g, "usage_limit": 1}).into(t, &once)
	ann.api.call("chats.createInvite", map[string]any{"chat_id": g, "expires_in": 86400}).into(t, &day)
	ann.api.call("chats.createInvite", map[string]any{"chat_id": g}).into(t, &gone)
	dee.api.call("chats.joinByInvite", map[string]string{"hash": once.Hash}).into(t, new(chatInfo))
	refused(eve.api, "chats.joinByInvite", map[string]any{"hash": once.Hash}, "INVITE_HASH_EXPIRED", "joining by a used-up link")
	n.clock.Advance(24*time.Hour + time.Second)
	refused(eve.api, "chats.joinByInvite", map[string]any{"hash": day.Hash}, "INVITE_HASH_EXPIRED", "joining by an expired link")
	ann.api.call("chats.revokeInvite", map[string]string{"hash": gone.Hash}).into(t, new(bool))
	refused(eve.api, "chats.joinByInvite", map[string]any{"hash": gone.Hash}, "INVITE_HASH_EXPIRED", "joining by a revoked link")
	refused(eve.api, "chats.checkInvite", map[string]any{"hash": day.Hash}, "INVITE_HASH_EXPIRED", "checking an expired link")
	// Members whom the group lets invite make and see their own links,
	// not the admins'.
	refused(dee.api, "chats.revokeInvite", map[string]any{"hash": day.Hash}, "RIGHT_FORBIDDEN", "a member revoking the owner's link")
	var mine inviteInfo
	dee.api.call("chats.createInvite", map[string]any{"chat_id": g}).into(t, &mine)
	var seen []inviteInfo
	dee.api.call("chats.invites", map[string]int64{"chat_id": g}).into(t, &seen)
	if len(seen) != 1 || seen[0].Hash != mine.Hash {
		t.Fatalf("a member's list of links: %+v", seen)
	}
	dee.api.call("chats.revokeInvite", map[string]string{"hash": mine.Hash}).into(t, new(bool))
	ann.api.call("chats.invites", map[string]int64{"chat_id": g}).into(t, &seen)
	if len(seen) != 4 {
		t.Fatalf("the owner's list of links: %+v", seen)
	}
}

func TestPinnedDialogsLimit(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Ann", "Bob", "Cid", "Dee", "Eve", "Fay", "Gus"}, 1)
	ann := ps[0]
	var chats []int64
	for _, p := range ps[1:] {
		meetP(t, p, ann)
		chats = append(chats, send(t, p.api, map[string]any{"user_id": ann.id}, "hi Ann").ChatID)
	}
	pin := func(chatID int64, pinned bool) reply {
		return ann.api.call("dialogs.update", map[string]any{"chat_id": chatID, "pinned": pinned})
	}
	for _, c := range chats[:5] {
		var d dialogInfo
		pin(c, true).into(t, &d)
		if !d.Pinned {
			t.Fatalf("dialog %d not pinned: %+v", c, d)
		}
	}
	m := ann.ws.mark()
	wantCode(t, pin(chats[5], true), "PINNED_DIALOGS_TOO_MANY", "pinning a sixth dialog")
	var ds []dialogInfo
	ann.api.call("dialogs.list", nil).into(t, &ds)
	pinned := 0
	for i, d := range ds {
		if d.Pinned {
			pinned++
			if i >= 5 || d.Chat.ID == chats[5] {
				t.Fatalf("pinned dialogs are not first: %d at %d", d.Chat.ID, i)
			}
		}
	}
	if pinned != 5 || len(ds) != 6 {
		t.Fatalf("%d pinned of %d dialogs", pinned, len(ds))
	}
	// The most recently pinned comes first.
	if ds[0].Chat.ID != chats[4] {
		t.Fatalf("first dialog %d, want %d", ds[0].Chat.ID, chats[4])
	}
	// Unpinning one makes room; the other devices hear of each change.
	pin(chats[0], false).into(t, new(dialogInfo))
	pin(chats[5], true).into(t, new(dialogInfo))
	ann.ws.waitUser(t, m, "dialog.update", chats[5])
	wantCode(t, ann.api.call("dialogs.update", map[string]any{"chat_id": 987654, "pinned": true}), "CHAT_NOT_FOUND", "pinning a chat that is not there")
	var other chatInfo
	ps[1].api.call("chats.createGroup", map[string]any{"title": "Not Ann's"}).into(t, &other)
	wantCode(t, ann.api.call("dialogs.update", map[string]any{"chat_id": other.ID, "pinned": true}), "NOT_MEMBER", "pinning a chat one is not in")
}

// TestMembershipPushesLive: a socket follows its person in and out of
// chats without reconnecting, on every device.
func TestMembershipPushesLive(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps, g := smallGroup(t, n, &ph, []string{"Ann", "Bob", "Cid"}, 3)
	ann, bob, cid := ps[0], ps[1], ps[2]
	dee := cast(t, n, &ph, []string{"Dee"}, 1)[0]
	dee2 := openSock(t, n, dee.token, "Dee's second device")
	all := []*liveSock{ann.ws, bob.ws, cid.ws, dee.ws, dee2}

	ms := markAll(all)
	send(t, ann.api, map[string]any{"chat_id": g}, "one")
	allSee(t, all[:3], ms[:3], "one", isMsg(g, "one"))

	ann.api.call("chats.removeMember", map[string]any{"chat_id": g, "user_id": cid.id}).into(t, new(bool))
	cid.ws.waitUser(t, ms[2], "dialog.removed", g)
	befriend(t, ann, dee)
	ann.api.call("chats.addMembers", map[string]any{"chat_id": g, "user_ids": []int64{dee.id}}).into(t, new(struct{}))
	dee.ws.waitUser(t, ms[3], "dialog.added", g)
	dee2.waitUser(t, ms[4], "dialog.added", g)
	send(t, ann.api, map[string]any{"chat_id": g}, "two")
	in := []*liveSock{ann.ws, bob.ws, dee.ws, dee2}
	allSee(t, in, []sockMark{ms[0], ms[1], ms[3], ms[4]}, "two", isMsg(g, "two"))
	noneSee(t, []*liveSock{cid.ws}, ms[2:3], "two", isMsg(g, "two"))
	// Dee's sockets start with the addition: nothing from before.
	for _, s := range []*liveSock{dee.ws, dee2} {
		if e, ok := s.find(ms[3], isMsg(g, "one")); ok {
			t.Fatalf("%s got a message from before joining: %+v", s.name, e)
		}
	}

	// Leaving by oneself works the same.
	ms = markAll(all)
	bob.api.call("chats.leave", map[string]int64{"chat_id": g}).into(t, new(bool))
	bob.ws.waitUser(t, ms[1], "dialog.removed", g)
	send(t, dee.api, map[string]any{"chat_id": g}, "three")
	allSee(t, []*liveSock{ann.ws, dee.ws, dee2}, []sockMark{ms[0], ms[3], ms[4]}, "three", isMsg(g, "three"))
	noneSee(t, []*liveSock{bob.ws, cid.ws}, []sockMark{ms[1], ms[2]}, "three", isMsg(g, "three"))
	// Typing reaches members only.
	ms = markAll(all)
	dee.ws.call("messages.setTyping", map[string]int64{"chat_id": g}).into(t, new(bool))
	raw := nextPushOf(t, ann.ws, "chat.typing")
	if !strings.Contains(string(raw), fmt.Sprintf(`"user_id":%d`, dee.id)) {
		t.Fatalf("typing push %s", raw)
	}
	wantCode(t, cid.api.call("messages.setTyping", map[string]int64{"chat_id": g}), "NOT_MEMBER", "typing in a chat one left")
}

// nextPushOf waits for a push of a kind that liveSock does not record.
func nextPushOf(t *testing.T, s *liveSock, kind string) json.RawMessage {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		s.mu.Lock()
		for _, r := range s.other {
			if strings.Contains(string(r), `"push":"`+kind+`"`) {
				s.mu.Unlock()
				return r
			}
		}
		wake := s.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("%s: no %s push", s.name, kind)
		}
	}
}

// TestSlowModeConcurrentSends: slow mode holds when a member fires many
// sends at once: one gets through, the others wait.
func TestSlowModeConcurrentSends(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps, g := smallGroup(t, n, &ph, []string{"Ann", "Bob"}, 0)
	ann, bob := ps[0], ps[1]
	ann.api.call("chats.update", map[string]any{"chat_id": g, "slow_mode_seconds": 30}).into(t, new(chatInfo))
	const tries = 8
	codes := make([]string, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := tryCall(n.url, bob.token, "messages.send", map[string]any{"chat_id": g, "text": fmt.Sprintf("burst %d", i), "random_id": safeRID()})
			if err != nil {
				codes[i] = err.Error()
				return
			}
			codes[i] = r.code()
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case "OK":
			ok++
		case "SLOWMODE_WAIT":
		default:
			t.Fatalf("a send in the burst: %s", c)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d simultaneous sends got through slow mode, want 1 (codes %v)", ok, tries, codes)
	}
}

// TestBigGroupCreationKeepsSockets: making a group of 200 at once must
// not cut the sockets of the members who are online.
//
// Known bug, so skipped until fixed: creating a group logs one
// member.update event per person added (plus the service messages), all
// pushed at once; past about 60 people that burst overflows each online
// member's socket queue (64 frames by default) and the server closes
// the socket as too slow (4008). chats.addMembers with many ids does the
// same. Run with HAVEN_KNOWN_BUGS=1 to see it fail.
func TestBigGroupCreationKeepsSockets(t *testing.T) {
	n := startNode(t, lavish()...)
	var ph phones
	names := make([]string, 201)
	for i := range names {
		names[i] = fmt.Sprintf("M%03d", i)
	}
	ps := cast(t, n, &ph, names, 6)
	befriend(t, ps[0], ps[1:]...)
	live := socketsOf(ps...)
	ms := markAll(live)
	var g chatInfo
	ps[0].api.call("chats.createGroup", map[string]any{"title": "Two hundred", "user_ids": idsOf(ps[1:]...)}).into(t, &g)
	if g.MemberCount != 201 {
		t.Fatalf("member count %d", g.MemberCount)
	}
	allSee(t, live, ms, "members_added", isService(g.ID, "members_added"))
	send(t, ps[0].api, map[string]any{"chat_id": g.ID}, "welcome, all")
	allSee(t, live, ms, "the first message", isMsg(g.ID, "welcome, all"))
	for _, s := range live {
		select {
		case code := <-s.closed:
			t.Fatalf("%s's socket was closed (%d)", s.name, code)
		default:
		}
	}
}
