package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/havenchat/haven"
)

// Secret chats' keys and envelopes (migrations/0017_secret.sql). The SQL
// here is portable: the PostgreSQL store will share it.

const secretDeviceColumns = `session_id, user_id, device_id, sign_key, dh_key, signed_id, signed_public, signed_signature,
	kem_id, kem_public, kem_signature, updated_at`

func scanSecretDevice(sc scanner) (*haven.SecretDevice, error) {
	var (
		d             haven.SecretDevice
		dev, sid, kid int64
		updated       int64
	)
	if err := sc.Scan(&d.SessionID, &d.UserID, &dev, &d.SignKey, &d.DHKey, &sid, &d.Signed.Public, &d.Signed.Signature,
		&kid, &d.LastResort.Public, &d.LastResort.Signature, &updated); err != nil {
		return nil, err
	}
	d.DeviceID, d.Signed.ID, d.LastResort.ID = uint32(dev), uint32(sid), uint32(kid)
	d.Signed.Kind, d.LastResort.Kind = haven.PreKeyX25519, haven.PreKeyKEM
	d.UpdatedAt = fromMillis(updated)
	return &d, nil
}

// PutSecretDeviceList stores a user's device list.
func (t *Tx) PutSecretDeviceList(ctx context.Context, userID int64, version uint64, list []byte) error {
	_, err := t.exec(ctx, `INSERT INTO secret_device_lists (user_id, version, list) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET version = excluded.version, list = excluded.list`, userID, int64(version), list)
	if err != nil {
		return fmt.Errorf("put device list of %d: %w", userID, err)
	}
	return nil
}

// PutSecretDevice stores or replaces a session's device.
func (t *Tx) PutSecretDevice(ctx context.Context, d *haven.SecretDevice) error {
	fail := func(err error) error { return fmt.Errorf("put secret device of session %d: %w", d.SessionID, err) }
	var other int64
	err := t.queryRow(ctx, `SELECT session_id FROM secret_devices WHERE user_id = ? AND device_id = ?`, d.UserID, int64(d.DeviceID)).Scan(&other)
	switch {
	case err == nil && other != d.SessionID:
		return &haven.Error{Code: haven.CodeSecretDeviceTaken, Message: fmt.Sprintf("another session of the account is device %d", d.DeviceID)}
	case err != nil && !errors.Is(noRows(err), haven.ErrNotFound):
		return fail(err)
	}
	old, err := t.SecretDeviceOf(ctx, d.UserID, d.SessionID)
	switch {
	case err == nil && (old.DeviceID != d.DeviceID || string(old.SignKey) != string(d.SignKey) || string(old.DHKey) != string(d.DHKey)):
		// Another device in the same session (a reinstall): its one-time
		// prekeys were signed by the old key.
		if _, err := t.exec(ctx, `DELETE FROM secret_prekeys WHERE user_id = ? AND session_id = ?`, d.UserID, d.SessionID); err != nil {
			return fail(err)
		}
	case err != nil && !errors.Is(err, haven.ErrNotFound):
		return fail(err)
	}
	if old != nil {
		// Replaced in place (the writer runs one Update at a time: nothing
		// came between the read and this). An upsert would need a unique
		// index on (user_id, session_id), which SQLite cannot match to an
		// ON CONFLICT target while session_id is its rowid.
		err = t.execOne(ctx, `UPDATE secret_devices SET device_id = ?, sign_key = ?, dh_key = ?, signed_id = ?, signed_public = ?,
				signed_signature = ?, kem_id = ?, kem_public = ?, kem_signature = ?, updated_at = ?
			WHERE user_id = ? AND session_id = ?`,
			int64(d.DeviceID), d.SignKey, d.DHKey, int64(d.Signed.ID), d.Signed.Public, d.Signed.Signature,
			int64(d.LastResort.ID), d.LastResort.Public, d.LastResort.Signature, millis(d.UpdatedAt), d.UserID, d.SessionID)
	} else {
		_, err = t.exec(ctx, `INSERT INTO secret_devices (`+secretDeviceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.SessionID, d.UserID, int64(d.DeviceID), d.SignKey, d.DHKey, int64(d.Signed.ID), d.Signed.Public, d.Signed.Signature,
			int64(d.LastResort.ID), d.LastResort.Public, d.LastResort.Signature, millis(d.UpdatedAt))
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// AddSecretPreKeys adds one-time prekeys, keeping the newest keep of each
// kind.
func (t *Tx) AddSecretPreKeys(ctx context.Context, userID, sessionID int64, keys []haven.SecretPreKey, keep int) error {
	fail := func(err error) error { return fmt.Errorf("add prekeys of session %d: %w", sessionID, err) }
	kinds := map[haven.SecretPreKeyKind]bool{}
	for _, k := range keys {
		if _, err := t.exec(ctx, `INSERT INTO secret_prekeys (user_id, session_id, kind, key_id, public, signature) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_id, session_id, kind, key_id) DO NOTHING`, userID, sessionID, int(k.Kind), int64(k.ID), k.Public, k.Signature); err != nil {
			return fail(err)
		}
		kinds[k.Kind] = true
	}
	for kind := range kinds {
		if _, err := t.exec(ctx, `DELETE FROM secret_prekeys WHERE user_id = ?4 AND session_id = ?1 AND kind = ?2 AND id NOT IN
			(SELECT id FROM secret_prekeys WHERE user_id = ?4 AND session_id = ?1 AND kind = ?2 ORDER BY id DESC LIMIT ?3)`,
			sessionID, int(kind), keep, userID); err != nil {
			return fail(err)
		}
	}
	return nil
}

// TakeSecretPreKey removes and returns the oldest one-time prekey of a
// kind.
func (t *Tx) TakeSecretPreKey(ctx context.Context, userID, sessionID int64, kind haven.SecretPreKeyKind) (*haven.SecretPreKey, error) {
	var (
		id, keyID int64
		k         = haven.SecretPreKey{Kind: kind}
	)
	err := t.queryRow(ctx, `SELECT id, key_id, public, signature FROM secret_prekeys WHERE user_id = ? AND session_id = ? AND kind = ? ORDER BY id LIMIT 1`,
		userID, sessionID, int(kind)).Scan(&id, &keyID, &k.Public, &k.Signature)
	if err != nil {
		return nil, fmt.Errorf("take prekey of session %d: %w", sessionID, noRows(err))
	}
	if _, err := t.exec(ctx, `DELETE FROM secret_prekeys WHERE user_id = ? AND id = ?`, userID, id); err != nil {
		return nil, fmt.Errorf("take prekey of session %d: %w", sessionID, err)
	}
	k.ID = uint32(keyID)
	return &k, nil
}

// PutSecretEnvelope queues an envelope unless its random id is queued.
func (t *Tx) PutSecretEnvelope(ctx context.Context, e *haven.SecretEnvelope) (bool, error) {
	ids, err := t.ids(ctx, `INSERT INTO secret_envelopes (user_id, session_id, random_id, envelope, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id, session_id, random_id) DO NOTHING RETURNING id`, e.UserID, e.SessionID, e.RandomID, e.Envelope, millis(e.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("queue envelope for session %d: %w", e.SessionID, err)
	}
	if len(ids) == 0 {
		return false, nil
	}
	e.ID = ids[0]
	return true, nil
}

// DeleteSecretEnvelopes deletes a session's envelopes up to upTo.
func (t *Tx) DeleteSecretEnvelopes(ctx context.Context, userID, sessionID, upTo int64) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM secret_envelopes WHERE user_id = ? AND session_id = ? AND id <= ?`, userID, sessionID, upTo)
	if err != nil {
		return 0, fmt.Errorf("delete envelopes of session %d: %w", sessionID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DeleteSecretEnvelopesBefore deletes up to limit envelopes created before
// before.
func (t *Tx) DeleteSecretEnvelopesBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM secret_envelopes WHERE id IN
		(SELECT id FROM secret_envelopes WHERE created_at < ? ORDER BY created_at LIMIT ?)`, millis(before), limit)
	if err != nil {
		return 0, fmt.Errorf("expire envelopes: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// SecretDeviceList returns a user's device list.
func (q Queries) SecretDeviceList(ctx context.Context, userID int64) (uint64, []byte, error) {
	var (
		version int64
		list    []byte
	)
	err := q.DB.QueryRow(ctx, `SELECT version, list FROM secret_device_lists WHERE user_id = ?`, userID).Scan(&version, &list)
	if err != nil {
		return 0, nil, fmt.Errorf("device list of %d: %w", userID, noRows(err))
	}
	return uint64(version), list, nil
}

// SecretDevices lists a user's devices by device id.
func (q Queries) SecretDevices(ctx context.Context, userID int64) ([]*haven.SecretDevice, error) {
	ds, err := queryAll(ctx, q.DB, scanSecretDevice, `SELECT `+secretDeviceColumns+` FROM secret_devices
		WHERE user_id = ? ORDER BY device_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("secret devices of %d: %w", userID, err)
	}
	return ds, nil
}

// SecretDeviceOf returns a session's device.
func (q Queries) SecretDeviceOf(ctx context.Context, userID, sessionID int64) (*haven.SecretDevice, error) {
	d, err := scanSecretDevice(q.DB.QueryRow(ctx, `SELECT `+secretDeviceColumns+` FROM secret_devices WHERE user_id = ? AND session_id = ?`, userID, sessionID))
	if err != nil {
		return nil, fmt.Errorf("secret device of session %d: %w", sessionID, noRows(err))
	}
	return d, nil
}

// SecretPreKeyCounts counts a session's one-time prekeys of each kind.
func (q Queries) SecretPreKeyCounts(ctx context.Context, userID, sessionID int64) (int, int, error) {
	var x, kem int
	err := q.DB.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN kind = 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN kind = 1 THEN 1 ELSE 0 END), 0)
		FROM secret_prekeys WHERE user_id = ? AND session_id = ?`, userID, sessionID).Scan(&x, &kem)
	if err != nil {
		return 0, 0, fmt.Errorf("prekey counts of session %d: %w", sessionID, err)
	}
	return x, kem, nil
}

// SecretQueueLength counts a session's envelopes, up to atMost.
func (q Queries) SecretQueueLength(ctx context.Context, userID, sessionID int64, atMost int) (int, error) {
	var n int
	err := q.DB.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM secret_envelopes WHERE user_id = ? AND session_id = ? LIMIT ?) AS q`,
		userID, sessionID, atMost).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("queue length of session %d: %w", sessionID, err)
	}
	return n, nil
}

func scanSecretEnvelope(sc scanner) (*haven.SecretEnvelope, error) {
	var (
		e       haven.SecretEnvelope
		created int64
	)
	if err := sc.Scan(&e.ID, &e.SessionID, &e.UserID, &e.RandomID, &e.Envelope, &created); err != nil {
		return nil, err
	}
	e.CreatedAt = fromMillis(created)
	return &e, nil
}

// SecretEnvelopes lists a session's envelopes after afterID, oldest first.
func (q Queries) SecretEnvelopes(ctx context.Context, userID, sessionID, afterID int64, limit int) ([]*haven.SecretEnvelope, error) {
	es, err := queryAll(ctx, q.DB, scanSecretEnvelope, `SELECT id, session_id, user_id, random_id, envelope, created_at FROM secret_envelopes
		WHERE user_id = ? AND session_id = ? AND id > ? ORDER BY id LIMIT ?`, userID, sessionID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("envelopes of session %d: %w", sessionID, err)
	}
	return es, nil
}

// KeepSecretFile keeps a file from the collector until until.
func (t *Tx) KeepSecretFile(ctx context.Context, fileID int64, until time.Time) error {
	if _, err := t.exec(ctx, `INSERT INTO secret_files (file_id, expires_at) VALUES (?, ?)
		ON CONFLICT (file_id) DO UPDATE SET expires_at = excluded.expires_at`, fileID, millis(until)); err != nil {
		return fmt.Errorf("keep secret file %d: %w", fileID, err)
	}
	return nil
}
