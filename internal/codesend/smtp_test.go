package codesend

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// receivedMail is one message a test SMTP server accepted.
type receivedMail struct {
	user string // who authenticated, "" if nobody
	from string // envelope sender
	to   []string
	data []byte
}

// mailServer is a real SMTP server (go-smtp) on a random loopback port
// that keeps what it receives. It offers AUTH PLAIN for user/password.
type mailServer struct {
	host string
	port int

	user, password string

	mu   sync.Mutex
	mail []receivedMail
}

// mailServerOptions say how startMailServer sets up its server.
type mailServerOptions struct {
	tls      *tls.Config // offer STARTTLS with it (or speak TLS, if implicit)
	implicit bool        // TLS from the first byte
}

func startMailServer(t *testing.T, opts mailServerOptions) *mailServer {
	t.Helper()
	ms := &mailServer{user: "haven", password: "letmein"}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{server: ms}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // plain text AUTH, on loopback only
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	if !opts.implicit {
		srv.TLSConfig = opts.tls
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if opts.implicit {
		l = tls.NewListener(l, opts.tls)
	}
	host, port, _ := net.SplitHostPort(l.Addr().String())
	ms.host = host
	ms.port, _ = strconv.Atoi(port)

	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close()
		l.Close() // in case Serve had not registered it yet when Close ran
		<-done
	})
	return ms
}

func (ms *mailServer) received() []receivedMail {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]receivedMail(nil), ms.mail...)
}

// mailSession is one SMTP connection to a mailServer.
type mailSession struct {
	server *mailServer
	user   string
	cur    receivedMail
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.server.user || password != s.server.password {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = receivedMail{user: s.user, from: from}
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = data
	s.server.mu.Lock()
	s.server.mail = append(s.server.mail, s.cur)
	s.server.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        { s.cur = receivedMail{} }
func (s *mailSession) Logout() error { return nil }

// fixedClock always tells the same time.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

var testDate = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// newTestSMTP returns an SMTP sender for ms, changed by edit.
func newTestSMTP(t *testing.T, ms *mailServer, mode TLSMode, edit func(*SMTPConfig)) *SMTP {
	t.Helper()
	cfg := SMTPConfig{
		Host:     ms.host,
		Port:     ms.port,
		Username: ms.user,
		Password: ms.password,
		From:     "Haven <noreply@haven.example>",
		TLS:      mode,
		Timeout:  10 * time.Second,
		Clock:    fixedClock(testDate),
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// onlyMail returns the one message ms received, parsed.
func onlyMail(t *testing.T, ms *mailServer) (receivedMail, *mail.Message, string) {
	t.Helper()
	got := ms.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got[0].data))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, got[0].data)
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		t.Fatal(err)
	}
	return got[0], msg, string(body)
}

var messageIDPattern = regexp.MustCompile(`^<[A-Z2-7]{26}@haven\.example>$`)

func TestSMTPDeliversSignInCode(t *testing.T) {
	ms := startMailServer(t, mailServerOptions{})
	s := newTestSMTP(t, ms, TLSNone, nil)

	if err := s.SendCode(context.Background(), "alice@example.org", "12345", "sign_in"); err != nil {
		t.Fatal(err)
	}

	rm, msg, body := onlyMail(t, ms)
	if rm.user != "haven" {
		t.Errorf("authenticated as %q", rm.user)
	}
	if rm.from != "noreply@haven.example" || len(rm.to) != 1 || rm.to[0] != "alice@example.org" {
		t.Errorf("envelope from %q to %q", rm.from, rm.to)
	}
	if !bytes.Contains(rm.data, []byte("\r\n\r\n")) || bytes.Contains(bytes.ReplaceAll(rm.data, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("message lines do not all end in CRLF:\n%q", rm.data)
	}

	h := msg.Header
	wantHeaders := map[string]string{
		"From":                      `"Haven" <noreply@haven.example>`,
		"To":                        "<alice@example.org>",
		"Subject":                   "Your Haven sign-in code",
		"Mime-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "7bit",
		"Auto-Submitted":            "auto-generated",
	}
	for k, want := range wantHeaders {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if date, err := h.Date(); err != nil || !date.Equal(testDate) {
		t.Errorf("Date %q (%v), want %v", h.Get("Date"), err, testDate)
	}
	if id := h.Get("Message-Id"); !messageIDPattern.MatchString(id) {
		t.Errorf("Message-ID %q", id)
	}
	for _, want := range []string{
		"Your Haven code is 12345.",
		"It expires in 5 minutes.",
		"If you did not ask for it, ignore this message.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

func TestSMTPPasswordRecovery(t *testing.T) {
	ms := startMailServer(t, mailServerOptions{})
	s := newTestSMTP(t, ms, TLSNone, func(c *SMTPConfig) {
		c.From = "noreply@haven.example"
		c.CodeTTL = 10 * time.Minute
	})

	if err := s.SendCode(context.Background(), "bob@example.org", "55555", "password_recovery"); err != nil {
		t.Fatal(err)
	}
	_, msg, body := onlyMail(t, ms)
	if got := msg.Header.Get("Subject"); got != "Your Haven password recovery code" {
		t.Errorf("Subject %q", got)
	}
	if got := msg.Header.Get("From"); got != "<noreply@haven.example>" {
		t.Errorf("From %q", got)
	}
	for _, want := range []string{"55555", "10 minutes", "reset your password"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

func TestSMTPMessageIDsDiffer(t *testing.T) {
	ms := startMailServer(t, mailServerOptions{})
	s := newTestSMTP(t, ms, TLSNone, nil)
	for range 2 {
		if err := s.SendCode(context.Background(), "alice@example.org", "12345", "sign_in"); err != nil {
			t.Fatal(err)
		}
	}
	got := ms.received()
	id := func(data []byte) string {
		m, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return m.Header.Get("Message-Id")
	}
	if len(got) != 2 || id(got[0].data) == id(got[1].data) {
		t.Errorf("two mails, same Message-ID")
	}
}

func TestSMTPWrongPassword(t *testing.T) {
	ms := startMailServer(t, mailServerOptions{})
	s := newTestSMTP(t, ms, TLSNone, func(c *SMTPConfig) { c.Password = "wrong" })

	err := s.SendCode(context.Background(), "alice@example.org", "12345", "sign_in")
	if err == nil || !strings.Contains(err.Error(), "auth") {
		t.Fatalf("got %v, want an auth error", err)
	}
	if strings.Contains(err.Error(), "12345") {
		t.Errorf("error %q contains the code", err)
	}
	if n := len(ms.received()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
}

func TestSMTPNoAuthWhenNoUsername(t *testing.T) {
	ms := startMailServer(t, mailServerOptions{})
	s := newTestSMTP(t, ms, TLSNone, func(c *SMTPConfig) { c.Username, c.Password = "", "" })

	// The test server wants AUTH before MAIL, so sending fails at MAIL,
	// which shows that no AUTH was attempted.
	err := s.SendCode(context.Background(), "alice@example.org", "12345", "sign_in")
	if err == nil || !strings.Contains(err.Error(), "send") {
		t.Fatalf("got %v, want the server's refusal of MAIL", err)
	}
}

func TestSMTPRejectsBadInput(t *testing.T) {
	ms := startMailServer(t, mailServerOptions{})
	s := newTestSMTP(t, ms, TLSNone, nil)
	ctx := context.Background()

	for _, to := range []string{
		"alice@example.org\r\nBcc: mallory@example.org",
		"alice@example.org\nBcc: mallory@example.org",
		"alice@example.org\r",
		"Alice <alice@example.org>",
		"<alice@example.org>",
		"alice@example.org, mallory@example.org",
		"not an address",
		"",
	} {
		if err := s.SendCode(ctx, to, "12345", "sign_in"); err == nil {
			t.Errorf("recipient %q accepted", to)
		}
	}
	for _, code := range []string{"", "123\r\n45", "12 345", "12345\x00", strings.Repeat("1", 65), "١٢٣"} {
		err := s.SendCode(ctx, "alice@example.org", code, "sign_in")
		if err == nil {
			t.Errorf("code %q accepted", code)
		} else if code != "" && strings.Contains(err.Error(), code) {
			t.Errorf("error %q contains the code", err)
		}
	}
	if err := s.SendCode(ctx, "alice@example.org", "12345", "greeting"); err == nil {
		t.Error("unknown purpose accepted")
	}
	if n := len(ms.received()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
}

func TestSMTPStartTLS(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	ms := startMailServer(t, mailServerOptions{tls: serverTLS})
	s := newTestSMTP(t, ms, TLSStartTLS, func(c *SMTPConfig) { c.TLSConfig = clientTLS })

	if err := s.SendCode(context.Background(), "alice@example.org", "24680", "sign_in"); err != nil {
		t.Fatal(err)
	}
	_, _, body := onlyMail(t, ms)
	if !strings.Contains(body, "24680") {
		t.Errorf("body lacks the code:\n%s", body)
	}

	// Without the private CA the server's certificate is not trusted.
	s = newTestSMTP(t, ms, TLSStartTLS, nil)
	if err := s.SendCode(context.Background(), "alice@example.org", "24680", "sign_in"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("got %v, want a certificate error", err)
	}
}

// TestSMTPStartTLSRequired checks there is no silent downgrade: a server
// that does not offer STARTTLS gets nothing, password included.
func TestSMTPStartTLSRequired(t *testing.T) {
	_, clientTLS := testTLS(t)
	ms := startMailServer(t, mailServerOptions{})
	s := newTestSMTP(t, ms, TLSStartTLS, func(c *SMTPConfig) { c.TLSConfig = clientTLS })

	err := s.SendCode(context.Background(), "alice@example.org", "12345", "sign_in")
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("got %v, want a STARTTLS error", err)
	}
	if n := len(ms.received()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	ms := startMailServer(t, mailServerOptions{tls: serverTLS, implicit: true})
	s := newTestSMTP(t, ms, TLSImplicit, func(c *SMTPConfig) { c.TLSConfig = clientTLS })

	if err := s.SendCode(context.Background(), "alice@example.org", "13579", "password_recovery"); err != nil {
		t.Fatal(err)
	}
	_, _, body := onlyMail(t, ms)
	if !strings.Contains(body, "13579") {
		t.Errorf("body lacks the code:\n%s", body)
	}
}

// TestSMTPTimeout talks to a server that accepts connections and never
// says a word.
func TestSMTPTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var conns sync.WaitGroup
	conns.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Go(func() {
				io.Copy(io.Discard, c) // until the client gives up
				c.Close()
			})
		}
	})
	t.Cleanup(conns.Wait)
	t.Cleanup(func() { l.Close() })

	host, port, _ := net.SplitHostPort(l.Addr().String())
	p, _ := strconv.Atoi(port)
	s, err := NewSMTP(SMTPConfig{Host: host, Port: p, From: "noreply@haven.example", TLS: TLSNone, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	err = s.SendCode(context.Background(), "alice@example.org", "12345", "sign_in")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v for a 200ms timeout", d)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	s, _ = NewSMTP(SMTPConfig{Host: host, Port: p, From: "noreply@haven.example", TLS: TLSNone})
	if err := s.SendCode(ctx, "alice@example.org", "12345", "sign_in"); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestNewSMTPDefaults(t *testing.T) {
	for _, tc := range []struct {
		mode     TLSMode
		host     string
		wantAddr string
	}{
		{"", "mail.example.org", "mail.example.org:587"},
		{TLSStartTLS, "mail.example.org", "mail.example.org:587"},
		{TLSImplicit, "mail.example.org", "mail.example.org:465"},
		{TLSNone, "localhost", "localhost:25"},
		{TLSNone, "::1", "[::1]:25"},
		{TLSNone, "127.0.0.2", "127.0.0.2:25"},
	} {
		s, err := NewSMTP(SMTPConfig{Host: tc.host, From: "noreply@example.org", TLS: tc.mode})
		if err != nil {
			t.Errorf("%q %q: %v", tc.mode, tc.host, err)
			continue
		}
		if s.addr != tc.wantAddr {
			t.Errorf("%q %q: addr %q, want %q", tc.mode, tc.host, s.addr, tc.wantAddr)
		}
		if s.tlsConfig.ServerName != tc.host {
			t.Errorf("%q %q: TLS server name %q", tc.mode, tc.host, s.tlsConfig.ServerName)
		}
		if s.timeout != DefaultSMTPTimeout || s.ttl != 5*time.Minute {
			t.Errorf("%q %q: timeout %v, TTL %v", tc.mode, tc.host, s.timeout, s.ttl)
		}
	}
}

func TestNewSMTPRejects(t *testing.T) {
	for _, tc := range []struct {
		cfg  SMTPConfig
		want []string
	}{
		{SMTPConfig{}, []string{"no host", "no From"}},
		{
			SMTPConfig{Host: "mail.example.org", TLS: TLSNone, Port: 70000, Password: "x", From: "nobody", Timeout: -1, CodeTTL: -1},
			[]string{"loopback", "port 70000", "password without a username", "not an email address", "timeout", "TTL"},
		},
		{SMTPConfig{Host: "mail.example.org", TLS: "ssl", From: "a@b.example"}, []string{`unknown TLS mode "ssl"`}},
		{SMTPConfig{Host: "mail.example.org\r\n", From: "a@b.example\r\nBcc: x@y.example"}, []string{"host", "From address contains control"}},
	} {
		_, err := NewSMTP(tc.cfg)
		if err == nil {
			t.Errorf("%+v accepted", tc.cfg)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%+v: error %q does not report %q", tc.cfg, err, want)
			}
		}
	}
}

// testTLS returns a server TLS config with a fresh self-signed certificate
// for 127.0.0.1 and a client config that trusts only it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "codesend test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
	client = &tls.Config{RootCAs: pool}
	return server, client
}
