package client

import (
	"context"
	"encoding/base64"
)

// The secret.* methods, as the server speaks them (docs/api.md, "Secret
// chats"). Most programs use [SecretChats], which speaks them for it.

// PreKeyCounts is how many one-time prekeys of a device the server
// still holds; Low means upload more.
type PreKeyCounts struct {
	OneTime    int  `json:"one_time"`
	OneTimeKEM int  `json:"one_time_kem"`
	Low        bool `json:"low"`
}

// SecretDevices is a person's signed device list, the devices that can
// receive now, and (from SecretBundles) a bundle per device asked for.
// List and Bundles are e2ee encodings.
type SecretDevices struct {
	List    []byte   `json:"list"`
	Active  []uint32 `json:"active"`
	Bundles [][]byte `json:"bundles"`
}

// SecretEnvelopeOut is one envelope to send: an e2ee message for one
// device.
type SecretEnvelopeOut struct {
	UserID   int64  `json:"user_id"`
	DeviceID uint32 `json:"device_id"`
	RandomID int64  `json:"random_id"`
	Body     []byte `json:"body"`
}

// SecretInbox is what secret.fetch returns.
type SecretInbox struct {
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

// SetSecretDeviceList calls secret.setDeviceList with an encoded e2ee
// device list.
func (c *Client) SetSecretDeviceList(ctx context.Context, list []byte) error {
	return c.Call(ctx, "secret.setDeviceList", map[string]string{"list": base64.StdEncoding.EncodeToString(list)}, nil)
}

// UploadSecretKeys calls secret.uploadKeys with an encoded e2ee upload.
func (c *Client) UploadSecretKeys(ctx context.Context, keys []byte) (*PreKeyCounts, error) {
	var out PreKeyCounts
	err := c.Call(ctx, "secret.uploadKeys", map[string]string{"keys": base64.StdEncoding.EncodeToString(keys)}, &out)
	return &out, err
}

// SecretDeviceList calls secret.getDevices.
func (c *Client) SecretDeviceList(ctx context.Context, userID int64) (*SecretDevices, error) {
	var out SecretDevices
	err := c.Call(ctx, "secret.getDevices", map[string]int64{"user_id": userID}, &out)
	return &out, err
}

// SecretBundles calls secret.getBundles; no deviceIDs means every
// device.
func (c *Client) SecretBundles(ctx context.Context, userID int64, deviceIDs []uint32) (*SecretDevices, error) {
	var out SecretDevices
	err := c.Call(ctx, "secret.getBundles", map[string]any{"user_id": userID, "device_ids": deviceIDs}, &out)
	return &out, err
}

// SendSecretEnvelopes calls secret.send and returns how many envelopes
// were queued (none again for a retry). Like the other sends, it is
// tried again while the server cannot be reached, until it answers or
// ctx ends: the random_ids queue each envelope once.
func (c *Client) SendSecretEnvelopes(ctx context.Context, es []SecretEnvelopeOut) (int, error) {
	var out struct {
		Queued int `json:"queued"`
	}
	err := c.callUntilAnswered(ctx, "secret.send", map[string]any{"envelopes": es}, &out)
	return out.Queued, err
}

// FetchSecretEnvelopes calls secret.fetch.
func (c *Client) FetchSecretEnvelopes(ctx context.Context, afterID int64, limit int) (*SecretInbox, error) {
	var out SecretInbox
	err := c.Call(ctx, "secret.fetch", map[string]any{"after_id": afterID, "limit": limit}, &out)
	return &out, err
}

// AckSecretEnvelopes calls secret.ack and returns how many envelopes it
// deleted.
func (c *Client) AckSecretEnvelopes(ctx context.Context, upToID int64) (int, error) {
	var out struct {
		Deleted int `json:"deleted"`
	}
	err := c.Call(ctx, "secret.ack", map[string]int64{"up_to_id": upToID}, &out)
	return out.Deleted, err
}

// ShareSecretFile calls secret.shareFile: the server keeps a file the
// caller uploaded (an attachment's ciphertext) for 30 days and answers a
// signed URL of it valid as long.
func (c *Client) ShareSecretFile(ctx context.Context, fileID int64) (*FileURL, error) {
	var out FileURL
	err := c.Call(ctx, "secret.shareFile", map[string]int64{"file_id": fileID}, &out)
	return &out, err
}
