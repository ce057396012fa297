package api

import "github.com/havenchat/haven/internal/core"

// The wire views of sign-in, the account, sessions and invites: core's
// answers, field for field, in their JSON shapes.

// sentCodeJSON is the wire view of core.SentCode.
type sentCodeJSON struct {
	LoginToken string `json:"login_token"`
	Kind       string `json:"kind"`        // "phone" or "email"
	Delivery   string `json:"delivery"`    // a Delivery* value, or "" when unknown
	CodeLength int    `json:"code_length"` // digits
	ExpiresIn  int    `json:"expires_in"`  // seconds
}

// recoveryStartedJSON is the wire view of core.RecoveryStarted.
type recoveryStartedJSON struct {
	EmailPattern string `json:"email_pattern"`
}

// accountTTLJSON is the wire view of core.AccountTTL.
type accountTTLJSON struct {
	Months int `json:"months"`
}

// passwordStateJSON is the wire view of core.PasswordState.
type passwordStateJSON struct {
	HasPassword      bool   `json:"has_password"`
	Hint             string `json:"hint,omitempty"`
	HasRecoveryEmail bool   `json:"has_recovery_email"`
	RecoveryEmail    string `json:"recovery_email_pattern,omitempty"`
	// PendingRecoveryEmail is a new recovery email waiting for the code
	// sent to it (account.confirmRecoveryEmail), masked.
	PendingRecoveryEmail string `json:"pending_recovery_email_pattern,omitempty"`
}

// sessionInfoJSON is the wire view of core.SessionInfo.
type sessionInfoJSON struct {
	ID           int64  `json:"id"`
	Device       string `json:"device"`
	CreatedAt    int64  `json:"created_at"`     // unix seconds
	LastActiveAt int64  `json:"last_active_at"` // unix seconds
	Current      bool   `json:"current,omitempty"`
	// IP and Location are set only when the operator enables IP logging.
	// Location is the address's network (a /24 or /48), an approximation
	// that needs no geolocation database.
	IP       string `json:"ip,omitempty"`
	Location string `json:"location,omitempty"`
}

// signupInviteJSON is the wire view of core.SignupInviteView.
type signupInviteJSON struct {
	ID         int64  `json:"id"`
	Code       string `json:"code,omitempty"`
	Link       string `json:"link,omitempty"`
	CreatorID  int64  `json:"creator_id,omitempty"`
	CreatedAt  int64  `json:"created_at"`
	ExpiresAt  int64  `json:"expires_at,omitempty"`
	UsageLimit int    `json:"usage_limit,omitempty"`
	Usage      int    `json:"usage"`
	Revoked    bool   `json:"revoked,omitempty"`
}

// signupInvitesJSON is the wire view of core.SignupInvites.
type signupInvitesJSON struct {
	Invites   []signupInviteJSON `json:"invites"`
	Remaining int                `json:"remaining"`
}

// inviteJSON is the wire view of core.InviteView.
type inviteJSON struct {
	Hash       string `json:"hash"`
	Link       string `json:"link"`
	ChatID     int64  `json:"chat_id"`
	CreatorID  int64  `json:"creator_id"`
	CreatedAt  int64  `json:"created_at"`
	ExpiresAt  int64  `json:"expires_at,omitempty"`
	UsageLimit int    `json:"usage_limit,omitempty"`
	Usage      int    `json:"usage"`
	Revoked    bool   `json:"revoked,omitempty"`
}

func signupInviteOut(v *core.SignupInviteView) signupInviteJSON { return signupInviteJSON(*v) }

func signupInvitesOut(v *core.SignupInvites) signupInvitesJSON {
	return signupInvitesJSON{Invites: mapSlice(v.Invites, signupInviteOut), Remaining: v.Remaining}
}

func inviteOut(v *core.InviteView) inviteJSON { return inviteJSON(*v) }

func sessionInfoOut(v *core.SessionInfo) sessionInfoJSON { return sessionInfoJSON(*v) }
