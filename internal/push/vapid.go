package push

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Keys are the server's VAPID key pair (RFC 8292): the browsers bind
// their subscriptions to the public key, and every push carries a token
// signed with the private one. Changing the keys orphans every
// subscription, so they are made once and kept, and every node of a
// cluster must share them.
type Keys struct {
	priv *ecdsa.PrivateKey
	pub  []byte // uncompressed point
	raw  []byte // the private scalar
}

// LoadKeys reads the VAPID keys at path, a PEM PKCS #8 P-256 private key,
// making them on first start: the file is written whole (to a temporary
// file, synced, then linked into place), private to the user running
// Haven (0600), and never replaced.
func LoadKeys(path string) (*Keys, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := createKeys(path); err != nil {
			return nil, fmt.Errorf("making the VAPID keys: %w", err)
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the VAPID keys: %w", err)
	}
	k, err := parseKeys(b)
	if err != nil {
		return nil, fmt.Errorf("the VAPID keys in %s: %w", path, err)
	}
	return k, nil
}

func parseKeys(b []byte) (*Keys, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM \"PRIVATE KEY\"")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	priv, ok := key.(*ecdsa.PrivateKey)
	if !ok || priv.Curve != elliptic.P256() {
		return nil, errors.New("not a P-256 key")
	}
	e, err := priv.ECDH()
	if err != nil {
		return nil, err
	}
	return &Keys{priv: priv, pub: e.PublicKey().Bytes(), raw: e.Bytes()}, nil
}

// createKeys writes a new key to path unless a file is there already
// (another process made it first: that one is kept).
func createKeys(path string) error {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".vapid-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	// The new name must survive a power cut too.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// PublicKey is the uncompressed P-256 point that browsers subscribe with
// (PushManager.subscribe's applicationServerKey).
func (k *Keys) PublicKey() []byte { return k.pub }
