// Package bustest is the conformance suite of core.Bus: what every bus
// (internal/bus/local, internal/bus/nats) must do, run unchanged against
// each of them from their own tests.
//
// The bus interface carries no event id and promises at most once, so
// the suite checks that nothing is lost or reordered while every node
// keeps up, and that a node that does not keep up slows nobody else and
// is told (its clients then resync from the log). It checks no
// de-duplication: nothing is ever delivered twice.
package bustest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/core"
)

// NodeOptions configure one node's bus.
type NodeOptions struct {
	// Queue bounds the messages the node holds for its handlers (the
	// bus's default if 0). Buses that call handlers on the publisher's
	// goroutine ignore it.
	Queue int
	// OnGap is told when the node may have missed messages.
	OnGap func(error)
}

// Cluster is one bus as several nodes see it.
type Cluster struct {
	// Node returns the bus of a node of this cluster.
	Node func(t *testing.T, opt NodeOptions) core.Bus
	// Shared is true for an in-process bus: every node is the same
	// process, handlers run on the publisher's goroutine, and there is
	// no other node to slow or to fall behind.
	Shared bool
}

// Wait is how long the suite waits for a delivery: generous, for busy
// machines.
const Wait = 30 * time.Second

// Run runs the suite; open returns a new, empty cluster for each test.
func Run(t *testing.T, open func(t *testing.T) Cluster) {
	t.Run("DeliversToSubscribersOfTheSubject", func(t *testing.T) { testDelivers(t, open(t)) })
	t.Run("UnsubscribeStopsDeliveries", func(t *testing.T) { testUnsubscribe(t, open(t)) })
	t.Run("OrderPerSubjectAndAcrossSubjects", func(t *testing.T) { testOrder(t, open(t)) })
	t.Run("HandlerSubscribesInTime", func(t *testing.T) { testSubscribeInHandler(t, open(t)) })
	t.Run("ConcurrentSubscribers", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("SlowNodeBlocksNobodyAndIsTold", func(t *testing.T) { testSlow(t, open(t)) })
}

// prefix makes a test's subjects its own, so that tests sharing a NATS
// server (the machine's, other runs') do not hear each other.
func prefix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "haventest." + hex.EncodeToString(b[:]) + "."
}

// Recorder collects what a handler received, for waiting on it.
type Recorder struct {
	mu   sync.Mutex
	got  []string
	cond chan struct{}
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{cond: make(chan struct{}, 1)} }

// Handle is a bus handler that records data.
func (r *Recorder) Handle(data []byte) {
	r.mu.Lock()
	r.got = append(r.got, string(data))
	r.mu.Unlock()
	select {
	case r.cond <- struct{}{}:
	default:
	}
}

// Got returns what was received so far.
func (r *Recorder) Got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// WaitFor waits until ok holds for what was received, failing the test
// after Wait.
func (r *Recorder) WaitFor(t testing.TB, what string, ok func(got []string) bool) []string {
	t.Helper()
	deadline := time.NewTimer(Wait)
	defer deadline.Stop()
	for {
		got := r.Got()
		if ok(got) {
			return got
		}
		select {
		case <-r.cond:
		case <-deadline.C:
			t.Fatalf("waited %v for %s; got %d messages: %v", Wait, what, len(got), head(got))
		}
	}
}

// WaitLen waits until n messages were received.
func (r *Recorder) WaitLen(t testing.TB, n int) []string {
	t.Helper()
	return r.WaitFor(t, fmt.Sprintf("%d messages", n), func(got []string) bool { return len(got) >= n })
}

func head(s []string) []string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

func subscribe(t *testing.T, b core.Bus, subject string, h func([]byte)) core.Subscription {
	t.Helper()
	s, err := b.Subscribe(subject, h)
	if err != nil {
		t.Fatalf("subscribing to %s: %v", subject, err)
	}
	return s
}

func publish(t *testing.T, b core.Bus, subject, data string) {
	t.Helper()
	if err := b.Publish(context.Background(), subject, []byte(data)); err != nil {
		t.Fatalf("publishing to %s: %v", subject, err)
	}
}

func testDelivers(t *testing.T, c Cluster) {
	p := prefix()
	pub := c.Node(t, NodeOptions{})
	other := c.Node(t, NodeOptions{})
	a1, a2, b := NewRecorder(), NewRecorder(), NewRecorder()
	subscribe(t, pub, p+"chat.1", a1.Handle)
	subscribe(t, other, p+"chat.1", a2.Handle)
	subscribe(t, other, p+"chat.2", b.Handle)
	ready(t, c, pub, other)
	publish(t, pub, p+"chat.1", "x")
	publish(t, pub, p+"chat.2", "y")
	a1.WaitLen(t, 1)
	a2.WaitLen(t, 1)
	b.WaitLen(t, 1)
	// Nothing else arrives: a marker published after it comes alone.
	publish(t, pub, p+"chat.2", "end")
	b.WaitLen(t, 2)
	if got := a1.Got(); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("the publishing node's subscriber of haven.chat.1 got %v, want [x]", got)
	}
	if got := a2.Got(); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("the other node's subscriber of haven.chat.1 got %v, want [x]", got)
	}
	if got := b.Got(); !slices.Equal(got, []string{"y", "end"}) {
		t.Fatalf("the subscriber of haven.chat.2 got %v, want [y end]", got)
	}
}

func testUnsubscribe(t *testing.T, c Cluster) {
	p := prefix()
	n := c.Node(t, NodeOptions{})
	gone, stays := NewRecorder(), NewRecorder()
	s := subscribe(t, n, p+"chat.7", gone.Handle)
	subscribe(t, n, p+"chat.7", stays.Handle)
	publish(t, n, p+"chat.7", "1")
	gone.WaitLen(t, 1)
	stays.WaitLen(t, 1)
	if err := s.Unsubscribe(); err != nil {
		t.Fatalf("unsubscribing: %v", err)
	}
	if err := s.Unsubscribe(); err != nil {
		t.Fatalf("unsubscribing twice: %v", err)
	}
	publish(t, n, p+"chat.7", "2")
	stays.WaitLen(t, 2)
	if got := gone.Got(); !slices.Equal(got, []string{"1"}) {
		t.Fatalf("after Unsubscribe the subscriber got %v, want only [1]", got)
	}
}

// testOrder publishes interleaved sequences on several subjects from one
// node; another node subscribed to all of them must see each subject's
// sequence whole and in order, and the subjects relative to each other
// in the order they were published (internal/bus/ordered relies on it).
func testOrder(t *testing.T, c Cluster) {
	p := prefix()
	const subjects, per = 4, 2000
	pub := c.Node(t, NodeOptions{})
	sub := c.Node(t, NodeOptions{})
	all := NewRecorder()
	for i := range subjects {
		subscribe(t, sub, p+"chat."+strconv.Itoa(i), func(d []byte) { all.Handle(d) })
	}
	ready(t, c, pub, sub)
	for k := range per * subjects {
		i := k % subjects
		publish(t, pub, p+"chat."+strconv.Itoa(i), strconv.Itoa(k))
	}
	got := all.WaitLen(t, per*subjects)
	for k, g := range got {
		if g != strconv.Itoa(k) {
			t.Fatalf("message %d is %s, want %d (order lost)", k, g, k)
		}
	}
}

// testSubscribeInHandler: a handler that subscribes to another subject
// (the hub, when a person joins a chat) gets what its node publishes
// there right after the event it handles, however quickly.
func testSubscribeInHandler(t *testing.T, c Cluster) {
	p := prefix()
	n := c.Node(t, NodeOptions{})
	chat := NewRecorder()
	subscribe(t, n, p+"user.1", func(d []byte) {
		if _, err := n.Subscribe(p+"chat."+string(d), chat.Handle); err != nil {
			t.Errorf("subscribing in a handler: %v", err)
		}
	})
	const chats = 50
	for i := range chats {
		publish(t, n, p+"user.1", strconv.Itoa(i))
		publish(t, n, p+"chat."+strconv.Itoa(i), "first of "+strconv.Itoa(i))
	}
	got := chat.WaitLen(t, chats)
	for i, g := range got {
		if g != "first of "+strconv.Itoa(i) {
			t.Fatalf("the joined chats got %v", got)
		}
	}
}

// testConcurrent subscribes and unsubscribes while others publish: no
// race, no deadlock, and the steady subscriber misses nothing.
func testConcurrent(t *testing.T, c Cluster) {
	p := prefix()
	const n = 500
	pub := c.Node(t, NodeOptions{})
	sub := c.Node(t, NodeOptions{})
	steady := NewRecorder()
	subscribe(t, sub, p+"chat.9", steady.Handle)
	ready(t, c, pub, sub)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range n {
			_ = pub.Publish(context.Background(), p+"chat.9", []byte(strconv.Itoa(i)))
		}
	}()
	go func() {
		defer wg.Done()
		for range n / 5 {
			s, err := sub.Subscribe(p+"chat.9", func([]byte) {})
			if err != nil {
				t.Errorf("subscribing: %v", err)
				return
			}
			_ = s.Unsubscribe()
		}
	}()
	wg.Wait()
	got := steady.WaitLen(t, n)
	for i, g := range got {
		if g != strconv.Itoa(i) {
			t.Fatalf("message %d is %s (lost or reordered)", i, g)
		}
	}
}

// testSlow: a node whose handler is stuck fills its bounded queue; the
// publisher and another node carry on, and the stuck node is told it
// missed messages.
func testSlow(t *testing.T, c Cluster) {
	p := prefix()
	if c.Shared {
		t.Skip("an in-process bus has one node: its handlers run on the publisher's goroutine and must hand work to their own bounded queues (internal/api's hub does)")
	}
	const queue, n = 64, 2000
	gaps := make(chan error, 16)
	pub := c.Node(t, NodeOptions{})
	fast := c.Node(t, NodeOptions{})
	slow := c.Node(t, NodeOptions{Queue: queue, OnGap: func(err error) {
		select {
		case gaps <- err:
		default:
		}
	}})
	release := make(chan struct{})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	slowGot := NewRecorder()
	subscribe(t, slow, p+"chat.3", func(d []byte) {
		<-release
		slowGot.Handle(d)
	})
	fastGot := NewRecorder()
	subscribe(t, fast, p+"chat.3", fastGot.Handle)
	ready(t, c, pub, fast, slow)
	for i := range n {
		publish(t, pub, p+"chat.3", strconv.Itoa(i))
	}
	got := fastGot.WaitLen(t, n)
	for i, g := range got {
		if g != strconv.Itoa(i) {
			t.Fatalf("the fast node's message %d is %s", i, g)
		}
	}
	select {
	case err := <-gaps:
		t.Logf("the slow node was told: %v", err)
	case <-time.After(Wait):
		t.Fatal("the slow node was never told it missed messages")
	}
	close(release)
	// The slow node keeps receiving (what it is sent once its queue has
	// room), and what it did get is in order.
	var got2 []string
	for i := 0; ; i++ {
		publish(t, pub, p+"chat.3", "after")
		got2 = slowGot.Got()
		if len(got2) > 0 && got2[len(got2)-1] == "after" {
			break
		}
		if i > int(Wait/(20*time.Millisecond)) {
			t.Fatalf("the slow node received nothing more after it caught up; it has %d messages", len(got2))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(got2) >= n {
		t.Fatalf("the slow node got %d messages: its queue of %d did not bound it", len(got2), queue)
	}
	last := -1
	for _, g := range got2 {
		if g == "after" {
			break
		}
		v, _ := strconv.Atoi(g)
		if v <= last {
			t.Fatalf("the slow node's messages are out of order: %v", got2)
		}
		last = v
	}
}

// ready waits until every node's subscriptions made so far are known
// to the whole cluster: a message published to a probe subject from the
// first node reaches each of the others.
func ready(t *testing.T, c Cluster, nodes ...core.Bus) {
	t.Helper()
	if c.Shared || len(nodes) < 2 {
		return
	}
	type flusher interface{ Flush(context.Context) error }
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	for _, n := range nodes {
		if f, ok := n.(flusher); ok {
			if err := f.Flush(ctx); err != nil {
				t.Fatalf("flushing a node: %v", err)
			}
		}
	}
	// Interest crosses a cluster's routes asynchronously: probe it.
	for i, n := range nodes[1:] {
		probe := NewRecorder()
		subject := fmt.Sprintf("%sprobe.%d", prefix(), i)
		s := subscribe(t, n, subject, probe.Handle)
		if f, ok := n.(flusher); ok {
			_ = f.Flush(ctx)
		}
		tick := time.NewTicker(20 * time.Millisecond)
		for len(probe.Got()) == 0 {
			publish(t, nodes[0], subject, "probe")
			select {
			case <-tick.C:
			case <-ctx.Done():
				t.Fatalf("node %d never received from the first node", i+1)
			}
		}
		tick.Stop()
		_ = s.Unsubscribe()
	}
}
