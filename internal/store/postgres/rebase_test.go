package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/postgres"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
)

// TestGIDsRebasedAboveRestored: a database restored or copied into a
// cluster whose transaction ids are lower holds gids above them (here
// made so by hand). A store opened on it lifts the gids to come above
// them (gid_rebase), so that a client holding a state from before keeps
// a valid one and misses nothing: LastGID is at least the highest gid
// stored, and a new event's gid is above it.
func TestGIDsRebasedAboveRestored(t *testing.T) {
	url := pgtest.Get(t).New(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	var chatID int64
	event := func(s *postgres.Store) *haven.Event {
		t.Helper()
		e := &haven.Event{ChatID: chatID, Kind: haven.EventChatUpdate, Date: time.UnixMilli(1)}
		err := s.Update(ctx, func(tx core.Tx) error {
			var err error
			if e.Seq, _, err = tx.NextSeq(ctx, chatID, false, e.Date); err != nil {
				return err
			}
			return tx.AppendEvent(ctx, e)
		})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	err = s.Update(ctx, func(tx core.Tx) error {
		u := &haven.User{FirstName: "a", CreatedAt: time.UnixMilli(0), LastActiveAt: time.UnixMilli(0)}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		c := &haven.Chat{Kind: haven.ChatGroup, Title: "g", CreatorID: u.ID, CreatedAt: time.UnixMilli(0)}
		err := tx.CreateChat(ctx, c)
		chatID = c.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e := event(s)
	s.Close()

	// The restored gids: far above this cluster's transaction ids.
	const restored = int64(1) << 45
	raw := rawDB(t, url)
	if _, err := raw.Exec(`UPDATE events SET gid = $1 WHERE chat_id = $2 AND seq = $3`, restored, chatID, e.Seq); err != nil {
		t.Fatal(err)
	}

	s, err = postgres.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	last, err := s.LastGID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last < restored {
		t.Errorf("LastGID %d, below the restored gid %d: a client's state from before would be refused", last, restored)
	}
	if e2 := event(s); e2.GID <= restored || e2.GID <= last {
		t.Errorf("a new event's gid %d, not above the restored %d and LastGID %d", e2.GID, restored, last)
	}
	// Opening again changes nothing: the gids stored are the cluster's.
	base := func() int64 {
		var b int64
		if err := raw.QueryRow(`SELECT gid_base()`).Scan(&b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	before := base()
	s2, err := postgres.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if after := base(); after != before {
		t.Errorf("gid_base moved from %d to %d on a second start", before, after)
	}
}
