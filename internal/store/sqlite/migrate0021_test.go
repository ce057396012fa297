package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// undo0021 takes a database back to before migration 0021: no lookup
// tables of unique values, the username triggers and the private pairs'
// index of 0002 back. The migration tests that go further back start
// with it.
const undo0021 = `DROP TABLE user_phones; DROP TABLE user_emails; DROP TABLE usernames; DROP TABLE private_pairs;
	CREATE UNIQUE INDEX chats_private_pair ON chats (peer_a, peer_b) WHERE kind = 'private';
	CREATE TRIGGER chats_username_insert BEFORE INSERT ON chats
	WHEN NEW.username_canon IS NOT NULL AND EXISTS (SELECT 1 FROM users WHERE username_canon = NEW.username_canon)
	BEGIN SELECT RAISE(ABORT, 'username occupied'); END;
	CREATE TRIGGER chats_username_update BEFORE UPDATE OF username_canon ON chats
	WHEN NEW.username_canon IS NOT NULL AND NEW.username_canon IS NOT OLD.username_canon
		AND EXISTS (SELECT 1 FROM users WHERE username_canon = NEW.username_canon)
	BEGIN SELECT RAISE(ABORT, 'username occupied'); END;
	CREATE TRIGGER users_username_insert BEFORE INSERT ON users
	WHEN NEW.username_canon IS NOT NULL AND EXISTS (SELECT 1 FROM chats WHERE username_canon = NEW.username_canon)
	BEGIN SELECT RAISE(ABORT, 'username occupied'); END;
	CREATE TRIGGER users_username_update BEFORE UPDATE OF username_canon ON users
	WHEN NEW.username_canon IS NOT NULL AND NEW.username_canon IS NOT OLD.username_canon
		AND EXISTS (SELECT 1 FROM chats WHERE username_canon = NEW.username_canon)
	BEGIN SELECT RAISE(ABORT, 'username occupied'); END;
	DELETE FROM schema_migrations WHERE version >= 21;
`

// TestMigration0021KeepsUniqueValues: a database made before migration
// 0021 (the lookup tables of phones, emails, usernames and private
// pairs) keeps what its people and chats hold: after the migration each
// is found by its phone, email, username or pair, and still holds it
// (another cannot take it), and what one gives up is free.
func TestMigration0021KeepsUniqueValues(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "haven.db")
	s := open(t, path)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ann := &haven.User{FirstName: "Ann", Username: "Ann_Lee", Phone: "+447700900001", Email: "ann@example.org",
		CreatedAt: now, LastActiveAt: now, AccountTTLDays: 365}
	bob := &haven.User{FirstName: "Bob", Phone: "+447700900002", CreatedAt: now, LastActiveAt: now, AccountTTLDays: 365}
	club := &haven.Chat{Kind: haven.ChatGroup, Title: "Book club", Username: "BookClub", CreatedAt: now, LastEventAt: now}
	pair := &haven.Chat{Kind: haven.ChatPrivate, CreatedAt: now, LastEventAt: now, MemberCount: 2}
	if err := s.Update(ctx, func(tx core.Tx) error {
		for _, u := range []*haven.User{ann, bob} {
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		club.CreatorID, pair.CreatorID, pair.PeerA, pair.PeerB = ann.ID, ann.ID, bob.ID, ann.ID
		if err := tx.CreateChat(ctx, club); err != nil {
			return err
		}
		return tx.CreateChat(ctx, pair)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	_, err := db.Exec(undo0021)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	defer s.Close()
	for name, lookup := range map[string]func() (*haven.User, error){
		"phone":    func() (*haven.User, error) { return s.UserByPhone(ctx, ann.Phone) },
		"email":    func() (*haven.User, error) { return s.UserByEmail(ctx, ann.Email) },
		"username": func() (*haven.User, error) { return s.UserByUsername(ctx, "ann_lee") },
	} {
		if got, err := lookup(); err != nil || got.ID != ann.ID {
			t.Errorf("by %s after 0021 = %+v, %v; want user %d", name, got, err, ann.ID)
		}
	}
	if got, err := s.ChatByUsername(ctx, "bookclub"); err != nil || got.ID != club.ID {
		t.Errorf("ChatByUsername after 0021 = %+v, %v; want chat %d", got, err, club.ID)
	}
	if id, err := s.PrivateChatID(ctx, ann.ID, bob.ID); err != nil || id != pair.ID {
		t.Errorf("PrivateChatID after 0021 = %d, %v; want %d", id, err, pair.ID)
	}

	// What they held is still theirs.
	taker := &haven.User{FirstName: "Eve", Phone: ann.Phone, CreatedAt: now, LastActiveAt: now, AccountTTLDays: 365}
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, taker) }); !isCode(err, haven.CodeAccountExists) {
		t.Errorf("CreateUser with Ann's phone after 0021 = %v, want %s", err, haven.CodeAccountExists)
	}
	taker.Phone, taker.Username = "+447700900003", "BOOKCLUB"
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, taker) }); !isCode(err, haven.CodeUsernameOccupied) {
		t.Errorf("CreateUser with the club's username after 0021 = %v, want %s", err, haven.CodeUsernameOccupied)
	}
	again := &haven.Chat{Kind: haven.ChatPrivate, CreatorID: ann.ID, CreatedAt: now, LastEventAt: now, PeerA: ann.ID, PeerB: bob.ID}
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateChat(ctx, again) }); !isCode(err, haven.CodeChatExists) {
		t.Errorf("second private chat after 0021 = %v, want %s", err, haven.CodeChatExists)
	}

	// What Ann gives up is anyone's.
	ann.Username, ann.Phone = "", ""
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.UpdateUser(ctx, ann) }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByUsername(ctx, "ann_lee"); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("freed username after 0021: %v, want ErrNotFound", err)
	}
	taker.Phone, taker.Username = "+447700900001", "ann_lee"
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, taker) }); err != nil {
		t.Errorf("CreateUser with what Ann gave up = %v", err)
	}
}

func isCode(err error, code string) bool { return errors.Is(err, &haven.Error{Code: code}) }
