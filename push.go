package haven

import "time"

// PushSubscription is one device's Web Push subscription (RFC 8030),
// stored for the session that made it: where the push service accepts
// notifications for the device, and the keys they are encrypted to
// (RFC 8291). The endpoint is a capability URL: whoever knows it can
// wake the device, so it is never logged.
type PushSubscription struct {
	ID        int64
	SessionID int64
	UserID    int64
	Endpoint  string // an https URL of the device's push service
	P256dh    []byte // the device's P-256 public key, uncompressed (65 bytes)
	Auth      []byte // the device's authentication secret (16 bytes)
	// Private notifications show only "New message": no sender, no text.
	Private   bool
	CreatedAt time.Time
}

// The sizes of a subscription's keys: an uncompressed P-256 point, and
// the authentication secret of RFC 8291.
const (
	PushP256dhSize = 65
	PushAuthSize   = 16
)
