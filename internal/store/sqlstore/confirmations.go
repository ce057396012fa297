package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/havenchat/haven"
)

// PutEmailConfirmation stores c, replacing the person's previous one.
func (t *Tx) PutEmailConfirmation(ctx context.Context, c *haven.EmailConfirmation) error {
	_, err := t.exec(ctx, `INSERT INTO email_confirmations (user_id, email, code_hash, attempts, expires_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, code_hash = excluded.code_hash,
			attempts = excluded.attempts, expires_at = excluded.expires_at`,
		c.UserID, c.Email, c.CodeHash, c.Attempts, millis(c.ExpiresAt))
	if err != nil {
		return fmt.Errorf("put email confirmation: %w", err)
	}
	return nil
}

// DeleteEmailConfirmation removes a person's confirmation.
func (t *Tx) DeleteEmailConfirmation(ctx context.Context, userID int64) error {
	if _, err := t.exec(ctx, `DELETE FROM email_confirmations WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("delete email confirmation: %w", err)
	}
	return nil
}

// DeleteExpiredEmailConfirmations removes those that expired before now.
func (t *Tx) DeleteExpiredEmailConfirmations(ctx context.Context, now time.Time) (int, error) {
	return t.count(ctx, "delete expired email confirmations", `DELETE FROM email_confirmations WHERE expires_at < ?`, millis(now))
}

// EmailConfirmation returns a person's pending confirmation.
// Errors: haven.ErrNotFound.
func (q Queries) EmailConfirmation(ctx context.Context, userID int64) (*haven.EmailConfirmation, error) {
	c := haven.EmailConfirmation{UserID: userID}
	var expires int64
	err := q.DB.QueryRow(ctx, `SELECT email, code_hash, attempts, expires_at FROM email_confirmations WHERE user_id = ?`, userID).
		Scan(&c.Email, &c.CodeHash, &c.Attempts, &expires)
	if err != nil {
		return nil, fmt.Errorf("email confirmation: %w", noRows(err))
	}
	c.ExpiresAt = fromMillis(expires)
	return &c, nil
}
