package core

import (
	"context"

	"github.com/havenchat/haven"
)

// GetPrivacy returns the actor's privacy settings, every key present.
func (s *Service) GetPrivacy(ctx context.Context, a *Actor) (haven.Privacy, error) {
	p, err := s.store.Privacy(ctx, a.UserID)
	if err != nil {
		return nil, s.internal(ctx, "privacy.get", err)
	}
	out := make(haven.Privacy, len(haven.PrivacyKeys))
	for _, k := range haven.PrivacyKeys {
		out[k] = p.Get(k)
	}
	return out, nil
}

// SetPrivacy changes one setting and returns them all. Errors:
// CodePrivacyKeyInvalid, CodePrivacyValueInvalid.
func (s *Service) SetPrivacy(ctx context.Context, a *Actor, key haven.PrivacyKey, value haven.Audience) (haven.Privacy, error) {
	if !key.Valid() {
		return nil, haven.Errorf(haven.CodePrivacyKeyInvalid, "unknown privacy setting %q", key)
	}
	if !value.Valid() {
		return nil, haven.Errorf(haven.CodePrivacyValueInvalid, "a privacy setting is everybody, contacts or nobody")
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		if key == haven.PrivacyLastSeen {
			// Who may see the person online changes: tell the watchers.
			p, err := tx.Privacy(ctx, a.UserID)
			if err != nil {
				return err
			}
			if was := p.Get(key); was != value {
				tx.AfterCommit(func() { s.lastSeenChanged(a.UserID, was, value) })
			}
		}
		return tx.SetPrivacy(ctx, a.UserID, key, value)
	})
	if err != nil {
		return nil, s.internal(ctx, "privacy.set", err)
	}
	return s.GetPrivacy(ctx, a)
}
