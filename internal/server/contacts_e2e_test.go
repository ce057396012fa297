package server_test

import (
	"strings"
	"testing"
)

// contactView is a Contact.
type contactView struct {
	FirstName string   `json:"first_name"`
	LastName  string   `json:"last_name"`
	User      userView `json:"user"`
}

// TestAddContactByID: contacts.add puts someone the caller may see into
// their contacts under the name chosen, renames them when called again,
// refuses the caller's own id and anyone the caller may not see (as one
// that does not exist), and changes nothing on a refusal.
func TestAddContactByID(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Ann", "Bob", "Cat"}, 0)
	ann, bob, cat := ps[0], ps[1], ps[2]
	meetP(t, ann, bob)

	var c contactView
	ann.api.call("contacts.add", map[string]any{"user_id": bob.id, "first_name": "Bobby", "last_name": "B"}).into(t, &c)
	if c.FirstName != "Bobby" || c.LastName != "B" || c.User.ID != bob.id || !c.User.Contact {
		t.Fatalf("adding Bob: %+v", c)
	}
	list := func() []contactView {
		var cs []contactView
		ann.api.call("contacts.list", nil).into(t, &cs)
		return cs
	}
	if cs := list(); len(cs) != 1 || cs[0].FirstName != "Bobby" || cs[0].User.ID != bob.id {
		t.Fatalf("contacts after adding Bob: %+v", cs)
	}
	// Again: a rename, not a second contact.
	ann.api.call("contacts.add", map[string]any{"user_id": bob.id, "first_name": "Robert"}).into(t, &c)
	if cs := list(); len(cs) != 1 || cs[0].FirstName != "Robert" || cs[0].LastName != "" {
		t.Fatalf("contacts after renaming Bob: %+v", cs)
	}
	// Bob now sees that Ann has him (mutual once he adds her too).
	var bv []userView
	bob.api.call("users.get", map[string]any{"ids": []int64{ann.id}}).into(t, &bv)
	if len(bv) != 1 || bv[0].Contact {
		t.Fatalf("Bob's view of Ann before he adds her: %+v", bv)
	}

	wantCode(t, ann.api.call("contacts.add", map[string]any{"user_id": ann.id, "first_name": "Me"}), "PARAM_INVALID", "adding oneself")
	hidden := ann.api.call("contacts.add", map[string]any{"user_id": cat.id, "first_name": "Cat"})
	missing := ann.api.call("contacts.add", map[string]any{"user_id": cat.id + 1000, "first_name": "Nobody"})
	sameNotFound(t, hidden, missing, cat.id, cat.id+1000, "contacts.add")
	wantCode(t, ann.api.call("contacts.add", map[string]any{"user_id": bob.id, "first_name": strings.Repeat("x", 65)}), "FIRST_NAME_INVALID", "a name too long")
	wantCode(t, ann.api.call("contacts.add", map[string]any{"user_id": bob.id}), "PARAM_MISSING", "no name")
	if cs := list(); len(cs) != 1 || cs[0].FirstName != "Robert" {
		t.Fatalf("contacts after refused adds: %+v", cs)
	}

	// Removed, Bob stays visible to Ann: she had found him.
	ann.api.call("contacts.delete", map[string]any{"user_ids": []int64{bob.id}}).into(t, new(bool))
	if cs := list(); len(cs) != 0 {
		t.Fatalf("contacts after removing Bob: %+v", cs)
	}
	var av []userView
	ann.api.call("users.get", map[string]any{"ids": []int64{bob.id}}).into(t, &av)
	if len(av) != 1 || av[0].Contact {
		t.Fatalf("Ann's view of Bob after removing him: %+v", av)
	}
}

// TestProfileEventOtherSessions: changing one's names, username or photo
// logs a profile user event, so the person's other sessions learn of the
// change live; the event holds no copy of the profile (a log must keep
// none after a change or an erasure).
func TestProfileEventOtherSessions(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ann := cast(t, n, &ph, []string{"Ann"}, 1)[0]
	profile := func(m sockMark, what string) {
		t.Helper()
		e := ann.ws.waitUser(t, m, "profile", 0)
		if len(e.Data) != 0 && string(e.Data) != "null" {
			t.Fatalf("the profile event after %s holds %s", what, e.Data)
		}
	}
	m := ann.ws.mark()
	ann.api.call("account.updateProfile", map[string]any{"first_name": "Annie", "bio": "hi"}).into(t, new(userView))
	profile(m, "updateProfile")
	m = ann.ws.mark()
	ann.api.call("account.updateUsername", map[string]any{"username": "annie_x"}).into(t, new(userView))
	profile(m, "updateUsername")
	m = ann.ws.mark()
	ann.api.call("account.removePhoto", nil).into(t, new(userView))
	profile(m, "removePhoto")
	// A refused change logs nothing.
	m = ann.ws.mark()
	wantCode(t, ann.api.call("account.updateUsername", map[string]any{"username": "9bad"}), "USERNAME_INVALID", "a bad username")
	wantCode(t, ann.api.call("account.updateProfile", map[string]any{"first_name": strings.Repeat("x", 65)}), "FIRST_NAME_INVALID", "a long name")
	ann.api.call("account.updateProfile", map[string]any{"last_name": "Lee"}).into(t, new(userView))
	profile(m, "updateProfile")
	ann.ws.mu.Lock()
	var pts []int64
	for _, e := range ann.ws.users[m.us:] {
		pts = append(pts, e.Pts)
	}
	ann.ws.mu.Unlock()
	if len(pts) != 1 {
		t.Fatalf("%d user events after two refused changes and one change, want 1", len(pts))
	}
	// The events are in the log too, for a session that was away.
	var diff struct {
		Events []userEventInfo `json:"user_events"`
	}
	ann.api.call("sync.getDifference", map[string]any{"pts": pts[0] - 1}).into(t, &diff)
	if len(diff.Events) != 1 || diff.Events[0].Kind != "profile" {
		t.Fatalf("the difference after the last change: %+v", diff.Events)
	}
}
