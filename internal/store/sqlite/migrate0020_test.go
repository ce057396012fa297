package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// TestMigration0020KeepsTokens: a database made before migration 0020
// (its session token lookup, invite lookup and user columns) keeps its
// sessions and links: the token a client holds finds its session after
// the migration, and a link its chat.
func TestMigration0020KeepsTokens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "haven.db")
	s := open(t, path)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	u := &haven.User{FirstName: "Ann", CreatedAt: now, LastActiveAt: now, AccountTTLDays: 365}
	sess := &haven.Session{TokenHash: []byte("a token's hash, 32 bytes long!!!"), Device: "phone", CreatedAt: now, LastActiveAt: now}
	c := &haven.Chat{Kind: haven.ChatGroup, Title: "Book club", CreatedAt: now, LastEventAt: now}
	if err := s.Update(ctx, func(tx core.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		sess.UserID, c.CreatorID = u.ID, u.ID
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		if err := tx.CreateChat(ctx, c); err != nil {
			return err
		}
		return tx.PutInvite(ctx, &haven.Invite{Hash: "joinus", ChatID: c.ID, CreatorID: u.ID, CreatedAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Back to before 0020.
	db := rawDB(t, path)
	_, err := db.Exec(undo0021 + `DROP TABLE cluster_keys; DROP TABLE invite_links; DROP TABLE session_tokens; DROP INDEX invites_chat_id_hash;
		DROP INDEX push_subscriptions_user_session_endpoint;
		DROP INDEX secret_prekeys_user_key; DROP INDEX secret_prekeys_take; ALTER TABLE secret_prekeys DROP COLUMN user_id;
		CREATE INDEX secret_prekeys_take ON secret_prekeys (session_id, kind, id);
		DROP INDEX secret_envelopes_user_random; DROP INDEX secret_envelopes_queue; ALTER TABLE secret_envelopes DROP COLUMN user_id;
		CREATE INDEX secret_envelopes_queue ON secret_envelopes (session_id, id);
		DELETE FROM schema_migrations WHERE version >= 20;`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	defer s.Close()
	got, err := s.SessionByToken(ctx, sess.TokenHash)
	if err != nil || got.ID != sess.ID || got.UserID != u.ID {
		t.Fatalf("SessionByToken after 0020 = %+v, %v; want session %d of %d", got, err, sess.ID, u.ID)
	}
	inv, err := s.InviteByHash(ctx, "joinus")
	if err != nil || inv.ChatID != c.ID {
		t.Errorf("InviteByHash after 0020 = %+v, %v; want chat %d", inv, err, c.ID)
	}
}
