package flood

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLimits(t *testing.T) {
	clk := newFakeClock()
	l := NewLimits(Rule{Rate: 10, Burst: 3}, map[string]Rule{
		"auth.sendCode": {Rate: 1.0 / 60, Burst: 1},
		"sync.ping":     {}, // exempt
	}, clk.Now)

	allow := func(method, key string) (bool, time.Duration) { return l.Allow(method, key) }

	// A listed method uses its own rule.
	if ok, _ := allow("auth.sendCode", "ip1"); !ok {
		t.Fatal("first sendCode refused")
	}
	if ok, wait := allow("auth.sendCode", "ip1"); ok || wait != time.Minute {
		t.Fatalf("second sendCode = %v, %v; want refused for 1m", ok, wait)
	}
	// Unlisted methods use the default rule, each with its own buckets.
	for range 3 {
		if ok, _ := allow("messages.send", "u1"); !ok {
			t.Fatal("messages.send refused within burst")
		}
	}
	if ok, wait := allow("messages.send", "u1"); ok || wait != 100*time.Millisecond {
		t.Fatalf("messages.send past burst = %v, %v; want refused for 100ms", ok, wait)
	}
	if ok, _ := allow("messages.edit", "u1"); !ok {
		t.Fatal("messages.edit refused: exhausting messages.send must not affect it")
	}
	if ok, _ := allow("messages.send", "u2"); !ok {
		t.Fatal("messages.send for u2 refused: keys must be independent")
	}
	if ok, _ := allow("auth.sendCode", "u1"); !ok {
		t.Fatal("sendCode for u1 refused: methods must be independent")
	}
	// An exempt method is never limited.
	for range 1000 {
		if ok, _ := allow("sync.ping", "u1"); !ok {
			t.Fatal("exempt method refused")
		}
	}
	// Method and key are not concatenated: no collision between
	// ("a", "bc") and ("ab", "c").
	for range 3 {
		allow("a", "bc")
	}
	if ok, _ := allow("ab", "c"); !ok {
		t.Fatal(`("ab", "c") shares a bucket with ("a", "bc")`)
	}

	clk.Advance(100 * time.Millisecond)
	if ok, _ := allow("messages.send", "u1"); !ok {
		t.Fatal("messages.send still refused after retryAfter")
	}
	if n := l.Len(); n == 0 {
		t.Fatal("Len = 0 with live buckets")
	}
}

func TestLimitsCopiesRules(t *testing.T) {
	rules := map[string]Rule{"m": {Rate: 1, Burst: 1}}
	l := NewLimits(Rule{Rate: 1, Burst: 100}, rules, newFakeClock().Now)
	rules["m"] = Rule{}
	l.Allow("m", "k")
	if ok, _ := l.Allow("m", "k"); ok {
		t.Fatal("changing the caller's map changed the Limits")
	}
}

func TestLimitsConcurrent(t *testing.T) {
	clk := newFakeClock()
	l := NewLimits(Rule{Rate: 1, Burst: 10}, map[string]Rule{"x": {Rate: 1, Burst: 5}}, clk.Now)
	var allowedX, allowedY atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				if ok, _ := l.Allow("x", "k"); ok {
					allowedX.Add(1)
				}
				if ok, _ := l.Allow("y", "k"); ok {
					allowedY.Add(1)
				}
				l.Allow("z", strconv.Itoa(g*1000+i))
			}
		})
	}
	wg.Wait()
	if x, y := allowedX.Load(), allowedY.Load(); x != 5 || y != 10 {
		t.Fatalf("allowed x=%d y=%d, want 5 and 10", x, y)
	}
}

// BenchmarkAllowParallel measures Limits.Allow as the API calls it: a
// real clock, a mix of listed and unlisted methods, many users.
func BenchmarkAllowParallel(b *testing.B) {
	l := NewLimits(Rule{Rate: 30, Burst: 60}, map[string]Rule{
		"auth.sendCode": {Rate: 1.0 / 60, Burst: 3},
		"messages.send": {Rate: 30, Burst: 60},
	}, nil)
	methods := []string{"messages.send", "messages.getHistory", "auth.sendCode", "sync.getDifference"}
	keys := benchKeys(10000)
	var seq atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seq.Add(1)) * 7777
		for pb.Next() {
			l.Allow(methods[i%len(methods)], keys[i%len(keys)])
			i++
		}
	})
}

// TestLimitsCharge: tokens another node spent come off the same bucket
// (per method, per key), empty it at most, and refill as usual.
func TestLimitsCharge(t *testing.T) {
	clk := newFakeClock()
	l := NewLimits(Rule{Rate: 10, Burst: 5}, map[string]Rule{"auth.sendCode": {Rate: 1, Burst: 2}}, clk.Now)
	l.Charge("messages.send", "u1", 3)
	for range 2 {
		if ok, _ := l.Allow("messages.send", "u1"); !ok {
			t.Fatal("refused within the burst left after a charge of 3 of 5")
		}
	}
	if ok, wait := l.Allow("messages.send", "u1"); ok || wait != 100*time.Millisecond {
		t.Fatalf("after 3 charged and 2 taken: %v, %v; want refused for 100ms", ok, wait)
	}
	if ok, _ := l.Allow("messages.edit", "u1"); !ok {
		t.Fatal("a charge to messages.send refused messages.edit")
	}
	// A huge charge empties the bucket, no more: one interval refills one token.
	l.Charge("auth.sendCode", "ip1", 1<<40)
	if ok, wait := l.Allow("auth.sendCode", "ip1"); ok || wait != time.Second {
		t.Fatalf("after a huge charge: %v, %v; want refused for 1s (empty, not in debt)", ok, wait)
	}
	clk.Advance(time.Second)
	if ok, _ := l.Allow("auth.sendCode", "ip1"); !ok {
		t.Fatal("refused after refilling one token")
	}
	l.Charge("other", "u1", 0)
	if l.Len() != 3 {
		t.Fatalf("Len = %d, want 3 buckets (a zero charge makes none)", l.Len())
	}
}
