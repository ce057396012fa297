package core_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/api"
	"github.com/havenchat/haven/internal/bus/local"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlite"
)

// lockedClock is a clock the test moves while the presence loops read it.
type lockedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *lockedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *lockedClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// cluster is a few nodes (Services) sharing one store and one bus, each
// running its presence loop, the way nodes share PostgreSQL and NATS.
type cluster struct {
	store *sqlite.Store
	bus   *local.Bus
	clock *lockedClock
	codes *codeBox
	nodes []*core.Service
	stop  []context.CancelFunc
}

func newCluster(t *testing.T, n int) *cluster {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/core.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{store: st, bus: local.New(), clock: &lockedClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, codes: &codeBox{last: map[string]string{}}}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		for _, stop := range c.stop {
			stop()
		}
		wg.Wait()
		st.Close()
	})
	for range n {
		svc, err := core.New(core.Config{
			Store:     st,
			Bus:       c.bus,
			Frames:    api.AppendFrame,
			Codes:     c.codes,
			Passwords: fastPasswords(),
			Clock:     c.clock,
			Secret:    make([]byte, 32),
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc.RunPresence(ctx, 10*time.Millisecond)
		}()
		c.nodes = append(c.nodes, svc)
		c.stop = append(c.stop, cancel)
	}
	return c
}

// user signs a person up on the first node.
func (c *cluster) user(t *testing.T, phone, name string) *core.Actor {
	t.Helper()
	ctx := context.Background()
	svc := c.nodes[0]
	a := &core.Actor{IP: "192.0.2.1"}
	sent, err := svc.SendCode(ctx, a, phone, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SignIn(ctx, a, sent.LoginToken, c.codes.last[phone+"|sign_in"]); err != nil {
		t.Fatal(err)
	}
	res, err := svc.SignUp(ctx, a, sent.LoginToken, name, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return &core.Actor{UserID: res.User.ID, SessionID: res.SessionID}
}

// ownerWatched makes an owner who has viewer in their contacts, and the
// viewer with a socket open on node; pushes are the viewer's user.status
// pushes.
func (c *cluster) ownerWatched(t *testing.T, node *core.Service) (owner, viewer *core.Actor, pushes <-chan core.UserStatusView) {
	t.Helper()
	owner = c.user(t, "+442079460001", "Owner")
	viewer = c.user(t, "+442079460002", "Viewer")
	findable(t, node, viewer)
	if _, err := node.ImportContacts(context.Background(), owner, []core.ContactInput{{Phone: "+442079460002", FirstName: "V"}}); err != nil {
		t.Fatal(err)
	}
	pushes = watch(t, c.bus, viewer.UserID)
	node.SocketOpened(viewer.UserID)
	return owner, viewer, pushes
}

// watch collects the user.status pushes published for a person.
func watch(t *testing.T, bus *local.Bus, userID int64) <-chan core.UserStatusView {
	t.Helper()
	ch := make(chan core.UserStatusView, 100)
	sub, err := bus.Subscribe(core.UserSubject(userID), func(b []byte) {
		n, err := core.DecodeNotice(b)
		if err != nil || n.Kind != core.PushUserStatus {
			return
		}
		// The frame as clients receive it (docs/api.md, user.status).
		var f struct {
			Push string `json:"push"`
			Data struct {
				UserID int64 `json:"user_id"`
				Status struct {
					Kind     string `json:"kind"`
					LastSeen int64  `json:"last_seen"`
				} `json:"status"`
			} `json:"data"`
		}
		if err := json.Unmarshal(n.Frame, &f); err != nil || f.Push != core.PushUserStatus {
			t.Errorf("bad user.status frame %s", n.Frame)
			return
		}
		ch <- core.UserStatusView{UserID: f.Data.UserID, Status: core.UserStatus{Kind: f.Data.Status.Kind, LastSeen: f.Data.Status.LastSeen}}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return ch
}

func expectStatus(t *testing.T, ch <-chan core.UserStatusView, userID int64, kind string) core.UserStatusView {
	t.Helper()
	select {
	case v := <-ch:
		if v.UserID != userID || v.Status.Kind != kind {
			t.Fatalf("push %+v, want user %d %q", v, userID, kind)
		}
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("no %q push for user %d", kind, userID)
	}
	return core.UserStatusView{}
}

func expectNoStatus(t *testing.T, ch <-chan core.UserStatusView, within time.Duration) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected push %+v", v)
	case <-time.After(within):
	}
}

func statusOf(t *testing.T, svc *core.Service, viewer *core.Actor, userID int64) core.UserStatus {
	t.Helper()
	us, err := svc.GetUsers(context.Background(), viewer, []int64{userID})
	if err != nil || len(us) != 1 {
		t.Fatalf("GetUsers: %v %v", us, err)
	}
	return us[0].Status
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPresenceExpires: a node that stops re-announcing its people (it
// crashed) loses them after the TTL, by core's clock; the watchers are
// told and the last word becomes the stored last activity.
func TestPresenceExpires(t *testing.T) {
	c := newCluster(t, 1)
	svc := c.nodes[0]
	ctx := context.Background()
	owner, viewer, pushes := c.ownerWatched(t, svc)

	// Another node ("zz", which sorts after any real node id, so this one
	// leads) says the owner is online on it.
	say := func() {
		b, _ := json.Marshal(core.PresenceNotice{Node: "zz", UserIDs: []int64{owner.UserID}, Online: true, ExpiresIn: 75})
		if err := c.bus.Publish(ctx, core.SubjectPresence, b); err != nil {
			t.Fatal(err)
		}
	}
	say()
	if !svc.Online(owner.UserID) || statusOf(t, svc, viewer, owner.UserID).Kind != "online" {
		t.Fatalf("owner not online after the remote notice: %+v", statusOf(t, svc, viewer, owner.UserID))
	}
	c.clock.Advance(60 * time.Second)
	say() // a heartbeat renews the entry
	last := c.clock.Now()
	c.clock.Advance(60 * time.Second)
	if !svc.Online(owner.UserID) {
		t.Fatal("a renewed entry expired")
	}
	c.clock.Advance(16 * time.Second) // 76 s after the last word
	if svc.Online(owner.UserID) {
		t.Fatal("an entry outlived its TTL")
	}
	if st := statusOf(t, svc, viewer, owner.UserID); st.Kind != "exact" {
		t.Fatalf("after expiry the viewer sees %+v", st)
	}
	v := expectStatus(t, pushes, owner.UserID, "exact")
	if v.Status.LastSeen != last.Unix() {
		t.Fatalf("offline push last_seen %d, want the last word %d", v.Status.LastSeen, last.Unix())
	}
	eventually(t, "last seen stored", func() bool {
		return statusOf(t, svc, viewer, owner.UserID).LastSeen == last.Unix()
	})
	expectNoStatus(t, pushes, 100*time.Millisecond)
}

// TestPresencePrivacy: "online" and its pushes reach only those the
// last_seen setting admits; the others keep the coarse kinds and are told
// nothing; a blocked person sees long_ago.
func TestPresencePrivacy(t *testing.T) {
	c := newCluster(t, 1)
	svc := c.nodes[0]
	ctx := context.Background()
	owner := c.user(t, "+442079460001", "Owner")
	friend := c.user(t, "+442079460002", "Friend")     // in the owner's contacts
	stranger := c.user(t, "+442079460003", "Stranger") // a private chat with the owner
	blocked := c.user(t, "+442079460004", "Blocked")   // a private chat, blocked by the owner
	fan := c.user(t, "+442079460005", "Fan")           // has the owner in contacts, not back
	findable(t, svc, owner, friend)
	meet(t, svc, stranger, owner)
	meet(t, svc, blocked, owner)
	// The steps below start from everybody (the default is contacts).
	if _, err := svc.SetPrivacy(ctx, owner, haven.PrivacyLastSeen, haven.Everybody); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ImportContacts(ctx, owner, []core.ContactInput{{Phone: "+442079460002", FirstName: "F"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ImportContacts(ctx, fan, []core.ContactInput{{Phone: "+442079460001", FirstName: "O"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Send(ctx, stranger, core.Peer{UserID: owner.UserID}, core.SendInput{Text: "hi", RandomID: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Send(ctx, blocked, core.Peer{UserID: owner.UserID}, core.SendInput{Text: "hi", RandomID: 2}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Block(ctx, owner, blocked.UserID); err != nil {
		t.Fatal(err)
	}
	watchers := map[string]*core.Actor{"friend": friend, "stranger": stranger, "blocked": blocked, "fan": fan}
	pushes := map[string]<-chan core.UserStatusView{}
	for name, a := range watchers {
		pushes[name] = watch(t, c.bus, a.UserID)
		svc.SocketOpened(a.UserID)
	}
	allowedBefore := map[string]bool{"friend": true, "stranger": true, "fan": true} // everybody, set above
	for _, step := range []struct {
		aud     haven.Audience
		allowed map[string]bool
	}{
		{haven.Everybody, map[string]bool{"friend": true, "stranger": true, "fan": true}},
		{haven.Contacts, map[string]bool{"friend": true}},
		{haven.Nobody, map[string]bool{}},
	} {
		if _, err := svc.SetPrivacy(ctx, owner, haven.PrivacyLastSeen, step.aud); err != nil {
			t.Fatal(err)
		}
		// Those the change shuts out are told the coarse kind they see
		// from now on; the others nothing.
		for name, was := range allowedBefore {
			if was && !step.allowed[name] {
				expectStatus(t, pushes[name], owner.UserID, "recently")
			}
		}
		allowedBefore = step.allowed
		for name := range watchers {
			expectNoStatus(t, pushes[name], 20*time.Millisecond)
		}
		for _, online := range []bool{true, false} {
			if online {
				svc.SocketOpened(owner.UserID)
			} else {
				c.clock.Advance(2 * time.Minute) // past the last-seen write throttle
				svc.SocketClosed(owner.UserID)
			}
			if st := statusOf(t, svc, owner, owner.UserID); online && st.Kind != "online" {
				t.Errorf("%s: the owner sees themself %+v", step.aud, st)
			}
			for name, a := range watchers {
				st := statusOf(t, svc, a, owner.UserID)
				var want string
				switch {
				case name == "blocked":
					want = "long_ago"
				case !step.allowed[name]:
					want = "recently"
				case online:
					want = "online"
				default:
					want = "exact"
				}
				if st.Kind != want || (want != "exact" && st.LastSeen != 0) {
					t.Errorf("%s, online=%v: %s sees %+v, want %q", step.aud, online, name, st, want)
				}
			}
			kind := "online"
			if !online {
				kind = "exact"
			}
			// The allowed hear of it; the others' pushes would have been
			// published in the same pass, so a quick look is enough —
			// except when nobody is allowed.
			for name := range step.allowed {
				v := expectStatus(t, pushes[name], owner.UserID, kind)
				if !online && v.Status.LastSeen != c.clock.Now().Unix() {
					t.Errorf("%s: offline push last_seen %d, want %d", step.aud, v.Status.LastSeen, c.clock.Now().Unix())
				}
			}
			wait := time.Millisecond
			if len(step.allowed) == 0 {
				wait = 200 * time.Millisecond
			}
			for name := range watchers {
				if !step.allowed[name] {
					expectNoStatus(t, pushes[name], wait)
				}
			}
		}
	}
}

// TestPresencePrivacyChange: changing last_seen while online tells the
// watchers it shuts out the coarse kind (no "online" lingers), and those
// it lets in that the person is online.
func TestPresencePrivacyChange(t *testing.T) {
	c := newCluster(t, 1)
	svc := c.nodes[0]
	ctx := context.Background()
	owner := c.user(t, "+442079460001", "Owner")
	friend := c.user(t, "+442079460002", "Friend")     // in the owner's contacts
	stranger := c.user(t, "+442079460003", "Stranger") // a private chat with the owner
	findable(t, svc, friend)
	meet(t, svc, stranger, owner)
	if _, err := svc.SetPrivacy(ctx, owner, haven.PrivacyLastSeen, haven.Everybody); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ImportContacts(ctx, owner, []core.ContactInput{{Phone: "+442079460002", FirstName: "F"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Send(ctx, stranger, core.Peer{UserID: owner.UserID}, core.SendInput{Text: "hi", RandomID: 1}); err != nil {
		t.Fatal(err)
	}
	fp, sp := watch(t, c.bus, friend.UserID), watch(t, c.bus, stranger.UserID)
	svc.SocketOpened(friend.UserID)
	svc.SocketOpened(stranger.UserID)
	svc.SocketOpened(owner.UserID)
	expectStatus(t, fp, owner.UserID, "online")
	expectStatus(t, sp, owner.UserID, "online")

	set := func(a haven.Audience) {
		t.Helper()
		if _, err := svc.SetPrivacy(ctx, owner, haven.PrivacyLastSeen, a); err != nil {
			t.Fatal(err)
		}
	}
	set(haven.Nobody)
	expectStatus(t, fp, owner.UserID, "recently")
	expectStatus(t, sp, owner.UserID, "recently")
	if st := statusOf(t, svc, friend, owner.UserID); st.Kind != "recently" {
		t.Fatalf("friend sees %+v with last_seen nobody", st)
	}
	set(haven.Contacts)
	expectStatus(t, fp, owner.UserID, "online")
	expectNoStatus(t, sp, 100*time.Millisecond)
	set(haven.Everybody)
	expectStatus(t, sp, owner.UserID, "online")
	expectNoStatus(t, fp, 100*time.Millisecond)
}

// TestPresenceAcrossNodes: a person with sockets on two nodes stays
// online until both close; the watchers hear each change once; a node
// that stops takes its people offline with it.
func TestPresenceAcrossNodes(t *testing.T) {
	c := newCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	owner, viewer, pushes := c.ownerWatched(t, a)
	eventually(t, "node B learns the viewer is online", func() bool { return b.Online(viewer.UserID) })

	// Online on B, then on A too: told once.
	b.SocketOpened(owner.UserID)
	expectStatus(t, pushes, owner.UserID, "online")
	eventually(t, "node A learns the owner is online on B", func() bool { return a.RemoteOnline(owner.UserID) })
	a.SocketOpened(owner.UserID) // already online: nothing to tell
	eventually(t, "node B learns the owner is online on A", func() bool { return b.RemoteOnline(owner.UserID) })
	expectNoStatus(t, pushes, 100*time.Millisecond)

	// Closing on A leaves B's socket: still online everywhere.
	a.SocketClosed(owner.UserID)
	expectNoStatus(t, pushes, 100*time.Millisecond)
	if !a.Online(owner.UserID) || statusOf(t, a, viewer, owner.UserID).Kind != "online" {
		t.Fatal("the owner looks offline while a socket is open on B")
	}
	// Closing on B: offline, told once.
	b.SocketClosed(owner.UserID)
	expectStatus(t, pushes, owner.UserID, "exact")
	expectNoStatus(t, pushes, 100*time.Millisecond)
	eventually(t, "node A learns the owner left", func() bool { return !a.Online(owner.UserID) })

	// Both close at once: each may think the other still has a socket;
	// then the leader tells the watchers, once.
	a.SocketOpened(owner.UserID)
	expectStatus(t, pushes, owner.UserID, "online")
	eventually(t, "node B learns the owner is online on A", func() bool { return b.RemoteOnline(owner.UserID) })
	b.SocketOpened(owner.UserID)
	eventually(t, "node A learns the owner is online on B", func() bool { return a.RemoteOnline(owner.UserID) })
	expectNoStatus(t, pushes, 50*time.Millisecond)
	a.SocketClosed(owner.UserID)
	b.SocketClosed(owner.UserID)
	expectStatus(t, pushes, owner.UserID, "exact")
	expectNoStatus(t, pushes, 100*time.Millisecond)
	eventually(t, "both nodes see the owner offline", func() bool { return !a.Online(owner.UserID) && !b.Online(owner.UserID) })

	// A node that stops says so: its people go offline at once.
	b.SocketOpened(owner.UserID)
	expectStatus(t, pushes, owner.UserID, "online")
	eventually(t, "node A learns the owner is online", func() bool { return a.Online(owner.UserID) })
	c.stop[1]()
	expectStatus(t, pushes, owner.UserID, "exact")
	if a.Online(owner.UserID) {
		t.Fatal("the owner is online after their node stopped")
	}
}
