package haven

import "time"

// SignupInvite lets people make an account on a server whose sign-up
// needs an invite code. The code itself is a secret shown once, when the
// invite is made; the server keeps only CodeHash.
type SignupInvite struct {
	ID       int64
	CodeHash []byte
	// CreatorID is the member who made it; 0 for the operator.
	CreatorID  int64
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero = never
	UsageLimit int       // sign-ups it allows; 0 = unlimited
	Usage      int       // sign-ups made with it
	Revoked    bool
}
