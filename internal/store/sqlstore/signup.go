package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/havenchat/haven"
)

// CreateSignupInvite inserts inv, setting inv.ID.
func (t *Tx) CreateSignupInvite(ctx context.Context, inv *haven.SignupInvite) error {
	newID, err := t.insertID(ctx, `INSERT INTO signup_invites (code_hash, creator_id, created_at, expires_at, usage_limit, usage, revoked)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		inv.CodeHash, inv.CreatorID, millis(inv.CreatedAt), optMillis(inv.ExpiresAt), inv.UsageLimit, inv.Usage, inv.Revoked)
	if err != nil {
		return fmt.Errorf("create sign-up invite: %w", err)
	}
	inv.ID = newID
	return nil
}

// UpdateSignupInvite writes Usage and Revoked of inv.
// Errors: haven.ErrNotFound.
func (t *Tx) UpdateSignupInvite(ctx context.Context, inv *haven.SignupInvite) error {
	if err := t.execOne(ctx, `UPDATE signup_invites SET usage = ?, revoked = ? WHERE id = ?`,
		inv.Usage, inv.Revoked, inv.ID); err != nil {
		return fmt.Errorf("update sign-up invite %d: %w", inv.ID, err)
	}
	return nil
}

const signupInviteColumns = `id, code_hash, creator_id, created_at, expires_at, usage_limit, usage, revoked`

func scanSignupInvite(sc scanner) (*haven.SignupInvite, error) {
	var (
		inv     haven.SignupInvite
		created int64
		expires sql.NullInt64
	)
	if err := sc.Scan(&inv.ID, &inv.CodeHash, &inv.CreatorID, &created, &expires, &inv.UsageLimit, &inv.Usage, &inv.Revoked); err != nil {
		return nil, noRows(err)
	}
	inv.CreatedAt, inv.ExpiresAt = fromMillis(created), fromOptMillis(expires)
	return &inv, nil
}

// SignupInviteByHash finds an invite by the hash of its code.
// Errors: haven.ErrNotFound.
func (q Queries) SignupInviteByHash(ctx context.Context, codeHash []byte) (*haven.SignupInvite, error) {
	inv, err := scanSignupInvite(q.DB.QueryRow(ctx, `SELECT `+signupInviteColumns+` FROM signup_invites WHERE code_hash = ?`, codeHash))
	if err != nil {
		return nil, fmt.Errorf("sign-up invite: %w", err)
	}
	return inv, nil
}

// SignupInviteByID returns an invite. Errors: haven.ErrNotFound.
func (q Queries) SignupInviteByID(ctx context.Context, id int64) (*haven.SignupInvite, error) {
	inv, err := scanSignupInvite(q.DB.QueryRow(ctx, `SELECT `+signupInviteColumns+` FROM signup_invites WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sign-up invite %d: %w", id, err)
	}
	return inv, nil
}

// SignupInvites lists the invites made by creatorID, newest first.
func (q Queries) SignupInvites(ctx context.Context, creatorID int64) ([]*haven.SignupInvite, error) {
	invs, err := queryAll(ctx, q.DB, scanSignupInvite, `SELECT `+signupInviteColumns+` FROM signup_invites
		WHERE creator_id = ? ORDER BY id DESC`, creatorID)
	if err != nil {
		return nil, fmt.Errorf("sign-up invites of %d: %w", creatorID, err)
	}
	return invs, nil
}

// AllSignupInvites lists every invite, newest first.
func (q Queries) AllSignupInvites(ctx context.Context) ([]*haven.SignupInvite, error) {
	invs, err := queryAll(ctx, q.DB, scanSignupInvite, `SELECT `+signupInviteColumns+` FROM signup_invites ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("sign-up invites: %w", err)
	}
	return invs, nil
}

// CountSignupInvites counts the invites creatorID has made.
func (q Queries) CountSignupInvites(ctx context.Context, creatorID int64) (int, error) {
	var n int
	if err := q.DB.QueryRow(ctx, `SELECT COUNT(*) FROM signup_invites WHERE creator_id = ?`, creatorID).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting sign-up invites of %d: %w", creatorID, err)
	}
	return n, nil
}
