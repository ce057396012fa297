package core

import (
	"context"
	"errors"

	"github.com/havenchat/haven"
)

// Me returns the actor's own profile.
func (s *Service) Me(ctx context.Context, a *Actor) (*UserView, error) {
	u, err := s.store.UserByID(ctx, a.UserID)
	if err != nil {
		return nil, s.internal(ctx, "users.getMe", err)
	}
	v, err := s.view(ctx, s.store, a.UserID, u)
	return &v, s.internal(ctx, "users.getMe", err)
}

// ProfileChange lists the profile fields to change; nil ones stay.
type ProfileChange struct {
	FirstName *string
	LastName  *string
	Bio       *string
}

// UpdateProfile changes the actor's names and bio. Errors:
// CodeFirstNameInvalid, CodeLastNameInvalid, CodeBioTooLong.
func (s *Service) UpdateProfile(ctx context.Context, a *Actor, c ProfileChange) (*UserView, error) {
	var bio string
	if c.Bio != nil {
		b, ok := haven.CleanText(*c.Bio)
		if !ok || haven.UTF16Len(b) > s.limits.BioMax {
			return nil, haven.Errorf(haven.CodeBioTooLong, "the bio must be at most %d characters of printable text", s.limits.BioMax)
		}
		bio = b
	}
	return s.changeUser(ctx, a, "account.updateProfile", true, func(u *haven.User) error {
		first, last := u.FirstName, u.LastName
		if c.FirstName != nil {
			first = *c.FirstName
		}
		if c.LastName != nil {
			last = *c.LastName
		}
		f, l, err := s.checkNames(first, last)
		if err != nil {
			return err
		}
		u.FirstName, u.LastName = f, l
		if c.Bio != nil {
			u.Bio = bio
		}
		return nil
	})
}

// SetUsername sets, changes or (with "") removes the actor's public
// username; the old one is free for others at once. Errors:
// CodeUsernameInvalid, CodeUsernameOccupied.
func (s *Service) SetUsername(ctx context.Context, a *Actor, username string) (*UserView, error) {
	username = trimAt(username)
	if username != "" && !haven.ValidUsername(username) {
		return nil, usernameInvalid()
	}
	return s.changeUser(ctx, a, "account.updateUsername", true, func(u *haven.User) error {
		u.Username = username
		return nil
	})
}

func usernameInvalid() error {
	return haven.Errorf(haven.CodeUsernameInvalid, "a username has %d to %d characters of a-z, 0-9 and _, and starts with a letter", haven.UsernameMin, haven.UsernameMax)
}

func trimAt(u string) string {
	if len(u) > 0 && u[0] == '@' {
		return u[1:]
	}
	return u
}

// changeUser applies change to the actor's account in one transaction;
// with profile, the change is one others see (names, username, bio) and
// is logged as a profile event.
func (s *Service) changeUser(ctx context.Context, a *Actor, op string, profile bool, change func(u *haven.User) error) (*UserView, error) {
	var v UserView
	err := s.store.Update(ctx, func(tx Tx) error {
		u, err := tx.UserByID(ctx, a.UserID)
		if err != nil {
			return err
		}
		if err := change(u); err != nil {
			return err
		}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		v, err = s.view(ctx, tx, a.UserID, u)
		if err != nil || !profile {
			return err
		}
		return s.profileChanged(ctx, tx, u.ID)
	})
	if err != nil {
		return nil, s.internal(ctx, op, err)
	}
	return &v, nil
}

// profileChanged logs a profile event to the person's own log, so that
// their other sessions learn to fetch their new names, username, bio or
// photo. The event holds none of them: a log keeps no copy of a profile
// that a later change or the account's erasure must reach.
func (s *Service) profileChanged(ctx context.Context, tx Tx, userID int64) error {
	return s.userEvent(ctx, tx, userID, haven.UserProfile, 0, nil)
}

// CheckUsername reports whether a username is free for the actor to take.
// Errors: CodeUsernameInvalid.
func (s *Service) CheckUsername(ctx context.Context, a *Actor, username string) (bool, error) {
	username = trimAt(username)
	if !haven.ValidUsername(username) {
		return false, usernameInvalid()
	}
	u, err := s.store.UserByUsername(ctx, username)
	if errors.Is(err, haven.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, s.internal(ctx, "users.checkUsername", err)
	}
	return u.ID == a.UserID, nil
}

// ResolveUsername finds the account with a username, and records that
// the actor found it: they may see it from then on. Errors:
// CodeUsernameInvalid, CodeUsernameNotFound.
func (s *Service) ResolveUsername(ctx context.Context, a *Actor, username string) (*UserView, error) {
	username = trimAt(username)
	if !haven.ValidUsername(username) {
		return nil, usernameInvalid()
	}
	var v UserView
	err := s.store.Update(ctx, func(tx Tx) error {
		u, err := tx.UserByUsername(ctx, username)
		if errors.Is(err, haven.ErrNotFound) {
			return haven.Errorf(haven.CodeUsernameNotFound, "nobody has the username %s", username)
		}
		if err != nil {
			return err
		}
		if err := s.markFound(ctx, tx, a.UserID, []*haven.User{u}); err != nil {
			return err
		}
		v, err = s.view(ctx, tx, a.UserID, u)
		return err
	})
	if err != nil {
		return nil, s.internal(ctx, "users.resolveUsername", err)
	}
	return &v, nil
}

// GetUsers returns the users among ids that exist and that the actor may
// see, in the order asked, each as the actor may see them: an account
// the actor has no reason to see is left out as one that does not exist.
// Errors: CodeTooManyIDs, CodeParamInvalid.
func (s *Service) GetUsers(ctx context.Context, a *Actor, ids []int64) ([]UserView, error) {
	if len(ids) > s.limits.UsersPerRequest {
		return nil, haven.Errorf(haven.CodeTooManyIDs, "at most %d ids per request", s.limits.UsersPerRequest)
	}
	for _, id := range ids {
		if id <= 0 || id >= haven.MaxID {
			return nil, haven.Errorf(haven.CodeParamInvalid, "%d is not a user id", id)
		}
	}
	us, err := s.store.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, s.internal(ctx, "users.get", err)
	}
	vis, err := s.visibleIDs(ctx, s.store, a.UserID, ids)
	if err != nil {
		return nil, s.internal(ctx, "users.get", err)
	}
	byID := make(map[int64]*haven.User, len(us))
	for _, u := range us {
		if vis[u.ID] {
			byID[u.ID] = u
		}
	}
	ordered := make([]*haven.User, 0, len(us))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if u := byID[id]; u != nil && !seen[id] {
			seen[id] = true
			ordered = append(ordered, u)
		}
	}
	return s.views(ctx, a.UserID, ordered)
}
