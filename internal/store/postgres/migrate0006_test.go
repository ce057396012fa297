package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/postgres"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestMigrate0006KeepsUniqueValues makes a database as a binary of
// schema 0005 left it: two people with phone numbers, an email address
// and a username, a public group with a username, their private chat and
// a pending sign-in; then opens it with this binary (migration 0006 moves
// what is unique to lookup tables and keys sign-ins by token). Everyone
// is found by what they hold and still holds it, and the sign-in goes on.
func TestMigrate0006KeepsUniqueValues(t *testing.T) {
	srv := pgtest.Get(t)
	url := srv.ConnString(srv.NewEmpty(t))
	ctx := context.Background()
	if err := postgres.MigrateTo(ctx, url, 5); err != nil {
		t.Fatalf("migrate to 0005: %v", err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	tokenHash := []byte("a sign-in token's hash, 32 bytes")
	insert := func(q string, args ...any) (id int64) {
		t.Helper()
		if err := conn.QueryRow(ctx, q, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	annID := insert(`INSERT INTO users (first_name, username, username_canon, phone, email, created_at, last_active_at, account_ttl_days)
		VALUES ('Ann', 'Ann_Lee', 'ann_lee', '+447700900001', 'ann@example.org', 1, 1, 365) RETURNING id`)
	bobID := insert(`INSERT INTO users (first_name, phone, created_at, last_active_at, account_ttl_days)
		VALUES ('Bob', '+447700900002', 1, 1, 365) RETURNING id`)
	clubID := insert(`INSERT INTO chats (kind, title, username, username_canon, creator_id, created_at, last_event_at)
		VALUES ('group', 'Book club', 'BookClub', 'bookclub', $1, 2, 2) RETURNING id`, annID)
	pairID := insert(`INSERT INTO chats (kind, creator_id, created_at, last_event_at, peer_a, peer_b, member_count)
		VALUES ('private', $1, 3, 3, $1, $2, 2) RETURNING id`, annID, bobID)
	insert(`INSERT INTO login_attempts (token_hash, identifier, kind, code_hash, created_at, expires_at, step)
		VALUES ($1, '+447700900002', 'phone', '\x01', 4, 9999999999999, 'code') RETURNING id`, tokenHash)
	conn.Close(ctx)

	st, err := postgres.Open(ctx, url, nil)
	if err != nil {
		t.Fatalf("Open (migrating to 0006): %v", err)
	}
	defer st.Close()
	for name, lookup := range map[string]func() (*haven.User, error){
		"phone":       func() (*haven.User, error) { return st.UserByPhone(ctx, "+447700900001") },
		"email":       func() (*haven.User, error) { return st.UserByEmail(ctx, "ann@example.org") },
		"username":    func() (*haven.User, error) { return st.UserByUsername(ctx, "ANN_LEE") },
		"Bob's phone": func() (*haven.User, error) { return st.UserByPhone(ctx, "+447700900002") },
	} {
		want := annID
		if name == "Bob's phone" {
			want = bobID
		}
		if got, err := lookup(); err != nil || got.ID != want {
			t.Errorf("by %s after 0006 = %+v, %v; want user %d", name, got, err, want)
		}
	}
	if c, err := st.ChatByUsername(ctx, "bookclub"); err != nil || c.ID != clubID {
		t.Errorf("ChatByUsername after 0006 = %+v, %v; want chat %d", c, err, clubID)
	}
	if id, err := st.PrivateChatID(ctx, bobID, annID); err != nil || id != pairID {
		t.Errorf("PrivateChatID after 0006 = %d, %v; want %d", id, err, pairID)
	}
	a, err := st.LoginAttemptByToken(ctx, tokenHash)
	if err != nil || a.Identifier != "+447700900002" {
		t.Fatalf("LoginAttemptByToken after 0006 = %+v, %v", a, err)
	}
	a.Attempts = 1
	if err := st.Update(ctx, func(tx core.Tx) error { return tx.UpdateLoginAttempt(ctx, a) }); err != nil {
		t.Errorf("UpdateLoginAttempt after 0006: %v", err)
	}

	// What they held is still theirs: another cannot take it.
	eve := &haven.User{FirstName: "Eve", Phone: "+447700900001", AccountTTLDays: 365}
	if err := st.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, eve) }); !errors.Is(err, &haven.Error{Code: haven.CodeAccountExists}) {
		t.Errorf("CreateUser with Ann's phone after 0006 = %v, want %s", err, haven.CodeAccountExists)
	}
	eve.Phone, eve.Email = "", "ann@example.org"
	if err := st.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, eve) }); !errors.Is(err, &haven.Error{Code: haven.CodeAccountExists}) {
		t.Errorf("CreateUser with Ann's email after 0006 = %v, want %s", err, haven.CodeAccountExists)
	}
	for _, name := range []string{"Ann_lee", "bookCLUB"} {
		eve.Email, eve.Username = "", name
		if err := st.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, eve) }); !errors.Is(err, &haven.Error{Code: haven.CodeUsernameOccupied}) {
			t.Errorf("CreateUser with username %s after 0006 = %v, want %s", name, err, haven.CodeUsernameOccupied)
		}
	}
	again := &haven.Chat{Kind: haven.ChatPrivate, CreatorID: bobID, PeerA: bobID, PeerB: annID}
	if err := st.Update(ctx, func(tx core.Tx) error { return tx.CreateChat(ctx, again) }); !errors.Is(err, &haven.Error{Code: haven.CodeChatExists}) {
		t.Errorf("a second private chat after 0006 = %v, want %s", err, haven.CodeChatExists)
	}

	// Erasing Ann frees what she held.
	if err := st.Update(ctx, func(tx core.Tx) error { _, err := tx.EraseUser(ctx, annID); return err }); err != nil {
		t.Fatal(err)
	}
	eve.Phone, eve.Email, eve.Username = "+447700900001", "ann@example.org", "ann_lee"
	if err := st.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, eve) }); err != nil {
		t.Errorf("CreateUser with what erased Ann held: %v", err)
	}
}
