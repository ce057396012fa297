package core

import (
	"context"
	"errors"
	"strconv"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/ident"
)

// PasswordState is what a person sees of their two-step verification.
type PasswordState struct {
	HasPassword      bool
	Hint             string
	HasRecoveryEmail bool
	RecoveryEmail    string
	// PendingRecoveryEmail is a new recovery email waiting for the code
	// sent to it (account.confirmRecoveryEmail), masked.
	PendingRecoveryEmail string
}

// GetPassword reports whether the actor has a cloud password.
func (s *Service) GetPassword(ctx context.Context, a *Actor) (*PasswordState, error) {
	u, err := s.store.UserByID(ctx, a.UserID)
	if err != nil {
		return nil, s.internal(ctx, "account.getPassword", err)
	}
	st, err := s.passwordState(ctx, s.store, u)
	return st, s.internal(ctx, "account.getPassword", err)
}

// passwordState shows u's password, with the recovery email waiting for
// confirmation if there is one still valid.
func (s *Service) passwordState(ctx context.Context, q Queries, u *haven.User) (*PasswordState, error) {
	p := u.Password
	st := &PasswordState{HasPassword: p.Set(), Hint: p.Hint, HasRecoveryEmail: p.RecoveryEmail != ""}
	if st.HasRecoveryEmail {
		st.RecoveryEmail = maskEmail(p.RecoveryEmail)
	}
	c, err := q.EmailConfirmation(ctx, u.ID)
	switch {
	case errors.Is(err, haven.ErrNotFound):
	case err != nil:
		return nil, err
	case s.now().Before(c.ExpiresAt):
		st.PendingRecoveryEmail = maskEmail(c.Email)
	}
	return st, nil
}

// SetPassword sets or changes the actor's cloud password. When one is set
// already, current must match it. hint and recoveryEmail are optional.
// An empty recoveryEmail removes the recovery email; the confirmed one
// keeps it; another is not used until confirmed: a code goes to it
// (account.confirmRecoveryEmail), and the confirmed one, if any, stays
// until then. Errors: CodePasswordRequired, CodePasswordInvalid,
// CodePasswordTooShort, CodePasswordTooLong, CodeHintInvalid,
// CodeEmailInvalid, CodeFloodWait (too many wrong current passwords, or
// too many codes to the address), CodeCodeDeliveryFailed (nothing
// changed).
func (s *Service) SetPassword(ctx context.Context, a *Actor, current, newPassword, hint, recoveryEmail string) (*PasswordState, error) {
	if n := len([]rune(newPassword)); n < s.limits.PasswordMin {
		return nil, haven.Errorf(haven.CodePasswordTooShort, "the password must have at least %d characters", s.limits.PasswordMin)
	} else if len(newPassword) > s.limits.PasswordMax {
		return nil, haven.Errorf(haven.CodePasswordTooLong, "the password must be at most %d bytes", s.limits.PasswordMax)
	}
	h, ok := haven.CleanText(hint)
	if !ok || haven.UTF16Len(h) > s.limits.HintMax || (h != "" && h == newPassword) {
		return nil, haven.Errorf(haven.CodeHintInvalid, "the hint must be at most %d characters and not the password itself", s.limits.HintMax)
	}
	if recoveryEmail != "" {
		e, err := ident.Email(recoveryEmail)
		if err != nil {
			return nil, err
		}
		recoveryEmail = e
	}
	u, err := s.checkCurrentPassword(ctx, a, current, false)
	if err != nil {
		return nil, err
	}
	hash, err := s.passwords.Hash(ctx, newPassword)
	if err != nil {
		return nil, s.internal(ctx, "account.setPassword", err)
	}
	var conf *haven.EmailConfirmation
	var code string
	if recoveryEmail != "" && recoveryEmail != u.Password.RecoveryEmail {
		// The address must be its owner's: prove it with a code, sent
		// before anything changes so that a failed delivery changes
		// nothing. The codes to one address are limited like sign-in
		// codes, so that this cannot flood a stranger's mailbox.
		if code, err = s.newCode(s.limits.CodeLength); err != nil {
			return nil, s.internal(ctx, "account.setPassword", err)
		}
		conf = &haven.EmailConfirmation{UserID: a.UserID, Email: recoveryEmail, ExpiresAt: s.now().Add(s.limits.CodeTTL)}
		conf.CodeHash = s.codeHash(confirmationSalt(conf), PurposeRecoveryEmail, code)
		err := s.store.Update(ctx, func(tx Tx) error {
			return s.take(ctx, tx, s.codesID, s.limitKey(scopeCodeTo, recoveryEmail))
		})
		if err != nil {
			return nil, s.internal(ctx, "account.setPassword", err)
		}
		if err := s.codes.SendCode(ctx, recoveryEmail, code, PurposeRecoveryEmail); err != nil {
			s.log.WarnContext(ctx, "recovery email code delivery failed", "err", err)
			return nil, haven.Errorf(haven.CodeCodeDeliveryFailed, "the code could not be sent to the recovery email; try again later")
		}
	}
	var st *PasswordState
	err = s.store.Update(ctx, func(tx Tx) error {
		u, err := tx.UserByID(ctx, a.UserID)
		if err != nil {
			return err
		}
		keep := u.Password.RecoveryEmail
		if recoveryEmail == "" {
			keep = ""
		}
		u.Password = haven.Password{Hash: hash, Hint: h, RecoveryEmail: keep}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if conf != nil {
			err = tx.PutEmailConfirmation(ctx, conf)
		} else {
			err = tx.DeleteEmailConfirmation(ctx, a.UserID)
		}
		if err != nil {
			return err
		}
		st, err = s.passwordState(ctx, tx, u)
		return err
	})
	return st, s.internal(ctx, "account.setPassword", err)
}

// confirmationSalt binds a confirmation code to the person and the
// address, as a login code is bound to its attempt.
func confirmationSalt(c *haven.EmailConfirmation) []byte {
	return []byte(strconv.FormatInt(c.UserID, 10) + "\x00" + c.Email)
}

// ConfirmRecoveryEmail checks the code sent to the recovery email that
// SetPassword set, and makes the address the one a password recovery
// uses. A code allows as many wrong tries as a sign-in code, then the
// address must be set again. Errors: CodeCodeExpired (no address is
// waiting, or its code expired), CodeCodeInvalid,
// CodeCodeAttemptsExceeded, CodePasswordNotSet.
func (s *Service) ConfirmRecoveryEmail(ctx context.Context, a *Actor, code string) (*PasswordState, error) {
	var st *PasswordState
	var failed error
	err := s.store.Update(ctx, func(tx Tx) error {
		st, failed = nil, nil
		c, err := tx.EmailConfirmation(ctx, a.UserID)
		if errors.Is(err, haven.ErrNotFound) || (err == nil && !s.now().Before(c.ExpiresAt)) {
			failed = haven.Errorf(haven.CodeCodeExpired, "no recovery email is waiting for confirmation, or its code expired; set it again")
			if err == nil {
				return tx.DeleteEmailConfirmation(ctx, a.UserID)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if len(code) != s.limits.CodeLength || !s.codeMatches(confirmationSalt(c), PurposeRecoveryEmail, code, c.CodeHash) {
			c.Attempts++
			if c.Attempts >= s.limits.CodeAttempts {
				failed = haven.Errorf(haven.CodeCodeAttemptsExceeded, "too many wrong codes; set the recovery email again for a new one")
				return tx.DeleteEmailConfirmation(ctx, a.UserID)
			}
			failed = haven.Errorf(haven.CodeCodeInvalid, "the code is wrong; %d attempts left", s.limits.CodeAttempts-c.Attempts)
			return tx.PutEmailConfirmation(ctx, c)
		}
		u, err := tx.UserByID(ctx, a.UserID)
		if err != nil {
			return err
		}
		if !u.Password.Set() {
			// Removing the password removes its confirmation too; this
			// is only a guard.
			failed = haven.Errorf(haven.CodePasswordNotSet, "set a cloud password first")
			return tx.DeleteEmailConfirmation(ctx, a.UserID)
		}
		u.Password.RecoveryEmail = c.Email
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.DeleteEmailConfirmation(ctx, a.UserID); err != nil {
			return err
		}
		st, err = s.passwordState(ctx, tx, u)
		return err
	})
	if err != nil {
		return nil, s.internal(ctx, "account.confirmRecoveryEmail", err)
	}
	if failed != nil {
		return nil, failed
	}
	return st, nil
}

// RemovePassword turns two-step verification off, with the recovery
// email and any waiting for confirmation. Errors: CodePasswordNotSet,
// CodePasswordRequired, CodePasswordInvalid, CodeFloodWait.
func (s *Service) RemovePassword(ctx context.Context, a *Actor, current string) error {
	if _, err := s.checkCurrentPassword(ctx, a, current, true); err != nil {
		return err
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		u, err := tx.UserByID(ctx, a.UserID)
		if err != nil {
			return err
		}
		u.Password = haven.Password{}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return tx.DeleteEmailConfirmation(ctx, a.UserID)
	})
	return s.internal(ctx, "account.removePassword", err)
}

// checkCurrentPassword verifies current against the actor's password, if
// one is set (mustBeSet makes a missing password an error), and returns
// the account. A wrong password counts against the account as a wrong
// one at sign-in does, and past the limit the password is not checked:
// a stolen session must not be a way to guess it. Errors:
// CodePasswordNotSet, CodePasswordRequired, CodePasswordInvalid,
// CodeFloodWait.
func (s *Service) checkCurrentPassword(ctx context.Context, a *Actor, current string, mustBeSet bool) (*haven.User, error) {
	u, err := s.store.UserByID(ctx, a.UserID)
	if err != nil {
		return nil, s.internal(ctx, "password", err)
	}
	if !u.Password.Set() {
		if mustBeSet {
			return nil, haven.Errorf(haven.CodePasswordNotSet, "no cloud password is set")
		}
		return u, nil
	}
	if current == "" {
		return nil, haven.Errorf(haven.CodePasswordRequired, "give the current cloud password")
	}
	key := s.accountKey(u.ID)
	if err := s.takeGuessNow(ctx, key); err != nil {
		return nil, s.internal(ctx, "password", err)
	}
	ok, err := s.passwords.Verify(ctx, current, u.Password.Hash)
	if err != nil {
		return nil, s.internal(ctx, "password", err)
	}
	if !ok {
		return nil, haven.Errorf(haven.CodePasswordInvalid, "the current password is wrong")
	}
	if err := s.giveBackNow(ctx, key); err != nil {
		return nil, s.internal(ctx, "password", err)
	}
	return u, nil
}
