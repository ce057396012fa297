package haven

import "time"

// MaxID is the exclusive upper bound of every id: JavaScript numbers are
// exact only below 2^53.
const MaxID int64 = 1 << 53

// User is a person's account as stored. Phone and Email are normalised
// (E.164, lower-case domain); either may be empty. A deleted account keeps
// its id (so what it wrote in groups still has an author) and loses all
// personal data: Deleted is set and every other field is cleared.
type User struct {
	ID        int64
	FirstName string
	LastName  string
	Username  string // as the owner typed it; compared case-insensitively
	Bio       string
	Phone     string
	Email     string
	Deleted   bool
	CreatedAt time.Time
	// LastActiveAt is the coarse time of the account's last use. It drives
	// the inactivity deletion and, as privacy allows, "last seen".
	LastActiveAt time.Time
	// AccountTTLDays is the inactivity period after which the account
	// deletes itself.
	AccountTTLDays int
	// Photo is the profile photo, nil when none is set. It is written by
	// SetUserPhoto, not UpdateUser.
	Photo *Photo

	Password Password
}

// Password is the optional cloud password of two-step verification.
type Password struct {
	Hash string // PHC-encoded argon2id; empty when no password is set
	Hint string
	// RecoveryEmail is where a recovery code may go: an address its owner
	// confirmed with a code sent to it (see EmailConfirmation).
	RecoveryEmail string
}

// EmailConfirmation is a recovery email waiting to be confirmed: a code
// went to Email, and only its HMAC is kept. A person has at most one.
type EmailConfirmation struct {
	UserID    int64
	Email     string
	CodeHash  []byte
	Attempts  int // wrong codes so far
	ExpiresAt time.Time
}

// Set reports whether a cloud password is set.
func (p Password) Set() bool { return p.Hash != "" }

// DeletedName is the name shown for a deleted account.
const DeletedName = "Deleted Account"

// Contact is an entry of a person's address book: another account, under
// the name the owner gave it.
type Contact struct {
	UserID    int64
	FirstName string
	LastName  string
}
