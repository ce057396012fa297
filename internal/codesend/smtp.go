package codesend

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// TLSMode says how an SMTP sender protects its connection.
type TLSMode string

// The TLS modes. The zero value means TLSStartTLS.
const (
	// TLSStartTLS connects in plain text and upgrades with STARTTLS
	// before anything else; a server that does not offer STARTTLS is an
	// error, never a silent downgrade. Default port 587.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte ("SMTPS"). Default port
	// 465.
	TLSImplicit TLSMode = "tls"
	// TLSNone sends everything, password and code included, in plain
	// text. It is allowed only to a loopback host (a local relay, a test
	// server). Default port 25.
	TLSNone TLSMode = "none"
)

// DefaultSMTPTimeout bounds one SMTP delivery when SMTPConfig.Timeout is
// zero.
const DefaultSMTPTimeout = 30 * time.Second

// SMTPConfig says how an SMTP sender reaches its mail server.
type SMTPConfig struct {
	// Host is the mail server's name or IP address. Required.
	Host string
	// Port is the mail server's TCP port; zero means the TLS mode's
	// default (587, 465 or 25).
	Port int
	// Username and Password authenticate with AUTH PLAIN (or AUTH LOGIN
	// if the server offers only that). An empty Username sends no AUTH.
	Username string
	Password string
	// From is the sender, a bare address ("noreply@example.org") or one
	// with a name ("Haven <noreply@example.org>"). Required.
	From string
	// TLS is the TLS mode; empty means TLSStartTLS.
	TLS TLSMode
	// TLSConfig, if not nil, replaces the default TLS settings (system
	// roots, server name Host), e.g. to trust a private CA. An empty
	// ServerName is filled in with Host.
	TLSConfig *tls.Config
	// Timeout bounds one delivery, from dialling to QUIT; zero means
	// DefaultSMTPTimeout.
	Timeout time.Duration
	// CodeTTL is how long a code lives, which the mail tells its reader;
	// zero means haven.DefaultLimits().CodeTTL.
	CodeTTL time.Duration
	// Clock dates the mails; nil means core.SystemClock.
	Clock core.Clock
}

// SMTP is a core.CodeSender that mails each code, as a short plain-text
// message, through a mail server. Each SendCode opens its own connection.
//
// An SMTP is safe for concurrent use.
type SMTP struct {
	addr      string
	mode      TLSMode
	tlsConfig *tls.Config
	username  string
	password  string
	from      *mail.Address
	domain    string // of from, for Message-IDs
	timeout   time.Duration
	ttl       time.Duration
	clock     core.Clock
}

var _ core.CodeSender = (*SMTP)(nil)

// NewSMTP checks cfg and returns an SMTP sender. It does not connect.
// Errors, all reported at once: no host, or one with control characters; a
// port outside 1-65535; an unknown TLS mode; TLSNone to a host that is not
// loopback; a password without a username; a From that is not an address;
// a negative timeout or code TTL.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("codesend: smtp: "+format, args...))
	}

	mode := cfg.TLS
	if mode == "" {
		mode = TLSStartTLS
	}
	port := cfg.Port
	switch mode {
	case TLSStartTLS:
		if port == 0 {
			port = 587
		}
	case TLSImplicit:
		if port == 0 {
			port = 465
		}
	case TLSNone:
		if port == 0 {
			port = 25
		}
		if cfg.Host != "" && !isLoopback(cfg.Host) {
			bad("TLS mode %q is allowed only to a loopback host, not %q", TLSNone, cfg.Host)
		}
	default:
		bad("unknown TLS mode %q (want %q, %q or %q)", cfg.TLS, TLSStartTLS, TLSImplicit, TLSNone)
	}
	if cfg.Host == "" {
		bad("no host")
	} else if strings.ContainsFunc(cfg.Host, isControl) || strings.ContainsAny(cfg.Host, " /") {
		bad("host %q is not a host name or IP address", cfg.Host)
	}
	if port < 1 || port > 65535 {
		bad("port %d out of range", cfg.Port)
	}
	if cfg.Username == "" && cfg.Password != "" {
		bad("a password without a username")
	}
	if strings.ContainsFunc(cfg.Username, isControl) {
		bad("username contains control characters")
	}

	var from *mail.Address
	var domain string
	if cfg.From == "" {
		bad("no From address")
	} else if strings.ContainsFunc(cfg.From, isControl) {
		bad("From address contains control characters")
	} else if a, err := mail.ParseAddress(cfg.From); err != nil {
		bad("From %q is not an email address", cfg.From)
	} else {
		from = a
		domain = a.Address[strings.LastIndexByte(a.Address, '@')+1:]
	}

	if cfg.Timeout < 0 {
		bad("timeout must not be negative")
	}
	if cfg.CodeTTL < 0 {
		bad("code TTL must not be negative")
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	s := &SMTP{
		addr:     net.JoinHostPort(cfg.Host, strconv.Itoa(port)),
		mode:     mode,
		username: cfg.Username,
		password: cfg.Password,
		from:     from,
		domain:   domain,
		timeout:  cfg.Timeout,
		ttl:      cfg.CodeTTL,
		clock:    cfg.Clock,
	}
	if s.timeout == 0 {
		s.timeout = DefaultSMTPTimeout
	}
	if s.ttl == 0 {
		s.ttl = haven.DefaultLimits().CodeTTL
	}
	if s.clock == nil {
		s.clock = core.SystemClock{}
	}
	if cfg.TLSConfig != nil {
		s.tlsConfig = cfg.TLSConfig.Clone()
	} else {
		s.tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if s.tlsConfig.ServerName == "" {
		s.tlsConfig.ServerName = cfg.Host
	}
	return s, nil
}

// isLoopback reports whether host names this machine without a DNS
// lookup: "localhost" or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Delivery says codes are emailed.
func (*SMTP) Delivery(string) string { return core.DeliveryEmail }

// SendCode mails code to the address to. Errors: to is not a plain email
// address (CR or LF in it included); code is empty, too long or not
// printable ASCII; purpose is unknown; ctx's error or
// context.DeadlineExceeded when delivery did not finish within the
// configured timeout (test with errors.Is); the connection, the TLS
// handshake, AUTH or the server's answer to the mail failed. No error
// contains the code.
func (s *SMTP) SendCode(ctx context.Context, to, code, purpose string) error {
	if err := checkRecipient(to); err != nil {
		return err
	}
	if err := checkCode(code); err != nil {
		return err
	}
	subject, body, err := emailText(code, purpose, s.ttl)
	if err != nil {
		return err
	}
	msg := buildMessage(s.from, to, subject, body, s.clock.Now(), rand.Text()+"@"+s.domain)

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.deliver(ctx, to, msg); err != nil {
		// A connection closed because ctx ended reports itself as a
		// network error; say why it really stopped.
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("codesend: smtp: %w", ctxErr)
		}
		return err
	}
	return nil
}

// deliver runs one SMTP session that sends msg to the address to.
func (s *SMTP) deliver(ctx context.Context, to string, msg []byte) error {
	var conn net.Conn
	var err error
	if s.mode == TLSImplicit {
		d := &tls.Dialer{Config: s.tlsConfig}
		conn, err = d.DialContext(ctx, "tcp", s.addr)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", s.addr)
	}
	if err != nil {
		return fmt.Errorf("codesend: smtp: connect: %w", err)
	}
	// go-smtp sets its own per-command deadlines on conn, so a deadline
	// set here would be overwritten; closing conn is what stops it.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var c *smtp.Client
	if s.mode == TLSStartTLS {
		c, err = smtp.NewClientStartTLS(conn, s.tlsConfig)
		if err != nil {
			conn.Close()
			return fmt.Errorf("codesend: smtp: starttls: %w", err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	// Greet explicitly (after STARTTLS, go-smtp greets again over TLS), so
	// that a failed greeting is reported as such rather than as a missing
	// extension.
	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("codesend: smtp: hello: %w", err)
	}

	if s.username != "" {
		var auth sasl.Client
		switch {
		case c.SupportsAuth(sasl.Plain):
			auth = sasl.NewPlainClient("", s.username, s.password)
		case c.SupportsAuth(sasl.Login):
			auth = sasl.NewLoginClient(s.username, s.password)
		default:
			return errors.New("codesend: smtp: the server offers neither AUTH PLAIN nor AUTH LOGIN")
		}
		if err := c.Auth(auth); err != nil {
			return fmt.Errorf("codesend: smtp: auth: %w", err)
		}
	}
	if err := c.SendMail(s.from.Address, []string{to}, bytes.NewReader(msg)); err != nil {
		return fmt.Errorf("codesend: smtp: send: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("codesend: smtp: quit: %w", err)
	}
	return nil
}
