// Package flood is Haven's flood control: keyed rate limits that the API
// checks on every request and answers with FLOOD_WAIT and a retry_after.
//
// A Limiter applies one Rule to many keys (a user id, an IP address, a
// phone number); Limits holds a Limiter per method plus a default. Both are
// safe for concurrent use, keep one small map entry (an int64 and a copy of
// the key) per recently active key, and start no goroutines, so there is
// nothing to close.
package flood

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Rule is a token bucket: it holds at most Burst tokens, refills at Rate
// tokens per second, and each request takes one. A key seen for the first
// time starts with a full bucket.
//
// The zero Rule means no limit. Any other Rule needs Rate > 0 and
// Burst ≥ 1 (see Validate).
type Rule struct {
	Rate  float64 // tokens per second
	Burst int     // bucket size: requests allowed at once after a quiet spell
}

// maxWindow bounds Burst/Rate, the time a bucket takes to refill from
// empty, so that it fits in int64 nanoseconds with room to add.
const maxWindow = 1 << 62

// Validate reports whether r is the zero Rule or has a finite Rate in
// (0, 1e9] per second, Burst ≥ 1 and a refill time (Burst/Rate) that fits
// in about 146 years.
func (r Rule) Validate() error {
	if r == (Rule{}) {
		return nil
	}
	if !(r.Rate > 0) || math.IsInf(r.Rate, 0) || r.Rate > 1e9 {
		return fmt.Errorf("flood: rate %v not in (0, 1e9] per second", r.Rate)
	}
	if r.Burst < 1 {
		return fmt.Errorf("flood: burst %d below 1", r.Burst)
	}
	if 1e9/r.Rate*float64(r.Burst) > maxWindow {
		return errors.New("flood: burst/rate too long")
	}
	return nil
}

// Limiter applies one Rule to any number of keys.
//
// We do not use golang.org/x/time/rate: it needs a *rate.Limiter (about
// 80 bytes and a mutex) per key, and it tells how long to wait only by
// reserving a token (then cancelling the reservation), which a refused
// request should not have to do. Instead each key
// keeps a single int64, its bucket's "theoretical arrival time" (the GCRA
// form of a token bucket): the instant at which the bucket will be full
// again. Tokens available at time now are (now - tat + Burst×interval) /
// interval, where interval = 1/Rate; a request is allowed if that is at
// least one, and otherwise retryAfter is exactly how long until it is.
// Integer nanoseconds make the arithmetic exact: after waiting retryAfter
// the request is allowed.
//
// Memory: a key whose bucket is full carries no information (a new key
// starts full), so it is dropped. Keys are spread over shards, each with
// its own mutex and map; when a shard's map reaches twice the number of
// non-full buckets it held after its last sweep, the next new key sweeps
// it into a fresh map (Go maps never shrink). The cost is amortised O(1)
// per new key and the maps stay within about twice the keys active in one
// refill time (Burst/Rate) — plus a small floor per shard.
type Limiter struct {
	unlimited bool
	interval  int64 // nanoseconds per token
	window    int64 // interval × Burst: refill time from empty
	clock     func() time.Time
	epoch     time.Time
	seed      maphash.Seed
	shards    [numShards]shard
}

const (
	numShards = 64 // a power of two
	// minSweep is a shard's size below which it is never swept.
	minSweep = 64
)

// bucketKey names a bucket. Scope separates the methods that share the
// default Limiter of a Limits without building method+key strings.
type bucketKey struct {
	scope, id string
}

type shardState struct {
	mu      sync.Mutex
	tat     map[bucketKey]int64 // theoretical arrival time, ns since epoch
	sweepAt int                 // sweep when adding a key at this size
}

// shard pads shardState to a cache line so shards' mutexes do not share
// one between cores.
type shard struct {
	shardState
	_ [64 - unsafe.Sizeof(shardState{})%64]byte
}

// NewLimiter returns a Limiter applying rule, reading the time from clock
// (time.Now if nil). It panics if rule is invalid: rules come from
// configuration, which should have called Rule.Validate.
func NewLimiter(rule Rule, clock func() time.Time) *Limiter {
	if err := rule.Validate(); err != nil {
		panic(err)
	}
	if clock == nil {
		clock = time.Now
	}
	l := &Limiter{clock: clock, seed: maphash.MakeSeed()}
	l.epoch = clock()
	if rule == (Rule{}) {
		l.unlimited = true
		return l
	}
	l.interval = max(1, int64(math.Round(1e9/rule.Rate)))
	l.window = l.interval * int64(rule.Burst)
	for i := range l.shards {
		l.shards[i].tat = make(map[bucketKey]int64)
		l.shards[i].sweepAt = minSweep
	}
	return l
}

// Allow takes a token from key's bucket if there is one and reports
// whether it did. When it refuses, retryAfter (> 0) is how long until a
// token will be available; a refused request takes nothing, so retrying
// early does not push that moment back.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	return l.allow("", key)
}

func (l *Limiter) allow(scope, id string) (bool, time.Duration) {
	if l.unlimited {
		return true, 0
	}
	// Sub uses the monotonic clock reading when there is one, so a
	// wall-clock step does not refill or drain buckets.
	now := int64(l.clock().Sub(l.epoch))
	s := &l.shards[maphash.String(l.seed, id)&(numShards-1)]
	k := bucketKey{scope, id}

	s.mu.Lock()
	tat, found := s.tat[k]
	if !found || tat < now {
		tat = now // full bucket
	}
	next := tat + l.interval
	if wait := next - now - l.window; wait > 0 {
		s.mu.Unlock()
		return false, time.Duration(wait)
	}
	s.store(k, found, next, now)
	s.mu.Unlock()
	return true, 0
}

// Charge takes n tokens from key's bucket without asking: requests
// another node allowed (package nodeshare). A bucket is emptied at most,
// never put in debt, so a late report cannot refuse a key for longer
// than one refill time.
func (l *Limiter) Charge(key string, n int) { l.charge("", key, n) }

func (l *Limiter) charge(scope, id string, n int) {
	if l.unlimited || n <= 0 {
		return
	}
	now := int64(l.clock().Sub(l.epoch))
	s := &l.shards[maphash.String(l.seed, id)&(numShards-1)]
	k := bucketKey{scope, id}
	s.mu.Lock()
	tat, found := s.tat[k]
	if !found || tat < now {
		tat = now
	}
	// n may be large: compare before multiplying.
	if int64(n) >= (now+l.window-tat)/l.interval {
		tat = now + l.window
	} else {
		tat += int64(n) * l.interval
	}
	s.store(k, found, tat, now)
	s.mu.Unlock()
}

// store sets k's bucket to tat; found says whether k was in the map. A
// new key may sweep the shard first, and is stored as a copy (keys often
// point into a request buffer). The caller holds s.mu.
func (s *shardState) store(k bucketKey, found bool, tat, now int64) {
	if found {
		s.tat[k] = tat
		return
	}
	if len(s.tat) >= s.sweepAt {
		s.sweep(now)
	}
	s.tat[bucketKey{strings.Clone(k.scope), strings.Clone(k.id)}] = tat
}

// sweep rebuilds the shard's map without the full buckets. The caller
// holds s.mu.
func (s *shardState) sweep(now int64) {
	live := 0
	for _, tat := range s.tat {
		if tat > now {
			live++
		}
	}
	m := make(map[bucketKey]int64, live)
	for k, tat := range s.tat {
		if tat > now {
			m[k] = tat
		}
	}
	s.tat = m
	s.sweepAt = max(minSweep, 2*live)
}

// Len returns the number of keys the Limiter holds state for, full buckets
// not yet swept included; for metrics and tests.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}
