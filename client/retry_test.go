package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// TestSendWaitsForTheServer: a send made while the server is down is
// tried again until the server is back, and posted once; a send the
// server refuses is not tried again.
func TestSendWaitsForTheServer(t *testing.T) {
	srv := testserver.Start(t)
	ann, _ := srv.SignUp(t, "ann.retry@example.org", "Ann")
	bob, bobUser := srv.SignUp(t, "bob.retry@example.org", "Bob")
	srv.Befriend(t, ann, bob)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, err := ann.Send(ctx, &client.SendParams{UserID: bobUser.ID, Text: "Before"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}

	type result struct {
		m   *client.Message
		err error
	}
	done := make(chan result, 1)
	p := &client.SendParams{UserID: bobUser.ID, Text: "Sent while the server was down"}
	go func() {
		m, err := ann.Send(ctx, p)
		done <- result{m, err}
	}()
	time.Sleep(700 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("Send gave up while the server was down: %+v, %v", r.m, r.err)
	default:
	}
	back, err := testserver.New(testserver.Options{Addr: srv.Addr, DataDir: srv.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Stop()
	r := <-done
	if r.err != nil || r.m.Text != p.Text {
		t.Fatalf("Send after the server came back: %+v, %v", r.m, r.err)
	}
	hist, err := bob.History(ctx, client.HistoryParams{ChatID: first.ChatID})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].ID != r.m.ID || hist[1].ID != first.ID {
		t.Fatalf("Bob's history: %+v", hist)
	}

	// A refusal is an answer: no retry.
	start := time.Now()
	_, err = ann.Send(ctx, &client.SendParams{UserID: bobUser.ID, Text: "   "})
	if !client.IsCode(err, "MESSAGE_EMPTY") || time.Since(start) > 2*time.Second {
		t.Fatalf("an empty message: %v after %v", err, time.Since(start))
	}
}
