package core

import (
	"context"

	"github.com/havenchat/haven"
)

// SignupTx are the writes of sign-up invites.
type SignupTx interface {
	// CreateSignupInvite inserts inv, setting inv.ID.
	CreateSignupInvite(ctx context.Context, inv *haven.SignupInvite) error
	// UpdateSignupInvite writes Usage and Revoked of inv.
	// Errors: haven.ErrNotFound.
	UpdateSignupInvite(ctx context.Context, inv *haven.SignupInvite) error
}

// SignupQueries are the reads of sign-up invites.
type SignupQueries interface {
	// SignupInviteByHash finds an invite by the hash of its code.
	// Errors: haven.ErrNotFound.
	SignupInviteByHash(ctx context.Context, codeHash []byte) (*haven.SignupInvite, error)
	// SignupInviteByID returns an invite. Errors: haven.ErrNotFound.
	SignupInviteByID(ctx context.Context, id int64) (*haven.SignupInvite, error)
	// SignupInvites lists the invites made by creatorID (0: the
	// operator's), newest first.
	SignupInvites(ctx context.Context, creatorID int64) ([]*haven.SignupInvite, error)
	// AllSignupInvites lists every invite, newest first.
	AllSignupInvites(ctx context.Context) ([]*haven.SignupInvite, error)
	// CountSignupInvites counts the invites creatorID has made, whatever
	// became of them.
	CountSignupInvites(ctx context.Context, creatorID int64) (int, error)
}
