package client

import (
	"context"

	"github.com/havenchat/haven/client/secret"
)

// ErrAccountKeyFormat: a typed account key is not 64 hexadecimal digits
// (secret.ErrAccountKeyFormat).
var ErrAccountKeyFormat = secret.ErrAccountKeyFormat

// LinkSecretDeviceIn is LinkSecretDevice keeping the state in store
// (secret.LinkIn).
func LinkSecretDeviceIn(ctx context.Context, c *Client, store SecretStore, seed []byte) (*SecretChats, error) {
	return secret.LinkIn(ctx, c.secret(), store, seed)
}

// ParseAccountKey reads an account key typed or scanned from another
// device (secret.ParseAccountKey).
func ParseAccountKey(s string) ([]byte, error) { return secret.ParseAccountKey(s) }

// NeedsSecretLink reports whether the account already has secret-chat
// devices, so that a session without keys should link to them rather
// than start over (secret.NeedsLink).
func NeedsSecretLink(ctx context.Context, c *Client, userID int64) (bool, error) {
	return secret.NeedsLink(ctx, c.secret(), userID)
}
