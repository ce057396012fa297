package server_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/server"
)

// restart stops n's server and starts another on the same data
// directory, clock and code inbox, with args (the base settings are
// startNode's), as an operator restarting the process would.
func (n *node) restart(t *testing.T, args ...string) {
	t.Helper()
	n.restartWith(t, server.Options{}, args...)
}

// restartWith is restart with options for the new server (its Log and
// Clock are the node's own).
func (n *node) restartWith(t *testing.T, opt server.Options, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	all := append([]string{"--listen", "127.0.0.1:0", "--data-dir", n.dir, "--code-sender", "webhook=" + n.codes.srv.URL, "--log-level", "debug"}, n.db...)
	all = append(all, args...)
	cfg, err := config.LoadServe(all, nil, io.Discard)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	log := slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opt.Log, opt.Clock = log, n.clock
	if n.srv, err = server.New(context.Background(), cfg, opt); err != nil {
		t.Fatalf("server.New: %v", err)
	}
	if err := n.srv.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	n.url = n.srv.URL()
}

// floodWait checks that r is FLOOD_WAIT with a wait of about want
// (within a second, as the server rounds up) and returns the wait.
func floodWait(t *testing.T, r reply, want time.Duration, what string) time.Duration {
	t.Helper()
	if r.code() != "FLOOD_WAIT" || r.Error.RetryAfter < 1 {
		t.Fatalf("%s: %s %+v, want FLOOD_WAIT with a retry_after", what, r.code(), r.Error)
	}
	if r.Status != 0 && r.Status != 429 {
		t.Fatalf("%s: HTTP %d, want 429", what, r.Status)
	}
	got := time.Duration(r.Error.RetryAfter) * time.Second
	if want > 0 && (got < want || got > want+time.Second) {
		t.Fatalf("%s: retry_after %v, want %v", what, got, want)
	}
	return got
}

// TestCodeLimitsSurviveRestart: the codes sent to a number, and asked
// for from an address, are counted in the store, so a restart does not
// give an attacker a fresh allowance.
func TestCodeLimitsSurviveRestart(t *testing.T) {
	args := []string{"--signin-code-per-identifier", "2", "--signin-code-per-ip", "3"}
	n := startNode(t, args...)
	c := &httpCaller{t: t, base: n.url}
	sendCode(t, c, "+442079460001", "")
	sendCode(t, c, "+442079460001", "")
	n.restart(t, args...)
	c = &httpCaller{t: t, base: n.url}
	floodWait(t, c.call("auth.sendCode", map[string]string{"identifier": "+442079460001"}), 30*time.Minute, "a third code for one number after a restart")
	sendCode(t, c, "+442079460002", "")
	n.restart(t, args...)
	c = &httpCaller{t: t, base: n.url}
	floodWait(t, c.call("auth.sendCode", map[string]string{"identifier": "+442079460003"}), 20*time.Minute, "a fourth code from one address after a restart")
	// The buckets refill with time: one code per 30 minutes per number.
	n.clock.Advance(30 * time.Minute)
	sendCode(t, c, "+442079460001", "")
}

// TestWrongCodesPerDay: past the day's wrong guesses for a number, a
// code is not even checked (the right one neither, so the answer tells
// nothing), whatever the attempt and across restarts; a right code does
// not count.
func TestWrongCodesPerDay(t *testing.T) {
	args := append(append([]string{}, generous...), "--signin-guesses-per-day", "7")
	n := startNode(t, args...)
	c := &httpCaller{t: t, base: n.url}
	const phone = "+442079460001"
	signUp(t, n, c, phone, "Ann")

	wrongFor := func(code string) string {
		if code == "00000" {
			return "11111"
		}
		return "00000"
	}
	// Five wrong on a first code (which ends it), two on a second.
	s := sendCode(t, c, phone, "")
	w := wrongFor(n.codes.last(t, phone, "sign_in"))
	for i := range 5 {
		if r := c.call("auth.signIn", map[string]string{"login_token": s.LoginToken, "code": w}); r.code() != "CODE_INVALID" && r.code() != "CODE_ATTEMPTS_EXCEEDED" {
			t.Fatalf("wrong code %d: %s", i+1, r.code())
		}
	}
	// A right code in between costs nothing.
	_, a := codeSignIn(t, n, c, phone, "")
	if a.Status != "authorized" {
		t.Fatalf("the right code: %+v", a)
	}
	s = sendCode(t, c, phone, "")
	right := n.codes.last(t, phone, "sign_in")
	for i := range 2 {
		if r := c.call("auth.signIn", map[string]string{"login_token": s.LoginToken, "code": wrongFor(right)}); r.code() != "CODE_INVALID" {
			t.Fatalf("wrong code %d of the second attempt: %s", i+1, r.code())
		}
	}
	// The eighth guess of the day is not checked: the right code too
	// answers FLOOD_WAIT, after a restart as well. One guess comes back
	// every 24h/7.
	every := 24 * time.Hour / 7
	n.restart(t, args...)
	c = &httpCaller{t: t, base: n.url}
	wait := floodWait(t, c.call("auth.signIn", map[string]string{"login_token": s.LoginToken, "code": right}), every, "the right code past the day's wrong ones")
	// The attempt was not spent by the refusal: after the wait, within
	// the code's life, it works. (The code lives 5 minutes: send a new
	// one once the wait is over.)
	n.clock.Advance(wait)
	_, a = codeSignIn(t, n, c, phone, "")
	if a.Status != "authorized" {
		t.Fatalf("after the wait: %+v", a)
	}
	// Another number has its own count.
	signUp(t, n, c, "+442079460002", "Bob")
}

// TestPasswordGuessesLimited: wrong passwords count against the account
// wherever they are given — at sign-in and in every method that asks for
// the current password — and past the limit none is checked.
func TestPasswordGuessesLimited(t *testing.T) {
	args := append(append([]string{}, generous...), "--signin-guesses-per-day", "4")
	n := startNode(t, args...)
	var ph phones
	phone := ph.next()
	c := &httpCaller{t: t, base: n.url}
	_, aid := signUp(t, n, c, phone, "Ann")
	c.call("account.setPassword", map[string]string{"new_password": "correct horse"}).into(t, new(passwordState))
	var g chatInfo
	c.call("chats.createGroup", map[string]any{"title": "Mine"}).into(t, &g)

	wrong := []struct {
		method string
		params map[string]any
	}{
		{"account.setPassword", map[string]any{"current_password": "nope", "new_password": "battery staple"}},
		{"account.removePassword", map[string]any{"current_password": "nope"}},
		{"account.delete", map[string]any{"password": "nope"}},
		{"chats.transferOwnership", map[string]any{"chat_id": g.ID, "user_id": aid, "password": "nope"}},
	}
	for _, w := range wrong {
		if r := c.call(w.method, w.params); r.code() != "PASSWORD_INVALID" {
			t.Fatalf("%s with a wrong password: %s", w.method, r.code())
		}
	}
	// A right password costs nothing, but only while guesses are left:
	// now every check answers FLOOD_WAIT, the right password too, and
	// the sign-in's password step as well.
	every := 24 * time.Hour / 4
	for _, w := range wrong {
		floodWait(t, c.call(w.method, w.params), every, w.method+" past the limit")
	}
	floodWait(t, c.call("account.removePassword", map[string]any{"current_password": "correct horse"}), every, "the right password past the limit")
	d := &httpCaller{t: t, base: n.url}
	s, a := codeSignIn(t, n, d, phone, "Laptop")
	if a.Status != "password_required" {
		t.Fatalf("sign-in: %+v", a)
	}
	floodWait(t, d.call("auth.checkPassword", map[string]string{"login_token": s.LoginToken, "password": "correct horse"}), every, "auth.checkPassword past the limit")

	// One guess back after the wait: the right one passes and costs
	// nothing, so the next wrong one is still answered.
	n.clock.Advance(every)
	s, _ = codeSignIn(t, n, d, phone, "Laptop")
	d.call("auth.checkPassword", map[string]string{"login_token": s.LoginToken, "password": "correct horse"}).into(t, &a)
	if a.Status != "authorized" {
		t.Fatalf("checkPassword after the wait: %+v", a)
	}
	if r := c.call("account.removePassword", map[string]any{"current_password": "nope"}); r.code() != "PASSWORD_INVALID" {
		t.Fatalf("a wrong password with a guess left: %s", r.code())
	}
	floodWait(t, c.call("account.removePassword", map[string]any{"current_password": "nope"}), every, "the next")
}

// TestLimitKeysAreHashed: what the limits keep of a phone number, an
// email or an IP address is an HMAC, not the value.
func TestLimitKeysAreHashed(t *testing.T) {
	sqliteOnly(t, "it reads the rate-limit rows from the SQLite file")
	n := startNode(t, generous...)
	c := &httpCaller{t: t, base: n.url}
	signUp(t, n, c, "+442079460001", "Ann")
	c.call("contacts.import", map[string]any{"contacts": []map[string]string{
		{"phone": "+442079460077", "first_name": "Someone"}, {"email": "someone@example.net", "first_name": "Else"}}}).into(t, new(importResult))
	s := sendCode(t, c, "+442079460001", "")
	c.call("auth.signIn", map[string]string{"login_token": s.LoginToken, "code": "9999"}) // a wrong guess is counted

	db, err := sql.Open("sqlite", "file:"+filepath.Join(n.dir, "haven.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := 0
	for _, q := range []string{`SELECT key FROM rate_limits`, `SELECT key FROM contact_lookups`} {
		rs, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var k []byte
			if err := rs.Scan(&k); err != nil {
				t.Fatal(err)
			}
			rows++
			for _, clear := range []string{"442079460001", "442079460077", "someone@example.net", "127.0.0.1"} {
				if len(k) != 32 || strings.Contains(string(k), clear) {
					t.Errorf("%s: a key %q is not a 32-byte HMAC of %s", q, k, clear)
				}
			}
		}
		rs.Close()
	}
	if rows < 5 { // codes to the number and from the address, a guess, two lookups
		t.Fatalf("only %d keys kept: are the limits in the store?", rows)
	}
}

// TestRecoveryEmailConfirmed: a recovery email is used only once the
// code sent to it has been entered; until then it shows as pending and
// recovery answers as if there were none.
func TestRecoveryEmailConfirmed(t *testing.T) {
	n := startNode(t, append(append([]string{}, generous...), "--signin-code-per-identifier", "3")...)
	var ph phones
	phone := ph.next()
	c := &httpCaller{t: t, base: n.url}
	signUp(t, n, c, phone, "Cat")
	state := func(r reply) passwordState {
		t.Helper()
		var st passwordState
		r.into(t, &st)
		return st
	}
	const addr = "cat@example.net"
	st := state(c.call("account.setPassword", map[string]string{"new_password": "correct horse", "recovery_email": addr}))
	if !st.HasPassword || st.HasRecoveryEmail || st.Pattern != "" || st.Pending != "c***@example.net" {
		t.Fatalf("setPassword with a new recovery email: %+v", st)
	}
	if st := state(c.call("account.getPassword", nil)); st.Pending != "c***@example.net" || st.HasRecoveryEmail {
		t.Fatalf("getPassword while pending: %+v", st)
	}
	code := n.codes.last(t, addr, "recovery_email")

	// Until confirmed, recovery has no address to use.
	d := &httpCaller{t: t, base: n.url}
	s, a := codeSignIn(t, n, d, phone, "Laptop")
	if a.Status != "password_required" {
		t.Fatalf("sign-in: %+v", a)
	}
	wantCode(t, d.call("auth.requestPasswordRecovery", map[string]string{"login_token": s.LoginToken}), "PASSWORD_RECOVERY_UNAVAILABLE", "recovery to a pending address")

	// Wrong codes count: the fifth ends the confirmation.
	wrong := "00000"
	if code == wrong {
		wrong = "11111"
	}
	for i := 1; i <= 4; i++ {
		wantCode(t, c.call("account.confirmRecoveryEmail", map[string]string{"code": wrong}), "CODE_INVALID", "a wrong confirmation code")
	}
	wantCode(t, c.call("account.confirmRecoveryEmail", map[string]string{"code": wrong}), "CODE_ATTEMPTS_EXCEEDED", "the fifth wrong code")
	wantCode(t, c.call("account.confirmRecoveryEmail", map[string]string{"code": code}), "CODE_EXPIRED", "the right code after five wrong ones")
	if st := state(c.call("account.getPassword", nil)); st.Pending != "" || st.HasRecoveryEmail {
		t.Fatalf("after too many wrong codes: %+v", st)
	}

	// Set again: a new code; it expires with the sign-in codes' life.
	c.call("account.setPassword", map[string]string{"current_password": "correct horse", "new_password": "correct horse", "recovery_email": addr}).into(t, new(passwordState))
	n.clock.Advance(5*time.Minute + time.Second)
	wantCode(t, c.call("account.confirmRecoveryEmail", map[string]string{"code": n.codes.last(t, addr, "recovery_email")}), "CODE_EXPIRED", "an expired code")
	// Codes to one address are limited like sign-in codes (3 an hour
	// here): the fourth is refused, and nothing changes.
	c.call("account.setPassword", map[string]string{"current_password": "correct horse", "new_password": "correct horse", "recovery_email": addr}).into(t, new(passwordState))
	r := c.call("account.setPassword", map[string]string{"current_password": "correct horse", "new_password": "another one", "recovery_email": addr})
	floodWait(t, r, 0, "a fourth code to the address within the hour")
	wantCode(t, c.call("account.removePassword", map[string]string{"current_password": "another one"}), "PASSWORD_INVALID", "the password of a refused change")

	// The newest code confirms it; then recovery goes to it.
	st = state(c.call("account.confirmRecoveryEmail", map[string]string{"code": n.codes.last(t, addr, "recovery_email")}))
	if !st.HasRecoveryEmail || st.Pattern != "c***@example.net" || st.Pending != "" {
		t.Fatalf("confirmRecoveryEmail: %+v", st)
	}
	wantCode(t, c.call("account.confirmRecoveryEmail", map[string]string{"code": "12345"}), "CODE_EXPIRED", "confirming with nothing pending")
	n.clock.Advance(20 * time.Minute) // a code back for the number and the address
	s, _ = codeSignIn(t, n, d, phone, "Laptop")
	var rec struct {
		Pattern string `json:"email_pattern"`
	}
	d.call("auth.requestPasswordRecovery", map[string]string{"login_token": s.LoginToken}).into(t, &rec)
	if rec.Pattern != "c***@example.net" {
		t.Fatalf("recovery pattern %q", rec.Pattern)
	}
	d.call("auth.recoverPassword", map[string]string{"login_token": s.LoginToken, "code": n.codes.last(t, addr, "password_recovery")}).into(t, &a)
	if a.Status != "authorized" {
		t.Fatalf("recoverPassword: %+v", a)
	}

	// Recovery removed the password and its address. Set both again (an
	// hour later: the address has had its codes for this hour) and
	// confirm; then changing the password keeps the confirmed address
	// without a new code, and a new address waits while the confirmed
	// one stays in use.
	n.clock.Advance(time.Hour)
	c.call("account.setPassword", map[string]string{"new_password": "third one!", "recovery_email": addr}).into(t, new(passwordState))
	c.call("account.confirmRecoveryEmail", map[string]string{"code": n.codes.last(t, addr, "recovery_email")}).into(t, new(passwordState))
	sent := n.codes.count(addr, "recovery_email")
	st = state(c.call("account.setPassword", map[string]string{"current_password": "third one!", "new_password": "fourth one", "recovery_email": addr}))
	if !st.HasRecoveryEmail || st.Pending != "" || n.codes.count(addr, "recovery_email") != sent {
		t.Fatalf("a new password with the confirmed address: %+v, codes %d → %d", st, sent, n.codes.count(addr, "recovery_email"))
	}
	st = state(c.call("account.setPassword", map[string]string{"current_password": "fourth one", "new_password": "fourth one", "recovery_email": "cat2@example.net"}))
	if st.Pattern != "c***@example.net" || st.Pending != "c***@example.net" || !st.HasRecoveryEmail {
		t.Fatalf("a new address while one is confirmed: %+v", st)
	}
}

// count is how many codes were sent to to for purpose.
func (b *inbox) count(to, purpose string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.codes[to+"|"+purpose])
}
