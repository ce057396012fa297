package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// meet lets a see b as looking up b's username does (a user id alone
// reaches nobody, see docs/api.md, Who sees whom): b takes the username
// user<bid> unless they have one, and a resolves it.
func meet(t *testing.T, a, b caller, bid int64) {
	t.Helper()
	var me userView
	b.call("users.getMe", nil).into(t, &me)
	name := me.Username
	if name == "" {
		name = fmt.Sprintf("user%d", bid)
		b.call("account.updateUsername", map[string]string{"username": name}).into(t, &me)
	}
	var v userView
	a.call("users.resolveUsername", map[string]string{"username": name}).into(t, &v)
	if v.ID != bid {
		t.Fatalf("resolving %s found %d, want %d", name, v.ID, bid)
	}
}

// befriend has each of others add a to their contacts, as people who
// have each other's numbers do: a imports their numbers first (which
// finds nobody yet, as by default only one's contacts find one by
// number, but lets them find a), then each imports a's. Then a may see
// them, and add them to groups (add_to_groups is contacts by default).
func befriend(t *testing.T, a *person, others ...*person) {
	t.Helper()
	if len(others) == 0 {
		return
	}
	var book []map[string]string
	for _, o := range others {
		book = append(book, map[string]string{"phone": o.phone, "first_name": o.name})
	}
	a.api.call("contacts.import", map[string]any{"contacts": book}).into(t, new(importResult))
	for _, o := range others {
		var res importResult
		o.api.call("contacts.import", map[string]any{"contacts": []map[string]string{{"phone": a.phone, "first_name": a.name}}}).into(t, &res)
		if len(res.Imported) != 1 || res.Imported[0].User.ID != a.id {
			t.Fatalf("%s importing %s, who looked them up: %+v", o.name, a.name, res)
		}
	}
}

// importResult is an ImportResult.
type importResult struct {
	Imported []struct {
		Index int      `json:"index"`
		User  userView `json:"user"`
	} `json:"imported"`
	Unmatched int `json:"unmatched"`
}

// meetP is meet for two people of a cast.
func meetP(t *testing.T, a, b *person) {
	t.Helper()
	meet(t, a.api, b.api, b.id)
}

// knows has b add a to b's contacts by a's number, as people who have
// each other's numbers do: a imports b's number first (finding nobody,
// as by default only one's contacts find one by number, but letting b
// find a), then b imports a's. Then a may see b, and b's settings left
// at "contacts" (last seen, add to groups) let a in.
func knows(t *testing.T, a caller, aPhone string, aid int64, b caller, bPhone string) {
	t.Helper()
	a.call("contacts.import", map[string]any{"contacts": []map[string]string{{"phone": bPhone, "first_name": "B"}}}).into(t, new(importResult))
	var res importResult
	b.call("contacts.import", map[string]any{"contacts": []map[string]string{{"phone": aPhone, "first_name": "A"}}}).into(t, &res)
	if len(res.Imported) != 1 || res.Imported[0].User.ID != aid {
		t.Fatalf("importing the number of someone who looked one up: %+v", res)
	}
}

// at returns the i-th number p handed out (from 1).
func (p *phones) at(i int) string { return fmt.Sprintf("+44207946%04d", i) }

// importPhones has c import numbers and returns the ids it matched.
func importPhones(t *testing.T, c caller, numbers ...string) []int64 {
	t.Helper()
	var book []map[string]string
	for _, p := range numbers {
		book = append(book, map[string]string{"phone": p, "first_name": "X"})
	}
	var res importResult
	c.call("contacts.import", map[string]any{"contacts": book}).into(t, &res)
	var ids []int64
	for _, im := range res.Imported {
		ids = append(ids, im.User.ID)
	}
	return ids
}

// TestFindByPhoneDefault: by default a number finds its owner only for
// the people the owner has in their contacts, or whose number the owner
// looked up within the day — so two people with each other's numbers
// find each other whichever imports first, and a stranger with a list
// of numbers finds nobody.
func TestFindByPhoneDefault(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ann, _, aid := signUpHTTP(t, n, &ph, "Ann")
	bob, _, bid := signUpHTTP(t, n, &ph, "Bob")
	eve, _, _ := signUpHTTP(t, n, &ph, "Eve")
	annPhone, bobPhone := ph.at(1), ph.at(2)

	if got := importPhones(t, eve, annPhone, bobPhone); len(got) != 0 {
		t.Fatalf("a stranger's import found %v", got)
	}
	if got := importPhones(t, bob, annPhone); len(got) != 0 {
		t.Fatalf("Bob found Ann before she had his number: %v", got)
	}
	if got := importPhones(t, ann, bobPhone); len(got) != 1 || got[0] != bid {
		t.Fatalf("Ann, whose number Bob looked up, found %v", got)
	}
	if got := importPhones(t, bob, annPhone); len(got) != 1 || got[0] != aid {
		t.Fatalf("Bob, now in Ann's contacts, found %v", got)
	}
	// A lookup lets the owner be found only within its day.
	dan, _, _ := signUpHTTP(t, n, &ph, "Dan")
	cat, _, _ := signUpHTTP(t, n, &ph, "Cat")
	importPhones(t, dan, ph.at(5))
	n.clock.Advance(24*time.Hour + time.Second)
	if got := importPhones(t, cat, ph.at(4)); len(got) != 0 {
		t.Fatalf("a lookup older than a day still lets its number find Dan: %v", got)
	}
	// Opened to everybody, the number finds its owner for anyone.
	ann.call("privacy.set", map[string]string{"key": "find_by_phone", "value": "everybody"}).into(t, new(map[string]string))
	if got := importPhones(t, eve, annPhone); len(got) != 1 || got[0] != aid {
		t.Fatalf("with find_by_phone everybody: %v", got)
	}
}

// TestContactLookupsPerDay: an account looks up at most so many new
// numbers a day; one looked up within the day is free again; refused,
// the import changes nothing and says how long to wait; the count is
// kept across restarts.
func TestContactLookupsPerDay(t *testing.T) {
	args := append(append([]string{}, generous...), "--contacts-lookups-per-day", "3")
	n := startNode(t, args...)
	var ph phones
	c, _, _ := signUpHTTP(t, n, &ph, "Ann")
	open, _, oid := signUpHTTP(t, n, &ph, "Opal")
	open.call("privacy.set", map[string]string{"key": "find_by_phone", "value": "everybody"}).into(t, new(map[string]string))
	a, b := "+442079461001", "+442079461002"

	importPhones(t, c, a, b)
	n.clock.Advance(time.Hour)
	importPhones(t, c, a, b, a) // nothing new
	if got := importPhones(t, c, b, ph.at(2)); len(got) != 1 || got[0] != oid {
		t.Fatalf("the third new number: %v", got)
	}
	n.restart(t, args...)
	c.base = n.url
	r := c.call("contacts.import", map[string]any{"contacts": []map[string]string{{"phone": "+442079461003", "first_name": "Four"}}})
	if r.code() != "CONTACTS_TOO_MANY" || r.Status != 400 || r.Error.RetryAfter != int((23*time.Hour).Seconds()) {
		t.Fatalf("a fourth new number within the day: %s %d %+v", r.code(), r.Status, r.Error)
	}
	// More new numbers than a day allows never fit: no retry_after.
	var many []map[string]string
	for i := range 4 {
		many = append(many, map[string]string{"phone": fmt.Sprintf("+44207946200%d", i), "first_name": "M"})
	}
	r = c.call("contacts.import", map[string]any{"contacts": many})
	if r.code() != "CONTACTS_TOO_MANY" || r.Error.RetryAfter != 0 {
		t.Fatalf("four new numbers at once: %s %+v", r.code(), r.Error)
	}
	// After the day the first two are forgotten: two new numbers fit.
	n.clock.Advance(23 * time.Hour)
	importPhones(t, c, "+442079461003", "+442079461004")
}

// sameNotFound checks that r, about the id of an account the caller may
// not see, is answered exactly as missing, about an id no account has.
func sameNotFound(t *testing.T, r, missing reply, hidden, nobody int64, what string) {
	t.Helper()
	if r.code() != "USER_NOT_FOUND" || missing.code() != "USER_NOT_FOUND" || r.Status != missing.Status {
		t.Fatalf("%s: %s (%d) for a hidden account, %s (%d) for a missing one; want USER_NOT_FOUND alike",
			what, r.code(), r.Status, missing.code(), missing.Status)
	}
	if strings.ReplaceAll(r.Error.Message, fmt.Sprint(hidden), "N") != strings.ReplaceAll(missing.Error.Message, fmt.Sprint(nobody), "N") {
		t.Fatalf("%s: the messages differ: %q and %q", what, r.Error.Message, missing.Error.Message)
	}
}

// TestWalkingUserIDs: ids are sequential, so a stranger walking them
// learns nothing: users.get leaves out every account they have no reason
// to see, and every method that takes a user id answers for such an
// account exactly as for one that does not exist. Finding someone by
// username lets one see them from then on, within their privacy
// settings (last seen and adding to groups are for contacts).
func TestWalkingUserIDs(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ann, annTok, aid := signUpHTTP(t, n, &ph, "Ann")
	mal, malTok, mid := signUpHTTP(t, n, &ph, "Mallory")
	const nobody = 424242
	ann.call("account.updateUsername", map[string]string{"username": "ann_walks"}).into(t, new(userView))
	photo := uploadBytes(t, ann, newFileClient(t, n.url, annTok), "me.png", testPNG(t, 64, 64))
	ann.call("account.setPhoto", map[string]any{"file_id": photo}).into(t, new(userView))

	var us []userView
	mal.call("users.get", map[string][]int64{"ids": {1, 2, 3, 4, aid, nobody}}).into(t, &us)
	if len(us) != 1 || us[0].ID != mid {
		t.Fatalf("walking ids, Mallory sees %+v; want only herself", us)
	}
	// Mallory's own things to act with: her Saved Messages and a group.
	saved := send(t, mal, map[string]any{"user_id": mid}, "note to self")
	var g chatInfo
	mal.call("chats.createGroup", map[string]any{"title": "Trap"}).into(t, &g)
	malFiles := newFileClient(t, n.url, malTok)
	doc := uploadBytes(t, mal, malFiles, "doc.txt", []byte("hello"))
	for _, m := range []struct {
		method string
		params func(id int64) map[string]any
	}{
		{"messages.send", func(id int64) map[string]any {
			return map[string]any{"user_id": id, "text": "hi", "random_id": rid()}
		}},
		{"messages.sendMedia", func(id int64) map[string]any {
			return map[string]any{"user_id": id, "kind": "document", "file_id": doc, "random_id": rid()}
		}},
		{"messages.forward", func(id int64) map[string]any {
			return map[string]any{"from_chat_id": saved.ChatID, "ids": []int64{saved.ID}, "user_id": id, "random_ids": []int64{rid()}}
		}},
		{"contacts.block", func(id int64) map[string]any { return map[string]any{"user_id": id} }},
		{"contacts.unblock", func(id int64) map[string]any { return map[string]any{"user_id": id} }},
		{"chats.createGroup", func(id int64) map[string]any { return map[string]any{"title": "T", "user_ids": []int64{id}} }},
		{"chats.addMembers", func(id int64) map[string]any { return map[string]any{"chat_id": g.ID, "user_ids": []int64{id}} }},
		{"chats.ban", func(id int64) map[string]any { return map[string]any{"chat_id": g.ID, "user_id": id} }},
	} {
		sameNotFound(t, mal.call(m.method, m.params(aid)), mal.call(m.method, m.params(nobody)), aid, nobody, m.method)
	}
	if resp := malFiles.get(fmt.Sprintf("/files/%d", photo), true); resp.StatusCode != 404 {
		t.Fatalf("Mallory downloading the profile photo of someone she may not see: %d", resp.StatusCode)
	} else {
		resp.Body.Close()
	}
	if chats := dialogsOf(t, mal); len(chats) != 2 {
		t.Fatalf("the refused calls made chats: Mallory has %d dialogs, want 2", len(chats))
	}

	// Found by username, Ann is seen from then on, even once she drops
	// the username; her defaults still keep her last seen and groups to
	// her contacts.
	var found userView
	mal.call("users.resolveUsername", map[string]string{"username": "ann_walks"}).into(t, &found)
	ann.call("account.updateUsername", map[string]string{"username": ""}).into(t, new(userView))
	got := getUser(t, mal, aid)
	if got.FirstName != "Ann" || got.Status.Kind != "recently" || got.Status.LastSeen != 0 {
		t.Fatalf("Ann as Mallory sees her: %+v", got)
	}
	if resp := malFiles.get(fmt.Sprintf("/files/%d", photo), true); resp.StatusCode != 200 {
		t.Fatalf("Mallory downloading Ann's photo once she may see her: %d", resp.StatusCode)
	} else {
		resp.Body.Close()
	}
	wantCode(t, mal.call("chats.addMembers", map[string]any{"chat_id": g.ID, "user_ids": []int64{aid}}), "USER_PRIVACY_RESTRICTED", "adding a non-contact to a group")
	send(t, mal, map[string]any{"user_id": aid}, "hello Ann")
	mal.call("contacts.block", map[string]int64{"user_id": aid}).into(t, new(bool))
	mal.call("contacts.unblock", map[string]int64{"user_id": aid}).into(t, new(bool))

	// search.global finds people by username, and then they are seen.
	ann.call("account.updateUsername", map[string]string{"username": "ann_searched"}).into(t, new(userView))
	sid, _, _ := signUpHTTP(t, n, &ph, "Sid")
	var gr struct {
		Users []userView `json:"users"`
	}
	sid.call("search.global", map[string]string{"query": "ann_sea"}).into(t, &gr)
	if len(gr.Users) != 1 || gr.Users[0].ID != aid {
		t.Fatalf("search.global: %+v", gr)
	}
	if got := getUser(t, sid, aid); got.ID != aid {
		t.Fatalf("after the search: %+v", got)
	}
}

func dialogsOf(t *testing.T, c caller) []json.RawMessage {
	t.Helper()
	var ds []json.RawMessage
	c.call("dialogs.list", nil).into(t, &ds)
	return ds
}

// TestPublicGroupsAndChannels: the members of a public group are seen by
// anyone (who could join and list them), until they leave; in a channel
// the subscribers do not see each other, only its owner and admins do.
func TestPublicGroupsAndChannels(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	own, _, oid := signUpHTTP(t, n, &ph, "Owner")
	mem, _, memID := signUpHTTP(t, n, &ph, "Member")
	vis, _, vid := signUpHTTP(t, n, &ph, "Visitor")
	var g chatInfo
	own.call("chats.createGroup", map[string]any{"title": "Open"}).into(t, &g)
	own.call("chats.update", map[string]any{"chat_id": g.ID, "username": "open_group"}).into(t, new(chatInfo))
	mem.call("chats.join", map[string]int64{"chat_id": g.ID}).into(t, new(chatInfo))
	var us []userView
	vis.call("users.get", map[string][]int64{"ids": {oid, memID}}).into(t, &us)
	if len(us) != 2 {
		t.Fatalf("a visitor sees %d of the public group's 2 members", len(us))
	}
	mem.call("chats.leave", map[string]int64{"chat_id": g.ID}).into(t, new(bool))
	vis.call("users.get", map[string][]int64{"ids": {oid, memID}}).into(t, &us)
	if len(us) != 1 || us[0].ID != oid {
		t.Fatalf("after the member left, a visitor sees %+v", us)
	}
	// The owner, who shares the group's history with them, still does.
	if got := getUser(t, own, memID); got.ID != memID {
		t.Fatalf("the owner no longer sees a member who left: %+v", got)
	}

	var ch chatInfo
	own.call("chats.createChannel", map[string]any{"title": "News", "username": "news_walk"}).into(t, &ch)
	for _, c := range []caller{mem, vis} {
		c.call("chats.join", map[string]int64{"chat_id": ch.ID}).into(t, new(chatInfo))
	}
	vis.call("users.get", map[string][]int64{"ids": {oid, memID}}).into(t, &us)
	if len(us) != 1 || us[0].ID != oid {
		t.Fatalf("a subscriber sees %+v; want only the owner, not another subscriber", us)
	}
	own.call("users.get", map[string][]int64{"ids": {memID, vid}}).into(t, &us)
	if len(us) != 2 {
		t.Fatalf("the owner sees %d of the 2 subscribers", len(us))
	}
}
