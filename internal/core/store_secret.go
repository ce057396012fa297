package core

import (
	"context"
	"time"

	"github.com/havenchat/haven"
)

// SecretTx are the writes of secret chats' keys and envelopes. Each
// names the user the device belongs to (the store is keyed by user). A device
// belongs to a session: deleting the session (DeleteSession,
// DeleteUserSessions, EraseUser) deletes the device, its one-time
// prekeys and its queue; EraseUser also deletes the device list.
type SecretTx interface {
	// PutSecretDeviceList stores userID's signed device list, replacing
	// the one before.
	PutSecretDeviceList(ctx context.Context, userID int64, version uint64, list []byte) error
	// PutSecretDevice stores or replaces the device of d.SessionID (the
	// session's user is d.UserID). When the session had a device with
	// another id or other keys, its one-time prekeys are deleted first.
	// Errors: haven.CodeSecretDeviceTaken when another session of the
	// user holds d.DeviceID.
	PutSecretDevice(ctx context.Context, d *haven.SecretDevice) error
	// AddSecretPreKeys adds one-time prekeys to a session's device;
	// one whose kind and id it has already is left as it is. Past keep
	// keys of a kind, the oldest are deleted.
	AddSecretPreKeys(ctx context.Context, userID, sessionID int64, keys []haven.SecretPreKey, keep int) error
	// TakeSecretPreKey removes and returns the oldest one-time prekey of
	// a kind of a session's device. Errors: haven.ErrNotFound when it has
	// none.
	TakeSecretPreKey(ctx context.Context, userID, sessionID int64, kind haven.SecretPreKeyKind) (*haven.SecretPreKey, error)
	// PutSecretEnvelope queues e (setting e.ID) unless the queue already
	// has an envelope with e.RandomID, and reports whether it queued it.
	PutSecretEnvelope(ctx context.Context, e *haven.SecretEnvelope) (bool, error)
	// DeleteSecretEnvelopes deletes a session's envelopes up to and
	// including upTo and reports how many.
	DeleteSecretEnvelopes(ctx context.Context, userID, sessionID, upTo int64) (int, error)
	// KeepSecretFile keeps file fileID from the files' collector until
	// until (a later call moves it).
	KeepSecretFile(ctx context.Context, fileID int64, until time.Time) error
	// DeleteSecretEnvelopesBefore deletes up to limit envelopes created
	// before t and reports how many.
	DeleteSecretEnvelopesBefore(ctx context.Context, t time.Time, limit int) (int, error)
}

// SecretQueries are the reads of secret chats' keys and envelopes.
type SecretQueries interface {
	// SecretDeviceList returns userID's device list and its version.
	// Errors: haven.ErrNotFound.
	SecretDeviceList(ctx context.Context, userID int64) (version uint64, list []byte, err error)
	// SecretDevices lists userID's devices by DeviceID.
	SecretDevices(ctx context.Context, userID int64) ([]*haven.SecretDevice, error)
	// SecretDeviceOf returns a session's device. Errors: haven.ErrNotFound.
	SecretDeviceOf(ctx context.Context, userID, sessionID int64) (*haven.SecretDevice, error)
	// SecretPreKeyCounts counts a session's one-time prekeys of each kind.
	SecretPreKeyCounts(ctx context.Context, userID, sessionID int64) (x25519, kem int, err error)
	// SecretQueueLength counts a session's queued envelopes, stopping at
	// atMost.
	SecretQueueLength(ctx context.Context, userID, sessionID int64, atMost int) (int, error)
	// SecretEnvelopes lists up to limit of a session's envelopes after
	// afterID, oldest first.
	SecretEnvelopes(ctx context.Context, userID, sessionID, afterID int64, limit int) ([]*haven.SecretEnvelope, error)
}
