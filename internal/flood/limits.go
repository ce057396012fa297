package flood

import "time"

// Limits holds the flood-control rules of the API: one Rule per method
// name, and a default Rule for the methods not listed. Every method has
// its own buckets, so a client that exhausts one method can still call
// others: a key is limited per (method, key).
type Limits struct {
	def     *Limiter
	methods map[string]*Limiter
}

// NewLimits returns Limits applying perMethod[method] to the methods
// listed and def to the others, reading the time from clock (time.Now if
// nil). A zero Rule means no limit, so listing a method with Rule{}
// exempts it. perMethod is copied. It panics if a rule is invalid (see
// Rule.Validate).
func NewLimits(def Rule, perMethod map[string]Rule, clock func() time.Time) *Limits {
	l := &Limits{
		def:     NewLimiter(def, clock),
		methods: make(map[string]*Limiter, len(perMethod)),
	}
	for m, r := range perMethod {
		l.methods[m] = NewLimiter(r, clock)
	}
	return l
}

// Allow takes a token from the bucket of (method, key) and reports whether
// it did; when refused, retryAfter is how long until it would succeed, as
// with Limiter.Allow. Unlisted method names, even unknown ones, share the
// default Limiter, so they cost no more memory than any other key.
func (l *Limits) Allow(method, key string) (ok bool, retryAfter time.Duration) {
	if lim, listed := l.methods[method]; listed {
		return lim.allow("", key)
	}
	return l.def.allow(method, key)
}

// Charge takes n tokens from the bucket of (method, key) without asking,
// as Limiter.Charge: requests another node allowed.
func (l *Limits) Charge(method, key string, n int) {
	if lim, listed := l.methods[method]; listed {
		lim.charge("", key, n)
		return
	}
	l.def.charge(method, key, n)
}

// Len returns the number of buckets held across all methods.
func (l *Limits) Len() int {
	n := l.def.Len()
	for _, lim := range l.methods {
		n += lim.Len()
	}
	return n
}
