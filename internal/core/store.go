package core

import (
	"context"
	"time"

	"github.com/havenchat/haven"
)

// Store is durable storage. Reads outside a transaction go straight to the
// Store (it embeds Queries); every change goes through Update.
//
// Every Store backend passes the suite in internal/store/storetest.
type Store interface {
	Queries

	// Update runs fn in a read-write transaction and commits it durably
	// before returning: when Update returns nil, the change survives a
	// crash or power cut. If fn returns an error, nothing fn did is kept
	// and Update returns that error unchanged. A backend may run several
	// concurrent Updates in one physical transaction (group commit), so fn
	// must touch the store only through tx, must not block on anything
	// but tx, and must not call Update (with one writer it would wait
	// for itself). fn may be called more than once if the backend retries.
	Update(ctx context.Context, fn func(tx Tx) error) error

	// ReachVersion changes whenever a write may take away someone's
	// right to see or contact someone (accounts, contacts, blocks, people
	// found, chats, memberships, privacy): when the write is made inside
	// Update, and again when it commits. A "yes" computed from reads
	// started under one version holds while the version has not changed.
	// Writes
	// from another process (haven admin) do not move it: they add
	// accounts and invites, which take no one's reach away.
	ReachVersion() uint64

	// SoleWriter reports whether every write but those that only add
	// accounts and invites (haven admin's) goes through this Update.
	// When not, as on a database other nodes write too, the Service
	// keeps nothing read from the store in memory across requests: the
	// pre-send reach check and the set of push subscribers are read each
	// time.
	SoleWriter() bool

	// Close waits for pending Updates and releases the store.
	Close() error
}

// Tx is a read-write transaction: the reads see its own writes.
type Tx interface {
	Queries
	ChatTx
	FileTx
	GCTx
	PhotoTx
	SignupTx
	LimitTx
	PeopleTx
	ConfirmationTx
	PushTx
	SecretTx

	// AfterCommit registers f to run once the transaction has committed
	// durably (and never if it does not); callbacks run in commit order
	// before Update returns. Use it to publish events; keep f quick, as a
	// backend may run it on its writer.
	AfterCommit(f func())

	// CreateUser inserts u, setting u.ID. The user's privacy starts at
	// the defaults. Errors: haven.CodeUsernameOccupied when u.Username is
	// taken; haven.CodeAccountExists when another account (deleted ones
	// too, until erased) has u.Phone or u.Email; a *haven.Error with
	// CodePhoneInvalid/CodeEmailInvalid never.
	CreateUser(ctx context.Context, u *haven.User) error
	// UpdateUser writes every field of u (but ID and CreatedAt); a
	// username, phone number or email address it gives up is free for
	// others. Errors: haven.ErrNotFound; CodeUsernameOccupied when
	// u.Username is held by another account or a chat; CodeAccountExists
	// as CreateUser.
	UpdateUser(ctx context.Context, u *haven.User) error
	// TouchUser moves the user's LastActiveAt to at. Errors: haven.ErrNotFound.
	TouchUser(ctx context.Context, userID int64, at time.Time) error

	// CreateLoginAttempt inserts a, setting a.ID.
	CreateLoginAttempt(ctx context.Context, a *haven.LoginAttempt) error
	// UpdateLoginAttempt writes Attempts, Step, UserID, Device and
	// RecoveryCodeHash of the attempt with a.TokenHash.
	// Errors: haven.ErrNotFound.
	UpdateLoginAttempt(ctx context.Context, a *haven.LoginAttempt) error
	// DeleteLoginAttempt removes an attempt by its token's hash; a missing
	// one is not an error.
	DeleteLoginAttempt(ctx context.Context, tokenHash []byte) error
	// DeleteExpiredLoginAttempts removes attempts that expired before now
	// and reports how many.
	DeleteExpiredLoginAttempts(ctx context.Context, now time.Time) (int, error)

	// CreateSession inserts s, setting s.ID.
	CreateSession(ctx context.Context, s *haven.Session) error
	// TouchSession records activity of userID's session: LastActiveAt
	// and IP (IP may be ""). Errors: haven.ErrNotFound.
	TouchSession(ctx context.Context, userID, sessionID int64, at time.Time, ip string) error
	// DeleteSession removes one session of userID. Errors:
	// haven.ErrNotFound.
	DeleteSession(ctx context.Context, userID, sessionID int64) error
	// DeleteUserSessions removes all of a user's sessions but except (0 for
	// none) and returns the ids it removed.
	DeleteUserSessions(ctx context.Context, userID, except int64) ([]int64, error)

	// PutContact adds or renames owner's contact c.UserID.
	PutContact(ctx context.Context, owner int64, c haven.Contact) error
	// DeleteContact removes a contact; a missing one is not an error.
	DeleteContact(ctx context.Context, owner, userID int64) error
	// Block makes owner block userID (idempotent).
	Block(ctx context.Context, owner, userID int64, at time.Time) error
	// Unblock lifts a block (idempotent).
	Unblock(ctx context.Context, owner, userID int64) error
	// SetPrivacy stores one privacy setting of userID.
	SetPrivacy(ctx context.Context, userID int64, key haven.PrivacyKey, value haven.Audience) error

	// EraseUser removes the personal data of an account for good: its
	// profile fields, phone, email, username, password, sessions,
	// contacts (both directions), blocks (both directions), privacy
	// settings, login attempts, its email confirmation, the lookups it
	// made, whom it found or was found by, and its secret-chat device
	// list. The row stays, marked Deleted, so that
	// the id still names an author. Returns the ids of the sessions it
	// removed. What it removes leaves the store's files within seconds
	// (docs/security.md, "Deleted data"). Errors: haven.ErrNotFound.
	EraseUser(ctx context.Context, userID int64) ([]int64, error)
}

// Queries are the reads, on the Store or inside a Tx.
type Queries interface {
	ChatQueries
	FileQueries
	GCQueries
	PhotoQueries
	SignupQueries
	LimitQueries
	PeopleQueries
	ConfirmationQueries
	PushQueries
	SecretQueries

	// UserByID returns a user, deleted ones included. Errors: haven.ErrNotFound.
	UserByID(ctx context.Context, id int64) (*haven.User, error)
	// UsersByIDs returns the users that exist among ids, in no set order.
	UsersByIDs(ctx context.Context, ids []int64) ([]*haven.User, error)
	// UserByPhone, UserByEmail and UserByUsername find a live account by
	// its normalised phone, email, or username in any case.
	// Errors: haven.ErrNotFound.
	UserByPhone(ctx context.Context, phone string) (*haven.User, error)
	UserByEmail(ctx context.Context, email string) (*haven.User, error)
	UserByUsername(ctx context.Context, username string) (*haven.User, error)
	// InactiveUsers returns up to limit ids of live accounts whose
	// LastActiveAt plus AccountTTLDays is before now.
	InactiveUsers(ctx context.Context, now time.Time, limit int) ([]int64, error)

	// LoginAttemptByToken finds an attempt by the hash of its login token.
	// Errors: haven.ErrNotFound.
	LoginAttemptByToken(ctx context.Context, tokenHash []byte) (*haven.LoginAttempt, error)

	// SessionByToken finds a session by the hash of its token.
	// Errors: haven.ErrNotFound.
	SessionByToken(ctx context.Context, tokenHash []byte) (*haven.Session, error)
	// SessionByID returns a session of userID. Errors: haven.ErrNotFound.
	SessionByID(ctx context.Context, userID, id int64) (*haven.Session, error)
	// UserSessions lists a user's sessions, newest first.
	UserSessions(ctx context.Context, userID int64) ([]*haven.Session, error)

	// Contacts lists owner's contacts ordered by user id.
	Contacts(ctx context.Context, owner int64) ([]haven.Contact, error)
	// ContactOwners lists, by id, up to limit people who have userID in
	// their contacts.
	ContactOwners(ctx context.Context, userID int64, limit int) ([]int64, error)
	// IsContact reports whether owner has userID among their contacts.
	IsContact(ctx context.Context, owner, userID int64) (bool, error)
	// IsBlocked reports whether owner blocks userID.
	IsBlocked(ctx context.Context, owner, userID int64) (bool, error)
	// Blocked lists the ids owner blocks, ordered by id.
	Blocked(ctx context.Context, owner int64) ([]int64, error)
	// Privacy returns a user's settings, defaults filled in.
	Privacy(ctx context.Context, userID int64) (haven.Privacy, error)
}
