package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	natsbus "github.com/havenchat/haven/internal/bus/nats"
)

// Serve is the configuration of `haven serve`. LoadServe fills it; every
// field has passed the checks described on its setting (see --help).
type Serve struct {
	// Listen is the host:port to serve HTTP (or HTTPS) on; port 0 picks
	// a free port.
	Listen string
	// MetricsListen, when not empty, is the host:port that serves
	// Prometheus metrics (/metrics) and Go profiles (/debug/pprof/),
	// apart from the API; empty serves neither.
	MetricsListen string
	// DataDir holds the database, uploaded files and keys.
	DataDir string
	// DB, when not empty, is the postgres:// URL of a PostgreSQL database
	// that holds Haven's data instead of SQLite in DataDir. It may carry a
	// password: do not log it.
	DB string
	// DBBatch is the most Updates one write transaction groups on
	// PostgreSQL (1 to 256): 1 keeps each request in its own transaction,
	// so that none spans two chats but where one request writes two (for
	// a distributed PostgreSQL; docs/operations.md).
	DBBatch int
	// Bus is the NATS server(s) this node shares events with other nodes
	// through (nats://host:4222, comma-separated for several), or empty
	// for the in-process bus of a node that runs alone.
	Bus string

	// PublicURL is the server's address as others reach it (scheme, host,
	// maybe a port and a path; no final slash), or empty. See PublicBase.
	PublicURL string
	// Signup is who may make an account: SignupOpen, SignupInvite or
	// SignupClosed. LoadServe fills it in when not given: SignupOpen for
	// a server only this machine can reach (a loopback listen address,
	// no PublicURL, no ACMEDomains), SignupInvite otherwise.
	Signup string
	// SignupPhonePrefixes (E.164 prefixes, "+4420") and
	// SignupEmailDomains (lower case, "example.org") let people sign up
	// without an invite code when Signup is SignupInvite.
	SignupPhonePrefixes []string
	SignupEmailDomains  []string
	// SignupMemberInvites is how many sign-up invites each member may
	// make in all when Signup is SignupInvite; 0 lets only the operator.
	SignupMemberInvites int
	// SignupMemberInviteTTL is how long a member's invite stays usable.
	SignupMemberInviteTTL time.Duration

	// LogFormat is "text" or "json".
	LogFormat string
	// LogLevel is the least severe level logged: one of slog.LevelDebug,
	// LevelInfo, LevelWarn, LevelError.
	LogLevel slog.Level

	// PeopleSearchScan is how many members of the searcher's groups one
	// users.search looks through at most.
	PeopleSearchScan int

	// TLSCert and TLSKey are PEM files for HTTPS; both set or neither.
	TLSCert string
	TLSKey  string

	// ACMEDomains, when not empty, turns on automatic certificates for
	// these public domains (lower case, no final dot). Excludes TLSCert.
	ACMEDomains []string
	// ACMEEmail is the contact given to the certificate authority; may be
	// empty.
	ACMEEmail string
	// ACMECacheDir keeps ACME account keys and certificates; defaults to
	// DataDir/acme.
	ACMECacheDir string
	// ACMEDirectoryURL is the ACME directory; empty means Let's Encrypt.
	ACMEDirectoryURL string

	// CodeSender is how sign-in codes are delivered: CodeSenderLog or
	// CodeSenderWebhook.
	CodeSender string
	// WebhookURL is the http(s) URL codes are POSTed to when CodeSender
	// is CodeSenderWebhook, and empty otherwise.
	WebhookURL string
	// WebhookAuth, if not empty, is sent as the Authorization header of
	// each webhook request. Secret: do not log it.
	WebhookAuth string

	// SMTPHost, when not empty, is the mail server that emails codes;
	// SMTPFrom is then set too.
	SMTPHost     string
	SMTPPort     int
	SMTPUsername string
	// SMTPPassword is set exactly when SMTPUsername is. Secret: do not
	// log it.
	SMTPPassword string
	SMTPFrom     string
	// SMTPTLS is SMTPTLSStartTLS, SMTPTLSImplicit or SMTPTLSNone.
	SMTPTLS string

	// PushKeyFile holds the server's VAPID key pair for Web Push; defaults
	// to DataDir/vapid.key.
	PushKeyFile string
	// PushContact, an email address or https URL, is given to the push
	// services in each push's VAPID token; may be empty.
	PushContact string
	// PushWorkers is how many pushes may be in flight at once.
	PushWorkers int
	// PushQueue is how many new messages may wait for their fan-out.
	PushQueue int
	// PushTimeout bounds one push.
	PushTimeout time.Duration
	// PushPerSession is how many push subscriptions one session may have.
	PushPerSession int
	// SecretQueue is how many secret-chat envelopes may wait for one
	// device; SecretTTL how long one waits at most.
	SecretQueue int
	SecretTTL   time.Duration
	// PushAllowPrivate lets pushes reach loopback and private addresses.
	PushAllowPrivate bool

	// IPLogging allows client IP addresses to be written to logs and
	// stored with sessions. Off by default: privacy first.
	IPLogging bool

	// TrustedProxies are the reverse proxies (masked prefixes; one
	// address is a /32 or /128) whose X-Forwarded-For names the client.
	// Empty trusts none: the client is the connection's peer.
	TrustedProxies []netip.Prefix
	// ConnsPerIP caps the TCP connections open from one peer address (an
	// IPv6 /64); trusted proxies are exempt.
	ConnsPerIP int
	// WSPerIP caps the WebSockets open from one client address (an IPv6
	// /64), WSUnauthorizedPerIP those of them not yet authorized, and
	// WSPerUser one person's sockets on this server.
	WSPerIP             int
	WSUnauthorizedPerIP int
	WSPerUser           int
	// WSAuthTimeout is how long a WebSocket may stay open unauthorized.
	WSAuthTimeout time.Duration
	// WSPingInterval is how long a WebSocket may be quiet before the
	// server pings it; WSPingTimeout how long the pong may take before
	// the peer is taken for dead and the socket closed.
	WSPingInterval time.Duration
	WSPingTimeout  time.Duration
	// HeaderTimeout bounds reading a request's headers, IdleTimeout a
	// keep-alive connection's wait for its next request.
	HeaderTimeout time.Duration
	IdleTimeout   time.Duration
	// BodyTimeout bounds reading a request body. A file part may take
	// BodyTimeout plus its bytes at PartMinRate bytes per second.
	BodyTimeout time.Duration
	PartMinRate int64
	// ShutdownTimeout bounds how long a shutdown waits for requests in
	// flight.
	ShutdownTimeout time.Duration
	// MaxBody is the largest request body or WebSocket frame, in bytes.
	MaxBody int64
	// FileURLTTL is how long a signed file URL works (files.getURL), at
	// most maxFileURLTTL.
	FileURLTTL time.Duration
	// MaxFileSize is the largest file an upload may declare, in bytes.
	MaxFileSize int64
	// StorageQuota is how many bytes of files one person may keep
	// (their files and their unfinished uploads' declared sizes); 0 is
	// no limit.
	StorageQuota int64
	// MaxOpenUploads is how many unfinished uploads one person may have.
	MaxOpenUploads int
	// UploadTTL is how long an upload may stay unfinished before it is
	// discarded with its parts.
	UploadTTL time.Duration
	// PhotoMaxPixels and PhotoMaxSide bound the images decoded as photos:
	// width × height, and either side.
	PhotoMaxPixels int
	PhotoMaxSide   int
	// ImageMemory is the memory budget, in bytes, of all image decoding
	// at once; ImageWait how long a decode waits for room in it.
	ImageMemory int64
	ImageWait   time.Duration

	// BlobStore is where uploaded files are kept: BlobStoreDisk
	// (DataDir/blobs) or BlobStoreS3.
	BlobStore string
	// S3Endpoint (host or host:port) and S3Bucket are set exactly when
	// BlobStore is BlobStoreS3.
	S3Endpoint string
	S3Bucket   string
	// S3AccessKey and S3SecretKey are both set or both empty (anonymous
	// access). S3SecretKey is secret: do not log it.
	S3AccessKey string
	S3SecretKey string
	// S3Region is the bucket's region; empty lets the client find it.
	S3Region string
	// S3TLS speaks HTTPS to the endpoint (the default); off, plain HTTP.
	S3TLS bool

	// FloodRate is the requests per second allowed per user and method;
	// FloodBurst how many may come at once above that rate. A FloodRate
	// of 0 turns flood control off, for benchmarks (see FloodOff).
	FloodRate  float64
	FloodBurst int

	// InviteLinksMax is how many working invite links one person may
	// have to one chat.
	InviteLinksMax int

	// SigninCodePerIdentifier and SigninCodePerIP are how many sign-in
	// codes may be requested per hour for one phone number or email, and
	// from one client IP address.
	SigninCodePerIdentifier int
	SigninCodePerIP         int
	// SigninGuessesPerDay is how many wrong sign-in codes one phone
	// number or email, and wrong passwords or recovery codes one account,
	// may take a day.
	SigninGuessesPerDay int
	// ContactLookupsPerDay is how many phone numbers and emails one
	// account may look up for the first time a day (contacts.import).
	ContactLookupsPerDay int

	// Config is the TOML file the settings were read from, or empty.
	Config string
	// SecretFile holds the server's secret key; defaults to
	// DataDir/secret.key.
	SecretFile string
}

// FloodOff reports whether flood control is off (flood-rate 0): every
// method may then be called at any rate. Only for benchmarks.
func (c *Serve) FloodOff() bool { return c.FloodRate == 0 }

// The values of Serve.Signup.
const (
	// SignupOpen lets anyone who receives a sign-in code make an account.
	SignupOpen = "open"
	// SignupInvite asks for an invite code, unless the person's phone
	// number or email is on the allowlist.
	SignupInvite = "invite"
	// SignupClosed makes no account by sign-up: the operator makes them
	// (haven admin user create).
	SignupClosed = "closed"
)

// The values of Serve.SMTPTLS.
const (
	// SMTPTLSStartTLS connects in plain text and upgrades with STARTTLS,
	// which the server must support (usually port 587).
	SMTPTLSStartTLS = "starttls"
	// SMTPTLSImplicit speaks TLS from the start (usually port 465).
	SMTPTLSImplicit = "tls"
	// SMTPTLSNone never encrypts: only for a relay on the same machine.
	SMTPTLSNone = "none"
)

// maxFileURLTTL bounds the file-url-ttl setting: a signed URL is a
// bearer credential for whoever holds it, so its life stays short.
const maxFileURLTTL = 24 * time.Hour

// logLevels maps the log-level setting to slog levels.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

// serveSettings is the one list of `haven serve` settings: flags, HAVEN_*
// variables, TOML keys and --help all come from it.
var serveSettings = []setting[Serve]{
	{
		name: "listen", kind: kindString, arg: "ADDR", def: "127.0.0.1:8080",
		help: "host:port to serve the API on (:8080 for every interface, port 0 for a free one)",
		set:  func(c *Serve, v string) error { return keep(&c.Listen)(parseListen(v)) },
	},
	{
		name: "metrics-listen", kind: kindString, arg: "ADDR", defNote: "off",
		help: "host:port to serve Prometheus metrics (/metrics) and Go profiles (/debug/pprof/) on, apart from the API; unauthenticated, so keep it private (e.g. 127.0.0.1:9090)",
		set:  func(c *Serve, v string) error { return keep(&c.MetricsListen)(optional(parseListen)(v)) },
	},
	{
		name: "data-dir", kind: kindString, arg: "DIR", def: "./haven-data",
		help: "directory for the database, uploaded files and keys",
		set: func(c *Serve, v string) error {
			if v == "" {
				return errors.New("must not be empty")
			}
			c.DataDir = v
			return nil
		},
	},
	{
		name: "db", kind: kindString, arg: "URL", secret: true, defNote: "SQLite: <data-dir>/haven.db",
		help: "postgres://user:password@host:port/database of a PostgreSQL database to keep the data in instead of SQLite, for several nodes sharing one database (uploaded files and keys stay in data-dir)",
		set:  func(c *Serve, v string) error { return keep(&c.DB)(optional(parseDBURL)(v)) },
	},
	{
		name: "db-batch", kind: kindInt, arg: "N", def: "256",
		help: "PostgreSQL: most writes grouped into one transaction (1 to 256); 1 gives each request a transaction of its own, so that none spans two chats, for a distributed PostgreSQL (Citus), at the cost of write throughput",
		set: func(c *Serve, v string) error {
			n, err := parseInt(v, 1)
			if err == nil && n > 256 {
				err = errors.New("must be at most 256")
			}
			return keep(&c.DBBatch)(n, err)
		},
	},
	{
		name: "bus", kind: kindString, arg: "URL", secret: true, defNote: "in-process (this node alone)",
		help: "NATS server(s) that carry events between the nodes of a cluster, e.g. nats://127.0.0.1:4222 (comma-separated for several); a node does not start without them",
		set: func(c *Serve, v string) error {
			if v != "" {
				if err := natsbus.CheckURL(v); err != nil {
					return err
				}
			}
			c.Bus = v
			return nil
		},
	},
	{
		name: "public-url", kind: kindString, arg: "URL", defNote: "none (links are on the listen address, or paths when it is every interface)",
		help: "the server's address as others reach it, e.g. https://chat.example.org (behind a reverse proxy, the proxy's): invite and file links are full URLs on it",
		set:  func(c *Serve, v string) error { return keep(&c.PublicURL)(optional(parsePublicURL)(v)) },
	},
	{
		name: "signup", kind: kindString, arg: "MODE", defNote: "open on a loopback listen address without public-url or acme-domain, else invite",
		help: "who may make an account: open (anyone who gets a sign-in code), invite (people with an invite code from haven admin invite create, or on the signup-phone-prefixes and signup-email-domains allowlist) or closed (only haven admin user create makes accounts)",
		set: func(c *Serve, v string) error {
			return keep(&c.Signup)(oneOf(v, SignupOpen, SignupInvite, SignupClosed))
		},
	},
	{
		name: "signup-phone-prefixes", kind: kindList, arg: "PREFIXES",
		help: "comma-separated phone number prefixes in international form (+4420,+1555) whose owners sign up without an invite code; with signup invite",
		set:  func(c *Serve, v string) error { return keep(&c.SignupPhonePrefixes)(parsePhonePrefixes(v)) },
	},
	{
		name: "signup-email-domains", kind: kindList, arg: "DOMAINS",
		help: "comma-separated email domains (example.org; subdomains are not included) whose addresses sign up without an invite code; with signup invite",
		set:  func(c *Serve, v string) error { return keep(&c.SignupEmailDomains)(parseDomains(v)) },
	},
	{
		name: "signup-member-invites", kind: kindInt, arg: "N", def: "0",
		help: "sign-up invites each member may make in all (each for one person), with signup invite; 0: only the operator makes invites",
		set:  func(c *Serve, v string) error { return keep(&c.SignupMemberInvites)(parseInt(v, 0)) },
	},
	{
		name: "signup-member-invite-ttl", kind: kindDuration, arg: "DURATION", def: "168h",
		help: "how long a member's sign-up invite stays usable (168h is a week)",
		set: func(c *Serve, v string) error {
			return keep(&c.SignupMemberInviteTTL)(parsePositiveDuration(v))
		},
	},
	{
		name: "log-format", kind: kindString, arg: "FORMAT", def: "text",
		help: "log output format: text or json",
		set:  func(c *Serve, v string) error { return keep(&c.LogFormat)(oneOf(v, "text", "json")) },
	},
	{
		name: "log-level", kind: kindString, arg: "LEVEL", def: "info",
		help: "least severe level logged: debug, info, warn or error",
		set: func(c *Serve, v string) error {
			l, ok := logLevels[v]
			if !ok {
				return errors.New("want debug, info, warn or error")
			}
			c.LogLevel = l
			return nil
		},
	},
	{
		name: "people-search-scan", kind: kindInt, arg: "N", def: "10000",
		help: "most members of one's groups that one people search (users.search) looks through: it bounds the cost of a search by a member of large groups",
		set:  func(c *Serve, v string) error { return keep(&c.PeopleSearchScan)(parseInt(v, 1)) },
	},
	{
		name: "tls-cert", kind: kindString, arg: "FILE",
		help: "PEM certificate chain for HTTPS; needs tls-key; excludes acme-domain",
		set:  func(c *Serve, v string) error { c.TLSCert = v; return nil },
	},
	{
		name: "tls-key", kind: kindString, arg: "FILE",
		help: "PEM private key for tls-cert",
		set:  func(c *Serve, v string) error { c.TLSKey = v; return nil },
	},
	{
		name: "acme-domain", kind: kindList, arg: "DOMAINS",
		help: "comma-separated public domains to get HTTPS certificates for automatically (ACME); excludes tls-cert",
		set:  func(c *Serve, v string) error { return keep(&c.ACMEDomains)(parseDomains(v)) },
	},
	{
		name: "acme-email", kind: kindString, arg: "EMAIL",
		help: "contact email given to the certificate authority (optional)",
		set:  func(c *Serve, v string) error { return keep(&c.ACMEEmail)(optional(parseEmail)(v)) },
	},
	{
		name: "acme-cache-dir", kind: kindString, arg: "DIR", defNote: "<data-dir>/acme",
		help: "directory for ACME account keys and certificates",
		set:  func(c *Serve, v string) error { c.ACMECacheDir = v; return nil },
	},
	{
		name: "acme-directory-url", kind: kindString, arg: "URL", defNote: "none (Let's Encrypt)",
		help: "ACME directory URL of the certificate authority",
		set:  func(c *Serve, v string) error { return keep(&c.ACMEDirectoryURL)(optional(parseHTTPURL)(v)) },
	},
	{
		name: "code-sender", kind: kindString, arg: "SENDER", def: "log",
		help: `how sign-in codes are delivered: "log" (written to the server log; development only) or "webhook=URL" (POSTed to URL)`,
		set: func(c *Serve, v string) error {
			kind, url, err := parseCodeSender(v)
			if err == nil {
				c.CodeSender, c.WebhookURL = kind, url
			}
			return err
		},
	},
	{
		name: "webhook-auth", kind: kindString, arg: "VALUE", secret: true,
		help: "Authorization header sent with each code-sender webhook request, e.g. \"Bearer TOKEN\"",
		set:  func(c *Serve, v string) error { c.WebhookAuth = v; return nil },
	},
	{
		name: "smtp-host", kind: kindString, arg: "HOST",
		help: "mail server that emails sign-in codes to email addresses; without it, those codes go to code-sender like the others",
		set:  func(c *Serve, v string) error { return keep(&c.SMTPHost)(optional(parseHost)(v)) },
	},
	{
		name: "smtp-port", kind: kindInt, arg: "PORT", def: "587",
		help: "mail server port",
		set:  func(c *Serve, v string) error { return keep(&c.SMTPPort)(parsePort(v, false)) },
	},
	{
		name: "smtp-username", kind: kindString, arg: "NAME",
		help: "mail server login; needs smtp-password",
		set:  func(c *Serve, v string) error { c.SMTPUsername = v; return nil },
	},
	{
		name: "smtp-password", kind: kindString, arg: "PASSWORD", secret: true,
		help: "mail server password",
		set:  func(c *Serve, v string) error { c.SMTPPassword = v; return nil },
	},
	{
		name: "smtp-from", kind: kindString, arg: "ADDRESS",
		help: "From address of code emails, e.g. \"Haven <noreply@example.org>\"; required with smtp-host",
		set:  func(c *Serve, v string) error { return keep(&c.SMTPFrom)(optional(parseFrom)(v)) },
	},
	{
		name: "smtp-tls", kind: kindString, arg: "MODE", def: SMTPTLSStartTLS,
		help: "mail server encryption: starttls, tls (implicit, usually port 465) or none (local relay only)",
		set: func(c *Serve, v string) error {
			return keep(&c.SMTPTLS)(oneOf(v, SMTPTLSStartTLS, SMTPTLSImplicit, SMTPTLSNone))
		},
	},
	{
		name: "push-key-file", kind: kindString, arg: "FILE", defNote: "<data-dir>/vapid.key",
		help: "file holding the server's VAPID keys for Web Push, made on first start; every node of a cluster needs the same (browsers subscribe to its public key)",
		set:  func(c *Serve, v string) error { c.PushKeyFile = v; return nil },
	},
	{
		name: "push-contact", kind: kindString, arg: "CONTACT", defNote: "none",
		help: "email address or https URL given to the push services with every push, so that they can reach the operator",
		set:  func(c *Serve, v string) error { return keep(&c.PushContact)(optional(parsePushContact)(v)) },
	},
	{
		name: "push-workers", kind: kindInt, arg: "N", def: "16",
		help: "Web Push requests in flight at once",
		set:  func(c *Serve, v string) error { return keep(&c.PushWorkers)(parseInt(v, 1)) },
	},
	{
		name: "push-queue", kind: kindInt, arg: "N", def: "10000",
		help: "new messages that may wait to be pushed; past it a message notifies no one (it is still delivered)",
		set:  func(c *Serve, v string) error { return keep(&c.PushQueue)(parseInt(v, 1)) },
	},
	{
		name: "push-timeout", kind: kindDuration, arg: "DURATION", def: "10s",
		help: "how long one Web Push request may take, connecting included",
		set:  func(c *Serve, v string) error { return keep(&c.PushTimeout)(parsePositiveDuration(v)) },
	},
	{
		name: "push-per-session", kind: kindInt, arg: "N", def: "4",
		help: "Web Push subscriptions one signed-in device (session) may have",
		set:  func(c *Serve, v string) error { return keep(&c.PushPerSession)(parseInt(v, 1)) },
	},
	{
		name: "secret-queue", kind: kindInt, arg: "N", def: "10000",
		help: "secret-chat envelopes that may wait for one device; past it sends to the device are refused (SECRET_QUEUE_FULL) until it fetches them",
		set:  func(c *Serve, v string) error { return keep(&c.SecretQueue)(parseInt(v, 1)) },
	},
	{
		name: "secret-ttl", kind: kindDuration, arg: "DURATION", def: "720h",
		help: "how long a secret-chat envelope, and a file shared in a secret chat, waits at most for its device (then it is deleted)",
		set:  func(c *Serve, v string) error { return keep(&c.SecretTTL)(parsePositiveDuration(v)) },
	},
	{
		name: "push-allow-private", kind: kindBool, def: "false",
		help: "let Web Push reach endpoints on loopback, private and other non-public addresses (a push service on your own network); off, clients cannot make the server call into its network",
		set:  func(c *Serve, v string) error { return keep(&c.PushAllowPrivate)(parseBool(v)) },
	},
	{
		name: "ip-logging", kind: kindBool, def: "false",
		help: "write client IP addresses to logs and store them with sessions",
		set:  func(c *Serve, v string) error { return keep(&c.IPLogging)(parseBool(v)) },
	},
	{
		name: "trusted-proxies", kind: kindList, arg: "CIDRS", defNote: "none",
		help: "comma-separated addresses or CIDR ranges of the reverse proxies in front of Haven (e.g. 127.0.0.1,10.0.0.0/8); only a peer among them is believed about the client's address (X-Forwarded-For, right-most address not in the list)",
		set:  func(c *Serve, v string) error { return keep(&c.TrustedProxies)(parsePrefixes(v)) },
	},
	{
		name: "conns-per-ip", kind: kindInt, arg: "N", def: "1024",
		help: "TCP connections open at once from one address (IPv6: one /64); more are closed on arrival. Trusted proxies are exempt",
		set:  func(c *Serve, v string) error { return keep(&c.ConnsPerIP)(parseInt(v, 1)) },
	},
	{
		name: "ws-per-ip", kind: kindInt, arg: "N", def: "256",
		help: "WebSockets open at once from one client address (IPv6: one /64); more are refused with CONNECTIONS_TOO_MANY",
		set:  func(c *Serve, v string) error { return keep(&c.WSPerIP)(parseInt(v, 1)) },
	},
	{
		name: "ws-unauthorized-per-ip", kind: kindInt, arg: "N", def: "32",
		help: "WebSockets not yet signed in open at once from one client address; at most ws-per-ip",
		set:  func(c *Serve, v string) error { return keep(&c.WSUnauthorizedPerIP)(parseInt(v, 1)) },
	},
	{
		name: "ws-per-user", kind: kindInt, arg: "N", def: "32",
		help: "WebSockets open at once for one person (all their sessions) on this server",
		set:  func(c *Serve, v string) error { return keep(&c.WSPerUser)(parseInt(v, 1)) },
	},
	{
		name: "ws-auth-timeout", kind: kindDuration, arg: "DURATION", def: "30s",
		help: "how long a WebSocket may stay open without being authorized",
		set:  func(c *Serve, v string) error { return keep(&c.WSAuthTimeout)(parsePositiveDuration(v)) },
	},
	{
		name: "ws-ping-interval", kind: kindDuration, arg: "DURATION", def: "30s",
		help: "how long a WebSocket may be quiet before the server pings it",
		set:  func(c *Serve, v string) error { return keep(&c.WSPingInterval)(parsePositiveDuration(v)) },
	},
	{
		name: "ws-ping-timeout", kind: kindDuration, arg: "DURATION", def: "20s",
		help: "how long a ping may wait for its pong before the socket is closed as dead",
		set:  func(c *Serve, v string) error { return keep(&c.WSPingTimeout)(parsePositiveDuration(v)) },
	},
	{
		name: "header-timeout", kind: kindDuration, arg: "DURATION", def: "10s",
		help: "how long a request's headers may take to arrive",
		set:  func(c *Serve, v string) error { return keep(&c.HeaderTimeout)(parsePositiveDuration(v)) },
	},
	{
		name: "idle-timeout", kind: kindDuration, arg: "DURATION", def: "120s",
		help: "how long a keep-alive HTTP connection may wait for its next request",
		set:  func(c *Serve, v string) error { return keep(&c.IdleTimeout)(parsePositiveDuration(v)) },
	},
	{
		name: "body-timeout", kind: kindDuration, arg: "DURATION", def: "30s",
		help: "how long a request body may take to arrive; a file part gets this plus its size at part-min-rate",
		set:  func(c *Serve, v string) error { return keep(&c.BodyTimeout)(parsePositiveDuration(v)) },
	},
	{
		name: "part-min-rate", kind: kindSize, arg: "SIZE", def: "1KiB",
		help: "slowest a file part may arrive, in bytes per second, after body-timeout: bytes, or with a unit (1KiB)",
		set:  func(c *Serve, v string) error { return keep(&c.PartMinRate)(parseSize(v)) },
	},
	{
		name: "shutdown-timeout", kind: kindDuration, arg: "DURATION", def: "15s",
		help: "how long a shutdown waits for requests in flight",
		set: func(c *Serve, v string) error {
			return keep(&c.ShutdownTimeout)(parsePositiveDuration(v))
		},
	},
	{
		name: "max-body", kind: kindSize, arg: "SIZE", def: "1MiB",
		help: "largest request body or WebSocket frame: bytes, or with a unit (512KiB, 1MiB)",
		set:  func(c *Serve, v string) error { return keep(&c.MaxBody)(parseSize(v)) },
	},
	{
		name: "file-url-ttl", kind: kindDuration, arg: "DURATION", def: "1h",
		help: "how long a signed file URL (files.getURL) works, up to 24h; it also stops working as soon as the person it was made for may no longer read the file",
		set: func(c *Serve, v string) error {
			d, err := parsePositiveDuration(v)
			if err == nil && (d < time.Second || d > maxFileURLTTL) {
				err = fmt.Errorf("must be between 1s and %gh", maxFileURLTTL.Hours())
			}
			return keep(&c.FileURLTTL)(d, err)
		},
	},
	{
		name: "max-file-size", kind: kindSize, arg: "SIZE", def: "2GiB",
		help: "largest uploaded file: bytes, or with a unit (100MiB, 2GiB)",
		set:  func(c *Serve, v string) error { return keep(&c.MaxFileSize)(parseSize(v)) },
	},
	{
		name: "storage-quota", kind: kindSize, arg: "SIZE", def: "20GiB",
		help: "bytes of files one person may keep: what they uploaded and the declared sizes of their unfinished uploads; 0 for no limit",
		set:  func(c *Serve, v string) error { return keep(&c.StorageQuota)(parseSizeOrZero(v)) },
	},
	{
		name: "max-open-uploads", kind: kindInt, arg: "N", def: "100",
		help: "unfinished uploads one person may have at once",
		set:  func(c *Serve, v string) error { return keep(&c.MaxOpenUploads)(parseInt(v, 1)) },
	},
	{
		name: "upload-ttl", kind: kindDuration, arg: "DURATION", def: "24h",
		help: "how long an upload may stay unfinished; then it and its parts are deleted",
		set:  func(c *Serve, v string) error { return keep(&c.UploadTTL)(parsePositiveDuration(v)) },
	},
	{
		name: "photo-max-pixels", kind: kindInt, arg: "N", def: "40000000",
		help: "largest image decoded as a photo, in pixels (width × height)",
		set:  func(c *Serve, v string) error { return keep(&c.PhotoMaxPixels)(parseInt(v, 1)) },
	},
	{
		name: "photo-max-side", kind: kindInt, arg: "N", def: "10000",
		help: "largest width or height of an image decoded as a photo, in pixels",
		set:  func(c *Serve, v string) error { return keep(&c.PhotoMaxSide)(parseInt(v, 1)) },
	},
	{
		name: "image-memory", kind: kindSize, arg: "SIZE", def: "256MiB",
		help: "memory for decoding images (photos, profile and chat photos), shared by all at once; a decode waits for its share",
		set:  func(c *Serve, v string) error { return keep(&c.ImageMemory)(parseSize(v)) },
	},
	{
		name: "image-wait", kind: kindDuration, arg: "DURATION", def: "15s",
		help: "how long a photo waits for image-memory before the call answers FLOOD_WAIT",
		set:  func(c *Serve, v string) error { return keep(&c.ImageWait)(parsePositiveDuration(v)) },
	},
	{
		name: "blob-store", kind: kindString, arg: "STORE", def: BlobStoreDisk,
		help: "where uploaded files are kept: disk (in <data-dir>/blobs) or s3 (a bucket of MinIO, SeaweedFS or any S3-compatible service; see the s3-* settings)",
		set: func(c *Serve, v string) error {
			return keep(&c.BlobStore)(oneOf(v, BlobStoreDisk, BlobStoreS3))
		},
	},
	{
		name: "s3-endpoint", kind: kindString, arg: "ENDPOINT",
		help: "S3 service for blob-store s3, without a scheme, e.g. s3.eu-west-1.amazonaws.com or minio:9000",
		set:  func(c *Serve, v string) error { return keep(&c.S3Endpoint)(optional(parseS3Endpoint)(v)) },
	},
	{
		name: "s3-bucket", kind: kindString, arg: "NAME",
		help: "bucket holding the blobs (created if missing); required with blob-store s3",
		set:  func(c *Serve, v string) error { return keep(&c.S3Bucket)(optional(parseBucket)(v)) },
	},
	{
		name: "s3-access-key", kind: kindString, arg: "KEY",
		help: "S3 access key id; needs s3-secret-key",
		set:  func(c *Serve, v string) error { c.S3AccessKey = v; return nil },
	},
	{
		name: "s3-secret-key", kind: kindString, arg: "SECRET", secret: true,
		help: "S3 secret access key",
		set:  func(c *Serve, v string) error { c.S3SecretKey = v; return nil },
	},
	{
		name: "s3-region", kind: kindString, arg: "REGION", defNote: "none (asked of the service)",
		help: "region of the S3 bucket, e.g. us-east-1",
		set:  func(c *Serve, v string) error { c.S3Region = v; return nil },
	},
	{
		name: "s3-tls", kind: kindBool, def: "true",
		help: "speak HTTPS to s3-endpoint; --s3-tls=false for plain HTTP (a service on the same machine or private network)",
		set:  func(c *Serve, v string) error { return keep(&c.S3TLS)(parseBool(v)) },
	},
	{
		name: "flood-rate", kind: kindFloat, arg: "PER_SECOND", def: "30",
		help: "requests per second allowed per user and method; 0 turns flood control off (for benchmarks only: a warning is logged at start)",
		set:  func(c *Serve, v string) error { return keep(&c.FloodRate)(parseNonNegativeFloat(v)) },
	},
	{
		name: "flood-burst", kind: kindInt, arg: "N", def: "60",
		help: "requests per user and method allowed at once above flood-rate",
		set:  func(c *Serve, v string) error { return keep(&c.FloodBurst)(parseInt(v, 1)) },
	},
	{
		name: "invite-links-max", kind: kindInt, arg: "N", def: "100",
		help: "working invite links one person may have to one group or channel (revoked, expired and used-up links do not count)",
		set:  func(c *Serve, v string) error { return keep(&c.InviteLinksMax)(parseInt(v, 1)) },
	},
	{
		name: "signin-code-per-identifier", kind: kindInt, arg: "N", def: "5",
		help: "sign-in codes that may be requested per hour for one phone number or email",
		set: func(c *Serve, v string) error {
			return keep(&c.SigninCodePerIdentifier)(parseInt(v, 1))
		},
	},
	{
		name: "signin-code-per-ip", kind: kindInt, arg: "N", def: "50",
		help: "sign-in codes that may be requested per hour from one client IP address",
		set:  func(c *Serve, v string) error { return keep(&c.SigninCodePerIP)(parseInt(v, 1)) },
	},
	{
		name: "signin-guesses-per-day", kind: kindInt, arg: "N", def: "10",
		help: "wrong sign-in codes allowed per phone number or email, and wrong passwords or recovery codes per account, in a day; past it they answer FLOOD_WAIT unchecked",
		set:  func(c *Serve, v string) error { return keep(&c.SigninGuessesPerDay)(parseInt(v, 1)) },
	},
	{
		name: "contacts-lookups-per-day", kind: kindInt, arg: "N", def: "1000",
		help: "phone numbers and emails one account may look up for the first time in a day (contacts.import)",
		set:  func(c *Serve, v string) error { return keep(&c.ContactLookupsPerDay)(parseInt(v, 1)) },
	},
	{
		name: configName, kind: kindString, arg: "FILE",
		help: "TOML file of settings; only as this flag or HAVEN_CONFIG",
		set:  func(c *Serve, v string) error { c.Config = v; return nil },
	},
	{
		name: "secret-file", kind: kindString, arg: "FILE", defNote: "<data-dir>/secret.key",
		help: "file holding the server's secret key",
		set:  func(c *Serve, v string) error { c.SecretFile = v; return nil },
	},
}

// serveLoader is built once; it holds no state between loads.
var serveLoader = newLoader("haven serve",
	"Runs the Haven messenger server. With no settings it serves on\n"+
		"127.0.0.1:8080 and keeps everything in ./haven-data.",
	serveSettings)

// LoadServe builds the configuration of `haven serve` from its defaults,
// the TOML file named by --config or HAVEN_CONFIG, the HAVEN_* variables of
// environ (entries "KEY=value", as from os.Environ) and the flags in args
// (without the program and command names), each overriding the one before.
//
// If args ask for help (-h, --help), LoadServe writes usage to stderr and
// returns flag.ErrHelp. Otherwise it returns either the configuration or
// an error joining every problem found (errors.Join): unknown flags,
// HAVEN_* variables and file keys, bad values, and settings that conflict
// or lack a partner. Each names the setting and the source of its value.
func LoadServe(args []string, environ []string, stderr io.Writer) (*Serve, error) {
	c := new(Serve)
	from, errs, err := serveLoader.load(c, args, environ, stderr)
	if err != nil {
		return nil, err
	}
	if c.ACMECacheDir == "" {
		c.ACMECacheDir = filepath.Join(c.DataDir, "acme")
	}
	if c.SecretFile == "" {
		c.SecretFile = filepath.Join(c.DataDir, "secret.key")
	}
	if c.Signup == "" {
		c.Signup = c.defaultSignup()
	}
	if c.PushKeyFile == "" {
		c.PushKeyFile = filepath.Join(c.DataDir, "vapid.key")
	}
	errs = append(errs, c.check(from)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// check finds settings that conflict or lack a partner. from gives the
// source of each setting not left at its default.
func (c *Serve) check(from map[string]string) []error {
	var errs []error
	at := func(name string) string {
		if src, ok := from[name]; ok {
			return name + " (" + src + ")"
		}
		return name + " (default)"
	}
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	// unused reports settings given explicitly that have no effect because
	// the feature they belong to is off: almost always a mistake. When
	// the feature was turned off explicitly (say --acme-domain= over a file
	// that sets it up), the leftovers are intended and pass.
	unused := func(feature, why string, names ...string) {
		if _, set := from[feature]; set {
			return
		}
		for _, n := range names {
			if _, set := from[n]; set {
				fail("%s: has no effect %s", at(n), why)
			}
		}
	}

	if c.MetricsListen != "" && c.MetricsListen == c.Listen && !strings.HasSuffix(c.Listen, ":0") {
		fail("%s: must differ from listen: metrics and profiles are not served beside the API", at("metrics-listen"))
	}

	unused("db", "without db (SQLite has one writer, and groups as it must)", "db-batch")

	if c.TLSCert != "" && c.TLSKey == "" {
		fail("%s: needs tls-key as well", at("tls-cert"))
	}
	if c.TLSKey != "" && c.TLSCert == "" {
		fail("%s: needs tls-cert as well", at("tls-key"))
	}

	if len(c.ACMEDomains) > 0 {
		if c.TLSCert != "" {
			fail("%s and %s: are mutually exclusive; use a certificate file or automatic certificates, not both",
				at("acme-domain"), at("tls-cert"))
		}
	} else {
		unused("acme-domain", "without acme-domain", "acme-email", "acme-cache-dir", "acme-directory-url")
	}

	if c.Signup != SignupInvite {
		unused("signup", "unless signup is invite",
			"signup-phone-prefixes", "signup-email-domains", "signup-member-invites", "signup-member-invite-ttl")
	}

	if c.CodeSender != CodeSenderWebhook {
		unused("code-sender", "unless code-sender is webhook=URL", "webhook-auth")
	}

	if c.SMTPHost != "" {
		if c.SMTPFrom == "" {
			fail("%s: needs smtp-from as well", at("smtp-host"))
		}
		if (c.SMTPUsername == "") != (c.SMTPPassword == "") {
			fail("%s and %s: give both or neither", at("smtp-username"), at("smtp-password"))
		}
		if c.SMTPTLS == SMTPTLSNone && c.SMTPPassword != "" && !isLoopbackHost(c.SMTPHost) {
			fail("%s: would send smtp-password unencrypted to %s; use starttls or tls", at("smtp-tls"), c.SMTPHost)
		}
	} else {
		unused("smtp-host", "without smtp-host",
			"smtp-port", "smtp-username", "smtp-password", "smtp-from", "smtp-tls")
	}
	if c.WSUnauthorizedPerIP > c.WSPerIP {
		fail("%s: is more than %s (%d), so it would never apply", at("ws-unauthorized-per-ip"), at("ws-per-ip"), c.WSPerIP)
	}
	if c.BlobStore == BlobStoreS3 {
		if c.S3Endpoint == "" {
			fail("%s: needs s3-endpoint as well", at("blob-store"))
		}
		if c.S3Bucket == "" {
			fail("%s: needs s3-bucket as well", at("blob-store"))
		}
		if (c.S3AccessKey == "") != (c.S3SecretKey == "") {
			fail("%s and %s: give both or neither", at("s3-access-key"), at("s3-secret-key"))
		}
	} else {
		unused("blob-store", "unless blob-store is s3",
			"s3-endpoint", "s3-bucket", "s3-access-key", "s3-secret-key", "s3-region", "s3-tls")
	}
	return errs
}

// String describes c for logs, with WebhookAuth, SMTPPassword and
// S3SecretKey redacted. It has a value receiver so that printing a Serve or a *Serve
// never shows a secret.
func (c Serve) String() string {
	type plain Serve // without this String method
	for _, secret := range []*string{&c.WebhookAuth, &c.SMTPPassword, &c.S3SecretKey} {
		if *secret != "" {
			*secret = "REDACTED"
		}
	}
	// The database URL: its user and password, or all of it when a
	// password may hide in its parameters.
	if c.DB = hideUserinfo(c.DB); strings.Contains(strings.ToLower(c.DB), "password") {
		c.DB = "REDACTED"
	}
	return fmt.Sprintf("%+v", plain(c))
}

// parseDBURL accepts a PostgreSQL URL (postgres:// or postgresql://)
// with a host.
func parseDBURL(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return "", errors.New("must be a PostgreSQL URL: postgres://user:password@host:port/database")
	}
	return v, nil
}
