package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// ClaimKeyFingerprint records fingerprint as the one of the key called
// name (cluster_keys), unless the database holds one for that name
// already, and returns the one it holds: the caller's when it was the
// first, else the first node's. Several nodes starting at once agree on
// one (the primary key decides).
func (t *Tx) ClaimKeyFingerprint(ctx context.Context, name string, fingerprint []byte, at time.Time) ([]byte, error) {
	if _, err := t.exec(ctx, `INSERT INTO cluster_keys (name, fingerprint, created_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO NOTHING`, name, fingerprint, millis(at)); err != nil {
		return nil, fmt.Errorf("record the fingerprint of %s: %w", name, err)
	}
	var held []byte
	if err := t.queryRow(ctx, `SELECT fingerprint FROM cluster_keys WHERE name = ?`, name).Scan(&held); err != nil {
		return nil, fmt.Errorf("read the fingerprint of %s: %w", name, err)
	}
	return held, nil
}
