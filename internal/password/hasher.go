package password

import (
	"context"
	"runtime"
)

// Hasher hashes and verifies passwords with fixed Params while letting at
// most a fixed number of derivations run at once. Without the limit, a
// burst of sign-ins would each allocate MemoryKiB at the same moment; with
// it, password hashing never holds more than maxConcurrent × MaxMemoryKiB
// (and maxConcurrent × MemoryKiB for well-formed hashes), and excess
// callers queue. A Hasher is safe for concurrent use.
type Hasher struct {
	p   Params
	sem chan struct{}
}

// NewHasher returns a Hasher using p for new hashes and running at most
// maxConcurrent derivations at once; maxConcurrent ≤ 0 means
// runtime.NumCPU(), since more would only compete for the same cores.
// Invalid p is reported by Hash (ErrInvalidParams), not here.
func NewHasher(p Params, maxConcurrent int) *Hasher {
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.NumCPU()
	}
	return &Hasher{p: p, sem: make(chan struct{}, maxConcurrent)}
}

// Hash is like the package's Hash with h's Params, but waits for a free
// slot first. If ctx ends while waiting it returns ctx.Err(); once the
// derivation has started it runs to completion.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.p.Validate(); err != nil {
		return "", err
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return Hash(password, h.p)
}

// Verify is like the package's Verify, but waits for a free slot before
// deriving the key. A malformed encoded string is refused (ErrMalformedHash)
// without waiting. If ctx ends while waiting it returns false and
// ctx.Err().
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	d, err := decode(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	return d.matches(password), nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	// Checked first because select picks at random among ready cases,
	// and a cancelled caller should not start a derivation.
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }
