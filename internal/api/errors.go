package api

import (
	"errors"
	"net/http"

	"github.com/havenchat/haven"
)

// statusOf is the one table from error code to HTTP status. Every code in
// package haven appears here, and docs/api.md lists them all (a test
// checks both).
var statusOf = map[string]int{
	haven.CodeBodyTooLarge:   http.StatusRequestEntityTooLarge,
	haven.CodeMalformedJSON:  http.StatusBadRequest,
	haven.CodeUnknownField:   http.StatusBadRequest,
	haven.CodeDuplicateField: http.StatusBadRequest,
	haven.CodeWrongType:      http.StatusBadRequest,
	haven.CodeInvalidUTF8:    http.StatusBadRequest,
	haven.CodeMethodNotFound: http.StatusNotFound,
	haven.CodeParamMissing:   http.StatusBadRequest,
	haven.CodeParamInvalid:   http.StatusBadRequest,

	// 429, not 503: the refusal is about the caller's address or
	// account, not the server's health, and a load balancer must not
	// take the node out of service for it.
	haven.CodeConnectionsTooMany:   http.StatusTooManyRequests,
	haven.CodeBodyTimeout:          http.StatusRequestTimeout,
	haven.CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,

	haven.CodeAuthRequired: http.StatusUnauthorized,
	haven.CodeTokenInvalid: http.StatusUnauthorized,

	haven.CodePhoneInvalid:         http.StatusBadRequest,
	haven.CodeEmailInvalid:         http.StatusBadRequest,
	haven.CodeLoginTokenInvalid:    http.StatusBadRequest,
	haven.CodeCodeInvalid:          http.StatusBadRequest,
	haven.CodeCodeExpired:          http.StatusBadRequest,
	haven.CodeCodeAttemptsExceeded: http.StatusBadRequest,
	haven.CodeLoginStepInvalid:     http.StatusConflict,
	haven.CodeCodeDeliveryFailed:   http.StatusBadGateway,
	haven.CodeDeviceInvalid:        http.StatusBadRequest,

	haven.CodeSignupClosed:          http.StatusForbidden,
	haven.CodeInviteCodeRequired:    http.StatusForbidden,
	haven.CodeInviteCodeInvalid:     http.StatusBadRequest,
	haven.CodeInviteCodeExpired:     http.StatusGone,
	haven.CodeInviteCodeUsedUp:      http.StatusGone,
	haven.CodeMemberInvitesDisabled: http.StatusForbidden,
	haven.CodeMemberInvitesTooMany:  http.StatusForbidden,
	haven.CodeAccountExists:         http.StatusConflict,

	haven.CodePasswordInvalid:     http.StatusBadRequest,
	haven.CodePasswordRequired:    http.StatusBadRequest,
	haven.CodePasswordTooShort:    http.StatusBadRequest,
	haven.CodePasswordTooLong:     http.StatusBadRequest,
	haven.CodePasswordNotSet:      http.StatusBadRequest,
	haven.CodeHintInvalid:         http.StatusBadRequest,
	haven.CodeRecoveryUnavailable: http.StatusBadRequest,

	haven.CodeFirstNameInvalid: http.StatusBadRequest,
	haven.CodeLastNameInvalid:  http.StatusBadRequest,
	haven.CodeBioTooLong:       http.StatusBadRequest,
	haven.CodeUsernameInvalid:  http.StatusBadRequest,
	haven.CodeUsernameOccupied: http.StatusConflict,
	haven.CodeUsernameNotFound: http.StatusNotFound,
	haven.CodeUserNotFound:     http.StatusNotFound,
	haven.CodeTooManyIDs:       http.StatusBadRequest,

	haven.CodeSessionNotFound: http.StatusNotFound,

	haven.CodePushEndpointInvalid: http.StatusBadRequest,
	haven.CodePushKeyInvalid:      http.StatusBadRequest,
	haven.CodePushTooMany:         http.StatusBadRequest,

	haven.CodeSecretKeysInvalid:       http.StatusBadRequest,
	haven.CodeSecretDeviceListInvalid: http.StatusBadRequest,
	haven.CodeSecretDeviceListOld:     http.StatusConflict,
	haven.CodeSecretDeviceTaken:       http.StatusConflict,
	haven.CodeSecretNoDevice:          http.StatusBadRequest,
	haven.CodeSecretDeviceNotFound:    http.StatusNotFound,
	haven.CodeSecretEnvelopeInvalid:   http.StatusBadRequest,
	haven.CodeSecretEnvelopeTooLarge:  http.StatusRequestEntityTooLarge,
	haven.CodeSecretEnvelopesTooMany:  http.StatusBadRequest,
	haven.CodeSecretQueueFull:         http.StatusTooManyRequests,

	haven.CodeContactsTooMany:     http.StatusBadRequest,
	haven.CodeBlockSelf:           http.StatusBadRequest,
	haven.CodeUserBlocked:         http.StatusForbidden,
	haven.CodePrivacyKeyInvalid:   http.StatusBadRequest,
	haven.CodePrivacyValueInvalid: http.StatusBadRequest,
	haven.CodeAccountTTLInvalid:   http.StatusBadRequest,

	haven.CodeEntitiesInvalid: http.StatusBadRequest,
	haven.CodeEntitiesTooMany: http.StatusBadRequest,

	haven.CodeChatNotFound:           http.StatusNotFound,
	haven.CodeNotMember:              http.StatusForbidden,
	haven.CodeChatWriteForbidden:     http.StatusForbidden,
	haven.CodeRightForbidden:         http.StatusForbidden,
	haven.CodeUserBanned:             http.StatusForbidden,
	haven.CodeSlowModeWait:           http.StatusTooManyRequests,
	haven.CodeMessageNotFound:        http.StatusNotFound,
	haven.CodeMessageTooLong:         http.StatusBadRequest,
	haven.CodeMessageEmpty:           http.StatusBadRequest,
	haven.CodeMessageNotModified:     http.StatusBadRequest,
	haven.CodeMessageEditForbidden:   http.StatusForbidden,
	haven.CodeMessageEditExpired:     http.StatusForbidden,
	haven.CodeMessageDeleteForbidden: http.StatusForbidden,
	haven.CodeReactionInvalid:        http.StatusBadRequest,
	haven.CodePinnedTooMany:          http.StatusBadRequest,
	haven.CodeInviteInvalid:          http.StatusNotFound,
	haven.CodeInviteExpired:          http.StatusGone,
	haven.CodeInvitesTooMany:         http.StatusForbidden,
	haven.CodeAlreadyMember:          http.StatusConflict,
	haven.CodeMembersTooMany:         http.StatusForbidden,
	haven.CodeTitleInvalid:           http.StatusBadRequest,
	haven.CodeAboutTooLong:           http.StatusBadRequest,
	haven.CodeSlowModeInvalid:        http.StatusBadRequest,
	haven.CodeTTLInvalid:             http.StatusBadRequest,
	haven.CodeUserPrivacyRestricted:  http.StatusForbidden,
	haven.CodeOwnerCannotLeave:       http.StatusConflict,
	haven.CodeChatKindInvalid:        http.StatusBadRequest,
	haven.CodeRandomIDInvalid:        http.StatusBadRequest,
	haven.CodeDifferenceTooLong:      http.StatusConflict,
	haven.CodeQueryTooShort:          http.StatusBadRequest,

	haven.CodeFileTooLarge:        http.StatusRequestEntityTooLarge,
	haven.CodeFileSizeInvalid:     http.StatusBadRequest,
	haven.CodeFilePartSizeInvalid: http.StatusBadRequest,
	haven.CodeFilePartTooBig:      http.StatusRequestEntityTooLarge,
	haven.CodeFilePartInvalid:     http.StatusBadRequest,
	haven.CodeFilePartsInvalid:    http.StatusBadRequest,
	haven.CodeFilePartsMissing:    http.StatusBadRequest,
	haven.CodeFileHashMismatch:    http.StatusBadRequest,
	haven.CodeUploadNotFound:      http.StatusNotFound,
	haven.CodeUploadExpired:       http.StatusGone,
	haven.CodeFileNotFound:        http.StatusNotFound,
	haven.CodeFileURLExpired:      http.StatusForbidden,
	haven.CodeFileURLInvalid:      http.StatusForbidden,
	haven.CodeQuotaExceeded:       http.StatusForbidden,
	haven.CodeUploadsTooMany:      http.StatusForbidden,

	haven.CodeCaptionTooLong: http.StatusBadRequest,
	haven.CodePhotoInvalid:   http.StatusBadRequest,
	haven.CodePhotoTooLarge:  http.StatusBadRequest,
	haven.CodeVoiceInvalid:   http.StatusBadRequest,
	haven.CodeMediaInvalid:   http.StatusBadRequest,
	haven.CodeAlbumInvalid:   http.StatusBadRequest,

	haven.CodeNotFound:    http.StatusNotFound,
	haven.CodeFloodWait:   http.StatusTooManyRequests,
	haven.CodeInternal:    http.StatusInternalServerError,
	haven.CodeUnavailable: http.StatusServiceUnavailable,
}

// wireError is the error object of the envelope.
type wireError struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	RetryAfter int    `json:"retry_after,omitempty"`
}

// toWire turns any error into what a client may see: a coded error as it
// is, anything else as INTERNAL with no detail.
func toWire(err error) (wireError, int) {
	var he *haven.Error
	if !errors.As(err, &he) {
		he = &haven.Error{Code: haven.CodeInternal, Message: "internal error"}
	}
	status, ok := statusOf[he.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	return wireError{Code: he.Code, Message: he.Message, RetryAfter: he.RetryAfter}, status
}
