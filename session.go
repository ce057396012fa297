package haven

import "time"

// Session is one signed-in device. The server keeps only TokenHash, the
// SHA-256 of the 256-bit bearer token that the client holds.
type Session struct {
	ID           int64
	UserID       int64
	TokenHash    []byte
	Device       string
	CreatedAt    time.Time
	LastActiveAt time.Time
	// IP is the client address of the last activity, kept only when the
	// operator enables IP logging; empty otherwise.
	IP string
}

// LoginAttempt is a pending sign-in: a code sent to an identifier and
// waiting to be entered. Only hashes of the login token and the code are
// stored.
type LoginAttempt struct {
	ID         int64
	TokenHash  []byte
	Identifier string // normalised phone number or email address
	Kind       IdentifierKind
	CodeHash   []byte
	Attempts   int
	Device     string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	// Step is how far the attempt has come.
	Step LoginStep
	// UserID is the account the identifier belongs to, once the code has
	// been verified; zero for a sign-up.
	UserID int64
	// RecoveryCodeHash is set while a password recovery code is pending.
	RecoveryCodeHash []byte
}

// IdentifierKind says what a sign-in identifier is.
type IdentifierKind string

// The identifier kinds.
const (
	KindPhone IdentifierKind = "phone"
	KindEmail IdentifierKind = "email"
)

// LoginStep is the state of a LoginAttempt.
type LoginStep string

// The login steps: a code was sent; the code was right and the account
// has a cloud password; the code was right and there is no account yet.
const (
	StepCodeSent         LoginStep = "code_sent"
	StepPasswordRequired LoginStep = "password_required"
	StepSignUpRequired   LoginStep = "sign_up_required"
)
