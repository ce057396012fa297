package haven

// The error codes of Web Push subscriptions.
const (
	CodePushEndpointInvalid = "PUSH_ENDPOINT_INVALID"       // not an https URL, or too long
	CodePushKeyInvalid      = "PUSH_KEY_INVALID"            // p256dh not a P-256 point, or auth not 16 bytes
	CodePushTooMany         = "PUSH_SUBSCRIPTIONS_TOO_MANY" // the session has as many subscriptions as allowed
)
