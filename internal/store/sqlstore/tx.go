package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/havenchat/haven"
)

// CreateUser inserts u, setting u.ID, and claims its username, phone
// number and email address in their lookup tables.
// Errors: haven.CodeUsernameOccupied, haven.CodeAccountExists.
func (t *Tx) CreateUser(ctx context.Context, u *haven.User) error {
	keys := keysOf(u)
	if err := t.freeUserKeys(ctx, keys, u.Username); err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	newID, err := t.insertID(ctx, `INSERT INTO users (first_name, last_name, username, username_canon, bio, phone, email,
			deleted, created_at, last_active_at, account_ttl_days, password_hash, password_hint, recovery_email)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.FirstName, u.LastName, u.Username, nullString(keys.username), u.Bio,
		nullString(u.Phone), nullString(u.Email), u.Deleted, millis(u.CreatedAt), millis(u.LastActiveAt),
		u.AccountTTLDays, u.Password.Hash, u.Password.Hint, u.Password.RecoveryEmail)
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	if err := t.moveUserKeys(ctx, newID, userKeys{}, keys, u.Username); err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	u.ID = newID
	return nil
}

// UpdateUser writes every field of u but ID and CreatedAt, and moves its
// lookup rows: a username, phone number or email address it gives up is
// anyone's. Errors: haven.ErrNotFound, haven.CodeUsernameOccupied,
// haven.CodeAccountExists.
func (t *Tx) UpdateUser(ctx context.Context, u *haven.User) error {
	fail := func(err error) error { return fmt.Errorf("update user %d: %w", u.ID, err) }
	old, err := t.storedUserKeys(ctx, u.ID)
	if err != nil {
		return fail(err)
	}
	keys := keysOf(u)
	if err := t.moveUserKeys(ctx, u.ID, old, keys, u.Username); err != nil {
		return fail(err)
	}
	err = t.execOne(ctx, `UPDATE users SET first_name = ?, last_name = ?, username = ?, username_canon = ?,
			bio = ?, phone = ?, email = ?, deleted = ?, last_active_at = ?, account_ttl_days = ?,
			password_hash = ?, password_hint = ?, recovery_email = ?
		WHERE id = ?`,
		u.FirstName, u.LastName, u.Username, nullString(keys.username), u.Bio,
		nullString(u.Phone), nullString(u.Email), u.Deleted, millis(u.LastActiveAt), u.AccountTTLDays,
		u.Password.Hash, u.Password.Hint, u.Password.RecoveryEmail, u.ID)
	if err != nil {
		return fail(err)
	}
	return nil
}

// TouchUser moves the user's LastActiveAt to at. Errors: haven.ErrNotFound.
func (t *Tx) TouchUser(ctx context.Context, userID int64, at time.Time) error {
	if err := t.execOne(ctx, `UPDATE users SET last_active_at = ? WHERE id = ?`, millis(at), userID); err != nil {
		return fmt.Errorf("touch user %d: %w", userID, err)
	}
	return nil
}

// CreateLoginAttempt inserts a, setting a.ID.
func (t *Tx) CreateLoginAttempt(ctx context.Context, a *haven.LoginAttempt) error {
	newID, err := t.insertID(ctx, `INSERT INTO login_attempts (token_hash, identifier, kind, code_hash, attempts, device,
			created_at, expires_at, step, user_id, recovery_code_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.TokenHash, a.Identifier, string(a.Kind), a.CodeHash, a.Attempts, a.Device,
		millis(a.CreatedAt), millis(a.ExpiresAt), string(a.Step), nullID(a.UserID), a.RecoveryCodeHash)
	if err != nil {
		return fmt.Errorf("create login attempt: %w", err)
	}
	a.ID = newID
	return nil
}

// UpdateLoginAttempt writes Attempts, Step, UserID, Device and
// RecoveryCodeHash of a, found by its token's hash (the table's key).
// Errors: haven.ErrNotFound.
func (t *Tx) UpdateLoginAttempt(ctx context.Context, a *haven.LoginAttempt) error {
	err := t.execOne(ctx, `UPDATE login_attempts SET attempts = ?, step = ?, user_id = ?, device = ?,
			recovery_code_hash = ?
		WHERE token_hash = ?`,
		a.Attempts, string(a.Step), nullID(a.UserID), a.Device, a.RecoveryCodeHash, a.TokenHash)
	if err != nil {
		return fmt.Errorf("update login attempt %d: %w", a.ID, err)
	}
	return nil
}

// DeleteLoginAttempt removes an attempt by its token's hash; a missing
// one is not an error.
func (t *Tx) DeleteLoginAttempt(ctx context.Context, tokenHash []byte) error {
	if _, err := t.exec(ctx, `DELETE FROM login_attempts WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("delete login attempt: %w", err)
	}
	return nil
}

// DeleteExpiredLoginAttempts removes attempts that expired before now and
// reports how many.
func (t *Tx) DeleteExpiredLoginAttempts(ctx context.Context, now time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM login_attempts WHERE expires_at < ?`, millis(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired login attempts: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired login attempts: %w", err)
	}
	return int(n), nil
}

// CreateSession inserts s, setting s.ID, and its token's hash into
// session_tokens, where SessionByToken finds the session's user.
func (t *Tx) CreateSession(ctx context.Context, s *haven.Session) error {
	newID, err := t.insertID(ctx, `INSERT INTO sessions (user_id, token_hash, device, created_at, last_active_at, ip)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		s.UserID, s.TokenHash, s.Device, millis(s.CreatedAt), millis(s.LastActiveAt), s.IP)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	if _, err := t.exec(ctx, `INSERT INTO session_tokens (token_hash, user_id, session_id) VALUES (?, ?, ?)`,
		s.TokenHash, s.UserID, newID); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	s.ID = newID
	return nil
}

// TouchSession records activity: LastActiveAt and IP.
// Errors: haven.ErrNotFound.
func (t *Tx) TouchSession(ctx context.Context, userID, sessionID int64, at time.Time, ip string) error {
	err := t.execOne(ctx, `UPDATE sessions SET last_active_at = ?, ip = ? WHERE user_id = ? AND id = ?`, millis(at), ip, userID, sessionID)
	if err != nil {
		return fmt.Errorf("touch session %d: %w", sessionID, err)
	}
	return nil
}

// DeleteSession removes one session and its token's lookup row.
// Errors: haven.ErrNotFound.
func (t *Tx) DeleteSession(ctx context.Context, userID, sessionID int64) error {
	var hash []byte
	err := t.queryRow(ctx, `DELETE FROM sessions WHERE user_id = ? AND id = ? RETURNING token_hash`, userID, sessionID).Scan(&hash)
	if err != nil {
		return fmt.Errorf("delete session %d: %w", sessionID, noRows(err))
	}
	if _, err := t.exec(ctx, `DELETE FROM session_tokens WHERE token_hash = ?`, hash); err != nil {
		return fmt.Errorf("delete session %d: %w", sessionID, err)
	}
	return nil
}

// DeleteUserSessions removes all of a user's sessions but except (0 for
// none), and their tokens' lookup rows, and returns the ids it removed,
// in ascending order.
func (t *Tx) DeleteUserSessions(ctx context.Context, userID, except int64) ([]int64, error) {
	fail := func(err error) ([]int64, error) { return nil, fmt.Errorf("delete sessions of %d: %w", userID, err) }
	rows, err := t.query(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ? RETURNING id, token_hash`, userID, except)
	if err != nil {
		return fail(err)
	}
	var (
		ids    []int64
		hashes [][]byte
	)
	for rows.Next() {
		var (
			id   int64
			hash []byte
		)
		if err := rows.Scan(&id, &hash); err != nil {
			rows.Close()
			return fail(err)
		}
		ids, hashes = append(ids, id), append(hashes, hash)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	for _, h := range hashes {
		if _, err := t.exec(ctx, `DELETE FROM session_tokens WHERE token_hash = ?`, h); err != nil {
			return fail(err)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// PutContact adds or renames owner's contact c.UserID.
func (t *Tx) PutContact(ctx context.Context, owner int64, c haven.Contact) error {
	_, err := t.exec(ctx, `INSERT INTO contacts (owner, user_id, first_name, last_name) VALUES (?, ?, ?, ?)
		ON CONFLICT (owner, user_id) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name`,
		owner, c.UserID, c.FirstName, c.LastName)
	if err != nil {
		return fmt.Errorf("put contact: %w", err)
	}
	return nil
}

// DeleteContact removes a contact; a missing one is not an error.
func (t *Tx) DeleteContact(ctx context.Context, owner, userID int64) error {
	if _, err := t.exec(ctx, `DELETE FROM contacts WHERE owner = ? AND user_id = ?`, owner, userID); err != nil {
		return fmt.Errorf("delete contact: %w", err)
	}
	return nil
}

// Block makes owner block userID. Blocking again keeps the first time.
func (t *Tx) Block(ctx context.Context, owner, userID int64, at time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO blocks (owner, user_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT (owner, user_id) DO NOTHING`, owner, userID, millis(at))
	if err != nil {
		return fmt.Errorf("block: %w", err)
	}
	return nil
}

// Unblock lifts a block (idempotent).
func (t *Tx) Unblock(ctx context.Context, owner, userID int64) error {
	if _, err := t.exec(ctx, `DELETE FROM blocks WHERE owner = ? AND user_id = ?`, owner, userID); err != nil {
		return fmt.Errorf("unblock: %w", err)
	}
	return nil
}

// SetPrivacy stores one privacy setting of userID.
func (t *Tx) SetPrivacy(ctx context.Context, userID int64, key haven.PrivacyKey, value haven.Audience) error {
	_, err := t.exec(ctx, `INSERT INTO privacy (user_id, key, value) VALUES (?, ?, ?)
		ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value`, userID, string(key), string(value))
	if err != nil {
		return fmt.Errorf("set privacy: %w", err)
	}
	return nil
}

// EraseUser removes the personal data of an account for good and marks it
// Deleted, and frees its username, phone number and email address; the
// row keeps only its id and CreatedAt. Returns the ids of the
// sessions it removed, in ascending order. Errors: haven.ErrNotFound.
func (t *Tx) EraseUser(ctx context.Context, userID int64) ([]int64, error) {
	u, err := t.UserByID(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("erase user %d: %w", userID, err)
	}
	fail := func(err error) ([]int64, error) { return nil, fmt.Errorf("erase user %d: %w", userID, err) }

	// Pending sign-ins: those that found the account, and those for its
	// phone or email (an identifier is personal data too).
	if _, err := t.exec(ctx, `DELETE FROM login_attempts WHERE user_id = ? OR identifier IN (?, ?)`,
		userID, nullString(u.Phone), nullString(u.Email)); err != nil {
		return fail(err)
	}
	ids, err := t.DeleteUserSessions(ctx, userID, 0)
	if err != nil {
		return fail(err)
	}
	if _, err := t.exec(ctx, `DELETE FROM contacts WHERE owner = ? OR user_id = ?`, userID, userID); err != nil {
		return fail(err)
	}
	if _, err := t.exec(ctx, `DELETE FROM blocks WHERE owner = ? OR user_id = ?`, userID, userID); err != nil {
		return fail(err)
	}
	if _, err := t.exec(ctx, `DELETE FROM privacy WHERE user_id = ?`, userID); err != nil {
		return fail(err)
	}
	if _, err := t.exec(ctx, `DELETE FROM photo_files WHERE user_id = ?`, userID); err != nil {
		return fail(err)
	}
	if _, err := t.exec(ctx, `DELETE FROM found_users WHERE viewer = ? OR user_id = ?`, userID, userID); err != nil {
		return fail(err)
	}
	if _, err := t.exec(ctx, `DELETE FROM contact_lookups WHERE owner = ?`, userID); err != nil {
		return fail(err)
	}
	if _, err := t.exec(ctx, `DELETE FROM secret_device_lists WHERE user_id = ?`, userID); err != nil {
		return fail(err)
	}
	if err := t.DeleteEmailConfirmation(ctx, userID); err != nil {
		return fail(err)
	}
	// Its username, phone number and email address are anyone's now.
	held, err := t.storedUserKeys(ctx, userID)
	if err != nil {
		return fail(err)
	}
	if err := t.moveUserKeys(ctx, userID, held, userKeys{}, ""); err != nil {
		return fail(err)
	}
	if _, err := t.exec(ctx, `UPDATE users SET first_name = '', last_name = '', username = '', username_canon = NULL,
			bio = '', phone = NULL, email = NULL, deleted = 1, last_active_at = ?, account_ttl_days = 0,
			password_hash = '', password_hint = '', recovery_email = '', photo = NULL
		WHERE id = ?`, millis(time.Time{}), userID); err != nil {
		return fail(err)
	}
	t.Erased = true
	return ids, nil
}
