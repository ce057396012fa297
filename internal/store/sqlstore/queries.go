package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/havenchat/haven"
)

// millis and fromMillis convert times to and from the stored unix
// milliseconds. The zero time survives the round trip.
func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// nullString stores "" as NULL, for the columns where "" means none.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// nullID stores 0 as NULL, for optional references.
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// noRows turns sql.ErrNoRows into haven.ErrNotFound.
func noRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return haven.ErrNotFound
	}
	return err
}

const userColumns = `id, first_name, last_name, username, bio, phone, email, deleted,
	created_at, last_active_at, account_ttl_days, password_hash, password_hint, recovery_email, photo`

func scanUser(sc scanner) (*haven.User, error) {
	var (
		u               haven.User
		phone, email    sql.NullString
		created, active int64
		photo           sql.NullString
	)
	err := sc.Scan(&u.ID, &u.FirstName, &u.LastName, &u.Username, &u.Bio, &phone, &email, &u.Deleted,
		&created, &active, &u.AccountTTLDays, &u.Password.Hash, &u.Password.Hint, &u.Password.RecoveryEmail, &photo)
	if err != nil {
		return nil, noRows(err)
	}
	if u.Photo, err = photoFromJSON(photo); err != nil {
		return nil, fmt.Errorf("user %d photo: %w", u.ID, err)
	}
	u.Phone, u.Email = phone.String, email.String
	u.CreatedAt, u.LastActiveAt = fromMillis(created), fromMillis(active)
	return &u, nil
}

func (q Queries) userBy(ctx context.Context, where string, arg any) (*haven.User, error) {
	u, err := scanUser(q.DB.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	if err != nil {
		return nil, fmt.Errorf("user: %w", err)
	}
	return u, nil
}

// UserByID returns a user, deleted ones included. Errors: haven.ErrNotFound.
func (q Queries) UserByID(ctx context.Context, id int64) (*haven.User, error) {
	return q.userBy(ctx, `id = ?`, id)
}

// usersChunk bounds the ids in one IN (...) list, well below SQLite's
// limit on bound parameters.
const usersChunk = 512

// paddedIDs returns chunk as query arguments, padded to a power of two by
// repeating its last id, so that only a handful of distinct statements
// are ever prepared.
func paddedIDs(chunk []int64) []any {
	size := 1
	for size < len(chunk) {
		size *= 2
	}
	args := make([]any, size)
	for i := range args {
		args[i] = chunk[min(i, len(chunk)-1)]
	}
	return args
}

// UsersByIDs returns the users that exist among ids, in no set order.
func (q Queries) UsersByIDs(ctx context.Context, ids []int64) ([]*haven.User, error) {
	users := make([]*haven.User, 0, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), usersChunk)
		args := paddedIDs(ids[:n])
		ids = ids[n:]
		query := `SELECT ` + userColumns + ` FROM users WHERE id IN (?` + strings.Repeat(`, ?`, len(args)-1) + `)`
		got, err := queryAll(ctx, q.DB, scanUser, query, args...)
		if err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		users = append(users, got...)
	}
	return users, nil
}

// UserByPhone finds a live account by its normalised phone number:
// its holder in user_phones, then the account by id.
// Errors: haven.ErrNotFound.
func (q Queries) UserByPhone(ctx context.Context, phone string) (*haven.User, error) {
	if phone == "" {
		return nil, haven.ErrNotFound
	}
	id, err := q.holderOf(ctx, phones, phone)
	if err != nil {
		return nil, fmt.Errorf("user: %w", err)
	}
	return q.userBy(ctx, `id = ? AND deleted = 0`, id)
}

// UserByEmail finds a live account by its normalised email address:
// its holder in user_emails, then the account by id.
// Errors: haven.ErrNotFound.
func (q Queries) UserByEmail(ctx context.Context, email string) (*haven.User, error) {
	if email == "" {
		return nil, haven.ErrNotFound
	}
	id, err := q.holderOf(ctx, emails, email)
	if err != nil {
		return nil, fmt.Errorf("user: %w", err)
	}
	return q.userBy(ctx, `id = ? AND deleted = 0`, id)
}

// UserByUsername finds a live account by its username in any case:
// its holder in usernames, then the account by id.
// Errors: haven.ErrNotFound.
func (q Queries) UserByUsername(ctx context.Context, username string) (*haven.User, error) {
	canon := haven.CanonicalUsername(username)
	if canon == "" {
		return nil, haven.ErrNotFound
	}
	id, err := q.holderOf(ctx, userUsernames, canon)
	if err != nil {
		return nil, fmt.Errorf("user: %w", err)
	}
	return q.userBy(ctx, `id = ? AND deleted = 0`, id)
}

// InactiveUsers returns up to limit ids of live accounts whose LastActiveAt
// plus AccountTTLDays is before now, the longest expired first.
func (q Queries) InactiveUsers(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	if limit <= 0 {
		return nil, nil
	}
	// The expression matches the users_expiry index.
	ids, err := q.ids(ctx, `SELECT id FROM users
		WHERE deleted = 0 AND last_active_at + account_ttl_days * 86400000 < ?
		ORDER BY last_active_at + account_ttl_days * 86400000, id LIMIT ?`, millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("inactive users: %w", err)
	}
	return ids, nil
}

// ids runs a query that returns one integer column.
func (q Queries) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	return queryAll(ctx, q.DB, scanID, query, args...)
}

func scanID(sc scanner) (id int64, err error) {
	err = sc.Scan(&id)
	return id, err
}

const loginAttemptColumns = `id, token_hash, identifier, kind, code_hash, attempts, device,
	created_at, expires_at, step, user_id, recovery_code_hash`

// LoginAttemptByToken finds an attempt by the hash of its login token.
// Errors: haven.ErrNotFound.
func (q Queries) LoginAttemptByToken(ctx context.Context, tokenHash []byte) (*haven.LoginAttempt, error) {
	var (
		a                haven.LoginAttempt
		created, expires int64
		userID           sql.NullInt64
	)
	err := q.DB.QueryRow(ctx, `SELECT `+loginAttemptColumns+` FROM login_attempts WHERE token_hash = ?`, tokenHash).
		Scan(&a.ID, &a.TokenHash, &a.Identifier, &a.Kind, &a.CodeHash, &a.Attempts, &a.Device,
			&created, &expires, &a.Step, &userID, &a.RecoveryCodeHash)
	if err != nil {
		return nil, fmt.Errorf("login attempt: %w", noRows(err))
	}
	a.CreatedAt, a.ExpiresAt = fromMillis(created), fromMillis(expires)
	a.UserID = userID.Int64
	return &a, nil
}

const sessionColumns = `id, user_id, token_hash, device, created_at, last_active_at, ip`

func scanSession(sc scanner) (*haven.Session, error) {
	var (
		s               haven.Session
		created, active int64
	)
	if err := sc.Scan(&s.ID, &s.UserID, &s.TokenHash, &s.Device, &created, &active, &s.IP); err != nil {
		return nil, noRows(err)
	}
	s.CreatedAt, s.LastActiveAt = fromMillis(created), fromMillis(active)
	return &s, nil
}

// SessionByToken finds a session by the hash of its token: its user
// and id in session_tokens (keyed by the hash), then the session (keyed
// by user). Errors: haven.ErrNotFound.
func (q Queries) SessionByToken(ctx context.Context, tokenHash []byte) (*haven.Session, error) {
	var userID, id int64
	if err := q.DB.QueryRow(ctx, `SELECT user_id, session_id FROM session_tokens WHERE token_hash = ?`, tokenHash).Scan(&userID, &id); err != nil {
		return nil, fmt.Errorf("session: %w", noRows(err))
	}
	return q.SessionByID(ctx, userID, id)
}

// SessionByID returns a session of userID. Errors: haven.ErrNotFound.
func (q Queries) SessionByID(ctx context.Context, userID, id int64) (*haven.Session, error) {
	s, err := scanSession(q.DB.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = ? AND id = ?`, userID, id))
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return s, nil
}

// UserSessions lists a user's sessions, newest first.
func (q Queries) UserSessions(ctx context.Context, userID int64) ([]*haven.Session, error) {
	ss, err := queryAll(ctx, q.DB, scanSession, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = ?
		ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	return ss, nil
}

// Contacts lists owner's contacts ordered by user id.
func (q Queries) Contacts(ctx context.Context, owner int64) ([]haven.Contact, error) {
	rows, err := q.DB.Query(ctx, `SELECT user_id, first_name, last_name FROM contacts
		WHERE owner = ? ORDER BY user_id`, owner)
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	defer rows.Close()
	var cs []haven.Contact
	for rows.Next() {
		var c haven.Contact
		if err := rows.Scan(&c.UserID, &c.FirstName, &c.LastName); err != nil {
			return nil, fmt.Errorf("contacts: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	return cs, nil
}

// ContactOwners lists, by id, up to limit people who have userID in their
// contacts (served by the contacts_user_id index).
func (q Queries) ContactOwners(ctx context.Context, userID int64, limit int) ([]int64, error) {
	ids, err := q.ids(ctx, `SELECT owner FROM contacts WHERE user_id = ? ORDER BY owner LIMIT ?`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("contact owners: %w", err)
	}
	return ids, nil
}

// exists runs a query that selects at most one row and reports whether it
// found one.
func (q Queries) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := q.DB.QueryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// IsContact reports whether owner has userID among their contacts.
func (q Queries) IsContact(ctx context.Context, owner, userID int64) (bool, error) {
	ok, err := q.exists(ctx, `SELECT 1 FROM contacts WHERE owner = ? AND user_id = ?`, owner, userID)
	if err != nil {
		return false, fmt.Errorf("is contact: %w", err)
	}
	return ok, nil
}

// IsBlocked reports whether owner blocks userID.
func (q Queries) IsBlocked(ctx context.Context, owner, userID int64) (bool, error) {
	ok, err := q.exists(ctx, `SELECT 1 FROM blocks WHERE owner = ? AND user_id = ?`, owner, userID)
	if err != nil {
		return false, fmt.Errorf("is blocked: %w", err)
	}
	return ok, nil
}

// Blocked lists the ids owner blocks, ordered by id.
func (q Queries) Blocked(ctx context.Context, owner int64) ([]int64, error) {
	ids, err := q.ids(ctx, `SELECT user_id FROM blocks WHERE owner = ? ORDER BY user_id`, owner)
	if err != nil {
		return nil, fmt.Errorf("blocked: %w", err)
	}
	return ids, nil
}

// Privacy returns a user's settings, defaults filled in.
func (q Queries) Privacy(ctx context.Context, userID int64) (haven.Privacy, error) {
	rows, err := q.DB.Query(ctx, `SELECT key, value FROM privacy WHERE user_id = ?`, userID)
	if err != nil {
		return nil, fmt.Errorf("privacy: %w", err)
	}
	defer rows.Close()
	p := haven.DefaultPrivacy()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("privacy: %w", err)
		}
		p[haven.PrivacyKey(k)] = haven.Audience(v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("privacy: %w", err)
	}
	return p, nil
}
