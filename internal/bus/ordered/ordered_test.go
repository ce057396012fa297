package ordered

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/bus/local"
	"github.com/havenchat/haven/internal/core"
)

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestOrderAcrossSubjects: events reach subscribers in the order they
// were published, within a subject and across subjects.
func TestOrderAcrossSubjects(t *testing.T) {
	b := New(local.New(), Options{})
	defer b.Close(context.Background())
	var mu sync.Mutex
	var got []string
	for _, subj := range []string{"a", "b", "c"} {
		if _, err := b.Subscribe(subj, func(d []byte) {
			mu.Lock()
			got = append(got, string(d))
			mu.Unlock()
		}); err != nil {
			t.Fatal(err)
		}
	}
	const n = 30000
	for i := range n {
		subj := []string{"a", "b", "c"}[i%3]
		if err := b.Publish(context.Background(), subj, []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every event", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == n })
	for i, s := range got {
		if s != strconv.Itoa(i) {
			t.Fatalf("event %d is %q: out of order", i, s)
		}
	}
}

// TestStalledSubscriberNeverStallsPublish: a subscriber that does not
// return holds its events back, and Publish still returns at once until
// the queue is full.
func TestStalledSubscriberNeverStallsPublish(t *testing.T) {
	b := New(local.New(), Options{Max: 1000})
	release := make(chan struct{})
	var mu sync.Mutex
	var got int
	if _, err := b.Subscribe("s", func([]byte) {
		<-release
		mu.Lock()
		got++
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	// The first event is taken and stalls the subscriber; the queue then
	// holds Max more without anyone waiting.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.Publish(ctx, "s", []byte("first")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first event taken", func() bool { return b.Stats().Queued == 0 })
	for i := range 1000 {
		if err := b.Publish(ctx, "s", []byte("x")); err != nil {
			t.Fatalf("publish %d with a stalled subscriber: %v", i, err)
		}
	}
	if s := b.Stats(); s.FullWaits != 0 || s.Queued != 1000 {
		t.Fatalf("stats %+v, want 1000 queued and no wait", s)
	}
	// Full: the next waits, and gives up when its context ends.
	short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	if err := b.Publish(short, "s", []byte("over")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("publish to a full queue: %v, want the context's deadline", err)
	}
	if s := b.Stats(); s.FullWaits != 1 {
		t.Fatalf("stats %+v, want one wait", s)
	}
	// Room comes as the subscriber drains; a waiting Publish goes through.
	errc := make(chan error, 1)
	go func() { errc <- b.Publish(ctx, "s", []byte("last")) }()
	close(release)
	if err := <-errc; err != nil {
		t.Fatalf("publish once room came: %v", err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got != 1002 {
		t.Fatalf("%d events delivered, want 1002 (the one given up on is not)", got)
	}
}

// TestCloseDrains: Close publishes what was queued, and Publish after it
// is refused with ErrClosed.
func TestCloseDrains(t *testing.T) {
	b := New(local.New(), Options{})
	var mu sync.Mutex
	var got []string
	gate := make(chan struct{})
	if _, err := b.Subscribe("s", func(d []byte) {
		<-gate
		mu.Lock()
		got = append(got, string(d))
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := b.Publish(context.Background(), "s", fmt.Appendf(nil, "%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	closed := make(chan error, 1)
	go func() { closed <- b.Close(context.Background()) }()
	close(gate)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	n := len(got)
	mu.Unlock()
	if n != 100 {
		t.Fatalf("%d of 100 queued events published by Close", n)
	}
	if err := b.Publish(context.Background(), "s", []byte("late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("publish after Close: %v, want ErrClosed", err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// notInStep is a bus that says nothing of delivering in step.
type notInStep struct{ b *local.Bus }

func (n notInStep) Publish(ctx context.Context, subject string, data []byte) error {
	return n.b.Publish(ctx, subject, data)
}

func (n notInStep) Subscribe(subject string, h func([]byte)) (core.Subscription, error) {
	return n.b.Subscribe(subject, h)
}

// TestInStep: over an in-process bus, a subscription made while handling
// an event receives the events queued after it, as InStep says; over a
// bus that does not say it delivers in step, InStep is false.
func TestInStep(t *testing.T) {
	ctx := context.Background()
	b := New(local.New(), Options{})
	defer b.Close(ctx)
	if !b.InStep() {
		t.Fatal("over the in-process bus, InStep is false")
	}
	other := New(notInStep{local.New()}, Options{})
	defer other.Close(ctx)
	if other.InStep() {
		t.Fatal("over a bus that does not deliver in step, InStep is true")
	}
	var mu sync.Mutex
	var got []string
	if _, err := b.Subscribe("user", func([]byte) {
		_, _ = b.Subscribe("chat", func(d []byte) { mu.Lock(); got = append(got, string(d)); mu.Unlock() })
	}); err != nil {
		t.Fatal(err)
	}
	for i, subj := range []string{"user", "chat", "chat"} {
		if err := b.Publish(ctx, subj, []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "both chat events", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 2 })
	if got[0] != "1" || got[1] != "2" {
		t.Fatalf("the subscription made in the handler got %q, want [1 2]", got)
	}
}
