package haven

// The error codes of sign-up: who may make an account on a server (see
// the signup setting of haven serve) and the invite codes that let them.
const (
	// CodeSignupClosed: the server makes no accounts by sign-up; its
	// operator makes them (haven admin user create).
	CodeSignupClosed = "SIGNUP_CLOSED"
	// CodeInviteCodeRequired: sign-up needs an invite code and none was
	// given.
	CodeInviteCodeRequired = "INVITE_CODE_REQUIRED"
	// CodeInviteCodeInvalid: no invite has this code (or id).
	CodeInviteCodeInvalid = "INVITE_CODE_INVALID"
	// CodeInviteCodeExpired: the invite expired or was revoked.
	CodeInviteCodeExpired = "INVITE_CODE_EXPIRED"
	// CodeInviteCodeUsedUp: the invite let in as many people as it may.
	CodeInviteCodeUsedUp = "INVITE_CODE_USED_UP"
	// CodeMemberInvitesDisabled: the operator does not let members make
	// sign-up invites.
	CodeMemberInvitesDisabled = "MEMBER_INVITES_DISABLED"
	// CodeMemberInvitesTooMany: the member has made as many sign-up
	// invites as the operator allows.
	CodeMemberInvitesTooMany = "MEMBER_INVITES_TOO_MANY"
	// CodeAccountExists: an account already has this phone number or
	// email (the operator's haven admin user create).
	CodeAccountExists = "ACCOUNT_EXISTS"
)
