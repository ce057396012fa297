package main

// These tests run the real haven binary, built once by TestMain, as an
// operator or a person on a laptop would: flags, environment, config
// files, the log on stderr, signals and exit statuses.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// testVersion is stamped into the binary the way a release is
// (-ldflags "-X main.version=..."), so that "haven version" is checked
// against a known value.
const testVersion = "v0.0.0-binarytest"

// havenBin is the binary built by TestMain.
var havenBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "haven-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	havenBin = filepath.Join(dir, "haven")
	// go test puts its own toolchain first on PATH.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-ldflags=-X main.version="+testVersion, "-o", havenBin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building haven: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// cleanEnv is the test's environment without HAVEN_* variables (which
// would be settings, or errors) plus extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HAVEN_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// syncBuffer collects a process's output; it is safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// result is how a short-lived run of the binary ended.
type result struct {
	code           int
	stdout, stderr string
}

// runHaven runs the binary to completion (at most 20 s) in dir, with
// nothing on its standard input.
func runHaven(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	return runTalking(t, dir, env, nil, args...)
}

// runTalking runs the binary to completion (at most 20 s) in dir. While
// it runs, talk (unless nil) writes its standard input, which is closed
// when talk returns; talk runs on the test's goroutine, so it may wait
// for the server and fail the test.
func runTalking(t *testing.T, dir string, env []string, talk func(stdin io.Writer), args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, havenBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdin io.WriteCloser
	if talk != nil {
		var err error
		if stdin, err = cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Start()
	if err == nil {
		if talk != nil {
			talk(stdin)
			stdin.Close()
		}
		err = cmd.Wait()
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("haven %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("haven %s did not finish within 20s\nstderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// proc is a haven server process.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer // the log
	exited chan struct{}
	url    string // base URL, once serving
}

// start starts "haven serve args..." in dir without waiting for it.
func start(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(havenBin, append([]string{"serve"}, args...)...)
	p.cmd.Dir = dir
	p.cmd.Env = cleanEnv()
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting haven: %v", err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("log of haven (pid %d):\n%s", p.cmd.Process.Pid, p.stderr.String())
		}
	})
	return p
}

// startServing starts "haven serve --listen 127.0.0.1:0 --data-dir dataDir args..."
// and waits until it serves.
func startServing(t *testing.T, dataDir string, args ...string) *proc {
	t.Helper()
	p := start(t, t.TempDir(), append([]string{"--listen", "127.0.0.1:0", "--data-dir", dataDir}, args...)...)
	p.waitServing()
	return p
}

var servingLine = regexp.MustCompile(`(?m)^.*level=INFO msg="haven is serving" url=(\S+).*$`)

// waitServing waits for the log line that gives the server's URL.
func (p *proc) waitServing() string {
	p.t.Helper()
	m := p.waitLog(servingLine, 1, 15*time.Second)
	p.url = m[0][1]
	return p.url
}

// waitLog waits until the log has n lines matching re and returns the
// submatches of each; it fails the test on a timeout or if the process
// exits first.
func (p *proc) waitLog(re *regexp.Regexp, n int, timeout time.Duration) [][]string {
	p.t.Helper()
	deadline := time.After(timeout)
	for {
		if m := re.FindAllStringSubmatch(p.stderr.String(), -1); len(m) >= n {
			return m
		}
		select {
		case <-p.exited:
			if m := re.FindAllStringSubmatch(p.stderr.String(), -1); len(m) >= n {
				return m
			}
			p.t.Fatalf("haven exited (%v) before logging %d lines matching %s", p.cmd.ProcessState, n, re)
		case <-deadline:
			p.t.Fatalf("haven did not log %d lines matching %s within %v", n, re, timeout)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// signal sends sig to the process.
func (p *proc) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signalling haven: %v", err)
	}
}

// wait waits for the process to exit and returns its exit status (-1 if
// a signal killed it).
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		p.t.Fatalf("haven did not exit within %v", timeout)
		return 0
	}
}

// stop ends the process with SIGTERM and expects it to exit cleanly.
func (p *proc) stop() {
	p.t.Helper()
	p.signal(syscall.SIGTERM)
	if code := p.wait(15 * time.Second); code != 0 {
		p.t.Errorf("exit %d after SIGTERM, want 0", code)
	}
}

// loginCodeLine is the line the default "log" code sender writes.
var loginCodeLine = regexp.MustCompile(`(?m)^.*msg="LOGIN CODE".*$`)

// code waits for the n-th (from 1) LOGIN CODE line and checks that it is
// the clearly marked line the README promises: Warn level, the number it
// was sent to, a five-digit code and its purpose.
func (p *proc) code(to string, n int) string {
	p.t.Helper()
	line := p.waitLog(loginCodeLine, n, 5*time.Second)[n-1][0]
	want := regexp.MustCompile(`^time=\S+ level=WARN msg="LOGIN CODE" to=` + regexp.QuoteMeta(to) + ` code=([0-9]{5}) purpose=sign_in$`)
	m := want.FindStringSubmatch(line)
	if m == nil {
		p.t.Fatalf("login code line %q does not match %s", line, want)
	}
	return m[1]
}

// envelope is every API answer.
type envelope struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// authorization is the result of the sign-in methods.
type authorization struct {
	Status string `json:"status"`
	Token  string `json:"token"`
	User   user   `json:"user"`
}

type user struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	Username  string `json:"username"`
	Phone     string `json:"phone"`
}

type sentCode struct {
	LoginToken string `json:"login_token"`
	Kind       string `json:"kind"`
	CodeLength int    `json:"code_length"`
}

var client = &http.Client{Timeout: 10 * time.Second}

// call POSTs params to /api/method, fails the test unless the answer is
// 200 with ok:true, and decodes the result into out (if not nil).
func call(t testing.TB, base, method, token string, params, out any) {
	t.Helper()
	body, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", base+"/api/"+method, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: reading the answer: %v", method, err)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("%s: HTTP %d, not an envelope: %q", method, resp.StatusCode, raw)
	}
	if resp.StatusCode != http.StatusOK || !env.OK {
		t.Fatalf("%s: HTTP %d: %s", method, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(env.Result, out); err != nil {
			t.Fatalf("%s: decoding %s: %v", method, env.Result, err)
		}
	}
}

// signIn asks p for a code for phone (the n-th code p logs) and enters
// it; it returns the login token and the signIn result.
func signIn(t *testing.T, p *proc, phone string, n int) (string, authorization) {
	t.Helper()
	var sent sentCode
	call(t, p.url, "auth.sendCode", "", map[string]string{"identifier": phone, "device": "binary test"}, &sent)
	if sent.LoginToken == "" || sent.Kind != "phone" || sent.CodeLength != 5 {
		t.Fatalf("auth.sendCode: %+v", sent)
	}
	var auth authorization
	call(t, p.url, "auth.signIn", "", map[string]string{"login_token": sent.LoginToken, "code": p.code(phone, n)}, &auth)
	return sent.LoginToken, auth
}

// signUp makes a new account for phone on p, reading the code (the n-th
// p logs) from the log; it returns the session token and the user.
func signUp(t *testing.T, p *proc, phone, firstName string, n int) (string, user) {
	t.Helper()
	loginToken, auth := signIn(t, p, phone, n)
	if auth.Status != "sign_up_required" {
		t.Fatalf("auth.signIn of a new number: status %q, want sign_up_required", auth.Status)
	}
	call(t, p.url, "auth.signUp", "", map[string]string{"login_token": loginToken, "first_name": firstName}, &auth)
	if auth.Status != "authorized" || auth.Token == "" || auth.User.ID == 0 || auth.User.FirstName != firstName {
		t.Fatalf("auth.signUp: %+v", auth)
	}
	return auth.Token, auth.User
}

// wantAuthorized signs phone in again on p (the n-th code p logs) and
// checks that it is the existing account want, not a new sign-up.
func wantAuthorized(t *testing.T, p *proc, phone string, n int, want user) {
	t.Helper()
	_, auth := signIn(t, p, phone, n)
	if auth.Status != "authorized" {
		t.Fatalf("signing in again after the restart: status %q, want authorized (the account is gone)", auth.Status)
	}
	if auth.User.ID != want.ID || auth.Token == "" {
		t.Fatalf("signing in again after the restart: %+v, want user %d", auth, want.ID)
	}
	var me user
	call(t, p.url, "users.getMe", auth.Token, struct{}{}, &me)
	if me.ID != want.ID || me.FirstName != want.FirstName || me.Username != want.Username || me.Phone != phone {
		t.Fatalf("users.getMe after the restart: %+v, want %+v", me, want)
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := cleanEnv()

	r := runHaven(t, dir, env, "version")
	if r.code != 0 || r.stdout != "haven "+testVersion+"\n" {
		t.Errorf("haven version: exit %d, stdout %q; want 0 and %q", r.code, r.stdout, "haven "+testVersion+"\n")
	}
	r = runHaven(t, dir, env, "--version")
	if r.code != 0 || !strings.Contains(r.stdout, testVersion) {
		t.Errorf("haven --version: exit %d, stdout %q", r.code, r.stdout)
	}

	r = runHaven(t, dir, env)
	if r.code != 2 || !strings.Contains(r.stderr, "Usage:") || !strings.Contains(r.stderr, "haven serve") {
		t.Errorf("haven with no arguments: exit %d, stderr %q; want 2 and the usage", r.code, r.stderr)
	}

	r = runHaven(t, dir, env, "frobnicate")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) || !strings.Contains(r.stderr, "Usage:") {
		t.Errorf("haven frobnicate: exit %d, stderr %q; want 2, the command named and the usage", r.code, r.stderr)
	}

	for _, help := range []string{"help", "--help", "-h"} {
		r = runHaven(t, dir, env, help)
		if r.code != 0 || !strings.Contains(r.stdout, "haven serve") {
			t.Errorf("haven %s: exit %d, stdout %q; want 0 and the usage", help, r.code, r.stdout)
		}
	}
	assertNoDataDir(t, dir)
}

// serveSettings are all the settings of haven serve (internal/config).
var serveSettings = []string{
	"listen", "data-dir",
	"public-url", "signup", "signup-phone-prefixes", "signup-email-domains", "signup-member-invites", "signup-member-invite-ttl",
	"log-format", "log-level",
	"tls-cert", "tls-key",
	"acme-domain", "acme-email", "acme-cache-dir", "acme-directory-url",
	"code-sender", "webhook-auth",
	"smtp-host", "smtp-port", "smtp-username", "smtp-password", "smtp-from", "smtp-tls",
	"push-key-file", "push-contact", "push-workers", "push-queue", "push-timeout", "push-per-session", "push-allow-private",
	"ip-logging", "shutdown-timeout", "max-body", "max-file-size",
	"blob-store", "s3-endpoint", "s3-bucket", "s3-access-key", "s3-secret-key", "s3-region", "s3-tls",
	"flood-rate", "flood-burst", "signin-code-per-identifier", "signin-code-per-ip",
	"config", "secret-file",
}

func TestServeHelp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, arg := range []string{"--help", "-h"} {
		r := runHaven(t, dir, cleanEnv(), "serve", arg)
		if r.code != 0 {
			t.Fatalf("haven serve %s: exit %d; stderr:\n%s", arg, r.code, r.stderr)
		}
		// Asked-for help is output, not a diagnostic: it goes to stdout
		// like "haven help", so that it can be piped to a pager or grep.
		help := r.stdout
		if !strings.HasPrefix(help, "Usage: haven serve [flags]") {
			t.Fatalf("haven serve %s: stdout does not start with the usage:\n%s\nstderr:\n%s", arg, help, r.stderr)
		}
		for _, name := range serveSettings {
			flagLine := regexp.MustCompile(`(?m)^  --` + regexp.QuoteMeta(name) + `( [A-Z_]+)?$`)
			if !flagLine.MatchString(help) {
				t.Errorf("haven serve %s does not list --%s", arg, name)
			}
			env := "HAVEN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
			if !strings.Contains(help, "env: "+env) {
				t.Errorf("haven serve %s does not give the variable %s", arg, env)
			}
		}
		for _, def := range []string{"default: 127.0.0.1:8080; env: HAVEN_LISTEN", "default: ./haven-data; env: HAVEN_DATA_DIR", "default: log; env: HAVEN_CODE_SENDER"} {
			if !strings.Contains(help, def) {
				t.Errorf("haven serve %s does not say %q", arg, def)
			}
		}
	}
	assertNoDataDir(t, dir)
}

func TestServeConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	unknownKey := file("unknown-key.toml", "listen = \"127.0.0.1:0\"\ndata_dir = \"./x\"\n")
	several := file("several.toml", "log-format = \"xml\"\nsmtp-hots = \"mail.example.org\"\n")

	cases := []struct {
		name string
		env  []string
		args []string
		want []string // each must appear in stderr
		not  []string // none may appear anywhere in the output
	}{{
		name: "unknown flag",
		args: []string{"--bogus"},
		want: []string{"haven serve: ", "-bogus"},
	}, {
		name: "misspelt flag",
		args: []string{"--data_dir", "x"},
		want: []string{"-data_dir"},
	}, {
		name: "stray argument",
		args: []string{"--ip-logging", "true"},
		want: []string{`unexpected argument "true"`, "--flag=true"},
	}, {
		name: "unknown variable",
		env:  []string{"HAVEN_BOGUS=1"},
		want: []string{"HAVEN_BOGUS", "unknown setting"},
	}, {
		name: "misspelt variable",
		env:  []string{"HAVEN_LISTN=127.0.0.1:0"},
		want: []string{"HAVEN_LISTN", "did you mean HAVEN_LISTEN?"},
	}, {
		name: "unknown key in the file",
		args: []string{"--config", unknownKey},
		want: []string{unknownKey, `unknown setting "data_dir"`, "did you mean data-dir?"},
	}, {
		name: "missing file",
		env:  []string{"HAVEN_CONFIG=" + filepath.Join(dir, "absent.toml")},
		want: []string{"config (env HAVEN_CONFIG)", "absent.toml"},
	}, {
		name: "bad value",
		args: []string{"--listen", "nowhere"},
		want: []string{"listen (flag --listen)", `"nowhere"`},
	}, {
		name: "secrets are not echoed",
		env:  []string{"HAVEN_WEBHOOK_AUTH=Bearer sekrit-webhook"},
		args: []string{"--smtp-password", "sekrit-smtp"},
		want: []string{"webhook-auth (env HAVEN_WEBHOOK_AUTH)", "smtp-password (flag --smtp-password)"},
		not:  []string{"sekrit"},
	}, {
		// One problem per source, and a conflict: every one is
		// reported, not just the first.
		name: "several at once",
		env:  []string{"HAVEN_CONFIG=" + several, "HAVEN_BOGUS=1", "HAVEN_MAX_BODY=lots"},
		args: []string{"--log-level", "loud", "--shutdown-timeout", "-1s", "--tls-cert", "cert.pem"},
		want: []string{
			`unknown setting "smtp-hots"`, "did you mean smtp-host?",
			"log-format (file " + several + `): bad value "xml"`,
			"env HAVEN_BOGUS: unknown setting",
			`max-body (env HAVEN_MAX_BODY): bad value "lots"`,
			`log-level (flag --log-level): bad value "loud"`,
			`shutdown-timeout (flag --shutdown-timeout): bad value "-1s"`,
			"tls-cert (flag --tls-cert): needs tls-key",
		},
	}}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			r := runHaven(t, dir, cleanEnv(c.env...), append([]string{"serve"}, c.args...)...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2", r.code)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not contain %q", w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(r.stderr+r.stdout, n) {
					t.Errorf("the output contains %q", n)
				}
			}
			if strings.Contains(r.stderr, "haven is serving") || r.stdout != "" {
				t.Errorf("a refused configuration produced more than errors")
			}
			if t.Failed() {
				t.Logf("stderr:\n%s", r.stderr)
			}
		})
	}
	assertNoDataDir(t, dir)
}

// assertNoDataDir checks that nothing made a data directory in dir: a
// command that is refused or only prints must not leave state behind.
func assertNoDataDir(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "haven-data")); err == nil {
		t.Errorf("%s/haven-data was created", dir)
	}
}

// TestDefaultStart runs "haven serve" with no settings at all, as the
// README's first line does, in a fresh working directory.
func TestDefaultStart(t *testing.T) {
	t.Parallel()
	wd := t.TempDir()
	// If the port is taken the server must exit at once with status 1,
	// and the part of the test that needs it is skipped. (It may also be
	// freed, or taken, between this check and the start: what the server
	// then does decides.)
	if ln, err := net.Listen("tcp", "127.0.0.1:8080"); err != nil {
		t.Logf("127.0.0.1:8080 is taken (%v): expecting haven to refuse to start", err)
	} else {
		ln.Close()
	}

	p := start(t, wd)
	serving := regexp.MustCompile(`(?m)^time=\S+ level=INFO msg="haven is serving" url=http://127\.0\.0\.1:8080 data=\./haven-data$`)
	cannotListen := regexp.MustCompile(`(?m)^time=\S+ level=ERROR msg="cannot start" err="cannot listen on 127\.0\.0\.1:8080: the address is already in use.*"$`)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		log := p.stderr.String()
		if serving.MatchString(log) {
			break
		}
		exited := false
		select {
		case <-p.exited:
			exited = true
		default:
		}
		if exited {
			// The port is taken: it was when checked, or it was taken
			// since (by another run of this test, say). The server must
			// fail plainly, not hang, and leave nothing behind.
			if code := p.wait(15 * time.Second); code != 1 {
				t.Fatalf("exit %d before serving; want 1 with 127.0.0.1:8080 taken", code)
			}
			if log := p.stderr.String(); !cannotListen.MatchString(log) {
				t.Fatalf("exit 1 before serving, and not for want of 127.0.0.1:8080:\n%s", log)
			}
			assertNoDataDir(t, wd)
			t.Skip("127.0.0.1:8080 is taken on this machine: checked the plain refusal (exit 1, no data directory), skipped serving on the default port")
		}
		if time.Now().After(deadline) {
			t.Fatalf("haven did not say it serves on 127.0.0.1:8080 within 15s:\n%s", log)
		}
	}
	checkDataDir(t, filepath.Join(wd, "haven-data"), true)

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := client.Get("http://127.0.0.1:8080" + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), `{"ok":true`) {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
		}
	}

	p.stop()
	if !strings.Contains(p.stderr.String(), "msg=stopped") {
		t.Errorf("the log does not say the server stopped")
	}
}

// TestPortInUse starts the binary on a port that is taken: it must say so
// and exit 1 before making the data directory or touching its database.
func TestPortInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	wd := t.TempDir()
	data := filepath.Join(wd, "data")
	r := runHaven(t, wd, cleanEnv(), "serve", "--listen", ln.Addr().String(), "--data-dir", data)
	if r.code != 1 {
		t.Errorf("exit %d with the port taken, want 1", r.code)
	}
	for _, w := range []string{"cannot listen on " + ln.Addr().String(), "already in use", "--listen"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("the log does not say %q:\n%s", w, r.stderr)
		}
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("the data directory was made (%v) though the server could not listen", err)
	}
	// An existing, empty data directory stays empty.
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if r := runHaven(t, wd, cleanEnv(), "serve", "--listen", ln.Addr().String(), "--data-dir", data); r.code != 1 {
		t.Errorf("exit %d with the port taken, want 1", r.code)
	}
	if entries, err := os.ReadDir(data); err != nil || len(entries) != 0 {
		t.Errorf("the data directory holds %v (%v) after a start that could not listen", entries, err)
	}
}

// checkDataDir checks what a first start leaves in the data directory:
// the database, the secret key and the VAPID keys, private to the user
// running Haven.
// made says whether Haven made the directory, rather than the operator.
func checkDataDir(t *testing.T, dir string, made bool) {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("no data directory: %v", err)
	}
	if !fi.IsDir() || made && fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory %s: mode %v, want drwx------", dir, fi.Mode())
	}
	secret, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatalf("no secret key: %v", err)
	}
	if secret.Mode().Perm() != 0o600 || secret.Size() < 32 {
		t.Errorf("secret.key: mode %v, %d bytes; want -rw------- and at least 32", secret.Mode(), secret.Size())
	}
	// The VAPID keys of Web Push are made on first start beside it.
	vapid, err := os.Stat(filepath.Join(dir, "vapid.key"))
	if err != nil {
		t.Fatalf("no VAPID keys: %v", err)
	}
	if vapid.Mode().Perm() != 0o600 {
		t.Errorf("vapid.key: mode %v, want -rw-------", vapid.Mode())
	}
	// The database holds phone numbers and session hashes: it must not be
	// readable by others even in a data directory that is (one the
	// operator made beforehand, say).
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	sawDB := false
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "haven.db") {
			continue
		}
		sawDB = sawDB || e.Name() == "haven.db"
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %v, want no access for group and others", e.Name(), info.Mode())
		}
	}
	if !sawDB {
		t.Errorf("no haven.db in %s", dir)
	}
}

// TestLoginCodeInLog follows the README's "Try it by hand" with the
// default code sender: the code is read from the log.
func TestLoginCodeInLog(t *testing.T) {
	t.Parallel()
	p := startServing(t, t.TempDir())

	const phone = "+442079460001"
	var sent sentCode
	call(t, p.url, "auth.sendCode", "", map[string]string{"identifier": phone}, &sent)
	code := p.code(phone, 1)
	log := p.stderr.String()
	if n := len(loginCodeLine.FindAllString(log, -1)); n != 1 {
		t.Fatalf("%d LOGIN CODE lines, want exactly 1", n)
	}
	if n := strings.Count(log, "code="+code); n != 1 {
		t.Errorf("the code appears %d times in the log, want once", n)
	}

	var auth authorization
	call(t, p.url, "auth.signIn", "", map[string]string{"login_token": sent.LoginToken, "code": code}, &auth)
	if auth.Status != "sign_up_required" {
		t.Fatalf("auth.signIn: status %q, want sign_up_required", auth.Status)
	}
	call(t, p.url, "auth.signUp", "", map[string]string{"login_token": sent.LoginToken, "first_name": "Ann"}, &auth)
	if auth.Status != "authorized" || auth.Token == "" || auth.User.ID == 0 {
		t.Fatalf("auth.signUp: %+v", auth)
	}
	var me user
	call(t, p.url, "users.getMe", auth.Token, struct{}{}, &me)
	if me.ID != auth.User.ID || me.FirstName != "Ann" || me.Phone != phone {
		t.Errorf("users.getMe: %+v", me)
	}

	// The log has the code (by design) but never a token.
	log = p.stderr.String()
	for _, secret := range []string{sent.LoginToken, auth.Token} {
		if strings.Contains(log, secret) {
			t.Errorf("the log contains a token")
		}
	}
	p.stop()
}

// TestGracefulShutdown sends SIGTERM while a request is in flight and a
// WebSocket is open, then restarts on the same data.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	const phone = "+442079460002"
	p := startServing(t, data)
	token, u := signUp(t, p, phone, "Grace", 1)
	call(t, p.url, "account.updateUsername", token, map[string]string{"username": "grace_t"}, nil)
	u.Username = "grace_t"
	host := strings.TrimPrefix(p.url, "http://")

	// A WebSocket of the signed-in session.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+host+"/api/ws", &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + token}},
	})
	if err != nil {
		t.Fatalf("dialling the WebSocket: %v", err)
	}
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"id":1,"method":"users.getMe","params":{}}`)); err != nil {
		t.Fatal(err)
	}
	// The username change above is pushed to the session (a profile
	// event), maybe before the answer: read past pushes.
	for {
		_, frame, err := ws.Read(ctx)
		if err == nil && bytes.HasPrefix(frame, []byte(`{"push":`)) {
			continue
		}
		if err != nil || !bytes.Contains(frame, []byte(`"ok":true`)) {
			t.Fatalf("users.getMe over the WebSocket: %s, %v", frame, err)
		}
		break
	}
	wsClosed := make(chan error, 1)
	go func() {
		// Pushes may come first (the profile change below is pushed to
		// the person's sessions); the close ends the reads.
		for {
			if _, _, err := ws.Read(ctx); err != nil {
				wsClosed <- err
				return
			}
		}
	}()

	// A request in flight: its body is sent in two chunks, the second
	// after the signal. "Expect: 100-continue" makes the server say when
	// the handler has started reading the body.
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(15 * time.Second)); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /api/account.updateProfile HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n", host, token)
	br := bufio.NewReader(conn)
	if status, err := br.ReadString('\n'); err != nil || status != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("waiting for 100 Continue: %q, %v", status, err)
	}
	if blank, err := br.ReadString('\n'); err != nil || blank != "\r\n" {
		t.Fatalf("after 100 Continue: %q, %v", blank, err)
	}
	chunk := func(s string) { fmt.Fprintf(conn, "%x\r\n%s\r\n", len(s), s) }
	chunk(`{"first_name":`)

	p.signal(syscall.SIGTERM)
	p.waitLog(regexp.MustCompile(`msg="shutting down"`), 1, 5*time.Second)

	// New connections are refused while the request is still running.
	refused := false
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err != nil {
			refused = errors.Is(err, syscall.ECONNREFUSED)
			if !refused {
				t.Fatalf("dialling during the shutdown: %v, want connection refused", err)
			}
			break
		}
		c.Close()
	}
	if !refused {
		t.Fatalf("new connections were still accepted 3s after the shutdown began")
	}
	select {
	case <-p.exited:
		t.Fatalf("haven exited with a request in flight")
	default:
	}

	// The request in flight finishes, and its write is kept.
	chunk(`"Gracie"}`)
	fmt.Fprint(conn, "0\r\n\r\n")
	req, _ := http.NewRequest("POST", p.url+"/api/account.updateProfile", nil)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatalf("reading the answer to the request in flight: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"first_name":"Gracie"`)) {
		t.Fatalf("the request in flight: %d %s", resp.StatusCode, body)
	}
	u.FirstName = "Gracie"

	// The WebSocket is told the server is going away.
	select {
	case err := <-wsClosed:
		if st := websocket.CloseStatus(err); st != websocket.StatusGoingAway {
			t.Errorf("the WebSocket ended with %v (status %d), want status 1001 going away", err, st)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the WebSocket was not closed")
	}

	if code := p.wait(15 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0", code)
	}
	if !strings.Contains(p.stderr.String(), "msg=stopped") {
		t.Errorf("the log does not say the server stopped")
	}

	// Everything written before and during the shutdown is there.
	q := startServing(t, data)
	var me user
	call(t, q.url, "users.getMe", token, struct{}{}, &me)
	if me.ID != u.ID || me.FirstName != "Gracie" {
		t.Errorf("users.getMe with the old session after the restart: %+v", me)
	}
	wantAuthorized(t, q, phone, 1, u)
	q.stop()
}

// TestCrashSafety kills the server with SIGKILL right after it has
// answered a write: what it acknowledged must still be there.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	const phone = "+442079460003"
	p := startServing(t, data)
	token, u := signUp(t, p, phone, "Crash", 1)
	call(t, p.url, "account.updateUsername", token, map[string]string{"username": "crash_t"}, nil)
	u.Username = "crash_t"

	p.signal(syscall.SIGKILL)
	if code := p.wait(10 * time.Second); code != -1 {
		t.Fatalf("exit %d after SIGKILL, want death by signal", code)
	}
	if strings.Contains(p.stderr.String(), "shutting down") {
		t.Fatalf("the server shut down cleanly: not a crash")
	}

	q := startServing(t, data)
	// data was made by the test with the usual umask, so it is open to
	// others: the files in it must not be.
	checkDataDir(t, data, false)
	wantAuthorized(t, q, phone, 1, u)
	var me user
	call(t, q.url, "users.getMe", token, struct{}{}, &me)
	if me.ID != u.ID {
		t.Errorf("the session made before the crash: users.getMe %+v", me)
	}
}
