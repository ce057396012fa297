// Package core holds Haven's use cases: signing in, sessions, profiles,
// contacts, privacy and the account's lifetime. It enforces every business
// rule and limit once, knows nothing of HTTP, JSON or SQL, and reaches the
// world only through the small interfaces it declares (Store, Bus, Frames,
// CodeSender, Clock, PasswordHasher). It returns domain values (a message,
// a chat or a person as one viewer may see them); their wire shapes, and
// the push frames, are the transport's (internal/api).
package core

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/havenchat/haven"
)

// PasswordHasher hashes and checks cloud passwords (argon2id in
// internal/password). Both methods may wait for a free slot and return
// ctx.Err() if the context ends first.
type PasswordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, password, encoded string) (bool, error)
}

// Config is what a Service needs. Store, Codes and Passwords are
// required; the rest have defaults.
type Config struct {
	Store Store
	Bus   Bus
	// Frames encodes the pushes published on Bus; required with a Bus.
	Frames    Frames
	Codes     CodeSender
	Passwords PasswordHasher
	Clock     Clock
	Log       *slog.Logger
	Limits    haven.Limits
	// Secret keys the HMACs under which login codes, and the phone
	// numbers, emails and IPs that limits count, are stored. It must stay
	// the same across restarts and be shared by every node.
	Secret []byte
	// Rand is the source of tokens and codes; crypto/rand by default.
	Rand io.Reader
	// IPLogging keeps the client address of each session's last activity.
	IPLogging bool
	// CodesPerIdentifier and CodesPerIP limit how many codes may be sent
	// to one phone number or email and asked for from one IP address.
	// The zero Rate means unlimited.
	CodesPerIdentifier Rate
	CodesPerIP         Rate
	// Guesses limits the wrong guesses of sign-in codes per phone number
	// or email, and of passwords and recovery codes per account; past it
	// a guess answers FLOOD_WAIT unchecked. The zero Rate means unlimited.
	Guesses Rate
	// LookupsPerDay caps the phone numbers and emails one account may
	// look up for the first time in a day (contacts.import); 0 means
	// unlimited.
	LookupsPerDay int
	// Blobs stores file contents; nil makes the files methods answer
	// UNAVAILABLE.
	Blobs Blobs
	// TouchInterval is how stale a session's last-activity time may get
	// before a request writes it again (one minute by default).
	TouchInterval time.Duration
	// BlobGrace is how long an unreferenced blob is kept, from its last
	// Put, before CollectBlobs deletes it (one hour by default).
	BlobGrace time.Duration
	// ImageMemory is the budget, in bytes, of all image decoding at once
	// (256 MiB by default); ImageWait how long a decode waits for room in
	// it before the call answers FLOOD_WAIT (15 seconds by default).
	ImageMemory int64
	ImageWait   time.Duration
	// Signup is who may make an account (anyone, by default).
	Signup SignupPolicy
	// PublicURL is the server's address as others reach it, such as
	// "https://chat.example.org", without a final slash: invite and file
	// links are full URLs on it. Empty makes them paths ("/join/…").
	PublicURL string
	// Push turns Web Push on (with a Sender) and bounds it; RunPush
	// delivers.
	Push PushConfig
}

// Service runs the use cases. It is safe for concurrent use.
type Service struct {
	store      Store
	reach      reachCache // CanContact's answers on the committed state
	posts      postCache  // postable's reads on the committed state
	bus        Bus
	frames     Frames
	codes      CodeSender
	passwords  PasswordHasher
	clock      Clock
	log        *slog.Logger
	limits     haven.Limits
	secret     []byte
	fileURLs   cipher.AEAD // seals signed file URLs (files.go)
	rand       io.Reader
	ipLogging  bool
	codesID    Rate
	codesIP    Rate
	guesses    Rate
	lookups    int
	touchEvery time.Duration
	blobs      Blobs
	blobGrace  time.Duration
	signup     SignupPolicy
	publicURL  string

	images      *semaphore.Weighted // of bytes, imageMemory in all
	imageMemory int64
	imageWait   time.Duration

	touchMu sync.Mutex
	touched map[int64]time.Time // session id → last written activity

	lists secretLists // device lists whose signature was checked (secret.go)

	presence *presence // who is online; never stored
	push     *pusher   // nil when Web Push is off
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Codes == nil || cfg.Passwords == nil {
		return nil, errors.New("core: Store, Codes and Passwords are required")
	}
	if cfg.Bus != nil && cfg.Frames == nil {
		return nil, errors.New("core: a Bus needs Frames to encode its pushes")
	}
	if len(cfg.Secret) < 32 {
		return nil, errors.New("core: Secret must be at least 32 bytes")
	}
	s := &Service{
		store:       cfg.Store,
		bus:         cfg.Bus,
		frames:      cfg.Frames,
		codes:       cfg.Codes,
		passwords:   cfg.Passwords,
		clock:       cfg.Clock,
		log:         cfg.Log,
		limits:      cfg.Limits,
		secret:      cfg.Secret,
		rand:        cfg.Rand,
		ipLogging:   cfg.IPLogging,
		codesID:     cfg.CodesPerIdentifier,
		codesIP:     cfg.CodesPerIP,
		guesses:     cfg.Guesses,
		lookups:     cfg.LookupsPerDay,
		touchEvery:  cfg.TouchInterval,
		blobs:       cfg.Blobs,
		blobGrace:   cfg.BlobGrace,
		imageMemory: cfg.ImageMemory,
		imageWait:   cfg.ImageWait,
		signup:      cfg.Signup,
		publicURL:   strings.TrimRight(cfg.PublicURL, "/"),
		touched:     make(map[int64]time.Time),
		presence:    newPresence(),
		push:        newPusher(cfg.Push),
	}
	if s.clock == nil {
		s.clock = SystemClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.limits == (haven.Limits{}) {
		s.limits = haven.DefaultLimits()
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.touchEvery == 0 {
		s.touchEvery = time.Minute
	}
	if s.blobGrace <= 0 {
		s.blobGrace = time.Hour
	}
	if s.imageMemory <= 0 {
		s.imageMemory = defaultImageMemory
	}
	if s.imageWait <= 0 {
		s.imageWait = defaultImageWait
	}
	s.images = semaphore.NewWeighted(s.imageMemory)
	// Limits added after a caller's own Limits were written keep their
	// defaults rather than refusing every photo.
	def := haven.DefaultLimits()
	if s.limits.PhotoMaxPixels <= 0 {
		s.limits.PhotoMaxPixels = def.PhotoMaxPixels
	}
	if s.limits.PhotoMaxSide <= 0 {
		s.limits.PhotoMaxSide = def.PhotoMaxSide
	}
	if s.limits.OpenUploadsMax <= 0 {
		s.limits.OpenUploadsMax = def.OpenUploadsMax
	}
	if s.limits.FileURLTTL <= 0 {
		s.limits.FileURLTTL = def.FileURLTTL
	}
	var err error
	if s.fileURLs, err = newFileURLAEAD(s.secret); err != nil {
		return nil, fmt.Errorf("core: %w", err)
	}
	return s, nil
}

// Limits returns the limits the service enforces.
func (s *Service) Limits() haven.Limits { return s.limits }

// Actor is who makes a request: the signed-in session, or nobody yet.
type Actor struct {
	UserID    int64
	SessionID int64
	IP        string
}

// SignedIn reports whether the actor has a session.
func (a *Actor) SignedIn() bool { return a != nil && a.SessionID != 0 }

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// internal wraps an unexpected failure: logged in full, shown as INTERNAL.
func (s *Service) internal(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var he *haven.Error
	if errors.As(err, &he) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	s.log.ErrorContext(ctx, "internal error", "op", op, "err", err)
	return &haven.Error{Code: haven.CodeInternal, Message: fmt.Sprintf("internal error in %s", op)}
}
