package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

type userView struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
	Bio       string `json:"bio"`
	Phone     string `json:"phone"`
	Deleted   bool   `json:"deleted"`
	Contact   bool   `json:"contact"`
	Mutual    bool   `json:"mutual_contact"`
	Blocked   bool   `json:"blocked"`
	Status    struct {
		Kind     string `json:"kind"`
		LastSeen int64  `json:"last_seen"`
	} `json:"status"`
}

func getUser(t *testing.T, c caller, id int64) userView {
	t.Helper()
	var us []userView
	c.call("users.get", map[string][]int64{"ids": {id}}).into(t, &us)
	if len(us) != 1 {
		t.Fatalf("users.get(%d) returned %d users", id, len(us))
	}
	return us[0]
}

func TestProfilesAndUsernames(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	transports(t, n, func(t *testing.T, newCaller func() caller) {
		a, b := newCaller(), newCaller()
		_, aid := signUp(t, n, a, ph.next(), "Dana")
		signUp(t, n, b, ph.next(), "Eli")

		for _, bad := range []string{"abcd", "1dana", "_dana", "da-na", "dana!", "dänaa", strings.Repeat("d", 33)} {
			if r := a.call("account.updateUsername", map[string]string{"username": bad}); r.code() != "USERNAME_INVALID" {
				t.Errorf("username %q: %s", bad, r.code())
			}
		}
		var v userView
		a.call("account.updateUsername", map[string]string{"username": "Dana_" + a.transport()}).into(t, &v)
		if v.Username != "Dana_"+a.transport() {
			t.Fatalf("username set to %q", v.Username)
		}
		// Taken whatever the case.
		if r := b.call("account.updateUsername", map[string]string{"username": "DANA_" + strings.ToUpper(a.transport())}); r.code() != "USERNAME_OCCUPIED" {
			t.Fatalf("taking an occupied username: %s", r.code())
		}
		var avail struct {
			Available bool `json:"available"`
		}
		b.call("users.checkUsername", map[string]string{"username": "dana_" + a.transport()}).into(t, &avail)
		if avail.Available {
			t.Fatal("an occupied username is reported available")
		}
		b.call("users.resolveUsername", map[string]string{"username": "@DANA_" + a.transport()}).into(t, &v)
		if v.ID != aid || v.FirstName != "Dana" {
			t.Fatalf("resolve: %+v", v)
		}
		// Changing it frees the old one.
		a.call("account.updateUsername", map[string]string{"username": "dana_new_" + a.transport()}).into(t, &v)
		b.call("users.checkUsername", map[string]string{"username": "dana_" + a.transport()}).into(t, &avail)
		if !avail.Available {
			t.Fatal("the old username was not freed")
		}
		b.call("account.updateUsername", map[string]string{"username": "dana_" + a.transport()}).into(t, &v)
		if r := b.call("users.resolveUsername", map[string]string{"username": "nobody_here"}); r.code() != "USERNAME_NOT_FOUND" {
			t.Fatalf("resolving a free username: %s", r.code())
		}
		// Names and bio.
		a.call("account.updateProfile", map[string]string{"first_name": "Danielle", "bio": "Hello there"}).into(t, &v)
		if v.FirstName != "Danielle" || v.Bio != "Hello there" {
			t.Fatalf("updateProfile: %+v", v)
		}
		for params, code := range map[string]string{
			`{"bio":"` + strings.Repeat("b", 71) + `"}`:        "BIO_TOO_LONG",
			`{"first_name":""}`:                                "FIRST_NAME_INVALID",
			`{"first_name":"` + strings.Repeat("n", 65) + `"}`: "FIRST_NAME_INVALID",
			`{"last_name":"` + strings.Repeat("n", 65) + `"}`:  "LAST_NAME_INVALID",
			`{"first_name":"bad\u0007bell"}`:                   "FIRST_NAME_INVALID",
		} {
			if r := a.call("account.updateProfile", rawJSON(params)); r.code() != code {
				t.Errorf("updateProfile %s: %s, want %s", params, r.code(), code)
			}
		}
		// A 70-character bio of emoji counts UTF-16 units: 35 emoji fit.
		a.call("account.updateProfile", map[string]string{"bio": strings.Repeat("😀", 35)}).into(t, &v)
		if r := a.call("account.updateProfile", map[string]string{"bio": strings.Repeat("😀", 36)}); r.code() != "BIO_TOO_LONG" {
			t.Fatalf("36 emoji bio: %s", r.code())
		}
		// Nothing changed by the refused updates.
		if got := getUser(t, b, aid); got.FirstName != "Danielle" || got.Bio != strings.Repeat("😀", 35) {
			t.Fatalf("after refused updates: %+v", got)
		}
		if r := a.call("users.get", map[string][]int64{"ids": {1 << 53}}); r.code() != "PARAM_INVALID" {
			t.Fatalf("id beyond 2^53: %s", r.code())
		}
	})
}

func TestPrivacyHidesPhone(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	transports(t, n, func(t *testing.T, newCaller func() caller) {
		a, b, c := newCaller(), newCaller(), newCaller()
		aPhone := ph.next()
		_, aid := signUp(t, n, a, aPhone, "Ari")
		_, bid := signUp(t, n, b, ph.next(), "Bo")
		signUp(t, n, c, ph.next(), "Cy")
		meet(t, b, a, aid)
		meet(t, c, a, aid)
		meet(t, a, b, bid)

		var p map[string]string
		a.call("privacy.get", nil).into(t, &p)
		want := map[string]string{"phone_number": "nobody", "last_seen": "contacts", "profile_photo": "everybody",
			"find_by_phone": "contacts", "add_to_groups": "contacts", "forwards": "everybody"}
		if fmt.Sprint(p) != fmt.Sprint(want) {
			t.Fatalf("default privacy: %v, want %v", p, want)
		}
		if got := getUser(t, b, aid); got.Phone != "" {
			t.Fatalf("phone shown by default: %+v", got)
		}
		if got := getUser(t, a, aid); got.Phone != aPhone {
			t.Fatalf("own phone hidden from oneself: %+v", got)
		}
		a.call("privacy.set", map[string]string{"key": "phone_number", "value": "everybody"}).into(t, &p)
		if got := getUser(t, b, aid); got.Phone != aPhone {
			t.Fatalf("phone for everybody, yet hidden: %+v", got)
		}
		// "contacts": only the people Ari has in contacts see it.
		a.call("privacy.set", map[string]string{"key": "phone_number", "value": "contacts"}).into(t, &p)
		var imp struct {
			Imported []struct {
				Index int      `json:"index"`
				User  userView `json:"user"`
			} `json:"imported"`
			Unmatched int `json:"unmatched"`
		}
		// Bo's number is not known to Ari; import Bo by id is not a
		// thing, so Ari learns it from Bo's profile: make it public first,
		// and let anyone find Bo by it (by default only Bo's contacts).
		b.call("privacy.set", map[string]string{"key": "phone_number", "value": "everybody"}).into(t, &p)
		b.call("privacy.set", map[string]string{"key": "find_by_phone", "value": "everybody"}).into(t, &p)
		bPhone := getUser(t, a, bid).Phone
		a.call("contacts.import", map[string]any{"contacts": []map[string]string{{"phone": bPhone, "first_name": "Bobby"}, {"phone": "+442079460999", "first_name": "Nobody"}}}).into(t, &imp)
		if len(imp.Imported) != 1 || imp.Imported[0].User.ID != bid || imp.Unmatched != 1 || !imp.Imported[0].User.Contact {
			t.Fatalf("contacts.import: %+v", imp)
		}
		if got := getUser(t, b, aid); got.Phone != aPhone {
			t.Fatalf("a contact does not see a contacts-only phone: %+v", got)
		}
		if got := getUser(t, c, aid); got.Phone != "" {
			t.Fatalf("a stranger sees a contacts-only phone: %+v", got)
		}
		// Bad values change nothing.
		if r := a.call("privacy.set", map[string]string{"key": "phone_number", "value": "friends"}); r.code() != "PRIVACY_VALUE_INVALID" {
			t.Fatalf("bad value: %s", r.code())
		}
		if r := a.call("privacy.set", map[string]string{"key": "shoe_size", "value": "nobody"}); r.code() != "PRIVACY_KEY_INVALID" {
			t.Fatalf("bad key: %s", r.code())
		}
		a.call("privacy.get", nil).into(t, &p)
		if p["phone_number"] != "contacts" {
			t.Fatalf("a refused change changed: %v", p)
		}
		// Find by phone: nobody.
		a.call("privacy.set", map[string]string{"key": "find_by_phone", "value": "nobody"}).into(t, &p)
		c.call("contacts.import", map[string]any{"contacts": []map[string]string{{"phone": aPhone, "first_name": "A"}}}).into(t, &imp)
		if len(imp.Imported) != 0 || imp.Unmatched != 1 {
			t.Fatalf("found by phone against privacy: %+v", imp)
		}
		// Last seen: nobody shows a coarse status only. Contacts (the
		// default) shows Bo, in Ari's contacts, "online" while a has a
		// socket open, else the exact time.
		seen := "exact"
		if a.transport() == "ws" {
			seen = "online"
		}
		if got := getUser(t, b, aid); got.Status.Kind != seen || (seen == "exact") != (got.Status.LastSeen != 0) {
			t.Fatalf("last seen for contacts: %+v", got.Status)
		}
		a.call("privacy.set", map[string]string{"key": "last_seen", "value": "nobody"}).into(t, &p)
		if got := getUser(t, b, aid); got.Status.Kind != "recently" || got.Status.LastSeen != 0 {
			t.Fatalf("last seen hidden: %+v", got.Status)
		}
		// Contacts: list and delete.
		var cs []struct {
			FirstName string   `json:"first_name"`
			User      userView `json:"user"`
		}
		a.call("contacts.list", nil).into(t, &cs)
		if len(cs) != 1 || cs[0].FirstName != "Bobby" || cs[0].User.ID != bid {
			t.Fatalf("contacts.list: %+v", cs)
		}
		a.call("contacts.delete", map[string][]int64{"user_ids": {bid}}).into(t, new(bool))
		a.call("contacts.list", nil).into(t, &cs)
		if len(cs) != 0 {
			t.Fatalf("after delete: %+v", cs)
		}
		if r := a.call("contacts.import", map[string]any{"contacts": []map[string]string{{"phone": "12", "first_name": "X"}}}); r.code() != "PHONE_INVALID" {
			t.Fatalf("import of a bad number: %s", r.code())
		}
	})
}

func TestBlocking(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	transports(t, n, func(t *testing.T, newCaller func() caller) {
		a, b := newCaller(), newCaller()
		_, aid := signUp(t, n, a, ph.next(), "Ada")
		_, bid := signUp(t, n, b, ph.next(), "Bea")
		meet(t, a, b, bid)
		meet(t, b, a, aid)
		a.call("privacy.set", map[string]string{"key": "phone_number", "value": "everybody"}).into(t, new(map[string]string))
		a.call("privacy.set", map[string]string{"key": "last_seen", "value": "everybody"}).into(t, new(map[string]string))
		// While a has a socket open, b sees them online.
		seen := "exact"
		if a.transport() == "ws" {
			seen = "online"
		}
		if got := getUser(t, b, aid); got.Status.Kind != seen || got.Phone == "" {
			t.Fatalf("before blocking: %+v", got)
		}
		a.call("contacts.block", map[string]int64{"user_id": bid}).into(t, new(bool))
		got := getUser(t, b, aid)
		if got.Status.Kind != "long_ago" || got.Status.LastSeen != 0 || got.Phone != "" {
			t.Fatalf("a blocked person still sees status or phone: %+v", got)
		}
		if v := getUser(t, a, bid); !v.Blocked {
			t.Fatalf("blocker's view lacks blocked: %+v", v)
		}
		var blocked []userView
		a.call("contacts.listBlocked", nil).into(t, &blocked)
		if len(blocked) != 1 || blocked[0].ID != bid {
			t.Fatalf("listBlocked: %+v", blocked)
		}
		if r := a.call("contacts.block", map[string]int64{"user_id": aid}); r.code() != "BLOCK_SELF" {
			t.Fatalf("blocking oneself: %s", r.code())
		}
		if r := a.call("contacts.block", map[string]int64{"user_id": 999999}); r.code() != "USER_NOT_FOUND" {
			t.Fatalf("blocking nobody: %s", r.code())
		}
		a.call("contacts.unblock", map[string]int64{"user_id": bid}).into(t, new(bool))
		if got := getUser(t, b, aid); got.Status.Kind != seen {
			t.Fatalf("after unblock: %+v", got)
		}
	})
}

func TestDeleteAccount(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	transports(t, n, func(t *testing.T, newCaller func() caller) {
		a, b := newCaller(), newCaller()
		aPhone := ph.next()
		aTok, aid := signUp(t, n, a, aPhone, "Gil")
		_, bid := signUp(t, n, b, ph.next(), "Hal")
		// Hal knows Gil from their chat, so sees the account afterwards.
		meet(t, a, b, bid)
		send(t, a, map[string]any{"user_id": bid}, "hello Hal")
		a.call("account.updateUsername", map[string]string{"username": "gil_" + a.transport()}).into(t, new(userView))
		a.call("account.setPassword", map[string]string{"new_password": "long enough"}).into(t, new(map[string]any))
		if r := a.call("account.delete", map[string]string{"password": "wrong"}); r.code() != "PASSWORD_INVALID" {
			t.Fatalf("delete with a wrong password: %s", r.code())
		}
		if r := a.call("account.delete", map[string]string{"password": "long enough"}); !r.OK {
			t.Fatalf("delete: %s", r.code())
		}
		if r := (&httpCaller{t: t, base: n.url, token: aTok}).call("users.getMe", nil); r.code() != "AUTH_TOKEN_INVALID" {
			t.Fatalf("deleted account's token: %s", r.code())
		}
		got := getUser(t, b, aid)
		if !got.Deleted || got.FirstName != "Deleted Account" || got.Username != "" || got.Phone != "" {
			t.Fatalf("deleted account as seen by others: %+v", got)
		}
		var avail struct {
			Available bool `json:"available"`
		}
		b.call("users.checkUsername", map[string]string{"username": "gil_" + a.transport()}).into(t, &avail)
		if !avail.Available {
			t.Fatal("a deleted account's username is still taken")
		}
		// The number signs up afresh as a new person.
		c := newCaller()
		_, newID := signUp(t, n, c, aPhone, "Gil again")
		if newID == aid {
			t.Fatal("the deleted account came back")
		}
	})
}

func TestInactivityDeletesAccount(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	a, b := &httpCaller{t: t, base: n.url}, &httpCaller{t: t, base: n.url}
	_, aid := signUp(t, n, a, ph.next(), "Ivy")
	_, bid := signUp(t, n, b, ph.next(), "Jo")
	meet(t, a, b, bid)
	send(t, a, map[string]any{"user_id": bid}, "hello Jo")
	var ttl struct {
		Months int `json:"months"`
	}
	a.call("account.getTTL", nil).into(t, &ttl)
	if ttl.Months != 12 {
		t.Fatalf("default TTL %d months", ttl.Months)
	}
	if r := a.call("account.setTTL", map[string]int{"months": 2}); r.code() != "ACCOUNT_TTL_INVALID" {
		t.Fatalf("2 months: %s", r.code())
	}
	a.call("account.setTTL", map[string]int{"months": 1}).into(t, &ttl)
	n.clock.Advance(29 * 24 * time.Hour)
	if deleted, err := n.srv.Core().Sweep(context.Background()); err != nil || deleted != 0 {
		t.Fatalf("sweep before the period: %d %v", deleted, err)
	}
	n.clock.Advance(2 * 24 * time.Hour)
	if deleted, err := n.srv.Core().Sweep(context.Background()); err != nil || deleted != 1 {
		t.Fatalf("sweep after the period: %d %v", deleted, err)
	}
	if r := a.call("users.getMe", nil); r.code() != "AUTH_TOKEN_INVALID" {
		t.Fatalf("inactive account still signed in: %s", r.code())
	}
	// Jo, on the default year, is still here, and sees Ivy as deleted.
	if got := getUser(t, b, aid); !got.Deleted {
		t.Fatalf("Ivy after the sweep: %+v", got)
	}
	if got := getUser(t, b, bid); got.Deleted {
		t.Fatal("the sweep deleted an account within its period")
	}
}

// TestNamesCleaned: names, titles and device names lose their direction
// controls and invisible characters (so that one cannot pass for
// another), a name of only invisible characters is refused as empty, and
// the joiners that emoji and Persian need are kept.
func TestNamesCleaned(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	c, _, id := signUpHTTP(t, n, &ph, "\u202eAnn\u200b")
	if got := getUser(t, c, id).FirstName; got != "Ann" {
		t.Errorf("signed up as %+q, want \"Ann\"", got)
	}

	var v userView
	c.call("account.updateProfile", map[string]string{"first_name": "Ann\u00a0\u00a0\u2066Lee\u2069", "last_name": "\u202eeeL"}).into(t, &v)
	if v.FirstName != "Ann Lee" || v.LastName != "eeL" {
		t.Errorf("profile saved as %+q %+q, want \"Ann Lee\" \"eeL\"", v.FirstName, v.LastName)
	}
	const techie, persian = "👩🏽\u200d💻 Ann", "می\u200cخواهم"
	c.call("account.updateProfile", map[string]string{"first_name": techie, "last_name": persian}).into(t, &v)
	if v.FirstName != techie || v.LastName != persian {
		t.Errorf("profile saved as %+q %+q, want %+q %+q", v.FirstName, v.LastName, techie, persian)
	}
	for _, blank := range []string{"\u3164", "\u200b\u2800", "\u202e\u202c", "\ufe0f"} {
		if r := c.call("account.updateProfile", map[string]string{"first_name": blank}); r.code() != "FIRST_NAME_INVALID" {
			t.Errorf("first name %+q: %s, want FIRST_NAME_INVALID", blank, r.code())
		}
		if r := c.call("chats.createGroup", map[string]any{"title": blank}); r.code() != "CHAT_TITLE_INVALID" {
			t.Errorf("title %+q: %s, want CHAT_TITLE_INVALID", blank, r.code())
		}
	}
	if got := getUser(t, c, id); got.FirstName != techie {
		t.Errorf("a refused name changed the profile to %+q", got.FirstName)
	}

	var chat struct {
		Title string `json:"title"`
	}
	c.call("chats.createGroup", map[string]any{"title": "\u200fTeam\u200b chat\u061c"}).into(t, &chat)
	if chat.Title != "Team chat" {
		t.Errorf("group titled %+q, want \"Team chat\"", chat.Title)
	}

	// A device name, given at sign-in, is shown in the sessions list.
	var sent struct {
		LoginToken string `json:"login_token"`
	}
	phone := ph.next()
	d := &httpCaller{t: t, base: n.url}
	d.call("auth.sendCode", map[string]string{"identifier": phone, "device": "Firefox\u202e on Linux"}).into(t, &sent)
	var auth struct {
		Token string `json:"token"`
	}
	d.call("auth.signIn", map[string]string{"login_token": sent.LoginToken, "code": n.codes.last(t, phone, "sign_in")}).into(t, &auth)
	d.call("auth.signUp", map[string]string{"login_token": sent.LoginToken, "first_name": "Bo"}).into(t, &auth)
	d.setToken(auth.Token)
	var sessions []struct {
		Device string `json:"device"`
	}
	d.call("sessions.list", nil).into(t, &sessions)
	if len(sessions) != 1 || sessions[0].Device != "Firefox on Linux" {
		t.Errorf("sessions %+v, want one \"Firefox on Linux\"", sessions)
	}
}
