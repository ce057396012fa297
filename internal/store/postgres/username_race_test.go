package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// TestUsernameRaceAcrossNodes: a username is held by one person or one
// chat, across both tables, a check that reads one table before writing
// the other. Two nodes at once give the same name, one to a person, one
// to a chat, name after name: each name must end with exactly one
// holder. (READ COMMITTED transactions beside each other both pass the
// check and both keep the name.)
func TestUsernameRaceAcrossNodes(t *testing.T) {
	url, nodes := openNodes(t, 2)
	ctx := context.Background()
	const pairs = 4
	var users []*haven.User
	var chats []*haven.Chat
	err := nodes[0].Update(ctx, func(tx core.Tx) error {
		for range pairs {
			u := &haven.User{FirstName: "a", CreatedAt: time.UnixMilli(0), LastActiveAt: time.UnixMilli(0), AccountTTLDays: 365}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			c := &haven.Chat{Kind: haven.ChatGroup, Title: "g", CreatorID: u.ID, CreatedAt: time.UnixMilli(0)}
			if err := tx.CreateChat(ctx, c); err != nil {
				return err
			}
			users, chats = append(users, u), append(chats, c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	const rounds = 10
	var wg sync.WaitGroup
	for p := range pairs {
		// Both sides start each round together, and hold their
		// transaction a little after the check, so that they overlap.
		var barrier [rounds]sync.WaitGroup
		for r := range barrier {
			barrier[r].Add(2)
		}
		for side := range 2 {
			wg.Go(func() {
				for r := range rounds {
					barrier[r].Done()
					barrier[r].Wait()
					name := fmt.Sprintf("name%dx%d", p, r)
					err := nodes[side].Update(ctx, func(tx core.Tx) error {
						defer time.Sleep(20 * time.Millisecond)
						if side == 0 {
							u, err := tx.UserByID(ctx, users[p].ID)
							if err != nil {
								return err
							}
							u.Username = name
							return tx.UpdateUser(ctx, u)
						}
						c, err := tx.ChatByID(ctx, chats[p].ID)
						if err != nil {
							return err
						}
						c.Username = name
						return tx.UpdateChat(ctx, c)
					})
					if err != nil && haven.ErrorCode(err) == "" {
						t.Logf("pair %d side %d round %d: %v", p, side, r, err)
					}
				}
			})
		}
	}
	wg.Wait()
	raw := rawDB(t, url)
	// Names moved on round by round; count, for every name ever given,
	// who holds it now and who held it: the last round's names are held.
	for p := range pairs {
		name := haven.CanonicalUsername(fmt.Sprintf("name%dx%d", p, rounds-1))
		var n int
		if err := raw.QueryRow(`SELECT (SELECT count(*) FROM users WHERE username_canon = $1) + (SELECT count(*) FROM chats WHERE username_canon = $1)`, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%s has %d holders, want 1", name, n)
		}
	}
	var dup int
	if err := raw.QueryRow(`SELECT count(*) FROM users u JOIN chats c ON c.username_canon = u.username_canon`).Scan(&dup); err != nil {
		t.Fatal(err)
	}
	if dup != 0 {
		t.Errorf("%d names held by a person and a chat at once", dup)
	}
}
