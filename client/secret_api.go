package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/havenchat/haven/client/secret"
)

// Secret chats live in the package client/secret, which reaches the
// server through a secret.Transport; the names below keep them where Go
// programs find them, on a Client's HTTP and WebSocket connection.

// SecretChats is one device's secret chats (secret.Chats).
type SecretChats = secret.Chats

// The values of secret chats.
type (
	SecretMessage = secret.Message
	SecretFile    = secret.File
	SecretWarning = secret.Warning
	SecretEvent   = secret.Event
	// SecretStore keeps a device's secret-chat state (secret.Store).
	SecretStore = secret.Store
)

// The kinds of SecretWarning.
const (
	WarningIdentityChanged = secret.WarningIdentityChanged
	WarningDevicesChanged  = secret.WarningDevicesChanged
)

// Errors of secret chats (see package secret).
var (
	ErrIdentityChanged       = secret.ErrIdentityChanged
	ErrForwardRefused        = secret.ErrForwardRefused
	ErrNoSecretDevices       = secret.ErrNoSecretDevices
	ErrSecretMessageNotFound = secret.ErrMessageNotFound
	ErrNoSecretState         = secret.ErrNoState
)

// CreateSecretDevice makes c's session the first secret-chat device of
// the account, its state in the file at path (secret.Create).
func CreateSecretDevice(ctx context.Context, c *Client, path string) (*SecretChats, error) {
	return secret.Create(ctx, c.secret(), path)
}

// CreateSecretDeviceIn is CreateSecretDevice keeping the state in store
// (secret.CreateIn).
func CreateSecretDeviceIn(ctx context.Context, c *Client, store SecretStore) (*SecretChats, error) {
	return secret.CreateIn(ctx, c.secret(), store)
}

// LinkSecretDevice makes c's session another secret-chat device of an
// account that has one, seed being its account key (secret.Link).
func LinkSecretDevice(ctx context.Context, c *Client, path string, seed []byte) (*SecretChats, error) {
	return secret.Link(ctx, c.secret(), path, seed)
}

// OpenSecretChats opens the secret chats kept at path, for the same
// session's client (secret.Open).
func OpenSecretChats(c *Client, path string) (*SecretChats, error) {
	return secret.Open(c.secret(), path)
}

// OpenSecretChatsIn is OpenSecretChats for a state kept in store.
func OpenSecretChatsIn(c *Client, store SecretStore) (*SecretChats, error) {
	return secret.OpenIn(c.secret(), store)
}

// FileSecretStore keeps the state in the file at path, of mode 0600
// (secret.FileStore).
func FileSecretStore(path string) SecretStore { return secret.FileStore(path) }

// The secret.* methods, as the server speaks them (docs/api.md, "Secret
// chats"). Most programs use [SecretChats], which speaks them for it.
type (
	PreKeyCounts      = secret.PreKeyCounts
	SecretDevices     = secret.Devices
	SecretEnvelopeOut = secret.EnvelopeOut
	SecretInbox       = secret.Inbox
	QueuedEnvelope    = secret.QueuedEnvelope
)

// SetSecretDeviceList calls secret.setDeviceList with an encoded e2ee
// device list.
func (c *Client) SetSecretDeviceList(ctx context.Context, list []byte) error {
	return c.secretAPI().SetDeviceList(ctx, list)
}

// UploadSecretKeys calls secret.uploadKeys with an encoded e2ee upload.
func (c *Client) UploadSecretKeys(ctx context.Context, keys []byte) (*PreKeyCounts, error) {
	return c.secretAPI().UploadKeys(ctx, keys)
}

// SecretDeviceList calls secret.getDevices.
func (c *Client) SecretDeviceList(ctx context.Context, userID int64) (*SecretDevices, error) {
	return c.secretAPI().DeviceList(ctx, userID)
}

// SecretBundles calls secret.getBundles; no deviceIDs means every
// device.
func (c *Client) SecretBundles(ctx context.Context, userID int64, deviceIDs []uint32) (*SecretDevices, error) {
	return c.secretAPI().Bundles(ctx, userID, deviceIDs)
}

// SendSecretEnvelopes calls secret.send and returns how many envelopes
// were queued (none again for a retry). Like the other sends, it is
// tried again while the server cannot be reached, until it answers or
// ctx ends: the random_ids queue each envelope once.
func (c *Client) SendSecretEnvelopes(ctx context.Context, es []SecretEnvelopeOut) (int, error) {
	return c.secretAPI().Send(ctx, es)
}

// FetchSecretEnvelopes calls secret.fetch.
func (c *Client) FetchSecretEnvelopes(ctx context.Context, afterID int64, limit int) (*SecretInbox, error) {
	return c.secretAPI().Fetch(ctx, afterID, limit)
}

// AckSecretEnvelopes calls secret.ack and returns how many envelopes it
// deleted.
func (c *Client) AckSecretEnvelopes(ctx context.Context, upToID int64) (int, error) {
	return c.secretAPI().Ack(ctx, upToID)
}

// ShareSecretFile calls secret.shareFile: the server keeps a file the
// caller uploaded (an attachment's ciphertext) for 30 days and answers a
// signed URL of it valid as long.
func (c *Client) ShareSecretFile(ctx context.Context, fileID int64) (*FileURL, error) {
	var out FileURL
	err := c.Call(ctx, "secret.shareFile", map[string]int64{"file_id": fileID}, &out)
	return &out, err
}

func (c *Client) secretAPI() secret.API { return secret.API{T: c.secret()} }

// secret returns the client as the secret chats' Transport.
func (c *Client) secret() secret.Transport { return secretTransport{c} }

// secretTransport is a Client as a secret.Transport.
type secretTransport struct{ c *Client }

func (t secretTransport) Call(ctx context.Context, method string, params, result any) error {
	return t.c.Call(ctx, method, params, result)
}

func (secretTransport) ErrorCode(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return ""
}

func (secretTransport) Unanswered(err error) bool { return unanswered(err) }

func (t secretTransport) ShareFile(ctx context.Context, data []byte) (string, error) {
	f, err := t.c.UploadBytes(ctx, data, "")
	if err != nil {
		return "", err
	}
	u, err := t.c.ShareSecretFile(ctx, f.ID)
	if err != nil {
		return "", err
	}
	return u.URL, nil
}

// FetchFile fetches a shared file: its URL is signed, so no token goes
// with the request.
func (t secretTransport) FetchFile(ctx context.Context, u string, limit int64) ([]byte, error) {
	if strings.HasPrefix(u, "/") {
		u = t.c.base + u
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := t.c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err := decodeEnvelope("files.download", body, resp.StatusCode, nil); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("haven: fetching a secret file: status %d", resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}
