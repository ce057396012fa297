package nodeshare

import (
	"maps"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/bus/local"
	"github.com/havenchat/haven/internal/flood"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// eventually polls cond for up to 5 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 5s for %s", what)
		}
	}
}

// floodPair shares la and lb over bus, as two nodes do.
func floodPair(t *testing.T, bus *local.Bus, la, lb *flood.Limits) (a, b *Flood) {
	t.Helper()
	a, err := NewFlood(la, bus, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err = NewFlood(lb, bus, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

// connsPair shares node A's counts (a copy of what countsA returns) on
// subject with a node B that holds none.
func connsPair(t *testing.T, bus *local.Bus, clk *clock, subject string, countsA func() map[string]int) (a, b *Conns) {
	t.Helper()
	a, err := newConns(subject, countsA, bus, nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err = newConns(subject, func() map[string]int { return nil }, bus, nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

// TestFloodShared: tokens one node takes come off the other's bucket of
// the same method and key, and only that one.
func TestFloodShared(t *testing.T) {
	bus := local.New()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	rule := flood.Rule{Rate: 1, Burst: 5}
	la, lb := flood.NewLimits(rule, nil, clk.Now), flood.NewLimits(rule, nil, clk.Now)
	a, b := floodPair(t, bus, la, lb)
	for range 4 {
		if ok, _ := a.Allow("messages.send", "u:1"); !ok {
			t.Fatal("node A refused within the burst")
		}
	}
	// B's bucket has one token left once A's report is in; its own
	// taking a token is reported back, and A has none either.
	eventually(t, "node B to hear of node A's tokens", func() bool { return lb.Len() == 1 })
	if ok, _ := b.Allow("messages.send", "u:1"); !ok {
		t.Fatal("node B refused the 5th token")
	}
	if ok, wait := b.Allow("messages.send", "u:1"); ok || wait != time.Second {
		t.Fatalf("node B after 5 tokens in all: %v, %v; want refused for 1s", ok, wait)
	}
	eventually(t, "node A to hear of node B's token", func() bool {
		ok, _ := la.Allow("messages.send", "u:1")
		return !ok
	})
	if ok, _ := b.Allow("messages.edit", "u:1"); !ok {
		t.Fatal("another method's bucket was charged")
	}
	if ok, _ := b.Allow("messages.send", "u:2"); !ok {
		t.Fatal("another key's bucket was charged")
	}
}

// TestConnsShared: a node counts the connections the others report per
// address group, follows their changes, replaces them with a full
// report, and forgets a node silent for ConnsTTL.
func TestConnsShared(t *testing.T) {
	bus := local.New()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var mu sync.Mutex
	countsA := map[string]int{}
	a, b := connsPair(t, bus, clk, ConnsSubject, func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(countsA)
	})
	set := func(k string, n int) {
		mu.Lock()
		countsA[k] = n
		mu.Unlock()
		a.Changed(k, n)
	}
	set("192.0.2.1", 3)
	set("2001:db8::/64", 2)
	eventually(t, "node B to count node A's 3", func() bool { return b.Others("192.0.2.1") == 3 })
	eventually(t, "node B to count node A's /64", func() bool { return b.Others("2001:db8::/64") == 2 })
	if n := a.Others("192.0.2.1"); n != 0 {
		t.Fatalf("node A counts its own connections as another node's: %d", n)
	}
	set("192.0.2.1", 1)
	eventually(t, "node B to follow node A's change", func() bool { return b.Others("192.0.2.1") == 1 })
	// A full report leaves out the groups A no longer holds, even
	// where the change itself was lost.
	mu.Lock()
	delete(countsA, "2001:db8::/64")
	mu.Unlock()
	clk.Advance(ConnsFull)
	eventually(t, "a full report to drop a group", func() bool { return b.Others("2001:db8::/64") == 0 })
	if n := b.Others("192.0.2.1"); n != 1 {
		t.Fatalf("after a full report, node B counts %d of node A's, want 1", n)
	}
	// Node A dies: nothing more comes from it.
	a.Close()
	clk.Advance(ConnsTTL - time.Second)
	if n := b.Others("192.0.2.1"); n != 1 {
		t.Fatalf("before ConnsTTL, node B counts %d of node A's, want 1", n)
	}
	clk.Advance(2 * time.Second)
	if n := b.Others("192.0.2.1"); n != 0 {
		t.Fatalf("node A silent for ConnsTTL still counts %d", n)
	}
}

// BenchmarkAllow: what sharing adds to a request's flood check (the
// bucket alone, then the bucket and the note for the next report), with
// 1,000 people calling; the reports go out on the in-process bus.
func BenchmarkAllow(b *testing.B) {
	rule := flood.Rule{Rate: 1e8, Burst: 1e8}
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "u:" + strconv.Itoa(i)
	}
	b.Run("local", func(b *testing.B) {
		l := flood.NewLimits(rule, nil, nil)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				l.Allow("messages.send", keys[i%len(keys)])
				i++
			}
		})
	})
	b.Run("shared", func(b *testing.B) {
		f, err := NewFlood(flood.NewLimits(rule, nil, nil), local.New(), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				f.Allow("messages.send", keys[i%len(keys)])
				i++
			}
		})
	})
}

// TestReportsInParts: reports longer than maxEntries go out in parts and
// arrive whole, a full one included.
func TestReportsInParts(t *testing.T) {
	bus := local.New()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	const many = maxEntries*2 + 10
	counts := make(map[string]int, many)
	for i := range many {
		counts["g"+strconv.Itoa(i)] = 1
	}
	_, b := connsPair(t, bus, clk, SocketsSubject, func() map[string]int { return maps.Clone(counts) })
	// The first report is a full one.
	eventually(t, "node B to count every group", func() bool {
		for k := range counts {
			if b.Others(k) != 1 {
				return false
			}
		}
		return true
	})

	rule := flood.Rule{Rate: 1, Burst: 1}
	la, lb := flood.NewLimits(rule, nil, clk.Now), flood.NewLimits(rule, nil, clk.Now)
	fa, _ := floodPair(t, bus, la, lb)
	for i := range many {
		fa.Allow("m", strconv.Itoa(i))
	}
	eventually(t, "node B to hear of every key", func() bool { return lb.Len() == many })
}
