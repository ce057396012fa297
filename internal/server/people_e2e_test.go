package server_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// userInfo is a User as the people tests read it.
type userInfo struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
	Phone     string `json:"phone"`
	Contact   bool   `json:"contact"`
}

func userIDs(us []userInfo) []int64 {
	ids := []int64{}
	for _, u := range us {
		ids = append(ids, u.ID)
	}
	return ids
}

// TestPeopleSearch: users.search finds people by name or username,
// ranked contacts, then people of shared chats, then public usernames;
// names by word prefix in any case without accents; strangers only by
// username.
func TestPeopleSearch(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Josie", "José", "Cid", "Eve", "José"}, 0)
	ann, bob, cid, eve, fay := ps[0], ps[1], ps[2], ps[3], ps[4]
	dee := &person{name: "Dee", api: &httpCaller{t: t, base: n.url}}
	const deePhone = "+442079469901"
	dee.token, dee.id = signUp(t, n, dee.api, deePhone, "Dee")

	bob.api.call("account.updateProfile", map[string]any{"last_name": "Núñez"}).into(t, new(userInfo))
	bob.api.call("privacy.set", map[string]any{"key": "add_to_groups", "value": "everybody"}).into(t, new(map[string]string))
	eve.api.call("account.updateUsername", map[string]any{"username": "Jostle_Eve"}).into(t, new(userInfo))
	// Fay is named José too, but shares nothing with Ann and has no
	// username: she is not found.
	fay.api.call("account.updateProfile", map[string]any{"last_name": "Núñez"}).into(t, new(userInfo))

	// Ann knows Dee as "Josefina" in her contacts; shares a group with
	// Bob and a private chat with Cid.
	dee.api.call("privacy.set", map[string]any{"key": "find_by_phone", "value": "everybody"}).into(t, new(map[string]string))
	var imported struct {
		Imported []struct {
			User userInfo `json:"user"`
		} `json:"imported"`
	}
	ann.api.call("contacts.import", map[string]any{"contacts": []map[string]string{{"phone": deePhone, "first_name": "Josefina"}}}).into(t, &imported)
	if len(imported.Imported) != 1 || imported.Imported[0].User.ID != dee.id {
		t.Fatalf("importing Dee: %+v", imported)
	}
	meetP(t, ann, bob) // by usernames that "jos" does not start
	meetP(t, ann, cid)
	ann.api.call("chats.createGroup", map[string]any{"title": "Climbing", "user_ids": []int64{bob.id}}).into(t, new(chatInfo))
	send(t, ann.api, map[string]any{"user_id": cid.id}, "Hi Cid")

	search := func(c caller, params map[string]any) []int64 {
		t.Helper()
		var us []userInfo
		c.call("users.search", params).into(t, &us)
		return userIDs(us)
	}
	for _, c := range []struct {
		what   string
		params map[string]any
		want   []int64
	}{
		// Contact (by the name Ann gave), shared group, public username.
		{"ranked", map[string]any{"query": "jos"}, []int64{dee.id, bob.id, eve.id}},
		{"limited", map[string]any{"query": "jos", "limit": 2}, []int64{dee.id, bob.id}},
		{"every word starts a word, any case, no accents", map[string]any{"query": "NUN jo"}, []int64{bob.id}},
		{"accents in the query", map[string]any{"query": "Núñ"}, []int64{bob.id}},
		{"a private chat", map[string]any{"query": "ci"}, []int64{cid.id}},
		{"the contact's own name", map[string]any{"query": "dee"}, []int64{dee.id}},
		{"a username with @", map[string]any{"query": "@jostle_e"}, []int64{eve.id}},
		{"mid-word is no match", map[string]any{"query": "unez"}, []int64{}},
		{"oneself is never found", map[string]any{"query": "josie"}, []int64{}},
	} {
		if got := search(ann.api, c.params); !slices.Equal(got, c.want) {
			t.Errorf("%s: users.search %v = %v, want %v", c.what, c.params, got, c.want)
		}
	}
	// Fay finds her namesake only by username: she shares nothing with Bob.
	if got := search(fay.api, map[string]any{"query": "jos"}); !slices.Equal(got, []int64{eve.id}) {
		t.Errorf("a stranger's search for jos = %v, want only Eve (by username)", got)
	}
	// What a result shows is the profile as privacy lets Ann see it.
	var us []userInfo
	ann.api.call("users.search", map[string]any{"query": "dee"}).into(t, &us)
	if len(us) != 1 || !us[0].Contact || us[0].FirstName != "Dee" {
		t.Errorf("Dee as found: %+v", us)
	}
	for _, q := range []string{"   ", "!!!", "@", strings.Repeat("\x07", 65)} {
		wantCode(t, ann.api.call("users.search", map[string]any{"query": q}), "SEARCH_QUERY_EMPTY", "users.search "+q)
	}
}

// foundInfo is a FoundMessages as the tests read it.
type foundInfo struct {
	Messages []messageView `json:"messages"`
	Chats    []chatInfo    `json:"chats"`
	Users    []userInfo    `json:"users"`
}

// TestSearchEverywhere: messages.searchGlobal finds messages in all of a
// person's chats, newest first across chats, each with its chat and the
// people to name it, and pages on.
func TestSearchEverywhere(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps, group := smallGroup(t, n, &ph, []string{"Ann", "Bob"}, 0)
	ann, bob := ps[0], ps[1]
	cid := cast(t, n, &ph, []string{"Cid"}, 0)[0]
	meetP(t, ann, cid)

	// The private chat is newer (a higher id) than the group, but the
	// messages alternate between them in time.
	var sent []messageView
	for i, to := range []map[string]any{{"user_id": cid.id}, {"chat_id": group}, {"user_id": cid.id}, {"chat_id": group}} {
		n.clock.Advance(time.Minute)
		sent = append(sent, send(t, ann.api, to, []string{"quick a", "quick b", "quick c", "quick d"}[i]))
	}
	send(t, ann.api, map[string]any{"chat_id": group}, "slow e")
	private := sent[0].ChatID

	var found foundInfo
	deadline := time.Now().Add(10 * time.Second)
	for len(found.Messages) < 4 && time.Now().Before(deadline) {
		ann.api.call("messages.searchGlobal", map[string]any{"query": "QUICK"}).into(t, &found)
		time.Sleep(20 * time.Millisecond)
	}
	if got, want := msgIDs(found.Messages), []int64{sent[3].ID, sent[2].ID, sent[1].ID, sent[0].ID}; !slices.Equal(got, want) || found.Messages[0].ChatID != group || found.Messages[1].ChatID != private {
		t.Fatalf("newest first across chats: %+v", found.Messages)
	}
	if len(found.Chats) != 2 || found.Chats[0].ID != group || found.Chats[1].ID != private || found.Chats[0].Title != "Group of Ann" {
		t.Errorf("the chats of the results: %+v", found.Chats)
	}
	if ids := userIDs(found.Users); !slices.Contains(ids, cid.id) || !slices.Contains(ids, ann.id) {
		t.Errorf("the people of the results (Ann, the sender, and Cid, the private chat's peer): %+v", found.Users)
	}

	// Page by one, with the last result's date, chat and id.
	var got []messageView
	params := map[string]any{"query": "quick", "limit": 1}
	for range 6 {
		var page foundInfo
		ann.api.call("messages.searchGlobal", params).into(t, &page)
		if len(page.Messages) == 0 {
			break
		}
		if len(page.Chats) != 1 || page.Chats[0].ID != page.Messages[0].ChatID {
			t.Errorf("a page's chats: %+v for %+v", page.Chats, page.Messages)
		}
		got = append(got, page.Messages...)
		last := page.Messages[len(page.Messages)-1]
		params = map[string]any{"query": "quick", "limit": 1, "before_date": last.Date, "before_chat_id": last.ChatID, "before_id": last.ID}
	}
	if !slices.Equal(msgIDs(got), msgIDs(found.Messages)) || len(got) != 4 || got[1].ChatID != private {
		t.Errorf("paging by one: %+v, want %+v", got, found.Messages)
	}

	// Bob sees only the group's.
	var bobs foundInfo
	bob.api.call("messages.searchGlobal", map[string]any{"query": "quick"}).into(t, &bobs)
	if len(bobs.Messages) != 2 || bobs.Messages[0].ChatID != group || bobs.Messages[1].ChatID != group || len(bobs.Chats) != 1 {
		t.Errorf("Bob's search: %+v", bobs)
	}
	wantCode(t, ann.api.call("messages.searchGlobal", map[string]any{"query": " "}), "SEARCH_QUERY_EMPTY", "an empty query")
	wantCode(t, ann.api.call("messages.searchGlobal", map[string]any{"query": "quick", "before_date": -1}), "PARAM_INVALID", "a negative cursor")
}

// TestSendCodeDelivery: auth.sendCode says how the code travels, so that
// a client can tell the person where to look.
func TestSendCodeDelivery(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{generous, "webhook"},
		{append([]string{"--code-sender", "log"}, generous...), "log"},
	} {
		n := startNode(t, c.args...)
		var sent struct {
			Kind     string `json:"kind"`
			Delivery string `json:"delivery"`
		}
		(&httpCaller{t: t, base: n.url}).call("auth.sendCode", map[string]string{"identifier": "+442079460001"}).into(t, &sent)
		if sent.Kind != "phone" || sent.Delivery != c.want {
			t.Errorf("auth.sendCode with %v: %+v, want delivery %q", c.args, sent, c.want)
		}
	}
}

// TestPeopleSearchFollowsWhoSeesWhom: users.search shows only people the
// caller may see (docs/api.md, Who sees whom), save strangers found by
// their public username, whom it records as found, as search.global
// does: the "new chat" a result starts then reaches them by id. Each
// person is shown as users.get shows them, blocks included.
func TestPeopleSearchFollowsWhoSeesWhom(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Ann", "Gilbert", "Olga", "Leandra", "Bodil", "Dinah", "Samwise", "Hugo"}, 0)
	ann, gil, olga, lea, bo, di, sam, hugo := ps[0], ps[1], ps[2], ps[3], ps[4], ps[5], ps[6], ps[7]
	search := func(p *person, q string) []userView {
		t.Helper()
		us := []userView{}
		p.api.call("users.search", map[string]any{"query": q}).into(t, &us)
		return us
	}
	visible := func(p *person, id int64) bool {
		t.Helper()
		var us []userView
		p.api.call("users.get", map[string][]int64{"ids": {id}}).into(t, &us)
		return len(us) == 1
	}

	// A stranger with a public username: an id alone does not reach
	// him; found by his username he may be written to by id.
	gil.api.call("account.updateUsername", map[string]string{"username": "gil_public"}).into(t, new(userView))
	hugo.api.call("account.updateUsername", map[string]string{"username": "gil_zz"}).into(t, new(userView))
	wantCode(t, ann.api.call("messages.send", map[string]any{"user_id": gil.id, "text": "hi", "random_id": rid()}), "USER_NOT_FOUND", "a message to an id never found")
	if got := search(ann, "gil_p"); len(got) != 1 || got[0].ID != gil.id {
		t.Fatalf("users.search by username: %+v, want Gilbert", got)
	}
	if !visible(ann, gil.id) {
		t.Fatal("users.get leaves out the person users.search just found by username")
	}
	send(t, ann.api, map[string]any{"user_id": gil.id}, "Hi Gil, found you")
	// Only those shown are found: a limit of one leaves Hugo (gil_zz)
	// out, and unreachable.
	var one []userView
	ann.api.call("users.search", map[string]any{"query": "gil_", "limit": 1}).into(t, &one)
	if len(one) != 1 || one[0].ID != gil.id || visible(ann, hugo.id) {
		t.Fatalf("users.search gil_ with limit 1: %+v; Hugo, not shown, visible: %v", one, visible(ann, hugo.id))
	}
	// By his name, a stranger finds nothing.
	if got := search(di, "gilbert"); len(got) != 0 {
		t.Fatalf("a stranger's search by name: %+v", got)
	}

	// Olga's group of Ann, Leandra, Bodil and Dinah, and her channel with
	// Ann and Samwise as subscribers.
	befriend(t, olga, ann, lea, bo, di)
	var g chatInfo
	olga.api.call("chats.createGroup", map[string]any{"title": "Crag", "user_ids": idsOf(ann, lea, bo, di)}).into(t, &g)
	var ch chatInfo
	olga.api.call("chats.createChannel", map[string]string{"title": "Crag News", "username": "crag_news"}).into(t, &ch)
	for _, p := range []*person{ann, sam} {
		p.api.call("chats.join", map[string]int64{"chat_id": ch.ID}).into(t, new(chatInfo))
	}
	if got := search(ann, "leand"); len(got) != 1 || got[0].ID != lea.id {
		t.Fatalf("a member of a shared group: %+v", got)
	}
	// Subscribers of a channel do not see each other.
	if got := search(ann, "samw"); len(got) != 0 || visible(ann, sam.id) {
		t.Fatalf("a fellow subscriber: search %+v, users.get sees them %v", got, visible(ann, sam.id))
	}

	// Blocks: someone who blocks Ann shows her no more than users.get
	// does (no phone, no last seen), and someone Ann blocks is marked so.
	for _, key := range []string{"phone_number", "last_seen"} {
		bo.api.call("privacy.set", map[string]string{"key": key, "value": "everybody"}).into(t, new(map[string]string))
	}
	if got := search(ann, "bodil"); len(got) != 1 || got[0].Phone != bo.phone || got[0].Status.Kind == "long_ago" {
		t.Fatalf("Bodil, open to everybody: %+v", got)
	}
	bo.api.call("contacts.block", map[string]int64{"user_id": ann.id}).into(t, new(bool))
	ann.api.call("contacts.block", map[string]int64{"user_id": di.id}).into(t, new(bool))
	for _, p := range []*person{bo, di} {
		got := search(ann, strings.ToLower(p.name))
		if len(got) != 1 || got[0] != getUser(t, ann.api, p.id) {
			t.Fatalf("users.search shows %s as %+v, users.get as %+v", p.name, got, getUser(t, ann.api, p.id))
		}
	}
	if got := search(ann, "bodil")[0]; got.Phone != "" || got.Status.Kind != "long_ago" {
		t.Fatalf("Bodil, who blocks Ann: %+v", got)
	}
	if got := search(ann, "dinah")[0]; !got.Blocked {
		t.Fatalf("Dinah, whom Ann blocks: %+v", got)
	}

	// Once Ann has left the group, its members are strangers again.
	ann.api.call("chats.leave", map[string]int64{"chat_id": g.ID}).into(t, new(bool))
	if got := search(ann, "leand"); len(got) != 0 || visible(ann, lea.id) {
		t.Fatalf("a member of a group Ann left: search %+v, users.get sees them %v", got, visible(ann, lea.id))
	}
}

// TestSearchEverywhereNamesOnlyShownSenders: the people that come with
// messages.searchGlobal's results are the senders the messages show and
// no one else: an unsigned channel post does not give away the admin
// who wrote it, and a signed post's author who is no longer an admin
// (whom a subscriber may not see) is left out, as users.get leaves them
// out.
func TestSearchEverywhereNamesOnlyShownSenders(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Olga", "Pete", "Sam"}, 0)
	olga, pete, sam := ps[0], ps[1], ps[2]
	var ch chatInfo
	olga.api.call("chats.createChannel", map[string]string{"title": "Quick News", "username": "quick_news"}).into(t, &ch)
	for _, p := range []*person{pete, sam} {
		p.api.call("chats.join", map[string]int64{"chat_id": ch.ID}).into(t, new(chatInfo))
	}
	olga.api.call("chats.setAdmin", map[string]any{"chat_id": ch.ID, "user_id": pete.id, "rights": []string{"post_messages"}}).into(t, new(bool))
	unsigned := send(t, pete.api, map[string]any{"chat_id": ch.ID}, "quick unsigned post")
	if unsigned.SenderID != 0 {
		t.Fatalf("an unsigned post carries its author: %+v", unsigned)
	}
	search := func(want int) foundInfo {
		t.Helper()
		var found foundInfo
		deadline := time.Now().Add(10 * time.Second)
		for len(found.Messages) < want && time.Now().Before(deadline) {
			sam.api.call("messages.searchGlobal", map[string]any{"query": "quick"}).into(t, &found)
			time.Sleep(20 * time.Millisecond)
		}
		if len(found.Messages) != want {
			t.Fatalf("the subscriber's search found %d messages, want %d", len(found.Messages), want)
		}
		return found
	}
	if found := search(1); found.Messages[0].SenderID != 0 || len(found.Users) != 0 {
		t.Fatalf("a subscriber's search shows who wrote an unsigned post: %+v", found)
	}

	olga.api.call("chats.update", map[string]any{"chat_id": ch.ID, "signatures": true}).into(t, new(chatInfo))
	signed := send(t, pete.api, map[string]any{"chat_id": ch.ID}, "quick signed post")
	if found := search(2); found.Messages[0].ID != signed.ID || !slices.Equal(userIDs(found.Users), []int64{pete.id}) {
		t.Fatalf("a signed post's author, an admin: %+v", found)
	}
	// Pete is an admin no more: a subscriber may not see him.
	olga.api.call("chats.setAdmin", map[string]any{"chat_id": ch.ID, "user_id": pete.id, "rights": []string{}}).into(t, new(bool))
	var us []userView
	sam.api.call("users.get", map[string][]int64{"ids": {pete.id}}).into(t, &us)
	if len(us) != 0 {
		t.Fatalf("a subscriber sees a former admin: %+v", us)
	}
	if found := search(2); found.Messages[0].SenderID != pete.id || len(found.Users) != 0 {
		t.Fatalf("a subscriber's search shows a former admin whom users.get leaves out: %+v", found.Users)
	}
}
