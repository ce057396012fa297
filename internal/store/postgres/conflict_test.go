package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/postgres"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
)

// TestReadModifyWriteAcrossNodes runs core's commonest pattern from two
// stores on one database (two nodes) at once: read a chat, change it,
// write it back (here: count a member in, as a join does), with the
// chat's event in the same Update. Every Update must count: none may
// write over another's change, as READ COMMITTED transactions beside each
// other would, and every one succeeds, the conflicts run again. Each
// event takes the next seq of its chat.
func TestReadModifyWriteAcrossNodes(t *testing.T) {
	_, nodes := openNodes(t, 2)
	ctx := context.Background()
	u := &haven.User{FirstName: "a", CreatedAt: time.UnixMilli(0), LastActiveAt: time.UnixMilli(0)}
	var chats []int64
	err := nodes[0].Update(ctx, func(tx core.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		for range 2 {
			c := &haven.Chat{Kind: haven.ChatGroup, Title: "g", CreatorID: u.ID, CreatedAt: time.UnixMilli(0)}
			if err := tx.CreateChat(ctx, c); err != nil {
				return err
			}
			chats = append(chats, c.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	const callers, each = 8, 25
	var wg sync.WaitGroup
	for w := range callers {
		wg.Go(func() {
			node := nodes[w%2]
			for i := range each {
				chatID := chats[(w/2+i)%2]
				err := node.Update(ctx, func(tx core.Tx) error {
					c, err := tx.ChatByID(ctx, chatID)
					if err != nil {
						return err
					}
					c.MemberCount++
					if err := tx.UpdateChat(ctx, c); err != nil {
						return err
					}
					seq, _, err := tx.NextSeq(ctx, chatID, false, time.UnixMilli(1))
					if err != nil {
						return err
					}
					return tx.AppendEvent(ctx, &haven.Event{ChatID: chatID, Seq: seq, Kind: haven.EventMemberUpdate, Date: time.UnixMilli(1)})
				})
				if err != nil {
					t.Error(fmt.Errorf("caller %d, update %d: %w", w, i, err))
					return
				}
			}
		})
	}
	wg.Wait()
	var total int64
	for _, id := range chats {
		c, err := nodes[1].ChatByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := nodes[1].Events(ctx, id, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if c.MemberCount != len(evs) || c.Seq != int64(len(evs)) {
			t.Errorf("chat %d: member count %d, seq %d, %d events; want all equal", id, c.MemberCount, c.Seq, len(evs))
		}
		total += int64(c.MemberCount)
	}
	if total != callers*each {
		t.Errorf("%d members counted in, want %d", total, callers*each)
	}
	t.Logf("%d Updates ran again after a conflict", nodes[0].Retries()+nodes[1].Retries())
}

// TestRowHeldRunsAgainThenAlone: an Update whose row another transaction
// holds gives up after the lock wait and runs again; from its third try
// it runs alone, waits for the row as long as it takes, and succeeds.
func TestRowHeldRunsAgainThenAlone(t *testing.T) {
	url := pgtest.Get(t).New(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var chatID int64
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
	raw := rawDB(t, url)
	holder, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(ctx, `SELECT 1 FROM chats WHERE id = $1 FOR UPDATE`, chatID); err != nil {
		t.Fatal(err)
	}
	const hold = 300 * time.Millisecond
	time.AfterFunc(hold, func() { holder.Commit() })
	r0 := s.Retries()
	start := time.Now()
	runs := 0
	err = s.Update(ctx, func(tx core.Tx) error {
		runs++
		_, _, err := tx.NextSeq(ctx, chatID, false, time.UnixMilli(1))
		return err
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if took := time.Since(start); took < hold {
		t.Errorf("the Update took %v, less than the row was held", took)
	}
	if got := s.Retries() - r0; got != 2 || runs != 3 {
		t.Errorf("%d retries, %d runs; want 2 and 3 (two lock waits given up, then alone)", got, runs)
	}
	if c, err := s.ChatByID(ctx, chatID); err != nil || c.Seq != 1 {
		t.Errorf("chat after: %+v, %v; want seq 1", c, err)
	}
}
