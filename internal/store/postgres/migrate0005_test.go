package postgres_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/postgres"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestMigrate0005KeepsTokensAndLinks makes a database as a binary of
// schema 0004 left it, with a signed-in session, its push subscription
// and secret-chat device (prekey, queued envelope) and a chat's invite
// link, then opens it with this binary (migration 0005 keys them by user
// and chat): the session token the client holds still finds its
// session, the link its chat, and the device its keys and queue.
func TestMigrate0005KeepsTokensAndLinks(t *testing.T) {
	srv := pgtest.Get(t)
	url := srv.ConnString(srv.NewEmpty(t))
	ctx := context.Background()
	if err := postgres.MigrateTo(ctx, url, 4); err != nil {
		t.Fatalf("migrate to 0004: %v", err)
	}
	const token = "hvn_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
	tokenHash := sha256.Sum256([]byte(token))
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var userID, sessionID, chatID int64
	steps := []struct {
		q    string
		args []any
		into *int64
	}{
		{`INSERT INTO users (first_name, created_at, last_active_at, account_ttl_days) VALUES ('Ann', 1, 1, 365) RETURNING id`, nil, &userID},
		{`INSERT INTO users (first_name, created_at, last_active_at, account_ttl_days) VALUES ('Bob', 1, 1, 365) RETURNING id`, nil, nil},
	}
	for _, s := range steps {
		var id int64
		if err := conn.QueryRow(ctx, s.q, s.args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", s.q, err)
		}
		if s.into != nil {
			*s.into = id
		}
	}
	if err := conn.QueryRow(ctx, `INSERT INTO sessions (user_id, token_hash, device, created_at, last_active_at)
		VALUES ($1, $2, 'phone', 2, 2) RETURNING id`, userID, tokenHash[:]).Scan(&sessionID); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `INSERT INTO chats (kind, title, creator_id, created_at, last_event_at)
		VALUES ('group', 'Book club', $1, 3, 3) RETURNING id`, userID).Scan(&chatID); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		q    string
		args []any
	}{
		{`INSERT INTO push_subscriptions (session_id, user_id, endpoint, p256dh, auth, created_at)
			VALUES ($1, $2, 'https://push.example/ann', '\x04', '\x01', 4)`, []any{sessionID, userID}},
		{`INSERT INTO secret_devices (session_id, user_id, device_id, sign_key, dh_key, signed_id, signed_public,
			signed_signature, kem_id, kem_public, kem_signature, updated_at)
			VALUES ($1, $2, 7, '\x01', '\x02', 1, '\x03', '\x04', 2, '\x05', '\x06', 5)`, []any{sessionID, userID}},
		{`INSERT INTO secret_prekeys (session_id, kind, key_id, public, signature) VALUES ($1, 0, 11, '\x07', '\x08')`, []any{sessionID}},
		{`INSERT INTO secret_envelopes (session_id, random_id, envelope, created_at) VALUES ($1, 99, 'sealed', 6)`, []any{sessionID}},
		{`INSERT INTO invites (hash, chat_id, creator_id, created_at) VALUES ('joinus', $1, $2, 7)`, []any{chatID, userID}},
	} {
		if _, err := conn.Exec(ctx, s.q, s.args...); err != nil {
			t.Fatalf("%s: %v", s.q, err)
		}
	}
	conn.Close(ctx)

	st, err := postgres.Open(ctx, url, nil)
	if err != nil {
		t.Fatalf("Open (migrating to 0005): %v", err)
	}
	defer st.Close()
	sess, err := st.SessionByToken(ctx, tokenHash[:])
	if err != nil || sess.ID != sessionID || sess.UserID != userID || sess.Device != "phone" {
		t.Fatalf("the token given out before the migration: SessionByToken = %+v, %v; want session %d of %d", sess, err, sessionID, userID)
	}
	subs, err := st.PushSubscriptions(ctx, userID, sessionID)
	if err != nil || len(subs) != 1 || subs[0].Endpoint != "https://push.example/ann" {
		t.Errorf("PushSubscriptions = %+v, %v", subs, err)
	}
	d, err := st.SecretDeviceOf(ctx, userID, sessionID)
	if err != nil || d.DeviceID != 7 {
		t.Errorf("SecretDeviceOf = %+v, %v", d, err)
	}
	if x, kem, err := st.SecretPreKeyCounts(ctx, userID, sessionID); err != nil || x != 1 || kem != 0 {
		t.Errorf("SecretPreKeyCounts = %d, %d, %v; want 1, 0", x, kem, err)
	}
	es, err := st.SecretEnvelopes(ctx, userID, sessionID, 0, 10)
	if err != nil || len(es) != 1 || string(es[0].Envelope) != "sealed" || es[0].UserID != userID {
		t.Errorf("SecretEnvelopes = %+v, %v", es, err)
	}
	inv, err := st.InviteByHash(ctx, "joinus")
	if err != nil || inv.ChatID != chatID {
		t.Errorf("InviteByHash = %+v, %v; want chat %d", inv, err, chatID)
	}
	// Ending the session still takes its subscription and device along.
	if err := st.Update(ctx, func(tx core.Tx) error { return tx.DeleteSession(ctx, userID, sessionID) }); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SessionByToken(ctx, tokenHash[:]); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("SessionByToken after DeleteSession = %v, want ErrNotFound", err)
	}
	if subs, err := st.PushSubscriptions(ctx, userID, sessionID); err != nil || len(subs) != 0 {
		t.Errorf("PushSubscriptions after DeleteSession = %+v, %v", subs, err)
	}
	if _, err := st.SecretDeviceOf(ctx, userID, sessionID); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("SecretDeviceOf after DeleteSession = %v, want ErrNotFound", err)
	}
}
