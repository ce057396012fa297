package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/push"
)

// ErrKeyMismatch is the error of a node whose secret key or Web Push key
// is not the one the database was first started with. Every node of a
// cluster must share both (docs/operations.md, section 15): the secret
// keys the hashes of sign-in codes and phone numbers, which another key
// would never match; the Web Push key is the one the browsers'
// subscriptions were made for.
var ErrKeyMismatch = errors.New("the key is not the one this database was first started with")

// A sharedKey is a key every node must share, as the database knows it:
// by a fingerprint that does not reveal it.
type sharedKey struct {
	name        string // its default file name, which names it in cluster_keys
	path        string // where this node read it
	setting     string
	fingerprint []byte
}

// sharedKeys fingerprints the node's secret (an HMAC under the secret
// itself, which reveals nothing of it) and its Web Push key (a hash of the
// public key, public anyway).
func sharedKeys(cfg *config.Serve, secret []byte) ([]sharedKey, error) {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("haven cluster key fingerprint v1: secret.key"))
	keys := []sharedKey{{name: "secret.key", path: secretPath(cfg), setting: "secret-file", fingerprint: m.Sum(nil)}}
	vapid, err := push.LoadKeys(cfg.PushKeyFile)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write([]byte("haven cluster key fingerprint v1: vapid.key\x00"))
	h.Write(vapid.PublicKey())
	return append(keys, sharedKey{name: "vapid.key", path: cfg.PushKeyFile, setting: "push-key-file", fingerprint: h.Sum(nil)}), nil
}

// keyClaimer is the store's transaction's ClaimKeyFingerprint
// (sqlstore.Tx, on both databases).
type keyClaimer interface {
	ClaimKeyFingerprint(ctx context.Context, name string, fingerprint []byte, at time.Time) ([]byte, error)
}

// checkKeys records the fingerprints of the node's shared keys on the
// database's first start, and refuses (ErrKeyMismatch, naming the key and
// its file) a start with a key other than the one recorded: a node of a
// cluster given its own secret.key would silently fail every sign-in code
// another node sent, and a data directory moved to PostgreSQL without
// its keys would do the same.
func checkKeys(ctx context.Context, st core.Store, keys []sharedKey, now time.Time) error {
	var wrong *sharedKey
	err := st.Update(ctx, func(tx core.Tx) error {
		kc, ok := tx.(keyClaimer)
		if !ok {
			return fmt.Errorf("the store cannot record key fingerprints (%T)", tx)
		}
		wrong = nil
		for i := range keys {
			held, err := kc.ClaimKeyFingerprint(ctx, keys[i].name, keys[i].fingerprint, now)
			if err != nil {
				return err
			}
			if !hmac.Equal(held, keys[i].fingerprint) && wrong == nil {
				wrong = &keys[i]
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("checking the shared keys: %w", err)
	}
	if wrong != nil {
		return fmt.Errorf("%s (%s, --%s): %w; every node on one database must use the same %s: copy it from the first node, or from the data directory the database was moved from (docs/operations.md, \"Many nodes\")",
			wrong.name, wrong.path, wrong.setting, ErrKeyMismatch, wrong.name)
	}
	return nil
}
