package haven

import (
	"errors"
	"fmt"
)

// Error is the one error type that crosses Haven's boundaries. Code is
// stable and documented (docs/api.md); Message is for people and may change.
// RetryAfter, in seconds, is set only with CodeFloodWait.
type Error struct {
	Code       string
	Message    string
	RetryAfter int
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, haven.ErrNotFound) works through wrapping.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FloodWait returns the FLOOD_WAIT error asking the caller to retry after
// the given number of seconds (at least 1).
func FloodWait(seconds int) *Error {
	if seconds < 1 {
		seconds = 1
	}
	return &Error{Code: CodeFloodWait, Message: fmt.Sprintf("too many requests: retry in %d s", seconds), RetryAfter: seconds}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, and
// CodeInternal otherwise: a failure with no code is never shown in detail.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// The error codes. Each is stable once released; docs/api.md lists them
// and internal/api maps each to an HTTP status in one table.
const (
	// Request shape, checked at the edge.
	CodeBodyTooLarge   = "BODY_TOO_LARGE"
	CodeMalformedJSON  = "MALFORMED_JSON"
	CodeUnknownField   = "UNKNOWN_FIELD"
	CodeDuplicateField = "DUPLICATE_FIELD"
	CodeWrongType      = "WRONG_TYPE"
	CodeInvalidUTF8    = "INVALID_UTF8"
	CodeMethodNotFound = "METHOD_NOT_FOUND"
	CodeParamMissing   = "PARAM_MISSING"
	CodeParamInvalid   = "PARAM_INVALID"
	// CodeUnsupportedMediaType: a POST /api/METHOD body that is not
	// declared application/json.
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"

	// Authentication.
	CodeAuthRequired = "AUTH_REQUIRED"
	CodeTokenInvalid = "AUTH_TOKEN_INVALID"

	// Sign-in and sign-up.
	CodePhoneInvalid         = "PHONE_INVALID"
	CodeEmailInvalid         = "EMAIL_INVALID"
	CodeLoginTokenInvalid    = "LOGIN_TOKEN_INVALID"
	CodeCodeInvalid          = "CODE_INVALID"
	CodeCodeExpired          = "CODE_EXPIRED"
	CodeCodeAttemptsExceeded = "CODE_ATTEMPTS_EXCEEDED"
	CodeLoginStepInvalid     = "LOGIN_STEP_INVALID"
	CodeCodeDeliveryFailed   = "CODE_DELIVERY_FAILED"
	CodeDeviceInvalid        = "DEVICE_INVALID"

	// Two-step verification.
	CodePasswordInvalid     = "PASSWORD_INVALID"
	CodePasswordRequired    = "PASSWORD_REQUIRED"
	CodePasswordTooShort    = "PASSWORD_TOO_SHORT"
	CodePasswordTooLong     = "PASSWORD_TOO_LONG"
	CodePasswordNotSet      = "PASSWORD_NOT_SET"
	CodeHintInvalid         = "PASSWORD_HINT_INVALID"
	CodeRecoveryUnavailable = "PASSWORD_RECOVERY_UNAVAILABLE"

	// Profiles and usernames.
	CodeFirstNameInvalid = "FIRST_NAME_INVALID"
	CodeLastNameInvalid  = "LAST_NAME_INVALID"
	CodeBioTooLong       = "BIO_TOO_LONG"
	CodeUsernameInvalid  = "USERNAME_INVALID"
	CodeUsernameOccupied = "USERNAME_OCCUPIED"
	CodeUsernameNotFound = "USERNAME_NOT_FOUND"
	CodeUserNotFound     = "USER_NOT_FOUND"
	CodeTooManyIDs       = "TOO_MANY_IDS"

	// Sessions.
	CodeSessionNotFound = "SESSION_NOT_FOUND"

	// Contacts, blocking, privacy, account.
	CodeContactsTooMany     = "CONTACTS_TOO_MANY"
	CodeBlockSelf           = "BLOCK_SELF"
	CodeUserBlocked         = "USER_BLOCKED"
	CodePrivacyKeyInvalid   = "PRIVACY_KEY_INVALID"
	CodePrivacyValueInvalid = "PRIVACY_VALUE_INVALID"
	CodeAccountTTLInvalid   = "ACCOUNT_TTL_INVALID"

	// Generic.
	CodeNotFound    = "NOT_FOUND"
	CodeFloodWait   = "FLOOD_WAIT"
	CodeInternal    = "INTERNAL"
	CodeUnavailable = "UNAVAILABLE"

	// Message formatting entities (ValidateEntities).
	CodeEntitiesInvalid = "ENTITIES_INVALID"
	CodeEntitiesTooMany = "ENTITIES_TOO_MANY"
)

// ErrNotFound is returned by stores when a row does not exist. Use
// errors.Is to test for it; use cases translate it to a specific code.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "not found"}
