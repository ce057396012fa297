package core

import (
	"context"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/ident"
)

// PasswordState is what a person sees of their two-step verification.
type PasswordState struct {
	HasPassword      bool   `json:"has_password"`
	Hint             string `json:"hint,omitempty"`
	HasRecoveryEmail bool   `json:"has_recovery_email"`
	RecoveryEmail    string `json:"recovery_email_pattern,omitempty"`
}

// GetPassword reports whether the actor has a cloud password.
func (s *Service) GetPassword(ctx context.Context, a *Actor) (*PasswordState, error) {
	u, err := s.store.UserByID(ctx, a.UserID)
	if err != nil {
		return nil, s.internal(ctx, "account.getPassword", err)
	}
	return passwordState(u.Password), nil
}

func passwordState(p haven.Password) *PasswordState {
	st := &PasswordState{HasPassword: p.Set(), Hint: p.Hint, HasRecoveryEmail: p.RecoveryEmail != ""}
	if st.HasRecoveryEmail {
		st.RecoveryEmail = maskEmail(p.RecoveryEmail)
	}
	return st
}

// SetPassword sets or changes the actor's cloud password. When one is set
// already, current must match it. hint and recoveryEmail are optional;
// an empty recoveryEmail removes it. Errors: CodePasswordRequired,
// CodePasswordInvalid, CodePasswordTooShort, CodePasswordTooLong,
// CodeHintInvalid, CodeEmailInvalid.
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
	if err := s.checkCurrentPassword(ctx, a, current, false); err != nil {
		return nil, err
	}
	hash, err := s.passwords.Hash(ctx, newPassword)
	if err != nil {
		return nil, s.internal(ctx, "account.setPassword", err)
	}
	var st *PasswordState
	err = s.store.Update(ctx, func(tx Tx) error {
		u, err := tx.UserByID(ctx, a.UserID)
		if err != nil {
			return err
		}
		u.Password = haven.Password{Hash: hash, Hint: h, RecoveryEmail: recoveryEmail}
		st = passwordState(u.Password)
		return tx.UpdateUser(ctx, u)
	})
	return st, s.internal(ctx, "account.setPassword", err)
}

// RemovePassword turns two-step verification off. Errors:
// CodePasswordNotSet, CodePasswordRequired, CodePasswordInvalid.
func (s *Service) RemovePassword(ctx context.Context, a *Actor, current string) error {
	if err := s.checkCurrentPassword(ctx, a, current, true); err != nil {
		return err
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		u, err := tx.UserByID(ctx, a.UserID)
		if err != nil {
			return err
		}
		u.Password = haven.Password{}
		return tx.UpdateUser(ctx, u)
	})
	return s.internal(ctx, "account.removePassword", err)
}

// checkCurrentPassword verifies current against the actor's password, if
// one is set (mustBeSet makes a missing password an error).
func (s *Service) checkCurrentPassword(ctx context.Context, a *Actor, current string, mustBeSet bool) error {
	u, err := s.store.UserByID(ctx, a.UserID)
	if err != nil {
		return s.internal(ctx, "password", err)
	}
	if !u.Password.Set() {
		if mustBeSet {
			return haven.Errorf(haven.CodePasswordNotSet, "no cloud password is set")
		}
		return nil
	}
	if current == "" {
		return haven.Errorf(haven.CodePasswordRequired, "give the current cloud password")
	}
	ok, err := s.passwords.Verify(ctx, current, u.Password.Hash)
	if err != nil {
		return s.internal(ctx, "password", err)
	}
	if !ok {
		return haven.Errorf(haven.CodePasswordInvalid, "the current password is wrong")
	}
	return nil
}
