package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/ident"
)

// SentCode answers SendCode: the login token names the attempt in the
// next steps; the code itself went to the person.
type SentCode struct {
	LoginToken string
	Kind       string // "phone" or "email"
	Delivery   string // a Delivery* value, or "" when unknown
	CodeLength int    // digits
	ExpiresIn  int    // seconds
}

// Authorization is the outcome of a sign-in step. Status is "authorized"
// (Token and User set), "password_required" (Hint may be set) or
// "sign_up_required" (InviteRequired says whether SignUp needs an invite
// code, so that a client asks for it with the name).
type Authorization struct {
	Status         string
	Token          string
	User           *UserView
	Hint           string
	InviteRequired bool
	SessionID      int64
}

// The statuses of an Authorization.
const (
	StatusAuthorized       = "authorized"
	StatusPasswordRequired = "password_required"
	StatusSignUpRequired   = "sign_up_required"
)

// SendCode starts a sign-in: it normalises the phone number or email,
// applies the per-identifier and per-IP limits (kept in the store, so a
// restart does not reset them), stores the attempt and sends a one-time
// code. Errors: CodePhoneInvalid, CodeEmailInvalid,
// CodeDeviceInvalid, CodeFloodWait, CodeCodeDeliveryFailed.
func (s *Service) SendCode(ctx context.Context, a *Actor, identifier, device string) (*SentCode, error) {
	id, kind, err := ident.Parse(identifier)
	if err != nil {
		return nil, err
	}
	device, err = s.checkDevice(device)
	if err != nil {
		return nil, err
	}
	token, tokenHash, err := s.newToken()
	if err != nil {
		return nil, s.internal(ctx, "auth.sendCode", err)
	}
	code, err := s.newCode(s.limits.CodeLength)
	if err != nil {
		return nil, s.internal(ctx, "auth.sendCode", err)
	}
	now := s.now()
	at := &haven.LoginAttempt{
		TokenHash:  tokenHash,
		Identifier: id,
		Kind:       kind,
		CodeHash:   s.codeHash(tokenHash, PurposeSignIn, code),
		Device:     device,
		CreatedAt:  now,
		ExpiresAt:  now.Add(s.limits.CodeTTL),
		Step:       haven.StepCodeSent,
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := s.limitCodes(ctx, tx, id, a.IP); err != nil {
			return err
		}
		return tx.CreateLoginAttempt(ctx, at)
	})
	if err != nil {
		return nil, s.internal(ctx, "auth.sendCode", err)
	}
	if err := s.codes.SendCode(ctx, id, code, PurposeSignIn); err != nil {
		s.log.WarnContext(ctx, "code delivery failed", "kind", kind, "err", err)
		_ = s.store.Update(ctx, func(tx Tx) error { return tx.DeleteLoginAttempt(ctx, at.TokenHash) })
		return nil, haven.Errorf(haven.CodeCodeDeliveryFailed, "the code could not be delivered; try again later")
	}
	var delivery string
	if rt, ok := s.codes.(CodeRoute); ok {
		delivery = rt.Delivery(id)
	}
	return &SentCode{
		LoginToken: token,
		Kind:       string(kind),
		Delivery:   delivery,
		CodeLength: s.limits.CodeLength,
		ExpiresIn:  int(s.limits.CodeTTL / time.Second),
	}, nil
}

// limitCodes takes a token from the buckets of codes sent to identifier
// and asked for from ip (when known), or answers FLOOD_WAIT; a refusal
// by either keeps nothing, as the caller's Update then fails.
func (s *Service) limitCodes(ctx context.Context, tx Tx, identifier, ip string) error {
	if err := s.take(ctx, tx, s.codesID, s.limitKey(scopeCodeTo, identifier)); err != nil {
		return err
	}
	if ip == "" {
		return nil
	}
	return s.take(ctx, tx, s.codesIP, s.limitKey(scopeCodeFrom, ip))
}

func (s *Service) checkDevice(device string) (string, error) {
	d, ok := haven.CleanText(device)
	if !ok || haven.UTF16Len(d) > s.limits.DeviceMax {
		return "", haven.Errorf(haven.CodeDeviceInvalid, "device name must be at most %d characters of printable text", s.limits.DeviceMax)
	}
	if d == "" {
		d = "Unknown device"
	}
	return d, nil
}

// attempt loads a live login attempt by its token inside tx. An expired
// one is deleted (the deletion is kept: the caller must return nil from
// its Update and hand the error out separately).
func (s *Service) attempt(ctx context.Context, q Queries, loginToken string) (*haven.LoginAttempt, error) {
	if !wellFormedToken(loginToken) {
		return nil, haven.Errorf(haven.CodeLoginTokenInvalid, "login token is not valid")
	}
	at, err := q.LoginAttemptByToken(ctx, hashToken(loginToken))
	if errors.Is(err, haven.ErrNotFound) {
		return nil, haven.Errorf(haven.CodeLoginTokenInvalid, "login token is not valid or has been used")
	}
	if err != nil {
		return nil, err
	}
	return at, nil
}

// signInTx runs fn on the live attempt named by loginToken. fn returns
// the outcome; failed is an error to report after the transaction has
// committed whatever fn wrote (a spent attempt counter must stick).
func (s *Service) signInTx(ctx context.Context, loginToken string, fn func(tx Tx, at *haven.LoginAttempt) (res *Authorization, failed error, err error)) (*Authorization, error) {
	var res *Authorization
	var failed error
	err := s.store.Update(ctx, func(tx Tx) error {
		res, failed = nil, nil
		at, err := s.attempt(ctx, tx, loginToken)
		if err != nil {
			return err
		}
		if !s.now().Before(at.ExpiresAt) {
			failed = haven.Errorf(haven.CodeCodeExpired, "the code has expired; ask for a new one")
			return tx.DeleteLoginAttempt(ctx, at.TokenHash)
		}
		res, failed, err = fn(tx, at)
		return err
	})
	if err != nil {
		return nil, s.internal(ctx, "auth", err)
	}
	if failed != nil {
		return nil, failed
	}
	return res, nil
}

// spend counts one wrong guess against the attempt and returns the error
// to show: CodeInvalid with the guesses left, or CodeAttemptsExceeded
// (and the attempt is gone) after the last.
func (s *Service) spend(ctx context.Context, tx Tx, at *haven.LoginAttempt, wrong *haven.Error) (error, error) {
	at.Attempts++
	if at.Attempts >= s.limits.CodeAttempts {
		return haven.Errorf(haven.CodeCodeAttemptsExceeded, "too many wrong attempts; ask for a new code"), tx.DeleteLoginAttempt(ctx, at.TokenHash)
	}
	wrong.Message = fmt.Sprintf("%s; %d attempts left", wrong.Message, s.limits.CodeAttempts-at.Attempts)
	return wrong, tx.UpdateLoginAttempt(ctx, at)
}

// SignIn checks the code of a login attempt. With the right code it signs
// an existing person in, or asks for the cloud password, or asks a new
// person to sign up (saying whether they need an invite code), or, when
// the server takes no sign-ups, ends the attempt with CodeSignupClosed.
// Errors: CodeLoginTokenInvalid, CodeCodeInvalid (a wrong code; each
// counts, against the attempt and against the phone number or email),
// CodeCodeAttemptsExceeded, CodeCodeExpired, CodeLoginStepInvalid,
// CodeSignupClosed, CodeFloodWait (too many wrong codes for the
// identifier lately: the code is not checked).
func (s *Service) SignIn(ctx context.Context, a *Actor, loginToken, code string) (*Authorization, error) {
	return s.signInTx(ctx, loginToken, func(tx Tx, at *haven.LoginAttempt) (*Authorization, error, error) {
		if at.Step != haven.StepCodeSent {
			return nil, haven.Errorf(haven.CodeLoginStepInvalid, "the code was already accepted; continue with the %s step", at.Step), nil
		}
		key := s.limitKey(scopeGuessCode, at.Identifier)
		if failed, err := s.beforeGuess(ctx, tx, key); failed != nil || err != nil {
			return nil, failed, err
		}
		if len(code) != s.limits.CodeLength || !s.codeMatches(at.TokenHash, PurposeSignIn, code, at.CodeHash) {
			if err := s.wrongGuess(ctx, tx, key); err != nil {
				return nil, nil, err
			}
			failed, err := s.spend(ctx, tx, at, haven.Errorf(haven.CodeCodeInvalid, "the code is wrong"))
			return nil, failed, err
		}
		if err := s.rightGuess(ctx, tx, key); err != nil {
			return nil, nil, err
		}
		u, err := s.userByIdentifier(ctx, tx, at.Identifier, at.Kind)
		switch {
		case errors.Is(err, haven.ErrNotFound) && s.signup.Mode == SignupClosed:
			return nil, signupClosed(), tx.DeleteLoginAttempt(ctx, at.TokenHash)
		case errors.Is(err, haven.ErrNotFound):
			at.Step = haven.StepSignUpRequired
			res := &Authorization{Status: StatusSignUpRequired, InviteRequired: s.signup.needsInvite(at.Identifier, at.Kind)}
			return res, nil, tx.UpdateLoginAttempt(ctx, at)
		case err != nil:
			return nil, nil, err
		case u.Password.Set():
			at.Step, at.UserID, at.Attempts = haven.StepPasswordRequired, u.ID, 0
			return &Authorization{Status: StatusPasswordRequired, Hint: u.Password.Hint}, nil, tx.UpdateLoginAttempt(ctx, at)
		}
		res, err := s.authorize(ctx, tx, a, at, u)
		return res, nil, err
	})
}

// newUser is a new account of a person with a phone number or an email.
func (s *Service) newUser(identifier string, kind haven.IdentifierKind, first, last string) *haven.User {
	now := s.now()
	u := &haven.User{FirstName: first, LastName: last, CreatedAt: now, LastActiveAt: now, AccountTTLDays: haven.DefaultAccountTTLDays}
	if kind == haven.KindEmail {
		u.Email = identifier
	} else {
		u.Phone = identifier
	}
	return u
}

func (s *Service) userByIdentifier(ctx context.Context, q Queries, id string, kind haven.IdentifierKind) (*haven.User, error) {
	if kind == haven.KindEmail {
		return q.UserByEmail(ctx, id)
	}
	return q.UserByPhone(ctx, id)
}

// authorize ends a login attempt with a new session for u.
func (s *Service) authorize(ctx context.Context, tx Tx, a *Actor, at *haven.LoginAttempt, u *haven.User) (*Authorization, error) {
	return s.authorizeNew(ctx, tx, a, at, u, false)
}

// authorizeNew is authorize; fresh says u was created in this
// transaction, already active now.
func (s *Service) authorizeNew(ctx context.Context, tx Tx, a *Actor, at *haven.LoginAttempt, u *haven.User, fresh bool) (*Authorization, error) {
	token, hash, err := s.newToken()
	if err != nil {
		return nil, err
	}
	now := s.now()
	sess := &haven.Session{UserID: u.ID, TokenHash: hash, Device: at.Device, CreatedAt: now, LastActiveAt: now}
	if s.ipLogging {
		sess.IP = a.IP
	}
	if err := tx.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	if !fresh {
		if err := tx.TouchUser(ctx, u.ID, now); err != nil {
			return nil, err
		}
	}
	if err := tx.DeleteLoginAttempt(ctx, at.TokenHash); err != nil {
		return nil, err
	}
	u.LastActiveAt = now
	v, err := s.view(ctx, tx, u.ID, u)
	if err != nil {
		return nil, err
	}
	return &Authorization{Status: StatusAuthorized, Token: token, User: &v, SessionID: sess.ID}, nil
}

// SignUp finishes the sign-up of a new person whose code was accepted.
// inviteCode is needed when the sign-in step said so (InviteRequired),
// and ignored otherwise; a sign-up with it spends one of its uses.
// Errors: CodeLoginTokenInvalid, CodeLoginStepInvalid, CodeCodeExpired,
// CodeFirstNameInvalid, CodeLastNameInvalid, CodeSignupClosed,
// CodeInviteCodeRequired, CodeInviteCodeInvalid, CodeInviteCodeExpired,
// CodeInviteCodeUsedUp.
func (s *Service) SignUp(ctx context.Context, a *Actor, loginToken, firstName, lastName, inviteCode string) (*Authorization, error) {
	first, last, err := s.checkNames(firstName, lastName)
	if err != nil {
		return nil, err
	}
	return s.signInTx(ctx, loginToken, func(tx Tx, at *haven.LoginAttempt) (*Authorization, error, error) {
		if at.Step != haven.StepSignUpRequired {
			return nil, haven.Errorf(haven.CodeLoginStepInvalid, "sign-up is not the next step of this login (it is %s)", at.Step), nil
		}
		if failed, err := s.admit(ctx, tx, at, inviteCode); failed != nil || err != nil {
			return nil, failed, err
		}
		u := s.newUser(at.Identifier, at.Kind, first, last)
		if err := tx.CreateUser(ctx, u); err != nil {
			return nil, nil, err
		}
		res, err := s.authorizeNew(ctx, tx, a, at, u, true)
		return res, nil, err
	})
}

// CheckPassword finishes a sign-in that needs the cloud password.
// Errors: CodeLoginTokenInvalid, CodeLoginStepInvalid, CodeCodeExpired,
// CodePasswordInvalid (each wrong password counts like a wrong code, and
// against the account), CodeCodeAttemptsExceeded, CodeFloodWait (too
// many wrong passwords for the account lately: it is not checked).
func (s *Service) CheckPassword(ctx context.Context, a *Actor, loginToken, password string) (*Authorization, error) {
	// The hash is slow by design: check it before taking the writer.
	at, err := s.attempt(ctx, s.store, loginToken)
	if err != nil {
		return nil, s.internal(ctx, "auth.checkPassword", err)
	}
	if at.Step != haven.StepPasswordRequired {
		return nil, haven.Errorf(haven.CodeLoginStepInvalid, "no password is expected at this step (it is %s)", at.Step)
	}
	u, err := s.store.UserByID(ctx, at.UserID)
	if err != nil {
		return nil, s.internal(ctx, "auth.checkPassword", err)
	}
	key := s.accountKey(u.ID)
	if err := s.takeGuessNow(ctx, key); err != nil {
		return nil, s.internal(ctx, "auth.checkPassword", err)
	}
	ok, err := s.passwords.Verify(ctx, password, u.Password.Hash)
	if err != nil {
		return nil, s.internal(ctx, "auth.checkPassword", err)
	}
	return s.signInTx(ctx, loginToken, func(tx Tx, at *haven.LoginAttempt) (*Authorization, error, error) {
		if at.Step != haven.StepPasswordRequired || at.UserID != u.ID {
			return nil, haven.Errorf(haven.CodeLoginStepInvalid, "no password is expected at this step"), nil
		}
		if !ok {
			failed, err := s.spend(ctx, tx, at, haven.Errorf(haven.CodePasswordInvalid, "the password is wrong"))
			return nil, failed, err
		}
		if err := s.giveBack(ctx, tx, s.guesses, key); err != nil {
			return nil, nil, err
		}
		u, err := tx.UserByID(ctx, at.UserID)
		if err != nil {
			return nil, nil, err
		}
		res, err := s.authorize(ctx, tx, a, at, u)
		return res, nil, err
	})
}

// RecoveryStarted answers RequestPasswordRecovery with the masked address
// the code went to.
type RecoveryStarted struct {
	EmailPattern string
}

// RequestPasswordRecovery sends a code to the recovery email of the
// account at the password step, if it has a confirmed one. Errors:
// CodeLoginTokenInvalid, CodeLoginStepInvalid, CodeCodeExpired,
// CodeRecoveryUnavailable (no confirmed recovery email),
// CodeCodeDeliveryFailed, CodeFloodWait (too many codes to the address).
func (s *Service) RequestPasswordRecovery(ctx context.Context, a *Actor, loginToken string) (*RecoveryStarted, error) {
	code, err := s.newCode(s.limits.CodeLength)
	if err != nil {
		return nil, s.internal(ctx, "auth.requestPasswordRecovery", err)
	}
	var email string
	_, err = s.signInTx(ctx, loginToken, func(tx Tx, at *haven.LoginAttempt) (*Authorization, error, error) {
		if at.Step != haven.StepPasswordRequired {
			return nil, haven.Errorf(haven.CodeLoginStepInvalid, "recovery is only possible at the password step"), nil
		}
		u, err := tx.UserByID(ctx, at.UserID)
		if err != nil {
			return nil, nil, err
		}
		if u.Password.RecoveryEmail == "" {
			return nil, haven.Errorf(haven.CodeRecoveryUnavailable, "this account has no confirmed recovery email"), nil
		}
		email = u.Password.RecoveryEmail
		if failed, err := s.tryTake(ctx, tx, s.codesID, s.limitKey(scopeCodeTo, email)); failed != nil || err != nil {
			return nil, failed, err
		}
		at.RecoveryCodeHash = s.codeHash(at.TokenHash, PurposePasswordRecovery, code)
		return nil, nil, tx.UpdateLoginAttempt(ctx, at)
	})
	if err != nil {
		return nil, err
	}
	if err := s.codes.SendCode(ctx, email, code, PurposePasswordRecovery); err != nil {
		s.log.WarnContext(ctx, "recovery code delivery failed", "err", err)
		return nil, haven.Errorf(haven.CodeCodeDeliveryFailed, "the recovery code could not be delivered; try again later")
	}
	return &RecoveryStarted{EmailPattern: maskEmail(email)}, nil
}

// RecoverPassword checks a recovery code, removes the cloud password and
// signs the person in. Errors: as CheckPassword, with CodeCodeInvalid for
// a wrong code (counted as a wrong password) and CodeLoginStepInvalid
// when no recovery was requested.
func (s *Service) RecoverPassword(ctx context.Context, a *Actor, loginToken, code string) (*Authorization, error) {
	return s.signInTx(ctx, loginToken, func(tx Tx, at *haven.LoginAttempt) (*Authorization, error, error) {
		if at.Step != haven.StepPasswordRequired || len(at.RecoveryCodeHash) == 0 {
			return nil, haven.Errorf(haven.CodeLoginStepInvalid, "no password recovery was requested"), nil
		}
		key := s.accountKey(at.UserID)
		if failed, err := s.beforeGuess(ctx, tx, key); failed != nil || err != nil {
			return nil, failed, err
		}
		if len(code) != s.limits.CodeLength || !s.codeMatches(at.TokenHash, PurposePasswordRecovery, code, at.RecoveryCodeHash) {
			if err := s.wrongGuess(ctx, tx, key); err != nil {
				return nil, nil, err
			}
			failed, err := s.spend(ctx, tx, at, haven.Errorf(haven.CodeCodeInvalid, "the recovery code is wrong"))
			return nil, failed, err
		}
		if err := s.rightGuess(ctx, tx, key); err != nil {
			return nil, nil, err
		}
		u, err := tx.UserByID(ctx, at.UserID)
		if err != nil {
			return nil, nil, err
		}
		u.Password = haven.Password{}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return nil, nil, err
		}
		if err := tx.DeleteEmailConfirmation(ctx, u.ID); err != nil {
			return nil, nil, err
		}
		res, err := s.authorize(ctx, tx, a, at, u)
		return res, nil, err
	})
}

// maskEmail shows enough of an address to recognise it: "a***@example.com".
func maskEmail(e string) string {
	for i := 0; i < len(e); i++ {
		if e[i] == '@' {
			if i == 0 {
				return e
			}
			return e[:1] + "***" + e[i:]
		}
	}
	return "***"
}

func (s *Service) checkNames(first, last string) (string, string, error) {
	f, ok := haven.CleanText(first)
	if !ok || f == "" || haven.UTF16Len(f) > s.limits.FirstNameMax {
		return "", "", haven.Errorf(haven.CodeFirstNameInvalid, "first name must be 1 to %d characters of printable text", s.limits.FirstNameMax)
	}
	l, ok := haven.CleanText(last)
	if !ok || haven.UTF16Len(l) > s.limits.LastNameMax {
		return "", "", haven.Errorf(haven.CodeLastNameInvalid, "last name must be at most %d characters of printable text", s.limits.LastNameMax)
	}
	return f, l, nil
}
