package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// signupAuth is auth.signIn's and auth.signUp's answer as these tests
// read it.
type signupAuth struct {
	Status         string `json:"status"`
	Token          string `json:"token"`
	InviteRequired *bool  `json:"invite_required"`
	User           struct {
		ID int64 `json:"id"`
	} `json:"user"`
}

// signupInvite is a sign-up invite as the API shows it.
type signupInvite struct {
	ID         int64  `json:"id"`
	Code       string `json:"code"`
	Link       string `json:"link"`
	CreatedAt  int64  `json:"created_at"`
	ExpiresAt  int64  `json:"expires_at"`
	UsageLimit int    `json:"usage_limit"`
	Usage      int    `json:"usage"`
	Revoked    bool   `json:"revoked"`
}

// reachSignUp sends a code to identifier and enters it: it returns the
// login token, at the sign-up step, and what auth.signIn answered.
func reachSignUp(t *testing.T, n *node, c caller, identifier string) (string, signupAuth) {
	t.Helper()
	s := sendCode(t, c, identifier, "Test")
	var a signupAuth
	c.call("auth.signIn", map[string]string{"login_token": s.LoginToken, "code": n.codes.last(t, identifier, "sign_in")}).into(t, &a)
	if a.Status != "sign_up_required" {
		t.Fatalf("signIn of a new person %s: %+v", identifier, a)
	}
	return s.LoginToken, a
}

// signUpWith calls auth.signUp with an invite code ("" for none).
func signUpWith(c caller, loginToken, name, code string) reply {
	p := map[string]string{"login_token": loginToken, "first_name": name}
	if code != "" {
		p["invite_code"] = code
	}
	return c.call("auth.signUp", p)
}

func wantStatus(t *testing.T, r reply, status int, code, what string) {
	t.Helper()
	wantCode(t, r, code, what)
	if r.Status != 0 && r.Status != status {
		t.Fatalf("%s: HTTP %d, want %d", what, r.Status, status)
	}
}

// TestSignupByInvite runs a server whose sign-up needs an invite, as a
// school would: the operator's codes, the allowlist, the members' own
// invites and their cap, and every refusal.
func TestSignupByInvite(t *testing.T) {
	t.Parallel()
	n := startNode(t, append(generous, "--signup", "invite", "--public-url", "https://chat.example.org/",
		"--signup-email-domains", "school.example", "--signup-phone-prefixes", "+4420794611",
		"--signup-member-invites", "2", "--signup-member-invite-ttl", "48h")...)
	ctx := context.Background()
	var ph phones

	transports(t, n, func(t *testing.T, newCaller func() caller) {
		c := newCaller()
		lt, a := reachSignUp(t, n, c, ph.next())
		if a.InviteRequired == nil || !*a.InviteRequired {
			t.Fatalf("signIn of a person the allowlist does not admit: invite_required %v, want true", a.InviteRequired)
		}
		wantStatus(t, signUpWith(c, lt, "Ann", ""), 403, "INVITE_CODE_REQUIRED", "signing up without a code")
		wantStatus(t, signUpWith(c, lt, "Ann", "let-me-in"), 400, "INVITE_CODE_INVALID", "a code of the wrong form")
		wantStatus(t, signUpWith(c, lt, "Ann", "hvi-aaaa-aaaa-aaaa-aaaa"), 400, "INVITE_CODE_INVALID", "a code no invite has")

		inv, err := n.srv.Core().AdminCreateInvite(ctx, 1, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^hvi(-[a-z2-7]{4}){4}$`).MatchString(inv.Code) || inv.Link != "https://chat.example.org/join/"+inv.Code {
			t.Fatalf("operator's invite: code %q, link %q", inv.Code, inv.Link)
		}
		// The refusals changed nothing: the same attempt signs up with
		// the code, typed in capitals and without its dashes.
		typed := strings.ToUpper(strings.ReplaceAll(inv.Code, "-", ""))
		var ok signupAuth
		signUpWith(c, lt, "Ann", typed).into(t, &ok)
		if ok.Status != "authorized" || ok.Token == "" {
			t.Fatalf("signing up with the operator's code: %+v", ok)
		}
		// It let in one person, as made.
		lt2, _ := reachSignUp(t, n, c, ph.next())
		wantStatus(t, signUpWith(c, lt2, "Bob", inv.Code), 410, "INVITE_CODE_USED_UP", "a used-up code")
		list, err := n.srv.Core().AdminInvites(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 || list[0].ID != inv.ID || list[0].Usage != 1 || list[0].Code != "" {
			t.Fatalf("AdminInvites after one use: %+v", list)
		}

		// Revoked, and expired.
		revoked, err := n.srv.Core().AdminCreateInvite(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.srv.Core().AdminRevokeInvite(ctx, revoked.Code); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, signUpWith(c, lt2, "Bob", revoked.Code), 410, "INVITE_CODE_EXPIRED", "a revoked code")
	})

	t.Run("expired", func(t *testing.T) {
		c := &httpCaller{t: t, base: n.url}
		inv, err := n.srv.Core().AdminCreateInvite(ctx, 5, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		n.clock.Advance(time.Hour)
		lt, _ := reachSignUp(t, n, c, ph.next())
		wantStatus(t, signUpWith(c, lt, "Cy", inv.Code), 410, "INVITE_CODE_EXPIRED", "an expired code")
	})

	t.Run("allowlist", func(t *testing.T) {
		c := &httpCaller{t: t, base: n.url}
		for _, who := range []string{"pupil@school.example", "+442079461112"} {
			lt, a := reachSignUp(t, n, c, who)
			if a.InviteRequired != nil {
				t.Fatalf("signIn of %s, on the allowlist: invite_required %v, want it left out", who, *a.InviteRequired)
			}
			var ok signupAuth
			signUpWith(c, lt, "Dee", "").into(t, &ok)
			if ok.Status != "authorized" {
				t.Fatalf("%s signing up without a code: %+v", who, ok)
			}
		}
		// A subdomain is another domain.
		_, a := reachSignUp(t, n, c, "pupil@mail.school.example")
		if a.InviteRequired == nil || !*a.InviteRequired {
			t.Fatalf("a subdomain of an allowed domain: invite_required %v, want true", a.InviteRequired)
		}
	})

	t.Run("members", func(t *testing.T) {
		member, _, _ := signUpHTTP(t, n, &phones{n: 1100}, "Mia") // +442079461101: allowlisted
		var made signupInvite
		member.call("signup.createInvite", nil).into(t, &made)
		if made.Code == "" || made.Link != "https://chat.example.org/join/"+made.Code || made.UsageLimit != 1 ||
			made.ExpiresAt-made.CreatedAt != 48*3600 {
			t.Fatalf("signup.createInvite: %+v", made)
		}
		friend := &httpCaller{t: t, base: n.url}
		lt, _ := reachSignUp(t, n, friend, ph.next())
		var ok signupAuth
		signUpWith(friend, lt, "Flo", made.Code).into(t, &ok)
		if ok.Status != "authorized" {
			t.Fatalf("signing up with a member's code: %+v", ok)
		}

		var second signupInvite
		member.call("signup.createInvite", nil).into(t, &second)
		wantStatus(t, member.call("signup.createInvite", nil), 403, "MEMBER_INVITES_TOO_MANY", "a third invite with a cap of 2")
		var mine struct {
			Invites   []signupInvite `json:"invites"`
			Remaining int            `json:"remaining"`
		}
		member.call("signup.invites", nil).into(t, &mine)
		if len(mine.Invites) != 2 || mine.Remaining != 0 || mine.Invites[0].ID != second.ID || mine.Invites[0].Code != "" ||
			mine.Invites[1].Usage != 1 {
			t.Fatalf("signup.invites: %+v", mine)
		}
		// Another member cannot revoke it, nor see it.
		other, _, _ := signUpHTTP(t, n, &phones{n: 1120}, "Oz")
		wantStatus(t, other.call("signup.revokeInvite", map[string]int64{"id": second.ID}), 400, "INVITE_CODE_INVALID", "revoking another member's invite")
		var theirs struct {
			Invites   []signupInvite `json:"invites"`
			Remaining int            `json:"remaining"`
		}
		other.call("signup.invites", nil).into(t, &theirs)
		if len(theirs.Invites) != 0 || theirs.Remaining != 2 {
			t.Fatalf("another member's signup.invites: %+v", theirs)
		}
		member.call("signup.revokeInvite", map[string]int64{"id": second.ID}).into(t, new(bool))
		lt, _ = reachSignUp(t, n, friend, ph.next())
		wantStatus(t, signUpWith(friend, lt, "Gus", second.Code), 410, "INVITE_CODE_EXPIRED", "a member's revoked code")

		// The codes are secrets: the database holds their hashes only.
		for _, name := range []string{"haven.db", "haven.db-wal"} {
			b, err := os.ReadFile(filepath.Join(n.dir, name))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			for _, code := range []string{made.Code, second.Code, strings.ReplaceAll(made.Code, "-", "")} {
				if bytes.Contains(b, []byte(code)) {
					t.Fatalf("%s holds the invite code %s in the clear", name, code)
				}
			}
		}
	})
}

// TestSignupClosed: only the operator makes accounts; a new person learns
// it as soon as their code is right, before being asked for a name.
func TestSignupClosed(t *testing.T) {
	t.Parallel()
	n := startNode(t, append(generous, "--signup", "closed")...)
	ctx := context.Background()
	transports(t, n, func(t *testing.T, newCaller func() caller) {
		c := newCaller()
		phone := "+44207946200" + map[string]string{"http": "1", "ws": "2"}[c.transport()]
		s := sendCode(t, c, phone, "Test")
		wantStatus(t, c.call("auth.signIn", map[string]string{"login_token": s.LoginToken, "code": n.codes.last(t, phone, "sign_in")}),
			403, "SIGNUP_CLOSED", "a new person's right code")
		// The attempt is over.
		wantCode(t, signUpWith(c, s.LoginToken, "Ann", ""), "LOGIN_TOKEN_INVALID", "signing up after SIGNUP_CLOSED")

		// The operator makes the account; then the person signs in.
		u, err := n.srv.Core().AdminCreateUser(ctx, phone, "Ann", "Lee")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.srv.Core().AdminCreateUser(ctx, phone, "Ann", ""); err == nil || !strings.Contains(err.Error(), "ACCOUNT_EXISTS") {
			t.Fatalf("making the account twice: %v, want ACCOUNT_EXISTS", err)
		}
		_, a := codeSignIn(t, n, c, phone, "Test")
		if a.Status != "authorized" || a.User.ID != u.ID || a.User.FirstName != "Ann" {
			t.Fatalf("signing in to the operator's account: %+v, want user %d", a, u.ID)
		}
		if c.transport() == "http" {
			c.setToken(a.Token)
		}
		wantStatus(t, c.call("signup.createInvite", nil), 403, "MEMBER_INVITES_DISABLED", "a member's invite on a closed server")
	})
}

// TestSignupOpenLinks: a server on a loopback address takes anyone (its
// default), and hands out links on its own address.
func TestSignupOpenLinks(t *testing.T) {
	t.Parallel()
	n := startNode(t, generous...)
	c := &httpCaller{t: t, base: n.url}
	lt, a := reachSignUp(t, n, c, "+442079463001")
	if a.InviteRequired != nil {
		t.Fatalf("open sign-up: invite_required %v, want it left out", *a.InviteRequired)
	}
	// A code is not needed, and one that is not valid is ignored.
	var ok signupAuth
	signUpWith(c, lt, "Ann", "not-a-code").into(t, &ok)
	if ok.Status != "authorized" {
		t.Fatalf("open sign-up: %+v", ok)
	}
	c.setToken(ok.Token)
	wantStatus(t, c.call("signup.createInvite", nil), 403, "MEMBER_INVITES_DISABLED", "a member's invite on an open server")

	var group struct {
		ID int64 `json:"id"`
	}
	c.call("chats.createGroup", map[string]any{"title": "Club"}).into(t, &group)
	var inv struct {
		Hash string `json:"hash"`
		Link string `json:"link"`
	}
	c.call("chats.createInvite", map[string]any{"chat_id": group.ID}).into(t, &inv)
	if inv.Link != n.url+"/join/"+inv.Hash {
		t.Fatalf("chats.createInvite link %q, want %s/join/%s", inv.Link, n.url, inv.Hash)
	}
	var list []struct {
		Link string `json:"link"`
	}
	c.call("chats.invites", map[string]any{"chat_id": group.ID}).into(t, &list)
	if len(list) != 1 || list[0].Link != inv.Link {
		t.Fatalf("chats.invites: %+v, want the link %s", list, inv.Link)
	}
}

// TestJoinPage: every invite link (a sign-up invite's code or a chat
// invite's hash, on the server's public address) opens the web app, which
// signs the person in or up with the code and opens the chat. The page is
// the app's own: the same strict security headers, and nothing of the
// path is shown back by the server (the app reads it in the browser).
func TestJoinPage(t *testing.T) {
	t.Parallel()
	n := startNode(t, append(generous, "--public-url", "https://chat.example.org")...)
	inv, err := n.srv.Core().AdminCreateInvite(context.Background(), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(n.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}
	_, home := get("/")
	for _, path := range []string{"/join/" + inv.Code, "/join/Ab3_-xYz0123456Q", "/join/%3Cscript%3Ealert(1)%3C%2Fscript%3E"} {
		resp, body := get(path)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if body != home {
			t.Errorf("GET %s: not the web app's page (the app opens the invite itself)", path)
		}
		if strings.Contains(body, "alert(1)") || strings.Contains(body, inv.Code) {
			t.Errorf("GET %s: the page shows the path back", path)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, w := range []string{"script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, w) {
				t.Errorf("GET %s: Content-Security-Policy %q lacks %q", path, csp, w)
			}
		}
		for _, bad := range []string{"'unsafe-inline' 'unsafe-eval'", "'unsafe-eval'"} {
			if strings.Contains(csp, bad) {
				t.Errorf("GET %s: Content-Security-Policy %q allows %s", path, csp, bad)
			}
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("GET %s: %s %q, want %q", path, k, got, v)
			}
		}
	}
}
