package secret

import (
	"context"
	"encoding/base64"

	"github.com/havenchat/haven/internal/retry"
)

// Transport carries the secret chats' calls to the server. The Go SDK's
// client.Client is one (HTTP and WebSocket); the web app's WebAssembly
// hands the calls to the page, which already talks to the server. The
// package itself does no network I/O, so a program that brings its own
// Transport links no HTTP client.
type Transport interface {
	// Call calls an API method (docs/api.md) with params, encoded as
	// JSON, and decodes the answer's result into result unless it is
	// nil. An error the server answered has its code from ErrorCode.
	Call(ctx context.Context, method string, params, result any) error
	// ErrorCode returns the server's error code of an error of Call
	// (such as "SECRET_DEVICE_NOT_FOUND"), or "" for another error.
	ErrorCode(err error) string
	// Unanswered reports whether an error of Call means the server did
	// not take the call (the request or its answer was lost, or the
	// server was shutting down): it may pass if tried again.
	Unanswered(err error) bool
	// ShareFile uploads data (an attachment's ciphertext) as a file of
	// the caller's and returns a URL of it that every device of both
	// people may fetch (secret.shareFile: valid 30 days).
	ShareFile(ctx context.Context, data []byte) (url string, err error)
	// FetchFile fetches the file at url, a URL that ShareFile returned
	// (one starting with "/" is on the server), reading at most limit
	// bytes.
	FetchFile(ctx context.Context, url string, limit int64) ([]byte, error)
}

// The secret.* methods, as the server speaks them (docs/api.md, "Secret
// chats"). Most programs use [Chats], which speaks them for it.

// PreKeyCounts is how many one-time prekeys of a device the server
// still holds; Low means upload more.
type PreKeyCounts struct {
	OneTime    int  `json:"one_time"`
	OneTimeKEM int  `json:"one_time_kem"`
	Low        bool `json:"low"`
}

// Devices is a person's signed device list, the devices that can
// receive now, and (from Bundles) a bundle per device asked for. List
// and Bundles are e2ee encodings.
type Devices struct {
	List    []byte   `json:"list"`
	Active  []uint32 `json:"active"`
	Bundles [][]byte `json:"bundles"`
}

// EnvelopeOut is one envelope to send: an e2ee message for one device.
type EnvelopeOut struct {
	UserID   int64  `json:"user_id"`
	DeviceID uint32 `json:"device_id"`
	RandomID int64  `json:"random_id"`
	Body     []byte `json:"body"`
}

// Inbox is what secret.fetch returns.
type Inbox struct {
	Envelopes []QueuedEnvelope `json:"envelopes"`
	PreKeys   PreKeyCounts     `json:"prekeys"`
}

// QueuedEnvelope is one envelope waiting for the device: an encoded
// e2ee.Envelope.
type QueuedEnvelope struct {
	ID       int64  `json:"id"`
	Envelope []byte `json:"envelope"`
	Date     int64  `json:"date"`
}

// API calls the secret.* methods over a Transport.
type API struct{ T Transport }

// SetDeviceList calls secret.setDeviceList with an encoded e2ee device
// list.
func (a API) SetDeviceList(ctx context.Context, list []byte) error {
	return a.T.Call(ctx, "secret.setDeviceList", map[string]string{"list": base64.StdEncoding.EncodeToString(list)}, nil)
}

// UploadKeys calls secret.uploadKeys with an encoded e2ee upload.
func (a API) UploadKeys(ctx context.Context, keys []byte) (*PreKeyCounts, error) {
	var out PreKeyCounts
	err := a.T.Call(ctx, "secret.uploadKeys", map[string]string{"keys": base64.StdEncoding.EncodeToString(keys)}, &out)
	return &out, err
}

// DeviceList calls secret.getDevices.
func (a API) DeviceList(ctx context.Context, userID int64) (*Devices, error) {
	var out Devices
	err := a.T.Call(ctx, "secret.getDevices", map[string]int64{"user_id": userID}, &out)
	return &out, err
}

// Bundles calls secret.getBundles; no deviceIDs means every device.
func (a API) Bundles(ctx context.Context, userID int64, deviceIDs []uint32) (*Devices, error) {
	var out Devices
	err := a.T.Call(ctx, "secret.getBundles", map[string]any{"user_id": userID, "device_ids": deviceIDs}, &out)
	return &out, err
}

// Send calls secret.send and returns how many envelopes were queued
// (none again for a retry). Like the other sends, it is tried again
// while the server cannot be reached, until it answers or ctx ends: the
// random_ids queue each envelope once.
func (a API) Send(ctx context.Context, es []EnvelopeOut) (int, error) {
	var out struct {
		Queued int `json:"queued"`
	}
	params := map[string]any{"envelopes": es}
	err := retry.UntilAnswered(ctx, func() error { return a.T.Call(ctx, "secret.send", params, &out) }, a.T.Unanswered)
	return out.Queued, err
}

// Fetch calls secret.fetch.
func (a API) Fetch(ctx context.Context, afterID int64, limit int) (*Inbox, error) {
	var out Inbox
	err := a.T.Call(ctx, "secret.fetch", map[string]any{"after_id": afterID, "limit": limit}, &out)
	return &out, err
}

// Ack calls secret.ack and returns how many envelopes it deleted.
func (a API) Ack(ctx context.Context, upToID int64) (int, error) {
	var out struct {
		Deleted int `json:"deleted"`
	}
	err := a.T.Call(ctx, "secret.ack", map[string]int64{"up_to_id": upToID}, &out)
	return out.Deleted, err
}

// me returns the signed-in person's user id (users.getMe).
func (a API) me(ctx context.Context) (int64, error) {
	var u struct {
		ID int64 `json:"id"`
	}
	err := a.T.Call(ctx, "users.getMe", nil, &u)
	return u.ID, err
}

// is reports whether err is the server's answer with code.
func (a API) is(err error, code string) bool { return err != nil && a.T.ErrorCode(err) == code }

// transient reports whether err may pass if tried again: the server was
// not reached or could not answer, or the session must sign in again.
func (a API) transient(err error) bool {
	if a.T.Unanswered(err) {
		return true
	}
	switch a.T.ErrorCode(err) {
	case "INTERNAL", "FLOOD_WAIT", "AUTH_REQUIRED", "AUTH_TOKEN_INVALID":
		return true
	}
	return false
}
