package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// TestGIDsFollowCommitsAcrossNodes runs two stores on one database, as
// two nodes would, both appending events to the same chats, while a
// reader watches the log as a syncing client does: once it has seen the
// newest gid is L, no event may ever appear with a gid at or below L.
// (Gids drawn from a sequence without the gid lock break this: a
// transaction that drew a smaller gid commits after one that drew a
// bigger.)
func TestGIDsFollowCommitsAcrossNodes(t *testing.T) {
	url, nodes := openNodes(t, 2)
	ctx := context.Background()
	raw := rawDB(t, url)

	const writers, each = 8, 25
	var chats []int64
	err := nodes[0].Update(ctx, func(tx core.Tx) error {
		u := &haven.User{FirstName: "a", CreatedAt: time.UnixMilli(0), LastActiveAt: time.UnixMilli(0)}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		for range writers {
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

	type seen struct{ last, count int64 }
	var (
		observed []seen
		done     atomic.Bool
		wg       sync.WaitGroup
	)
	count := func(db *sql.DB, upto int64) int64 {
		var n int64
		if err := db.QueryRow(`SELECT count(*) FROM events WHERE gid <= $1`, upto).Scan(&n); err != nil {
			t.Error(err)
		}
		return n
	}
	wg.Go(func() {
		for !done.Load() {
			last, err := nodes[1].LastGID(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			observed = append(observed, seen{last, count(raw, last)})
		}
	})
	var ww sync.WaitGroup
	for w := range writers {
		ww.Go(func() {
			for i := range each {
				node := nodes[(w+i)%2]
				err := node.Update(ctx, func(tx core.Tx) error {
					// Mostly the writer's own chat, so that transactions
					// do not wait for each other's rows; now and then the
					// next writer's too.
					for k := range 1 + i%5/4 {
						chatID := chats[(w+k)%len(chats)]
						seq, _, err := tx.NextSeq(ctx, chatID, false, time.UnixMilli(int64(i)))
						if err != nil {
							return err
						}
						e := &haven.Event{ChatID: chatID, Seq: seq, Kind: haven.EventChatUpdate, Date: time.UnixMilli(int64(i))}
						if err := tx.AppendEvent(ctx, e); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Error(fmt.Errorf("writer %d: %w", w, err))
					return
				}
			}
		})
	}
	ww.Wait()
	done.Store(true)
	wg.Wait()
	if len(observed) < 10 {
		t.Fatalf("the reader looked only %d times", len(observed))
	}
	for _, o := range observed {
		if now := count(raw, o.last); now != o.count {
			t.Fatalf("a reader saw the newest gid %d with %d events at or below it; now there are %d", o.last, o.count, now)
		}
	}
}
