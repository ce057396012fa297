package server_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// This file checks who learns what inside chats: what reaches someone
// who blocked you, what outsiders of a public chat or a channel's
// subscribers learn of who did what, what a member of a group hiding
// its history learns of the time before they joined, how long an invite
// link lasts, and who owns a group after its owner deletes their
// account. Every rule is driven through the public API.

// typingPushes counts the chat.typing pushes of a chat a socket received.
func typingPushes(s *liveSock, chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, raw := range s.other {
		var f struct {
			Push string `json:"push"`
			Data struct {
				ChatID int64 `json:"chat_id"`
			} `json:"data"`
		}
		if json.Unmarshal(raw, &f) == nil && f.Push == "chat.typing" && f.Data.ChatID == chatID {
			n++
		}
	}
	return n
}

func TestBlockedPersonReachesNothing(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Ann", "Bob"}, 2)
	ann, bob := ps[0], ps[1]
	meetP(t, bob, ann) // Bob finds Ann by her username
	m1 := send(t, bob.api, map[string]any{"user_id": ann.id}, "one")
	chat := m1.ChatID
	m2 := send(t, ann.api, map[string]any{"chat_id": chat}, "two")
	ann.ws.waitEvent(t, sockMark{}, "Ann's own message", isMsg(chat, "two"))

	ann.api.call("contacts.block", map[string]int64{"user_id": bob.id}).into(t, new(bool))
	before := chatOf(t, ann.api, chat)
	mark := ann.ws.mark()
	typing := typingPushes(ann.ws, chat)

	// Everything that would show itself to Ann is refused, as sending is.
	refused := []struct {
		what   string
		method string
		params map[string]any
	}{
		{"typing", "messages.setTyping", map[string]any{"chat_id": chat}},
		{"a reaction", "messages.react", map[string]any{"chat_id": chat, "id": m2.ID, "emoji": "👍"}},
		{"an edit", "messages.edit", map[string]any{"chat_id": chat, "id": m1.ID, "text": "one, edited"}},
		{"a pin", "messages.pin", map[string]any{"chat_id": chat, "id": m1.ID}},
		{"a timer", "chats.update", map[string]any{"chat_id": chat, "ttl_seconds": 86400}},
		{"a deletion for everyone", "messages.delete", map[string]any{"chat_id": chat, "ids": []int64{m1.ID}, "for_everyone": true}},
		{"a message", "messages.send", map[string]any{"chat_id": chat, "text": "hello?", "random_id": rid()}},
	}
	for _, r := range refused {
		wantCode(t, bob.api.call(r.method, r.params), "USER_BLOCKED", r.what+" to someone who blocks you")
	}

	// Reading and deleting for oneself touch only Bob's own view: his
	// pointer moves on his devices, and no read receipt reaches Ann.
	bobMark := bob.ws.mark()
	bob.api.call("messages.read", map[string]any{"chat_id": chat}).into(t, new(bool))
	bob.ws.waitUser(t, bobMark, "dialog.read", chat)
	if d := dialogOf(t, bob.api, chat); d.ReadInboxMaxID != m2.ID {
		t.Fatalf("Bob's read pointer: %d, want %d", d.ReadInboxMaxID, m2.ID)
	}
	var del struct{ Count int }
	bob.api.call("messages.delete", map[string]any{"chat_id": chat, "ids": []int64{m2.ID}}).into(t, &del)
	if del.Count != 1 {
		t.Fatalf("Bob's delete for himself: %+v", del)
	}

	// Nothing reached Ann: her next message is the chat's next event.
	send(t, ann.api, map[string]any{"chat_id": chat}, "three")
	got := ann.ws.waitEvent(t, mark, "Ann's message after the block", isMsg(chat, "three"))
	if got.Seq != before.Seq+1 {
		t.Fatalf("Ann's message has seq %d after %d: Bob's actions made events", got.Seq, before.Seq)
	}
	if e, ok := ann.ws.find(mark, func(e chatEvent) bool { return e.ChatID == chat && e.Seq <= before.Seq+1 && e.Kind != "message.new" }); ok {
		t.Fatalf("Ann received %+v from someone she blocks", e)
	}
	if n := typingPushes(ann.ws, chat); n != typing {
		t.Fatalf("Ann received %d typing notices from someone she blocks", n-typing)
	}
	after := chatOf(t, ann.api, chat)
	if after.TTLSeconds != 0 || after.PinnedMessageID != 0 {
		t.Fatalf("Bob changed the chat of someone who blocks him: %+v", after)
	}
	var readOut struct {
		ReadOutboxMaxID int64 `json:"read_outbox_max_id"`
	}
	ann.api.call("chats.get", map[string]int64{"chat_id": chat}).into(t, &readOut)
	if readOut.ReadOutboxMaxID >= m2.ID {
		t.Fatalf("Ann sees her message read by someone she blocks (read_outbox_max_id %d)", readOut.ReadOutboxMaxID)
	}
	hist := historyOf(t, ann.api, map[string]any{"chat_id": chat})
	for _, m := range hist {
		if len(m.Reactions) > 0 || m.EditDate != 0 || m.Pinned {
			t.Fatalf("Ann's history shows Bob's action: %+v", m)
		}
	}
	if len(hist) != 3 {
		t.Fatalf("Ann's history has %d messages, want 3", len(hist))
	}

	// Once unblocked, Bob reaches Ann again.
	ann.api.call("contacts.unblock", map[string]int64{"user_id": bob.id}).into(t, new(bool))
	bob.api.call("messages.react", map[string]any{"chat_id": chat, "id": m1.ID, "emoji": "👍"}).into(t, new(messageView))
	ann.ws.waitEvent(t, mark, "Bob's reaction after the unblock", isKind(chat, "message.reaction"))
	// The blocker is not held back by her own block.
	ann.api.call("messages.react", map[string]any{"chat_id": chat, "id": m1.ID, "emoji": "🔥"}).into(t, new(messageView))
}

// checkOutsiderEvents checks that events name no one: no user id, no
// member data, and service messages signed by the chat without names.
func checkOutsiderEvents(t *testing.T, who string, evs []chatEvent, signedBy int64) {
	t.Helper()
	for _, e := range evs {
		if e.UserID != 0 {
			t.Errorf("%s sees who did %s (seq %d): user %d", who, e.Kind, e.Seq, e.UserID)
		}
		if e.Kind == "member.update" && len(e.Data) > 0 && string(e.Data) != "null" {
			t.Errorf("%s sees a change of membership: %s", who, e.Data)
		}
		if e.Message != nil {
			checkOutsiderMessage(t, who, *e.Message, signedBy)
		}
	}
}

func checkOutsiderMessage(t *testing.T, who string, m messageView, signedBy int64) {
	t.Helper()
	if m.Service == nil {
		return
	}
	if m.SenderID != signedBy {
		t.Errorf("%s sees service message %d (%s) from %d, want %d", who, m.ID, m.Service.Type, m.SenderID, signedBy)
	}
	if len(m.Service.UserIDs) != 0 {
		t.Errorf("%s sees whom service message %d (%s) is about: %v", who, m.ID, m.Service.Type, m.Service.UserIDs)
	}
}

// differenceOf reads a chat's whole difference from seq 0.
func differenceOf(t *testing.T, c caller, chatID, seq int64) (events []chatEvent, last int64) {
	t.Helper()
	var d struct {
		Events []chatEvent `json:"events"`
		Seq    int64       `json:"seq"`
		More   bool        `json:"more"`
	}
	c.call("sync.getChatDifference", map[string]int64{"chat_id": chatID, "seq": seq}).into(t, &d)
	if d.More {
		t.Fatalf("a test chat's difference has more than a page")
	}
	return d.Events, d.Seq
}

func TestChannelSignedByChannel(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Olga", "Pete", "Sam", "Kim", "Vic"}, 3)
	olga, pete, sam, kim, vic := ps[0], ps[1], ps[2], ps[3], ps[4]
	var ch chatInfo
	olga.api.call("chats.createChannel", map[string]string{"title": "Signed", "username": "signed_news"}).into(t, &ch)
	pete.api.call("chats.join", map[string]int64{"chat_id": ch.ID}).into(t, new(chatInfo))
	sam.api.call("chats.join", map[string]int64{"chat_id": ch.ID}).into(t, new(chatInfo))
	olga.api.call("chats.setAdmin", map[string]any{"chat_id": ch.ID, "user_id": pete.id,
		"rights": []string{"post_messages", "change_info", "invite_users", "ban_users", "pin_messages"}}).into(t, new(bool))
	kim.api.call("privacy.set", map[string]string{"key": "add_to_groups", "value": "everybody"}).into(t, new(map[string]string))
	meetP(t, pete, kim) // Pete finds Kim by her username

	// Pete acts: a title, a member added, a post pinned, a ban.
	mark := sam.ws.mark()
	pete.api.call("chats.update", map[string]any{"chat_id": ch.ID, "title": "Signed News"}).into(t, new(chatInfo))
	pete.api.call("chats.addMembers", map[string]any{"chat_id": ch.ID, "user_ids": []int64{kim.id}}).into(t, new(map[string][]int64))
	post := send(t, pete.api, map[string]any{"chat_id": ch.ID}, "unsigned post")
	if post.SenderID != 0 {
		t.Fatalf("a post of a channel without signatures carries its author: %+v", post)
	}
	pete.api.call("messages.pin", map[string]any{"chat_id": ch.ID, "id": post.ID}).into(t, new(bool))
	pete.api.call("chats.ban", map[string]any{"chat_id": ch.ID, "user_id": kim.id}).into(t, new(bool))
	last := sam.ws.waitEvent(t, mark, "the ban", isKind(ch.ID, "member.update"))

	// The subscriber's pushes and the visitor's difference and history
	// name no one.
	checkOutsiderEvents(t, "the subscriber's socket", sam.ws.chatEvents(ch.ID), 0)
	evs, _ := differenceOf(t, vic.api, ch.ID, 0)
	// It reaches the ban (events after it, such as its service
	// message, may be committed by the time it is read).
	if !slices.ContainsFunc(evs, func(e chatEvent) bool { return e.Seq == last.Seq }) {
		t.Fatalf("the visitor's difference: %d events, without the ban's (seq %d)", len(evs), last.Seq)
	}
	checkOutsiderEvents(t, "a visitor's difference", evs, 0)
	subEvs, _ := differenceOf(t, sam.api, ch.ID, 0)
	checkOutsiderEvents(t, "the subscriber's difference", subEvs, 0)
	services := 0
	for _, c := range []*person{vic, sam} {
		for _, m := range historyOf(t, c.api, map[string]any{"chat_id": ch.ID}) {
			checkOutsiderMessage(t, c.name+"'s history", m, 0)
			if m.Service != nil {
				services++
			}
		}
	}
	if services < 2*4 {
		t.Fatalf("the histories hold %d service messages, want at least 8 (created, title, added, pinned, twice)", services)
	}

	// The owner still sees who did what.
	own, _ := differenceOf(t, olga.api, ch.ID, 0)
	var sawBan, sawAdder bool
	for _, e := range own {
		if e.Kind == "member.update" && e.UserID == kim.id && strings.Contains(string(e.Data), "banned") {
			sawBan = true
		}
		if e.Message != nil && e.Message.Service != nil && e.Message.Service.Type == "members_added" &&
			e.Message.SenderID == pete.id && slices.Equal(e.Message.Service.UserIDs, []int64{kim.id}) {
			sawAdder = true
		}
	}
	if !sawBan || !sawAdder {
		t.Fatalf("the owner's difference hides who did what (ban seen %v, adder seen %v)", sawBan, sawAdder)
	}

	// Signatures: off by default, only for channels, and then posts and
	// admin actions carry their author for everyone.
	if chatOf(t, sam.api, ch.ID).Role != "member" {
		t.Fatal("Sam is not a subscriber")
	}
	var sig struct {
		Signatures bool `json:"signatures"`
	}
	olga.api.call("chats.get", map[string]int64{"chat_id": ch.ID}).into(t, &sig)
	if sig.Signatures {
		t.Fatal("a new channel signs its posts with their authors")
	}
	var grp chatInfo
	olga.api.call("chats.createGroup", map[string]any{"title": "G"}).into(t, &grp)
	wantCode(t, olga.api.call("chats.update", map[string]any{"chat_id": grp.ID, "signatures": true}), "CHAT_KIND_INVALID", "signatures in a group")
	wantCode(t, sam.api.call("chats.update", map[string]any{"chat_id": ch.ID, "signatures": true}), "RIGHT_FORBIDDEN", "a subscriber turning signatures on")
	olga.api.call("chats.update", map[string]any{"chat_id": ch.ID, "signatures": true}).into(t, &sig)
	if !sig.Signatures {
		t.Fatal("chats.update did not turn signatures on")
	}
	mark = sam.ws.mark()
	signed := send(t, pete.api, map[string]any{"chat_id": ch.ID}, "signed post")
	if signed.SenderID != pete.id {
		t.Fatalf("a signed post's author: %d, want %d", signed.SenderID, pete.id)
	}
	if e := sam.ws.waitEvent(t, mark, "the signed post", isMsg(ch.ID, "signed post")); e.Message.SenderID != pete.id {
		t.Fatalf("the subscriber's push of a signed post: author %d", e.Message.SenderID)
	}
	if h := historyOf(t, vic.api, map[string]any{"chat_id": ch.ID, "limit": 1}); len(h) != 1 || h[0].SenderID != pete.id {
		t.Fatalf("the visitor's history of a signed post: %+v", h)
	}
}

func TestPublicGroupOutsiders(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Gus", "Mia", "Kim", "Vic"}, 1)
	gus, mia, kim, vic := ps[0], ps[1], ps[2], ps[3]
	var g chatInfo
	gus.api.call("chats.createGroup", map[string]any{"title": "Open"}).into(t, &g)
	gus.api.call("chats.update", map[string]any{"chat_id": g.ID, "username": "open_group"}).into(t, new(chatInfo))
	mia.api.call("chats.join", map[string]int64{"chat_id": g.ID}).into(t, new(chatInfo))
	kim.api.call("privacy.set", map[string]string{"key": "add_to_groups", "value": "everybody"}).into(t, new(map[string]string))
	meetP(t, gus, kim) // Gus finds Kim by her username
	gus.api.call("chats.addMembers", map[string]any{"chat_id": g.ID, "user_ids": []int64{kim.id}}).into(t, new(map[string][]int64))
	send(t, kim.api, map[string]any{"chat_id": g.ID}, "hello from Kim")
	gus.api.call("chats.ban", map[string]any{"chat_id": g.ID, "user_id": mia.id}).into(t, new(bool))
	gus.api.call("chats.update", map[string]any{"chat_id": g.ID, "title": "Open Group"}).into(t, new(chatInfo))

	evs, _ := differenceOf(t, vic.api, g.ID, 0)
	checkOutsiderEvents(t, "a visitor of a public group", evs, 0)
	var post *messageView
	for _, m := range historyOf(t, vic.api, map[string]any{"chat_id": g.ID}) {
		checkOutsiderMessage(t, "a visitor's history", m, 0)
		if m.Text == "hello from Kim" {
			post = &m
		}
	}
	// Posts are public: a group's post names its sender.
	if post == nil || post.SenderID != kim.id {
		t.Fatalf("the visitor's view of a post: %+v", post)
	}
	// Members see who did what, live and in the difference.
	gus.ws.waitEvent(t, sockMark{}, "Kim added", func(e chatEvent) bool {
		return isService(g.ID, "members_added")(e) && e.Message.SenderID == gus.id && slices.Equal(e.Message.Service.UserIDs, []int64{kim.id})
	})
	mine, _ := differenceOf(t, kim.api, g.ID, 0)
	var sawBan bool
	for _, e := range mine {
		if e.Kind == "member.update" && e.UserID == mia.id {
			sawBan = true
		}
	}
	if !sawBan {
		t.Fatal("a member's difference does not show whom a ban was about")
	}
}

func TestHiddenHistoryHidesEarlierEvents(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Hal", "Ivy", "Zed"}, 0)
	hal, ivy, zed := ps[0], ps[1], ps[2]
	var g chatInfo
	hal.api.call("chats.createGroup", map[string]any{"title": "Quiet"}).into(t, &g)
	hal.api.call("chats.update", map[string]any{"chat_id": g.ID, "history_hidden": true}).into(t, new(chatInfo))
	ivy.api.call("privacy.set", map[string]string{"key": "add_to_groups", "value": "everybody"}).into(t, new(map[string]string))
	zed.api.call("privacy.set", map[string]string{"key": "add_to_groups", "value": "everybody"}).into(t, new(map[string]string))
	meetP(t, hal, ivy) // Hal finds both by their usernames
	meetP(t, hal, zed)
	hal.api.call("chats.addMembers", map[string]any{"chat_id": g.ID, "user_ids": []int64{ivy.id}}).into(t, new(map[string][]int64))
	early := send(t, ivy.api, map[string]any{"chat_id": g.ID}, "before Zed")
	hal.api.call("messages.react", map[string]any{"chat_id": g.ID, "id": early.ID, "emoji": "🔥"}).into(t, new(messageView))
	hal.api.call("messages.read", map[string]any{"chat_id": g.ID}).into(t, new(bool))
	joinedAt := chatOf(t, hal.api, g.ID).Seq

	hal.api.call("chats.addMembers", map[string]any{"chat_id": g.ID, "user_ids": []int64{zed.id}}).into(t, new(map[string][]int64))
	send(t, ivy.api, map[string]any{"chat_id": g.ID}, "after Zed")

	for _, from := range []int64{0, joinedAt / 2} {
		evs, seq := differenceOf(t, zed.api, g.ID, from)
		if len(evs) == 0 || seq != chatOf(t, hal.api, g.ID).Seq {
			t.Fatalf("Zed's difference from %d: %d events up to seq %d", from, len(evs), seq)
		}
		for _, e := range evs {
			if e.Seq <= joinedAt {
				t.Fatalf("Zed, who joined at seq %d, is handed event %d (%s, user %d)", joinedAt, e.Seq, e.Kind, e.UserID)
			}
		}
		if !slices.ContainsFunc(evs, isMsg(g.ID, "after Zed")) {
			t.Fatalf("Zed's difference lacks the message after his join: %+v", evs)
		}
	}
	// The owner, there from the start, sees it all.
	if evs, _ := differenceOf(t, hal.api, g.ID, 0); evs[0].Seq != 1 {
		t.Fatalf("Hal's difference starts at seq %d", evs[0].Seq)
	}
}

func TestInviteLinksFollowTheirMaker(t *testing.T) {
	n := startNode(t, append(append([]string{}, generous...), "--invite-links-max", "3")...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Olga", "Ada", "Ben", "Cy", "Joiner"}, 0)
	olga, ada, ben, cy, joiner := ps[0], ps[1], ps[2], ps[3], ps[4]
	var g chatInfo
	olga.api.call("chats.createGroup", map[string]any{"title": "Links"}).into(t, &g)
	// Plain members may not invite here: only admins' links work.
	olga.api.call("chats.update", map[string]any{"chat_id": g.ID, "member_rights": []string{"send_messages"}}).into(t, new(chatInfo))
	var inv inviteInfo
	olga.api.call("chats.createInvite", map[string]any{"chat_id": g.ID}).into(t, &inv)
	for _, p := range []*person{ada, ben, cy} {
		p.api.call("chats.joinByInvite", map[string]string{"hash": inv.Hash}).into(t, new(chatInfo))
		olga.api.call("chats.setAdmin", map[string]any{"chat_id": g.ID, "user_id": p.id, "rights": []string{"invite_users"}}).into(t, new(bool))
	}
	link := map[string]string{}
	for _, p := range []*person{ada, ben, cy} {
		var i inviteInfo
		p.api.call("chats.createInvite", map[string]any{"chat_id": g.ID}).into(t, &i)
		link[p.name] = i.Hash
		p.api.call("chats.checkInvite", map[string]string{"hash": i.Hash}).into(t, new(chatInfo))
	}

	// Ada is demoted, Ben banned, Cy leaves: their links stop working.
	olga.api.call("chats.setAdmin", map[string]any{"chat_id": g.ID, "user_id": ada.id, "rights": []string{}}).into(t, new(bool))
	olga.api.call("chats.ban", map[string]any{"chat_id": g.ID, "user_id": ben.id}).into(t, new(bool))
	cy.api.call("chats.leave", map[string]int64{"chat_id": g.ID}).into(t, new(bool))
	before := chatOf(t, olga.api, g.ID).MemberCount
	for _, who := range []string{"Ada", "Ben", "Cy"} {
		wantCode(t, joiner.api.call("chats.checkInvite", map[string]string{"hash": link[who]}), "INVITE_HASH_EXPIRED", "checking "+who+"'s link")
		wantCode(t, joiner.api.call("chats.joinByInvite", map[string]string{"hash": link[who]}), "INVITE_HASH_EXPIRED", "joining by "+who+"'s link")
	}
	if got := chatOf(t, olga.api, g.ID).MemberCount; got != before {
		t.Fatalf("refused joins changed the member count: %d, was %d", got, before)
	}
	// The right back, the link works again: it is the maker's right that
	// a link carries.
	olga.api.call("chats.setAdmin", map[string]any{"chat_id": g.ID, "user_id": ada.id, "rights": []string{"invite_users"}}).into(t, new(bool))
	joiner.api.call("chats.joinByInvite", map[string]string{"hash": link["Ada"]}).into(t, new(chatInfo))

	// At most 3 working links per person and chat (the setting).
	for range 2 {
		olga.api.call("chats.createInvite", map[string]any{"chat_id": g.ID}).into(t, new(inviteInfo))
	}
	r := olga.api.call("chats.createInvite", map[string]any{"chat_id": g.ID})
	wantCode(t, r, "INVITE_LINKS_TOO_MANY", "a fourth working link")
	if r.Status != 403 {
		t.Fatalf("INVITE_LINKS_TOO_MANY has status %d", r.Status)
	}
	var all []inviteInfo
	olga.api.call("chats.invites", map[string]int64{"chat_id": g.ID}).into(t, &all)
	mine := 0
	for _, i := range all {
		if !i.Revoked {
			mine++
		}
	}
	// Olga sees her 3 and the 3 others'.
	if mine != 6 {
		t.Fatalf("%d links listed as not revoked, want 6 (the refused one was not made)", mine)
	}
	// Another person's links and another chat's do not count; a revoked
	// link frees its place.
	ada.api.call("chats.createInvite", map[string]any{"chat_id": g.ID}).into(t, new(inviteInfo))
	var g2 chatInfo
	olga.api.call("chats.createGroup", map[string]any{"title": "Other"}).into(t, &g2)
	olga.api.call("chats.createInvite", map[string]any{"chat_id": g2.ID}).into(t, new(inviteInfo))
	olga.api.call("chats.revokeInvite", map[string]string{"hash": inv.Hash}).into(t, new(bool))
	olga.api.call("chats.createInvite", map[string]any{"chat_id": g.ID}).into(t, new(inviteInfo))
}

func TestDeletedOwnerHandsOver(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Olga", "Ben", "Ada", "Mo"}, 2)
	olga, ben, ada, mo := ps[0], ps[1], ps[2], ps[3]
	for _, p := range ps[1:] {
		p.api.call("privacy.set", map[string]string{"key": "add_to_groups", "value": "everybody"}).into(t, new(map[string]string))
		meetP(t, olga, p) // Olga finds each by their username
	}
	var g chatInfo
	olga.api.call("chats.createGroup", map[string]any{"title": "Heirs"}).into(t, &g)
	// Mo joins first, then Ben, then Ada; Ada is made admin before Ben.
	for _, p := range []*person{mo, ben, ada} {
		n.clock.Advance(time.Minute)
		olga.api.call("chats.addMembers", map[string]any{"chat_id": g.ID, "user_ids": []int64{p.id}}).into(t, new(map[string][]int64))
	}
	for _, p := range []*person{ada, ben} {
		olga.api.call("chats.setAdmin", map[string]any{"chat_id": g.ID, "user_id": p.id, "rights": []string{"pin_messages"}}).into(t, new(bool))
	}
	mark := ben.ws.mark()
	olga.api.call("account.delete", map[string]any{}).into(t, new(bool))

	// Ben, the longest serving admin, owns the group now, and the chat
	// shows it as a transfer does.
	if got := chatOf(t, ben.api, g.ID); got.Role != "owner" {
		t.Fatalf("Ben's role after the owner's deletion: %q", got.Role)
	}
	ben.ws.waitEvent(t, mark, "owner_changed", func(e chatEvent) bool {
		return isService(g.ID, "owner_changed")(e) && slices.Equal(e.Message.Service.UserIDs, []int64{ben.id}) && e.Message.SenderID == olga.id
	})
	ben.ws.waitEvent(t, mark, "Ben's member event", func(e chatEvent) bool {
		return e.ChatID == g.ID && e.Kind == "member.update" && e.UserID == ben.id && strings.Contains(string(e.Data), `"owner"`)
	})
	ms := allMembers(t, ben.api, g.ID)
	if ms[olga.id].Role != "member" || ms[ben.id].Role != "owner" || ms[ada.id].Role != "admin" {
		t.Fatalf("members after the handover: %+v", ms)
	}
	// The new owner acts as one.
	ben.api.call("chats.setAdmin", map[string]any{"chat_id": g.ID, "user_id": mo.id, "rights": []string{"ban_users"}}).into(t, new(bool))

	// With no admin, the longest serving member inherits, also when the
	// inactivity sweep deletes the owner.
	var g2 chatInfo
	ben.api.call("chats.createGroup", map[string]any{"title": "Plain"}).into(t, &g2)
	for _, p := range []*person{ada, mo} {
		n.clock.Advance(time.Minute)
		ben.api.call("chats.addMembers", map[string]any{"chat_id": g2.ID, "user_ids": []int64{p.id}}).into(t, new(map[string][]int64))
	}
	ben.api.call("account.setTTL", map[string]int{"months": 1}).into(t, new(map[string]int))
	n.clock.Advance(31 * 24 * time.Hour)
	if deleted, err := n.srv.Core().Sweep(context.Background()); err != nil || deleted != 1 {
		t.Fatalf("sweep: %d %v", deleted, err)
	}
	if got := chatOf(t, ada.api, g2.ID); got.Role != "owner" {
		t.Fatalf("Ada, the longest serving member, has role %q", got.Role)
	}
	// Ben owned the first group too: it passed on to Mo, who joined it
	// before Ada and was made admin after her.
	if got := chatOf(t, mo.api, g.ID); got.Role != "owner" {
		t.Fatalf("Mo in the first group: %q", got.Role)
	}
}
