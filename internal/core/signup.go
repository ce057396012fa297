package core

import (
	"context"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/ident"
)

// SignupMode is who may make an account on the server.
type SignupMode string

// The sign-up modes.
const (
	// SignupOpen: anyone who receives a sign-in code.
	SignupOpen SignupMode = "open"
	// SignupInvite: people with an invite code, and those the allowlist
	// of SignupPolicy admits without one.
	SignupInvite SignupMode = "invite"
	// SignupClosed: nobody; the operator makes accounts
	// (AdminCreateUser).
	SignupClosed SignupMode = "closed"
)

// SignupPolicy is who may sign up, and whether members may invite
// others. The zero value is SignupOpen with no member invites.
type SignupPolicy struct {
	Mode SignupMode
	// PhonePrefixes (E.164 prefixes such as "+4420") and EmailDomains
	// (lower-case, such as "example.org", matched exactly) admit people
	// without an invite code in SignupInvite mode.
	PhonePrefixes []string
	EmailDomains  []string
	// MemberInvites is how many sign-up invites each member may make in
	// all, in SignupInvite mode; 0 lets only the operator make them.
	MemberInvites int
	// MemberInviteTTL is how long a member's invite stays usable (a week
	// when zero). Each lets one person in.
	MemberInviteTTL time.Duration
}

// needsInvite reports whether a sign-up of identifier needs an invite
// code under p. Only SignupInvite ever needs one.
func (p SignupPolicy) needsInvite(identifier string, kind haven.IdentifierKind) bool {
	if p.Mode != SignupInvite {
		return false
	}
	if kind == haven.KindEmail {
		domain := identifier[strings.LastIndexByte(identifier, '@')+1:]
		for _, d := range p.EmailDomains {
			if domain == d {
				return false
			}
		}
		return true
	}
	for _, prefix := range p.PhonePrefixes {
		if strings.HasPrefix(identifier, prefix) {
			return false
		}
	}
	return true
}

// JoinPath starts the path of every invite link, to a chat or to the
// server: JoinPath + the chat invite's hash or the sign-up invite's code.
// The server answers it with a page that tells how to join.
const JoinPath = "/join/"

// link is the full URL of path on the server's public address, or path
// alone when the server does not know its address.
func (s *Service) link(path string) string { return s.publicURL + path }

// Sign-up invite codes look like "hvi-abcd-efgh-ijkl-mnop": a prefix that
// tells them from chat invite hashes (and lets secret scanners spot them),
// then 80 random bits in lower-case base32, in groups of four so that a
// person can read one out or copy it from paper. Dashes, spaces and case
// are ignored when a code is entered.
const (
	inviteCodePrefix = "hvi"
	inviteCodeBytes  = 10 // 16 base32 characters
)

var inviteCodeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newInviteCode returns a fresh sign-up invite code, as shown to people,
// and the hash the server keeps.
func (s *Service) newInviteCode() (code string, hash []byte, err error) {
	var b [inviteCodeBytes]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", nil, fmt.Errorf("reading randomness: %w", err)
	}
	body := strings.ToLower(inviteCodeEncoding.EncodeToString(b[:]))
	var sb strings.Builder
	sb.WriteString(inviteCodePrefix)
	for i := 0; i < len(body); i += 4 {
		sb.WriteByte('-')
		sb.WriteString(body[i : i+4])
	}
	return sb.String(), hashToken(inviteCodePrefix + body), nil
}

// canonicalInviteCode is code as the server hashes it: lower case,
// without dashes and white space; ok is false when it cannot be a
// sign-up invite code at all.
func canonicalInviteCode(code string) (canonical string, ok bool) {
	var sb strings.Builder
	for _, r := range strings.ToLower(code) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
		case r < 0x80:
			sb.WriteRune(r)
		default:
			return "", false
		}
	}
	c := sb.String()
	body, found := strings.CutPrefix(c, inviteCodePrefix)
	if !found || len(body) != 16 {
		return "", false
	}
	if _, err := inviteCodeEncoding.DecodeString(strings.ToUpper(body)); err != nil {
		return "", false
	}
	return c, true
}

// IsSignupInviteCode reports whether s has the form of a sign-up invite
// code (not whether such an invite exists), telling it from a chat
// invite's hash.
func IsSignupInviteCode(s string) bool {
	_, ok := canonicalInviteCode(s)
	return ok
}

// SignupInviteView is a sign-up invite as its maker sees it. Code and
// Link are set only in the answer that makes it: the server keeps only
// the code's hash.
type SignupInviteView struct {
	ID         int64
	Code       string
	Link       string
	CreatorID  int64
	CreatedAt  int64
	ExpiresAt  int64
	UsageLimit int
	Usage      int
	Revoked    bool
}

func signupInviteView(i *haven.SignupInvite) SignupInviteView {
	return SignupInviteView{ID: i.ID, CreatorID: i.CreatorID, CreatedAt: unix(i.CreatedAt), ExpiresAt: unix(i.ExpiresAt),
		UsageLimit: i.UsageLimit, Usage: i.Usage, Revoked: i.Revoked}
}

// SignupInvites answers ListSignupInvites: the member's invites, and how
// many more they may make.
type SignupInvites struct {
	Invites   []SignupInviteView
	Remaining int
}

// maxInviteUses bounds an operator's invite: more than a town, fewer than
// an overflow.
const maxInviteUses = 1_000_000

// signupInvite loads the invite of code inside q.
// Errors: CodeInviteCodeInvalid.
func signupInvite(ctx context.Context, q Queries, code string) (*haven.SignupInvite, error) {
	c, ok := canonicalInviteCode(code)
	if !ok {
		return nil, haven.Errorf(haven.CodeInviteCodeInvalid, "this is not an invite code of this server")
	}
	inv, err := q.SignupInviteByHash(ctx, hashToken(c))
	if errors.Is(err, haven.ErrNotFound) {
		return nil, haven.Errorf(haven.CodeInviteCodeInvalid, "this is not an invite code of this server")
	}
	return inv, err
}

// usableInvite reports why a sign-up invite cannot let anyone in now, if
// it cannot.
func (s *Service) usableInvite(inv *haven.SignupInvite) error {
	switch {
	case inv.Revoked:
		return haven.Errorf(haven.CodeInviteCodeExpired, "this invite code was revoked")
	case !inv.ExpiresAt.IsZero() && !s.now().Before(inv.ExpiresAt):
		return haven.Errorf(haven.CodeInviteCodeExpired, "this invite code has expired")
	case inv.UsageLimit > 0 && inv.Usage >= inv.UsageLimit:
		return haven.Errorf(haven.CodeInviteCodeUsedUp, "this invite code has been used up")
	}
	return nil
}

func signupClosed() error {
	return haven.Errorf(haven.CodeSignupClosed, "this server makes no accounts by sign-up: ask its operator for one")
}

// admit decides, inside the sign-up's transaction, whether the person of
// attempt at may make an account, and spends a use of their invite when
// they need one. failed is the refusal, to report after the transaction
// (which then holds no write but, for SignupClosed, the attempt's end).
func (s *Service) admit(ctx context.Context, tx Tx, at *haven.LoginAttempt, code string) (failed, err error) {
	if s.signup.Mode == SignupClosed {
		return signupClosed(), tx.DeleteLoginAttempt(ctx, at.TokenHash)
	}
	if !s.signup.needsInvite(at.Identifier, at.Kind) {
		return nil, nil
	}
	if strings.TrimSpace(code) == "" {
		return haven.Errorf(haven.CodeInviteCodeRequired, "sign-up on this server needs an invite code"), nil
	}
	inv, err := signupInvite(ctx, tx, code)
	var he *haven.Error
	if errors.As(err, &he) {
		return err, nil
	}
	if err != nil {
		return nil, err
	}
	if err := s.usableInvite(inv); err != nil {
		return err, nil
	}
	inv.Usage++
	return nil, tx.UpdateSignupInvite(ctx, inv)
}

// CreateSignupInvite makes a sign-up invite as a member, for one person,
// when the operator lets members invite. Errors:
// CodeMemberInvitesDisabled, CodeMemberInvitesTooMany.
func (s *Service) CreateSignupInvite(ctx context.Context, a *Actor) (*SignupInviteView, error) {
	if s.signup.Mode != SignupInvite || s.signup.MemberInvites <= 0 {
		return nil, haven.Errorf(haven.CodeMemberInvitesDisabled, "on this server only the operator makes sign-up invites")
	}
	ttl := s.signup.MemberInviteTTL
	if ttl <= 0 {
		ttl = 7 * 24 * time.Hour
	}
	return s.createSignupInvite(ctx, "signup.createInvite", a.UserID, 1, ttl, func(tx Tx) error {
		n, err := tx.CountSignupInvites(ctx, a.UserID)
		if err != nil {
			return err
		}
		if n >= s.signup.MemberInvites {
			return haven.Errorf(haven.CodeMemberInvitesTooMany, "you have made the %d sign-up invites this server allows each member", s.signup.MemberInvites)
		}
		return nil
	})
}

// AdminCreateInvite makes a sign-up invite as the operator: usageLimit
// sign-ups (0: any number), for expiresIn (0: no end). Errors:
// CodeParamInvalid.
func (s *Service) AdminCreateInvite(ctx context.Context, usageLimit int, expiresIn time.Duration) (*SignupInviteView, error) {
	if usageLimit < 0 || usageLimit > maxInviteUses || expiresIn < 0 {
		return nil, haven.Errorf(haven.CodeParamInvalid, "uses must be 0 (no limit) to %d, and the expiry 0 (never) or more", maxInviteUses)
	}
	return s.createSignupInvite(ctx, "admin.createInvite", 0, usageLimit, expiresIn, nil)
}

// createSignupInvite makes an invite for creator (0: the operator) once
// check, if given, passes inside the transaction.
func (s *Service) createSignupInvite(ctx context.Context, op string, creator int64, uses int, ttl time.Duration, check func(Tx) error) (*SignupInviteView, error) {
	code, hash, err := s.newInviteCode()
	if err != nil {
		return nil, s.internal(ctx, op, err)
	}
	var out SignupInviteView
	err = s.store.Update(ctx, func(tx Tx) error {
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		now := s.now()
		inv := &haven.SignupInvite{CodeHash: hash, CreatorID: creator, CreatedAt: now, UsageLimit: uses}
		if ttl > 0 {
			inv.ExpiresAt = now.Add(ttl)
		}
		if err := tx.CreateSignupInvite(ctx, inv); err != nil {
			return err
		}
		out = signupInviteView(inv)
		return nil
	})
	if err != nil {
		return nil, s.internal(ctx, op, err)
	}
	out.Code, out.Link = code, s.link(JoinPath+code)
	return &out, nil
}

// ListSignupInvites lists the sign-up invites the member made, newest
// first, and how many more they may make.
func (s *Service) ListSignupInvites(ctx context.Context, a *Actor) (*SignupInvites, error) {
	is, err := s.store.SignupInvites(ctx, a.UserID)
	if err != nil {
		return nil, s.internal(ctx, "signup.invites", err)
	}
	out := &SignupInvites{Invites: make([]SignupInviteView, 0, len(is))}
	for _, i := range is {
		out.Invites = append(out.Invites, signupInviteView(i))
	}
	if s.signup.Mode == SignupInvite {
		out.Remaining = max(s.signup.MemberInvites-len(is), 0)
	}
	return out, nil
}

// AdminInvites lists every sign-up invite, the operator's and the
// members', newest first.
func (s *Service) AdminInvites(ctx context.Context) ([]SignupInviteView, error) {
	is, err := s.store.AllSignupInvites(ctx)
	if err != nil {
		return nil, s.internal(ctx, "admin.invites", err)
	}
	out := make([]SignupInviteView, 0, len(is))
	for _, i := range is {
		out = append(out, signupInviteView(i))
	}
	return out, nil
}

// RevokeSignupInvite makes one of the member's own sign-up invites stop
// working (revoking one twice is no error). Errors: CodeInviteCodeInvalid.
func (s *Service) RevokeSignupInvite(ctx context.Context, a *Actor, id int64) error {
	return s.revokeSignupInvite(ctx, "signup.revokeInvite", func(q Queries) (*haven.SignupInvite, error) {
		inv, err := q.SignupInviteByID(ctx, id)
		if errors.Is(err, haven.ErrNotFound) || err == nil && inv.CreatorID != a.UserID {
			return nil, haven.Errorf(haven.CodeInviteCodeInvalid, "you have no sign-up invite %d", id)
		}
		return inv, err
	})
}

// AdminRevokeInvite makes any sign-up invite stop working: ref is its id
// or its code. Errors: CodeInviteCodeInvalid.
func (s *Service) AdminRevokeInvite(ctx context.Context, ref string) error {
	return s.revokeSignupInvite(ctx, "admin.revokeInvite", func(q Queries) (*haven.SignupInvite, error) {
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil {
			return signupInvite(ctx, q, ref)
		}
		inv, err := q.SignupInviteByID(ctx, id)
		if errors.Is(err, haven.ErrNotFound) {
			return nil, haven.Errorf(haven.CodeInviteCodeInvalid, "there is no sign-up invite %d", id)
		}
		return inv, err
	})
}

func (s *Service) revokeSignupInvite(ctx context.Context, op string, find func(Queries) (*haven.SignupInvite, error)) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		inv, err := find(tx)
		if err != nil {
			return err
		}
		if inv.Revoked {
			return nil
		}
		inv.Revoked = true
		return tx.UpdateSignupInvite(ctx, inv)
	})
	return s.internal(ctx, op, err)
}

// AdminCreateUser makes an account for a person, as the operator, in any
// sign-up mode: they then sign in with a code sent to identifier (a phone
// number or an email address). Errors: CodePhoneInvalid,
// CodeEmailInvalid, CodeFirstNameInvalid, CodeLastNameInvalid,
// CodeAccountExists.
func (s *Service) AdminCreateUser(ctx context.Context, identifier, firstName, lastName string) (*haven.User, error) {
	id, kind, err := ident.Parse(identifier)
	if err != nil {
		return nil, err
	}
	first, last, err := s.checkNames(firstName, lastName)
	if err != nil {
		return nil, err
	}
	var u *haven.User
	err = s.store.Update(ctx, func(tx Tx) error {
		_, err := s.userByIdentifier(ctx, tx, id, kind)
		switch {
		case err == nil:
			return haven.Errorf(haven.CodeAccountExists, "an account already has %s", id)
		case !errors.Is(err, haven.ErrNotFound):
			return err
		}
		u = s.newUser(id, kind, first, last)
		return tx.CreateUser(ctx, u)
	})
	if err != nil {
		return nil, s.internal(ctx, "admin.createUser", err)
	}
	return u, nil
}
