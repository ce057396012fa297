package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/api"
	"github.com/havenchat/haven/internal/bus/local"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/postgres"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// TestDifferenceWhileHorizonHeld: on PostgreSQL a state's gid is a
// horizon (ADR 0017), which a transaction left running holds where it
// is while later ones commit above it. A client whose state was taken
// then, asking for the difference while the horizon has not moved, must
// still be told of the chat that changed: its gid equals the current
// state's, and the dialogs must be asked for all the same.
func TestDifferenceWhileHorizonHeld(t *testing.T) {
	url := pgtest.Get(t).New(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := core.New(core.Config{Store: st, Bus: local.New(), Frames: api.AppendFrame, Codes: &codeBox{last: map[string]string{}},
		Passwords: fastPasswords(), Secret: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	u := &haven.User{FirstName: "A", CreatedAt: now, LastActiveAt: now, AccountTTLDays: 365}
	if err := st.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
		t.Fatal(err)
	}
	a := &core.Actor{UserID: u.ID}
	chat, err := svc.CreateGroup(ctx, a, "g", nil)
	if err != nil {
		t.Fatal(err)
	}

	// A transaction left running (another node's long batch).
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	raw := stdlib.OpenDB(*cfg)
	defer raw.Close()
	long, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer long.Rollback()
	if _, err := long.ExecContext(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}

	st0, err := svc.GetState(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Send(ctx, a, core.Peer{ChatID: chat.ID}, core.SendInput{Text: "hello", RandomID: 1}); err != nil {
		t.Fatal(err)
	}
	d, err := svc.GetDifference(ctx, a, st0.Pts, st0.GID)
	if err != nil {
		t.Fatal(err)
	}
	if d.State.GID != st0.GID {
		t.Logf("the horizon moved (%d to %d): another transaction on the server ended", st0.GID, d.State.GID)
	}
	found := false
	for _, dv := range d.Dialogs {
		found = found || dv.Chat.ID == chat.ID
	}
	if !found {
		t.Errorf("the difference from gid %d (now %d) misses the chat written since: %+v", st0.GID, d.State.GID, d.Dialogs)
	}
}
