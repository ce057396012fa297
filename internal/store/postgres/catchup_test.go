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
)

// TestCatchUpAcrossNodes runs two stores on one database, as two nodes,
// writing beside each other: node 0 holds its transactions open a while
// (a long batch), node 1 commits short ones meanwhile, some in the same
// chats. A reader on node 1 catches up over and over as a client does
// (LastGID, then the dialogs changed since the previous LastGID, keeping
// each chat's seq). Once the writers stop, one more round must leave it
// holding every chat's seq: no change is ever missed. (A state taken as
// the newest gid committed, not the horizon, misses the long
// transactions, which commit below it.)
func TestCatchUpAcrossNodes(t *testing.T) {
	_, nodes := openNodes(t, 2)
	ctx := context.Background()
	const nChats = 6
	u := &haven.User{FirstName: "a", CreatedAt: time.UnixMilli(0), LastActiveAt: time.UnixMilli(0)}
	var chats []int64
	err := nodes[0].Update(ctx, func(tx core.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		for range nChats {
			c := &haven.Chat{Kind: haven.ChatGroup, Title: "g", CreatorID: u.ID, CreatedAt: time.UnixMilli(0)}
			if err := tx.CreateChat(ctx, c); err != nil {
				return err
			}
			if err := tx.PutMember(ctx, &haven.Member{ChatID: c.ID, UserID: u.ID, Role: haven.RoleMember, JoinedAt: time.UnixMilli(0)}); err != nil {
				return err
			}
			chats = append(chats, c.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// appendTo appends an event to each chat in one Update on node,
	// holding the transaction open for hold after the first.
	appendTo := func(node *postgres.Store, hold time.Duration, ids ...int64) error {
		return node.Update(ctx, func(tx core.Tx) error {
			for i, id := range ids {
				seq, _, err := tx.NextSeq(ctx, id, false, time.UnixMilli(1))
				if err != nil {
					return err
				}
				if err := tx.AppendEvent(ctx, &haven.Event{ChatID: id, Seq: seq, Kind: haven.EventChatUpdate, Date: time.UnixMilli(1)}); err != nil {
					return err
				}
				if i == 0 && hold > 0 {
					time.Sleep(hold)
				}
			}
			return nil
		})
	}

	r := &reader{t: t, s: nodes[1], userID: u.ID, seqs: map[int64]int64{}}
	r.gid, _ = nodes[1].LastGID(ctx)
	stop := make(chan struct{})
	var rw sync.WaitGroup
	rw.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				r.sync()
			}
		}
	})
	var (
		ww        sync.WaitGroup
		longsDone = make(chan struct{})
		shorts    [4]int
	)
	// Long transactions on node 0: chats 0-2, each chat's last one too
	// committing while node 1's short ones commit.
	ww.Go(func() {
		defer close(longsDone)
		for i := range 30 {
			if err := appendTo(nodes[0], time.Duration(10+i%4*15)*time.Millisecond, chats[i%3]); err != nil {
				t.Error(fmt.Errorf("long %d: %w", i, err))
				return
			}
		}
	})
	// Short ones on node 1 until the long ones are done, from several
	// callers (so in batches): chats 2-5, chat 2 shared with node 0's,
	// sometimes two chats at once.
	for w := range shorts {
		ww.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-longsDone:
					return
				default:
				}
				ids := []int64{chats[2+(w+i)%4]}
				if i%5 == 0 {
					ids = append(ids, chats[2+(w+i+1)%4])
				}
				if err := appendTo(nodes[1], 0, ids...); err != nil {
					t.Error(fmt.Errorf("short %d/%d: %w", w, i, err))
					return
				}
				shorts[w]++
			}
		})
	}
	ww.Wait()
	close(stop)
	rw.Wait()
	r.sync()
	if shorts[0] < 10 {
		t.Fatalf("only %d short transactions beside the long ones", shorts[0])
	}
	if r.rounds < 20 {
		t.Fatalf("the reader caught up only %d times", r.rounds)
	}
	for i, id := range chats {
		c, err := nodes[0].ChatByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if i < 3 && c.Seq < 10 {
			t.Errorf("chat %d has seq %d, want at least 10", i, c.Seq)
		}
		evs, err := nodes[0].Events(ctx, id, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(evs)) != c.Seq || len(evs) > 0 && evs[len(evs)-1].Seq != c.Seq {
			t.Errorf("chat %d: %d events, seq %d", i, len(evs), c.Seq)
		}
		if r.seqs[id] != c.Seq {
			t.Errorf("after %d rounds the reader holds seq %d of chat %d, which is at %d: a change was missed", r.rounds, r.seqs[id], i, c.Seq)
		}
	}
}

// reader catches up as a client does: the state's gid first, then the
// dialogs that changed since the previous one.
type reader struct {
	t      *testing.T
	s      *postgres.Store
	userID int64
	gid    int64
	seqs   map[int64]int64
	rounds int
}

func (r *reader) sync() {
	ctx := context.Background()
	g, err := r.s.LastGID(ctx)
	if err != nil {
		r.t.Error(err)
		return
	}
	if g < r.gid {
		r.t.Errorf("LastGID went down: %d, then %d", r.gid, g)
	}
	ds, err := r.s.Dialogs(ctx, r.userID, r.gid)
	if err != nil {
		r.t.Error(err)
		return
	}
	for _, d := range ds {
		r.seqs[d.Chat.ID] = max(r.seqs[d.Chat.ID], d.Chat.Seq)
	}
	r.gid = g
	r.rounds++
}
