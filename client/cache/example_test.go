package cache_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/client/cache"
)

// ExampleOpen runs Ann's program twice on one cache. Bob writes once
// while it runs and twice while it is away: the second run starts from
// the cache and receives only the two messages it missed. Then the
// cache shows the chat without asking the server.
func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "haven-cache-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ann.cache")
	ann, annUser := signedInClient("ann@example.org", "Ann")
	bob, _ := signedInClient("bob@example.org", "Bob")
	// Bob finds Ann by her username: a user id alone reaches only people
	// one has a reason to see.
	if _, err := ann.UpdateUsername(ctx, "ann_caches"); err != nil {
		log.Fatal(err)
	}
	if _, err := bob.ResolveUsername(ctx, "ann_caches"); err != nil {
		log.Fatal(err)
	}
	write := func(text string) {
		if _, err := bob.Send(ctx, &client.SendParams{UserID: annUser.ID, Text: text}); err != nil {
			log.Fatal(err)
		}
	}

	runProgram(ann, path, "first run", 1, func() { write("one") })
	write("two")
	write("three")
	runProgram(ann, path, "second run", 2, nil)

	c, err := cache.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	dialogs, err := c.Dialogs(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range dialogs {
		fmt.Printf("chat with %s: %d unread\n", d.Peer.FirstName, d.UnreadCount)
		history, err := c.History(ctx, d.Chat.ID, 0, 10)
		if err != nil {
			log.Fatal(err)
		}
		for _, m := range history { // newest first
			fmt.Println(" ", m.Text)
		}
	}
	// Output:
	// first run: one
	// second run: two
	// second run: three
	// chat with Bob: 3 unread
	//   three
	//   two
	//   one
}

// runProgram is one run of a program that keeps a cache at path: it
// prints n new messages, calling whileListening (if not nil) once it
// listens, and stops.
func runProgram(c *client.Client, path, run string, n int, whileListening func()) {
	store, err := cache.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	events := c.UpdatesWithStore(ctx, store)
	if whileListening != nil {
		whileListening()
	}
	for ev := range events {
		if ev.Err != nil {
			log.Fatal(ev.Err) // the cache failed
		}
		if ev.Chat != nil && ev.Chat.Kind == "message.new" && ev.Chat.Message != nil {
			fmt.Printf("%s: %s\n", run, ev.Chat.Message.Text)
			if n--; n == 0 {
				stop()
			}
		}
	}
	// The channel is closed: the engine saves nothing more.
	if err := store.Close(); err != nil {
		log.Fatal(err)
	}
}
