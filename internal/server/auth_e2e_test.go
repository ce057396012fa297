package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

type authResult struct {
	Status string `json:"status"`
	Token  string `json:"token"`
	Hint   string `json:"password_hint"`
	User   struct {
		ID        int64  `json:"id"`
		FirstName string `json:"first_name"`
		Phone     string `json:"phone"`
		Email     string `json:"email"`
	} `json:"user"`
}

// passwordState is a PasswordState.
type passwordState struct {
	HasPassword      bool   `json:"has_password"`
	Hint             string `json:"hint"`
	HasRecoveryEmail bool   `json:"has_recovery_email"`
	Pattern          string `json:"recovery_email_pattern"`
	Pending          string `json:"pending_recovery_email_pattern"`
}

type sentCode struct {
	LoginToken string `json:"login_token"`
	Kind       string `json:"kind"`
	CodeLength int    `json:"code_length"`
	ExpiresIn  int    `json:"expires_in"`
}

func sendCode(t *testing.T, c caller, identifier, device string) sentCode {
	t.Helper()
	var s sentCode
	c.call("auth.sendCode", map[string]string{"identifier": identifier, "device": device}).into(t, &s)
	return s
}

// codeSignIn signs in, on c, someone who has an account: it sends a code
// to identifier for a new session named device and answers auth.signIn
// with it. It returns the sent code's reply (whose login token a password
// step goes on with) and auth.signIn's, whatever its status; c is given
// no token.
func codeSignIn(t *testing.T, n *node, c caller, identifier, device string) (sentCode, authResult) {
	t.Helper()
	s := sendCode(t, c, identifier, device)
	var a authResult
	c.call("auth.signIn", map[string]string{"login_token": s.LoginToken, "code": n.codes.last(t, identifier, "sign_in")}).into(t, &a)
	return s, a
}

func TestSignUpByPhoneAndEmail(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	transports(t, n, func(t *testing.T, newCaller func() caller) {
		for _, tc := range []struct{ typed, normal, kind string }{
			{"+44 20 7946 " + ph.next()[9:], "", "phone"},
			{"Ann." + t.Name()[len(t.Name())-2:] + "@Example.ORG", "ann." + t.Name()[len(t.Name())-2:] + "@example.org", "email"},
		} {
			if tc.normal == "" {
				tc.normal = strings.ReplaceAll(tc.typed, " ", "")
			}
			c := newCaller()
			s := sendCode(t, c, tc.typed, "Laptop")
			if s.Kind != tc.kind || s.CodeLength != 5 || s.ExpiresIn != 300 || !strings.HasPrefix(s.LoginToken, "hvn_") {
				t.Fatalf("sendCode(%s) = %+v", tc.typed, s)
			}
			code := n.codes.last(t, tc.normal, "sign_in")
			if len(code) != 5 {
				t.Fatalf("code %q is not 5 digits", code)
			}
			var a authResult
			c.call("auth.signIn", map[string]string{"login_token": s.LoginToken, "code": code}).into(t, &a)
			if a.Status != "sign_up_required" || a.Token != "" {
				t.Fatalf("signIn: %+v", a)
			}
			// The same code cannot be used twice.
			if r := c.call("auth.signIn", map[string]string{"login_token": s.LoginToken, "code": code}); r.code() != "LOGIN_STEP_INVALID" {
				t.Fatalf("second signIn: %s", r.code())
			}
			c.call("auth.signUp", map[string]string{"login_token": s.LoginToken, "first_name": " Ann ", "last_name": "Lee"}).into(t, &a)
			if a.Status != "authorized" || a.User.FirstName != "Ann" || !strings.HasPrefix(a.Token, "hvn_") {
				t.Fatalf("signUp: %+v", a)
			}
			if tc.kind == "phone" && a.User.Phone != tc.normal || tc.kind == "email" && a.User.Email != tc.normal {
				t.Fatalf("own profile shows %q/%q, want %s", a.User.Phone, a.User.Email, tc.normal)
			}
			// A socket is bound by the sign-up itself; HTTP needs the token.
			if _, ok := c.(*httpCaller); ok {
				c.setToken(a.Token)
			}
			var me struct {
				ID   int64 `json:"id"`
				Self bool  `json:"self"`
			}
			c.call("users.getMe", nil).into(t, &me)
			if me.ID != a.User.ID || !me.Self {
				t.Fatalf("getMe = %+v, want id %d", me, a.User.ID)
			}
			// The login token is spent.
			if r := c.call("auth.signUp", map[string]string{"login_token": s.LoginToken, "first_name": "X"}); r.code() != "LOGIN_TOKEN_INVALID" {
				t.Fatalf("reusing a login token: %s", r.code())
			}
		}
	})
}

func TestSecondDeviceAndSessions(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	transports(t, n, func(t *testing.T, newCaller func() caller) {
		phone := ph.next()
		first := newCaller()
		tok1, uid := signUp(t, n, first, phone, "Ben")

		// A socket of the first session, to see it cut when the session ends.
		watcher := dialWS(t, n.url, tok1)
		if r := watcher.call("users.getMe", nil); !r.OK {
			t.Fatalf("socket authorized by header: %s", r.code())
		}

		second := newCaller()
		_, a := codeSignIn(t, n, second, phone, "Phone")
		if a.Status != "authorized" || a.User.ID != uid {
			t.Fatalf("sign-in on a second device: %+v (want user %d)", a, uid)
		}
		if _, ok := second.(*httpCaller); ok {
			second.setToken(a.Token)
		}
		var sessions []struct {
			ID           int64  `json:"id"`
			Device       string `json:"device"`
			Current      bool   `json:"current"`
			CreatedAt    int64  `json:"created_at"`
			LastActiveAt int64  `json:"last_active_at"`
			IP           string `json:"ip"`
		}
		second.call("sessions.list", nil).into(t, &sessions)
		if len(sessions) != 2 || sessions[0].Device != "Phone" || !sessions[0].Current || sessions[1].Current || sessions[1].CreatedAt == 0 {
			t.Fatalf("sessions.list = %+v", sessions)
		}
		if sessions[0].IP != "" {
			t.Fatalf("IP logging is off by default, yet a session shows %q", sessions[0].IP)
		}
		// End the first session from the second device.
		if r := second.call("sessions.terminate", map[string]int64{"session_id": sessions[1].ID}); !r.OK {
			t.Fatalf("terminate: %s", r.code())
		}
		// Its token stops working at once, over HTTP...
		old := &httpCaller{t: t, base: n.url, token: tok1}
		if r := old.call("users.getMe", nil); r.code() != "AUTH_TOKEN_INVALID" || r.Status != 401 {
			t.Fatalf("ended session's token: %s %d", r.code(), r.Status)
		}
		// ...and its open socket is told and closed.
		select {
		case p := <-watcher.pushes:
			if !strings.Contains(string(p), `"session.ended"`) {
				t.Fatalf("push %s", p)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no session.ended push")
		}
		select {
		case code := <-watcher.closed:
			if code != 4001 {
				t.Fatalf("socket closed with %d, want 4001", code)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("socket of the ended session stayed open")
		}
		// Someone else's session cannot be ended.
		other := newCaller()
		signUp(t, n, other, ph.next(), "Eve")
		if r := other.call("sessions.terminate", map[string]int64{"session_id": sessions[0].ID}); r.code() != "SESSION_NOT_FOUND" {
			t.Fatalf("terminating another person's session: %s", r.code())
		}
		// Terminate all others: sign in twice more, then end them.
		for range 2 {
			if _, t2 := codeSignIn(t, n, newCaller(), phone, "Tablet"); t2.Status != "authorized" {
				t.Fatalf("sign-in on a tablet: %+v", t2)
			}
		}
		var ended struct {
			Count int `json:"count"`
		}
		second.call("sessions.terminateOthers", nil).into(t, &ended)
		if ended.Count != 2 {
			t.Fatalf("terminateOthers ended %d, want 2", ended.Count)
		}
		second.call("sessions.list", nil).into(t, &sessions)
		if len(sessions) != 1 || !sessions[0].Current {
			t.Fatalf("after terminateOthers: %+v", sessions)
		}
		// Logging out ends the current session: its own token (a, the
		// second device's sign-in) stops working.
		if r := (&httpCaller{t: t, base: n.url, token: a.Token}).call("users.getMe", nil); !r.OK {
			t.Fatalf("the current session's token before logOut: %s", r.code())
		}
		if r := second.call("auth.logOut", nil); !r.OK {
			t.Fatalf("logOut: %s", r.code())
		}
		if r := (&httpCaller{t: t, base: n.url, token: a.Token}).call("users.getMe", nil); r.code() != "AUTH_TOKEN_INVALID" {
			t.Fatalf("after logOut: %s", r.code())
		}
	})
}

func TestTwoStepVerification(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	transports(t, n, func(t *testing.T, newCaller func() caller) {
		phone := ph.next()
		c := newCaller()
		signUp(t, n, c, phone, "Cat")

		if r := c.call("account.setPassword", map[string]string{"new_password": "short"}); r.code() != "PASSWORD_TOO_SHORT" {
			t.Fatalf("short password: %s", r.code())
		}
		if r := c.call("account.setPassword", map[string]string{"new_password": "correct horse", "hint": "correct horse"}); r.code() != "PASSWORD_HINT_INVALID" {
			t.Fatalf("hint equal to the password: %s", r.code())
		}
		var st passwordState
		c.call("account.setPassword", map[string]string{"new_password": "correct horse", "hint": "stable", "recovery_email": "cat@example.net"}).into(t, &st)
		if !st.HasPassword || st.Hint != "stable" || st.HasRecoveryEmail || st.Pending != "c***@example.net" {
			t.Fatalf("setPassword: %+v", st)
		}
		st = passwordState{}
		c.call("account.confirmRecoveryEmail", map[string]string{"code": n.codes.last(t, "cat@example.net", "recovery_email")}).into(t, &st)
		if !st.HasRecoveryEmail || st.Pattern != "c***@example.net" || st.Pending != "" {
			t.Fatalf("confirmRecoveryEmail: %+v", st)
		}
		// Changing it needs the current one.
		if r := c.call("account.setPassword", map[string]string{"new_password": "battery staple"}); r.code() != "PASSWORD_REQUIRED" {
			t.Fatalf("change without current: %s", r.code())
		}
		if r := c.call("account.setPassword", map[string]string{"current_password": "wrong one", "new_password": "battery staple"}); r.code() != "PASSWORD_INVALID" {
			t.Fatalf("change with a wrong current: %s", r.code())
		}
		c.call("account.setPassword", map[string]string{"current_password": "correct horse", "new_password": "battery staple", "hint": "stable", "recovery_email": "cat@example.net"}).into(t, &st)

		// Sign in on a new device: code, then password.
		d := newCaller()
		s, a := codeSignIn(t, n, d, phone, "Desktop")
		if a.Status != "password_required" || a.Hint != "stable" || a.Token != "" {
			t.Fatalf("signIn with a password set: %+v", a)
		}
		if r := d.call("users.getMe", nil); r.code() != "AUTH_REQUIRED" && r.code() != "AUTH_TOKEN_INVALID" {
			t.Fatalf("not signed in before the password: %s", r.code())
		}
		if r := d.call("auth.checkPassword", map[string]string{"login_token": s.LoginToken, "password": "correct horse"}); r.code() != "PASSWORD_INVALID" {
			t.Fatalf("old password: %s", r.code())
		}
		d.call("auth.checkPassword", map[string]string{"login_token": s.LoginToken, "password": "battery staple"}).into(t, &a)
		if a.Status != "authorized" || a.Token == "" {
			t.Fatalf("checkPassword: %+v", a)
		}

		// Forgotten password: recovery by email signs in and removes it.
		e := newCaller()
		s, a = codeSignIn(t, n, e, phone, "Other")
		var rec struct {
			Pattern string `json:"email_pattern"`
		}
		e.call("auth.requestPasswordRecovery", map[string]string{"login_token": s.LoginToken}).into(t, &rec)
		if rec.Pattern != "c***@example.net" {
			t.Fatalf("recovery pattern %q", rec.Pattern)
		}
		if r := e.call("auth.recoverPassword", map[string]string{"login_token": s.LoginToken, "code": "00000"}); r.code() != "CODE_INVALID" && n.codes.last(t, "cat@example.net", "password_recovery") != "00000" {
			t.Fatalf("wrong recovery code: %s", r.code())
		}
		e.call("auth.recoverPassword", map[string]string{"login_token": s.LoginToken, "code": n.codes.last(t, "cat@example.net", "password_recovery")}).into(t, &a)
		if a.Status != "authorized" {
			t.Fatalf("recoverPassword: %+v", a)
		}
		c.call("account.getPassword", nil).into(t, &st)
		if st.HasPassword {
			t.Fatal("recovery left the password set")
		}
		// Set again, then remove with the current password.
		c.call("account.setPassword", map[string]string{"new_password": "third one!"}).into(t, &st)
		if r := c.call("account.removePassword", map[string]string{"current_password": "nope nope"}); r.code() != "PASSWORD_INVALID" {
			t.Fatalf("remove with a wrong password: %s", r.code())
		}
		if r := c.call("account.removePassword", map[string]string{"current_password": "third one!"}); !r.OK {
			t.Fatalf("removePassword: %s", r.code())
		}
		if r := c.call("account.removePassword", map[string]string{"current_password": "third one!"}); r.code() != "PASSWORD_NOT_SET" {
			t.Fatalf("remove twice: %s", r.code())
		}
	})
}

func TestCodeRules(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	transports(t, n, func(t *testing.T, newCaller func() caller) {
		c := newCaller()
		phone := ph.next()
		s := sendCode(t, c, phone, "")
		code := n.codes.last(t, phone, "sign_in")
		wrong := "00000"
		if code == wrong {
			wrong = "11111"
		}
		for i := 1; i <= 4; i++ {
			r := c.call("auth.signIn", map[string]string{"login_token": s.LoginToken, "code": wrong})
			if r.code() != "CODE_INVALID" || r.Status != 0 && r.Status != 400 {
				t.Fatalf("wrong code %d: %s %d", i, r.code(), r.Status)
			}
		}
		if r := c.call("auth.signIn", map[string]string{"login_token": s.LoginToken, "code": wrong}); r.code() != "CODE_ATTEMPTS_EXCEEDED" {
			t.Fatalf("fifth wrong code: %s", r.code())
		}
		if r := c.call("auth.signIn", map[string]string{"login_token": s.LoginToken, "code": code}); r.code() != "LOGIN_TOKEN_INVALID" {
			t.Fatalf("right code after five wrong ones: %s", r.code())
		}
		// A code expires after five minutes.
		s = sendCode(t, c, phone, "")
		code = n.codes.last(t, phone, "sign_in")
		n.clock.Advance(5*time.Minute + time.Second)
		if r := c.call("auth.signIn", map[string]string{"login_token": s.LoginToken, "code": code}); r.code() != "CODE_EXPIRED" {
			t.Fatalf("expired code: %s", r.code())
		}
		// Invalid identifiers.
		for _, id := range []string{"12345", "+1 000", "not an email@", "ann@@example.org", strings.Repeat("9", 40)} {
			r := c.call("auth.sendCode", map[string]string{"identifier": id})
			if r.code() != "PHONE_INVALID" && r.code() != "EMAIL_INVALID" {
				t.Fatalf("sendCode(%q): %s", id, r.code())
			}
		}
		if r := c.call("auth.signIn", map[string]string{"login_token": "hvn_forged", "code": "12345"}); r.code() != "LOGIN_TOKEN_INVALID" {
			t.Fatalf("forged login token: %s", r.code())
		}
	})
}

func TestCodeRateLimits(t *testing.T) {
	n := startNode(t, "--signin-code-per-identifier", "2", "--signin-code-per-ip", "3")
	c := &httpCaller{t: t, base: n.url}
	sendCode(t, c, "+442079460001", "")
	sendCode(t, c, "+442079460001", "")
	r := c.call("auth.sendCode", map[string]string{"identifier": "+442079460001"})
	if r.code() != "FLOOD_WAIT" || r.Status != 429 || r.Error.RetryAfter < 1 {
		t.Fatalf("third code for one number: %s %d %+v", r.code(), r.Status, r.Error)
	}
	sendCode(t, c, "+442079460002", "")
	r = c.call("auth.sendCode", map[string]string{"identifier": "+442079460003"})
	if r.code() != "FLOOD_WAIT" {
		t.Fatalf("fourth code from one address: %s", r.code())
	}
	// An hour later both limits have room again.
	n.clock.Advance(time.Hour)
	sendCode(t, c, "+442079460001", "")
}

func TestFloodControl(t *testing.T) {
	n := startNode(t, "--flood-rate", "1", "--flood-burst", "3", "--signin-code-per-ip", "1000")
	c := &httpCaller{t: t, base: n.url}
	signUp(t, n, c, "+442079460001", "Flo")
	var last reply
	for range 4 {
		last = c.call("privacy.get", nil)
	}
	if last.code() != "FLOOD_WAIT" || last.Status != 429 || last.Error.RetryAfter != 1 {
		t.Fatalf("fourth call in a burst of 3: %s %d", last.code(), last.Status)
	}
	// Another method has its own bucket.
	if r := c.call("users.getMe", nil); !r.OK {
		t.Fatalf("another method: %s", r.code())
	}
	n.clock.Advance(2 * time.Second)
	if r := c.call("privacy.get", nil); !r.OK {
		t.Fatalf("after waiting: %s", r.code())
	}
}

// TestFloodControlOff: flood-rate 0 (for benchmarks) lets every method,
// the strict sign-in ones too, be called past any burst, and the server
// warns in its log that it is so.
func TestFloodControlOff(t *testing.T) {
	n := startNode(t, "--flood-rate", "0", "--flood-burst", "1", "--signin-code-per-ip", "1000")
	if !strings.Contains(n.logs.String(), "FLOOD CONTROL IS OFF") {
		t.Fatalf("no warning in the log:\n%s", n.logs.String())
	}
	c := &httpCaller{t: t, base: n.url}
	signUp(t, n, c, "+442079460001", "Flo")
	for i := range 100 {
		if r := c.call("privacy.get", nil); !r.OK {
			t.Fatalf("call %d of a burst with flood control off: %s", i+1, r.code())
		}
	}
	// auth.sendCode has a stricter rule (a sixth of the default) when
	// flood control is on; off, it is as free as the rest.
	anon := &httpCaller{t: t, base: n.url}
	for i := range 20 {
		if r := anon.call("auth.sendCode", map[string]string{"identifier": fmt.Sprintf("+4420794601%02d", i)}); !r.OK {
			t.Fatalf("code %d with flood control off: %s", i+1, r.code())
		}
	}
}

func TestSecretsStayOutOfLogs(t *testing.T) {
	n := startNode(t, generous...)
	c := &httpCaller{t: t, base: n.url}
	tok, _ := signUp(t, n, c, "+442079460042", "Sam")
	c.call("account.setPassword", map[string]string{"new_password": "hunter2hunter2"}).into(t, new(json.RawMessage))
	logs := n.logs.String()
	for _, secret := range []string{tok, tok[4:], "hunter2hunter2"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains a secret %q", secret)
		}
	}
	// Codes are five digits, which a port number may also be: look for
	// them as logged values.
	for _, code := range n.codes.all() {
		if strings.Contains(logs, "="+code) || strings.Contains(logs, `"`+code+`"`) {
			t.Errorf("the log contains the code %s", code)
		}
	}
}

func TestIPLoggingShowsApproximateLocation(t *testing.T) {
	n := startNode(t, append([]string{"--ip-logging"}, generous...)...)
	c := &httpCaller{t: t, base: n.url}
	signUp(t, n, c, "+442079460001", "Ida")
	var sessions []struct {
		IP       string `json:"ip"`
		Location string `json:"location"`
	}
	c.call("sessions.list", nil).into(t, &sessions)
	if len(sessions) != 1 || sessions[0].IP != "127.0.0.1" || sessions[0].Location != "127.0.0.0/24" {
		t.Fatalf("with IP logging: %+v", sessions)
	}
}
