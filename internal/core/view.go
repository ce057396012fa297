package core

import (
	"context"
	"time"

	"github.com/havenchat/haven"
)

// UserView is a user as one particular viewer may see them: what privacy
// hides is left empty. It is the only shape in which a user leaves core,
// so no API can show more than the settings allow.
type UserView struct {
	ID        int64
	FirstName string
	LastName  string
	Username  string
	Bio       string
	Phone     string
	Email     string
	Deleted   bool
	// Self is set on the viewer's own account.
	Self bool
	// Contact: the viewer has this user in their contacts; Mutual: and
	// the other way round too.
	Contact bool
	Mutual  bool
	// Blocked: the viewer blocks this user.
	Blocked bool
	Status  UserStatus
	// Photo is the profile photo, shown as the profile_photo setting
	// allows.
	Photo *haven.Photo
}

// UserStatus is what the viewer may know of when the user was last seen.
type UserStatus struct {
	// Kind is "online" (a socket of theirs is open now), "exact"
	// (LastSeen is set), "recently" (within 3 days), "within_week",
	// "within_month", or "long_ago" (also what a blocked viewer and
	// deleted accounts get). "online" and "exact" are shown only to those
	// the last_seen setting admits; the others get the coarse kinds,
	// online or not.
	Kind     string
	LastSeen int64 // unix seconds
}

// relation is what privacy decisions depend on between viewer and target.
type relation struct {
	self      bool
	contact   bool // viewer has target in contacts
	reverse   bool // target has viewer in contacts
	blocks    bool // viewer blocks target
	blockedBy bool // target blocks viewer
}

func (s *Service) relation(ctx context.Context, q Queries, viewer, target int64) (relation, error) {
	if viewer == target {
		return relation{self: true}, nil
	}
	var r relation
	var err error
	if r.contact, err = q.IsContact(ctx, viewer, target); err != nil {
		return r, err
	}
	if r.reverse, err = q.IsContact(ctx, target, viewer); err != nil {
		return r, err
	}
	if r.blocks, err = q.IsBlocked(ctx, viewer, target); err != nil {
		return r, err
	}
	if r.blockedBy, err = q.IsBlocked(ctx, target, viewer); err != nil {
		return r, err
	}
	return r, nil
}

// allows reports whether a setting's audience admits a viewer: "contacts"
// means the people the target has in their own contacts. A person the
// target blocks is admitted by nothing.
func (r relation) allows(a haven.Audience) bool {
	switch {
	case r.self:
		return true
	case r.blockedBy:
		return false
	case a == haven.Everybody:
		return true
	case a == haven.Contacts:
		return r.reverse
	}
	return false
}

// view projects u for viewer. It is the one place privacy is applied to
// a profile.
func (s *Service) view(ctx context.Context, q Queries, viewer int64, u *haven.User) (UserView, error) {
	v := UserView{ID: u.ID}
	if u.Deleted {
		v.FirstName = haven.DeletedName
		v.Deleted = true
		v.Status = UserStatus{Kind: "long_ago"}
		return v, nil
	}
	v.FirstName, v.LastName, v.Username, v.Bio = u.FirstName, u.LastName, u.Username, u.Bio
	r, err := s.relation(ctx, q, viewer, u.ID)
	if err != nil {
		return v, err
	}
	v.Self, v.Contact, v.Mutual, v.Blocked = r.self, r.contact, r.contact && r.reverse, r.blocks
	p := haven.DefaultPrivacy()
	if !r.self {
		if p, err = q.Privacy(ctx, u.ID); err != nil {
			return v, err
		}
	}
	if r.allows(p.Get(haven.PrivacyPhoneNumber)) {
		v.Phone, v.Email = u.Phone, u.Email
	}
	if r.allows(p.Get(haven.PrivacyProfilePhoto)) {
		v.Photo = u.Photo
	}
	exact := r.allows(p.Get(haven.PrivacyLastSeen))
	v.Status = s.status(u.LastActiveAt, exact, r.blockedBy, exact && s.Online(u.ID))
	return v, nil
}

// status turns a last-activity time into what the viewer may see:
// online or the exact time when allowed, otherwise a coarse bucket, and
// nothing at all for someone the user blocks.
func (s *Service) status(last time.Time, exact, blocked, online bool) UserStatus {
	if blocked {
		return UserStatus{Kind: "long_ago"}
	}
	if exact && online {
		return UserStatus{Kind: "online"}
	}
	if last.IsZero() {
		return UserStatus{Kind: "long_ago"}
	}
	if exact {
		return UserStatus{Kind: "exact", LastSeen: last.Unix()}
	}
	switch age := s.now().Sub(last); {
	case age <= 3*24*time.Hour:
		return UserStatus{Kind: "recently"}
	case age <= 7*24*time.Hour:
		return UserStatus{Kind: "within_week"}
	case age <= 30*24*time.Hour:
		return UserStatus{Kind: "within_month"}
	}
	return UserStatus{Kind: "long_ago"}
}

// views projects many users for one viewer, keeping their order.
func (s *Service) views(ctx context.Context, viewer int64, us []*haven.User) ([]UserView, error) {
	out := make([]UserView, 0, len(us))
	for _, u := range us {
		v, err := s.view(ctx, s.store, viewer, u)
		if err != nil {
			return nil, s.internal(ctx, "view", err)
		}
		out = append(out, v)
	}
	return out, nil
}
