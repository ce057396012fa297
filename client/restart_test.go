package client_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// collector gathers the message ids of a stream's message.new events.
type collector struct {
	mu  sync.Mutex
	ids []int64
}

func (c *collector) run(evs <-chan client.Event, chatID int64) {
	for ev := range evs {
		if ev.Chat == nil || ev.Chat.ChatID != chatID || ev.Chat.Kind != "message.new" || ev.Chat.Message == nil {
			continue
		}
		c.mu.Lock()
		c.ids = append(c.ids, ev.Chat.Message.ID)
		c.mu.Unlock()
	}
}

func (c *collector) snapshot() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int64(nil), c.ids...)
}

// send sends p; the SDK waits through an outage, trying again with the
// same random_id. It returns the message and how long the send took.
func send(t *testing.T, ctx context.Context, c *client.Client, p *client.SendParams) (*client.Message, time.Duration) {
	t.Helper()
	start := time.Now()
	m, err := c.Send(ctx, p)
	if err != nil {
		t.Fatalf("Send %q: %v", p.Text, err)
	}
	return m, time.Since(start)
}

func TestServerRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv := testserver.Start(t)
	ann, _ := signUp(t, ctx, srv, "ann@example.org", "Ann")
	bob, bobMe := signUp(t, ctx, srv, "bob@example.org", "Bob")
	srv.Befriend(t, ann, bob)
	first, _ := send(t, ctx, ann, &client.SendParams{UserID: bobMe.ID, Text: "hello"})
	chatID := first.ChatID

	uctx, ucancel := context.WithCancel(ctx)
	defer ucancel()
	var annSeen, bobSeen collector
	var wg sync.WaitGroup
	// Updates takes the state before it returns: every later message is on
	// the streams.
	annEvs, bobEvs := ann.Updates(uctx), bob.Updates(uctx)
	wg.Add(2)
	go func() { defer wg.Done(); annSeen.run(annEvs, chatID) }()
	go func() { defer wg.Done(); bobSeen.run(bobEvs, chatID) }()
	defer func() { ucancel(); wg.Wait() }()

	// waitFor waits until both streams hold want (in order, exactly).
	waitFor := func(want []int64, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			a, b := annSeen.snapshot(), bobSeen.snapshot()
			if len(a) >= len(want) && len(b) >= len(want) {
				for _, got := range [][]int64{a, b} {
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("stream message ids\n got %v\nwant %v", got, want)
					}
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("streams did not deliver %d messages within %v: ann %v, bob %v", len(want), within, a, b)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	const n = 40
	var want []int64
	var waited time.Duration // the longest send: one made during the outage
	// The server started again, on the same address (so that the clients
	// find it) and the same data; restarted closes when New has returned.
	var again *testserver.Server
	var againErr error
	restarted := make(chan struct{})
	for i := 1; i <= n; i++ {
		if i == 10 {
			// Both streams are connected and caught up before the restart.
			waitFor(want, 10*time.Second)
		}
		if i == 15 {
			// Take the server down mid-conversation and bring it back on
			// the same data dir and port while the messages keep coming.
			if err := srv.Stop(); err != nil {
				t.Error(err)
			}
			go func() {
				defer close(restarted)
				time.Sleep(300 * time.Millisecond)
				again, againErr = testserver.New(testserver.Options{Addr: srv.Addr, DataDir: srv.DataDir})
			}()
			t.Cleanup(func() {
				<-restarted
				if again != nil {
					if err := again.Stop(); err != nil {
						t.Error(err)
					}
				}
			})
		}
		from, text := ann, fmt.Sprintf("ann %d", i)
		if i%2 == 0 {
			from, text = bob, fmt.Sprintf("bob %d", i)
		}
		m, took := send(t, ctx, from, &client.SendParams{ChatID: chatID, Text: text})
		waited = max(waited, took)
		if m.ChatID != chatID {
			t.Fatalf("message %d in chat %d, want %d", i, m.ChatID, chatID)
		}
		want = append(want, m.ID)
	}
	if waited < 250*time.Millisecond {
		t.Fatalf("no send waited for the server while it was down (longest %v)", waited)
	}
	t.Logf("the longest send waited %v for the server", waited)
	select {
	case <-restarted:
		if againErr != nil {
			t.Fatalf("restarting the server: %v", againErr)
		}
	case <-ctx.Done():
		t.Fatal("the server did not restart")
	}
	waitFor(want, 30*time.Second)
	// Nothing more (no duplicate) arrives.
	time.Sleep(300 * time.Millisecond)
	waitFor(want, 0)

	// History agrees after the restart.
	hist, err := ann.History(ctx, client.HistoryParams{ChatID: chatID, Limit: 100})
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	if len(hist) != n+1 {
		t.Fatalf("History has %d messages, want %d", len(hist), n+1)
	}
}
