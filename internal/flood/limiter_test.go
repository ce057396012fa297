package flood

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// mustAllow and mustRefuse check one call and, for a refusal, its
// retryAfter.
func mustAllow(t *testing.T, l *Limiter, key string) {
	t.Helper()
	if ok, wait := l.Allow(key); !ok {
		t.Fatalf("Allow(%q) refused, retryAfter %v; want allowed", key, wait)
	}
}

func mustRefuse(t *testing.T, l *Limiter, key string, wantWait time.Duration) {
	t.Helper()
	ok, wait := l.Allow(key)
	if ok {
		t.Fatalf("Allow(%q) allowed; want refused with retryAfter %v", key, wantWait)
	}
	if wait != wantWait {
		t.Fatalf("Allow(%q) retryAfter = %v, want %v", key, wait, wantWait)
	}
}

func TestBurstThenRefused(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(Rule{Rate: 1, Burst: 5}, clk.Now)
	for range 5 {
		mustAllow(t, l, "u1")
	}
	mustRefuse(t, l, "u1", time.Second)
	// Refused requests take nothing: hammering does not extend the wait.
	for range 100 {
		mustRefuse(t, l, "u1", time.Second)
	}
	clk.Advance(400 * time.Millisecond)
	mustRefuse(t, l, "u1", 600*time.Millisecond)
}

func TestRetryAfterIsExact(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(Rule{Rate: 3, Burst: 2}, clk.Now) // one token per 333.333333 ms
	mustAllow(t, l, "k")
	mustAllow(t, l, "k")
	ok, wait := l.Allow("k")
	if ok || wait <= 0 {
		t.Fatalf("Allow = %v, %v; want refused", ok, wait)
	}
	if want := time.Second / 3; wait < want-time.Microsecond || wait > want+time.Microsecond {
		t.Fatalf("retryAfter = %v, want about %v", wait, want)
	}
	clk.Advance(wait - 1)
	mustRefuse(t, l, "k", 1)
	clk.Advance(1)
	mustAllow(t, l, "k")
	mustRefuse(t, l, "k", wait)
}

func TestRefill(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(Rule{Rate: 2, Burst: 4}, clk.Now)
	for range 4 {
		mustAllow(t, l, "k")
	}
	mustRefuse(t, l, "k", 500*time.Millisecond)

	// 1.25 s refills 2.5 tokens: two requests pass, the third waits for
	// the remaining half token.
	clk.Advance(1250 * time.Millisecond)
	mustAllow(t, l, "k")
	mustAllow(t, l, "k")
	mustRefuse(t, l, "k", 250*time.Millisecond)

	// A long pause refills to Burst and no further.
	clk.Advance(time.Hour)
	for range 4 {
		mustAllow(t, l, "k")
	}
	mustRefuse(t, l, "k", 500*time.Millisecond)
}

func TestSlowRate(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(Rule{Rate: 1.0 / 60, Burst: 1}, clk.Now) // once a minute
	mustAllow(t, l, "+442079460000")
	mustRefuse(t, l, "+442079460000", time.Minute)
	clk.Advance(59 * time.Second)
	mustRefuse(t, l, "+442079460000", time.Second)
	clk.Advance(time.Second)
	mustAllow(t, l, "+442079460000")
}

func TestKeysIndependent(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(Rule{Rate: 1, Burst: 2}, clk.Now)
	mustAllow(t, l, "a")
	mustAllow(t, l, "a")
	mustRefuse(t, l, "a", time.Second)
	for i := range 1000 {
		k := "b" + strconv.Itoa(i)
		mustAllow(t, l, k)
		mustAllow(t, l, k)
	}
	mustRefuse(t, l, "a", time.Second)
	mustAllow(t, l, "")
}

func TestClockGoingBackwards(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(Rule{Rate: 1, Burst: 1}, clk.Now)
	clk.Advance(-time.Hour)
	mustAllow(t, l, "k")
	mustRefuse(t, l, "k", time.Second)
	// Time before the last request refills nothing.
	clk.Advance(-time.Minute)
	if ok, _ := l.Allow("k"); ok {
		t.Fatal("allowed after the clock went back")
	}
}

func TestUnlimited(t *testing.T) {
	l := NewLimiter(Rule{}, nil)
	for range 10000 {
		mustAllow(t, l, "k")
	}
	if n := l.Len(); n != 0 {
		t.Fatalf("unlimited Limiter holds %d keys", n)
	}
}

func TestRealClock(t *testing.T) {
	l := NewLimiter(Rule{Rate: 0.001, Burst: 1}, nil)
	mustAllow(t, l, "k")
	ok, wait := l.Allow("k")
	if ok || wait <= 999*time.Second || wait > 1000*time.Second {
		t.Fatalf("Allow = %v, %v; want refused for about 1000 s", ok, wait)
	}
}

func TestRuleValidate(t *testing.T) {
	valid := []Rule{{}, {Rate: 1, Burst: 1}, {Rate: 0.0001, Burst: 1000}, {Rate: 1e9, Burst: 1 << 30}}
	for _, r := range valid {
		if err := r.Validate(); err != nil {
			t.Errorf("%+v.Validate() = %v", r, err)
		}
	}
	inf := 1.0
	for range 2000 {
		inf *= 10
	}
	nan := inf - inf
	invalid := []Rule{
		{Rate: 1}, {Burst: 1}, {Rate: -1, Burst: 1}, {Rate: 1, Burst: -1},
		{Rate: nan, Burst: 1}, {Rate: inf, Burst: 1}, {Rate: 2e9, Burst: 1},
		{Rate: 1e-12, Burst: 1 << 30},
	}
	for _, r := range invalid {
		if err := r.Validate(); err == nil {
			t.Errorf("%+v.Validate() = nil, want error", r)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewLimiter(%+v) did not panic", r)
				}
			}()
			NewLimiter(r, nil)
		}()
	}
}

// TestEvictionBoundsMemory feeds a stream of new keys through a Limiter
// while time moves on, and checks that the number of keys held stays
// proportional to those active within one refill time, not to all keys
// ever seen.
func TestEvictionBoundsMemory(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(Rule{Rate: 1, Burst: 3}, clk.Now)
	const perRound = 5000
	maxLen := 0
	for round := range 100 {
		for i := range perRound {
			mustAllow(t, l, fmt.Sprintf("r%d-k%d", round, i))
		}
		maxLen = max(maxLen, l.Len())
		clk.Advance(time.Second)
	}
	// Each key took one token, so its bucket is full again a second
	// later: only the latest round is live. Sweeping at twice the live
	// count bounds the maps to about 2×5,000 plus the per-shard floor,
	// against 500,000 keys seen.
	if bound := 2*perRound + numShards*minSweep; maxLen > bound {
		t.Fatalf("Limiter held up to %d keys; want at most %d", maxLen, bound)
	}
	t.Logf("max keys held: %d of %d seen", maxLen, 100*perRound)
}

// TestEvictionKeepsLiveBuckets checks that a sweep never forgets a bucket
// that is not full: forgetting it would hand out a fresh burst.
func TestEvictionKeepsLiveBuckets(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(Rule{Rate: 1, Burst: 2}, clk.Now)
	mustAllow(t, l, "hot")
	mustAllow(t, l, "hot")
	mustAllow(t, l, "warm") // one token left, refills in 1 s
	clk.Advance(500 * time.Millisecond)
	// Enough new keys to sweep every shard several times.
	for i := range 50 * numShards * minSweep {
		mustAllow(t, l, "x"+strconv.Itoa(i))
	}
	mustRefuse(t, l, "hot", 500*time.Millisecond)
	mustAllow(t, l, "warm")
	mustRefuse(t, l, "warm", 500*time.Millisecond)
}

// TestConcurrent hammers one Limiter from many goroutines; under -race it
// checks the locking, and it checks that a shared key hands out exactly
// Burst tokens however the calls interleave.
func TestConcurrent(t *testing.T) {
	clk := newFakeClock()
	const burst = 100
	l := NewLimiter(Rule{Rate: 1, Burst: burst}, clk.Now)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				if ok, _ := l.Allow("shared"); ok {
					allowed.Add(1)
				}
				l.Allow(fmt.Sprintf("g%d-%d", g, i))
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != burst {
		t.Fatalf("shared key allowed %d times, want %d", n, burst)
	}

	// Now with time moving under the callers' feet.
	var stop atomic.Bool
	var ticker sync.WaitGroup
	ticker.Go(func() {
		for !stop.Load() {
			clk.Advance(time.Millisecond)
		}
	})
	for g := range 8 {
		wg.Go(func() {
			for i := range 5000 {
				if ok, wait := l.Allow(strconv.Itoa(i % 50)); !ok && wait <= 0 {
					t.Errorf("goroutine %d: refused with retryAfter %v", g, wait)
					return
				}
			}
		})
	}
	wg.Wait()
	stop.Store(true)
	ticker.Wait()
}

func BenchmarkAllow(b *testing.B) {
	l := NewLimiter(Rule{Rate: 10, Burst: 20}, nil)
	keys := benchKeys(10000)
	i := 0
	for b.Loop() {
		l.Allow(keys[i%len(keys)])
		i++
	}
}

func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "user:" + strconv.Itoa(1000000+i*7919)
	}
	return keys
}
