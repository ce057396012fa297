package secret

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/havenchat/haven/e2ee"
)

// ErrAccountKeyFormat: a typed account key is not 64 hexadecimal digits.
var ErrAccountKeyFormat = errors.New("haven: an account key is 64 hexadecimal digits")

// LinkIn is Link keeping the state in store (the web app's IndexedDB,
// for one) rather than in a file.
func LinkIn(ctx context.Context, t Transport, store Store, seed []byte) (*Chats, error) {
	acct, err := e2ee.AccountKeyFromSeed(seed)
	if err != nil {
		return nil, err
	}
	return newSecretDevice(ctx, t, store, acct, true)
}

// AccountKeyText is the account key as a person reads it to link another
// device: its seed in hexadecimal, in groups of eight digits. It is what
// the apps show, as text and as a QR code, and what ParseAccountKey
// takes back.
func (sc *Chats) AccountKeyText() string {
	h := hex.EncodeToString(sc.AccountSeed())
	var g []string
	for i := 0; i < len(h); i += 8 {
		g = append(g, h[i:i+8])
	}
	return strings.Join(g, " ")
}

// ParseAccountKey reads an account key typed or scanned from another
// device (AccountKeyText), ignoring spaces and case.
func ParseAccountKey(s string) ([]byte, error) {
	seed, err := hex.DecodeString(strings.ToLower(strings.Join(strings.Fields(s), "")))
	if err != nil || len(seed) != 32 {
		return nil, ErrAccountKeyFormat
	}
	return seed, nil
}

// NeedsLink reports whether the account of the session that t speaks
// for, userID, already has secret-chat devices, so that a session
// without keys should link to them (with the account key from one of
// them) rather than start over, which would replace the account key and
// cut off those devices.
func NeedsLink(ctx context.Context, t Transport, userID int64) (bool, error) {
	api := API{t}
	_, err := api.DeviceList(ctx, userID)
	switch {
	case err == nil:
		return true, nil
	case api.is(err, "SECRET_DEVICE_NOT_FOUND"):
		return false, nil
	}
	return false, err
}
